//! `scripts/bench bgp-ingest`: one eBGP peer (a generator of ours, sending packed UPDATEs as
//! fast as TCP takes them) feeds the real Internet table (901,899 prefixes of
//! `../shared/data/bgp-table-ipv4.txt.gz`) to rspe, to FRR's bgpd and to BIRD 2, one after
//! the other in the same run, over loopback. The table file has prefixes only; AS paths,
//! MEDs and communities are made up from each prefix's address (a stable hash), so that
//! neighbouring prefixes share paths as they do in real tables: about 390,000 distinct
//! attribute sets, paths of 2 to 8 ASes (prepends included), 0 to 3 communities.
//!
//! Measured: the time from the session's establishment until every prefix is in the
//! daemon's RIB (rspe: in the RIB, the FIB and the published snapshot: its prefix count is
//! updated only after the batch is installed and published; FRR: `pfxRcd` of bgpd, run
//! without zebra, so no kernel install; BIRD: routes imported into its table, no kernel
//! protocol), and the daemon's peak resident memory (VmHWM) less its resident memory
//! before the session (what the routes cost; the absolute figures are printed too).
//! Medians of 5 runs (`RSPE_BENCH_RUNS`), every daemon started afresh for each run.
//!
//! Last line: `bgp-ingest: <s> s, <MB> MB (time ratio to BIRD <r>, to FRR <r>; memory ratio
//! to BIRD <r>, to FRR <r>)`.

use controlplane::bgp::packet::{self, seg, Attrs, Capability, Segment};
use rspe_perf::bgpgen::{
    bgpd_prefixes, bird_routes, feed, ready, rspe_prefix_count, spawn_bgpd, spawn_bird, spawn_rspe,
    Dut,
};
use rspe_perf::{median, run_out, sibling_binary, status_kb, Daemon as Proc};
use shared::types::Prefix4;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const GEN_AS: u32 = 65001;
const NEXT_HOP: u32 = 0x0a00_0002; // 10.0.0.2: on rspe's ether1 (10.0.0.1/24)

fn mix(x: u64) -> u64 {
    let mut h = x.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    h ^= h >> 29;
    h = h.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    h ^ (h >> 32)
}

/// The made-up attributes of a prefix: shared by prefixes of the same /14 and length class.
fn attrs_of(p: Prefix4) -> Attrs {
    let key = u64::from(p.addr() >> 11) << 2 | u64::from(p.len() >= 24);
    let h = mix(key);
    // Tier-1/2 transit ASes, then an origin from the public 16- and 32-bit ranges.
    let transit = [
        174, 1299, 2914, 3257, 3356, 3491, 6453, 6461, 6762, 6939, 7018, 9002,
    ];
    let mut path = vec![GEN_AS, transit[(h % 12) as usize]];
    if h >> 8 & 3 != 0 {
        path.push(1000 + (h >> 12) as u32 % 30_000);
    }
    let origin = if h >> 30 & 7 == 0 {
        200_000 + (h >> 33) as u32 % 200_000
    } else {
        1000 + (h >> 33) as u32 % 60_000
    };
    for _ in 0..=(h >> 50 & 3) {
        path.push(origin);
    }
    let communities = (0..(h >> 54 & 3))
        .map(|i| (GEN_AS << 16) | ((h >> (20 + i * 8)) as u32 & 0xfff))
        .collect();
    Attrs {
        origin: Some((h >> 40 & 1) as u8 * 2),
        as_path: vec![Segment {
            kind: seg::SEQUENCE,
            asns: path,
        }],
        next_hop: Some(NEXT_HOP),
        med: (h >> 44 & 1 == 1).then_some((h >> 45) as u32 & 0xff),
        communities,
        ..Attrs::default()
    }
}

