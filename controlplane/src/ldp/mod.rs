//! LDP (RFC 5036): label distribution between LSRs, for the label-switched paths between PE
//! loopbacks. Built room by room like `bgp/`: the codecs ([`packet`]), the session state
//! machine ([`fsm`]), hello discovery ([`discovery`]) and the label information base
//! ([`labels`]), each pure and tested step by step; the configuration ([`config`]), the
//! sessions over TCP ([`session`]), the instance that ties them to the sockets and the RIB
//! ([`instance`]) and the prints ([`print`]).
//!
//! Everything runs on a thread of its own ("ldp") with a single-threaded tokio runtime: a
//! manager following the configuration, one task per instance (one per VRF, its sockets in
//! the VRF's namespace), one per session.

pub mod config;
pub mod discovery;
pub mod fsm;
pub mod instance;
pub mod labels;
pub mod packet;
pub mod print;
pub mod session;

use crate::config::store::Store;
use crate::system::rib_service::RibHandle;
use config::{Inactive, InstanceConfig};
use instance::View;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use tokio::sync::{mpsc, oneshot};

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// What the console reads.
#[derive(Default)]
pub struct Shared {
    /// Running instances' views, by `/mpls ldp` item id.
    pub views: Mutex<BTreeMap<u32, Arc<Mutex<View>>>>,
    /// Instances that cannot run.
    pub inactive: Mutex<Vec<Inactive>>,
}

impl Shared {
    /// Why instance `id` cannot run, if it cannot.
    pub fn inactive_reason(&self, id: u32) -> Option<String> {
        lock(&self.inactive)
            .iter()
            .find(|i| i.id == id)
            .map(|i| i.why.clone())
    }

    /// Every running instance's view.
    pub fn views(&self) -> Vec<View> {
        lock(&self.views)
            .values()
            .map(|v| lock(v).clone())
            .collect()
    }
}

enum Ctl {
    Configure(Vec<(InstanceConfig, Option<String>)>),
}

/// The LDP speaker: one instance per `/mpls ldp` entry, on a thread of its own.
pub struct Ldp {
    ctl: Mutex<Option<mpsc::UnboundedSender<Ctl>>>,
    /// What the console reads.
    pub shared: Arc<Shared>,
    thread: Mutex<Option<std::thread::JoinHandle<()>>>,
}

impl Ldp {
    /// Starts the speaker's thread; label state goes to `rib`.
    pub fn start(rib: RibHandle) -> std::io::Result<Ldp> {
        let shared = Arc::new(Shared::default());
        let (ctl, rx) = mpsc::unbounded_channel();
        let s = shared.clone();
        let thread = crate::runtime_thread("ldp", move |rt| rt.block_on(manager(rx, s, rib)))?;
        Ok(Ldp {
            ctl: Mutex::new(Some(ctl)),
            shared,
            thread: Mutex::new(Some(thread)),
        })
    }

    /// Follows a new configuration.
    pub fn configure(&self, store: &Store, rib: &RibHandle) {
        let plan = rib.plan();
        let (ok, inactive) = config::instances(store, &plan);
        {
            let mut old = lock(&self.shared.inactive);
            for i in &inactive {
                if !old.contains(i) {
                    eprintln!("rspe: ldp: instance *{:X} is inactive: {}", i.id, i.why);
                }
            }
            *old = inactive;
        }
        let with_ns = ok
            .into_iter()
            .map(|c| {
                let ns = rib.netns_name(c.vrf_id);
                (c, ns)
            })
            .collect();
        if let Some(ctl) = &*lock(&self.ctl) {
            let _ = ctl.send(Ctl::Configure(with_ns));
        }
    }

    /// Ends every session (Notification, shutdown) and the thread.
    pub fn shutdown(&self) {
        lock(&self.ctl).take();
        if let Some(t) = lock(&self.thread).take() {
            let _ = t.join();
        }
    }
}

struct Running {
    cfg: InstanceConfig,
    netns: Option<String>,
    stop: oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

async fn manager(mut rx: mpsc::UnboundedReceiver<Ctl>, shared: Arc<Shared>, rib: RibHandle) {
    let mut running: BTreeMap<u32, Running> = BTreeMap::new();
    let mut pool: Option<((u32, u32), labels::Pool)> = None;
    while let Some(Ctl::Configure(want)) = rx.recv().await {
        let range = want.first().map_or((16, 1_048_575), |(c, _)| c.label_range);
        let new_pool = pool.as_ref().is_none_or(|(r, _)| *r != range);
        let ids: Vec<u32> = running.keys().copied().collect();
        for id in ids {
            let keep = !new_pool
                && want.iter().any(|(c, ns)| {
                    c.id == id && *c == running[&id].cfg && *ns == running[&id].netns
                });
            if !keep {
                if let Some(r) = running.remove(&id) {
                    stop(r).await;
                }
                lock(&shared.views).remove(&id);
            }
        }
        if new_pool {
            pool = Some((range, labels::pool(range.0, range.1)));
        }
        let Some((_, p)) = &pool else { continue };
        for (cfg, netns) in want {
            if running.contains_key(&cfg.id) {
                continue;
            }
            let view = Arc::new(Mutex::new(View {
                vrf: cfg.vrf.clone(),
                ..View::default()
            }));
            lock(&shared.views).insert(cfg.id, view.clone());
            let (tx, stop_rx) = oneshot::channel();
            let task = tokio::spawn(instance::run(
                cfg.clone(),
                netns.clone(),
                rib.clone(),
                p.clone(),
                view,
                stop_rx,
            ));
            running.insert(
                cfg.id,
                Running {
                    cfg,
                    netns,
                    stop: tx,
                    task,
                },
            );
        }
    }
    for (_, r) in std::mem::take(&mut running) {
        stop(r).await;
    }
}

/// Stops an instance and waits for it to have said goodbye.
async fn stop(r: Running) {
    let _ = r.stop.send(());
    let _ = tokio::time::timeout(std::time::Duration::from_secs(2), r.task).await;
}
