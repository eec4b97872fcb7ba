//! Basic discovery (RFC 5036 §2.4.1, §3.5.2): link Hellos make adjacencies per (interface,
//! peer LSR id, label space); each lives for the hold time both sides agree on (the smaller
//! of the two; 0 asks for the default of 15 s, 0xffff for ever), and a peer has a session
//! while at least one of its adjacencies lives. Pure state and time in nanoseconds, so the
//! rules are tested step by step; the sockets are the session's business.

use std::collections::BTreeMap;

/// The default hold time of link Hellos (s).
pub const DEFAULT_HOLD: u16 = 15;
/// A hold time that never ends.
pub const INFINITE_HOLD: u16 = 0xffff;

/// One adjacency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Adjacency {
    /// The interface (port id) it was heard on.
    pub port: u16,
    /// The peer's LSR id.
    pub lsr_id: u32,
    /// The peer's label space.
    pub label_space: u16,
    /// The Hello's source address.
    pub source: u32,
    /// The peer's transport address (its Transport Address TLV, else the source).
    pub transport: u32,
    /// The agreed hold time (s).
    pub hold: u16,
    /// When it ends (ns; `u64::MAX`: never).
    pub expires: u64,
}

/// Why a Hello was ignored (counted per reason).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ignored {
    /// A targeted Hello (only link Hellos are served).
    Targeted,
    /// The sender's LSR id is ours or 0.
    BadLsrId,
    /// The source is not on the interface's networks.
    Stranger,
}

/// What a Hello did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Heard {
    /// A new adjacency; `first`: the peer had none (a session is due).
    New {
        /// The peer's first adjacency.
        first: bool,
    },
    /// An adjacency kept alive.
    Refreshed,
    /// An adjacency whose transport address changed: its session must start again.
    TransportChanged,
}

/// The adjacencies of one LDP instance.
#[derive(Debug, Clone, Default)]
pub struct Discovery {
    /// Our LSR id.
    pub lsr_id: u32,
    /// Our hold time for link Hellos (s).
    pub hold: u16,
    adjs: BTreeMap<(u16, u32, u16), Adjacency>,
}

/// A Hello as discovery needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hello {
    /// Heard on this interface.
    pub port: u16,
    /// From this address.
    pub source: u32,
    /// Whether the source is on the interface's networks.
    pub on_link: bool,
    /// The PDU's LSR id and label space.
    pub lsr_id: u32,
    /// The PDU's label space.
    pub label_space: u16,
    /// Common Hello Parameters: hold time (s), targeted.
    pub hold: u16,
    /// Targeted.
    pub targeted: bool,
    /// Transport Address TLV.
    pub transport: Option<u32>,
}

const SEC: u64 = 1_000_000_000;

impl Discovery {
    /// No adjacency yet.
    pub fn new(lsr_id: u32, hold: u16) -> Discovery {
        Discovery {
            lsr_id,
            hold,
            adjs: BTreeMap::new(),
        }
    }

    /// Takes in a Hello at `now`.
    pub fn hello(&mut self, h: &Hello, now: u64) -> Result<Heard, Ignored> {
        if h.targeted {
            return Err(Ignored::Targeted);
        }
        if h.lsr_id == 0 || h.lsr_id == self.lsr_id {
            return Err(Ignored::BadLsrId);
        }
        if !h.on_link {
            return Err(Ignored::Stranger);
        }
        let theirs = if h.hold == 0 { DEFAULT_HOLD } else { h.hold };
        let ours = if self.hold == 0 {
            DEFAULT_HOLD
        } else {
            self.hold
        };
        let hold = theirs.min(ours);
        let expires = if hold == INFINITE_HOLD {
            u64::MAX
        } else {
            now.saturating_add(u64::from(hold) * SEC)
        };
        let adj = Adjacency {
            port: h.port,
            lsr_id: h.lsr_id,
            label_space: h.label_space,
            source: h.source,
            transport: h.transport.unwrap_or(h.source),
            hold,
            expires,
        };
        let first = !self.adjs.values().any(|a| a.lsr_id == h.lsr_id);
        let key = (h.port, h.lsr_id, h.label_space);
        Ok(match self.adjs.insert(key, adj) {
            None => Heard::New { first },
            Some(old) if old.transport != adj.transport => Heard::TransportChanged,
            Some(_) => Heard::Refreshed,
        })
    }

    /// Removes the adjacencies whose hold time ran out at `now`; returns the peers (LSR
    /// ids) that have none left: their sessions end.
    pub fn expire(&mut self, now: u64) -> Vec<u32> {
        self.remove(|a| a.expires <= now)
    }

    /// Removes every adjacency on interface `port` (LDP disabled there, the link down);
    /// returns the peers left without any.
    pub fn drop_port(&mut self, port: u16) -> Vec<u32> {
        self.remove(|a| a.port == port)
    }

