//! Tunnel headers: recognising an arriving tunnel packet (which tunnel, how many bytes to
//! take off) and writing the outer headers of one sent into a tunnel.
//!
//! GRE (RFC 2784, the key of RFC 2890) carries IPv4 (protocol type 0x0800) or, with
//! protocol type 0, a keepalive; MikroTik's EoIP is GRE's first word with the key bit and
//! version 1 (`20 01`), protocol type 0x6400, then the frame's length (big-endian) and the
//! tunnel id (little-endian); VXLAN (RFC 7348) is UDP to the tunnel's port, then flags (the
//! I bit must be set), 3 reserved bytes, the 24-bit VNI and a reserved byte.

use crate::counters::DropReason;
use crate::wire::checksum;
use crate::wire::ethernet::{ethertype, HEADER_LEN as ETH};
use shared::snapshot::Snapshot;
use shared::tunnel::{
    DecapKey, Tunnel, TunnelKind, Vtep, EOIP_TYPE, OUTER_TTL, PROTO_GRE, PROTO_UDP,
};
use shared::types::{PortId, TableId};

/// GRE flag bits (RFC 2784, RFC 2890).
pub(super) const GRE_CHECKSUM: u16 = 0x8000;
const GRE_ROUTING: u16 = 0x4000;
pub(super) const GRE_KEY: u16 = 0x2000;
const GRE_SEQUENCE: u16 = 0x1000;
const GRE_VERSION: u16 = 0x0007;
/// EoIP's flags and version: the key bit, version 1.
const EOIP_FLAGS: u16 = 0x2001;
/// VXLAN's I flag: the VNI is valid.
const VXLAN_I: u8 = 0x08;

/// An arriving packet's tunnel.
#[derive(Clone, Copy)]
pub(super) struct Found<'s> {
    /// The tunnel.
    pub t: &'s Tunnel,
    /// Bytes after the outer Ethernet header to take off: the outer IPv4 header and the
    /// tunnel's own.
    pub strip: usize,
    /// The outer source (a VXLAN tunnel's VTEP).
    pub from: u32,
    /// EoIP: the inner frame's length, as its header says.
    pub frame_len: Option<usize>,
}

/// Why a packet for the router of a tunnel's protocol goes no further.
pub(super) enum Keepalive {
    /// A keepalive through this tunnel: ours come back (IPIP, GRE) or the far end's
    /// (EoIP): the far end is there.
    Ours(PortId),
    /// Dropped for this reason.
    No(DropReason),
}

/// What a tunnel header says follows it.
enum Payload {
    /// An IPv4 packet (IPIP, GRE).
    Ipv4,
    /// Nothing: a keepalive (GRE with protocol type 0, EoIP with length 0).
    Keepalive,
    /// An Ethernet frame, of this length when the header says (EoIP).
    Ethernet(Option<usize>),
}

/// A tunnel header: (key, length, EoIP's type or VXLAN's port, what follows).
type Header = (u32, usize, u16, Payload);

