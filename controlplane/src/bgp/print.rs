//! `/routing bgp session print` and `/routing bgp advertisements print`: the speaker's
//! state as items for the print engine (presentation, kept with the protocol).

use super::{config, fsm, lock, packet, Bgp, SessionEntry};
use crate::config::store::Item;
use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::time::Duration;

/// The name of the VRF whose table is `t` (empty when none is).
fn vrf_name(plan: &crate::plan::Plan, t: shared::types::TableId) -> String {
    plan.vrf_table
        .iter()
        .position(|x| *x == t)
        .and_then(|i| plan.vrfs.get(i).cloned())
        .unwrap_or_default()
}

fn fmt_ms(d: Duration) -> String {
    crate::config::value::fmt_time(d.as_millis() as u64)
}

impl Bgp {
    /// `/routing bgp session` items.
    pub fn session_items(&self) -> Vec<Item> {
        let sessions: Vec<SessionEntry> = lock(&self.shared.sessions).values().cloned().collect();
        let inst = lock(&self.shared.instance);
        let mut out = Vec::new();
        for s in sessions {
            let v = lock(&s.view).clone();
            // RouterOS: no entry until TCP connected once.
            if v.remote_open.is_none() && v.local.is_none() {
                continue;
            }
            let mut m = BTreeMap::new();
            let mut put = |k: &str, val: String| {
                m.insert(k.to_owned(), val);
            };
            put("name", format!("{}-1", s.cfg.name));
            let caps = |o: &packet::Open| {
                let mut c: Vec<&str> = o
                    .caps
                    .iter()
                    .map(|c| c.short())
                    .filter(|c| !c.is_empty())
                    .collect();
                c.dedup();
                c.join(",")
            };
            let remote = v.remote.map_or(s.cfg.remote, |r| *r.ip());
            let vrf_suffix = if s.cfg.vrf == "main" {
                String::new()
            } else {
                format!("@{}", s.cfg.vrf)
            };
            put("remote.address", format!("{remote}{vrf_suffix}"));
            if let Some(o) = &v.remote_open {
                put("remote.as", o.real_as().to_string());
                put("remote.id", Ipv4Addr::from(o.id).to_string());
                put("remote.capabilities", caps(o));
                let afi: Vec<&str> = o
                    .caps
                    .iter()
                    .filter_map(|c| match c {
                        packet::Capability::Mp { afi: 1, safi: 1 } => Some("ip"),
                        packet::Capability::Mp { afi: 1, safi: 128 } => Some("vpnv4"),
                        packet::Capability::Mp { afi: 2, safi: 1 } => Some("ipv6"),
                        _ => None,
                    })
                    .collect();
                put("remote.afi", afi.join(","));
                put(
                    "remote.hold-time",
                    fmt_ms(Duration::from_secs(o.hold_time.into())),
                );
            }
            let st = &s.stats;
            use std::sync::atomic::Ordering::Relaxed;
            put("remote.messages", st.msgs_in.load(Relaxed).to_string());
            put("remote.bytes", st.bytes_in.load(Relaxed).to_string());
            if let Some(l) = v.local {
                put("local.address", l.ip().to_string());
            }
            put("local.as", s.cfg.local_as.to_string());
            put("local.id", Ipv4Addr::from(s.cfg.router_id).to_string());
            if let Some(o) = &v.local_open {
                put("local.capabilities", caps(o));
            }
            put("local.messages", st.msgs_out.load(Relaxed).to_string());
            put("local.bytes", st.bytes_out.load(Relaxed).to_string());
            put(
                "local.role",
                match s.cfg.role {
                    config::Role::Ibgp => "ibgp",
                    config::Role::IbgpRr => "ibgp-rr",
                    config::Role::Ebgp => "ebgp",
                }
                .into(),
            );
            put(
                "output.keep-sent-attributes",
                if s.cfg.keep_sent { "yes" } else { "no" }.into(),
            );
            if let Some(n) = &v.last_out {
                put("output.last-notification", n.hex());
            }
            if let Some(n) = &v.last_in {
                put("input.last-notification", n.hex());
            }
            if let Some(l) = s.cfg.limit_v4 {
                put("input.limit-process-routes", l.to_string());
            }
            if v.ebgp {
                put("ebgp", "yes".into());
            } else {
                put("ibgp", "yes".into());
            }
            if v.limit_exceeded {
                put("limit-exceeded", "yes".into());
            }
            if v.remote_open.is_some() && v.up_since.is_some() {
                put("hold-time", fmt_ms(Duration::from_secs(v.hold.into())));
                put(
                    "keepalive-time",
                    fmt_ms(Duration::from_secs(v.keepalive.into())),
                );
            }
            if let Some(t) = v.up_since {
                put("uptime", fmt_ms(t.elapsed()));
                put("_established", "yes".into());
                put("prefix-count", inst.received(s.id).to_string());
            }
            put("state", v.state.map_or("idle", fsm::State::name).into());
            if !v.last_error.is_empty() {
                put("last-error", v.last_error.clone());
            }
            if s.cfg.vrf != "main" {
                put("vrf", s.cfg.vrf.clone());
            }
            out.push(Item::live(s.id, m));
        }
        out
    }

