//! The IPv4 forwarding pipeline, generic over the packet buffer, so tests and benchmarks
//! drive it with byte vectors and the workers with mbufs.
//!
//! Per packet: Ethernet → ARP and multicast to the kernel twin (punt) → IPv4 checks
//! (version, header length, total length, checksum) → the ingress port's VRF table →
//! longest-prefix match → next hop (local: punt; blackhole; prohibit; unreachable; an
//! adjacency, ECMP by flow hash) → TTL (time exceeded) → MTU with DF (fragmentation needed) →
//! TTL decrement with incremental checksum → L2 rewrite. ICMP errors are built in place,
//! sourced from the ingress interface's address, sent back out of the ingress port, and
//! rate limited per worker. Every drop has a [`DropReason`].
//!
//! Not yet here (issue 5 continues): bulk lookups over a burst, neighbour resolution (ARP
//! requests for unresolved next hops), MPLS, IP fragmentation.

use crate::conntrack::{first_tcp, Conn, Conntrack, Dir, FlowKey};
use crate::counters::DropReason;
use crate::wire::arp;
use crate::wire::ethernet::{self, ethertype, Frame};
use crate::wire::icmp;
use crate::wire::ipv4::{self, protocol};
use crate::wire::{checksum, WireError};
use shared::adj::{flow_hash, Resolved};
use shared::fib::NO_ROUTE;
use shared::firewall::{self as fw, Marks, Outcome};
use shared::snapshot::{RpFilter, Snapshot};
use shared::types::{NextHopId, PortId, TableId};
use std::sync::Arc;

/// A packet buffer the pipeline can read, rewrite and resize.
pub trait PacketBuf {
    /// The packet's bytes.
    fn bytes(&self) -> &[u8];
    /// The packet's bytes, writable.
    fn bytes_mut(&mut self) -> &mut [u8];
    /// Sets the packet's length (shorter, or longer up to the buffer's room); `false` when
    /// there is no room.
    fn set_len(&mut self, len: usize) -> bool;
}

impl PacketBuf for Vec<u8> {
    fn bytes(&self) -> &[u8] {
        self
    }
    fn bytes_mut(&mut self) -> &mut [u8] {
        self
    }
    fn set_len(&mut self, len: usize) -> bool {
        self.resize(len, 0);
        true
    }
}

/// What to do with a packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Send it out of this port (rewritten).
    Forward(PortId),
    /// Hand it to the kernel twin of the ingress port.
    Punt,
    /// An ICMP error replaced it: send it back out of the ingress port; the original is
    /// counted as dropped for the reason.
    Reply(PortId, DropReason),
    /// Drop it, counting why.
    Drop(DropReason),
    /// Send it out of this port (rewritten) in fragments of at most this IP MTU: it is
    /// larger and may be fragmented (no DF). [`crate::fragment`] cuts it.
    Fragment(PortId, u16),
}

/// A token bucket: at most `rate` per second, bursts of `burst`.
#[derive(Debug, Clone)]
pub struct RateLimit {
    tokens: u64,
    burst: u64,
    rate: u64,
    last_ns: u64,
}

impl RateLimit {
    /// `rate` per second, `burst` at once.
    pub fn new(rate: u64, burst: u64) -> Self {
        RateLimit {
            tokens: burst,
            burst,
            rate,
            last_ns: 0,
        }
    }

    /// Takes a token at time `now_ns` if one is left.
    pub fn take(&mut self, now_ns: u64) -> bool {
        let elapsed = now_ns.saturating_sub(self.last_ns);
        let refill = elapsed.saturating_mul(self.rate) / 1_000_000_000;
        if refill > 0 {
            self.tokens = (self.tokens + refill).min(self.burst);
            self.last_ns = now_ns;
        }
        if self.tokens == 0 {
            return false;
        }
        self.tokens -= 1;
        true
    }
}

/// What a worker tells the control plane (through a queue it drains).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// An ARP packet from `ip` with `mac` arrived on `port`; `for_us`: it asked for, or
    /// answered, one of the router's addresses.
    Heard {
        /// The port it arrived on.
        port: PortId,
        /// Its sender address.
        ip: u32,
        /// Its sender MAC.
        mac: [u8; 6],
        /// Whether its target is one of the router's addresses.
        for_us: bool,
    },
    /// An ARP packet on `port` from `mac` claimed `ip`, one of the router's own addresses.
    Conflict {
        /// The port it arrived on.
        port: PortId,
        /// The address it claimed.
        ip: u32,
        /// Its sender MAC.
        mac: [u8; 6],
    },
    /// Packets for `ip`, a neighbour on `port`, wait for its MAC: send an ARP request from
    /// `src`.
    Want {
        /// The port the neighbour is on.
        port: PortId,
        /// The neighbour.
        ip: u32,
        /// The router's address on that network.
        src: u32,
    },
}

/// Events a pipeline keeps until the worker drains them; more are not recorded (the
/// control plane rate-limits its requests anyway, and an ARP flood must not grow memory).
pub const MAX_EVENTS: usize = 256;

/// Slots of the filter that keeps one `Want` per neighbour per [`WANT_INTERVAL_NS`].
const WANT_SLOTS: usize = 64;
const WANT_INTERVAL_NS: u64 = 100_000_000;

/// The budgets of one VRF: what one customer's flood may use up without touching another's.
#[derive(Debug, Clone)]
struct VrfBudget {
    /// ICMP errors sent.
    icmp: RateLimit,
    /// ARP packets handed to the kernel.
    arp: RateLimit,
    /// Requests to resolve a neighbour.
    want: RateLimit,
}

/// One worker's pipeline state.
#[derive(Debug, Clone)]
pub struct Pipeline {
    conntrack: Option<Arc<Conntrack>>,
    /// Per VRF, indexed by [`shared::types::VrfId`]: every VRF has its own share.
    budgets: Box<[VrfBudget]>,
    events: Vec<Event>,
    /// (port, neighbour, when last asked for).
    wanted: [(u16, u32, u64); WANT_SLOTS],
}

impl Default for Pipeline {
    fn default() -> Self {
        // RouterOS and Linux both default to about 1,000 ICMP errors a second.
        Self::with_icmp_rate(1000)
    }
}

/// The ICMP error to send instead of forwarding.
#[derive(Debug, Clone, Copy)]
struct IcmpError {
    msg_type: u8,
    code: u8,
    mtu: u16,
    reason: DropReason,
}

fn wire_drop(e: WireError) -> Verdict {
    Verdict::Drop(match e {
        WireError::Truncated => DropReason::Truncated,
        _ => DropReason::BadIpHeader,
    })
}

impl Pipeline {
    /// A pipeline with an ICMP error limit of `rate` per second in each VRF.
    pub fn with_icmp_rate(rate: u64) -> Self {
        let budget = VrfBudget {
            icmp: RateLimit::new(rate, rate.clamp(1, 100)),
            // ARP for the router's addresses goes to the kernel; a flood beyond this is
            // dropped before it costs a system call each.
            arp: RateLimit::new(10_000, 1_000),
            // Unresolved neighbours: a scan of a customer's subnet asks for at most this.
            want: RateLimit::new(200, 50),
        };
        Pipeline {
            conntrack: None,
            budgets: vec![budget; shared::types::TableId::MAX_TABLES].into_boxed_slice(),
            events: Vec::with_capacity(MAX_EVENTS),
            wanted: [(0, 0, 0); WANT_SLOTS],
        }
    }

    /// The budgets of the VRF of `port`.
    #[inline]
    fn budget(&mut self, snap: &Snapshot, port: PortId) -> &mut VrfBudget {
        let v = usize::from(snap.ingress_vrf(port).0) % self.budgets.len();
        &mut self.budgets[v]
    }

    /// Tracks connections in `ct` (shared with the other workers) when the snapshot has
    /// firewall rules.
    pub fn with_conntrack(mut self, ct: Arc<Conntrack>) -> Self {
        self.conntrack = Some(ct);
        self
    }

