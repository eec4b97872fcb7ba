//! `scripts/bench ospf-converge`: a generator of ours forms an OSPF adjacency over a veth
//! point-to-point link and floods a synthetic area into rspe, BIRD 2 and FRR's ospfd (with
//! zebra), one after the other in the same run, every daemon started afresh for each run.
//!
//! The area: 1,000 routers in a 25 × 40 grid (point-to-point links to their neighbours, a
//! /24 stub network each), ten of them ASBRs originating 1,000 AS-external LSAs each (type
//! 2), the generator's own router-LSA linking the daemon to the grid's corner: 11,000
//! routes to learn. The generator is the slave of the exchange (its router id is lower),
//! answers the daemon's requests, acknowledges its updates.
//!
//! Measured: the time from "Full" (the moment the generator has sent the daemon every LSA
//! it asked for; the daemon is Full when they arrive) until all 11,000 routes are in the
//! daemon's RIB (rspe: in its RIB, FIB and published snapshot, `/ip route print
//! count-only`; BIRD: its table, `show route count`, no kernel protocol; FRR: zebra's RIB,
//! `show ip route summary`), the time from the first Database Description, the daemon's
//! peak resident memory less its resident memory before the adjacency (FRR: ospfd and
//! zebra), and one SPF of ours over the same database (in process: the router-LSAs'
//! Dijkstra and the externals, medians of 5). Each daemon runs with its defaults (FRR's
//! SPF throttle 0/50/5000 ms, BIRD's 1 s tick, rspe's 200 ms). Medians of 5 runs
//! (`RSPE_BENCH_RUNS`); `RSPE_OSPF_DUTS=rspe` runs only those.
//!
//! Last line: `ospf-converge: <s> s, <MB> MB, SPF <ms> ms (time ratio to BIRD <r>, to FRR
//! <r>; memory ratio to BIRD <r>)`.

use controlplane::ospf::lsdb::Lsdb;
use controlplane::ospf::packet::{
    self, dd_flags, kind, link_type, lsa_type, options, Auth, Body, Dd, Header, Hello, Lsa,
    LsaBody, LsaHeader, LsaKey, Packet, RouterLink, ALL_SPF_ROUTERS, INITIAL_SEQ,
};
use controlplane::ospf::spf;
use controlplane::system::netns::Netns;
use rspe_perf::{median, run_out, sibling_binary, status_kb, Daemon as Proc};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const ROWS: u32 = 25;
const COLS: u32 = 40;
const ASBRS: u32 = 10;
const EXTERNALS_PER_ASBR: u32 = 1_000;
/// The generator's router id (below every daemon's: it is the exchange's slave).
const GEN_ID: u32 = 0x0000_0001;
const GEN_ADDR: u32 = 0x0a00_0002; // 10.0.0.2/30
const DUT_ADDR: u32 = 0x0a00_0001; // 10.0.0.1/30, also the daemon's router id
const ROUTES: usize = (ROWS * COLS + ASBRS * EXTERNALS_PER_ASBR) as usize;

fn grid_id(r: u32, c: u32) -> u32 {
    0x0b00_0000 | (r << 8) | c | 0x0001_0000
}

fn ip(a: u32) -> Ipv4Addr {
    Ipv4Addr::from(a)
}

