//! `scripts/bench rib-churn`: 100,000 static routes added, then removed, spread over main and
//! 1,000 VRF tables (each VRF's in a /16 of its own) (a third by gateway address in main, a
//! third by `IP@main` from a VRF, a third by interface), handed to the RIB's thread as a
//! protocol hands them (`rib_service::Batch`es of what it has, at least every millisecond,
//! at most 1,024 changes each, two batches in flight), through the RIB (resolution, selection) and the incremental
//! FIB builder, published by the thread once per round while a "dataplane" thread looks up
//! addresses in the newest snapshot without pause. Each change's latency runs from the
//! moment it is made to the moment the dataplane thread first holds a snapshot containing
//! it (hdrhistogram); the rate counts until the dataplane holds the last change.
//!
//! Baseline in the same run: the same prefixes inserted and removed in the bare FIBs (no RIB,
//! no resolution, no publication). Memory per route: in a fresh process, resident memory
//! with the 100,000 routes in (published, old versions reclaimed), less without, divided by
//! 100,000. Medians of 5 runs.
//!
//! The configuration language's own cost (a route typed as `/ip route add ...`) is measured
//! by `scripts/bench config-load`; this measures the routing core behind it.
//!
//! Last line: `rib-churn: <changes/s> changes/s (<ratio> of the bare FIB), p99 <ms> ms to
//! dataplane`.

use controlplane::plan::{Origin, Plan, PortBase, PortPlan};
use controlplane::rib::builder::Builder;
use controlplane::rib::{Gateway, RouteSpec, Source};
use controlplane::system::forwarder::Forwarder;
use controlplane::system::rib_service::{Batch, Change, Owner, RibHandle};
use dataplane::conntrack::Conntrack;
use dataplane::exception::Exception;
use dataplane::pipeline::Event;
use hdrhistogram::Histogram;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rspe_perf::median;
use shared::fib::FibBuilder;
use shared::rcu::Publisher;
use shared::snapshot::Snapshot;
use shared::types::{NextHopId, PortId, Prefix4, TableId, VrfId};
use std::collections::VecDeque;
use std::hint::black_box;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const ROUTES: usize = 100_000;
const VRFS: usize = 1_000;
const RUNS: usize = 5;
/// A protocol hands the RIB what it has at least every millisecond, at most this many
/// changes at once.
fn batch() -> usize {
    std::env::var("RIB_CHURN_BATCH")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1024)
}
const BATCH_EVERY: Duration = Duration::from_millis(1);
/// Batches handed over and not yet seen by the dataplane, at most.
const IN_FLIGHT: usize = 2;

