//! Checking and canonicalising values by their [`Kind`]: what is stored is what `export`
//! prints, so a value that loads is a value that exports and loads again.

use super::schema::{Kind, RefTo};
use std::net::Ipv4Addr;

/// Answers whether referenced items exist.
pub trait Resolver {
    /// Whether an item of kind `to` named `name` exists.
    fn exists(&self, to: RefTo, name: &str) -> bool;
}

/// Checks `raw` against `kind`; returns the canonical text or what was expected.
pub fn canonical(kind: Kind, raw: &str, r: &dyn Resolver) -> Result<String, String> {
    let bad = || {
        Err(format!(
            "invalid value {raw:?}: expected {}",
            kind.expected()
        ))
    };
    match kind {
        Kind::Text => {
            if raw
                .chars()
                .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
            {
                return bad();
            }
            Ok(raw.to_owned())
        }
        Kind::Name | Kind::Word | Kind::VrfLater => {
            if raw.is_empty() || raw.len() > 255 || raw.chars().any(|c| c.is_control()) {
                return bad();
            }
            Ok(raw.to_owned())
        }
        Kind::Bool | Kind::Switch => match raw {
            "yes" | "true" => Ok("yes".into()),
            "no" | "false" => Ok("no".into()),
            _ => bad(),
        },
        Kind::Int(lo, hi) => match raw.parse::<u64>() {
            Ok(v) if (lo..=hi).contains(&v) => Ok(v.to_string()),
            _ => bad(),
        },
        Kind::Ip => ip(raw).map(|a| a.to_string()).ok_or(()).or_else(|_| bad()),
        Kind::IpAtVrf => {
            let (a, vrf) = match raw.split_once('@') {
                Some((a, v)) => (a, Some(v)),
                None => (raw, None),
            };
            match (ip(a), vrf) {
                (Some(a), None) => Ok(a.to_string()),
                (Some(a), Some(v)) if !v.is_empty() && !v.chars().any(|c| c.is_control()) => {
                    Ok(format!("{a}@{v}"))
                }
                _ => bad(),
            }
        }
        Kind::IntOr(word, lo, hi) => match raw.parse::<u64>() {
            _ if raw == word => Ok(raw.to_owned()),
            Ok(v) if (lo..=hi).contains(&v) => Ok(v.to_string()),
            _ => bad(),
        },
        Kind::Keepalive => {
            if raw.is_empty() {
                return Ok(String::new());
            }
            let (t, n) = raw.split_once(',').unwrap_or((raw, "10"));
            match (time(t), n.parse::<u32>()) {
                (Some(t), Ok(n)) if t > 0 && n > 0 => Ok(format!("{},{n}", fmt_time(t))),
                _ => bad(),
            }
        }
        Kind::Mac => match mac(raw) {
            Some(m) if m[0] & 1 == 0 && m != [0; 6] => Ok(mac_text(&m)),
            _ => bad(),
        },
        Kind::Prefix => prefix(raw).ok_or(()).or_else(|_| bad()),
        Kind::AddrOrPrefix => match prefix(raw) {
            Some(p) => Ok(p.strip_suffix("/32").map(str::to_owned).unwrap_or(p)),
            None => bad(),
        },
        Kind::IfAddress => {
            let (a, len) = match raw.split_once('/') {
                Some((a, l)) => (a, l.parse::<u8>().ok().filter(|&l| l <= 32)),
                None => (raw, Some(32)),
            };
            match (ip(a), len) {
                (Some(a), Some(len)) => Ok(format!("{a}/{len}")),
                _ => bad(),
            }
        }
        Kind::Time => time(raw).map(fmt_time).ok_or(()).or_else(|_| bad()),
        Kind::TimeOrInfinity => {
            if raw == "infinity" {
                Ok(raw.into())
            } else {
                time(raw).map(fmt_time).ok_or(()).or_else(|_| bad())
            }
        }
        Kind::Enum(words) => one_of(words, raw).ok_or(()).or_else(|_| bad()),
        Kind::EnumList(words) => list(raw, |w| one_of(words, w)).ok_or(()).or_else(|_| bad()),
        Kind::IpList => list(raw, |w| ip(w).map(|a| a.to_string()))
            .ok_or(())
            .or_else(|_| bad()),
        Kind::PrefixList => list(raw, prefix).ok_or(()).or_else(|_| bad()),
        Kind::Ref(to) => {
            if raw.is_empty() {
                return bad();
            }
            if is_list_word(to, raw) || r.exists(to, raw) {
                Ok(raw.to_owned())
            } else {
                Err(missing(to, raw))
            }
        }
        Kind::RefList(to) => {
            let mut out = Vec::new();
            for w in raw.split(',') {
                if w.is_empty() {
                    return bad();
                }
                if !is_list_word(to, w) && !r.exists(to, w) {
                    return Err(missing(to, w));
                }
                out.push(w);
            }
            if out.is_empty() {
                return bad();
            }
            Ok(out.join(","))
        }
        Kind::Gateway => {
            let mut out = Vec::new();
            for g in raw.split(',') {
                out.push(gateway(g, r).map_err(|e| format!("invalid gateway {g:?}: {e}"))?);
            }
            Ok(out.join(","))
        }
        Kind::RouteTarget { list: many } => {
            let parts: Vec<&str> = raw.split(',').collect();
            if (!many && parts.len() != 1) || parts.is_empty() {
                return bad();
            }
            let mut out = Vec::new();
            for p in parts {
                out.push(route_target(p).ok_or(()).or_else(|_| bad())?);
            }
            Ok(out.join(","))
        }
        Kind::LabelRange => {
            let Some((a, b)) = raw.split_once('-') else {
                return bad();
            };
            match (a.parse::<u32>(), b.parse::<u32>()) {
                (Ok(a), Ok(b)) if (16..=1_048_575).contains(&a) && a <= b && b <= 1_048_575 => {
                    Ok(format!("{a}-{b}"))
                }
                _ => bad(),
            }
        }
        Kind::AsNum => as_num(raw)
            .map(|v| v.to_string())
            .ok_or(())
            .or_else(|_| bad()),
        Kind::RouterId => {
            if let Some(a) = ip(raw) {
                Ok(a.to_string())
            } else if !raw.is_empty()
                && raw
                    .chars()
                    .all(|c| c.is_alphanumeric() || "-_.".contains(c))
            {
                Ok(raw.to_owned())
            } else {
                bad()
            }
        }
        Kind::FwAddress => negatable(raw, |v| {
            if let Some((a, b)) = v.split_once('-') {
                let (a, b) = (ip(a)?, ip(b)?);
                (u32::from(a) <= u32::from(b)).then(|| format!("{a}-{b}"))
            } else {
                prefix(v)
            }
        })
        .ok_or(())
        .or_else(|_| bad()),
        Kind::FwInterface => {
            let (neg, name) = split_neg(raw);
            if r.exists(RefTo::Interface { lists: false }, name) {
                Ok(format!("{}{name}", if neg { "!" } else { "" }))
            } else {
                Err(missing(RefTo::Interface { lists: false }, name))
            }
        }
        Kind::FwInterfaceList => {
            let (neg, name) = split_neg(raw);
            if r.exists(RefTo::InterfaceList, name) {
                Ok(format!("{}{name}", if neg { "!" } else { "" }))
            } else {
                Err(missing(RefTo::InterfaceList, name))
            }
        }
        Kind::FwPorts => negatable(raw, |v| {
            list(v, |p| match p.split_once('-') {
                Some((a, b)) => {
                    let (a, b) = (a.parse::<u16>().ok()?, b.parse::<u16>().ok()?);
                    (a <= b).then(|| format!("{a}-{b}"))
                }
                None => p.parse::<u16>().ok().map(|p| p.to_string()),
            })
        })
        .ok_or(())
        .or_else(|_| bad()),
        Kind::FwProtocol => negatable(raw, |v| {
            const NAMES: &[&str] = &[
                "icmp",
                "igmp",
                "tcp",
                "udp",
                "gre",
                "esp",
                "ah",
                "ospf",
                "sctp",
                "ipip",
                "ipsec-esp",
                "ipsec-ah",
                "vrrp",
                "pim",
                "l2tp",
                "icmpv6",
                "ipv6-encap",
                "ddp",
                "ggp",
                "st",
                "egp",
            ];
            if NAMES.contains(&v) {
                Some(v.to_owned())
            } else {
                v.parse::<u8>().ok().map(|n| n.to_string())
            }
        })
        .ok_or(())
        .or_else(|_| bad()),
        Kind::FwEnumList(words) => negatable(raw, |v| list(v, |w| one_of(words, w)))
            .ok_or(())
            .or_else(|_| bad()),
        Kind::FwTable => {
            let (neg, name) = split_neg(raw);
            if r.exists(RefTo::Table, name) {
                Ok(format!("{}{name}", if neg { "!" } else { "" }))
            } else {
                Err(missing(RefTo::Table, name))
            }
        }
    }
}

