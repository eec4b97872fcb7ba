//! The BGP routes of every table: Adj-RIB-In (the paths of each established peer),
//! best-path selection in RouterOS's order, installation in the RIB (distance 20 for
//! eBGP, 200 for iBGP, next hops resolved recursively), and per peer the Adj-RIB-Out with
//! the UPDATEs that keep the peer in step.

use super::config::{DefaultOriginate, NextHopChoice, PeerConfig, Role};
use super::packet::{self, Attrs, Update};
use crate::rib::{Gateway, RouteSpec, Source};
use crate::system::rib_service::Change;
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use shared::types::{Prefix4, TableId};
use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Redistributable routes by table.
pub type Locals = HashMap<TableId, HashMap<Prefix4, Local>>;
/// A set of tables.
pub type Tables = HashSet<TableId>;

/// A session's number.
pub type PeerId = u32;

/// Where a peer's messages go (its writer).
pub type Sender = super::peer::Writer;

/// An established session, as the routes need it.
#[derive(Debug, Clone)]
pub struct PeerInfo {
    /// Its number.
    pub id: PeerId,
    /// Its configuration.
    pub cfg: Arc<PeerConfig>,
    /// The AS it said it is.
    pub remote_as: u32,
    /// Its BGP identifier.
    pub remote_id: u32,
    /// Our end's address: our next hop towards it.
    pub local_addr: u32,
    /// Its address.
    pub remote_addr: u32,
    /// Both sides speak 4-octet AS numbers.
    pub as4: bool,
    /// Both sides offered VPN-IPv4.
    pub vpnv4: bool,
    /// Its messages.
    pub tx: Sender,
}

impl PeerInfo {
    /// In another AS.
    pub fn ebgp(&self) -> bool {
        self.remote_as != self.cfg.local_as
    }
}

/// A received path's attributes as kept: what best-path selection and installation read,
/// and all of them encoded (4-octet AS numbers), decoded again only to advertise. One copy
/// per distinct attribute set (interned by its encoding).
#[derive(Debug)]
pub struct Stored {
    local_pref: Option<u32>,
    med: Option<u32>,
    next_hop: Option<u32>,
    originator_id: Option<u32>,
    first_as: Option<u32>,
    path_len: u16,
    cluster_len: u16,
    origin: u8,
    /// The decoding context (bit 0: 4-octet AS, bit 1: from eBGP), then the attributes as
    /// received.
    raw: Box<[u8]>,
}

/// An interned attribute set, found by its bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Interned(Arc<Stored>);

impl std::borrow::Borrow<[u8]> for Interned {
    fn borrow(&self) -> &[u8] {
        &self.0.raw
    }
}

impl PartialEq for Stored {
    fn eq(&self, o: &Stored) -> bool {
        self.raw == o.raw
    }
}

impl Eq for Stored {}

impl std::hash::Hash for Stored {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        // As the slice hashes: lookups by the received bytes find it.
        self.raw[..].hash(h);
    }
}

/// The interning key of attributes received as `raw` in a session with `ctx`.
fn raw_key(raw: &[u8], ctx: packet::Ctx) -> smallvec::SmallVec<[u8; 256]> {
    let mut k = smallvec::SmallVec::with_capacity(raw.len() + 1);
    k.push(u8::from(ctx.as4) | (u8::from(ctx.ebgp) << 1));
    k.extend_from_slice(raw);
    k
}

impl Stored {
    /// `a` as decoded from `key` (see [`raw_key`]).
    fn new(a: &Attrs, key: &[u8]) -> Stored {
        Stored {
            local_pref: a.local_pref,
            med: a.med,
            next_hop: a.next_hop,
            originator_id: a.originator_id,
            first_as: a.first_as(),
            path_len: u16::try_from(a.path_len()).unwrap_or(u16::MAX),
            cluster_len: u16::try_from(a.cluster_list.len()).unwrap_or(u16::MAX),
            origin: a.origin.unwrap_or(2),
            raw: key.into(),
        }
    }

    /// The attributes, decoded.
    pub fn attrs(&self) -> Attrs {
        let (flags, raw) = self.raw.split_first().unwrap_or((&1, &[]));
        let mut body = Vec::with_capacity(4 + raw.len());
        body.extend([0, 0]);
        body.extend(u16::try_from(raw.len()).unwrap_or(0).to_be_bytes());
        body.extend_from_slice(raw);
        let ctx = packet::Ctx {
            as4: flags & 1 == 1,
            ebgp: flags & 2 == 2,
        };
        packet::decode_update(&body, ctx)
            .map(|u| u.attrs)
            .unwrap_or_default()
    }
}

#[derive(Debug, Clone)]
struct Path {
    peer: PeerId,
    attrs: Arc<Stored>,
}

/// A route the table has from elsewhere that peers may be sent (`output.redistribute`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Local {
    /// `connected` or `static`.
    pub source: Source,
    /// A blackhole route: never redistributed, but it anchors an `output.network` prefix
    /// (the usual way to originate an aggregate).
    pub blackhole: bool,
}

struct PeerRib {
    info: PeerInfo,
    adj_out: HashMap<Prefix4, Arc<Attrs>>,
    received: usize,
    /// Changes not yet sent.
    out_withdraw: Vec<Prefix4>,
    out_announce: HashMap<usize, (Arc<Attrs>, Vec<Prefix4>)>,
    /// End-of-RIB is due after the initial table.
    eor: bool,
}

/// One advertised route, for `/routing bgp advertisements print`.
#[derive(Debug, Clone)]
pub struct Advertised {
    /// The session's name.
    pub peer: String,
    /// The prefix.
    pub dst: Prefix4,
    /// What was sent with it.
    pub attrs: Arc<Attrs>,
}

