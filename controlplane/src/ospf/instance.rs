//! One OSPF instance: its interfaces and neighbours, its areas' databases and the
//! AS-external LSAs, the timers (Hello, dead, wait, retransmission, aging, refresh), SPF
//! after every change (held back 200 ms), and the routes it installs in its table through
//! the RIB thread. Packets are handled in [`super::adjacency`] and our LSAs made in
//! [`super::originate`].

use super::abr::{self, AbrOut};
use super::area::AreaConfig;
use super::area::AreaKind;
use super::config::{IfAuth, IfConfig, InstanceConfig};
use super::interface::IfState;
use super::io::Socket;
use super::lsdb::Lsdb;
use super::neighbor;
use super::packet::LsaBody;
use super::packet::{self, Auth, Body, Header, LsaHeader, LsaKey, Packet};
use super::spf::{self, AreaResult, Route};
use crate::rib::{Gateway, RouteSpec, Source};
use crate::system::rib_service::{Batch, Change, Filter, Owner, RibHandle, RouteEvent};
use shared::types::Prefix4;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A neighbour on an interface.
#[derive(Debug, Clone)]
pub struct Nbr {
    /// Router id.
    pub id: u32,
    /// Its address on the interface.
    pub addr: u32,
    /// Its priority.
    pub priority: u8,
    /// The DR and BDR it declares.
    pub dr: u32,
    /// (BDR.)
    pub bdr: u32,
    /// State.
    pub state: neighbor::State,
    /// State changes so far.
    pub changes: u32,
    /// When it is declared dead (s).
    pub dead_at: u64,
    /// When it became Full (s).
    pub full_since: Option<u64>,
    /// We are master of the exchange.
    pub master: bool,
    /// The DD sequence number.
    pub dd_seq: u32,
    /// Headers still to describe to it.
    pub summary: Vec<LsaHeader>,
    /// Whether our last DD said More.
    pub more: bool,
    /// The last DD we sent (retransmitted by the master, repeated by the slave).
    pub last_dd: Option<Packet>,
    /// The (flags, seq) of the last DD received, to spot duplicates.
    pub last_rx: Option<(u8, u32)>,
    /// LSAs to request.
    pub requests: BTreeMap<LsaKey, LsaHeader>,
    /// The LSAs of the last request sent.
    pub asked: BTreeSet<LsaKey>,
    /// LSAs sent and not acknowledged yet.
    pub retransmit: BTreeMap<LsaKey, LsaHeader>,
    /// When the master's DD or our requests are due again (s).
    pub rxmt_at: u64,
}

impl Nbr {
    /// A neighbour first heard from `addr`.
    pub fn new(id: u32, addr: u32) -> Nbr {
        Nbr {
            id,
            addr,
            priority: 0,
            dr: 0,
            bdr: 0,
            state: neighbor::State::Down,
            changes: 0,
            dead_at: 0,
            full_since: None,
            master: false,
            dd_seq: 0,
            summary: Vec::new(),
            more: false,
            last_dd: None,
            last_rx: None,
            requests: BTreeMap::new(),
            asked: BTreeSet::new(),
            retransmit: BTreeMap::new(),
            rxmt_at: 0,
        }
    }
}

/// An interface, running.
#[derive(Debug, Clone)]
pub struct Iface {
    /// Its configuration.
    pub cfg: IfConfig,
    /// State.
    pub state: IfState,
    /// DR and BDR (addresses).
    pub dr: u32,
    /// (BDR.)
    pub bdr: u32,
    /// Neighbours by router id.
    pub nbrs: BTreeMap<u32, Nbr>,
    /// When the wait timer ends (s).
    pub wait_until: u64,
    /// When the next Hello goes (s).
    pub hello_at: u64,
    /// The next MD5 sequence number.
    pub crypto_seq: u32,
    /// Headers to acknowledge (delayed acknowledgments, sent each second).
    pub acks: Vec<LsaHeader>,
}

/// What the console reads of an instance.
#[derive(Debug, Clone, Default)]
pub struct View {
    /// The instance's name.
    pub name: String,
    /// Interfaces.
    pub ifaces: Vec<Iface>,
    /// LSAs: (area, header, body); area `None` for AS-external ones.
    pub lsas: Vec<(Option<u32>, LsaHeader, LsaBody)>,
    /// Packets dropped, by reason.
    pub dropped: BTreeMap<&'static str, u64>,
    /// Router id.
    pub router_id: u32,
}

