//! `scripts/bench hitless`: route changes published while a worker forwards. One thread
//! forwards bursts of 64-byte frames through the pipeline as fast as it can (reading the
//! newest snapshot at every poll, as a worker does) to destinations inside 100.64.0.0/10;
//! the control plane (this thread, on the other core) adds and removes /24 routes inside
//! that /10, 10,000 changes a second, through the RIB and the incremental FIB builder, each
//! change published as a new snapshot. The /10 goes to neighbour 10.1.0.2 and every /24 to
//! 10.1.0.3, both out of ether2: a frame that is not forwarded out of ether2 to one of the
//! two (dropped, sent elsewhere, or its next hop not resolved) is counted as lost. The
//! same run without changes is the baseline. Medians of 5 runs of 2 s each.
//!
//! Last line: `hitless: <lost> lost of <n> at <Mpps> Mpps/core with <k> changes/s (<r> of
//! the rate without changes)`.

use controlplane::plan::Origin;
use controlplane::rib::builder::{Builder, Key};
use controlplane::rib::{Gateway, RouteSpec, Source};
use dataplane::pipeline::{Pipeline, Verdict, MAX_BURST};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rspe_perf::{burst_slots, median, udp_frame};
use shared::rcu::Publisher;
use shared::snapshot::Snapshot;
use shared::types::{PortId, Prefix4, TableId};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const CONFIG: &str = "\
/ip address add address=10.0.0.1/24 interface=ether1
/ip address add address=10.1.0.1/24 interface=ether2
";
const FRAMES: usize = 1 << 16;
const SLOT: usize = 64;
const RUNS: usize = 5;
const RUN: Duration = Duration::from_secs(2);
const CHANGES_PER_SEC: u64 = 10_000;
const COVER: u32 = 0x6440_0000; // 100.64.0.0/10
const NEAR: u32 = 0x0a01_0002; // 10.1.0.2
const SPECIFIC: u32 = 0x0a01_0003; // 10.1.0.3
const NEAR_MAC: [u8; 6] = [2, 0, 0, 9, 1, 2];
const SPECIFIC_MAC: [u8; 6] = [2, 0, 0, 9, 1, 3];

fn route(dst: Prefix4, gw: u32) -> RouteSpec {
    RouteSpec {
        table: TableId::MAIN,
        dst,
        source: Source::Static,
        distance: 1,
        scope: 30,
        target_scope: 10,
        gateways: [Gateway::Ip {
            ip: gw,
            table: TableId::MAIN,
            port: None,
        }]
        .into(),
        blackhole: false,
        labels: Default::default(),
    }
}

/// The /24 number `i` inside the /10.
fn specific(i: u32) -> Prefix4 {
    Prefix4::new(COVER | ((i % 16384) << 8), 24).expect("len")
}

/// What one run measured: frames forwarded, frames lost, Mpps, changes published a second.
struct Run {
    frames: u64,
    lost: u64,
    mpps: f64,
    changes: f64,
}

