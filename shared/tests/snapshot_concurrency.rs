//! Workers look up continuously while a writer publishes thousands of snapshot versions:
//! every answer belongs to the version the worker holds (no torn result), every version is
//! eventually freed, and never on a worker thread.

use rspe_shared::fib::{FibBuilder, NO_ROUTE};
use rspe_shared::rcu::Publisher;
use rspe_shared::snapshot::Snapshot;
use rspe_shared::types::{NextHopId, Prefix4, TableId};
use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::ThreadId;

/// Records the thread that drops it.
struct DropProbe {
    dropped_on: Arc<Mutex<Vec<ThreadId>>>,
}

impl Drop for DropProbe {
    fn drop(&mut self) {
        self.dropped_on
            .lock()
            .unwrap()
            .push(std::thread::current().id());
    }
}

struct Version {
    snap: Snapshot,
    _probe: DropProbe,
}

const VERSIONS: u64 = 3000;
const WORKERS: usize = 3;

fn p(s: &str) -> Prefix4 {
    s.parse().unwrap()
}

/// What version `g` answers for each probe address.
fn expected(g: u64) -> [u32; 4] {
    let g = (g % 1_000_000) as u32;
    [g, g + 1, g + 2, g + 3]
}

const PROBES: [u32; 4] = [
    0x0a09_0909, // 10.9.9.9: in 10.0.0.0/8
    0x0a01_0909, // 10.1.9.9: in 10.1.0.0/16
    0x0a01_02c8, // 10.1.2.200: in 10.1.2.128/25
    0x0b00_0001, // 11.0.0.1: the default route
];

#[test]
fn no_torn_reads_and_no_free_on_a_worker() {
    let dropped_on = Arc::new(Mutex::new(Vec::new()));
    let mut fib = FibBuilder::new();
    let make = |fib: &mut FibBuilder, g: u64| {
        let e = expected(g);
        fib.insert(p("10.0.0.0/8"), NextHopId(e[0])).unwrap();
        fib.insert(p("10.1.0.0/16"), NextHopId(e[1])).unwrap();
        fib.insert(p("10.1.2.128/25"), NextHopId(e[2])).unwrap();
        fib.insert(Prefix4::DEFAULT, NextHopId(e[3])).unwrap();
        let mut snap = Snapshot {
            generation: g,
            ..Snapshot::default()
        };
        let mut tables = snap.tables.to_vec();
        tables[0] = Some(fib.publish());
        snap.tables = tables.into();
        Version {
            snap,
            _probe: DropProbe {
                dropped_on: dropped_on.clone(),
            },
        }
    };
    let first = make(&mut fib, 0);
    let mut publisher = Publisher::new(first);

    let stop = Arc::new(AtomicBool::new(false));
    let lookups = Arc::new(AtomicU64::new(0));
    let mut handles = Vec::new();
    for _ in 0..WORKERS {
        let mut reader = publisher.reader();
        let stop = stop.clone();
        let lookups = lookups.clone();
        handles.push(std::thread::spawn(move || {
            let mut seen = HashSet::new();
            let mut last = 0;
            let mut out = [0u32; 4];
            while !stop.load(Ordering::Relaxed) {
                let v = reader.begin();
                let g = v.snap.generation;
                assert!(g >= last, "versions go forward: {g} after {last}");
                last = g;
                seen.insert(g);
                let fib = v.snap.fib(TableId::MAIN).expect("main exists");
                let want = expected(g);
                for (i, &a) in PROBES.iter().enumerate() {
                    assert_eq!(
                        fib.lookup(a),
                        Some(NextHopId(want[i])),
                        "version {g}, probe {i}"
                    );
                }
                fib.lookup_bulk(&PROBES, &mut out);
                assert_eq!(out, want, "bulk, version {g}");
                assert!(out.iter().all(|&x| x != NO_ROUTE));
                lookups.fetch_add(8, Ordering::Relaxed);
            }
            (std::thread::current().id(), seen.len())
        }));
    }

    for g in 1..=VERSIONS {
        let v = make(&mut fib, g);
        publisher.publish(v);
        if g % 16 == 0 {
            std::thread::yield_now();
        }
    }
    // Let every worker see the last version.
    while lookups.load(Ordering::Relaxed) < 10_000 {
        std::thread::yield_now();
    }
    stop.store(true, Ordering::Relaxed);
    let mut worker_ids = HashSet::new();
    for h in handles {
        let (id, distinct) = h.join().expect("worker failed");
        assert!(distinct >= 1);
        worker_ids.insert(id);
    }
    publisher.reclaim();
    assert_eq!(
        publisher.pending(),
        0,
        "every replaced version is freed once readers left"
    );
    drop(publisher);

    let drops = dropped_on.lock().unwrap();
    assert_eq!(
        drops.len() as u64,
        VERSIONS + 1,
        "every version freed exactly once"
    );
    assert!(
        drops.iter().all(|t| !worker_ids.contains(t)),
        "a version was freed on a worker thread"
    );
}
