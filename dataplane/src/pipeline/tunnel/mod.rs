//! Tunnels in the pipeline: IPIP and GRE here, EoIP and VXLAN (layer 2) in [`l2`], the
//! headers in [`wire`].
//!
//! Into a tunnel: a packet the lookup sent to a tunnel interface (or an ICMP error sent
//! back through one) gets the tunnel's outer header in front of its IPv4 header (a new
//! Ethernet header, outer IPv4 with TTL 255, DSCP and DF as the tunnel says, GRE and its
//! key), and the outer packet is routed in the tunnel's underlay table: out of a port, or,
//! when the far end is one of the router's own addresses (a local tunnel between two
//! VRFs), decapsulated at once.
//!
//! Out of a tunnel: a packet for one of the router's addresses with protocol 4 or 47 (or
//! UDP to a VXLAN port) is matched on (the table it arrived in, its addresses, protocol,
//! key, VNI); the inner packet
//! then arrives on the tunnel interface, in the tunnel's VRF, and goes through the whole
//! pipeline again (routed, answered with ICMP errors through the tunnel, punted to the
//! tunnel's kernel twin). Nesting is bounded by [`MAX_DEPTH`]: a tunnel whose outer
//! packet would enter a tunnel again is a loop, dropped and counted.

mod l2;
mod wire;

use super::{flow_hash_of, Event, PacketBuf, Parsed, Pipeline, Verdict};
use crate::counters::DropReason;
use crate::wire::checksum;
use crate::wire::ethernet::{ethertype, HEADER_LEN as ETH};
use shared::adj::Resolved;
use shared::snapshot::Snapshot;
use shared::tunnel::{is_tunnel, Tunnel, TunnelKind, Vtep};
use shared::types::{PortId, TableId};
use wire::{match_tunnel, Keepalive, Outer, GRE_KEY};

/// Tunnels a packet may pass through in one pipeline run (in and out of local tunnels).
pub const MAX_DEPTH: u8 = 4;

/// Where the last outer packet went (its underlay table and destination, the adjacency it
/// left by): the next of the same burst through the same tunnel skips the lookup. Kept for
/// one burst only (a burst reads one snapshot), and only when no flow hash chose it.
#[derive(Debug, Clone, Copy)]
pub(super) struct OuterHop {
    table: TableId,
    remote: u32,
    adj: shared::adj::Adjacency,
}

/// Whether the parsed packet `p` (in `b`) may be a tunnel's: IPIP, GRE, UDP to a port a
/// VXLAN tunnel listens on. Checked in the burst before anything else is spent on it.
#[inline]
pub(super) fn may_carry(snap: &Snapshot, p: &Parsed, b: &[u8]) -> bool {
    match p.protocol {
        shared::tunnel::PROTO_IPIP | shared::tunnel::PROTO_GRE => true,
        shared::tunnel::PROTO_UDP if !snap.tunnels.vxlan_ports.is_empty() => {
            let ihl = b.get(p.eh).map_or(0, |v| usize::from(v & 0x0f) * 4);
            b.get(p.eh + ihl + 2..p.eh + ihl + 4)
                .is_some_and(|d| snap.tunnels.is_vxlan_port(u16::from_be_bytes([d[0], d[1]])))
        }
        _ => false,
    }
}

impl Pipeline {
    /// In the burst, before the lookup: packet `i` (parsed as `p`, arrived in
    /// `st.arrived`) of a tunnel that arrived for the tunnel's local address (which the plan checks is the router's) is
    /// taken out of it, and its inner packet joins the burst's lookup in the tunnel's VRF,
    /// as arriving on the tunnel. Keepalives, malformed packets and packets of no tunnel
    /// go on as they are (the lookup finds them local, [`Self::local`] sees to them).
    /// `Some`: the packet's verdict, decided here.
    pub(super) fn decap_in_burst<B: PacketBuf>(
        &mut self,
        snap: &Snapshot,
        pkt: &mut B,
        st: &mut super::Stage,
        i: usize,
        p: Parsed,
        now_ns: u64,
    ) -> Option<Verdict> {
        let table = st.arrived;
        let Some(Ok(f)) = (p.eh == ETH)
            .then(|| match_tunnel(snap, table, pkt.bytes()))
            .flatten()
        else {
            st.look_up(i, p, table);
            return None;
        };
        if f.t.kind.is_l2() {
            return self.l2_in_burst(snap, pkt, st, i, f, now_ns);
        }
        let (t, strip) = (f.t, f.strip);
        let plain = pkt
            .bytes()
            .get(ETH + strip..ETH + strip + 20)
            .is_some_and(|h| {
                h[0] >> 4 == 4
                    && (h[12..16] != t.local.to_be_bytes() || h[16..20] != t.remote.to_be_bytes())
            });
        if !plain || !pkt.move_start(strip as isize) {
            st.look_up(i, p, table);
            return None;
        }
        inner_frame(t, pkt.bytes_mut());
        self.count_out_of(t, pkt);
        join_lookup(snap, t, pkt, st, i)
    }