/// One instance's state.
pub struct Instance {
    /// Configuration.
    pub cfg: InstanceConfig,
    /// The socket.
    pub sock: Socket,
    /// Interfaces, in configuration order.
    pub ifaces: Vec<Iface>,
    /// Each area's database.
    pub areas: BTreeMap<u32, Lsdb>,
    /// AS-external LSAs.
    pub externals: Lsdb,
    /// Seconds since start (the clock of every timer).
    pub now: u64,
    /// SPF is due.
    pub spf_due: bool,
    /// Our LSAs are to be made again.
    pub reoriginate: bool,
    /// When each of our LSAs was last originated (MinLSInterval).
    pub originated: BTreeMap<super::originate::Origin, u64>,
    /// Routes redistributed: prefix → (source, metric).
    pub redistributed: BTreeMap<Prefix4, Source>,
    /// Routes installed in the RIB, each by a 64-bit hash of what was installed (a table's
    /// worth of routes is not kept twice just to tell what changed).
    pub installed: BTreeMap<Prefix4, u64>,
    /// Drops by reason.
    pub dropped: BTreeMap<&'static str, u64>,
    /// What we originate as an ABR (from the last SPF).
    pub abr: AbrOut,
    /// The AS-external LSAs translated from NSSAs' type-7 LSAs (from the last SPF).
    pub translated: BTreeMap<LsaKey, LsaBody>,
    /// The blackhole routes of active ranges in the RIB.
    pub range_holes: BTreeSet<Prefix4>,
    rib: RibHandle,
    view: Arc<Mutex<View>>,
    /// Whether each packet sent and received is written to stderr (`RSPE_OSPF_TRACE=1`).
    pub trace: bool,
}

use crate::lock;

/// A route's fingerprint: what tells a changed route from the one installed.
fn fingerprint(r: &Route) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    r.hash(&mut h);
    h.finish()
}

/// The least time between two SPF runs.
const SPF_HOLD: Duration = Duration::from_millis(50);

/// Runs an instance until `stop` fires.
pub async fn run(
    cfg: InstanceConfig,
    netns: Option<String>,
    rib: RibHandle,
    view: Arc<Mutex<View>>,
    mut stop: tokio::sync::oneshot::Receiver<()>,
) {
    let addrs: Vec<u32> = cfg
        .interfaces
        .iter()
        .filter(|i| !i.passive)
        .map(|i| i.addr.0)
        .collect();
    let mut tries = 0u32;
    let sock = loop {
        match Socket::open(netns.as_deref(), &addrs) {
            Ok(s) => break s,
            Err(e) => {
                tries += 1;
                if tries == 3 {
                    eprintln!("rspe: ospf: instance {}: socket: {e}; retrying", cfg.name);
                }
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_millis(500 * u64::from(tries.min(4)))) => {}
                    _ = &mut stop => return,
                }
            }
        }
    };
    let mut inst = Instance::new(cfg, sock, rib.clone(), view);
    let mut sources = inst.cfg.redistribute.clone();
    sources.push(Source::Connected);
    let mut routes = rib.subscribe(Filter {
        sources,
        defaults: inst.cfg.originate_default == "if-installed",
    });
    let mut tick = tokio::time::interval(Duration::from_millis(200));
    let mut buf = vec![0u8; 65_536];
    let started = tokio::time::Instant::now();
    let mut last_sec = u64::MAX;
    // SPF runs at once after a change when the last run is SPF_HOLD old, else SPF_HOLD
    // after the last run (changes arriving meanwhile join it): FRR's throttle 0/50 ms.
    let mut spf_at: Option<tokio::time::Instant> = None;
    let mut last_spf = started;
    loop {
        let spf_wait = async {
            match spf_at {
                Some(t) => tokio::time::sleep_until(t).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = &mut stop => break,
            r = inst.sock.recv(&mut buf) => {
                if let Ok(n) = r {
                    inst.received(&buf[..n]);
                }
            }
            Some(events) = routes.recv() => {
                for e in events {
                    inst.rib_event(e);
                }
            }
            _ = spf_wait => {
                spf_at = None;
                inst.spf_due = false;
                inst.run_spf();
                last_spf = tokio::time::Instant::now();
            }
            _ = tick.tick() => {
                inst.now = started.elapsed().as_secs();
                if inst.now != last_sec {
                    last_sec = inst.now;
                    inst.second();
                }
                inst.publish_view();
            }
        }
        if inst.reoriginate {
            inst.reoriginate = false;
            inst.originate_all();
        }
        if inst.spf_due && spf_at.is_none() {
            let now = tokio::time::Instant::now();
            spf_at = Some(now.max(last_spf + SPF_HOLD));
        }
    }
    inst.flush_ours();
    linger(&mut inst, &mut buf).await;
    inst.shutdown();
}

