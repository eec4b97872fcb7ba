//! The RIB's own thread: the single owner of the [`Forwarder`] (the RIB, the FIB builder, the
//! neighbour table, the snapshot publisher and the kernel twins). Nobody else locks it:
//!
//! - protocols send [`Batch`]es of upserts and withdrawals keyed by (their instance, table,
//!   prefix), or purge all their routes, and never wait;
//! - they [`subscribe`](RibHandle::subscribe) to changes of selected entries (redistribution,
//!   next-hop tracking) instead of polling;
//! - the configuration sends its new [`Plan`] and waits until it is published (a command's
//!   answer means its change forwards);
//! - the console asks for what it prints with a [`query`](RibHandle::query), `/ping` and
//!   BGP read the plan and the newest snapshot from [`RibHandle`] without the thread.
//!
//! The thread takes every message that is waiting (for at most [`BATCH_TIME`]), commits the
//! RIB once, publishes one snapshot, tells subscribers, then takes in the workers' events
//! (ARP) and ages the neighbour table; with nothing to do it wakes every [`POLL_EVERY`].

use crate::config::store::Store;
use crate::plan::{Origin, Plan, PortBase};
use crate::rib::{Changes, Gateway, Imms, RouteSpec, Source};
use crate::system::forwarder::Forwarder;
use dataplane::exception::Exception;
use shared::adj::LabelStack;
use shared::rcu::Watch;
use shared::snapshot::Snapshot;
use shared::types::{Prefix4, TableId};
use std::collections::HashMap;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How often the thread takes in the workers' events when no message comes.
pub const POLL_EVERY: Duration = Duration::from_millis(2);
/// The longest the thread takes messages before it commits and publishes.
pub const BATCH_TIME: Duration = Duration::from_millis(20);

/// Who installs a route: a protocol's instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Owner {
    /// The protocol (the source its routes carry).
    pub source: Source,
    /// Which of its instances.
    pub instance: u32,
}

/// One change of a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// The owner's route for (`spec.table`, `spec.dst`) is now `spec`.
    Upsert(RouteSpec),
    /// The owner has no route for (table, dst) any more.
    Withdraw {
        /// The table.
        table: TableId,
        /// The prefix.
        dst: Prefix4,
    },
}

/// Changes from one owner, applied together or refused together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    /// Whose routes.
    pub owner: Owner,
    /// Remove every route of the owner first (a restart, a shutdown).
    pub purge: bool,
    /// The changes, in order.
    pub changes: Vec<Change>,
}

/// Label state from one owner (an LDP instance): what incoming labels do and which label
/// a prefix's next hop wants pushed. Applied whole; `purge` first forgets everything the
/// owner set before.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelBatch {
    /// Whose labels (the label distribution instance's number).
    pub owner: u32,
    /// Remove every binding of the owner first (a restart, a shutdown).
    pub purge: bool,
    /// Incoming label → what it does (`None`: unbound).
    pub lfib: Vec<(u32, Option<crate::rib::builder::LabelWant>)>,
    /// (table, prefix) → (next hop, label to push) (`None`: plain IP).
    pub ftn: Vec<FtnChange>,
}

/// (table, prefix) → (next hop, label to push) (`None`: plain IP).
pub type FtnChange = (TableId, Prefix4, Option<(u32, u32)>);

/// What one owner has bound, so a purge can undo it.
#[derive(Debug, Default)]
struct Bound {
    labels: std::collections::BTreeSet<u32>,
    ftn: std::collections::BTreeSet<(TableId, Prefix4)>,
}

/// Which changes a subscriber hears of: those where the entry selected before or after is
/// of one of `sources`, and, with `defaults`, every change of a default route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    /// Sources of interest.
    pub sources: Vec<Source>,
    /// Changes of 0.0.0.0/0 whatever their source.
    pub defaults: bool,
}

impl Filter {
    fn wants(&self, dst: Prefix4, was: Option<Source>, now: Option<Source>) -> bool {
        (self.defaults && dst == Prefix4::DEFAULT)
            || [was, now]
                .into_iter()
                .flatten()
                .any(|s| self.sources.contains(&s))
    }
}

/// The selected entry of a prefix, as subscribers see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Best {
    /// The winning route's source.
    pub source: Source,
    /// A blackhole won.
    pub blackhole: bool,
    /// Its immediate next hops.
    pub imm: Imms,
    /// Its labels.
    pub labels: LabelStack,
}