    /// Takes the events recorded since the last call.
    pub fn drain_events(&mut self) -> std::vec::Drain<'_, Event> {
        self.events.drain(..)
    }

    fn event(&mut self, e: Event) {
        if self.events.len() < MAX_EVENTS {
            self.events.push(e);
        }
    }

    /// An ARP packet: learn from it, and hand it to the kernel when it is about one of the
    /// router's addresses (the kernel twin answers requests).
    // Off the forwarding path: kept out of the burst loop.
    #[cold]
    #[inline(never)]
    fn arp<B: PacketBuf>(
        &mut self,
        snap: &Snapshot,
        in_port: PortId,
        pkt: &B,
        now_ns: u64,
    ) -> Verdict {
        let Ok(frame) = Frame::new_checked(pkt.bytes()) else {
            return Verdict::Drop(DropReason::Truncated);
        };
        let Ok(a) = arp::Packet::new_checked(frame.payload()) else {
            return Verdict::Drop(DropReason::BadArp);
        };
        let (sip, smac, tip) = (a.sender_ip(), a.sender_mac(), a.target_ip());
        let ours = |ip: u32| {
            snap.fib(snap.ingress_table(in_port))
                .and_then(|f| f.lookup(ip))
                .is_some_and(|nh| {
                    matches!(snap.next_hops.resolve(nh, 0), shared::adj::Resolved::Local)
                })
        };
        if sip != 0 && ours(sip) {
            // Someone else claims our address: never learned, reported once in a while.
            self.event(Event::Conflict {
                port: in_port,
                ip: sip,
                mac: smac,
            });
            return Verdict::Drop(DropReason::ArpAddressConflict);
        }
        let for_us = ours(tip);
        if sip != 0 {
            self.event(Event::Heard {
                port: in_port,
                ip: sip,
                mac: smac,
                for_us,
            });
        }
        if !for_us {
            return Verdict::Drop(DropReason::ArpNotForUs);
        }
        if !self.budget(snap, in_port).arp.take(now_ns) {
            return Verdict::Drop(DropReason::PuntRateLimited);
        }
        Verdict::Punt
    }

    /// Asks for `ip`'s MAC on `port`, at most once per neighbour (a port and an address:
    /// the same address in another VRF is another neighbour) per [`WANT_INTERVAL_NS`], and
    /// within the budget of the port's VRF.
    // Off the forwarding path: kept out of the burst loop.
    #[cold]
    #[inline(never)]
    fn want(&mut self, snap: &Snapshot, port: PortId, src: u32, ip: u32, now_ns: u64) {
        let key = ip ^ u32::from(port.0).wrapping_mul(0x0100_0193);
        let slot = (key.wrapping_mul(0x9E37_79B9) >> 26) as usize % WANT_SLOTS;
        let (last_port, last_ip, last_ns) = self.wanted[slot];
        if (last_port, last_ip) == (port.0, ip)
            && now_ns.saturating_sub(last_ns) < WANT_INTERVAL_NS
            && last_ns != 0
        {
            return;
        }
        if !self.budget(snap, port).want.take(now_ns) {
            return;
        }
        self.wanted[slot] = (port.0, ip, now_ns.max(1));
        self.event(Event::Want { port, ip, src });
    }

    /// Processes one packet that arrived on `in_port` at `now_ns`.
    pub fn process<B: PacketBuf>(
        &mut self,
        snap: &Snapshot,
        in_port: PortId,
        pkt: &mut B,
        now_ns: u64,
    ) -> Verdict {
        if !for_this_port(port_mac(snap, in_port), pkt.bytes()) {
            return Verdict::Drop(DropReason::OtherHost);
        }
        match parse(pkt) {
            Err(Verdict::Punt) if is_arp(pkt) => self.arp(snap, in_port, pkt, now_ns),
            Err(v) => v,
            Ok(p) if !rp_ok(snap, in_port, p.src) => Verdict::Drop(DropReason::RpFilter),
            Ok(p) if self.tracking(snap) => self.firewalled(snap, in_port, pkt, p, now_ns),
            Ok(p) => {
                let nh = snap
                    .fib(snap.ingress_table(in_port))
                    .map_or(NO_ROUTE, |f| f.lookup(p.dst).map_or(NO_ROUTE, |n| n.0));
                self.finish(snap, in_port, pkt, &p, nh, now_ns)
            }
        }
    }

    /// Processes a burst (at most [`MAX_BURST`] packets) that arrived on `in_port`: parses
    /// every packet, looks all destinations up in one bulk call (its cache misses overlap),
    /// then finishes each. `verdicts[i]` is the verdict of `pkts[i]`.
    pub fn process_burst<B: PacketBuf>(
        &mut self,
        snap: &Snapshot,
        in_port: PortId,
        pkts: &mut [B],
        verdicts: &mut [Verdict],
        now_ns: u64,
    ) {
        let n = pkts.len().min(verdicts.len()).min(MAX_BURST);
        if self.tracking(snap) {
            // Rules and connections decide per packet (marks may choose the table).
            for i in 0..n {
                verdicts[i] = self.process(snap, in_port, &mut pkts[i], now_ns);
            }
            return;
        }
        let mut parsed: [Option<Parsed>; MAX_BURST] = [None; MAX_BURST];
        let mut dsts = [0u32; MAX_BURST];
        let mut nhs = [NO_ROUTE; MAX_BURST];
        // Bring every packet's headers in at once, so their misses overlap (as l3fwd does).
        for p in pkts.iter().take(n) {
            if let Some(b) = p.bytes().first() {
                shared::fib::prefetch(b);
            }
        }
        let mut k = 0;
        let mac = port_mac(snap, in_port);
        let rp = snap.rp_filter != RpFilter::No;
        for i in 0..n {
            if !for_this_port(mac, pkts[i].bytes()) {
                verdicts[i] = Verdict::Drop(DropReason::OtherHost);
                continue;
            }
            match parse(&mut pkts[i]) {
                Ok(p) if rp && !rp_ok(snap, in_port, p.src) => {
                    verdicts[i] = Verdict::Drop(DropReason::RpFilter)
                }
                Ok(p) => {
                    dsts[k] = p.dst;
                    k += 1;
                    parsed[i] = Some(p);
                }
                Err(Verdict::Punt) if is_arp(&pkts[i]) => {
                    verdicts[i] = self.arp(snap, in_port, &pkts[i], now_ns)
                }
                Err(v) => verdicts[i] = v,
            }
        }
        if let Some(fib) = snap.fib(snap.ingress_table(in_port)) {
            fib.lookup_bulk(&dsts[..k], &mut nhs[..k]);
        }
        snap.next_hops.prefetch(&nhs[..k]);
        let mut j = 0;
        for i in 0..n {
            if let Some(p) = parsed[i] {
                verdicts[i] = self.finish(snap, in_port, &mut pkts[i], &p, nhs[j], now_ns);
                j += 1;
            }
        }
    }

    /// Whether packets go through connection tracking and the firewall.
    #[inline]
    fn tracking(&self, snap: &Snapshot) -> bool {
        self.conntrack.is_some() && snap.firewall.as_ref().is_some_and(|f| f.track)
    }

    /// The firewall path, in RouterOS's order: conntrack → mangle prerouting → dstnat (new
    /// connections) → routing decision (routing mark, then the VRF, then `main` for `main`'s
    /// ports) → mangle forward/postrouting or input → filter forward or input → srcnat (new
    /// connections) → the connection recorded, addresses and ports rewritten → forwarding.
    fn firewalled<B: PacketBuf>(
        &mut self,
        snap: &Snapshot,
        in_port: PortId,
        pkt: &mut B,
        p: Parsed,
        now: u64,
    ) -> Verdict {
        let (Some(ct), Some(fwl)) = (self.conntrack.clone(), snap.firewall.as_deref()) else {
            return Verdict::Drop(DropReason::UnknownPort);
        };
        let Some(f) = flow_of(pkt.bytes(), p.eh) else {
            return Verdict::Drop(DropReason::BadIpHeader);
        };
        let vrf = snap.port_vrf.get(usize::from(in_port.0)).map_or(0, |v| v.0);
        let key = FlowKey {
            vrf,
            proto: f.proto,
            src: f.src,
            dst: f.dst,
            sport: f.sport,
            dport: f.dport,
        };
        let seen = if f.trackable {
            ct.lookup(&key, p.ip_len as u64, f.flags, now)
        } else {
            None
        };
        let st = match (&seen, f.trackable) {
            (_, false) => fw::state::UNTRACKED,
            (Some(s), _) if s.dir == Dir::Reply || s.conn.seen_reply => fw::state::ESTABLISHED,
            (Some(_), _) => fw::state::NEW,
            (None, _) if f.related => fw::state::RELATED,
            (None, _)
                if f.proto == protocol::TCP && first_tcp(f.flags, fwl.loose_tcp).is_none() =>
            {
                fw::state::INVALID
            }
            (None, _) => fw::state::NEW,
        };
        let is_new = seen.is_none() && st == fw::state::NEW;
        // The tuple the packet leaves with: an established connection's translation.
        let (mut nsrc, mut nsport, mut ndst, mut ndport) = (f.src, f.sport, f.dst, f.dport);
        if let Some(s) = &seen {
            let out = match s.dir {
                Dir::Original => s.conn.reply.reversed(0),
                Dir::Reply => s.conn.orig.reversed(0),
            };
            (nsrc, nsport, ndst, ndport) = (out.src, out.sport, out.dst, out.dport);
        }
        let mut marks = Marks {
            conn: seen.as_ref().map_or(0, |s| s.conn.mark),
            ..Marks::default()
        };
        let vrf_table = snap.ingress_table(in_port);
        // Only rules with `dst-address-type` need to know before routing: a lookup saved.
        let is_local = |t: TableId, a: u32| {
            fwl.needs_dst_local
                && snap
                    .fib(t)
                    .and_then(|f| f.lookup(a))
                    .is_some_and(|nh| matches!(snap.next_hops.resolve(nh, 0), Resolved::Local))
        };
        let nat_state = seen.as_ref().map_or(0, |s| {
            u8::from(s.conn.srcnat()) | (u8::from(s.conn.dstnat()) << 1)
        });
        let mut info = fw::Packet {
            src: f.src,
            dst: ndst,
            protocol: f.proto,
            sport: f.sport,
            dport: ndport,
            in_port: Some(in_port.0),
            out_port: None,
            state: st,
            nat_state,
            dst_local: is_local(vrf_table, ndst),
        };
        if let Outcome::Drop | Outcome::Reject(_) =
            fwl.run(&fwl.mangle, "prerouting", &info, &mut marks)
        {
            return Verdict::Drop(DropReason::Filtered);
        }
        if is_new {
            match fwl.run(&fwl.nat, "dstnat", &info, &mut marks) {
                Outcome::Nat(fw::Action::DstNat { addrs, ports }) => {
                    ndst = addrs.0;
                    ndport = ports.map_or(ndport, |p| p.0);
                }
                Outcome::Nat(fw::Action::Redirect { ports }) => {
                    if let Some(me) = snap.port(in_port).and_then(|p| p.ipv4) {
                        ndst = me;
                    }
                    ndport = ports.map_or(ndport, |p| p.0);
                }
                Outcome::Drop | Outcome::Reject(_) => return Verdict::Drop(DropReason::Filtered),
                _ => {}
            }
            info.dst = ndst;
            info.dport = ndport;
            info.dst_local = is_local(vrf_table, ndst);
        }
        // The routing decision: the routing mark's table if it has a route, else the VRF's.
        let lookup = |t: TableId| snap.fib(t).and_then(|f| f.lookup(ndst));
        let nh = marks
            .routing
            .and_then(lookup)
            .or_else(|| lookup(vrf_table))
            .map_or(NO_ROUTE, |n| n.0);
        let resolved = if nh == NO_ROUTE {
            Resolved::Unreachable
        } else {
            snap.next_hops.resolve(NextHopId(nh), 0)
        };
        let (local, out_port) = match resolved {
            Resolved::Local => (true, None),
            Resolved::Forward(a) => (false, Some(a.port.0)),
            Resolved::Glean { port, .. } => (false, Some(port.0)),
            _ => (false, None),
        };
        info.out_port = out_port;
        if !local && seen.is_none() && !self.belongs(&ct, pkt.bytes(), &f, st, vrf) {
            return Verdict::Drop(DropReason::NoConnection);
        }
        let (mangle_chain, filter_chain) = if local {
            ("input", "input")
        } else {
            ("forward", "forward")
        };
        if let Outcome::Drop | Outcome::Reject(_) =
            fwl.run(&fwl.mangle, mangle_chain, &info, &mut marks)
        {
            return Verdict::Drop(DropReason::Filtered);
        }
        match fwl.run(&fwl.filter, filter_chain, &info, &mut marks) {
            Outcome::Drop => return Verdict::Drop(DropReason::Filtered),
            Outcome::Reject(code) => {
                return self.icmp(
                    snap,
                    in_port,
                    pkt,
                    p.eh,
                    now,
                    IcmpError {
                        msg_type: icmp::DEST_UNREACHABLE,
                        code: code.unwrap_or(icmp::code::PORT_UNREACHABLE),
                        mtu: 0,
                        reason: DropReason::Filtered,
                    },
                )
            }
            _ => {}
        }
        if !local {
            if let Outcome::Drop | Outcome::Reject(_) =
                fwl.run(&fwl.mangle, "postrouting", &info, &mut marks)
            {
                return Verdict::Drop(DropReason::Filtered);
            }
        }
        // The router's own traffic is its kernel twin's to track (a port scan of the
        // router fills no table here); unless dst-nat sent it there.
        let to_us_untranslated = local && ndst == f.dst;
        if is_new && f.trackable && !to_us_untranslated {
            let mut nat_ports = None;
            if let Some(out) = out_port {
                match fwl.run(&fwl.nat, "srcnat", &info, &mut marks) {
                    Outcome::Nat(fw::Action::Masquerade { ports }) => {
                        if let Some(a) = snap.port(PortId(out)).and_then(|p| p.ipv4) {
                            nsrc = a;
                            nat_ports = Some(ports.unwrap_or((1024, 65535)));
                        }
                    }
                    Outcome::Nat(fw::Action::SrcNat { addrs, ports }) => {
                        nsrc = addrs.0;
                        nat_ports = ports;
                    }
                    Outcome::Drop | Outcome::Reject(_) => {
                        return Verdict::Drop(DropReason::Filtered)
                    }
                    _ => {}
                }
            }
            // The reply comes back in the VRF of the port the packet leaves by.
            let out_vrf = out_port
                .and_then(|o| snap.port_vrf.get(usize::from(o)))
                .map_or(vrf, |v| v.0);
            let mut conn = Conn {
                orig: key,
                reply: FlowKey {
                    vrf: out_vrf,
                    proto: f.proto,
                    src: ndst,
                    dst: nsrc,
                    sport: ndport,
                    dport: nsport,
                },
                seen_reply: false,
                tcp: (f.proto == protocol::TCP)
                    .then(|| first_tcp(f.flags, fwl.loose_tcp))
                    .flatten(),
                mark: marks.conn,
                expires: 0,
                packets: [1, 0],
                bytes: [p.ip_len as u64, 0],
            };
            let icmp_echo = f.proto == protocol::ICMP;
            let mut added = false;
            // Source ports for NAT: from a spot chosen by the flow, then onwards.
            // First the packet's own source port when the range allows it, then ports
            // spread by the flow's hash (a prime stride, so probes do not cluster).
            let (lo, hi) = nat_ports.unwrap_or((nsport, nsport));
            let span = u32::from(hi.saturating_sub(lo)) + 1;
            let keep = (lo..=hi).contains(&f.sport);
            let h = flow_hash(f.src, f.dst, f.proto, f.sport, f.dport);
            for attempt in 0..span.min(512) {
                let port = if attempt == 0 && keep {
                    f.sport
                } else {
                    lo + (h.wrapping_add(attempt.wrapping_mul(7919)) % span) as u16
                };
                if nat_ports.is_some() {
                    nsport = port;
                    conn.reply.dport = port;
                    if icmp_echo {
                        conn.reply.sport = port;
                    }
                }
                match ct.add(conn.clone(), now) {
                    Ok(_) => {
                        added = true;
                        break;
                    }
                    Err(crate::conntrack::AddError::Full) => {
                        return Verdict::Drop(DropReason::ConntrackFull)
                    }
                    Err(crate::conntrack::AddError::Exists) if nat_ports.is_some() => continue,
                    // Another worker added it first: it is this packet's connection.
                    Err(crate::conntrack::AddError::Exists) => {
                        added = true;
                        break;
                    }
                }
            }
            if !added {
                return Verdict::Drop(DropReason::NatExhausted);
            }
            if icmp_echo && nat_ports.is_some() {
                ndport = nsport;
            }
        } else if let Some(s) = &seen {
            if marks.conn != s.conn.mark {
                ct.set_mark(s.id, marks.conn);
            }
        }
        if (nsrc, nsport, ndst, ndport) != (f.src, f.sport, f.dst, f.dport) {
            rewrite(pkt.bytes_mut(), p.eh, &f, (nsrc, nsport, ndst, ndport));
        }
        let p2 = Parsed { dst: ndst, ..p };
        self.finish(snap, in_port, pkt, &p2, nh, now)
    }

    /// Whether a packet being forwarded that matched no connection may go on: not TCP that
    /// cannot open one (`state` invalid: a stray RST, SYN-ACK or FIN), not an ICMP error
    /// whose quoted packet belongs to no tracked flow.
    fn belongs(&self, ct: &Conntrack, bytes: &[u8], f: &Flow, state: u8, vrf: u16) -> bool {
        if f.proto == protocol::TCP && state == fw::state::INVALID {
            return false;
        }
        if !f.related {
            return true;
        }
        // The quoted packet went towards the error's sender: its flow, turned around, is
        // a direction of a tracked connection in the VRF the error arrived in.
        let Some(q) = bytes
            .get(f.l4 + icmp::HEADER_LEN..)
            .and_then(|b| flow_of(b, 0))
        else {
            return false;
        };
        ct.contains(&FlowKey {
            vrf,
            proto: q.proto,
            src: q.dst,
            dst: q.src,
            sport: q.dport,
            dport: q.sport,
        })
    }

    /// Everything after the lookup: next hop, TTL, MTU, rewrite or ICMP error.
    fn finish<B: PacketBuf>(
        &mut self,
        snap: &Snapshot,
        in_port: PortId,
        pkt: &mut B,
        p: &Parsed,
        nh: u32,
        now_ns: u64,
    ) -> Verdict {
        let eh = p.eh;
        if nh == NO_ROUTE {
            return self.icmp(
                snap,
                in_port,
                pkt,
                eh,
                now_ns,
                unreachable(DropReason::NoRoute),
            );
        }
        // The flow hash only matters for equal-cost paths: computed only for them.
        let adj = match snap
            .next_hops
            .resolve_with(NextHopId(nh), || flow_hash_of(pkt.bytes(), p.eh))
        {
            Resolved::Forward(a) => *a,
            Resolved::Local => return Verdict::Punt,
            Resolved::Glean { port, src, target } => {
                // Expired before the neighbour matters (RFC 1812: TTL first).
                if p.ttl <= 1 {
                    return self.time_exceeded(snap, in_port, pkt, eh, now_ns);
                }
                let ip = if target == 0 { p.dst } else { target };
                self.want(snap, port, src, ip, now_ns);
                return Verdict::Drop(DropReason::Unresolved);
            }
            Resolved::Blackhole => return Verdict::Drop(DropReason::Blackhole),
            Resolved::Prohibit => {
                return self.icmp(
                    snap,
                    in_port,
                    pkt,
                    eh,
                    now_ns,
                    IcmpError {
                        msg_type: icmp::DEST_UNREACHABLE,
                        code: icmp::code::ADMIN_PROHIBITED,
                        mtu: 0,
                        reason: DropReason::Prohibited,
                    },
                )
            }
            Resolved::Unreachable => {
                return self.icmp(
                    snap,
                    in_port,
                    pkt,
                    eh,
                    now_ns,
                    unreachable(DropReason::NoRoute),
                )
            }
        };
        if p.ttl <= 1 {
            return self.time_exceeded(snap, in_port, pkt, eh, now_ns);
        }
        if p.ip_len > usize::from(adj.mtu) && p.df {
            return self.icmp(
                snap,
                in_port,
                pkt,
                eh,
                now_ns,
                IcmpError {
                    msg_type: icmp::DEST_UNREACHABLE,
                    code: icmp::code::FRAG_NEEDED,
                    mtu: adj.mtu,
                    reason: DropReason::FragNeeded,
                },
            );
        }
        let bytes = pkt.bytes_mut();
        // parse() validated the header: no second view needed.
        if let Some(h) = bytes.get_mut(eh..eh + ipv4::MIN_HEADER_LEN) {
            ipv4::decrement_ttl_in(h);
        }
        bytes[0..6].copy_from_slice(&adj.dst_mac);
        bytes[6..12].copy_from_slice(&adj.src_mac);
        if p.ip_len > usize::from(adj.mtu) {
            // Larger than the way out and DF clear: cut in fragments (RFC 791).
            return Verdict::Fragment(adj.port, adj.mtu);
        }
        Verdict::Forward(adj.port)
    }

    /// ICMP time exceeded in transit, instead of forwarding.
    // Off the forwarding path: kept out of the burst loop.
    #[cold]
    #[inline(never)]
    fn time_exceeded<B: PacketBuf>(
        &mut self,
        snap: &Snapshot,
        in_port: PortId,
        pkt: &mut B,
        eh: usize,
        now_ns: u64,
    ) -> Verdict {
        let e = IcmpError {
            msg_type: icmp::TIME_EXCEEDED,
            code: 0,
            mtu: 0,
            reason: DropReason::TtlExpired,
        };
        self.icmp(snap, in_port, pkt, eh, now_ns, e)
    }

    /// Replaces the packet with an ICMP error about it, when the rules allow one.
    // Off the forwarding path: kept out of the burst loop.
    #[cold]
    #[inline(never)]
    fn icmp<B: PacketBuf>(
        &mut self,
        snap: &Snapshot,
        in_port: PortId,
        pkt: &mut B,
        eh: usize,
        now_ns: u64,
        e: IcmpError,
    ) -> Verdict {
        let Some(port) = snap.port(in_port).copied() else {
            return Verdict::Drop(DropReason::UnknownPort);
        };
        let Some(our_ip) = port.ipv4 else {
            return Verdict::Drop(e.reason);
        };
        let (quoted_len, orig_src) = {
            let Ok(ip) = ipv4::Packet::new_checked(&pkt.bytes()[eh..]) else {
                return Verdict::Drop(e.reason);
            };
            // RFC 1812 §4.3.2.7: no error about an ICMP error, a non-first fragment, or a
            // packet from a source that is not a unicast host.
            let src = ip.src();
            let is_icmp_error = ip.protocol() == protocol::ICMP
                && icmp::Packet::new_checked(ip.payload())
                    .map(|m| {
                        !matches!(
                            m.msg_type(),
                            icmp::ECHO_REQUEST | icmp::ECHO_REPLY | 13 | 14 | 15 | 16 | 17 | 18
                        )
                    })
                    .unwrap_or(true);
            if is_icmp_error || ip.frag_offset() != 0 || src == 0 || src >> 28 >= 0xe {
                return Verdict::Drop(e.reason);
            }
            // Quote as much of the original as fits in 576 bytes (RFC 1812 §4.3.2.3).
            (
                usize::from(ip.total_len()).min(576 - 20 - icmp::HEADER_LEN),
                src,
            )
        };
        if !self.budget(snap, in_port).icmp.take(now_ns) {
            return Verdict::Drop(DropReason::IcmpRateLimited);
        }
        let mut quoted = [0u8; 576];
        quoted[..quoted_len].copy_from_slice(&pkt.bytes()[eh..eh + quoted_len]);
        let total = 20 + icmp::HEADER_LEN + quoted_len;
        if !pkt.set_len(eh + total) {
            return Verdict::Drop(e.reason);
        }
        let b = pkt.bytes_mut();
        // Back to whoever sent it, from this port.
        let peer: [u8; 6] = b[6..12].try_into().unwrap_or([0; 6]);
        b[0..6].copy_from_slice(&peer);
        b[6..12].copy_from_slice(&port.mac);
        let ip = &mut b[eh..eh + 20];
        ip.copy_from_slice(&[
            0x45,
            0xc0,
            0,
            0,
            0,
            0,
            0,
            0,
            64,
            protocol::ICMP,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
        ]);
        ip[2..4].copy_from_slice(&(total as u16).to_be_bytes());
        ip[12..16].copy_from_slice(&our_ip.to_be_bytes());
        ip[16..20].copy_from_slice(&orig_src.to_be_bytes());
        let c = checksum::finish(checksum::sum(ip, 0));
        ip[10..12].copy_from_slice(&c.to_be_bytes());
        if icmp::Packet::emit_error(
            &mut b[eh + 20..eh + total],
            e.msg_type,
            e.code,
            e.mtu,
            &quoted[..quoted_len],
        )
        .is_err()
        {
            return Verdict::Drop(e.reason);
        }
        Verdict::Reply(in_port, e.reason)
    }
}

