//! The firewall path of the pipeline: connection tracking, mangle, NAT and filter in
//! RouterOS's order, what conntrack reads of a packet, and the NAT rewrite with incremental
//! checksum updates.

use super::*;

impl Pipeline {
    /// The firewall path, in RouterOS's order: conntrack → mangle prerouting → dstnat (new
    /// connections) → routing decision (routing mark, then the VRF, then `main` for `main`'s
    /// ports) → mangle forward/postrouting or input → filter forward or input → srcnat (new
    /// connections) → the connection recorded, addresses and ports rewritten → forwarding.
    pub(super) fn firewalled<B: PacketBuf>(
        &mut self,
        snap: &Snapshot,
        in_port: PortId,
        pkt: &mut B,
        p: Parsed,
        now: u64,
    ) -> Verdict {
        let (Some(ct), Some(fwl)) = (self.conntrack.clone(), snap.firewall.as_deref()) else {
            return Verdict::Drop(DropReason::UnknownPort);
        };
        let Some(f) = flow_of(pkt.bytes(), p.eh) else {
            return Verdict::Drop(DropReason::BadIpHeader);
        };
        let vrf = snap.ingress_vrf(in_port).0;
        let datagram = datagram_of(pkt.bytes(), p.eh, &f, vrf);
        // A later fragment takes what its first fragment became.
        let prior = match datagram.filter(|_| f.later) {
            Some(k) => match self.datagrams.find(&k, now) {
                Some(t) => Some(t),
                None if fwl.nat.chains.iter().any(|c| !c.rules.is_empty()) => {
                    return Verdict::Drop(DropReason::FragmentNoFirst);
                }
                None => None,
            },
            None => None,
        };
        let key = FlowKey {
            vrf,
            proto: f.proto,
            src: f.src,
            dst: f.dst,
            sport: f.sport,
            dport: f.dport,
        };
        let seen = if f.trackable {
            ct.lookup(&key, p.ip_len as u64, f.flags, now)
        } else {
            None
        };
        let st = match (&seen, f.trackable) {
            _ if prior.is_some() => fw::state::ESTABLISHED,
            (_, false) => fw::state::UNTRACKED,
            (Some(s), _) if s.dir == Dir::Reply || s.conn.seen_reply => fw::state::ESTABLISHED,
            (Some(_), _) => fw::state::NEW,
            (None, _) if f.related => fw::state::RELATED,
            (None, _)
                if f.proto == protocol::TCP && first_tcp(f.flags, fwl.loose_tcp).is_none() =>
            {
                fw::state::INVALID
            }
            (None, _) => fw::state::NEW,
        };
        let is_new = seen.is_none() && st == fw::state::NEW;
        // An ICMP error about a translated packet of a connection: it takes the
        // connection's mark, and goes back to the host the connection hides.
        let related = match (&seen, f.related) {
            (None, true) => related_conn(&ct, pkt.bytes(), &f, vrf),
            _ => None,
        };
        // The tuple the packet leaves with: an established connection's translation.
        let (mut nsrc, mut nsport, mut ndst, mut ndport) = (f.src, f.sport, f.dst, f.dport);
        if let Some(s) = &seen {
            let out = match s.dir {
                Dir::Original => s.conn.reply.reversed(0),
                Dir::Reply => s.conn.orig.reversed(0),
            };
            (nsrc, nsport, ndst, ndport) = (out.src, out.sport, out.dst, out.dport);
        }
        if let Some((c, Dir::Reply)) = &related {
            ndst = c.orig.src;
        }
        if let Some(t) = prior {
            (nsrc, ndst) = (t.src, t.dst);
        }
        let mut marks = Marks {
            conn: seen
                .as_ref()
                .map(|s| s.conn.mark)
                .or(related.as_ref().map(|(c, _)| c.mark))
                .or(prior.map(|t| t.mark))
                .unwrap_or(0),
            ..Marks::default()
        };
        let vrf_table = snap.ingress_table(in_port);
        // Only rules with `dst-address-type` need to know before routing: a lookup saved.
        let is_local = |t: TableId, a: u32| {
            fwl.needs_dst_local
                && snap
                    .fib(t)
                    .and_then(|f| f.lookup(a))
                    .is_some_and(|nh| matches!(snap.next_hops.resolve(nh, 0), Resolved::Local))
        };
        let nat_state = seen.as_ref().map_or(0, |s| {
            u8::from(s.conn.srcnat()) | (u8::from(s.conn.dstnat()) << 1)
        });
        let mut info = fw::Packet {
            src: f.src,
            dst: ndst,
            protocol: f.proto,
            sport: f.sport,
            dport: ndport,
            in_port: Some(in_port.0),
            out_port: None,
            state: st,
            nat_state,
            dst_local: is_local(vrf_table, ndst),
        };
        if let Outcome::Drop | Outcome::Reject(_) =
            fwl.run(&fwl.mangle, "prerouting", &info, &mut marks)
        {
            return Verdict::Drop(DropReason::Filtered);
        }
        if is_new {
            match fwl.run(&fwl.nat, "dstnat", &info, &mut marks) {
                Outcome::Nat(fw::Action::DstNat { addrs, ports }) => {
                    ndst = addrs.0;
                    ndport = ports.map_or(ndport, |p| p.0);
                }
                Outcome::Nat(fw::Action::Redirect { ports }) => {
                    if let Some(me) = snap.port(in_port).and_then(|p| p.ipv4) {
                        ndst = me;
                    }
                    ndport = ports.map_or(ndport, |p| p.0);
                }
                Outcome::Drop | Outcome::Reject(_) => return Verdict::Drop(DropReason::Filtered),
                _ => {}
            }
            info.dst = ndst;
            info.dport = ndport;
            info.dst_local = is_local(vrf_table, ndst);
        }
        // The routing decision: the routing mark's table if it has a route, else the VRF's.
        let lookup = |t: TableId| snap.fib(t).and_then(|f| f.lookup(ndst));
        let nh = marks
            .routing
            .and_then(lookup)
            .or_else(|| lookup(vrf_table))
            .map_or(NO_ROUTE, |n| n.0);
        let resolved = if nh == NO_ROUTE {
            Resolved::Unreachable
        } else {
            snap.next_hops.resolve(NextHopId(nh), 0)
        };
        let (local, out_port) = match resolved {
            Resolved::Local => (true, None),
            Resolved::Forward(a) => (false, Some(a.port.0)),
            Resolved::Glean { port, .. } => (false, Some(port.0)),
            _ => (false, None),
        };
        info.out_port = out_port;
        if !local && out_port.is_some() && p.ttl <= 1 && related.is_none() {
            // Expired before any translation (as Linux checks before its forward hook): the
            // error quotes the packet as its sender sent it, and goes back to that sender.
            return self.icmp(snap, in_port, pkt, p.eh, now, IcmpError::time_exceeded());
        }
        if !local && seen.is_none() && !self.belongs(&ct, pkt.bytes(), &f, st, vrf) {
            return Verdict::Drop(DropReason::NoConnection);
        }
        let (mangle_chain, filter_chain) = if local {
            ("input", "input")
        } else {
            ("forward", "forward")
        };
        if let Outcome::Drop | Outcome::Reject(_) =
            fwl.run(&fwl.mangle, mangle_chain, &info, &mut marks)
        {
            return Verdict::Drop(DropReason::Filtered);
        }
        match fwl.run(&fwl.filter, filter_chain, &info, &mut marks) {
            Outcome::Drop => return Verdict::Drop(DropReason::Filtered),
            Outcome::Reject(None) if p.protocol == protocol::TCP => {
                return self.tcp_reset(snap, in_port, pkt, p.eh, now);
            }
            Outcome::Reject(code) => {
                return self.icmp(
                    snap,
                    in_port,
                    pkt,
                    p.eh,
                    now,
                    IcmpError::unreachable(
                        code.unwrap_or(icmp::code::PORT_UNREACHABLE),
                        DropReason::Filtered,
                    ),
                )
            }
            _ => {}
        }
        if !local {
            if let Outcome::Drop | Outcome::Reject(_) =
                fwl.run(&fwl.mangle, "postrouting", &info, &mut marks)
            {
                return Verdict::Drop(DropReason::Filtered);
            }
        }
        // The router's own traffic is its kernel twin's to track (a port scan of the
        // router fills no table here); unless dst-nat sent it there.
        let to_us_untranslated = local && ndst == f.dst;
        if is_new && f.trackable && !to_us_untranslated {
            let mut nat_ports = None;
            if let Some(out) = out_port {
                match fwl.run(&fwl.nat, "srcnat", &info, &mut marks) {
                    Outcome::Nat(fw::Action::Masquerade { ports }) => {
                        if let Some(a) = snap.port(PortId(out)).and_then(|p| p.ipv4) {
                            nsrc = a;
                            nat_ports = Some(ports.unwrap_or((1024, 65535)));
                        }
                    }
                    Outcome::Nat(fw::Action::SrcNat { addrs, ports }) => {
                        nsrc = addrs.0;
                        nat_ports = ports;
                    }
                    Outcome::Drop | Outcome::Reject(_) => {
                        return Verdict::Drop(DropReason::Filtered)
                    }
                    _ => {}
                }
            }
            // The reply comes back in the VRF of the port the packet leaves by.
            let out_vrf = out_port.map_or(vrf, |o| snap.ingress_vrf(PortId(o)).0);
            let mut conn = Conn {
                orig: key,
                reply: FlowKey {
                    vrf: out_vrf,
                    proto: f.proto,
                    src: ndst,
                    dst: nsrc,
                    sport: ndport,
                    dport: nsport,
                },
                seen_reply: false,
                tcp: (f.proto == protocol::TCP)
                    .then(|| first_tcp(f.flags, fwl.loose_tcp))
                    .flatten(),
                mark: marks.conn,
                expires: 0,
                packets: [1, 0],
                bytes: [p.ip_len as u64, 0],
            };
            let icmp_echo = f.proto == protocol::ICMP;
            let mut added = false;
            // Source ports for NAT: from a spot chosen by the flow, then onwards.
            // First the packet's own source port when the range allows it, then ports
            // spread by the flow's hash (a prime stride, so probes do not cluster).
            let (lo, hi) = nat_ports.unwrap_or((nsport, nsport));
            let span = u32::from(hi.saturating_sub(lo)) + 1;
            let keep = (lo..=hi).contains(&f.sport);
            let h = flow_hash(f.src, f.dst, f.proto, f.sport, f.dport);
            for attempt in 0..span.min(512) {
                let port = if attempt == 0 && keep {
                    f.sport
                } else {
                    lo + (h.wrapping_add(attempt.wrapping_mul(7919)) % span) as u16
                };
                if nat_ports.is_some() {
                    nsport = port;
                    conn.reply.dport = port;
                    if icmp_echo {
                        conn.reply.sport = port;
                    }
                }
                match ct.add(conn.clone(), now) {
                    Ok(_) => {
                        added = true;
                        break;
                    }
                    Err(crate::conntrack::AddError::Full) => {
                        return Verdict::Drop(DropReason::ConntrackFull)
                    }
                    Err(crate::conntrack::AddError::Exists) if nat_ports.is_some() => continue,
                    // Another worker added it first: it is this packet's connection.
                    Err(crate::conntrack::AddError::Exists) => {
                        added = true;
                        break;
                    }
                }
            }
            if !added {
                return Verdict::Drop(DropReason::NatExhausted);
            }
            if icmp_echo && nat_ports.is_some() {
                ndport = nsport;
            }
        } else if let Some(s) = &seen {
            if marks.conn != s.conn.mark {
                ct.set_mark(s.id, marks.conn);
            }
        }
        // A first fragment: its later ones will take the same way.
        if let Some(k) = datagram.filter(|_| !f.later && (seen.is_some() || is_new)) {
            let t = nat_frag::Translation {
                src: nsrc,
                dst: ndst,
                mark: marks.conn,
                expires: now + nat_frag::HOLD_NS,
            };
            if !self.datagrams.record(k, t, now) {
                return Verdict::Drop(DropReason::FragmentTableFull);
            }
        }
        if let Some((c, dir)) = &related {
            if !translate_error(pkt.bytes_mut(), p.eh, f.l4, &ErrorFix::of(c, *dir)) {
                return Verdict::Drop(DropReason::BadIpHeader);
            }
        } else if (nsrc, nsport, ndst, ndport) != (f.src, f.sport, f.dst, f.dport) {
            rewrite(pkt.bytes_mut(), p.eh, &f, (nsrc, nsport, ndst, ndport));
        }
        let p2 = Parsed { dst: ndst, ..p };
        self.finish(snap, in_port, pkt, &p2, nh, now)
    }