fn missing(to: RefTo, name: &str) -> String {
    let what = match to {
        RefTo::Interface { .. } => "interface",
        RefTo::Vrf => "VRF",
        RefTo::Table => "routing table",
        RefTo::BgpTemplate => "BGP template",
        RefTo::OspfInstance => "OSPF instance",
        RefTo::OspfArea => "OSPF area",
        RefTo::InterfaceList => "interface list",
    };
    format!("no such {what} {name:?}")
}

fn is_list_word(to: RefTo, w: &str) -> bool {
    matches!(to, RefTo::Interface { lists: true })
        && matches!(w, "all" | "none" | "dynamic" | "static")
}

fn split_neg(raw: &str) -> (bool, &str) {
    match raw.strip_prefix('!') {
        Some(rest) => (true, rest),
        None => (false, raw),
    }
}

fn negatable(raw: &str, f: impl Fn(&str) -> Option<String>) -> Option<String> {
    let (neg, v) = split_neg(raw);
    f(v).map(|c| if neg { format!("!{c}") } else { c })
}

fn one_of(words: &[&str], w: &str) -> Option<String> {
    words.contains(&w).then(|| w.to_owned())
}

fn list(raw: &str, f: impl Fn(&str) -> Option<String>) -> Option<String> {
    let mut out = Vec::new();
    for w in raw.split(',') {
        out.push(f(w)?);
    }
    (!out.is_empty()).then(|| out.join(","))
}

