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
//! Labelled frames take [`mpls`]'s path: the LFIB, then (popped for a lookup) the same
//! IPv4 path in the table the label chose; routes with labels push them in [`mpls`].

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

pub use parse::MAX_BURST;
use parse::{
    flow_hash_of, for_this_port, is_arp, lookup_burst, parse, port_mac, punt_to, rp_ok, Parsed,
    Stage,
};

/// A packet buffer the pipeline can read, rewrite and resize.
pub trait PacketBuf {
    /// The packet's bytes.
    fn bytes(&self) -> &[u8];
    /// The packet's bytes, writable.
    fn bytes_mut(&mut self) -> &mut [u8];
    /// Sets the packet's length (shorter, or longer up to the buffer's room); `false` when
    /// there is no room.
    fn set_len(&mut self, len: usize) -> bool;
    /// Moves the packet's start by `delta` bytes: negative makes room at the front (to push
    /// labels), positive drops the first bytes (popped labels); `false`, changing nothing,
    /// when there is no room or too few bytes.
    fn move_start(&mut self, delta: isize) -> bool;
    /// A cache hint: the headroom just before the packet is about to be written (a tunnel's
    /// outer header goes there).
    #[inline]
    fn prefetch_headroom(&self) {}
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
    fn move_start(&mut self, delta: isize) -> bool {
        if delta < 0 {
            self.splice(0..0, std::iter::repeat_n(0, delta.unsigned_abs()));
        } else if delta as usize <= self.len() {
            self.drain(..delta as usize);
        } else {
            return false;
        }
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
    /// Hand it to the kernel twin of this interface (a tunnel it came out of).
    PuntTo(PortId),
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
    /// A keepalive the router sent through tunnel `port` came back: the far end is there.
    TunnelAlive {
        /// The tunnel interface.
        port: PortId,
    },
    /// An ARP packet from `mac` came out of VXLAN tunnel `port` from VTEP `vtep`: frames
    /// for `mac` go to that VTEP.
    Vtep {
        /// The VXLAN interface.
        port: PortId,
        /// The neighbour's MAC.
        mac: [u8; 6],
        /// The VTEP it is behind (the outer source).
        vtep: u32,
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
    /// Where incoming labels are counted (the worker's counters).
    counters: Option<Arc<crate::counters::WorkerCounters>>,
    /// Per VRF, indexed by [`shared::types::VrfId`]: every VRF has its own share.
    budgets: Box<[VrfBudget]>,
    events: Vec<Event>,
    /// (port, neighbour, when last asked for).
    wanted: [(u16, u32, u64); WANT_SLOTS],
    /// The identification of the last outer IPv4 header a tunnel made.
    ip_id: u16,
    /// The adjacency the last outer packet of this burst left by.
    outer_hop: Option<tunnel::OuterHop>,
    /// What the first fragments of datagrams through connection tracking became.
    datagrams: nat_frag::Datagrams,
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

impl IcmpError {
    /// Destination unreachable with `code`, the original counted as dropped for `reason`.
    fn unreachable(code: u8, reason: DropReason) -> IcmpError {
        IcmpError {
            msg_type: icmp::DEST_UNREACHABLE,
            code,
            mtu: 0,
            reason,
        }
    }

    /// Fragmentation needed, with the next hop's MTU.
    fn frag_needed(mtu: u16) -> IcmpError {
        IcmpError {
            mtu,
            ..IcmpError::unreachable(icmp::code::FRAG_NEEDED, DropReason::FragNeeded)
        }
    }

    /// Time exceeded in transit.
    fn time_exceeded() -> IcmpError {
        IcmpError {
            msg_type: icmp::TIME_EXCEEDED,
            code: 0,
            mtu: 0,
            reason: DropReason::TtlExpired,
        }
    }
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
            counters: None,
            budgets: vec![budget; shared::types::TableId::MAX_TABLES].into_boxed_slice(),
            events: Vec::with_capacity(MAX_EVENTS),
            wanted: [(0, 0, 0); WANT_SLOTS],
            ip_id: 0,
            outer_hop: None,
            datagrams: Default::default(),
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

    /// Counts incoming labels in `c` (the worker's counters).
    pub fn with_counters(mut self, c: Arc<crate::counters::WorkerCounters>) -> Self {
        self.counters = Some(c);
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
    /// Off the forwarding path: kept out of the burst loop.
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
    /// Off the forwarding path: kept out of the burst loop.
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
        self.outer_hop = None;
        let port = if snap.vlans.any && vlan::is_tagged(pkt.bytes()) {
            match vlan::untag(snap, in_port, pkt) {
                Ok(v) => {
                    self.count_vlan_rx(v.id, pkt);
                    v.id
                }
                Err(why) => return Verdict::Drop(why),
            }
        } else {
            in_port
        };
        match self.process_at(snap, port, pkt, now_ns, 0) {
            // Arrived on a VLAN, for the router: the VLAN's twin's.
            Verdict::Punt if port != in_port => Verdict::PuntTo(port),
            v => v,
        }
    }

    /// [`Self::process`] for a packet that came out of `depth` tunnels.
    fn process_at<B: PacketBuf>(
        &mut self,
        snap: &Snapshot,
        in_port: PortId,
        pkt: &mut B,
        now_ns: u64,
        depth: u8,
    ) -> Verdict {
        let v = self.process_one(snap, in_port, pkt, now_ns, depth);
        if snap.tunnels.any {
            return self.through_tunnels(snap, pkt, v, now_ns, depth);
        }
        v
    }

    fn process_one<B: PacketBuf>(
        &mut self,
        snap: &Snapshot,
        in_port: PortId,
        pkt: &mut B,
        now_ns: u64,
        depth: u8,
    ) -> Verdict {
        if !for_this_port(port_mac(snap, in_port), pkt.bytes()) {
            return Verdict::Drop(DropReason::OtherHost);
        }
        if mpls::is_mpls(pkt.bytes()) {
            return match self.labelled(snap, in_port, pkt, now_ns) {
                mpls::Labelled::Done(v) => v,
                mpls::Labelled::Lookup(p, table) => {
                    let nh = snap.lookup(table, p.dst).map_or(NO_ROUTE, |n| n.0);
                    self.finish(snap, in_port, pkt, &p, nh, now_ns)
                }
            };
        }
        match parse(pkt).map(|p| Parsed { depth, ..p }) {
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
        self.outer_hop = None;
        if self.tracking(snap) {
            // Rules and connections decide per packet (marks may choose the table).
            for i in 0..n {
                verdicts[i] = self.process(snap, in_port, &mut pkts[i], now_ns);
            }
            return;
        }
        let ingress = snap.ingress_table(in_port);
        let mut st = Stage::new(in_port, ingress);
        let tun = snap.tunnels.any;
        // Bring every packet's headers in at once, so their misses overlap (as l3fwd does);
        // with tunnels, the headroom an outer header would go into too (early enough to
        // arrive before the encapsulation writes there).
        for p in pkts.iter().take(n) {
            if let Some(b) = p.bytes().first() {
                shared::fib::prefetch(b);
            }
            if tun {
                p.prefetch_headroom();
            }
        }
        // And every labelled packet's LFIB entry.
        for p in pkts.iter().take(n) {
            if let Some(label) = mpls::top_label(p.bytes()) {
                snap.lfib.prefetch(label);
            }
        }
        let in_mac = port_mac(snap, in_port);
        let rp = snap.rp_filter != RpFilter::No;
        let vlans = snap.vlans.any;
        for i in 0..n {
            let (mut port, mut table, mut mac) = (in_port, ingress, in_mac);
            if vlans && vlan::is_tagged(pkts[i].bytes()) {
                match self.vlan_arrival(snap, in_port, &mut pkts[i]) {
                    Ok(a) => (port, table, mac) = a,
                    Err(why) => {
                        verdicts[i] = Verdict::Drop(why);
                        continue;
                    }
                }
                st.ports[i] = port;
            }
            if !for_this_port(mac, pkts[i].bytes()) {
                verdicts[i] = Verdict::Drop(DropReason::OtherHost);
                continue;
            }
            if mpls::is_mpls(pkts[i].bytes()) {
                match self.labelled(snap, port, &mut pkts[i], now_ns) {
                    mpls::Labelled::Done(v) => verdicts[i] = punt_to(v, port, in_port),
                    mpls::Labelled::Lookup(p, table) => st.look_up(i, p, table),
                }
                continue;
            }
            match parse(&mut pkts[i]) {
                Ok(p) if rp && !rp_ok(snap, port, p.src) => {
                    verdicts[i] = Verdict::Drop(DropReason::RpFilter)
                }
                Ok(p) if tun && tunnel::may_carry(snap, &p, pkts[i].bytes()) => {
                    st.arrived = table;
                    let v = self.decap_in_burst(snap, &mut pkts[i], &mut st, i, p, now_ns);
                    if let Some(v) = v {
                        verdicts[i] = punt_to(v, port, in_port);
                    }
                }
                Ok(p) => st.look_up(i, p, table),
                Err(Verdict::Punt) if is_arp(&pkts[i]) => {
                    verdicts[i] = punt_to(self.arp(snap, port, &pkts[i], now_ns), port, in_port)
                }
                Err(v) => verdicts[i] = punt_to(v, port, in_port),
            }
        }
        let k = st.k;
        lookup_burst(snap, &st.tables[..k], &st.dsts[..k], &mut st.nhs[..k]);
        snap.next_hops.prefetch(&st.nhs[..k]);
        let mut j = 0;
        for i in 0..n {
            if let Some(p) = st.parsed[i] {
                let port = st.ports[i];
                // Out of a tunnel or a VLAN, for the router: its twin's.
                let v = self.finish(snap, port, &mut pkts[i], &p, st.nhs[j], now_ns);
                verdicts[i] = punt_to(v, port, in_port);
                j += 1;
            }
        }
        if tun {
            for i in 0..n {
                verdicts[i] = self.through_tunnels(snap, &mut pkts[i], verdicts[i], now_ns, 0);
            }
        }
    }

    /// The VLAN a tagged frame of the burst arrived on (its tags taken off, the frame
    /// counted): its id, table and MAC.
    #[inline(always)]
    fn vlan_arrival<B: PacketBuf>(
        &self,
        snap: &Snapshot,
        in_port: PortId,
        pkt: &mut B,
    ) -> Result<(PortId, TableId, Option<[u8; 6]>), DropReason> {
        let v = vlan::untag(snap, in_port, pkt)?;
        self.count_vlan_rx(v.id, pkt);
        let t = snap.vrf_table.get(usize::from(v.vrf.0));
        Ok((v.id, *t.unwrap_or(&TableId::MAIN), Some(v.iface.mac)))
    }

    /// A frame came in on VLAN `port` (counted as the frame it is now, untagged).
    #[inline(always)]
    fn count_vlan_rx<B: PacketBuf>(&self, port: PortId, pkt: &B) {
        if let Some(c) = &self.counters {
            c.logical.count(port.0, true, pkt.bytes().len() as u64);
        }
    }

    /// Whether packets go through connection tracking and the firewall.
    #[inline]
    fn tracking(&self, snap: &Snapshot) -> bool {
        self.conntrack.is_some() && snap.firewall.as_ref().is_some_and(|f| f.track)
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
            let e = IcmpError::unreachable(icmp::code::NET_UNREACHABLE, DropReason::NoRoute);
            return self.icmp(snap, in_port, pkt, eh, now_ns, e);
        }
        // The flow hash only matters for equal-cost paths: computed only for them.
        let adj = match snap
            .next_hops
            .resolve_with(NextHopId(nh), || flow_hash_of(pkt.bytes(), p.eh))
        {
            Resolved::Forward(a) => *a,
            Resolved::Local => return self.local(snap, in_port, pkt, p, now_ns),
            // The route's gateway is a VRF: on in that VRF's table.
            Resolved::Lookup(t) => {
                let nh = snap.lookup_again(t, p.dst).map_or(NO_ROUTE, |n| n.0);
                return self.finish(snap, in_port, pkt, p, nh, now_ns);
            }
            Resolved::Glean { port, src, target } => {
                // Expired before the neighbour matters (RFC 1812: TTL first).
                if p.ttl <= 1 {
                    return self.icmp(snap, in_port, pkt, eh, now_ns, IcmpError::time_exceeded());
                }
                let ip = if target == 0 { p.dst } else { target };
                self.want(snap, port, src, ip, now_ns);
                return Verdict::Drop(DropReason::Unresolved);
            }
            Resolved::Blackhole => return Verdict::Drop(DropReason::Blackhole),
            Resolved::Prohibit => {
                let e =
                    IcmpError::unreachable(icmp::code::ADMIN_PROHIBITED, DropReason::Prohibited);
                return self.icmp(snap, in_port, pkt, eh, now_ns, e);
            }
            Resolved::Unreachable => {
                let e = IcmpError::unreachable(icmp::code::NET_UNREACHABLE, DropReason::NoRoute);
                return self.icmp(snap, in_port, pkt, eh, now_ns, e);
            }
        };
        if p.ttl <= 1 {
            return self.icmp(snap, in_port, pkt, eh, now_ns, IcmpError::time_exceeded());
        }
        if adj.push.depth() > 0 {
            if let Some(h) = pkt.bytes_mut().get_mut(eh..eh + ipv4::MIN_HEADER_LEN) {
                ipv4::decrement_ttl_in(h);
            }
            return self.push_labels(snap, in_port, pkt, p, &adj, now_ns);
        }
        if p.ip_len > usize::from(adj.mtu) && p.df {
            let e = IcmpError::frag_needed(adj.mtu);
            return self.icmp(snap, in_port, pkt, eh, now_ns, e);
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

    /// Replaces the packet with an ICMP error about it, when the rules allow one.
    /// Off the forwarding path: kept out of the burst loop.
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
            let src = ip.src();
            if !may_send_error_about(&ip) {
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
        let head = ReplyHead {
            mac: port.mac,
            src: our_ip,
            dst: orig_src,
            protocol: protocol::ICMP,
            total: total as u16,
            tos: 0xc0,
            df: false,
        };
        head.write(b, eh);
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

/// The headers of a packet the router answers with in place of the one it got (an ICMP
/// error, a TCP reset): the frame turned back to its sender from the port's `mac`, and a
/// plain IPv4 header (TTL 64, no options) from `src` to `dst`.
pub(super) struct ReplyHead {
    pub mac: [u8; 6],
    pub src: u32,
    pub dst: u32,
    pub protocol: u8,
    pub total: u16,
    pub tos: u8,
    pub df: bool,
}

impl ReplyHead {
    /// Writes the Ethernet header and the IPv4 header at `eh` (checksum filled).
    pub(super) fn write(&self, b: &mut [u8], eh: usize) {
        let peer: [u8; 6] = b[6..12].try_into().unwrap_or([0; 6]);
        b[0..6].copy_from_slice(&peer);
        b[6..12].copy_from_slice(&self.mac);
        let ip = &mut b[eh..eh + 20];
        ip.fill(0);
        ip[0] = 0x45;
        ip[1] = self.tos;
        ip[2..4].copy_from_slice(&self.total.to_be_bytes());
        ip[6] = if self.df { 0x40 } else { 0 };
        ip[8] = 64;
        ip[9] = self.protocol;
        ip[12..16].copy_from_slice(&self.src.to_be_bytes());
        ip[16..20].copy_from_slice(&self.dst.to_be_bytes());
        let c = checksum::finish(checksum::sum(ip, 0));
        ip[10..12].copy_from_slice(&c.to_be_bytes());
    }
}

/// RFC 1812 §4.3.2.7: no ICMP error about an ICMP error, a non-first fragment, or a packet
/// from a source that is not a unicast host.
fn may_send_error_about(ip: &ipv4::Packet<&[u8]>) -> bool {
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
    !(is_icmp_error || ip.frag_offset() != 0 || src == 0 || src >> 28 >= 0xe)
}

/// Length of an untagged Ethernet header, for callers building frames.
pub const ETH_HEADER_LEN: usize = ethernet::HEADER_LEN;

mod firewall;
mod mpls;
mod nat_frag;
pub mod own;
mod parse;
mod tunnel;
pub mod vlan;
pub use tunnel::keepalive_frame;

#[cfg(test)]
mod tests;