    /// Removes the adjacencies `gone` picks; returns the peers left without any.
    fn remove(&mut self, gone: impl Fn(&Adjacency) -> bool) -> Vec<u32> {
        let peers: Vec<u32> = self
            .adjs
            .values()
            .filter(|a| gone(a))
            .map(|a| a.lsr_id)
            .collect();
        self.adjs.retain(|_, a| !gone(a));
        let mut out: Vec<u32> = peers
            .into_iter()
            .filter(|id| !self.adjs.values().any(|a| a.lsr_id == *id))
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Every adjacency, by interface and peer.
    pub fn adjacencies(&self) -> impl Iterator<Item = &Adjacency> {
        self.adjs.values()
    }

    /// The transport address a session with `lsr_id` uses (its first adjacency's).
    pub fn transport_of(&self, lsr_id: u32) -> Option<u32> {
        self.adjs
            .values()
            .find(|a| a.lsr_id == lsr_id)
            .map(|a| a.transport)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ME: u32 = 0x0aff_0001;
    const PEER: u32 = 0x0aff_0002;

    fn hello(port: u16, hold: u16) -> Hello {
        Hello {
            port,
            source: 0x0a00_0002 + u32::from(port),
            on_link: true,
            lsr_id: PEER,
            label_space: 0,
            hold,
            targeted: false,
            transport: Some(PEER),
        }
    }

    #[test]
    fn adjacencies_live_for_the_agreed_hold_time_and_the_session_for_the_last_of_them() {
        let mut d = Discovery::new(ME, 15);
        // Two links to one peer: one session (the first adjacency says so).
        assert_eq!(d.hello(&hello(0, 15), 0), Ok(Heard::New { first: true }));
        assert_eq!(d.hello(&hello(1, 30), SEC), Ok(Heard::New { first: false }));
        assert_eq!(d.hello(&hello(0, 15), 5 * SEC), Ok(Heard::Refreshed));
        // Hold: the smaller of the two (ours 15 against their 30).
        assert!(d.adjacencies().all(|a| a.hold == 15));
        assert_eq!(d.transport_of(PEER), Some(PEER));
        // Link 1 falls silent: its adjacency goes at 1 + 15 s, the session stays.
        assert_eq!(d.expire(16 * SEC), Vec::<u32>::new());
        assert_eq!(d.adjacencies().count(), 1);
        // Link 0's last hello was at 5 s: gone at 20 s, and with it the peer's session.
        assert_eq!(d.expire(19 * SEC), Vec::<u32>::new());
        assert_eq!(d.expire(20 * SEC), vec![PEER]);
        assert_eq!(d.adjacencies().count(), 0);
    }

    #[test]
    fn defaults_infinity_and_hellos_to_ignore() {
        let mut d = Discovery::new(ME, 0);
        // 0 on both sides: the default 15 s.
        d.hello(&hello(0, 0), 0).unwrap();
        assert_eq!(d.adjacencies().next().map(|a| a.hold), Some(DEFAULT_HOLD));
        // 0xffff on both sides: for ever.
        let mut inf = Discovery::new(ME, INFINITE_HOLD);
        inf.hello(&hello(0, INFINITE_HOLD), 0).unwrap();
        assert_eq!(inf.expire(u64::MAX - 1), Vec::<u32>::new());
        // A new transport address means a new session.
        let moved = Hello {
            transport: Some(0x0aff_0009),
            ..hello(0, 15)
        };
        assert_eq!(d.hello(&moved, SEC), Ok(Heard::TransportChanged));
        // Without a Transport Address TLV, the source address is the transport address.
        let bare = Hello {
            transport: None,
            ..hello(2, 15)
        };
        d.hello(&bare, SEC).unwrap();
        assert!(d
            .adjacencies()
            .any(|a| a.port == 2 && a.transport == bare.source));
        // Ignored and counted: targeted, our own LSR id or 0, a source off the link.
        assert_eq!(
            d.hello(
                &Hello {
                    targeted: true,
                    ..hello(0, 15)
                },
                0
            ),
            Err(Ignored::Targeted)
        );
        assert_eq!(
            d.hello(
                &Hello {
                    lsr_id: ME,
                    ..hello(0, 15)
                },
                0
            ),
            Err(Ignored::BadLsrId)
        );
        assert_eq!(
            d.hello(
                &Hello {
                    lsr_id: 0,
                    ..hello(0, 15)
                },
                0
            ),
            Err(Ignored::BadLsrId)
        );
        assert_eq!(
            d.hello(
                &Hello {
                    on_link: false,
                    ..hello(0, 15)
                },
                0
            ),
            Err(Ignored::Stranger)
        );
        // LDP off on a port: its adjacencies go; the peer keeps the one on port 2.
        assert_eq!(d.drop_port(0), Vec::<u32>::new());
        assert_eq!(d.drop_port(2), vec![PEER]);
    }
}
