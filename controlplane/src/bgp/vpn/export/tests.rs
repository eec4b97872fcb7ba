use super::*;
use crate::bgp::vpn::leak::tests::entry;

fn p(s: &str) -> Prefix4 {
    s.parse().unwrap()
}

fn pool() -> LabelPool {
    let r = shared::lfib::LabelRange::new(100, 199).unwrap();
    Arc::new(std::sync::Mutex::new(shared::lfib::LabelAllocator::new(r)))
}

fn connected() -> Option<Candidate> {
    Some(Candidate {
        source: Source::Connected,
        gateway: 0,
        attrs: None,
    })
}

fn rd(s: &str) -> Rd {
    Rd::parse(s).unwrap()
}

/// Label bindings as the RIB service takes them.
type Bindings = Vec<(u32, Option<LabelWant>)>;

/// One step: what changed and the label bindings made.
fn step(x: &mut Exports) -> (Vec<(Rd, Prefix4)>, Bindings) {
    x.flush();
    (x.take_changed(), x.take_lfib())
}

#[test]
fn a_vrf_exports_the_sources_it_names_under_one_label() {
    let mut x = Exports::default();
    let e = entry(1, "65000:1", &[], &["65000:1"], &[Source::Connected]);
    x.configure(vec![e], pool());
    let (changed, lfib) = step(&mut x);
    assert!(changed.is_empty());
    assert_eq!(lfib, vec![(100, Some(LabelWant::PopLookup(TableId(1))))]);
    x.heard(TableId(1), p("192.168.1.0/24"), connected());
    let stat = Candidate {
        source: Source::Static,
        gateway: 0x0a00_0002,
        attrs: None,
    };
    x.heard(TableId(1), p("172.16.0.0/16"), Some(stat));
    x.heard(TableId(2), p("10.9.0.0/16"), connected());
    let (changed, lfib) = step(&mut x);
    assert_eq!(changed, vec![(rd("65000:1"), p("192.168.1.0/24"))]);
    assert!(lfib.is_empty());
    let r = x.get(&changed[0]).unwrap();
    assert_eq!(
        (r.table, r.label, r.source),
        (TableId(1), 100, Source::Connected)
    );
    assert_eq!(
        &*r.rts,
        &[crate::bgp::vpn::codec::route_target("65000:1").unwrap()]
    );
    // Imported and leaked routes are never exported again; a route that goes is withdrawn.
    let vpn = Candidate {
        source: Source::BgpVpn,
        gateway: 0,
        attrs: None,
    };
    x.heard(TableId(1), p("192.168.1.0/24"), Some(vpn));
    let (changed, _) = step(&mut x);
    assert_eq!(changed, vec![(rd("65000:1"), p("192.168.1.0/24"))]);
    assert!(x.is_empty());
}

#[test]
fn per_prefix_labels_are_one_per_route_and_go_back_to_the_pool() {
    let mut x = Exports::default();
    let mut e = entry(
        1,
        "1.1.1.1:5",
        &[],
        &["65000:1"],
        &[Source::Static, Source::Bgp],
    );
    e.per_prefix = true;
    let pool = pool();
    x.configure(vec![e], pool.clone());
    let (_, lfib) = step(&mut x);
    assert!(lfib.is_empty(), "no per-VRF label");
    let via = |gateway| {
        Some(Candidate {
            source: Source::Static,
            gateway,
            attrs: None,
        })
    };
    x.heard(TableId(1), p("172.16.0.0/16"), via(0x0a00_0002));
    x.bgp_best(
        TableId(1),
        p("172.17.0.0/16"),
        Some((0x0a00_0003, Arc::default())),
    );
    let (changed, lfib) = step(&mut x);
    assert_eq!(changed.len(), 2);
    let lookup = Some(LabelWant::PopLookup(TableId(1)));
    assert_eq!(lfib, vec![(100, lookup), (101, lookup)]);
    let b = x.bindings();
    assert_eq!(
        b[0],
        (100, TableId(1), Some(p("172.16.0.0/16")), Some(0x0a00_0002))
    );
    // The gateway moves: the same label, nothing to bind again.
    x.heard(TableId(1), p("172.16.0.0/16"), via(0x0a00_0009));
    let (changed, lfib) = step(&mut x);
    assert!(changed.is_empty(), "the VPN route itself is the same");
    assert!(lfib.is_empty());
    assert_eq!(x.bindings()[0].3, Some(0x0a00_0009));
    // The route goes: its label is unbound and given back.
    x.heard(TableId(1), p("172.16.0.0/16"), None);
    let (changed, lfib) = step(&mut x);
    assert_eq!(changed, vec![(rd("1.1.1.1:5"), p("172.16.0.0/16"))]);
    assert_eq!(lfib, vec![(100, None)]);
    assert_eq!(crate::lock(&pool).allocate().map(Label::get), Ok(100));
}

#[test]
fn a_configuration_change_exports_everything_again_and_no_rd_exports_nothing() {
    let mut x = Exports::default();
    let e = entry(1, "65000:1", &[], &["65000:1"], &[Source::Connected]);
    let pool = pool();
    x.configure(vec![e.clone()], pool.clone());
    x.heard(TableId(1), p("192.168.1.0/24"), connected());
    step(&mut x);
    assert_eq!(x.len(), 1);
    let mut other = e.clone();
    other.rd = Rd::parse("65000:2");
    x.configure(vec![other], pool.clone());
    let (changed, lfib) = step(&mut x);
    assert_eq!(
        changed,
        vec![
            (rd("65000:1"), p("192.168.1.0/24")),
            (rd("65000:2"), p("192.168.1.0/24"))
        ]
    );
    assert_eq!(lfib[0], (100, None));
    assert_eq!(x.len(), 1);
    let mut none = e;
    none.rd = None;
    x.configure(vec![none], pool);
    let (changed, _) = step(&mut x);
    assert_eq!(changed, vec![(rd("65000:2"), p("192.168.1.0/24"))]);
    assert!(x.is_empty());
}
