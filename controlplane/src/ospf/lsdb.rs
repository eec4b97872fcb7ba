//! The link-state database of one area (and the AS-external LSAs, kept once per instance by
//! the caller): LSAs by (type, id, advertising router), their ages kept by the time they
//! were installed, RFC 2328 §13.1's "which is newer", §13's installation rules
//! (MinLSArrival, MaxAge), and our own LSAs' sequence numbers. Time in seconds, given by the
//! caller, so the rules are tested step by step.

use super::packet::{Lsa, LsaHeader, LsaKey, MAX_AGE, MAX_SEQ};
use std::cmp::Ordering;
use std::collections::BTreeMap;

/// The least time between two instances of an LSA accepted from flooding (s).
pub const MIN_LS_ARRIVAL: u64 = 1;
/// The least time between two originations of an LSA of ours (s).
pub const MIN_LS_INTERVAL: u64 = 5;
/// How often our LSAs are originated again (s).
pub const LS_REFRESH_TIME: u16 = 1800;
/// Two ages closer than this are the same (s).
pub const MAX_AGE_DIFF: u16 = 900;

/// An LSA in the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The LSA (its age as installed).
    pub lsa: Lsa,
    /// When it was installed (s).
    pub installed: u64,
    /// Whether it came by flooding (MinLSArrival holds only for those: §13 step 5a).
    pub flooded: bool,
}

impl Entry {
    /// Its age at `now`.
    pub fn age(&self, now: u64) -> u16 {
        let grown = u64::from(self.lsa.header.age) + now.saturating_sub(self.installed);
        grown.min(u64::from(MAX_AGE)) as u16
    }

    /// Its header with the age at `now`.
    pub fn header(&self, now: u64) -> LsaHeader {
        LsaHeader {
            age: self.age(now),
            ..self.lsa.header
        }
    }

    /// The LSA with its age at `now` (to flood or send).
    pub fn aged(&self, now: u64) -> Lsa {
        let mut l = self.lsa.clone();
        l.set_age(self.age(now));
        l
    }
}

/// §13.1: which of two instances of an LSA is the newer (`Greater`: `a`).
pub fn compare(a: &LsaHeader, b: &LsaHeader) -> Ordering {
    a.seq
        .cmp(&b.seq)
        .then(a.checksum.cmp(&b.checksum))
        .then_with(|| match (a.age == MAX_AGE, b.age == MAX_AGE) {
            (true, false) => Ordering::Greater,
            (false, true) => Ordering::Less,
            _ if a.age.abs_diff(b.age) > MAX_AGE_DIFF => b.age.cmp(&a.age),
            _ => Ordering::Equal,
        })
}

/// What a received LSA did to the database (§13 steps 5-8).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Received {
    /// Newer: installed (flood it on, acknowledge); `replaced` the instance it replaced.
    Installed {
        /// The instance it replaced.
        replaced: Option<Lsa>,
    },
    /// Newer, but it arrived within MinLSArrival of the one we received before: dropped.
    TooSoon,
    /// The same instance (an implied acknowledgment, or a duplicate).
    Same,
    /// Older than ours: send ours back.
    Older,
}

/// One area's LSAs.
#[derive(Debug, Clone, Default)]
pub struct Lsdb {
    entries: BTreeMap<LsaKey, Entry>,
}

impl Lsdb {
    /// Empty.
    pub fn new() -> Lsdb {
        Lsdb::default()
    }

    /// The entry of `key`.
    pub fn get(&self, key: &LsaKey) -> Option<&Entry> {
        self.entries.get(key)
    }

    /// Every entry, by key.
    pub fn iter(&self) -> impl Iterator<Item = (&LsaKey, &Entry)> {
        self.entries.iter()
    }

    /// How many LSAs.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Takes in an LSA received by flooding at `now` (§13 steps 5-8; step 4, a MaxAge LSA
    /// we do not have while no neighbour is exchanging, is the caller's).
    pub fn receive(&mut self, lsa: Lsa, now: u64) -> Received {
        let key = lsa.header.key;
        let Some(have) = self.entries.get(&key) else {
            self.put(lsa, now, true);
            return Received::Installed { replaced: None };
        };
        match compare(&lsa.header, &have.header(now)) {
            Ordering::Greater => {
                if have.flooded && now.saturating_sub(have.installed) < MIN_LS_ARRIVAL {
                    return Received::TooSoon;
                }
                let replaced = self.put(lsa, now, true);
                Received::Installed { replaced }
            }
            Ordering::Equal => Received::Same,
            Ordering::Less => Received::Older,
        }
    }

    /// Installs `lsa`, one of ours or made here (not received by flooding); returns what
    /// it replaced.
    pub fn install(&mut self, lsa: Lsa, now: u64) -> Option<Lsa> {
        self.put(lsa, now, false)
    }

    fn put(&mut self, lsa: Lsa, now: u64, flooded: bool) -> Option<Lsa> {
        let key = lsa.header.key;
        let e = Entry {
            lsa,
            installed: now,
            flooded,
        };
        self.entries.insert(key, e).map(|e| e.lsa)
    }

    /// Removes `key`.
    pub fn remove(&mut self, key: &LsaKey) -> Option<Lsa> {
        self.entries.remove(key).map(|e| e.lsa)
    }

    /// The LSAs that reached MaxAge by `now` (to flood once more and then remove).
    pub fn maxaged(&self, now: u64) -> Vec<LsaKey> {
        self.entries
            .iter()
            .filter(|(_, e)| e.age(now) >= MAX_AGE)
            .map(|(k, _)| *k)
            .collect()
    }