    /// A verdict whose port is a tunnel becomes the verdict of the outer packet; others
    /// are returned as they are.
    #[inline]
    pub(super) fn through_tunnels<B: PacketBuf>(
        &mut self,
        snap: &Snapshot,
        pkt: &mut B,
        v: Verdict,
        now_ns: u64,
        depth: u8,
    ) -> Verdict {
        let (port, reason) = match v {
            Verdict::Forward(p) | Verdict::Fragment(p, _) => (p, None),
            Verdict::Reply(p, r) => (p, Some(r)),
            _ => return v,
        };
        if !is_tunnel(port) {
            return v;
        }
        match (self.encap(snap, port, pkt, now_ns, depth), reason) {
            (Verdict::Forward(p), Some(r)) => Verdict::Reply(p, r),
            (out, _) => out,
        }
    }

    /// Puts tunnel `port`'s outer header on the frame (its IPv4 packet after an untagged
    /// Ethernet header; a layer-2 tunnel's whole frame) and routes the outer packet.
    #[inline(never)]
    fn encap<B: PacketBuf>(
        &mut self,
        snap: &Snapshot,
        port: PortId,
        pkt: &mut B,
        now_ns: u64,
        depth: u8,
    ) -> Verdict {
        self.encap_to(snap, port, None, pkt, now_ns, depth)
    }

    /// [`Self::encap`], to VTEP `vtep` when given (a VXLAN tunnel's flooded frame).
    fn encap_to<B: PacketBuf>(
        &mut self,
        snap: &Snapshot,
        port: PortId,
        vtep: Option<Vtep>,
        pkt: &mut B,
        now_ns: u64,
        depth: u8,
    ) -> Verdict {
        let Some(t) = snap.tunnels.get(port).filter(|t| t.up) else {
            return Verdict::Drop(DropReason::NoSuchTunnel);
        };
        if depth >= MAX_DEPTH {
            return Verdict::Drop(DropReason::TunnelLoop);
        }
        if t.kind.is_l2() {
            return self.encap_l2(snap, t, vtep, pkt, now_ns, depth);
        }
        let Some(inner) = pkt.bytes().get(ETH..ETH + 20) else {
            return Verdict::Drop(DropReason::Truncated);
        };
        let (tos, df) = (inner[1], inner[6] & 0x40 != 0);
        let inner_len = usize::from(u16::from_be_bytes([inner[2], inner[3]]));
        if t.clamp_mss {
            clamp_mss(&mut pkt.bytes_mut()[ETH..], t.iface.mtu.saturating_sub(40));
        }
        let overhead = t.kind.overhead();
        let total = inner_len + overhead;
        if total > usize::from(u16::MAX) || !pkt.move_start(-(overhead as isize)) {
            return Verdict::Drop(DropReason::Truncated);
        }
        if !pkt.set_len(ETH + total) {
            return Verdict::Drop(DropReason::Truncated);
        }
        if let Some(c) = &self.counters {
            c.logical.count(port.0, false, inner_len as u64);
        }
        self.ip_id = self.ip_id.wrapping_add(1);
        let to = Vtep {
            ip: t.remote,
            port: 0,
        };
        let o = Outer {
            to,
            tos: t.dscp.map_or(tos, |d| d << 2 | (tos & 3)),
            df: t.df_inherit && df,
            total: total as u16,
            id: self.ip_id,
            inner: inner_len as u16,
            sport: 0,
        };
        wire::write_outer(&mut pkt.bytes_mut()[..ETH + overhead], t, &o);
        self.route_outer(snap, t, to.ip, pkt, now_ns, depth)
    }

    /// One of the router's own frames into tunnel `port` (to VTEP `vtep` when given): the
    /// outer packet's verdict.
    pub(super) fn encap_own<B: PacketBuf>(
        &mut self,
        snap: &Snapshot,
        port: PortId,
        vtep: Option<Vtep>,
        pkt: &mut B,
        now_ns: u64,
    ) -> Verdict {
        self.outer_hop = None;
        self.encap_to(snap, port, vtep, pkt, now_ns, 0)
    }

