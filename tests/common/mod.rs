//! Helpers for the daemon's end-to-end tests: EAL arguments that work with or without huge
//! pages, pcap files, and a daemon process that is killed when the test ends however it ends.
#![allow(dead_code)]

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// How long a test waits for the daemon before it fails (a hang guard, not a timing check).
pub const PATIENCE: Duration = Duration::from_secs(60);

pub const RSPE: &str = env!("CARGO_BIN_EXE_rspe");
pub const RSPECTL: &str = env!("CARGO_BIN_EXE_rspectl");

/// A fresh directory for one test, removed when the test ends however it ends.
pub fn scratch(name: &str) -> Scratch {
    let dir = std::env::temp_dir().join(format!("rspe-test-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    Scratch(dir)
}

/// A test's directory; removed on drop.
pub struct Scratch(PathBuf);

impl std::ops::Deref for Scratch {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<Path> for Scratch {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// EAL arguments for a test instance: no PCI, one worker lcore, no huge pages (so tests run
/// anywhere and side by side), a file prefix of its own.
pub fn eal_base(prefix: &str) -> Vec<String> {
    [
        "--no-huge",
        "-m",
        "512",
        "--no-shconf",
        "--no-pci",
        "-l",
        "0-1",
        "--log-level",
        "lib.eal:warning",
    ]
    .iter()
    .map(|s| s.to_string())
    .chain([format!(
        "--file-prefix=rspe-test-{prefix}-{}",
        std::process::id()
    )])
    .collect()
}

/// A running daemon; killed on drop.
pub struct Daemon {
    pub child: Child,
    pub socket: PathBuf,
}

impl Daemon {
    /// Starts `rspe --socket SOCKET -- EAL` and waits until its control socket answers.
    pub fn start(socket: &Path, eal: &[String]) -> Daemon {
        Self::start_with(socket, &[], eal)
    }

    /// The same with more rspe options before `--`.
    pub fn start_with(socket: &Path, opts: &[String], eal: &[String]) -> Daemon {
        let child = Command::new(RSPE)
            .arg("--socket")
            .arg(socket)
            // Tests share the namespace: twins named ether1 would collide.
            .arg("--no-twins")
            .args(opts)
            .arg("--")
            .args(eal)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn rspe");
        let mut d = Daemon {
            child,
            socket: socket.to_owned(),
        };
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(status) = d.child.try_wait().unwrap() {
                panic!("rspe exited early ({status}): {}", d.stderr());
            }
            if std::os::unix::net::UnixStream::connect(socket).is_ok() {
                return d;
            }
            assert!(Instant::now() < deadline, "rspe did not open its socket");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Runs `rspectl --socket SOCKET ARGS...`; returns (success, stdout, stderr).
    pub fn ctl(&self, args: &[&str]) -> (bool, String, String) {
        let out = Command::new(RSPECTL)
            .arg("--socket")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("run rspectl");
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// Sends SIGTERM and waits for a clean exit; returns the status and what it printed.
    pub fn stop(mut self) -> (ExitStatus, String) {
        // SAFETY-free: kill(2) through the libc crate would need unsafe; use the kill command.
        Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status()
            .unwrap();
        let status = wait(&mut self.child);
        let err = self.stderr();
        (status, err)
    }

    fn stderr(&mut self) -> String {
        let mut s = String::new();
        if let Some(mut e) = self.child.stderr.take() {
            let _ = e.read_to_string(&mut s);
        }
        s
    }
}

impl Drop for Daemon {
    /// A daemon left running (a test failed before stopping it): TERM first, so that DPDK
    /// removes its runtime directory (/var/run/dpdk/<prefix>), KILL if it lingers.
    fn drop(&mut self) {
        if let Ok(Some(_)) = self.child.try_wait() {
            return;
        }
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Waits for a child, failing the test if it takes longer than [`PATIENCE`].
pub fn wait(child: &mut Child) -> ExitStatus {
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Some(s) = child.try_wait().unwrap() {
            return s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("process did not exit");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Runs rspe with `args` to completion; returns (exit code, stderr).
pub fn run_rspe(args: &[String]) -> (Option<i32>, String) {
    let mut child = Command::new(RSPE)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn rspe");
    let status = wait(&mut child);
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    (status.code(), err)
}

/// Writes `frames` as a pcap file (Ethernet link type).
pub fn write_pcap(path: &Path, frames: &[Vec<u8>]) {
    let mut out = Vec::new();
    out.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&4u16.to_le_bytes());
    out.extend_from_slice(&0i32.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&65535u32.to_le_bytes());
    out.extend_from_slice(&1u32.to_le_bytes());
    for (i, f) in frames.iter().enumerate() {
        out.extend_from_slice(&1_700_000_000u32.to_le_bytes());
        out.extend_from_slice(&(i as u32).to_le_bytes());
        out.extend_from_slice(&(f.len() as u32).to_le_bytes());
        out.extend_from_slice(&(f.len() as u32).to_le_bytes());
        out.extend_from_slice(f);
    }
    std::fs::write(path, out).unwrap();
}

/// Reads the frames of a little-endian pcap file (microsecond or, as DPDK writes them,
/// nanosecond timestamps); `None` while it is incomplete.
pub fn read_pcap(path: &Path) -> Option<Vec<Vec<u8>>> {
    let b = std::fs::read(path).ok()?;
    let magic = u32::from_le_bytes(b.get(0..4)?.try_into().ok()?);
    if b.len() < 24 || (magic != 0xa1b2_c3d4 && magic != 0xa1b2_3c4d) {
        return None;
    }
    let mut frames = Vec::new();
    let mut at = 24;
    while at < b.len() {
        let hdr = b.get(at..at + 16)?;
        let len = u32::from_le_bytes(hdr[8..12].try_into().unwrap()) as usize;
        frames.push(b.get(at + 16..at + 16 + len)?.to_vec());
        at += 16 + len;
    }
    Some(frames)
}

/// Ethernet/IPv4/UDP frames of assorted sizes (60 to 1514 bytes), each one different.
pub fn sample_frames(n: usize) -> Vec<Vec<u8>> {
    (0..n)
        .map(|i| {
            let len = [60, 64, 128, 576, 1024, 1514][i % 6] + (i % 3);
            let len = len.min(1514);
            let mut f = vec![0u8; len];
            f[0..6].copy_from_slice(&[0x02, 0, 0, 0, 0, 0x02]);
            f[6..12].copy_from_slice(&[0x02, 0, 0, 0, 0, 0x01]);
            f[12..14].copy_from_slice(&[0x08, 0x00]);
            f[14] = 0x45;
            let ip_len = (len - 14) as u16;
            f[16..18].copy_from_slice(&ip_len.to_be_bytes());
            f[22] = 64;
            f[23] = 17;
            f[26..30].copy_from_slice(&[10, 0, 0, 1]);
            f[30..34].copy_from_slice(&[10, 0, 0, 2]);
            for (j, b) in f[34..].iter_mut().enumerate() {
                *b = (i as u8).wrapping_mul(31).wrapping_add(j as u8);
            }
            f
        })
        .collect()
}

/// EAL arguments for `n` idle in-memory ports (`net_ring`), which become ether1..ethern.
pub fn ring_ports(prefix: &str, n: usize) -> Vec<String> {
    let mut eal = eal_base(prefix);
    for i in 0..n {
        eal.push("--vdev".into());
        eal.push(format!("net_ring{i}"));
    }
    eal
}

/// Sends SIGKILL and reaps the process.
pub fn kill9(d: &mut Daemon) {
    let _ = d.child.kill();
    let _ = d.child.wait();
}
