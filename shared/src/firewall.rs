//! Firewall rules compiled for the dataplane: `/ip firewall mangle`, `nat` and `filter`, as
//! part of a snapshot. Matching and chain evaluation (jump, return, passthrough) are here;
//! connection tracking and packet rewriting are the dataplane's.

use crate::types::TableId;

/// Connection states, as bits (a rule matches any of its set).
pub mod state {
    /// No entry yet: the first packet of a connection.
    pub const NEW: u8 = 1;
    /// Packets seen both ways.
    pub const ESTABLISHED: u8 = 2;
    /// An ICMP error about a tracked connection.
    pub const RELATED: u8 = 4;
    /// Not a valid packet of any connection.
    pub const INVALID: u8 = 8;
    /// Not tracked.
    pub const UNTRACKED: u8 = 16;
}

/// An address match: `addr/len`, or a range `first-last`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AddrMatch {
    /// First address.
    pub first: u32,
    /// Last address.
    pub last: u32,
    /// `!`: match when outside.
    pub negate: bool,
}

impl AddrMatch {
    fn hit(&self, a: u32) -> bool {
        (self.first..=self.last).contains(&a) != self.negate
    }
}

/// A set of ports or ranges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortMatch {
    /// Inclusive ranges.
    pub ranges: Vec<(u16, u16)>,
    /// `!`: match when outside.
    pub negate: bool,
}

impl PortMatch {
    fn hit(&self, p: u16) -> bool {
        self.ranges.iter().any(|&(a, b)| (a..=b).contains(&p)) != self.negate
    }
}

/// What a rule matches; `None` fields match anything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Match {
    /// Source address.
    pub src: Option<AddrMatch>,
    /// Source address in an address list (by list id), negated when the flag is set.
    pub src_list: Option<(u16, bool)>,
    /// Destination address in an address list.
    pub dst_list: Option<(u16, bool)>,
    /// Destination address.
    pub dst: Option<AddrMatch>,
    /// IP protocol, negated when the flag is set.
    pub protocol: Option<(u8, bool)>,
    /// Source ports (TCP/UDP).
    pub src_port: Option<PortMatch>,
    /// Destination ports (TCP/UDP).
    pub dst_port: Option<PortMatch>,
    /// Ingress ports (by port id), negated when the flag is set.
    pub in_ports: Option<(Vec<u16>, bool)>,
    /// Egress ports.
    pub out_ports: Option<(Vec<u16>, bool)>,
    /// Connection states (bits of [`state`]), negated when the flag is set.
    pub conn_state: Option<(u8, bool)>,
    /// Connection mark (0: `no-mark`).
    pub conn_mark: Option<(u16, bool)>,
    /// Packet mark (0: `no-mark`).
    pub packet_mark: Option<(u16, bool)>,
    /// Routing mark (the table), negated when the flag is set.
    pub routing_mark: Option<(TableId, bool)>,
    /// `dst-address-type=local` (true) / `!local`.
    pub dst_local: Option<bool>,
    /// `connection-nat-state`: srcnat (1) / dstnat (2) bits, negated when the flag is set.
    pub nat_state: Option<(u8, bool)>,
}

/// What a matching rule does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Stop this table: the packet goes on.
    Accept,
    /// Drop it.
    Drop,
    /// Drop it and answer (ICMP type 3 code, or a TCP reset when `None`).
    Reject(Option<u8>),
    /// Set the connection's mark.
    MarkConnection(u16),
    /// Set the packet's mark.
    MarkPacket(u16),
    /// Set the routing mark.
    MarkRouting(TableId),
    /// Count and go on.
    Passthrough,
    /// Evaluate another chain.
    Jump(usize),
    /// Back to the calling chain.
    Return,
    /// Source NAT to the out-interface's address.
    Masquerade {
        /// Source ports to use.
        ports: Option<(u16, u16)>,
    },
    /// Source NAT to these addresses and ports.
    SrcNat {
        /// Addresses (first, last).
        addrs: (u32, u32),
        /// Ports (first, last).
        ports: Option<(u16, u16)>,
    },
    /// Destination NAT.
    DstNat {
        /// Addresses (first, last).
        addrs: (u32, u32),
        /// Ports (first, last).
        ports: Option<(u16, u16)>,
    },
    /// Destination NAT to the router itself.
    Redirect {
        /// Ports (first, last).
        ports: Option<(u16, u16)>,
    },
}