/// An IPv4 address; RouterOS's shorthand `10.1` means `10.0.0.1` (missing octets are zeros
/// before the last one).
pub fn ip(s: &str) -> Option<Ipv4Addr> {
    if let Ok(a) = s.parse::<Ipv4Addr>() {
        return Some(a);
    }
    let parts: Vec<&str> = s.split('.').collect();
    if parts.len() < 2 || parts.len() > 3 {
        return None;
    }
    let nums: Vec<u8> = parts
        .iter()
        .map(|p| p.parse::<u8>().ok())
        .collect::<Option<_>>()?;
    let mut o = [0u8; 4];
    o[0] = nums[0];
    o[3] = nums[nums.len() - 1];
    if nums.len() == 3 {
        o[1] = nums[1];
    }
    Some(Ipv4Addr::from(o))
}

/// A prefix `a.b.c.d/len` (a bare address is /32), host bits cleared.
pub fn prefix(s: &str) -> Option<String> {
    let (a, len) = match s.split_once('/') {
        Some((a, l)) => (a, l.parse::<u8>().ok().filter(|&l| l <= 32)?),
        None => (s, 32),
    };
    let a = u32::from(ip(a)?);
    let m = if len == 0 { 0 } else { u32::MAX << (32 - len) };
    Some(format!("{}/{len}", Ipv4Addr::from(a & m)))
}