/// Every BGP route.
pub struct Instance {
    dests: HashMap<(TableId, Prefix4), smallvec::SmallVec<[Path; 1]>>,
    /// Interned attribute sets: one copy for all the routes that share them.
    interned: HashSet<Interned>,
    /// The same for what is sent.
    interned_out: HashSet<Arc<Attrs>>,
    /// Exports computed in this flush: (source attributes, from, to) → what is sent.
    export_cache: HashMap<(usize, PeerId, PeerId), Option<Arc<Attrs>>>,
    peers: BTreeMap<PeerId, PeerRib>,
    /// Redistributable routes by table.
    locals: Locals,
    /// Tables with an active default route (for `default-originate=if-installed`).
    has_default: HashSet<TableId>,
    /// The address lists `output.network` names.
    networks: super::config::NetworkLists,
    dirty: HashSet<(TableId, Prefix4)>,
    /// Routes whose next hop is our own address or unusable: not installed.
    pub ignored: u64,
    /// VPN-IPv4 routes received, and what they import into the VRFs.
    pub vpn: super::vpn::rib::VpnRib,
}

impl Default for Instance {
    fn default() -> Self {
        Self::new()
    }
}

/// The first rules of best path (RFC 4271 §9.1.2.2 a-c in RouterOS's order): LOCAL_PREF
/// (higher wins; eBGP paths count as 100), AS_PATH length (unless
/// `input.ignore-as-path-len`), ORIGIN. Lower ranks win.
fn rank(peers: &BTreeMap<PeerId, PeerRib>, p: &Path) -> (std::cmp::Reverse<u32>, u16, u8) {
    let Some(info) = peers.get(&p.peer).map(|r| &r.info) else {
        return (std::cmp::Reverse(0), u16::MAX, u8::MAX);
    };
    let at = &p.attrs;
    let lp = if info.ebgp() {
        100
    } else {
        at.local_pref.unwrap_or(100)
    };
    let len = if info.cfg.ignore_as_path_len {
        0
    } else {
        at.path_len
    };
    (std::cmp::Reverse(lp), len, at.origin)
}

/// The rules after MED, a total order: eBGP over iBGP, lower ORIGINATOR_ID or router id,
/// shorter CLUSTER_LIST, lower neighbour address.
fn tie_break(peers: &BTreeMap<PeerId, PeerRib>, a: &Path, b: &Path) -> Ordering {
    let (Some(pa), Some(pb)) = (peers.get(&a.peer), peers.get(&b.peer)) else {
        return a.peer.cmp(&b.peer);
    };
    let (x, y) = (&a.attrs, &b.attrs);
    let id = |p: &PeerInfo, at: &Stored| at.originator_id.unwrap_or(p.remote_id);
    pb.info
        .ebgp()
        .cmp(&pa.info.ebgp())
        .then_with(|| id(&pa.info, x).cmp(&id(&pb.info, y)))
        .then_with(|| x.cluster_len.cmp(&y.cluster_len))
        .then_with(|| pa.info.remote_addr.cmp(&pb.info.remote_addr))
        .then_with(|| a.peer.cmp(&b.peer))
}

/// The index of the best of `paths`, by RFC 4271 §9.1.2.2's elimination: the best rank
/// first, then MED among paths from the same neighbouring AS only (a path goes when another
/// from its AS has a lower MED), then the tie-breaks. Comparing MED pairwise is not
/// transitive (A beats B on MED, B beats C on router id, C beats A on router id); eliminating
/// first makes the answer the same whatever order the paths arrived in.
fn best_of(peers: &BTreeMap<PeerId, PeerRib>, paths: &[Path]) -> usize {
    let ranks: Vec<_> = paths.iter().map(|p| rank(peers, p)).collect();
    let Some(top) = ranks.iter().min().copied() else {
        return 0;
    };
    let alive: Vec<usize> = (0..paths.len()).filter(|&i| ranks[i] == top).collect();
    let med = |i: usize| paths[i].attrs.med.unwrap_or(0);
    let survivors = alive.iter().copied().filter(|&i| {
        !alive
            .iter()
            .any(|&j| paths[j].attrs.first_as == paths[i].attrs.first_as && med(j) < med(i))
    });
    survivors
        .min_by(|&i, &j| tie_break(peers, &paths[i], &paths[j]))
        .unwrap_or(0)
}

fn is_private_as(a: u32) -> bool {
    (64512..=65534).contains(&a) || (4_200_000_000..=4_294_967_294).contains(&a)
}

impl Instance {
    /// Empty.
    pub fn new() -> Instance {
        Instance {
            dests: HashMap::default(),
            interned: HashSet::default(),
            interned_out: HashSet::default(),
            export_cache: HashMap::default(),
            peers: BTreeMap::new(),
            locals: HashMap::default(),
            has_default: HashSet::default(),
            networks: Default::default(),
            dirty: HashSet::default(),
            ignored: 0,
            vpn: Default::default(),
        }
    }

    /// Routes in the Loc-RIB (prefixes with at least one path).
    pub fn len(&self) -> usize {
        self.dests.len()
    }

    /// Whether it has no route.
    pub fn is_empty(&self) -> bool {
        self.dests.is_empty()
    }

    /// Prefixes received from `peer` (and kept), VPN-IPv4 ones included.
    pub fn received(&self, peer: PeerId) -> usize {
        let vpn = match self.peers.get(&peer) {
            Some(p) if p.info.vpnv4 => self.vpn.received(peer),
            _ => 0,
        };
        self.peers.get(&peer).map_or(0, |p| p.received) + vpn
    }

    /// Prefixes advertised to `peer`.
    pub fn sent(&self, peer: PeerId) -> usize {
        self.peers.get(&peer).map_or(0, |p| p.adj_out.len())
    }