/// One rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// Matchers.
    pub m: Match,
    /// Action.
    pub action: Action,
    /// For mark actions: keep evaluating the chain afterwards.
    pub passthrough: bool,
}

/// A chain: its rules in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Chain {
    /// Its name.
    pub name: String,
    /// Rules in order.
    pub rules: Vec<Rule>,
}

/// One table (mangle, nat or filter): its chains, the built-in ones first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Table {
    /// Chains; look built-in ones up with [`Table::chain`].
    pub chains: Vec<Chain>,
}

impl Table {
    /// The index of chain `name`.
    pub fn chain(&self, name: &str) -> Option<usize> {
        self.chains.iter().position(|c| c.name == name)
    }

    /// Whether the chain `name` has any rule.
    pub fn has_rules(&self, name: &str) -> bool {
        self.chain(name)
            .is_some_and(|i| !self.chains[i].rules.is_empty())
    }
}

/// What a packet looks like to the rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Packet {
    /// Source address.
    pub src: u32,
    /// Destination address.
    pub dst: u32,
    /// IP protocol.
    pub protocol: u8,
    /// Source port (TCP/UDP), else 0.
    pub sport: u16,
    /// Destination port (TCP/UDP), else 0.
    pub dport: u16,
    /// Ingress port id (`None` for the router's own packets).
    pub in_port: Option<u16>,
    /// Egress port id (`None` before routing).
    pub out_port: Option<u16>,
    /// Connection state (one bit of [`state`]).
    pub state: u8,
    /// NAT state bits of the connection (1 srcnat, 2 dstnat).
    pub nat_state: u8,
    /// Whether the destination is one of the router's addresses.
    pub dst_local: bool,
}

/// Marks a packet carries through the tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Marks {
    /// The connection's mark (0: none).
    pub conn: u16,
    /// The packet's mark (0: none).
    pub packet: u16,
    /// The routing mark.
    pub routing: Option<TableId>,
}

/// The outcome of a chain for a packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// No terminating rule matched, or `accept`.
    Accept,
    /// `drop`.
    Drop,
    /// `reject`.
    Reject(Option<u8>),
    /// A NAT action (nat table only).
    Nat(Action),
}

/// The return points of the jumps being followed, at most [`MAX_JUMPS`].
#[derive(Default)]
struct JumpStack {
    frames: [(usize, usize); MAX_JUMPS],
    len: usize,
}

impl JumpStack {
    fn len(&self) -> usize {
        self.len
    }

    fn push(&mut self, f: (usize, usize)) {
        if let Some(slot) = self.frames.get_mut(self.len) {
            *slot = f;
            self.len += 1;
        }
    }

    fn pop(&mut self) -> Option<(usize, usize)> {
        self.len = self.len.checked_sub(1)?;
        Some(self.frames[self.len])
    }
}

/// Deepest jump nesting followed; deeper jumps are ignored (a loop of jumps ends).
pub const MAX_JUMPS: usize = 16;

/// Address lists by id: each a set of (first, last) ranges.
pub type Lists = [Vec<(u32, u32)>];

fn in_list(lists: &Lists, id: u16, a: u32) -> bool {
    lists
        .get(usize::from(id))
        .is_some_and(|l| l.iter().any(|&(f, t)| (f..=t).contains(&a)))
}

