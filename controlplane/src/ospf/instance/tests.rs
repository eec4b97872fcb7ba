//! Conformance tests in holo's manner: an instance is fed datagrams (IP header first, as the
//! raw socket gives them) and each step checks what it sent (a capturing socket) and the
//! state it is in (neighbours, databases, retransmission lists, drop counters). Its RIB is
//! a real RIB thread.

use super::*;
use crate::ospf::area::{AreaConfig, AreaKind};
use crate::ospf::packet::{
    dd_flags, link_type, lsa_type, options, Dd, Hello, Lsa, LsaBody, RouterLink, INITIAL_SEQ,
    MAX_AGE,
};
use shared::types::TableId;

fn ip(s: &str) -> u32 {
    u32::from(s.parse::<std::net::Ipv4Addr>().unwrap())
}

const ME: u32 = 0x0101_0101;
const NBR: u32 = 0x0202_0202;
const OTHER: u32 = 0x0303_0303;

/// A RIB thread for two ports.
fn rib() -> RibHandle {
    crate::system::rib_service::tests::for_config(
        "/ip address add address=10.0.1.1/24 interface=ether1\n\
        /ip address add address=10.0.2.1/30 interface=ether2",
        2,
    )
}

fn iface(port: u16, addr: &str, len: u8, ptp: bool) -> IfConfig {
    IfConfig {
        port,
        name: format!("ether{}", port + 1),
        addr: (ip(addr), len),
        mtu: 1500,
        area: 0,
        area_name: String::new(),
        ptp,
        cost: 10,
        priority: 1,
        hello: 10,
        dead: 40,
        rxmt: 5,
        passive: false,
        auth: IfAuth::None,
    }
}

fn instance(interfaces: Vec<IfConfig>, kind: AreaKind) -> Instance {
    let mut areas = BTreeMap::new();
    areas.insert(
        0,
        AreaConfig {
            kind,
            ..AreaConfig::normal(0)
        },
    );
    let cfg = InstanceConfig {
        id: 1,
        name: "t".into(),
        vrf: "main".into(),
        vrf_id: 0,
        table: TableId(0),
        vrf_table: TableId(0),
        router_id: ME,
        redistribute: Vec::new(),
        originate_default: "never".into(),
        interfaces,
        areas,
    };
    let view = Arc::new(Mutex::new(View::default()));
    Instance::new(cfg, Socket::capture(), rib(), view)
}

/// A datagram from `src` to `dst` as the raw socket gives it: an IP header, then `p`.
fn datagram(src: u32, dst: u32, p: &Packet) -> Vec<u8> {
    let body = p.encode(&[]);
    let mut d = vec![0x45, 0xc0, 0, 0, 0, 0, 0, 0, 1, 89, 0, 0];
    d[2..4].copy_from_slice(&((20 + body.len()) as u16).to_be_bytes());
    d.extend_from_slice(&src.to_be_bytes());
    d.extend_from_slice(&dst.to_be_bytes());
    d.extend_from_slice(&body);
    d
}

fn packet(from: u32, area: u32, body: Body) -> Packet {
    let kind = body.kind();
    Packet {
        header: Header {
            kind,
            router_id: from,
            area,
            auth: Auth::None,
        },
        body,
    }
}

fn hello(mask: &str, interval: u16, opts: u8, neighbors: Vec<u32>) -> Body {
    Body::Hello(Hello {
        mask: ip(mask),
        hello_interval: interval,
        options: opts,
        priority: 1,
        dead_interval: 40,
        dr: 0,
        bdr: 0,
        neighbors,
    })
}

/// What the instance sent since last asked: (destination, our address, packet).
fn sent(inst: &Instance) -> Vec<(u32, u32, Packet)> {
    inst.sock
        .take_sent()
        .into_iter()
        .map(|(dst, via, b)| (dst, via, packet::decode(&b).expect("we send what decodes")))
        .collect()
}

fn drops(inst: &Instance, why: &str) -> u64 {
    inst.dropped.get(why).copied().unwrap_or(0)
}

