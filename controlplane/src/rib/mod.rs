//! The routing information base: every route of every routing table with its source,
//! distance, scope and gateways; which are active; how their gateways resolve.
//!
//! RouterOS's rules (reference §2.3-§2.5): per table and prefix, the lowest distance among
//! the routes whose gateways resolve wins, and equal distances merge into one ECMP entry. An
//! address gateway is resolved by longest-prefix match in `main` (or the table named by
//! `IP@table`) over active routes whose scope is at most the route's target-scope; with the
//! defaults (static: scope 30, target-scope 10; connected: scope 10) a static route resolves
//! through connected networks only, and recursion needs a larger target-scope. `IP%iface`
//! and `iface` gateways need no lookup. A route whose gateway does not resolve is inactive and
//! becomes active when it does.
//!
//! Changes are incremental: a change marks its (table, prefix) dirty; re-selecting a prefix
//! whose result changed re-resolves exactly the routes whose gateway lies inside that prefix
//! in that table (an index by gateway address finds them), and so on. Every prefix is
//! re-selected at most [`MAX_VISITS`] times per batch, so a gateway that loops through
//! recursion or flaps cannot make a batch run forever; the results a batch produces are
//! taken by the snapshot builder ([`Rib::take_changes`]).

pub mod builder;

pub use crate::route::{Gateway, Gateways, Imm, Imms, RouteSpec, Source};
use shared::adj::LabelStack;
use shared::types::{mask, Prefix4, TableId};
use smallvec::SmallVec;
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// Prefixes a resolution went through: usually one or none, kept inline.
type Vias = SmallVec<[(TableId, Prefix4); 1]>;

/// What forwarding uses for one (table, prefix): the winning routes merged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selected {
    /// The active routes (several: ECMP).
    pub routes: SmallVec<[RouteId; 2]>,
    /// Their immediate next hops, merged.
    pub imm: Imms,
    /// A blackhole route won.
    pub blackhole: bool,
    /// The scope of the winning routes (the smallest).
    pub scope: u8,
    /// A connected network won.
    pub connected: bool,
    /// The source of the first winning route.
    pub source: Source,
    /// The labels of the first winning route.
    pub labels: LabelStack,
    /// The prefixes the gateways were resolved through, to refuse loops.
    via: Vias,
}

/// A route's handle.
pub type RouteId = u32;

/// What a batch changed: (table, prefix) → the source selected before (`None`: none was).
pub type Changes = rustc_hash::FxHashMap<(TableId, Prefix4), Option<Source>>;

/// A route's state after the last batch.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RouteState {
    /// Its gateways resolve (blackholes always do).
    pub reachable: bool,
    /// It is (one of) the selected route(s) of its prefix.
    pub active: bool,
    /// Its immediate next hops.
    pub imm: Imms,
}

#[derive(Debug, Clone)]
struct Route {
    spec: RouteSpec,
    state: RouteState,
    via: Vias,
}

#[derive(Debug, Clone)]
struct TableRib {
    candidates: rustc_hash::FxHashMap<Prefix4, SmallVec<[RouteId; 1]>>,
    selected: rustc_hash::FxHashMap<Prefix4, Selected>,
    /// How many selected prefixes of each length (LPM skips empty lengths).
    lens: [u32; 33],
    /// Routes whose address gateway is resolved in this table, by gateway address.
    by_gateway: BTreeMap<u32, BTreeSet<RouteId>>,
}

impl Default for TableRib {
    fn default() -> Self {
        TableRib {
            candidates: Default::default(),
            selected: Default::default(),
            lens: [0; 33],
            by_gateway: BTreeMap::new(),
        }
    }
}

/// A route's resolution: its immediate next hops and the prefixes it resolved through.
type Resolution = (Imms, Vias);

/// The (table, address) lookups a route's gateways need (`IP` and `IP@table`; not
/// `IP%iface` or interfaces).
fn gateway_lookups(spec: &RouteSpec) -> impl Iterator<Item = (TableId, u32)> + '_ {
    spec.gateways.iter().filter_map(|g| match *g {
        Gateway::Ip {
            ip,
            table,
            port: None,
        } => Some((table, ip)),
        _ => None,
    })
}

