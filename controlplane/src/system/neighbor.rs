//! The IPv4 neighbour table (ARP), kept by the control plane from what the workers report:
//! ARP packets they snoop, and next hops they could not resolve. The workers never write it;
//! resolved neighbours reach them as adjacencies in the next snapshot.
//!
//! States follow RFC 1122 §2.3.2.1 in spirit: `Incomplete` (a request went out), `Reachable`
//! (heard from recently), `Stale` (not heard from for a while: still used, refreshed on the
//! next request), `Failed` (no answer to the last requests: not used, retried later).

use std::collections::HashMap;
use std::time::Duration;

/// Where a neighbour lives (the builder's key for what uses it).
pub use crate::rib::builder::Key;

/// A neighbour's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Requests sent, no answer yet.
    Incomplete,
    /// Heard from within [`Timers::reachable`].
    Reachable,
    /// Known but not heard from lately.
    Stale,
    /// No answer to [`Timers::retries`] requests.
    Failed,
}

/// One entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    /// The MAC address, once known.
    pub mac: Option<[u8; 6]>,
    /// State.
    pub state: State,
    /// When it was last heard from or last requested (ns).
    pub updated_ns: u64,
    /// Requests sent since the last answer.
    pub requests: u32,
    /// When the last request went out (ns).
    pub last_request_ns: u64,
}

impl Entry {
    /// A neighbour nothing is known of yet, first seen at `now`.
    fn new(now: u64) -> Entry {
        Entry {
            mac: None,
            state: State::Incomplete,
            updated_ns: now,
            requests: 0,
            last_request_ns: 0,
        }
    }
}

/// Timers and limits.
#[derive(Debug, Clone, Copy)]
pub struct Timers {
    /// How long an entry stays reachable without news (RouterOS/Linux: about 30 s).
    pub reachable: Duration,
    /// How long a stale or failed entry is kept before it is removed.
    pub gc: Duration,
    /// The least time between two requests for one neighbour.
    pub retrans: Duration,
    /// Requests before giving up.
    pub retries: u32,
}

impl Default for Timers {
    fn default() -> Self {
        Timers {
            reachable: Duration::from_secs(30),
            gc: Duration::from_secs(300),
            retrans: Duration::from_secs(1),
            retries: 3,
        }
    }
}

/// What the table asks the caller to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Send an ARP request for `key.ip` out of `key.port`.
    Request(Key),
    /// A neighbour's MAC is known or changed: rebuild the adjacencies that use it.
    Resolved(Key, [u8; 6]),
    /// A neighbour is gone or failed: its adjacencies stop forwarding.
    Lost(Key),
}

/// The neighbour table.
#[derive(Debug, Default)]
pub struct Neighbors {
    entries: HashMap<Key, Entry>,
    timers: Timers,
}

