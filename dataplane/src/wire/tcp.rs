//! TCP headers (RFC 793): what connection tracking and NAT read and rewrite.

use super::checksum;
use super::{be16, be32, put16, WireError};

/// Flag bits.
pub mod flags {
    /// FIN.
    pub const FIN: u8 = 0x01;
    /// SYN.
    pub const SYN: u8 = 0x02;
    /// RST.
    pub const RST: u8 = 0x04;
    /// PSH.
    pub const PSH: u8 = 0x08;
    /// ACK.
    pub const ACK: u8 = 0x10;
}

/// The minimum header length.
pub const MIN_HEADER_LEN: usize = 20;

/// A view of a TCP segment.
#[derive(Debug, Clone, Copy)]
pub struct Packet<T: AsRef<[u8]>> {
    buf: T,
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// Checks that the header, options included, fits.
    pub fn new_checked(buf: T) -> Result<Self, WireError> {
        let b = buf.as_ref();
        if b.len() < MIN_HEADER_LEN {
            return Err(WireError::Truncated);
        }
        let hl = usize::from(b[12] >> 4) * 4;
        if hl < MIN_HEADER_LEN {
            return Err(WireError::BadHeaderLen);
        }
        if hl > b.len() {
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

    /// Sequence number.
    pub fn seq(&self) -> u32 {
        be32(self.buf.as_ref(), 4)
    }

    /// Acknowledgement number.
    pub fn ack(&self) -> u32 {
        be32(self.buf.as_ref(), 8)
    }

    /// Header length in bytes.
    pub fn header_len(&self) -> usize {
        usize::from(self.buf.as_ref()[12] >> 4) * 4
    }

    /// Flags (FIN SYN RST PSH ACK URG ECE CWR).
    pub fn flags(&self) -> u8 {
        self.buf.as_ref()[13]
    }

    /// Window.
    pub fn window(&self) -> u16 {
        be16(self.buf.as_ref(), 14)
    }

    /// Checksum field.
    pub fn checksum(&self) -> u16 {
        be16(self.buf.as_ref(), 16)
    }

    /// Whether the checksum is right for the IPv4 `src` and `dst` (the buffer is the whole
    /// segment).
    pub fn verify_checksum(&self, src: u32, dst: u32) -> bool {
        let b = self.buf.as_ref();
        let len = u16::try_from(b.len()).unwrap_or(u16::MAX);
        checksum::finish(checksum::sum(b, checksum::pseudo_header(src, dst, 6, len))) == 0
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Packet<T> {
    /// Rewrites the source port, updating the checksum incrementally (NAT).
    pub fn set_src_port(&mut self, port: u16) {
        let old = self.src_port();
        let c = checksum::update(self.checksum(), old, port);
        let b = self.buf.as_mut();
        put16(b, 0, port);
        put16(b, 16, c);
    }
}

#[cfg(test)]
mod tests {
    use super::super::{hex, ipv4};
    use super::*;

    /// The TCP SYN from shared/data/pcaps/bgp-lu-multiple-labels.pcap (IPv4 onwards).
    const SYN_IP: &str = "0x0000:  45c0
        0x0010:  003c 435b 4000 ff06 319c 0201 0101 0201
        0x0020:  0102 9f38 00b3 9cb4 302d 0000 0000 a002
        0x0030:  7210 9d32 0000 0204 05b4 0402 080a 5273
        0x0040:  7376 0000 0000 0103 0309";

    #[test]
    fn real_syn_and_port_rewrite() {
        let mut b = hex(SYN_IP);
        let (src, dst) = {
            let ip = ipv4::Packet::new_checked(&b[..]).unwrap();
            (ip.src(), ip.dst())
        };
        let seg = &mut b[20..];
        let mut t = Packet::new_checked(&mut seg[..]).unwrap();
        assert_eq!((t.src_port(), t.dst_port()), (40760, 179));
        assert_eq!(t.seq(), 2_629_054_509);
        assert_eq!(t.flags(), flags::SYN);
        assert_eq!(t.header_len(), 40);
        assert_eq!(t.window(), 29200);
        assert!(t.verify_checksum(src, dst));
        t.set_src_port(61000);
        assert_eq!(t.src_port(), 61000);
        assert!(
            t.verify_checksum(src, dst),
            "incremental update keeps it valid"
        );
        let mut short = b[20..40].to_vec();
        short[12] = 0x40;
        assert_eq!(
            Packet::new_checked(&short[..]).unwrap_err(),
            WireError::BadHeaderLen
        );
    }
}
