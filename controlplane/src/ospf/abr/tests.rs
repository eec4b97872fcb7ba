//! An ABR's summaries, step by step: areas of each kind, ranges, ASBRs, NSSA translation.

use super::super::area::{Range, Translator};
use super::super::packet::{Lsa, INITIAL_SEQ};
use super::super::spf::NextHop;
use super::*;
use std::collections::BTreeSet;

fn ip(s: &str) -> u32 {
    u32::from(s.parse::<std::net::Ipv4Addr>().unwrap())
}

fn p(s: &str) -> Prefix4 {
    s.parse().unwrap()
}

const ME: u32 = 0x0101_0101;

fn area(id: u32, kind: AreaKind, no_summaries: bool) -> AreaConfig {
    AreaConfig {
        kind,
        no_summaries,
        default_cost: 7,
        ..AreaConfig::normal(id)
    }
}

fn areas(list: Vec<AreaConfig>) -> BTreeMap<u32, AreaConfig> {
    list.into_iter().map(|a| (a.id, a)).collect()
}

fn route(kind: PathType, area: u32, cost: u32) -> Route {
    Route {
        kind,
        cost,
        internal: 0,
        next_hops: BTreeSet::new(),
        area,
    }
}

/// The summaries into `area`: (type, id, mask, metric), sorted.
fn into(out: &AbrOut, area: u32) -> Vec<(u8, u32, u32, u32)> {
    let mut v: Vec<_> = out
        .summaries
        .iter()
        .filter(|(a, _, _)| *a == area)
        .map(|(_, k, b)| match b {
            LsaBody::Summary { mask, metric } => (k.kind, k.id, *mask, *metric),
            _ => panic!("not a summary"),
        })
        .collect();
    v.sort();
    v
}

const S: u8 = lsa_type::SUMMARY;

#[test]
fn one_area_makes_no_summaries() {
    let a = areas(vec![area(0, AreaKind::Normal, false)]);
    let mut t = BTreeMap::new();
    t.insert(p("10.0.1.0/24"), route(PathType::Intra, 0, 10));
    assert_eq!(summaries(ME, &a, &t, &BTreeMap::new()), AbrOut::default());
}

#[test]
fn intra_area_networks_go_to_the_other_areas_and_inter_area_ones_out_of_the_backbone() {
    let a = areas(vec![
        area(0, AreaKind::Normal, false),
        area(1, AreaKind::Normal, false),
        area(2, AreaKind::Normal, false),
    ]);
    let mut t = BTreeMap::new();
    t.insert(p("10.0.1.0/24"), route(PathType::Intra, 0, 10));
    t.insert(p("10.1.1.0/24"), route(PathType::Intra, 1, 20));
    t.insert(p("10.9.0.0/16"), route(PathType::Inter, 0, 30));
    t.insert(p("198.51.100.0/24"), route(PathType::Ext2, 0, 20));
    t.insert(p("10.7.0.0/16"), route(PathType::Intra, 2, LS_INFINITY));
    let out = summaries(ME, &a, &t, &BTreeMap::new());
    let m24 = ip("255.255.255.0");
    let m16 = ip("255.255.0.0");
    assert_eq!(into(&out, 0), vec![(S, ip("10.1.1.0"), m24, 20)]);
    assert_eq!(
        into(&out, 1),
        vec![(S, ip("10.0.1.0"), m24, 10), (S, ip("10.9.0.0"), m16, 30)]
    );
    assert_eq!(
        into(&out, 2),
        vec![
            (S, ip("10.0.1.0"), m24, 10),
            (S, ip("10.1.1.0"), m24, 20),
            (S, ip("10.9.0.0"), m16, 30)
        ]
    );
    assert!(out.active_ranges.is_empty());
    assert!(out.summaries.iter().all(|(_, k, _)| k.adv == ME));
}

#[test]
fn a_range_summarizes_at_the_largest_cost_or_hides() {
    let mut one = area(1, AreaKind::Normal, false);
    one.ranges = vec![
        Range {
            prefix: p("10.1.0.0/16"),
            advertise: true,
            cost: None,
        },
        Range {
            prefix: p("10.2.0.0/16"),
            advertise: false,
            cost: None,
        },
        Range {
            prefix: p("10.3.0.0/16"),
            advertise: true,
            cost: Some(99),
        },
        Range {
            prefix: p("10.4.0.0/16"),
            advertise: true,
            cost: None,
        },
    ];
    let a = areas(vec![area(0, AreaKind::Normal, false), one]);
    let mut t = BTreeMap::new();
    t.insert(p("10.1.1.0/24"), route(PathType::Intra, 1, 10));
    t.insert(p("10.1.2.0/24"), route(PathType::Intra, 1, 30));
    t.insert(p("10.2.1.0/24"), route(PathType::Intra, 1, 5));
    t.insert(p("10.3.1.0/24"), route(PathType::Intra, 1, 5));
    // In area 0: area 1's range does not apply to it.
    t.insert(p("10.1.9.0/24"), route(PathType::Intra, 0, 1));
    let out = summaries(ME, &a, &t, &BTreeMap::new());
    let m16 = ip("255.255.0.0");
    assert_eq!(
        into(&out, 0),
        vec![(S, ip("10.1.0.0"), m16, 30), (S, ip("10.3.0.0"), m16, 99)]
    );
    assert_eq!(
        into(&out, 1),
        vec![(S, ip("10.1.9.0"), ip("255.255.255.0"), 1)]
    );
    // Active: covering a network (10.4.0.0/16 covers none).
    assert_eq!(
        out.active_ranges,
        vec![
            (1, p("10.1.0.0/16")),
            (1, p("10.2.0.0/16")),
            (1, p("10.3.0.0/16"))
        ]
    );
}