    /// Routes an outer packet in its tunnel's underlay table.
    fn route_outer<B: PacketBuf>(
        &mut self,
        snap: &Snapshot,
        t: &Tunnel,
        remote: u32,
        pkt: &mut B,
        now_ns: u64,
        depth: u8,
    ) -> Verdict {
        let adj = match self.outer_hop {
            Some(c) if c.table == t.underlay && c.remote == remote => c.adj,
            _ => match self.resolve_outer(snap, t, remote, pkt, now_ns, depth) {
                Ok(a) => a,
                Err(v) => return v,
            },
        };
        let len = pkt.bytes().len() - ETH;
        if adj.push.depth() > 0 {
            let room = 4 * adj.push.depth();
            let mpls_mtu = snap.port(adj.port).map_or(0, |p| usize::from(p.mpls_mtu));
            if len + room > mpls_mtu || !pkt.move_start(-(room as isize)) {
                return Verdict::Drop(DropReason::MplsMtu);
            }
            let b = pkt.bytes_mut();
            let (tos, ttl) = (b[room + ETH + 1], b[room + ETH + 8]);
            super::mpls::write_l2(b, &adj, ethertype::MPLS);
            super::mpls::write_stack(&mut b[ETH..], snap, &adj, tos, ttl);
            return Verdict::Forward(adj.port);
        }
        let b = pkt.bytes_mut();
        b[0..6].copy_from_slice(&adj.dst_mac);
        b[6..12].copy_from_slice(&adj.src_mac);
        if len > usize::from(adj.mtu) {
            if b[ETH + 6] & 0x40 != 0 {
                return Verdict::Drop(DropReason::FragNeeded);
            }
            return Verdict::Fragment(adj.port, adj.mtu);
        }
        Verdict::Forward(adj.port)
    }

    /// The adjacency an outer packet to `remote` leaves by, looked up in the tunnel's
    /// underlay (and kept for the rest of the burst when no flow hash chose it); `Err`: the
    /// packet's verdict when it does not leave by one (a local tunnel's far end is the
    /// router: decapsulated at once).
    #[inline(never)]
    fn resolve_outer<B: PacketBuf>(
        &mut self,
        snap: &Snapshot,
        t: &Tunnel,
        remote: u32,
        pkt: &mut B,
        now_ns: u64,
        depth: u8,
    ) -> Result<shared::adj::Adjacency, Verdict> {
        let Some(nh) = snap.lookup_through(t.underlay, remote) else {
            return Err(Verdict::Drop(DropReason::NoRoute));
        };
        let mut hashed = false;
        let resolved = snap.next_hops.resolve_with(nh, || {
            hashed = true;
            flow_hash_of(pkt.bytes(), ETH)
        });
        Err(match resolved {
            Resolved::Forward(a) if is_tunnel(a.port) => Verdict::Drop(DropReason::TunnelLoop),
            Resolved::Forward(a) => {
                if !hashed {
                    self.outer_hop = Some(OuterHop {
                        table: t.underlay,
                        remote,
                        adj: *a,
                    });
                }
                return Ok(*a);
            }
            Resolved::Local => match self.decap(snap, t.underlay, pkt, now_ns, depth + 1) {
                Some(v) => v,
                None => Verdict::Drop(DropReason::NoSuchTunnel),
            },
            Resolved::Glean { port, src, target } => {
                let ip = if target == 0 { remote } else { target };
                self.want(snap, port, src, ip, now_ns);
                Verdict::Drop(DropReason::Unresolved)
            }
            Resolved::Blackhole => Verdict::Drop(DropReason::Blackhole),
            Resolved::Prohibit => Verdict::Drop(DropReason::Prohibited),
            Resolved::Unreachable | Resolved::Lookup(_) => Verdict::Drop(DropReason::NoRoute),
        })
    }

    /// A packet for one of the router's addresses that arrived on `in_port`: the inner
    /// packet's verdict when it is a tunnel's, else a punt to the kernel.
    #[inline]
    pub(super) fn local<B: PacketBuf>(
        &mut self,
        snap: &Snapshot,
        in_port: PortId,
        pkt: &mut B,
        p: &Parsed,
        now_ns: u64,
    ) -> Verdict {
        if !snap.tunnels.any || !snap.tunnels.carries(p.protocol) || p.eh != ETH {
            return Verdict::Punt;
        }
        let table = snap.ingress_table(in_port);
        // Not a tunnel's after all (UDP to another port): the kernel's.
        self.decap(snap, table, pkt, now_ns, p.depth + 1)
            .unwrap_or(Verdict::Punt)
    }