    fn intern(&mut self, a: &Attrs, raw: Option<&[u8]>, ctx: packet::Ctx) -> Arc<Stored> {
        let key = match raw {
            Some(r) => raw_key(r, ctx),
            None => {
                // Not from the wire (tests): encoded here.
                let mut b = bytes::BytesMut::new();
                a.encode(true, &mut b);
                raw_key(&b, packet::Ctx { as4: true, ..ctx })
            }
        };
        if let Some(x) = self.interned.get(&key[..]) {
            return x.0.clone();
        }
        let x = Arc::new(Stored::new(a, &key));
        self.interned.insert(Interned(x.clone()));
        x
    }

    fn intern_out(&mut self, a: Attrs) -> Arc<Attrs> {
        if let Some(x) = self.interned_out.get(&a) {
            return x.clone();
        }
        let x = Arc::new(a);
        self.interned_out.insert(x.clone());
        x
    }

    /// A session came up: everything it may have is queued for it.
    pub fn peer_up(&mut self, info: PeerInfo) {
        let id = info.id;
        let table = info.cfg.table;
        self.peers.insert(
            id,
            PeerRib {
                info,
                adj_out: HashMap::default(),
                received: 0,
                out_withdraw: Vec::new(),
                out_announce: HashMap::default(),
                eor: true,
            },
        );
        let mut all: HashSet<Prefix4> = self
            .dests
            .keys()
            .filter(|(t, _)| *t == table)
            .map(|k| k.1)
            .collect();
        all.extend(self.locals.get(&table).into_iter().flat_map(|m| m.keys()));
        all.insert(Prefix4::DEFAULT);
        for p in all {
            self.advertise_to(id, table, p);
        }
    }

    /// A session went down: its routes are gone.
    pub fn peer_down(&mut self, id: PeerId) {
        let Some(_) = self.peers.remove(&id) else {
            return;
        };
        self.vpn.peer_down(id);
        let mut emptied = Vec::new();
        for (k, paths) in self.dests.iter_mut() {
            let before = paths.len();
            paths.retain(|p| p.peer != id);
            if paths.len() != before {
                self.dirty.insert(*k);
                if paths.is_empty() {
                    emptied.push(*k);
                }
            }
        }
        for k in emptied {
            self.dests.remove(&k);
        }
    }

    /// The peer asked for everything again (ROUTE-REFRESH).
    pub fn refresh(&mut self, id: PeerId) {
        let Some(p) = self.peers.get_mut(&id) else {
            return;
        };
        let sent: Vec<(Prefix4, Arc<Attrs>)> =
            p.adj_out.iter().map(|(d, a)| (*d, a.clone())).collect();
        for (dst, a) in sent {
            let key = Arc::as_ptr(&a) as usize;
            p.out_announce
                .entry(key)
                .or_insert_with(|| (a, Vec::new()))
                .1
                .push(dst);
        }
    }

    /// An UPDATE from `id` (already decoded and checked by the session).
    pub fn update(&mut self, id: PeerId, u: Update) {
        self.update_raw(id, u, None);
    }

    /// An UPDATE from `id` with the bytes of its path attributes as received.
    pub fn update_raw(&mut self, id: PeerId, u: Update, raw: Option<&[u8]>) {
        let Some(peer) = self.peers.get(&id) else {
            return;
        };
        let ctx = packet::Ctx {
            as4: peer.info.as4,
            ebgp: peer.info.ebgp(),
        };
        let table = peer.info.cfg.table;
        let local_as = peer.info.cfg.local_as;
        let allow = usize::from(peer.info.cfg.allow_as);
        let own_addr = peer.info.local_addr;
        if peer.info.vpnv4 {
            self.vpn_update(id, &u);
        }
        let mut removed = 0usize;
        for p in &u.withdrawn {
            if self.remove_path(table, *p, id) {
                removed += 1;
            }
        }
        let mut added = 0usize;
        if !u.nlri.is_empty() {
            // RFC 4271 §9.1.2: our own AS in the path is a loop; a next hop of our own
            // or an unusable one makes the route unusable (RFC 4271 §6.3: ignored).
            let nh = u.attrs.next_hop.unwrap_or(0);
            let unusable = nh == 0 || nh == own_addr || (nh >> 24) == 127 || (nh >> 28) >= 14;
            if u.attrs.has_loop(local_as, allow) || unusable {
                if unusable {
                    self.ignored += u.nlri.len() as u64;
                }
                for p in &u.nlri {
                    if self.remove_path(table, *p, id) {
                        removed += 1;
                    }
                }
            } else {
                let attrs = self.intern(&u.attrs, raw, ctx);
                for p in u.nlri {
                    let paths = self.dests.entry((table, p)).or_default();
                    match paths.iter_mut().find(|x| x.peer == id) {
                        Some(x) => x.attrs = attrs.clone(),
                        None => {
                            paths.push(Path {
                                peer: id,
                                attrs: attrs.clone(),
                            });
                            added += 1;
                        }
                    }
                    self.dirty.insert((table, p));
                }
            }
        }
        if let Some(peer) = self.peers.get_mut(&id) {
            peer.received = (peer.received + added).saturating_sub(removed);
            if let Some(limit) = peer.info.cfg.limit_v4 {
                if peer.received > limit as usize {
                    peer.info
                        .tx
                        .tell(super::peer::PeerMsg::LimitExceeded(limit));
                }
            }
        }
    }