#[test]
fn stub_areas_and_nssas_get_the_default_as_their_kind_says() {
    let a = areas(vec![
        area(0, AreaKind::Normal, false),
        area(1, AreaKind::Stub, false),
        area(2, AreaKind::Stub, true),
        area(3, AreaKind::Nssa, false),
        area(4, AreaKind::Nssa, true),
    ]);
    let mut t = BTreeMap::new();
    t.insert(p("10.0.1.0/24"), route(PathType::Intra, 0, 10));
    let out = summaries(ME, &a, &t, &BTreeMap::new());
    let net = (S, ip("10.0.1.0"), ip("255.255.255.0"), 10);
    let default = (S, 0, 0, 7);
    assert_eq!(into(&out, 1), vec![default, net]);
    assert_eq!(
        into(&out, 2),
        vec![default],
        "no-summaries: the default only"
    );
    assert_eq!(
        into(&out, 3),
        vec![net],
        "an NSSA with summaries: no default"
    );
    assert_eq!(into(&out, 4), vec![default]);
}

#[test]
fn asbr_summaries_go_into_normal_areas_only() {
    let a = areas(vec![
        area(0, AreaKind::Normal, false),
        area(1, AreaKind::Normal, false),
        area(2, AreaKind::Stub, false),
        area(3, AreaKind::Nssa, false),
    ]);
    let mut asbrs = BTreeMap::new();
    asbrs.insert(ip("9.9.9.9"), (1, 15));
    let out = summaries(ME, &a, &BTreeMap::new(), &asbrs);
    let four = (lsa_type::ASBR_SUMMARY, ip("9.9.9.9"), 0, 15);
    assert_eq!(into(&out, 0), vec![four]);
    assert!(into(&out, 1).is_empty(), "not back into its own area");
    assert_eq!(into(&out, 2), vec![(S, 0, 0, 7)]);
    assert!(into(&out, 3).is_empty());
}

#[test]
fn networks_sharing_an_address_get_distinct_ids() {
    let a = areas(vec![
        area(0, AreaKind::Normal, false),
        area(1, AreaKind::Normal, false),
    ]);
    let mut t = BTreeMap::new();
    t.insert(p("10.0.0.0/8"), route(PathType::Intra, 1, 1));
    t.insert(p("10.0.0.0/16"), route(PathType::Intra, 1, 2));
    let out = summaries(ME, &a, &t, &BTreeMap::new());
    assert_eq!(
        into(&out, 0),
        vec![
            (S, ip("10.0.0.0"), ip("255.0.0.0"), 1),
            (S, ip("10.0.255.255"), ip("255.255.0.0"), 2)
        ]
    );
}

fn nssa_db() -> (Lsdb, AreaResult) {
    let mut db = Lsdb::new();
    let seven = |id: &str, adv: &str, p_bit: bool, fwd: &str| {
        let key = LsaKey {
            kind: lsa_type::NSSA,
            id: ip(id),
            adv: ip(adv),
        };
        let body = LsaBody::External {
            mask: ip("255.255.255.0"),
            type2: true,
            metric: 20,
            forward: ip(fwd),
            tag: 0,
        };
        let opts = if p_bit { options::NP } else { 0 };
        Lsa::new(1, opts, key, INITIAL_SEQ, body)
    };
    db.install(seven("192.0.2.0", "2.2.2.2", true, "10.1.0.2"), 0);
    db.install(seven("192.0.3.0", "2.2.2.2", false, "10.1.0.2"), 0);
    db.install(seven("192.0.4.0", "2.2.2.2", true, "0.0.0.0"), 0);
    db.install(seven("192.0.5.0", "6.6.6.6", true, "10.1.0.6"), 0);
    let mut res = AreaResult::default();
    let hops: BTreeSet<NextHop> = BTreeSet::new();
    res.routers.insert(ip("2.2.2.2"), (10, hops, 2));
    (db, res)
}

#[test]
fn type_7_lsas_with_the_p_bit_and_a_forwarding_address_are_translated() {
    let (db, res) = nssa_db();
    let out = translate(ME, &db, &res);
    let keys: Vec<u32> = out.keys().map(|k| k.id).collect();
    assert_eq!(
        keys,
        vec![ip("192.0.2.0")],
        "P bit, forwarding address, reachable"
    );
    let (k, body) = out.iter().next().unwrap();
    assert_eq!((k.kind, k.adv), (lsa_type::EXTERNAL, ME));
    assert!(
        matches!(body, LsaBody::External { forward, metric: 20, type2: true, .. } if *forward == ip("10.1.0.2"))
    );
}

#[test]
fn the_translator_is_the_abr_with_the_highest_router_id_unless_told() {
    let (_, mut res) = nssa_db();
    let mut nssa = area(1, AreaKind::Nssa, false);
    assert!(translates(ME, &nssa, 2, &res), "2.2.2.2 is no ABR");
    assert!(!translates(ME, &nssa, 1, &res), "we are no ABR");
    res.routers.insert(ip("3.3.3.3"), (5, BTreeSet::new(), 1));
    assert!(
        !translates(ME, &nssa, 2, &res),
        "3.3.3.3 is an ABR above us"
    );
    nssa.translator = Translator::Always;
    assert!(translates(ME, &nssa, 2, &res));
    nssa.translator = Translator::Never;
    res.routers.clear();
    assert!(!translates(ME, &nssa, 2, &res));
    assert!(!translates(ME, &area(1, AreaKind::Normal, false), 2, &res));
}
