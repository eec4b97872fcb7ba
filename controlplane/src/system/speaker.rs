//! What every protocol speaker with instances shares (LDP and OSPF): a thread with a
//! single-threaded tokio runtime, a manager that follows the configuration (an instance
//! whose configuration or namespace changed is stopped and started again), one task per
//! instance, the views the console reads, and the instances that cannot run with why.

use crate::lock;
use std::collections::BTreeMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use tokio::sync::{mpsc, oneshot};

/// An instance's configuration, as the manager needs it.
pub trait Instance: Clone + PartialEq + Send + 'static {
    /// The configuration item's id (the instance's number).
    fn id(&self) -> u32;
}

/// An instance to run, with its VRF's namespace (`None`: the daemon's own).
pub type Want<C> = (C, Option<String>);

/// An instance that cannot run, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inactive {
    /// The configuration item's id.
    pub id: u32,
    /// Why.
    pub why: String,
}

/// How an instance is run: its configuration, namespace, the RIB handle, its view, and
/// the signal to stop.
pub trait Runner<C, V, R>:
    Fn(C, Option<String>, R, Arc<Mutex<V>>, oneshot::Receiver<()>) -> Self::Fut + Send + 'static
{
    /// The instance's task.
    type Fut: Future<Output = ()> + Send + 'static;
}

impl<C, V, R, F, Fut> Runner<C, V, R> for F
where
    F: Fn(C, Option<String>, R, Arc<Mutex<V>>, oneshot::Receiver<()>) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    type Fut = Fut;
}

/// A speaker: its thread and what the console reads.
pub struct Speaker<C, V> {
    name: &'static str,
    ctl: Mutex<Option<mpsc::UnboundedSender<Vec<Want<C>>>>>,
    views: Arc<Mutex<BTreeMap<u32, Arc<Mutex<V>>>>>,
    inactive: Mutex<Vec<Inactive>>,
    thread: Mutex<Option<std::thread::JoinHandle<()>>>,
}

struct Running<C> {
    cfg: C,
    netns: Option<String>,
    stop: oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

impl<C: Instance, V: Default + Clone + Send + 'static> Speaker<C, V> {
    /// Starts the speaker's thread ("ldp", "ospf"): instances run by `run` with `rib`.
    pub fn start<R: Clone + Send + 'static>(
        name: &'static str,
        rib: R,
        run: impl Runner<C, V, R>,
    ) -> std::io::Result<Speaker<C, V>> {
        let (ctl, rx) = mpsc::unbounded_channel();
        let views = Arc::new(Mutex::new(BTreeMap::new()));
        let v = views.clone();
        let thread = crate::runtime_thread(name, move |rt| rt.block_on(manager(rx, v, rib, run)))?;
        Ok(Speaker {
            name,
            ctl: Mutex::new(Some(ctl)),
            views,
            inactive: Mutex::new(Vec::new()),
            thread: Mutex::new(Some(thread)),
        })
    }

    /// Runs the instances of `ok`, each in the namespace `netns` names for it, and nothing
    /// else; `inactive` are those that cannot run (each logged once).
    pub fn configure(
        &self,
        ok: Vec<C>,
        inactive: Vec<Inactive>,
        netns: impl Fn(&C) -> Option<String>,
    ) {
        {
            let mut old = lock(&self.inactive);
            for i in &inactive {
                if !old.contains(i) {
                    eprintln!(
                        "rspe: {}: instance *{:X} is inactive: {}",
                        self.name, i.id, i.why
                    );
                }
            }
            *old = inactive;
        }
        let want: Vec<Want<C>> = ok
            .into_iter()
            .map(|c| {
                let ns = netns(&c);
                (c, ns)
            })
            .collect();
        if let Some(ctl) = &*lock(&self.ctl) {
            let _ = ctl.send(want);
        }
    }

    /// Why instance `id` cannot run, if it cannot.
    pub fn inactive_reason(&self, id: u32) -> Option<String> {
        lock(&self.inactive)
            .iter()
            .find(|i| i.id == id)
            .map(|i| i.why.clone())
    }

    /// Every running instance's view.
    pub fn views(&self) -> Vec<V> {
        lock(&self.views)
            .values()
            .map(|v| lock(v).clone())
            .collect()
    }

    /// Stops every instance (each says goodbye) and the thread.
    pub fn shutdown(&self) {
        lock(&self.ctl).take();
        if let Some(t) = lock(&self.thread).take() {
            let _ = t.join();
        }
    }
}

async fn manager<C: Instance, V: Default + Send + 'static, R: Clone>(
    mut rx: mpsc::UnboundedReceiver<Vec<Want<C>>>,
    views: Arc<Mutex<BTreeMap<u32, Arc<Mutex<V>>>>>,
    rib: R,
    run: impl Runner<C, V, R>,
) {
    let mut running: BTreeMap<u32, Running<C>> = BTreeMap::new();
    while let Some(want) = rx.recv().await {
        let ids: Vec<u32> = running.keys().copied().collect();
        for id in ids {
            let r = &running[&id];
            let keep = want
                .iter()
                .any(|(c, ns)| c.id() == id && *c == r.cfg && *ns == r.netns);
            if !keep {
                if let Some(r) = running.remove(&id) {
                    stop(r).await;
                }
                lock(&views).remove(&id);
            }
        }
        for (cfg, netns) in want {
            if running.contains_key(&cfg.id()) {
                continue;
            }
            let view = Arc::new(Mutex::new(V::default()));
            lock(&views).insert(cfg.id(), view.clone());
            let (tx, stop_rx) = oneshot::channel();
            let task = tokio::spawn(run(cfg.clone(), netns.clone(), rib.clone(), view, stop_rx));
            running.insert(
                cfg.id(),
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

/// Stops an instance and waits (5 s at most: OSPF waits up to 3 s for its flushed LSAs to
/// be acknowledged) for it to have said goodbye.
async fn stop<C>(r: Running<C>) {
    let _ = r.stop.send(());
    let _ = tokio::time::timeout(std::time::Duration::from_secs(5), r.task).await;
}
