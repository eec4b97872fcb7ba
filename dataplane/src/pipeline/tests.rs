//! The pipeline's tests: byte-buffer frames through a hand-built snapshot.

use super::*;
use shared::adj::{Adjacency, LabelStack, NextHop, NextHops};
use shared::fib::FibBuilder;
use shared::snapshot::PortIface;
use shared::types::{AdjId, NextHopId, Prefix4, TableId, VrfId};
use std::sync::Arc;

pub(super) const MAC0: [u8; 6] = [2, 0, 0, 0, 0, 0x10];
pub(super) const MAC1: [u8; 6] = [2, 0, 0, 0, 0, 0x11];
pub(super) const HOST_B: [u8; 6] = [2, 0, 0, 0, 0, 0xbb];
pub(super) const HOST_A: [u8; 6] = [2, 0, 0, 0, 0, 0xaa];
pub(super) const MAC2: [u8; 6] = [2, 0, 0, 0, 0, 0x12];

pub(super) fn ip(s: &str) -> u32 {
    u32::from(s.parse::<std::net::Ipv4Addr>().unwrap())
}

/// Ports 0 and 1 in main (10.0.0.1/24, 10.1.0.1/24), port 2 in VRF 1 (table 7) with the
/// same customer prefix as port 0's far side, to check isolation.
pub(super) fn snapshot() -> Snapshot {
    let nhs = NextHops {
        hops: vec![
            NextHop::Forward(AdjId(0)),
            NextHop::Local,
            NextHop::Blackhole,
            NextHop::Prohibit,
            NextHop::Forward(AdjId(1)),
        ],
        members: vec![],
        adjacencies: vec![
            Adjacency {
                port: PortId(1),
                dst_mac: HOST_B,
                src_mac: MAC1,
                push: LabelStack::default(),
                mtu: 1500,
            },
            Adjacency {
                port: PortId(0),
                dst_mac: HOST_A,
                src_mac: MAC0,
                push: LabelStack::default(),
                mtu: 1000,
            },
        ],
    };
    let mut main = FibBuilder::new();
    let p = |s: &str| s.parse::<Prefix4>().unwrap();
    main.insert(p("10.1.0.0/24"), NextHopId(0)).unwrap();
    main.insert(p("10.0.0.1/32"), NextHopId(1)).unwrap();
    main.insert(p("192.0.2.0/24"), NextHopId(2)).unwrap();
    main.insert(p("198.51.100.0/24"), NextHopId(3)).unwrap();
    main.insert(p("10.9.0.0/16"), NextHopId(4)).unwrap();
    let vrf = FibBuilder::new();
    let mut s = Snapshot::default();
    let mut tables = s.tables.to_vec();
    tables[0] = Some(main.publish());
    tables[7] = Some(vrf.publish());
    s.tables = tables.into();
    s.next_hops = Arc::new(nhs);
    s.port_vrf = Arc::from(vec![VrfId::MAIN, VrfId::MAIN, VrfId(1)]);
    s.vrf_table = Arc::from(vec![TableId::MAIN, TableId(7)]);
    s.ports = Arc::from(vec![
        PortIface {
            mac: MAC0,
            ipv4: Some(ip("10.0.0.1")),
            mtu: 1500,
            mpls_input: false,
            mpls_mtu: shared::snapshot::DEFAULT_MPLS_MTU,
        },
        PortIface {
            mac: MAC1,
            ipv4: Some(ip("10.1.0.1")),
            mtu: 1500,
            mpls_input: false,
            mpls_mtu: shared::snapshot::DEFAULT_MPLS_MTU,
        },
        PortIface {
            mac: MAC2,
            ipv4: None,
            mtu: 1500,
            mpls_input: false,
            mpls_mtu: shared::snapshot::DEFAULT_MPLS_MTU,
        },
    ]);
    s
}

