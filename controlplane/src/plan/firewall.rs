//! `/ip firewall mangle|nat|filter` compiled into [`shared::firewall::Firewall`] for the
//! snapshot: interface names become port ids, tables become table ids, mark names become
//! small numbers, address lists sets of ranges. Rules using matchers the dataplane does not
//! evaluate yet (interface lists, address types other than `local`) are left out, so they
//! never match.

use crate::config::store::{m, Store};
use shared::firewall::{state, Action, AddrMatch, Chain, Firewall, Match, PortMatch, Rule, Table};
use shared::types::TableId;
use std::collections::HashMap;
use std::net::Ipv4Addr;

/// Interns mark names: 0 is `no-mark`.
struct Marks(Vec<String>);

impl Marks {
    fn id(&mut self, name: &str) -> u16 {
        if name == "no-mark" || name.is_empty() {
            return 0;
        }
        if let Some(i) = self.0.iter().position(|n| n == name) {
            return i as u16;
        }
        self.0.push(name.to_owned());
        (self.0.len() - 1) as u16
    }
}

fn neg(v: &str) -> (bool, &str) {
    match v.strip_prefix('!') {
        Some(r) => (true, r),
        None => (false, v),
    }
}

fn ip(s: &str) -> Option<u32> {
    s.parse::<Ipv4Addr>().ok().map(u32::from)
}

/// `a.b.c.d`, `a.b.c.d/len` or `first-last`.
fn range(v: &str) -> Option<(u32, u32)> {
    if let Some((a, b)) = v.split_once('-') {
        return Some((ip(a)?, ip(b)?));
    }
    let (a, len) = match v.split_once('/') {
        Some((a, l)) => (ip(a)?, l.parse::<u8>().ok().filter(|l| *l <= 32)?),
        None => (ip(v)?, 32),
    };
    let mask = shared::types::mask(len);
    Some((a & mask, (a & mask) | !mask))
}

fn ports(v: &str) -> Option<Vec<(u16, u16)>> {
    v.split(',')
        .map(|p| match p.split_once('-') {
            Some((a, b)) => Some((a.parse().ok()?, b.parse().ok()?)),
            None => p.parse().ok().map(|x| (x, x)),
        })
        .collect()
}

fn protocol(v: &str) -> Option<u8> {
    Some(match v {
        "icmp" => 1,
        "igmp" => 2,
        "ipip" => 4,
        "tcp" => 6,
        "udp" => 17,
        "gre" => 47,
        "esp" | "ipsec-esp" => 50,
        "ah" | "ipsec-ah" => 51,
        "ospf" => 89,
        "pim" => 103,
        "vrrp" => 112,
        "l2tp" => 115,
        "sctp" => 132,
        n => n.parse().ok()?,
    })
}

/// What the compiler needs of the router: port ids and table ids by name.
pub struct Names<'a> {
    /// Port id of an interface name.
    pub port: &'a dyn Fn(&str) -> Option<u16>,
    /// Table id of a table name.
    pub table: &'a dyn Fn(&str) -> Option<TableId>,
    /// Port ids of an interface list's members.
    pub list: &'a dyn Fn(&str) -> Vec<u16>,
}

