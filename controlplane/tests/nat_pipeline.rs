//! The firewall path of the pipeline on byte buffers, from a RouterOS configuration: the
//! seed's VRF-lite setup with both customers on the same prefix (connection marks by
//! in-interface), masquerade round trips with every checksum still right, the VRF in the
//! connection key, and bad input (TCP flag nonsense, port 0, ICMP errors about unknown flows,
//! a SYN flood that fills the table and leaves nothing behind after the timeouts).

use dataplane::conntrack::Conntrack;
use dataplane::counters::DropReason;
use dataplane::pipeline::{Pipeline, Verdict};
use dataplane::wire::{icmp, ipv4, tcp, udp};
use rspe_controlplane::rib::builder::snapshot_from_config;
use shared::snapshot::Snapshot;
use shared::types::PortId;
use std::sync::Arc;

const CONFIG: &str = "\
/interface ethernet set [ find default-name=ether3 ] name=public
/ip address add address=172.16.1.2/24 interface=public
/ip address add address=192.168.1.1/24 interface=ether1
/ip address add address=192.168.1.1/24 interface=ether2
/ip route add gateway=172.16.1.1
/ip vrf add name=cust_a interfaces=ether1 place-before 0
/ip vrf add name=cust_b interfaces=ether2 place-before 0
/ip route add gateway=172.16.1.1@main routing-table=cust_a
/ip route add gateway=172.16.1.1@main routing-table=cust_b
/ip firewall nat add chain=srcnat out-interface=public action=masquerade
/ip firewall mangle add action=mark-connection chain=prerouting connection-state=new new-connection-mark=cust_a_conn in-interface=ether1 passthrough=no
/ip firewall mangle add action=mark-connection chain=prerouting connection-state=new new-connection-mark=cust_b_conn in-interface=ether2 passthrough=no
/ip firewall mangle add action=mark-routing chain=prerouting connection-mark=cust_a_conn in-interface=public new-routing-mark=cust_a
/ip firewall mangle add action=mark-routing chain=prerouting connection-mark=cust_b_conn in-interface=public new-routing-mark=cust_b
/ip firewall filter add chain=forward protocol=tcp dst-port=23 action=drop
/ip firewall filter add chain=forward protocol=tcp dst-port=25 action=reject reject-with=tcp-reset
/ip firewall address-list add list=blocked address=9.9.9.0/24
/ip firewall address-list add list=blocked address=1.1.1.1
/ip firewall filter add chain=forward dst-address-list=blocked action=reject reject-with=icmp-admin-prohibited
";

const GW: u32 = 0xac10_0101; // 172.16.1.1
const PUBLIC: u32 = 0xac10_0102; // 172.16.1.2
const HOST: u32 = 0xc0a8_0102; // 192.168.1.2 (both customers)
const SERVER: u32 = 0x0808_0808;

fn snapshot() -> Snapshot {
    snapshot_from_config(CONFIG, 3, &[(2, GW), (0, HOST), (1, HOST)]).unwrap()
}

/// `f` arriving on `port` (addressed to that port's MAC, as a neighbour sends it).
fn process(p: &mut Pipeline, snap: &Snapshot, port: u16, f: &mut Vec<u8>, now: u64) -> Verdict {
    if let Some(i) = snap.port(PortId(port)) {
        f[0..6].copy_from_slice(&i.mac);
    }
    p.process(snap, PortId(port), f, now)
}

/// An Ethernet + IPv4 frame with `l4` as payload.
fn frame(src: u32, dst: u32, proto: u8, l4: &[u8]) -> Vec<u8> {
    let mut f = vec![0u8; 14 + 20];
    f[12..14].copy_from_slice(&[0x08, 0x00]);
    f[14] = 0x45;
    f[14 + 2..14 + 4].copy_from_slice(&((20 + l4.len()) as u16).to_be_bytes());
    f[14 + 8] = 64;
    f[14 + 9] = proto;
    f[14 + 12..14 + 16].copy_from_slice(&src.to_be_bytes());
    f[14 + 16..14 + 20].copy_from_slice(&dst.to_be_bytes());
    f.extend_from_slice(l4);
    ipv4::Packet::new_checked(&mut f[14..])
        .unwrap()
        .fill_checksum();
    // The L4 checksum over the pseudo-header.
    let (cs_at, pseudo) = match proto {
        17 => (6, true),
        6 => (16, true),
        _ => (2, false),
    };
    let mut sum = dataplane::wire::checksum::sum(&f[34..], 0);
    if pseudo {
        sum = dataplane::wire::checksum::sum(
            &f[34..],
            dataplane::wire::checksum::pseudo_header(src, dst, proto, l4.len() as u16),
        );
    }
    let c = dataplane::wire::checksum::finish(sum);
    f[34 + cs_at..34 + cs_at + 2].copy_from_slice(&c.to_be_bytes());
    f
}