/// Every LSA of the synthetic area, keyed.
fn area() -> BTreeMap<LsaKey, Lsa> {
    let mut out = BTreeMap::new();
    let mut put = |kind: u8, id: u32, adv: u32, opts: u8, body: LsaBody| {
        let key = LsaKey { kind, id, adv };
        out.insert(key, Lsa::new(1, opts, key, INITIAL_SEQ, body));
    };
    let ptp = |to: u32, from: u32| RouterLink {
        id: to,
        data: from,
        kind: link_type::PTP,
        metric: 10,
    };
    // The generator: to the daemon and to the grid's corner.
    let corner = grid_id(0, 0);
    let gen_links = vec![
        ptp(DUT_ADDR, GEN_ADDR),
        RouterLink {
            id: 0x0a00_0000,
            data: 0xffff_fffc,
            kind: link_type::STUB,
            metric: 10,
        },
        ptp(corner, GEN_ID),
    ];
    put(
        lsa_type::ROUTER,
        GEN_ID,
        GEN_ID,
        options::E,
        LsaBody::Router {
            flags: 0,
            links: gen_links,
        },
    );
    let mut asbr = 0;
    for r in 0..ROWS {
        for c in 0..COLS {
            let me = grid_id(r, c);
            let mut links = Vec::new();
            if r == 0 && c == 0 {
                links.push(ptp(GEN_ID, me));
            }
            for (dr, dc) in [(-1i32, 0i32), (1, 0), (0, -1), (0, 1)] {
                let (nr, nc) = (r as i32 + dr, c as i32 + dc);
                if nr >= 0 && nc >= 0 && (nr as u32) < ROWS && (nc as u32) < COLS {
                    links.push(ptp(grid_id(nr as u32, nc as u32), me));
                }
            }
            let n = r * COLS + c;
            links.push(RouterLink {
                id: 0x1400_0000 | (n << 8),
                data: 0xffff_ff00,
                kind: link_type::STUB,
                metric: 1,
            });
            // Ten ASBRs spread over the grid.
            let is_asbr = n % (ROWS * COLS / ASBRS) == ROWS * COLS / ASBRS / 2;
            let flags = if is_asbr { 2 } else { 0 };
            put(
                lsa_type::ROUTER,
                me,
                me,
                options::E,
                LsaBody::Router { flags, links },
            );
            if is_asbr {
                for e in 0..EXTERNALS_PER_ASBR {
                    let x = asbr * EXTERNALS_PER_ASBR + e;
                    let body = LsaBody::External {
                        mask: 0xffff_ff00,
                        type2: true,
                        metric: 20,
                        forward: 0,
                        tag: 0,
                    };
                    put(
                        lsa_type::EXTERNAL,
                        0x1e00_0000 | (x << 8),
                        me,
                        options::E,
                        body,
                    );
                }
                asbr += 1;
            }
        }
    }
    out
}

/// One SPF of ours over the area as the daemon sees it (its own router-LSA added): the
/// time, and the routes found.
fn spf_once(lsas: &BTreeMap<LsaKey, Lsa>) -> (Duration, usize) {
    let mut db = Lsdb::new();
    let mut ext = Lsdb::new();
    for l in lsas.values() {
        if l.header.key.kind == lsa_type::EXTERNAL {
            ext.install(l.clone(), 0);
        } else {
            db.install(l.clone(), 0);
        }
    }
    let key = LsaKey {
        kind: lsa_type::ROUTER,
        id: DUT_ADDR,
        adv: DUT_ADDR,
    };
    let body = LsaBody::Router {
        flags: 0,
        links: vec![RouterLink {
            id: GEN_ID,
            data: DUT_ADDR,
            kind: link_type::PTP,
            metric: 10,
        }],
    };
    db.install(Lsa::new(0, options::E, key, INITIAL_SEQ, body), 0);
    let start = Instant::now();
    let a = spf::area(&db, DUT_ADDR, 0);
    let mut table = a.routes.clone();
    let asbrs = spf::asbrs_of(&[&a]);
    spf::external(&ext, lsa_type::EXTERNAL, 0, DUT_ADDR, &asbrs, &mut table);
    (start.elapsed(), table.len())
}

// ---------------------------------------------------------------------------------------
// The generator.

struct Gen {
    sock: socket2::Socket,
    lsas: Arc<BTreeMap<LsaKey, Lsa>>,
    headers: Vec<LsaHeader>,
    dut: Option<u32>,
    dd_seq: Option<u32>,
    next_header: usize,
    last_dd: Option<Vec<u8>>,
    sent: BTreeSet<LsaKey>,
    first_dd: Option<Instant>,
    full: Option<Instant>,
}