/// Longest recursion chain followed.
pub const MAX_DEPTH: usize = 8;
/// Most re-selections of one prefix in one batch.
pub const MAX_VISITS: u32 = 16;

/// The RIB of every table.
#[derive(Debug, Default, Clone)]
pub struct Rib {
    routes: Vec<Option<Route>>,
    free: Vec<RouteId>,
    tables: Vec<TableRib>,
    ports_up: Vec<bool>,
    dirty: rustc_hash::FxHashSet<(TableId, Prefix4)>,
    /// Selected entries changed in this batch, with the source of the winner before it.
    changed: rustc_hash::FxHashMap<(TableId, Prefix4), Option<Source>>,
    /// Gateway lookups already made: (table, address, largest scope) → the selected prefix
    /// that matched. Entries go when a selected prefix containing the address changes, so
    /// the many routes behind one gateway (a BGP table) resolve with one lookup.
    gw_cache: std::cell::RefCell<BTreeMap<(TableId, u32, u8), Option<Prefix4>>>,
}

impl Rib {
    /// An empty RIB.
    pub fn new() -> Rib {
        Rib::default()
    }

    fn table_mut(&mut self, t: TableId) -> &mut TableRib {
        let i = usize::from(t.0);
        if self.tables.len() <= i {
            self.tables.resize_with(i + 1, TableRib::default);
        }
        &mut self.tables[i]
    }

    fn port_up(&self, port: u16) -> bool {
        // A VRF's interface is up while the VRF exists (the plan names no other).
        port >= crate::plan::VRF_IFACE_BASE
            || self
                .ports_up
                .get(usize::from(port))
                .copied()
                .unwrap_or(false)
    }

    /// Marks a port up or down (its connected networks and interface gateways follow).
    pub fn set_port_up(&mut self, port: u16, up: bool) {
        let i = usize::from(port);
        if self.ports_up.len() <= i {
            self.ports_up.resize(i + 1, false);
        }
        if self.ports_up[i] == up {
            return;
        }
        self.ports_up[i] = up;
        let uses: Vec<(TableId, Prefix4)> = self
            .routes
            .iter()
            .flatten()
            .filter(|r| {
                r.spec.gateways.iter().any(|g| match *g {
                    Gateway::Port(p) => p == port,
                    Gateway::Ip { port: Some(p), .. } => p == port,
                    _ => false,
                })
            })
            .map(|r| (r.spec.table, r.spec.dst))
            .collect();
        self.dirty.extend(uses);
    }

    /// Adds a route; it takes effect at the next [`Rib::process`].
    pub fn add(&mut self, spec: RouteSpec) -> RouteId {
        let (table, dst) = (spec.table, spec.dst);
        let lookups: Vec<(TableId, u32)> = gateway_lookups(&spec).collect();
        let route = Route {
            spec,
            state: RouteState::default(),
            via: Vias::new(),
        };
        let id = match self.free.pop() {
            Some(id) => {
                self.routes[id as usize] = Some(route);
                id
            }
            None => {
                self.routes.push(Some(route));
                (self.routes.len() - 1) as RouteId
            }
        };
        self.table_mut(table)
            .candidates
            .entry(dst)
            .or_default()
            .push(id);
        for (t, ip) in lookups {
            self.table_mut(t)
                .by_gateway
                .entry(ip)
                .or_default()
                .insert(id);
        }
        self.dirty.insert((table, dst));
        id
    }

    /// Removes a route; `false` if there is no such route.
    pub fn remove(&mut self, id: RouteId) -> bool {
        let Some(route) = self.routes.get_mut(id as usize).and_then(Option::take) else {
            return false;
        };
        let spec = route.spec;
        let t = self.table_mut(spec.table);
        if let Some(v) = t.candidates.get_mut(&spec.dst) {
            v.retain(|r| *r != id);
            if v.is_empty() {
                t.candidates.remove(&spec.dst);
            }
        }
        for (table, ip) in gateway_lookups(&spec) {
            let t = self.table_mut(table);
            if let Some(s) = t.by_gateway.get_mut(&ip) {
                s.remove(&id);
                if s.is_empty() {
                    t.by_gateway.remove(&ip);
                }
            }
        }
        self.free.push(id);
        self.dirty.insert((spec.table, spec.dst));
        true
    }