#[test]
fn hellos_that_do_not_match_are_dropped_and_counted() {
    let mut inst = instance(vec![iface(0, "10.0.1.1", 24, false)], AreaKind::Normal);
    let from = ip("10.0.1.2");
    let mask = "255.255.255.0";
    let steps: Vec<(Vec<u8>, &str)> = vec![
        (
            datagram(
                from,
                ALL_SPF,
                &packet(NBR, 0, hello(mask, 5, options::E, vec![])),
            ),
            "hello-mismatch",
        ),
        (
            datagram(
                from,
                ALL_SPF,
                &packet(NBR, 0, hello("255.255.0.0", 10, options::E, vec![])),
            ),
            "hello-mismatch",
        ),
        (
            datagram(from, ALL_SPF, &packet(NBR, 0, hello(mask, 10, 0, vec![]))),
            "area-type-mismatch",
        ),
        (
            datagram(
                from,
                ALL_SPF,
                &packet(NBR, 1, hello(mask, 10, options::E, vec![])),
            ),
            "wrong-area",
        ),
        (
            datagram(
                from,
                ALL_SPF,
                &packet(ME, 0, hello(mask, 10, options::E, vec![])),
            ),
            "our-router-id",
        ),
        (
            datagram(
                ip("192.0.2.9"),
                ALL_SPF,
                &packet(NBR, 0, hello(mask, 10, options::E, vec![])),
            ),
            "stranger",
        ),
        (
            datagram(
                from,
                ALL_D,
                &packet(NBR, 0, hello(mask, 10, options::E, vec![])),
            ),
            "not-dr",
        ),
    ];
    for (i, (d, why)) in steps.iter().enumerate() {
        let before = drops(&inst, why);
        inst.received(d);
        assert_eq!(drops(&inst, why), before + 1, "step {i}: dropped as {why}");
        assert!(inst.ifaces[0].nbrs.is_empty(), "step {i}: no neighbour");
        assert!(sent(&inst).is_empty(), "step {i}: nothing answered");
    }
    // A checksum broken in transit.
    let mut d = datagram(
        from,
        ALL_SPF,
        &packet(NBR, 0, hello(mask, 10, options::E, vec![])),
    );
    let last = d.len() - 1;
    d[last] ^= 1;
    inst.received(&d);
    assert_eq!(drops(&inst, "bad-checksum"), 1);
    assert!(inst.ifaces[0].nbrs.is_empty());
}

const ALL_SPF: u32 = packet::ALL_SPF_ROUTERS;
const ALL_D: u32 = packet::ALL_D_ROUTERS;

#[test]
fn a_hello_makes_a_neighbour_heard_then_two_way_on_a_broadcast_network() {
    let mut inst = instance(vec![iface(0, "10.0.1.1", 24, false)], AreaKind::Normal);
    let from = ip("10.0.1.2");
    let h = |n| {
        datagram(
            from,
            ALL_SPF,
            &packet(NBR, 0, hello("255.255.255.0", 10, options::E, n)),
        )
    };
    inst.received(&h(vec![]));
    assert_eq!(inst.ifaces[0].nbrs[&NBR].state, neighbor::State::Init);
    inst.send_hello(0);
    let out = sent(&inst);
    assert_eq!(out.len(), 1);
    let (dst, via, p) = &out[0];
    assert_eq!((*dst, *via), (ALL_SPF, ip("10.0.1.1")));
    let Body::Hello(ours) = &p.body else {
        panic!("a Hello")
    };
    assert_eq!(
        ours.neighbors,
        vec![NBR],
        "our Hello lists the router heard"
    );
    assert_eq!(ours.options & options::E, options::E);
    // It lists us: 2-Way. Both waiting, no DR yet: no adjacency, no DD.
    inst.received(&h(vec![ME]));
    assert_eq!(inst.ifaces[0].nbrs[&NBR].state, neighbor::State::TwoWay);
    assert!(sent(&inst)
        .iter()
        .all(|(_, _, p)| !matches!(p.body, Body::Dd(_))));
}

