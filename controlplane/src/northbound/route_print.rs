//! `/ip route print` and `/routing route print`: the configuration's static routes with their
//! RIB state and the dynamic routes (connected, loopbacks, the protocols'), as items for the
//! print engine. Presentation only: it reads the [`Builder`], never changes it.
//!
//! The list is ordered by (table, destination address, prefix length); rows with the same
//! key keep the order configured items, connected routes (by port), protocol routes. A
//! print narrowed to one destination (`where dst-address=...`) makes only that
//! destination's items and counts the rest to give each its place: with a million routes it
//! costs a pass over keys, not a million items. `count-only` counts without items.

use crate::config::exec::Narrowed;
use crate::config::store::{m, Item};
use crate::plan::{Origin, Plan};
use crate::rib::builder::Builder;
use crate::rib::{Gateway, Imm, Rib, RouteId, RouteState, Source};
use shared::types::{Prefix4, TableId};
use std::collections::{BTreeMap, HashMap};

/// Dynamic items get ids of their own, clear of the configuration's: this plus the RIB's
/// route id, so an item keeps its id from one print to the next.
const DYNAMIC_ID: u32 = 0x00f0_0000;

/// Where a row comes from.
#[derive(Debug, Clone, Copy)]
enum Row {
    /// The configured item at this index.
    Configured(usize),
    /// A connected network (of a port or a loopback).
    Connected(u16, Prefix4, RouteId),
    /// A protocol's route.
    Protocol(Source, RouteId),
}

/// (table, address, length): the order of the list.
type Key = (u16, u32, u8);

/// The whole list of the print of `configured` (`/ip route`'s items) and the RIB's routes.
pub fn items(b: &Builder, configured: &[Item], all: bool) -> Vec<Item> {
    let mut rows = rows(b, configured);
    rows.sort_by_key(|(k, _)| *k);
    let ctx = Ctx::new(b, all);
    rows.into_iter()
        .filter_map(|(_, r)| ctx.item(r, configured))
        .collect()
}

/// How many items [`items`] would give.
pub fn count(b: &Builder, configured: usize) -> usize {
    let dynamic = b
        .origins()
        .filter(|(o, _)| !matches!(o, Origin::Route(_)))
        .count();
    configured + dynamic
}

/// The configuration's side of a narrowed print, counted where the configuration is (the
/// router, under its lock): only the items with the destination are copied.
#[derive(Debug, Clone, Default)]
pub struct Tally {
    /// Per table: (rows, rows whose destination sorts before the one asked for).
    per_table: Vec<(usize, usize)>,
    total: usize,
    /// The configured items with the destination, in list order, with their table.
    hits: Vec<(u16, Item)>,
}

impl Tally {
    fn count(&mut self, t: u16, d: Prefix4, target: Prefix4) {
        self.total += 1;
        if let Some(e) = self.per_table.get_mut(usize::from(t)) {
            e.0 += 1;
            e.1 += usize::from((d.addr(), d.len()) < (target.addr(), target.len()));
        }
    }
}

/// Where a configured route item sorts: (table index, destination), read from its values.
fn configured_key(table_of: &HashMap<&str, u16>, it: &Item) -> (u16, Prefix4) {
    let menu = m(&["ip", "route"]);
    let dst: Prefix4 = it
        .get(menu, "dst-address")
        .and_then(|d| d.parse().ok())
        .unwrap_or(Prefix4::DEFAULT);
    let table = it.get(menu, "routing-table").unwrap_or("main");
    (table_of.get(table).copied().unwrap_or(0), dst)
}

/// Table name → index, as the plan numbers them.
fn table_index(plan: &Plan) -> HashMap<&str, u16> {
    plan.tables
        .iter()
        .enumerate()
        .map(|(i, t)| (t.as_str(), i as u16))
        .collect()
}