fn udp_frame(src: u32, sport: u16, dst: u32, dport: u16, data: &[u8]) -> Vec<u8> {
    let mut l4 = vec![0u8; 8];
    l4[0..2].copy_from_slice(&sport.to_be_bytes());
    l4[2..4].copy_from_slice(&dport.to_be_bytes());
    l4[4..6].copy_from_slice(&((8 + data.len()) as u16).to_be_bytes());
    l4.extend_from_slice(data);
    frame(src, dst, 17, &l4)
}

fn tcp_frame(src: u32, sport: u16, dst: u32, dport: u16, flags: u8) -> Vec<u8> {
    let mut l4 = vec![0u8; 20];
    l4[0..2].copy_from_slice(&sport.to_be_bytes());
    l4[2..4].copy_from_slice(&dport.to_be_bytes());
    l4[12] = 5 << 4;
    l4[13] = flags;
    frame(src, dst, 6, &l4)
}

/// (src, sport, dst, dport) of a frame, checking that every checksum is right.
fn tuple(f: &[u8]) -> (u32, u16, u32, u16) {
    let ip = ipv4::Packet::new_checked(&f[14..]).unwrap();
    assert!(ip.verify_checksum(), "IPv4 checksum");
    let (s, d) = (ip.src(), ip.dst());
    match ip.protocol() {
        17 => {
            let u = udp::Packet::new_checked(ip.payload()).unwrap();
            assert!(u.verify_checksum(s, d), "UDP checksum");
            (s, u.src_port(), d, u.dst_port())
        }
        6 => {
            let t = tcp::Packet::new_checked(ip.payload()).unwrap();
            assert!(t.verify_checksum(s, d), "TCP checksum");
            (s, t.src_port(), d, t.dst_port())
        }
        _ => {
            let m = icmp::Packet::new_checked(ip.payload()).unwrap();
            assert!(m.verify_checksum(), "ICMP checksum");
            (s, m.echo_ident(), d, m.echo_ident())
        }
    }
}

#[test]
fn overlapping_customers_masquerade_and_come_back_to_their_vrf() {
    let snap = snapshot();
    let ct = Arc::new(Conntrack::new(1000));
    let mut p = Pipeline::default().with_conntrack(ct.clone());
    // The same datagram from both customers' hosts (both 192.168.1.2:5000).
    let mut a = udp_frame(HOST, 5000, SERVER, 53, b"from-a");
    let mut b = udp_frame(HOST, 5000, SERVER, 53, b"from-b");
    assert_eq!(
        process(&mut p, &snap, 0, &mut a, 1),
        Verdict::Forward(PortId(2))
    );
    assert_eq!(
        process(&mut p, &snap, 1, &mut b, 2),
        Verdict::Forward(PortId(2))
    );
    let (sa, pa, da, _) = tuple(&a);
    let (sb, pb, _, _) = tuple(&b);
    assert_eq!(
        (sa, da),
        (PUBLIC, SERVER),
        "masqueraded to the public address"
    );
    assert_eq!(sb, PUBLIC);
    assert_ne!(
        pa, pb,
        "the VRF is part of the key: two connections, two ports"
    );
    assert_eq!(ct.len(), 2);
    // The server's answers find their customers: marks steer them into the VRFs.
    let mut ra = udp_frame(SERVER, 53, PUBLIC, pa, b"to-a");
    let mut rb = udp_frame(SERVER, 53, PUBLIC, pb, b"to-b");
    assert_eq!(
        process(&mut p, &snap, 2, &mut ra, 3),
        Verdict::Forward(PortId(0))
    );
    assert_eq!(
        process(&mut p, &snap, 2, &mut rb, 4),
        Verdict::Forward(PortId(1))
    );
    assert_eq!(tuple(&ra), (SERVER, 53, HOST, 5000));
    assert_eq!(tuple(&rb), (SERVER, 53, HOST, 5000));
    assert_eq!(&ra[0..6], &[2, 0, 0, 9, 0, 1], "to customer A's host");
    // A reply to a port nobody uses goes nowhere (main has no route to 172.16.1.2's
    // customers; it is the router's own address: the kernel gets it).
    let mut stray = udp_frame(SERVER, 53, PUBLIC, 9, b"?");
    assert_eq!(process(&mut p, &snap, 2, &mut stray, 5), Verdict::Punt);
}