fn rss_bytes() -> u64 {
    let s = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = s
        .split_whitespace()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

/// Port 0 in main (10.0.0.1/24), port 1 in main (10.1.0.1/24), port 2+v in VRF v.
fn plan() -> Plan {
    let mut ports = vec![
        PortPlan {
            id: 0,
            name: "ether1".into(),
            mac: [2, 0, 0, 0, 0, 1],
            mtu: 1500,
            enabled: true,
            vrf: VrfId::MAIN,
            addrs: vec![(0x0a00_0001, 24)],
            mpls: None,
            tunnel: None,
            vlan: None,
        },
        PortPlan {
            id: 1,
            name: "ether2".into(),
            mac: [2, 0, 0, 0, 0, 2],
            mtu: 1500,
            enabled: true,
            vrf: VrfId::MAIN,
            addrs: vec![(0x0a01_0001, 24)],
            mpls: None,
            tunnel: None,
            vlan: None,
        },
    ];
    let mut vrfs = vec!["main".to_string()];
    let mut vrf_table = vec![TableId::MAIN];
    let mut tables = vec!["main".to_string()];
    for v in 0..VRFS {
        let id = 2 + v as u16;
        ports.push(PortPlan {
            id,
            name: format!("ether{}", id + 1),
            mac: [2, 0, 0, 0, (id >> 8) as u8, id as u8],
            mtu: 1500,
            enabled: true,
            vrf: VrfId(1 + v as u16),
            addrs: vec![(0xac10_0001, 24)],
            mpls: None,
            tunnel: None,
            vlan: None,
        });
        vrfs.push(format!("v{v}"));
        tables.push(format!("v{v}"));
        vrf_table.push(TableId(1 + v as u16));
    }
    let mut p = Plan {
        ports,
        loopbacks: Vec::new(),
        vrfs,
        vrf_table,
        tables,
        routes: Vec::new(),
        firewall: None,
        tracking: Default::default(),
        rp_filter: Default::default(),
        mpls: Default::default(),
    };
    // Connected routes as the configuration would give them.
    let mut routes = Vec::new();
    for port in &p.ports {
        let t = p.vrf_table[usize::from(port.vrf.0)];
        let (a, l) = port.addrs[0];
        let net = Prefix4::new(a & shared::types::mask(l), l).expect("net");
        routes.push((
            Origin::Connected { port: port.id, net },
            RouteSpec {
                table: t,
                dst: net,
                source: Source::Connected,
                distance: 0,
                scope: 10,
                target_scope: 0,
                gateways: [Gateway::Port(port.id)].into(),
                blackhole: false,
                labels: Default::default(),
            },
        ));
    }
    p.routes = routes;
    p
}

/// Route `i`: its table, prefix and gateway.
fn route(i: usize) -> (Origin, RouteSpec) {
    let table = if i.is_multiple_of(3) {
        TableId::MAIN
    } else {
        TableId(1 + (i % VRFS) as u16)
    };
    // Main's routes are spread over 32.0.0.0/8; each VRF's customer routes lie in a /16 of
    // its own (customers have their own address blocks).
    let v = (i % VRFS) as u32;
    let k = (i / VRFS) as u32;
    let dst = if table == TableId::MAIN {
        Prefix4::new(0x2000_0000 + (((i / 3) as u32) << 8), 24)
    } else {
        Prefix4::new(0x4000_0000 + (v << 16) + (k << 8), 24)
    }
    .expect("prefix");
    let gw = match i % 3 {
        // In main, by address on main's connected network (two gateways in turn).
        0 => Gateway::Ip {
            ip: 0x0a00_0002 + (i as u32 % 2),
            table: TableId::MAIN,
            port: None,
        },
        // In a VRF, by address resolved in main (`IP@main`).
        1 => Gateway::Ip {
            ip: 0x0a01_0002,
            table: TableId::MAIN,
            port: None,
        },
        // In a VRF, out of the VRF's own port.
        _ => Gateway::Port(2 + (i % VRFS) as u16),
    };
    (
        Origin::Route(i as u32),
        RouteSpec {
            table,
            dst,
            source: Source::Static,
            distance: 1,
            scope: 30,
            target_scope: 10,
            gateways: [gw].into(),
            blackhole: false,
            labels: Default::default(),
        },
    )
}

struct Run {
    rate: f64,
    hist: Histogram<u64>,
    baseline_rate: f64,
}

/// In a fresh process (`--memory`): resident memory with the routes in, less without, per
/// route, after publication and reclamation (the routes' share of RIB, FIBs and next hops).
fn memory_child() {
    let mut b = Builder::new();
    b.apply_plan(plan());
    let mut publisher = Publisher::new(b.snapshot());
    publisher.reclaim();
    let before = rss_bytes();
    for (o, s) in (0..ROUTES).map(route) {
        b.add_route(o, s);
    }
    b.commit();
    publisher.publish(b.snapshot());
    publisher.reclaim();
    let after = rss_bytes();
    println!("{}", after.saturating_sub(before) as f64 / ROUTES as f64);
}

fn memory_per_route() -> f64 {
    let out = std::process::Command::new(std::env::current_exe().expect("current_exe"))
        .arg("--memory")
        .output()
        .expect("run --memory");
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .unwrap_or(f64::NAN)
}

fn one_run(seed: u64) -> Run {
    // Each run adds the routes in its own order.
    let mut routes: Vec<(Origin, RouteSpec)> = (0..ROUTES).map(route).collect();
    let mut rng = StdRng::seed_from_u64(seed);
    for i in (1..routes.len()).rev() {
        routes.swap(i, rng.gen_range(0..=i));
    }

    // Baseline: the bare FIBs.
    let mut fibs: Vec<FibBuilder> = (0..=VRFS).map(|_| FibBuilder::new()).collect();
    let t0 = Instant::now();
    for (_, s) in &routes {
        let _ = fibs[usize::from(s.table.0)].insert(s.dst, NextHopId(1));
    }
    for (_, s) in &routes {
        fibs[usize::from(s.table.0)].remove(s.dst);
    }
    let baseline_rate = (2 * ROUTES) as f64 / t0.elapsed().as_secs_f64();
    drop(fibs);

    // The RIB's thread, as the daemon runs it: it owns the forwarder (builder, neighbours,
    // publisher); the routes arrive as a protocol's batches.
    let publisher = Publisher::new(Snapshot::default());
    let mut reader = publisher.reader();
    let bases: Vec<PortBase> = plan()
        .ports
        .iter()
        .map(|p| PortBase {
            id: p.id,
            default_name: p.name.clone(),
            mac: p.mac,
        })
        .collect();
    let exception = Arc::new(Exception::new(Vec::new()));
    let mut f = Forwarder::new(
        bases,
        publisher,
        exception.clone(),
        None,
        "bench-".into(),
        Arc::new(Conntrack::new(16)),
    );
    f.configure(plan());
    // The gateways' neighbours, as the workers would report them.
    for (port, ip) in [(0u16, 0x0a00_0002u32), (0, 0x0a00_0003), (1, 0x0a01_0002)] {
        let _ = exception.events.push(Event::Heard {
            port: PortId(port),
            ip,
            mac: [2, 0, 0, 9, port as u8, ip as u8],
            for_us: true,
        });
    }
    f.poll(controlplane::now_ns());
    let rib = RibHandle::start(f).expect("rib thread");

    // The dataplane: looks up, and on each new generation settles the batches it now sees.
    let stop = Arc::new(AtomicBool::new(false));
    let pending: Arc<Mutex<VecDeque<Probe>>> = Arc::new(Mutex::new(VecDeque::new()));
    let hist = Arc::new(Mutex::new(
        Histogram::<u64>::new_with_bounds(1, 60_000_000_000, 3).expect("histogram"),
    ));
    let settled = Arc::new(AtomicU64::new(0));
    let dp = {
        let (stop, pending, hist, settled) =
            (stop.clone(), pending.clone(), hist.clone(), settled.clone());
        std::thread::spawn(move || {
            let mut last = u64::MAX;
            let mut x: u32 = 0x2000_0001;
            let mut hits = 0u64;
            while !stop.load(Ordering::Relaxed) {
                let snap: &Snapshot = reader.begin();
                if snap.generation != last {
                    last = snap.generation;
                    let now = Instant::now();
                    let mut q = pending.lock().unwrap_or_else(|e| e.into_inner());
                    let mut h = hist.lock().unwrap_or_else(|e| e.into_inner());
                    while let Some(p) = q.front() {
                        if snap.lookup(p.table, p.addr).is_some() != p.present {
                            break;
                        }
                        for t in &p.made {
                            let _ = h
                                .record(now.saturating_duration_since(*t).as_nanos().max(1) as u64);
                        }
                        settled.fetch_add(p.made.len() as u64, Ordering::Release);
                        q.pop_front();
                    }
                }
                for _ in 0..64 {
                    x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                    let t = TableId((x % 1001) as u16);
                    hits += u64::from(snap.lookup(t, 0x2000_0000 | (x & 0x00ff_ffff)).is_some());
                }
            }
            black_box(hits);
        })
    };

    let owner = Owner {
        source: Source::Static,
        instance: 1,
    };
    let t0 = Instant::now();
    for phase in 0..2 {
        let mut changes = Vec::new();
        let mut made = Vec::new();
        let mut since = Instant::now();
        for (i, (_, s)) in routes.iter().enumerate() {
            if changes.is_empty() {
                // A protocol is not infinitely fast: it waits until the RIB has taken in
                // what it sent before the last batch (two in flight), so what is measured is
                // the RIB's work, not a queue growing without end.
                while pending.lock().unwrap_or_else(|e| e.into_inner()).len() >= IN_FLIGHT {
                    std::thread::sleep(Duration::from_micros(20));
                }
                since = Instant::now();
            }
            made.push(Instant::now());
            changes.push(if phase == 0 {
                Change::Upsert(s.clone())
            } else {
                Change::Withdraw {
                    table: s.table,
                    dst: s.dst,
                }
            });
            let last = i + 1 == routes.len();
            if last || changes.len() >= batch() || since.elapsed() >= BATCH_EVERY {
                pending
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push_back(Probe {
                        table: s.table,
                        addr: s.dst.addr(),
                        present: phase == 0,
                        made: std::mem::take(&mut made),
                    });
                rib.submit(Batch {
                    owner,
                    purge: false,
                    changes: std::mem::take(&mut changes),
                });
                since = Instant::now();
            }
        }
        // Wait until the dataplane holds everything of this phase.
        let want = ((phase + 1) * ROUTES) as u64;
        let deadline = Instant::now() + Duration::from_secs(60);
        while settled.load(Ordering::Acquire) < want && Instant::now() < deadline {
            std::thread::sleep(Duration::from_micros(50));
        }
        if phase == 0 {
            let active = rib
                .query(|f| {
                    f.builder()
                        .rib()
                        .routes()
                        .filter(|(_, s, st)| s.source == Source::Static && st.active)
                        .count()
                })
                .expect("rib answers");
            assert_eq!(active, ROUTES, "every route resolves");
        }
    }
    let elapsed = t0.elapsed();
    assert_eq!(
        settled.load(Ordering::Acquire),
        (2 * ROUTES) as u64,
        "every change reached the dataplane"
    );
    stop.store(true, Ordering::Relaxed);
    let _ = dp.join();
    let left = rib
        .query(|f| {
            f.builder()
                .rib()
                .routes()
                .filter(|(_, s, _)| s.source == Source::Static)
                .count()
        })
        .expect("rib answers");
    assert_eq!(left, 0, "every route removed");
    rib.shutdown();
    let hist = hist.lock().unwrap_or_else(|e| e.into_inner()).clone();
    Run {
        rate: (2 * ROUTES) as f64 / elapsed.as_secs_f64(),
        hist,
        baseline_rate,
    }
}

/// A batch the dataplane has yet to see: its last route, whether it should be there, and
/// when each of its changes was made.
struct Probe {
    table: TableId,
    addr: u32,
    present: bool,
    made: Vec<Instant>,
}

fn main() {
    if std::env::args().any(|a| a == "--memory") {
        memory_child();
        return;
    }
    println!("rib-churn: {ROUTES} static routes over main and {VRFS} VRF tables, added then removed, {RUNS} runs");
    let mut rates = Vec::new();
    let mut p50 = Vec::new();
    let mut p99 = Vec::new();
    let mut mem = Vec::new();
    let mut base = Vec::new();
    for run in 0..RUNS {
        let r = one_run(run as u64);
        let bytes_per_route = memory_per_route();
        let ms = |q| r.hist.value_at_quantile(q) as f64 / 1e6;
        println!(
            "  run {run}: {:.0} changes/s (bare FIB {:.0}/s), change → dataplane p50 {:.3} ms p99 {:.3} ms max {:.3} ms, {:.0} B/route",
            r.rate,
            r.baseline_rate,
            ms(0.5),
            ms(0.99),
            r.hist.max() as f64 / 1e6,
            bytes_per_route
        );
        rates.push(r.rate);
        p50.push(ms(0.5));
        p99.push(ms(0.99));
        mem.push(bytes_per_route);
        base.push(r.baseline_rate);
    }
    let (rate, b) = (median(&rates), median(&base));
    println!(
        "  medians: {rate:.0} changes/s = {:.3} of the bare FIB's {b:.0}/s; p50 {:.3} ms, p99 {:.3} ms; {:.0} bytes per route",
        rate / b,
        median(&p50),
        median(&p99),
        median(&mem)
    );
    println!(
        "rib-churn: {rate:.0} changes/s ({:.3} of the bare FIB), p99 {:.2} ms to dataplane",
        rate / b,
        median(&p99)
    );
}