    /// The VPN-IPv4 routes of an UPDATE (checked by the session) into the VPN RIB.
    fn vpn_update(&mut self, id: PeerId, u: &Update) {
        use super::vpn::codec;
        if let Some(w) = u.mp_unreach.as_ref().filter(|w| w.safi == packet::afi::VPN) {
            if let Ok(gone) = codec::decode(&w.withdrawn, true, true, 1) {
                self.vpn.withdraw(id, &gone);
            }
        }
        let Some(r) = u.mp_reach.as_ref().filter(|r| r.safi == packet::afi::VPN) else {
            return;
        };
        let (Ok(routes), Some(nh)) = (
            codec::decode(&r.nlri, true, false, 1),
            codec::decode_next_hop(&r.next_hop),
        ) else {
            return;
        };
        let local_as = self.peers.get(&id).map_or(0, |p| p.info.cfg.local_as);
        if matches!(u.treatment, packet::Treatment::TreatAsWithdraw(_))
            || u.attrs.has_loop(local_as, 0)
        {
            self.vpn.withdraw(id, &routes);
            return;
        }
        let attrs = super::vpn::rib::PathAttrs {
            next_hop: nh,
            local_pref: u.attrs.local_pref.unwrap_or(100),
            path_len: u.attrs.path_len(),
            ext_communities: u.attrs.ext_communities.clone(),
        };
        self.vpn.announce(id, &routes, &attrs);
    }

    fn remove_path(&mut self, table: TableId, p: Prefix4, id: PeerId) -> bool {
        let Some(paths) = self.dests.get_mut(&(table, p)) else {
            return false;
        };
        let before = paths.len();
        paths.retain(|x| x.peer != id);
        let gone = paths.len() != before;
        if paths.is_empty() {
            self.dests.remove(&(table, p));
        }
        if gone {
            self.dirty.insert((table, p));
        }
        gone
    }

    /// The redistributable routes and active default routes of every table (from the RIB).
    pub fn set_locals(&mut self, locals: Locals, has_default: Tables) {
        let mut touched: HashSet<(TableId, Prefix4)> = HashSet::default();
        for (t, m) in &self.locals {
            for (p, l) in m {
                if locals.get(t).and_then(|n| n.get(p)) != Some(l) {
                    touched.insert((*t, *p));
                }
            }
        }
        for (t, m) in &locals {
            for (p, l) in m {
                if self.locals.get(t).and_then(|n| n.get(p)) != Some(l) {
                    touched.insert((*t, *p));
                }
            }
        }
        for t in self.has_default.symmetric_difference(&has_default) {
            touched.insert((*t, Prefix4::DEFAULT));
        }
        self.locals = locals;
        self.has_default = has_default;
        self.dirty.extend(touched);
    }

    /// The RIB's entry for (table, dst) from another source is now `local` (`None`: none).
    pub fn set_local(&mut self, table: TableId, dst: Prefix4, local: Option<Local>) {
        let m = self.locals.entry(table).or_default();
        let old = match local {
            Some(l) => m.insert(dst, l),
            None => m.remove(&dst),
        };
        if old != local {
            self.dirty.insert((table, dst));
        }
    }

    /// Whether `table` has an active default route (`default-originate=if-installed`).
    pub fn set_default(&mut self, table: TableId, active: bool) {
        let changed = if active {
            self.has_default.insert(table)
        } else {
            self.has_default.remove(&table)
        };
        if changed {
            self.dirty.insert((table, Prefix4::DEFAULT));
        }
    }

    /// The address lists `output.network` may name. Prefixes that came or went are looked
    /// at again in every table.
    pub fn set_networks(&mut self, lists: super::config::NetworkLists) {
        if lists == self.networks {
            return;
        }
        let mut touched: HashSet<Prefix4> = HashSet::default();
        for l in self.networks.values().chain(lists.values()) {
            touched.extend(l.iter().copied());
        }
        let tables: HashSet<TableId> = self.peers.values().map(|p| p.info.cfg.table).collect();
        for t in tables {
            self.dirty.extend(touched.iter().map(|p| (t, *p)));
        }
        self.networks = lists;
    }

    /// The best path of a destination, moved to the front.
    fn select(&mut self, key: (TableId, Prefix4)) -> Option<Path> {
        let paths = self.dests.get_mut(&key)?;
        if paths.len() > 1 {
            let best = best_of(&self.peers, paths);
            paths.swap(0, best);
        }
        paths.first().cloned()
    }

    /// Applies what changed: the RIB's changes go into `rib` (a batch for the RIB), and
    /// every peer's pending UPDATEs are sent.
    pub fn flush(&mut self, rib: &mut Vec<Change>) {
        let dirty: Vec<(TableId, Prefix4)> = self.dirty.drain().collect();
        let peer_ids: Vec<(PeerId, TableId)> = self
            .peers
            .iter()
            .map(|(id, p)| (*id, p.info.cfg.table))
            .collect();
        for key in dirty {
            let best = self.select(key);
            let spec = best.as_ref().and_then(|b| {
                let p = self.peers.get(&b.peer)?;
                let nh = b.attrs.next_hop?;
                let single_hop = p.info.ebgp() && !p.info.cfg.multihop;
                Some(RouteSpec {
                    table: key.0,
                    dst: key.1,
                    source: Source::Bgp,
                    distance: if p.info.ebgp() { 20 } else { 200 },
                    scope: 40,
                    target_scope: if single_hop { 10 } else { 30 },
                    gateways: smallvec::smallvec![Gateway::Ip {
                        ip: nh,
                        table: key.0,
                        port: None,
                    }],
                    blackhole: false,
                    labels: Default::default(),
                })
            });
            rib.push(match spec {
                Some(s) => Change::Upsert(s),
                None => Change::Withdraw {
                    table: key.0,
                    dst: key.1,
                },
            });
            for (id, t) in &peer_ids {
                if *t == key.0 {
                    self.advertise_to(*id, key.0, key.1);
                }
            }
        }
        self.send_pending();
        self.export_cache.clear();
    }

    /// What `peer` should have for `dst`, queued when it differs from what it has.
    fn advertise_to(&mut self, peer: PeerId, table: TableId, dst: Prefix4) {
        let want = self.export(peer, table, dst);
        let Some(p) = self.peers.get_mut(&peer) else {
            return;
        };
        match want {
            Some(a) => {
                if p.adj_out.get(&dst).is_some_and(|x| **x == *a) {
                    return;
                }
                let key = Arc::as_ptr(&a) as usize;
                p.out_announce
                    .entry(key)
                    .or_insert_with(|| (a.clone(), Vec::new()))
                    .1
                    .push(dst);
                p.adj_out.insert(dst, a);
            }
            None => {
                if p.adj_out.remove(&dst).is_some() {
                    p.out_withdraw.push(dst);
                }
            }
        }
    }