/// The whole table as UPDATE messages, prefixes with the same attributes packed together,
/// then End-of-RIB.
fn updates(table: &[Prefix4]) -> (Vec<u8>, usize) {
    let mut groups: std::collections::HashMap<Attrs, Vec<Prefix4>> = Default::default();
    let mut order = Vec::new();
    for p in table {
        let a = attrs_of(*p);
        let e = groups.entry(a.clone()).or_default();
        if e.is_empty() {
            order.push(a);
        }
        e.push(*p);
    }
    let distinct = order.len();
    let mut msgs = Vec::new();
    for a in &order {
        packet::announce_updates(a, true, &groups[a], &mut msgs);
    }
    msgs.push(packet::end_of_rib());
    let mut out = Vec::with_capacity(msgs.iter().map(|m| m.len()).sum());
    for m in msgs {
        out.extend_from_slice(&m);
    }
    (out, distinct)
}

struct Rspe;
struct Frr;
struct Bird;

impl Dut for Rspe {
    fn name(&self) -> &'static str {
        "rspe"
    }
    fn start(&self, dir: &Path) -> (Proc, Ipv4Addr, SocketAddr) {
        let config = "/ip address add address=10.0.0.1/24 interface=ether1\n\
             /routing bgp connection add name=gen remote.address=127.0.0.2 remote.as=65001 \
             local.role=ebgp as=65000 router-id=10.0.0.1 local.port=17901 connect=no multihop=yes\n";
        let p = spawn_rspe(dir, config, "bgp");
        ready(self, dir);
        (
            p,
            Ipv4Addr::new(127, 0, 0, 2),
            SocketAddr::from(([127, 0, 0, 1], 17901)),
        )
    }
    fn count(&self, dir: &Path) -> Option<usize> {
        rspe_prefix_count(dir)
    }
}

impl Dut for Frr {
    fn name(&self) -> &'static str {
        "FRR"
    }
    fn start(&self, dir: &Path) -> (Proc, Ipv4Addr, SocketAddr) {
        let config = "frr defaults traditional\n\
             router bgp 65000\n bgp router-id 10.0.0.1\n no bgp ebgp-requires-policy\n\
             neighbor 127.0.0.3 remote-as 65001\n neighbor 127.0.0.3 disable-connected-check\n\
             neighbor 127.0.0.3 passive\nexit\n";
        let p = spawn_bgpd(dir, config, 17902);
        ready(self, dir);
        (
            p,
            Ipv4Addr::new(127, 0, 0, 3),
            SocketAddr::from(([127, 0, 0, 1], 17902)),
        )
    }
    fn count(&self, dir: &Path) -> Option<usize> {
        bgpd_prefixes(dir, "ipv4 unicast", "127.0.0.3")
    }
}

impl Dut for Bird {
    fn name(&self) -> &'static str {
        "BIRD"
    }
    fn start(&self, dir: &Path) -> (Proc, Ipv4Addr, SocketAddr) {
        let config = "router id 10.0.0.1;\nprotocol device {}\n\
             protocol bgp gen {\n local 127.0.0.1 port 17903 as 65000;\n neighbor 127.0.0.4 as 65001;\n\
             multihop;\n passive on;\n ipv4 { import all; export none; };\n}\n";
        let p = spawn_bird(dir, config);
        ready(self, dir);
        (
            p,
            Ipv4Addr::new(127, 0, 0, 4),
            SocketAddr::from(([127, 0, 0, 1], 17903)),
        )
    }
    fn count(&self, dir: &Path) -> Option<usize> {
        bird_routes(dir)
    }
}

/// With the whole table in: what `/ip route print count-only` and a print narrowed to one
/// destination cost (each an `rspectl` process, start included; medians of 5).
fn print_costs(dir: &Path, probe: Prefix4) {
    let time = |cmd: &str| {
        let mut t = Vec::new();
        for _ in 0..5 {
            let start = Instant::now();
            let out = run_out(
                Command::new(sibling_binary("rspectl"))
                    .arg("--socket")
                    .arg(dir.join("s"))
                    .arg(cmd),
            );
            t.push(start.elapsed().as_secs_f64() * 1e3);
            assert!(out.is_some(), "{cmd} answered");
        }
        median(&t)
    };
    let count = time("/ip route print count-only");
    let one = time(&format!("/ip route print where dst-address={probe}"));
    let all = time(&format!("/routing route print where dst-address={probe}"));
    println!(
        "    with the table: /ip route print count-only {count:.1} ms, where dst-address= {one:.1} ms, /routing route print where dst-address= {all:.1} ms"
    );
}

