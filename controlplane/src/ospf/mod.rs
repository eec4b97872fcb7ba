//! OSPFv2 (RFC 2328), one instance per VRF. Built room by room like `bgp/` and `ldp/`: the
//! codec ([`packet`]), the neighbour state machine ([`neighbor`]), the DR election
//! ([`interface`]), the link-state database ([`lsdb`]) and SPF ([`spf`]), each pure and
//! tested step by step; the configuration ([`config`]), the socket ([`io`]), the instance
//! ([`instance`], packets in [`adjacency`], our LSAs in [`originate`]) and the prints
//! ([`print`]).
//!
//! Everything runs on a thread of its own ("ospf") with a single-threaded tokio runtime: a
//! manager following the configuration and one task per instance, its raw socket in its
//! VRF's namespace.

pub mod adjacency;
pub mod config;
pub mod instance;
pub mod interface;
pub mod io;
pub mod lsdb;
pub mod neighbor;
pub mod originate;
pub mod packet;
pub mod print;
pub mod spf;

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
    /// Running instances' views, by item id.
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

/// The OSPF speaker.
pub struct Ospf {
    ctl: Mutex<Option<mpsc::UnboundedSender<Ctl>>>,
    /// What the console reads.
    pub shared: Arc<Shared>,
    thread: Mutex<Option<std::thread::JoinHandle<()>>>,
}

impl Ospf {
    /// Starts the speaker's thread; routes go to `rib`.
    pub fn start(rib: RibHandle) -> std::io::Result<Ospf> {
        let shared = Arc::new(Shared::default());
        let (ctl, rx) = mpsc::unbounded_channel();
        let s = shared.clone();
        let thread = crate::runtime_thread("ospf", move |rt| rt.block_on(manager(rx, s, rib)))?;
        Ok(Ospf {
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
                    eprintln!("rspe: ospf: instance *{:X} is inactive: {}", i.id, i.why);
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

    /// Stops every instance and the thread.
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
    while let Some(Ctl::Configure(want)) = rx.recv().await {
        let ids: Vec<u32> = running.keys().copied().collect();
        for id in ids {
            let keep = want
                .iter()
                .any(|(c, ns)| c.id == id && *c == running[&id].cfg && *ns == running[&id].netns);
            if !keep {
                if let Some(r) = running.remove(&id) {
                    stop(r).await;
                }
                lock(&shared.views).remove(&id);
            }
        }
        for (cfg, netns) in want {
            if running.contains_key(&cfg.id) {
                continue;
            }
            let view = Arc::new(Mutex::new(View {
                name: cfg.name.clone(),
                ..View::default()
            }));
            lock(&shared.views).insert(cfg.id, view.clone());
            let (tx, stop_rx) = oneshot::channel();
            let task = tokio::spawn(instance::run(
                cfg.clone(),
                netns.clone(),
                rib.clone(),
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

async fn stop(r: Running) {
    let _ = r.stop.send(());
    let _ = tokio::time::timeout(std::time::Duration::from_secs(2), r.task).await;
}
