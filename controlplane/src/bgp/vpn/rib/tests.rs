use super::*;
use crate::bgp::vpn::codec::route_target;

fn p(s: &str) -> Prefix4 {
    s.parse().unwrap()
}

fn route(rd: &str, prefix: &str, label: u32) -> Labelled {
    Labelled {
        labels: vec![label],
        rd: Rd::parse(rd),
        prefix: p(prefix),
    }
}

fn attrs(nh: u32, local_pref: u32, rts: &[&str]) -> PathAttrs {
    PathAttrs {
        next_hop: nh,
        local_pref,
        path_len: 0,
        ext_communities: rts.iter().filter_map(|r| route_target(r)).collect(),
        full: Default::default(),
    }
}

/// cust-one (table 1) imports 1.1.1.1:111; cust-two (table 2) imports 2.2.2.2:222 and
/// 1.1.1.1:111.
fn rib() -> VpnRib {
    let mut r = VpnRib::default();
    r.set_imports(vec![
        (TableId(1), vec![route_target("1.1.1.1:111").unwrap()]),
        (
            TableId(2),
            vec![
                route_target("2.2.2.2:222").unwrap(),
                route_target("1.1.1.1:111").unwrap(),
            ],
        ),
    ]);
    r
}

/// The changes a flush makes.
fn flushed(r: &mut VpnRib) -> Vec<Change> {
    let mut out = Vec::new();
    r.flush(&mut out);
    out
}

fn upserts(out: &[Change]) -> Vec<(u16, Prefix4, u32)> {
    out.iter()
        .filter_map(|c| match c {
            Change::Upsert(s) => {
                let Gateway::Ip { ip, .. } = s.gateways[0] else {
                    return None;
                };
                Some((s.table.0, s.dst, ip))
            }
            Change::Withdraw { .. } => None,
        })
        .collect()
}

#[test]
fn a_route_goes_into_every_vrf_whose_import_rts_it_carries() {
    let mut r = rib();
    r.announce(
        7,
        &[route("1.1.1.1:111", "10.3.3.0/24", 100)],
        &attrs(0x0a05_0503, 100, &["1.1.1.1:111"]),
    );
    let out = flushed(&mut r);
    assert_eq!(
        upserts(&out),
        vec![
            (1, p("10.3.3.0/24"), 0x0a05_0503),
            (2, p("10.3.3.0/24"), 0x0a05_0503)
        ]
    );
    let Change::Upsert(s) = &out[0] else { panic!() };
    assert_eq!(
        (s.source, s.distance, s.target_scope),
        (Source::BgpVpn, 200, 30)
    );
    assert_eq!(
        s.labels,
        LabelStack::new(&[Label::try_from(100).unwrap()]).unwrap()
    );
    assert!(matches!(
        s.gateways[0],
        Gateway::Ip {
            table: TableId(0),
            port: None,
            ..
        }
    ));
    // Only cust-two's RT: cust-one loses it.
    r.announce(
        7,
        &[route("1.1.1.1:111", "10.3.3.0/24", 100)],
        &attrs(0x0a05_0503, 100, &["2.2.2.2:222"]),
    );
    let out = flushed(&mut r);
    assert_eq!(
        out,
        vec![Change::Withdraw {
            table: TableId(1),
            dst: p("10.3.3.0/24")
        }]
    );
    // An RT nobody imports: nowhere. Withdrawn: gone everywhere.
    r.announce(
        7,
        &[route("9:9", "10.9.0.0/16", 5)],
        &attrs(1, 100, &["9:9"]),
    );
    r.withdraw(7, &[route("1.1.1.1:111", "10.3.3.0/24", 0)]);
    let out = flushed(&mut r);
    assert_eq!(
        out,
        vec![Change::Withdraw {
            table: TableId(2),
            dst: p("10.3.3.0/24")
        }]
    );
    assert_eq!(r.len(), 1);
}

#[test]
fn the_best_path_wins_and_a_peer_going_takes_its_paths() {
    let mut r = rib();
    let rt = ["1.1.1.1:111"];
    r.announce(1, &[route("1:1", "10.0.0.0/8", 16)], &attrs(11, 100, &rt));
    r.announce(2, &[route("1:1", "10.0.0.0/8", 17)], &attrs(22, 200, &rt));
    let out = flushed(&mut r);
    assert_eq!(
        upserts(&out),
        vec![(1, p("10.0.0.0/8"), 22), (2, p("10.0.0.0/8"), 22)],
        "local-pref 200"
    );
    r.peer_down(2);
    let out = flushed(&mut r);
    assert_eq!(
        upserts(&out),
        vec![(1, p("10.0.0.0/8"), 11), (2, p("10.0.0.0/8"), 11)]
    );
    assert_eq!(r.received(1), 1);
    assert_eq!(r.received(2), 0);
}

#[test]
fn one_prefix_under_two_rds_comes_from_the_lowest_and_imports_follow_the_configuration() {
    let mut r = rib();
    let rt = ["1.1.1.1:111"];
    r.announce(1, &[route("2:2", "10.0.0.0/8", 16)], &attrs(22, 100, &rt));
    r.announce(1, &[route("1:1", "10.0.0.0/8", 17)], &attrs(11, 100, &rt));
    let out = flushed(&mut r);
    assert_eq!(
        upserts(&out),
        vec![(1, p("10.0.0.0/8"), 11), (2, p("10.0.0.0/8"), 11)],
        "one change per table, the lowest RD's"
    );
    // cust-one no longer imports anything: its routes go.
    r.set_imports(vec![(
        TableId(2),
        vec![route_target("1.1.1.1:111").unwrap()],
    )]);
    let out = flushed(&mut r);
    assert_eq!(
        out,
        vec![Change::Withdraw {
            table: TableId(1),
            dst: p("10.0.0.0/8")
        }]
    );
}