/// Packets a burst holds at most.
pub const MAX_BURST: usize = 32;

/// What parsing learned of a packet to forward.
#[derive(Debug, Clone, Copy)]
struct Parsed {
    eh: usize,
    ip_len: usize,
    src: u32,
    dst: u32,
    ttl: u8,
    df: bool,
}

/// Ethernet and IPv4 checks; `Err` carries the verdict for packets that go no further
/// (ARP and multicast to the kernel, drops). Trims Ethernet padding.
#[inline(always)]
fn parse<B: PacketBuf>(pkt: &mut B) -> Result<Parsed, Verdict> {
    // One pass over the headers; trimming the padding afterwards changes none of them.
    let parsed = {
        let frame =
            Frame::new_checked(pkt.bytes()).map_err(|_| Verdict::Drop(DropReason::Truncated))?;
        if frame.header_len() != ethernet::HEADER_LEN {
            // No VLAN interfaces yet: a tagged frame (priority tag included) belongs to no
            // interface, and routing it in the port's VRF would be a VLAN-hopping path.
            return Err(Verdict::Drop(DropReason::UnknownVlan));
        }
        match frame.ethertype() {
            ethertype::IPV4 => {}
            ethertype::ARP => return Err(Verdict::Punt),
            _ => return Err(Verdict::Drop(DropReason::UnknownEthertype)),
        }
        let ip = ipv4::Packet::new_checked(frame.payload()).map_err(wire_drop)?;
        if !ip.verify_checksum() {
            return Err(Verdict::Drop(DropReason::BadChecksum));
        }
        let (src, dst) = (ip.src(), ip.dst());
        if is_martian(src, dst) {
            return Err(Verdict::Drop(DropReason::Martian));
        }
        // Multicast and limited broadcast are for the router's own protocols.
        if dst >> 28 == 0xe || dst == u32::MAX {
            return Err(Verdict::Punt);
        }
        Parsed {
            eh: frame.header_len(),
            ip_len: usize::from(ip.total_len()),
            src,
            dst,
            ttl: ip.ttl(),
            df: ip.dont_frag(),
        }
    };
    if pkt.bytes().len() > parsed.eh + parsed.ip_len {
        pkt.set_len(parsed.eh + parsed.ip_len);
    }
    Ok(parsed)
}

