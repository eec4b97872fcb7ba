//! `rspe`, the daemon: brings up the DPDK ports, starts one worker per worker lcore, serves
//! the control socket, and stops cleanly on SIGINT or SIGTERM.
//!
//! ```text
//! rspe [--config FILE] [--socket PATH] [--poll adaptive|busy] -- <EAL arguments>
//! ```

use controlplane::northbound::api::ControlSocket;
use controlplane::northbound::interfaces::{
    ether_name, DeviceStats, Interface, Interfaces, PortDevice, RouterLive,
};
use controlplane::northbound::router::Router;
use controlplane::plan::PortBase;
use controlplane::system::forwarder::Forwarder;
use controlplane::system::rib_service::RibHandle;
use controlplane::system::twins::{self, Twins};
use dataplane::conntrack::Conntrack;
use dataplane::counters::WorkerCounters;
use dataplane::dpdk::{Eal, Mempool, Port, PortConfig, BURST};
use dataplane::exception::Exception;
use dataplane::worker::{patch_peers, PatchWorker, PollMode, RouterWorker};
use shared::rcu::Publisher;
use shared::snapshot::Snapshot;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

const USAGE: &str = "\
usage: rspe [--config FILE] [--socket PATH] [--poll adaptive|busy] [--no-twins]
            [--netns-prefix P] [--netns NAME] [--patch] -- <EAL arguments>

  --config FILE     the saved configuration (RouterOS export) to load and keep
  --socket PATH     control socket (default /run/rspe/rspe.sock)
  --poll MODE       adaptive (default): idle workers back off to sleeps;
                    busy: workers always spin (benchmarks)
  --no-twins        no kernel twins: the router does not answer on its own addresses
                    (for several routers in one namespace, and tests)
  --netns-prefix P  VRF x's twins live in network namespace Px (default rspe-)
  --netns NAME      run in network namespace NAME (as `ip netns exec` would, but
                    keeping the host's mounts, so the VRFs' namespaces are visible)
  --patch           a patch panel instead of a router: port 0 <-> 1, 2 <-> 3, ...
  EAL arguments   as for any DPDK application, e.g.
                  -l 0-1 --no-pci --vdev net_af_packet0,iface=veth0";

/// Receive and transmit descriptors per queue.
const RX_DESC: u16 = 1024;
const TX_DESC: u16 = 1024;
/// Per-lcore mempool cache.
const POOL_CACHE: u32 = 256;

#[derive(Debug)]
struct Options {
    config: Option<PathBuf>,
    socket: PathBuf,
    poll: PollMode,
    twins: bool,
    netns_prefix: String,
    netns: Option<String>,
    patch: bool,
    eal: Vec<String>,
}

/// A failure that stops the daemon: the message, and the exit code (2: usage).
struct Fatal(String, u8);

impl<E: std::fmt::Display> From<E> for Fatal {
    fn from(e: E) -> Self {
        Fatal(e.to_string(), 1)
    }
}

fn parse_args(args: Vec<String>) -> Result<Options, Fatal> {
    let usage = |msg: String| Fatal(format!("{msg}\n{USAGE}"), 2);
    let mut opts = Options {
        config: None,
        socket: PathBuf::from(shared::api::DEFAULT_SOCKET),
        poll: PollMode::Adaptive,
        twins: true,
        netns_prefix: "rspe-".into(),
        netns: None,
        patch: false,
        eal: Vec::new(),
    };
    let mut it = args.into_iter();
    while let Some(arg) = it.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n.to_owned(), Some(v.to_owned())),
            _ => (arg.clone(), None),
        };
        let mut value = |what: &str| {
            inline
                .clone()
                .or_else(|| it.next())
                .ok_or_else(|| usage(format!("{name} needs {what}")))
        };
        match name.as_str() {
            "--" => {
                opts.eal = it.collect();
                break;
            }
            "--config" => opts.config = Some(PathBuf::from(value("a file")?)),
            "--socket" => opts.socket = PathBuf::from(value("a path")?),
            "--no-twins" => opts.twins = false,
            "--patch" => opts.patch = true,
            "--netns-prefix" => opts.netns_prefix = value("a prefix")?,
            "--netns" => opts.netns = Some(value("a namespace name")?),
            "--poll" => {
                opts.poll = match value("adaptive or busy")?.as_str() {
                    "adaptive" => PollMode::Adaptive,
                    "busy" => PollMode::Busy,
                    other => {
                        return Err(usage(format!(
                            "--poll {other:?}: expected adaptive or busy"
                        )))
                    }
                }
            }
            "-h" | "--help" => return Err(Fatal(USAGE.into(), 0)),
            "-V" | "--version" => {
                return Err(Fatal(format!("rspe {}", env!("CARGO_PKG_VERSION")), 0))
            }
            other => {
                return Err(usage(format!(
                    "unknown option {other:?} (EAL arguments go after `--`)"
                )))
            }
        }
    }
    Ok(opts)
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(Fatal(msg, 0)) => {
            println!("{msg}");
            ExitCode::SUCCESS
        }
        Err(Fatal(msg, code)) => {
            eprintln!("rspe: {msg}");
            ExitCode::from(code)
        }
    }
}

