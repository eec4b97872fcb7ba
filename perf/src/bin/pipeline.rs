//! `scripts/bench pipeline`: Mpps of the forwarding pipeline on one pinned core (EAL `-l 1`),
//! 64-byte frames (60 bytes without FCS), random destinations inside the real Internet table
//! in main, 1,000 VRF tables of 100 routes beside it, driven on byte buffers (no NIC, no
//! EAL ring: the same frames for every loop). Baselines in the same run on the same frames:
//! the harness alone touching each frame (the ceiling), and an l3fwd-style loop (DPDK's
//! l3fwd: `rte_lpm_lookup_bulk` of the same table per burst of 32, MAC rewrite from the next
//! hop, TTL decrement with l3fwd's checksum adjustment). Medians of 5 runs; latency of a
//! burst through the pipeline with hdrhistogram. `RSPE_PROFILE_SECS=N` runs only the
//! pipeline for N seconds, for a profiler.
//!
//! The same frames are also run tagged (`vlan: ...`, just before the last line): each
//! arrives on one of four VLAN interfaces of port 0 (a VLAN per VRF, every VRF's table the
//! same main table, so the lookups are the same work) and leaves by a VLAN interface of its
//! egress port, tagged again as the worker does; the ratio is against the untagged run.
//!
//! Last line: `pipeline: <Mpps> Mpps/core (<ratio> of l3fwd-style rte_lpm loop, <ratio> of
//! rx/tx ceiling)`.

use dataplane::dpdk::{Eal, Lpm, LPM_LOOKUP_SUCCESS};
use dataplane::pipeline::{Pipeline, Verdict, MAX_BURST};
use hdrhistogram::Histogram;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rspe_perf::{burst_slots, eal_args, load_table, median, next_hop_of, rate, timed};
use shared::adj::{Adjacency, LabelStack, NextHop, NextHops};
use shared::fib::FibBuilder;
use shared::snapshot::{PortIface, Snapshot};
use shared::types::{AdjId, NextHopId, PortId, Prefix4, TableId, VrfId};
use std::hint::black_box;
use std::sync::Arc;
use std::time::Instant;

const FRAMES: usize = 1 << 20;
const SLOT: usize = 64;
const FRAME_LEN: usize = 60;
const NEXT_HOPS: u32 = 1024;
const RUNS: usize = 5;

fn mac_of(i: u32) -> [u8; 6] {
    let b = i.to_be_bytes();
    [2, 0, b[0], b[1], b[2], b[3]]
}

