//! BGP-4 (RFC 4271): codecs, the session state machine, sessions over TCP (in the VRF's
//! namespace for PE-CE sessions), IPv4 unicast best path and the RIB attachment.
//!
//! Everything runs on a thread of its own ("bgp") with a single-threaded tokio runtime:
//! a manager that follows the configuration (sessions and listening sockets), one task
//! per session (state machine, timers, one reader and one writer task per connection),
//! and the instance task that owns the routes, installs them in the RIB by batches
//! ([`crate::system::rib_service`]) and hears of the RIB's other routes through a subscription.

pub mod config;
pub mod fsm;
pub mod instance;
pub mod md5;
pub mod net;
pub mod packet;
pub mod peer;
pub mod print;
pub mod vpn;

use crate::config::store::Store;
use crate::rib::Source;
use crate::system::netns::Netns;
use crate::system::rib_service::{Batch, Filter, LabelBatch, Owner, RibHandle, RouteEvent};
use config::{Inactive, PeerConfig};
use instance::{Instance, Local, PeerId};
use packet::{err, Notification};
use peer::{PeerMsg, Session, Stats, ToInstance, View};
use shared::types::Prefix4;
use std::collections::{BTreeMap, HashMap};
use std::net::Ipv4Addr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;

/// A running session, as `print` reads it.
#[derive(Clone)]
pub struct SessionEntry {
    /// Its number.
    pub id: PeerId,
    /// Its configuration.
    pub cfg: Arc<PeerConfig>,
    /// What the session task reports.
    pub view: Arc<Mutex<View>>,
    /// Counters.
    pub stats: Arc<Stats>,
    /// The session task.
    tx: mpsc::Sender<PeerMsg>,
}

/// What the console reads.
#[derive(Default)]
pub struct Shared {
    /// The routes.
    pub instance: Mutex<Instance>,
    /// Sessions, by connection name.
    pub sessions: Mutex<BTreeMap<String, SessionEntry>>,
    /// Connections that cannot run.
    pub inactive: Mutex<Vec<Inactive>>,
    /// Connections that only listen (`connect=no`) whose listening socket failed.
    pub cannot_listen: Mutex<Vec<Inactive>>,
    /// Listening and MD5 failures already logged, so a retry every 2 s logs once.
    logged: Mutex<std::collections::HashSet<String>>,
}

impl Shared {
    /// Why connection `name` cannot run, if it cannot.
    pub fn inactive_reason(&self, name: &str) -> Option<String> {
        let find = |l: &Mutex<Vec<Inactive>>| {
            lock(l)
                .iter()
                .find(|i| i.name == name)
                .map(|i| i.why.clone())
        };
        find(&self.inactive).or_else(|| find(&self.cannot_listen))
    }

    /// Logs `msg` unless it was logged already; `None` forgets what `key` logged.
    fn log_once(&self, key: &str, msg: Option<String>) {
        let mut logged = lock(&self.logged);
        logged.retain(|k| !k.starts_with(&format!("{key}\t")));
        if let Some(m) = msg {
            eprintln!("rspe: bgp: {m}");
            logged.insert(format!("{key}\t{m}"));
        }
    }

    fn was_logged(&self, key: &str, msg: &str) -> bool {
        lock(&self.logged).contains(&format!("{key}\t{msg}"))
    }
}

use crate::lock;

enum Ctl {
    Configure {
        peers: Vec<PeerConfig>,
        netns: HashMap<String, Option<String>>,
        /// Connections disabled (their sessions end with "administrative shutdown").
        disabled: Vec<String>,
        /// The address lists `output.network` may name.
        networks: config::NetworkLists,
        /// `/routing bgp vpn` and the label range (`/mpls settings`).
        vpn: (Vec<vpn::config::VpnEntry>, (u32, u32)),
    },
}

/// The BGP speaker.
pub struct Bgp {
    /// `/routing bgp vpn`: leaking between this router's VRFs by route targets.
    pub vpn: vpn::Vpn,
    ctl: Mutex<Option<mpsc::UnboundedSender<Ctl>>>,
    /// What the console reads.
    pub shared: Arc<Shared>,
    thread: Mutex<Option<std::thread::JoinHandle<()>>>,
}