/// An Ethernet/IPv4/UDP frame from host A to `dst`.
pub(super) fn udp(dst: &str, ttl: u8, len: usize, df: bool) -> Vec<u8> {
    let mut f = vec![0u8; 14 + len];
    f[0..6].copy_from_slice(&MAC0);
    f[6..12].copy_from_slice(&HOST_A);
    f[12..14].copy_from_slice(&[0x08, 0x00]);
    let ipb = &mut f[14..];
    ipb[0] = 0x45;
    ipb[2..4].copy_from_slice(&(len as u16).to_be_bytes());
    if df {
        ipb[6] = 0x40;
    }
    ipb[8] = ttl;
    ipb[9] = protocol::UDP;
    ipb[12..16].copy_from_slice(&ip("10.0.0.2").to_be_bytes());
    ipb[16..20].copy_from_slice(&ip(dst).to_be_bytes());
    ipb[20..22].copy_from_slice(&4000u16.to_be_bytes());
    ipb[22..24].copy_from_slice(&53u16.to_be_bytes());
    ipb[24..26].copy_from_slice(&((len - 20) as u16).to_be_bytes());
    let mut p = ipv4::Packet::new_checked(&mut f[14..]).unwrap();
    p.fill_checksum();
    f
}

pub(super) fn icmp_of(f: &[u8]) -> (u32, u32, u8, u8, u16) {
    let ip = ipv4::Packet::new_checked(&f[14..]).unwrap();
    assert!(ip.verify_checksum());
    let m = icmp::Packet::new_checked(ip.payload()).unwrap();
    assert!(m.verify_checksum());
    let mtu = u16::from_be_bytes([ip.payload()[6], ip.payload()[7]]);
    (ip.src(), ip.dst(), m.msg_type(), m.code(), mtu)
}

#[test]
fn forwards_with_ttl_and_l2_rewrite() {
    let s = snapshot();
    let mut p = Pipeline::default();
    let mut f = udp("10.1.0.5", 64, 100, false);
    f.extend([0u8; 6]); // Ethernet padding is not forwarded
    assert_eq!(
        p.process(&s, PortId(0), &mut f, 0),
        Verdict::Forward(PortId(1))
    );
    assert_eq!(f.len(), 114);
    assert_eq!(&f[0..6], &HOST_B);
    assert_eq!(&f[6..12], &MAC1);
    let ip = ipv4::Packet::new_checked(&f[14..]).unwrap();
    assert_eq!(ip.ttl(), 63);
    assert!(ip.verify_checksum());
}

#[test]
fn a_burst_gets_the_same_verdicts_as_one_by_one() {
    let s = snapshot();
    let dsts = [
        "10.1.0.5",
        "10.0.0.1",
        "11.1.1.1",
        "192.0.2.1",
        "10.9.0.1",
        "224.0.0.5",
        "10.1.0.200",
    ];
    let mut one: Vec<Vec<u8>> = dsts.iter().map(|d| udp(d, 64, 100, false)).collect();
    let mut burst = one.clone();
    let mut p1 = Pipeline::default();
    let expected: Vec<Verdict> = one
        .iter_mut()
        .map(|f| p1.process(&s, PortId(0), f, 0))
        .collect();
    let mut p2 = Pipeline::default();
    let mut verdicts = vec![Verdict::Punt; burst.len()];
    p2.process_burst(&s, PortId(0), &mut burst, &mut verdicts, 0);
    assert_eq!(verdicts, expected);
    assert_eq!(burst, one, "same bytes out");
}

#[test]
fn local_arp_and_multicast_go_to_the_kernel() {
    let s = snapshot();
    let mut p = Pipeline::default();
    assert_eq!(
        p.process(&s, PortId(0), &mut udp("10.0.0.1", 64, 60, false), 0),
        Verdict::Punt
    );
    assert_eq!(
        p.process(&s, PortId(0), &mut udp("224.0.0.5", 1, 60, false), 0),
        Verdict::Punt
    );
    let arp_frame = |op: u16, sender: u32, target: u32| {
        let mut f = vec![0u8; 60];
        f[0..6].copy_from_slice(&[0xff; 6]);
        f[6..12].copy_from_slice(&HOST_A);
        f[12..14].copy_from_slice(&[0x08, 0x06]);
        arp::Packet::emit(&mut f[14..42], op, (HOST_A, sender), ([0; 6], target)).unwrap();
        f
    };
    // A request for the router's address: to the kernel, and the sender is learned.
    let mut req = arp_frame(arp::OP_REQUEST, ip("10.0.0.9"), ip("10.0.0.1"));
    assert_eq!(p.process(&s, PortId(0), &mut req, 0), Verdict::Punt);
    // One for another host: learned from (the table decides), not answered.
    let mut other = arp_frame(arp::OP_REQUEST, ip("10.0.0.9"), ip("10.0.0.7"));
    assert_eq!(
        p.process(&s, PortId(0), &mut other, 0),
        Verdict::Drop(DropReason::ArpNotForUs)
    );
    let mut short = arp_frame(arp::OP_REPLY, 1, 2);
    short.truncate(20);
    assert_eq!(
        p.process(&s, PortId(0), &mut short, 0),
        Verdict::Drop(DropReason::BadArp)
    );
    let ev: Vec<Event> = p.drain_events().collect();
    assert_eq!(
        ev,
        vec![
            Event::Heard {
                port: PortId(0),
                ip: ip("10.0.0.9"),
                mac: HOST_A,
                for_us: true
            },
            Event::Heard {
                port: PortId(0),
                ip: ip("10.0.0.9"),
                mac: HOST_A,
                for_us: false
            },
        ]
    );
    // The same request in the other VRF's port is not for us: 10.0.0.1 is main's.
    let mut req = arp_frame(arp::OP_REQUEST, ip("10.0.0.9"), ip("10.0.0.1"));
    assert_eq!(
        p.process(&s, PortId(2), &mut req, 0),
        Verdict::Drop(DropReason::ArpNotForUs)
    );
}