/// RFC 1812 §5.3.7: sources in 0.0.0.0/8, 127.0.0.0/8, multicast, 240.0.0.0/4 and the
/// limited broadcast; destinations in 0.0.0.0/8, 127.0.0.0/8 and 240.0.0.0/4 (but the
/// limited broadcast). Dropped silently: no ICMP error goes to a bogus address.
#[inline]
fn is_martian(src: u32, dst: u32) -> bool {
    let (s, d) = (src >> 24, dst >> 24);
    s == 0 || s == 127 || s >= 224 || d == 0 || d == 127 || (d >= 240 && dst != u32::MAX)
}

/// Whether a frame's destination MAC is this port's (`mac`; `None`: a port the snapshot
/// does not know yet), broadcast, or IPv4 multicast (what the router's protocols listen
/// to). The ports are promiscuous: other frames were meant for another host on the segment.
#[inline]
fn for_this_port(mac: Option<[u8; 6]>, bytes: &[u8]) -> bool {
    let (Some(mac), Some(dst)) = (mac, bytes.get(0..6)) else {
        return true;
    };
    // The common case first: one 6-byte compare.
    if dst == mac || bytes.len() < ethernet::HEADER_LEN {
        return true; // a runt: parse() counts it as truncated.
    }
    dst == [0xff; 6] || dst[..3] == [0x01, 0x00, 0x5e]
}