impl Match {
    fn hit(&self, p: &Packet, m: &Marks, lists: &Lists) -> bool {
        let ports = matches!(p.protocol, 6 | 17);
        self.src.is_none_or(|a| a.hit(p.src))
            && self
                .src_list
                .is_none_or(|(id, neg)| in_list(lists, id, p.src) != neg)
            && self
                .dst_list
                .is_none_or(|(id, neg)| in_list(lists, id, p.dst) != neg)
            && self.dst.is_none_or(|a| a.hit(p.dst))
            && self
                .protocol
                .is_none_or(|(pr, neg)| (p.protocol == pr) != neg)
            && self
                .src_port
                .as_ref()
                .is_none_or(|pm| ports && pm.hit(p.sport))
            && self
                .dst_port
                .as_ref()
                .is_none_or(|pm| ports && pm.hit(p.dport))
            && self
                .in_ports
                .as_ref()
                .is_none_or(|(l, neg)| p.in_port.is_some_and(|x| l.contains(&x)) != *neg)
            && self
                .out_ports
                .as_ref()
                .is_none_or(|(l, neg)| p.out_port.is_some_and(|x| l.contains(&x)) != *neg)
            && self
                .conn_state
                .is_none_or(|(bits, neg)| (p.state & bits != 0) != neg)
            && self.conn_mark.is_none_or(|(v, neg)| (m.conn == v) != neg)
            && self
                .packet_mark
                .is_none_or(|(v, neg)| (m.packet == v) != neg)
            && self
                .routing_mark
                .is_none_or(|(t, neg)| (m.routing == Some(t)) != neg)
            && self.dst_local.is_none_or(|want| p.dst_local == want)
            && self
                .nat_state
                .is_none_or(|(bits, neg)| (p.nat_state & bits != 0) != neg)
    }
}

impl Table {
    /// Runs chain `chain` for `p`, updating `marks`; the first terminating action decides.
    pub fn run(&self, chain: usize, p: &Packet, marks: &mut Marks, lists: &Lists) -> Outcome {
        // (chain, next rule) frames for jump/return: on the stack, no allocation per packet.
        let mut stack = JumpStack::default();
        let (mut c, mut i) = (chain, 0);
        loop {
            let Some(ch) = self.chains.get(c) else {
                return Outcome::Accept;
            };
            let Some(rule) = ch.rules.get(i) else {
                // End of a chain: back to the caller, or accept.
                match stack.pop() {
                    Some((pc, pi)) => {
                        c = pc;
                        i = pi;
                        continue;
                    }
                    None => return Outcome::Accept,
                }
            };
            i += 1;
            if !rule.m.hit(p, marks, lists) {
                continue;
            }
            match &rule.action {
                Action::Accept => return Outcome::Accept,
                Action::Drop => return Outcome::Drop,
                Action::Reject(k) => return Outcome::Reject(*k),
                Action::Passthrough => {}
                Action::MarkConnection(v) => {
                    marks.conn = *v;
                    if !rule.passthrough {
                        return Outcome::Accept;
                    }
                }
                Action::MarkPacket(v) => {
                    marks.packet = *v;
                    if !rule.passthrough {
                        return Outcome::Accept;
                    }
                }
                Action::MarkRouting(t) => {
                    marks.routing = Some(*t);
                    if !rule.passthrough {
                        return Outcome::Accept;
                    }
                }
                Action::Jump(target) => {
                    if stack.len() < MAX_JUMPS {
                        stack.push((c, i));
                        c = *target;
                        i = 0;
                    }
                }
                Action::Return => match stack.pop() {
                    Some((pc, pi)) => {
                        c = pc;
                        i = pi;
                    }
                    None => return Outcome::Accept,
                },
                nat @ (Action::Masquerade { .. }
                | Action::SrcNat { .. }
                | Action::DstNat { .. }
                | Action::Redirect { .. }) => return Outcome::Nat(nat.clone()),
            }
        }
    }
}

/// The whole firewall of a snapshot.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Firewall {
    /// `/ip firewall mangle`.
    pub mangle: Table,
    /// `/ip firewall nat`.
    pub nat: Table,
    /// `/ip firewall filter`.
    pub filter: Table,
    /// Connection and packet mark names, by id (0: `no-mark`).
    pub marks: Vec<String>,
    /// `/ip firewall address-list`, by list id.
    pub lists: Vec<Vec<(u32, u32)>>,
    /// Whether connections are tracked (any rule exists, or tracking is forced on).
    pub track: bool,
    /// `loose-tcp-tracking`: mid-stream TCP packets start a connection.
    pub loose_tcp: bool,
    /// Some rule matches `dst-address-type` (so packets need it before routing).
    pub needs_dst_local: bool,
}

impl Firewall {
    /// The name of mark `id`.
    pub fn mark_name(&self, id: u16) -> &str {
        self.marks.get(usize::from(id)).map_or("", String::as_str)
    }

