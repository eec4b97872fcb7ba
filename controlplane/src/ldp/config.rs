//! What an LDP instance runs with, read from `/mpls ldp`, `/mpls ldp interface`, `/mpls
//! settings` and the plan (addresses, VRFs, tables).

use crate::config::store::{m, Store};
use crate::plan::Plan;
use shared::types::TableId;
use std::net::Ipv4Addr;

/// One interface LDP runs on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IfConfig {
    /// The port.
    pub port: u16,
    /// Its name.
    pub name: String,
    /// Its first address and prefix length (Hellos go from it).
    pub addr: (u32, u8),
    /// Every network of the interface (a Hello's source must be on one).
    pub nets: Vec<(u32, u8)>,
    /// Seconds between Hellos.
    pub hello: u16,
    /// The hold time offered (s).
    pub hold: u16,
    /// A transport address of its own (`transport-addresses`), else the instance's.
    pub transport: Option<u32>,
}

/// One LDP instance (one per VRF).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceConfig {
    /// The `/mpls ldp` item's id (the instance's number).
    pub id: u32,
    /// Its VRF.
    pub vrf: String,
    /// The VRF's number.
    pub vrf_id: usize,
    /// The VRF's table.
    pub table: TableId,
    /// LSR id.
    pub lsr_id: u32,
    /// Transport address (sessions are made from and to it).
    pub transport: u32,
    /// `use-explicit-null`.
    pub explicit_null: bool,
    /// `distribute-for-default`.
    pub default_route: bool,
    /// `/mpls settings dynamic-label-range`.
    pub label_range: (u32, u32),
    /// The interfaces it runs on.
    pub interfaces: Vec<IfConfig>,
    /// The router's addresses in the VRF (advertised to peers in Address messages).
    pub addresses: Vec<u32>,
}

/// An instance that cannot run, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inactive {
    /// The item's id.
    pub id: u32,
    /// Why.
    pub why: String,
}

fn secs(v: Option<&str>, default: u16) -> u16 {
    v.and_then(crate::config::value::time)
        .map(|ms| (ms / 1000).clamp(1, 65_535) as u16)
        .unwrap_or(default)
}

fn first_ip(v: Option<&str>) -> Option<u32> {
    v?.split(',')
        .find_map(|a| a.parse::<Ipv4Addr>().ok())
        .map(u32::from)
}

/// Every enabled instance: those that can run, and those that cannot with why.
pub fn instances(store: &Store, plan: &Plan) -> (Vec<InstanceConfig>, Vec<Inactive>) {
    let menu = m(&["mpls", "ldp"]);
    let if_menu = m(&["mpls", "ldp", "interface"]);
    let (mut ok, mut bad) = (Vec::new(), Vec::new());
    for it in store.items(menu).iter().filter(|it| !it.disabled()) {
        let fail = |why: &str| Inactive {
            id: it.id,
            why: why.to_owned(),
        };
        let vrf = it.get(menu, "vrf").unwrap_or("main").to_owned();
        let Some(vrf_id) = plan.vrfs.iter().position(|v| *v == vrf) else {
            bad.push(fail(&format!("VRF {vrf} does not exist")));
            continue;
        };
        if !it
            .get(menu, "afi")
            .unwrap_or("ip")
            .split(',')
            .any(|a| a == "ip")
        {
            bad.push(fail("afi has no ip: rspe's LDP serves IPv4"));
            continue;
        }
        let table = plan.vrf_table[vrf_id];
        let Some(lsr_id) = first_ip(it.get(menu, "lsr-id")).or_else(|| plan.auto_id(vrf_id)) else {
            bad.push(fail("no lsr-id: no address to take one from; set lsr-id="));
            continue;
        };
        let transport = first_ip(it.get(menu, "transport-addresses")).unwrap_or(lsr_id);
        let in_vrf = |v: shared::types::VrfId| usize::from(v.0) == vrf_id;
        let mut interfaces = Vec::new();
        for li in store.items(if_menu).iter().filter(|i| !i.disabled()) {
            let name = li.get(if_menu, "interface").unwrap_or("");
            for p in plan.ports.iter().filter(|p| p.enabled && in_vrf(p.vrf)) {
                if (name != p.name && name != "all")
                    || interfaces.iter().any(|i: &IfConfig| i.port == p.id)
                {
                    continue;
                }
                let Some(&addr) = p.addrs.first() else {
                    continue;
                };
                interfaces.push(IfConfig {
                    port: p.id,
                    name: p.name.clone(),
                    addr,
                    nets: p.addrs.clone(),
                    hello: secs(li.get(if_menu, "hello-interval"), 5),
                    hold: secs(li.get(if_menu, "hold-time"), 15),
                    transport: first_ip(li.get(if_menu, "transport-addresses")),
                });
            }
        }
        let mut addresses: Vec<u32> = plan
            .ports
            .iter()
            .filter(|p| p.enabled && in_vrf(p.vrf))
            .flat_map(|p| p.addrs.iter().map(|a| a.0))
            .chain(
                plan.loopbacks
                    .iter()
                    .filter(|l| l.enabled && in_vrf(l.vrf))
                    .flat_map(|l| l.addrs.iter().map(|a| a.0)),
            )
            .collect();
        addresses.sort_unstable();
        addresses.dedup();
        ok.push(InstanceConfig {
            id: it.id,
            vrf,
            vrf_id,
            table,
            lsr_id,
            transport,
            explicit_null: it.get(menu, "use-explicit-null") == Some("yes"),
            default_route: it.get(menu, "distribute-for-default") == Some("yes"),
            label_range: plan.mpls.label_range,
            interfaces,
            addresses,
        });
    }
    (ok, bad)
}