    /// The attributes `peer` gets for `dst`, or `None` (not advertised).
    fn export(&mut self, peer: PeerId, table: TableId, dst: Prefix4) -> Option<Arc<Attrs>> {
        let to = &self.peers.get(&peer)?.info;
        let cfg = to.cfg.clone();
        if !cfg.ipv4 {
            return None;
        }
        let to_ebgp = to.ebgp();
        let local = self.locals.get(&table).and_then(|m| m.get(&dst)).copied();
        let redistributes = |s: Source| {
            let name = match s {
                Source::Connected => "connected",
                Source::Static => "static",
                Source::Ospf => "ospf",
                Source::Bgp => "bgp",
                Source::BgpVpn => "bgp-mpls-vpn",
            };
            cfg.redistribute.iter().any(|r| r == name)
        };
        let default_route = dst == Prefix4::DEFAULT
            && match cfg.default_originate {
                DefaultOriginate::Always => true,
                DefaultOriginate::IfInstalled => self.has_default.contains(&table),
                DefaultOriginate::Never => false,
            };
        let mut a: Attrs;
        let mut from_peer: Option<&PeerInfo> = None;
        let mut cache_key = None;
        // RouterOS: an `output.network` prefix is sent while a matching route is active.
        let network = local.is_some()
            && cfg
                .network
                .as_ref()
                .and_then(|n| self.networks.get(n))
                .is_some_and(|l| l.binary_search(&dst).is_ok());
        if default_route
            || network
            || local.is_some_and(|l| !l.blackhole && redistributes(l.source))
        {
            a = Attrs {
                origin: Some(if default_route || network { 0 } else { 2 }),
                ..Attrs::default()
            };
        } else {
            let best = self.dests.get(&(table, dst))?.first()?;
            if best.peer == peer {
                return None;
            }
            let src = &self.peers.get(&best.peer)?.info;
            if !src.ebgp() && !to_ebgp {
                // iBGP to iBGP only through reflection (RFC 4456).
                let client = |p: &PeerInfo| p.cfg.role == Role::IbgpRr;
                let reflect = client(to) || (client(src) && !cfg.no_c2c_reflection);
                if !reflect {
                    return None;
                }
            }
            let key = (Arc::as_ptr(&best.attrs) as usize, best.peer, peer);
            if let Some(c) = self.export_cache.get(&key) {
                return c.clone();
            }
            a = best.attrs.attrs();
            from_peer = Some(src);
            cache_key = Some(key);
        }
        let self_nh = to.local_addr;
        if to_ebgp {
            if let Some(src) = from_peer {
                // RFC 4271 §5.1.4: a MED is not passed on to another AS.
                let _ = src;
                a.med = None;
            }
            a.local_pref = None;
            a.originator_id = None;
            a.cluster_list.clear();
            if cfg.remove_private_as {
                for s in &mut a.as_path {
                    s.asns.retain(|x| !is_private_as(*x));
                }
                a.as_path.retain(|s| !s.asns.is_empty());
            }
            if cfg.as_override {
                for s in &mut a.as_path {
                    for x in &mut s.asns {
                        if *x == to.remote_as {
                            *x = cfg.local_as;
                        }
                    }
                }
            }
            a.prepend(cfg.local_as, 1 + usize::from(cfg.default_prepend));
            a.next_hop = match (cfg.nexthop_choice, from_peer) {
                (NextHopChoice::Propagate, Some(_)) => a.next_hop,
                _ => Some(self_nh),
            };
        } else {
            a.local_pref = Some(a.local_pref.unwrap_or(100));
            match from_peer {
                Some(src) if !src.ebgp() => {
                    // Reflected: RFC 4456 §8.
                    a.originator_id.get_or_insert(src.remote_id);
                    a.cluster_list.insert(0, cfg.router_id);
                    if cfg.nexthop_choice == NextHopChoice::ForceSelf {
                        a.next_hop = Some(self_nh);
                    }
                }
                Some(_) => {
                    if cfg.nexthop_choice == NextHopChoice::ForceSelf {
                        a.next_hop = Some(self_nh);
                    }
                }
                None => a.next_hop = Some(self_nh),
            }
        }
        let out = self.intern_out(a);
        if let Some(k) = cache_key {
            self.export_cache.insert(k, Some(out.clone()));
        }
        Some(out)
    }

    /// Encodes and sends every peer's pending changes.
    fn send_pending(&mut self) {
        for p in self.peers.values_mut() {
            if p.out_withdraw.is_empty() && p.out_announce.is_empty() && !p.eor {
                continue;
            }
            let mut msgs = Vec::new();
            let mut w = std::mem::take(&mut p.out_withdraw);
            w.sort();
            packet::withdraw_updates(&w, &mut msgs);
            let mut groups: Vec<(Arc<Attrs>, Vec<Prefix4>)> =
                p.out_announce.drain().map(|(_, v)| v).collect();
            groups.sort_by(|a, b| a.1.first().cmp(&b.1.first()));
            for (a, mut list) in groups {
                list.sort();
                packet::announce_updates(&a, p.info.as4, &list, &mut msgs);
            }
            if std::mem::take(&mut p.eor) {
                msgs.push(packet::end_of_rib());
            }
            for m in msgs {
                // A peer that leaves too much unread: its session is ending, nothing more
                // is queued for it.
                if !p.info.tx.send(m) {
                    break;
                }
            }
        }
    }