#[test]
fn tagged_frames_and_arp_claiming_our_address_are_dropped() {
    let s = snapshot();
    let mut p = Pipeline::default();
    let tag = |f: &[u8], tpid: u16, tci: u16| {
        let mut t = f[..12].to_vec();
        t.extend_from_slice(&tpid.to_be_bytes());
        t.extend_from_slice(&tci.to_be_bytes());
        t.extend_from_slice(&f[12..]);
        t
    };
    let plain = udp("10.1.0.5", 64, 60, false);
    assert!(matches!(
        p.process(&s, PortId(0), &mut plain.clone(), 0),
        Verdict::Forward(..)
    ));
    // 802.1Q, priority-tagged (VLAN 0), QinQ: no VLAN interface, so no route.
    let dot1q = tag(&plain, 0x8100, 7);
    let prio = tag(&plain, 0x8100, 5 << 13);
    let qinq = tag(&tag(&plain, 0x8100, 7), 0x88a8, 100);
    for mut f in [dot1q, prio, qinq] {
        assert_eq!(
            p.process(&s, PortId(0), &mut f, 0),
            Verdict::Drop(DropReason::UnknownVlan)
        );
        let mut one = [f.clone()];
        let mut v = [Verdict::Punt];
        p.process_burst(&s, PortId(0), &mut one, &mut v, 0);
        assert_eq!(
            v[0],
            Verdict::Drop(DropReason::UnknownVlan),
            "in a burst too"
        );
    }
    // A gratuitous ARP reply claiming the router's own 10.0.0.1: never learned.
    let mut f = vec![0u8; 60];
    f[0..6].copy_from_slice(&[0xff; 6]);
    f[6..12].copy_from_slice(&HOST_A);
    f[12..14].copy_from_slice(&[0x08, 0x06]);
    let us = ip("10.0.0.1");
    arp::Packet::emit(&mut f[14..42], arp::OP_REPLY, (HOST_A, us), ([0; 6], us)).unwrap();
    assert_eq!(
        p.process(&s, PortId(0), &mut f.clone(), 0),
        Verdict::Drop(DropReason::ArpAddressConflict)
    );
    let tagged_arp = tag(&f, 0x8100, 3);
    assert_eq!(
        p.process(&s, PortId(0), &mut tagged_arp.clone(), 0),
        Verdict::Drop(DropReason::UnknownVlan)
    );
    let ev: Vec<Event> = p.drain_events().collect();
    assert_eq!(
        ev,
        vec![Event::Conflict {
            port: PortId(0),
            ip: us,
            mac: HOST_A
        }]
    );
    // In the other VRF 10.0.0.1 is not the router's: an ordinary neighbour.
    assert_eq!(
        p.process(&s, PortId(2), &mut f.clone(), 0),
        Verdict::Drop(DropReason::ArpNotForUs)
    );
}

/// The test snapshot with VRF 1 (port 2) given an address and a route, like main's.
fn snapshot_two_vrfs() -> Snapshot {
    let mut s = snapshot();
    let mut vrf = FibBuilder::new();
    let p = |x: &str| x.parse::<Prefix4>().unwrap();
    vrf.insert(p("10.1.0.0/24"), NextHopId(0)).unwrap();
    vrf.insert(p("10.0.0.1/32"), NextHopId(1)).unwrap();
    let mut tables = s.tables.to_vec();
    tables[7] = Some(vrf.publish());
    s.tables = tables.into();
    let mut ports = s.ports.to_vec();
    ports[2].ipv4 = Some(ip("10.0.0.1"));
    s.ports = ports.into();
    s
}