#[test]
fn on_a_point_to_point_link_two_way_starts_the_exchange() {
    let mut inst = instance(vec![iface(1, "10.0.2.1", 30, true)], AreaKind::Normal);
    let h = datagram(
        ip("10.0.2.2"),
        ALL_SPF,
        &packet(NBR, 0, hello("0.0.0.0", 10, options::E, vec![ME])),
    );
    inst.received(&h);
    assert_eq!(inst.ifaces[0].nbrs[&NBR].state, neighbor::State::ExStart);
    let out = sent(&inst);
    let dd = out
        .iter()
        .find_map(|(dst, _, p)| match &p.body {
            Body::Dd(d) => Some((*dst, d.clone())),
            _ => None,
        })
        .expect("a DD");
    assert_eq!(dd.0, ALL_SPF, "point-to-point: to AllSPFRouters");
    assert_eq!(dd.1.flags, dd_flags::I | dd_flags::M | dd_flags::MS);
    assert_eq!((dd.1.mtu, dd.1.options), (1500, options::E));
    assert!(dd.1.headers.is_empty());
    // A DD announcing a larger MTU than ours is dropped: ExStart holds (§10.6).
    let big = Dd {
        mtu: 9000,
        options: options::E,
        flags: dd_flags::I | dd_flags::M | dd_flags::MS,
        seq: 7,
        headers: Vec::new(),
    };
    inst.received(&datagram(
        ip("10.0.2.2"),
        ALL_SPF,
        &packet(NBR, 0, Body::Dd(big)),
    ));
    assert_eq!(drops(&inst, "mtu-mismatch"), 1);
    assert_eq!(inst.ifaces[0].nbrs[&NBR].state, neighbor::State::ExStart);
}

/// An instance with two point-to-point links, a Full neighbour on each: A (NBR) on the
/// first, B (OTHER) on the second.
fn two_links(kind: AreaKind) -> Instance {
    let mut inst = instance(
        vec![
            iface(0, "10.0.1.1", 30, true),
            iface(1, "10.0.2.1", 30, true),
        ],
        kind,
    );
    for (i, id, addr) in [(0, NBR, "10.0.1.2"), (1, OTHER, "10.0.2.2")] {
        let mut n = Nbr::new(id, ip(addr));
        n.state = neighbor::State::Full;
        n.dead_at = 1_000;
        inst.ifaces[i].nbrs.insert(id, n);
    }
    inst.sock.take_sent();
    inst
}

fn router_lsa(adv: u32, seq: i32, age: u16) -> Lsa {
    let key = LsaKey {
        kind: lsa_type::ROUTER,
        id: adv,
        adv,
    };
    let links = vec![RouterLink {
        id: ip("192.0.2.0"),
        data: ip("255.255.255.0"),
        kind: link_type::STUB,
        metric: 1,
    }];
    Lsa::new(
        age,
        options::E,
        key,
        seq,
        LsaBody::Router { flags: 0, links },
    )
}

fn lsu_from_a(inst: &mut Instance, lsas: Vec<Lsa>) {
    let p = packet(NBR, 0, Body::Lsu(lsas));
    inst.received(&datagram(ip("10.0.1.2"), ALL_SPF, &p));
}

#[test]
fn a_new_lsa_is_installed_flooded_on_and_acknowledged_late() {
    let mut inst = two_links(AreaKind::Normal);
    let lsa = router_lsa(ip("9.9.9.9"), INITIAL_SEQ, 1);
    let key = lsa.header.key;
    lsu_from_a(&mut inst, vec![lsa.clone()]);
    assert!(inst.areas[&0].get(&key).is_some(), "installed");
    let out = sent(&inst);
    assert_eq!(out.len(), 1, "flooded once: out of the other link only");
    let (dst, via, p) = &out[0];
    assert_eq!((*dst, *via), (ALL_SPF, ip("10.0.2.1")));
    assert!(matches!(&p.body, Body::Lsu(l) if l.len() == 1 && l[0].header.key == key));
    assert!(inst.ifaces[1].nbrs[&OTHER].retransmit.contains_key(&key));
    assert!(!inst.ifaces[0].nbrs[&NBR].retransmit.contains_key(&key));
    assert_eq!(inst.ifaces[0].acks.len(), 1, "a delayed acknowledgment");
    assert!(inst.spf_due);
    // The delayed acknowledgment goes out with the next second.
    inst.flush_acks(0);
    let out = sent(&inst);
    assert!(
        matches!(&out[..], [(d, v, p)] if *d == ALL_SPF && *v == ip("10.0.1.1")
        && matches!(&p.body, Body::Ack(h) if h[0].key == key))
    );
    // B acknowledges: off its retransmission list.
    let ack = packet(OTHER, 0, Body::Ack(vec![lsa.header]));
    inst.received(&datagram(ip("10.0.2.2"), ALL_SPF, &ack));
    assert!(inst.ifaces[1].nbrs[&OTHER].retransmit.is_empty());
}