/// The up tunnel the packet in `b` (an outer IPv4 packet after an untagged Ethernet
/// header, looked up in `table`) belongs to; `None` when it is no tunnel's protocol (or UDP
/// to a port no VXLAN tunnel listens on); `Err` with a drop reason when it is but matches
/// no tunnel or is malformed.
pub(super) fn match_tunnel<'s>(
    snap: &'s Snapshot,
    table: TableId,
    b: &[u8],
) -> Option<Result<Found<'s>, Keepalive>> {
    let ip = b.get(ETH..ETH + 20)?;
    let protocol = ip[9];
    if !snap.tunnels.carries(protocol) {
        return None;
    }
    let ihl = usize::from(ip[0] & 0x0f) * 4;
    let l4 = b.get(ETH + ihl..)?;
    if protocol == PROTO_UDP
        && !snap
            .tunnels
            .is_vxlan_port(u16::from_be_bytes([*l4.get(2)?, *l4.get(3)?]))
    {
        return None;
    }
    let frag = u16::from_be_bytes([ip[6], ip[7]]) & 0x3fff;
    if frag != 0 {
        // Outer fragments are not reassembled.
        return Some(Err(Keepalive::No(DropReason::BadTunnelHeader)));
    }
    let src = u32::from_be_bytes([ip[12], ip[13], ip[14], ip[15]]);
    let dst = u32::from_be_bytes([ip[16], ip[17], ip[18], ip[19]]);
    let header = match protocol {
        PROTO_GRE => gre_header(l4),
        PROTO_UDP => vxlan_header(l4),
        _ => Ok((0, 0, 0, Payload::Ipv4)),
    };
    let (key, hlen, sub, payload) = match header {
        Ok(h) => h,
        Err(why) => return Some(Err(Keepalive::No(why))),
    };
    let k = DecapKey {
        table,
        local: dst,
        remote: src,
        protocol,
        key,
        sub,
    };
    let Some(t) = snap.tunnels.decap(&k) else {
        return Some(Err(Keepalive::No(DropReason::NoSuchTunnel)));
    };
    let frame_len = match payload {
        Payload::Keepalive => return Some(Err(Keepalive::Ours(t.id))),
        Payload::Ipv4 => None,
        Payload::Ethernet(len) => {
            // The inner frame must be whole: at least an Ethernet header, and as long as
            // EoIP's length says.
            let room = l4.len().saturating_sub(hlen);
            if len.unwrap_or(room) < ETH || len.is_some_and(|l| l > room) {
                return Some(Err(Keepalive::No(DropReason::BadTunnelHeader)));
            }
            len
        }
    };
    Some(Ok(Found {
        t,
        strip: ihl + hlen,
        from: src,
        frame_len,
    }))
}

/// A GRE header carrying IPv4 (or nothing: protocol type 0, a keepalive), or EoIP's.
/// Checksums and routing are refused (RouterOS sends neither), as are other versions and
/// payloads.
fn gre_header(g: &[u8]) -> Result<Header, DropReason> {
    let Some(h) = g.get(0..4) else {
        return Err(DropReason::Truncated);
    };
    let flags = u16::from_be_bytes([h[0], h[1]]);
    let proto = u16::from_be_bytes([h[2], h[3]]);
    if flags == EOIP_FLAGS && proto == EOIP_TYPE {
        let Some(e) = g.get(4..8) else {
            return Err(DropReason::Truncated);
        };
        let len = usize::from(u16::from_be_bytes([e[0], e[1]]));
        let id = u16::from_le_bytes([e[2], e[3]]);
        let payload = match len {
            0 => Payload::Keepalive,
            n => Payload::Ethernet(Some(n)),
        };
        return Ok((u32::from(id), 8, EOIP_TYPE, payload));
    }
    if flags & (GRE_CHECKSUM | GRE_ROUTING | GRE_VERSION) != 0
        || !matches!(proto, ethertype::IPV4 | 0)
    {
        return Err(DropReason::BadTunnelHeader);
    }
    let mut len = 4;
    let mut key = 0;
    if flags & GRE_KEY != 0 {
        let Some(k) = g.get(4..8) else {
            return Err(DropReason::Truncated);
        };
        key = u32::from_be_bytes([k[0], k[1], k[2], k[3]]);
        len += 4;
    }
    if flags & GRE_SEQUENCE != 0 {
        len += 4;
    }
    let payload = if proto == 0 {
        Payload::Keepalive
    } else {
        Payload::Ipv4
    };
    Ok((key, len, 0, payload))
}

/// A UDP header to a VXLAN port and the VXLAN header after it (the I flag set).
fn vxlan_header(u: &[u8]) -> Result<Header, DropReason> {
    let Some(h) = u.get(0..16) else {
        return Err(DropReason::Truncated);
    };
    if h[8] & VXLAN_I == 0 {
        return Err(DropReason::BadTunnelHeader);
    }
    let port = u16::from_be_bytes([h[2], h[3]]);
    let vni = u32::from_be_bytes([0, h[12], h[13], h[14]]);
    Ok((vni, 16, port, Payload::Ethernet(None)))
}

