//! The FIB builder: keeps the [`Rib`] and the FIB of every table in step with a [`Plan`]
//! and the usable neighbours, incrementally, and makes [`Snapshot`]s.
//!
//! What a FIB entry holds, for one (table, prefix), in this order: the router's own address
//! or a subnet broadcast (local: to the kernel twin); the RIB's selected routes (blackhole,
//! or their immediate next hops: a resolved neighbour is an adjacency, several make an ECMP
//! group, an unresolved one a glean); a resolved neighbour on a network reached on link
//! (a /32 adjacency). Only tables and next hops that changed are copied into a new
//! snapshot; the rest is shared with the previous one.

use super::{Rib, RouteId, Selected};
use crate::plan::{plan_from_config, Origin, Plan, LOOPBACK_BASE};
use crate::route::{Imm, RouteSpec, Source};
use shared::adj::{Adjacency, LabelStack, NextHop, NextHops};
use shared::fib::{FibBuilder, FibTable};
use shared::snapshot::{PortIface, Snapshot};
use shared::types::{AdjId, NextHopId, PortId, Prefix4, TableId, VrfId};
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

mod labels;
use labels::LabelState;
pub use labels::LabelWant;

/// Where a neighbour lives: the port and its IPv4 address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    /// The port (DPDK port id).
    pub port: u16,
    /// The neighbour's address.
    pub ip: u32,
}

/// For tests, benchmarks and fuzzing: the snapshot of [`plan_from_config`] with the
/// neighbours `(port, address)` resolved (MAC 02:00:00:09:PP:01).
pub fn snapshot_from_config(
    config: &str,
    ports: u16,
    neighbors: &[(u16, u32)],
) -> Result<Snapshot, String> {
    let (plan, _) = plan_from_config(config, ports)?;
    let usable = neighbors
        .iter()
        .map(|&(port, ip)| (Key { port, ip }, [2, 0, 0, 9, port as u8, 1]))
        .collect();
    Ok(build(&plan, usable))
}

/// Collects next hops and adjacencies without duplicates, and frees what no FIB entry uses
/// any more: each next hop counts the entries installed with it, each adjacency the next
/// hops and ECMP groups that hold it. A freed id is reused by the next new one; a snapshot
/// copies the whole set when it changed, so ids in older snapshots keep their meaning there.
#[derive(Default, Clone)]
struct HopSet {
    hops: Vec<NextHop>,
    ids: rustc_hash::FxHashMap<NextHop, NextHopId>,
    /// Installed entries per next hop.
    refs: Vec<u32>,
    free_hops: Vec<NextHopId>,
    members: Vec<AdjId>,
    /// Member slots of freed groups, compacted away when they outnumber the live ones.
    dead_members: usize,
    groups: rustc_hash::FxHashMap<Vec<AdjId>, NextHopId>,
    adjacencies: Vec<Adjacency>,
    adj_ids: rustc_hash::FxHashMap<Adjacency, AdjId>,
    /// Next hops and groups per adjacency.
    adj_refs: Vec<u32>,
    free_adjs: Vec<AdjId>,
    grew: bool,
}

impl HopSet {
    fn hop(&mut self, nh: NextHop) -> NextHopId {
        if let Some(&id) = self.ids.get(&nh) {
            return id;
        }
        self.grew = true;
        let id = match self.free_hops.pop() {
            Some(id) => {
                self.hops[id.0 as usize] = nh;
                id
            }
            None => {
                self.hops.push(nh);
                self.refs.push(0);
                NextHopId(self.hops.len() as u32 - 1)
            }
        };
        match nh {
            NextHop::Forward(a) => self.adj_refs[a.0 as usize] += 1,
            NextHop::Ecmp { first, count } => {
                for i in first..first + count {
                    let a = self.members[i as usize];
                    self.adj_refs[a.0 as usize] += 1;
                }
            }
            _ => {}
        }
        self.ids.insert(nh, id);
        id
    }

    fn adj_id(&mut self, a: Adjacency) -> AdjId {
        if let Some(&id) = self.adj_ids.get(&a) {
            return id;
        }
        self.grew = true;
        let id = match self.free_adjs.pop() {
            Some(id) => {
                self.adjacencies[id.0 as usize] = a;
                id
            }
            None => {
                self.adjacencies.push(a);
                self.adj_refs.push(0);
                AdjId(self.adjacencies.len() as u32 - 1)
            }
        };
        self.adj_ids.insert(a, id);
        id
    }

