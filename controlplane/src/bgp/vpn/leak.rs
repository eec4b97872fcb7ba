//! Local leaking between VRFs by route targets, as RouterOS 7.14+ does it without any BGP
//! session: a VRF's route that an entry exports (its source in `export.redistribute`)
//! carries the entry's export route targets, and every other VRF with an entry importing
//! one of them gets it (`DAy`, distance 200, scope 40, target-scope 10), its gateway the
//! route's own next hop in the source VRF (`ether2@cust-a`, `10.1.0.2%ether2@cust-a`).
//! Never back into its own VRF; never a route imported from a VPN again (no loops); a
//! prefix offered by several VRFs is taken from the first table. Pure: the service in
//! `mod.rs` feeds it the RIB's events.

use super::config::VpnConfig;
use crate::route::{Gateway, RouteSpec, Source};
use crate::system::rib_service::{Best, Change};
use shared::types::{Prefix4, TableId};
use std::collections::BTreeMap;

/// Distance of an imported VPN route.
pub const DISTANCE: u8 = 200;

/// The tables `cfg` leaks routes of `table` into (an export RT of an entry on `table`
/// among the import RTs of an entry on another table).
pub fn targets(cfg: &VpnConfig, table: TableId) -> Vec<TableId> {
    let mut out: Vec<TableId> = Vec::new();
    for from in cfg
        .entries
        .iter()
        .filter(|e| e.table == table && e.rd.is_some())
    {
        for to in cfg.entries.iter().filter(|e| e.table != table) {
            if to.import.iter().any(|rt| from.export.contains(rt)) && !out.contains(&to.table) {
                out.push(to.table);
            }
        }
    }
    out
}

/// Whether a route of `source` in `table` is exported by an entry of `cfg`.
fn exported(cfg: &VpnConfig, table: TableId, source: Source) -> bool {
    source != Source::BgpVpn
        && cfg
            .entries
            .iter()
            .any(|e| e.table == table && e.rd.is_some() && e.redistribute.contains(&source))
}

/// The route leaked into `to` for `best` of `table`/`dst`, if it is leaked at all.
pub fn leaked(
    cfg: &VpnConfig,
    table: TableId,
    dst: Prefix4,
    best: &Best,
    to: TableId,
) -> Option<RouteSpec> {
    if best.blackhole || best.imm.is_empty() || !exported(cfg, table, best.source) {
        return None;
    }
    let gateways = best
        .imm
        .iter()
        .map(|i| match i.ip {
            0 => Gateway::Port(i.port),
            ip => Gateway::Ip {
                ip,
                table,
                port: Some(i.port),
            },
        })
        .collect();
    Some(RouteSpec {
        table: to,
        dst,
        source: Source::BgpVpn,
        distance: DISTANCE,
        scope: 40,
        target_scope: 10,
        gateways,
        blackhole: false,
        labels: Default::default(),
    })
}

/// What has been leaked, by (target table, prefix): the candidates by source table.
#[derive(Debug, Default)]
pub struct Leaks {
    offers: BTreeMap<(TableId, Prefix4), BTreeMap<TableId, RouteSpec>>,
}

impl Leaks {
    /// A change of `table`/`dst` (`best: None`: no route any more); the RIB changes it makes.
    pub fn event(
        &mut self,
        cfg: &VpnConfig,
        table: TableId,
        dst: Prefix4,
        best: Option<&Best>,
    ) -> Vec<Change> {
        let mut out = Vec::new();
        for to in targets(cfg, table) {
            let spec = best.and_then(|b| leaked(cfg, table, dst, b, to));
            let offers = self.offers.entry((to, dst)).or_default();
            let before = offers.values().next().cloned();
            match spec {
                Some(s) => offers.insert(table, s),
                None => offers.remove(&table),
            };
            let after = offers.values().next().cloned();
            if offers.is_empty() {
                self.offers.remove(&(to, dst));
            }
            match (before, after) {
                (b, Some(a)) if b.as_ref() != Some(&a) => out.push(Change::Upsert(a)),
                (Some(_), None) => out.push(Change::Withdraw { table: to, dst }),
                _ => {}
            }
        }
        out
    }

    /// How many routes are leaked.
    pub fn len(&self) -> usize {
        self.offers.len()
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.offers.is_empty()
    }
}

#[cfg(test)]
pub(crate) mod tests;