    /// `/mpls forwarding-table` items of the VPN labels (flag `P`): a per-VRF label with its
    /// VRF, a per-prefix one with its prefix and the gateway it forwards to.
    pub fn vpn_label_items(&self, plan: &crate::plan::Plan) -> Vec<BTreeMap<String, String>> {
        let inst = lock(&self.shared.instance);
        let vrf_of = |t| vrf_name(plan, t);
        inst.exports
            .bindings()
            .into_iter()
            .map(|(label, table, prefix, gw)| {
                let mut m = BTreeMap::new();
                m.insert("label".to_owned(), label.to_string());
                m.insert("vrf".into(), vrf_of(table));
                m.insert(
                    "prefix".into(),
                    prefix.map(|p| p.to_string()).unwrap_or_default(),
                );
                let nh = gw.map(|g| format!("{{ nh={} }}", Ipv4Addr::from(g)));
                m.insert("nexthops".into(), nh.unwrap_or_default());
                m.insert("type".into(), "vpn".into());
                m
            })
            .collect()
    }

    /// `/routing route` items of the VPN-IPv4 routes, as RouterOS keeps them in main
    /// (`afi=vpn4`, `dst-address=<prefix>&<RD>`): ours exported from the VRFs (flag `y`, our
    /// label, belongs to `<vpn entry>-<source>-export`) and those received (flag `b`, the
    /// remote PE as gateway, its label, belongs to `bgp-VPN4-<peer>`), the best first.
    pub fn vpn_route_items(&self, plan: &crate::plan::Plan) -> Vec<Item> {
        /// Item ids of VPN routes, clear of the RIB's.
        const VPN_ID: u32 = 0x4000_0000;
        let inst = lock(&self.shared.instance);
        let vrf_of = |t| vrf_name(plan, t);
        let rts = |v: &[u64]| -> String {
            v.iter()
                .map(|c| super::vpn::codec::ext_community_text(*c))
                .collect::<Vec<_>>()
                .join(",")
        };
        let mut out = Vec::new();
        let mut push = |mut m: BTreeMap<String, String>, active: bool| {
            m.insert("routing-table".into(), "main".into());
            m.insert("afi".into(), "vpn4".into());
            m.insert("distance".into(), "200".into());
            m.insert("scope".into(), "40".into());
            let contribution = if active { "active" } else { "candidate" };
            m.insert("contribution".into(), contribution.into());
            if active {
                m.insert("_active".into(), "yes".into());
            }
            out.push(Item::live(VPN_ID + out.len() as u32, m));
        };
        for ((rd, dst), e) in inst.exports.iter() {
            let mut m = BTreeMap::new();
            m.insert("dst-address".to_owned(), format!("{dst}&{rd}"));
            m.insert("gateway".into(), vrf_of(e.table));
            m.insert("label".into(), e.label.to_string());
            m.insert("bgp.ext-communities".into(), rts(&e.rts));
            m.insert("target-scope".into(), "10".into());
            m.insert("_source".into(), "y".into());
            let source = match e.source {
                crate::route::Source::Connected => "connected",
                crate::route::Source::Static => "static",
                crate::route::Source::Ospf => "ospf",
                _ => "bgp",
            };
            m.insert("belongs-to".into(), format!("{}-{source}-export", e.entry));
            push(m, true);
        }
        let mut keys: Vec<_> = inst.vpn.keys().copied().collect();
        keys.sort();
        for key in keys {
            let best = inst.vpn.best(&key).cloned();
            for p in inst.vpn.paths(&key) {
                let mut m = BTreeMap::new();
                m.insert("dst-address".to_owned(), format!("{}&{}", key.1, key.0));
                m.insert("gateway".into(), Ipv4Addr::from(p.next_hop).to_string());
                m.insert("label".into(), p.label.to_string());
                m.insert("bgp.ext-communities".into(), rts(&p.rts));
                m.insert("target-scope".into(), "30".into());
                m.insert("_source".into(), "b".into());
                let peer = inst.peer_addr(p.peer).map(Ipv4Addr::from);
                let peer = peer.map(|a| a.to_string()).unwrap_or_default();
                m.insert("belongs-to".into(), format!("bgp-VPN4-{peer}"));
                push(m, best.as_ref() == Some(p));
            }
        }
        out
    }