fn frame(dst: u32, i: u32) -> [u8; FRAME_LEN] {
    let mut f = [0u8; FRAME_LEN];
    f[0..6].copy_from_slice(&mac_of(0xffff));
    f[6..12].copy_from_slice(&[2, 0, 0, 0, 0, 0xaa]);
    f[12..14].copy_from_slice(&[0x08, 0x00]);
    let ip = &mut f[14..];
    ip[0] = 0x45;
    ip[2..4].copy_from_slice(&46u16.to_be_bytes());
    ip[8] = 255;
    ip[9] = 17;
    ip[12..16].copy_from_slice(&(0x0a00_0000 | (i & 0xffff)).to_be_bytes());
    ip[16..20].copy_from_slice(&dst.to_be_bytes());
    ip[20..22].copy_from_slice(&((i % 50000) as u16 + 1024).to_be_bytes());
    ip[22..24].copy_from_slice(&53u16.to_be_bytes());
    ip[24..26].copy_from_slice(&26u16.to_be_bytes());
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

fn main() {
    let prefixes = load_table();
    println!("pipeline: {} prefixes in main, 1,000 VRFs of 100 routes, {FRAMES} frames of {FRAME_LEN} bytes", prefixes.len());
    let eal =
        Eal::init("pipeline-bench", &eal_args("pipeline", 300)).unwrap_or_else(|e| panic!("{e}"));

    // Our tables: main with the Internet table, next hops spread over 1,024 adjacencies.
    let mut main = FibBuilder::new();
    for &p in &prefixes {
        main.insert(p, NextHopId(next_hop_of(p, NEXT_HOPS)))
            .expect("next hop");
    }
    let mut snap = Snapshot::default();
    let mut tables = snap.tables.to_vec();
    tables[0] = Some(main.publish());
    let mut rng = StdRng::seed_from_u64(3);
    for slot in tables.iter_mut().skip(1).take(1000) {
        let mut b = FibBuilder::new();
        let base = rng.gen::<u32>() & 0xffff_0000;
        for r in 0..100u32 {
            b.insert(
                Prefix4::new(base | (r << 8), 24).expect("len"),
                NextHopId(r),
            )
            .expect("nh");
        }
        *slot = Some(b.publish());
    }
    snap.tables = tables.into();
    snap.next_hops = Arc::new(NextHops {
        hops: (0..NEXT_HOPS).map(|i| NextHop::Forward(AdjId(i))).collect(),
        members: Vec::new(),
        adjacencies: (0..NEXT_HOPS)
            .map(|i| Adjacency {
                port: PortId(1 + (i % 3) as u16),
                dst_mac: mac_of(i),
                src_mac: mac_of(0x10000),
                push: LabelStack::default(),
                mtu: 1500,
            })
            .collect(),
    });
    snap.port_vrf = Arc::from(vec![VrfId::MAIN; 4]);
    snap.vrf_table = Arc::from(vec![TableId::MAIN]);
    snap.ports = Arc::from(vec![
        PortIface {
            mac: mac_of(0xffff),
            ipv4: Some(0x0a00_0001),
            mtu: 1500,
            mpls_input: false,
            mpls_mtu: shared::snapshot::DEFAULT_MPLS_MTU,
        };
        4
    ]);

    if let Some(secs) = std::env::var("RSPE_PROFILE_SECS")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
    {
        // For a profiler: only our pipeline, in a loop, on frames as below; no baselines.
        let mut arena = vec![0u8; FRAMES * SLOT];
        for (i, slot) in arena.chunks_exact_mut(SLOT).enumerate() {
            let p = prefixes[rng.gen_range(0..prefixes.len())];
            slot[..FRAME_LEN].copy_from_slice(&frame(p.addr(), i as u32));
        }
        let mut pipeline = Pipeline::default();
        let mut verdicts = [Verdict::Punt; MAX_BURST];
        let end = Instant::now() + std::time::Duration::from_secs(secs);
        if std::env::var("RSPE_PROFILE_TAGGED").is_ok() {
            // The tagged frames instead (`vlan:`).
            let vsnap = vlan_snapshot(&snap);
            let pristine = tagged_arena(&arena);
            let plain = arena.clone();
            while Instant::now() < end {
                arena.copy_from_slice(&plain);
                let u = rate(
                    FRAMES,
                    timed(|| {
                        for burst in arena.chunks_exact_mut(SLOT * MAX_BURST) {
                            let mut slots = burst_slots(burst, SLOT, FRAME_LEN);
                            pipeline.process_burst(&snap, PortId(0), &mut slots, &mut verdicts, 0);
                        }
                    }),
                );
                arena.copy_from_slice(&pristine);
                let (r, _) = tagged_run(&mut pipeline, &vsnap, &mut arena);
                println!("untagged {u:.2} Mpps, tagged {r:.2} Mpps ({:.2})", r / u);
            }
            return;
        }
        while Instant::now() < end {
            for burst in arena.chunks_exact_mut(SLOT * MAX_BURST) {
                let mut slots = burst_slots(burst, SLOT, FRAME_LEN);
                pipeline.process_burst(&snap, PortId(0), &mut slots, &mut verdicts, 0);
            }
        }
        return;
    }
    println!("  building the rte_lpm baseline (its add is quadratic; this takes minutes)...");
    let mut lpm =
        Lpm::new(&eal, "lpm", prefixes.len() as u32 + 16, 1 << 16).expect("rte_lpm_create");
    for &p in &prefixes {
        lpm.add(p.addr(), p.len(), next_hop_of(p, NEXT_HOPS))
            .expect("rte_lpm_add");
    }
    let macs: Vec<[u8; 6]> = (0..NEXT_HOPS).map(mac_of).collect();

    // Frames to random hosts inside random prefixes of the table: every one is routed.
    let mut arena = vec![0u8; FRAMES * SLOT];
    for (i, slot) in arena.chunks_exact_mut(SLOT).enumerate() {
        let p = prefixes[rng.gen_range(0..prefixes.len())];
        let host = if p.len() == 32 {
            0
        } else {
            rng.gen::<u32>() & !shared::types::mask(p.len())
        };
        slot[..FRAME_LEN].copy_from_slice(&frame(p.addr() | host, i as u32));
    }

    let pristine = arena.clone();
    let vsnap = vlan_snapshot(&snap);
    let vpristine = tagged_arena(&pristine);
    let mut varena = vpristine.clone();
    let mut tagged = Vec::new();
    let (mut ours, mut l3fwd, mut ceiling) = (Vec::new(), Vec::new(), Vec::new());
    let mut pipeline = Pipeline::default();
    let mut verdicts = [Verdict::Punt; MAX_BURST];
    let mut forwarded_ours = 0usize;
    let mut forwarded_l3fwd = 0usize;
    for run in 0..RUNS {
        ceiling.push(rate(
            FRAMES,
            timed(|| {
                let mut n = 0u64;
                for burst in arena.chunks_exact_mut(SLOT * MAX_BURST) {
                    for slot in burst.chunks_exact_mut(SLOT) {
                        slot[0] ^= 1;
                        n += u64::from(slot[5]);
                    }
                }
                black_box(n);
            }),
        ));
        // The same frames as they first came in (the runs before rewrote their MACs, TTLs
        // and checksums; the baseline's checksum update is l3fwd's shortcut).
        arena.copy_from_slice(&pristine);
        let mut fw = 0usize;
        ours.push(rate(
            FRAMES,
            timed(|| {
                for burst in arena.chunks_exact_mut(SLOT * MAX_BURST) {
                    let mut slots = burst_slots(burst, SLOT, FRAME_LEN);
                    pipeline.process_burst(&snap, PortId(0), &mut slots, &mut verdicts, 0);
                    fw += verdicts
                        .iter()
                        .filter(|v| matches!(v, Verdict::Forward(_)))
                        .count();
                }
            }),
        ));
        varena.copy_from_slice(&vpristine);
        let (r, vfw) = tagged_run(&mut pipeline, &vsnap, &mut varena);
        tagged.push(r);
        assert_eq!(
            vfw, FRAMES,
            "run {run}: every tagged frame is forwarded, tagged"
        );
        let mut fw2 = 0usize;
        l3fwd.push(rate(
            FRAMES,
            timed(|| {
                let mut ips = [0u32; MAX_BURST];
                let mut hops = [0u32; MAX_BURST];
                for burst in arena.chunks_exact_mut(SLOT * MAX_BURST) {
                    for (i, slot) in burst.chunks_exact(SLOT).enumerate() {
                        ips[i] = u32::from_be_bytes([slot[30], slot[31], slot[32], slot[33]]);
                    }
                    lpm.lookup_bulk(&ips, &mut hops);
                    for (slot, &h) in burst.chunks_exact_mut(SLOT).zip(&hops) {
                        if h & LPM_LOOKUP_SUCCESS == 0 {
                            continue;
                        }
                        let nh = (h & 0x00ff_ffff) as usize;
                        slot[0..6].copy_from_slice(&macs[nh % macs.len()]);
                        slot[6..12].copy_from_slice(&macs[0]);
                        // l3fwd: --ttl; ++checksum.
                        slot[22] = slot[22].wrapping_sub(1);
                        let c = u16::from_be_bytes([slot[24], slot[25]]).wrapping_add(0x0100);
                        slot[24..26].copy_from_slice(&c.to_be_bytes());
                        fw2 += 1;
                    }
                }
            }),
        ));
        // Every run must forward every frame (a dropped frame costs less: no speed-up by
        // drops).
        assert_eq!(
            fw, FRAMES,
            "run {run}: every frame is forwarded by the pipeline"
        );
        if run == 0 {
            forwarded_ours = fw;
            forwarded_l3fwd = fw2;
        }
    }
    assert_eq!(
        forwarded_ours, FRAMES,
        "every frame is forwarded by the pipeline"
    );
    assert_eq!(
        forwarded_l3fwd, FRAMES,
        "every frame is forwarded by the l3fwd-style loop"
    );

    // Latency of a burst through the pipeline.
    arena.copy_from_slice(&pristine);
    let mut hist = Histogram::<u64>::new_with_bounds(1, 100_000_000, 3).expect("histogram");
    for burst in arena.chunks_exact_mut(SLOT * MAX_BURST) {
        let t = Instant::now();
        let mut slots = burst_slots(burst, SLOT, FRAME_LEN);
        pipeline.process_burst(&snap, PortId(0), &mut slots, &mut verdicts, 0);
        let _ = hist.record(t.elapsed().as_nanos().max(1) as u64);
    }
    let (o, l, c) = (median(&ours), median(&l3fwd), median(&ceiling));
    println!("  ours {o:.1} Mpps, l3fwd-style rte_lpm loop {l:.1} Mpps, harness ceiling {c:.1} Mpps (medians of {RUNS})");
    println!(
        "  burst of {MAX_BURST} through the pipeline: p50 {:.2} us, p99 {:.2} us, p99.9 {:.2} us",
        hist.value_at_quantile(0.5) as f64 / 1e3,
        hist.value_at_quantile(0.99) as f64 / 1e3,
        hist.value_at_quantile(0.999) as f64 / 1e3
    );
    drop(lpm);
    let t = median(&tagged);
    println!("vlan: {t:.2} Mpps/core ({:.2} of untagged)", t / o);
    println!(
        "pipeline: {o:.2} Mpps/core ({:.2} of l3fwd-style rte_lpm loop, {:.2} of rx/tx ceiling)",
        o / l,
        o / c
    );
}

/// `snap` with VLAN interfaces: four on port 0 (VLANs 10..13, in VRFs 1..4, every VRF's
/// table main) and one on each egress port (VLAN 100 + port), which the adjacencies now
/// point at.
fn vlan_snapshot(snap: &Snapshot) -> Snapshot {
    use shared::vlan::{Tag, Vlan, Vlans, TPID_8021Q, VLAN_BASE};
    let vlan = |i: u16, port: u16, vid: u16, vrf: u16| Vlan {
        id: PortId(VLAN_BASE + i),
        port: PortId(port),
        tags: [
            Tag {
                tpid: TPID_8021Q,
                vid,
            },
            Tag::default(),
        ],
        depth: 1,
        up: true,
        vrf: VrfId(vrf),
        iface: snap.ports[usize::from(port)],
        wire: [0; 8],
    };
    let mut list: Vec<Vlan> = (0..4).map(|i| vlan(i, 0, 10 + i, 1 + i)).collect();
    list.extend((1..4).map(|p| vlan(3 + p, p, 100 + p, 0)));
    let mut hops = (*snap.next_hops).clone();
    for a in &mut hops.adjacencies {
        a.port = PortId(VLAN_BASE + 3 + a.port.0);
    }
    Snapshot {
        vlans: Arc::new(Vlans::new(list)),
        vrf_table: Arc::from(vec![TableId::MAIN; 5]),
        next_hops: Arc::new(hops),
        ..snap.clone()
    }
}

/// The frames of `untagged` (one per slot) with an 802.1Q tag of VLAN 10..13 (by frame)
/// after their MACs: 64 bytes each, filling the slot.
fn tagged_arena(untagged: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8; untagged.len()];
    for (i, (t, u)) in out
        .chunks_exact_mut(SLOT)
        .zip(untagged.chunks_exact(SLOT))
        .enumerate()
    {
        t[..12].copy_from_slice(&u[..12]);
        t[12..16].copy_from_slice(&[0x81, 0x00, 0x00, 10 + (i % 4) as u8]);
        t[16..FRAME_LEN + 4].copy_from_slice(&u[12..FRAME_LEN]);
    }
    out
}

