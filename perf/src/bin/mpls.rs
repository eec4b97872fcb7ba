//! `scripts/bench mpls`: Mpps of the pipeline's label operations on one pinned core (EAL
//! `-l 1`), 64-byte frames (60 bytes without FCS), driven on byte buffers with mbuf-like
//! headroom. The full Internet table in main (next hops over 1,024 adjacencies) and
//! 100,000 label bindings in the LFIB (40,000 swaps, 30,000 penultimate-hop pops, 30,000
//! pops into main's lookup). The baseline, in the same run on the same IPv4 packets: plain
//! IPv4 forwarding through the same pipeline. Four measures, medians of 5 runs each:
//! swap (labelled in, labelled out), push (IPv4 in, a route whose next hop pushes a label),
//! php (labelled in, plain IPv4 out) and pop-lookup (labelled in, popped, looked up in the
//! Internet table). Every frame must be forwarded in every run.
//!
//! Last line: `mpls: swap <Mpps> (<r> of IPv4 forwarding), push <Mpps> (<r>), php <Mpps>
//! (<r>), pop-lookup <Mpps> (<r>)`.

use dataplane::dpdk::Eal;
use dataplane::pipeline::{Pipeline, Verdict, MAX_BURST};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rspe_perf::{burst_slots_at, eal_args, load_table, median, next_hop_of, rate, timed};
use shared::adj::{Adjacency, LabelStack, NextHop, NextHops};
use shared::fib::FibBuilder;
use shared::lfib::{LabelAction, Lfib};
use shared::snapshot::{PortIface, Snapshot, DEFAULT_MPLS_MTU};
use shared::types::{AdjId, Label, NextHopId, PortId, Prefix4, TableId, VrfId};
use std::sync::Arc;

const FRAMES: usize = 1 << 20;
const SLOT: usize = 128;
const HEADROOM: usize = 32;
const FRAME_LEN: usize = 60;
const NEXT_HOPS: u32 = 1024;
const RUNS: usize = 5;
const SWAPS: u32 = 40_000;
const PHPS: u32 = 30_000;
const POPS: u32 = 30_000;
const FIRST_LABEL: u32 = 16;

fn mac_of(i: u32) -> [u8; 6] {
    let b = i.to_be_bytes();
    [2, 0, b[0], b[1], b[2], b[3]]
}

fn label(v: u32) -> Label {
    Label::try_from(v).expect("label in range")
}

/// A 60-byte frame: Ethernet, `labels` (outermost first, TTL 255), an IPv4/UDP packet to
/// `dst` filling the rest.
fn frame(dst: u32, i: u32, labels: &[u32]) -> [u8; FRAME_LEN] {
    let mut f = [0u8; FRAME_LEN];
    f[0..6].copy_from_slice(&mac_of(0xffff));
    f[6..12].copy_from_slice(&[2, 0, 0, 0, 0, 0xaa]);
    let ethertype: u16 = if labels.is_empty() { 0x0800 } else { 0x8847 };
    f[12..14].copy_from_slice(&ethertype.to_be_bytes());
    let mut at = 14;
    for (k, &l) in labels.iter().enumerate() {
        let bos = u32::from(k + 1 == labels.len());
        f[at..at + 4].copy_from_slice(&((l << 12) | (bos << 8) | 255).to_be_bytes());
        at += 4;
    }
    let ip_len = FRAME_LEN - at;
    let ip = &mut f[at..];
    ip[0] = 0x45;
    ip[2..4].copy_from_slice(&(ip_len as u16).to_be_bytes());
    ip[8] = 255;
    ip[9] = 17;
    ip[12..16].copy_from_slice(&(0x0a00_0000 | (i & 0xffff)).to_be_bytes());
    ip[16..20].copy_from_slice(&dst.to_be_bytes());
    ip[20..22].copy_from_slice(&((i % 50000) as u16 + 1024).to_be_bytes());
    ip[22..24].copy_from_slice(&53u16.to_be_bytes());
    ip[24..26].copy_from_slice(&((ip_len - 20) as u16).to_be_bytes());
    let mut acc = 0u32;
    for c in ip[..20].chunks(2) {
        acc += u32::from(u16::from_be_bytes([c[0], c[1]]));
    }
    while acc > 0xffff {
        acc = (acc & 0xffff) + (acc >> 16);
    }
    ip[10..12].copy_from_slice(&(!(acc as u16)).to_be_bytes());
    f
}

/// Adjacencies over ports 1..3, pushing `push(i)`.
fn next_hops(push: impl Fn(u32) -> LabelStack) -> Arc<NextHops> {
    Arc::new(NextHops {
        hops: (0..NEXT_HOPS).map(|i| NextHop::Forward(AdjId(i))).collect(),
        members: Vec::new(),
        adjacencies: (0..NEXT_HOPS)
            .map(|i| Adjacency {
                port: PortId(1 + (i % 3) as u16),
                dst_mac: mac_of(i),
                src_mac: mac_of(0x10000),
                push: push(i),
                mtu: 1500,
            })
            .collect(),
    })
}