    fn adj(&mut self, a: Adjacency) -> NextHopId {
        let id = self.adj_id(a);
        let hop = self.hop(NextHop::Forward(id));
        self.drop_unused_adj(id);
        hop
    }

    fn ecmp(&mut self, adjs: Vec<Adjacency>) -> NextHopId {
        let ids: Vec<AdjId> = adjs.into_iter().map(|a| self.adj_id(a)).collect();
        let hop = match self.groups.get(&ids) {
            Some(&id) => id,
            None => {
                let first = self.members.len() as u32;
                self.members.extend(&ids);
                let id = self.hop(NextHop::Ecmp {
                    first,
                    count: ids.len() as u32,
                });
                self.groups.insert(ids.clone(), id);
                id
            }
        };
        for a in ids {
            self.drop_unused_adj(a);
        }
        hop
    }

    /// An installed entry now uses `id`.
    fn acquire(&mut self, id: NextHopId) {
        self.refs[id.0 as usize] += 1;
    }

    /// An installed entry no longer uses `id`: at none, it is freed.
    fn release(&mut self, id: NextHopId) {
        let r = &mut self.refs[id.0 as usize];
        *r = r.saturating_sub(1);
        if *r > 0 {
            return;
        }
        let nh = self.hops[id.0 as usize];
        self.ids.remove(&nh);
        self.free_hops.push(id);
        self.grew = true;
        match nh {
            NextHop::Forward(a) => self.release_adj(a),
            NextHop::Ecmp { first, count } => {
                let range = first as usize..(first + count) as usize;
                let ids: Vec<AdjId> = self.members[range].to_vec();
                self.groups.remove(&ids);
                self.dead_members += ids.len();
                for a in ids {
                    self.release_adj(a);
                }
                if self.dead_members * 2 > self.members.len() {
                    self.compact_members();
                }
            }
            _ => {}
        }
    }

    fn release_adj(&mut self, a: AdjId) {
        let r = &mut self.adj_refs[a.0 as usize];
        *r = r.saturating_sub(1);
        self.drop_unused_adj(a);
    }

    /// Frees an adjacency nothing holds (made for a next hop that already existed).
    fn drop_unused_adj(&mut self, a: AdjId) {
        if self.adj_refs[a.0 as usize] > 0 || self.free_adjs.contains(&a) {
            return;
        }
        let adj = self.adjacencies[a.0 as usize];
        if self.adj_ids.get(&adj) == Some(&a) {
            self.adj_ids.remove(&adj);
            self.free_adjs.push(a);
            self.grew = true;
        }
    }

    /// Rewrites the member list with the live groups only (their next-hop ids stay).
    fn compact_members(&mut self) {
        let mut members = Vec::with_capacity(self.members.len() - self.dead_members);
        for (ids, &hop) in &self.groups {
            let first = members.len() as u32;
            members.extend(ids);
            let nh = NextHop::Ecmp {
                first,
                count: ids.len() as u32,
            };
            let old = std::mem::replace(&mut self.hops[hop.0 as usize], nh);
            self.ids.remove(&old);
            self.ids.insert(nh, hop);
        }
        self.members = members;
        self.dead_members = 0;
        self.grew = true;
    }

    /// Next hops and adjacencies in use (for tests and prints).
    fn live(&self) -> (usize, usize) {
        (self.ids.len(), self.adj_ids.len())
    }
}

/// One table's FIB as the builder keeps it.
#[derive(Default)]
struct TableFib {
    fib: FibBuilder,
    installed: rustc_hash::FxHashMap<Prefix4, NextHopId>,
    published: Option<Arc<FibTable>>,
    changed: bool,
}