    /// How many items [`Bgp::vpn_route_items`] gives.
    pub fn vpn_route_count(&self) -> usize {
        let inst = lock(&self.shared.instance);
        let received: usize = inst.vpn.keys().map(|k| inst.vpn.paths(k).len()).sum();
        inst.exports.len() + received
    }

    /// `/routing bgp advertisements` items.
    pub fn advertisement_items(&self) -> Vec<Item> {
        let inst = lock(&self.shared.instance);
        inst.advertised()
            .into_iter()
            .enumerate()
            .map(|(i, a)| {
                let mut m = BTreeMap::new();
                m.insert("peer".to_owned(), format!("{}-1", a.peer));
                m.insert("dst".into(), a.dst.to_string());
                m.insert("afi".into(), a.afi.into());
                if let Some(rd) = a.rd {
                    m.insert("rd".into(), rd.to_string());
                }
                if let Some(l) = a.label {
                    m.insert("label".into(), l.to_string());
                }
                let at = &a.attrs;
                if let Some(nh) = at.next_hop {
                    m.insert("nexthop".into(), Ipv4Addr::from(nh).to_string());
                }
                if let Some(lp) = at.local_pref {
                    m.insert("local-pref".into(), lp.to_string());
                }
                if let Some(med) = at.med {
                    m.insert("med".into(), med.to_string());
                }
                if let Some(o) = at.origin {
                    m.insert("origin".into(), o.to_string());
                }
                m.insert("as-path".into(), at.as_path_text());
                if !at.communities.is_empty() {
                    let c: Vec<String> = at
                        .communities
                        .iter()
                        .map(|c| format!("{}:{}", c >> 16, c & 0xffff))
                        .collect();
                    m.insert("communities".into(), c.join(","));
                }
                if !at.large_communities.is_empty() {
                    let c: Vec<String> = at
                        .large_communities
                        .iter()
                        .map(|c| format!("{}:{}:{}", c[0], c[1], c[2]))
                        .collect();
                    m.insert("large-communities".into(), c.join(","));
                }
                if !at.ext_communities.is_empty() {
                    let c: Vec<String> = at
                        .ext_communities
                        .iter()
                        .map(|c| super::vpn::codec::ext_community_text(*c))
                        .collect();
                    m.insert("ext-communities".into(), c.join(","));
                }
                if at.atomic_aggregate {
                    m.insert("atomic-aggregate".into(), "yes".into());
                }
                Item::live(i as u32 + 1, m)
            })
            .collect()
    }
}