/// How long a stopping instance waits for its flushed LSAs to be acknowledged, and how
/// often it sends them again meanwhile (past MinLSArrival, which may have dropped the first).
const LINGER: Duration = Duration::from_millis(3000);
const LINGER_RESEND: Duration = Duration::from_millis(1100);

/// Waits, taking in packets, until every neighbour has acknowledged our flushed LSAs (or
/// LINGER passes): a flush that one lost packet undid would leave our LSAs in the
/// neighbours' databases for up to an hour, under a router id that may be gone.
async fn linger(inst: &mut Instance, buf: &mut [u8]) {
    let end = tokio::time::Instant::now() + LINGER;
    let mut resend =
        tokio::time::interval_at(tokio::time::Instant::now() + LINGER_RESEND, LINGER_RESEND);
    while inst.flushing() {
        tokio::select! {
            _ = tokio::time::sleep_until(end) => break,
            r = inst.sock.recv(buf) => {
                if let Ok(n) = r {
                    inst.received(&buf[..n]);
                }
            }
            _ = resend.tick() => inst.resend_flushed(),
        }
    }
}

impl Instance {
    fn new(cfg: InstanceConfig, sock: Socket, rib: RibHandle, view: Arc<Mutex<View>>) -> Instance {
        let mut areas = BTreeMap::new();
        let ifaces = cfg
            .interfaces
            .iter()
            .map(|c| {
                areas.entry(c.area).or_insert_with(Lsdb::new);
                Iface {
                    cfg: c.clone(),
                    state: if c.passive {
                        IfState::DrOther
                    } else if c.ptp {
                        IfState::PointToPoint
                    } else {
                        IfState::Waiting
                    },
                    dr: 0,
                    bdr: 0,
                    nbrs: BTreeMap::new(),
                    wait_until: u64::from(c.dead),
                    hello_at: 0,
                    crypto_seq: 1,
                    acks: Vec::new(),
                }
            })
            .collect();
        Instance {
            cfg,
            sock,
            ifaces,
            areas,
            externals: Lsdb::new(),
            now: 0,
            spf_due: false,
            reoriginate: true,
            originated: BTreeMap::new(),
            redistributed: BTreeMap::new(),
            installed: BTreeMap::new(),
            dropped: BTreeMap::new(),
            abr: AbrOut::default(),
            translated: BTreeMap::new(),
            range_holes: BTreeSet::new(),
            rib,
            view,
            trace: std::env::var_os("RSPE_OSPF_TRACE").is_some_and(|v| v == "1"),
        }
    }

    /// Counts a dropped packet.
    pub fn drop_for(&mut self, why: &'static str) {
        *self.dropped.entry(why).or_default() += 1;
    }

    /// Sends `body` out of interface `i` to `dst`, authenticated as the interface says.
    pub fn send(&mut self, i: usize, dst: u32, body: Body) {
        let iface = &mut self.ifaces[i];
        let area = iface.cfg.area;
        let (auth, key): (Auth, Vec<u8>) = match &iface.cfg.auth {
            IfAuth::None => (Auth::None, Vec::new()),
            IfAuth::Simple(p) => (Auth::Simple(*p), Vec::new()),
            IfAuth::Md5 { key_id, key } => {
                iface.crypto_seq = iface.crypto_seq.wrapping_add(1);
                (
                    Auth::Md5 {
                        key_id: *key_id,
                        seq: (self.now as u32).max(iface.crypto_seq),
                    },
                    key.clone(),
                )
            }
        };
        if self.trace {
            let line = super::print::trace_line(&body);
            let to = std::net::Ipv4Addr::from(dst);
            eprintln!(
                "rspe: ospf {}: {} > {to}: {line}",
                self.cfg.name, iface.cfg.name
            );
        }
        let kind = body.kind();
        let p = Packet {
            header: Header {
                kind,
                router_id: self.cfg.router_id,
                area,
                auth,
            },
            body,
        };
        let bytes = p.encode(&key);
        self.sock.send(&bytes, dst, iface.cfg.addr.0);
    }

