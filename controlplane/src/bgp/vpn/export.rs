//! Export of a VRF's routes as VPN-IPv4 routes (RFC 4364 §4.3.1-§4.3.2): every route the
//! RIB selected in the VRF's table whose source `export.redistribute` names becomes a VPN
//! route with the entry's route distinguisher, its export route targets and a label. With
//! `label-allocation-policy=per-vrf` one label per VRF pops and looks the packet up in the
//! VRF's table; with `per-prefix` each route has its own label, which pops and looks up in
//! the VRF's table too (not straight to the route's gateway: see docs/architecture.md). Labels come from the router's pool (LDP's too) and are bound
//! in the LFIB through the RIB service. Pure: the BGP instance tells it what the RIB and its
//! own best paths hold, and sends what changed to its peers.

use super::codec::Rd;
use super::config::VpnEntry;
use crate::bgp::packet::Attrs;
use crate::rib::builder::LabelWant;
use crate::route::Source;
use crate::system::rib_service::LabelPool;
use shared::types::{Label, Prefix4, TableId};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

/// The owner number of the VPN labels in the RIB service's label batches (LDP's instances
/// use their item ids).
pub const LABEL_OWNER: u32 = u32::MAX - 1;

/// A route of a VRF as export needs it: its source and its first gateway (0: on link).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// The source of the route the RIB selected.
    pub source: Source,
    /// Its first immediate next hop's address (0 for a connected network).
    pub gateway: u32,
    /// A BGP route's attributes (a CE's AS path goes on in the VPN, RFC 4364 §4.3.2).
    pub attrs: Option<Arc<Attrs>>,
}

/// One exported VPN route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exported {
    /// The VRF table it comes from.
    pub table: TableId,
    /// The label that brings packets back to it.
    pub label: u32,
    /// Its route targets.
    pub rts: Arc<[u64]>,
    /// The source of the VRF route.
    pub source: Source,
    /// The `/routing bgp vpn` entry that exports it.
    pub entry: Arc<str>,
    /// A BGP route's attributes as received from the CE.
    pub attrs: Option<Arc<Attrs>>,
}

/// The exported routes and their labels.
#[derive(Default)]
pub struct Exports {
    /// The entries that export (those with a route distinguisher).
    entries: Vec<VpnEntry>,
    /// Their names, shared by their routes.
    names: Vec<Arc<str>>,
    /// The tables they export from.
    tables: std::collections::HashSet<TableId>,
    pool: Option<LabelPool>,
    /// Per-VRF labels.
    vrf_labels: BTreeMap<TableId, u32>,
    /// Per-prefix labels and the gateway of each route (0: on link).
    prefix_labels: HashMap<(TableId, Prefix4), (u32, u32)>,
    /// What the RIB selected, from sources other than BGP.
    rib: HashMap<(TableId, Prefix4), Candidate>,
    /// BGP's best paths (the gateway and the attributes), for `export.redistribute=bgp`.
    bgp: HashMap<(TableId, Prefix4), (u32, Arc<Attrs>)>,
    routes: BTreeMap<(Rd, Prefix4), Exported>,
    dirty: BTreeSet<(TableId, Prefix4)>,
    changed: BTreeSet<(Rd, Prefix4)>,
    lfib: Vec<(u32, Option<LabelWant>)>,
    /// Routes not exported for want of a label (the pool is exhausted).
    pub no_label: u64,
}

impl Exports {
    /// Follows `/routing bgp vpn` with the router's label pool: on any change every route
    /// is exported again (labels given back and taken anew).
    pub fn configure(&mut self, entries: Vec<VpnEntry>, pool: LabelPool) {
        let entries: Vec<VpnEntry> = entries.into_iter().filter(|e| e.rd.is_some()).collect();
        let same_pool = self.pool.as_ref().is_some_and(|p| Arc::ptr_eq(p, &pool));
        if entries == self.entries && same_pool {
            return;
        }
        let vrf: Vec<u32> = std::mem::take(&mut self.vrf_labels).into_values().collect();
        let prefix: Vec<u32> = self.prefix_labels.drain().map(|(_, (l, _))| l).collect();
        for l in vrf.into_iter().chain(prefix) {
            self.give_back(l);
        }
        self.changed
            .extend(std::mem::take(&mut self.routes).into_keys());
        self.dirty
            .extend(self.rib.keys().chain(self.bgp.keys()).copied());
        self.names = entries.iter().map(|e| Arc::from(e.name.as_str())).collect();
        self.tables = entries.iter().map(|e| e.table).collect();
        self.entries = entries;
        self.pool = Some(pool);
        let tables: BTreeSet<TableId> = self
            .entries
            .iter()
            .filter(|e| !e.per_prefix)
            .map(|e| e.table)
            .collect();
        for t in tables {
            if let Some(l) = self.take_label() {
                self.vrf_labels.insert(t, l);
                self.lfib.push((l, Some(LabelWant::PopLookup(t))));
            }
        }
    }

    fn take_label(&mut self) -> Option<u32> {
        let pool = self.pool.as_ref()?;
        crate::lock(pool).allocate().ok().map(Label::get)
    }

    fn give_back(&mut self, l: u32) {
        self.lfib.push((l, None));
        if let (Some(pool), Ok(l)) = (&self.pool, Label::try_from(l)) {
            crate::lock(pool).release(l);
        }
    }

    /// Whether any entry exports from `table`.
    pub fn exports_from(&self, table: TableId) -> bool {
        self.tables.contains(&table)
    }