impl Gen {
    fn open(ns: &str, lsas: Arc<BTreeMap<LsaKey, Lsa>>) -> Gen {
        let make = || {
            socket2::Socket::new(
                socket2::Domain::IPV4,
                socket2::Type::RAW,
                Some(socket2::Protocol::from(i32::from(packet::PROTOCOL))),
            )
        };
        let sock = Netns::open(ns)
            .and_then(|n| n.run(make))
            .expect("namespace")
            .expect("raw socket");
        sock.set_multicast_loop_v4(false).expect("sockopt");
        sock.set_multicast_ttl_v4(1).expect("sockopt");
        sock.set_tos(0xc0).expect("sockopt");
        sock.join_multicast_v4(&ip(ALL_SPF_ROUTERS), &ip(GEN_ADDR))
            .expect("join 224.0.0.5");
        sock.set_multicast_if_v4(&ip(GEN_ADDR)).expect("sockopt");
        sock.set_read_timeout(Some(Duration::from_millis(100)))
            .expect("sockopt");
        let headers = lsas.values().map(|l| l.header).collect();
        Gen {
            sock,
            lsas,
            headers,
            dut: None,
            dd_seq: None,
            next_header: 0,
            last_dd: None,
            sent: BTreeSet::new(),
            first_dd: None,
            full: None,
        }
    }

    fn send(&self, body: Body) {
        let k = body.kind();
        let p = Packet {
            header: Header {
                kind: k,
                router_id: GEN_ID,
                area: 0,
                auth: Auth::None,
            },
            body,
        };
        self.send_bytes(&p.encode(&[]));
    }

    fn send_bytes(&self, bytes: &[u8]) {
        let to = SocketAddr::V4(SocketAddrV4::new(ip(ALL_SPF_ROUTERS), 0));
        let _ = self.sock.send_to(bytes, &to.into());
    }

    fn hello(&self) {
        self.send(Body::Hello(Hello {
            mask: 0,
            hello_interval: 1,
            options: options::E,
            priority: 1,
            dead_interval: 4,
            dr: 0,
            bdr: 0,
            neighbors: self.dut.into_iter().collect(),
        }));
    }

    /// The slave's answer to the master's DD `seq`: our next headers.
    fn answer_dd(&mut self, seq: u32) {
        let take = (self.headers.len() - self.next_header).min(70);
        let headers = self.headers[self.next_header..self.next_header + take].to_vec();
        self.next_header += take;
        let more = self.next_header < self.headers.len();
        let p = Packet {
            header: Header {
                kind: kind::DD,
                router_id: GEN_ID,
                area: 0,
                auth: Auth::None,
            },
            body: Body::Dd(Dd {
                mtu: 1500,
                options: options::E,
                flags: if more { dd_flags::M } else { 0 },
                seq,
                headers,
            }),
        };
        let bytes = p.encode(&[]);
        self.send_bytes(&bytes);
        self.last_dd = Some(bytes);
        self.dd_seq = Some(seq);
    }

    fn dd(&mut self, d: Dd) {
        self.first_dd.get_or_insert_with(Instant::now);
        if std::env::var_os("RSPE_BENCH_TRACE").is_some() {
            eprintln!(
                "{:?} DD seq {} flags {} with {} headers",
                self.first_dd.map(|t| t.elapsed()),
                d.seq,
                d.flags,
                d.headers.len()
            );
        }
        if d.flags & dd_flags::MS == 0 {
            return; // we are the slave: only the master's DDs matter
        }
        match self.dd_seq {
            Some(s) if s == d.seq => {
                if let Some(b) = self.last_dd.clone() {
                    self.send_bytes(&b);
                }
            }
            _ if d.flags & dd_flags::I != 0 => {
                self.next_header = 0;
                self.answer_dd(d.seq);
            }
            Some(s) if d.seq == s.wrapping_add(1) => self.answer_dd(d.seq),
            _ => {}
        }
    }