    /// Every second: Hellos, dead neighbours, the wait timer, retransmissions, delayed
    /// acknowledgments, aging and refresh.
    fn second(&mut self) {
        for i in 0..self.ifaces.len() {
            if self.ifaces[i].cfg.passive {
                continue;
            }
            if self.ifaces[i].hello_at <= self.now {
                self.ifaces[i].hello_at = self.now + u64::from(self.ifaces[i].cfg.hello);
                self.send_hello(i);
            }
            let dead: Vec<u32> = self.ifaces[i]
                .nbrs
                .values()
                .filter(|n| n.dead_at <= self.now)
                .map(|n| n.id)
                .collect();
            for id in dead {
                self.nbr_event(i, id, neighbor::Event::InactivityTimer);
                self.ifaces[i].nbrs.remove(&id);
                self.neighbor_change(i);
            }
            if self.ifaces[i].state == IfState::Waiting && self.ifaces[i].wait_until <= self.now {
                self.election(i);
            }
            self.retransmit(i);
            self.flush_acks(i);
        }
        self.age();
    }

    /// The database of `area`.
    pub fn db(&mut self, area: u32) -> &mut Lsdb {
        self.areas.entry(area).or_default()
    }

    /// The database an LSA of type `kind` heard in `area` belongs to: the instance's
    /// AS-external LSAs, or the area's.
    pub fn lsdb(&self, area: u32, kind: u8) -> &Lsdb {
        static EMPTY: std::sync::LazyLock<Lsdb> = std::sync::LazyLock::new(Lsdb::new);
        if kind == packet::lsa_type::EXTERNAL {
            &self.externals
        } else {
            self.areas.get(&area).unwrap_or(&EMPTY)
        }
    }

    /// (The same, to change.)
    pub fn lsdb_mut(&mut self, area: u32, kind: u8) -> &mut Lsdb {
        if kind == packet::lsa_type::EXTERNAL {
            &mut self.externals
        } else {
            self.areas.entry(area).or_default()
        }
    }

    /// The configuration of `area` (a normal area when it has none).
    pub fn area_cfg(&self, area: u32) -> &AreaConfig {
        static NORMAL: std::sync::LazyLock<AreaConfig> =
            std::sync::LazyLock::new(|| AreaConfig::normal(0));
        self.cfg.areas.get(&area).unwrap_or(&NORMAL)
    }

    /// MaxAge LSAs go once no neighbour still has to acknowledge them and none is
    /// exchanging databases (§14); ours due for refresh are made again.
    fn age(&mut self) {
        let me = self.cfg.router_id;
        let now = self.now;
        let exchanging = self.exchanging();
        let unacked: BTreeSet<LsaKey> = self
            .ifaces
            .iter()
            .flat_map(|i| i.nbrs.values())
            .flat_map(|n| n.retransmit.keys().copied())
            .collect();
        let mut refresh = false;
        for db in self
            .areas
            .values_mut()
            .chain(std::iter::once(&mut self.externals))
        {
            if !exchanging {
                for k in db.maxaged(now) {
                    if !unacked.contains(&k) {
                        db.remove(&k);
                        self.spf_due = true;
                    }
                }
            }
            refresh |= !db.due_refresh(me, now).is_empty();
        }
        if refresh {
            self.originated.clear();
            self.reoriginate = true;
        }
    }

    /// A route of the RIB changed: redistribution and the default route follow.
    fn rib_event(&mut self, e: RouteEvent) {
        if e.table != self.cfg.vrf_table {
            return;
        }
        let ours = |p: &Prefix4, s: &Instance| {
            s.ifaces
                .iter()
                .any(|i| p.contains(i.cfg.addr.0) && p.len() == i.cfg.addr.1)
        };
        let want = e
            .best
            .as_ref()
            .filter(|b| !b.blackhole || b.source == Source::Static)
            .map(|b| b.source)
            .filter(|s| self.cfg.redistribute.contains(s))
            .filter(|_| !ours(&e.dst, self) && e.dst != Prefix4::DEFAULT);
        let had = self.redistributed.get(&e.dst).copied();
        if want != had {
            match want {
                Some(s) => self.redistributed.insert(e.dst, s),
                None => self.redistributed.remove(&e.dst),
            };
            self.reoriginate = true;
        }
        if e.dst == Prefix4::DEFAULT && self.cfg.originate_default == "if-installed" {
            self.reoriginate = true;
        }
    }