/// Counts `configured` (`/ip route`'s items) for a print narrowed to `dst`.
pub fn tally(plan: &Plan, configured: &[Item], dst: Prefix4) -> Tally {
    let table_of = table_index(plan);
    let mut tally = Tally {
        per_table: vec![(0, 0); plan.tables.len().max(1)],
        ..Tally::default()
    };
    for it in configured {
        let (t, d) = configured_key(&table_of, it);
        tally.count(t, d, dst);
        if d == dst {
            tally.hits.push((t, it.clone()));
        }
    }
    tally
}

/// The items whose destination is `dst`, each with its place in the whole list: one pass
/// over the RIB's keys counts, per table, the rows before `dst`; no other item is made.
/// `configured` is [`tally`]'s count of the configuration (made with the same tables).
pub fn narrowed(b: &Builder, configured: Tally, all: bool, dst: Prefix4) -> Narrowed {
    let mut tally = configured;
    let n_tables = b.plan().tables.len().max(1);
    tally.per_table.resize(n_tables, (0, 0));
    let configured: Vec<Item> = tally.hits.iter().map(|(_, it)| it.clone()).collect();
    // The rows with `dst`, per kind in list order: (table, row).
    let mut hits: [Vec<(u16, Row)>; 3] = Default::default();
    hits[0] = tally
        .hits
        .iter()
        .enumerate()
        .map(|(i, (t, _))| (*t, Row::Configured(i)))
        .collect();
    let rib = b.rib();
    for (origin, id) in b.origins() {
        let Some(spec) = rib.spec(id) else { continue };
        let (kind, row) = match *origin {
            Origin::Connected { port, net } => (1, Row::Connected(port, net, id)),
            Origin::Protocol { source, .. } => (2, Row::Protocol(source, id)),
            Origin::Route(_) => continue,
        };
        tally.count(spec.table.0, spec.dst, dst);
        if spec.dst == dst {
            hits[kind].push((spec.table.0, row));
        }
    }
    // Connected rows with the same key are in port order.
    hits[1].sort_by_key(|(t, r)| match r {
        Row::Connected(port, ..) => (*t, *port),
        _ => (*t, 0),
    });
    let mut tables: Vec<u16> = hits.iter().flatten().map(|(t, _)| *t).collect();
    tables.sort_unstable();
    tables.dedup();
    let ctx = Ctx::new(b, all);
    let mut out = Vec::new();
    for t in tables {
        let before: usize = tally.per_table[..usize::from(t)].iter().map(|e| e.0).sum();
        let first = before + tally.per_table.get(usize::from(t)).map_or(0, |e| e.1);
        let same_key = hits.iter().flatten().filter(|(x, _)| *x == t);
        for (at, (_, row)) in (first..).zip(same_key) {
            if let Some(it) = ctx.item(*row, &configured) {
                out.push((at, it));
            }
        }
    }
    Narrowed {
        rows: out,
        total: tally.total,
    }
}

/// Every row with its key, in list order before sorting (configured, connected, protocol),
/// keys only: no item is made here.
fn rows(b: &Builder, configured: &[Item]) -> Vec<(Key, Row)> {
    let table_of = table_index(b.plan());
    let mut rows = Vec::with_capacity(configured.len() + b.rib().len());
    for (i, it) in configured.iter().enumerate() {
        let (t, dst) = configured_key(&table_of, it);
        rows.push(((t, dst.addr(), dst.len()), Row::Configured(i)));
    }
    let rib = b.rib();
    let mut connected: Vec<((u32, u8, u16, u16), Row)> = Vec::new();
    let mut proto: Vec<(Key, Row)> = Vec::new();
    for (origin, id) in b.origins() {
        let Some(spec) = rib.spec(id) else { continue };
        match *origin {
            Origin::Connected { port, net } => connected.push((
                (net.addr(), net.len(), spec.table.0, port),
                Row::Connected(port, net, id),
            )),
            Origin::Protocol { source, .. } => proto.push((
                (spec.table.0, spec.dst.addr(), spec.dst.len()),
                Row::Protocol(source, id),
            )),
            Origin::Route(_) => {}
        }
    }
    connected.sort_by_key(|(k, _)| *k);
    proto.sort_by_key(|(k, _)| (k.1, k.2, k.0));
    rows.extend(
        connected
            .into_iter()
            .map(|((a, l, t, _), r)| ((t, a, l), r)),
    );
    rows.extend(proto);
    rows
}