fn ns(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

impl Neighbors {
    /// An empty table with `timers`.
    pub fn new(timers: Timers) -> Self {
        Neighbors {
            entries: HashMap::new(),
            timers,
        }
    }

    /// An entry.
    pub fn get(&self, key: Key) -> Option<&Entry> {
        self.entries.get(&key)
    }

    /// The neighbours packets can be sent to (reachable or stale, MAC known).
    pub fn usable(&self) -> impl Iterator<Item = (Key, [u8; 6])> + '_ {
        self.entries
            .iter()
            .filter_map(|(k, e)| match (e.state, e.mac) {
                (State::Reachable | State::Stale, Some(mac)) => Some((*k, mac)),
                _ => None,
            })
    }

    /// Forgets the neighbours `keep` says no to (their port left the network, or the
    /// network is gone).
    pub fn retain(&mut self, mut keep: impl FnMut(Key) -> bool) {
        self.entries.retain(|k, _| keep(*k));
    }

    /// A worker saw an ARP packet from `key.ip` with `mac` (request or reply). Learned only
    /// when the router already cares about the neighbour or the packet was meant for it
    /// (`for_us`), so an ARP flood cannot fill the table.
    pub fn heard(&mut self, key: Key, mac: [u8; 6], for_us: bool, now: u64) -> Option<Action> {
        if mac == [0; 6] || mac[0] & 1 == 1 || key.ip == 0 {
            return None;
        }
        let known = self.entries.contains_key(&key);
        if !known && !for_us {
            return None;
        }
        let e = self.entries.entry(key).or_insert_with(|| Entry::new(now));
        let changed = e.mac != Some(mac) || matches!(e.state, State::Incomplete | State::Failed);
        e.mac = Some(mac);
        e.state = State::Reachable;
        e.updated_ns = now;
        e.requests = 0;
        changed.then_some(Action::Resolved(key, mac))
    }

    /// The dataplane has traffic for `key` and no MAC for it: ask, within the rate limit.
    pub fn want(&mut self, key: Key, now: u64) -> Option<Action> {
        let t = self.timers;
        let e = self.entries.entry(key).or_insert_with(|| Entry::new(now));
        match e.state {
            State::Reachable => return None,
            State::Failed if now.saturating_sub(e.updated_ns) < ns(t.gc) / 10 => return None,
            _ => {}
        }
        if e.requests > 0 && now.saturating_sub(e.last_request_ns) < ns(t.retrans) {
            return None;
        }
        e.requests += 1;
        e.last_request_ns = now;
        if e.state == State::Failed {
            e.state = State::Incomplete;
            e.requests = 1;
        }
        Some(Action::Request(key))
    }

    /// Ages the table: reachable entries go stale, unanswered ones fail, old ones go.
    pub fn tick(&mut self, now: u64) -> Vec<Action> {
        let t = self.timers;
        let mut out = Vec::new();
        self.entries.retain(|k, e| {
            let age = now.saturating_sub(e.updated_ns);
            if e.state == State::Reachable && age > ns(t.reachable) {
                e.state = State::Stale;
            }
            if e.state == State::Incomplete
                && e.requests >= t.retries
                && now.saturating_sub(e.last_request_ns) >= ns(t.retrans)
            {
                e.state = State::Failed;
                e.updated_ns = now;
                out.push(Action::Lost(*k));
            }
            if matches!(e.state, State::Stale | State::Failed) && age > ns(t.gc) {
                if e.state == State::Stale {
                    out.push(Action::Lost(*k));
                }
                return false;
            }
            true
        });
        out
    }

    /// Every entry: where, its MAC once known, its state (for `/ip arp`).
    pub fn entries(&self) -> impl Iterator<Item = (Key, Option<[u8; 6]>, State)> + '_ {
        self.entries.iter().map(|(k, e)| (*k, e.mac, e.state))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: u64 = 1_000_000_000;
    const MAC: [u8; 6] = [0, 0, 0x76, 2, 0, 0];

    fn key(last: u8) -> Key {
        Key {
            port: 1,
            ip: 0x0201_0100 | u32::from(last),
        }
    }

    #[test]
    fn requests_are_rate_limited_then_fail_then_retry() {
        let mut n = Neighbors::default();
        assert_eq!(n.want(key(2), 0), Some(Action::Request(key(2))));
        assert_eq!(n.want(key(2), S / 2), None, "one request a second");
        assert_eq!(n.want(key(2), S), Some(Action::Request(key(2))));
        assert_eq!(n.want(key(2), 2 * S), Some(Action::Request(key(2))));
        assert_eq!(n.tick(3 * S), vec![Action::Lost(key(2))]);
        assert_eq!(n.get(key(2)).unwrap().state, State::Failed);
        assert_eq!(
            n.want(key(2), 4 * S),
            None,
            "a failed neighbour waits before it is asked again"
        );
        assert_eq!(n.want(key(2), 40 * S), Some(Action::Request(key(2))));
    }

    #[test]
    fn learns_answers_and_ages() {
        let mut n = Neighbors::default();
        // An unsolicited ARP from a stranger is not learned (flood protection).
        assert_eq!(n.heard(key(9), MAC, false, 0), None);
        assert!(n.get(key(9)).is_none());
        n.want(key(2), 0);
        assert_eq!(
            n.heard(key(2), MAC, false, S / 10),
            Some(Action::Resolved(key(2), MAC))
        );
        assert_eq!(
            n.heard(key(2), MAC, false, S),
            None,
            "no change, nothing to do"
        );
        assert_eq!(n.want(key(2), S), None, "reachable: no request");
        assert!(n.tick(32 * S).is_empty());
        assert_eq!(n.get(key(2)).unwrap().state, State::Stale);
        let other = [0, 0, 0x76, 3, 0, 0];
        assert_eq!(
            n.heard(key(2), other, false, 33 * S),
            Some(Action::Resolved(key(2), other)),
            "a moved neighbour"
        );
        n.tick(40 * S);
        assert_eq!(n.tick(400 * S), vec![Action::Lost(key(2))]);
        assert!(n.get(key(2)).is_none(), "old stale entries are removed");
        assert_eq!(
            n.heard(key(3), [0xff; 6], true, 0),
            None,
            "broadcast MACs are refused"
        );
    }
}
