//! `/ip arp` and `/ip firewall connection print`: the neighbour table and the connection
//! table as items for the print engine. Presentation only: it reads the forwarder.

use crate::config::store::Item;
use crate::config::value::{fmt_time, mac_text};
use crate::system::forwarder::Forwarder;
use crate::system::neighbor::State;
use std::collections::BTreeMap;
use std::net::Ipv4Addr;

/// `/ip arp` items (dynamic, numbered in address order): `address`, `mac-address` once
/// known, `interface`, `status`.
pub fn arp_items(f: &Forwarder) -> Vec<Item> {
    let plan = f.plan();
    let mut entries: Vec<_> = f.neighbors().entries().collect();
    entries.sort_by_key(|(k, _, _)| (k.ip, k.port));
    entries
        .iter()
        .enumerate()
        .map(|(i, (k, mac, state))| {
            let mut values = BTreeMap::new();
            values.insert("address".to_string(), Ipv4Addr::from(k.ip).to_string());
            if let Some(m) = mac {
                values.insert("mac-address".into(), mac_text(m));
            }
            values.insert(
                "interface".into(),
                plan.port(k.port)
                    .map_or_else(|| format!("port{}", k.port), |p| p.name.clone()),
            );
            let status = match state {
                State::Incomplete => "incomplete",
                State::Reachable => "reachable",
                State::Stale => "stale",
                State::Failed => "failed",
            };
            values.insert("status".into(), status.into());
            Item::live(i as u32 + 1, values)
        })
        .collect()
}

/// `/interface vxlan fdb` items (dynamic, in interface and MAC order): `interface`,
/// `mac-address`, `remote-ip` (the VTEP).
pub fn fdb_items(f: &Forwarder) -> Vec<Item> {
    let plan = f.plan();
    let mut entries: Vec<_> = f
        .fdb()
        .iter()
        .filter_map(|(&(port, mac), v)| Some((plan.port(port)?.name.clone(), mac, v.ip)))
        .collect();
    entries.sort();
    entries
        .into_iter()
        .enumerate()
        .map(|(i, (iface, mac, ip))| {
            let mut values = BTreeMap::new();
            values.insert("interface".to_string(), iface);
            values.insert("mac-address".into(), mac_text(&mac));
            values.insert("remote-ip".into(), Ipv4Addr::from(ip).to_string());
            Item::live(i as u32 + 1, values)
        })
        .collect()
}

/// `/ip firewall connection` items: flags `S` seen reply, `A` assured (replies seen),
/// protocol, addresses with ports, reply addresses, timeout, connection mark, NAT.
pub fn connection_items(f: &Forwarder, now: u64) -> Vec<Item> {
    let snap = f.current();
    let plan = f.plan();
    let mark_name = |m: u16| {
        snap.firewall
            .as_ref()
            .map_or(String::new(), |f| f.mark_name(m).to_owned())
    };
    let proto = |p: u8| match p {
        1 => "icmp".to_string(),
        6 => "tcp".into(),
        17 => "udp".into(),
        n => n.to_string(),
    };
    let ep = |a: u32, port: u16, p: u8| {
        let a = Ipv4Addr::from(a);
        if matches!(p, 6 | 17) {
            format!("{a}:{port}")
        } else {
            a.to_string()
        }
    };
    let vrf_name = |x: u16| plan.vrfs.get(usize::from(x)).cloned().unwrap_or_default();
    let mut conns = f.conntrack().snapshot();
    conns.sort_by_key(|c| {
        (
            c.orig.vrf,
            c.orig.src,
            c.orig.sport,
            c.orig.dst,
            c.orig.dport,
        )
    });
    conns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let mut v = BTreeMap::new();
            let pr = c.orig.proto;
            v.insert("protocol".to_string(), proto(pr));
            v.insert("src-address".into(), ep(c.orig.src, c.orig.sport, pr));
            v.insert("dst-address".into(), ep(c.orig.dst, c.orig.dport, pr));
            v.insert(
                "reply-src-address".into(),
                ep(c.reply.src, c.reply.sport, pr),
            );
            v.insert(
                "reply-dst-address".into(),
                ep(c.reply.dst, c.reply.dport, pr),
            );
            if let Some(t) = c.tcp {
                v.insert("tcp-state".into(), t.name().into());
            }
            let secs = c.expires.saturating_sub(now) / 1_000_000_000;
            v.insert("timeout".into(), fmt_time(secs * 1000));
            if c.mark != 0 {
                v.insert("connection-mark".into(), mark_name(c.mark));
            }
            v.insert("vrf".into(), vrf_name(c.orig.vrf));
            v.insert("orig-packets".into(), c.packets[0].to_string());
            v.insert("repl-packets".into(), c.packets[1].to_string());
            v.insert("orig-bytes".into(), c.bytes[0].to_string());
            v.insert("repl-bytes".into(), c.bytes[1].to_string());
            for (flag, on) in [
                ("_srcnat", c.srcnat()),
                ("_dstnat", c.dstnat()),
                ("_seen_reply", c.seen_reply),
            ] {
                if on {
                    v.insert(flag.into(), "yes".into());
                }
            }
            Item::live(i as u32 + 1, v)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use crate::system::neighbor::{Key, Neighbors};

    #[test]
    fn items_for_ip_arp() {
        let mut n = Neighbors::default();
        let key = |last: u8| Key {
            port: 1,
            ip: 0x0201_0100 | u32::from(last),
        };
        n.heard(key(2), [0, 0, 0x76, 2, 0, 0], true, 0);
        n.want(key(7), 0);
        let mut entries: Vec<_> = n.entries().collect();
        entries.sort_by_key(|(k, _, _)| k.ip);
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].1, Some([0, 0, 0x76, 2, 0, 0]));
        assert_eq!(entries[0].2, super::State::Reachable);
        assert_eq!(entries[1].1, None);
        assert_eq!(entries[1].2, super::State::Incomplete);
    }
}