#[test]
fn duplicates_older_instances_and_unknown_maxage_lsas() {
    let mut inst = two_links(AreaKind::Normal);
    let newer = router_lsa(ip("9.9.9.9"), INITIAL_SEQ + 5, 1);
    lsu_from_a(&mut inst, vec![newer.clone()]);
    sent(&inst);
    inst.ifaces[0].acks.clear();
    // The same instance again: a duplicate, acknowledged directly.
    lsu_from_a(&mut inst, vec![newer.clone()]);
    let out = sent(&inst);
    assert!(
        matches!(&out[..], [(_, v, p)] if *v == ip("10.0.1.1") && matches!(p.body, Body::Ack(_))),
        "a direct acknowledgment, nothing flooded: {out:?}"
    );
    // An older instance: ours goes back to the sender.
    lsu_from_a(
        &mut inst,
        vec![router_lsa(ip("9.9.9.9"), INITIAL_SEQ + 1, 1)],
    );
    let out = sent(&inst);
    assert!(
        matches!(&out[..], [(_, v, p)] if *v == ip("10.0.1.1")
            && matches!(&p.body, Body::Lsu(l) if l[0].header.seq == INITIAL_SEQ + 5)),
        "our newer instance sent back: {out:?}"
    );
    // A MaxAge LSA we have no instance of: acknowledged directly, not kept, not flooded.
    let gone = router_lsa(ip("8.8.8.8"), INITIAL_SEQ, MAX_AGE);
    lsu_from_a(&mut inst, vec![gone.clone()]);
    let out = sent(&inst);
    assert!(matches!(&out[..], [(_, _, p)] if matches!(p.body, Body::Ack(_))));
    assert!(inst.areas[&0].get(&gone.header.key).is_none());
}

#[test]
fn a_stub_area_refuses_as_external_lsas() {
    let mut inst = two_links(AreaKind::Stub);
    let key = LsaKey {
        kind: lsa_type::EXTERNAL,
        id: ip("198.51.100.0"),
        adv: ip("9.9.9.9"),
    };
    let body = LsaBody::External {
        mask: ip("255.255.255.0"),
        type2: true,
        metric: 20,
        forward: 0,
        tag: 0,
    };
    lsu_from_a(
        &mut inst,
        vec![Lsa::new(1, options::E, key, INITIAL_SEQ, body)],
    );
    assert_eq!(drops(&inst, "lsa-type-not-in-area"), 1);
    assert!(inst.externals.get(&key).is_none());
    assert!(sent(&inst).is_empty());
    // And its Hellos carry no E bit.
    inst.send_hello(0);
    assert!(
        matches!(&sent(&inst)[..], [(_, _, p)] if matches!(&p.body, Body::Hello(h) if h.options & options::E == 0))
    );
}

/// B acknowledges `h` (an instance of an LSA) on the second link.
fn ack_from_b(inst: &mut Instance, h: LsaHeader) {
    let p = packet(OTHER, 0, Body::Ack(vec![h]));
    inst.received(&datagram(ip("10.0.2.2"), ALL_SPF, &p));
}