#[test]
fn tcp_and_icmp_echo_through_nat_and_the_filter() {
    let snap = snapshot();
    let ct = Arc::new(Conntrack::new(1000));
    let mut p = Pipeline::default().with_conntrack(ct.clone());
    let mut syn = tcp_frame(HOST, 40000, SERVER, 80, 0x02);
    assert_eq!(
        process(&mut p, &snap, 0, &mut syn, 1),
        Verdict::Forward(PortId(2))
    );
    let (_, port, _, _) = tuple(&syn);
    let mut synack = tcp_frame(SERVER, 80, PUBLIC, port, 0x12);
    assert_eq!(
        process(&mut p, &snap, 2, &mut synack, 2),
        Verdict::Forward(PortId(0))
    );
    assert_eq!(tuple(&synack), (SERVER, 80, HOST, 40000));
    // The filter drops telnet.
    let mut telnet = tcp_frame(HOST, 40001, SERVER, 23, 0x02);
    assert_eq!(
        process(&mut p, &snap, 0, &mut telnet, 3),
        Verdict::Drop(DropReason::Filtered)
    );
    // An address list: 9.9.9.0/24 and 1.1.1.1 are rejected (administratively prohibited).
    for dst in [0x0909_0909u32, 0x0101_0101] {
        let mut f = udp_frame(HOST, 1234, dst, 53, b"x");
        assert_eq!(
            process(&mut p, &snap, 0, &mut f, 3),
            Verdict::Reply(PortId(0), DropReason::Filtered)
        );
        let ip = ipv4::Packet::new_checked(&f[14..]).unwrap();
        let m = icmp::Packet::new_checked(ip.payload()).unwrap();
        assert_eq!((m.msg_type(), m.code()), (3, 13));
    }
    let mut ok = udp_frame(HOST, 1234, 0x0101_0102, 53, b"x");
    assert_eq!(
        process(&mut p, &snap, 0, &mut ok, 3),
        Verdict::Forward(PortId(2))
    );
    // ICMP echo: the identifier is the port.
    let mut echo = vec![8u8, 0, 0, 0, 0x12, 0x34, 0, 1];
    echo.extend_from_slice(&[0xab; 16]);
    let mut req = frame(HOST, SERVER, 1, &echo);
    assert_eq!(
        process(&mut p, &snap, 1, &mut req, 4),
        Verdict::Forward(PortId(2))
    );
    let (s, id, _, _) = tuple(&req);
    assert_eq!(s, PUBLIC);
    let mut rep_l4 = echo.clone();
    rep_l4[0] = 0;
    rep_l4[4..6].copy_from_slice(&id.to_be_bytes());
    let mut rep = frame(SERVER, PUBLIC, 1, &rep_l4);
    assert_eq!(
        process(&mut p, &snap, 2, &mut rep, 5),
        Verdict::Forward(PortId(1))
    );
    assert_eq!(tuple(&rep), (SERVER, 0x1234, HOST, 0x1234));
}

