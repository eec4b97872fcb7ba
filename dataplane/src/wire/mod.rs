//! Zero-copy packet views (smoltcp's pattern): `Packet<T: AsRef<[u8]>>` over a buffer, a
//! checked constructor that validates lengths once, getters on `AsRef`, setters on `AsMut`.
//! No copies, no allocation: what a worker uses on every packet.

pub mod arp;
pub mod checksum;
pub mod ethernet;
pub mod icmp;
pub mod ipv4;
pub mod mpls;
pub mod tcp;
pub mod udp;

/// Why bytes are not a valid header of the kind asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WireError {
    /// Shorter than the header (or than a length field says).
    Truncated,
    /// A version field that is not the one expected (IPv4: 4).
    BadVersion,
    /// A header length field below the minimum.
    BadHeaderLen,
    /// A total length field that disagrees with the buffer.
    BadLength,
    /// A field value this view does not handle (ARP for a non-Ethernet/IPv4 pair).
    Unsupported,
}

impl std::fmt::Display for WireError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            WireError::Truncated => "truncated",
            WireError::BadVersion => "bad version",
            WireError::BadHeaderLen => "bad header length",
            WireError::BadLength => "bad total length",
            WireError::Unsupported => "unsupported",
        })
    }
}

impl std::error::Error for WireError {}

#[inline]
pub(crate) fn be16(b: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([b[at], b[at + 1]])
}

#[inline(always)]
pub(crate) fn be32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

#[inline]
pub(crate) fn put16(b: &mut [u8], at: usize, v: u16) {
    b[at..at + 2].copy_from_slice(&v.to_be_bytes());
}

#[inline]
pub(crate) fn put32(b: &mut [u8], at: usize, v: u32) {
    b[at..at + 4].copy_from_slice(&v.to_be_bytes());
}

/// Bytes from tcpdump's hex dump lines (`0x0000:  ffff ...`), for tests on real captures.
#[cfg(test)]
pub(crate) fn hex(dump: &str) -> Vec<u8> {
    let mut out = Vec::new();
    for line in dump.lines() {
        let Some((_, rest)) = line.split_once(':') else {
            continue;
        };
        for word in rest.split_whitespace() {
            for i in (0..word.len()).step_by(2) {
                out.push(u8::from_str_radix(&word[i..i + 2], 16).unwrap());
            }
        }
    }
    out
}