    /// Whether a packet being forwarded that matched no connection may go on: not TCP that
    /// cannot open one (`state` invalid: a stray RST, SYN-ACK or FIN), not an ICMP error
    /// whose quoted packet belongs to no tracked flow.
    fn belongs(&self, ct: &Conntrack, bytes: &[u8], f: &Flow, state: u8, vrf: u16) -> bool {
        if f.proto == protocol::TCP && state == fw::state::INVALID {
            return false;
        }
        if !f.related {
            return true;
        }
        // The quoted packet went towards the error's sender: its flow, turned around, is
        // a direction of a tracked connection in the VRF the error arrived in.
        let Some(q) = bytes.get(f.l4 + icmp::HEADER_LEN..).and_then(quoted_flow) else {
            return false;
        };
        ct.contains(&FlowKey {
            vrf,
            proto: q.proto,
            src: q.dst,
            dst: q.src,
            sport: q.dport,
            dport: q.sport,
        })
    }
}

/// The connection an ICMP error (`f`, in `bytes`) is about, when its quoted packet is one
/// the router translated on its way out (the quoted flow, turned around, is the
/// connection's reply direction, and the connection changed its source): the error goes
/// back to the connection's original source, untranslated. `None` for errors about
/// untranslated packets (they need nothing) or no connection.
fn related_conn(ct: &Conntrack, bytes: &[u8], f: &Flow, vrf: u16) -> Option<(Conn, Dir)> {
    let q = bytes.get(f.l4 + icmp::HEADER_LEN..).and_then(quoted_flow)?;
    let (conn, dir) = ct.find(&FlowKey {
        vrf,
        proto: q.proto,
        src: q.dst,
        dst: q.src,
        sport: q.dport,
        dport: q.sport,
    })?;
    // Errors about what the router translated: a packet it sent out under the public
    // address (the error comes from outside), or a reply it translated to the host (the
    // error comes from inside, about the host's address).
    let hidden = match dir {
        Dir::Reply => (conn.orig.src, conn.orig.sport) != (q.src, q.sport),
        Dir::Original => (conn.reply.dst, conn.reply.dport) != (q.dst, q.dport),
    };
    hidden.then_some((conn, dir))
}

