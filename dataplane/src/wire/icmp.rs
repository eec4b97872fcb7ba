//! ICMP (RFC 792): echo, and the errors a router sends (time exceeded, unreachable,
//! fragmentation needed).

use super::checksum;
use super::{be16, put16, WireError};

/// Echo reply.
pub const ECHO_REPLY: u8 = 0;
/// Destination unreachable.
pub const DEST_UNREACHABLE: u8 = 3;
/// Echo request.
pub const ECHO_REQUEST: u8 = 8;
/// Time exceeded.
pub const TIME_EXCEEDED: u8 = 11;

/// Unreachable codes.
pub mod code {
    /// Net unreachable.
    pub const NET_UNREACHABLE: u8 = 0;
    /// Host unreachable.
    pub const HOST_UNREACHABLE: u8 = 1;
    /// Port unreachable.
    pub const PORT_UNREACHABLE: u8 = 3;
    /// Fragmentation needed and DF set (RFC 1191: the next-hop MTU in bytes 6..8).
    pub const FRAG_NEEDED: u8 = 4;
    /// Communication administratively prohibited.
    pub const ADMIN_PROHIBITED: u8 = 13;
}

/// The header length.
pub const HEADER_LEN: usize = 8;

/// A view of an ICMP message.
#[derive(Debug, Clone, Copy)]
pub struct Packet<T: AsRef<[u8]>> {
    buf: T,
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// Checks that the header fits.
    pub fn new_checked(buf: T) -> Result<Self, WireError> {
        if buf.as_ref().len() < HEADER_LEN {
            return Err(WireError::Truncated);
        }
        Ok(Packet { buf })
    }

    /// Type.
    pub fn msg_type(&self) -> u8 {
        self.buf.as_ref()[0]
    }

    /// Code.
    pub fn code(&self) -> u8 {
        self.buf.as_ref()[1]
    }

    /// Echo identifier.
    pub fn echo_ident(&self) -> u16 {
        be16(self.buf.as_ref(), 4)
    }

    /// Echo sequence number.
    pub fn echo_seq(&self) -> u16 {
        be16(self.buf.as_ref(), 6)
    }

    /// Whether the checksum over the whole message is right.
    pub fn verify_checksum(&self) -> bool {
        checksum::finish(checksum::sum(self.buf.as_ref(), 0)) == 0
    }

    /// The data after the header (for errors: the offending IP header and 8 bytes).
    pub fn data(&self) -> &[u8] {
        &self.buf.as_ref()[HEADER_LEN..]
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Packet<T> {
    /// Writes an error message (type, code, the next-hop MTU for fragmentation needed) with
    /// `quoted` (the offending IP header plus 8 bytes, RFC 792) and its checksum. The buffer
    /// must hold `8 + quoted.len()` bytes; returns the message length.
    pub fn emit_error(
        mut buf: T,
        msg_type: u8,
        code: u8,
        mtu: u16,
        quoted: &[u8],
    ) -> Result<usize, WireError> {
        let len = HEADER_LEN + quoted.len();
        let b = buf.as_mut();
        if b.len() < len {
            return Err(WireError::Truncated);
        }
        b[0] = msg_type;
        b[1] = code;
        put16(b, 2, 0);
        put16(b, 4, 0);
        put16(
            b,
            6,
            if msg_type == DEST_UNREACHABLE && code == code::FRAG_NEEDED {
                mtu
            } else {
                0
            },
        );
        b[HEADER_LEN..len].copy_from_slice(quoted);
        let c = checksum::finish(checksum::sum(&b[..len], 0));
        put16(b, 2, c);
        Ok(len)
    }
}

#[cfg(test)]
mod tests {
    use super::super::ipv4;
    use super::super::{ethernet::Frame, hex};
    use super::*;

    /// `ping -c1 -s 16 127.0.0.1` captured on lo.
    const ECHO: &str = "0x0000:  0000 0000 0000 0000 0000 0000 0800 4500
        0x0010:  002c ce40 4000 4001 6e8e 7f00 0001 7f00
        0x0020:  0001 0800 3ea9 5a69 0001 825a 096b 0000
        0x0030:  0000 cd26 0600 0000 0000";

    #[test]
    fn real_echo_request() {
        let b = hex(ECHO);
        let f = Frame::new_checked(&b[..]).unwrap();
        let ip = ipv4::Packet::new_checked(f.payload()).unwrap();
        assert_eq!(ip.protocol(), ipv4::protocol::ICMP);
        let icmp = Packet::new_checked(ip.payload()).unwrap();
        assert_eq!(icmp.msg_type(), ECHO_REQUEST);
        assert_eq!(icmp.echo_ident(), 0x5a69);
        assert_eq!(icmp.echo_seq(), 1);
        assert!(icmp.verify_checksum());
        assert_eq!(icmp.data().len(), 16);
    }

    #[test]
    fn errors_carry_a_right_checksum_and_the_mtu() {
        let b = hex(ECHO);
        let quoted = &b[14..14 + 28];
        let mut out = [0u8; 64];
        let n = Packet::emit_error(
            &mut out[..],
            DEST_UNREACHABLE,
            code::FRAG_NEEDED,
            1400,
            quoted,
        )
        .unwrap();
        assert_eq!(n, 36);
        let p = Packet::new_checked(&out[..n]).unwrap();
        assert!(p.verify_checksum());
        assert_eq!(be16(&out, 6), 1400);
        assert_eq!(p.data(), quoted);
        assert!(Packet::emit_error(&mut out[..20], TIME_EXCEEDED, 0, 0, quoted).is_err());
    }
}