/// A selected entry that changed (`best: None`: the prefix has no route any more).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteEvent {
    /// The table.
    pub table: TableId,
    /// The prefix.
    pub dst: Prefix4,
    /// What is selected now.
    pub best: Option<Best>,
}

/// Where a subscriber hears of changes: one vector per commit.
pub type Events = tokio::sync::mpsc::UnboundedReceiver<Vec<RouteEvent>>;

type Query = Box<dyn FnOnce(&mut Forwarder) + Send>;

enum Msg {
    Plan(Box<Plan>, mpsc::SyncSender<()>),
    Batch(Batch),
    Labels(LabelBatch),
    Subscribe(Filter, tokio::sync::mpsc::UnboundedSender<Vec<RouteEvent>>),
    Query(Query),
    Want { port: u16, ip: u32, src: u32 },
    Stop,
}

/// What others read without the thread.
struct View {
    snapshot: Watch<Snapshot>,
    plan: Mutex<Arc<Plan>>,
    exception: Arc<Exception>,
    ports: Vec<PortBase>,
    twins: bool,
    netns_prefix: String,
    /// The router's dynamic labels and the range they were made for.
    labels: Mutex<Option<((u32, u32), LabelPool)>>,
    /// Tunnels their keepalives found down.
    tunnels_down: Arc<Mutex<std::collections::BTreeSet<u16>>>,
}

/// The router's dynamic labels, shared by everything that hands them out (LDP, BGP VPNs):
/// the LFIB is one label space.
pub type LabelPool = Arc<Mutex<shared::lfib::LabelAllocator>>;

/// The handle everyone else holds.
#[derive(Clone)]
pub struct RibHandle {
    tx: mpsc::Sender<Msg>,
    view: Arc<View>,
    thread: Arc<Mutex<Option<std::thread::JoinHandle<()>>>>,
}

use crate::lock;

impl RibHandle {
    /// Starts the thread, which owns `forwarder` from now on.
    pub fn start(forwarder: Forwarder) -> std::io::Result<RibHandle> {
        let view = Arc::new(View {
            snapshot: forwarder.watch(),
            plan: Mutex::new(Arc::new(forwarder.plan().clone())),
            exception: forwarder.exception(),
            ports: forwarder.ports().to_vec(),
            twins: forwarder.has_twins(),
            netns_prefix: forwarder.netns_prefix().to_owned(),
            labels: Mutex::new(None),
            tunnels_down: forwarder.tunnels_down(),
        });
        let (tx, rx) = mpsc::channel();
        let v = view.clone();
        let thread = std::thread::Builder::new()
            .name("rib".into())
            .spawn(move || run(forwarder, rx, v))?;
        Ok(RibHandle {
            tx,
            view,
            thread: Arc::new(Mutex::new(Some(thread))),
        })
    }

    /// The configuration changed: its plan is applied and published before this returns.
    pub fn configure(&self, store: &Store) {
        let plan = Plan::from_store(store, &self.view.ports);
        let (done, wait) = mpsc::sync_channel(1);
        if self.tx.send(Msg::Plan(Box::new(plan), done)).is_ok() {
            let _ = wait.recv();
        }
    }

    /// Hands a protocol's batch to the RIB; it is checked, applied and published with
    /// whatever else is waiting. A batch that does not check is refused whole and logged.
    pub fn submit(&self, batch: Batch) {
        let _ = self.tx.send(Msg::Batch(batch));
    }

    /// Sends label state (applied in order with the batches).
    pub fn labels(&self, batch: LabelBatch) {
        let _ = self.tx.send(Msg::Labels(batch));
    }

    /// Changes of selected entries that `filter` wants, starting with every current entry
    /// it wants.
    pub fn subscribe(&self, filter: Filter) -> Events {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let _ = self.tx.send(Msg::Subscribe(filter, tx));
        rx
    }