fn on_port(mut f: Vec<u8>, mac: [u8; 6]) -> Vec<u8> {
    f[0..6].copy_from_slice(&mac);
    f
}

#[test]
fn budgets_are_per_vrf() {
    let s = snapshot_two_vrfs();
    let mut p = Pipeline::with_icmp_rate(10);
    // VRF main's TTL-1 flood uses up main's ICMP errors...
    let mut limited = 0;
    for _ in 0..100 {
        let v = p.process(&s, PortId(0), &mut udp("10.1.0.5", 1, 100, false), 0);
        limited += usize::from(v == Verdict::Drop(DropReason::IcmpRateLimited));
    }
    assert_eq!(limited, 90, "main got its burst of 10");
    // ...and VRF 1 still gets every one of its own.
    for _ in 0..10 {
        let mut f = on_port(udp("10.1.0.5", 1, 100, false), MAC2);
        assert_eq!(
            p.process(&s, PortId(2), &mut f, 0),
            Verdict::Reply(PortId(2), DropReason::TtlExpired)
        );
    }
    // The same unresolved neighbour asked for in main does not silence VRF 1's request.
    let mut nhs = (*s.next_hops).clone();
    nhs.hops[0] = NextHop::Glean {
        port: PortId(1),
        src: ip("10.1.0.1"),
        target: 0,
    };
    let mut s2 = s.clone();
    s2.next_hops = Arc::new(nhs);
    p.drain_events().for_each(drop);
    p.process(&s2, PortId(0), &mut udp("10.1.0.83", 64, 100, false), 1);
    p.process(
        &s2,
        PortId(2),
        &mut on_port(udp("10.1.0.83", 64, 100, false), MAC2),
        2,
    );
    let wants = p
        .drain_events()
        .filter(|e| matches!(e, Event::Want { .. }))
        .count();
    assert_eq!(
        wants, 1,
        "one neighbour (port 1, 10.1.0.83): asked for once"
    );
    // A scan of main's subnet is held to main's budget of requests.
    let mut asked = 0;
    for i in 0..1000u32 {
        let dst = std::net::Ipv4Addr::from(ip("10.1.0.0") + i % 250).to_string();
        p.process(
            &s2,
            PortId(0),
            &mut udp(&dst, 64, 100, false),
            10 + u64::from(i),
        );
        asked += p.drain_events().count();
    }
    assert!(asked <= 60, "{asked} requests from one VRF's scan");
}