fn compile_rule(
    get: &dyn Fn(&str) -> Option<String>,
    names: &Names<'_>,
    marks: &mut Marks,
    lists: &mut Marks,
    chain_of: &mut dyn FnMut(&str) -> usize,
) -> Option<Rule> {
    let mut mm = Match::default();
    // Matchers this dataplane does not evaluate: the rule is left out.
    for unsupported in ["src-address-type"] {
        if get(unsupported).is_some() {
            return None;
        }
    }
    let addr = |v: String| {
        let (n, v) = neg(&v);
        range(v).map(|(first, last)| AddrMatch {
            first,
            last,
            negate: n,
        })
    };
    if let Some(v) = get("src-address") {
        mm.src = Some(addr(v)?);
    }
    if let Some(v) = get("dst-address") {
        mm.dst = Some(addr(v)?);
    }
    for (k, slot) in [
        ("src-address-list", &mut mm.src_list),
        ("dst-address-list", &mut mm.dst_list),
    ] {
        if let Some(v) = get(k) {
            let (n, name) = neg(&v);
            *slot = Some((lists.id(name), n));
        }
    }
    if let Some(v) = get("protocol") {
        let (n, p) = neg(&v);
        mm.protocol = Some((protocol(p)?, n));
    }
    for (k, slot) in [
        ("src-port", &mut mm.src_port),
        ("dst-port", &mut mm.dst_port),
    ] {
        if let Some(v) = get(k) {
            let (n, p) = neg(&v);
            *slot = Some(PortMatch {
                ranges: ports(p)?,
                negate: n,
            });
        }
    }
    for (k, slot) in [
        ("in-interface", &mut mm.in_ports),
        ("out-interface", &mut mm.out_ports),
    ] {
        if let Some(v) = get(k) {
            let (n, name) = neg(&v);
            // An interface that is not a port (a bridge) matches nothing.
            let list = (names.port)(name).into_iter().collect();
            *slot = Some((list, n));
        }
    }
    for (k, slot) in [
        ("in-interface-list", &mut mm.in_ports),
        ("out-interface-list", &mut mm.out_ports),
    ] {
        if let Some(v) = get(k) {
            let (n, name) = neg(&v);
            *slot = Some(((names.list)(name), n));
        }
    }
    if let Some(v) = get("connection-state") {
        let (n, list) = neg(&v);
        let mut bits = 0;
        for s in list.split(',') {
            bits |= match s {
                "new" => state::NEW,
                "established" => state::ESTABLISHED,
                "related" => state::RELATED,
                "invalid" => state::INVALID,
                "untracked" => state::UNTRACKED,
                _ => 0,
            };
        }
        mm.conn_state = Some((bits, n));
    }
    if let Some(v) = get("connection-nat-state") {
        let (n, list) = neg(&v);
        let mut bits = 0;
        for s in list.split(',') {
            bits |= match s {
                "srcnat" => 1,
                "dstnat" => 2,
                _ => 0,
            };
        }
        mm.nat_state = Some((bits, n));
    }
    if let Some(v) = get("connection-mark") {
        let (n, name) = neg(&v);
        mm.conn_mark = Some((marks.id(name), n));
    }
    if let Some(v) = get("packet-mark") {
        let (n, name) = neg(&v);
        mm.packet_mark = Some((marks.id(name), n));
    }
    if let Some(v) = get("routing-mark") {
        let (n, name) = neg(&v);
        mm.routing_mark = Some(((names.table)(name)?, n));
    }
    if let Some(v) = get("dst-address-type") {
        let (n, t) = neg(&v);
        if t != "local" {
            return None;
        }
        mm.dst_local = Some(!n);
    }
    let pair = |v: Option<String>| -> Option<Option<(u16, u16)>> {
        match v {
            None => Some(None),
            Some(v) => {
                let r = ports(&v)?;
                Some(r.first().copied())
            }
        }
    };
    let action = match get("action").as_deref().unwrap_or("accept") {
        "accept" => Action::Accept,
        "drop" | "tarpit" => Action::Drop,
        "reject" => Action::Reject(match get("reject-with").as_deref() {
            Some("icmp-network-unreachable") => Some(0),
            Some("icmp-host-unreachable") => Some(1),
            Some("icmp-protocol-unreachable") => Some(2),
            Some("icmp-net-prohibited") => Some(9),
            Some("icmp-host-prohibited") => Some(10),
            Some("icmp-admin-prohibited") => Some(13),
            Some("tcp-reset") => None,
            _ => Some(3),
        }),
        "mark-connection" => Action::MarkConnection(marks.id(&get("new-connection-mark")?)),
        "mark-packet" => Action::MarkPacket(marks.id(&get("new-packet-mark")?)),
        "mark-routing" => Action::MarkRouting((names.table)(&get("new-routing-mark")?)?),
        "jump" => Action::Jump(chain_of(&get("jump-target")?)),
        "return" => Action::Return,
        "masquerade" => Action::Masquerade {
            ports: pair(get("to-ports"))?,
        },
        "src-nat" => Action::SrcNat {
            addrs: range(&get("to-addresses")?)?,
            ports: pair(get("to-ports"))?,
        },
        "dst-nat" => Action::DstNat {
            addrs: range(&get("to-addresses")?)?,
            ports: pair(get("to-ports"))?,
        },
        "redirect" => Action::Redirect {
            ports: pair(get("to-ports"))?,
        },
        // log, passthrough and the actions not evaluated here go on to the next rule.
        _ => Action::Passthrough,
    };
    Some(Rule {
        m: mm,
        action,
        passthrough: get("passthrough").as_deref() != Some("no"),
    })
}