    fn lsr(&mut self, keys: Vec<LsaKey>) {
        if std::env::var_os("RSPE_BENCH_TRACE").is_some() {
            eprintln!(
                "{:?} LSR of {} keys, {} sent so far",
                self.first_dd.map(|t| t.elapsed()),
                keys.len(),
                self.sent.len()
            );
        }
        let mut batch: Vec<Lsa> = Vec::new();
        let mut size = 0;
        for k in keys {
            let Some(l) = self.lsas.get(&k) else { continue };
            if size + l.bytes.len() > 1_400 {
                self.send(Body::Lsu(std::mem::take(&mut batch)));
                size = 0;
            }
            size += l.bytes.len();
            batch.push(l.clone());
            self.sent.insert(k);
        }
        if !batch.is_empty() {
            self.send(Body::Lsu(batch));
        }
        if self.full.is_none() && self.sent.len() == self.lsas.len() {
            self.full = Some(Instant::now());
        }
    }

    /// Runs until `stop`; returns (first DD, Full).
    fn run(mut self, stop: &AtomicBool, marks: &Mutex<(Option<Instant>, Option<Instant>)>) {
        let mut buf = vec![0u8; 65_536];
        let mut last_hello = Instant::now() - Duration::from_secs(2);
        while !stop.load(Ordering::Relaxed) {
            if last_hello.elapsed() >= Duration::from_secs(1) {
                self.hello();
                last_hello = Instant::now();
            }
            let Ok(n) = (&self.sock).read(&mut buf) else {
                continue;
            };
            let data = &buf[..n];
            if n < 20 {
                continue;
            }
            let ihl = usize::from(data[0] & 15) * 4;
            let Ok(p) = packet::decode(&data[ihl..]) else {
                continue;
            };
            if p.header.router_id == GEN_ID {
                continue;
            }
            match p.body {
                Body::Hello(_) => {
                    if self.dut.is_none() {
                        self.dut = Some(p.header.router_id);
                        self.hello();
                    }
                }
                Body::Dd(d) => self.dd(d),
                Body::Lsr(keys) => self.lsr(keys),
                Body::Lsu(lsas) => {
                    self.send(Body::Ack(lsas.iter().map(|l| l.header).collect()));
                }
                Body::Ack(_) => {}
            }
            *marks.lock().expect("marks") = (self.first_dd, self.full);
        }
    }
}

// ---------------------------------------------------------------------------------------
// The daemons.

/// The two namespaces of a run, with the veth between them; deleted when dropped.
struct Link {
    gen: String,
    dut: String,
}

fn sh(args: &[&str]) {
    let ok = Command::new(args[0])
        .args(&args[1..])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "{}", args.join(" "));
}