/// Keeps the RIB and every table's FIB in step with the plan and the neighbours, and makes
/// snapshots of what changed.
pub struct Builder {
    rib: Rib,
    origins: rustc_hash::FxHashMap<Origin, RouteId>,
    plan: Plan,
    tables: Vec<TableFib>,
    locals: BTreeSet<(TableId, Prefix4)>,
    /// Neighbour host entries: (table, /32) → (port, MAC).
    hosts: rustc_hash::FxHashMap<(TableId, Prefix4), (u16, [u8; 6])>,
    neighbors: HashMap<Key, [u8; 6]>,
    /// Which entries use which neighbour as a gateway.
    by_neighbor: HashMap<Key, rustc_hash::FxHashSet<(TableId, Prefix4)>>,
    hops: HopSet,
    next_hops: Arc<NextHops>,
    port_meta: Option<PortMeta>,
    /// Which VTEP each VXLAN neighbour's MAC is behind.
    fdb: shared::tunnel::Fdb,
    /// Tunnels whose keepalives found them down.
    tunnels_down: std::collections::BTreeSet<u16>,
    firewall: Option<Arc<shared::firewall::Firewall>>,
    /// Label state from label distribution: what to push per prefix, what incoming labels do.
    labels: LabelState,
}

impl Default for Builder {
    fn default() -> Self {
        Self::new()
    }
}

impl Builder {
    /// Nothing yet.
    pub fn new() -> Builder {
        Builder {
            rib: Rib::new(),
            origins: Default::default(),
            plan: Plan::default(),
            tables: Vec::new(),
            locals: BTreeSet::new(),
            hosts: Default::default(),
            neighbors: HashMap::new(),
            by_neighbor: HashMap::new(),
            hops: HopSet::default(),
            next_hops: Arc::new(NextHops::default()),
            port_meta: None,
            fdb: Default::default(),
            tunnels_down: Default::default(),
            firewall: None,
            labels: LabelState::default(),
        }
    }

    /// How many next hops and adjacencies the FIBs use now.
    pub fn next_hops_in_use(&self) -> (usize, usize) {
        self.hops.live()
    }

    /// The RIB.
    pub fn rib(&self) -> &Rib {
        &self.rib
    }

    /// The plan in force.
    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    /// The RIB route of a configuration origin.
    pub fn route_of(&self, origin: Origin) -> Option<RouteId> {
        self.origins.get(&origin).copied()
    }

    /// Every origin and its route.
    pub fn origins(&self) -> impl Iterator<Item = (&Origin, RouteId)> {
        self.origins.iter().map(|(o, id)| (o, *id))
    }

    fn table(&mut self, t: TableId) -> &mut TableFib {
        let i = usize::from(t.0);
        if self.tables.len() <= i {
            self.tables.resize_with(i + 1, TableFib::default);
        }
        &mut self.tables[i]
    }

    /// Adds, changes or removes one route (not from the plan: benchmarks and protocols).
    pub fn add_route(&mut self, origin: Origin, spec: RouteSpec) -> bool {
        if let Some(&id) = self.origins.get(&origin) {
            if self.rib.spec(id) == Some(&spec) {
                return false;
            }
            self.rib.remove(id);
        }
        let id = self.rib.add(spec);
        self.origins.insert(origin, id);
        true
    }

    /// The route of `origin` as it was given.
    pub fn route_spec(&self, origin: Origin) -> Option<&RouteSpec> {
        self.rib.spec(*self.origins.get(&origin)?)
    }

    /// Removes the route of `origin`.
    pub fn remove_route(&mut self, origin: Origin) -> bool {
        match self.origins.remove(&origin) {
            Some(id) => self.rib.remove(id),
            None => false,
        }
    }

    /// Which VTEP each MAC learned behind a VXLAN tunnel is at (the workers choose the
    /// VTEP of a frame by it).
    pub fn set_fdb(&mut self, fdb: shared::tunnel::Fdb) {
        if fdb != self.fdb {
            self.fdb = fdb;
            self.port_meta = None;
        }
    }

    /// Tunnel `port` is down (`true`) or up again by its keepalives: its routes follow at
    /// the next commit.
    pub fn set_tunnel_down(&mut self, port: u16, down: bool) {
        if down {
            self.tunnels_down.insert(port);
        } else {
            self.tunnels_down.remove(&port);
        }
        let configured = self
            .plan
            .port(port)
            .is_some_and(|p| p.enabled && p.tunnel.as_ref().is_some_and(|t| t.runnable()));
        self.rib.set_port_up(port, configured && !down);
    }

    /// Applies the route changes made since the last call to the FIBs; returns the
    /// selected entries that changed (with the source selected before), for subscribers.
    pub fn commit(&mut self) -> crate::rib::Changes {
        self.rib.process();
        let changes = self.rib.take_changes();
        for &(t, p) in changes.keys() {
            self.refresh(t, p);
            self.refresh_hosts_in(t, p);
        }
        changes
    }

