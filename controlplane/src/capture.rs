//! For tests: the packets of a classic pcap capture (Ethernet, with or without an 802.1Q
//! tag, or PPP) as IPv4 segments, and TCP streams reassembled per direction and cut into
//! messages by a protocol's framing. The codec tests of every protocol read their captures
//! through it.

/// One IPv4 packet's transport part.
pub struct Segment {
    /// IP protocol (6 TCP, 17 UDP).
    pub proto: u8,
    /// Source address and port.
    pub src: (u32, u16),
    /// Destination address and port.
    pub dst: (u32, u16),
    /// The TCP or UDP payload.
    pub payload: Vec<u8>,
}

fn be32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

/// The TCP and UDP segments of a little-endian classic pcap, in order.
pub fn segments(data: &[u8]) -> Vec<Segment> {
    assert_eq!(&data[..4], &[0xd4, 0xc3, 0xb2, 0xa1], "little-endian pcap");
    let link = u32::from_le_bytes([data[20], data[21], data[22], data[23]]);
    let mut out = Vec::new();
    let mut i = 24;
    while i + 16 <= data.len() {
        let cap = u32::from_le_bytes([data[i + 8], data[i + 9], data[i + 10], data[i + 11]]);
        let pkt = &data[i + 16..i + 16 + cap as usize];
        i += 16 + cap as usize;
        let ip = match (link, &pkt[..4], pkt.get(12..14), pkt.get(16..18)) {
            (1, _, Some([0x08, 0x00]), _) => &pkt[14..],
            (1, _, Some([0x81, 0x00]), Some([0x08, 0x00])) => &pkt[18..],
            (9, [_, _, 0x00, 0x21], _, _) => &pkt[4..],
            _ => continue,
        };
        let ihl = usize::from(ip[0] & 15) * 4;
        let tot = usize::from(u16::from_be_bytes([ip[2], ip[3]]));
        let l4 = &ip[ihl..tot];
        let port = |at: usize| u16::from_be_bytes([l4[at], l4[at + 1]]);
        let payload = match ip[9] {
            6 => &l4[usize::from(l4[12] >> 4) * 4..],
            17 => &l4[8..],
            _ => continue,
        };
        out.push(Segment {
            proto: ip[9],
            src: (be32(&ip[12..]), port(0)),
            dst: (be32(&ip[16..]), port(2)),
            payload: payload.to_vec(),
        });
    }
    out
}

/// The messages of the TCP streams to or from `port`, each direction reassembled and cut by
/// `frame` (the length of the next message once it is whole, `None` until then or on an
/// error): (source port, message).
pub fn tcp_messages(
    segments: &[Segment],
    port: u16,
    frame: impl Fn(&[u8]) -> Option<usize>,
) -> Vec<(u16, Vec<u8>)> {
    type Stream = (((u32, u16), (u32, u16)), Vec<u8>);
    let mut streams: Vec<Stream> = Vec::new();
    let mut out = Vec::new();
    for s in segments {
        if s.proto != 6 || s.payload.is_empty() || (s.src.1 != port && s.dst.1 != port) {
            continue;
        }
        let key = (s.src, s.dst);
        let pos = match streams.iter().position(|x| x.0 == key) {
            Some(p) => p,
            None => {
                streams.push((key, Vec::new()));
                streams.len() - 1
            }
        };
        let buf = &mut streams[pos].1;
        buf.extend_from_slice(&s.payload);
        while let Some(len) = frame(buf) {
            out.push((s.src.1, buf[..len].to_vec()));
            buf.drain(..len);
        }
    }
    out
}

/// One IPv4 packet of a capture: protocol, addresses and what follows the IP header.
pub struct IpPacket {
    /// IP protocol.
    pub proto: u8,
    /// Source address.
    pub src: u32,
    /// Destination address.
    pub dst: u32,
    /// The IP payload.
    pub payload: Vec<u8>,
}

/// The IPv4 packets of a pcapng capture (Ethernet links; Enhanced and Simple Packet Blocks),
/// in order.
pub fn pcapng_ipv4(data: &[u8]) -> Vec<IpPacket> {
    let le = match data.get(8..12) {
        Some([0x4d, 0x3c, 0x2b, 0x1a]) => true,
        Some([0x1a, 0x2b, 0x3c, 0x4d]) => false,
        _ => panic!("not a pcapng section header"),
    };
    let u32_at = |b: &[u8], at: usize| {
        let w = [b[at], b[at + 1], b[at + 2], b[at + 3]];
        if le {
            u32::from_le_bytes(w)
        } else {
            u32::from_be_bytes(w)
        }
    };
    let mut out = Vec::new();
    let mut i = 0;
    while i + 12 <= data.len() {
        let kind = u32_at(data, i);
        let len = u32_at(data, i + 4) as usize;
        if len < 12 || i + len > data.len() {
            break;
        }
        let block = &data[i..i + len];
        let frame = match kind {
            6 => {
                let cap = u32_at(block, 20) as usize;
                block.get(28..28 + cap)
            }
            3 => {
                let cap = u32_at(block, 8) as usize;
                block.get(12..12 + cap.min(len - 16))
            }
            _ => None,
        };
        i += len;
        let Some(f) = frame else { continue };
        let ip = match (f.get(12..14), f.get(16..18)) {
            (Some([0x08, 0x00]), _) => &f[14..],
            (Some([0x81, 0x00]), Some([0x08, 0x00])) => &f[18..],
            _ => continue,
        };
        let ihl = usize::from(ip[0] & 15) * 4;
        let tot = usize::from(u16::from_be_bytes([ip[2], ip[3]])).min(ip.len());
        out.push(IpPacket {
            proto: ip[9],
            src: be32(&ip[12..]),
            dst: be32(&ip[16..]),
            payload: ip[ihl..tot].to_vec(),
        });
    }
    out
}