    /// Our LSAs (advertised by `me`) due for a refresh at `now`.
    pub fn due_refresh(&self, me: u32, now: u64) -> Vec<LsaKey> {
        self.entries
            .iter()
            .filter(|(k, e)| k.adv == me && e.age(now) >= LS_REFRESH_TIME && e.age(now) < MAX_AGE)
            .map(|(k, _)| *k)
            .collect()
    }

    /// The sequence number for a new instance of our LSA `key`: one past the one we have
    /// (or past `seen`, an instance of ours received from a neighbour, newer than ours), or
    /// `None` when the number would wrap: the LSA must be flushed first (§12.1.6).
    pub fn next_seq(&self, key: &LsaKey, seen: Option<i32>) -> Option<i32> {
        let have = self.entries.get(key).map(|e| e.lsa.header.seq);
        match have.into_iter().chain(seen).max() {
            None => Some(super::packet::INITIAL_SEQ),
            Some(MAX_SEQ) => None,
            Some(s) => Some(s + 1),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::packet::{lsa_type, LsaBody, INITIAL_SEQ};
    use super::*;

    fn key(adv: u32) -> LsaKey {
        LsaKey {
            kind: lsa_type::ROUTER,
            id: adv,
            adv,
        }
    }

    fn lsa(adv: u32, seq: i32, age: u16) -> Lsa {
        Lsa::new(
            age,
            0x02,
            key(adv),
            seq,
            LsaBody::Router {
                flags: 0,
                links: Vec::new(),
            },
        )
    }

    #[test]
    fn newer_is_by_sequence_then_checksum_then_maxage_then_age() {
        let a = lsa(1, INITIAL_SEQ + 1, 10).header;
        let b = lsa(1, INITIAL_SEQ, 10).header;
        assert_eq!(compare(&a, &b), Ordering::Greater);
        let mut c = a;
        c.checksum = a.checksum.wrapping_add(1);
        assert_eq!(compare(&c, &a), Ordering::Greater);
        let mut old = a;
        old.age = MAX_AGE;
        assert_eq!(compare(&old, &a), Ordering::Greater, "MaxAge is newer");
        let mut young = a;
        young.age = 5;
        let mut aged = a;
        aged.age = 1200;
        assert_eq!(
            compare(&young, &aged),
            Ordering::Greater,
            "far younger is newer"
        );
        aged.age = 800;
        assert_eq!(
            compare(&young, &aged),
            Ordering::Equal,
            "within 15 minutes: the same"
        );
    }

    #[test]
    fn flooding_decisions_step_by_step() {
        let mut db = Lsdb::new();
        // New: installed.
        assert_eq!(
            db.receive(lsa(1, INITIAL_SEQ, 1), 10),
            Received::Installed { replaced: None }
        );
        // The same again: same (an implied acknowledgment).
        assert_eq!(db.receive(lsa(1, INITIAL_SEQ, 2), 11), Received::Same);
        // A newer one within MinLSArrival: dropped.
        assert_eq!(
            db.receive(lsa(1, INITIAL_SEQ + 1, 1), 10),
            Received::TooSoon
        );
        // After it: installed, replacing the first.
        let r = db.receive(lsa(1, INITIAL_SEQ + 1, 1), 12);
        assert!(matches!(r, Received::Installed { replaced: Some(_) }));
        // An older one: ours goes back.
        assert_eq!(db.receive(lsa(1, INITIAL_SEQ, 1), 20), Received::Older);
        // MinLSArrival holds against what came by flooding, not against our own: a newer
        // instance of an LSA of ours (a neighbour's MaxAge copy sent back) at once.
        db.install(lsa(2, INITIAL_SEQ, 0), 30);
        let r = db.receive(lsa(2, INITIAL_SEQ, MAX_AGE), 30);
        assert!(matches!(r, Received::Installed { replaced: Some(_) }));
        // A MaxAge LSA we never had, while a neighbour is exchanging (the caller acks it
        // directly otherwise): installed, so a request for it is answered.
        let r = db.receive(lsa(3, INITIAL_SEQ, MAX_AGE), 30);
        assert_eq!(r, Received::Installed { replaced: None });
    }

    #[test]
    fn ages_grow_to_maxage_and_ours_are_refreshed() {
        let mut db = Lsdb::new();
        db.install(lsa(7, INITIAL_SEQ, 0), 100);
        db.install(lsa(8, INITIAL_SEQ, 3000), 100);
        assert_eq!(db.get(&key(7)).unwrap().age(160), 60);
        assert_eq!(db.get(&key(7)).unwrap().aged(160).header.age, 60);
        assert!(db.due_refresh(7, 1000).is_empty());
        assert_eq!(db.due_refresh(7, 1900), vec![key(7)]);
        assert_eq!(db.maxaged(800), vec![key(8)]);
        assert_eq!(db.get(&key(8)).unwrap().age(99_999), MAX_AGE);
    }

    #[test]
    fn sequence_numbers_go_up_past_what_was_seen_and_never_wrap() {
        let mut db = Lsdb::new();
        assert_eq!(db.next_seq(&key(1), None), Some(INITIAL_SEQ));
        db.install(lsa(1, INITIAL_SEQ + 4, 0), 0);
        assert_eq!(db.next_seq(&key(1), None), Some(INITIAL_SEQ + 5));
        assert_eq!(
            db.next_seq(&key(1), Some(100)),
            Some(101),
            "a stale instance of ours"
        );
        db.install(lsa(1, MAX_SEQ, 0), 0);
        assert_eq!(db.next_seq(&key(1), None), None, "flush first");
    }
}
