//! `scripts/bench vpnv4-ingest`: one iBGP peer (our generator) sends 1,000,000 VPN-IPv4
//! routes to rspe, to BIRD 2 and to FRR's bgpd, one after the other in the same run, over
//! loopback: the real table's 901,899 prefixes (`../shared/data/bgp-table-ipv4.txt.gz`), each
//! under one of 1,000 route distinguishers `65000:K` chosen by a stable hash of the prefix,
//! then the first 98,101 again under the next RD, each RD with its route target `65000:K`
//! and a VPN label of its own, packed into UPDATEs per RD.
//!
//! rspe has 1,000 VRFs, each with a `/routing bgp vpn` entry importing its RT: the time runs
//! from the session's establishment until every route is received and the last one sent is
//! in its VRF's table as the RIB publishes it (`/ip route print where routing-table=vK`; the
//! RIB thread answers between batches, after publishing). The bench has no LDP peer, so the
//! imported routes have no labelled path and are not put into the VRFs' FIBs (RFC 4364 §5):
//! the FIB's share of the work is not in our figure. BIRD 2.0.12 (Debian 12) has no L3VPN
//! protocol: it keeps the routes in a `vpn4` table (`Routes: N imported`). FRR's bgpd runs
//! without zebra, so it has no VRFs to import into: `PfxRcd` in its VPN table. So ours does
//! more (1,000 VRFs' imports) than either. Peak resident memory (VmHWM) less the resident
//! memory before the session. Medians of 5 runs (`RSPE_BENCH_RUNS`).
//!
//! Last line: `vpnv4-ingest: <s> s, <MB> MB (time ratio to BIRD <r>, to FRR <r>; memory ratio
//! to BIRD <r>, to FRR <r>)`.

use controlplane::bgp::packet::{Attrs, Capability};
use controlplane::bgp::vpn::codec::{route_target, Labelled, Rd};
use controlplane::bgp::vpn::update;
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

const AS: u32 = 65000;
const VRFS: u32 = 1000;
const ROUTES: usize = 1_000_000;
const NEXT_HOP: u32 = 0x0a00_0002; // 10.0.0.2: on rspe's ether1 (10.0.0.1/24)

fn mix(x: u64) -> u64 {
    let mut h = x.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    h ^= h >> 29;
    h = h.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    h ^ (h >> 32)
}

/// The routes: (VRF number, prefix), in the order they are sent (grouped by VRF).
fn routes(table: &[Prefix4]) -> Vec<(u32, Prefix4)> {
    let vrf =
        |p: Prefix4| (mix(u64::from(p.addr()) << 6 | u64::from(p.len())) % u64::from(VRFS)) as u32;
    let mut all: Vec<(u32, Prefix4)> = table.iter().map(|&p| (vrf(p), p)).collect();
    let extra = ROUTES.saturating_sub(all.len());
    all.extend(table.iter().take(extra).map(|&p| ((vrf(p) + 1) % VRFS, p)));
    all.sort_by_key(|r| r.0);
    all
}

/// The UPDATEs for `routes`, one attribute set per VRF, then End-of-RIB.
fn updates(routes: &[(u32, Prefix4)]) -> Vec<u8> {
    let mut msgs = Vec::new();
    for chunk in routes.chunk_by(|a, b| a.0 == b.0) {
        let k = chunk[0].0;
        let rd = Rd::parse(&format!("{AS}:{k}")).expect("RD");
        let attrs = Attrs {
            origin: Some(0),
            local_pref: Some(100),
            ext_communities: vec![route_target(&format!("{AS}:{k}")).expect("RT")],
            ..Attrs::default()
        };
        let nlri: Vec<Labelled> = chunk
            .iter()
            .map(|&(_, prefix)| Labelled {
                labels: vec![1000 + k],
                rd: Some(rd),
                prefix,
            })
            .collect();
        update::announce(&attrs, true, NEXT_HOP, &nlri, &mut msgs);
    }
    msgs.push(update::end_of_rib());
    msgs.iter().flat_map(|m| m.iter().copied()).collect()
}

struct Rspe;
struct Frr;
struct Bird;

fn rspectl(dir: &Path, cmd: &str) -> Option<String> {
    run_out(
        Command::new(sibling_binary("rspectl"))
            .arg("--socket")
            .arg(dir.join("s"))
            .arg(cmd),
    )
}

impl Dut for Rspe {
    fn name(&self) -> &'static str {
        "rspe"
    }
    fn start(&self, dir: &Path) -> (Proc, Ipv4Addr, SocketAddr) {
        let mut c = String::from("/ip address add address=10.0.0.1/24 interface=ether1\n");
        for k in 0..VRFS {
            c.push_str(&format!("/ip vrf add name=v{k} interfaces=none\n"));
            c.push_str(&format!(
                "/routing bgp vpn add vrf=v{k} route-distinguisher={AS}:{k} \
                 import.route-targets={AS}:{k} label-allocation-policy=per-vrf\n"
            ));
        }
        c.push_str(&format!(
            "/routing bgp connection add name=gen remote.address=127.0.0.2 remote.as={AS} \
             local.role=ibgp as={AS} router-id=10.0.0.1 local.port=17911 connect=no \
             multihop=yes afi=vpnv4\n"
        ));
        let p = spawn_rspe(dir, &c, "vpn");
        ready(self, dir);
        (
            p,
            Ipv4Addr::new(127, 0, 0, 2),
            SocketAddr::from(([127, 0, 0, 1], 17911)),
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
        let config = format!(
                "frr defaults traditional\n\
                 router bgp {AS}\n bgp router-id 10.0.0.1\n no bgp default ipv4-unicast\n\
                 neighbor 127.0.0.3 remote-as {AS}\n neighbor 127.0.0.3 passive\n\
                 address-family ipv4 vpn\n  neighbor 127.0.0.3 activate\n exit-address-family\nexit\n"
            );
        let p = spawn_bgpd(dir, &config, 17912);
        ready(self, dir);
        (
            p,
            Ipv4Addr::new(127, 0, 0, 3),
            SocketAddr::from(([127, 0, 0, 1], 17912)),
        )
    }
    fn count(&self, dir: &Path) -> Option<usize> {
        bgpd_prefixes(dir, "ipv4 vpn", "127.0.0.3")
    }
}