/// The MAC of `port`, read once per burst.
#[inline]
fn port_mac(snap: &Snapshot, port: PortId) -> Option<[u8; 6]> {
    snap.port(port).map(|p| p.mac)
}

/// Whether the source of a packet that came in on `in_port` passes `/ip settings
/// rp-filter`, looked up in the port's VRF (RFC 3704). One of the router's own addresses
/// as a source never passes.
fn rp_ok(snap: &Snapshot, in_port: PortId, src: u32) -> bool {
    if snap.rp_filter == RpFilter::No {
        return true;
    }
    let Some(nh) = snap.lookup(snap.ingress_table(in_port), src) else {
        return false;
    };
    match snap.next_hops.egress_via(nh, in_port) {
        None => false,
        Some(via_in_port) => via_in_port || snap.rp_filter == RpFilter::Loose,
    }
}

/// Whether a frame is ARP (untagged or tagged).
fn is_arp<B: PacketBuf>(pkt: &B) -> bool {
    Frame::new_checked(pkt.bytes()).is_ok_and(|f| f.ethertype() == ethertype::ARP)
}

fn unreachable(reason: DropReason) -> IcmpError {
    IcmpError {
        msg_type: icmp::DEST_UNREACHABLE,
        code: icmp::code::NET_UNREACHABLE,
        mtu: 0,
        reason,
    }
}

/// The flow hash of the IPv4 packet at `eh` (validated by `parse`).
fn flow_hash_of(bytes: &[u8], eh: usize) -> u32 {
    match ipv4::Packet::new_checked(&bytes[eh..]) {
        Ok(ip) => flow_hash(
            ip.src(),
            ip.dst(),
            ip.protocol(),
            l4_port(&ip, 0),
            l4_port(&ip, 2),
        ),
        Err(_) => 0,
    }
}

/// A TCP or UDP port (offset 0: source, 2: destination) of an unfragmented datagram, else 0.
fn l4_port(ip: &ipv4::Packet<&[u8]>, at: usize) -> u16 {
    if ip.is_fragment() || !matches!(ip.protocol(), protocol::TCP | protocol::UDP) {
        return 0;
    }
    let p = ip.payload();
    if p.len() < at + 2 {
        return 0;
    }
    u16::from_be_bytes([p[at], p[at + 1]])
}

/// What connection tracking reads of a packet.
#[derive(Debug, Clone, Copy)]
struct Flow {
    proto: u8,
    src: u32,
    dst: u32,
    /// TCP/UDP ports; ICMP echo: the identifier in both.
    sport: u16,
    dport: u16,
    /// TCP flags.
    flags: u8,
    /// Whether it belongs to a trackable flow (not a later fragment).
    trackable: bool,
    /// An ICMP error (about some other packet).
    related: bool,
    /// Where the L4 header starts (offset in the frame).
    l4: usize,
}

fn flow_of(bytes: &[u8], eh: usize) -> Option<Flow> {
    let ip = ipv4::Packet::new_checked(&bytes[eh..]).ok()?;
    let l4 = eh + ip.header_len();
    let pl = ip.payload();
    let first = ip.frag_offset() == 0;
    let mut f = Flow {
        proto: ip.protocol(),
        src: ip.src(),
        dst: ip.dst(),
        sport: 0,
        dport: 0,
        flags: 0,
        trackable: first,
        related: false,
        l4,
    };
    if !first {
        return Some(f);
    }
    match f.proto {
        protocol::TCP if pl.len() >= 14 => {
            f.sport = u16::from_be_bytes([pl[0], pl[1]]);
            f.dport = u16::from_be_bytes([pl[2], pl[3]]);
            f.flags = pl[13];
        }
        protocol::UDP if pl.len() >= 4 => {
            f.sport = u16::from_be_bytes([pl[0], pl[1]]);
            f.dport = u16::from_be_bytes([pl[2], pl[3]]);
        }
        protocol::ICMP if pl.len() >= 8 => match pl[0] {
            icmp::ECHO_REQUEST | icmp::ECHO_REPLY => {
                let id = u16::from_be_bytes([pl[4], pl[5]]);
                f.sport = id;
                f.dport = id;
            }
            icmp::DEST_UNREACHABLE | icmp::TIME_EXCEEDED => f.related = true,
            _ => {}
        },
        // TCP or UDP too short for its ports: not trackable.
        protocol::TCP | protocol::UDP => f.trackable = false,
        _ => {}
    }
    Some(f)
}

/// Rewrites the addresses and ports of the packet at `eh` to `to` = (src, sport, dst, dport),
/// updating the IPv4 and TCP/UDP/ICMP checksums incrementally (RFC 1624).
fn rewrite(b: &mut [u8], eh: usize, f: &Flow, to: (u32, u16, u32, u16)) {
    let (src, sport, dst, dport) = to;
    let word = |v: u32| [(v >> 16) as u16, v as u16];
    let mut changes: Vec<(u16, u16)> = Vec::with_capacity(4);
    for (old, new) in word(f.src).into_iter().zip(word(src)) {
        changes.push((old, new));
    }
    for (old, new) in word(f.dst).into_iter().zip(word(dst)) {
        changes.push((old, new));
    }
    let put = |b: &mut [u8], at: usize, v: u16| {
        if let Some(s) = b.get_mut(at..at + 2) {
            s.copy_from_slice(&v.to_be_bytes());
        }
    };
    let get = |b: &[u8], at: usize| {
        b.get(at..at + 2)
            .map_or(0, |s| u16::from_be_bytes([s[0], s[1]]))
    };
    // IPv4 header: addresses and checksum.
    let mut c = get(b, eh + 10);
    for &(o, n) in &changes {
        c = checksum::update(c, o, n);
    }
    put(b, eh + 10, c);
    put(b, eh + 12, (src >> 16) as u16);
    put(b, eh + 14, src as u16);
    put(b, eh + 16, (dst >> 16) as u16);
    put(b, eh + 18, dst as u16);
    let l4 = f.l4;
    match f.proto {
        protocol::TCP | protocol::UDP => {
            let at = if f.proto == protocol::TCP {
                l4 + 16
            } else {
                l4 + 6
            };
            let old = get(b, at);
            // UDP without a checksum stays without one.
            let keep_zero = f.proto == protocol::UDP && old == 0;
            let mut c = old;
            for &(o, n) in &changes {
                c = checksum::update(c, o, n);
            }
            c = checksum::update(c, f.sport, sport);
            c = checksum::update(c, f.dport, dport);
            if !keep_zero {
                if f.proto == protocol::UDP && c == 0 {
                    c = 0xffff;
                }
                put(b, at, c);
            }
            put(b, l4, sport);
            put(b, l4 + 2, dport);
        }
        protocol::ICMP if f.sport == f.dport => {
            // Echo: the identifier, in the ICMP checksum only (no pseudo-header).
            let new_id = if sport != f.sport { sport } else { dport };
            if new_id != f.sport {
                let c = checksum::update(get(b, l4 + 2), f.sport, new_id);
                put(b, l4 + 2, c);
                put(b, l4 + 4, new_id);
            }
        }
        _ => {}
    }
}

/// Length of an untagged Ethernet header, for callers building frames.
pub const ETH_HEADER_LEN: usize = ethernet::HEADER_LEN;

#[cfg(test)]
mod tests {
    use super::*;
    use shared::adj::{Adjacency, LabelStack, NextHop, NextHops};
    use shared::fib::FibBuilder;
    use shared::snapshot::PortIface;
    use shared::types::{AdjId, NextHopId, Prefix4, TableId, VrfId};
    use std::sync::Arc;

    const MAC0: [u8; 6] = [2, 0, 0, 0, 0, 0x10];
    const MAC1: [u8; 6] = [2, 0, 0, 0, 0, 0x11];
    const HOST_B: [u8; 6] = [2, 0, 0, 0, 0, 0xbb];
    const HOST_A: [u8; 6] = [2, 0, 0, 0, 0, 0xaa];
    const MAC2: [u8; 6] = [2, 0, 0, 0, 0, 0x12];

    fn ip(s: &str) -> u32 {
        u32::from(s.parse::<std::net::Ipv4Addr>().unwrap())
    }