/// How an ICMP error about a translated packet is translated back: the error's address at
/// `outer` (16: its destination, 12: its source) becomes `outer_addr`, and the quoted
/// packet's address at `quoted` (12: source, 16: destination) and the port after it
/// becomes `addr`:`port`.
struct ErrorFix {
    outer: usize,
    outer_addr: u32,
    quoted: usize,
    addr: u32,
    port: u16,
}

impl ErrorFix {
    /// For an error about connection `c`'s packet in direction `dir`: from outside about
    /// what left under the public address (`Reply`: back to the host, the quoted source
    /// the host's), or from inside about a reply translated to the host (`Original`: from
    /// the public address, the quoted destination the public address and port).
    fn of(c: &Conn, dir: Dir) -> ErrorFix {
        match dir {
            Dir::Reply => ErrorFix {
                outer: 16,
                outer_addr: c.orig.src,
                quoted: 12,
                addr: c.orig.src,
                port: c.orig.sport,
            },
            Dir::Original => ErrorFix {
                outer: 12,
                outer_addr: c.reply.dst,
                quoted: 16,
                addr: c.reply.dst,
                port: c.reply.dport,
            },
        }
    }
}

/// Translates an ICMP error about a packet the router translated as `fix` says: the
/// error's own address, the quoted packet's address and port (its IPv4 checksum updated,
/// and its TCP/UDP checksum or ICMP echo identifier and checksum when quoted), and the
/// ICMP checksum computed again (RFC 5508 §4.2, RFC 3022 §4.3). `false`: the error is too
/// short to hold what it quotes.
fn translate_error(b: &mut [u8], eh: usize, l4: usize, fix: &ErrorFix) -> bool {
    let (host, port) = (fix.addr, fix.port);
    let be16 = |b: &[u8], at: usize| u16::from_be_bytes([b[at], b[at + 1]]);
    let be32 = |b: &[u8], at: usize| u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]]);
    let total = usize::from(be16(b, eh + 2));
    let end = (eh + total).min(b.len());
    let q = l4 + icmp::HEADER_LEN;
    if end < q + 20 {
        return false;
    }
    // Replaces the 32-bit value at `at` and updates the checksum at `sum`.
    let swap32 = |b: &mut [u8], at: usize, sum: usize, v: u32| {
        let old = be32(b, at);
        let mut c = be16(b, sum);
        c = checksum::update(c, (old >> 16) as u16, (v >> 16) as u16);
        c = checksum::update(c, old as u16, v as u16);
        b[sum..sum + 2].copy_from_slice(&c.to_be_bytes());
        b[at..at + 4].copy_from_slice(&v.to_be_bytes());
    };
    swap32(b, eh + fix.outer, eh + 10, fix.outer_addr);
    let old_src = be32(b, q + fix.quoted);
    swap32(b, q + fix.quoted, q + 10, host);
    let ql4 = q + usize::from(b[q] & 0x0f) * 4;
    let proto = b[q + 9];
    // The port beside the address: the quoted source port, or destination port.
    let pt = ql4 + if fix.quoted == 12 { 0 } else { 2 };
    if ql4 + 8 <= end {
        let (port_at, sum_at) = match proto {
            protocol::UDP if be16(b, ql4 + 6) != 0 => (Some(pt), Some(ql4 + 6)),
            protocol::UDP => (Some(pt), None),
            protocol::TCP => (Some(pt), (ql4 + 18 <= end).then_some(ql4 + 16)),
            protocol::ICMP if b[ql4] == icmp::ECHO_REQUEST && fix.quoted == 12 => {
                (Some(ql4 + 4), Some(ql4 + 2))
            }
            protocol::ICMP if b[ql4] == icmp::ECHO_REPLY && fix.quoted == 16 => {
                (Some(ql4 + 4), Some(ql4 + 2))
            }
            _ => (None, None),
        };
        if let Some(at) = port_at {
            let old = be16(b, at);
            b[at..at + 2].copy_from_slice(&port.to_be_bytes());
            if let Some(s) = sum_at {
                let mut c = be16(b, s);
                if proto != protocol::ICMP {
                    // The pseudo-header's source address too.
                    c = checksum::update(c, (old_src >> 16) as u16, (host >> 16) as u16);
                    c = checksum::update(c, old_src as u16, host as u16);
                }
                c = checksum::update(c, old, port);
                b[s..s + 2].copy_from_slice(&c.to_be_bytes());
            }
        }
    }
    b[l4 + 2..l4 + 4].copy_from_slice(&[0, 0]);
    let c = checksum::finish(checksum::sum(&b[l4..end], 0));
    b[l4 + 2..l4 + 4].copy_from_slice(&c.to_be_bytes());
    true
}

