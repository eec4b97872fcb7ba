//! `scripts/bench nat`: the forwarding pipeline with connection tracking and masquerade on
//! (the seed's VRF-lite configuration: customers in VRFs, masquerade out of `public`,
//! connection marks), on one core, 64-byte UDP frames of 1,000,000 established connections
//! (to 1,024 servers: one public address offers about 64,000 ports per server) in random
//! order, against the plain forwarding pipeline (the same router without any
//! firewall rule) on the same frames in the same run. Byte buffers, no NIC: the figures are
//! the pipeline's own. Also: new connections per second (first packets through the
//! firewall, masquerade port allocation and table insertion, 200,000 per run), and bytes per
//! tracked connection (resident memory of the 1,000,000-connection table). Medians of 5 runs.
//!
//! Last line: `nat: <Mpps> Mpps/core (<ratio> of plain forwarding), <conn/s> new conn/s`.

use controlplane::rib::builder::snapshot_from_config;
use dataplane::conntrack::Conntrack;
use dataplane::pipeline::{Pipeline, Verdict, MAX_BURST};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rspe_perf::{burst_slots, median, rate, timed};
use shared::snapshot::Snapshot;
use shared::types::PortId;
use std::sync::Arc;

const FLOWS: usize = 1_000_000;
const NEW_PER_RUN: usize = 200_000;
const SLOT: usize = 64;
const FRAME_LEN: usize = 60;
const RUNS: usize = 5;
const SERVER: u32 = 0x0808_0808;
const PUBLIC: u32 = 0xac10_0102;

const CONFIG: &str = "\
/interface ethernet set [ find default-name=ether3 ] name=public
/ip address add address=172.16.1.2/24 interface=public
/ip address add address=10.0.0.1/24 interface=ether1
/ip address add address=10.0.0.1/24 interface=ether2
/ip route add gateway=172.16.1.1
/ip vrf add name=cust_a interfaces=ether1 place-before 0
/ip vrf add name=cust_b interfaces=ether2 place-before 0
/ip route add gateway=172.16.1.1@main routing-table=cust_a
/ip route add gateway=172.16.1.1@main routing-table=cust_b
/ip route add dst-address=10.128.0.0/9 gateway=10.0.0.2@cust_a routing-table=cust_a
";

const FIREWALL: &str = "\
/ip firewall nat add chain=srcnat out-interface=public action=masquerade
/ip firewall mangle add action=mark-connection chain=prerouting connection-state=new new-connection-mark=cust_a_conn in-interface=ether1 passthrough=no
/ip firewall mangle add action=mark-routing chain=prerouting connection-mark=cust_a_conn in-interface=public new-routing-mark=cust_a
";

fn snapshot(firewall: bool) -> Snapshot {
    let text = if firewall {
        format!("{CONFIG}{FIREWALL}")
    } else {
        CONFIG.to_string()
    };
    // The internet gateway, and the customer's router with its hosts behind it.
    snapshot_from_config(&text, 3, &[(2, 0xac10_0101), (0, 0x0a00_0002)])
        .unwrap_or_else(|e| panic!("{e}"))
}

/// A UDP frame from customer host `src`:`sport` to server `dst`, port 53.
fn frame(src: u32, sport: u16, dst: u32) -> [u8; FRAME_LEN] {
    rspe_perf::udp_frame([2, 0, 0, 0, 0, 1], src, sport, dst)
}

/// Every frame of `arena` through the pipeline once; returns how many were forwarded.
fn pass(p: &mut Pipeline, snap: &Snapshot, port: u16, arena: &mut [u8], now: u64) -> usize {
    let mut verdicts = [Verdict::Punt; MAX_BURST];
    let mut fw = 0;
    for burst in arena.chunks_exact_mut(SLOT * MAX_BURST) {
        let mut s = burst_slots(burst, SLOT, FRAME_LEN);
        p.process_burst(snap, PortId(port), &mut s, &mut verdicts, now);
        fw += verdicts
            .iter()
            .filter(|v| matches!(v, Verdict::Forward(_)))
            .count();
    }
    fw
}

fn rss() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<u64>().ok())
        .unwrap_or(0)
        * 4096
}

