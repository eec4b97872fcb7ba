//! `scripts/bench fib`: our DIR-24-8 FIB against DPDK's `rte_lpm` and `rte_fib` (DIR24_8),
//! on the real Internet table (901,899 prefixes; next hops spread over 1,024 ids), on one
//! pinned core (EAL `-l 1`), medians of 5 runs, all in one process.
//!
//! Checks that all three answer the same for 10 million random addresses, then measures:
//! (a) random destinations, one lookup at a time; (b) random destinations in bulks of 32;
//! (c) a dependent chain (each address depends on the previous result: latency);
//! (d) a cache-resident working set of 1,024 addresses (bulk). Then: build time against
//! `rte_fib`'s adds, incremental updates per second with the time from a change to its
//! publication, and the memory of the full table plus 4,095 small VRF tables.
//!
//! Last line: `fib: random=<r> bulk=<r> dependent=<r> hot=<r> (ratio to the best of rte_lpm
//! and rte_fib)`.
//!
//! Environment: `RSPE_BGP_TABLE` (default `../shared/data/bgp-table-ipv4.txt.gz`),
//! `RSPE_FIB_PREFIXES` (use only the first N prefixes, for a quick run).

use dataplane::dpdk::{Eal, Lpm, RteFib, LPM_LOOKUP_SUCCESS};
use hdrhistogram::Histogram;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rspe_perf::{eal_args, load_table, median, rate, timed};
use shared::fib::{FibBuilder, FibTable, NO_ROUTE};
use shared::rcu::Publisher;
use shared::snapshot::Snapshot;
use shared::types::{NextHopId, Prefix4};
use std::collections::HashSet;
use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

const RUNS: usize = 5;
const RANDOM: usize = 10_000_000;
const CHAIN: usize = 2_000_000;
const HOT: usize = 1024;
const HOT_ROUNDS: usize = 10_000;
const NEXT_HOPS: u32 = 1024;
/// What rte_fib answers on a miss (our next hops are < 1024).
const FIB_MISS: u64 = 0x7fff_ffff; // the largest 4-byte DIR24_8 next hop

fn next_hop_of(p: Prefix4) -> u32 {
    rspe_perf::next_hop_of(p, NEXT_HOPS)
}

fn build_ours(prefixes: &[Prefix4]) -> FibBuilder {
    let mut b = FibBuilder::new();
    for &p in prefixes {
        b.insert(p, NextHopId(next_hop_of(p)))
            .expect("next hop in range");
    }
    b
}

fn build_rte_fib(eal: &Eal, prefixes: &[Prefix4], name: &str) -> RteFib {
    let mut f = RteFib::new(eal, name, prefixes.len() as u32 + 16, 1 << 16, FIB_MISS)
        .expect("rte_fib_create");
    for &p in prefixes {
        f.add(p.addr(), p.len(), u64::from(next_hop_of(p)))
            .expect("rte_fib_add");
    }
    f
}

struct Line {
    ours: Vec<f64>,
    lpm: Vec<f64>,
    fib: Vec<f64>,
}

impl Line {
    fn new() -> Self {
        Line {
            ours: Vec::new(),
            lpm: Vec::new(),
            fib: Vec::new(),
        }
    }

    fn ratio(&self, name: &str) -> f64 {
        let (o, l, f) = (median(&self.ours), median(&self.lpm), median(&self.fib));
        let r = o / l.max(f);
        println!(
            "  {name:<10} ours {o:7.1} M/s   rte_lpm {l:7.1} M/s   rte_fib {f:7.1} M/s   ratio {r:.2}"
        );
        r
    }
}

