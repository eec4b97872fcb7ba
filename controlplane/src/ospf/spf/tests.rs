//! SPF on small topologies, each with the routing table it must give.

use super::super::lsdb::Lsdb;
use super::super::packet::{Lsa, LsaBody, LsaKey, RouterLink, INITIAL_SEQ};
use super::*;

fn ip(s: &str) -> u32 {
    u32::from(s.parse::<std::net::Ipv4Addr>().unwrap())
}

fn p(s: &str) -> Prefix4 {
    s.parse().unwrap()
}

fn put(db: &mut Lsdb, kind: u8, id: u32, adv: u32, body: LsaBody) {
    db.install(
        Lsa::new(1, 2, LsaKey { kind, id, adv }, INITIAL_SEQ, body),
        0,
    );
}

fn router(db: &mut Lsdb, id: &str, flags: u8, links: &[(u8, &str, &str, u16)]) {
    let links = links
        .iter()
        .map(|&(kind, lid, data, metric)| RouterLink {
            id: ip(lid),
            data: ip(data),
            kind,
            metric,
        })
        .collect();
    put(
        db,
        lsa_type::ROUTER,
        ip(id),
        ip(id),
        LsaBody::Router { flags, links },
    );
}

fn hop(via: &str, gw: &str) -> NextHop {
    NextHop {
        via: ip(via),
        gw: if gw.is_empty() { 0 } else { ip(gw) },
    }
}

const T: u8 = link_type::TRANSIT;
const PTP: u8 = link_type::PTP;
const STUB: u8 = link_type::STUB;

/// R1 (us, 10.0.0.1), R2 (10.0.0.2, the DR, an ASBR and ABR) and R3 (10.0.0.3) on
/// 10.0.0.0/24; R3 has 192.168.3.0/24 behind it.
fn broadcast() -> Lsdb {
    let mut db = Lsdb::new();
    router(&mut db, "1.1.1.1", 0, &[(T, "10.0.0.2", "10.0.0.1", 10)]);
    router(&mut db, "2.2.2.2", 3, &[(T, "10.0.0.2", "10.0.0.2", 10)]);
    router(
        &mut db,
        "3.3.3.3",
        0,
        &[
            (T, "10.0.0.2", "10.0.0.3", 10),
            (STUB, "192.168.3.0", "255.255.255.0", 1),
        ],
    );
    let routers = vec![ip("1.1.1.1"), ip("2.2.2.2"), ip("3.3.3.3")];
    put(
        &mut db,
        lsa_type::NETWORK,
        ip("10.0.0.2"),
        ip("2.2.2.2"),
        LsaBody::Network {
            mask: ip("255.255.255.0"),
            routers,
        },
    );
    db
}

#[test]
fn a_broadcast_network_through_its_dr() {
    let r = area(&broadcast(), ip("1.1.1.1"), 0);
    let net = &r.routes[&p("10.0.0.0/24")];
    assert_eq!((net.kind, net.cost), (PathType::Intra, 10));
    assert_eq!(net.next_hops, [hop("10.0.0.1", "")].into_iter().collect());
    let stub = &r.routes[&p("192.168.3.0/24")];
    assert_eq!(stub.cost, 11);
    assert_eq!(
        stub.next_hops,
        [hop("10.0.0.1", "10.0.0.3")].into_iter().collect()
    );
    assert_eq!(r.routers[&ip("2.2.2.2")].0, 10);
    assert_eq!(r.routes.len(), 2);
}

/// A square of point-to-point links: R1 (us) to R2 and R3, both to R4, which has
/// 172.16.4.0/24.
fn square(r4_back_to_r3: bool) -> Lsdb {
    let mut db = Lsdb::new();
    router(
        &mut db,
        "1.1.1.1",
        0,
        &[
            (PTP, "2.2.2.2", "10.12.0.1", 10),
            (PTP, "3.3.3.3", "10.13.0.1", 10),
        ],
    );
    router(
        &mut db,
        "2.2.2.2",
        0,
        &[
            (PTP, "1.1.1.1", "10.12.0.2", 10),
            (PTP, "4.4.4.4", "10.24.0.2", 10),
            (STUB, "10.12.0.0", "255.255.255.252", 10),
        ],
    );
    router(
        &mut db,
        "3.3.3.3",
        0,
        &[
            (PTP, "1.1.1.1", "10.13.0.3", 10),
            (PTP, "4.4.4.4", "10.34.0.3", 10),
        ],
    );
    let mut r4 = vec![
        (PTP, "2.2.2.2", "10.24.0.4", 10),
        (STUB, "172.16.4.0", "255.255.255.0", 1),
    ];
    if r4_back_to_r3 {
        r4.push((PTP, "3.3.3.3", "10.34.0.4", 10));
    }
    router(&mut db, "4.4.4.4", 0, &r4);
    db
}