    /// Brings everything in step with `plan`: its routes by difference, ports up or down,
    /// the router's own addresses. Returns the selected entries that changed.
    pub fn apply_plan(&mut self, plan: Plan) -> crate::rib::Changes {
        for p in &plan.ports {
            // A tunnel without a local address or underlay carries nothing, nor one whose
            // keepalives stay away.
            let runs = p.tunnel.as_ref().is_none_or(|t| t.runnable());
            let alive = !self.tunnels_down.contains(&p.id);
            self.rib.set_port_up(p.id, p.enabled && runs && alive);
        }
        for l in &plan.loopbacks {
            self.rib.set_port_up(l.id, l.enabled);
        }
        let wanted: HashMap<Origin, RouteSpec> = plan.routes.iter().cloned().collect();
        // Protocols' routes are theirs to add and remove, not the plan's.
        let gone: Vec<Origin> = self
            .origins
            .keys()
            .filter(|o| !matches!(o, Origin::Protocol { .. }) && !wanted.contains_key(o))
            .copied()
            .collect();
        for o in gone {
            self.remove_route(o);
        }
        for (o, spec) in wanted {
            self.add_route(o, spec);
        }
        let locals = plan.locals();
        // Adjacencies carry the ports' MACs and MTUs; the snapshot's port arrays carry
        // more (VRFs, first addresses).
        let adj_of = |p: &Plan| -> Vec<(u16, [u8; 6], u16)> {
            p.ports.iter().map(|x| (x.id, x.mac, x.mtu)).collect()
        };
        let adjacencies_changed = adj_of(&self.plan) != adj_of(&plan);
        if self.plan.ports != plan.ports || self.plan.vrf_table != plan.vrf_table {
            // (The ports' MPLS input and mpls-mtu are in the port array too.)
            self.port_meta = None;
        }
        let old_locals = std::mem::replace(&mut self.locals, locals);
        if plan.firewall != self.plan.firewall {
            self.firewall = plan.firewall.clone().map(Arc::new);
        }
        self.plan = plan;
        self.labels.stale = true;
        let changes = self.commit();
        if adjacencies_changed {
            let all: Vec<(TableId, Prefix4)> = self
                .tables
                .iter()
                .enumerate()
                .flat_map(|(t, f)| {
                    f.installed
                        .keys()
                        .map(move |p| (TableId(t as u16), *p))
                        .collect::<Vec<_>>()
                })
                .collect();
            for (t, p) in all {
                self.refresh(t, p);
            }
        }
        let changed: Vec<(TableId, Prefix4)> = old_locals
            .symmetric_difference(&self.locals)
            .copied()
            .collect();
        for (t, p) in changed {
            self.refresh(t, p);
        }
        // Neighbours no longer on link go. Those that stay follow the RIB already: `commit`
        // refreshed the host entries inside every prefix that changed.
        let keep: HashMap<Key, [u8; 6]> = self
            .neighbors
            .iter()
            .filter(|(k, _)| self.plan.on_link(k.port, k.ip))
            .map(|(k, v)| (*k, *v))
            .collect();
        self.set_neighbors(keep);
        changes
    }

    /// Brings the neighbour entries in step with `usable` (every usable neighbour).
    pub fn set_neighbors(&mut self, usable: HashMap<Key, [u8; 6]>) {
        let mut touched: Vec<Key> = usable
            .iter()
            .filter(|(k, m)| self.neighbors.get(k) != Some(m))
            .map(|(k, _)| *k)
            .collect();
        touched.extend(self.neighbors.keys().filter(|k| !usable.contains_key(k)));
        self.neighbors = usable;
        self.labels.stale |= !touched.is_empty();
        for k in touched {
            let deps: Vec<(TableId, Prefix4)> = self
                .by_neighbor
                .get(&k)
                .map(|s| s.iter().copied().collect())
                .unwrap_or_default();
            for (t, p) in deps {
                self.refresh(t, p);
            }
            self.refresh_host(k);
        }
    }

    /// The host entries of neighbour `k` in every table that reaches it on link.
    fn refresh_host(&mut self, k: Key) {
        for t in 0..self.plan.tables.len() {
            self.refresh_host_in(TableId(t as u16), k);
        }
    }

