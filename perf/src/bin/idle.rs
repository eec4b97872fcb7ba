//! `scripts/bench idle`: CPU used by an idle worker, adaptive polling against busy polling.
//!
//! Starts `rspe` on two `net_ring` ports with no traffic, once per poll mode, and reads the
//! worker thread's on-CPU time from `/proc/PID/task/TID/schedstat` over windows of 2 s;
//! medians of 5 windows. Last line:
//! `idle: adaptive <x>% of a core per idle worker (<ratio> of busy polling's <y>%)`.

use rspe_perf::{median, Daemon};
use std::path::{Path, PathBuf};

use std::time::{Duration, Instant};

const WINDOWS: usize = 5;
const WINDOW: Duration = Duration::from_secs(2);

/// The worker threads of `pid` (DPDK 22.11 names them `rte-worker-N`; rspe's own `rspe-worker*`).
fn worker_tids(pid: u32) -> Vec<PathBuf> {
    let Ok(dir) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return Vec::new();
    };
    dir.filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            std::fs::read_to_string(p.join("comm"))
                .map(|c| {
                    c.starts_with("rte-worker")
                        || c.starts_with("lcore-worker")
                        || c.starts_with("rspe-worker")
                })
                .unwrap_or(false)
        })
        .collect()
}

/// Nanoseconds a thread has spent on a CPU.
fn on_cpu_ns(task: &Path) -> Option<u64> {
    std::fs::read_to_string(task.join("schedstat"))
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// Median share of a core (percent) used by one idle worker in `mode`.
fn measure(mode: &str) -> f64 {
    let dir = std::env::temp_dir().join(format!("rspe-bench-idle-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let sock = dir.join(format!("{mode}.sock"));
    let opts = [
        "--socket".to_string(),
        sock.display().to_string(),
        "--poll".into(),
        mode.into(),
    ];
    let daemon = Daemon::start(
        &opts,
        &format!("idle-{mode}"),
        "0-1",
        &["net_ring0", "net_ring1"],
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    let tasks = loop {
        let t = worker_tids(daemon.0.id());
        if !t.is_empty() && sock.exists() {
            break t;
        }
        assert!(Instant::now() < deadline, "rspe did not start");
        std::thread::sleep(Duration::from_millis(50));
    };
    // Let the worker settle into its idle state.
    std::thread::sleep(Duration::from_millis(500));
    let mut shares = Vec::new();
    for _ in 0..WINDOWS {
        for task in &tasks {
            let (c0, t0) = (on_cpu_ns(task).unwrap_or(0), Instant::now());
            std::thread::sleep(WINDOW);
            let (c1, t1) = (on_cpu_ns(task).unwrap_or(0), Instant::now());
            shares.push(100.0 * (c1 - c0) as f64 / (t1 - t0).as_nanos() as f64);
        }
    }
    drop(daemon);
    let _ = std::fs::remove_dir_all(&dir);
    let m = median(&shares);
    println!(
        "{mode:>8}: {m:.2}% of a core per worker (median of {} windows of {:?}: {:?})",
        shares.len(),
        WINDOW,
        shares
            .iter()
            .map(|s| (s * 100.0).round() / 100.0)
            .collect::<Vec<_>>()
    );
    m
}

fn main() {
    let busy = measure("busy");
    let adaptive = measure("adaptive");
    println!(
        "idle: adaptive {adaptive:.2}% of a core per idle worker ({:.4} of busy polling's {busy:.1}%)",
        adaptive / busy
    );
}