#[test]
fn a_flushed_lsa_of_ours_stays_until_acknowledged_and_its_successor_waits() {
    let mut inst = two_links(AreaKind::Normal);
    inst.originate_all();
    let key = LsaKey {
        kind: lsa_type::ROUTER,
        id: ME,
        adv: ME,
    };
    let live = inst.areas[&0].get(&key).expect("our router-LSA").lsa.header;
    for i in 0..2 {
        for n in inst.ifaces[i].nbrs.values_mut() {
            n.retransmit.clear();
        }
    }
    sent(&inst);
    // Flushed at 10 s: MaxAge, out of both links, on both retransmission lists.
    inst.now = 10;
    inst.flush_ours();
    let out = sent(&inst);
    let maxage = |p: &Packet| matches!(&p.body, Body::Lsu(l) if l[0].header.age == MAX_AGE);
    assert_eq!(
        out.iter().filter(|(_, _, p)| maxage(p)).count(),
        2,
        "{out:?}"
    );
    assert!(inst.flushing());
    // Unacknowledged, it stays in the database (§14), and goes out again when asked.
    inst.now = 11;
    inst.age();
    assert_eq!(inst.areas[&0].get(&key).map(|e| e.age(11)), Some(MAX_AGE));
    inst.resend_flushed();
    assert_eq!(sent(&inst).iter().filter(|(_, _, p)| maxage(p)).count(), 2);
    // A acknowledges the flush; B only the live instance it had: not this one (§13.7).
    let gone = LsaHeader {
        age: MAX_AGE,
        ..live
    };
    let p = packet(NBR, 0, Body::Ack(vec![gone]));
    inst.received(&datagram(ip("10.0.1.2"), ALL_SPF, &p));
    ack_from_b(&mut inst, live);
    assert!(inst.flushing(), "B has not acknowledged the flush");
    inst.age();
    assert!(inst.areas[&0].get(&key).is_some());
    ack_from_b(&mut inst, gone);
    assert!(!inst.flushing());
    inst.age();
    assert!(
        inst.areas[&0].get(&key).is_none(),
        "acknowledged by all: gone"
    );
    // A flush is an origination: the next instance waits MinLSInterval (5 s) after it.
    inst.now = 12;
    inst.originate_all();
    assert!(inst.areas[&0].get(&key).is_none() && inst.reoriginate);
    inst.now = 15;
    inst.originate_all();
    assert!(inst.areas[&0].get(&key).is_some_and(|e| e.age(15) == 0));
}

#[test]
fn a_maxage_lsa_asked_for_in_the_exchange_is_taken_in() {
    let mut inst = two_links(AreaKind::Normal);
    let gone = router_lsa(ip("8.8.8.8"), INITIAL_SEQ, MAX_AGE);
    let key = gone.header.key;
    let n = inst.ifaces[0].nbrs.get_mut(&NBR).unwrap();
    n.state = neighbor::State::Loading;
    n.requests.insert(key, gone.header);
    lsu_from_a(&mut inst, vec![gone]);
    assert!(
        inst.ifaces[0].nbrs[&NBR].requests.is_empty(),
        "the request is answered"
    );
    assert_eq!(inst.ifaces[0].nbrs[&NBR].state, neighbor::State::Full);
    assert!(
        inst.areas[&0].get(&key).is_some(),
        "kept until it can be removed"
    );
}

#[test]
fn an_lsa_flooded_by_one_neighbour_answers_the_request_to_another_on_the_same_segment() {
    // DR-other on a segment: A is still loading and owes us K, B (the DR) floods K.
    let mut inst = instance(vec![iface(0, "10.0.1.1", 24, false)], AreaKind::Normal);
    inst.ifaces[0].state = IfState::DrOther;
    inst.ifaces[0].dr = ip("10.0.1.3");
    let lsa = router_lsa(ip("9.9.9.9"), INITIAL_SEQ + 1, 1);
    let key = lsa.header.key;
    for (id, addr) in [(NBR, "10.0.1.2"), (OTHER, "10.0.1.3")] {
        let mut n = Nbr::new(id, ip(addr));
        n.state = neighbor::State::Full;
        n.dead_at = 1_000;
        inst.ifaces[0].nbrs.insert(id, n);
    }
    let a = inst.ifaces[0].nbrs.get_mut(&NBR).unwrap();
    a.state = neighbor::State::Loading;
    a.requests.insert(key, lsa.header);
    let p = packet(OTHER, 0, Body::Lsu(vec![lsa]));
    inst.received(&datagram(ip("10.0.1.3"), ALL_SPF, &p));
    let a = &inst.ifaces[0].nbrs[&NBR];
    assert!(a.requests.is_empty(), "answered by B's flood");
    assert_eq!(a.state, neighbor::State::Full);
    assert!(
        a.retransmit.is_empty(),
        "A asked for this very instance: it has it"
    );
}