    /// Runs SPF over every area and the externals, brings the RIB in step, and works out
    /// what we originate as an ABR.
    fn run_spf(&mut self) {
        let me = self.cfg.router_id;
        let attached = self.area_ids();
        let mut table: BTreeMap<Prefix4, Route> = BTreeMap::new();
        let mut results = BTreeMap::new();
        for (&area, db) in self.areas.iter().filter(|(a, _)| attached.contains(a)) {
            let r = spf::area(db, me, area);
            for (p, route) in &r.routes {
                spf::offer_route(&mut table, *p, route.clone());
            }
            results.insert(area, r);
        }
        let all: Vec<&spf::AreaResult> = results.values().collect();
        let mut asbrs = spf::asbrs_of(&all);
        // §16.2: an ABR attached to the backbone reads the backbone's summaries only.
        let backbone_only = attached.len() > 1 && attached.contains(&0);
        for (area, r) in &results {
            if !backbone_only || *area == 0 {
                spf::inter_area(&self.areas[area], me, *area, r, &mut table, &mut asbrs);
            }
        }
        if attached.len() > 1 {
            self.abr_step(&table, &results);
        }
        spf::external(
            &self.externals,
            packet::lsa_type::EXTERNAL,
            0,
            me,
            &asbrs,
            &mut table,
        );
        for (area, r) in &results {
            if self.area_cfg(*area).kind == AreaKind::Nssa {
                let inside = spf::asbrs_of(&[r]);
                let db = &self.areas[area];
                spf::external(db, packet::lsa_type::NSSA, *area, me, &inside, &mut table);
            }
        }
        // Directly attached networks are connected routes already.
        table.retain(|_, r| {
            r.next_hops.retain(|h| h.gw != 0);
            !r.next_hops.is_empty()
        });
        self.install(table);
    }

    /// What we originate as an ABR after this SPF (summaries, translations, the ranges
    /// that are active); our LSAs are made again when it changed.
    fn abr_step(&mut self, table: &BTreeMap<Prefix4, Route>, results: &BTreeMap<u32, AreaResult>) {
        let me = self.cfg.router_id;
        let mut view = table.clone();
        for f in &self.ifaces {
            let (addr, len) = f.cfg.addr;
            let Ok(p) = Prefix4::new(addr & shared::types::mask(len), len) else {
                continue;
            };
            let own = Route {
                kind: spf::PathType::Intra,
                cost: u32::from(f.cfg.cost),
                internal: 0,
                next_hops: BTreeSet::new(),
                area: f.cfg.area,
            };
            spf::offer_route(&mut view, p, own);
        }
        let mut asbrs: BTreeMap<u32, (u32, u32)> = BTreeMap::new();
        for (area, r) in results {
            for (id, (cost, _, flags)) in &r.routers {
                if flags & 2 != 0 && asbrs.get(id).is_none_or(|(_, c)| c > cost) {
                    asbrs.insert(*id, (*area, *cost));
                }
            }
        }
        let out = abr::summaries(me, &self.cfg.areas, &view, &asbrs);
        let mut translated = BTreeMap::new();
        for (area, r) in results {
            let cfg = self.area_cfg(*area);
            if abr::translates(me, cfg, results.len(), r) {
                translated.extend(abr::translate(me, &self.areas[area], r));
            }
        }
        if out != self.abr || translated != self.translated {
            self.abr = out;
            self.translated = translated;
            self.reoriginate = true;
        }
    }

