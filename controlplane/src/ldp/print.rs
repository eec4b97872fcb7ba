//! `/mpls ldp neighbor`, `/mpls ldp local-mapping`, `/mpls ldp remote-mapping` and `/mpls
//! forwarding-table` prints: the instances' state as items for the print engine. Flags are
//! `_flag<letter>` keys (the print engine's convention for live items).

use super::instance::View;
use super::Ldp;
use crate::config::store::Item;
use crate::plan::Plan;
use std::collections::BTreeMap;
use std::net::Ipv4Addr;

/// A label as RouterOS prints it.
pub fn label_text(l: u32) -> String {
    match l {
        0 => "expl-null".into(),
        1 => "alert".into(),
        2 => "expl-null6".into(),
        3 => "impl-null".into(),
        l => l.to_string(),
    }
}

fn ip(a: u32) -> String {
    Ipv4Addr::from(a).to_string()
}

fn peer(id: u32) -> String {
    format!("{}:0", ip(id))
}

struct Items {
    out: Vec<Item>,
}

impl Items {
    fn push(&mut self, values: BTreeMap<String, String>, flags: &str) {
        let mut values = values;
        for c in flags.chars() {
            values.insert(format!("_flag{c}"), "yes".into());
        }
        let id = self.out.len() as u32;
        self.out.push(Item::live(id, values));
    }
}

fn map(pairs: &[(&str, String)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect()
}

/// The interface through which `vrf` reaches neighbour `nh` on link.
fn interface_to(plan: &Plan, vrf: &str, nh: u32) -> String {
    let vrf_id = plan.vrfs.iter().position(|v| v == vrf).unwrap_or(0);
    plan.ports
        .iter()
        .filter(|p| usize::from(p.vrf.0) == vrf_id)
        .find(|p| {
            p.addrs
                .iter()
                .any(|&(a, l)| (a ^ nh) & shared::types::mask(l) == 0)
        })
        .map(|p| p.name.clone())
        .unwrap_or_default()
}

impl Ldp {
    fn views(&self) -> Vec<View> {
        self.speaker.views()
    }

    /// `/mpls ldp neighbor` items.
    pub fn neighbor_items(&self) -> Vec<Item> {
        let mut items = Items { out: Vec::new() };
        for v in self.views() {
            for n in &v.neighbors {
                let addrs: Vec<String> = n.addresses.iter().map(|a| ip(*a)).collect();
                let mut flags = String::from("D");
                if n.operational {
                    flags.push('O');
                }
                if n.passive {
                    flags.push('p');
                }
                items.push(
                    map(&[
                        ("transport", ip(n.transport)),
                        ("local-transport", ip(n.local_transport)),
                        ("peer", peer(n.peer)),
                        ("addresses", addrs.join(",")),
                        ("vrf", v.vrf.clone()),
                        ("last-error", n.last_error.clone()),
                    ]),
                    &flags,
                );
            }
        }
        items.out
    }

    /// `/mpls ldp local-mapping` items.
    pub fn local_mapping_items(&self) -> Vec<Item> {
        let mut items = Items { out: Vec::new() };
        for v in self.views() {
            for (p, l, peers) in &v.local {
                let peers: Vec<String> = peers.iter().map(|x| peer(*x)).collect();
                let flags = if *l <= 15 { "DEL" } else { "DG" };
                items.push(
                    map(&[
                        ("vrf", v.vrf.clone()),
                        ("dst-address", p.to_string()),
                        ("label", label_text(*l)),
                        ("peers", peers.join(",")),
                    ]),
                    flags,
                );
            }
        }
        items.out
    }

    /// `/mpls ldp remote-mapping` items.
    pub fn remote_mapping_items(&self) -> Vec<Item> {
        let mut items = Items { out: Vec::new() };
        for v in self.views() {
            for (p, from, l, nh) in &v.remote {
                items.push(
                    map(&[
                        ("vrf", v.vrf.clone()),
                        ("dst-address", p.to_string()),
                        ("nexthop", nh.map(ip).unwrap_or_default()),
                        ("label", label_text(*l)),
                        ("peer", peer(*from)),
                    ]),
                    if nh.is_some() { "D" } else { "ID" },
                );
            }
        }
        items.out
    }

    /// `/mpls forwarding-table` items.
    pub fn forwarding_items(&self, plan: &Plan) -> Vec<Item> {
        let mut items = Items { out: Vec::new() };
        for v in self.views() {
            for (l, p, to) in &v.forwarding {
                let nexthops = match to {
                    Some((nh, out)) => format!(
                        "{{ label={}; nh={}; interface={} }}",
                        label_text(*out),
                        ip(*nh),
                        interface_to(plan, &v.vrf, *nh)
                    ),
                    None => String::new(),
                };
                items.push(
                    map(&[
                        ("label", l.to_string()),
                        ("vrf", v.vrf.clone()),
                        ("prefix", p.to_string()),
                        ("nexthops", nexthops),
                        ("type", "ldp".into()),
                    ]),
                    "L",
                );
            }
        }
        items.out
    }
}
