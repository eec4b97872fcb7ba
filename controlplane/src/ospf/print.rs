//! `/routing ospf neighbor`, `/routing ospf interface` and `/routing ospf lsa` prints: the
//! instances' state as items for the print engine.

use super::instance::View;
use super::packet::{lsa_type, LsaBody};
use super::Ospf;
use crate::config::store::Item;
use std::collections::BTreeMap;
use std::net::Ipv4Addr;

fn ip(a: u32) -> String {
    Ipv4Addr::from(a).to_string()
}

fn item(n: usize, pairs: Vec<(&str, String)>) -> Item {
    let values: BTreeMap<String, String> = pairs
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
    Item::live(n as u32, values)
}

/// An address, or nothing for 0.0.0.0 (none).
fn opt_ip(a: u32) -> String {
    if a == 0 {
        String::new()
    } else {
        ip(a)
    }
}

/// The area as RouterOS prints it: its name (the id when the name is unknown).
fn area_name(c: &super::config::IfConfig) -> String {
    if c.area_name.is_empty() {
        ip(c.area)
    } else {
        c.area_name.clone()
    }
}

fn secs(s: u64) -> String {
    crate::config::value::fmt_time(s * 1000)
}

impl Ospf {
    fn views(&self) -> Vec<View> {
        self.speaker.views()
    }

    /// `/routing ospf neighbor` items.
    pub fn neighbor_items(&self) -> Vec<Item> {
        let mut out = Vec::new();
        for v in self.views() {
            for f in &v.ifaces {
                for n in f.nbrs.values() {
                    out.push(item(
                        out.len(),
                        vec![
                            ("instance", v.name.clone()),
                            ("area", area_name(&f.cfg)),
                            ("interface", f.cfg.name.clone()),
                            ("address", ip(n.addr)),
                            ("priority", n.priority.to_string()),
                            ("router-id", ip(n.id)),
                            // What the neighbour declares, else what the interface elected.
                            ("dr", opt_ip(if n.dr == 0 { f.dr } else { n.dr })),
                            ("bdr", opt_ip(if n.bdr == 0 { f.bdr } else { n.bdr })),
                            ("state", n.state.name().to_owned()),
                            ("state-changes", n.changes.to_string()),
                            ("ls-retransmits", n.retransmit.len().to_string()),
                            ("ls-requests", n.requests.len().to_string()),
                            ("db-summaries", n.summary.len().to_string()),
                        ],
                    ));
                }
            }
        }
        out
    }

    /// `/routing ospf interface` items.
    pub fn interface_items(&self) -> Vec<Item> {
        let mut out = Vec::new();
        for v in self.views() {
            let drops: Vec<String> = v.dropped.iter().map(|(k, n)| format!("{k}:{n}")).collect();
            let drops = drops.join(",");
            for f in &v.ifaces {
                let state = if f.cfg.passive {
                    "passive"
                } else {
                    f.state.name()
                };
                out.push(item(
                    out.len(),
                    vec![
                        ("address", format!("{}%{}", ip(f.cfg.addr.0), f.cfg.name)),
                        ("instance", v.name.clone()),
                        ("area", area_name(&f.cfg)),
                        ("state", state.to_owned()),
                        (
                            "network-type",
                            if f.cfg.ptp { "ptp" } else { "broadcast" }.to_owned(),
                        ),
                        ("dr", if f.dr == 0 { String::new() } else { ip(f.dr) }),
                        ("bdr", if f.bdr == 0 { String::new() } else { ip(f.bdr) }),
                        ("cost", f.cfg.cost.to_string()),
                        ("priority", f.cfg.priority.to_string()),
                        ("hello-interval", secs(u64::from(f.cfg.hello))),
                        ("dead-interval", secs(u64::from(f.cfg.dead))),
                        ("retransmit-interval", secs(u64::from(f.cfg.rxmt))),
                        ("instance-drops", drops.clone()),
                    ],
                ));
            }
        }
        out
    }

