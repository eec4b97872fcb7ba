//! rspe's benchmarks (`perf/src/bin/NAME.rs`, run by `scripts/bench NAME`) and the helpers
//! they share. Every figure is a median of at least 5 runs, printed as a ratio to a baseline
//! measured in the same invocation.

pub mod bgpgen;

/// The median of `xs` (the mean of the middle two for an even count); NaN when empty.
pub fn median(xs: &[f64]) -> f64 {
    let mut v: Vec<f64> = xs.iter().copied().filter(|x| !x.is_nan()).collect();
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    let m = v.len() / 2;
    if v.len() % 2 == 1 {
        v[m]
    } else {
        (v[m - 1] + v[m]) / 2.0
    }
}

/// A sibling binary of the running one (`target/release/rspe` next to a bench).
pub fn sibling_binary(name: &str) -> std::path::PathBuf {
    let me = std::env::current_exe().expect("current_exe");
    me.with_file_name(name)
}

/// The real Internet table (`RSPE_BGP_TABLE`, default `../shared/data/bgp-table-ipv4.txt.gz`),
/// truncated to `RSPE_FIB_PREFIXES` prefixes when that is set.
pub fn load_table() -> Vec<shared::types::Prefix4> {
    use std::io::BufRead;
    let path = std::env::var("RSPE_BGP_TABLE")
        .unwrap_or_else(|_| "../shared/data/bgp-table-ipv4.txt.gz".into());
    let file = std::fs::File::open(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let reader = std::io::BufReader::new(flate2::read::GzDecoder::new(file));
    let mut v = Vec::new();
    for (i, line) in reader.lines().enumerate() {
        let line = line.unwrap_or_else(|e| panic!("{path}: line {}: {e}", i + 1));
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        v.push(
            line.parse()
                .unwrap_or_else(|e| panic!("{path}: line {}: {e}", i + 1)),
        );
    }
    if let Some(n) = std::env::var("RSPE_FIB_PREFIXES")
        .ok()
        .and_then(|s| s.parse().ok())
    {
        v.truncate(n);
    }
    v
}

/// The next hop (0..`n`) a benchmark gives a prefix: spread, and the same in every table.
pub fn next_hop_of(p: shared::types::Prefix4, n: u32) -> u32 {
    let h = (u64::from(p.addr()) << 8 | u64::from(p.len())).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    ((h >> 40) % u64::from(n)) as u32
}

/// EAL arguments for a benchmark pinned to lcore 1: huge pages when at least `min_pages`
/// are free, else plain memory.
pub fn eal_args(name: &str, min_pages: u64) -> Vec<String> {
    let free: u64 = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .find(|l| l.starts_with("HugePages_Free:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0);
    let mem: &[&str] = if free >= min_pages {
        &["--in-memory"]
    } else {
        eprintln!(
            "{name}: fewer than {min_pages} free huge pages: running without (slower for everyone)"
        );
        &["--no-huge", "-m", "3072", "--no-shconf"]
    };
    let mut a: Vec<String> = mem.iter().map(|s| s.to_string()).collect();
    a.extend(
        ["--no-pci", "-l", "1", "--log-level", "lib.eal:warning"]
            .iter()
            .map(|s| s.to_string()),
    );
    a.push(format!(
        "--file-prefix=rspe-bench-{name}-{}",
        std::process::id()
    ));
    a
}

/// Seconds `f` takes.
pub fn timed(f: impl FnOnce()) -> std::time::Duration {
    let t = std::time::Instant::now();
    f();
    t.elapsed()
}

/// Millions per second.
pub fn rate(n: usize, t: std::time::Duration) -> f64 {
    n as f64 / t.as_secs_f64() / 1e6
}

/// A daemon a benchmark started (rspe, or one it is compared with); stopped with SIGTERM
/// (then SIGKILL after 10 s) when dropped.
pub struct Daemon(pub std::process::Child);

impl Daemon {
    /// Starts the sibling `rspe` with `opts` before `--`, and after it EAL arguments without
    /// huge pages on `lcores`, a file prefix of `name` and `vdevs`.
    pub fn start(opts: &[String], name: &str, lcores: &str, vdevs: &[&str]) -> Daemon {
        let mut cmd = std::process::Command::new(sibling_binary("rspe"));
        cmd.arg("--no-twins")
            .args(opts)
            .args([
                "--",
                "--no-huge",
                "-m",
                "512",
                "--no-shconf",
                "--no-pci",
                "-l",
                lcores,
            ])
            .arg(format!(
                "--file-prefix=rspe-bench-{name}-{}",
                std::process::id()
            ))
            .args(["--log-level", "lib.eal:warning"]);
        for v in vdevs {
            cmd.args(["--vdev", v]);
        }
        let child = cmd
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("spawn rspe (scripts/bench builds it)");
        Daemon(child)
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while std::time::Instant::now() < deadline {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A field of `/proc/PID/status` in kB (`VmRSS:`, `VmHWM:`), 0 when unknown.
pub fn status_kb(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// What `cmd` printed, when it succeeded.
pub fn run_out(cmd: &mut std::process::Command) -> Option<String> {
    let o = cmd.stderr(std::process::Stdio::null()).output().ok()?;
    o.status
        .success()
        .then(|| String::from_utf8_lossy(&o.stdout).into_owned())
}

/// One frame in a benchmark's arena of fixed-size slots, as a pipeline packet buffer.
pub struct Slot<'a> {
    buf: &'a mut [u8],
    /// Where the frame starts (the room before it is headroom, as in an mbuf).
    start: usize,
    len: usize,
}

// Inlined, as the mbuf's are: the harness must not cost a call per access.
impl dataplane::pipeline::PacketBuf for Slot<'_> {
    #[inline]
    fn bytes(&self) -> &[u8] {
        &self.buf[self.start..self.start + self.len]
    }
    #[inline]
    fn bytes_mut(&mut self) -> &mut [u8] {
        &mut self.buf[self.start..self.start + self.len]
    }
    #[inline]
    fn set_len(&mut self, len: usize) -> bool {
        if self.start + len > self.buf.len() {
            return false;
        }
        self.len = len;
        true
    }
    #[inline]
    fn prefetch_headroom(&self) {
        if self.start >= 32 {
            shared::fib::prefetch(&self.buf[self.start - 32]);
        }
    }
    #[inline]
    fn move_start(&mut self, delta: isize) -> bool {
        let start = self.start as isize + delta;
        let len = self.len as isize - delta;
        if start < 0 || len < 0 {
            return false;
        }
        self.start = start as usize;
        self.len = len as usize;
        true
    }
}

/// A 60-byte Ethernet + IPv4 + UDP frame (TTL 64, IPv4 checksum filled, 18 bytes of
/// payload) to `dst_mac` from `src`:`sport` to `dst`, port 53: what the pipeline
/// benchmarks forward.
pub fn udp_frame(dst_mac: [u8; 6], src: u32, sport: u16, dst: u32) -> [u8; 60] {
    let mut f = [0u8; 60];
    f[0..6].copy_from_slice(&dst_mac);
    f[6..12].copy_from_slice(&[2, 0, 0, 0, 0xaa, 1]);
    f[12..14].copy_from_slice(&[0x08, 0x00]);
    let ip = &mut f[14..34];
    ip[0] = 0x45;
    ip[2..4].copy_from_slice(&46u16.to_be_bytes());
    ip[8] = 64;
    ip[9] = 17;
    ip[12..16].copy_from_slice(&src.to_be_bytes());
    ip[16..20].copy_from_slice(&dst.to_be_bytes());
    let c = dataplane::wire::checksum::finish(dataplane::wire::checksum::sum(ip, 0));
    ip[10..12].copy_from_slice(&c.to_be_bytes());
    f[34..36].copy_from_slice(&sport.to_be_bytes());
    f[36..38].copy_from_slice(&53u16.to_be_bytes());
    f[38..40].copy_from_slice(&26u16.to_be_bytes());
    f
}

/// The frames of one burst (slots of `slot` bytes holding `len`-byte frames) as packet
/// buffers, without allocating.
pub fn burst_slots(
    burst: &mut [u8],
    slot: usize,
    len: usize,
) -> [Slot<'_>; dataplane::pipeline::MAX_BURST] {
    burst_slots_at(burst, slot, 0, len)
}

/// [`burst_slots`] with frames starting `headroom` bytes into each slot (room to push
/// labels in front, as an mbuf's headroom gives).
pub fn burst_slots_at(
    burst: &mut [u8],
    slot: usize,
    headroom: usize,
    len: usize,
) -> [Slot<'_>; dataplane::pipeline::MAX_BURST] {
    let mut it = burst.chunks_exact_mut(slot);
    std::array::from_fn(|_| Slot {
        buf: it.next().unwrap_or_default(),
        start: headroom,
        len,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_even_and_empty() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), 2.5);
        assert!(median(&[]).is_nan());
    }
}