/// Forwards `arena` over and over for [`RUN`] on the worker thread while this thread
/// publishes `changes_per_sec` route changes a second (0: none).
fn run(
    builder: &mut Builder,
    publisher: &mut Publisher<Snapshot>,
    arena: &[u8],
    changes_per_sec: u64,
    next: &mut u32,
) -> Run {
    let stop = Arc::new(AtomicBool::new(false));
    let (frames, lost) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let mut reader = publisher.reader();
    let worker = {
        let (stop, frames, lost) = (stop.clone(), frames.clone(), lost.clone());
        let mut arena = arena.to_vec();
        let pristine = arena.clone();
        std::thread::spawn(move || {
            let mut pipeline = Pipeline::default();
            let mut verdicts = [Verdict::Punt; MAX_BURST];
            let (mut n, mut bad) = (0u64, 0u64);
            let t = Instant::now();
            while !stop.load(Ordering::Relaxed) {
                arena.copy_from_slice(&pristine);
                for burst in arena.chunks_exact_mut(SLOT * MAX_BURST) {
                    let snap = reader.begin();
                    let mut slots = burst_slots(burst, SLOT, 60);
                    pipeline.process_burst(snap, PortId(0), &mut slots, &mut verdicts, 0);
                    for (s, v) in slots.iter().zip(&verdicts) {
                        let b = dataplane::pipeline::PacketBuf::bytes(s);
                        let to_one = b[0..6] == NEAR_MAC || b[0..6] == SPECIFIC_MAC;
                        bad += u64::from(*v != Verdict::Forward(PortId(1)) || !to_one);
                    }
                    n += MAX_BURST as u64;
                }
            }
            frames.store(n, Ordering::Relaxed);
            lost.store(bad, Ordering::Relaxed);
            n as f64 / t.elapsed().as_secs_f64() / 1e6
        })
    };
    let start = Instant::now();
    let mut published = 0u64;
    while start.elapsed() < RUN {
        if changes_per_sec > 0 {
            // Catch up to the rate: one change per publication.
            let due = (start.elapsed().as_secs_f64() * changes_per_sec as f64) as u64;
            while published < due {
                let i = *next;
                *next += 1;
                // Adds until 2,000 are in, then each add with a remove of the oldest.
                let origin = |i: u32| Origin::Route(i);
                builder.add_route(origin(i), route(specific(i), SPECIFIC));
                if i >= 2000 {
                    builder.remove_route(origin(i - 2000));
                }
                builder.commit();
                publisher.publish(builder.snapshot());
                published += 1;
            }
        }
        std::thread::sleep(Duration::from_micros(50));
    }
    let elapsed = start.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    let mpps = worker.join().expect("worker");
    Run {
        frames: frames.load(Ordering::Relaxed),
        lost: lost.load(Ordering::Relaxed),
        mpps,
        changes: published as f64 / elapsed,
    }
}

fn main() {
    let (plan, _) = controlplane::plan::plan_from_config(CONFIG, 2).expect("config");
    let mut builder = Builder::new();
    builder.apply_plan(plan);
    builder.set_neighbors(
        [
            (Key { port: 1, ip: NEAR }, NEAR_MAC),
            (
                Key {
                    port: 1,
                    ip: SPECIFIC,
                },
                SPECIFIC_MAC,
            ),
        ]
        .into_iter()
        .collect(),
    );
    builder.add_route(
        Origin::Route(u32::MAX),
        route(Prefix4::new(COVER, 10).expect("len"), NEAR),
    );
    builder.commit();
    let mut publisher = Publisher::new(builder.snapshot());
    let port_mac = publisher.current().port(PortId(0)).expect("ether1").mac;
    // Frames to random hosts of the /10 (so of the /24s as they come and go).
    let mut rng = StdRng::seed_from_u64(7);
    let mut arena = vec![0u8; FRAMES * SLOT];
    for (i, slot) in arena.chunks_exact_mut(SLOT).enumerate() {
        let dst = COVER | (rng.gen::<u32>() & 0x003f_ffff);
        slot[..60].copy_from_slice(&udp_frame(
            port_mac,
            0x0a00_0002,
            1024 + i as u16 % 5000,
            dst,
        ));
    }
    println!("hitless: {FRAMES} frames to 100.64.0.0/10 in a loop, /24s inside it added and removed at {CHANGES_PER_SEC}/s, {RUNS} runs of {} s", RUN.as_secs());
    let mut next = 0u32;
    let (mut base, mut with, mut lost, mut frames, mut rates) = (vec![], vec![], 0, 0, vec![]);
    for _ in 0..RUNS {
        let b = run(&mut builder, &mut publisher, &arena, 0, &mut next);
        let w = run(
            &mut builder,
            &mut publisher,
            &arena,
            CHANGES_PER_SEC,
            &mut next,
        );
        println!("  without changes {:.2} Mpps ({} lost); with {:.0} changes/s {:.2} Mpps ({} lost of {})", b.mpps, b.lost, w.changes, w.mpps, w.lost, w.frames);
        base.push(b.mpps);
        with.push(w.mpps);
        rates.push(w.changes);
        lost += w.lost + b.lost;
        frames += w.frames;
    }
    let (b, w, k) = (median(&base), median(&with), median(&rates));
    println!(
        "hitless: {lost} lost of {frames} at {w:.2} Mpps/core with {k:.0} changes/s ({:.2} of the rate without changes)",
        w / b
    );
}