fn main() {
    let prefixes = load_table();
    let mut sorted = prefixes.clone();
    sorted.sort_by_key(|p| p.len());
    println!("fib: {} prefixes, {NEXT_HOPS} next hops", prefixes.len());

    let eal = Eal::init("fib-bench", &eal_args("fib", 600)).unwrap_or_else(|e| panic!("{e}"));

    // Build times: ours (shortest first, as rte_fib needs, and in file order) against rte_fib.
    let mut t_ours = Vec::new();
    let mut t_ours_file = Vec::new();
    let mut t_fib = Vec::new();
    for i in 0..RUNS {
        t_ours.push(timed(|| drop(black_box(build_ours(&sorted)))).as_secs_f64());
        t_ours_file.push(timed(|| drop(black_box(build_ours(&prefixes)))).as_secs_f64());
        t_fib.push(
            timed(|| drop(black_box(build_rte_fib(&eal, &sorted, &format!("b{i}"))))).as_secs_f64(),
        );
    }
    let ours = build_ours(&prefixes);
    let rte_fib = build_rte_fib(&eal, &sorted, "fib");
    println!("  building rte_lpm once (its add is quadratic; this takes minutes)...");
    let t = Instant::now();
    let mut lpm =
        Lpm::new(&eal, "lpm", prefixes.len() as u32 + 16, 1 << 16).expect("rte_lpm_create");
    for &p in &prefixes {
        lpm.add(p.addr(), p.len(), next_hop_of(p))
            .expect("rte_lpm_add");
    }
    let t_lpm = t.elapsed().as_secs_f64();
    let table: Arc<FibTable> = ours.publish();

    // Same answers for 10 million random addresses.
    let mut rng = StdRng::seed_from_u64(0x5eed);
    let ips: Vec<u32> = (0..RANDOM).map(|_| rng.gen()).collect();
    let mut o_ours = vec![0u32; RANDOM.max(HOT * HOT_ROUNDS)];
    let mut o_lpm = vec![0u32; RANDOM];
    let mut o_lpm_bulk = vec![0u32; RANDOM];
    let mut o_fib = vec![0u64; RANDOM];
    table.lookup_bulk(&ips, &mut o_ours[..RANDOM]);
    lpm.lookup_each(&ips, &mut o_lpm);
    lpm.lookup_bulk(&ips, &mut o_lpm_bulk);
    rte_fib.lookup_bulk(&ips, &mut o_fib);
    let mut mismatches = 0;
    for i in 0..RANDOM {
        let ours_scalar = table.lookup(ips[i]).map_or(NO_ROUTE, |n| n.0);
        let lpm_bulk = if o_lpm_bulk[i] & LPM_LOOKUP_SUCCESS != 0 {
            o_lpm_bulk[i] & 0x00ff_ffff
        } else {
            NO_ROUTE
        };
        let fib = if o_fib[i] == FIB_MISS {
            NO_ROUTE
        } else {
            o_fib[i] as u32
        };
        if o_ours[i] != ours_scalar
            || o_ours[i] != o_lpm[i]
            || o_ours[i] != lpm_bulk
            || o_ours[i] != fib
        {
            if mismatches < 5 {
                eprintln!(
                    "  MISMATCH {}: ours {} / {}, rte_lpm {} / {lpm_bulk}, rte_fib {fib}",
                    std::net::Ipv4Addr::from(ips[i]),
                    o_ours[i],
                    ours_scalar,
                    o_lpm[i]
                );
            }
            mismatches += 1;
        }
    }
    assert_eq!(
        mismatches, 0,
        "the three tables disagree on {mismatches} addresses"
    );
    let routed = o_ours[..RANDOM].iter().filter(|&&n| n != NO_ROUTE).count();
    println!("  all three agree on {RANDOM} random addresses ({routed} routed)");

    let hot: Vec<u32> = ips[..HOT].to_vec();
    let hot_stream: Vec<u32> = (0..HOT_ROUNDS).flat_map(|_| hot.iter().copied()).collect();
    let chain_ips = &ips[..CHAIN];
    let (mut scalar, mut bulk, mut dep, mut hotl) =
        (Line::new(), Line::new(), Line::new(), Line::new());
    let mut o64 = vec![0u64; hot_stream.len().max(RANDOM)];
    for _ in 0..RUNS {
        scalar.ours.push(rate(
            RANDOM,
            timed(|| {
                let mut acc = 0u64;
                for &a in &ips {
                    acc += u64::from(table.lookup(a).map_or(NO_ROUTE, |n| n.0));
                }
                black_box(acc);
            }),
        ));
        scalar.lpm.push(rate(
            RANDOM,
            timed(|| {
                black_box(lpm.lookup_each(&ips, &mut o_lpm));
            }),
        ));
        scalar.fib.push(rate(
            RANDOM,
            timed(|| {
                black_box(rte_fib.lookup_each(&ips, &mut o64[..RANDOM]));
            }),
        ));

        bulk.ours.push(rate(
            RANDOM,
            timed(|| table.lookup_bulk(&ips, &mut o_ours[..RANDOM])),
        ));
        bulk.lpm
            .push(rate(RANDOM, timed(|| lpm.lookup_bulk(&ips, &mut o_lpm))));
        bulk.fib.push(rate(
            RANDOM,
            timed(|| rte_fib.lookup_bulk(&ips, &mut o64[..RANDOM])),
        ));

        let mut acc_ours = 0;
        dep.ours.push(rate(
            CHAIN,
            timed(|| {
                let mut nh = 0u32;
                let mut acc = 0u64;
                for &a in chain_ips {
                    let r = table.lookup(a.wrapping_add(nh)).map_or(0, |n| n.0);
                    nh = r;
                    acc += u64::from(r);
                }
                acc_ours = black_box(acc);
            }),
        ));
        let mut acc_lpm = 0;
        dep.lpm.push(rate(
            CHAIN,
            timed(|| acc_lpm = black_box(lpm.chain(chain_ips))),
        ));
        let mut acc_fib = 0;
        dep.fib.push(rate(
            CHAIN,
            timed(|| acc_fib = black_box(rte_fib.chain(chain_ips))),
        ));
        assert_eq!(
            (acc_ours, acc_ours),
            (acc_lpm, acc_fib),
            "dependent chains disagree"
        );

        let n = hot_stream.len();
        let out = &mut o_ours[..n];
        hotl.ours
            .push(rate(n, timed(|| table.lookup_bulk(&hot_stream, out))));
        hotl.lpm
            .push(rate(n, timed(|| lpm.lookup_bulk(&hot_stream, out))));
        hotl.fib.push(rate(
            n,
            timed(|| rte_fib.lookup_bulk(&hot_stream, &mut o64[..n])),
        ));
    }
    println!("lookups (medians of {RUNS}):");
    let r_random = scalar.ratio("random");
    let r_bulk = bulk.ratio("bulk32");
    let r_dep = dep.ratio("dependent");
    let r_hot = hotl.ratio("hot1024");
    println!(
        "  dependent chain latency: ours {:.0} ns, rte_lpm {:.0} ns, rte_fib {:.0} ns",
        1e3 / median(&dep.ours),
        1e3 / median(&dep.lpm),
        1e3 / median(&dep.fib)
    );

    let (bo, bf, bfo) = (median(&t_ours), median(&t_fib), median(&t_ours_file));
    println!(
        "build: ours {bo:.2} s shortest-first ({bfo:.2} s in file order), rte_fib {bf:.2} s, rte_lpm {t_lpm:.1} s (once): ratio to rte_fib {:.2}",
        bo / bf
    );

    updates(ours);
    memory(&table);
    drop((lpm, rte_fib));
    println!("fib: random={r_random:.2} bulk={r_bulk:.2} dependent={r_dep:.2} hot={r_hot:.2} (ratio to the best of rte_lpm and rte_fib)");
}

