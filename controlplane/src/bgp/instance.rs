//! The BGP routes of every table: Adj-RIB-In (the paths of each established peer),
//! best-path selection in RouterOS's order, installation in the RIB (distance 20 for
//! eBGP, 200 for iBGP, next hops resolved recursively), and per peer the Adj-RIB-Out with
//! the UPDATEs that keep the peer in step.

use super::config::{DefaultOriginate, NextHopChoice, PeerConfig, Role};
use super::packet::{self, Attrs, Update};
use crate::fwd::{Builder, Origin};
use crate::rib::{Gateway, RouteSpec, Source};
use bytes::Bytes;
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
pub type Sender = tokio::sync::mpsc::UnboundedSender<Bytes>;

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
    /// Its messages.
    pub tx: Sender,
}

impl PeerInfo {
    /// In another AS.
    pub fn ebgp(&self) -> bool {
        self.remote_as != self.cfg.local_as
    }
}

#[derive(Debug, Clone)]
struct Path {
    peer: PeerId,
    attrs: Arc<Attrs>,
}

/// A route the table has from elsewhere that peers may be sent (`output.redistribute`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Local {
    /// `connected` or `static`.
    pub source: Source,
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
    dests: HashMap<(TableId, Prefix4), Vec<Path>>,
    /// Interned attribute sets: one copy for all the routes that share them.
    interned: HashSet<Arc<Attrs>>,
    peers: BTreeMap<PeerId, PeerRib>,
    /// Redistributable routes by table.
    locals: Locals,
    /// Tables with an active default route (for `default-originate=if-installed`).
    has_default: HashSet<TableId>,
    dirty: HashSet<(TableId, Prefix4)>,
    /// Routes whose next hop is our own address or unusable: not installed.
    pub ignored: u64,
}

impl Default for Instance {
    fn default() -> Self {
        Self::new()
    }
}

/// The RIB key of a BGP route.
pub fn origin_key(t: TableId, p: Prefix4) -> Origin {
    Origin::Protocol {
        source: Source::Bgp,
        key: (u64::from(t.0) << 40) | (u64::from(p.addr()) << 8) | u64::from(p.len()),
    }
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
            peers: BTreeMap::new(),
            locals: HashMap::default(),
            has_default: HashSet::default(),
            dirty: HashSet::default(),
            ignored: 0,
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

    /// Prefixes received from `peer` (and kept).
    pub fn received(&self, peer: PeerId) -> usize {
        self.peers.get(&peer).map_or(0, |p| p.received)
    }

    /// Prefixes advertised to `peer`.
    pub fn sent(&self, peer: PeerId) -> usize {
        self.peers.get(&peer).map_or(0, |p| p.adj_out.len())
    }

    fn intern(&mut self, a: Attrs) -> Arc<Attrs> {
        if let Some(x) = self.interned.get(&a) {
            return x.clone();
        }
        let x = Arc::new(a);
        self.interned.insert(x.clone());
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
        let Some(peer) = self.peers.get(&id) else {
            return;
        };
        let table = peer.info.cfg.table;
        let local_as = peer.info.cfg.local_as;
        let allow = usize::from(peer.info.cfg.allow_as);
        let own_addr = peer.info.local_addr;
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
                let attrs = self.intern(u.attrs);
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

    /// Compares two paths: `Less` when `a` is better (RouterOS's order, §5.6).
    fn compare(&self, a: &Path, b: &Path) -> Ordering {
        let (pa, pb) = (self.peers.get(&a.peer), self.peers.get(&b.peer));
        let (Some(pa), Some(pb)) = (pa, pb) else {
            return Ordering::Equal;
        };
        let (x, y) = (&a.attrs, &b.attrs);
        let lp = |p: &PeerInfo, at: &Attrs| {
            if p.ebgp() {
                100
            } else {
                at.local_pref.unwrap_or(100)
            }
        };
        lp(&pb.info, y)
            .cmp(&lp(&pa.info, x))
            .then_with(|| {
                if pa.info.cfg.ignore_as_path_len {
                    Ordering::Equal
                } else {
                    x.path_len().cmp(&y.path_len())
                }
            })
            .then_with(|| x.origin.unwrap_or(2).cmp(&y.origin.unwrap_or(2)))
            .then_with(|| {
                if x.first_as() == y.first_as() {
                    x.med.unwrap_or(0).cmp(&y.med.unwrap_or(0))
                } else {
                    Ordering::Equal
                }
            })
            .then_with(|| pb.info.ebgp().cmp(&pa.info.ebgp()))
            .then_with(|| {
                let id = |p: &PeerInfo, at: &Attrs| at.originator_id.unwrap_or(p.remote_id);
                id(&pa.info, x).cmp(&id(&pb.info, y))
            })
            .then_with(|| x.cluster_list.len().cmp(&y.cluster_list.len()))
            .then_with(|| pa.info.remote_addr.cmp(&pb.info.remote_addr))
    }

    /// The best path of a destination, moved to the front.
    fn select(&mut self, key: (TableId, Prefix4)) -> Option<Path> {
        let mut paths = self.dests.remove(&key)?;
        let mut best = 0;
        for i in 1..paths.len() {
            if self.compare(&paths[i], &paths[best]) == Ordering::Less {
                best = i;
            }
        }
        paths.swap(0, best);
        let b = paths[0].clone();
        self.dests.insert(key, paths);
        Some(b)
    }

    /// Applies what changed: the RIB (through `builder`) and every peer's pending
    /// UPDATEs. Returns how many RIB routes changed.
    pub fn flush(&mut self, builder: &mut Builder) -> usize {
        let dirty: Vec<(TableId, Prefix4)> = self.dirty.drain().collect();
        let mut changed = 0;
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
                    gateways: vec![Gateway::Ip {
                        ip: nh,
                        table: key.0,
                        port: None,
                    }],
                    blackhole: false,
                })
            });
            let origin = origin_key(key.0, key.1);
            match spec {
                Some(s) => {
                    if builder.route_spec(origin) != Some(&s) {
                        builder.add_route(origin, s);
                        changed += 1;
                    }
                }
                None => {
                    if builder.route_spec(origin).is_some() {
                        builder.remove_route(origin);
                        changed += 1;
                    }
                }
            }
            for (id, t) in &peer_ids {
                if *t == key.0 {
                    self.advertise_to(*id, key.0, key.1);
                }
            }
        }
        self.send_pending();
        changed
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
        if default_route || local.is_some_and(|l| redistributes(l.source)) {
            a = Attrs {
                origin: Some(if default_route { 0 } else { 2 }),
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
            a = (*best.attrs).clone();
            from_peer = Some(src);
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
        Some(self.intern(a))
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
                // A closed writer: the session is going down and will report it.
                let _ = p.info.tx.send(m);
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
        self.interned.retain(|a| Arc::strong_count(a) > 1);
    }
}
