//! Layer-2 tunnels (EoIP, VXLAN): Ethernet interfaces whose wire is the underlay.
//!
//! Out of one: the outer headers come off and the inner frame arrives on the tunnel's
//! interface as on a port (its MAC, ARP to the kernel twin, neighbours learned). An IPv4
//! frame for the tunnel's MAC joins the burst's bulk lookup; anything else (ARP,
//! broadcast, another MAC) takes the whole pipeline at once. A VXLAN tunnel with several
//! VTEPs learns which one a neighbour is behind from its ARP packets ([`Event::Vtep`]).
//!
//! Into one: the routed frame, Ethernet header and all (the neighbour's MAC written by the
//! lookup), gets the outer Ethernet, IPv4 and tunnel headers in front, to the tunnel's far
//! end or to the VTEP its destination MAC is behind.

use super::wire::{Found, Outer};
use super::{clamp_mss, MAX_DEPTH};
use crate::counters::DropReason;
use crate::pipeline::{flow_hash_of, Event, PacketBuf, Pipeline, Stage, Verdict};
use crate::wire::ethernet::{ethertype, HEADER_LEN as ETH};
use shared::snapshot::Snapshot;
use shared::tunnel::{Tunnel, TunnelKind, Vtep};

/// The lowest UDP source port of VXLAN packets (RFC 7348 suggests the dynamic range).
const VXLAN_SPORT_BASE: u16 = 49152;

impl Pipeline {
    /// In the burst: packet `i`, of layer-2 tunnel `f`, is taken out of it; an IPv4 frame
    /// for the tunnel's MAC joins the lookup, anything else is processed at once.
    pub(super) fn l2_in_burst<B: PacketBuf>(
        &mut self,
        snap: &Snapshot,
        pkt: &mut B,
        st: &mut Stage,
        i: usize,
        f: Found<'_>,
        now_ns: u64,
    ) -> Option<Verdict> {
        let t = f.t;
        if let Err(v) = self.strip_l2(pkt, &f) {
            return Some(v);
        }
        let b = pkt.bytes();
        let routed = b[0..6] == t.iface.mac && b[12..14] == ethertype::IPV4.to_be_bytes();
        if !routed {
            return Some(self.arrived_l2(snap, t, f.from, pkt, now_ns, 1));
        }
        super::join_lookup(snap, t, pkt, st, i)
    }

    /// Off the burst (a local tunnel's outer packet, or one the lookup found local): the
    /// inner frame of layer-2 tunnel `f` through the whole pipeline.
    pub(super) fn decap_l2<B: PacketBuf>(
        &mut self,
        snap: &Snapshot,
        pkt: &mut B,
        f: Found<'_>,
        now_ns: u64,
        depth: u8,
    ) -> Verdict {
        if let Err(v) = self.strip_l2(pkt, &f) {
            return v;
        }
        self.arrived_l2(snap, f.t, f.from, pkt, now_ns, depth)
    }

    /// Takes the outer headers off (the inner frame then starts the buffer), trims EoIP's
    /// frame to its length, counts it on the tunnel and clamps a SYN's MSS.
    #[inline]
    fn strip_l2<B: PacketBuf>(&self, pkt: &mut B, f: &Found<'_>) -> Result<(), Verdict> {
        if !pkt.move_start((ETH + f.strip) as isize) {
            return Err(Verdict::Drop(DropReason::BadTunnelHeader));
        }
        if let Some(len) = f.frame_len {
            if !pkt.set_len(len) {
                return Err(Verdict::Drop(DropReason::BadTunnelHeader));
            }
        }
        if let Some(c) = &self.counters {
            c.logical
                .count(f.t.id.0, true, pkt.bytes().len().saturating_sub(ETH) as u64);
        }
        if f.t.clamp_mss && pkt.bytes()[12..14] == ethertype::IPV4.to_be_bytes() {
            clamp_mss(
                &mut pkt.bytes_mut()[ETH..],
                f.t.iface.mtu.saturating_sub(40),
            );
        }
        Ok(())
    }

