//! Labelled frames (RFC 3032) and pushing labels.
//!
//! A labelled frame is accepted only on a port whose interface has MPLS input on. Its top
//! label is looked up in the LFIB (a flat array read): swap and send, pop and send
//! (penultimate hop), or pop and look the IPv4 packet up in a table (explicit null, per-VRF
//! labels). TTL follows `/mpls settings propagate-ttl` (RFC 3443: uniform when on, pipe when
//! off). A label TTL that runs out makes an ICMP time exceeded carrying the received label
//! stack (RFC 4950), sent on along the LSP (RFC 3032 §2.3.2): the LSP's far end routes it
//! back to the source, so traceroute works where the core knows no customer route.

use super::{parse, IcmpError, PacketBuf, Parsed, Pipeline, Verdict};
use crate::counters::DropReason;
use crate::wire::ethernet::{ethertype, HEADER_LEN as ETH};
use crate::wire::mpls::{Entry, Stack, MAX_DEPTH};
use crate::wire::{checksum, icmp, ipv4, WireError};
use shared::adj::Adjacency;
use shared::lfib::LabelAction;
use shared::snapshot::Snapshot;
use shared::types::{AdjId, Label, PortId, TableId};

/// What the label step decided.
#[derive(Debug, Clone, Copy)]
pub(super) enum Labelled {
    /// Done: sent on (swap, penultimate hop pop) or dropped.
    Done(Verdict),
    /// The labels are gone: look the IPv4 packet up in this table.
    Lookup(Parsed, TableId),
}

/// How much of the original datagram an RFC 4884 ICMP message quotes before its
/// extensions (the minimum the RFC allows, padded with zeros when shorter).
const QUOTED: usize = 128;

/// Whether a frame carries MPLS unicast (untagged: tagged frames are refused elsewhere).
#[inline(always)]
pub(super) fn is_mpls(bytes: &[u8]) -> bool {
    bytes.get(12..14) == Some(&ethertype::MPLS.to_be_bytes()[..])
}

/// The top label of a labelled frame (20 bits), for prefetching.
#[inline(always)]
pub(super) fn top_label(bytes: &[u8]) -> Option<u32> {
    if !is_mpls(bytes) {
        return None;
    }
    let b = bytes.get(ETH..ETH + 3)?;
    Some((u32::from(b[0]) << 12) | (u32::from(b[1]) << 4) | (u32::from(b[2]) >> 4))
}

impl Pipeline {
    /// A labelled frame that arrived on `in_port`.
    #[inline]
    pub(super) fn labelled<B: PacketBuf>(
        &mut self,
        snap: &Snapshot,
        in_port: PortId,
        pkt: &mut B,
        now_ns: u64,
    ) -> Labelled {
        let drop = |r| Labelled::Done(Verdict::Drop(r));
        match snap.port(in_port) {
            None => return drop(DropReason::UnknownPort),
            Some(p) if !p.mpls_input => return drop(DropReason::MplsNotEnabled),
            Some(_) => {}
        }
        let (top, depth) = match Stack::new_checked(pkt.bytes().get(ETH..).unwrap_or(&[])) {
            Ok(s) => (s.top(), s.depth()),
            Err(WireError::Truncated) => return drop(DropReason::Truncated),
            Err(_) => return drop(DropReason::MplsBadStack),
        };
        if let Some(c) = &self.counters {
            c.labels.count(top.label.get(), pkt.bytes().len() as u64);
        }
        let action = if top.label == Label::IPV4_EXPLICIT_NULL {
            if !top.bos {
                // RFC 4182: explicit null may sit above other labels; it only pops.
                return self.pop_explicit_null(snap, in_port, pkt, top, now_ns);
            }
            LabelAction::PopLookup(snap.ingress_table(in_port))
        } else {
            snap.lfib.lookup(top.label)
        };
        if action == LabelAction::Drop {
            return drop(if top.label.is_reserved() {
                DropReason::MplsBadStack
            } else {
                DropReason::MplsUnknownLabel
            });
        }
        if top.ttl <= 1 {
            return self.label_ttl_expired(snap, in_port, pkt, depth, now_ns);
        }
        match action {
            LabelAction::Swap { label, via } => {
                Labelled::Done(swap(snap, in_port, pkt, top, label, via))
            }
            LabelAction::PopForward(via) => {
                Labelled::Done(pop_forward(snap, in_port, pkt, top, via))
            }
            LabelAction::PopLookup(table) => pop_lookup(snap, pkt, top, table),
            LabelAction::Drop => drop(DropReason::MplsUnknownLabel),
        }
    }