#[test]
fn equal_cost_paths_both_ways_round_a_square() {
    let r = area(&square(true), ip("1.1.1.1"), 0);
    let far = &r.routes[&p("172.16.4.0/24")];
    assert_eq!(far.cost, 21);
    assert_eq!(
        far.next_hops,
        [hop("10.12.0.1", "10.12.0.2"), hop("10.13.0.1", "10.13.0.3")]
            .into_iter()
            .collect()
    );
    assert_eq!(
        r.routes[&p("10.12.0.0/30")].cost,
        20,
        "R2's stub, through R2"
    );
}

#[test]
fn a_link_not_listed_back_is_not_used() {
    let r = area(&square(false), ip("1.1.1.1"), 0);
    let far = &r.routes[&p("172.16.4.0/24")];
    assert_eq!(
        far.next_hops,
        [hop("10.12.0.1", "10.12.0.2")].into_iter().collect()
    );
}

#[test]
fn summaries_and_externals_of_both_types_with_a_forwarding_address() {
    let mut db = broadcast();
    let ext = |mask: &str, type2, metric, fwd: &str| LsaBody::External {
        mask: ip(mask),
        type2,
        metric,
        forward: if fwd.is_empty() { 0 } else { ip(fwd) },
        tag: 0,
    };
    let r2 = ip("2.2.2.2");
    put(
        &mut db,
        lsa_type::EXTERNAL,
        ip("198.51.100.0"),
        r2,
        ext("255.255.255.0", true, 20, ""),
    );
    put(
        &mut db,
        lsa_type::EXTERNAL,
        ip("203.0.113.0"),
        r2,
        ext("255.255.255.0", false, 5, ""),
    );
    put(
        &mut db,
        lsa_type::EXTERNAL,
        ip("192.0.2.0"),
        r2,
        ext("255.255.255.0", true, 7, "10.0.0.3"),
    );
    put(
        &mut db,
        lsa_type::EXTERNAL,
        ip("192.0.3.0"),
        r2,
        ext("255.255.255.0", true, 7, "10.99.99.99"),
    );
    put(
        &mut db,
        lsa_type::SUMMARY,
        ip("10.99.0.0"),
        r2,
        LsaBody::Summary {
            mask: ip("255.255.0.0"),
            metric: 5,
        },
    );
    let me = ip("1.1.1.1");
    let a = area(&db, me, 0);
    let mut table = a.routes.clone();
    let mut asbrs = asbrs_of(&[&a]);
    inter_area(&db, me, 0, &a, &mut table, &mut asbrs);
    external(&db, lsa_type::EXTERNAL, 0, me, &asbrs, &mut table);
    let sum = &table[&p("10.99.0.0/16")];
    assert_eq!((sum.kind, sum.cost), (PathType::Inter, 15));
    let e2 = &table[&p("198.51.100.0/24")];
    assert_eq!((e2.kind, e2.cost, e2.internal), (PathType::Ext2, 20, 10));
    assert_eq!(
        e2.next_hops,
        [hop("10.0.0.1", "10.0.0.2")].into_iter().collect()
    );
    let e1 = &table[&p("203.0.113.0/24")];
    assert_eq!((e1.kind, e1.cost), (PathType::Ext1, 15));
    let fwd = &table[&p("192.0.2.0/24")];
    assert_eq!(
        fwd.next_hops,
        [hop("10.0.0.1", "10.0.0.3")].into_iter().collect()
    );
    // A forwarding address reached through the summary: its next hops (R2).
    let via_sum = &table[&p("192.0.3.0/24")];
    assert_eq!((via_sum.internal, via_sum.next_hops.len()), (15, 1));
}

#[test]
fn an_external_whose_asbr_is_unreachable_or_not_an_asbr_is_ignored() {
    let mut db = broadcast();
    let body = LsaBody::External {
        mask: ip("255.255.255.0"),
        type2: true,
        metric: 1,
        forward: 0,
        tag: 0,
    };
    put(
        &mut db,
        lsa_type::EXTERNAL,
        ip("198.18.0.0"),
        ip("3.3.3.3"),
        body.clone(),
    );
    put(
        &mut db,
        lsa_type::EXTERNAL,
        ip("198.19.0.0"),
        ip("9.9.9.9"),
        body,
    );
    let me = ip("1.1.1.1");
    let a = area(&db, me, 0);
    let mut table = a.routes.clone();
    external(&db, lsa_type::EXTERNAL, 0, me, &asbrs_of(&[&a]), &mut table);
    assert!(!table.contains_key(&p("198.18.0.0/24")), "R3 has no E bit");
    assert!(
        !table.contains_key(&p("198.19.0.0/24")),
        "9.9.9.9 is not reached"
    );
}