/// One run: (seconds, MB of route memory, peak MB, idle MB).
fn run(
    dut: &dyn Dut,
    table: &Arc<Vec<u8>>,
    n: usize,
    base: &Path,
    i: usize,
    probe: Prefix4,
) -> (f64, f64, f64, f64) {
    let dir: PathBuf = base.join(format!("{}-{i}", dut.name()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let (proc_, src, dst) = dut.start(&dir);
    let pid = proc_.0.id();
    let idle = status_kb(pid, "VmRSS:");
    let stop = Arc::new(AtomicBool::new(false));
    let caps = vec![
        Capability::Mp { afi: 1, safi: 1 },
        Capability::RouteRefresh,
        Capability::As4(GEN_AS),
    ];
    let t0 = feed(src, dst, GEN_AS, caps, table, stop.clone());
    let deadline = t0 + Duration::from_secs(600);
    let secs = loop {
        if dut.count(&dir).is_some_and(|c| c >= n) {
            break t0.elapsed().as_secs_f64();
        }
        assert!(
            Instant::now() < deadline,
            "{}: not all prefixes after 600 s",
            dut.name()
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    let peak = status_kb(pid, "VmHWM:");
    if dut.name() == "rspe" {
        print_costs(&dir, probe);
    }
    stop.store(true, Ordering::Relaxed);
    drop(proc_);
    let _ = std::fs::remove_dir_all(&dir);
    let mb = |kb: u64| kb as f64 / 1024.0;
    (secs, mb(peak.saturating_sub(idle)), mb(peak), mb(idle))
}

fn main() {
    let prefixes = rspe_perf::load_table();
    let n = prefixes.len();
    let (table, distinct) = updates(&prefixes);
    let msgs = {
        let mut c = 0;
        let mut i = 0;
        while i + packet::HEADER_LEN <= table.len() {
            i += usize::from(u16::from_be_bytes([table[i + 16], table[i + 17]]));
            c += 1;
        }
        c
    };
    println!(
        "bgp-ingest: {n} prefixes, {distinct} distinct attribute sets, {msgs} UPDATEs, {:.1} MB on the wire",
        table.len() as f64 / 1e6
    );
    let table = Arc::new(table);
    let runs: usize = std::env::var("RSPE_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let base = std::env::temp_dir().join(format!("rspe-bgp-ingest-{}", std::process::id()));
    let duts: [&dyn Dut; 3] = [&Rspe, &Bird, &Frr];
    // RSPE_BGP_DUTS=rspe (say) runs only those, for profiling.
    let only = std::env::var("RSPE_BGP_DUTS").unwrap_or_default();
    let mut res: Vec<(Vec<f64>, Vec<f64>)> = vec![(vec![], vec![]); 3];
    for i in 0..runs {
        for (d, dut) in duts.iter().enumerate() {
            if !only.is_empty() && !only.split(',').any(|o| o.eq_ignore_ascii_case(dut.name())) {
                continue;
            }
            let (s, mb, peak, idle) = run(*dut, &table, n, &base, i, prefixes[n / 2]);
            println!(
                "  run {}: {:<4} {s:7.2} s, {mb:7.1} MB for the routes (peak {peak:.1} MB, idle {idle:.1} MB)",
                i + 1,
                dut.name()
            );
            res[d].0.push(s);
            res[d].1.push(mb);
        }
    }
    let _ = std::fs::remove_dir_all(&base);
    let med: Vec<(f64, f64)> = res.iter().map(|(t, m)| (median(t), median(m))).collect();
    for (d, dut) in duts.iter().enumerate() {
        println!(
            "  {:<4} median {:.2} s, {:.1} MB",
            dut.name(),
            med[d].0,
            med[d].1
        );
    }
    let (us, bird, frr) = (med[0], med[1], med[2]);
    println!(
        "bgp-ingest: {:.2} s, {:.0} MB (time ratio to BIRD {:.2}, to FRR {:.2}; memory ratio to BIRD {:.2}, to FRR {:.2})",
        us.0,
        us.1,
        us.0 / bird.0,
        us.0 / frr.0,
        us.1 / bird.1,
        us.1 / frr.1
    );
}