    /// Runs built-in chain `chain` of `table` (absent chain: accept).
    pub fn run(&self, table: &Table, chain: &str, p: &Packet, marks: &mut Marks) -> Outcome {
        match table.chain(chain) {
            Some(c) => table.run(c, p, marks, &self.lists),
            None => Outcome::Accept,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(m: Match, action: Action, passthrough: bool) -> Rule {
        Rule {
            m,
            action,
            passthrough,
        }
    }

    #[test]
    fn marks_passthrough_jump_and_return() {
        let net = AddrMatch {
            first: 0xc0a8_0100,
            last: 0xc0a8_01ff,
            negate: false,
        };
        let t = Table {
            chains: vec![
                Chain {
                    name: "prerouting".into(),
                    rules: vec![
                        rule(
                            Match {
                                src: Some(net),
                                conn_state: Some((state::NEW, false)),
                                ..Match::default()
                            },
                            Action::MarkConnection(1),
                            false,
                        ),
                        rule(Match::default(), Action::Jump(1), false),
                        rule(
                            Match {
                                conn_mark: Some((2, false)),
                                ..Match::default()
                            },
                            Action::MarkRouting(TableId(3)),
                            true,
                        ),
                    ],
                },
                Chain {
                    name: "mine".into(),
                    rules: vec![
                        rule(
                            Match {
                                protocol: Some((17, false)),
                                ..Match::default()
                            },
                            Action::Return,
                            false,
                        ),
                        rule(Match::default(), Action::MarkConnection(2), true),
                        rule(Match::default(), Action::Jump(1), false),
                    ],
                },
            ],
        };
        let mut p = Packet {
            src: 0xc0a8_0105,
            protocol: 6,
            state: state::NEW,
            ..Packet::default()
        };
        let mut m = Marks::default();
        assert_eq!(t.run(0, &p, &mut m, &[]), Outcome::Accept);
        assert_eq!(m.conn, 1, "passthrough=no stops at the first mark");
        assert_eq!(m.routing, None);
        p.state = state::ESTABLISHED;
        let mut m = Marks::default();
        // The user chain marks 2 then jumps to itself: bounded, then back to prerouting.
        assert_eq!(t.run(0, &p, &mut m, &[]), Outcome::Accept);
        assert_eq!((m.conn, m.routing), (2, Some(TableId(3))));
        p.protocol = 17;
        let mut m = Marks::default();
        t.run(0, &p, &mut m, &[]);
        assert_eq!((m.conn, m.routing), (0, None), "return before the mark");
    }

    #[test]
    fn negations_ports_and_interfaces() {
        let m = Match {
            dst_port: Some(PortMatch {
                ranges: vec![(80, 80), (1000, 2000)],
                negate: false,
            }),
            in_ports: Some((vec![2], true)),
            conn_mark: Some((0, false)),
            ..Match::default()
        };
        let p = Packet {
            protocol: 6,
            dport: 1500,
            in_port: Some(1),
            ..Packet::default()
        };
        assert!(m.hit(&p, &Marks::default(), &[]));
        assert!(!m.hit(
            &Packet {
                in_port: Some(2),
                ..p
            },
            &Marks::default(),
            &[]
        ));
        assert!(
            !m.hit(&Packet { protocol: 1, ..p }, &Marks::default(), &[]),
            "no ports"
        );
        assert!(!m.hit(
            &p,
            &Marks {
                conn: 4,
                ..Marks::default()
            },
            &[]
        ));
        // Address lists: list 1 holds 10.0.0.0/8; `!` inverts.
        let lists = vec![vec![], vec![(0x0a00_0000, 0x0aff_ffff)]];
        let l = Match {
            src_list: Some((1, false)),
            dst_list: Some((1, true)),
            ..Match::default()
        };
        let q = Packet {
            src: 0x0a01_0203,
            dst: 0x0808_0808,
            ..Packet::default()
        };
        assert!(l.hit(&q, &Marks::default(), &lists));
        assert!(!l.hit(
            &Packet {
                dst: 0x0a00_0001,
                ..q
            },
            &Marks::default(),
            &lists
        ));
        assert!(
            !l.hit(&q, &Marks::default(), &[]),
            "an unknown list holds nothing"
        );
    }
}