fn ext(type2: bool, metric: u32, fwd: &str) -> LsaBody {
    LsaBody::External {
        mask: ip("255.255.255.0"),
        type2,
        metric,
        forward: if fwd.is_empty() { 0 } else { ip(fwd) },
        tag: 0,
    }
}

#[test]
fn an_asbr_in_another_area_is_reached_through_an_asbr_summary() {
    // R2 (ABR) says ASBR 7.7.7.7 is 30 away; R3 (no B bit) says 8.8.8.8 is: ignored.
    let mut db = broadcast();
    let four = |metric| LsaBody::Summary { mask: 0, metric };
    put(
        &mut db,
        lsa_type::ASBR_SUMMARY,
        ip("7.7.7.7"),
        ip("2.2.2.2"),
        four(30),
    );
    put(
        &mut db,
        lsa_type::ASBR_SUMMARY,
        ip("8.8.8.8"),
        ip("3.3.3.3"),
        four(1),
    );
    let mut ext_db = Lsdb::new();
    put(
        &mut ext_db,
        lsa_type::EXTERNAL,
        ip("198.51.100.0"),
        ip("7.7.7.7"),
        ext(false, 5, ""),
    );
    put(
        &mut ext_db,
        lsa_type::EXTERNAL,
        ip("198.51.101.0"),
        ip("8.8.8.8"),
        ext(false, 5, ""),
    );
    let me = ip("1.1.1.1");
    let a = area(&db, me, 0);
    let mut table = a.routes.clone();
    let mut asbrs = asbrs_of(&[&a]);
    inter_area(&db, me, 0, &a, &mut table, &mut asbrs);
    assert_eq!(asbrs[&ip("7.7.7.7")].0, 40, "10 to R2, 30 beyond");
    assert!(!asbrs.contains_key(&ip("8.8.8.8")), "R3 is no ABR");
    external(&ext_db, lsa_type::EXTERNAL, 0, me, &asbrs, &mut table);
    let r = &table[&p("198.51.100.0/24")];
    assert_eq!((r.kind, r.cost), (PathType::Ext1, 45));
    assert!(!table.contains_key(&p("198.51.101.0/24")));
}

#[test]
fn nssa_routes_are_their_own_type_and_lose_ties_to_type_5() {
    // R2 (an ASBR in the NSSA) originates type 7 for two prefixes; one of them is also a
    // type-5 LSA of the same cost from elsewhere (R2 again, in the instance's externals).
    let mut db = broadcast();
    put(
        &mut db,
        lsa_type::NSSA,
        ip("203.0.113.0"),
        ip("2.2.2.2"),
        ext(true, 20, ""),
    );
    put(
        &mut db,
        lsa_type::NSSA,
        ip("192.0.2.0"),
        ip("2.2.2.2"),
        ext(false, 3, ""),
    );
    let mut ext_db = Lsdb::new();
    put(
        &mut ext_db,
        lsa_type::EXTERNAL,
        ip("203.0.113.0"),
        ip("2.2.2.2"),
        ext(true, 20, ""),
    );
    let me = ip("1.1.1.1");
    let a = area(&db, me, 7);
    let asbrs = asbrs_of(&[&a]);
    let mut table = a.routes.clone();
    external(&db, lsa_type::NSSA, 7, me, &asbrs, &mut table);
    let n1 = &table[&p("192.0.2.0/24")];
    assert_eq!((n1.kind, n1.cost, n1.area), (PathType::Nssa1, 13, 7));
    assert_eq!(table[&p("203.0.113.0/24")].kind, PathType::Nssa2);
    external(&ext_db, lsa_type::EXTERNAL, 0, me, &asbrs, &mut table);
    assert_eq!(
        table[&p("203.0.113.0/24")].kind,
        PathType::Ext2,
        "type 5 wins the tie"
    );
    // Type 1 beats type 2 whatever the LSA type.
    put(
        &mut ext_db,
        lsa_type::EXTERNAL,
        ip("192.0.2.0"),
        ip("2.2.2.2"),
        ext(true, 1, ""),
    );
    external(&ext_db, lsa_type::EXTERNAL, 0, me, &asbrs, &mut table);
    assert_eq!(table[&p("192.0.2.0/24")].kind, PathType::Nssa1);
}
