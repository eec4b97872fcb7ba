//! The burst's first stage: what parsing and checking read of each packet ([`Parsed`]),
//! the stage between parsing and the bulk lookup ([`Stage`]), and the checks every packet
//! passes (martians, the port's MAC, rp-filter).

use super::*;

/// Packets a burst holds at most.
pub const MAX_BURST: usize = 32;

/// A burst between parsing and lookup: what each packet looks up, in which table, and the
/// interface it counts as arriving on (a tunnel's when it came out of one).
pub(super) struct Stage {
    pub(super) parsed: [Option<Parsed>; MAX_BURST],
    pub(super) dsts: [u32; MAX_BURST],
    pub(super) nhs: [u32; MAX_BURST],
    pub(super) tables: [TableId; MAX_BURST],
    pub(super) ports: [PortId; MAX_BURST],
    /// The table the packet being staged arrived in (its port's, or its VLAN's).
    pub(super) arrived: TableId,
    /// Packets to look up so far.
    pub(super) k: usize,
}

impl Stage {
    #[inline]
    pub(super) fn new(in_port: PortId, table: TableId) -> Stage {
        Stage {
            parsed: [None; MAX_BURST],
            dsts: [0; MAX_BURST],
            nhs: [NO_ROUTE; MAX_BURST],
            tables: [table; MAX_BURST],
            ports: [in_port; MAX_BURST],
            arrived: table,
            k: 0,
        }
    }

    /// Packet `i`, parsed as `p`, is looked up in `table`.
    #[inline(always)]
    pub(super) fn look_up(&mut self, i: usize, p: Parsed, table: TableId) {
        self.dsts[self.k] = p.dst;
        self.tables[self.k] = table;
        self.k += 1;
        self.parsed[i] = Some(p);
    }
}

/// What parsing learned of a packet to forward.
#[derive(Debug, Clone, Copy)]
pub(super) struct Parsed {
    pub(super) eh: usize,
    pub(super) ip_len: usize,
    pub(super) src: u32,
    pub(super) dst: u32,
    pub(super) ttl: u8,
    pub(super) df: bool,
    /// IP protocol.
    pub(super) protocol: u8,
    /// Tunnels it came out of in this run.
    pub(super) depth: u8,
}

/// Ethernet and IPv4 checks; `Err` carries the verdict for packets that go no further
/// (ARP and multicast to the kernel, drops). Trims Ethernet padding.
#[inline(always)]
pub(super) fn parse<B: PacketBuf>(pkt: &mut B) -> Result<Parsed, Verdict> {
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
            protocol: ip.protocol(),
            depth: 0,
        }
    };
    if pkt.bytes().len() > parsed.eh + parsed.ip_len {
        pkt.set_len(parsed.eh + parsed.ip_len);
    }
    Ok(parsed)
}

/// A punt of a packet that counts as arriving on `port` (a VLAN, a tunnel) rather than on
/// the DPDK port `in_port` goes to `port`'s twin.
#[inline(always)]
pub(super) fn punt_to(v: Verdict, port: PortId, in_port: PortId) -> Verdict {
    match v {
        Verdict::Punt if port != in_port => Verdict::PuntTo(port),
        v => v,
    }
}

/// Looks every `dsts[i]` up in `tables[i]`: one bulk call when the burst has one table
/// (the usual case: one port, one VRF, or one VPN label's VRF), else one per run of a table.
#[inline]
pub(super) fn lookup_burst(snap: &Snapshot, tables: &[TableId], dsts: &[u32], nhs: &mut [u32]) {
    let mut from = 0;
    while from < dsts.len() {
        let t = tables[from];
        let to = from + tables[from..].iter().take_while(|&&x| x == t).count();
        match snap.fib(t) {
            Some(fib) => fib.lookup_bulk(&dsts[from..to], &mut nhs[from..to]),
            None => nhs[from..to].fill(NO_ROUTE),
        }
        from = to;
    }
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
pub(super) fn for_this_port(mac: Option<[u8; 6]>, bytes: &[u8]) -> bool {
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
pub(super) fn port_mac(snap: &Snapshot, port: PortId) -> Option<[u8; 6]> {
    snap.port(port).map(|p| p.mac)
}

/// Whether the source of a packet that came in on `in_port` passes `/ip settings
/// rp-filter`, looked up in the port's VRF (RFC 3704). One of the router's own addresses
/// as a source never passes.
pub(super) fn rp_ok(snap: &Snapshot, in_port: PortId, src: u32) -> bool {
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
pub(super) fn is_arp<B: PacketBuf>(pkt: &B) -> bool {
    Frame::new_checked(pkt.bytes()).is_ok_and(|f| f.ethertype() == ethertype::ARP)
}

/// The flow hash of the IPv4 packet at `eh` (validated by `parse`).
pub(super) fn flow_hash_of(bytes: &[u8], eh: usize) -> u32 {
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
