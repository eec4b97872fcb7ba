//! UDP headers (RFC 768).

use super::checksum;
use super::{be16, WireError};

/// The header length.
pub const HEADER_LEN: usize = 8;

/// A view of a UDP datagram.
#[derive(Debug, Clone, Copy)]
pub struct Packet<T: AsRef<[u8]>> {
    buf: T,
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// Checks that the header fits and the length field lies within the buffer.
    pub fn new_checked(buf: T) -> Result<Self, WireError> {
        let b = buf.as_ref();
        if b.len() < HEADER_LEN {
            return Err(WireError::Truncated);
        }
        let len = usize::from(be16(b, 4));
        if len < HEADER_LEN {
            return Err(WireError::BadLength);
        }
        if len > b.len() {
            return Err(WireError::Truncated);
        }
        Ok(Packet { buf })
    }

    /// Source port.
    pub fn src_port(&self) -> u16 {
        be16(self.buf.as_ref(), 0)
    }

    /// Destination port.
    pub fn dst_port(&self) -> u16 {
        be16(self.buf.as_ref(), 2)
    }

    /// Length field.
    pub fn len(&self) -> u16 {
        be16(self.buf.as_ref(), 4)
    }

    /// Whether the length field says no payload.
    pub fn is_empty(&self) -> bool {
        usize::from(self.len()) == HEADER_LEN
    }

    /// Whether the checksum is right for the IPv4 `src` and `dst` (0 means none was sent).
    pub fn verify_checksum(&self, src: u32, dst: u32) -> bool {
        let b = &self.buf.as_ref()[..usize::from(self.len())];
        if be16(b, 6) == 0 {
            return true;
        }
        let ph = checksum::pseudo_header(src, dst, 17, self.len());
        checksum::finish(checksum::sum(b, ph)) == 0
    }

    /// The payload.
    pub fn payload(&self) -> &[u8] {
        &self.buf.as_ref()[HEADER_LEN..usize::from(self.len())]
    }
}

#[cfg(test)]
mod tests {
    use super::super::{hex, ipv4, mpls};
    use super::*;

    /// An LSP ping echo request (MPLS label 100693, UDP 4786 → 3503) from
    /// shared/data/pcaps/lspping-fec-ldp.pcap, after its 4-byte PPP header.
    pub const LSP_PING: &str = "0x0000:  ff03 0281 1895 0fff 4500 004c 9f13 0000
        0x0010:  4011 4c85 0c04 0404 7f00 0001 12b2 0daf
        0x0020:  0038 9792 0001 0000 0102 0000 0000 0000
        0x0030:  0000 0001 40cd 7b24 0001 ce75 0000 0000
        0x0040:  0000 0000 0001 000c 0001 0005 0c01 0101
        0x0050:  2000 0000";

    #[test]
    fn real_datagram_inside_an_mpls_packet() {
        let b = hex(LSP_PING);
        let stack = mpls::Stack::new_checked(&b[4..]).unwrap();
        let ip = ipv4::Packet::new_checked(stack.payload()).unwrap();
        let udp = Packet::new_checked(ip.payload()).unwrap();
        assert_eq!((udp.src_port(), udp.dst_port()), (4786, 3503));
        assert_eq!(udp.len(), 56);
        assert!(udp.verify_checksum(ip.src(), ip.dst()));
        assert!(!udp.verify_checksum(ip.src(), ip.dst() ^ 1));
        assert_eq!(udp.payload().len(), 48);
        assert_eq!(
            Packet::new_checked(&ip.payload()[..20]).unwrap_err(),
            WireError::Truncated
        );
    }
}