/// The outer headers' fields that vary per packet.
pub(super) struct Outer {
    /// Where to: the far end, or a VXLAN tunnel's VTEP (its port too).
    pub to: Vtep,
    /// Outer TOS.
    pub tos: u8,
    /// Whether DF is set.
    pub df: bool,
    /// Outer total length.
    pub total: u16,
    /// Outer identification.
    pub id: u16,
    /// What the tunnel carries, in bytes (EoIP's length, VXLAN's UDP length).
    pub inner: u16,
    /// VXLAN's UDP source port (the inner flow's hash, so the underlay can spread flows).
    pub sport: u16,
}

/// Writes the Ethernet header (addresses filled in by routing), the outer IPv4 header and
/// the tunnel's header at the start of `b`.
pub(super) fn write_outer(b: &mut [u8], t: &Tunnel, o: &Outer) {
    b[12..14].copy_from_slice(&ethertype::IPV4.to_be_bytes());
    let flags: u16 = if o.df { 0x4000 } else { 0 };
    let ttl_proto = u16::from(OUTER_TTL) << 8 | u16::from(t.kind.protocol());
    let vtos = 0x4500 | u16::from(o.tos);
    let remote = o.to.ip;
    // The checksum from the words themselves (reading the header back just after writing
    // it byte by byte would stall on store forwarding).
    let acc = u32::from(vtos)
        + u32::from(o.total)
        + u32::from(o.id)
        + u32::from(flags)
        + u32::from(ttl_proto)
        + (t.local >> 16)
        + (t.local & 0xffff)
        + (remote >> 16)
        + (remote & 0xffff);
    let c = checksum::finish(acc);
    let ip = &mut b[ETH..ETH + 20];
    ip[0..2].copy_from_slice(&vtos.to_be_bytes());
    ip[2..4].copy_from_slice(&o.total.to_be_bytes());
    ip[4..6].copy_from_slice(&o.id.to_be_bytes());
    ip[6..8].copy_from_slice(&flags.to_be_bytes());
    ip[8..10].copy_from_slice(&ttl_proto.to_be_bytes());
    ip[10..12].copy_from_slice(&c.to_be_bytes());
    ip[12..16].copy_from_slice(&t.local.to_be_bytes());
    ip[16..20].copy_from_slice(&remote.to_be_bytes());
    let h = &mut b[ETH + 20..];
    match t.kind {
        TunnelKind::Ipip => {}
        TunnelKind::Gre { key } => {
            let flags = if key.is_some() { GRE_KEY } else { 0 };
            h[0..2].copy_from_slice(&flags.to_be_bytes());
            h[2..4].copy_from_slice(&ethertype::IPV4.to_be_bytes());
            if let Some(k) = key {
                h[4..8].copy_from_slice(&k.to_be_bytes());
            }
        }
        TunnelKind::Eoip { id } => {
            h[0..2].copy_from_slice(&EOIP_FLAGS.to_be_bytes());
            h[2..4].copy_from_slice(&EOIP_TYPE.to_be_bytes());
            h[4..6].copy_from_slice(&o.inner.to_be_bytes());
            h[6..8].copy_from_slice(&id.to_le_bytes());
        }
        TunnelKind::Vxlan { vni, .. } => {
            h[0..2].copy_from_slice(&o.sport.to_be_bytes());
            h[2..4].copy_from_slice(&o.to.port.to_be_bytes());
            h[4..6].copy_from_slice(&(o.inner + 16).to_be_bytes());
            // No UDP checksum (RFC 7348 §5: zero over IPv4).
            h[6..8].copy_from_slice(&[0, 0]);
            h[8..12].copy_from_slice(&[VXLAN_I, 0, 0, 0]);
            h[12..16].copy_from_slice(&(vni << 8).to_be_bytes());
        }
    }
}

/// A plain IPv4 header (TTL 255, checksum filled) at the start of `h`.
pub(super) fn ipv4_header(h: &mut [u8], (src, dst): (u32, u32), protocol: u8, total: u16) {
    h[0] = 0x45;
    h[2..4].copy_from_slice(&total.to_be_bytes());
    h[8] = OUTER_TTL;
    h[9] = protocol;
    h[12..16].copy_from_slice(&src.to_be_bytes());
    h[16..20].copy_from_slice(&dst.to_be_bytes());
    let c = checksum::finish(checksum::sum(&h[..20], 0));
    h[10..12].copy_from_slice(&c.to_be_bytes());
}
