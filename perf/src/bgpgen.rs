//! A BGP generator for the ingest benchmarks: one session from a source address of ours to
//! the daemon under test, the whole table written as fast as TCP takes it, the session kept
//! alive (and whatever the daemon sends read and dropped) until told to stop.

use crate::Daemon as Proc;
use controlplane::bgp::packet::{self, Capability, Open};
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Reads one whole message.
pub fn read_msg(s: &mut TcpStream) -> std::io::Result<(u8, Vec<u8>)> {
    let mut h = [0u8; packet::HEADER_LEN];
    s.read_exact(&mut h)?;
    let len = usize::from(u16::from_be_bytes([h[16], h[17]]));
    let mut body = vec![0u8; len.saturating_sub(packet::HEADER_LEN)];
    s.read_exact(&mut body)?;
    Ok((h[18], body))
}

/// The generator: connects from `src` to `dst`, opens the session, sends the table.
/// Returns when the table is written; a thread keeps the session alive until `stop`.
pub fn feed(
    src: Ipv4Addr,
    dst: SocketAddr,
    asn: u32,
    caps: Vec<Capability>,
    table: &Arc<Vec<u8>>,
    stop: Arc<AtomicBool>,
) -> Instant {
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut s = loop {
        let sock = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None)
            .expect("socket");
        sock.bind(&SocketAddr::from((src, 0)).into()).expect("bind");
        match sock.connect_timeout(&dst.into(), Duration::from_secs(2)) {
            Ok(()) => break TcpStream::from(sock),
            Err(e) => {
                assert!(Instant::now() < deadline, "connect to {dst}: {e}");
                std::thread::sleep(Duration::from_millis(100));
            }
        }
    };
    let open = Open {
        version: 4,
        asn: u16::try_from(asn).unwrap_or(packet::AS_TRANS),
        hold_time: 180,
        id: u32::from(src),
        caps,
    };
    s.write_all(&open.encode()).expect("send OPEN");
    let (kind, _) = read_msg(&mut s).expect("the daemon's OPEN");
    assert_eq!(kind, packet::msg::OPEN, "expected an OPEN");
    s.write_all(&packet::keepalive()).expect("send KEEPALIVE");
    loop {
        let (kind, body) = read_msg(&mut s).expect("the daemon's KEEPALIVE");
        match kind {
            packet::msg::KEEPALIVE => break,
            packet::msg::NOTIFICATION => panic!("NOTIFICATION {:?}", body),
            _ => {}
        }
    }
    let established = Instant::now();
    // Whatever the daemon sends is read and dropped; keepalives go out every 30 s.
    let mut r = s.try_clone().expect("clone");
    let mut w = s.try_clone().expect("clone");
    let st = stop.clone();
    std::thread::spawn(move || {
        let mut buf = vec![0u8; 65536];
        while !st.load(Ordering::Relaxed) {
            match r.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
    });
    let t = table.clone();
    std::thread::spawn(move || {
        if w.write_all(&t).is_err() {
            return;
        }
        let mut last = Instant::now();
        while !stop.load(Ordering::Relaxed) {
            std::thread::sleep(Duration::from_millis(50));
            if last.elapsed() > Duration::from_secs(30) {
                last = Instant::now();
                if w.write_all(&packet::keepalive()).is_err() {
                    break;
                }
            }
        }
    });
    established
}

/// One daemon under test.
pub trait Dut {
    /// Its name in the report.
    fn name(&self) -> &'static str;
    /// Starts it; returns the process and where the generator connects from and to.
    fn start(&self, dir: &Path) -> (Proc, Ipv4Addr, SocketAddr);
    /// Prefixes in its RIB from the generator (None: not known yet).
    fn count(&self, dir: &Path) -> Option<usize>;
}