impl Dut for Bird {
    fn name(&self) -> &'static str {
        "BIRD"
    }
    fn start(&self, dir: &Path) -> (Proc, Ipv4Addr, SocketAddr) {
        let config = format!(
                "router id 10.0.0.1;\nprotocol device {{}}\nvpn4 table vpntab;\n\
                 protocol bgp gen {{\n local 127.0.0.1 port 17913 as {AS};\n neighbor 127.0.0.4 as {AS};\n\
                 multihop;\n passive on;\n vpn4 mpls {{ table vpntab; igp table master4; import all; export none; }};\n}}\n"
            );
        let p = spawn_bird(dir, &config);
        ready(self, dir);
        (
            p,
            Ipv4Addr::new(127, 0, 0, 4),
            SocketAddr::from(([127, 0, 0, 1], 17913)),
        )
    }
    fn count(&self, dir: &Path) -> Option<usize> {
        bird_routes(dir)
    }
}

/// One run: (seconds, MB of route memory, peak MB, idle MB).
fn run(
    dut: &dyn Dut,
    table: &Arc<Vec<u8>>,
    last: (u32, Prefix4),
    base: &Path,
    i: usize,
) -> (f64, f64, f64, f64) {
    let dir: PathBuf = base.join(format!("{}-{i}", dut.name()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let (proc_, src, dst) = dut.start(&dir);
    let pid = proc_.0.id();
    let idle = status_kb(pid, "VmRSS:");
    let stop = Arc::new(AtomicBool::new(false));
    let caps = vec![
        Capability::Mp { afi: 1, safi: 128 },
        Capability::RouteRefresh,
        Capability::As4(AS),
    ];
    let t0 = feed(src, dst, AS, caps, table, stop.clone());
    let deadline = t0 + Duration::from_secs(600);
    let probe = format!(
        "/ip route print where routing-table=v{} dst-address={}",
        last.0, last.1
    );
    let done = || {
        dut.count(&dir).is_some_and(|c| c >= ROUTES)
            && (dut.name() != "rspe"
                || rspectl(&dir, &probe).is_some_and(|o| o.contains(&last.1.to_string())))
    };
    let secs = loop {
        if done() {
            break t0.elapsed().as_secs_f64();
        }
        assert!(
            Instant::now() < deadline,
            "{}: not every route after 600 s ({:?})",
            dut.name(),
            dut.count(&dir)
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    let peak = status_kb(pid, "VmHWM:");
    if std::env::var_os("RSPE_BENCH_LOG").is_some() {
        eprintln!("{}: {:?} routes counted", dut.name(), dut.count(&dir));
        if dut.name() == "BIRD" {
            let out = run_out(
                Command::new("birdc")
                    .arg("-s")
                    .arg(dir.join("bird.ctl"))
                    .args(["show", "route", "table", "vpntab", "count"]),
            );
            eprintln!("{out:?}");
        }
    }
    stop.store(true, Ordering::Relaxed);
    drop(proc_);
    let _ = std::fs::remove_dir_all(&dir);
    let mb = |kb: u64| kb as f64 / 1024.0;
    (secs, mb(peak.saturating_sub(idle)), mb(peak), mb(idle))
}

fn main() {
    let prefixes = rspe_perf::load_table();
    let routes = routes(&prefixes);
    let last = *routes.last().expect("routes");
    let table = updates(&routes);
    println!(
        "vpnv4-ingest: {} VPN-IPv4 routes ({} prefixes) under {VRFS} RDs and RTs, {:.1} MB on the wire",
        routes.len(),
        prefixes.len(),
        table.len() as f64 / 1e6
    );
    let table = Arc::new(table);
    let runs: usize = std::env::var("RSPE_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let base = std::env::temp_dir().join(format!("rspe-vpnv4-ingest-{}", std::process::id()));
    let duts: [&dyn Dut; 3] = [&Rspe, &Bird, &Frr];
    let only = std::env::var("RSPE_BGP_DUTS").unwrap_or_default();
    let mut res: Vec<(Vec<f64>, Vec<f64>)> = vec![(vec![], vec![]); 3];
    for i in 0..runs {
        for (d, dut) in duts.iter().enumerate() {
            if !only.is_empty() && !only.split(',').any(|o| o.eq_ignore_ascii_case(dut.name())) {
                continue;
            }
            let (s, mb, peak, idle) = run(*dut, &table, last, &base, i);
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
        "vpnv4-ingest: {:.2} s, {:.0} MB (time ratio to BIRD {:.2}, to FRR {:.2}; memory ratio to BIRD {:.2}, to FRR {:.2})",
        us.0,
        us.1,
        us.0 / bird.0,
        us.0 / frr.0,
        us.1 / bird.1,
        us.1 / frr.1
    );
}