/// The flow of the packet an ICMP error quotes: its IPv4 header and the first 8 bytes
/// after it are enough (RFC 792), however long the packet said it was.
fn quoted_flow(q: &[u8]) -> Option<Flow> {
    let h = q.get(..20)?;
    let ihl = usize::from(h[0] & 0x0f) * 4;
    if h[0] >> 4 != 4 || ihl < 20 {
        return None;
    }
    let l4 = q.get(ihl..ihl + 8)?;
    let proto = h[9];
    let be = |at: usize| u16::from_be_bytes([l4[at], l4[at + 1]]);
    let (sport, dport) = match proto {
        protocol::TCP | protocol::UDP => (be(0), be(2)),
        protocol::ICMP if matches!(l4[0], icmp::ECHO_REQUEST | icmp::ECHO_REPLY) => (be(4), be(4)),
        _ => (0, 0),
    };
    Some(Flow {
        proto,
        src: u32::from_be_bytes([h[12], h[13], h[14], h[15]]),
        dst: u32::from_be_bytes([h[16], h[17], h[18], h[19]]),
        sport,
        dport,
        flags: 0,
        trackable: u16::from_be_bytes([h[6], h[7]]) & 0x1fff == 0,
        later: u16::from_be_bytes([h[6], h[7]]) & 0x1fff != 0,
        related: false,
        l4: ihl,
    })
}