/// One run over the tagged frames: the pipeline, then what the worker does for a VLAN
/// (its tags put back on, the DPDK port under it); the rate and how many frames left
/// tagged for their egress port's VLAN.
fn tagged_run(pipeline: &mut Pipeline, vsnap: &Snapshot, arena: &mut [u8]) -> (f64, usize) {
    let mut verdicts = [Verdict::Punt; MAX_BURST];
    let mut fw = 0usize;
    let r = rate(
        FRAMES,
        timed(|| {
            for burst in arena.chunks_exact_mut(SLOT * MAX_BURST) {
                let mut slots = burst_slots(burst, SLOT, FRAME_LEN + 4);
                pipeline.process_burst(vsnap, PortId(0), &mut slots, &mut verdicts, 0);
                for (s, v) in slots.iter_mut().zip(&verdicts) {
                    if let Verdict::Forward(p) = *v {
                        if shared::vlan::is_vlan(p) {
                            fw +=
                                usize::from(dataplane::pipeline::vlan::tag(vsnap, p, s).is_some());
                        }
                    }
                }
            }
        }),
    );
    // Each frame left with the tag of its egress port's VLAN, in the slot it came in.
    for slot in arena.chunks_exact(SLOT).take(1000) {
        let vid = u16::from_be_bytes([slot[14], slot[15]]);
        assert!(slot[12..14] == [0x81, 0x00] && (101..=103).contains(&vid));
        assert_eq!(slot[16..18], [0x08, 0x00]);
    }
    (r, fw)
}
