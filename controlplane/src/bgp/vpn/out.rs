//! What each peer that negotiated VPN-IPv4 is sent: our exported routes, and, as a route
//! reflector (RFC 4456), the best paths received from other iBGP peers, every one whatever
//! its route targets, with ORIGINATOR_ID and CLUSTER_LIST, the next hop and label untouched.
//! Each peer keeps what it was sent, so only changes go out.

use super::codec::{Labelled, Rd};
use super::export::Exported;
use crate::bgp::packet::Attrs;
use bytes::Bytes;
use shared::types::Prefix4;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

/// How the routes are sent to one peer.
#[derive(Debug, Clone, Copy)]
pub struct Target {
    /// Both sides speak 4-octet AS numbers.
    pub as4: bool,
    /// Our address towards it: our exported routes' next hop.
    pub next_hop: u32,
    /// It is in another AS (our AS goes first in the path, no LOCAL_PREF).
    pub ebgp: bool,
    /// Our AS.
    pub local_as: u32,
    /// Our router id (the cluster id of reflected routes).
    pub router_id: u32,
}

/// What a peer has, or should have, for one (RD, prefix).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sent {
    /// One of our VRFs' routes.
    Local(Exported),
    /// A path received from another peer, reflected.
    Reflected {
        /// Its VPN label.
        label: u32,
        /// Its next hop (the PE that exported it).
        next_hop: u32,
        /// Its attributes as received.
        attrs: Arc<Attrs>,
        /// The router id of the peer it came from (ORIGINATOR_ID unless it has one).
        originator: u32,
    },
}

impl Sent {
    /// The label sent with it.
    pub fn label(&self) -> u32 {
        match self {
            Sent::Local(e) => e.label,
            Sent::Reflected { label, .. } => *label,
        }
    }

    /// The attributes and next hop it is sent with.
    pub fn attrs(&self, to: &Target) -> (Attrs, u32) {
        match self {
            Sent::Local(e) => (PeerOut::local_attrs(e, to), to.next_hop),
            Sent::Reflected {
                next_hop,
                attrs,
                originator,
                ..
            } => (reflected(attrs, *originator, to), *next_hop),
        }
    }
}

/// What of a route's attributes crosses between a CE and the VPN, either way: the path,
/// origin, MED and communities (the eBGP rules then prepend our AS, or override the CE's);
/// not the route targets, LOCAL_PREF or the reflectors' attributes.
pub fn to_ce(b: &Attrs) -> Attrs {
    Attrs {
        origin: b.origin,
        as_path: b.as_path.clone(),
        med: b.med,
        communities: b.communities.clone(),
        large_communities: b.large_communities.clone(),
        ..Default::default()
    }
}

/// A received path's attributes as reflected (RFC 4456 §8): ORIGINATOR_ID set once, our
/// cluster id first in CLUSTER_LIST, the rest as received.
fn reflected(a: &Attrs, originator: u32, to: &Target) -> Attrs {
    let mut a = a.clone();
    a.next_hop = None;
    a.originator_id.get_or_insert(originator);
    a.cluster_list.insert(0, to.router_id);
    a
}

/// What one peer has been sent and what it is still to be sent.
#[derive(Debug, Default)]
pub struct PeerOut {
    sent: HashMap<(Rd, Prefix4), Sent>,
    pending: BTreeSet<(Rd, Prefix4)>,
    eor: bool,
}

/// The key of a group of routes sent with the same attributes.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
enum Group {
    Local(Arc<[u64]>, usize),
    Reflected(usize, u32, u32),
}

impl PeerOut {
    /// A new peer: `keys` are due, then End-of-RIB.
    pub fn new<'a>(keys: impl Iterator<Item = &'a (Rd, Prefix4)>) -> PeerOut {
        PeerOut {
            sent: HashMap::new(),
            pending: keys.copied().collect(),
            eor: true,
        }
    }

    /// `key` changed: it is sent again if what the peer has differs.
    pub fn queue(&mut self, key: (Rd, Prefix4)) {
        self.pending.insert(key);
    }

    /// Everything sent is due again (ROUTE-REFRESH).
    pub fn resend(&mut self) {
        self.pending.extend(self.sent.drain().map(|(k, _)| k));
    }

    /// How many routes the peer has.
    pub fn len(&self) -> usize {
        self.sent.len()
    }

    /// Whether it has none.
    pub fn is_empty(&self) -> bool {
        self.sent.is_empty()
    }

    /// What the peer has (for `/routing bgp advertisements print`).
    pub fn sent(&self) -> impl Iterator<Item = (&(Rd, Prefix4), &Sent)> {
        self.sent.iter()
    }

    /// The attributes an exported route is sent with: a CE's BGP route keeps its path, origin,
    /// MED and communities (RFC 4364 §4.3.2); the others are origin incomplete (RouterOS);
    /// our AS first on eBGP, LOCAL_PREF 100 on iBGP, the export route targets.
    pub fn local_attrs(e: &Exported, to: &Target) -> Attrs {
        let mut a = match &e.attrs {
            Some(b) => to_ce(b),
            None => Attrs {
                origin: Some(2),
                ..Default::default()
            },
        };
        a.ext_communities = e.rts.to_vec();
        a.local_pref = (!to.ebgp).then_some(100);
        if to.ebgp {
            a.prepend(to.local_as, 1);
        }
        a
    }

    /// The UPDATEs for everything due; `want` says what the peer should have for a key.
    pub fn messages(
        &mut self,
        want: impl Fn(&(Rd, Prefix4)) -> Option<Sent>,
        to: &Target,
    ) -> Vec<Bytes> {
        let mut gone = Vec::new();
        let mut groups: BTreeMap<Group, (Sent, Vec<Labelled>)> = BTreeMap::new();
        for key in std::mem::take(&mut self.pending) {
            let w = want(&key);
            if w.is_some() && self.sent.get(&key) == w.as_ref() {
                continue;
            }
            let labelled = |labels| Labelled {
                labels,
                rd: Some(key.0),
                prefix: key.1,
            };
            match w {
                Some(s) => {
                    let g = match &s {
                        Sent::Local(e) => {
                            let base = e.attrs.as_ref().map_or(0, |a| Arc::as_ptr(a) as usize);
                            Group::Local(e.rts.clone(), base)
                        }
                        Sent::Reflected {
                            next_hop,
                            attrs,
                            originator,
                            ..
                        } => Group::Reflected(Arc::as_ptr(attrs) as usize, *next_hop, *originator),
                    };
                    let label = s.label();
                    groups
                        .entry(g)
                        .or_insert_with(|| (s.clone(), Vec::new()))
                        .1
                        .push(labelled(vec![label]));
                    self.sent.insert(key, s);
                }
                None => {
                    if self.sent.remove(&key).is_some() {
                        gone.push(labelled(Vec::new()));
                    }
                }
            }
        }
        let mut out = Vec::new();
        super::update::withdraw(&gone, &mut out);
        for (_, (first, routes)) in groups {
            let (a, nh) = first.attrs(to);
            super::update::announce(&a, to.as4, nh, &routes, &mut out);
        }
        if std::mem::take(&mut self.eor) {
            out.push(super::update::end_of_rib());
        }
        out
    }
}