    /// Takes the outer headers off a tunnel packet (after an untagged Ethernet header) that
    /// arrived in `table`, and runs the inner packet through the pipeline as arriving on
    /// its tunnel. `None`: it is not a tunnel packet (not IPIP or GRE).
    #[cold]
    #[inline(never)]
    fn decap<B: PacketBuf>(
        &mut self,
        snap: &Snapshot,
        table: TableId,
        pkt: &mut B,
        now_ns: u64,
        depth: u8,
    ) -> Option<Verdict> {
        if depth > MAX_DEPTH {
            return Some(Verdict::Drop(DropReason::TunnelLoop));
        }
        let f = match match_tunnel(snap, table, pkt.bytes())? {
            Ok(found) => found,
            Err(Keepalive::Ours(port)) => {
                self.event(Event::TunnelAlive { port });
                return Some(Verdict::Drop(DropReason::TunnelKeepalive));
            }
            Err(Keepalive::No(why)) => return Some(Verdict::Drop(why)),
        };
        if f.t.kind.is_l2() {
            return Some(self.decap_l2(snap, pkt, f, now_ns, depth));
        }
        let (t, strip) = (f.t, f.strip);
        let inner_at = ETH + strip;
        let b = pkt.bytes();
        let Some(&first) = b.get(inner_at) else {
            return Some(Verdict::Drop(DropReason::BadTunnelHeader));
        };
        if first >> 4 != 4 || b.len() < inner_at + 20 {
            return Some(Verdict::Drop(DropReason::BadTunnelHeader));
        }
        if !pkt.move_start(strip as isize) {
            return Some(Verdict::Drop(DropReason::BadTunnelHeader));
        }
        if let Some(v) = self.keepalive(snap, t, pkt, now_ns, depth) {
            return Some(v);
        }
        inner_frame(t, pkt.bytes_mut());
        self.count_out_of(t, pkt);
        let v = self.process_at(snap, t.id, pkt, now_ns, depth);
        Some(match v {
            // What the kernel should see came in on the tunnel: its twin's.
            Verdict::Punt => Verdict::PuntTo(t.id),
            v => v,
        })
    }
}

impl Pipeline {
    /// Keepalives, once the outer header is off (the inner packet at the frame's start,
    /// after room for an Ethernet header): an inner packet from our end to the far end is
    /// either the far end's keepalive (the protocol of the tunnel inside: sent back to it
    /// through the underlay) or, for IPIP, ours come back (no next header inside).
    fn keepalive<B: PacketBuf>(
        &mut self,
        snap: &Snapshot,
        t: &Tunnel,
        pkt: &mut B,
        now_ns: u64,
        depth: u8,
    ) -> Option<Verdict> {
        let ip = pkt.bytes().get(ETH..ETH + 20)?;
        let src = u32::from_be_bytes([ip[12], ip[13], ip[14], ip[15]]);
        let dst = u32::from_be_bytes([ip[16], ip[17], ip[18], ip[19]]);
        if (src, dst) != (t.local, t.remote) {
            return None;
        }
        match ip[9] {
            p if p == t.kind.protocol() => {
                pkt.bytes_mut()[12..14].copy_from_slice(&ethertype::IPV4.to_be_bytes());
                Some(self.route_outer(snap, t, t.remote, pkt, now_ns, depth))
            }
            NO_NEXT_HEADER if t.kind == TunnelKind::Ipip => {
                self.event(Event::TunnelAlive { port: t.id });
                Some(Verdict::Drop(DropReason::TunnelKeepalive))
            }
            _ => None,
        }
    }
}

impl Pipeline {
    /// Counts a packet that came out of tunnel `t` (the inner packet's bytes).
    #[inline]
    fn count_out_of<B: PacketBuf>(&self, t: &Tunnel, pkt: &B) {
        if let Some(c) = &self.counters {
            c.logical
                .count(t.id.0, true, pkt.bytes().len().saturating_sub(ETH) as u64);
        }
    }
}

/// The inner frame of tunnel `t` (now the whole buffer) as packet `i` of the burst:
/// parsed, checked against rp-filter, and added to the bulk lookup in the tunnel's VRF as
/// arriving on the tunnel; `Some`: its verdict when it goes no further.
#[inline(always)]
fn join_lookup<B: PacketBuf>(
    snap: &Snapshot,
    t: &Tunnel,
    pkt: &mut B,
    st: &mut super::Stage,
    i: usize,
) -> Option<Verdict> {
    match super::parse(pkt) {
        Ok(q)
            if snap.rp_filter != shared::snapshot::RpFilter::No
                && !super::rp_ok(snap, t.id, q.src) =>
        {
            Some(Verdict::Drop(DropReason::RpFilter))
        }
        Ok(q) => {
            st.ports[i] = t.id;
            st.look_up(i, Parsed { depth: 1, ..q }, snap.ingress_table(t.id));
            None
        }
        Err(Verdict::Punt) => Some(Verdict::PuntTo(t.id)),
        Err(v) => Some(v),
    }
}