fn gateway(g: &str, r: &dyn Resolver) -> Result<String, String> {
    let (target, table) = match g.split_once('@') {
        Some((t, tab)) => (t, Some(tab)),
        None => (g, None),
    };
    if let Some(tab) = table {
        if !r.exists(RefTo::Table, tab) {
            return Err(format!("no such routing table {tab:?}"));
        }
    }
    let (addr, iface) = match target.split_once('%') {
        Some((a, i)) => (Some(a), Some(i)),
        None if ip(target).is_some() => (Some(target), None),
        None => (None, Some(target)),
    };
    let addr = match addr {
        Some(a) => Some(ip(a).ok_or_else(|| format!("{a:?} is not an IPv4 address"))?),
        None => None,
    };
    if let Some(i) = iface {
        // Alone, a VRF's name is the VRF's interface (`gateway=vrf1@vrf1`).
        let vrf = addr.is_none() && r.exists(RefTo::Vrf, i);
        if !vrf && !r.exists(RefTo::Interface { lists: false }, i) {
            return Err(format!("no such interface {i:?}"));
        }
    }
    let mut out = match (addr, iface) {
        (Some(a), Some(i)) => format!("{a}%{i}"),
        (Some(a), None) => a.to_string(),
        (None, Some(i)) => i.to_owned(),
        (None, None) => return Err("empty".into()),
    };
    if let Some(tab) = table {
        out.push('@');
        out.push_str(tab);
    }
    Ok(out)
}

fn route_target(s: &str) -> Option<String> {
    let (a, n) = s.rsplit_once(':')?;
    let n: u32 = n.parse().ok()?;
    if let Ok(ipa) = a.parse::<Ipv4Addr>() {
        if n > 65535 {
            return None;
        }
        return Some(format!("{ipa}:{n}"));
    }
    let asn = as_num(a)?;
    if asn > 65535 && n > 65535 {
        return None;
    }
    Some(format!("{asn}:{n}"))
}

fn as_num(s: &str) -> Option<u64> {
    if let Some((hi, lo)) = s.split_once('.') {
        let (hi, lo) = (hi.parse::<u16>().ok()?, lo.parse::<u16>().ok()?);
        return Some((u64::from(hi) << 16) | u64::from(lo));
    }
    s.parse::<u32>().ok().map(u64::from)
}

/// A RouterOS time (`1d2h3m4s500ms`, a bare number is seconds) in milliseconds.
pub fn time(s: &str) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    if let Ok(secs) = s.parse::<u64>() {
        return secs.checked_mul(1000);
    }
    let mut total: u64 = 0;
    let mut num = String::new();
    let mut rest = s;
    while !rest.is_empty() {
        let c = rest.chars().next()?;
        if c.is_ascii_digit() {
            num.push(c);
            rest = &rest[1..];
            continue;
        }
        let (unit, len) = if rest.starts_with("ms") {
            (1, 2)
        } else {
            match c {
                'w' => (7 * 86_400_000, 1),
                'd' => (86_400_000, 1),
                'h' => (3_600_000, 1),
                'm' => (60_000, 1),
                's' => (1000, 1),
                _ => return None,
            }
        };
        let n: u64 = num.parse().ok()?;
        total = total.checked_add(n.checked_mul(unit)?)?;
        num.clear();
        rest = &rest[len..];
    }
    if !num.is_empty() {
        return None;
    }
    Some(total)
}

/// Milliseconds as RouterOS prints a time: `3m`, `1h30m`, `1d2h`, `500ms`, `0s`.
pub fn fmt_time(ms: u64) -> String {
    if ms == 0 {
        return "0s".into();
    }
    let mut out = String::new();
    let mut rest = ms;
    for (unit, name) in [
        (7 * 86_400_000, "w"),
        (86_400_000, "d"),
        (3_600_000, "h"),
        (60_000, "m"),
        (1000, "s"),
        (1, "ms"),
    ] {
        if rest >= unit {
            out.push_str(&format!("{}{name}", rest / unit));
            rest %= unit;
        }
    }
    out
}

/// `02:00:5e:10:00:01` (or with dashes) as bytes.
pub fn mac(s: &str) -> Option<[u8; 6]> {
    let mut out = [0u8; 6];
    let mut parts = s.split([':', '-']);
    for b in &mut out {
        let p = parts.next()?;
        if p.is_empty() || p.len() > 2 {
            return None;
        }
        *b = u8::from_str_radix(p, 16).ok()?;
    }
    parts.next().is_none().then_some(out)
}

