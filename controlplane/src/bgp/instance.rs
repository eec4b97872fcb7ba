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
    /// The exported VPN routes sent and due (peers that negotiated VPN-IPv4).
    vpn_out: Option<super::vpn::out::PeerOut>,
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
    /// `ip` or `vpnv4`.
    pub afi: &'static str,
    /// A VPN route's distinguisher.
    pub rd: Option<super::vpn::codec::Rd>,
    /// A VPN route's label.
    pub label: Option<u32>,
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
    /// The VRFs' routes exported as VPN-IPv4 routes.
    pub exports: super::vpn::export::Exports,
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

/// A next hop no route can use (RFC 4271 §6.3: the route is ignored): none, our own end
/// of the session, loopback, multicast or reserved.
fn unusable_next_hop(nh: u32, own: u32) -> bool {
    nh == 0 || nh == own || (nh >> 24) == 127 || (nh >> 28) >= 14
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
            exports: Default::default(),
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

    /// The address of `peer`, while its session is up.
    pub fn peer_addr(&self, peer: PeerId) -> Option<u32> {
        self.peers.get(&peer).map(|p| p.info.remote_addr)
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
        let vpn_out = info
            .vpnv4
            .then(|| super::vpn::out::PeerOut::new(self.exports.iter().map(|(k, _)| k)));
        self.peers.insert(
            id,
            PeerRib {
                info,
                adj_out: HashMap::default(),
                received: 0,
                out_withdraw: Vec::new(),
                out_announce: HashMap::default(),
                eor: true,
                vpn_out,
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
        self.vpn_initial(id);
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
        if let Some(v) = &mut p.vpn_out {
            v.resend();
        }
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
            let unusable = unusable_next_hop(nh, own_addr);
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
            let exported = best
                .as_ref()
                .filter(|_| self.exports.exports_from(key.0))
                .and_then(|b| Some((b.attrs.next_hop?, Arc::new(b.attrs.attrs()))));
            self.exports.bgp_best(key.0, key.1, exported);
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
        self.exports.flush();
        for key in self.exports.take_changed() {
            for p in self.peers.values_mut() {
                if let Some(v) = &mut p.vpn_out {
                    v.queue(key);
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
            if local.is_some_and(|l| l.source == Source::BgpVpn) && !default_route && !network {
                // A route from the VPN goes to the CE with the path it came with (the
                // remote CE's AS path: `output.as-override` and the CE's loop check see it).
                if let Some(b) = self.vpn.attrs_for(table, dst) {
                    a = super::vpn::out::to_ce(&b);
                }
            }
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
        let ids: Vec<PeerId> = self.peers.keys().copied().collect();
        for id in ids {
            let mut msgs = self.vpn_messages(id);
            let Some(p) = self.peers.get_mut(&id) else {
                continue;
            };
            if p.out_withdraw.is_empty() && p.out_announce.is_empty() && !p.eor && msgs.is_empty() {
                continue;
            }
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
                    afi: "ip",
                    rd: None,
                    label: None,
                });
            }
            self.vpn_advertised(p, &mut out);
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

mod vpn;

#[cfg(test)]
mod tests;
