//! `scripts/bench tunnel`: the forwarding pipeline into and out of an IPIP tunnel and a
//! VXLAN tunnel on one core, against plain IPv4 forwarding of the same 64-byte inner frames
//! in the same run. The router (a RouterOS configuration): VRF cust on ether1 (where the
//! customer's frames come in) and ether3 (towards its hosts), VRF wan on ether2 (the
//! underlay), ipip1 and vx1 (one VTEP, a neighbour behind it) in cust with their underlay
//! in wan. Five workloads of 1,048,576 frames each, in bursts of 32, to random hosts of a
//! /16:
//! - plain: ether1 → ether3, a routed 64-byte frame (the baseline);
//! - encap: ether1 → ipip1 → ether2: the same frames, routed into the tunnel, the outer
//!   header put on and routed in wan;
//! - decap: ether2 → ipip1 → ether3: the encap run's output as the far end would send it
//!   (the same inner frames in IPIP), the outer header taken off and the inner routed in
//!   cust;
//! - vxlan encap and decap: the same through vx1 (the whole inner frame, 50 bytes of
//!   outer headers).
//!
//! Byte buffers with headroom (as an mbuf has), no NIC: the figures are the pipeline's own.
//! Every frame of every run must be forwarded. Medians of 5 runs.
//!
//! Last line: `tunnel: encap <Mpps> (<r> of IPv4 forwarding), decap <Mpps> (<r>); vxlan:
//! encap <Mpps> (<r>), decap <Mpps> (<r>)`.

use controlplane::rib::builder::snapshot_from_config;
use dataplane::pipeline::{PacketBuf, Pipeline, Verdict, MAX_BURST};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rspe_perf::{burst_slots_at, median, rate, timed};
use shared::snapshot::Snapshot;
use shared::types::PortId;

const FRAMES: usize = 1 << 20;
const SLOT: usize = 192;
const HEADROOM: usize = 64;
const FRAME_LEN: usize = 60;
const RUNS: usize = 5;

const CONFIG: &str = "\
/interface ipip add name=ipip1 local-address=203.0.113.1 remote-address=203.0.113.2@wan
/ip vrf add name=wan interfaces=ether2
/interface vxlan add name=vx1 vni=100 local-address=203.0.113.1 vrf=wan
/interface vxlan vteps add interface=vx1 remote-ip=203.0.113.2
/ip vrf add name=cust interfaces=ether1,ether3,ipip1,vx1
/ip address add address=10.1.0.1/24 interface=ether1
/ip address add address=203.0.113.1/24 interface=ether2
/ip address add address=10.3.0.1/24 interface=ether3
/ip address add address=192.168.99.1/30 interface=ipip1
/ip address add address=192.168.98.1/24 interface=vx1
/ip route add dst-address=10.50.0.0/16 gateway=10.3.0.2@cust routing-table=cust
/ip route add dst-address=10.60.0.0/16 gateway=192.168.99.2@cust routing-table=cust
/ip route add dst-address=10.70.0.0/16 gateway=192.168.98.2@cust routing-table=cust
";

/// vx1's interface id (after ipip1) and its neighbour.
const VX1: u16 = shared::tunnel::TUNNEL_BASE + 1;
const VX_NEIGHBOR: u32 = 0xc0a8_6202; // 192.168.98.2

const FAR_END: u32 = 0xcb00_7102; // 203.0.113.2
const CUST_GW: u32 = 0x0a03_0002; // 10.3.0.2

/// A 60-byte UDP frame to `dst` (arriving on a port whose MAC is `mac`).
fn frame(mac: [u8; 6], src: u32, dst: u32) -> [u8; FRAME_LEN] {
    rspe_perf::udp_frame(mac, src, 5353, dst)
}

/// An arena of slots, each holding `frames[i]` after the headroom.
fn arena(frames: &[Vec<u8>]) -> (Vec<u8>, Vec<usize>) {
    let mut a = vec![0u8; frames.len() * SLOT];
    let mut lens = Vec::with_capacity(frames.len());
    for (slot, f) in a.chunks_exact_mut(SLOT).zip(frames) {
        slot[HEADROOM..HEADROOM + f.len()].copy_from_slice(f);
        lens.push(f.len());
    }
    (a, lens)
}