/// Random add/remove of /24s and /16s on the full table, published every millisecond through
/// the snapshot publisher; rate and the time from each change to its publication.
fn updates(mut builder: FibBuilder) {
    let mut publisher = Publisher::new(Snapshot::default());
    let mut rng = StdRng::seed_from_u64(7);
    let mut rates = Vec::new();
    let mut hist = Histogram::<u64>::new_with_bounds(1, 10_000_000, 3).expect("histogram");
    let mut added: Vec<Prefix4> = Vec::new();
    for _ in 0..RUNS {
        let start = Instant::now();
        let mut last_publish = Instant::now();
        let mut pending: Vec<Instant> = Vec::new();
        let mut changes = 0u64;
        while start.elapsed() < Duration::from_secs(1) {
            let len = if rng.gen_bool(0.8) { 24 } else { 16 };
            if added.len() > 1000 && rng.gen_bool(0.5) {
                let p = added.swap_remove(rng.gen_range(0..added.len()));
                builder.remove(p);
            } else {
                let p = Prefix4::new(rng.gen(), len).expect("valid length");
                builder
                    .insert(p, NextHopId(rng.gen_range(0..NEXT_HOPS)))
                    .expect("nh");
                added.push(p);
            }
            pending.push(Instant::now());
            changes += 1;
            if last_publish.elapsed() >= Duration::from_millis(1) {
                let mut snap = Snapshot::default();
                let mut tables = snap.tables.to_vec();
                tables[0] = Some(builder.publish());
                snap.tables = tables.into();
                publisher.publish(snap);
                let done = Instant::now();
                for t in pending.drain(..) {
                    let _ = hist.record((done - t).as_micros().max(1) as u64);
                }
                last_publish = done;
            }
        }
        rates.push(changes as f64 / start.elapsed().as_secs_f64());
    }
    println!(
        "updates: {:.0} changes/s (median of {RUNS} s), change to publication p50 {:.3} ms, p99 {:.3} ms",
        median(&rates),
        hist.value_at_quantile(0.5) as f64 / 1000.0,
        hist.value_at_quantile(0.99) as f64 / 1000.0
    );
}

/// The full table plus 4,095 VRF tables of 100 prefixes clustered in a few /16s.
fn memory(full: &FibTable) {
    let mut seen = HashSet::new();
    let full_bytes = full.memory(&mut seen);
    let mut rng = StdRng::seed_from_u64(11);
    let mut small_bytes = 0usize;
    let mut control_bytes = 0usize;
    let mut keep = Vec::with_capacity(4095);
    for _ in 0..4095 {
        let sixteens: Vec<u32> = (0..3).map(|_| rng.gen::<u32>() & 0xffff_0000).collect();
        let mut b = FibBuilder::new();
        for i in 0..100u32 {
            let base = sixteens[rng.gen_range(0..sixteens.len())] | (rng.gen::<u32>() & 0xffff);
            let len = match i % 10 {
                0 => rng.gen_range(25..=32),
                1 | 2 => rng.gen_range(20..=23),
                _ => 24,
            };
            b.insert(Prefix4::new(base, len).expect("len"), NextHopId(i))
                .expect("nh");
        }
        let t = b.publish();
        small_bytes += t.memory(&mut seen);
        control_bytes += b.control_memory();
        keep.push((b, t));
    }
    let total = full_bytes + small_bytes;
    println!(
        "memory: full table {:.1} MiB, 4,095 VRF tables of 100 prefixes {:.1} MiB ({:.1} KiB each), total {:.2} GiB (goal < 2 GiB); control-plane prefix maps {:.1} MiB more",
        full_bytes as f64 / (1 << 20) as f64,
        small_bytes as f64 / (1 << 20) as f64,
        small_bytes as f64 / 4095.0 / 1024.0,
        total as f64 / (1u64 << 30) as f64,
        control_bytes as f64 / (1 << 20) as f64
    );
}
