//! ARP for IPv4 over Ethernet (RFC 826): the only kind a router snoops and answers.

use super::{be16, be32, put16, put32, WireError};

/// ARP's length for Ethernet/IPv4.
pub const LEN: usize = 28;
/// Request.
pub const OP_REQUEST: u16 = 1;
/// Reply.
pub const OP_REPLY: u16 = 2;

/// A view of an Ethernet/IPv4 ARP packet.
#[derive(Debug, Clone, Copy)]
pub struct Packet<T: AsRef<[u8]>> {
    buf: T,
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// Checks the length and that it is Ethernet (1) / IPv4 (0x0800) with 6/4-byte addresses.
    pub fn new_checked(buf: T) -> Result<Self, WireError> {
        let b = buf.as_ref();
        if b.len() < LEN {
            return Err(WireError::Truncated);
        }
        if be16(b, 0) != 1 || be16(b, 2) != 0x0800 || b[4] != 6 || b[5] != 4 {
            return Err(WireError::Unsupported);
        }
        Ok(Packet { buf })
    }

    /// Operation (request 1, reply 2).
    pub fn op(&self) -> u16 {
        be16(self.buf.as_ref(), 6)
    }

    /// Sender hardware address.
    pub fn sender_mac(&self) -> [u8; 6] {
        self.buf.as_ref()[8..14].try_into().unwrap_or([0; 6])
    }

    /// Sender protocol address.
    pub fn sender_ip(&self) -> u32 {
        be32(self.buf.as_ref(), 14)
    }

    /// Target hardware address.
    pub fn target_mac(&self) -> [u8; 6] {
        self.buf.as_ref()[18..24].try_into().unwrap_or([0; 6])
    }

    /// Target protocol address.
    pub fn target_ip(&self) -> u32 {
        be32(self.buf.as_ref(), 24)
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Packet<T> {
    /// Writes a whole Ethernet/IPv4 ARP packet into the first [`LEN`] bytes.
    pub fn emit(
        buf: T,
        op: u16,
        sender: ([u8; 6], u32),
        target: ([u8; 6], u32),
    ) -> Result<Self, WireError> {
        let mut buf = buf;
        let b = buf.as_mut();
        if b.len() < LEN {
            return Err(WireError::Truncated);
        }
        put16(b, 0, 1);
        put16(b, 2, 0x0800);
        b[4] = 6;
        b[5] = 4;
        put16(b, 6, op);
        b[8..14].copy_from_slice(&sender.0);
        put32(b, 14, sender.1);
        b[18..24].copy_from_slice(&target.0);
        put32(b, 24, target.1);
        Ok(Packet { buf })
    }
}

#[cfg(test)]
mod tests {
    use super::super::ethernet::{ethertype, Frame};
    use super::super::hex;
    use super::*;

    /// Request and reply from shared/data/pcaps/bgp-lu-multiple-labels.pcap (frames 1, 2).
    const REQUEST: &str = "0x0000:  ffff ffff ffff 0000 7601 0000 0806 0001
        0x0010:  0800 0604 0001 0000 7601 0000 0201 0101
        0x0020:  0000 0000 0000 0201 0102";
    const REPLY: &str = "0x0000:  0000 7601 0000 0000 7602 0000 0806 0001
        0x0010:  0800 0604 0002 0000 7602 0000 0201 0102
        0x0020:  0000 7601 0000 0201 0101";

    #[test]
    fn real_request_and_reply() {
        let b = hex(REQUEST);
        let f = Frame::new_checked(&b[..]).unwrap();
        assert_eq!(f.ethertype(), ethertype::ARP);
        let a = Packet::new_checked(f.payload()).unwrap();
        assert_eq!(a.op(), OP_REQUEST);
        assert_eq!(a.sender_ip(), 0x0201_0101);
        assert_eq!(a.target_ip(), 0x0201_0102);
        assert_eq!(a.sender_mac(), [0, 0, 0x76, 1, 0, 0]);

        // Answering it gives, byte for byte, the reply the peer sent.
        let r = hex(REPLY);
        let mut out = [0u8; LEN];
        Packet::emit(
            &mut out[..],
            OP_REPLY,
            ([0, 0, 0x76, 2, 0, 0], a.target_ip()),
            (a.sender_mac(), a.sender_ip()),
        )
        .unwrap();
        assert_eq!(&out[..], &r[14..14 + LEN]);
    }

    #[test]
    fn refuses_short_and_foreign() {
        let b = hex(REQUEST);
        assert_eq!(
            Packet::new_checked(&b[14..40]).unwrap_err(),
            WireError::Truncated
        );
        let mut x = b[14..].to_vec();
        x[5] = 16;
        assert_eq!(
            Packet::new_checked(&x[..]).unwrap_err(),
            WireError::Unsupported
        );
    }
}