impl Bgp {
    /// Starts the speaker's thread. Routes are installed in `rib`.
    pub fn start(rib: RibHandle) -> std::io::Result<Bgp> {
        let shared = Arc::new(Shared::default());
        let (ctl, rx) = mpsc::unbounded_channel();
        let s = shared.clone();
        let vpn = vpn::Vpn::start(rib.clone())?;
        let thread = crate::runtime_thread("bgp", move |rt| rt.block_on(manager(rx, s, rib)))?;
        Ok(Bgp {
            vpn,
            ctl: Mutex::new(Some(ctl)),
            shared,
            thread: Mutex::new(Some(thread)),
        })
    }

    /// Follows a new configuration.
    pub fn configure(&self, store: &Store, rib: &RibHandle) {
        self.vpn.configure(store, rib);
        let plan = rib.plan();
        let (peers, inactive) = config::peers(store, &plan);
        let mut netns = HashMap::new();
        for p in &peers {
            netns.insert(p.name.clone(), rib.netns_name(p.vrf_id));
        }
        let menu = crate::config::store::m(&["routing", "bgp", "connection"]);
        let disabled = store
            .items(menu)
            .iter()
            .filter(|i| i.disabled())
            .filter_map(|i| i.values.get("name").cloned())
            .collect();
        {
            let mut old = lock(&self.shared.inactive);
            for i in &inactive {
                if !old.contains(i) {
                    eprintln!("rspe: bgp: connection {} is inactive: {}", i.name, i.why);
                }
            }
            *old = inactive;
        }
        if let Some(ctl) = &*lock(&self.ctl) {
            let _ = ctl.send(Ctl::Configure {
                peers,
                netns,
                disabled,
                networks: config::address_lists(store),
                vpn: (
                    vpn::config::entries(store, &plan).0.entries,
                    plan.mpls.label_range,
                ),
            });
        }
    }

    /// Stops every session (NOTIFICATION Cease, administrative shutdown) and the thread.
    pub fn shutdown(&self) {
        self.vpn.shutdown();
        // Closing the channel ends the manager, which stops the sessions first.
        lock(&self.ctl).take();
        if let Some(t) = lock(&self.thread).take() {
            let _ = t.join();
        }
    }
}

struct Running {
    cfg: Arc<PeerConfig>,
    netns: Option<String>,
    tx: mpsc::Sender<PeerMsg>,
}

type Listeners =
    HashMap<(Option<String>, u16), (Arc<tokio::net::TcpListener>, tokio::task::JoinHandle<()>)>;
type Routes = Arc<Mutex<HashMap<(Option<String>, Ipv4Addr), mpsc::Sender<PeerMsg>>>>;