impl Link {
    fn new(tag: &str) -> Link {
        let pid = std::process::id();
        let l = Link {
            gen: format!("rspe-oc{pid}-{tag}-g"),
            dut: format!("rspe-oc{pid}-{tag}-d"),
        };
        for ns in [&l.gen, &l.dut] {
            sh(&["ip", "netns", "add", ns]);
            sh(&["ip", "-n", ns, "link", "set", "lo", "up"]);
        }
        sh(&[
            "ip", "link", "add", "g0", "netns", &l.gen, "type", "veth", "peer", "name", "d0",
            "netns", &l.dut,
        ]);
        for (ns, dev) in [(&l.gen, "g0"), (&l.dut, "d0")] {
            let _ = Command::new("ip")
                .args(["netns", "exec", ns, "ethtool", "-K", dev, "tx", "off"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
            sh(&["ip", "-n", ns, "link", "set", dev, "up"]);
        }
        sh(&[
            "ip",
            "-n",
            &l.gen,
            "addr",
            "add",
            "10.0.0.2/30",
            "dev",
            "g0",
        ]);
        l
    }
}

impl Drop for Link {
    fn drop(&mut self) {
        // rspe's namespace for its main VRF too.
        for ns in [&self.gen, &self.dut, &format!("{}-main", self.dut)] {
            // (A daemon just gone may still hold it a moment.)
            for _ in 0..20 {
                let _ = Command::new("ip")
                    .args(["netns", "del", ns])
                    .stderr(Stdio::null())
                    .status();
                if !Path::new("/run/netns").join(ns).exists() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        }
    }
}

/// One daemon under test.
trait Dut {
    fn name(&self) -> &'static str;
    /// Starts it in `link.dut`; returns its processes (the first is the one measured
    /// alone, all are summed for memory).
    fn start(&self, dir: &Path, link: &Link) -> Vec<Proc>;
    /// Routes in its RIB (None: not answering yet).
    fn count(&self, dir: &Path) -> Option<usize>;
}

struct Rspe;
struct Frr;
struct Bird;

impl Dut for Rspe {
    fn name(&self) -> &'static str {
        "rspe"
    }
    fn start(&self, dir: &Path, link: &Link) -> Vec<Proc> {
        let cfg = dir.join("rspe.rsc");
        std::fs::write(
            &cfg,
            "/ip address add address=10.0.0.1/30 interface=ether1\n\
             /routing ospf instance add name=core router-id=10.0.0.1\n\
             /routing ospf area add name=backbone instance=core area-id=0.0.0.0\n\
             /routing ospf interface-template add interfaces=ether1 area=backbone type=ptp \
             hello-interval=1s dead-interval=4s\n",
        )
        .expect("config");
        // RSPE_BENCH_WRAP=heaptrack (say) runs rspe under a profiler.
        let mut cmd = match std::env::var("RSPE_BENCH_WRAP") {
            Ok(w) => {
                let mut c = Command::new(w);
                c.arg(sibling_binary("rspe"));
                c
            }
            Err(_) => Command::new(sibling_binary("rspe")),
        };
        let child = cmd
            .args(["--netns", &link.dut, "--netns-prefix"])
            .arg(format!("{}-", link.dut))
            .arg("--socket")
            .arg(dir.join("s"))
            .arg("--config")
            .arg(&cfg)
            .args([
                "--",
                "--no-huge",
                "-m",
                "256",
                "--no-shconf",
                "--no-pci",
                "-l",
                "0",
                "--log-level",
                "lib.eal:warning",
                "--vdev",
                "net_af_packet0,iface=d0",
            ])
            .arg(format!(
                "--file-prefix=rspe-bench-ospf-{}",
                std::process::id()
            ))
            .stdout(Stdio::null())
            .stderr(if std::env::var_os("RSPE_BENCH_LOG").is_some() {
                Stdio::inherit()
            } else {
                Stdio::null()
            })
            .spawn()
            .expect("spawn rspe (scripts/bench builds it)");
        vec![Proc(child)]
    }
    fn count(&self, dir: &Path) -> Option<usize> {
        let out = run_out(
            Command::new(sibling_binary("rspectl"))
                .arg("--socket")
                .arg(dir.join("s"))
                .arg("/ip route print count-only"),
        )?;
        out.trim().parse().ok()
    }
}

impl Dut for Frr {
    fn name(&self) -> &'static str {
        "FRR"
    }
    fn start(&self, dir: &Path, link: &Link) -> Vec<Proc> {
        let _ = Command::new("chown")
            .args(["-R", "frr:frr"])
            .arg(dir)
            .status();
        sh(&[
            "ip",
            "-n",
            &link.dut,
            "addr",
            "add",
            "10.0.0.1/30",
            "dev",
            "d0",
        ]);
        let conf = dir.join("frr.conf");
        std::fs::write(
            &conf,
            "frr defaults traditional\n\
             interface d0\n ip ospf network point-to-point\n ip ospf hello-interval 1\n\
             ip ospf dead-interval 4\nexit\n\
             router ospf\n ospf router-id 10.0.0.1\n network 10.0.0.0/30 area 0\nexit\n",
        )
        .expect("config");
        let daemon = |d: &str, extra: &[&str]| {
            let child = Command::new("ip")
                .args(["netns", "exec", &link.dut])
                .arg(format!("/usr/lib/frr/{d}"))
                .arg("--vty_socket")
                .arg(dir)
                .arg("-z")
                .arg(dir.join("zserv.api"))
                .arg("-i")
                .arg(dir.join(format!("{d}.pid")))
                .args(["-A", "127.0.0.1", "-P", "0", "--log"])
                .arg(format!("file:{}", dir.join(format!("{d}.log")).display()))
                .args(extra)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("spawn FRR (apt install frr)");
            Proc(child)
        };
        let zebra = daemon("zebra", &[]);
        wait_path(&dir.join("zserv.api"));
        let ospfd = daemon("ospfd", &["-f", conf.to_str().unwrap_or_default()]);
        vec![ospfd, zebra]
    }
    fn count(&self, dir: &Path) -> Option<usize> {
        let out = run_out(
            Command::new("vtysh")
                .arg("--vty_socket")
                .arg(dir)
                .args(["-c", "show ip route summary"]),
        )?;
        // "ospf    11000    11000   0   ..." (Route Source, Routes, FIB, ...)
        Some(
            out.lines()
                .find(|l| l.trim_start().starts_with("ospf"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
                .unwrap_or(0),
        )
    }
}

impl Dut for Bird {
    fn name(&self) -> &'static str {
        "BIRD"
    }
    fn start(&self, dir: &Path, link: &Link) -> Vec<Proc> {
        sh(&[
            "ip",
            "-n",
            &link.dut,
            "addr",
            "add",
            "10.0.0.1/30",
            "dev",
            "d0",
        ]);
        let conf = dir.join("bird.conf");
        std::fs::write(
            &conf,
            "router id 10.0.0.1;\nprotocol device { scan time 1; }\n\
             protocol ospf v2 core {\n ipv4 { import all; export none; };\n\
             area 0 { interface \"d0\" { type ptp; hello 1; dead 4; }; };\n}\n",
        )
        .expect("config");
        let child = Command::new("ip")
            .args(["netns", "exec", &link.dut, "bird", "-f", "-c"])
            .arg(&conf)
            .arg("-s")
            .arg(dir.join("bird.ctl"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn bird (apt install bird2)");
        vec![Proc(child)]
    }
    fn count(&self, dir: &Path) -> Option<usize> {
        let out = run_out(
            Command::new("birdc")
                .arg("-s")
                .arg(dir.join("bird.ctl"))
                .args(["show", "route", "count"]),
        )?;
        // "11001 of 11001 routes for 11001 networks in table master4"
        out.lines()
            .find(|l| l.contains(" routes for "))
            .and_then(|l| l.split_whitespace().next())
            .and_then(|v| v.parse().ok())
    }
}

fn wait_path(p: &Path) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !p.exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The process ids behind `procs` (FRR's daemons run under `ip netns exec`, which execs).
fn pids(procs: &[Proc]) -> Vec<u32> {
    procs.iter().map(|p| p.0.id()).collect()
}

/// One run's figures.
struct Figures {
    from_full: f64,
    from_dd: f64,
    mb: f64,
    peak: f64,
}

fn run(dut: &dyn Dut, lsas: &Arc<BTreeMap<LsaKey, Lsa>>, base: &Path, i: usize) -> Figures {
    let dir: PathBuf = base.join(format!("{}-{i}", dut.name()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let link = Link::new(&format!("{}{i}", &dut.name()[..1].to_lowercase()));
    let procs = dut.start(&dir, &link);
    let deadline = Instant::now() + Duration::from_secs(60);
    let before = loop {
        if let Some(c) = dut.count(&dir) {
            break c;
        }
        assert!(Instant::now() < deadline, "{} did not start", dut.name());
        std::thread::sleep(Duration::from_millis(50));
    };
    // A router that has been up a while: past MinLSInterval (5 s) since it first
    // originated its router-LSA, which the adjacency makes it originate again.
    std::thread::sleep(Duration::from_secs(6));
    let ids = pids(&procs);
    let idle: u64 = ids.iter().map(|p| status_kb(*p, "VmRSS:")).sum();
    let stop = Arc::new(AtomicBool::new(false));
    let marks = Arc::new(Mutex::new((None, None)));
    let gen = Gen::open(&link.gen, lsas.clone());
    let g = {
        let (stop, marks) = (stop.clone(), marks.clone());
        std::thread::spawn(move || gen.run(&stop, &marks))
    };
    let deadline = Instant::now() + Duration::from_secs(300);
    let done = loop {
        if dut.count(&dir).is_some_and(|c| c >= before + ROUTES) {
            break Instant::now();
        }
        assert!(
            Instant::now() < deadline,
            "{}: not every route after 300 s (have {:?} of {} more than {before})",
            dut.name(),
            dut.count(&dir),
            ROUTES
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    let peak: u64 = ids.iter().map(|p| status_kb(*p, "VmHWM:")).sum();
    stop.store(true, Ordering::Relaxed);
    let _ = g.join();
    let (first_dd, full) = *marks.lock().expect("marks");
    let secs = |t: Option<Instant>| {
        t.map_or(f64::NAN, |t| {
            done.saturating_duration_since(t).as_secs_f64()
        })
    };
    drop(procs);
    drop(link);
    let _ = std::fs::remove_dir_all(&dir);
    let mb = |kb: u64| kb as f64 / 1024.0;
    Figures {
        from_full: secs(full),
        from_dd: secs(first_dd),
        mb: mb(peak.saturating_sub(idle)),
        peak: mb(peak),
    }
}

fn main() {
    let lsas = Arc::new(area());
    let rss0 = status_kb(std::process::id(), "VmRSS:");
    let (_, found) = spf_once(&lsas);
    let rss1 = status_kb(std::process::id(), "VmHWM:");
    if std::env::var_os("RSPE_BENCH_TRACE").is_some() {
        eprintln!(
            "in process: a database and one SPF's table: {} KB at peak",
            rss1.saturating_sub(rss0)
        );
    }
    // (And the link's own 10.0.0.0/30, by the generator's stub link.)
    assert_eq!(found, ROUTES + 1, "our SPF finds every route of the area");
    let spf_ms = median(
        &(0..5)
            .map(|_| spf_once(&lsas).0.as_secs_f64() * 1e3)
            .collect::<Vec<_>>(),
    );
    println!(
        "ospf-converge: {} LSAs ({} routers in a {ROWS}x{COLS} grid, {} AS-external), {ROUTES} routes; our SPF {spf_ms:.1} ms",
        lsas.len(),
        ROWS * COLS,
        ASBRS * EXTERNALS_PER_ASBR
    );
    let runs: usize = std::env::var("RSPE_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let base = std::env::temp_dir().join(format!("rspe-ospf-converge-{}", std::process::id()));
    let duts: [&dyn Dut; 3] = [&Rspe, &Bird, &Frr];
    let only = std::env::var("RSPE_OSPF_DUTS").unwrap_or_default();
    let mut res: Vec<(Vec<f64>, Vec<f64>)> = vec![(vec![], vec![]); 3];
    for i in 0..runs {
        for (d, dut) in duts.iter().enumerate() {
            if !only.is_empty() && !only.split(',').any(|o| o.eq_ignore_ascii_case(dut.name())) {
                continue;
            }
            let f = run(*dut, &lsas, &base, i);
            println!(
                "  run {}: {:<4} {:6.2} s from Full ({:6.2} s from the first DD), {:6.1} MB for the area (peak {:.1} MB)",
                i + 1,
                dut.name(),
                f.from_full,
                f.from_dd,
                f.mb,
                f.peak
            );
            res[d].0.push(f.from_full);
            res[d].1.push(f.mb);
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
        "ospf-converge: {:.2} s, {:.1} MB, SPF {spf_ms:.1} ms (time ratio to BIRD {:.2}, to FRR {:.2}; memory ratio to BIRD {:.2})",
        us.0,
        us.1,
        us.0 / bird.0,
        us.0 / frr.0,
        us.1 / bird.1
    );
}