fn compile_table(
    store: &Store,
    path: &[&str],
    builtin: &[&str],
    names: &Names<'_>,
    marks: &mut Marks,
    lists: &mut Marks,
) -> Table {
    let menu = m(path);
    let mut chains: Vec<Chain> = builtin
        .iter()
        .map(|c| Chain {
            name: (*c).to_owned(),
            rules: Vec::new(),
        })
        .collect();
    let mut index: HashMap<String, usize> = chains
        .iter()
        .enumerate()
        .map(|(i, c)| (c.name.clone(), i))
        .collect();
    let items = store.items(menu);
    // User chains first get their numbers (a jump may come before the chain's rules).
    for it in items.iter() {
        for name in [it.values.get("chain"), it.values.get("jump-target")]
            .into_iter()
            .flatten()
        {
            if !index.contains_key(name) {
                index.insert(name.clone(), chains.len());
                chains.push(Chain {
                    name: name.clone(),
                    rules: Vec::new(),
                });
            }
        }
    }
    for it in items.iter().filter(|it| !it.disabled()) {
        let Some(chain) = it.values.get("chain").and_then(|c| index.get(c).copied()) else {
            continue;
        };
        let get = |k: &str| it.get(menu, k).map(str::to_owned);
        let mut chain_of = |n: &str| index.get(n).copied().unwrap_or(usize::MAX);
        if let Some(rule) = compile_rule(&get, names, marks, lists, &mut chain_of) {
            chains[chain].rules.push(rule);
        }
    }
    Table { chains }
}

/// `/ip firewall connection tracking` as the dataplane uses it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Tracking {
    /// `yes`, `no` or `auto` (on when there is a rule).
    pub enabled: String,
    /// `loose-tcp-tracking`.
    pub loose_tcp: bool,
    /// `max-entries`.
    pub max_entries: usize,
    /// Timeouts (ns).
    pub timeouts: Option<dataplane::conntrack::Timeouts>,
}

/// Reads `/ip firewall connection tracking`.
pub fn tracking(store: &Store) -> Tracking {
    let menu = m(&["ip", "firewall", "connection", "tracking"]);
    let Some(it) = store.settings(menu) else {
        return Tracking {
            enabled: "auto".into(),
            loose_tcp: true,
            max_entries: 1 << 20,
            timeouts: None,
        };
    };
    let get = |k: &str| it.get(menu, k).unwrap_or("").to_owned();
    let ns =
        |k: &str| crate::config::value::time(&get(k)).map_or(0, |ms| ms.saturating_mul(1_000_000));
    Tracking {
        enabled: get("enabled"),
        loose_tcp: get("loose-tcp-tracking") != "no",
        max_entries: get("max-entries").parse().unwrap_or(1 << 20),
        timeouts: Some(dataplane::conntrack::Timeouts {
            tcp_syn: ns("tcp-syn-sent-timeout"),
            tcp_established: ns("tcp-established-timeout"),
            tcp_close: ns("tcp-close-timeout"),
            udp: ns("udp-timeout"),
            udp_stream: ns("udp-stream-timeout"),
            icmp: ns("icmp-timeout"),
            generic: ns("generic-timeout"),
        }),
    }
}

/// The firewall of the configuration; `None` when nothing is tracked: tracking `no`, or
/// `auto` (the default) with no rule at all.
pub fn compile(store: &Store, names: &Names<'_>, tracking: &Tracking) -> Option<Firewall> {
    if tracking.enabled == "no" {
        return None;
    }
    let mut marks = Marks(vec![String::new()]);
    // Address-list names get ids the same way (0 is never a list).
    let mut lists = Marks(vec![String::new()]);
    let mangle = compile_table(
        store,
        &["ip", "firewall", "mangle"],
        &["prerouting", "input", "forward", "output", "postrouting"],
        names,
        &mut marks,
        &mut lists,
    );
    let nat = compile_table(
        store,
        &["ip", "firewall", "nat"],
        &["srcnat", "dstnat", "input", "output"],
        names,
        &mut marks,
        &mut lists,
    );
    let filter = compile_table(
        store,
        &["ip", "firewall", "filter"],
        &["input", "forward", "output"],
        names,
        &mut marks,
        &mut lists,
    );
    let any = [&mangle, &nat, &filter]
        .iter()
        .any(|t| t.chains.iter().any(|c| !c.rules.is_empty()));
    if !any && tracking.enabled != "yes" {
        return None;
    }
    // The members of every list a rule names (an unknown list is empty).
    let menu = m(&["ip", "firewall", "address-list"]);
    let items = store.items(menu);
    let members = lists
        .0
        .iter()
        .map(|name| {
            items
                .iter()
                .filter(|it| !it.disabled() && it.values.get("list") == Some(name))
                .filter_map(|it| range(it.values.get("address")?.trim_start_matches('!')))
                .collect()
        })
        .collect();
    let needs_dst_local = [&mangle, &nat, &filter].iter().any(|t| {
        t.chains
            .iter()
            .any(|c| c.rules.iter().any(|r| r.m.dst_local.is_some()))
    });
    Some(Firewall {
        needs_dst_local,
        mangle,
        nat,
        filter,
        marks: marks.0,
        lists: members,
        track: true,
        loose_tcp: tracking.loose_tcp,
    })
}