    /// The route `id`.
    pub fn spec(&self, id: RouteId) -> Option<&RouteSpec> {
        Some(&self.routes.get(id as usize)?.as_ref()?.spec)
    }

    /// The state of route `id` after the last batch.
    pub fn state(&self, id: RouteId) -> Option<&RouteState> {
        Some(&self.routes.get(id as usize)?.as_ref()?.state)
    }

    /// Every route: (id, spec, state).
    pub fn routes(&self) -> impl Iterator<Item = (RouteId, &RouteSpec, &RouteState)> {
        self.routes
            .iter()
            .enumerate()
            .filter_map(|(i, r)| r.as_ref().map(|r| (i as RouteId, &r.spec, &r.state)))
    }

    /// Number of routes.
    pub fn len(&self) -> usize {
        self.routes.len() - self.free.len()
    }

    /// Whether there is no route.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The selected entry of (table, prefix).
    pub fn selected(&self, table: TableId, dst: Prefix4) -> Option<&Selected> {
        self.tables.get(usize::from(table.0))?.selected.get(&dst)
    }

    /// Every selected entry of `table`.
    pub fn selected_in(&self, table: TableId) -> impl Iterator<Item = (&Prefix4, &Selected)> {
        self.tables
            .get(usize::from(table.0))
            .into_iter()
            .flat_map(|t| t.selected.iter())
    }

    /// The (table, prefix) pairs whose selected entry changed since the last call, each
    /// with the source of the entry that was selected before (`None`: there was none).
    pub fn take_changes(&mut self) -> Changes {
        std::mem::take(&mut self.changed)
    }

    /// Longest-prefix match of `ip` in `table` over selected entries of scope at most
    /// `max_scope`, skipping `skip` and entries resolved through it.
    fn lookup(
        &self,
        table: TableId,
        ip: u32,
        max_scope: u8,
        skip: (TableId, Prefix4),
    ) -> Option<(Prefix4, &Selected)> {
        let t = self.tables.get(usize::from(table.0))?;
        let key = (table, ip, max_scope);
        let cached = self.gw_cache.borrow().get(&key).copied();
        let found = match cached {
            Some(r) => r,
            None => {
                let r = self.lpm(table, ip, max_scope, None).map(|x| x.0);
                self.gw_cache.borrow_mut().insert(key, r);
                r
            }
        };
        let p = found?;
        let s = t.selected.get(&p)?;
        if (table, p) == skip || s.via.contains(&skip) {
            // The route's own prefix, or resolved through it: look past it.
            return self.lpm(table, ip, max_scope, Some(skip));
        }
        Some((p, s))
    }

    /// The lookup itself, without the cache.
    fn lpm(
        &self,
        table: TableId,
        ip: u32,
        max_scope: u8,
        skip: Option<(TableId, Prefix4)>,
    ) -> Option<(Prefix4, &Selected)> {
        let t = self.tables.get(usize::from(table.0))?;
        for len in (0..=32u8).rev() {
            if t.lens[usize::from(len)] == 0 {
                continue;
            }
            let Ok(p) = Prefix4::new(ip & mask(len), len) else {
                continue;
            };
            let Some(s) = t.selected.get(&p) else {
                continue;
            };
            if let Some(skip) = skip {
                if (table, p) == skip || s.via.contains(&skip) {
                    continue;
                }
            }
            if s.scope > max_scope {
                continue;
            }
            return Some((p, s));
        }
        None
    }

    /// Forgets the cached gateway lookups a change of (table, p) may alter.
    fn invalidate(&mut self, table: TableId, p: Prefix4) {
        let first = p.addr();
        let last = p.addr() | !mask(p.len());
        let cache = self.gw_cache.get_mut();
        let keys: Vec<(TableId, u32, u8)> = cache
            .range((table, first, 0)..=(table, last, u8::MAX))
            .map(|(k, _)| *k)
            .collect();
        for k in keys {
            cache.remove(&k);
        }
    }