/// The LFIB: swaps, then penultimate-hop pops, then pops into main, from label 16 on.
fn lfib() -> Lfib {
    let mut f = Lfib::new();
    for i in 0..SWAPS + PHPS + POPS {
        let l = FIRST_LABEL + i;
        let via = AdjId(i % NEXT_HOPS);
        let action = if i < SWAPS {
            LabelAction::Swap {
                label: label(500_000 + i),
                via,
            }
        } else if i < SWAPS + PHPS {
            LabelAction::PopForward(via)
        } else {
            LabelAction::PopLookup(TableId::MAIN)
        };
        f.set(label(l), action).expect("binding");
    }
    f
}

/// One measure: frames made by `make`, through `snap`, medians of [`RUNS`].
fn measure(snap: &Snapshot, make: impl Fn(usize) -> [u8; FRAME_LEN]) -> f64 {
    let mut pristine = vec![0u8; FRAMES * SLOT];
    for (i, slot) in pristine.chunks_exact_mut(SLOT).enumerate() {
        slot[HEADROOM..HEADROOM + FRAME_LEN].copy_from_slice(&make(i));
    }
    let mut arena = pristine.clone();
    let mut pipeline = Pipeline::default();
    let mut verdicts = [Verdict::Punt; MAX_BURST];
    let mut rates = Vec::new();
    for run in 0..RUNS {
        arena.copy_from_slice(&pristine);
        let mut forwarded = 0usize;
        rates.push(rate(
            FRAMES,
            timed(|| {
                for burst in arena.chunks_exact_mut(SLOT * MAX_BURST) {
                    let mut slots = burst_slots_at(burst, SLOT, HEADROOM, FRAME_LEN);
                    pipeline.process_burst(snap, PortId(0), &mut slots, &mut verdicts, 0);
                    forwarded += verdicts
                        .iter()
                        .filter(|v| matches!(v, Verdict::Forward(_)))
                        .count();
                }
            }),
        ));
        // A dropped frame costs less: no speed-up by drops.
        assert_eq!(forwarded, FRAMES, "run {run}: every frame is forwarded");
    }
    median(&rates)
}

fn main() {
    let prefixes = load_table();
    println!(
        "mpls: {} prefixes in main, {} label bindings, {FRAMES} frames of {FRAME_LEN} bytes",
        prefixes.len(),
        SWAPS + PHPS + POPS
    );
    let _eal = Eal::init("mpls-bench", &eal_args("mpls", 300)).unwrap_or_else(|e| panic!("{e}"));
    let mut main = FibBuilder::new();
    for &p in &prefixes {
        main.insert(p, NextHopId(next_hop_of(p, NEXT_HOPS)))
            .expect("next hop");
    }
    let mut ip = Snapshot::default();
    let mut tables = ip.tables.to_vec();
    tables[0] = Some(main.publish());
    ip.tables = tables.into();
    ip.next_hops = next_hops(|_| LabelStack::default());
    ip.port_vrf = Arc::from(vec![VrfId::MAIN; 4]);
    ip.vrf_table = Arc::from(vec![TableId::MAIN]);
    ip.ports = Arc::from(vec![
        PortIface {
            mac: mac_of(0xffff),
            ipv4: Some(0x0a00_0001),
            mtu: 1500,
            mpls_input: true,
            mpls_mtu: DEFAULT_MPLS_MTU,
        };
        4
    ]);
    ip.lfib = lfib();
    let mut push = ip.clone();
    push.next_hops = next_hops(|i| LabelStack::new(&[label(300_000 + i)]).expect("one label"));

    // Random hosts inside random prefixes of the table: every one is routed. The same
    // destinations (by frame index) for every measure.
    let mut rng = StdRng::seed_from_u64(3);
    let dsts: Vec<u32> = (0..FRAMES)
        .map(|_| {
            let p: Prefix4 = prefixes[rng.gen_range(0..prefixes.len())];
            let host = if p.len() == 32 {
                0
            } else {
                rng.gen::<u32>() & !shared::types::mask(p.len())
            };
            p.addr() | host
        })
        .collect();
    let labels: Vec<u32> = (0..FRAMES).map(|_| rng.gen::<u32>()).collect();
    let pick = |i: usize, first: u32, n: u32| FIRST_LABEL + first + labels[i] % n;

    let base = measure(&ip, |i| frame(dsts[i], i as u32, &[]));
    println!("  IPv4 forwarding {base:.2} Mpps");
    let swap = measure(&ip, |i| frame(dsts[i], i as u32, &[pick(i, 0, SWAPS)]));
    println!("  swap {swap:.2} Mpps");
    let pushed = measure(&push, |i| frame(dsts[i], i as u32, &[]));
    println!("  push {pushed:.2} Mpps");
    let php = measure(&ip, |i| frame(dsts[i], i as u32, &[pick(i, SWAPS, PHPS)]));
    println!("  php {php:.2} Mpps");
    let pop = measure(&ip, |i| {
        frame(dsts[i], i as u32, &[pick(i, SWAPS + PHPS, POPS)])
    });
    println!("  pop-lookup {pop:.2} Mpps (medians of {RUNS})");
    println!(
        "mpls: swap {swap:.2} Mpps ({:.2} of IPv4 forwarding), push {pushed:.2} Mpps ({:.2}), php {php:.2} Mpps ({:.2}), pop-lookup {pop:.2} Mpps ({:.2})",
        swap / base,
        pushed / base,
        php / base,
        pop / base
    );
}
