//! `/ping ADDRESS [vrf=] [count=] [size=] [interval=] [src-address=] [ttl=]`, run by the
//! router itself: echo requests are built here, routed by the same snapshot the workers use
//! (the VRF's table, its adjacency and port) and sent out of that port by worker 0; the
//! replies come to the router's address, are punted to the kernel twin, and are read from a
//! raw ICMP socket opened in the VRF's namespace. So the ping takes the path forwarded
//! traffic takes, VRF leaks included. Output as RouterOS prints it.

use crate::system::netns::Netns;
use crate::system::rib_service::RibHandle;
use dataplane::exception::Exception;
use dataplane::wire::{checksum, icmp, ipv4};
use shared::adj::Resolved;
use shared::snapshot::Snapshot;
use shared::types::TableId;
use socket2::{Domain, Protocol, Socket, Type};
use std::collections::HashMap;
use std::io::Read;
use std::net::Ipv4Addr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What to ping and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PingArgs {
    /// Destination.
    pub address: Ipv4Addr,
    /// The VRF (`main` when unset).
    pub vrf: Option<String>,
    /// Echo requests to send (RouterOS pings until Ctrl-C; a request over the control
    /// socket needs an end: 4 by default).
    pub count: u32,
    /// ICMP data bytes (RouterOS: 56 by default… shown as SIZE 56).
    pub size: u16,
    /// Between requests (RouterOS: 1 s).
    pub interval: Duration,
    /// Source address (default: the egress port's).
    pub src: Option<Ipv4Addr>,
    /// TTL of the requests.
    pub ttl: u8,
}

/// Parses the words after `/ping`: the address first (or `address=`), then `name=value`.
pub fn parse(words: &[&str]) -> Result<PingArgs, String> {
    let mut a = PingArgs {
        address: Ipv4Addr::UNSPECIFIED,
        vrf: None,
        count: 4,
        size: 56,
        interval: Duration::from_secs(1),
        src: None,
        ttl: 64,
    };
    let mut have_addr = false;
    let ip = |v: &str| {
        v.parse::<Ipv4Addr>()
            .map_err(|_| format!("invalid IPv4 address {v:?}"))
    };
    for w in words {
        let (k, v) = match w.split_once('=') {
            Some((k, v)) => (k, v.trim_matches('"')),
            None if !have_addr => ("address", *w),
            None => return Err(format!("unexpected {w:?} (use name=value)")),
        };
        match k {
            "address" => {
                a.address = ip(v)?;
                have_addr = true;
            }
            "vrf" => a.vrf = Some(v.to_owned()).filter(|v| v != "main"),
            "count" => a.count = number(k, v, 1, 10_000)? as u32,
            "size" => a.size = number(k, v, 14, 1472)? as u16,
            "ttl" => a.ttl = number(k, v, 1, 255)? as u8,
            "src-address" => a.src = Some(ip(v)?),
            "interval" => {
                let d =
                    parse_interval(v).ok_or_else(|| format!("interval={v}: expected 10ms..5s"))?;
                a.interval = d;
            }
            other => return Err(format!("unknown ping parameter {other:?}")),
        }
    }
    if !have_addr {
        return Err("ping needs an address".into());
    }
    Ok(a)
}

/// `name=v` as a number in `lo..=hi`.
fn number(name: &str, v: &str, lo: u64, hi: u64) -> Result<u64, String> {
    v.parse::<u64>()
        .ok()
        .filter(|n| (lo..=hi).contains(n))
        .ok_or_else(|| format!("{name}={v}: expected {lo}..{hi}"))
}

fn parse_interval(v: &str) -> Option<Duration> {
    let d = if let Some(ms) = v.strip_suffix("ms") {
        Duration::from_millis(ms.parse().ok()?)
    } else if let Some(s) = v.strip_suffix('s') {
        Duration::from_secs_f64(s.parse().ok()?)
    } else {
        Duration::from_secs_f64(v.parse().ok()?)
    };
    (Duration::from_millis(10)..=Duration::from_secs(5))
        .contains(&d)
        .then_some(d)
}