/// What connection tracking reads of a packet.
#[derive(Debug, Clone, Copy)]
pub(super) struct Flow {
    proto: u8,
    src: u32,
    dst: u32,
    /// TCP/UDP ports; ICMP echo: the identifier in both.
    sport: u16,
    dport: u16,
    /// TCP flags.
    flags: u8,
    /// Whether it belongs to a trackable flow (not a later fragment).
    trackable: bool,
    /// A later fragment (no L4 header of its own).
    later: bool,
    /// An ICMP error (about some other packet).
    related: bool,
    /// Where the L4 header starts (offset in the frame).
    l4: usize,
}

/// The identity of the datagram the packet at `eh` is a fragment of (`None`: not a
/// fragment).
fn datagram_of(bytes: &[u8], eh: usize, f: &Flow, vrf: u16) -> Option<nat_frag::DatagramKey> {
    let ip = ipv4::Packet::new_checked(bytes.get(eh..)?).ok()?;
    ip.is_fragment().then(|| nat_frag::DatagramKey {
        vrf,
        proto: f.proto,
        src: f.src,
        dst: f.dst,
        id: ip.ident(),
    })
}

pub(super) fn flow_of(bytes: &[u8], eh: usize) -> Option<Flow> {
    let ip = ipv4::Packet::new_checked(&bytes[eh..]).ok()?;
    let l4 = eh + ip.header_len();
    let pl = ip.payload();
    let first = ip.frag_offset() == 0;
    let mut f = Flow {
        proto: ip.protocol(),
        src: ip.src(),
        dst: ip.dst(),
        sport: 0,
        dport: 0,
        flags: 0,
        trackable: first,
        later: !first,
        related: false,
        l4,
    };
    if !first {
        return Some(f);
    }
    match f.proto {
        protocol::TCP if pl.len() >= 14 => {
            f.sport = u16::from_be_bytes([pl[0], pl[1]]);
            f.dport = u16::from_be_bytes([pl[2], pl[3]]);
            f.flags = pl[13];
        }
        protocol::UDP if pl.len() >= 4 => {
            f.sport = u16::from_be_bytes([pl[0], pl[1]]);
            f.dport = u16::from_be_bytes([pl[2], pl[3]]);
        }
        protocol::ICMP if pl.len() >= 8 => match pl[0] {
            icmp::ECHO_REQUEST | icmp::ECHO_REPLY => {
                let id = u16::from_be_bytes([pl[4], pl[5]]);
                f.sport = id;
                f.dport = id;
            }
            icmp::DEST_UNREACHABLE | icmp::TIME_EXCEEDED => f.related = true,
            _ => {}
        },
        // TCP or UDP too short for its ports: not trackable.
        protocol::TCP | protocol::UDP => f.trackable = false,
        _ => {}
    }
    Some(f)
}