    /// Runs `q` on the thread, between batches, and returns its answer (`None`: the
    /// thread has stopped).
    pub fn query<R: Send + 'static>(
        &self,
        q: impl FnOnce(&mut Forwarder) -> R + Send + 'static,
    ) -> Option<R> {
        let (tx, rx) = mpsc::sync_channel(1);
        let job: Query = Box::new(move |f| {
            let _ = tx.send(q(f));
        });
        self.tx.send(Msg::Query(job)).ok()?;
        rx.recv().ok()
    }

    /// Something of the router's own wants `ip`'s MAC on `port` (ARP from `src`).
    pub fn want(&self, port: u16, ip: u32, src: u32) {
        let _ = self.tx.send(Msg::Want { port, ip, src });
    }

    /// The label pool of `dynamic-label-range` `range`: the same pool for every caller
    /// while the range stays; a new range makes a new one (whoever holds labels of the old
    /// one restarts with the range: it is in their configuration).
    pub fn label_pool(&self, range: (u32, u32)) -> LabelPool {
        let mut p = lock(&self.view.labels);
        match &*p {
            Some((r, pool)) if *r == range => pool.clone(),
            _ => {
                let r = shared::lfib::LabelRange::new(range.0, range.1).unwrap_or_default();
                let pool = Arc::new(Mutex::new(shared::lfib::LabelAllocator::new(r)));
                *p = Some((range, pool.clone()));
                pool
            }
        }
    }

    /// The plan in force.
    pub fn plan(&self) -> Arc<Plan> {
        lock(&self.view.plan).clone()
    }

    /// Whether tunnel `name` runs: enabled, with a local address and an underlay, and not
    /// found down by its keepalives.
    pub fn tunnel_running(&self, name: &str) -> bool {
        let plan = self.plan();
        let Some(p) = plan.ports.iter().find(|p| p.name == name) else {
            return false;
        };
        let runnable = p.tunnel.as_ref().is_some_and(|t| t.runnable());
        p.enabled && runnable && !lock(&self.view.tunnels_down).contains(&p.id)
    }

    /// The newest published snapshot.
    pub fn current(&self) -> Arc<Snapshot> {
        self.view.snapshot.current()
    }

    /// The exception path.
    pub fn exception(&self) -> Arc<Exception> {
        self.view.exception.clone()
    }

    /// The name of VRF number `vrf`'s namespace (main's too), whether or not it exists yet
    /// (`None`: no twins, the daemon's own namespace).
    pub fn netns_name(&self, vrf: usize) -> Option<String> {
        if !self.view.twins {
            return None;
        }
        let plan = self.plan();
        let name = match vrf {
            0 => "main",
            v => plan.vrfs.get(v).map_or("", String::as_str),
        };
        Some(format!("{}{name}", self.view.netns_prefix))
    }

    /// The namespace of VRF number `vrf`; `None` without twins.
    pub fn netns_of(&self, vrf: usize) -> Option<std::io::Result<crate::system::netns::Netns>> {
        let name = self.netns_name(vrf)?;
        Some(crate::system::netns::Netns::open(&name))
    }

    /// Stops the thread: the twins are deleted and the VRF namespaces removed.
    pub fn shutdown(&self) {
        let _ = self.tx.send(Msg::Stop);
        if let Some(t) = lock(&self.thread).take() {
            let _ = t.join();
        }
    }
}

/// Why a batch is refused, checked before anything of it is applied.
fn check(f: &Forwarder, b: &Batch) -> Result<(), String> {
    let plan = f.plan();
    let tables = plan.tables.len().max(1);
    let table_ok = |t: TableId| usize::from(t.0) < tables;
    let port_ok = |p: u16| plan.port(p).is_some();
    for (i, c) in b.changes.iter().enumerate() {
        let at = |why: String| format!("change {}: {why}", i + 1);
        match c {
            Change::Withdraw { table, .. } if !table_ok(*table) => {
                return Err(at(format!("no table {}", table.0)))
            }
            Change::Withdraw { .. } => {}
            Change::Upsert(s) => {
                if s.source != b.owner.source {
                    return Err(at(format!(
                        "a {:?} route from a {:?} instance",
                        s.source, b.owner.source
                    )));
                }
                if !table_ok(s.table) {
                    return Err(at(format!("no table {}", s.table.0)));
                }
                if s.gateways.is_empty() && !s.blackhole {
                    return Err(at(format!("{} has no gateway", s.dst)));
                }
                for g in &s.gateways {
                    let ok = match *g {
                        Gateway::Ip { table, port, .. } => {
                            table_ok(table) && port.is_none_or(port_ok)
                        }
                        Gateway::Port(p) => port_ok(p),
                    };
                    if !ok {
                        return Err(at(format!("{}: gateway {g:?} names nothing", s.dst)));
                    }
                }
            }
        }
    }
    Ok(())
}