/// RouterOS's time format for round trips: `275us`, `1ms116us`, `12ms`.
fn rtt(d: Duration) -> String {
    let us = d.as_micros();
    match (us / 1000, us % 1000) {
        (0, u) => format!("{u}us"),
        (m, 0) => format!("{m}ms"),
        (m, u) => format!("{m}ms{u}us"),
    }
}

/// Everything a ping needs of the router, read once (the snapshot again per request).
struct Route {
    vrf: u16,
    snap: Arc<Snapshot>,
    table: TableId,
    ns: Netns,
    exception: Arc<Exception>,
}

fn route_for(f: &RibHandle, vrf: &Option<String>) -> Result<Route, String> {
    let plan = f.plan();
    let vrf_id = match vrf {
        None => 0,
        Some(v) => plan
            .vrfs
            .iter()
            .position(|x| x == v)
            .ok_or_else(|| format!("no such VRF {v:?}"))?,
    };
    let ns = match f.netns_of(vrf_id) {
        Some(n) => n,
        None => {
            return Err(
                "ping needs the kernel twins to hear replies (rspe runs with --no-twins)".into(),
            )
        }
    }
    .map_err(|e| format!("the VRF's namespace: {e}"))?;
    Ok(Route {
        vrf: vrf_id as u16,
        snap: f.current(),
        table: plan.vrf_table[vrf_id],
        ns,
        exception: f.exception(),
    })
}