/// Frames of `n` distinct customer flows (10.x.y.z:port), in random order.
fn arena(n: usize, seed: u64) -> Vec<u8> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut order: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        order.swap(i, rng.gen_range(0..=i));
    }
    let mut a = vec![0u8; n * SLOT];
    for (slot, &i) in a.chunks_exact_mut(SLOT).zip(&order) {
        // 1,024 servers: one public address has ~64,000 ports per server and port.
        let src = 0x0a80_0000 + (i as u32 / 16);
        let sport = 1024 + (i % 16) as u16 * 1000 + (seed as u16 % 7);
        let dst = SERVER + (i as u32 % 1024);
        slot[..FRAME_LEN].copy_from_slice(&frame(src, sport, dst));
    }
    a
}

fn main() {
    println!(
        "nat: {FLOWS} established UDP connections through masquerade, 64-byte frames, {RUNS} runs"
    );
    let plain_snap = snapshot(false);
    let nat_snap = snapshot(true);
    assert!(nat_snap.firewall.is_some() && plain_snap.firewall.is_none());

    // The 1,000,000 connections: first packets (new) and one reply each (established).
    let ct = Arc::new(Conntrack::new(4 * FLOWS));
    let mut nat = Pipeline::default().with_conntrack(ct.clone());
    let pristine = arena(FLOWS, 1);
    let mut frames = pristine.clone();
    let rss0 = rss();
    let fw = pass(&mut nat, &nat_snap, 0, &mut frames, 1);
    assert_eq!(fw, FLOWS, "every first packet is forwarded");
    // The replies, from the masqueraded frames turned around.
    let mut replies = frames.clone();
    let public_mac = nat_snap.port(PortId(2)).expect("port 2").mac;
    for slot in replies.chunks_exact_mut(SLOT) {
        // From the gateway, to the router's public port.
        slot[0..6].copy_from_slice(&public_mac);
        let (s, d) = (slot[26..30].to_vec(), slot[30..34].to_vec());
        slot[26..30].copy_from_slice(&d);
        slot[30..34].copy_from_slice(&s);
        let (sp, dp) = (slot[34..36].to_vec(), slot[36..38].to_vec());
        slot[34..36].copy_from_slice(&dp);
        slot[36..38].copy_from_slice(&sp);
    }
    let back = pass(&mut nat, &nat_snap, 2, &mut replies, 2);
    assert_eq!(back, FLOWS, "every reply finds its customer");
    assert_eq!(ct.len(), FLOWS);
    assert!(ct
        .snapshot()
        .iter()
        .all(|c| c.seen_reply && c.reply.dst == PUBLIC));
    let bytes_per_conn = rss().saturating_sub(rss0) as f64 / FLOWS as f64;

    let mut plain = Pipeline::default();
    let (mut ours, mut base, mut news) = (Vec::new(), Vec::new(), Vec::new());
    for run in 0..RUNS {
        frames.copy_from_slice(&pristine);
        base.push(rate(
            FLOWS,
            timed(|| {
                assert_eq!(pass(&mut plain, &plain_snap, 0, &mut frames, 3), FLOWS);
            }),
        ));
        frames.copy_from_slice(&pristine);
        ours.push(rate(
            FLOWS,
            timed(|| {
                assert_eq!(pass(&mut nat, &nat_snap, 0, &mut frames, 3), FLOWS);
            }),
        ));
        // New connections: a fresh table, frames of flows it has not seen.
        let fresh = Arc::new(Conntrack::new(4 * NEW_PER_RUN));
        let mut p = Pipeline::default().with_conntrack(fresh.clone());
        let mut first = arena(NEW_PER_RUN, 10 + run as u64);
        news.push(
            NEW_PER_RUN as f64
                / timed(|| {
                    assert_eq!(pass(&mut p, &nat_snap, 0, &mut first, 4), NEW_PER_RUN);
                })
                .as_secs_f64(),
        );
        assert_eq!(fresh.len(), NEW_PER_RUN);
        println!(
            "  run {run}: plain {:.2} Mpps, conntrack+masquerade {:.2} Mpps, {:.0} new conn/s",
            base[run], ours[run], news[run]
        );
    }
    let (o, b, n) = (median(&ours), median(&base), median(&news));
    println!(
        "  medians: {o:.2} Mpps with conntrack and masquerade = {:.3} of plain forwarding's {b:.2} Mpps; {n:.0} new conn/s; {bytes_per_conn:.0} bytes per tracked connection ({} connections)",
        o / b,
        ct.len()
    );
    println!(
        "nat: {o:.2} Mpps/core ({:.2} of plain forwarding), {n:.0} new conn/s",
        o / b
    );
}