    /// Brings the RIB in step with `table` and the active ranges (a blackhole route each).
    fn install(&mut self, table: BTreeMap<Prefix4, Route>) {
        let mut changes = Vec::new();
        for (p, r) in &table {
            if self.installed.get(p) != Some(&fingerprint(r)) {
                if let Some(spec) = self.spec(*p, r) {
                    changes.push(Change::Upsert(spec));
                }
            }
        }
        for p in self.installed.keys() {
            if !table.contains_key(p) {
                changes.push(Change::Withdraw {
                    table: self.cfg.table,
                    dst: *p,
                });
            }
        }
        let holes: BTreeSet<Prefix4> = self
            .abr
            .active_ranges
            .iter()
            .map(|(_, p)| *p)
            .filter(|p| !table.contains_key(p))
            .collect();
        for p in holes.difference(&self.range_holes) {
            changes.push(Change::Upsert(RouteSpec {
                table: self.cfg.table,
                dst: *p,
                source: Source::Ospf,
                distance: 110,
                scope: 20,
                target_scope: 10,
                gateways: Default::default(),
                blackhole: true,
                labels: Default::default(),
            }));
        }
        for p in self.range_holes.difference(&holes) {
            if !table.contains_key(p) {
                changes.push(Change::Withdraw {
                    table: self.cfg.table,
                    dst: *p,
                });
            }
        }
        if !changes.is_empty() {
            self.rib.submit(Batch {
                owner: self.owner(),
                purge: false,
                changes,
            });
        }
        self.installed = table.iter().map(|(p, r)| (*p, fingerprint(r))).collect();
        self.range_holes = holes;
    }

    fn owner(&self) -> Owner {
        Owner {
            source: Source::Ospf,
            instance: self.cfg.id,
        }
    }

    /// The RIB route for an OSPF route: distance 110, scope 20, target-scope 10, a gateway
    /// per next hop on its interface.
    fn spec(&self, dst: Prefix4, r: &Route) -> Option<RouteSpec> {
        let gateways = r
            .next_hops
            .iter()
            .filter_map(|h| {
                let i = self.ifaces.iter().find(|i| i.cfg.addr.0 == h.via)?;
                Some(Gateway::Ip {
                    ip: h.gw,
                    table: self.cfg.vrf_table,
                    port: Some(i.cfg.port),
                })
            })
            .collect::<crate::route::Gateways>();
        if gateways.is_empty() {
            return None;
        }
        Some(RouteSpec {
            table: self.cfg.table,
            dst,
            source: Source::Ospf,
            distance: 110,
            scope: 20,
            target_scope: 10,
            gateways,
            blackhole: false,
            labels: Default::default(),
        })
    }

    /// Says goodbye (after `flush_ours` and `linger`: premature aging, §14.1, so that a
    /// router id changed or an instance stopped leaves nothing of it behind): our routes out
    /// of the RIB.
    fn shutdown(&mut self) {
        self.rib.submit(Batch {
            owner: self.owner(),
            purge: true,
            changes: Vec::new(),
        });
        *lock(&self.view) = View::default();
    }

    fn publish_view(&mut self) {
        let now = self.now;
        let mut lsas = Vec::new();
        for (area, db) in &self.areas {
            for (_, e) in db.iter() {
                lsas.push((Some(*area), e.header(now), e.lsa.body.clone()));
            }
        }
        for (_, e) in self.externals.iter() {
            lsas.push((None, e.header(now), e.lsa.body.clone()));
        }
        *lock(&self.view) = View {
            name: self.cfg.name.clone(),
            ifaces: self.ifaces.clone(),
            lsas,
            dropped: self.dropped.clone(),
            router_id: self.cfg.router_id,
        };
    }

    /// The neighbours' set of all interfaces in `area` in state at least `min`.
    pub fn nbrs_in(&self, area: u32, min: neighbor::State) -> Vec<(usize, u32)> {
        self.ifaces
            .iter()
            .enumerate()
            .filter(|(_, i)| i.cfg.area == area)
            .flat_map(|(n, i)| {
                i.nbrs
                    .values()
                    .filter(move |x| x.state >= min)
                    .map(move |x| (n, x.id))
            })
            .collect()
    }

    /// Whether any neighbour anywhere is exchanging databases.
    pub fn exchanging(&self) -> bool {
        self.ifaces.iter().any(|i| {
            i.nbrs.values().any(|n| {
                matches!(
                    n.state,
                    neighbor::State::Exchange | neighbor::State::Loading
                )
            })
        })
    }

    /// Interfaces by area: the set of areas.
    pub fn area_ids(&self) -> BTreeSet<u32> {
        self.ifaces.iter().map(|i| i.cfg.area).collect()
    }
}

#[cfg(test)]
mod tests;