/// Makes the inner packet at `b[ETH..]` a frame arriving on tunnel `t` (addressed to its
/// twin's MAC), its TCP MSS clamped when the tunnel says so.
#[inline]
fn inner_frame(t: &Tunnel, b: &mut [u8]) {
    b[0..6].copy_from_slice(&t.iface.mac);
    b[6..12].copy_from_slice(&t.iface.mac);
    b[12..14].copy_from_slice(&ethertype::IPV4.to_be_bytes());
    if t.clamp_mss {
        clamp_mss(&mut b[ETH..], t.iface.mtu.saturating_sub(40));
    }
}

/// IP protocol 59: what an IPIP keepalive carries at its core.
const NO_NEXT_HEADER: u8 = 59;

/// The frame the router sends into tunnel `t` as a keepalive (Cisco's form, which RouterOS
/// also uses): an Ethernet header, then a packet from the far end to us of the tunnel's
/// own protocol, so the far end, once it has taken the outer header off, routes it back
/// to us through its side of the tunnel. Inside, for GRE, a GRE header of protocol type 0
/// (with the tunnel's key); for IPIP, an IPv4 header from us to the far end carrying
/// nothing (protocol 59).
///
/// EoIP's keepalive (MikroTik's) is an EoIP header with length 0, carrying nothing: an
/// empty frame here, which encapsulation turns into it; VXLAN has none.
pub fn keepalive_frame(t: &Tunnel) -> Vec<u8> {
    let inner_len = match t.kind {
        TunnelKind::Ipip => 20,
        TunnelKind::Gre { .. } => t.kind.overhead() - 20,
        TunnelKind::Eoip { .. } | TunnelKind::Vxlan { .. } => return Vec::new(),
    };
    let mut f = vec![0u8; ETH + 20 + inner_len];
    f[12..14].copy_from_slice(&ethertype::IPV4.to_be_bytes());
    wire::ipv4_header(
        &mut f[ETH..ETH + 20],
        (t.remote, t.local),
        t.kind.protocol(),
        (20 + inner_len) as u16,
    );
    if let TunnelKind::Gre { key } = t.kind {
        let g = &mut f[ETH + 20..];
        let flags = if key.is_some() { GRE_KEY } else { 0 };
        g[0..2].copy_from_slice(&flags.to_be_bytes());
        if let Some(k) = key {
            g[4..8].copy_from_slice(&k.to_be_bytes());
        }
    } else {
        wire::ipv4_header(&mut f[ETH + 20..], (t.local, t.remote), NO_NEXT_HEADER, 20);
    }
    f
}

/// Lowers the MSS option of a TCP SYN in the IPv4 packet `ip` to `mss` (with the checksum
/// updated), as `clamp-tcp-mss` does for what crosses a tunnel.
pub(super) fn clamp_mss(ip: &mut [u8], mss: u16) {
    if ip.len() < 20 || ip[9] != 6 || u16::from_be_bytes([ip[6], ip[7]]) & 0x3fff != 0 {
        return;
    }
    let ihl = usize::from(ip[0] & 0x0f) * 4;
    let Some(tcp) = ip.get_mut(ihl..) else { return };
    if tcp.len() < 20 || tcp[13] & 0x02 == 0 {
        return;
    }
    let hl = (usize::from(tcp[12] >> 4) * 4).min(tcp.len());
    let mut i = 20;
    while i < hl {
        match tcp[i] {
            0 => return,
            1 => i += 1,
            kind => {
                let Some(&len) = tcp.get(i + 1) else { return };
                let len = usize::from(len);
                if len < 2 || i + len > hl {
                    return;
                }
                if kind == 2 && len == 4 {
                    let old = u16::from_be_bytes([tcp[i + 2], tcp[i + 3]]);
                    if old > mss {
                        tcp[i + 2..i + 4].copy_from_slice(&mss.to_be_bytes());
                        let c = u16::from_be_bytes([tcp[16], tcp[17]]);
                        let c = checksum::update(c, old, mss);
                        tcp[16..18].copy_from_slice(&c.to_be_bytes());
                    }
                    return;
                }
                i += len;
            }
        }
    }
}