/// Applies a checked batch to the builder (committed later); returns how many routes it
/// added, changed or removed.
fn apply(f: &mut Forwarder, b: Batch) -> usize {
    let Owner { source, instance } = b.owner;
    let origin = |table, dst| Origin::Protocol {
        source,
        instance,
        table,
        dst,
    };
    let builder = f.builder();
    let mut n = 0;
    if b.purge {
        let mine: Vec<Origin> = builder
            .origins()
            .map(|(o, _)| *o)
            .filter(|o| {
                matches!(*o, Origin::Protocol { source: s, instance: i, .. }
                    if s == source && i == instance)
            })
            .collect();
        for o in mine {
            n += usize::from(builder.remove_route(o));
        }
    }
    for c in b.changes {
        n += usize::from(match c {
            Change::Upsert(s) => builder.add_route(origin(s.table, s.dst), s),
            Change::Withdraw { table, dst } => builder.remove_route(origin(table, dst)),
        });
    }
    n
}

/// What is selected for (table, dst) now, as subscribers see it.
fn best(f: &mut Forwarder, table: TableId, dst: Prefix4) -> Option<Best> {
    let s = f.builder().rib().selected(table, dst)?;
    Some(Best {
        source: s.source,
        blackhole: s.blackhole,
        imm: s.imm.clone(),
        labels: s.labels,
    })
}

struct Subscriber {
    filter: Filter,
    tx: tokio::sync::mpsc::UnboundedSender<Vec<RouteEvent>>,
}

/// Tells every subscriber what it wants of `changes`; forgets those that are gone.
fn notify(f: &mut Forwarder, subs: &mut Vec<Subscriber>, changes: &Changes) {
    if subs.is_empty() || changes.is_empty() {
        return;
    }
    let mut out: Vec<Vec<RouteEvent>> = subs.iter().map(|_| Vec::new()).collect();
    for (&(table, dst), &was) in changes {
        // The source first: most changes (a BGP table arriving) interest nobody, and are
        // passed over without making their event.
        let source = f.builder().rib().selected(table, dst).map(|s| s.source);
        if !subs.iter().any(|s| s.filter.wants(dst, was, source)) {
            continue;
        }
        let now = best(f, table, dst);
        for (i, s) in subs.iter().enumerate() {
            if s.filter.wants(dst, was, source) {
                out[i].push(RouteEvent {
                    table,
                    dst,
                    best: now.clone(),
                });
            }
        }
    }
    let mut i = 0;
    subs.retain(|s| {
        let events = std::mem::take(&mut out[i]);
        i += 1;
        events.is_empty() || s.tx.send(events).is_ok()
    });
}

/// Every current entry `filter` wants.
fn initial(f: &mut Forwarder, filter: &Filter) -> Vec<RouteEvent> {
    let tables = f.plan().tables.len().max(1);
    let rib = f.builder().rib();
    let mut out = Vec::new();
    for t in 0..tables {
        let t = TableId(t as u16);
        for (p, s) in rib.selected_in(t) {
            if filter.wants(*p, None, Some(s.source)) {
                out.push(RouteEvent {
                    table: t,
                    dst: *p,
                    best: Some(Best {
                        source: s.source,
                        blackhole: s.blackhole,
                        imm: s.imm.clone(),
                        labels: s.labels,
                    }),
                });
            }
        }
    }
    out
}

/// Merges a commit's changes into those not yet told: the first "before" stays.
fn merge(into: &mut Changes, more: Changes) {
    for (k, was) in more {
        into.entry(k).or_insert(was);
    }
}

/// The state of the thread between messages.
struct Task {
    f: Forwarder,
    view: Arc<View>,
    subs: Vec<Subscriber>,
    /// Changes committed but not yet told to subscribers.
    told: Changes,
    /// Batches applied but not yet committed.
    dirty: bool,
    /// Label state changed: publish even without route changes.
    labels_changed: bool,
    /// What each owner bound.
    bound: HashMap<u32, Bound>,
    /// Told to stop.
    stop: bool,
}

impl Task {
    /// Commits what batches changed and publishes once.
    fn commit(&mut self) {
        if !self.dirty {
            return;
        }
        self.dirty = false;
        let changes = self.f.builder().commit();
        if !changes.is_empty() || std::mem::take(&mut self.labels_changed) {
            self.f.publish();
        }
        merge(&mut self.told, changes);
    }