#[test]
fn bad_input_and_a_syn_flood() {
    let snap = snapshot();
    let ct = Arc::new(Conntrack::new(100));
    let mut p = Pipeline::default().with_conntrack(ct.clone());
    // Nonsense TCP flags (SYN+FIN+RST) start nothing: belonging to no connection, it is
    // dropped (never sent on untranslated with the customer's source).
    let mut bad = tcp_frame(HOST, 1, SERVER, 80, 0x07);
    let v = process(&mut p, &snap, 0, &mut bad, 1);
    assert_eq!(v, Verdict::Drop(DropReason::NoConnection));
    assert_eq!(ct.len(), 0, "no connection for an invalid packet");
    // Port 0 is a port like any other.
    let mut zero = udp_frame(HOST, 0, SERVER, 0, b"");
    assert_eq!(
        process(&mut p, &snap, 0, &mut zero, 2),
        Verdict::Forward(PortId(2))
    );
    // An ICMP error quoting a flow nobody knows: related to nothing, forwarded untranslated.
    let mut err = vec![3u8, 3, 0, 0, 0, 0, 0, 0];
    err.extend_from_slice(&udp_frame(PUBLIC, 1, SERVER, 2, b"")[14..42]);
    let mut icmp_err = frame(SERVER, HOST, 1, &err);
    let v = process(&mut p, &snap, 2, &mut icmp_err, 3);
    assert_eq!(
        v,
        Verdict::Drop(DropReason::NoConnection),
        "related to nothing"
    );
    // A SYN flood: the table fills, the rest is refused and counted.
    let before = ct.len();
    let mut refused = 0;
    for i in 0..300u16 {
        let mut f = tcp_frame(HOST, 10_000 + i, SERVER, 443, 0x02);
        if process(&mut p, &snap, 0, &mut f, 10) == Verdict::Drop(DropReason::ConntrackFull) {
            refused += 1;
        }
    }
    assert_eq!(ct.len(), 100);
    assert_eq!(refused, 300 - (100 - before));
    // After the SYN timeout (5 s) only the UDP connection (30 s) is left; after that, none.
    ct.expire(10 + 6_000_000_000);
    assert_eq!(ct.len(), 1);
    ct.expire(10 + 31_000_000_000);
    assert_eq!(ct.len(), 0, "no entry leaked after the timeouts");
}

#[test]
fn nat_hygiene_strays_scans_and_errors() {
    let snap = snapshot();
    let ct = Arc::new(Conntrack::new(100_000));
    let mut p = Pipeline::default().with_conntrack(ct.clone());
    // Stray TCP from inside: a RST and a SYN-ACK of no connection go nowhere.
    for flags in [0x04, 0x12] {
        let mut f = tcp_frame(HOST, 33000, SERVER, 443, flags);
        assert_eq!(
            process(&mut p, &snap, 0, &mut f, 1),
            Verdict::Drop(DropReason::NoConnection),
            "flags {flags:#x}"
        );
    }
    // A port scan of the router's public address: the kernel twin answers (punt) and no
    // connection is made here.
    for port in 1..=2000u16 {
        let mut syn = tcp_frame(SERVER, 40000, PUBLIC, port, 0x02);
        assert_eq!(process(&mut p, &snap, 2, &mut syn, 2), Verdict::Punt);
    }
    assert_eq!(ct.len(), 0, "a scan of the router fills no table");
    // A flow through masquerade, then an ICMP error about it from the far side: related,
    // passed on. One from inside about a flow nobody has: dropped.
    let mut q = udp_frame(HOST, 5000, SERVER, 53, b"q");
    assert_eq!(
        process(&mut p, &snap, 0, &mut q, 3),
        Verdict::Forward(PortId(2))
    );
    let (_, nport, _, _) = tuple(&q);
    let mut err = vec![3u8, 3, 0, 0, 0, 0, 0, 0];
    err.extend_from_slice(&udp_frame(PUBLIC, nport, SERVER, 53, b"")[14..42]);
    let mut related = frame(SERVER, PUBLIC, 1, &err);
    let v = process(&mut p, &snap, 2, &mut related, 4);
    assert_ne!(
        v,
        Verdict::Drop(DropReason::NoConnection),
        "related to the flow: {v:?}"
    );
    let mut inside = vec![3u8, 3, 0, 0, 0, 0, 0, 0];
    inside.extend_from_slice(&udp_frame(SERVER, 53, HOST, 7777, b"")[14..42]);
    let mut stray = frame(HOST, SERVER, 1, &inside);
    assert_eq!(
        process(&mut p, &snap, 0, &mut stray, 5),
        Verdict::Drop(DropReason::NoConnection)
    );
    // An echo through masquerade is source NAT, not destination NAT.
    let mut echo = frame(HOST, SERVER, 1, &[8, 0, 0, 0, 0x12, 0x34, 0, 1]);
    assert_eq!(
        process(&mut p, &snap, 0, &mut echo, 6),
        Verdict::Forward(PortId(2))
    );
    let c = ct
        .snapshot()
        .into_iter()
        .find(|c| c.orig.proto == 1)
        .expect("the echo's connection");
    assert!(c.srcnat() && !c.dstnat(), "{c:?}");
}

