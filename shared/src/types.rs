//! Vocabulary types shared by both planes: one newtype per id and value, with checked
//! constructors and named constants.

use std::fmt;
use std::net::Ipv4Addr;
use std::str::FromStr;

/// A next-hop id: what a FIB entry resolves to, an index into the snapshot's next hops.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NextHopId(pub u32);

/// A routing table id: `main` is 0; every other table (a VRF's, or one made with
/// `/routing table add`) gets one of 1..4096.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TableId(pub u16);

impl TableId {
    /// The `main` table.
    pub const MAIN: TableId = TableId(0);
    /// How many tables may exist at most (RouterOS: 4096).
    pub const MAX_TABLES: usize = 4096;
}

/// A VRF id: `main` is 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct VrfId(pub u16);

impl VrfId {
    /// The builtin `main` VRF.
    pub const MAIN: VrfId = VrfId(0);
}

/// A dataplane port (the DPDK port id).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PortId(pub u16);

/// An adjacency id: an index into the snapshot's adjacencies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AdjId(pub u32);

/// An MPLS label: 20 bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Label(u32);

/// A value out of range for its type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValueError {
    /// A label over 1048575.
    #[error("label {0} is out of range (0..1048575)")]
    Label(u32),
    /// A prefix length over 32.
    #[error("prefix length {0} is out of range (0..32)")]
    PrefixLen(u8),
    /// A prefix that is not `a.b.c.d/len`.
    #[error("{0:?} is not an IPv4 prefix (expected a.b.c.d/len)")]
    Prefix(String),
}

impl Label {
    /// IPv4 explicit null (RFC 3032): pop, then forward by the IPv4 header.
    pub const IPV4_EXPLICIT_NULL: Label = Label(0);
    /// Router alert.
    pub const ROUTER_ALERT: Label = Label(1);
    /// IPv6 explicit null.
    pub const IPV6_EXPLICIT_NULL: Label = Label(2);
    /// Implicit null: advertised to ask for penultimate-hop popping; never on the wire.
    pub const IMPLICIT_NULL: Label = Label(3);
    /// The first label that is not reserved.
    pub const FIRST_UNRESERVED: Label = Label(16);
    /// The largest label.
    pub const MAX: Label = Label((1 << 20) - 1);

    /// The label's value.
    pub const fn get(self) -> u32 {
        self.0
    }

    /// Whether the label is one of the reserved 0..15.
    pub const fn is_reserved(self) -> bool {
        self.0 < 16
    }
}

impl TryFrom<u32> for Label {
    type Error = ValueError;
    fn try_from(v: u32) -> Result<Self, ValueError> {
        if v <= Label::MAX.0 {
            Ok(Label(v))
        } else {
            Err(ValueError::Label(v))
        }
    }
}

impl fmt::Display for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// An IPv4 prefix, always in canonical form (host bits zero).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Prefix4 {
    addr: u32,
    len: u8,
}

/// The network mask of a prefix length (0..=32).
#[inline]
pub const fn mask(len: u8) -> u32 {
    if len == 0 {
        0
    } else {
        u32::MAX << (32 - len as u32)
    }
}

impl Prefix4 {
    /// The default route, 0.0.0.0/0.
    pub const DEFAULT: Prefix4 = Prefix4 { addr: 0, len: 0 };

    /// The prefix `addr/len`, host bits cleared.
    pub fn new(addr: u32, len: u8) -> Result<Prefix4, ValueError> {
        if len > 32 {
            return Err(ValueError::PrefixLen(len));
        }
        Ok(Prefix4 {
            addr: addr & mask(len),
            len,
        })
    }

    /// The network address as a number.
    pub const fn addr(self) -> u32 {
        self.addr
    }

    /// The prefix length.
    #[allow(clippy::len_without_is_empty)] // a prefix length, not a collection's
    pub const fn len(self) -> u8 {
        self.len
    }

    /// Whether `addr` falls inside the prefix.
    pub const fn contains(self, addr: u32) -> bool {
        addr & mask(self.len) == self.addr
    }
}

impl fmt::Display for Prefix4 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", Ipv4Addr::from(self.addr), self.len)
    }
}

impl FromStr for Prefix4 {
    type Err = ValueError;
    fn from_str(s: &str) -> Result<Self, ValueError> {
        let bad = || ValueError::Prefix(s.to_owned());
        let (a, l) = s.split_once('/').ok_or_else(bad)?;
        let addr: Ipv4Addr = a.parse().map_err(|_| bad())?;
        let len: u8 = l.parse().map_err(|_| bad())?;
        Prefix4::new(u32::from(addr), len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_are_canonical_and_parse() {
        let p: Prefix4 = "10.1.2.3/16".parse().unwrap();
        assert_eq!(p.to_string(), "10.1.0.0/16");
        assert!(p.contains(0x0a01_ffff));
        assert!(!p.contains(0x0a02_0000));
        assert_eq!("0.0.0.0/0".parse::<Prefix4>().unwrap(), Prefix4::DEFAULT);
        assert!("10.0.0.0/33".parse::<Prefix4>().is_err());
        assert!("10.0.0/8".parse::<Prefix4>().is_err());
        assert_eq!(mask(0), 0);
        assert_eq!(mask(32), u32::MAX);
    }

    #[test]
    fn labels_are_20_bits() {
        assert!(Label::try_from(1 << 20).is_err());
        assert_eq!(Label::try_from(1_048_575).unwrap(), Label::MAX);
        assert!(Label::IMPLICIT_NULL.is_reserved());
        assert!(!Label::FIRST_UNRESERVED.is_reserved());
    }
}