    fn handle(&mut self, msg: Msg) {
        match msg {
            Msg::Plan(plan, done) => {
                self.commit();
                let changes = self.f.configure(*plan);
                *lock(&self.view.plan) = Arc::new(self.f.plan().clone());
                merge(&mut self.told, changes);
                let _ = done.send(());
            }
            Msg::Batch(b) => match check(&self.f, &b) {
                Ok(()) => {
                    if apply(&mut self.f, b) > 0 {
                        self.dirty = true;
                    }
                }
                Err(why) => eprintln!(
                    "rspe: rib: refused a batch of {} change(s) from {:?} instance {}: {why}",
                    b.changes.len(),
                    b.owner.source,
                    b.owner.instance
                ),
            },
            Msg::Labels(b) => {
                self.apply_labels(b);
                self.dirty = true;
                self.labels_changed = true;
            }
            Msg::Subscribe(filter, tx) => {
                self.commit();
                self.tell();
                let first = initial(&mut self.f, &filter);
                if tx.send(first).is_ok() {
                    self.subs.push(Subscriber { filter, tx });
                }
            }
            Msg::Query(q) => {
                self.commit();
                q(&mut self.f);
            }
            Msg::Want { port, ip, src } => self.f.want(port, ip, src),
            Msg::Stop => self.stop = true,
        }
    }

    /// Applies an owner's label state.
    fn apply_labels(&mut self, b: LabelBatch) {
        let bound = self.bound.entry(b.owner).or_default();
        let builder = self.f.builder();
        if b.purge {
            for l in std::mem::take(&mut bound.labels) {
                builder.set_label(l, None);
            }
            for (t, p) in std::mem::take(&mut bound.ftn) {
                builder.set_ftn(t, p, None);
            }
        }
        for (label, want) in b.lfib {
            builder.set_label(label, want);
            if want.is_some() {
                bound.labels.insert(label);
            } else {
                bound.labels.remove(&label);
            }
        }
        for (t, p, push) in b.ftn {
            builder.set_ftn(t, p, push);
            if push.is_some() {
                bound.ftn.insert((t, p));
            } else {
                bound.ftn.remove(&(t, p));
            }
        }
    }

    fn tell(&mut self) {
        let changes = std::mem::take(&mut self.told);
        notify(&mut self.f, &mut self.subs, &changes);
    }
}