/// The names of the virtual devices in the EAL arguments (`--vdev net_pcap0,rx_pcap=x`),
/// those that are network ports (`net_` prefix).
fn requested_vdevs(eal: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    let mut it = eal.iter();
    while let Some(a) = it.next() {
        let spec = match a.strip_prefix("--vdev") {
            Some("") => it.next().map(String::as_str),
            Some(rest) => rest.strip_prefix('='),
            None => None,
        };
        if let Some(name) = spec.and_then(|s| s.split(',').next()) {
            if name.starts_with("net_") {
                out.push(name.to_owned());
            }
        }
    }
    out
}

/// A worker: where it runs, and how to collect it.
enum Running {
    Lcore(dataplane::dpdk::LcoreId),
    Thread(std::thread::JoinHandle<()>),
}

fn run() -> Result<(), Fatal> {
    let opts = parse_args(std::env::args().skip(1).collect())?;
    // Before any thread starts: every thread inherits the namespace.
    if let Some(ns) = &opts.netns {
        controlplane::system::netns::enter(ns)
            .map_err(|e| Fatal(format!("--netns {ns}: {e}"), 1))?;
    }
    if opts.twins && !opts.patch && controlplane::system::netns::private_mounts() {
        eprintln!(
            "rspe: warning: /run/netns is private to this process (ip netns exec?): the VRFs' \
             namespaces will not be visible to other processes; use --netns instead"
        );
    }

    if let Some(cfg) = &opts.config {
        // The file may not exist yet (first start), but its directory must, so a typo
        // fails now and not at the first save.
        let dir = cfg
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(std::path::Path::new("."));
        if !dir.is_dir() {
            return Err(Fatal(
                format!(
                    "--config {}: directory {} does not exist",
                    cfg.display(),
                    dir.display()
                ),
                1,
            ));
        }
    }

    // The socket first: it is cheap to check, and a second daemon must not touch ports.
    let socket = ControlSocket::bind(&opts.socket)?;

    let eal = Eal::init("rspe", &opts.eal)?;
    // A device the user asked for that did not come up (a pcap file that does not exist, an
    // interface that is not there) is an error, not a silently missing port.
    for dev in requested_vdevs(&opts.eal) {
        if Port::by_name(&eal, &dev).is_none() {
            return Err(Fatal(
                format!("device {dev} from the EAL arguments did not come up (the EAL's message above says why)"),
                1,
            ));
        }
    }
    let port_ids = Port::available(&eal);
    if port_ids.is_empty() {
        return Err(Fatal(
            "no DPDK ports: pass devices in the EAL arguments (--vdev ..., or bind a NIC to vfio-pci)"
                .into(),
            1,
        ));
    }
    let infos = port_ids
        .iter()
        .map(|&id| Port::info(&eal, id))
        .collect::<Result<Vec<_>, _>>()?;

    let lcores = eal.worker_lcores();
    // Each worker needs its own rx and tx queue on every port.
    let max_queues = infos
        .iter()
        .map(|i| i.max_rx_queues.min(i.max_tx_queues))
        .min()
        .unwrap_or(1)
        .max(1);
    let workers = lcores.len().max(1).min(usize::from(max_queues));
    if lcores.len() > workers {
        eprintln!(
            "rspe: {} worker lcores but a port offers only {max_queues} queue(s): using {workers} worker(s)",
            lcores.len()
        );
    }

    let queues = workers as u16;
    let per_port = u32::from(queues) * u32::from(RX_DESC + TX_DESC);
    let n_mbufs =
        (per_port * port_ids.len() as u32 + workers as u32 * (POOL_CACHE + BURST as u32) + 1024)
            .next_power_of_two()
            - 1;
    let pool = Arc::new(Mempool::pktmbuf(
        &eal,
        "rspe_pkt",
        n_mbufs,
        POOL_CACHE,
        2048 + 128,
        eal.socket_id(),
    )?);

    let max_port = usize::from(*port_ids.iter().max().unwrap_or(&0)) + 1;
    let mut rx_by_worker: Vec<Vec<_>> = (0..workers).map(|_| Vec::new()).collect();
    let mut tx_by_worker: Vec<Vec<_>> = (0..workers)
        .map(|_| (0..max_port).map(|_| None).collect())
        .collect();
    let mut interfaces = Vec::new();
    for (index, info) in infos.into_iter().enumerate() {
        let cfg = PortConfig {
            queues,
            rx_desc: RX_DESC,
            tx_desc: TX_DESC,
            promiscuous: true,
        };
        let (port, rx, tx) = Port::start(&eal, info.id, cfg, pool.clone())?;
        for (w, (rxq, txq)) in rx.into_iter().zip(tx).enumerate() {
            rx_by_worker[w].push(rxq);
            tx_by_worker[w][usize::from(info.id)] = Some(txq);
        }
        eprintln!(
            "rspe: {} = port {} ({}, {}), {queues} queue(s)",
            ether_name(index),
            info.id,
            info.name,
            info.driver
        );
        seal_kernel_device(&info);
        interfaces.push(Interface {
            default_name: ether_name(index),
            id: info.id,
            mac: info.mac,
            driver: info.driver.clone(),
            port: Box::new(Device(port)),
        });
    }

    let stop = Arc::new(AtomicBool::new(false));
    let counters: Vec<Arc<WorkerCounters>> = (0..workers)
        .map(|_| Arc::new(WorkerCounters::new(max_port)))
        .collect();
    let bases: Vec<PortBase> = interfaces
        .iter()
        .map(|i: &Interface| PortBase {
            id: i.id,
            default_name: i.default_name.clone(),
            mac: i.mac,
        })
        .collect();

    // The router's forwarding state and exception path (not for a patch panel).
    let mut routing = None;
    let mut rib = None;
    // RouterOS sizes its table by memory; a million connections is its ceiling.
    let conntrack = Arc::new(Conntrack::new(1 << 20));
    if !opts.patch {
        let twin_taps = if opts.twins {
            twins::create(&bases)?
        } else {
            (0..max_port).map(|_| None).collect()
        };
        let exception = Arc::new(Exception::new(twin_taps));
        let publisher = Publisher::new(Snapshot::default());
        let readers: Vec<_> = (0..workers).map(|_| publisher.reader()).collect();
        let twins = if opts.twins {
            Some(Twins::start(&bases, exception.clone())?)
        } else {
            None
        };
        let forwarder = Forwarder::new(
            bases,
            publisher,
            exception.clone(),
            twins,
            opts.netns_prefix.clone(),
            conntrack.clone(),
        );
        rib = Some(RibHandle::start(forwarder).map_err(|e| Fatal(format!("rib thread: {e}"), 1))?);
        routing = Some((exception, readers));
    }

    let interfaces = Arc::new(Interfaces {
        list: interfaces,
        counters: counters.clone(),
    });
    let bgp = match &rib {
        Some(r) => Some(Arc::new(
            controlplane::bgp::Bgp::start(r.clone())
                .map_err(|e| Fatal(format!("bgp thread: {e}"), 1))?,
        )),
        None => None,
    };
    let ldp = match &rib {
        Some(r) => Some(Arc::new(
            controlplane::ldp::Ldp::start(r.clone())
                .map_err(|e| Fatal(format!("ldp thread: {e}"), 1))?,
        )),
        None => None,
    };
    let ospf = match &rib {
        Some(r) => Some(Arc::new(
            controlplane::ospf::Ospf::start(r.clone())
                .map_err(|e| Fatal(format!("ospf thread: {e}"), 1))?,
        )),
        None => None,
    };
    let live = Arc::new(RouterLive {
        interfaces: interfaces.clone(),
        rib: rib.clone(),
        bgp: bgp.clone(),
        ldp: ldp.clone(),
        ospf: ospf.clone(),
    });
    // The configuration is loaded and the first snapshot published before any worker runs.
    let router = Router::new(
        &interfaces.describe(),
        opts.config.clone(),
        live,
        rib.clone(),
        bgp.clone(),
        ldp.clone(),
        ospf.clone(),
    );

    let mut running = Vec::new();
    let launched = match &router {
        Ok(_) => launch_workers(
            &eal,
            &lcores,
            rx_by_worker,
            tx_by_worker,
            routing,
            &conntrack,
            &counters,
            &stop,
            &opts,
            &pool,
            &mut running,
        ),
        Err(_) => Ok(()),
    };
    eprintln!(
        "rspe: {workers} worker(s), {} poll mode, control socket {}",
        if opts.poll == PollMode::Busy {
            "busy"
        } else {
            "adaptive"
        },
        opts.socket.display()
    );
    if opts.patch {
        eprintln!("rspe: patch panel: port 0 <-> 1, 2 <-> 3, ...");
    }
    let served = match (router, launched) {
        (Ok(router), Ok(())) => serve_until_signal(&socket, Arc::new(router)),
        (Err(e), _) => Err(Fatal(e, 1)),
        (_, Err(e)) => Err(e),
    };

    // Stop: BGP sessions first (their NOTIFICATIONs still go out), then the workers,
    // then ports, then the EAL.
    if let Some(b) = &bgp {
        b.shutdown();
    }
    if let Some(l) = &ldp {
        l.shutdown();
    }
    if let Some(o) = &ospf {
        o.shutdown();
    }
    stop.store(true, Ordering::Relaxed);
    for r in running {
        let ok = match r {
            Running::Lcore(l) => eal.wait(l),
            Running::Thread(h) => h.join().is_ok(),
        };
        if !ok {
            eprintln!("rspe: a worker ended abnormally");
        }
    }
    if let Some(r) = &rib {
        r.shutdown();
    }
    for ifc in &interfaces.list {
        ifc.port.stop();
    }
    drop(interfaces);
    drop(pool);
    drop(socket);
    drop(eal);
    eprintln!("rspe: stopped");
    served
}