    /// Host entries of the neighbours inside `p` in table `t`, after `p` changed.
    fn refresh_hosts_in(&mut self, t: TableId, p: Prefix4) {
        let keys: Vec<Key> = self
            .neighbors
            .keys()
            .filter(|k| p.contains(k.ip))
            .copied()
            .collect();
        for k in keys {
            self.refresh_host_in(t, k);
        }
    }

    fn refresh_host_in(&mut self, t: TableId, k: Key) {
        let Ok(host) = Prefix4::new(k.ip, 32) else {
            return;
        };
        let want = self
            .neighbors
            .get(&k)
            .copied()
            .filter(|_| self.on_link_in(t, k));
        let had = self.hosts.get(&(t, host)).copied();
        match want {
            Some(mac) if had != Some((k.port, mac)) => {
                self.hosts.insert((t, host), (k.port, mac));
                self.refresh(t, host);
            }
            None if had.is_some_and(|(port, _)| port == k.port) => {
                self.hosts.remove(&(t, host));
                self.refresh(t, host);
            }
            _ => {}
        }
    }

    /// Whether table `t` reaches neighbour `k` on link: its longest match is a network
    /// (connected, or a route with the port as gateway) out of `k.port`.
    fn on_link_in(&self, t: TableId, k: Key) -> bool {
        for len in (0..=32u8).rev() {
            let Ok(p) = Prefix4::new(k.ip & shared::types::mask(len), len) else {
                continue;
            };
            if len == 32 {
                // The host entry itself does not count; a /32 route does.
                if let Some(s) = self.rib.selected(t, p) {
                    return s.imm.contains(&Imm {
                        port: k.port,
                        ip: 0,
                    });
                }
                continue;
            }
            if let Some(s) = self.rib.selected(t, p) {
                return s.imm.contains(&Imm {
                    port: k.port,
                    ip: 0,
                });
            }
        }
        false
    }

    fn adjacency(&self, port: u16, mac: [u8; 6]) -> Option<Adjacency> {
        self.labelled(port, mac, LabelStack::default())
    }

    /// An adjacency that pushes `push`.
    fn labelled(&self, port: u16, mac: [u8; 6], push: LabelStack) -> Option<Adjacency> {
        let p = self.plan.port(port)?;
        Some(Adjacency {
            port: PortId(port),
            dst_mac: mac,
            src_mac: p.mac,
            push,
            mtu: p.mtu,
        })
    }

    /// The next hop for a selected entry; records the neighbours it depends on.
    fn next_hop_of(&mut self, t: TableId, p: Prefix4, s: &Selected) -> Option<NextHopId> {
        if s.blackhole {
            return Some(self.hops.hop(NextHop::Blackhole));
        }
        let mut adjs = Vec::new();
        let mut glean = None;
        for i in &s.imm {
            if self.plan.is_p2p_tunnel(i.port) {
                // Point to point: no neighbour to resolve.
                if let Some(a) = self.labelled(i.port, [0; 6], s.labels) {
                    adjs.push(a);
                }
                continue;
            }
            if let Some(v) = crate::plan::vrf_of_iface(i.port) {
                // The VRF's interface: on in its table.
                match self.plan.vrf_table.get(usize::from(v.0)) {
                    Some(&table) => glean = Some(NextHop::Lookup(table)),
                    None => {
                        glean.get_or_insert(NextHop::Unreachable);
                    }
                }
                continue;
            }
            if i.port >= LOOPBACK_BASE {
                // A loopback's network beyond its own address: nobody is there.
                glean.get_or_insert(NextHop::Unreachable);
                continue;
            }
            let src = self
                .plan
                .source_for(i.port, if i.ip == 0 { p.addr() } else { i.ip })
                .or_else(|| self.plan.port(i.port)?.addrs.first().map(|a| a.0))
                .unwrap_or(0);
            if i.ip == 0 {
                glean.get_or_insert(NextHop::Glean {
                    port: PortId(i.port),
                    src,
                    target: 0,
                });
                continue;
            }
            let key = Key {
                port: i.port,
                ip: i.ip,
            };
            self.by_neighbor.entry(key).or_default().insert((t, p));
            let push = if s.source == Source::BgpVpn && s.labels.depth() > 0 {
                // A VPN route: its label under the transport label towards its next hop,
                // or not used at all without one.
                match self.vpn_push(t, p, s, i.ip) {
                    Some(push) => push,
                    None => continue,
                }
            } else {
                match self.labels.ftn.get(&(t, p)) {
                    Some(&(nh, label)) if nh == i.ip => {
                        let l = shared::types::Label::try_from(label).ok();
                        l.and_then(|l| LabelStack::new(&[l]).ok())
                            .unwrap_or(s.labels)
                    }
                    _ => s.labels,
                }
            };
            match self
                .neighbors
                .get(&key)
                .and_then(|&mac| self.labelled(i.port, mac, push))
            {
                Some(a) => adjs.push(a),
                None => {
                    glean.get_or_insert(NextHop::Glean {
                        port: PortId(i.port),
                        src,
                        target: i.ip,
                    });
                }
            }
        }
        Some(match adjs.len() {
            0 => self.hops.hop(glean?),
            1 => self.hops.adj(adjs[0]),
            _ => self.hops.ecmp(adjs),
        })
    }