/// One workload: frames of `len` bytes arriving on `port`, all to leave by `out`.
struct Workload {
    pristine: Vec<u8>,
    work: Vec<u8>,
    len: usize,
    port: u16,
    out: u16,
    rates: Vec<f64>,
}

impl Workload {
    fn new(frames: &[Vec<u8>], port: u16, out: u16) -> Workload {
        let (pristine, _) = arena(frames);
        Workload {
            work: pristine.clone(),
            pristine,
            len: frames[0].len(),
            port,
            out,
            rates: Vec::new(),
        }
    }

    /// One timed pass; panics unless every frame leaves by `out`. With `keep`, the frames
    /// as they left.
    fn pass(&mut self, snap: &Snapshot, p: &mut Pipeline, keep: bool) -> Vec<Vec<u8>> {
        let mut verdicts = [Verdict::Punt; MAX_BURST];
        self.work.copy_from_slice(&self.pristine);
        let (mut forwarded, mut sent) = (0usize, Vec::new());
        let (len, port, out) = (self.len, self.port, self.out);
        let work = &mut self.work;
        let t = timed(|| {
            for burst in work.chunks_exact_mut(SLOT * MAX_BURST) {
                let mut slots = burst_slots_at(burst, SLOT, HEADROOM, len);
                p.process_burst(snap, PortId(port), &mut slots, &mut verdicts, 0);
                forwarded += verdicts
                    .iter()
                    .filter(|v| **v == Verdict::Forward(PortId(out)))
                    .count();
                if keep {
                    sent.extend(slots.iter().map(|s| s.bytes().to_vec()));
                }
            }
        });
        assert_eq!(forwarded, FRAMES, "every frame leaves by port {out}");
        if !keep {
            self.rates.push(rate(FRAMES, t));
        }
        sent
    }
}

/// The far end's IPIP packet holding `inner`'s IPv4 packet: `ours` (what we sent) with the
/// outer addresses swapped, arriving on a port whose MAC is `mac`.
fn far_end(ours: &[u8], inner: &[u8], mac: [u8; 6]) -> Vec<u8> {
    let mut f = outer_back(ours, mac, 34);
    f.extend_from_slice(&inner[14..]);
    f
}

/// The far end's VXLAN packet holding `inner`'s IPv4 packet in a frame from `from` to
/// `to`: `ours` with the outer addresses swapped.
fn far_end_vxlan(
    ours: &[u8],
    inner: &[u8],
    mac: [u8; 6],
    (to, from): ([u8; 6], [u8; 6]),
) -> Vec<u8> {
    let mut f = outer_back(ours, mac, 50);
    f.extend_from_slice(&to);
    f.extend_from_slice(&from);
    f.extend_from_slice(&[0x08, 0x00]);
    f.extend_from_slice(&inner[14..]);
    f
}

/// The first `n` bytes of `ours` (Ethernet, outer IPv4 and tunnel headers) as the far end
/// sends them back: to `mac`, the outer addresses swapped.
fn outer_back(ours: &[u8], mac: [u8; 6], n: usize) -> Vec<u8> {
    let mut f = ours[..n].to_vec();
    f[0..6].copy_from_slice(&mac);
    f[14 + 12..14 + 16].copy_from_slice(&FAR_END.to_be_bytes());
    f[14 + 16..14 + 20].copy_from_slice(&0xcb00_7101u32.to_be_bytes());
    f[14 + 10..14 + 12].copy_from_slice(&[0, 0]);
    let c = dataplane::wire::checksum::finish(dataplane::wire::checksum::sum(&f[14..34], 0));
    f[14 + 10..14 + 12].copy_from_slice(&c.to_be_bytes());
    f
}