    /// Label 0 above other labels: popped (its TTL passed down in the uniform model), and
    /// the next label processed.
    #[cold]
    fn pop_explicit_null<B: PacketBuf>(
        &mut self,
        snap: &Snapshot,
        in_port: PortId,
        pkt: &mut B,
        top: Entry,
        now_ns: u64,
    ) -> Labelled {
        if snap.propagate_ttl {
            let b = pkt.bytes_mut();
            b[ETH + 7] = b[ETH + 7].min(top.ttl);
        }
        if !pop_front(pkt, ethertype::MPLS) {
            return Labelled::Done(Verdict::Drop(DropReason::Truncated));
        }
        self.labelled(snap, in_port, pkt, now_ns)
    }

    /// The top label's TTL ran out: an ICMP time exceeded with the received stack (RFC
    /// 4950) takes the packet's place, under the same labels with fresh TTLs, and goes on
    /// the way the packet would have (RFC 3032 §2.3.2).
    #[cold]
    #[inline(never)]
    fn label_ttl_expired<B: PacketBuf>(
        &mut self,
        snap: &Snapshot,
        in_port: PortId,
        pkt: &mut B,
        depth: usize,
        now_ns: u64,
    ) -> Labelled {
        let dropped = Labelled::Done(Verdict::Drop(DropReason::TtlExpired));
        let Some(our_ip) = snap.port(in_port).and_then(|p| p.ipv4) else {
            return dropped;
        };
        let stack_len = depth * 4;
        let mut stack = [0u8; MAX_DEPTH * 4];
        stack[..stack_len].copy_from_slice(&pkt.bytes()[ETH..ETH + stack_len]);
        let mut quoted = [0u8; QUOTED];
        let orig_src = {
            let Ok(ip) = ipv4::Packet::new_checked(&pkt.bytes()[ETH + stack_len..]) else {
                return dropped;
            };
            if !super::may_send_error_about(&ip) {
                return dropped;
            }
            let n = ip.packet().len().min(QUOTED);
            quoted[..n].copy_from_slice(&ip.packet()[..n]);
            ip.src()
        };
        if !self.budget(snap, in_port).icmp.take(now_ns) {
            return Labelled::Done(Verdict::Drop(DropReason::IcmpRateLimited));
        }
        let icmp_len = icmp::HEADER_LEN + QUOTED + 8 + stack_len;
        let ip_len = 20 + icmp_len;
        if !pkt.set_len(ETH + stack_len + ip_len) {
            return dropped;
        }
        let b = pkt.bytes_mut();
        // The same labels, each with a fresh TTL so the message gets through the whole way
        // (under a VPN label too: the egress PE looks it up in the VRF).
        for i in 0..depth {
            b[ETH + 4 * i + 3] = 255;
        }
        let at = ETH + stack_len;
        write_ip_header(&mut b[at..at + 20], ip_len, our_ip, orig_src);
        let m = &mut b[at + 20..];
        m.fill(0);
        m[0] = icmp::TIME_EXCEEDED;
        // RFC 4884: the quoted datagram's length in 32-bit words.
        m[5] = (QUOTED / 4) as u8;
        m[8..8 + QUOTED].copy_from_slice(&quoted);
        let ext = &mut m[8 + QUOTED..];
        ext[0] = 0x20; // extension structure version 2
        ext[4..6].copy_from_slice(&((4 + stack_len) as u16).to_be_bytes());
        ext[6] = 1; // class: MPLS label stack (RFC 4950)
        ext[7] = 1; // c-type: incoming label stack
        ext[8..8 + stack_len].copy_from_slice(&stack[..stack_len]);
        let c = checksum::finish(checksum::sum(ext, 0));
        ext[2..4].copy_from_slice(&c.to_be_bytes());
        let c = checksum::finish(checksum::sum(m, 0));
        m[2..4].copy_from_slice(&c.to_be_bytes());
        self.labelled_without_count(snap, in_port, pkt, now_ns)
    }

    /// [`Self::labelled`] for a packet already counted.
    fn labelled_without_count<B: PacketBuf>(
        &mut self,
        snap: &Snapshot,
        in_port: PortId,
        pkt: &mut B,
        now_ns: u64,
    ) -> Labelled {
        let counters = self.counters.take();
        let r = self.labelled(snap, in_port, pkt, now_ns);
        self.counters = counters;
        r
    }