type Queues = Vec<Vec<dataplane::dpdk::RxQueue>>;
type TxQueues = Vec<Vec<Option<dataplane::dpdk::TxQueue>>>;

/// Starts one worker per worker lcore (or a registered thread with `-l 0`): routers when
/// `routing` is given, patch panels otherwise.
#[allow(clippy::too_many_arguments)]
fn launch_workers(
    eal: &Eal,
    lcores: &[dataplane::dpdk::LcoreId],
    rx_by_worker: Queues,
    tx_by_worker: TxQueues,
    routing: Option<(Arc<Exception>, Vec<shared::rcu::Reader<Snapshot>>)>,
    conntrack: &Arc<Conntrack>,
    counters: &[Arc<WorkerCounters>],
    stop: &Arc<AtomicBool>,
    opts: &Options,
    pool: &Arc<Mempool>,
    running: &mut Vec<Running>,
) -> Result<(), Fatal> {
    let peers = patch_peers(tx_by_worker.first().map_or(0, Vec::len));
    let (exception, mut readers) = match routing {
        Some((e, r)) => (Some(e), r.into_iter().map(Some).collect()),
        None => (None, Vec::new()),
    };
    for (w, (rx, tx)) in rx_by_worker.into_iter().zip(tx_by_worker).enumerate() {
        let reader = readers.get_mut(w).and_then(Option::take);
        let job: Box<dyn FnOnce() + Send> = match (&exception, reader) {
            (Some(exception), Some(snapshots)) => {
                let worker = RouterWorker {
                    index: w,
                    rx,
                    tx,
                    counters: counters[w].clone(),
                    stop: stop.clone(),
                    mode: opts.poll,
                    snapshots,
                    exception: exception.clone(),
                    pool: pool.clone(),
                    conntrack: conntrack.clone(),
                };
                Box::new(move || worker.run())
            }
            _ => {
                let worker = PatchWorker {
                    rx,
                    tx,
                    peer: peers.clone(),
                    counters: counters[w].clone(),
                    stop: stop.clone(),
                    mode: opts.poll,
                };
                Box::new(move || worker.run())
            }
        };
        match lcores.get(w) {
            Some(&lcore) => {
                eal.launch(lcore, job)?;
                running.push(Running::Lcore(lcore));
            }
            None => {
                // No worker lcore (`-l 0`): a plain thread registered with the EAL.
                let eal2 = eal.clone();
                let handle = std::thread::Builder::new()
                    .name(format!("rspe-worker{w}"))
                    .spawn(move || {
                        if let Err(e) = eal2.register_thread() {
                            eprintln!("rspe: worker {w}: {e}");
                        }
                        drop(eal2);
                        job()
                    })?;
                running.push(Running::Thread(handle));
            }
        }
    }
    Ok(())
}