#[test]
fn martians_foreign_macs_and_reverse_path() {
    let mut s = snapshot_two_vrfs();
    let mut p = Pipeline::default();
    let from = |src: &str, dst: &str| {
        let mut f = udp(dst, 64, 100, false);
        f[14 + 12..14 + 16].copy_from_slice(&ip(src).to_be_bytes());
        ipv4::Packet::new_checked(&mut f[14..])
            .unwrap()
            .fill_checksum();
        f
    };
    for (src, dst) in [
        ("0.1.2.3", "10.1.0.5"),
        ("127.0.0.1", "10.1.0.5"),
        ("224.0.0.5", "10.1.0.5"),
        ("255.255.255.255", "10.1.0.5"),
        ("240.0.0.1", "10.1.0.5"),
        ("10.0.0.2", "127.0.0.1"),
        ("10.0.0.2", "0.0.0.9"),
        ("10.0.0.2", "250.1.1.1"),
    ] {
        assert_eq!(
            p.process(&s, PortId(0), &mut from(src, dst), 0),
            Verdict::Drop(DropReason::Martian),
            "{src} -> {dst}: silently, no ICMP error"
        );
    }
    // A frame for another host's MAC is not routed.
    let mut other = on_port(
        udp("10.1.0.5", 64, 100, false),
        [0, 0x11, 0x22, 0x33, 0x44, 0x55],
    );
    assert_eq!(
        p.process(&s, PortId(0), &mut other, 0),
        Verdict::Drop(DropReason::OtherHost)
    );
    // rp-filter off: a source from nowhere passes.
    let spoofed = from("198.18.0.1", "10.1.0.5");
    assert!(matches!(
        p.process(&s, PortId(0), &mut spoofed.clone(), 0),
        Verdict::Forward(_)
    ));
    // Strict: the route back to 10.1.0.9 leaves by port 1, not port 0; none to 198.18/15;
    // the router's own address as a source never passes.
    s.rp_filter = RpFilter::Strict;
    for (src, why) in [
        ("10.1.0.9", "wrong interface"),
        ("198.18.0.1", "no route"),
        ("10.0.0.1", "our own address"),
    ] {
        assert_eq!(
            p.process(&s, PortId(0), &mut from(src, "10.9.0.5"), 0),
            Verdict::Drop(DropReason::RpFilter),
            "{why}"
        );
    }
    assert!(
        matches!(
            p.process(
                &s,
                PortId(1),
                &mut on_port(from("10.1.0.9", "10.9.0.5"), MAC1),
                0
            ),
            Verdict::Forward(_)
        ),
        "the right interface"
    );
    // Loose: any usable route back will do; still none for 198.18.0.1.
    s.rp_filter = RpFilter::Loose;
    assert!(matches!(
        p.process(&s, PortId(0), &mut from("10.1.0.9", "10.9.0.5"), 0),
        Verdict::Forward(_)
    ));
    assert_eq!(
        p.process(&s, PortId(0), &mut from("198.18.0.1", "10.9.0.5"), 0),
        Verdict::Drop(DropReason::RpFilter)
    );
    // In the burst path too, and looked up in the ingress port's VRF: VRF 1 has no
    // route to 10.9.0.0/16, so a source there fails even loose.
    let mut burst = [on_port(from("10.9.0.7", "10.1.0.5"), MAC2)];
    let mut v = [Verdict::Punt];
    p.process_burst(&s, PortId(2), &mut burst, &mut v, 0);
    assert_eq!(v[0], Verdict::Drop(DropReason::RpFilter));
}

#[test]
fn options_fragments_ttl_zero_jumbo_and_arp_floods() {
    let s = snapshot();
    let mut p = Pipeline::default();
    // IP options (header length 6): forwarded, the options untouched.
    let mut f = udp("10.1.0.5", 64, 104, false);
    f.splice(34..34, [1, 1, 1, 0]);
    f[14] = 0x46;
    f[16..18].copy_from_slice(&104u16.to_be_bytes());
    ipv4::Packet::new_checked(&mut f[14..])
        .unwrap()
        .fill_checksum();
    assert_eq!(
        p.process(&s, PortId(0), &mut f, 0),
        Verdict::Forward(PortId(1))
    );
    assert_eq!(&f[34..38], &[1, 1, 1, 0]);
    assert!(ipv4::Packet::new_checked(&f[14..])
        .unwrap()
        .verify_checksum());
    // A non-first fragment: forwarded like any packet (ports are not read).
    let mut f = udp("10.1.0.5", 64, 100, false);
    f[14 + 6..14 + 8].copy_from_slice(&0x0010u16.to_be_bytes());
    ipv4::Packet::new_checked(&mut f[14..])
        .unwrap()
        .fill_checksum();
    assert_eq!(
        p.process(&s, PortId(0), &mut f, 0),
        Verdict::Forward(PortId(1))
    );
    // TTL 0 is as expired as TTL 1.
    assert_eq!(
        p.process(&s, PortId(0), &mut udp("10.1.0.5", 0, 100, false), 0),
        Verdict::Reply(PortId(0), DropReason::TtlExpired)
    );
    // A 9,000-byte jumbo without DF to a 1,500 MTU leaves in fragments (the worker cuts
    // it: `fragment`); with DF it gets fragmentation needed.
    assert_eq!(
        p.process(&s, PortId(0), &mut udp("10.1.0.5", 64, 9000, false), 0),
        Verdict::Fragment(PortId(1), 1500)
    );
    assert_eq!(
        p.process(&s, PortId(0), &mut udp("10.1.0.5", 64, 9000, true), 0),
        Verdict::Reply(PortId(0), DropReason::FragNeeded)
    );
    // A runt: an IPv4 frame shorter than Ethernet + IPv4 headers.
    let mut runt = vec![0u8; 20];
    runt[0..6].copy_from_slice(&MAC0);
    runt[12..14].copy_from_slice(&[0x08, 0x00]);
    assert_eq!(
        p.process(&s, PortId(0), &mut runt, 0),
        Verdict::Drop(DropReason::Truncated)
    );
    // An ARP flood for the router's address: punted up to the limit, then dropped.
    let mut punted = 0;
    for i in 0..5_000u32 {
        let mut a = vec![0u8; 60];
        a[0..6].copy_from_slice(&[0xff; 6]);
        a[12..14].copy_from_slice(&[0x08, 0x06]);
        arp::Packet::emit(
            &mut a[14..42],
            arp::OP_REQUEST,
            ([2, 0, 0, 1, (i >> 8) as u8, i as u8], 0x0a00_1000 + i),
            ([0; 6], ip("10.0.0.1")),
        )
        .unwrap();
        match p.process(&s, PortId(0), &mut a, 1) {
            Verdict::Punt => punted += 1,
            Verdict::Drop(DropReason::PuntRateLimited) => {}
            v => panic!("{v:?}"),
        }
    }
    assert_eq!(
        punted, 1_000,
        "the burst allowance, then nothing at the same instant"
    );
    assert_eq!(
        p.drain_events().count(),
        MAX_EVENTS,
        "events are bounded too"
    );
}

