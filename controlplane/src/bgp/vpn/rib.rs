//! VPN-IPv4 routes received from peers (RFC 4364 §4.3.4, §9): kept by (route
//! distinguisher, prefix), one path per peer, the best by local preference, then AS path
//! length, then the lowest peer; imported into every VRF whose `import.route-targets` meet the
//! best path's route targets, as RouterOS shows them: `DAy`, distance 200, the next hop (the
//! remote PE) resolved in main, the VPN label to push under the transport label. A prefix
//! imported into one VRF under several RDs comes from the lowest RD. Pure: the BGP instance
//! feeds it UPDATEs and takes the RIB's changes.

use super::codec::{self, Labelled, Rd};
use crate::bgp::instance::PeerId;
use crate::bgp::packet::Attrs;
use crate::route::{Gateway, RouteSpec, Source};
use crate::system::rib_service::Change;
use shared::adj::LabelStack;
use shared::types::{Label, Prefix4, TableId};
use smallvec::SmallVec;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

/// The VRFs a route is placed in, usually one or two.
type Tables = SmallVec<[TableId; 2]>;

/// What one (table, prefix) is offered, by RD (sorted; the lowest first), usually one.
type Offers = SmallVec<[(Rd, RouteSpec); 1]>;

/// Where an imported route's next hop is resolved: the main table.
const MAIN: TableId = TableId(0);

/// One peer's path for an (RD, prefix).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VpnPath {
    /// The peer.
    pub peer: PeerId,
    /// The VPN label it asks to be pushed.
    pub label: u32,
    /// The remote PE.
    pub next_hop: u32,
    /// LOCAL_PREF (100 when absent).
    pub local_pref: u32,
    /// AS path length.
    pub path_len: usize,
    /// Its route targets (one copy per UPDATE).
    pub rts: Arc<[u64]>,
    /// Every attribute as received (one copy per UPDATE), for reflection.
    pub attrs: Arc<Attrs>,
}

/// The attributes an UPDATE gives all its VPN routes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathAttrs {
    /// The remote PE.
    pub next_hop: u32,
    /// LOCAL_PREF (100 when absent).
    pub local_pref: u32,
    /// AS path length.
    pub path_len: usize,
    /// The extended communities (route targets kept).
    pub ext_communities: Vec<u64>,
    /// Every attribute as received, for reflection.
    pub full: Arc<Attrs>,
}

/// The received VPN routes and what they import.
#[derive(Debug, Default)]
pub struct VpnRib {
    /// VRF tables and the route targets each imports.
    imports: Vec<(TableId, Vec<u64>)>,
    /// The same by route target: the tables that import it.
    by_rt: HashMap<u64, Tables>,
    paths: HashMap<(Rd, Prefix4), SmallVec<[VpnPath; 1]>>,
    dirty: BTreeSet<(Rd, Prefix4)>,
    /// Where each (RD, prefix) is imported now.
    placed: HashMap<(Rd, Prefix4), Tables>,
    /// What each (table, prefix) is offered, by RD (sorted; the lowest first).
    offers: rustc_hash::FxHashMap<(TableId, Prefix4), Offers>,
    /// (RD, prefix) whose paths changed since the last [`VpnRib::take_changed`].
    changed: Vec<(Rd, Prefix4)>,
}

impl VpnRib {
    /// The VRFs and their import route targets (all routes are looked at again).
    pub fn set_imports(&mut self, imports: Vec<(TableId, Vec<u64>)>) {
        if imports != self.imports {
            self.by_rt.clear();
            for (t, rts) in &imports {
                for rt in rts {
                    let v = self.by_rt.entry(*rt).or_default();
                    if !v.contains(t) {
                        v.push(*t);
                    }
                }
            }
            self.imports = imports;
            self.dirty.extend(self.paths.keys().copied());
            self.dirty.extend(self.placed.keys().copied());
        }
    }

    /// The (RD, prefix) whose paths changed in the flushes since the last call (what a
    /// route reflector sends again).
    pub fn take_changed(&mut self) -> Vec<(Rd, Prefix4)> {
        std::mem::take(&mut self.changed)
    }

    /// Every (RD, prefix) held.
    pub fn keys(&self) -> impl Iterator<Item = &(Rd, Prefix4)> {
        self.paths.keys()
    }

    /// How many (RD, prefix) are held.
    pub fn len(&self) -> usize {
        self.paths.len()
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.paths.is_empty()
    }

    /// How many routes `peer` has given.
    pub fn received(&self, peer: PeerId) -> usize {
        self.paths
            .values()
            .filter(|v| v.iter().any(|p| p.peer == peer))
            .count()
    }

