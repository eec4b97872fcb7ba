use super::super::codec::{route_target, Rd};
use super::super::config::VpnEntry;
use super::*;
use crate::route::Imm;

fn p(s: &str) -> Prefix4 {
    s.parse().unwrap()
}

pub(crate) fn entry(
    table: u16,
    rd: &str,
    import: &[&str],
    export: &[&str],
    redistribute: &[Source],
) -> VpnEntry {
    VpnEntry {
        id: u32::from(table),
        name: format!("v{table}"),
        vrf: format!("vrf{table}"),
        table: TableId(table),
        rd: Rd::parse(rd),
        import: import.iter().filter_map(|r| route_target(r)).collect(),
        export: export.iter().filter_map(|r| route_target(r)).collect(),
        redistribute: redistribute.to_vec(),
        per_prefix: false,
    }
}

fn best(source: Source, port: u16, ip: u32) -> Best {
    Best {
        source,
        blackhole: false,
        imm: [Imm { port, ip }].into_iter().collect(),
        labels: Default::default(),
    }
}

/// The seed's two customers and a shared-services VRF: A and B export to S, S to both.
fn cfg() -> VpnConfig {
    let c = [Source::Connected, Source::Static];
    VpnConfig {
        entries: vec![
            entry(1, "1:1", &["65000:100"], &["65000:1"], &c),
            entry(2, "1:2", &["65000:100"], &["65000:2"], &c),
            entry(
                3,
                "1:3",
                &["65000:1", "65000:2"],
                &["65000:100"],
                &[Source::Connected],
            ),
        ],
    }
}

#[test]
fn route_targets_decide_where_a_vrfs_routes_go() {
    let c = cfg();
    assert_eq!(targets(&c, TableId(1)), vec![TableId(3)]);
    assert_eq!(targets(&c, TableId(3)), vec![TableId(1), TableId(2)]);
    // Its own export RT among its imports: never back into itself.
    let mut own = cfg();
    own.entries[0].import.push(route_target("65000:1").unwrap());
    assert_eq!(targets(&own, TableId(1)), vec![TableId(3)]);
    // No RD: the entry exports nothing (RouterOS keeps such an entry).
    let mut no_rd = cfg();
    no_rd.entries[0].rd = None;
    assert!(targets(&no_rd, TableId(1)).is_empty());
}

#[test]
fn a_connected_route_leaks_with_its_interface_in_the_source_vrf() {
    let c = cfg();
    let mut l = Leaks::default();
    let ch = l.event(
        &c,
        TableId(1),
        p("10.1.0.0/24"),
        Some(&best(Source::Connected, 4, 0)),
    );
    let [Change::Upsert(s)] = &ch[..] else {
        panic!("{ch:?}")
    };
    assert_eq!(
        (
            s.table,
            s.dst,
            s.source,
            s.distance,
            s.scope,
            s.target_scope
        ),
        (TableId(3), p("10.1.0.0/24"), Source::BgpVpn, 200, 40, 10)
    );
    assert_eq!(&s.gateways[..], &[Gateway::Port(4)]);
    // A static with a next hop: that next hop, on its port, resolved in the source VRF.
    let ch = l.event(
        &c,
        TableId(1),
        p("10.9.0.0/16"),
        Some(&best(Source::Static, 4, 0x0a01_0002)),
    );
    let [Change::Upsert(s)] = &ch[..] else {
        panic!("{ch:?}")
    };
    assert_eq!(
        &s.gateways[..],
        &[Gateway::Ip {
            ip: 0x0a01_0002,
            table: TableId(1),
            port: Some(4)
        }]
    );
    // The same again: nothing to do. Gone: withdrawn.
    assert!(l
        .event(
            &c,
            TableId(1),
            p("10.9.0.0/16"),
            Some(&best(Source::Static, 4, 0x0a01_0002))
        )
        .is_empty());
    let ch = l.event(&c, TableId(1), p("10.9.0.0/16"), None);
    assert_eq!(
        ch,
        vec![Change::Withdraw {
            table: TableId(3),
            dst: p("10.9.0.0/16")
        }]
    );
    assert_eq!(l.len(), 1);
}

#[test]
fn what_is_not_exported_does_not_leak() {
    let c = cfg();
    let mut l = Leaks::default();
    // S exports connected only: its static stays home.
    assert!(l
        .event(
            &c,
            TableId(3),
            p("10.3.9.0/24"),
            Some(&best(Source::Static, 1, 7))
        )
        .is_empty());
    // A route imported from a VPN is never exported again.
    assert!(l
        .event(
            &c,
            TableId(1),
            p("10.3.0.0/24"),
            Some(&best(Source::BgpVpn, 1, 0))
        )
        .is_empty());
    // A blackhole leaks nothing.
    let mut b = best(Source::Static, 1, 0);
    b.blackhole = true;
    b.imm.clear();
    assert!(l
        .event(&c, TableId(1), p("10.1.9.0/24"), Some(&b))
        .is_empty());
    // A route that stops being exported (connected replaced by OSPF) is withdrawn.
    l.event(
        &c,
        TableId(1),
        p("10.1.5.0/24"),
        Some(&best(Source::Connected, 4, 0)),
    );
    let ch = l.event(
        &c,
        TableId(1),
        p("10.1.5.0/24"),
        Some(&best(Source::Ospf, 4, 9)),
    );
    assert_eq!(
        ch,
        vec![Change::Withdraw {
            table: TableId(3),
            dst: p("10.1.5.0/24")
        }]
    );
    assert!(l.is_empty());
}

#[test]
fn one_prefix_from_two_vrfs_is_taken_from_the_first_and_falls_back() {
    let c = cfg();
    let mut l = Leaks::default();
    let dst = p("192.168.0.0/24");
    let ch2 = l.event(&c, TableId(2), dst, Some(&best(Source::Connected, 5, 0)));
    assert!(matches!(&ch2[..], [Change::Upsert(s)] if s.gateways[0] == Gateway::Port(5)));
    // VRF 1 offers it too: its table comes first.
    let ch1 = l.event(&c, TableId(1), dst, Some(&best(Source::Connected, 4, 0)));
    assert!(matches!(&ch1[..], [Change::Upsert(s)] if s.gateways[0] == Gateway::Port(4)));
    // VRF 1's goes: VRF 2's again, not a withdrawal.
    let ch = l.event(&c, TableId(1), dst, None);
    assert!(
        matches!(&ch[..], [Change::Upsert(s)] if s.gateways[0] == Gateway::Port(5)),
        "{ch:?}"
    );
    let ch = l.event(&c, TableId(2), dst, None);
    assert_eq!(
        ch,
        vec![Change::Withdraw {
            table: TableId(3),
            dst
        }]
    );
}
