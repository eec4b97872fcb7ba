//! `scripts/bench config-load`: a generated 50,000-line configuration (4,000 VRFs, each with
//! a bridge as its interface, an address and static routes) loaded through `rspectl import`
//! into a daemon that saves its configuration (`--config`), then `/ip route print
//! count-only` and `/ip route print where dst-address=...`; each as ratios to an empty command's round trip measured in the same run,
//! and in absolute seconds. Medians of 5 runs, a fresh daemon each.
//!
//! Then saving at scale: a daemon holding 100,000 routes (imported, saved with `--config`)
//! takes 20 `/system identity set` changes, each acknowledged only once it is durable; the
//! median is printed as `save: <ms> ms per change with 100,000 routes`.
//!
//! Last line: `config-load: <lines per second> lines/s`.

use rspe_perf::{median, sibling_binary, Daemon};
use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const VRFS: usize = 4000;
const LINES: usize = 50_000;
const RUNS: usize = 5;

fn generate() -> String {
    let mut s = String::new();
    let routes_total = LINES - 3 * VRFS - 4;
    s.push_str("/interface bridge\n");
    for v in 0..VRFS {
        let _ = writeln!(s, "add name=vbr{v}");
    }
    s.push_str("/ip vrf\n");
    for v in 0..VRFS {
        let _ = writeln!(s, "add interfaces=vbr{v} name=cust{v} place-before=main");
    }
    s.push_str("/ip address\n");
    for v in 0..VRFS {
        let _ = writeln!(
            s,
            "add address=10.{}.{}.1/24 interface=vbr{v}",
            v / 250,
            v % 250
        );
    }
    s.push_str("/ip route\n");
    for r in 0..routes_total {
        let v = r % VRFS;
        let _ = writeln!(
            s,
            "add disabled=no dst-address=172.{}.{}.0/24 gateway=10.{}.{}.254 routing-table=cust{v}",
            (r / 250) % 250,
            r % 250,
            v / 250,
            v % 250
        );
    }
    s
}

const SAVE_ROUTES: usize = 100_000;

fn routes(n: usize) -> String {
    let mut s = String::from("/ip route\n");
    for r in 0..n {
        let _ = writeln!(
            s,
            "add dst-address=10.{}.{}.0/24 gateway=10.255.{}.1",
            r / 250 % 250,
            r % 250,
            r % 200
        );
    }
    s
}

/// Median milliseconds of a small change with `SAVE_ROUTES` routes configured, and the
/// median empty round trip of the same daemon.
fn save_per_change(dir: &Path) -> (f64, f64) {
    let file = dir.join("routes.rsc");
    std::fs::write(&file, routes(SAVE_ROUTES)).expect("write routes");
    let _d = start(dir, 99);
    ctl(dir, &["import", file.to_str().expect("utf-8 path")]).expect("import");
    let mut empty = Vec::new();
    let mut change = Vec::new();
    let mut route = Vec::new();
    for i in 0..20 {
        empty.push(timed(|| {
            ctl(dir, &[""]).expect("empty command");
        }));
        change.push(timed(|| {
            ctl(dir, &[&format!("/system identity set name=PE{i}")]).expect("change");
        }));
        route.push(timed(|| {
            ctl(
                dir,
                &[&format!(
                    "/ip route add dst-address=192.168.{i}.0/24 gateway=10.255.0.1"
                )],
            )
            .expect("route");
        }));
    }
    println!(
        "  a route added with {SAVE_ROUTES} routes: {:.1} ms (the forwarding plan is rebuilt from the whole configuration)",
        median(&route) * 1e3
    );
    (median(&change) * 1e3, median(&empty) * 1e3)
}

fn start(dir: &Path, run: usize) -> Daemon {
    let sock = dir.join("s");
    let _ = std::fs::remove_file(dir.join("rspe.rsc"));
    let opts = [
        "--socket".to_string(),
        sock.display().to_string(),
        "--config".into(),
        dir.join("rspe.rsc").display().to_string(),
    ];
    let daemon = Daemon::start(&opts, &format!("cfg-{run}"), "0", &["net_null0,no-rx=1"]);
    let deadline = Instant::now() + Duration::from_secs(30);
    while ctl(dir, &["/system identity print"]).is_err() {
        assert!(Instant::now() < deadline, "rspe did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    daemon
}

fn ctl(dir: &Path, args: &[&str]) -> Result<String, String> {
    let out = Command::new(sibling_binary("rspectl"))
        .arg("--socket")
        .arg(dir.join("s"))
        .args(args)
        .output()
        .map_err(|e| e.to_string())?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

fn timed(f: impl FnOnce()) -> f64 {
    let t = Instant::now();
    f();
    t.elapsed().as_secs_f64()
}

fn main() {
    let dir = std::env::temp_dir().join(format!("rspe-bench-config-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let text = generate();
    let lines = text.lines().count();
    let file = dir.join("big.rsc");
    std::fs::write(&file, &text).expect("write config");
    let file = file.to_str().expect("utf-8 path").to_owned();
    println!("config-load: {lines} lines, {VRFS} VRFs");

    let (mut empty, mut load, mut count) = (Vec::new(), Vec::new(), Vec::new());
    let mut one = Vec::new();
    for run in 0..RUNS {
        let d = start(&dir, run);
        let mut e = Vec::new();
        for _ in 0..20 {
            e.push(timed(|| {
                ctl(&dir, &[""]).expect("empty command");
            }));
        }
        empty.push(median(&e));
        load.push(timed(|| {
            ctl(&dir, &["import", &file]).expect("import");
        }));
        let mut n = String::new();
        count.push(timed(|| {
            n = ctl(&dir, &["/ip route print count-only"]).expect("count")
        }));
        // The static routes, and each VRF's bridge (a loopback) with its connected route.
        assert_eq!(
            n.trim().parse::<usize>().ok(),
            Some(LINES - 3 * VRFS - 4 + VRFS),
            "every route loaded"
        );
        let mut shown = String::new();
        one.push(timed(|| {
            shown = ctl(&dir, &["/ip route print where dst-address=172.3.7.0/24"]).expect("where")
        }));
        assert!(shown.contains("172.3.7.0/24"), "{shown}");
        // Stopped, the router's file is its whole configuration (while it runs, the file
        // and its journal).
        drop(d);
        let saved = std::fs::read_to_string(dir.join("rspe.rsc")).expect("saved configuration");
        assert!(
            saved.lines().count() >= LINES - 10,
            "the whole configuration was saved"
        );
    }
    let (e, l, c) = (median(&empty), median(&load), median(&count));
    println!(
        "  empty command round trip (rspectl process included): {:.2} ms",
        e * 1e3
    );
    println!(
        "  import of {lines} lines: {l:.2} s = {:.0} x the empty round trip",
        l / e
    );
    println!(
        "  /ip route print count-only: {:.1} ms = {:.1} x the empty round trip",
        c * 1e3,
        c / e
    );
    let w = median(&one);
    println!(
        "  /ip route print where dst-address=172.3.7.0/24: {:.1} ms = {:.1} x the empty round trip",
        w * 1e3,
        w / e
    );
    let (save, rtt) = save_per_change(&dir);
    let _ = std::fs::remove_dir_all(&dir);
    println!(
        "save: {save:.1} ms per change with {SAVE_ROUTES} routes ({:.1} x the empty round trip of {rtt:.1} ms)",
        save / rtt
    );
    println!("config-load: {:.0} lines/s", lines as f64 / l);
}
