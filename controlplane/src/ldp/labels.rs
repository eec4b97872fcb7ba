//! The label information base (RFC 5036 §2.6, §3.5.7; §A.1 in outline): downstream
//! unsolicited distribution, independent control, liberal retention.
//!
//! - Local bindings: every prefix with an active IGP route (connected, static, OSPF; never
//!   BGP) gets a label: implicit null (3) for the router's connected networks and its own
//!   addresses (explicit null, 0, with `use-explicit-null`), else a label from the dynamic
//!   range, freed when the route goes.
//! - Remote bindings: every peer's mappings are kept (liberal retention); a mapping is used
//!   only while its peer is the route's next hop, known by an address the peer advertised.
//! - What forwarding gets ([`Out`]): for each local label, what the LFIB does with it (swap to
//!   the next hop's label, pop towards it when its label is implicit null or it has none);
//!   for each prefix, the label to push towards its next hop (the FTN).
//!
//! Pure state: the session layer feeds it routes, mappings, withdrawals and addresses, and
//! sends what it returns.

use shared::types::Prefix4;
use std::collections::{BTreeMap, BTreeSet};

/// Implicit null: "pop before you send it to me".
pub const IMPLICIT_NULL: u32 = 3;
/// IPv4 explicit null.
pub const EXPLICIT_NULL: u32 = 0;

/// A route of the instance's table, as the LIB needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// The next-hop addresses (empty for a connected network or the router's own address).
    pub next_hops: Vec<u32>,
}

/// A local label that is switched: label, prefix, and (next hop, out label) when it goes
/// somewhere.
pub type Switched = (u32, Prefix4, Option<(u32, u32)>);

/// What the LIB asks of the rest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Out {
    /// Send every peer a Label Mapping.
    Map(Prefix4, u32),
    /// Send every peer a Label Withdraw.
    Withdraw(Prefix4, u32),
    /// Send `peer` a Label Release.
    Release(u32, Prefix4, u32),
    /// The LFIB entry of a local label: `Some((next hop, out label))` (out label
    /// [`IMPLICIT_NULL`]: pop), `None`: remove it.
    Lfib(u32, Option<(u32, u32)>),
    /// The label to push for a prefix towards its next hop: `Some((next hop, label))`,
    /// `None`: plain IP.
    Ftn(Prefix4, Option<(u32, u32)>),
}

/// The label information base of one LDP instance.
#[derive(Debug, Clone)]
pub struct Lib {
    pool: Pool,
    explicit_null: bool,
    routes: BTreeMap<Prefix4, Route>,
    local: BTreeMap<Prefix4, u32>,
    remote: BTreeMap<(Prefix4, u32), u32>,
    addrs: BTreeMap<u32, BTreeSet<u32>>,
    /// What forwarding was last told, to tell only changes.
    lfib: BTreeMap<u32, (u32, u32)>,
    ftn: BTreeMap<Prefix4, (u32, u32)>,
}

/// The router's dynamic labels (the RIB service's pool).
pub use crate::system::rib_service::LabelPool as Pool;

/// A pool of `first..=last` (an empty or reserved range gives the default range).
pub fn pool(first: u32, last: u32) -> Pool {
    let range = shared::lfib::LabelRange::new(first, last).unwrap_or_default();
    std::sync::Arc::new(std::sync::Mutex::new(shared::lfib::LabelAllocator::new(
        range,
    )))
}

impl Lib {
    /// Labels from `first..=last` (the dynamic range); `explicit_null` for our own prefixes.
    pub fn new(first: u32, last: u32, explicit_null: bool) -> Lib {
        Self::with_pool(pool(first, last), explicit_null)
    }

    /// Labels from a pool shared with other instances.
    pub fn with_pool(pool: Pool, explicit_null: bool) -> Lib {
        Lib {
            pool,
            explicit_null,
            routes: BTreeMap::new(),
            local: BTreeMap::new(),
            remote: BTreeMap::new(),
            addrs: BTreeMap::new(),
            lfib: BTreeMap::new(),
            ftn: BTreeMap::new(),
        }
    }