    /// Ports 0 and 1 in main (10.0.0.1/24, 10.1.0.1/24), port 2 in VRF 1 (table 7) with the
    /// same customer prefix as port 0's far side, to check isolation.
    fn snapshot() -> Snapshot {
        let nhs = NextHops {
            hops: vec![
                NextHop::Forward(AdjId(0)),
                NextHop::Local,
                NextHop::Blackhole,
                NextHop::Prohibit,
                NextHop::Forward(AdjId(1)),
            ],
            members: vec![],
            adjacencies: vec![
                Adjacency {
                    port: PortId(1),
                    dst_mac: HOST_B,
                    src_mac: MAC1,
                    push: LabelStack::default(),
                    mtu: 1500,
                },
                Adjacency {
                    port: PortId(0),
                    dst_mac: HOST_A,
                    src_mac: MAC0,
                    push: LabelStack::default(),
                    mtu: 1000,
                },
            ],
        };
        let mut main = FibBuilder::new();
        let p = |s: &str| s.parse::<Prefix4>().unwrap();
        main.insert(p("10.1.0.0/24"), NextHopId(0)).unwrap();
        main.insert(p("10.0.0.1/32"), NextHopId(1)).unwrap();
        main.insert(p("192.0.2.0/24"), NextHopId(2)).unwrap();
        main.insert(p("198.51.100.0/24"), NextHopId(3)).unwrap();
        main.insert(p("10.9.0.0/16"), NextHopId(4)).unwrap();
        let vrf = FibBuilder::new();
        let mut s = Snapshot::default();
        let mut tables = s.tables.to_vec();
        tables[0] = Some(main.publish());
        tables[7] = Some(vrf.publish());
        s.tables = tables.into();
        s.next_hops = Arc::new(nhs);
        s.port_vrf = Arc::from(vec![VrfId::MAIN, VrfId::MAIN, VrfId(1)]);
        s.vrf_table = Arc::from(vec![TableId::MAIN, TableId(7)]);
        s.ports = Arc::from(vec![
            PortIface {
                mac: MAC0,
                ipv4: Some(ip("10.0.0.1")),
                mtu: 1500,
            },
            PortIface {
                mac: MAC1,
                ipv4: Some(ip("10.1.0.1")),
                mtu: 1500,
            },
            PortIface {
                mac: MAC2,
                ipv4: None,
                mtu: 1500,
            },
        ]);
        s
    }

    /// An Ethernet/IPv4/UDP frame from host A to `dst`.
    fn udp(dst: &str, ttl: u8, len: usize, df: bool) -> Vec<u8> {
        let mut f = vec![0u8; 14 + len];
        f[0..6].copy_from_slice(&MAC0);
        f[6..12].copy_from_slice(&HOST_A);
        f[12..14].copy_from_slice(&[0x08, 0x00]);
        let ipb = &mut f[14..];
        ipb[0] = 0x45;
        ipb[2..4].copy_from_slice(&(len as u16).to_be_bytes());
        if df {
            ipb[6] = 0x40;
        }
        ipb[8] = ttl;
        ipb[9] = protocol::UDP;
        ipb[12..16].copy_from_slice(&ip("10.0.0.2").to_be_bytes());
        ipb[16..20].copy_from_slice(&ip(dst).to_be_bytes());
        ipb[20..22].copy_from_slice(&4000u16.to_be_bytes());
        ipb[22..24].copy_from_slice(&53u16.to_be_bytes());
        ipb[24..26].copy_from_slice(&((len - 20) as u16).to_be_bytes());
        let mut p = ipv4::Packet::new_checked(&mut f[14..]).unwrap();
        p.fill_checksum();
        f
    }

    fn icmp_of(f: &[u8]) -> (u32, u32, u8, u8, u16) {
        let ip = ipv4::Packet::new_checked(&f[14..]).unwrap();
        assert!(ip.verify_checksum());
        let m = icmp::Packet::new_checked(ip.payload()).unwrap();
        assert!(m.verify_checksum());
        let mtu = u16::from_be_bytes([ip.payload()[6], ip.payload()[7]]);
        (ip.src(), ip.dst(), m.msg_type(), m.code(), mtu)
    }

    #[test]
    fn forwards_with_ttl_and_l2_rewrite() {
        let s = snapshot();
        let mut p = Pipeline::default();
        let mut f = udp("10.1.0.5", 64, 100, false);
        f.extend([0u8; 6]); // Ethernet padding is not forwarded
        assert_eq!(
            p.process(&s, PortId(0), &mut f, 0),
            Verdict::Forward(PortId(1))
        );
        assert_eq!(f.len(), 114);
        assert_eq!(&f[0..6], &HOST_B);
        assert_eq!(&f[6..12], &MAC1);
        let ip = ipv4::Packet::new_checked(&f[14..]).unwrap();
        assert_eq!(ip.ttl(), 63);
        assert!(ip.verify_checksum());
    }

    #[test]
    fn a_burst_gets_the_same_verdicts_as_one_by_one() {
        let s = snapshot();
        let dsts = [
            "10.1.0.5",
            "10.0.0.1",
            "11.1.1.1",
            "192.0.2.1",
            "10.9.0.1",
            "224.0.0.5",
            "10.1.0.200",
        ];
        let mut one: Vec<Vec<u8>> = dsts.iter().map(|d| udp(d, 64, 100, false)).collect();
        let mut burst = one.clone();
        let mut p1 = Pipeline::default();
        let expected: Vec<Verdict> = one
            .iter_mut()
            .map(|f| p1.process(&s, PortId(0), f, 0))
            .collect();
        let mut p2 = Pipeline::default();
        let mut verdicts = vec![Verdict::Punt; burst.len()];
        p2.process_burst(&s, PortId(0), &mut burst, &mut verdicts, 0);
        assert_eq!(verdicts, expected);
        assert_eq!(burst, one, "same bytes out");
    }

    #[test]
    fn local_arp_and_multicast_go_to_the_kernel() {
        let s = snapshot();
        let mut p = Pipeline::default();
        assert_eq!(
            p.process(&s, PortId(0), &mut udp("10.0.0.1", 64, 60, false), 0),
            Verdict::Punt
        );
        assert_eq!(
            p.process(&s, PortId(0), &mut udp("224.0.0.5", 1, 60, false), 0),
            Verdict::Punt
        );
        let arp_frame = |op: u16, sender: u32, target: u32| {
            let mut f = vec![0u8; 60];
            f[0..6].copy_from_slice(&[0xff; 6]);
            f[6..12].copy_from_slice(&HOST_A);
            f[12..14].copy_from_slice(&[0x08, 0x06]);
            arp::Packet::emit(&mut f[14..42], op, (HOST_A, sender), ([0; 6], target)).unwrap();
            f
        };
        // A request for the router's address: to the kernel, and the sender is learned.
        let mut req = arp_frame(arp::OP_REQUEST, ip("10.0.0.9"), ip("10.0.0.1"));
        assert_eq!(p.process(&s, PortId(0), &mut req, 0), Verdict::Punt);
        // One for another host: learned from (the table decides), not answered.
        let mut other = arp_frame(arp::OP_REQUEST, ip("10.0.0.9"), ip("10.0.0.7"));
        assert_eq!(
            p.process(&s, PortId(0), &mut other, 0),
            Verdict::Drop(DropReason::ArpNotForUs)
        );
        let mut short = arp_frame(arp::OP_REPLY, 1, 2);
        short.truncate(20);
        assert_eq!(
            p.process(&s, PortId(0), &mut short, 0),
            Verdict::Drop(DropReason::BadArp)
        );
        let ev: Vec<Event> = p.drain_events().collect();
        assert_eq!(
            ev,
            vec![
                Event::Heard {
                    port: PortId(0),
                    ip: ip("10.0.0.9"),
                    mac: HOST_A,
                    for_us: true
                },
                Event::Heard {
                    port: PortId(0),
                    ip: ip("10.0.0.9"),
                    mac: HOST_A,
                    for_us: false
                },
            ]
        );
        // The same request in the other VRF's port is not for us: 10.0.0.1 is main's.
        let mut req = arp_frame(arp::OP_REQUEST, ip("10.0.0.9"), ip("10.0.0.1"));
        assert_eq!(
            p.process(&s, PortId(2), &mut req, 0),
            Verdict::Drop(DropReason::ArpNotForUs)
        );
    }

    #[test]
    fn tagged_frames_and_arp_claiming_our_address_are_dropped() {
        let s = snapshot();
        let mut p = Pipeline::default();
        let tag = |f: &[u8], tpid: u16, tci: u16| {
            let mut t = f[..12].to_vec();
            t.extend_from_slice(&tpid.to_be_bytes());
            t.extend_from_slice(&tci.to_be_bytes());
            t.extend_from_slice(&f[12..]);
            t
        };
        let plain = udp("10.1.0.5", 64, 60, false);
        assert!(matches!(
            p.process(&s, PortId(0), &mut plain.clone(), 0),
            Verdict::Forward(..)
        ));
        // 802.1Q, priority-tagged (VLAN 0), QinQ: no VLAN interface, so no route.
        let dot1q = tag(&plain, 0x8100, 7);
        let prio = tag(&plain, 0x8100, 5 << 13);
        let qinq = tag(&tag(&plain, 0x8100, 7), 0x88a8, 100);
        for mut f in [dot1q, prio, qinq] {
            assert_eq!(
                p.process(&s, PortId(0), &mut f, 0),
                Verdict::Drop(DropReason::UnknownVlan)
            );
            let mut one = [f.clone()];
            let mut v = [Verdict::Punt];
            p.process_burst(&s, PortId(0), &mut one, &mut v, 0);
            assert_eq!(
                v[0],
                Verdict::Drop(DropReason::UnknownVlan),
                "in a burst too"
            );
        }
        // A gratuitous ARP reply claiming the router's own 10.0.0.1: never learned.
        let mut f = vec![0u8; 60];
        f[0..6].copy_from_slice(&[0xff; 6]);
        f[6..12].copy_from_slice(&HOST_A);
        f[12..14].copy_from_slice(&[0x08, 0x06]);
        let us = ip("10.0.0.1");
        arp::Packet::emit(&mut f[14..42], arp::OP_REPLY, (HOST_A, us), ([0; 6], us)).unwrap();
        assert_eq!(
            p.process(&s, PortId(0), &mut f.clone(), 0),
            Verdict::Drop(DropReason::ArpAddressConflict)
        );
        let tagged_arp = tag(&f, 0x8100, 3);
        assert_eq!(
            p.process(&s, PortId(0), &mut tagged_arp.clone(), 0),
            Verdict::Drop(DropReason::UnknownVlan)
        );
        let ev: Vec<Event> = p.drain_events().collect();
        assert_eq!(
            ev,
            vec![Event::Conflict {
                port: PortId(0),
                ip: us,
                mac: HOST_A
            }]
        );
        // In the other VRF 10.0.0.1 is not the router's: an ordinary neighbour.
        assert_eq!(
            p.process(&s, PortId(2), &mut f.clone(), 0),
            Verdict::Drop(DropReason::ArpNotForUs)
        );
    }