    /// Recomputes the FIB entry of (t, p) from its sources and installs it.
    fn refresh(&mut self, t: TableId, p: Prefix4) {
        let nh = if self.locals.contains(&(t, p)) {
            Some(self.hops.hop(NextHop::Local))
        } else if let Some(s) = self.rib.selected(t, p).cloned() {
            self.next_hop_of(t, p, &s)
        } else if let Some(&(port, mac)) = self.hosts.get(&(t, p)) {
            self.adjacency(port, mac).map(|a| self.hops.adj(a))
        } else {
            None
        };
        let old = self.table(t).installed.get(&p).copied();
        if old == nh {
            return;
        }
        if let Some(n) = nh {
            self.hops.acquire(n);
        }
        if let Some(o) = old {
            self.hops.release(o);
        }
        let tab = self.table(t);
        match nh {
            Some(nh) => {
                // Next-hop ids here are small: an insert cannot fail on their size.
                let _ = tab.fib.insert(p, nh);
                tab.installed.insert(p, nh);
            }
            None => {
                tab.fib.remove(p);
                tab.installed.remove(&p);
            }
        }
        tab.changed = true;
    }

    /// A snapshot of the current state; tables and next hops that did not change since the
    /// last one are shared with it. The generation is left 0: the publisher numbers them.
    pub fn snapshot(&mut self) -> Snapshot {
        // First: it may add adjacencies.
        self.refresh_lfib();
        let mut tables: Vec<Option<Arc<FibTable>>> = vec![None; TableId::MAX_TABLES];
        let n = self.plan.tables.len().max(1);
        for (i, slot) in tables.iter_mut().enumerate().take(n) {
            let tab = self.table(TableId(i as u16));
            if tab.changed || tab.published.is_none() {
                tab.published = Some(tab.fib.publish());
                tab.changed = false;
            }
            *slot = tab.published.clone();
        }
        if self.hops.grew {
            self.next_hops = Arc::new(NextHops {
                hops: self.hops.hops.clone(),
                members: self.hops.members.clone(),
                adjacencies: self.hops.adjacencies.clone(),
            });
            self.hops.grew = false;
        }
        let (port_vrf, vrf_table, ports, tunnels, vlans) = self
            .port_meta
            .get_or_insert_with(|| port_meta(&self.plan, &self.fdb))
            .clone();
        Snapshot {
            generation: 0,
            tables: tables.into(),
            lfib: self.labels.lfib.clone(),
            next_hops: self.next_hops.clone(),
            port_vrf,
            vrf_table,
            ports,
            firewall: self.firewall.clone(),
            rp_filter: self.plan.rp_filter,
            propagate_ttl: self.plan.mpls.propagate_ttl,
            tunnels,
            vlans,
        }
    }
}

/// The per-port and per-VRF arrays of a snapshot, its tunnels and its VLANs.
type PortMeta = (
    Arc<[VrfId]>,
    Arc<[TableId]>,
    Arc<[PortIface]>,
    Arc<shared::tunnel::Tunnels>,
    Arc<shared::vlan::Vlans>,
);