#[test]
fn unresolved_neighbours_are_asked_for_once_per_interval() {
    let mut s = snapshot();
    let mut nhs = (*s.next_hops).clone();
    nhs.hops.push(NextHop::Glean {
        port: PortId(1),
        src: ip("10.1.0.1"),
        target: 0,
    });
    nhs.hops.push(NextHop::Glean {
        port: PortId(1),
        src: ip("10.1.0.1"),
        target: ip("10.1.0.254"),
    });
    s.next_hops = Arc::new(nhs);
    let mut main = FibBuilder::new();
    let pfx = |t: &str| t.parse::<Prefix4>().unwrap();
    main.insert(pfx("10.1.0.0/24"), NextHopId(5)).unwrap();
    main.insert(pfx("172.16.0.0/16"), NextHopId(6)).unwrap();
    let mut tables = s.tables.to_vec();
    tables[0] = Some(main.publish());
    s.tables = tables.into();
    let mut p = Pipeline::default();
    for t in [1, 2, 3] {
        assert_eq!(
            p.process(&s, PortId(0), &mut udp("10.1.0.5", 64, 60, false), t),
            Verdict::Drop(DropReason::Unresolved)
        );
    }
    assert_eq!(
        p.process(&s, PortId(0), &mut udp("172.16.3.4", 64, 60, false), 4),
        Verdict::Drop(DropReason::Unresolved)
    );
    let want = |ipa: &str| Event::Want {
        port: PortId(1),
        ip: ip(ipa),
        src: ip("10.1.0.1"),
    };
    assert_eq!(
        p.drain_events().collect::<Vec<_>>(),
        vec![want("10.1.0.5"), want("10.1.0.254")],
        "one request per neighbour; a gateway is asked for, not the destination"
    );
    p.process(
        &s,
        PortId(0),
        &mut udp("10.1.0.5", 64, 60, false),
        1 + WANT_INTERVAL_NS,
    );
    assert_eq!(p.drain_events().collect::<Vec<_>>(), vec![want("10.1.0.5")]);
}

#[test]
fn icmp_errors_from_the_ingress_address() {
    let s = snapshot();
    let mut p = Pipeline::default();
    let mut f = udp("10.1.0.5", 1, 100, false);
    assert_eq!(
        p.process(&s, PortId(0), &mut f, 0),
        Verdict::Reply(PortId(0), DropReason::TtlExpired)
    );
    assert_eq!(
        icmp_of(&f),
        (ip("10.0.0.1"), ip("10.0.0.2"), icmp::TIME_EXCEEDED, 0, 0)
    );
    assert_eq!(&f[0..6], &HOST_A, "back to the sender");
    assert_eq!(&f[6..12], &MAC0);
    // The quoted header is the original one.
    assert_eq!(
        &f[14 + 28 + 16..14 + 28 + 20],
        &ip("10.1.0.5").to_be_bytes()
    );

    let mut f = udp("11.1.1.1", 64, 100, false);
    assert_eq!(
        p.process(&s, PortId(0), &mut f, 0),
        Verdict::Reply(PortId(0), DropReason::NoRoute)
    );
    let (_, _, t, c, _) = icmp_of(&f);
    assert_eq!(
        (t, c),
        (icmp::DEST_UNREACHABLE, icmp::code::NET_UNREACHABLE)
    );

    let mut f = udp("10.9.1.1", 64, 1200, true);
    assert_eq!(
        p.process(&s, PortId(0), &mut f, 0),
        Verdict::Reply(PortId(0), DropReason::FragNeeded)
    );
    assert_eq!(
        icmp_of(&f),
        (
            ip("10.0.0.1"),
            ip("10.0.0.2"),
            icmp::DEST_UNREACHABLE,
            icmp::code::FRAG_NEEDED,
            1000
        )
    );

    let mut f = udp("198.51.100.1", 64, 100, false);
    assert_eq!(
        p.process(&s, PortId(0), &mut f, 0),
        Verdict::Reply(PortId(0), DropReason::Prohibited)
    );
    assert_eq!(icmp_of(&f).3, icmp::code::ADMIN_PROHIBITED);

    let mut f = udp("192.0.2.1", 64, 100, false);
    assert_eq!(
        p.process(&s, PortId(0), &mut f, 0),
        Verdict::Drop(DropReason::Blackhole)
    );
}