/// Rewrites the addresses and ports of the packet at `eh` to `to` = (src, sport, dst, dport),
/// updating the IPv4 and TCP/UDP/ICMP checksums incrementally (RFC 1624).
fn rewrite(b: &mut [u8], eh: usize, f: &Flow, to: (u32, u16, u32, u16)) {
    let (src, sport, dst, dport) = to;
    let word = |v: u32| [(v >> 16) as u16, v as u16];
    // The four 16-bit words of the addresses, old and new (no allocation per packet).
    let (os, ns, od, nd) = (word(f.src), word(src), word(f.dst), word(dst));
    let changes = [
        (os[0], ns[0]),
        (os[1], ns[1]),
        (od[0], nd[0]),
        (od[1], nd[1]),
    ];
    let put = |b: &mut [u8], at: usize, v: u16| {
        if let Some(s) = b.get_mut(at..at + 2) {
            s.copy_from_slice(&v.to_be_bytes());
        }
    };
    let get = |b: &[u8], at: usize| {
        b.get(at..at + 2)
            .map_or(0, |s| u16::from_be_bytes([s[0], s[1]]))
    };
    // IPv4 header: addresses and checksum.
    let mut c = get(b, eh + 10);
    for &(o, n) in &changes {
        c = checksum::update(c, o, n);
    }
    put(b, eh + 10, c);
    put(b, eh + 12, (src >> 16) as u16);
    put(b, eh + 14, src as u16);
    put(b, eh + 16, (dst >> 16) as u16);
    put(b, eh + 18, dst as u16);
    if f.later {
        // A later fragment: what follows the header is the middle of the datagram.
        return;
    }
    let l4 = f.l4;
    match f.proto {
        protocol::TCP | protocol::UDP => {
            let at = if f.proto == protocol::TCP {
                l4 + 16
            } else {
                l4 + 6
            };
            let old = get(b, at);
            // UDP without a checksum stays without one.
            let keep_zero = f.proto == protocol::UDP && old == 0;
            let mut c = old;
            for &(o, n) in &changes {
                c = checksum::update(c, o, n);
            }
            c = checksum::update(c, f.sport, sport);
            c = checksum::update(c, f.dport, dport);
            if !keep_zero {
                if f.proto == protocol::UDP && c == 0 {
                    c = 0xffff;
                }
                put(b, at, c);
            }
            put(b, l4, sport);
            put(b, l4 + 2, dport);
        }
        protocol::ICMP if f.sport == f.dport => {
            // Echo: the identifier, in the ICMP checksum only (no pseudo-header).
            let new_id = if sport != f.sport { sport } else { dport };
            if new_id != f.sport {
                let c = checksum::update(get(b, l4 + 2), f.sport, new_id);
                put(b, l4 + 2, c);
                put(b, l4 + 4, new_id);
            }
        }
        _ => {}
    }
}