    /// The test snapshot with VRF 1 (port 2) given an address and a route, like main's.
    fn snapshot_two_vrfs() -> Snapshot {
        let mut s = snapshot();
        let mut vrf = FibBuilder::new();
        let p = |x: &str| x.parse::<Prefix4>().unwrap();
        vrf.insert(p("10.1.0.0/24"), NextHopId(0)).unwrap();
        vrf.insert(p("10.0.0.1/32"), NextHopId(1)).unwrap();
        let mut tables = s.tables.to_vec();
        tables[7] = Some(vrf.publish());
        s.tables = tables.into();
        let mut ports = s.ports.to_vec();
        ports[2].ipv4 = Some(ip("10.0.0.1"));
        s.ports = ports.into();
        s
    }

    fn on_port(mut f: Vec<u8>, mac: [u8; 6]) -> Vec<u8> {
        f[0..6].copy_from_slice(&mac);
        f
    }

    #[test]
    fn budgets_are_per_vrf() {
        let s = snapshot_two_vrfs();
        let mut p = Pipeline::with_icmp_rate(10);
        // VRF main's TTL-1 flood uses up main's ICMP errors...
        let mut limited = 0;
        for _ in 0..100 {
            let v = p.process(&s, PortId(0), &mut udp("10.1.0.5", 1, 100, false), 0);
            limited += usize::from(v == Verdict::Drop(DropReason::IcmpRateLimited));
        }
        assert_eq!(limited, 90, "main got its burst of 10");
        // ...and VRF 1 still gets every one of its own.
        for _ in 0..10 {
            let mut f = on_port(udp("10.1.0.5", 1, 100, false), MAC2);
            assert_eq!(
                p.process(&s, PortId(2), &mut f, 0),
                Verdict::Reply(PortId(2), DropReason::TtlExpired)
            );
        }
        // The same unresolved neighbour asked for in main does not silence VRF 1's request.
        let mut nhs = (*s.next_hops).clone();
        nhs.hops[0] = NextHop::Glean {
            port: PortId(1),
            src: ip("10.1.0.1"),
            target: 0,
        };
        let mut s2 = s.clone();
        s2.next_hops = Arc::new(nhs);
        p.drain_events().for_each(drop);
        p.process(&s2, PortId(0), &mut udp("10.1.0.83", 64, 100, false), 1);
        p.process(
            &s2,
            PortId(2),
            &mut on_port(udp("10.1.0.83", 64, 100, false), MAC2),
            2,
        );
        let wants = p
            .drain_events()
            .filter(|e| matches!(e, Event::Want { .. }))
            .count();
        assert_eq!(
            wants, 1,
            "one neighbour (port 1, 10.1.0.83): asked for once"
        );
        // A scan of main's subnet is held to main's budget of requests.
        let mut asked = 0;
        for i in 0..1000u32 {
            let dst = std::net::Ipv4Addr::from(ip("10.1.0.0") + i % 250).to_string();
            p.process(
                &s2,
                PortId(0),
                &mut udp(&dst, 64, 100, false),
                10 + u64::from(i),
            );
            asked += p.drain_events().count();
        }
        assert!(asked <= 60, "{asked} requests from one VRF's scan");
    }

    #[test]
    fn martians_foreign_macs_and_reverse_path() {
        let mut s = snapshot_two_vrfs();
        let mut p = Pipeline::default();
        let from = |src: &str, dst: &str| {
            let mut f = udp(dst, 64, 100, false);
            f[14 + 12..14 + 16].copy_from_slice(&ip(src).to_be_bytes());
            ipv4::Packet::new_checked(&mut f[14..])
                .unwrap()
                .fill_checksum();
            f
        };
        for (src, dst) in [
            ("0.1.2.3", "10.1.0.5"),
            ("127.0.0.1", "10.1.0.5"),
            ("224.0.0.5", "10.1.0.5"),
            ("255.255.255.255", "10.1.0.5"),
            ("240.0.0.1", "10.1.0.5"),
            ("10.0.0.2", "127.0.0.1"),
            ("10.0.0.2", "0.0.0.9"),
            ("10.0.0.2", "250.1.1.1"),
        ] {
            assert_eq!(
                p.process(&s, PortId(0), &mut from(src, dst), 0),
                Verdict::Drop(DropReason::Martian),
                "{src} -> {dst}: silently, no ICMP error"
            );
        }
        // A frame for another host's MAC is not routed.
        let mut other = on_port(
            udp("10.1.0.5", 64, 100, false),
            [0, 0x11, 0x22, 0x33, 0x44, 0x55],
        );
        assert_eq!(
            p.process(&s, PortId(0), &mut other, 0),
            Verdict::Drop(DropReason::OtherHost)
        );
        // rp-filter off: a source from nowhere passes.
        let spoofed = from("198.18.0.1", "10.1.0.5");
        assert!(matches!(
            p.process(&s, PortId(0), &mut spoofed.clone(), 0),
            Verdict::Forward(_)
        ));
        // Strict: the route back to 10.1.0.9 leaves by port 1, not port 0; none to 198.18/15;
        // the router's own address as a source never passes.
        s.rp_filter = RpFilter::Strict;
        for (src, why) in [
            ("10.1.0.9", "wrong interface"),
            ("198.18.0.1", "no route"),
            ("10.0.0.1", "our own address"),
        ] {
            assert_eq!(
                p.process(&s, PortId(0), &mut from(src, "10.9.0.5"), 0),
                Verdict::Drop(DropReason::RpFilter),
                "{why}"
            );
        }
        assert!(
            matches!(
                p.process(
                    &s,
                    PortId(1),
                    &mut on_port(from("10.1.0.9", "10.9.0.5"), MAC1),
                    0
                ),
                Verdict::Forward(_)
            ),
            "the right interface"
        );
        // Loose: any usable route back will do; still none for 198.18.0.1.
        s.rp_filter = RpFilter::Loose;
        assert!(matches!(
            p.process(&s, PortId(0), &mut from("10.1.0.9", "10.9.0.5"), 0),
            Verdict::Forward(_)
        ));
        assert_eq!(
            p.process(&s, PortId(0), &mut from("198.18.0.1", "10.9.0.5"), 0),
            Verdict::Drop(DropReason::RpFilter)
        );
        // In the burst path too, and looked up in the ingress port's VRF: VRF 1 has no
        // route to 10.9.0.0/16, so a source there fails even loose.
        let mut burst = [on_port(from("10.9.0.7", "10.1.0.5"), MAC2)];
        let mut v = [Verdict::Punt];
        p.process_burst(&s, PortId(2), &mut burst, &mut v, 0);
        assert_eq!(v[0], Verdict::Drop(DropReason::RpFilter));
    }

    #[test]
    fn options_fragments_ttl_zero_jumbo_and_arp_floods() {
        let s = snapshot();
        let mut p = Pipeline::default();
        // IP options (header length 6): forwarded, the options untouched.
        let mut f = udp("10.1.0.5", 64, 104, false);
        f.splice(34..34, [1, 1, 1, 0]);
        f[14] = 0x46;
        f[16..18].copy_from_slice(&104u16.to_be_bytes());
        ipv4::Packet::new_checked(&mut f[14..])
            .unwrap()
            .fill_checksum();
        assert_eq!(
            p.process(&s, PortId(0), &mut f, 0),
            Verdict::Forward(PortId(1))
        );
        assert_eq!(&f[34..38], &[1, 1, 1, 0]);
        assert!(ipv4::Packet::new_checked(&f[14..])
            .unwrap()
            .verify_checksum());
        // A non-first fragment: forwarded like any packet (ports are not read).
        let mut f = udp("10.1.0.5", 64, 100, false);
        f[14 + 6..14 + 8].copy_from_slice(&0x0010u16.to_be_bytes());
        ipv4::Packet::new_checked(&mut f[14..])
            .unwrap()
            .fill_checksum();
        assert_eq!(
            p.process(&s, PortId(0), &mut f, 0),
            Verdict::Forward(PortId(1))
        );
        // TTL 0 is as expired as TTL 1.
        assert_eq!(
            p.process(&s, PortId(0), &mut udp("10.1.0.5", 0, 100, false), 0),
            Verdict::Reply(PortId(0), DropReason::TtlExpired)
        );
        // A 9,000-byte jumbo without DF to a 1,500 MTU leaves in fragments (the worker cuts
        // it: `fragment`); with DF it gets fragmentation needed.
        assert_eq!(
            p.process(&s, PortId(0), &mut udp("10.1.0.5", 64, 9000, false), 0),
            Verdict::Fragment(PortId(1), 1500)
        );
        assert_eq!(
            p.process(&s, PortId(0), &mut udp("10.1.0.5", 64, 9000, true), 0),
            Verdict::Reply(PortId(0), DropReason::FragNeeded)
        );
        // A runt: an IPv4 frame shorter than Ethernet + IPv4 headers.
        let mut runt = vec![0u8; 20];
        runt[0..6].copy_from_slice(&MAC0);
        runt[12..14].copy_from_slice(&[0x08, 0x00]);
        assert_eq!(
            p.process(&s, PortId(0), &mut runt, 0),
            Verdict::Drop(DropReason::Truncated)
        );
        // An ARP flood for the router's address: punted up to the limit, then dropped.
        let mut punted = 0;
        for i in 0..5_000u32 {
            let mut a = vec![0u8; 60];
            a[0..6].copy_from_slice(&[0xff; 6]);
            a[12..14].copy_from_slice(&[0x08, 0x06]);
            arp::Packet::emit(
                &mut a[14..42],
                arp::OP_REQUEST,
                ([2, 0, 0, 1, (i >> 8) as u8, i as u8], 0x0a00_1000 + i),
                ([0; 6], ip("10.0.0.1")),
            )
            .unwrap();
            match p.process(&s, PortId(0), &mut a, 1) {
                Verdict::Punt => punted += 1,
                Verdict::Drop(DropReason::PuntRateLimited) => {}
                v => panic!("{v:?}"),
            }
        }
        assert_eq!(
            punted, 1_000,
            "the burst allowance, then nothing at the same instant"
        );
        assert_eq!(
            p.drain_events().count(),
            MAX_EVENTS,
            "events are bounded too"
        );
    }