#[test]
fn reject_with_tcp_reset_answers_with_a_reset() {
    let snap = snapshot();
    let mut p = Pipeline::default().with_conntrack(Arc::new(Conntrack::new(1024)));
    let host_mac = [2, 0, 0, 0, 0, 0x42];
    // A SYN (sequence 1000): RST+ACK acknowledging it, from the server's address.
    let mut f = tcp_frame(HOST, 40000, SERVER, 25, 0x02);
    f[6..12].copy_from_slice(&host_mac);
    f[38..42].copy_from_slice(&1000u32.to_be_bytes());
    assert_eq!(
        process(&mut p, &snap, 0, &mut f, 1),
        Verdict::Reply(PortId(0), DropReason::Filtered)
    );
    assert_eq!(
        tuple(&f),
        (SERVER, 25, HOST, 40000),
        "from the server, checksums right"
    );
    assert_eq!(&f[0..6], &host_mac, "back to the host");
    assert_eq!(f.len(), 14 + 40);
    let t = &f[34..];
    assert_eq!(t[13], 0x14, "RST+ACK");
    assert_eq!(&t[4..8], &[0, 0, 0, 0]);
    assert_eq!(u32::from_be_bytes([t[8], t[9], t[10], t[11]]), 1001);
    // A segment with an ACK: a reset whose sequence number is that acknowledgment.
    let mut f = tcp_frame(HOST, 40001, SERVER, 25, 0x10);
    f[42..46].copy_from_slice(&777u32.to_be_bytes());
    assert_eq!(
        process(&mut p, &snap, 0, &mut f, 2),
        Verdict::Reply(PortId(0), DropReason::Filtered)
    );
    assert_eq!(f[34 + 13], 0x04, "RST");
    assert_eq!(&f[34 + 4..34 + 8], &777u32.to_be_bytes());
    // A reset is never answered.
    let mut f = tcp_frame(HOST, 40002, SERVER, 25, 0x04);
    assert!(matches!(
        process(&mut p, &snap, 0, &mut f, 3),
        Verdict::Drop(_)
    ));
}

/// An ICMP error (`msg_type`, `code`, MTU `mtu` for fragmentation needed) from `from` to
/// `to` quoting the first bytes of the IPv4 packet in `quoted` (a frame).
fn icmp_error(from: u32, to: u32, msg_type: u8, code: u8, mtu: u16, quoted: &[u8]) -> Vec<u8> {
    let q = &quoted[14..quoted.len().min(14 + 28)];
    let mut l4 = vec![msg_type, code, 0, 0, 0, 0];
    l4.extend_from_slice(&mtu.to_be_bytes());
    l4.extend_from_slice(q);
    frame(from, to, 1, &l4)
}

/// The ICMP error in `f` checked whole: outer and quoted IPv4 checksums, the ICMP checksum,
/// and (UDP) the quoted checksum over what the quoted packet would be: its (src, sport,
/// dst, dport).
fn error_quote(f: &[u8]) -> (u32, u32, (u32, u16, u32, u16)) {
    let ip = ipv4::Packet::new_checked(&f[14..]).unwrap();
    assert!(ip.verify_checksum(), "outer IPv4 checksum");
    let m = icmp::Packet::new_checked(ip.payload()).unwrap();
    assert!(m.verify_checksum(), "ICMP checksum");
    // The quoted packet is cut short (28 bytes): read it by hand.
    let q = &ip.payload()[8..];
    assert!(
        dataplane::wire::checksum::verify(&q[..20]),
        "quoted IPv4 checksum"
    );
    let addr = |at: usize| u32::from_be_bytes([q[at], q[at + 1], q[at + 2], q[at + 3]]);
    let port = |at: usize| u16::from_be_bytes([q[20 + at], q[21 + at]]);
    (ip.src(), ip.dst(), (addr(12), port(0), addr(16), port(2)))
}