/// Why a request could not leave.
enum Why {
    /// The next hop's MAC is not known: ask for it.
    Glean { port: u16, src: u32, target: u32 },
    /// Anything else, as the status column says it.
    Other(&'static str),
}

/// One echo request as an Ethernet frame and its port, or why it cannot leave.
fn request(r: &Route, a: &PingArgs, ident: u16, seq: u16) -> Result<(u16, u16, Vec<u8>), Why> {
    let dst = u32::from(a.address);
    let nh = r
        .snap
        .lookup_through(r.table, dst)
        .ok_or(Why::Other("no route to host"))?;
    let adj = match r.snap.next_hops.resolve(nh, 0) {
        Resolved::Forward(adj) => *adj,
        Resolved::Glean { port, src, target } => {
            return Err(Why::Glean {
                port: port.0,
                src,
                target,
            })
        }
        Resolved::Local => return Err(Why::Other("local address")),
        Resolved::Blackhole => return Err(Why::Other("blackhole")),
        Resolved::Unreachable | Resolved::Prohibit | Resolved::Lookup(_) => {
            return Err(Why::Other("no route to host"))
        }
    };
    let src = a
        .src
        .map(u32::from)
        .or_else(|| r.snap.port(adj.port)?.ipv4)
        .ok_or(Why::Other("no source address"))?;
    // Replies come to the source address: to the VRF of the port that owns it.
    let owner = r
        .snap
        .ports
        .iter()
        .position(|p| p.ipv4 == Some(src))
        .map_or(adj.port, |i| shared::types::PortId(i as u16));
    let reply_vrf = r.snap.ingress_vrf(owner).0;
    let icmp_len = icmp::HEADER_LEN + usize::from(a.size);
    let total = 20 + icmp_len;
    let mut f = vec![0u8; 14 + total];
    f[0..6].copy_from_slice(&adj.dst_mac);
    f[6..12].copy_from_slice(&adj.src_mac);
    f[12..14].copy_from_slice(&[0x08, 0x00]);
    {
        let ip = &mut f[14..34];
        ip[0] = 0x45;
        ip[2..4].copy_from_slice(&(total as u16).to_be_bytes());
        ip[4..6].copy_from_slice(&seq.to_be_bytes());
        ip[8] = a.ttl;
        ip[9] = ipv4::protocol::ICMP;
        ip[12..16].copy_from_slice(&src.to_be_bytes());
        ip[16..20].copy_from_slice(&dst.to_be_bytes());
        let c = checksum::finish(checksum::sum(ip, 0));
        ip[10..12].copy_from_slice(&c.to_be_bytes());
    }
    {
        let m = &mut f[34..];
        m[0] = icmp::ECHO_REQUEST;
        m[4..6].copy_from_slice(&ident.to_be_bytes());
        m[6..8].copy_from_slice(&seq.to_be_bytes());
        for (i, b) in m[8..].iter_mut().enumerate() {
            *b = i as u8;
        }
        let c = checksum::finish(checksum::sum(m, 0));
        m[2..4].copy_from_slice(&c.to_be_bytes());
    }
    Ok((adj.port.0, reply_vrf, f))
}

/// What came back for one request.
enum Answer {
    Reply {
        from: Ipv4Addr,
        size: usize,
        ttl: u8,
        rtt: Duration,
    },
    Error {
        from: Ipv4Addr,
        what: &'static str,
    },
}

/// Reads the socket until an answer for (`ident`, `seq`) or `deadline`.
fn wait(
    sock: &mut Socket,
    ident: u16,
    seq: u16,
    sent: Instant,
    deadline: Instant,
    cancel: &AtomicBool,
) -> Option<Answer> {
    let mut buf = [0u8; 2048];
    loop {
        let left = deadline.checked_duration_since(Instant::now())?;
        let step = left.min(Duration::from_millis(50));
        if left.is_zero() || sock.set_read_timeout(Some(step)).is_err() {
            return None;
        }
        let n = match sock.read(&mut buf) {
            Ok(n) => n,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                if cancel.load(Ordering::Relaxed) {
                    return None;
                }
                continue;
            }
            Err(_) => return None,
        };
        let Ok(ip) = ipv4::Packet::new_checked(&buf[..n]) else {
            continue;
        };
        let Ok(m) = icmp::Packet::new_checked(ip.payload()) else {
            continue;
        };
        let from = Ipv4Addr::from(ip.src());
        match m.msg_type() {
            icmp::ECHO_REPLY if m.echo_ident() == ident && m.echo_seq() == seq => {
                return Some(Answer::Reply {
                    from,
                    size: ip.payload().len().saturating_sub(icmp::HEADER_LEN),
                    ttl: ip.ttl(),
                    rtt: sent.elapsed(),
                })
            }
            icmp::TIME_EXCEEDED | icmp::DEST_UNREACHABLE => {
                // The quoted header and the first 8 bytes of our request.
                let q = m.data();
                if q.len() >= 28 && q[9] == ipv4::protocol::ICMP {
                    let hl = usize::from(q[0] & 0x0f) * 4;
                    let Some(e) = q.get(hl..hl + 8) else { continue };
                    if e[0] == icmp::ECHO_REQUEST
                        && u16::from_be_bytes([e[4], e[5]]) == ident
                        && u16::from_be_bytes([e[6], e[7]]) == seq
                    {
                        let what = match (m.msg_type(), m.code()) {
                            (icmp::TIME_EXCEEDED, _) => "TTL exceeded",
                            (_, icmp::code::NET_UNREACHABLE) => "net unreachable",
                            (_, icmp::code::HOST_UNREACHABLE) => "host unreachable",
                            (_, icmp::code::FRAG_NEEDED) => "fragmentation needed",
                            (_, icmp::code::ADMIN_PROHIBITED) => "admin prohibited",
                            _ => "unreachable",
                        };
                        return Some(Answer::Error { from, what });
                    }
                }
            }
            _ => {}
        }
    }
}