    #[test]
    fn unresolved_neighbours_are_asked_for_once_per_interval() {
        let mut s = snapshot();
        let mut nhs = (*s.next_hops).clone();
        nhs.hops.push(NextHop::Glean {
            port: PortId(1),
            src: ip("10.1.0.1"),
            target: 0,
        });
        nhs.hops.push(NextHop::Glean {
            port: PortId(1),
            src: ip("10.1.0.1"),
            target: ip("10.1.0.254"),
        });
        s.next_hops = Arc::new(nhs);
        let mut main = FibBuilder::new();
        let pfx = |t: &str| t.parse::<Prefix4>().unwrap();
        main.insert(pfx("10.1.0.0/24"), NextHopId(5)).unwrap();
        main.insert(pfx("172.16.0.0/16"), NextHopId(6)).unwrap();
        let mut tables = s.tables.to_vec();
        tables[0] = Some(main.publish());
        s.tables = tables.into();
        let mut p = Pipeline::default();
        for t in [1, 2, 3] {
            assert_eq!(
                p.process(&s, PortId(0), &mut udp("10.1.0.5", 64, 60, false), t),
                Verdict::Drop(DropReason::Unresolved)
            );
        }
        assert_eq!(
            p.process(&s, PortId(0), &mut udp("172.16.3.4", 64, 60, false), 4),
            Verdict::Drop(DropReason::Unresolved)
        );
        let want = |ipa: &str| Event::Want {
            port: PortId(1),
            ip: ip(ipa),
            src: ip("10.1.0.1"),
        };
        assert_eq!(
            p.drain_events().collect::<Vec<_>>(),
            vec![want("10.1.0.5"), want("10.1.0.254")],
            "one request per neighbour; a gateway is asked for, not the destination"
        );
        p.process(
            &s,
            PortId(0),
            &mut udp("10.1.0.5", 64, 60, false),
            1 + WANT_INTERVAL_NS,
        );
        assert_eq!(p.drain_events().collect::<Vec<_>>(), vec![want("10.1.0.5")]);
    }

    #[test]
    fn icmp_errors_from_the_ingress_address() {
        let s = snapshot();
        let mut p = Pipeline::default();
        let mut f = udp("10.1.0.5", 1, 100, false);
        assert_eq!(
            p.process(&s, PortId(0), &mut f, 0),
            Verdict::Reply(PortId(0), DropReason::TtlExpired)
        );
        assert_eq!(
            icmp_of(&f),
            (ip("10.0.0.1"), ip("10.0.0.2"), icmp::TIME_EXCEEDED, 0, 0)
        );
        assert_eq!(&f[0..6], &HOST_A, "back to the sender");
        assert_eq!(&f[6..12], &MAC0);
        // The quoted header is the original one.
        assert_eq!(
            &f[14 + 28 + 16..14 + 28 + 20],
            &ip("10.1.0.5").to_be_bytes()
        );

        let mut f = udp("11.1.1.1", 64, 100, false);
        assert_eq!(
            p.process(&s, PortId(0), &mut f, 0),
            Verdict::Reply(PortId(0), DropReason::NoRoute)
        );
        let (_, _, t, c, _) = icmp_of(&f);
        assert_eq!(
            (t, c),
            (icmp::DEST_UNREACHABLE, icmp::code::NET_UNREACHABLE)
        );

        let mut f = udp("10.9.1.1", 64, 1200, true);
        assert_eq!(
            p.process(&s, PortId(0), &mut f, 0),
            Verdict::Reply(PortId(0), DropReason::FragNeeded)
        );
        assert_eq!(
            icmp_of(&f),
            (
                ip("10.0.0.1"),
                ip("10.0.0.2"),
                icmp::DEST_UNREACHABLE,
                icmp::code::FRAG_NEEDED,
                1000
            )
        );

        let mut f = udp("198.51.100.1", 64, 100, false);
        assert_eq!(
            p.process(&s, PortId(0), &mut f, 0),
            Verdict::Reply(PortId(0), DropReason::Prohibited)
        );
        assert_eq!(icmp_of(&f).3, icmp::code::ADMIN_PROHIBITED);

        let mut f = udp("192.0.2.1", 64, 100, false);
        assert_eq!(
            p.process(&s, PortId(0), &mut f, 0),
            Verdict::Drop(DropReason::Blackhole)
        );
    }

    #[test]
    fn vrfs_are_isolated_and_bad_packets_dropped_with_reasons() {
        let s = snapshot();
        let mut p = Pipeline::default();
        // Port 2 is in VRF 1, whose table has no route and no address to answer from.
        let mut to2 = udp("10.1.0.5", 64, 100, false);
        to2[0..6].copy_from_slice(&MAC2);
        assert_eq!(
            p.process(&s, PortId(2), &mut to2, 0),
            Verdict::Drop(DropReason::NoRoute)
        );
        let mut bad = udp("10.1.0.5", 64, 100, false);
        bad[14 + 10] ^= 0xff;
        assert_eq!(
            p.process(&s, PortId(0), &mut bad, 0),
            Verdict::Drop(DropReason::BadChecksum)
        );
        let mut v6 = udp("10.1.0.5", 64, 100, false);
        v6[12..14].copy_from_slice(&[0x86, 0xdd]);
        assert_eq!(
            p.process(&s, PortId(0), &mut v6, 0),
            Verdict::Drop(DropReason::UnknownEthertype)
        );
        assert_eq!(
            p.process(&s, PortId(0), &mut vec![0u8; 10], 0),
            Verdict::Drop(DropReason::Truncated)
        );
        let mut short = udp("10.1.0.5", 64, 100, false);
        short.truncate(60);
        assert_eq!(
            p.process(&s, PortId(0), &mut short, 0),
            Verdict::Drop(DropReason::Truncated)
        );
        let mut hl = udp("10.1.0.5", 64, 100, false);
        hl[14] = 0x44;
        assert_eq!(
            p.process(&s, PortId(0), &mut hl, 0),
            Verdict::Drop(DropReason::BadIpHeader)
        );
    }

    #[test]
    fn no_error_about_an_error_and_errors_are_rate_limited() {
        let s = snapshot();
        let mut p = Pipeline::with_icmp_rate(10);
        let mut f = udp("10.1.0.5", 1, 100, false);
        p.process(&s, PortId(0), &mut f, 0);
        // The error itself, expiring in turn, gets no error back.
        let mut again = f.clone();
        again[0..6].copy_from_slice(&MAC0);
        again[14 + 8] = 1;
        again[14 + 16..14 + 20].copy_from_slice(&ip("10.1.0.5").to_be_bytes());
        ipv4::Packet::new_checked(&mut again[14..])
            .unwrap()
            .fill_checksum();
        assert_eq!(
            p.process(&s, PortId(0), &mut again, 0),
            Verdict::Drop(DropReason::TtlExpired)
        );
        let mut replies = 0;
        for _ in 0..100 {
            if let Verdict::Reply(..) =
                p.process(&s, PortId(0), &mut udp("10.1.0.5", 1, 100, false), 1)
            {
                replies += 1;
            }
        }
        assert!(replies < 20, "{replies} errors in a burst at 10/s");
        assert_eq!(
            p.process(&s, PortId(0), &mut udp("10.1.0.5", 1, 100, false), 2),
            Verdict::Drop(DropReason::IcmpRateLimited)
        );
        assert!(matches!(
            p.process(
                &s,
                PortId(0),
                &mut udp("10.1.0.5", 1, 100, false),
                2_000_000_000
            ),
            Verdict::Reply(..)
        ));
    }
}