    /// Pushes `adj`'s labels on the IPv4 packet that `finish` has just rewritten (TTL
    /// decremented), or says why it cannot leave: larger than the port's `mpls-mtu` with
    /// its labels (fragmentation needed with DF, else dropped).
    pub(super) fn push_labels<B: PacketBuf>(
        &mut self,
        snap: &Snapshot,
        in_port: PortId,
        pkt: &mut B,
        p: &Parsed,
        adj: &Adjacency,
        now_ns: u64,
    ) -> Verdict {
        let room = 4 * adj.push.depth();
        let mpls_mtu = snap.port(adj.port).map_or(0, |x| usize::from(x.mpls_mtu));
        if p.ip_len + room > mpls_mtu {
            if p.df {
                let e = IcmpError::frag_needed((mpls_mtu.saturating_sub(room)) as u16);
                return self.icmp(snap, in_port, pkt, p.eh, now_ns, e);
            }
            return Verdict::Drop(DropReason::MplsMtu);
        }
        let (tos, ttl) = {
            let h = &pkt.bytes()[p.eh..];
            (h[1], h[8])
        };
        if !pkt.move_start(-(room as isize)) {
            return Verdict::Drop(DropReason::MplsMtu);
        }
        let b = pkt.bytes_mut();
        write_l2(b, adj, ethertype::MPLS);
        write_stack(&mut b[ETH..], snap, adj, tos, ttl);
        Verdict::Forward(adj.port)
    }
}

/// Writes `adj`'s labels at the start of `b` for an IPv4 packet with `tos` and `ttl`: TTL
/// copied or 255 as `propagate-ttl` says (RFC 3443), TC from the precedence.
pub(super) fn write_stack(b: &mut [u8], snap: &Snapshot, adj: &Adjacency, tos: u8, ttl: u8) {
    let ttl = if snap.propagate_ttl { ttl } else { 255 };
    let n = adj.push.depth();
    for (i, label) in adj.push.labels().enumerate() {
        let e = Entry {
            label,
            tc: tos >> 5,
            bos: i + 1 == n,
            ttl,
        };
        b[4 * i..4 * i + 4].copy_from_slice(&e.encode().to_be_bytes());
    }
}

/// The adjacency of a switched label, when it leaves in the ingress port's VRF.
#[inline]
fn switched_via(snap: &Snapshot, in_port: PortId, via: AdjId) -> Result<&Adjacency, Verdict> {
    let adj = snap
        .next_hops
        .adjacencies
        .get(via.0 as usize)
        .ok_or(Verdict::Drop(DropReason::NoRoute))?;
    if snap.ingress_vrf(adj.port) != snap.ingress_vrf(in_port) {
        return Err(Verdict::Drop(DropReason::MplsOtherVrf));
    }
    Ok(adj)
}

/// Swaps the top label and sends the frame through `via`.
#[inline]
fn swap<B: PacketBuf>(
    snap: &Snapshot,
    in_port: PortId,
    pkt: &mut B,
    top: Entry,
    label: Label,
    via: AdjId,
) -> Verdict {
    let adj = match switched_via(snap, in_port, via) {
        Ok(a) => a,
        Err(v) => return v,
    };
    if pkt.bytes().len() - ETH > mpls_mtu(snap, adj.port) {
        return Verdict::Drop(DropReason::MplsMtu);
    }
    let b = pkt.bytes_mut();
    let e = Entry {
        label,
        ttl: top.ttl - 1,
        ..top
    };
    b[ETH..ETH + 4].copy_from_slice(&e.encode().to_be_bytes());
    write_l2(b, adj, ethertype::MPLS);
    Verdict::Forward(adj.port)
}

