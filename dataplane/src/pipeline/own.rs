//! The router's own packets: what the kernel of a VRF's namespace sends beyond its connected
//! networks. Each namespace's default route points at a gateway whose MAC is the twin's own
//! (`controlplane::twins`), so such frames come back from the twin addressed to the port
//! itself; they are routed here by the VRF's table like the dataplane's own traffic: the
//! next hop's MACs written in, out of the adjacency's port, the neighbour asked for when it
//! is not resolved yet. The kernel's TTL is kept (the packet starts here).

use super::{Event, Verdict};
use crate::counters::DropReason;
use crate::wire::ethernet::{ethertype, HEADER_LEN as ETH};
use shared::adj::Resolved;
use shared::snapshot::Snapshot;
use shared::tunnel::{TunnelKind, Vtep};
use shared::types::PortId;

/// What becomes of one of the router's own frames.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Own {
    /// Rewritten: send it out of this port.
    Out(u16),
    /// Give it to this interface's kernel twin (it went through a local tunnel and came
    /// out for the router itself).
    Punt(u16),
    /// Dropped for this reason; with an event when a neighbour should be asked for.
    Drop(DropReason, Option<Event>),
}

/// Whether `frame`, sent by the twin of a port whose MAC is `mac`, is addressed to the port
/// itself (and so asks to be routed).
pub fn is_for_routing(frame: &[u8], mac: &[u8; 6]) -> bool {
    frame.len() >= 34 && frame[0..6] == mac[..] && frame[12..14] == [0x08, 0x00]
}

/// Routes one of the router's own IPv4 frames that the twin of `port` sent: looked up in
/// the table of the port's VRF, MACs rewritten for the next hop, the route's labels pushed
/// (a BGP session to a PE's loopback over LDP: TTL from the IP header or 255 as
/// `propagate-ttl` says, TC from the precedence).
pub fn route(snap: &Snapshot, port: u16, frame: &mut Vec<u8>) -> Own {
    if frame.len() < 34 || frame[12..14] != [0x08, 0x00] || frame[14] >> 4 != 4 {
        return Own::Drop(DropReason::BadIpHeader, None);
    }
    let dst = u32::from_be_bytes([frame[30], frame[31], frame[32], frame[33]]);
    let table = snap.ingress_table(PortId(port));
    let Some(nh) = snap.lookup_through(table, dst) else {
        return Own::Drop(DropReason::NoRoute, None);
    };
    let len = u16::from_be_bytes([frame[16], frame[17]]);
    match snap.next_hops.resolve(nh, 0) {
        Resolved::Forward(adj) => {
            let room = 4 * adj.push.depth();
            let mpls_mtu = snap.port(adj.port).map_or(0, |p| p.mpls_mtu);
            if len > adj.mtu || (room > 0 && usize::from(len) + room > usize::from(mpls_mtu)) {
                // The kernel keeps to the twin's MTU (path MTU discovery learns the rest).
                return Own::Drop(DropReason::FragNeeded, None);
            }
            if room > 0 {
                push(snap, frame, adj);
            }
            frame[0..6].copy_from_slice(&adj.dst_mac);
            frame[6..12].copy_from_slice(&adj.src_mac);
            Own::Out(adj.port.0)
        }
        Resolved::Glean { port, src, target } => {
            let ip = if target == 0 { dst } else { target };
            Own::Drop(DropReason::Unresolved, Some(Event::Want { port, ip, src }))
        }
        Resolved::Local | Resolved::Unreachable | Resolved::Lookup(_) => {
            Own::Drop(DropReason::NoRoute, None)
        }
        Resolved::Blackhole => Own::Drop(DropReason::Blackhole, None),
        Resolved::Prohibit => Own::Drop(DropReason::Prohibited, None),
    }
}

/// Puts `adj`'s labels between the Ethernet and IPv4 headers of `frame`.
fn push(snap: &Snapshot, frame: &mut Vec<u8>, adj: &shared::adj::Adjacency) {
    let (tos, ttl) = (frame[ETH + 1], frame[ETH + 8]);
    let mut labels = vec![0u8; 4 * adj.push.depth()];
    super::mpls::write_stack(&mut labels, snap, adj, tos, ttl);
    frame.splice(ETH..ETH, labels);
    frame[12..14].copy_from_slice(&ethertype::MPLS.to_be_bytes());
}

/// Sends one of the router's own frames (what the kernel sent on a tunnel's twin, or
/// routed to a tunnel) into tunnel `port`, to VTEP `vtep` when given (a flooded frame):
/// encapsulated and routed in the underlay. A layer-2 tunnel takes any frame (ARP too; an
/// empty one is an EoIP keepalive), the others IPv4 only.
pub fn into_tunnel(
    pipeline: &mut super::Pipeline,
    snap: &Snapshot,
    port: u16,
    vtep: Option<Vtep>,
    frame: &mut Vec<u8>,
    now_ns: u64,
) -> Own {
    let l2 = snap
        .tunnels
        .get(PortId(port))
        .is_some_and(|t| t.kind.is_l2());
    if !l2 && (frame.len() < 34 || frame[12..14] != [0x08, 0x00] || frame[14] >> 4 != 4) {
        return Own::Drop(DropReason::BadIpHeader, None);
    }
    // Events (a neighbour of the underlay to resolve) stay in the pipeline, which the
    // worker drains.
    let v = pipeline.encap_own(snap, PortId(port), vtep, frame, now_ns);
    match v {
        Verdict::Forward(p) | Verdict::Reply(p, _) => Own::Out(p.0),
        // The kernel keeps to the twin's MTU; an underlay smaller than the tunnel says
        // is not fragmented for it.
        Verdict::Fragment(..) => Own::Drop(DropReason::FragNeeded, None),
        Verdict::Drop(why) => Own::Drop(why, None),
        // A local tunnel: it came out of the far end for the router itself.
        Verdict::PuntTo(p) => Own::Punt(p.0),
        Verdict::Punt => Own::Drop(DropReason::TunnelLoop, None),
    }
}

/// The VTEPs one of the router's own frames into tunnel `port` is copied to: every VTEP of
/// a VXLAN tunnel for a broadcast, a multicast or a MAC not learned behind one; none when
/// it goes to one place (any other frame, or tunnel).
pub fn flood_to<'s>(snap: &'s Snapshot, port: u16, frame: &[u8]) -> &'s [Vtep] {
    let Some(t) = snap.tunnels.get(PortId(port)) else {
        return &[];
    };
    let Some(dst) = frame.get(0..6).and_then(|d| <[u8; 6]>::try_from(d).ok()) else {
        return &[];
    };
    if !matches!(t.kind, TunnelKind::Vxlan { .. }) || snap.tunnels.vtep_for(t.id, &dst).is_some() {
        return &[];
    }
    snap.tunnels.vteps_of(t.id)
}