/// Waits until the daemon answers its console (30 s at most).
pub fn ready(dut: &dyn Dut, dir: &Path) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while dut.count(dir).is_none() {
        assert!(Instant::now() < deadline, "{} did not start", dut.name());
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Starts rspe for a BGP benchmark: `config` loaded, no twins, one null port, no huge pages,
/// its control socket `dir/s`; its log on stderr with `RSPE_BENCH_LOG`.
pub fn spawn_rspe(dir: &Path, config: &str, name: &str) -> Proc {
    let cfg = dir.join("rspe.rsc");
    std::fs::write(&cfg, config).expect("config");
    let child = std::process::Command::new(crate::sibling_binary("rspe"))
        .args(["--no-twins", "--socket"])
        .arg(dir.join("s"))
        .arg("--config")
        .arg(&cfg)
        .args([
            "--",
            "--no-huge",
            "-m",
            "64",
            "--no-shconf",
            "--no-pci",
            "-l",
            "0",
            "--log-level",
            "lib.eal:warning",
            "--vdev",
            "net_null0,no-rx=1",
        ])
        .arg(format!(
            "--file-prefix=rspe-bench-{name}-{}",
            std::process::id()
        ))
        .stdout(std::process::Stdio::null())
        .stderr(if std::env::var_os("RSPE_BENCH_LOG").is_some() {
            std::process::Stdio::inherit()
        } else {
            std::process::Stdio::null()
        })
        .spawn()
        .expect("spawn rspe (scripts/bench builds it)");
    Proc(child)
}

/// The `prefix-count` of rspe's first BGP session (`None`: no answer yet).
pub fn rspe_prefix_count(dir: &Path) -> Option<usize> {
    let out = crate::run_out(
        std::process::Command::new(crate::sibling_binary("rspectl"))
            .arg("--socket")
            .arg(dir.join("s"))
            .arg("/routing bgp session print detail"),
    )?;
    Some(
        out.split_whitespace()
            .find_map(|w| w.strip_prefix("prefix-count="))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0),
    )
}

/// Starts FRR's bgpd for a BGP benchmark: no zebra, `config`, listening on 127.0.0.1:`port`,
/// its vty socket in `dir`.
pub fn spawn_bgpd(dir: &Path, config: &str, port: u16) -> Proc {
    let conf = dir.join("bgpd.conf");
    std::fs::write(&conf, config).expect("config");
    let child = std::process::Command::new("/usr/lib/frr/bgpd")
        .args(["-Z", "-S", "-p", &port.to_string(), "-l", "127.0.0.1", "-f"])
        .arg(&conf)
        .arg("--vty_socket")
        .arg(dir)
        .arg("-i")
        .arg(dir.join("bgpd.pid"))
        .args(["-A", "127.0.0.1", "-P", "0", "--log"])
        .arg(format!("file:{}", dir.join("bgpd.log").display()))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn /usr/lib/frr/bgpd (apt install frr)");
    Proc(child)
}

/// bgpd's `PfxRcd` from `neighbor` in `show bgp <family> summary` (`None`: no answer yet).
pub fn bgpd_prefixes(dir: &Path, family: &str, neighbor: &str) -> Option<usize> {
    let show = format!("show bgp {family} summary");
    let out = crate::run_out(
        std::process::Command::new("vtysh")
            .arg("--vty_socket")
            .arg(dir)
            .args(["-d", "bgpd", "-c", &show]),
    )?;
    let Some(line) = out.lines().find(|l| l.starts_with(neighbor)) else {
        return Some(0);
    };
    let w: Vec<&str> = line.split_whitespace().collect();
    Some(w.get(9).and_then(|v| v.parse().ok()).unwrap_or(0))
}

/// Starts BIRD 2 with `config`, its control socket `dir/bird.ctl`.
pub fn spawn_bird(dir: &Path, config: &str) -> Proc {
    let conf = dir.join("bird.conf");
    std::fs::write(&conf, config).expect("config");
    let child = std::process::Command::new("bird")
        .arg("-f")
        .arg("-c")
        .arg(&conf)
        .arg("-s")
        .arg(dir.join("bird.ctl"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn bird (apt install bird2)");
    Proc(child)
}

/// The routes BIRD's protocol `gen` imported (`None`: no answer yet).
pub fn bird_routes(dir: &Path) -> Option<usize> {
    let out = crate::run_out(
        std::process::Command::new("birdc")
            .arg("-s")
            .arg(dir.join("bird.ctl"))
            .args(["show", "protocols", "all", "gen"]),
    )?;
    if !out.contains("gen") {
        return None;
    }
    Some(
        out.lines()
            .find(|l| l.trim_start().starts_with("Routes:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0),
    )
}
