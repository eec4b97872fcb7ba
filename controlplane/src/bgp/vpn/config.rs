//! What `/routing bgp vpn` asks for, read with the plan: each entry's VRF and table, its
//! route distinguisher, the route targets it imports and exports, and the sources of the
//! VRF's routes it exports.

use super::codec::{route_target, Rd};
use crate::config::store::{m, Store};
use crate::plan::Plan;
use crate::rib::Source;
use crate::system::speaker::Inactive;
use shared::types::TableId;

/// One `/routing bgp vpn` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VpnEntry {
    /// Its item id.
    pub id: u32,
    /// Its name.
    pub name: String,
    /// Its VRF's name.
    pub vrf: String,
    /// Its VRF's table.
    pub table: TableId,
    /// `route-distinguisher` (`None`: the entry exports nothing, as RouterOS keeps it).
    pub rd: Option<Rd>,
    /// `import.route-targets`, as extended communities.
    pub import: Vec<u64>,
    /// `export.route-targets`, as extended communities.
    pub export: Vec<u64>,
    /// `export.redistribute`: which of the VRF's routes become VPN routes.
    pub redistribute: Vec<Source>,
    /// `label-allocation-policy=per-prefix` (else per VRF).
    pub per_prefix: bool,
}

/// Every enabled entry, as the speaker runs them (item id 1 stands for the whole).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct VpnConfig {
    /// The entries, by item order.
    pub entries: Vec<VpnEntry>,
}

impl crate::system::speaker::Instance for VpnConfig {
    fn id(&self) -> u32 {
        1
    }
}

fn targets(v: Option<&str>) -> Vec<u64> {
    v.unwrap_or("")
        .split(',')
        .filter_map(route_target)
        .collect()
}

/// The sources `export.redistribute` names that rspe has (the rest have no routes here).
pub fn sources(v: &str) -> Vec<Source> {
    v.split(',')
        .filter_map(|s| match s {
            "connected" => Some(Source::Connected),
            "static" => Some(Source::Static),
            "ospf" => Some(Source::Ospf),
            "bgp" => Some(Source::Bgp),
            _ => None,
        })
        .collect()
}

/// The entries that can run, and those that cannot with why.
pub fn entries(store: &Store, plan: &Plan) -> (VpnConfig, Vec<Inactive>) {
    let vm = m(&["routing", "bgp", "vpn"]);
    let (mut ok, mut bad) = (Vec::new(), Vec::new());
    for it in store.items(vm).iter().filter(|i| !i.disabled()) {
        let vrf = it.get(vm, "vrf").unwrap_or("main").to_owned();
        let Some(vrf_id) = plan.vrfs.iter().position(|v| *v == vrf) else {
            bad.push(Inactive {
                id: it.id,
                why: format!("VRF {vrf} does not exist"),
            });
            continue;
        };
        let shorthand = it.get(vm, "route-targets");
        ok.push(VpnEntry {
            id: it.id,
            name: it.values.get("name").cloned().unwrap_or_default(),
            vrf,
            table: plan.vrf_table[vrf_id],
            rd: it.get(vm, "route-distinguisher").and_then(Rd::parse),
            import: targets(it.get(vm, "import.route-targets").or(shorthand)),
            export: targets(it.get(vm, "export.route-targets").or(shorthand)),
            redistribute: sources(it.get(vm, "export.redistribute").unwrap_or("")),
            per_prefix: it.get(vm, "label-allocation-policy") == Some("per-prefix"),
        });
    }
    (VpnConfig { entries: ok }, bad)
}