#[test]
fn icmp_errors_about_masqueraded_packets_go_back_to_their_host() {
    let snap = snapshot();
    let mut p = Pipeline::default().with_conntrack(Arc::new(Conntrack::new(1024)));
    let hop = 0x0909_0901; // a router past the gateway
                           // Customer A's datagram (TTL 1 for a traceroute): masqueraded on its way out.
    let mut out = udp_frame(HOST, 33434, SERVER, 33435, b"trace");
    assert_eq!(
        process(&mut p, &snap, 0, &mut out, 1),
        Verdict::Forward(PortId(2))
    );
    let (_, public_port, _, _) = tuple(&out);
    // Time exceeded from the hop, about the packet as it left: back to A, as A sent it.
    let mut te = icmp_error(hop, PUBLIC, icmp::TIME_EXCEEDED, 0, 0, &out);
    assert_eq!(
        process(&mut p, &snap, 2, &mut te, 2),
        Verdict::Forward(PortId(0))
    );
    let (src, dst, quoted) = error_quote(&te);
    assert_eq!((src, dst), (hop, HOST));
    assert_eq!(quoted, (HOST, 33434, SERVER, 33435));
    assert_eq!(
        &te[0..6],
        &[2, 0, 0, 9, 0, 1],
        "to customer A's host, in its VRF"
    );
    // The quoted UDP checksum still matches the quoted datagram as A sent it.
    let q = &te[14 + 20 + 8..];
    let qudp_sum = u16::from_be_bytes([q[26], q[27]]);
    let orig = udp_frame(HOST, 33434, SERVER, 33435, b"trace");
    assert_eq!(qudp_sum, u16::from_be_bytes([orig[40], orig[41]]));
    // Fragmentation needed (path MTU discovery) likewise, its MTU untouched.
    let mut fnd = icmp_error(hop, PUBLIC, icmp::DEST_UNREACHABLE, 4, 1400, &out);
    assert_eq!(
        process(&mut p, &snap, 2, &mut fnd, 3),
        Verdict::Forward(PortId(0))
    );
    let (_, dst, quoted) = error_quote(&fnd);
    assert_eq!((dst, quoted.0, quoted.1), (HOST, HOST, 33434));
    assert_eq!(&fnd[14 + 20 + 6..14 + 20 + 8], &1400u16.to_be_bytes());
    // Customer B's identical flow gets its own errors.
    let mut out_b = udp_frame(HOST, 33434, SERVER, 33435, b"trace");
    assert_eq!(
        process(&mut p, &snap, 1, &mut out_b, 4),
        Verdict::Forward(PortId(2))
    );
    let (_, public_b, _, _) = tuple(&out_b);
    assert_ne!(public_b, public_port);
    let mut te_b = icmp_error(hop, PUBLIC, icmp::TIME_EXCEEDED, 0, 0, &out_b);
    assert_eq!(
        process(&mut p, &snap, 2, &mut te_b, 5),
        Verdict::Forward(PortId(1))
    );
    // A packet that expires here is answered before any translation: to A, quoting A's.
    let mut ttl1 = udp_frame(HOST, 33500, SERVER, 33435, b"ttl1");
    ttl1[14 + 8] = 1;
    ipv4::Packet::new_checked(&mut ttl1[14..])
        .unwrap()
        .fill_checksum();
    assert_eq!(
        process(&mut p, &snap, 0, &mut ttl1, 6),
        Verdict::Reply(PortId(0), DropReason::TtlExpired)
    );
    let (_, dst, quoted) = error_quote(&ttl1);
    assert_eq!((dst, quoted), (HOST, (HOST, 33500, SERVER, 33435)));
    // An error quoting a flow nobody has, or cut short: dropped.
    let mut stray = udp_frame(PUBLIC, 40000, SERVER, 33435, b"x");
    stray[14 + 8] = 1;
    let mut unknown = icmp_error(hop, PUBLIC, icmp::TIME_EXCEEDED, 0, 0, &stray);
    assert!(matches!(
        process(&mut p, &snap, 2, &mut unknown, 6),
        Verdict::Drop(_) | Verdict::Punt
    ));
}