async fn manager(mut rx: mpsc::UnboundedReceiver<Ctl>, shared: Arc<Shared>, rib: RibHandle) {
    let (itx, irx) = mpsc::channel::<ToInstance>(4096);
    let inst = tokio::spawn(instance_task(irx, shared.clone(), rib));
    let mut running: HashMap<String, Running> = HashMap::new();
    let mut listeners: Listeners = HashMap::new();
    let routes: Routes = Arc::default();
    let mut next_id: PeerId = 1;
    let mut tick = tokio::time::interval(Duration::from_secs(2));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            m = rx.recv() => match m {
                None => break,
                Some(Ctl::Configure { peers, netns, disabled, networks, vpn }) => {
                    let _ = itx.send(ToInstance::Networks(networks)).await;
                    let _ = itx.send(ToInstance::Vpn(vpn.0, vpn.1)).await;
                    let want: HashMap<String, PeerConfig> =
                        peers.into_iter().map(|p| (p.name.clone(), p)).collect();
                    // Gone or changed: stopped.
                    let names: Vec<String> = running.keys().cloned().collect();
                    for n in names {
                        let keep = want.get(&n).is_some_and(|c| *c == *running[&n].cfg
                            && netns.get(&n) == Some(&running[&n].netns));
                        if keep {
                            continue;
                        }
                        if let Some(r) = running.remove(&n) {
                            let sub = if want.contains_key(&n) {
                                err::CONFIG_CHANGE
                            } else if disabled.contains(&n) {
                                err::ADMIN_SHUTDOWN
                            } else {
                                err::DECONFIGURED
                            };
                            let _ = r.tx.send(PeerMsg::Stop(Notification::new(err::CEASE, sub, []))).await;
                            lock(&routes).remove(&(r.netns.clone(), r.cfg.remote));
                            lock(&shared.sessions).remove(&n);
                        }
                    }
                    for (n, cfg) in want {
                        if running.contains_key(&n) {
                            continue;
                        }
                        let ns = netns.get(&n).cloned().flatten();
                        let cfg = Arc::new(cfg);
                        let (tx, prx) = mpsc::channel(1024);
                        let view = Arc::new(Mutex::new(View::default()));
                        let stats = Arc::new(Stats::default());
                        let id = next_id;
                        next_id += 1;
                        lock(&shared.sessions).insert(n.clone(), SessionEntry {
                            id, cfg: cfg.clone(), view: view.clone(), stats: stats.clone(), tx: tx.clone(),
                        });
                        lock(&routes).insert((ns.clone(), cfg.remote), tx.clone());
                        let s = Session::new(id, cfg.clone(), ns.clone(), tx.clone(), prx, itx.clone(), view, stats);
                        tokio::spawn(s.run());
                        running.insert(n, Running { cfg, netns: ns, tx });
                    }
                    sync_listeners(&running, &mut listeners, &routes, &shared);
                }
            },
            _ = tick.tick() => {
                // Namespaces made since, ports freed since: listeners retried.
                sync_listeners(&running, &mut listeners, &routes, &shared);
            }
        }
    }
    for (_, r) in running.drain() {
        let _ =
            r.tx.send(PeerMsg::Stop(Notification::new(
                err::CEASE,
                err::ADMIN_SHUTDOWN,
                [],
            )))
            .await;
    }
    for (_, (_, h)) in listeners.drain() {
        h.abort();
    }
    // Let the sessions flush their NOTIFICATIONs.
    tokio::time::sleep(Duration::from_millis(50)).await;
    drop(itx);
    let _ = inst.await;
}

/// One listening socket per (namespace, port) that some session listens on, with the
/// MD5 keys of its sessions. A socket that cannot be made or keyed is logged (once per
/// error) and retried every 2 s; a connection that only listens is flagged inactive
/// meanwhile.
fn sync_listeners(
    running: &HashMap<String, Running>,
    listeners: &mut Listeners,
    routes: &Routes,
    shared: &Shared,
) {
    let mut want: HashMap<(Option<String>, u16), Vec<&PeerConfig>> = HashMap::new();
    for r in running.values() {
        if r.cfg.listen {
            want.entry((r.netns.clone(), r.cfg.local_port))
                .or_default()
                .push(&r.cfg);
        }
    }
    listeners.retain(|k, (_, h)| {
        let keep = want.contains_key(k);
        if !keep {
            h.abort();
        }
        keep
    });
    let mut cannot = Vec::new();
    for (k, peers) in want {
        let where_ = format!("{}:{}", k.0.as_deref().unwrap_or("-"), k.1);
        if !listeners.contains_key(&k) {
            match listen(k.0.as_deref(), k.1) {
                Ok(l) => {
                    let l = Arc::new(l);
                    let h = tokio::spawn(accept_loop(l.clone(), k.0.clone(), routes.clone()));
                    listeners.insert(k.clone(), (l, h));
                    shared.log_once(&format!("listen {where_}"), None);
                }
                Err(e) => {
                    let why = format!("cannot listen on port {}: {e}", k.1);
                    let key = format!("listen {where_}");
                    if !shared.was_logged(&key, &why) {
                        let names: Vec<&str> = peers.iter().map(|p| p.name.as_str()).collect();
                        shared.log_once(&key, Some(format!("{why} (for {})", names.join(", "))));
                    }
                    for p in peers.iter().filter(|p| !p.connect) {
                        cannot.push(Inactive {
                            name: p.name.clone(),
                            why: why.clone(),
                        });
                    }
                    continue;
                }
            }
        }
        if let Some((l, _)) = listeners.get(&k) {
            for p in peers {
                let Some(key) = &p.md5 else { continue };
                let what = format!("md5 {} {}", where_, p.name);
                match md5::set_key(&**l, p.remote, key.as_bytes()) {
                    Ok(()) => shared.log_once(&what, None),
                    Err(e) => {
                        let msg = format!(
                            "connection {}: tcp-md5-key not set on the listening socket: {e}",
                            p.name
                        );
                        if !shared.was_logged(&what, &msg) {
                            shared.log_once(&what, Some(msg));
                        }
                    }
                }
            }
        }
    }
    *lock(&shared.cannot_listen) = cannot;
}