    /// The RIB's selected route of (table, dst) is now `c` (`None`: none, or BGP's). A route
    /// imported or leaked from a VPN is never exported: it is not kept (a PE's VRFs hold a
    /// million of them).
    pub fn heard(&mut self, table: TableId, dst: Prefix4, c: Option<Candidate>) {
        let c = c.filter(|c| c.source != Source::BgpVpn);
        let old = match c.clone() {
            Some(c) => self.rib.insert((table, dst), c),
            None => self.rib.remove(&(table, dst)),
        };
        if old != c && self.exports_from(table) {
            self.dirty.insert((table, dst));
        }
    }

    /// BGP's best path of (table, dst) now has `gateway` and `attrs` (`None`: no path).
    pub fn bgp_best(&mut self, table: TableId, dst: Prefix4, best: Option<(u32, Arc<Attrs>)>) {
        if !self.exports_from(table) {
            self.bgp.remove(&(table, dst));
            return;
        }
        let old = match best.clone() {
            Some(b) => self.bgp.insert((table, dst), b),
            None => self.bgp.remove(&(table, dst)),
        };
        if old != best {
            self.dirty.insert((table, dst));
        }
    }

    /// What (table, dst) offers an entry exporting `sources`.
    fn candidate(&self, table: TableId, dst: Prefix4, sources: &[Source]) -> Option<Candidate> {
        match self.rib.get(&(table, dst)) {
            Some(c) => sources.contains(&c.source).then(|| c.clone()),
            None => self
                .bgp
                .get(&(table, dst))
                .filter(|_| sources.contains(&Source::Bgp))
                .map(|(gateway, attrs)| Candidate {
                    source: Source::Bgp,
                    gateway: *gateway,
                    attrs: Some(attrs.clone()),
                }),
        }
    }

    /// The label of a per-prefix route: taken once, bound to pop and look up in the VRF's
    /// table (the dataplane never switches a label from the core straight into a VRF's
    /// port: `mpls-other-vrf`), its gateway kept for the prints.
    fn prefix_label(&mut self, table: TableId, dst: Prefix4, c: &Candidate) -> Option<u32> {
        if let Some((l, gw)) = self.prefix_labels.get_mut(&(table, dst)) {
            *gw = c.gateway;
            return Some(*l);
        }
        let label = self.take_label()?;
        self.prefix_labels.insert((table, dst), (label, c.gateway));
        self.lfib.push((label, Some(LabelWant::PopLookup(table))));
        Some(label)
    }

    /// Applies what changed since the last call.
    pub fn flush(&mut self) {
        for (table, dst) in std::mem::take(&mut self.dirty) {
            let mut per_prefix_used = false;
            for i in 0..self.entries.len() {
                let e = &self.entries[i];
                let Some(rd) = e.rd.filter(|_| e.table == table) else {
                    continue;
                };
                let (per_prefix, rts) = (e.per_prefix, e.export.clone());
                let entry: Arc<str> = self.names[i].clone();
                let want = match self.candidate(table, dst, &e.redistribute.clone()) {
                    Some(c) => {
                        let label = if per_prefix {
                            per_prefix_used = true;
                            self.prefix_label(table, dst, &c)
                        } else {
                            self.vrf_labels.get(&table).copied()
                        };
                        if label.is_none() {
                            self.no_label += 1;
                        }
                        label.map(|label| Exported {
                            table,
                            label,
                            rts: rts.into(),
                            source: c.source,
                            entry,
                            attrs: c.attrs.clone(),
                        })
                    }
                    None => None,
                };
                let key = (rd, dst);
                let before = match &want {
                    Some(x) => self.routes.insert(key, x.clone()),
                    None => self.routes.remove(&key),
                };
                if before != want {
                    self.changed.insert(key);
                }
            }
            if !per_prefix_used {
                if let Some((l, _)) = self.prefix_labels.remove(&(table, dst)) {
                    self.give_back(l);
                }
            }
        }
    }

    /// The VPN routes that changed since the last call (announce what [`Exports::get`]
    /// has, withdraw the rest).
    pub fn take_changed(&mut self) -> Vec<(Rd, Prefix4)> {
        std::mem::take(&mut self.changed).into_iter().collect()
    }

    /// The label bindings to send to the RIB service.
    pub fn take_lfib(&mut self) -> Vec<(u32, Option<LabelWant>)> {
        std::mem::take(&mut self.lfib)
    }

    /// The exported route of `key`.
    pub fn get(&self, key: &(Rd, Prefix4)) -> Option<&Exported> {
        self.routes.get(key)
    }

    /// Every exported route.
    pub fn iter(&self) -> impl Iterator<Item = (&(Rd, Prefix4), &Exported)> {
        self.routes.iter()
    }

    /// How many routes are exported.
    pub fn len(&self) -> usize {
        self.routes.len()
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.routes.is_empty()
    }

    /// The labels bound for exported routes: (label, table, the prefix of a per-prefix
    /// label, the gateway it forwards to), by label.
    pub fn bindings(&self) -> Vec<(u32, TableId, Option<Prefix4>, Option<u32>)> {
        let mut out: Vec<_> = self
            .vrf_labels
            .iter()
            .map(|(t, l)| (*l, *t, None, None))
            .collect();
        for ((t, p), (l, gw)) in &self.prefix_labels {
            out.push((*l, *t, Some(*p), Some(*gw).filter(|&g| g != 0)));
        }
        out.sort();
        out
    }

    /// The per-VRF label of `table`.
    pub fn vrf_label(&self, table: TableId) -> Option<u32> {
        self.vrf_labels.get(&table).copied()
    }
}

#[cfg(test)]
mod tests;