/// What making an item needs.
struct Ctx<'a> {
    rib: &'a Rib,
    plan: &'a Plan,
    b: &'a Builder,
    all: bool,
}

impl<'a> Ctx<'a> {
    fn new(b: &'a Builder, all: bool) -> Ctx<'a> {
        Ctx {
            rib: b.rib(),
            plan: b.plan(),
            b,
            all,
        }
    }

    fn port_name(&self, p: u16) -> String {
        self.plan.interface_name(p)
    }

    fn imm_text(&self, imm: &[Imm]) -> String {
        imm.iter()
            .map(|i| match i.ip {
                0 => self.port_name(i.port),
                ip => format!(
                    "{}%{}",
                    std::net::Ipv4Addr::from(ip),
                    self.port_name(i.port)
                ),
            })
            .collect::<Vec<_>>()
            .join(",")
    }

    fn table_name(&self, t: u16) -> String {
        self.plan
            .tables
            .get(usize::from(t))
            .cloned()
            .unwrap_or_else(|| "main".into())
    }

    fn item(&self, row: Row, configured: &[Item]) -> Option<Item> {
        match row {
            Row::Configured(i) => Some(self.configured(configured.get(i)?)),
            Row::Connected(port, net, id) => self.connected(port, net, id),
            Row::Protocol(source, id) => self.protocol(source, id),
        }
    }

    /// A static route: the configured item with its RIB state.
    fn configured(&self, it: &Item) -> Item {
        let menu = m(&["ip", "route"]);
        let mut it = it.clone();
        let state = self
            .b
            .route_of(Origin::Route(it.id))
            .and_then(|id| Some((id, self.rib.state(id)?)));
        let mut reachable = false;
        if let Some((id, st)) = state {
            reachable = st.reachable;
            if st.active {
                it.values.insert("_active".into(), "yes".into());
            }
            if !st.imm.is_empty() {
                it.values
                    .insert("immediate-gw".into(), self.imm_text(&st.imm));
            }
            if let Some(spec) = self.rib.spec(id).filter(|_| st.active) {
                self.out_label(&mut it.values, spec.table, spec.dst);
            }
            if let Some(spec) = self.rib.spec(id) {
                if self
                    .rib
                    .selected(spec.table, spec.dst)
                    .is_some_and(|s| s.routes.len() > 1 && st.active)
                {
                    it.values.insert("_ecmp".into(), "yes".into());
                }
            }
        }
        it.values.insert("_source".into(), "s".into());
        if self.all {
            // `/routing route` has no defaults of its own: spell them out.
            for k in [
                "dst-address",
                "routing-table",
                "distance",
                "scope",
                "target-scope",
            ] {
                if let Some(v) = it.get(menu, k).map(str::to_owned) {
                    it.values.insert(k.into(), v);
                }
            }
            decorate_all(&mut it, reachable, Source::Static.belongs_to());
        }
        it
    }

    /// A dynamic route's item: its source, whether active, and (`/routing route`) more.
    fn dynamic(
        &self,
        mut values: BTreeMap<String, String>,
        source: Source,
        id: RouteId,
        st: &RouteState,
    ) -> Item {
        values.insert("_source".into(), source.flag().to_string());
        if st.active {
            values.insert("_active".into(), "yes".into());
        }
        let mut it = Item::live(DYNAMIC_ID.saturating_add(id), values);
        if self.all {
            decorate_all(&mut it, st.reachable, source.belongs_to());
        }
        it
    }

    fn connected(&self, port: u16, net: Prefix4, id: RouteId) -> Option<Item> {
        let (spec, st) = (self.rib.spec(id)?, self.rib.state(id)?);
        let mut values = BTreeMap::new();
        values.insert("dst-address".to_string(), net.to_string());
        values.insert("gateway".into(), self.port_name(port));
        values.insert("immediate-gw".into(), self.port_name(port));
        values.insert("routing-table".into(), self.table_name(spec.table.0));
        values.insert("distance".into(), "0".into());
        values.insert("scope".into(), "10".into());
        if let Some(a) = self.plan.source_for(port, net.addr()) {
            values.insert(
                "local-address".into(),
                format!("{}%{}", std::net::Ipv4Addr::from(a), self.port_name(port)),
            );
        }
        Some(self.dynamic(values, Source::Connected, id, st))
    }

    /// `mpls.out-label`: what an active route pushes (label distribution's binding towards
    /// its next hop, else labels the route itself carries).
    fn out_label(&self, values: &mut BTreeMap<String, String>, table: TableId, dst: Prefix4) {
        let text = |l: u32| match l {
            0 => "expl-null".to_string(),
            3 => "impl-null".to_string(),
            l => l.to_string(),
        };
        let labels: Vec<String> = match self.b.ftn(table, dst) {
            Some((_, l)) => vec![text(l)],
            None => self
                .rib
                .selected(table, dst)
                .map(|s| s.labels.labels().map(|l| text(l.get())).collect())
                .unwrap_or_default(),
        };
        if !labels.is_empty() {
            values.insert("mpls.out-label".into(), labels.join(","));
        }
    }

    fn protocol(&self, source: Source, id: RouteId) -> Option<Item> {
        let (spec, st) = (self.rib.spec(id)?, self.rib.state(id)?);
        let mut values = BTreeMap::new();
        values.insert("dst-address".to_string(), spec.dst.to_string());
        let gws: Vec<String> = spec
            .gateways
            .iter()
            .map(|g| match *g {
                // On an interface (OSPF's neighbours): `10.0.0.2%ether1` as RouterOS shows.
                Gateway::Ip {
                    ip, port: Some(p), ..
                } => {
                    format!("{}%{}", std::net::Ipv4Addr::from(ip), self.port_name(p))
                }
                Gateway::Ip { ip, .. } => std::net::Ipv4Addr::from(ip).to_string(),
                Gateway::Port(p) => self.port_name(p),
            })
            .collect();
        if spec.blackhole {
            values.insert("blackhole".into(), "yes".into());
        } else {
            values.insert("gateway".into(), gws.join(","));
        }
        if !st.imm.is_empty() {
            values.insert("immediate-gw".into(), self.imm_text(&st.imm));
        }
        values.insert("routing-table".into(), self.table_name(spec.table.0));
        values.insert("distance".into(), spec.distance.to_string());
        values.insert("scope".into(), spec.scope.to_string());
        values.insert("target-scope".into(), spec.target_scope.to_string());
        if st.active {
            self.out_label(&mut values, spec.table, spec.dst);
        }
        Some(self.dynamic(values, source, id, st))
    }
}

/// The fields `/routing route` shows beyond `/ip route`'s.
fn decorate_all(it: &mut Item, reachable: bool, belongs_to: &str) {
    let active = it.values.get("_active").is_some_and(|v| v == "yes");
    it.values.insert("afi".into(), "ip4".into());
    it.values.insert("belongs-to".into(), belongs_to.into());
    for (k, d) in [("distance", "1"), ("scope", "30"), ("target-scope", "10")] {
        it.values.entry(k.into()).or_insert_with(|| d.into());
    }
    let contribution = match (active, reachable) {
        (true, _) => "active",
        (false, true) => "candidate",
        (false, false) => "unreachable",
    };
    it.values.insert("contribution".into(), contribution.into());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::plan_from_config;
    use crate::rib::builder::Builder;
    use crate::rib::RouteSpec;
    use shared::types::TableId;

    #[test]
    fn a_narrowed_print_gives_the_same_items_in_the_same_places() {
        let script = "/ip vrf add name=a interfaces=ether2\n\
            /ip vrf add name=b interfaces=ether3\n\
            /interface bridge add name=lo0\n\
            /ip address add address=10.255.0.1/32 interface=lo0\n\
            /ip address add address=10.0.0.1/24 interface=ether1\n\
            /ip address add address=10.0.0.1/24 interface=ether2\n\
            /ip address add address=10.9.0.1/24 interface=ether3\n\
            /ip route add dst-address=172.16.0.0/16 gateway=10.0.0.2\n\
            /ip route add dst-address=172.16.0.0/16 gateway=10.0.0.3 routing-table=a\n\
            /ip route add dst-address=192.168.0.0/24 gateway=10.0.0.2 distance=5\n\
            /ip route add dst-address=172.16.0.0/16 gateway=10.9.0.2 routing-table=b\n\
            /ip route add dst-address=0.0.0.0/0 gateway=10.0.0.9";
        let (store, bases) = crate::plan::store_from_config(script, 3).unwrap();
        let (plan, _) = plan_from_config(script, 3).unwrap();
        let _ = bases;
        let mut b = Builder::new();
        b.apply_plan(plan.clone());
        for (i, dst) in [
            "172.16.0.0/16",
            "192.168.0.0/24",
            "10.0.0.0/24",
            "8.8.8.0/24",
        ]
        .iter()
        .enumerate()
        {
            let dst: Prefix4 = dst.parse().unwrap();
            for table in [TableId(0), TableId(1)] {
                let spec = RouteSpec {
                    table,
                    dst,
                    source: Source::Bgp,
                    distance: 20,
                    scope: 40,
                    target_scope: 10,
                    gateways: [Gateway::Ip {
                        ip: 0x0a00_0002 + i as u32,
                        table: TableId(0),
                        port: None,
                    }]
                    .into(),
                    blackhole: false,
                    labels: Default::default(),
                };
                let origin = Origin::Protocol {
                    source: Source::Bgp,
                    instance: 0,
                    table,
                    dst,
                };
                b.add_route(origin, spec);
            }
        }
        b.commit();
        let configured = store.items(m(&["ip", "route"])).to_vec();
        for all in [false, true] {
            let full = items(&b, &configured, all);
            assert_eq!(count(&b, configured.len()), full.len());
            for dst in [
                "172.16.0.0/16",
                "192.168.0.0/24",
                "10.0.0.0/24",
                "10.255.0.1/32",
                "0.0.0.0/0",
                "8.8.8.0/24",
                "1.2.3.0/24",
            ] {
                let p: Prefix4 = dst.parse().unwrap();
                let want: Vec<(usize, Item)> = full
                    .iter()
                    .cloned()
                    .enumerate()
                    .filter(|(_, it)| it.values.get("dst-address").map(String::as_str) == Some(dst))
                    .collect();
                let got = narrowed(&b, tally(&plan, &configured, p), all, p);
                assert_eq!(got.total, full.len(), "{dst}");
                assert_eq!(got.rows, want, "{dst} (all={all})");
            }
        }
    }

    #[test]
    fn a_route_shows_the_label_it_pushes() {
        let script = "/ip address add address=10.0.0.1/24 interface=ether1\n\
            /ip route add dst-address=10.3.0.0/24 gateway=10.0.0.2";
        let (store, _) = crate::plan::store_from_config(script, 1).unwrap();
        let (plan, _) = plan_from_config(script, 1).unwrap();
        let mut b = Builder::new();
        b.apply_plan(plan);
        let dst: Prefix4 = "10.3.0.0/24".parse().unwrap();
        let configured = store.items(m(&["ip", "route"])).to_vec();
        let label_of = |b: &Builder| {
            items(b, &configured, false)
                .into_iter()
                .find(|it| it.values.get("dst-address").map(String::as_str) == Some("10.3.0.0/24"))
                .and_then(|it| it.values.get("mpls.out-label").cloned())
        };
        assert_eq!(label_of(&b), None);
        b.set_ftn(TableId(0), dst, Some((0x0a00_0002, 18)));
        assert_eq!(label_of(&b).as_deref(), Some("18"));
        b.set_ftn(TableId(0), dst, Some((0x0a00_0002, 3)));
        assert_eq!(label_of(&b).as_deref(), Some("impl-null"));
    }
}