/// A MAC address as RouterOS prints it: `AA:BB:CC:DD:EE:FF`.
pub fn mac_text(mac: &[u8; 6]) -> String {
    mac.iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Names;
    impl Resolver for Names {
        fn exists(&self, to: RefTo, name: &str) -> bool {
            match to {
                RefTo::Interface { .. } => ["ether1", "ether2", "lobridge"].contains(&name),
                RefTo::Vrf | RefTo::Table => ["main", "cust-one"].contains(&name),
                _ => name == "default",
            }
        }
    }

    fn c(k: Kind, s: &str) -> Result<String, String> {
        canonical(k, s, &Names)
    }

    #[test]
    fn values_are_checked_and_canonical() {
        assert_eq!(c(Kind::Ip, "10.1").unwrap(), "10.0.0.1");
        assert_eq!(c(Kind::Ip, "10.1.2").unwrap(), "10.1.0.2");
        assert_eq!(c(Kind::Prefix, "10.1.1.7/24").unwrap(), "10.1.1.0/24");
        assert_eq!(c(Kind::Prefix, "8.8.8.8").unwrap(), "8.8.8.8/32");
        assert_eq!(c(Kind::IfAddress, "10.1.1.2/24").unwrap(), "10.1.1.2/24");
        assert_eq!(c(Kind::IfAddress, "10.4.4.5").unwrap(), "10.4.4.5/32");
        assert!(c(Kind::Prefix, "10.1.1.0/33").is_err());
        assert_eq!(c(Kind::Time, "90s").unwrap(), "1m30s");
        assert_eq!(c(Kind::Time, "3m").unwrap(), "3m");
        assert_eq!(c(Kind::Time, "10").unwrap(), "10s");
        assert!(c(Kind::Time, "3x").is_err());
        assert_eq!(c(Kind::Bool, "true").unwrap(), "yes");
        assert!(c(Kind::Int(1, 255), "0").is_err());
        assert_eq!(c(Kind::LabelRange, "10000-19999").unwrap(), "10000-19999");
        assert!(c(Kind::LabelRange, "3-100").is_err());
        assert_eq!(
            c(Kind::RouteTarget { list: true }, "1.1.1.1:111,65000:100").unwrap(),
            "1.1.1.1:111,65000:100"
        );
        assert!(c(Kind::RouteTarget { list: false }, "1:2,3:4").is_err());
        assert_eq!(c(Kind::AsNum, "1.10").unwrap(), "65546");
        assert_eq!(
            c(Kind::Gateway, "172.16.1.1@main").unwrap(),
            "172.16.1.1@main"
        );
        assert_eq!(
            c(Kind::Gateway, "10.3.0.1%ether2").unwrap(),
            "10.3.0.1%ether2"
        );
        assert_eq!(
            c(Kind::Gateway, "ether2@cust-one").unwrap(),
            "ether2@cust-one"
        );
        assert!(c(Kind::Gateway, "172.16.1.1@nope")
            .unwrap_err()
            .contains("no such routing table"));
        assert!(c(Kind::Gateway, "nosuch")
            .unwrap_err()
            .contains("no such interface"));
        assert_eq!(
            c(Kind::RefList(RefTo::Interface { lists: true }), "all").unwrap(),
            "all"
        );
        assert!(c(Kind::Ref(RefTo::Vrf), "x")
            .unwrap_err()
            .contains("no such VRF"));
        assert_eq!(
            c(Kind::FwAddress, "!192.168.0.0/16").unwrap(),
            "!192.168.0.0/16"
        );
        assert_eq!(
            c(Kind::FwPorts, "80,443,1000-2000").unwrap(),
            "80,443,1000-2000"
        );
        assert_eq!(
            c(Kind::FwEnumList(super::super::menus::ADDR_TYPES), "!local").unwrap(),
            "!local"
        );
        assert_eq!(
            c(Kind::EnumList(&["ip", "vpnv4"]), "ip,vpnv4").unwrap(),
            "ip,vpnv4"
        );
    }
}