    /// An inner frame arrived on layer-2 tunnel `t` from `from`: processed as arriving on
    /// its interface (what is for the router goes to the tunnel's twin).
    #[cold]
    #[inline(never)]
    fn arrived_l2<B: PacketBuf>(
        &mut self,
        snap: &Snapshot,
        t: &Tunnel,
        from: u32,
        pkt: &mut B,
        now_ns: u64,
        depth: u8,
    ) -> Verdict {
        let b = pkt.bytes();
        if matches!(t.kind, TunnelKind::Vxlan { .. })
            && b[12..14] == ethertype::ARP.to_be_bytes()
            && snap.tunnels.vteps_of(t.id).len() > 1
        {
            let mac: [u8; 6] = b[6..12].try_into().unwrap_or_default();
            let known = snap.tunnels.fdb.get(&(t.id.0, mac)).map(|v| v.ip);
            if known != Some(from) && mac[0] & 1 == 0 {
                self.event(Event::Vtep {
                    port: t.id,
                    mac,
                    vtep: from,
                });
            }
        }
        match self.process_at(snap, t.id, pkt, now_ns, depth) {
            Verdict::Punt => Verdict::PuntTo(t.id),
            v => v,
        }
    }

    /// Puts layer-2 tunnel `t`'s outer headers in front of the frame (to `vtep`, or to the
    /// VTEP its destination is behind) and routes the outer packet. An empty frame is an
    /// EoIP keepalive.
    pub(super) fn encap_l2<B: PacketBuf>(
        &mut self,
        snap: &Snapshot,
        t: &Tunnel,
        vtep: Option<Vtep>,
        pkt: &mut B,
        now_ns: u64,
        depth: u8,
    ) -> Verdict {
        debug_assert!(depth < MAX_DEPTH);
        let b = pkt.bytes();
        let frame_len = b.len();
        if frame_len < ETH && !(frame_len == 0 && matches!(t.kind, TunnelKind::Eoip { .. })) {
            return Verdict::Drop(DropReason::Truncated);
        }
        let to = match t.kind {
            TunnelKind::Vxlan { .. } => {
                let dst: [u8; 6] = b[0..6].try_into().unwrap_or_default();
                match vtep.or_else(|| snap.tunnels.vtep_for(t.id, &dst)) {
                    Some(v) => v,
                    None => return Verdict::Drop(DropReason::NoVtep),
                }
            }
            _ => Vtep {
                ip: t.remote,
                port: 0,
            },
        };
        let ipv4 = frame_len >= ETH + 20 && b[12..14] == ethertype::IPV4.to_be_bytes();
        let (tos, df) = if ipv4 {
            (b[ETH + 1], b[ETH + 6] & 0x40 != 0)
        } else {
            (0, false)
        };
        let sport = match t.kind {
            TunnelKind::Vxlan { .. } => {
                let h = if ipv4 {
                    flow_hash_of(b, ETH)
                } else {
                    u32::from_be_bytes([b[8], b[9], b[10], b[11]])
                };
                VXLAN_SPORT_BASE | (h ^ h >> 16) as u16 & 0x3fff
            }
            _ => 0,
        };
        if t.clamp_mss && ipv4 {
            clamp_mss(&mut pkt.bytes_mut()[ETH..], t.iface.mtu.saturating_sub(40));
        }
        let outer = ETH + 20 + t.kind.header_len();
        let total = outer - ETH + frame_len;
        if total > usize::from(u16::MAX) || !pkt.move_start(-(outer as isize)) {
            return Verdict::Drop(DropReason::Truncated);
        }
        if let Some(c) = &self.counters {
            c.logical
                .count(t.id.0, false, frame_len.saturating_sub(ETH) as u64);
        }
        self.ip_id = self.ip_id.wrapping_add(1);
        let o = Outer {
            to,
            tos: t.dscp.map_or(tos, |d| d << 2 | (tos & 3)),
            df: t.df_inherit && df,
            total: total as u16,
            id: self.ip_id,
            inner: frame_len as u16,
            sport,
        };
        super::wire::write_outer(&mut pkt.bytes_mut()[..outer], t, &o);
        self.route_outer(snap, t, to.ip, pkt, now_ns, depth)
    }
}