/// A DPDK port as the control plane's [`PortDevice`].
struct Device(dataplane::dpdk::Port);

impl PortDevice for Device {
    fn link_up(&self) -> bool {
        self.0.link_up()
    }

    fn stats(&self) -> DeviceStats {
        self.0
            .stats()
            .map(|s| DeviceStats {
                rx_missed: s.rx_missed,
                rx_nombuf: s.rx_nombuf,
                rx_errors: s.rx_errors,
                tx_errors: s.tx_errors,
            })
            .unwrap_or_default()
    }

    fn stop(&self) {
        self.0.stop();
    }
}

/// A port whose device the kernel also sees (`net_af_packet`, `net_tap`): the kernel is
/// told to keep out of it (`controlplane::system::netns::seal_port_device`). Logged when it cannot
/// be (a read-only /proc/sys): the router then shares the wire with the kernel.
fn seal_kernel_device(info: &dataplane::dpdk::PortInfo) {
    if info.if_index == 0 {
        return;
    }
    let sealed = nix::net::if_::if_indextoname(info.if_index)
        .map_err(|e| e.to_string())
        .and_then(|n| {
            let name = n.to_string_lossy().into_owned();
            controlplane::system::netns::seal_port_device(&name)
                .map(|()| name)
                .map_err(|e| e.to_string())
        });
    match sealed {
        Ok(name) => eprintln!(
            "rspe: port {} is kernel device {name}: sealed (rp_filter=1, arp_ignore=8, forwarding=0, no IPv6)",
            info.id
        ),
        Err(e) => eprintln!(
            "rspe: WARNING: port {}'s kernel device (index {}) could not be sealed: {e}; the kernel may answer on it",
            info.id, info.if_index
        ),
    }
}