/// Runs the ping and returns its output.
pub fn run(fwd: &RibHandle, a: &PingArgs, cancel: &AtomicBool) -> Result<String, String> {
    let mut route = route_for(fwd, &a.vrf)?;
    // A raw socket per namespace replies may come to (the VRF's own, or another's for a
    // request leaving through a leak with that VRF's address).
    let mut socks: HashMap<u16, Socket> = HashMap::new();
    let open = |ns: &Netns| -> Result<Socket, String> {
        ns.run(|| Socket::new(Domain::IPV4, Type::RAW, Some(Protocol::ICMPV4)))
            .map_err(|e| e.to_string())?
            .map_err(|e| format!("raw ICMP socket: {e}"))
    };
    socks.insert(route.vrf, open(&route.ns)?);
    let ident = (std::process::id() as u16)
        ^ (std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos()) as u16);
    let mut out =
        String::from("  SEQ HOST                                     SIZE TTL TIME       STATUS\n");
    let (mut sent, mut received) = (0u32, 0u32);
    let mut rtts = Vec::new();
    let blank = |seq: u32, host: Ipv4Addr, status: &str| {
        format!(
            "{seq:>5} {host:<40} {:>4} {:>3} {:<10} {status}",
            "", "", ""
        )
    };
    for seq in 0..a.count {
        if cancel.load(Ordering::Relaxed) {
            out.push_str("    (interrupted)\n");
            break;
        }
        let start = Instant::now();
        let seq16 = seq as u16;
        if seq > 0 {
            // The route may have changed: the newest snapshot for each request.
            route.snap = fwd.current();
        }
        sent += 1;
        let line = match request(&route, a, ident, seq16) {
            Err(Why::Glean { port, src, target }) => {
                let target = if target == 0 {
                    u32::from(a.address)
                } else {
                    target
                };
                fwd.want(port, target, src);
                blank(seq, a.address, "timeout")
            }
            Err(Why::Other(why)) => blank(seq, a.address, why),
            Ok((port, reply_vrf, frame)) => {
                if let std::collections::hash_map::Entry::Vacant(e) = socks.entry(reply_vrf) {
                    let ns = fwd.netns_of(usize::from(reply_vrf));
                    if let Some(Ok(ns)) = ns {
                        e.insert(open(&ns)?);
                    }
                }
                let t = Instant::now();
                let _ = route.exception.send(port, frame);
                let deadline = t + a.interval.max(Duration::from_secs(1));
                match socks
                    .get_mut(&reply_vrf)
                    .map(|sock| wait(sock, ident, seq16, t, deadline, cancel))
                {
                    None => blank(seq, a.address, "no socket for replies"),
                    Some(answer) => match answer {
                        Some(Answer::Reply {
                            from,
                            size,
                            ttl,
                            rtt: d,
                        }) => {
                            received += 1;
                            rtts.push(d);
                            format!("{seq:>5} {from:<40} {size:>4} {ttl:>3} {}", rtt(d))
                        }
                        Some(Answer::Error { from, what }) => blank(seq, from, what),
                        None => blank(seq, a.address, "timeout"),
                    },
                }
            }
        };
        out.push_str(line.trim_end());
        out.push('\n');
        if seq + 1 < a.count {
            // Slept in short steps, so an interrupt is heard at once.
            while let Some(rest) = a.interval.checked_sub(start.elapsed()) {
                if cancel.load(Ordering::Relaxed) || rest.is_zero() {
                    break;
                }
                std::thread::sleep(rest.min(Duration::from_millis(20)));
            }
        }
    }
    let loss = (sent - received) * 100 / sent.max(1);
    let mut summary = format!("    sent={sent} received={received} packet-loss={loss}%");
    if !rtts.is_empty() {
        let min = rtts.iter().min().copied().unwrap_or_default();
        let max = rtts.iter().max().copied().unwrap_or_default();
        let avg = rtts.iter().sum::<Duration>() / rtts.len() as u32;
        summary.push_str(&format!(
            " min-rtt={} avg-rtt={} max-rtt={}",
            rtt(min),
            rtt(avg),
            rtt(max)
        ));
    }
    out.push_str(&summary);
    out.push('\n');
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_and_times() {
        let a = parse(&[
            "10.1.1.1",
            "vrf=cust-one",
            "count=3",
            "size=100",
            "interval=200ms",
        ])
        .unwrap();
        assert_eq!(a.address, Ipv4Addr::new(10, 1, 1, 1));
        assert_eq!(a.vrf.as_deref(), Some("cust-one"));
        assert_eq!((a.count, a.size), (3, 100));
        assert_eq!(a.interval, Duration::from_millis(200));
        assert_eq!(parse(&["address=1.2.3.4", "vrf=main"]).unwrap().vrf, None);
        assert!(parse(&[]).unwrap_err().contains("needs an address"));
        assert!(parse(&["1.2.3.4", "count=0"]).is_err());
        assert!(parse(&["1.2.3.4", "interval=9s"]).is_err());
        assert!(parse(&["1.2.3.4", "colour=red"])
            .unwrap_err()
            .contains("unknown"));
        assert!(parse(&["nope"]).is_err());
        assert_eq!(rtt(Duration::from_micros(275)), "275us");
        assert_eq!(rtt(Duration::from_micros(1116)), "1ms116us");
        assert_eq!(rtt(Duration::from_millis(12)), "12ms");
    }
}