    /// Resolves route `id`'s gateways: (immediate next hops, prefixes used), `None` when
    /// none resolves.
    fn resolve(&self, id: RouteId) -> Option<Resolution> {
        let r = self.routes.get(id as usize)?.as_ref()?;
        let spec = &r.spec;
        if spec.blackhole {
            return Some((Imms::new(), Vias::new()));
        }
        let me = (spec.table, spec.dst);
        let mut imm = Imms::new();
        let mut via = Vias::new();
        for g in &spec.gateways {
            match *g {
                Gateway::Port(p) => {
                    if self.port_up(p) {
                        imm.push(Imm { port: p, ip: 0 });
                    }
                }
                Gateway::Ip {
                    ip, port: Some(p), ..
                } => {
                    if self.port_up(p) {
                        imm.push(Imm { port: p, ip });
                    }
                }
                Gateway::Ip {
                    ip,
                    table,
                    port: None,
                } => {
                    let Some((p, s)) = self.lookup(table, ip, spec.target_scope, me) else {
                        continue;
                    };
                    if s.blackhole || s.via.len() >= MAX_DEPTH {
                        continue;
                    }
                    for i in &s.imm {
                        // On link through a connected or interface route: the gateway itself
                        // is the neighbour; through a route with a gateway: its neighbour.
                        imm.push(if i.ip == 0 {
                            Imm { port: i.port, ip }
                        } else {
                            *i
                        });
                    }
                    via.push((table, p));
                    via.extend(s.via.iter().copied());
                }
            }
        }
        if imm.is_empty() {
            return None;
        }
        imm.sort_unstable();
        imm.dedup();
        via.sort_unstable();
        via.dedup();
        Some((imm, via))
    }

    /// Re-selects (table, prefix); returns whether the selected entry changed.
    fn select(&mut self, table: TableId, dst: Prefix4) -> bool {
        let cands: SmallVec<[RouteId; 1]> = self
            .tables
            .get(usize::from(table.0))
            .and_then(|t| t.candidates.get(&dst))
            .cloned()
            .unwrap_or_default();
        let mut resolved = Vec::with_capacity(cands.len());
        for &id in &cands {
            resolved.push((id, self.resolve(id)));
        }
        let best = resolved
            .iter()
            .filter(|(_, r)| r.is_some())
            .filter_map(|(id, _)| self.spec(*id).map(|s| s.distance))
            .min();
        let mut sel: Option<Selected> = None;
        for (id, res) in &resolved {
            let Some(spec) = self.spec(*id).cloned() else {
                continue;
            };
            let active = res.is_some() && Some(spec.distance) == best;
            if let Some(Some(r)) = self.routes.get_mut(*id as usize) {
                r.state.reachable = res.is_some();
                r.state.active = active;
                r.state.imm = res.as_ref().map(|x| x.0.clone()).unwrap_or_default();
                r.via = res.as_ref().map(|x| x.1.clone()).unwrap_or_default();
            }
            if !active {
                continue;
            }
            let (imm, via) = res.clone().unwrap_or_default();
            match &mut sel {
                None => {
                    sel = Some(Selected {
                        routes: smallvec::smallvec![*id],
                        imm,
                        blackhole: spec.blackhole,
                        scope: spec.scope,
                        connected: spec.source == Source::Connected,
                        source: spec.source,
                        labels: spec.labels,
                        via,
                    })
                }
                // Equal distance: merged into one ECMP entry (a blackhole among them wins).
                Some(s) => {
                    s.routes.push(*id);
                    s.imm.extend(imm);
                    s.imm.sort_unstable();
                    s.imm.dedup();
                    s.via.extend(via);
                    s.via.sort_unstable();
                    s.via.dedup();
                    s.blackhole |= spec.blackhole;
                    s.scope = s.scope.min(spec.scope);
                    s.connected |= spec.source == Source::Connected;
                }
            }
        }
        let t = self.table_mut(table);
        let old = t.selected.get(&dst);
        if old == sel.as_ref() {
            return false;
        }
        let was = old.map(|o| o.source);
        self.changed.entry((table, dst)).or_insert(was);
        self.invalidate(table, dst);
        let t = self.table_mut(table);
        let len = usize::from(dst.len());
        match sel {
            Some(s) => {
                if t.selected.insert(dst, s).is_none() {
                    t.lens[len] += 1;
                }
            }
            None => {
                if t.selected.remove(&dst).is_some() {
                    t.lens[len] -= 1;
                }
            }
        }
        true
    }