fn listen(netns: Option<&str>, port: u16) -> std::io::Result<tokio::net::TcpListener> {
    let ns = match netns {
        Some(n) => Some(Netns::open(n)?),
        None => None,
    };
    let s = net::socket_in(ns.as_ref())?;
    s.set_reuse_address(true)?;
    s.bind(&std::net::SocketAddr::from(([0, 0, 0, 0], port)).into())?;
    s.listen(64)?;
    tokio::net::TcpListener::from_std(s.into())
}

async fn accept_loop(l: Arc<tokio::net::TcpListener>, netns: Option<String>, routes: Routes) {
    loop {
        let Ok((s, _)) = l.accept().await else {
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        };
        let Some(ip) = net::peer_ip(&s) else {
            continue;
        };
        let tx = lock(&routes).get(&(netns.clone(), ip)).cloned();
        match tx {
            // An unknown peer: the connection is closed at once.
            None => drop(s),
            Some(tx) => {
                let _ = tx.send(PeerMsg::Incoming(s)).await;
            }
        }
    }
}

/// BGP's one instance.
const OWNER: Owner = Owner {
    source: Source::Bgp,
    instance: 0,
};

/// Whose VPN routes imported from peers are (the local leaks are instance 0's).
const VPN_OWNER: Owner = Owner {
    source: Source::BgpVpn,
    instance: 1,
};

/// What the instance hears of the RIB's other routes: those it may redistribute, and
/// default routes (`default-originate=if-installed`).
fn redistributable() -> Filter {
    Filter {
        sources: vec![
            Source::Connected,
            Source::Static,
            Source::Ospf,
            Source::BgpVpn,
        ],
        defaults: true,
    }
}

/// Applies the RIB's changes to the instance's view of the other routes.
fn heard(inst: &mut Instance, events: Vec<RouteEvent>) {
    for e in events {
        let best = e.best.as_ref();
        if e.dst == Prefix4::DEFAULT {
            inst.set_default(e.table, best.is_some());
        }
        let local = best.filter(|b| b.source != Source::Bgp).map(|b| Local {
            source: b.source,
            blackhole: b.blackhole,
        });
        inst.set_local(e.table, e.dst, local);
        let candidate = best
            .filter(|b| b.source != Source::Bgp && !b.blackhole)
            .map(|b| vpn::export::Candidate {
                source: b.source,
                gateway: b.imm.first().map_or(0, |i| i.ip),
                attrs: None,
            });
        inst.exports.heard(e.table, e.dst, candidate);
    }
}