#[test]
fn errors_from_inside_about_replies_leave_under_the_public_address() {
    let snap = snapshot();
    let mut p = Pipeline::default().with_conntrack(Arc::new(Conntrack::new(1024)));
    // A asks the server; the answer comes back, translated to A.
    let mut out = udp_frame(HOST, 5000, SERVER, 53, b"query");
    assert_eq!(
        process(&mut p, &snap, 0, &mut out, 1),
        Verdict::Forward(PortId(2))
    );
    let (_, public_port, _, _) = tuple(&out);
    let mut back = udp_frame(SERVER, 53, PUBLIC, public_port, b"answer");
    assert_eq!(
        process(&mut p, &snap, 2, &mut back, 2),
        Verdict::Forward(PortId(0))
    );
    assert_eq!(tuple(&back), (SERVER, 53, HOST, 5000));
    // A's port is closed by now: its port unreachable quotes the answer as A got it, and
    // must leave as the public address's, quoting the answer as the server sent it.
    let mut err = icmp_error(HOST, SERVER, icmp::DEST_UNREACHABLE, 3, 0, &back);
    assert_eq!(
        process(&mut p, &snap, 0, &mut err, 3),
        Verdict::Forward(PortId(2))
    );
    let (src, dst, quoted) = error_quote(&err);
    assert_eq!((src, dst), (PUBLIC, SERVER), "the host's address hidden");
    assert_eq!(quoted, (SERVER, 53, PUBLIC, public_port));
    // The quoted UDP checksum is the one the server sent.
    let q = &err[14 + 20 + 8..];
    let sent = udp_frame(SERVER, 53, PUBLIC, public_port, b"answer");
    assert_eq!(q[26..28], sent[40..42]);
    // Customer B's host, with the same address, about A's answer: no connection of B's.
    let mut err_b = icmp_error(HOST, SERVER, icmp::DEST_UNREACHABLE, 3, 0, &back);
    assert!(matches!(
        process(&mut p, &snap, 1, &mut err_b, 4),
        Verdict::Drop(_)
    ));
}

#[test]
fn interface_lists_match_their_members() {
    let config = "\
/interface list add name=LAN
/interface list member add list=LAN interface=ether1
/ip address add address=10.1.0.1/24 interface=ether1
/ip address add address=10.2.0.1/24 interface=ether2
/ip address add address=10.3.0.1/24 interface=ether3
/ip firewall filter add chain=forward in-interface-list=!LAN out-interface-list=all action=drop
";
    let (a, b, c) = (0x0a01_0005, 0x0a02_0005, 0x0a03_0005);
    let snap = snapshot_from_config(config, 3, &[(0, a), (1, b), (2, c)]).unwrap();
    let mut p = Pipeline::default().with_conntrack(Arc::new(Conntrack::new(64)));
    let mut from_lan = udp_frame(a, 1000, c, 53, b"x");
    assert_eq!(
        process(&mut p, &snap, 0, &mut from_lan, 1),
        Verdict::Forward(PortId(2))
    );
    let mut from_other = udp_frame(b, 1000, c, 53, b"x");
    assert_eq!(
        process(&mut p, &snap, 1, &mut from_other, 2),
        Verdict::Drop(DropReason::Filtered)
    );
    // `none` matches nothing: a rule on it drops nothing.
    let none = config.replace(
        "in-interface-list=!LAN out-interface-list=all",
        "in-interface-list=none",
    );
    let snap = snapshot_from_config(&none, 3, &[(0, a), (1, b), (2, c)]).unwrap();
    let mut from_other = udp_frame(b, 1001, c, 53, b"x");
    assert_eq!(
        process(&mut p, &snap, 1, &mut from_other, 3),
        Verdict::Forward(PortId(2))
    );
}
