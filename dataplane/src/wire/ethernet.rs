//! Ethernet II frames with at most two 802.1Q/802.1ad tags.

use super::{be16, put16, WireError};

/// EtherType values rspe handles.
pub mod ethertype {
    /// IPv4.
    pub const IPV4: u16 = 0x0800;
    /// ARP.
    pub const ARP: u16 = 0x0806;
    /// 802.1Q VLAN tag.
    pub const VLAN: u16 = 0x8100;
    /// 802.1ad service tag (QinQ).
    pub const QINQ: u16 = 0x88a8;
    /// IPv6.
    pub const IPV6: u16 = 0x86dd;
    /// MPLS unicast.
    pub const MPLS: u16 = 0x8847;
}

/// The length of an untagged header.
pub const HEADER_LEN: usize = 14;

/// A view of an Ethernet frame.
#[derive(Debug, Clone, Copy)]
pub struct Frame<T: AsRef<[u8]>> {
    buf: T,
    /// Offset of the EtherType of the payload (12, 16 or 20).
    type_at: usize,
}

impl<T: AsRef<[u8]>> Frame<T> {
    /// Checks that the header, including its VLAN tags, fits.
    #[inline(always)]
    pub fn new_checked(buf: T) -> Result<Self, WireError> {
        let b = buf.as_ref();
        if b.len() < HEADER_LEN {
            return Err(WireError::Truncated);
        }
        let mut type_at = 12;
        for _ in 0..2 {
            match be16(b, type_at) {
                ethertype::VLAN | ethertype::QINQ => {
                    type_at += 4;
                    if b.len() < type_at + 2 {
                        return Err(WireError::Truncated);
                    }
                }
                _ => break,
            }
        }
        Ok(Frame { buf, type_at })
    }

    /// Destination MAC.
    pub fn dst(&self) -> [u8; 6] {
        self.buf.as_ref()[0..6].try_into().unwrap_or([0; 6])
    }

    /// Source MAC.
    pub fn src(&self) -> [u8; 6] {
        self.buf.as_ref()[6..12].try_into().unwrap_or([0; 6])
    }

    /// The EtherType of the payload (after any VLAN tags).
    #[inline(always)]
    pub fn ethertype(&self) -> u16 {
        be16(self.buf.as_ref(), self.type_at)
    }

    /// The VLAN id of the innermost tag, if tagged.
    pub fn vlan(&self) -> Option<u16> {
        (self.type_at > 12).then(|| be16(self.buf.as_ref(), self.type_at - 2) & 0x0fff)
    }

    /// Length of the header including tags.
    #[inline(always)]
    pub fn header_len(&self) -> usize {
        self.type_at + 2
    }

    /// Whether the destination is broadcast or multicast.
    pub fn is_multicast(&self) -> bool {
        self.buf.as_ref()[0] & 1 == 1
    }

    /// The payload.
    #[inline]
    pub fn payload(&self) -> &[u8] {
        &self.buf.as_ref()[self.type_at + 2..]
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Frame<T> {
    /// Sets the destination MAC.
    pub fn set_dst(&mut self, mac: [u8; 6]) {
        self.buf.as_mut()[0..6].copy_from_slice(&mac);
    }

    /// Sets the source MAC.
    pub fn set_src(&mut self, mac: [u8; 6]) {
        self.buf.as_mut()[6..12].copy_from_slice(&mac);
    }

    /// Sets the payload's EtherType.
    pub fn set_ethertype(&mut self, t: u16) {
        let at = self.type_at;
        put16(self.buf.as_mut(), at, t);
    }

    /// The payload, writable.
    pub fn payload_mut(&mut self) -> &mut [u8] {
        let at = self.type_at + 2;
        &mut self.buf.as_mut()[at..]
    }
}

#[cfg(test)]
mod tests {
    use super::super::hex;
    use super::*;

    /// A TCP SYN to port 179 from shared/data/pcaps/bgp-lu-multiple-labels.pcap (frame 3).
    const SYN: &str = "0x0000:  0000 7602 0000 0000 7601 0000 0800 45c0
        0x0010:  003c 435b 4000 ff06 319c 0201 0101 0201
        0x0020:  0102 9f38 00b3 9cb4 302d 0000 0000 a002
        0x0030:  7210 9d32 0000 0204 05b4 0402 080a 5273
        0x0040:  7376 0000 0000 0103 0309";

    #[test]
    fn real_frame_and_rewrite() {
        let mut b = hex(SYN);
        let mut f = Frame::new_checked(&mut b[..]).unwrap();
        assert_eq!(f.dst(), [0, 0, 0x76, 2, 0, 0]);
        assert_eq!(f.src(), [0, 0, 0x76, 1, 0, 0]);
        assert_eq!(f.ethertype(), ethertype::IPV4);
        assert_eq!(f.vlan(), None);
        assert_eq!(f.payload()[0], 0x45);
        f.set_dst([2, 0, 0, 0, 0, 9]);
        f.set_src([2, 0, 0, 0, 0, 8]);
        assert_eq!(&b[0..12], &[2, 0, 0, 0, 0, 9, 2, 0, 0, 0, 0, 8]);
    }

    #[test]
    fn vlan_tags_and_runts() {
        let mut b = vec![0xffu8; 6];
        b.extend([2, 0, 0, 0, 0, 1, 0x81, 0x00, 0x20, 0x64, 0x08, 0x06, 0xaa]);
        let f = Frame::new_checked(&b[..]).unwrap();
        assert_eq!(f.vlan(), Some(100));
        assert_eq!(f.ethertype(), ethertype::ARP);
        assert_eq!(f.header_len(), 18);
        assert_eq!(f.payload(), &[0xaa]);
        assert!(f.is_multicast());
        assert_eq!(
            Frame::new_checked(&b[..13]).unwrap_err(),
            WireError::Truncated
        );
        assert_eq!(
            Frame::new_checked(&b[..15]).unwrap_err(),
            WireError::Truncated
        );
    }
}