/// Serves the control socket until SIGINT or SIGTERM (the workers' events are the RIB
/// thread's, `controlplane::system::rib_service`).
fn serve_until_signal(socket: &ControlSocket, router: Arc<Router>) -> Result<(), Fatal> {
    use tokio::signal::unix::{signal, SignalKind};
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let mut term = signal(SignalKind::terminate())?;
        let mut int = signal(SignalKind::interrupt())?;
        let r = tokio::select! {
            r = socket.serve(Arc::new(router.clone())) => r.map_err(|e| Fatal(format!("control socket: {e}"), 1)),
            _ = term.recv() => { eprintln!("rspe: SIGTERM, stopping"); Ok(()) }
            _ = int.recv() => { eprintln!("rspe: SIGINT, stopping"); Ok(()) }
        };
        router.close();
        r
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &[&str]) -> Vec<String> {
        s.iter().map(|a| a.to_string()).collect()
    }

    #[test]
    fn options_before_and_eal_after_the_separator() {
        let o = parse_args(args(&[
            "--socket",
            "/tmp/x.sock",
            "--poll=busy",
            "--",
            "-l",
            "0-1",
            "--no-pci",
        ]))
        .ok()
        .unwrap();
        assert_eq!(o.socket, PathBuf::from("/tmp/x.sock"));
        assert_eq!(o.poll, PollMode::Busy);
        assert_eq!(o.eal, args(&["-l", "0-1", "--no-pci"]));
        assert!(o.config.is_none());
    }

    #[test]
    fn finds_requested_network_vdevs() {
        let eal = args(&[
            "--vdev",
            "net_pcap0,rx_pcap=a",
            "--vdev=net_ring0",
            "--vdev",
            "crypto_null",
            "-l",
            "0",
        ]);
        assert_eq!(requested_vdevs(&eal), args(&["net_pcap0", "net_ring0"]));
    }

    #[test]
    fn bad_options_are_usage_errors() {
        for bad in [
            &["--poll", "fast"][..],
            &["--socket"],
            &["--vdev", "x"],
            &["-l"],
        ] {
            match parse_args(args(bad)) {
                Err(Fatal(msg, 2)) => assert!(msg.contains("usage:"), "{msg}"),
                _ => panic!("{bad:?} should be a usage error"),
            }
        }
    }
}