    /// Our label for `p`, if we have one.
    pub fn local(&self, p: Prefix4) -> Option<u32> {
        self.local.get(&p).copied()
    }

    /// The peers' labels for `p`: (peer, label).
    pub fn remote(&self, p: Prefix4) -> impl Iterator<Item = (u32, u32)> + '_ {
        self.remote
            .range((p, 0)..=(p, u32::MAX))
            .map(|((_, peer), l)| (*peer, *l))
    }

    fn allocate(&mut self) -> Option<u32> {
        let mut pool = self.pool.lock().unwrap_or_else(|e| e.into_inner());
        pool.allocate().ok().map(|l| l.get())
    }

    fn release_label(&mut self, l: u32) {
        if let Ok(l) = shared::types::Label::try_from(l) {
            let mut pool = self.pool.lock().unwrap_or_else(|e| e.into_inner());
            pool.release(l);
        }
    }

    /// The peer whose advertised addresses hold `nh`.
    fn peer_of(&self, nh: u32) -> Option<u32> {
        self.addrs
            .iter()
            .find(|(_, a)| a.contains(&nh))
            .map(|(peer, _)| *peer)
    }

    /// The (next hop, label) to use for `p`: the first next hop whose peer has a mapping.
    fn downstream(&self, p: Prefix4) -> Option<(u32, u32)> {
        let r = self.routes.get(&p)?;
        r.next_hops.iter().find_map(|&nh| {
            let peer = self.peer_of(nh)?;
            Some((nh, *self.remote.get(&(p, peer))?))
        })
    }

    /// Brings forwarding for `p` in step: its local label's LFIB entry and its FTN.
    fn forward(&mut self, p: Prefix4, out: &mut Vec<Out>) {
        let down = self.downstream(p);
        let route = self.routes.get(&p).cloned();
        if let Some(l) = self.local.get(&p).copied().filter(|l| *l > 15) {
            // No label downstream: untagged, popped towards the route's next hop.
            let want = down.or_else(|| {
                route
                    .as_ref()
                    .and_then(|r| r.next_hops.first().map(|nh| (*nh, IMPLICIT_NULL)))
            });
            if self.lfib.get(&l).copied() != want {
                match want {
                    Some(w) => self.lfib.insert(l, w),
                    None => self.lfib.remove(&l),
                };
                out.push(Out::Lfib(l, want));
            }
        }
        if self.ftn.get(&p).copied() != down {
            match down {
                Some(d) => self.ftn.insert(p, d),
                None => self.ftn.remove(&p),
            };
            out.push(Out::Ftn(p, down));
        }
    }

    /// The table's route for `p` is now `route` (`None`: gone).
    pub fn route(&mut self, p: Prefix4, route: Option<Route>) -> Vec<Out> {
        let mut out = Vec::new();
        match route {
            Some(r) => {
                let own = r.next_hops.is_empty();
                self.routes.insert(p, r);
                let want_null = if self.explicit_null {
                    EXPLICIT_NULL
                } else {
                    IMPLICIT_NULL
                };
                let label = match self.local.get(&p).copied() {
                    Some(l) if own == (l <= 15) => Some(l),
                    old => {
                        // New, or it changed between our own and a routed prefix.
                        if let Some(l) = old {
                            out.push(Out::Withdraw(p, l));
                            self.drop_lfib(l, &mut out);
                            self.release_label(l);
                        }
                        let l = if own {
                            Some(want_null)
                        } else {
                            self.allocate()
                        };
                        if let Some(l) = l {
                            out.push(Out::Map(p, l));
                        }
                        l
                    }
                };
                match label {
                    Some(l) => self.local.insert(p, l),
                    None => self.local.remove(&p),
                };
            }
            None => {
                self.routes.remove(&p);
                if let Some(l) = self.local.remove(&p) {
                    out.push(Out::Withdraw(p, l));
                    self.drop_lfib(l, &mut out);
                    self.release_label(l);
                }
            }
        }
        self.forward(p, &mut out);
        out
    }

    fn drop_lfib(&mut self, l: u32, out: &mut Vec<Out>) {
        if self.lfib.remove(&l).is_some() {
            out.push(Out::Lfib(l, None));
        }
    }

    /// `peer` mapped `p` to `label` (kept whether or not it is used: liberal retention).
    pub fn mapping(&mut self, peer: u32, p: Prefix4, label: u32) -> Vec<Out> {
        let mut out = Vec::new();
        self.remote.insert((p, peer), label);
        self.forward(p, &mut out);
        out
    }

    /// `peer` withdrew its label for `p`: it is forgotten and released back.
    pub fn withdraw(&mut self, peer: u32, p: Prefix4) -> Vec<Out> {
        let mut out = Vec::new();
        if let Some(l) = self.remote.remove(&(p, peer)) {
            out.push(Out::Release(peer, p, l));
        }
        self.forward(p, &mut out);
        out
    }

    /// `peer` advertised (or withdrew) addresses: the prefixes routed through them are looked
    /// at again.
    pub fn addresses(&mut self, peer: u32, add: &[u32], remove: &[u32]) -> Vec<Out> {
        let set = self.addrs.entry(peer).or_default();
        set.extend(add.iter().copied());
        for a in remove {
            set.remove(a);
        }
        self.reforward_all()
    }

    /// `peer`'s session ended: its addresses and mappings go.
    pub fn peer_down(&mut self, peer: u32) -> Vec<Out> {
        self.addrs.remove(&peer);
        self.remote.retain(|(_, p), _| *p != peer);
        self.reforward_all()
    }

    /// The prefixes `peer` has mapped.
    pub fn remote_of(&self, peer: u32) -> Vec<Prefix4> {
        self.remote
            .keys()
            .filter(|(_, p)| *p == peer)
            .map(|(p, _)| *p)
            .collect()
    }

    /// Every remote binding: prefix, peer, label, and the next hop when it is the one used.
    pub fn remote_bindings(&self) -> Vec<(Prefix4, u32, u32, Option<u32>)> {
        self.remote
            .iter()
            .map(|(&(p, peer), &l)| {
                let used = self
                    .ftn
                    .get(&p)
                    .copied()
                    .or_else(|| self.downstream(p))
                    .filter(|(nh, _)| self.peer_of(*nh) == Some(peer));
                (p, peer, l, used.map(|(nh, _)| nh))
            })
            .collect()
    }

    /// Every local label that is switched: label, prefix, and (next hop, out label) when it
    /// goes somewhere.
    pub fn switched(&self) -> Vec<Switched> {
        self.local
            .iter()
            .filter(|(_, l)| **l > 15)
            .map(|(p, l)| (*l, *p, self.lfib.get(l).copied()))
            .collect()
    }

    /// What a new peer is told: a mapping for every local binding.
    pub fn mappings(&self) -> Vec<(Prefix4, u32)> {
        self.local.iter().map(|(p, l)| (*p, *l)).collect()
    }

    fn reforward_all(&mut self) -> Vec<Out> {
        let mut out = Vec::new();
        let prefixes: Vec<Prefix4> = self
            .routes
            .keys()
            .chain(self.ftn.keys())
            .copied()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        for p in prefixes {
            self.forward(p, &mut out);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Prefix4 {
        s.parse().unwrap()
    }

    fn ip(s: &str) -> u32 {
        u32::from(s.parse::<std::net::Ipv4Addr>().unwrap())
    }

    fn via(nh: &str) -> Option<Route> {
        Some(Route {
            next_hops: vec![ip(nh)],
        })
    }

    const OWN: Option<Route> = Some(Route {
        next_hops: Vec::new(),
    });
    const P: u32 = 0x0aff_0002;

    #[test]
    fn local_bindings_follow_the_routes() {
        let mut lib = Lib::new(16, 20, false);
        // Our own loopback: implicit null, nothing to forward.
        assert_eq!(
            lib.route(p("10.255.0.1/32"), OWN),
            [Out::Map(p("10.255.0.1/32"), IMPLICIT_NULL)]
        );
        // A routed prefix: a label from the range; untagged (popped) towards its next hop
        // until the next hop maps it.
        assert_eq!(
            lib.route(p("10.255.0.3/32"), via("10.12.0.2")),
            [
                Out::Map(p("10.255.0.3/32"), 16),
                Out::Lfib(16, Some((ip("10.12.0.2"), IMPLICIT_NULL)))
            ]
        );
        // The route goes: withdrawn, its label freed and used again.
        assert_eq!(
            lib.route(p("10.255.0.3/32"), None),
            [Out::Withdraw(p("10.255.0.3/32"), 16), Out::Lfib(16, None)]
        );
        assert_eq!(
            lib.route(p("10.0.9.0/24"), via("10.12.0.2"))[0],
            Out::Map(p("10.0.9.0/24"), 16)
        );
        // With use-explicit-null, our own prefixes get label 0.
        let mut e = Lib::new(16, 20, true);
        assert_eq!(
            e.route(p("10.255.0.1/32"), OWN),
            [Out::Map(p("10.255.0.1/32"), EXPLICIT_NULL)]
        );
        // The range runs out: no label, no mapping (the route still forwards as IP).
        let mut tiny = Lib::new(16, 16, false);
        tiny.route(p("1.0.0.0/8"), via("10.0.0.2"));
        assert_eq!(tiny.route(p("2.0.0.0/8"), via("10.0.0.2")), []);
        assert_eq!(tiny.local(p("2.0.0.0/8")), None);
    }

    #[test]
    fn a_mapping_is_used_only_from_the_next_hop_by_its_advertised_address() {
        let mut lib = Lib::new(16, 100, false);
        let far = p("10.255.0.3/32");
        lib.route(far, via("10.12.0.2"));
        // A mapping from P before P advertised 10.12.0.2: kept, not used.
        assert_eq!(lib.mapping(P, far, 300), []);
        assert_eq!(lib.remote(far).collect::<Vec<_>>(), [(P, 300)]);
        // P's addresses arrive: swap 16 → 300 towards 10.12.0.2, push 300 at ingress.
        assert_eq!(
            lib.addresses(P, &[ip("10.12.0.2"), ip("10.255.0.2")], &[]),
            [
                Out::Lfib(16, Some((ip("10.12.0.2"), 300))),
                Out::Ftn(far, Some((ip("10.12.0.2"), 300)))
            ]
        );
        // Another peer's mapping for the same prefix: retained, unused (not our next hop).
        assert_eq!(lib.mapping(0x0aff_0009, far, 900), []);
        // P maps it to implicit null instead (we are the penultimate hop): the LFIB pops,
        // and the FTN's implicit null pushes nothing.
        assert_eq!(
            lib.mapping(P, far, IMPLICIT_NULL),
            [
                Out::Lfib(16, Some((ip("10.12.0.2"), IMPLICIT_NULL))),
                Out::Ftn(far, Some((ip("10.12.0.2"), IMPLICIT_NULL)))
            ]
        );
        // P withdraws: released back, untagged again, no push.
        assert_eq!(
            lib.withdraw(P, far),
            [Out::Release(P, far, IMPLICIT_NULL), Out::Ftn(far, None)]
        );
        // The route moves to the other peer's address once it advertises it: its retained
        // mapping is used at once.
        lib.addresses(0x0aff_0009, &[ip("10.13.0.9")], &[]);
        assert_eq!(
            lib.route(far, via("10.13.0.9")),
            [
                Out::Lfib(16, Some((ip("10.13.0.9"), 900))),
                Out::Ftn(far, Some((ip("10.13.0.9"), 900)))
            ]
        );
        // That peer goes down: its mappings and addresses go with it.
        assert_eq!(
            lib.peer_down(0x0aff_0009),
            [
                Out::Lfib(16, Some((ip("10.13.0.9"), IMPLICIT_NULL))),
                Out::Ftn(far, None)
            ]
        );
        assert_eq!(lib.mappings(), [(far, 16)]);
    }
}