fn main() {
    let snap = snapshot_from_config(CONFIG, 3, &[(1, FAR_END), (2, CUST_GW), (VX1, VX_NEIGHBOR)])
        .unwrap_or_else(|e| panic!("{e}"));
    let mac = |p: u16| snap.port(PortId(p)).map(|i| i.mac).unwrap_or_default();
    println!("tunnel: {FRAMES} frames of {FRAME_LEN} bytes (inner), bursts of {MAX_BURST}, medians of {RUNS}");
    let mut rng = StdRng::seed_from_u64(7);
    let hosts: Vec<u32> = (0..FRAMES).map(|_| rng.gen::<u32>() & 0xffff).collect();
    let src = 0x0a01_0002;

    // Plain: to 10.50/16 out of ether3.
    let plain: Vec<Vec<u8>> = hosts
        .iter()
        .map(|h| frame(mac(0), src, 0x0a32_0000 | h).to_vec())
        .collect();
    // Encap: to 10.60/16, into ipip1, out of ether2.
    let inner: Vec<Vec<u8>> = hosts
        .iter()
        .map(|h| frame(mac(0), src, 0x0a3c_0000 | h).to_vec())
        .collect();
    let mut pipeline = Pipeline::default();
    let mut plain_w = Workload::new(&plain, 0, 2);
    let mut encap_w = Workload::new(&inner, 0, 1);
    let outer = encap_w.pass(&snap, &mut pipeline, true);
    // Decap: the far end's IPIP (the encap output with the addresses swapped) holding the
    // plain frames' inner packets, arriving on ether2, out of ether3.
    let decap: Vec<Vec<u8>> = outer
        .iter()
        .zip(&plain)
        .map(|(o, p)| far_end(o, p, mac(1)))
        .collect();
    let mut decap_w = Workload::new(&decap, 1, 2);
    // VXLAN: to 10.70/16 into vx1 and back, as the far end's VTEP sends it.
    let to_vx: Vec<Vec<u8>> = hosts
        .iter()
        .map(|h| frame(mac(0), src, 0x0a46_0000 | h).to_vec())
        .collect();
    let mut vx_encap_w = Workload::new(&to_vx, 0, 1);
    let vx_outer = vx_encap_w.pass(&snap, &mut pipeline, true);
    let vx_mac = mac(VX1);
    let neighbor_mac = [2, 0, 0, 9, VX1 as u8, 1];
    let vx_decap: Vec<Vec<u8>> = vx_outer
        .iter()
        .zip(&plain)
        .map(|(o, p)| far_end_vxlan(o, p, mac(1), (vx_mac, neighbor_mac)))
        .collect();
    let mut vx_decap_w = Workload::new(&vx_decap, 1, 2);
    // For a profiler: `RSPE_PROFILE=plain|encap|decap` runs only that workload, 50 times.
    if let Ok(which) = std::env::var("RSPE_PROFILE") {
        let w = match which.as_str() {
            "plain" => &mut plain_w,
            "encap" => &mut encap_w,
            "vxlan-encap" => &mut vx_encap_w,
            "vxlan-decap" => &mut vx_decap_w,
            _ => &mut decap_w,
        };
        for _ in 0..50 {
            w.pass(&snap, &mut pipeline, false);
        }
        return;
    }
    // Interleaved, so the machine's moods weigh on all three alike.
    for _ in 0..RUNS {
        for w in [
            &mut plain_w,
            &mut encap_w,
            &mut decap_w,
            &mut vx_encap_w,
            &mut vx_decap_w,
        ] {
            w.pass(&snap, &mut pipeline, false);
        }
    }
    let (plain_rate, encap_rate, decap_rate) = (
        median(&plain_w.rates),
        median(&encap_w.rates),
        median(&decap_w.rates),
    );
    let (vx_encap, vx_decap) = (median(&vx_encap_w.rates), median(&vx_decap_w.rates));
    println!("  plain IPv4 forwarding {plain_rate:.2} Mpps; IPIP encap {encap_rate:.2} Mpps, decap {decap_rate:.2} Mpps; VXLAN encap {vx_encap:.2} Mpps, decap {vx_decap:.2} Mpps");
    println!(
        "tunnel: encap {encap_rate:.2} Mpps ({:.2} of IPv4 forwarding), decap {decap_rate:.2} Mpps ({:.2}); vxlan: encap {vx_encap:.2} Mpps ({:.2}), decap {vx_decap:.2} Mpps ({:.2})",
        encap_rate / plain_rate,
        decap_rate / plain_rate,
        vx_encap / plain_rate,
        vx_decap / plain_rate
    );
}