fn run(f: Forwarder, rx: mpsc::Receiver<Msg>, view: Arc<View>) {
    let mut task = Task {
        f,
        view,
        subs: Vec::new(),
        told: Changes::default(),
        dirty: false,
        labels_changed: false,
        bound: HashMap::new(),
        stop: false,
    };
    loop {
        let first = match rx.recv_timeout(POLL_EVERY) {
            Ok(m) => Some(m),
            Err(mpsc::RecvTimeoutError::Timeout) => None,
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        };
        let started = Instant::now();
        let mut next = first;
        while let Some(m) = next {
            task.handle(m);
            if task.stop || started.elapsed() >= BATCH_TIME {
                break;
            }
            next = rx.try_recv().ok();
        }
        task.commit();
        task.tell();
        if task.stop {
            break;
        }
        if task.f.poll(crate::now_ns()) {
            task.dirty = true;
        }
    }
    task.f.shutdown();
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::route::RouteSpec;
    use dataplane::conntrack::Conntrack;
    use shared::rcu::Publisher;

    /// A RIB thread for two ports: ether1 10.0.0.1/24 in main, ether2 in VRF `a`.
    fn start() -> RibHandle {
        for_config(
            "/ip vrf add name=a interfaces=ether2\n\
            /ip address add address=10.0.0.1/24 interface=ether1\n\
            /ip address add address=10.9.0.1/24 interface=ether2",
            2,
        )
    }

    /// A RIB thread (no dataplane behind it) for `ports` ports configured by `script`.
    pub(crate) fn for_config(script: &str, ports: u16) -> RibHandle {
        let (store, bases) = crate::plan::store_from_config(script, ports).unwrap();
        let f = Forwarder::new(
            bases,
            Publisher::new(Snapshot::default()),
            Arc::new(Exception::new(Vec::new())),
            None,
            "t-".into(),
            Arc::new(Conntrack::new(16)),
        );
        let rib = RibHandle::start(f).unwrap();
        rib.configure(&store);
        rib
    }

    fn bgp(table: u16, dst: &str, gw: &str) -> RouteSpec {
        RouteSpec {
            table: TableId(table),
            dst: dst.parse().unwrap(),
            source: Source::Bgp,
            distance: 20,
            scope: 40,
            target_scope: 10,
            gateways: [Gateway::Ip {
                ip: u32::from(gw.parse::<std::net::Ipv4Addr>().unwrap()),
                table: TableId(table),
                port: None,
            }]
            .into(),
            blackhole: false,
            labels: Default::default(),
        }
    }

    const BGP: Owner = Owner {
        source: Source::Bgp,
        instance: 0,
    };

    fn selected(rib: &RibHandle, table: u16, dst: &str) -> Option<Source> {
        let dst: Prefix4 = dst.parse().unwrap();
        rib.query(move |f| {
            f.builder()
                .rib()
                .selected(TableId(table), dst)
                .map(|s| s.source)
        })
        .unwrap()
    }

    /// Waits until the thread has taken in everything sent before (a query runs after).
    fn settle(rib: &RibHandle) {
        rib.query(|_| ()).unwrap();
    }

    #[test]
    fn batches_apply_whole_or_not_at_all_and_purge_takes_only_the_owners() {
        let rib = start();
        rib.submit(Batch {
            owner: BGP,
            purge: false,
            changes: vec![
                Change::Upsert(bgp(0, "172.16.0.0/16", "10.0.0.2")),
                Change::Upsert(bgp(1, "172.17.0.0/16", "10.9.0.2")),
            ],
        });
        settle(&rib);
        assert_eq!(selected(&rib, 0, "172.16.0.0/16"), Some(Source::Bgp));
        assert_eq!(selected(&rib, 1, "172.17.0.0/16"), Some(Source::Bgp));
        // A batch with one bad change (no table 7; a route of another source; no gateway)
        // is refused whole: its good change is not applied, nothing installed is lost.
        for bad in [
            bgp(7, "10.1.0.0/16", "10.0.0.2"),
            RouteSpec {
                source: Source::Ospf,
                ..bgp(0, "10.1.0.0/16", "10.0.0.2")
            },
            RouteSpec {
                gateways: Default::default(),
                ..bgp(0, "10.1.0.0/16", "10.0.0.2")
            },
        ] {
            rib.submit(Batch {
                owner: BGP,
                purge: false,
                changes: vec![
                    Change::Withdraw {
                        table: TableId(0),
                        dst: "172.16.0.0/16".parse().unwrap(),
                    },
                    Change::Upsert(bad),
                ],
            });
            settle(&rib);
            assert_eq!(selected(&rib, 0, "172.16.0.0/16"), Some(Source::Bgp));
            assert_eq!(selected(&rib, 0, "10.1.0.0/16"), None);
        }
        // Another instance's purge leaves these alone; the owner's own takes them all.
        rib.submit(Batch {
            owner: Owner {
                source: Source::Bgp,
                instance: 1,
            },
            purge: true,
            changes: Vec::new(),
        });
        settle(&rib);
        assert_eq!(selected(&rib, 0, "172.16.0.0/16"), Some(Source::Bgp));
        rib.submit(Batch {
            owner: BGP,
            purge: true,
            changes: Vec::new(),
        });
        settle(&rib);
        assert_eq!(selected(&rib, 0, "172.16.0.0/16"), None);
        assert_eq!(selected(&rib, 1, "172.17.0.0/16"), None);
        // The connected networks are the configuration's: still there.
        assert_eq!(selected(&rib, 0, "10.0.0.0/24"), Some(Source::Connected));
        rib.shutdown();
    }

    #[test]
    fn subscribers_get_the_current_entries_then_every_change_they_want() {
        let rib = start();
        let mut events = rib.subscribe(Filter {
            sources: vec![Source::Connected, Source::Static],
            defaults: true,
        });
        let first = events.blocking_recv().unwrap();
        let mut have: Vec<String> = first.iter().map(|e| e.dst.to_string()).collect();
        have.sort();
        assert_eq!(have, ["10.0.0.0/24", "10.9.0.0/24"]);
        // A BGP route interests this subscriber only as a default route.
        rib.submit(Batch {
            owner: BGP,
            purge: false,
            changes: vec![
                Change::Upsert(bgp(0, "172.16.0.0/16", "10.0.0.2")),
                Change::Upsert(bgp(0, "0.0.0.0/0", "10.0.0.2")),
            ],
        });
        let got = events.blocking_recv().unwrap();
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(got[0].dst, Prefix4::DEFAULT);
        assert_eq!(got[0].best.as_ref().map(|b| b.source), Some(Source::Bgp));
        // A connected route that goes is told as gone.
        let (store, _) = crate::plan::store_from_config(
            "/ip address add address=10.0.0.1/24 interface=ether1",
            2,
        )
        .unwrap();
        rib.configure(&store);
        let got = events.blocking_recv().unwrap();
        assert!(
            got.iter()
                .any(|e| e.dst.to_string() == "10.9.0.0/24" && e.best.is_none()),
            "{got:?}"
        );
        rib.shutdown();
    }
}
