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
        let vrf = snap.port_vrf.get(usize::from(in_port.0)).map_or(0, |v| v.0);
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
        // The tuple the packet leaves with: an established connection's translation.
        let (mut nsrc, mut nsport, mut ndst, mut ndport) = (f.src, f.sport, f.dst, f.dport);
        if let Some(s) = &seen {
            let out = match s.dir {
                Dir::Original => s.conn.reply.reversed(0),
                Dir::Reply => s.conn.orig.reversed(0),
            };
            (nsrc, nsport, ndst, ndport) = (out.src, out.sport, out.dst, out.dport);
        }
        let mut marks = Marks {
            conn: seen.as_ref().map_or(0, |s| s.conn.mark),
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
            let out_vrf = out_port
                .and_then(|o| snap.port_vrf.get(usize::from(o)))
                .map_or(vrf, |v| v.0);
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
        if (nsrc, nsport, ndst, ndport) != (f.src, f.sport, f.dst, f.dport) {
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
        let Some(q) = bytes
            .get(f.l4 + icmp::HEADER_LEN..)
            .and_then(|b| flow_of(b, 0))
        else {
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
    /// An ICMP error (about some other packet).
    related: bool,
    /// Where the L4 header starts (offset in the frame).
    l4: usize,
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