/// Pops the top label and sends what is left through `via` (the next hop asked for
/// implicit null: penultimate hop popping).
#[inline]
fn pop_forward<B: PacketBuf>(
    snap: &Snapshot,
    in_port: PortId,
    pkt: &mut B,
    top: Entry,
    via: AdjId,
) -> Verdict {
    let adj = match switched_via(snap, in_port, via) {
        Ok(a) => a,
        Err(v) => return v,
    };
    let ttl = top.ttl - 1;
    let inner = if top.bos {
        let Ok(ip) = ipv4::Packet::new_checked(&pkt.bytes()[ETH + 4..]) else {
            return Verdict::Drop(DropReason::BadIpHeader);
        };
        if usize::from(ip.total_len()) > usize::from(adj.mtu) {
            return Verdict::Drop(DropReason::MplsMtu);
        }
        if snap.propagate_ttl {
            set_ip_ttl(&mut pkt.bytes_mut()[ETH + 4..], ttl);
        }
        ethertype::IPV4
    } else {
        if pkt.bytes().len() - ETH - 4 > mpls_mtu(snap, adj.port) {
            return Verdict::Drop(DropReason::MplsMtu);
        }
        if snap.propagate_ttl {
            let b = pkt.bytes_mut();
            b[ETH + 7] = b[ETH + 7].min(ttl);
        }
        ethertype::MPLS
    };
    if !pkt.move_start(4) {
        return Verdict::Drop(DropReason::Truncated);
    }
    write_l2(pkt.bytes_mut(), adj, inner);
    Verdict::Forward(adj.port)
}

/// Pops the bottom label and hands the IPv4 packet to the lookup in `table`. The IP TTL
/// takes the label's in the uniform model; the lookup's forwarding decrements it once, as
/// for this router's one hop.
#[inline]
fn pop_lookup<B: PacketBuf>(snap: &Snapshot, pkt: &mut B, top: Entry, table: TableId) -> Labelled {
    if !top.bos {
        return Labelled::Done(Verdict::Drop(DropReason::MplsBadStack));
    }
    if snap.propagate_ttl {
        // Before parse() checks the header: a bogus one is dropped there all the same.
        set_ip_ttl(&mut pkt.bytes_mut()[ETH + 4..], top.ttl);
    }
    if !pop_front(pkt, ethertype::IPV4) {
        return Labelled::Done(Verdict::Drop(DropReason::Truncated));
    }
    match parse(pkt) {
        Ok(p) => Labelled::Lookup(p, table),
        Err(v) => Labelled::Done(v),
    }
}

/// Removes the top label, keeping the Ethernet addresses, with `inner` as the EtherType.
fn pop_front<B: PacketBuf>(pkt: &mut B, inner: u16) -> bool {
    if pkt.bytes().len() < ETH + 4 {
        return false;
    }
    // A fixed-size copy (no memmove call): the addresses move with the start.
    let mut macs = [0u8; 12];
    macs.copy_from_slice(&pkt.bytes()[..12]);
    if !pkt.move_start(4) {
        return false;
    }
    let b = pkt.bytes_mut();
    b[..12].copy_from_slice(&macs);
    b[12..14].copy_from_slice(&inner.to_be_bytes());
    true
}

/// The labelled size a port takes (`mpls-mtu`).
#[inline]
fn mpls_mtu(snap: &Snapshot, port: PortId) -> usize {
    snap.port(port).map_or(0, |p| usize::from(p.mpls_mtu))
}

/// Writes the Ethernet header for `adj`.
#[inline]
pub(super) fn write_l2(b: &mut [u8], adj: &Adjacency, ethertype: u16) {
    b[0..6].copy_from_slice(&adj.dst_mac);
    b[6..12].copy_from_slice(&adj.src_mac);
    b[12..14].copy_from_slice(&ethertype.to_be_bytes());
}

/// Lowers the IPv4 TTL at the start of `h` to `ttl` (never raises it: RFC 3443 §3.1 takes
/// the smaller), with the checksum updated.
fn set_ip_ttl(h: &mut [u8], ttl: u8) {
    if h.len() < ipv4::MIN_HEADER_LEN || h[8] <= ttl {
        return;
    }
    let old = u16::from_be_bytes([h[8], h[9]]);
    h[8] = ttl;
    let new = u16::from_be_bytes([h[8], h[9]]);
    let c = checksum::update(u16::from_be_bytes([h[10], h[11]]), old, new);
    h[10..12].copy_from_slice(&c.to_be_bytes());
}

/// An IPv4 header for an ICMP message of `total` bytes from `src` to `dst`.
fn write_ip_header(h: &mut [u8], total: usize, src: u32, dst: u32) {
    h.fill(0);
    h[0] = 0x45;
    h[1] = 0xc0;
    h[2..4].copy_from_slice(&(total as u16).to_be_bytes());
    h[8] = 255;
    h[9] = ipv4::protocol::ICMP;
    h[12..16].copy_from_slice(&src.to_be_bytes());
    h[16..20].copy_from_slice(&dst.to_be_bytes());
    let c = checksum::finish(checksum::sum(h, 0));
    h[10..12].copy_from_slice(&c.to_be_bytes());
}

#[cfg(test)]
mod tests;