    /// Routes announced by `peer` with `attrs`.
    pub fn announce(&mut self, peer: PeerId, routes: &[Labelled], attrs: &PathAttrs) {
        let rts: Arc<[u64]> = attrs
            .ext_communities
            .iter()
            .copied()
            .filter(|&ec| codec::is_route_target(ec))
            .collect();
        for r in routes {
            let (Some(rd), Some(&label)) = (r.rd, r.labels.first()) else {
                continue;
            };
            let path = VpnPath {
                peer,
                label,
                next_hop: attrs.next_hop,
                local_pref: attrs.local_pref,
                path_len: attrs.path_len,
                rts: rts.clone(),
                attrs: attrs.full.clone(),
            };
            let v = self.paths.entry((rd, r.prefix)).or_default();
            match v.iter_mut().find(|p| p.peer == peer) {
                Some(p) => *p = path,
                None => v.push(path),
            }
            self.dirty.insert((rd, r.prefix));
        }
    }

    /// Routes withdrawn by `peer`.
    pub fn withdraw(&mut self, peer: PeerId, routes: &[Labelled]) {
        for r in routes {
            if let Some(rd) = r.rd {
                self.remove(peer, (rd, r.prefix));
            }
        }
    }

    /// `peer` went: its routes go.
    pub fn peer_down(&mut self, peer: PeerId) {
        let keys: Vec<(Rd, Prefix4)> = self
            .paths
            .iter()
            .filter(|(_, v)| v.iter().any(|p| p.peer == peer))
            .map(|(k, _)| *k)
            .collect();
        for k in keys {
            self.remove(peer, k);
        }
    }

    fn remove(&mut self, peer: PeerId, key: (Rd, Prefix4)) {
        if let Some(v) = self.paths.get_mut(&key) {
            v.retain(|p| p.peer != peer);
            if v.is_empty() {
                self.paths.remove(&key);
            }
            self.dirty.insert(key);
        }
    }

    /// The attributes of the VPN route imported into (`table`, `dst`), as received.
    pub fn attrs_for(&self, table: TableId, dst: Prefix4) -> Option<Arc<Attrs>> {
        let (rd, _) = self.offers.get(&(table, dst))?.first()?;
        Some(self.best(&(*rd, dst))?.attrs.clone())
    }

    /// Every path of `key`.
    pub fn paths(&self, key: &(Rd, Prefix4)) -> &[VpnPath] {
        self.paths.get(key).map_or(&[], |v| v.as_slice())
    }

    /// The best path of `key`.
    pub fn best(&self, key: &(Rd, Prefix4)) -> Option<&VpnPath> {
        self.paths
            .get(key)?
            .iter()
            .min_by_key(|p| (std::cmp::Reverse(p.local_pref), p.path_len, p.peer))
    }

    /// The route `best` puts into `table`.
    fn spec(table: TableId, dst: Prefix4, best: &VpnPath) -> Option<RouteSpec> {
        let label = Label::try_from(best.label).ok()?;
        Some(RouteSpec {
            table,
            dst,
            source: Source::BgpVpn,
            distance: super::leak::DISTANCE,
            scope: 40,
            target_scope: 30,
            gateways: smallvec::smallvec![Gateway::Ip {
                ip: best.next_hop,
                table: MAIN,
                port: None,
            }],
            blackhole: false,
            labels: LabelStack::new(&[label]).unwrap_or_default(),
        })
    }

    /// The RIB's changes for what changed since the last flush: one per (table, prefix)
    /// whose choice changed, whatever the order the offers changed in.
    pub fn flush(&mut self, out: &mut Vec<Change>) {
        let mut touched: BTreeMap<(TableId, Prefix4), Option<RouteSpec>> = BTreeMap::new();
        for key in std::mem::take(&mut self.dirty) {
            self.changed.push(key);
            let best = self.best(&key).cloned();
            let mut now = Tables::new();
            for rt in best.iter().flat_map(|b| b.rts.iter()) {
                for t in self.by_rt.get(rt).into_iter().flatten() {
                    if !now.contains(t) {
                        now.push(*t);
                    }
                }
            }
            let before = self.placed.remove(&key).unwrap_or_default();
            for &t in before.iter().chain(&now) {
                let spec = best
                    .as_ref()
                    .filter(|_| now.contains(&t))
                    .and_then(|b| Self::spec(t, key.1, b));
                let offers = self.offers.entry((t, key.1)).or_default();
                touched
                    .entry((t, key.1))
                    .or_insert_with(|| offers.first().map(|o| o.1.clone()));
                let at = offers.binary_search_by_key(&key.0, |o| o.0);
                match (spec, at) {
                    (Some(s), Ok(i)) => offers[i].1 = s,
                    (Some(s), Err(i)) => offers.insert(i, (key.0, s)),
                    (None, Ok(i)) => {
                        offers.remove(i);
                    }
                    (None, Err(_)) => {}
                }
            }
            if !now.is_empty() {
                self.placed.insert(key, now);
            }
        }
        for ((table, dst), before) in touched {
            let after = self
                .offers
                .get(&(table, dst))
                .and_then(|o| o.first().map(|o| o.1.clone()));
            if after.is_none() {
                self.offers.remove(&(table, dst));
            }
            match (before, after) {
                (b, Some(a)) if b.as_ref() != Some(&a) => out.push(Change::Upsert(a)),
                (Some(_), None) => out.push(Change::Withdraw { table, dst }),
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests;
