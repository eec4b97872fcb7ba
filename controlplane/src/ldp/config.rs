//! What an LDP instance runs with, read from `/mpls ldp`, `/mpls ldp interface`, `/mpls
//! settings` and the plan (addresses, VRFs, tables).

use crate::config::store::{m, Store};
use crate::plan::Plan;
pub use crate::system::speaker::Inactive;
use shared::types::{Prefix4, TableId};
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

/// One rule of `/mpls ldp advertise-filter` or `accept-filter`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// Bindings of prefixes within this one (any when `None`).
    pub prefix: Option<Prefix4>,
    /// With this neighbour, by LSR id or transport address (any when `None`).
    pub neighbor: Option<u32>,
    /// `advertise=` / `accept=`.
    pub allow: bool,
}

/// An ordered filter: the first rule that matches decides; no match allows.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Filter(pub Vec<Rule>);

impl Filter {
    /// Whether the binding of `p` with the neighbour (`lsr_id`, `transport`) passes.
    pub fn allows(&self, p: Prefix4, lsr_id: u32, transport: u32) -> bool {
        self.0
            .iter()
            .find(|r| {
                r.prefix
                    .is_none_or(|f| f.len() <= p.len() && f.contains(p.addr()))
                    && r.neighbor.is_none_or(|n| n == lsr_id || n == transport)
            })
            .is_none_or(|r| r.allow)
    }
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
    /// `/mpls ldp advertise-filter` of the VRF: which local bindings go to which peer.
    pub advertise: Filter,
    /// `/mpls ldp accept-filter` of the VRF: which peers' bindings are kept.
    pub accept: Filter,
}

/// The rules of filter menu `menu` (its allow parameter `allow`) for VRF `vrf`.
fn filter(store: &Store, path: &[&str], allow: &str, vrf: &str) -> Filter {
    let menu = m(path);
    Filter(
        store
            .items(menu)
            .iter()
            .filter(|it| !it.disabled() && it.get(menu, "vrf").unwrap_or("main") == vrf)
            .map(|it| Rule {
                prefix: it.get(menu, "prefix").and_then(|p| p.parse().ok()),
                neighbor: first_ip(it.get(menu, "neighbor")),
                allow: it.get(menu, allow) != Some("no"),
            })
            .collect(),
    )
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
            vrf: vrf.clone(),
            vrf_id,
            table,
            lsr_id,
            transport,
            explicit_null: it.get(menu, "use-explicit-null") == Some("yes"),
            default_route: it.get(menu, "distribute-for-default") == Some("yes"),
            label_range: plan.mpls.label_range,
            interfaces,
            addresses,
            advertise: filter(
                store,
                &["mpls", "ldp", "advertise-filter"],
                "advertise",
                &vrf,
            ),
            accept: filter(store, &["mpls", "ldp", "accept-filter"], "accept", &vrf),
        });
    }
    (ok, bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Prefix4 {
        s.parse().unwrap()
    }

    #[test]
    fn filters_take_the_first_match_and_allow_by_default() {
        let f = Filter(vec![
            Rule {
                prefix: Some(p("10.1.0.0/16")),
                neighbor: Some(0x0a05_0503),
                allow: true,
            },
            Rule {
                prefix: Some(p("10.0.0.0/8")),
                neighbor: None,
                allow: false,
            },
        ]);
        let (lsr, transport) = (0x0a05_0503, 0x0a02_0203);
        assert!(f.allows(p("10.1.2.0/24"), lsr, transport), "first rule");
        assert!(
            !f.allows(p("10.1.2.0/24"), 0x0101_0101, 0),
            "another neighbour: second rule"
        );
        assert!(!f.allows(p("10.0.0.0/8"), lsr, transport));
        assert!(
            f.allows(p("0.0.0.0/0"), lsr, transport),
            "wider than the rule: no match"
        );
        assert!(
            f.allows(p("192.168.0.0/24"), lsr, transport),
            "no match allows"
        );
        let by_transport = Filter(vec![Rule {
            prefix: None,
            neighbor: Some(transport),
            allow: false,
        }]);
        assert!(!by_transport.allows(p("192.168.0.0/24"), lsr, transport));
    }

    #[test]
    fn an_instance_reads_its_vrf_s_interfaces_and_filters() {
        let script = "/ip vrf add name=a interfaces=ether2\n\
            /interface bridge add name=lo0\n\
            /ip address add address=10.255.0.1/32 interface=lo0\n\
            /ip address add address=10.0.0.1/24 interface=ether1\n\
            /ip address add address=10.9.0.1/24 interface=ether2\n\
            /mpls ldp add lsr-id=10.255.0.1\n\
            /mpls ldp add vrf=a\n\
            /mpls ldp interface add interface=all hello-interval=2s hold-time=6s\n\
            /mpls ldp advertise-filter add prefix=10.0.0.0/8 advertise=no\n\
            /mpls ldp accept-filter add prefix=10.9.0.0/16 accept=no vrf=a";
        let (store, bases) = crate::plan::store_from_config(script, 2).unwrap();
        let plan = Plan::from_store(&store, &bases);
        let (ok, bad) = instances(&store, &plan);
        assert!(bad.is_empty(), "{bad:?}");
        let main = ok.iter().find(|c| c.vrf == "main").unwrap();
        let a = ok.iter().find(|c| c.vrf == "a").unwrap();
        assert_eq!((main.lsr_id, main.transport), (0x0aff_0001, 0x0aff_0001));
        assert_eq!(a.lsr_id, 0x0a09_0001, "the VRF's highest address");
        assert_eq!(main.interfaces.len(), 1);
        assert_eq!(
            (main.interfaces[0].name.as_str(), main.interfaces[0].hello),
            ("ether1", 2)
        );
        assert_eq!(a.interfaces[0].name, "ether2");
        assert_eq!(a.table, plan.vrf_table[1]);
        assert_eq!(main.advertise.0.len(), 1);
        assert!(main.accept.0.is_empty() && a.advertise.0.is_empty());
        assert_eq!(a.accept.0.len(), 1);
        assert!(main.addresses.contains(&0x0aff_0001) && !main.addresses.contains(&0x0a09_0001));
    }
}
