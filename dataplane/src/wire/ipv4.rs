//! IPv4 headers (RFC 791): checked lengths, checksum, TTL decrement with an incremental
//! checksum update.

use super::checksum;
use super::{be16, be32, put16, put32, WireError};

/// Protocol numbers rspe looks at.
pub mod protocol {
    /// ICMP.
    pub const ICMP: u8 = 1;
    /// TCP.
    pub const TCP: u8 = 6;
    /// UDP.
    pub const UDP: u8 = 17;
    /// OSPF.
    pub const OSPF: u8 = 89;
}

/// The minimum header length.
pub const MIN_HEADER_LEN: usize = 20;

/// A view of an IPv4 packet. The buffer may extend past the packet (Ethernet padding):
/// [`Packet::packet`] is exactly `total_len` bytes.
#[derive(Debug, Clone, Copy)]
pub struct Packet<T: AsRef<[u8]>> {
    buf: T,
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// Checks version 4, header length ≥ 20 within the buffer, and total length between the
    /// header length and the buffer's length.
    #[inline(always)]
    pub fn new_checked(buf: T) -> Result<Self, WireError> {
        let b = buf.as_ref();
        if b.len() < MIN_HEADER_LEN {
            return Err(WireError::Truncated);
        }
        if b[0] >> 4 != 4 {
            return Err(WireError::BadVersion);
        }
        let hl = usize::from(b[0] & 0x0f) * 4;
        if hl < MIN_HEADER_LEN {
            return Err(WireError::BadHeaderLen);
        }
        if hl > b.len() {
            return Err(WireError::Truncated);
        }
        let total = usize::from(be16(b, 2));
        if total < hl {
            return Err(WireError::BadLength);
        }
        if total > b.len() {
            return Err(WireError::Truncated);
        }
        Ok(Packet { buf })
    }

    fn b(&self) -> &[u8] {
        self.buf.as_ref()
    }

    /// Header length in bytes.
    pub fn header_len(&self) -> usize {
        usize::from(self.b()[0] & 0x0f) * 4
    }

    /// Total length.
    #[inline(always)]
    pub fn total_len(&self) -> u16 {
        be16(self.b(), 2)
    }

    /// DSCP and ECN byte.
    pub fn tos(&self) -> u8 {
        self.b()[1]
    }

    /// Identification.
    pub fn ident(&self) -> u16 {
        be16(self.b(), 4)
    }

    /// Don't Fragment.
    pub fn dont_frag(&self) -> bool {
        self.b()[6] & 0x40 != 0
    }

    /// More Fragments.
    pub fn more_frags(&self) -> bool {
        self.b()[6] & 0x20 != 0
    }

    /// Fragment offset in bytes.
    pub fn frag_offset(&self) -> u16 {
        (be16(self.b(), 6) & 0x1fff) * 8
    }

    /// Whether this is a fragment (not the whole datagram).
    pub fn is_fragment(&self) -> bool {
        self.more_frags() || self.frag_offset() != 0
    }

    /// Time to live.
    pub fn ttl(&self) -> u8 {
        self.b()[8]
    }

    /// Protocol.
    pub fn protocol(&self) -> u8 {
        self.b()[9]
    }

    /// Header checksum field.
    pub fn checksum(&self) -> u16 {
        be16(self.b(), 10)
    }

    /// Source address.
    pub fn src(&self) -> u32 {
        be32(self.b(), 12)
    }

    /// Destination address.
    pub fn dst(&self) -> u32 {
        be32(self.b(), 16)
    }

    /// Whether the header checksum is right.
    #[inline(always)]
    pub fn verify_checksum(&self) -> bool {
        checksum::verify(&self.b()[..self.header_len()])
    }

    /// The packet, `total_len` bytes (padding after it excluded).
    pub fn packet(&self) -> &[u8] {
        &self.b()[..usize::from(self.total_len())]
    }