    /// The peer of a session has the prefix as its best path here.
    pub fn best_peer(&self, table: TableId, dst: Prefix4) -> Option<PeerId> {
        self.dests.get(&(table, dst))?.first().map(|p| p.peer)
    }

    /// What was sent to peers that keep sent attributes.
    pub fn advertised(&self) -> Vec<Advertised> {
        let mut out = Vec::new();
        for p in self.peers.values() {
            if !p.info.cfg.keep_sent {
                continue;
            }
            let mut list: Vec<_> = p.adj_out.iter().collect();
            list.sort_by_key(|x| *x.0);
            for (dst, a) in list {
                out.push(Advertised {
                    peer: p.info.cfg.name.clone(),
                    dst: *dst,
                    attrs: a.clone(),
                });
            }
        }
        out
    }

    /// Drops attribute sets no route uses any more.
    pub fn gc(&mut self) {
        self.export_cache.clear();
        self.interned.retain(|a| Arc::strong_count(&a.0) > 1);
        self.interned_out.retain(|a| Arc::strong_count(a) > 1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bgp::config::{DefaultOriginate, NextHopChoice, Role};
    use crate::bgp::packet::{seg, Segment};
    use bytes::Bytes;
    use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver};

    fn cfg(name: &str, role: Role) -> Arc<PeerConfig> {
        Arc::new(PeerConfig {
            name: name.into(),
            remote: std::net::Ipv4Addr::UNSPECIFIED,
            remote_port: 179,
            remote_as: None,
            local_address: None,
            local_port: 179,
            role,
            local_as: 65000,
            router_id: 0x0a00_0001,
            hold_time: 180,
            keepalive: None,
            multihop: false,
            nexthop_choice: NextHopChoice::Default,
            vrf: "main".into(),
            vrf_id: 0,
            table: TableId::MAIN,
            connect: true,
            listen: true,
            md5: None,
            ipv4: true,
            vpnv4: false,
            redistribute: vec!["connected".into()],
            default_originate: DefaultOriginate::Never,
            allow_as: 0,
            limit_v4: None,
            ignore_as_path_len: false,
            keep_sent: true,
            default_prepend: 0,
            remove_private_as: false,
            as_override: false,
            no_c2c_reflection: false,
            network: Some("BGP_OUT".into()),
        })
    }

    struct Peer {
        rx: UnboundedReceiver<Bytes>,
    }

    impl Peer {
        /// Every UPDATE sent so far, decoded.
        fn updates(&mut self) -> Vec<Update> {
            let mut out = Vec::new();
            while let Ok(m) = self.rx.try_recv() {
                assert_eq!(m[18], packet::msg::UPDATE);
                let ctx = packet::Ctx {
                    as4: true,
                    ebgp: false,
                };
                out.push(packet::decode_update(&m[packet::HEADER_LEN..], ctx).unwrap());
            }
            out
        }
    }

    fn up(inst: &mut Instance, id: PeerId, role: Role, remote_as: u32, addr: u32) -> Peer {
        let (tx, rx) = unbounded_channel();
        let tx = super::super::peer::Writer::new(tx, tokio::sync::mpsc::channel(1).0);
        inst.peer_up(PeerInfo {
            id,
            cfg: cfg(&format!("p{id}"), role),
            remote_as,
            remote_id: addr,
            local_addr: 0x0a00_0001,
            remote_addr: addr,
            as4: true,
            vpnv4: false,
            tx,
        });
        Peer { rx }
    }

    fn p(s: &str) -> Prefix4 {
        s.parse().unwrap()
    }

    fn route(path: &[u32], nh: u32, f: impl FnOnce(&mut Attrs)) -> Update {
        let mut attrs = Attrs {
            origin: Some(0),
            as_path: vec![Segment {
                kind: seg::SEQUENCE,
                asns: path.to_vec(),
            }],
            next_hop: Some(nh),
            ..Attrs::default()
        };
        f(&mut attrs);
        Update {
            nlri: vec![p("172.16.0.0/16")],
            attrs,
            ..Update::default()
        }
    }

    /// The route installed last for 172.16.0.0/16 in main, by the changes sent to the RIB.
    fn gateway(b: &[Change]) -> Option<(u32, u8)> {
        let dst = p("172.16.0.0/16");
        let s = b.iter().rev().find_map(|c| match c {
            Change::Upsert(s) if s.dst == dst && s.table == TableId::MAIN => Some(Some(s)),
            Change::Withdraw { table, dst: d } if *d == dst && *table == TableId::MAIN => {
                Some(None)
            }
            _ => None,
        })??;
        match s.gateways[0] {
            Gateway::Ip { ip, .. } => Some((ip, s.distance)),
            Gateway::Port(_) => None,
        }
    }

    #[test]
    fn best_path_in_routeros_order() {
        let mut i = Instance::new();
        let mut b = Vec::<Change>::new();
        let _a = up(&mut i, 1, Role::Ebgp, 65001, 0x0a00_0101);
        let _e = up(&mut i, 2, Role::Ebgp, 65002, 0x0a00_0102);
        let _c = up(&mut i, 3, Role::Ibgp, 65000, 0x0a00_0103);
        // Shorter AS path wins.
        i.update(1, route(&[65001, 1, 2], 0x0a00_0101, |_| {}));
        i.update(2, route(&[65002, 3], 0x0a00_0102, |_| {}));
        i.flush(&mut b);
        assert_eq!(gateway(&b), Some((0x0a00_0102, 20)));
        // A higher LOCAL_PREF (iBGP) beats the shorter path; installed with distance 200.
        i.update(
            3,
            route(&[65009, 7, 8, 9], 0x0a00_0903, |a| a.local_pref = Some(200)),
        );
        i.flush(&mut b);
        assert_eq!(gateway(&b), Some((0x0a00_0903, 200)));
        // LOCAL_PREF back to the default: the path length decides again.
        i.update(
            3,
            route(&[65009, 7, 8, 9], 0x0a00_0903, |a| a.local_pref = Some(100)),
        );
        i.flush(&mut b);
        assert_eq!(gateway(&b), Some((0x0a00_0102, 20)));
        // Equal length: lower ORIGIN wins.
        i.update(1, route(&[65001, 5], 0x0a00_0101, |_| {}));
        i.update(2, route(&[65002, 3], 0x0a00_0102, |a| a.origin = Some(2)));
        i.flush(&mut b);
        assert_eq!(gateway(&b), Some((0x0a00_0101, 20)));
        // MEDs of different neighbour ASes are not compared; the lower router id decides.
        i.update(2, route(&[65002, 3], 0x0a00_0102, |a| a.med = Some(0)));
        i.update(1, route(&[65001, 5], 0x0a00_0101, |a| a.med = Some(50)));
        i.flush(&mut b);
        assert_eq!(gateway(&b), Some((0x0a00_0101, 20)));
        // eBGP over iBGP when all else is equal.
        i.update(3, route(&[65001, 5], 0x0a00_0903, |a| a.med = Some(50)));
        i.flush(&mut b);
        assert_eq!(i.best_peer(TableId::MAIN, p("172.16.0.0/16")), Some(1));
        // Withdrawn by all: gone from the RIB.
        for id in 1..=3 {
            i.update(
                id,
                Update {
                    withdrawn: vec![p("172.16.0.0/16")],
                    ..Update::default()
                },
            );
        }
        i.flush(&mut b);
        assert_eq!(gateway(&b), None);
    }

    #[test]
    fn best_path_does_not_depend_on_arrival_order() {
        // MED counts only within a neighbour AS, so comparing pairwise is not transitive:
        // P1 (AS 65100, MED 20, id .1) loses to P2 (AS 65100, MED 10, id .3) on MED, P2
        // loses to P3 (AS 65200, id .2) on router id, P3 loses to P1 on router id. The
        // RFC's elimination: P1 goes (P2's MED), then P3 beats P2. Every order agrees.
        let paths = [
            (1, 65100, 0x0a00_0101, 20),
            (2, 65100, 0x0a00_0103, 10),
            (3, 65200, 0x0a00_0102, 0),
        ];
        let orders = [
            [0, 1, 2],
            [0, 2, 1],
            [1, 0, 2],
            [1, 2, 0],
            [2, 0, 1],
            [2, 1, 0],
        ];
        for order in orders {
            let mut i = Instance::new();
            let mut peers = Vec::new();
            for &(id, asn, addr, _) in &paths {
                peers.push(up(&mut i, id, Role::Ebgp, asn, addr));
            }
            for k in order {
                let (id, asn, addr, med) = paths[k];
                i.update(id, route(&[asn, 7], addr, |a| a.med = Some(med)));
                let mut b = Vec::new();
                i.flush(&mut b);
            }
            assert_eq!(
                i.best_peer(TableId::MAIN, p("172.16.0.0/16")),
                Some(3),
                "arrival order {order:?}"
            );
        }
    }

    #[test]
    fn loops_and_unusable_next_hops_are_not_installed() {
        let mut i = Instance::new();
        let mut b = Vec::<Change>::new();
        let _a = up(&mut i, 1, Role::Ebgp, 65001, 0x0a00_0101);
        i.update(1, route(&[65001, 65000, 3], 0x0a00_0101, |_| {}));
        i.flush(&mut b);
        assert_eq!(gateway(&b), None, "our own AS in the path");
        i.update(1, route(&[65001], 0x0a00_0001, |_| {}));
        i.flush(&mut b);
        assert_eq!(gateway(&b), None, "our own address as the next hop");
        i.update(1, route(&[65001], 0x7f00_0001, |_| {}));
        i.flush(&mut b);
        assert_eq!(gateway(&b), None, "a loopback next hop");
        assert_eq!(i.received(1), 0);
    }

    #[test]
    fn what_peers_are_sent() {
        let mut i = Instance::new();
        let mut b = Vec::<Change>::new();
        let mut e1 = up(&mut i, 1, Role::Ebgp, 65001, 0x0a00_0101);
        let mut e2 = up(&mut i, 2, Role::Ebgp, 65002, 0x0a00_0102);
        let mut i3 = up(&mut i, 3, Role::Ibgp, 65000, 0x0a00_0103);
        let mut i4 = up(&mut i, 4, Role::Ibgp, 65000, 0x0a00_0104);
        i.flush(&mut b);
        // Each got End-of-RIB and nothing else.
        for peer in [&mut e1, &mut e2, &mut i3, &mut i4] {
            let u = peer.updates();
            assert_eq!(u.len(), 1);
            assert!(u[0].is_eor());
        }
        i.update(
            1,
            route(&[65001, 7], 0x0a00_0101, |a| {
                a.med = Some(5);
                a.communities = vec![0xfde9_0001];
            }),
        );
        i.flush(&mut b);
        assert!(e1.updates().is_empty(), "not back to where it came from");
        // eBGP: our AS prepended, next hop self, no MED or LOCAL_PREF, communities kept.
        let u = e2.updates();
        assert_eq!(u.len(), 1);
        assert_eq!(u[0].nlri, [p("172.16.0.0/16")]);
        assert_eq!(u[0].attrs.as_path_text(), "65000,65001,7");
        assert_eq!(u[0].attrs.next_hop, Some(0x0a00_0001));
        assert_eq!((u[0].attrs.med, u[0].attrs.local_pref), (None, None));
        assert_eq!(u[0].attrs.communities, [0xfde9_0001]);
        // iBGP: path as received, next hop unchanged, LOCAL_PREF 100.
        let u = i3.updates();
        assert_eq!(u[0].attrs.as_path_text(), "65001,7");
        assert_eq!(u[0].attrs.next_hop, Some(0x0a00_0101));
        assert_eq!(u[0].attrs.local_pref, Some(100));
        i4.updates();
        // An iBGP-learned route is not passed to another iBGP peer (no reflection).
        i.update(
            3,
            Update {
                nlri: vec![p("192.0.2.0/24")],
                attrs: Attrs {
                    origin: Some(0),
                    next_hop: Some(0x0a00_0903),
                    local_pref: Some(100),
                    ..Attrs::default()
                },
                ..Update::default()
            },
        );
        i.flush(&mut b);
        assert!(i4.updates().is_empty());
        assert_eq!(e2.updates()[0].attrs.as_path_text(), "65000");
        // The source goes down: its routes are withdrawn from the others.
        i.peer_down(1);
        i.flush(&mut b);
        let u = e2.updates();
        assert_eq!(u.len(), 1);
        assert_eq!(u[0].withdrawn, [p("172.16.0.0/16")]);
        assert_eq!(gateway(&b), None);
    }

    #[test]
    fn redistributed_and_default_routes() {
        let mut i = Instance::new();
        let mut b = Vec::<Change>::new();
        let mut e = up(&mut i, 1, Role::Ebgp, 65001, 0x0a00_0101);
        i.flush(&mut b);
        e.updates();
        let mut locals = Locals::default();
        locals.entry(TableId::MAIN).or_default().insert(
            p("10.0.0.0/24"),
            Local {
                source: Source::Connected,
                blackhole: false,
            },
        );
        locals.entry(TableId::MAIN).or_default().insert(
            p("10.9.0.0/24"),
            Local {
                source: Source::Static,
                blackhole: false,
            },
        );
        i.set_locals(locals, Tables::default());
        i.flush(&mut b);
        let u = e.updates();
        assert_eq!(u.len(), 1, "only connected is redistributed");
        assert_eq!(u[0].nlri, [p("10.0.0.0/24")]);
        assert_eq!(u[0].attrs.origin, Some(2), "incomplete");
        assert_eq!(u[0].attrs.as_path_text(), "65000");
        i.set_locals(Locals::default(), Tables::default());
        i.flush(&mut b);
        assert_eq!(e.updates()[0].withdrawn, [p("10.0.0.0/24")]);
        assert_eq!(i.advertised().len(), 0);
    }

    #[test]
    fn output_network_prefixes_are_sent_while_a_matching_route_is_active() {
        let mut i = Instance::new();
        let mut b = Vec::<Change>::new();
        let mut e = up(&mut i, 1, Role::Ebgp, 65001, 0x0a00_0101);
        i.flush(&mut b);
        e.updates();
        i.set_networks(super::super::config::NetworkLists::from([(
            "BGP_OUT".to_string(),
            vec![p("10.8.0.0/16"), p("192.0.2.0/24")],
        )]));
        let local = |source, blackhole| Local { source, blackhole };
        let mut locals = Locals::default();
        let t = locals.entry(TableId::MAIN).or_default();
        // Listed and anchored by a blackhole static route: sent, ORIGIN igp.
        t.insert(p("10.8.0.0/16"), local(Source::Static, true));
        // A longer route inside a listed prefix is no exact match; unlisted static is not
        // redistributed (only connected is), a blackhole never.
        t.insert(p("192.0.2.128/25"), local(Source::Static, false));
        t.insert(p("10.7.0.0/16"), local(Source::Static, true));
        i.set_locals(locals.clone(), Tables::default());
        i.flush(&mut b);
        let u = e.updates();
        assert_eq!(u.len(), 1, "{u:?}");
        assert_eq!(u[0].nlri, [p("10.8.0.0/16")]);
        assert_eq!(u[0].attrs.origin, Some(0), "igp");
        // The list gains 10.7.0.0/16 (its blackhole route is there): sent.
        i.set_networks(super::super::config::NetworkLists::from([(
            "BGP_OUT".to_string(),
            vec![p("10.7.0.0/16"), p("10.8.0.0/16")],
        )]));
        i.flush(&mut b);
        assert_eq!(e.updates()[0].nlri, [p("10.7.0.0/16")]);
        // The route goes: the prefix is withdrawn.
        locals
            .get_mut(&TableId::MAIN)
            .unwrap()
            .remove(&p("10.8.0.0/16"));
        i.set_locals(locals, Tables::default());
        i.flush(&mut b);
        assert_eq!(e.updates()[0].withdrawn, [p("10.8.0.0/16")]);
    }

    #[test]
    fn default_originate() {
        let mut i = Instance::new();
        let mut b = Vec::<Change>::new();
        let (tx, rx) = unbounded_channel();
        let tx = super::super::peer::Writer::new(tx, tokio::sync::mpsc::channel(1).0);
        let mut c = (*cfg("d", Role::Ebgp)).clone();
        c.default_originate = DefaultOriginate::IfInstalled;
        i.peer_up(PeerInfo {
            id: 1,
            cfg: Arc::new(c),
            remote_as: 65001,
            remote_id: 1,
            local_addr: 0x0a00_0001,
            remote_addr: 0x0a00_0002,
            as4: true,
            vpnv4: false,
            tx,
        });
        let mut e = Peer { rx };
        i.flush(&mut b);
        let u = e.updates();
        assert!(
            u.len() == 1 && u[0].is_eor(),
            "no default route in the table yet"
        );
        let mut t = Tables::default();
        t.insert(TableId::MAIN);
        i.set_locals(Locals::default(), t);
        i.flush(&mut b);
        let u = e.updates();
        assert_eq!(u[0].nlri, [Prefix4::DEFAULT]);
        assert_eq!(u[0].attrs.origin, Some(0));
        assert_eq!(u[0].attrs.next_hop, Some(0x0a00_0001));
        i.set_locals(Locals::default(), Tables::default());
        i.flush(&mut b);
        assert_eq!(e.updates()[0].withdrawn, [Prefix4::DEFAULT]);
    }
}