async fn instance_task(mut rx: mpsc::Receiver<ToInstance>, shared: Arc<Shared>, rib: RibHandle) {
    let mut events = rib.subscribe(redistributable());
    let mut gc = tokio::time::interval(Duration::from_secs(30));
    gc.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // A new instance owns nothing yet: whatever an earlier one left goes.
    let mut purge = true;
    loop {
        let mut batch = Vec::new();
        tokio::select! {
            m = rx.recv() => match m {
                Some(m) => batch.push(m),
                None => break,
            },
            e = events.recv() => {
                if let Some(e) = e {
                    heard(&mut lock(&shared.instance), e);
                }
            }
            _ = gc.tick() => lock(&shared.instance).gc(),
        }
        // Everything that is waiting is applied in one go (up to a limit, so that the
        // console and the dataplane see progress at least every few milliseconds): one
        // batch to the RIB.
        let started = std::time::Instant::now();
        while !batch.is_empty()
            && batch.len() < 65_536
            && started.elapsed() < Duration::from_millis(20)
        {
            match rx.try_recv() {
                Ok(m) => batch.push(m),
                Err(_) => {
                    // The sessions may have more decoded: let them run, then look again.
                    tokio::task::yield_now().await;
                    match rx.try_recv() {
                        Ok(m) => batch.push(m),
                        Err(_) => break,
                    }
                }
            }
        }
        let mut inst = lock(&shared.instance);
        while let Ok(e) = events.try_recv() {
            heard(&mut inst, e);
        }
        for m in batch {
            match m {
                ToInstance::Up(info) => inst.peer_up(info),
                ToInstance::Down(id) => inst.peer_down(id),
                ToInstance::Update(id, u, raw) => inst.update_raw(id, *u, Some(&raw)),
                ToInstance::Refresh(id) => inst.refresh(id),
                ToInstance::Networks(n) => inst.set_networks(n),
                ToInstance::Vpn(entries, range) => {
                    inst.vpn.set_imports(
                        entries
                            .iter()
                            .map(|e| (e.table, e.import.clone()))
                            .collect(),
                    );
                    inst.exports.configure(entries, rib.label_pool(range));
                }
            }
        }
        let mut changes = Vec::new();
        inst.flush(&mut changes);
        let mut imported = Vec::new();
        inst.flush_vpn(&mut imported);
        let lfib = inst.exports.take_lfib();
        drop(inst);
        if !lfib.is_empty() || purge {
            rib.labels(LabelBatch {
                owner: vpn::export::LABEL_OWNER,
                purge,
                lfib,
                ftn: Vec::new(),
            });
        }
        if !imported.is_empty() || purge {
            rib.submit(Batch {
                owner: VPN_OWNER,
                purge,
                changes: imported,
            });
        }
        if !changes.is_empty() || purge {
            rib.submit(Batch {
                owner: OWNER,
                purge: std::mem::take(&mut purge),
                changes,
            });
        }
    }
    // The speaker stops: its routes and labels go.
    rib.labels(LabelBatch {
        owner: vpn::export::LABEL_OWNER,
        purge: true,
        lfib: Vec::new(),
        ftn: Vec::new(),
    });
    for owner in [OWNER, VPN_OWNER] {
        rib.submit(Batch {
            owner,
            purge: true,
            changes: Vec::new(),
        });
    }
}

impl Bgp {
    /// `/routing bgp session reset|refresh|resend NAME...`: ends the session with Cease
    /// "administrative reset" (it starts again), asks the peer to send everything again
    /// (ROUTE-REFRESH), or sends the peer everything again. Sessions are named as `print`
    /// shows them (`toR2-1`) or by their connection.
    pub fn session_command(&self, verb: &str, names: &[&str]) -> Result<String, String> {
        let msg = || match verb {
            "reset" => Ok(PeerMsg::Stop(Notification::new(
                err::CEASE,
                err::ADMIN_RESET,
                [],
            ))),
            "refresh" => Ok(PeerMsg::SendRefresh),
            "resend" => Ok(PeerMsg::Resend),
            other => Err(format!(
                "{other}: not a session command (reset, refresh, resend)"
            )),
        };
        msg()?;
        if names.is_empty() {
            return Err(format!(
                "{verb}: which session? (a name from /routing bgp session print)"
            ));
        }
        let sessions = lock(&self.shared.sessions);
        let mut targets = Vec::new();
        for n in names {
            // By the name print shows (`x-1`) or by the connection's (which may itself end
            // in `-1`).
            let entry = sessions
                .get(*n)
                .or_else(|| sessions.get(n.strip_suffix("-1")?));
            match entry {
                Some(e) => targets.push(e.tx.clone()),
                None => return Err(format!("no such session: {n}")),
            }
        }
        drop(sessions);
        for t in targets {
            t.try_send(msg()?)
                .map_err(|_| format!("{verb}: the session is busy, try again"))?;
        }
        Ok(String::new())
    }
}