    /// The payload.
    pub fn payload(&self) -> &[u8] {
        &self.b()[self.header_len()..usize::from(self.total_len())]
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Packet<T> {
    /// Decrements the TTL and updates the checksum incrementally (RFC 1624); returns the new
    /// TTL. The caller checks for TTL ≤ 1 first.
    pub fn decrement_ttl(&mut self) -> u8 {
        decrement_ttl_in(self.buf.as_mut())
    }

    /// Sets the source address (checksum not updated: call [`Packet::fill_checksum`]).
    pub fn set_src(&mut self, a: u32) {
        put32(self.buf.as_mut(), 12, a);
    }

    /// Sets the destination address (checksum not updated).
    pub fn set_dst(&mut self, a: u32) {
        put32(self.buf.as_mut(), 16, a);
    }

    /// Computes and writes the header checksum.
    pub fn fill_checksum(&mut self) {
        let hl = self.header_len();
        let b = self.buf.as_mut();
        put16(b, 10, 0);
        let c = checksum::finish(checksum::sum(&b[..hl], 0));
        put16(b, 10, c);
    }

    /// The payload, writable.
    pub fn payload_mut(&mut self) -> &mut [u8] {
        let (hl, tl) = (self.header_len(), usize::from(self.total_len()));
        &mut self.buf.as_mut()[hl..tl]
    }
}

/// Decrements the TTL of the IPv4 header at the start of `b` (at least 20 bytes, already
/// validated) and updates its checksum incrementally; returns the new TTL.
#[inline]
pub fn decrement_ttl_in(b: &mut [u8]) -> u8 {
    let old = be16(b, 8);
    b[8] = b[8].wrapping_sub(1);
    let new = be16(b, 8);
    let c = checksum::update(be16(b, 10), old, new);
    put16(b, 10, c);
    b[8]
}

#[cfg(test)]
mod tests {
    use super::super::hex;
    use super::*;

    /// The IPv4 part of a TCP SYN from shared/data/pcaps/bgp-lu-multiple-labels.pcap.
    const SYN_IP: &str = "0x0000:  45c0
        0x0010:  003c 435b 4000 ff06 319c 0201 0101 0201
        0x0020:  0102 9f38 00b3 9cb4 302d 0000 0000 a002
        0x0030:  7210 9d32 0000 0204 05b4 0402 080a 5273
        0x0040:  7376 0000 0000 0103 0309";

    #[test]
    fn real_header_fields_and_checksum() {
        let b = hex(SYN_IP);
        let p = Packet::new_checked(&b[..]).unwrap();
        assert_eq!(p.header_len(), 20);
        assert_eq!(p.total_len(), 60);
        assert_eq!(p.ttl(), 255);
        assert_eq!(p.protocol(), protocol::TCP);
        assert_eq!(p.src(), 0x0201_0101);
        assert_eq!(p.dst(), 0x0201_0102);
        assert!(p.dont_frag() && !p.is_fragment());
        assert!(p.verify_checksum());
        assert_eq!(p.payload().len(), 40);
    }

    #[test]
    fn ttl_decrement_keeps_the_checksum_right() {
        let mut b = hex(SYN_IP);
        for expect in (1..=254u8).rev() {
            let mut p = Packet::new_checked(&mut b[..]).unwrap();
            assert_eq!(p.decrement_ttl(), expect);
            assert!(p.verify_checksum(), "ttl {expect}");
        }
        let mut p = Packet::new_checked(&mut b[..]).unwrap();
        let c = p.checksum();
        p.fill_checksum();
        assert_eq!(p.checksum(), c, "incremental equals full recomputation");
    }

    #[test]
    fn bad_headers() {
        let b = hex(SYN_IP);
        assert_eq!(
            Packet::new_checked(&b[..19]).unwrap_err(),
            WireError::Truncated
        );
        let mut v = b.clone();
        v[0] = 0x65;
        assert_eq!(
            Packet::new_checked(&v[..]).unwrap_err(),
            WireError::BadVersion
        );
        v[0] = 0x44;
        assert_eq!(
            Packet::new_checked(&v[..]).unwrap_err(),
            WireError::BadHeaderLen
        );
        v[0] = 0x4f;
        v[3] = 40;
        assert_eq!(
            Packet::new_checked(&v[..]).unwrap_err(),
            WireError::BadLength,
            "total below header length"
        );
        let mut v = b.clone();
        v[3] = 200;
        assert_eq!(
            Packet::new_checked(&v[..]).unwrap_err(),
            WireError::Truncated
        );
        v[2] = 0;
        v[3] = 10;
        assert_eq!(
            Packet::new_checked(&v[..]).unwrap_err(),
            WireError::BadLength
        );
        let mut v = b;
        v[11] ^= 1;
        assert!(!Packet::new_checked(&v[..]).unwrap().verify_checksum());
    }
}
