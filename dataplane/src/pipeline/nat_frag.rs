//! Fragments through connection tracking and NAT. A datagram's later fragments carry no
//! ports, so they cannot find their connection; what its first fragment became (its
//! addresses after NAT, its connection's mark) is kept under the datagram's identity (VRF,
//! protocol, addresses, IP identification: RFC 791's reassembly key) for the later ones,
//! which are translated the same way. A later fragment that comes before its first (or
//! whose first was never seen) cannot be translated: with NAT rules it is dropped as
//! `fragment-no-first` rather than sent with an address NAT should have hidden.
//!
//! The table is per worker: the fragments of a datagram arrive on one queue (RSS hashes
//! IPv4 fragments, first ones included, on their addresses only). It holds at most
//! [`MAX_DATAGRAMS`] datagrams for [`HOLD_NS`]; a first fragment that finds it full of
//! live datagrams is dropped as `fragment-table-full`.

use rustc_hash::FxHashMap;

/// Datagrams a worker keeps the translation of at most.
pub const MAX_DATAGRAMS: usize = 4096;
/// How long a datagram's translation is kept (Linux's `ipfrag_time`, 30 s).
pub const HOLD_NS: u64 = 30_000_000_000;

/// A datagram's identity, as its fragments arrive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DatagramKey {
    /// The VRF it arrived in.
    pub vrf: u16,
    /// IP protocol.
    pub proto: u8,
    /// Source address, as it arrived.
    pub src: u32,
    /// Destination address, as it arrived.
    pub dst: u32,
    /// IP identification.
    pub id: u16,
}

/// What the first fragment became.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Translation {
    /// Source address it left with.
    pub src: u32,
    /// Destination address it left with.
    pub dst: u32,
    /// Its connection's mark.
    pub mark: u16,
    /// Until when it is kept.
    pub expires: u64,
}

/// The translations of the datagrams a worker saw the first fragment of.
#[derive(Debug, Clone, Default)]
pub struct Datagrams {
    map: FxHashMap<DatagramKey, Translation>,
}

impl Datagrams {
    /// Keeps `t` for the later fragments of `key`; `false` when the table is full of
    /// datagrams still held.
    pub fn record(&mut self, key: DatagramKey, t: Translation, now: u64) -> bool {
        if self.map.len() >= MAX_DATAGRAMS && !self.map.contains_key(&key) {
            self.map.retain(|_, t| t.expires > now);
            if self.map.len() >= MAX_DATAGRAMS {
                return false;
            }
        }
        self.map.insert(key, t);
        true
    }

    /// The translation of datagram `key`, while it is held.
    pub fn find(&self, key: &DatagramKey, now: u64) -> Option<Translation> {
        self.map.get(key).copied().filter(|t| t.expires > now)
    }

    /// How many datagrams are held (expired ones included until the table fills).
    #[cfg(test)]
    fn len(&self) -> usize {
        self.map.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(id: u16) -> DatagramKey {
        DatagramKey {
            vrf: 1,
            proto: 17,
            src: 1,
            dst: 2,
            id,
        }
    }

    #[test]
    fn held_until_expiry_and_bounded() {
        let mut d = Datagrams::default();
        let t = |expires| Translation {
            src: 9,
            dst: 2,
            mark: 3,
            expires,
        };
        assert!(d.record(key(1), t(100), 0));
        assert_eq!(d.find(&key(1), 50), Some(t(100)));
        assert_eq!(d.find(&key(1), 100), None, "expired");
        assert_eq!(d.find(&key(2), 50), None);
        for i in 2..MAX_DATAGRAMS as u16 + 1 {
            assert!(d.record(key(i), t(1000), 0));
        }
        assert_eq!(d.len(), MAX_DATAGRAMS);
        assert!(!d.record(key(60000), t(1000), 10), "full of live datagrams");
        assert!(
            d.record(key(60000), t(2000), 1500),
            "expired ones make room"
        );
        assert_eq!(d.len(), 1);
    }
}