#[test]
fn vrfs_are_isolated_and_bad_packets_dropped_with_reasons() {
    let s = snapshot();
    let mut p = Pipeline::default();
    // Port 2 is in VRF 1, whose table has no route and no address to answer from.
    let mut to2 = udp("10.1.0.5", 64, 100, false);
    to2[0..6].copy_from_slice(&MAC2);
    assert_eq!(
        p.process(&s, PortId(2), &mut to2, 0),
        Verdict::Drop(DropReason::NoRoute)
    );
    let mut bad = udp("10.1.0.5", 64, 100, false);
    bad[14 + 10] ^= 0xff;
    assert_eq!(
        p.process(&s, PortId(0), &mut bad, 0),
        Verdict::Drop(DropReason::BadChecksum)
    );
    let mut v6 = udp("10.1.0.5", 64, 100, false);
    v6[12..14].copy_from_slice(&[0x86, 0xdd]);
    assert_eq!(
        p.process(&s, PortId(0), &mut v6, 0),
        Verdict::Drop(DropReason::UnknownEthertype)
    );
    assert_eq!(
        p.process(&s, PortId(0), &mut vec![0u8; 10], 0),
        Verdict::Drop(DropReason::Truncated)
    );
    let mut short = udp("10.1.0.5", 64, 100, false);
    short.truncate(60);
    assert_eq!(
        p.process(&s, PortId(0), &mut short, 0),
        Verdict::Drop(DropReason::Truncated)
    );
    let mut hl = udp("10.1.0.5", 64, 100, false);
    hl[14] = 0x44;
    assert_eq!(
        p.process(&s, PortId(0), &mut hl, 0),
        Verdict::Drop(DropReason::BadIpHeader)
    );
}

#[test]
fn no_error_about_an_error_and_errors_are_rate_limited() {
    let s = snapshot();
    let mut p = Pipeline::with_icmp_rate(10);
    let mut f = udp("10.1.0.5", 1, 100, false);
    p.process(&s, PortId(0), &mut f, 0);
    // The error itself, expiring in turn, gets no error back.
    let mut again = f.clone();
    again[0..6].copy_from_slice(&MAC0);
    again[14 + 8] = 1;
    again[14 + 16..14 + 20].copy_from_slice(&ip("10.1.0.5").to_be_bytes());
    ipv4::Packet::new_checked(&mut again[14..])
        .unwrap()
        .fill_checksum();
    assert_eq!(
        p.process(&s, PortId(0), &mut again, 0),
        Verdict::Drop(DropReason::TtlExpired)
    );
    let mut replies = 0;
    for _ in 0..100 {
        if let Verdict::Reply(..) = p.process(&s, PortId(0), &mut udp("10.1.0.5", 1, 100, false), 1)
        {
            replies += 1;
        }
    }
    assert!(replies < 20, "{replies} errors in a burst at 10/s");
    assert_eq!(
        p.process(&s, PortId(0), &mut udp("10.1.0.5", 1, 100, false), 2),
        Verdict::Drop(DropReason::IcmpRateLimited)
    );
    assert!(matches!(
        p.process(
            &s,
            PortId(0),
            &mut udp("10.1.0.5", 1, 100, false),
            2_000_000_000
        ),
        Verdict::Reply(..)
    ));
}