    /// `/routing ospf lsa` items.
    pub fn lsa_items(&self) -> Vec<Item> {
        let mut out = Vec::new();
        for v in self.views() {
            for (area, h, body) in &v.lsas {
                let kind = match h.key.kind {
                    lsa_type::ROUTER => "router",
                    lsa_type::NETWORK => "network",
                    lsa_type::SUMMARY => "summary-network",
                    lsa_type::ASBR_SUMMARY => "summary-asbr",
                    lsa_type::EXTERNAL => "external",
                    lsa_type::NSSA => "nssa",
                    _ => "unknown",
                };
                out.push(item(
                    out.len(),
                    vec![
                        ("instance", v.name.clone()),
                        ("area", area.map(ip).unwrap_or_default()),
                        ("type", kind.to_owned()),
                        ("originator", ip(h.key.adv)),
                        ("id", ip(h.key.id)),
                        ("sequence", format!("{:#x}", h.seq as u32)),
                        ("age", h.age.to_string()),
                        ("checksum", format!("{:#x}", h.checksum)),
                        ("body", body_text(body)),
                    ],
                ));
            }
        }
        out
    }
}

/// An LSA's body as RouterOS prints it (`name=value` pairs), on one line: a router-LSA's
/// links each in braces.
fn body_text(body: &LsaBody) -> String {
    use super::packet::link_type;
    match body {
        LsaBody::Router { flags, links } => {
            let mut f = Vec::new();
            for (bit, name) in [(4, "VIRTUAL-LINK"), (2, "EXTERNAL"), (1, "BORDER")] {
                if flags & bit != 0 {
                    f.push(name);
                }
            }
            let mut out = format!("flags={}", f.join(","));
            for l in links {
                let kind = match l.kind {
                    link_type::PTP => "Point-To-Point",
                    link_type::TRANSIT => "Transit",
                    link_type::STUB => "Stub",
                    _ => "Virtual",
                };
                out.push_str(&format!(
                    " {{ link-type={kind} id={} data={} metric={} }}",
                    ip(l.id),
                    ip(l.data),
                    l.metric
                ));
            }
            out
        }
        LsaBody::Network { mask, routers } => {
            let r: Vec<String> = routers.iter().map(|r| ip(*r)).collect();
            format!("netmask={} routers={}", ip(*mask), r.join(","))
        }
        LsaBody::Summary { mask, metric } => format!("netmask={} metric={metric}", ip(*mask)),
        LsaBody::External {
            mask,
            type2,
            metric,
            forward,
            tag,
        } => format!(
            "netmask={} forwarding-address={} metric={metric} type={} route-tag={tag}",
            ip(*mask),
            ip(*forward),
            if *type2 { 2 } else { 1 }
        ),
        LsaBody::Other => String::new(),
    }
}

/// One line for a packet in the trace (`RSPE_OSPF_TRACE=1`): its type and, for the
/// database packets, each LSA as type/id/originator/sequence/age.
pub fn trace_line(body: &super::packet::Body) -> String {
    use super::packet::{Body, LsaHeader};
    let h = |x: &LsaHeader| {
        let k = x.key;
        format!(
            "{}/{}/{}/{:x}/{}",
            k.kind,
            ip(k.id),
            ip(k.adv),
            x.seq,
            x.age
        )
    };
    let list = |v: Vec<String>| v.join(" ");
    match body {
        Body::Hello(x) => format!(
            "hello dr={} bdr={} nbrs={}",
            ip(x.dr),
            ip(x.bdr),
            x.neighbors.len()
        ),
        Body::Dd(d) => format!(
            "dd seq={} flags={:x} {}",
            d.seq,
            d.flags,
            list(d.headers.iter().map(h).collect())
        ),
        Body::Lsr(keys) => format!(
            "lsr {}",
            list(
                keys.iter()
                    .map(|k| format!("{}/{}/{}", k.kind, ip(k.id), ip(k.adv)))
                    .collect()
            )
        ),
        Body::Lsu(l) => format!("lsu {}", list(l.iter().map(|x| h(&x.header)).collect())),
        Body::Ack(a) => format!("ack {}", list(a.iter().map(h).collect())),
    }
}