fn port_meta(plan: &Plan, fdb: &shared::tunnel::Fdb) -> PortMeta {
    let dpdk = || plan.ports.iter().filter(|p| p.is_dpdk());
    let max_port = dpdk().map(|p| usize::from(p.id) + 1).max();
    let mut port_vrf = vec![VrfId::MAIN; max_port.unwrap_or(0)];
    let mut ports = vec![
        PortIface {
            mac: [0; 6],
            ipv4: None,
            mtu: 1500,
            mpls_input: false,
            mpls_mtu: shared::snapshot::DEFAULT_MPLS_MTU,
        };
        max_port.unwrap_or(0)
    ];
    for p in dpdk() {
        port_vrf[usize::from(p.id)] = p.vrf;
        ports[usize::from(p.id)] = iface_of(p);
    }
    let vrf_table = if plan.vrf_table.is_empty() {
        vec![TableId::MAIN]
    } else {
        plan.vrf_table.clone()
    };
    let mut tunnels = tunnels_of(plan, &vrf_table);
    // Only what is behind a VTEP the tunnel still has.
    tunnels.fdb = fdb
        .iter()
        .filter(|((port, _), v)| tunnels.vteps_of(PortId(*port)).contains(v))
        .map(|(k, v)| (*k, *v))
        .collect();
    let tunnels = Arc::new(tunnels);
    let vlans = Arc::new(vlans_of(plan));
    (
        port_vrf.into(),
        vrf_table.into(),
        ports.into(),
        tunnels,
        vlans,
    )
}

/// What the pipeline reads of port or VLAN `p`.
fn iface_of(p: &crate::plan::PortPlan) -> PortIface {
    PortIface {
        mac: p.mac,
        ipv4: p.addrs.first().map(|a| a.0).filter(|_| p.enabled),
        mtu: p.mtu,
        mpls_input: p.mpls.is_some() && p.enabled,
        mpls_mtu: p.mpls.unwrap_or(shared::snapshot::DEFAULT_MPLS_MTU),
    }
}

/// The snapshot's VLAN interfaces: one per VLAN port, at its id's place.
fn vlans_of(plan: &Plan) -> shared::vlan::Vlans {
    let mut list = Vec::new();
    for p in &plan.ports {
        let Some(v) = &p.vlan else { continue };
        let mut tags = [shared::vlan::Tag::default(); shared::vlan::MAX_TAGS];
        for (slot, t) in tags.iter_mut().zip(&v.tags) {
            *slot = *t;
        }
        list.push(shared::vlan::Vlan {
            id: PortId(p.id),
            port: PortId(v.port),
            tags,
            depth: v.tags.len() as u8,
            up: p.enabled,
            vrf: p.vrf,
            iface: iface_of(p),
            wire: Default::default(),
        });
    }
    shared::vlan::Vlans::new(list)
}

/// The snapshot's tunnels: one per tunnel port, at its id's place.
fn tunnels_of(plan: &Plan, vrf_table: &[TableId]) -> shared::tunnel::Tunnels {
    let mut list = Vec::new();
    let mut vteps = Vec::new();
    for p in &plan.ports {
        let Some(t) = &p.tunnel else { continue };
        vteps.push(t.vteps.clone().into_boxed_slice());
        let underlay = t
            .underlay
            .and_then(|v| vrf_table.get(usize::from(v.0)).copied());
        list.push(shared::tunnel::Tunnel {
            id: PortId(p.id),
            kind: t.kind,
            up: p.enabled && t.runnable() && underlay.is_some(),
            vrf: p.vrf,
            underlay: underlay.unwrap_or(TableId::MAIN),
            local: t.local.unwrap_or(0),
            remote: t.remote,
            iface: PortIface {
                mac: p.mac,
                ipv4: p.addrs.first().map(|a| a.0).filter(|_| p.enabled),
                mtu: p.mtu,
                mpls_input: false,
                mpls_mtu: shared::snapshot::DEFAULT_MPLS_MTU,
            },
            dscp: t.dscp,
            df_inherit: t.df_inherit,
            clamp_mss: t.clamp_mss,
        });
    }
    shared::tunnel::Tunnels::new(list, vteps)
}

/// The snapshot for `plan` with the `usable` neighbours, built from nothing.
pub fn build(plan: &Plan, usable: HashMap<Key, [u8; 6]>) -> Snapshot {
    let mut b = Builder::new();
    b.apply_plan(plan.clone());
    b.set_neighbors(usable);
    b.snapshot()
}

#[cfg(test)]
mod tests;