    /// Applies the pending changes: re-selects dirty prefixes and everything that resolves
    /// through what changed. Returns how many prefixes were re-selected.
    pub fn process(&mut self) -> usize {
        let mut work: VecDeque<(TableId, Prefix4)> =
            std::mem::take(&mut self.dirty).into_iter().collect();
        let mut visits: rustc_hash::FxHashMap<(TableId, Prefix4), u32> = Default::default();
        let mut done = 0;
        while let Some((t, p)) = work.pop_front() {
            let v = visits.entry((t, p)).or_insert(0);
            if *v >= MAX_VISITS {
                continue;
            }
            *v += 1;
            done += 1;
            if !self.select(t, p) {
                continue;
            }
            // Routes whose gateway lies in p, resolved in t, may resolve differently now.
            let Some(tab) = self.tables.get(usize::from(t.0)) else {
                continue;
            };
            let first = p.addr();
            let last = p.addr() | !mask(p.len());
            for (_, ids) in tab.by_gateway.range(first..=last) {
                for &id in ids {
                    if let Some(s) = self.spec(id) {
                        work.push_back((s.table, s.dst));
                    }
                }
            }
        }
        done
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Prefix4 {
        s.parse().unwrap()
    }

    fn ip(s: &str) -> u32 {
        u32::from(s.parse::<std::net::Ipv4Addr>().unwrap())
    }

    fn connected(t: u16, dst: &str, port: u16) -> RouteSpec {
        RouteSpec {
            table: TableId(t),
            dst: p(dst),
            source: Source::Connected,
            distance: 0,
            scope: 10,
            target_scope: 0,
            gateways: [Gateway::Port(port)].into(),
            blackhole: false,
            labels: Default::default(),
        }
    }

    fn stat(t: u16, dst: &str, gw: &str, gw_table: u16) -> RouteSpec {
        RouteSpec {
            table: TableId(t),
            dst: p(dst),
            source: Source::Static,
            distance: 1,
            scope: 30,
            target_scope: 10,
            gateways: smallvec::smallvec![Gateway::Ip {
                ip: ip(gw),
                table: TableId(gw_table),
                port: None,
            }],
            blackhole: false,
            labels: Default::default(),
        }
    }

    fn rib(ports: u16) -> Rib {
        let mut r = Rib::new();
        for i in 0..ports {
            r.set_port_up(i, true);
        }
        r
    }

    #[test]
    fn a_static_route_waits_for_its_gateway_and_follows_it() {
        let mut r = rib(2);
        let s = r.add(stat(0, "10.9.0.0/16", "192.168.1.7", 0));
        r.process();
        assert!(!r.state(s).unwrap().active, "no connected network yet");
        let c = r.add(connected(0, "192.168.1.0/24", 1));
        r.process();
        assert!(r.state(s).unwrap().active);
        assert_eq!(
            r.selected(TableId(0), p("10.9.0.0/16")).unwrap().imm[..],
            [Imm {
                port: 1,
                ip: ip("192.168.1.7")
            }]
        );
        let changes = r.take_changes();
        assert!(changes.contains_key(&(TableId(0), p("10.9.0.0/16"))));
        r.remove(c);
        r.process();
        assert!(!r.state(s).unwrap().active, "gone with its network");
        assert!(r.selected(TableId(0), p("10.9.0.0/16")).is_none());
    }

    #[test]
    fn leaks_between_tables_and_interface_gateways() {
        let mut r = rib(3);
        r.add(connected(0, "10.3.0.0/24", 0)); // main
        r.add(connected(5, "1.2.3.0/24", 2)); // vrf1
        let leak = r.add(stat(5, "5.5.5.0/24", "10.3.0.1", 0)); // gateway=10.3.0.1@main in vrf1
        let mut iface = connected(0, "1.2.3.0/24", 2);
        iface.source = Source::Static;
        iface.distance = 1;
        let back = r.add(iface); // gateway=ether3 in main
        r.process();
        assert!(r.state(leak).unwrap().active);
        assert_eq!(r.state(leak).unwrap().imm[0].port, 0);
        assert!(r.state(back).unwrap().active);
        // In vrf1 the gateway is not resolvable without @main.
        let plain = r.add(stat(5, "6.6.6.0/24", "10.3.0.1", 5));
        r.process();
        assert!(!r.state(plain).unwrap().active);
    }

    #[test]
    fn distance_ecmp_and_blackhole() {
        let mut r = rib(2);
        r.add(connected(0, "10.0.0.0/24", 0));
        r.add(connected(0, "10.0.1.0/24", 1));
        let a = r.add(stat(0, "0.0.0.0/0", "10.0.0.2", 0));
        let b = r.add(stat(0, "0.0.0.0/0", "10.0.1.2", 0));
        let mut far = stat(0, "0.0.0.0/0", "10.0.0.3", 0);
        far.distance = 5;
        let c = r.add(far);
        r.process();
        let s = r.selected(TableId(0), p("0.0.0.0/0")).unwrap();
        assert_eq!(s.imm.len(), 2, "equal distances merge into ECMP");
        assert!(r.state(a).unwrap().active && r.state(b).unwrap().active);
        assert!(!r.state(c).unwrap().active && r.state(c).unwrap().reachable);
        let mut bh = stat(0, "192.0.2.0/24", "0.0.0.0", 0);
        bh.gateways.clear();
        bh.blackhole = true;
        r.add(bh);
        r.process();
        assert!(r.selected(TableId(0), p("192.0.2.0/24")).unwrap().blackhole);
    }

    #[test]
    fn recursion_needs_target_scope() {
        let mut r = rib(1);
        r.add(connected(0, "10.111.0.0/24", 0));
        let h = r.add(stat(0, "8.8.8.8/32", "10.111.0.1", 0)); // scope 30
        let dflt = r.add(stat(0, "0.0.0.0/0", "8.8.8.8", 0)); // target-scope 10
        r.process();
        assert!(r.state(h).unwrap().active);
        assert!(
            !r.state(dflt).unwrap().active,
            "a static route (scope 30) is beyond target-scope 10"
        );
        r.remove(dflt);
        let mut deep = stat(0, "0.0.0.0/0", "8.8.8.8", 0);
        deep.target_scope = 30;
        let d = r.add(deep);
        r.process();
        assert!(r.state(d).unwrap().active);
        assert_eq!(
            r.state(d).unwrap().imm[..],
            [Imm {
                port: 0,
                ip: ip("10.111.0.1")
            }],
            "the immediate gateway is the host route's"
        );
    }

    #[test]
    fn loops_terminate_and_flaps_come_back() {
        let mut r = rib(1);
        // Two routes that resolve through each other: neither becomes active, and the batch
        // ends.
        let mut a = stat(0, "10.0.0.0/8", "10.1.1.1", 0);
        a.target_scope = 30;
        let mut b = stat(0, "10.1.1.0/24", "10.0.0.5", 0);
        b.target_scope = 30;
        let (a, b) = (r.add(a), r.add(b));
        r.process();
        assert!(!r.state(a).unwrap().active && !r.state(b).unwrap().active);
        // A route to its own gateway.
        let mut own = stat(0, "172.16.0.0/16", "172.16.0.1", 0);
        own.target_scope = 30;
        let own = r.add(own);
        r.process();
        assert!(!r.state(own).unwrap().active);
        // 10,000 routes behind one gateway whose network flaps.
        let many: Vec<RouteId> = (0..10_000u32)
            .map(|i| {
                let dst = Prefix4::new(0x6400_0000 + (i << 8), 24).unwrap();
                r.add(RouteSpec {
                    dst,
                    ..stat(0, "0.0.0.0/0", "192.168.9.1", 0)
                })
            })
            .collect();
        for round in 0..3 {
            let c = r.add(connected(0, "192.168.9.0/24", 0));
            r.process();
            assert!(
                many.iter().all(|&id| r.state(id).unwrap().active),
                "round {round}"
            );
            r.remove(c);
            r.process();
            assert!(
                many.iter().all(|&id| !r.state(id).unwrap().active),
                "round {round}"
            );
        }
        // Once the loop gets a real way out, both resolve.
        r.add(connected(0, "10.1.1.0/24", 0));
        r.process();
        assert!(
            r.state(a).unwrap().active,
            "10.0.0.0/8 via 10.1.1.1 on the connected /24"
        );
    }
}