/// TCP flags a reset looks at.
const TCP_FIN: u8 = 0x01;
const TCP_SYN: u8 = 0x02;
const TCP_RST: u8 = 0x04;
const TCP_ACK: u8 = 0x10;

impl Pipeline {
    /// Replaces a TCP segment that `reject-with=tcp-reset` refuses with the reset that
    /// answers it (RFC 9293 §3.10.7.1): from its destination to its source, back out of the
    /// port it came in by; with the segment's ACK, sequence number its acknowledgment,
    /// else RST+ACK acknowledging all it carried. Never for a reset, a later fragment or a
    /// source that is not a unicast host; within the VRF's budget for ICMP errors.
    #[cold]
    #[inline(never)]
    fn tcp_reset<B: PacketBuf>(
        &mut self,
        snap: &Snapshot,
        in_port: PortId,
        pkt: &mut B,
        eh: usize,
        now_ns: u64,
    ) -> Verdict {
        let why = DropReason::Filtered;
        let Some(port) = snap.port(in_port).copied() else {
            return Verdict::Drop(DropReason::UnknownPort);
        };
        let b = pkt.bytes();
        let Ok(ip) = ipv4::Packet::new_checked(&b[eh..]) else {
            return Verdict::Drop(why);
        };
        let later_fragment = u16::from_be_bytes([b[eh + 6], b[eh + 7]]) & 0x1fff != 0;
        if later_fragment || !may_send_error_about(&ip) {
            return Verdict::Drop(why);
        }
        let (src, dst) = (ip.src(), ip.dst());
        let seg = ip.payload();
        if seg.len() < 20 || seg[13] & TCP_RST != 0 {
            return Verdict::Drop(why);
        }
        let flags = seg[13];
        let (sport, dport) = (&seg[0..2], &seg[2..4]);
        let seq = u32::from_be_bytes([seg[4], seg[5], seg[6], seg[7]]);
        let ack = u32::from_be_bytes([seg[8], seg[9], seg[10], seg[11]]);
        let data = seg.len().saturating_sub(usize::from(seg[12] >> 4) * 4);
        let seg_len =
            data as u32 + u32::from(flags & TCP_SYN != 0) + u32::from(flags & TCP_FIN != 0);
        let (rseq, rack, rflags) = if flags & TCP_ACK != 0 {
            (ack, 0, TCP_RST)
        } else {
            (0, seq.wrapping_add(seg_len), TCP_RST | TCP_ACK)
        };
        let mut tcp = [0u8; 20];
        tcp[0..2].copy_from_slice(dport);
        tcp[2..4].copy_from_slice(sport);
        tcp[4..8].copy_from_slice(&rseq.to_be_bytes());
        tcp[8..12].copy_from_slice(&rack.to_be_bytes());
        tcp[12] = 5 << 4;
        tcp[13] = rflags;
        let c = checksum::finish(checksum::sum(
            &tcp,
            checksum::pseudo_header(dst, src, protocol::TCP, 20),
        ));
        tcp[16..18].copy_from_slice(&c.to_be_bytes());
        if !self.budget(snap, in_port).icmp.take(now_ns) {
            return Verdict::Drop(DropReason::IcmpRateLimited);
        }
        if !pkt.set_len(eh + 40) {
            return Verdict::Drop(why);
        }
        let b = pkt.bytes_mut();
        let head = ReplyHead {
            mac: port.mac,
            src: dst,
            dst: src,
            protocol: protocol::TCP,
            total: 40,
            tos: 0,
            df: true,
        };
        head.write(b, eh);
        b[eh + 20..eh + 40].copy_from_slice(&tcp);
        Verdict::Reply(in_port, why)
    }
}
