use super::*;
use crate::route::{Gateway, Source};
use crate::system::neighbor::Neighbors;
use shared::adj::Resolved;

fn plan(n: u16, script: &str) -> Plan {
    plan_from_config(script, n)
        .unwrap_or_else(|e| panic!("{e}"))
        .0
}

fn ip(s: &str) -> u32 {
    u32::from(s.parse::<std::net::Ipv4Addr>().unwrap())
}

fn resolve<'a>(snap: &'a Snapshot, port: u16, dst: &str) -> Option<Resolved<'a>> {
    let nh = snap.lookup(snap.ingress_table(PortId(port)), ip(dst))?;
    Some(snap.next_hops.resolve(nh, 0))
}

const TWO_VRFS: &str = "\
/ip vrf add name=cust-a interfaces=ether1,ether2
/ip vrf add name=cust-b interfaces=ether3,ether4
/ip address add address=192.168.1.1/24 interface=ether1
/ip address add address=10.1.1.1/24 interface=ether2
/ip address add address=192.168.1.1/24 interface=ether3
/ip address add address=10.1.1.1/24 interface=ether4
/ip address add address=10.0.0.1/24 interface=ether5
";

#[test]
fn a_configuration_change_keeps_the_protocols_routes() {
    let mut b = Builder::new();
    b.apply_plan(plan(
        1,
        "/ip address add address=10.0.0.1/24 interface=ether1",
    ));
    let o = Origin::Protocol {
        source: Source::Bgp,
        instance: 0,
        table: TableId::MAIN,
        dst: "172.16.0.0/16".parse().unwrap(),
    };
    b.add_route(
        o,
        RouteSpec {
            table: TableId::MAIN,
            dst: "172.16.0.0/16".parse().unwrap(),
            source: Source::Bgp,
            distance: 20,
            scope: 40,
            target_scope: 10,
            gateways: smallvec::smallvec![Gateway::Ip {
                ip: ip("10.0.0.2"),
                table: TableId::MAIN,
                port: None,
            }],
            blackhole: false,
            labels: Default::default(),
        },
    );
    b.commit();
    b.apply_plan(plan(
        1,
        "/ip address add address=10.0.0.1/24 interface=ether1\n/ip route add gateway=10.0.0.3",
    ));
    let id = b.route_of(o).expect("still there");
    assert!(b.rib().state(id).unwrap().active);
}

#[test]
fn overlapping_networks_stay_in_their_vrfs() {
    let plan = plan(5, TWO_VRFS);
    assert_eq!(plan.vrfs, vec!["main", "cust-a", "cust-b"]);
    assert_eq!(plan.ports[0].vrf, VrfId(1));
    assert_eq!(plan.ports[2].vrf, VrfId(2));
    assert_eq!(plan.ports[4].vrf, VrfId::MAIN);
    let mut n = Neighbors::default();
    n.heard(
        Key {
            port: 0,
            ip: ip("192.168.1.2"),
        },
        [2, 0, 0, 0, 0xaa, 1],
        true,
        1,
    );
    let snap = build(&plan, n.usable().collect());
    // From ether2 (cust-a) the host on ether1 is known; from ether4 (cust-b) the same
    // address is a neighbour of ether3 still to be resolved.
    match resolve(&snap, 1, "192.168.1.2") {
        Some(Resolved::Forward(a)) => {
            assert_eq!(a.port, PortId(0));
            assert_eq!(a.dst_mac, [2, 0, 0, 0, 0xaa, 1]);
            assert_eq!(a.src_mac, [2, 0, 0, 0, 0, 1]);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        resolve(&snap, 3, "192.168.1.2"),
        Some(Resolved::Glean {
            port: PortId(2),
            src: ip("192.168.1.1"),
            target: 0
        })
    );
    // The router's addresses are local in their own VRF only.
    assert_eq!(resolve(&snap, 0, "10.1.1.1"), Some(Resolved::Local));
    assert_eq!(resolve(&snap, 0, "10.0.0.1"), None, "main's address");
    assert_eq!(resolve(&snap, 4, "10.1.1.1"), None);
    assert_eq!(resolve(&snap, 4, "10.0.0.255"), Some(Resolved::Local));
    assert_eq!(snap.port(PortId(2)).unwrap().ipv4, Some(ip("192.168.1.1")));
}

#[test]
fn static_routes_by_gateway_form_and_distance() {
    let plan = plan(
        5,
        &format!(
            "{TWO_VRFS}\
/ip route add dst-address=172.16.0.0/16 gateway=10.0.0.9
/ip route add dst-address=172.16.0.0/16 gateway=10.0.0.8 distance=5
/ip route add dst-address=172.17.0.0/16 gateway=10.1.1.7%ether2
/ip route add dst-address=172.18.0.0/16 gateway=10.1.1.7@cust-b routing-table=cust-b
/ip route add dst-address=172.19.0.0/16 gateway=ether1
/ip route add dst-address=172.20.0.0/16 blackhole
/ip route add dst-address=172.21.0.0/16 gateway=10.99.0.1
/ip route add dst-address=172.22.0.0/16 gateway=10.0.0.9 disabled=yes
"
        ),
    );
    let mut n = Neighbors::default();
    let mac = [2, 0, 0, 0, 0xbb, 9];
    n.heard(
        Key {
            port: 4,
            ip: ip("10.0.0.9"),
        },
        mac,
        true,
        1,
    );
    let snap = build(&plan, n.usable().collect());
    let fwd = |port, dst| match resolve(&snap, port, dst) {
        Some(Resolved::Forward(a)) => Some((a.port.0, a.dst_mac)),
        _ => None,
    };
    assert_eq!(fwd(4, "172.16.1.1"), Some((4, mac)), "distance 1 wins");
    assert_eq!(
        resolve(&snap, 4, "172.17.1.1"),
        Some(Resolved::Glean {
            port: PortId(1),
            src: ip("10.1.1.1"),
            target: ip("10.1.1.7")
        })
    );
    assert_eq!(
        resolve(&snap, 2, "172.18.1.1"),
        Some(Resolved::Glean {
            port: PortId(3),
            src: ip("10.1.1.1"),
            target: ip("10.1.1.7")
        })
    );
    assert!(matches!(
        resolve(&snap, 4, "172.19.0.5"),
        Some(Resolved::Glean {
            port: PortId(0),
            target: 0,
            ..
        })
    ));
    assert_eq!(resolve(&snap, 4, "172.20.0.1"), Some(Resolved::Blackhole));
    assert_eq!(
        resolve(&snap, 4, "172.21.0.1"),
        None,
        "unresolvable gateway"
    );
    assert_eq!(resolve(&snap, 4, "172.22.0.1"), None, "disabled route");
    assert!(plan.on_link(0, ip("172.19.0.5")));
    assert!(!plan.on_link(0, ip("172.21.0.5")));
}

#[test]
fn next_hops_no_entry_uses_are_freed() {
    let mut script = String::from("/ip address add address=10.0.0.1/24 interface=ether1\n");
    for i in 0..50 {
        script.push_str(&format!(
            "/ip route add dst-address=172.16.{i}.0/24 gateway=10.0.0.{}\n",
            i + 2
        ));
    }
    let mut b = Builder::new();
    b.apply_plan(plan(1, &script));
    let macs = |k: u8| -> HashMap<Key, [u8; 6]> {
        (0..50u32)
            .map(|i| {
                (
                    Key {
                        port: 0,
                        ip: 0x0a00_0002 + i,
                    },
                    [2, 0, 0, k, 0, i as u8],
                )
            })
            .collect()
    };
    b.set_neighbors(macs(1));
    let (hops, adjs) = b.next_hops_in_use();
    assert_eq!(adjs, 50, "one adjacency per neighbour");
    assert!(hops >= 50, "{hops}");
    // Every neighbour moves to a new MAC, ten times: the old adjacencies go.
    for k in 2..12 {
        b.set_neighbors(macs(k));
        let _ = b.snapshot();
    }
    assert_eq!(b.next_hops_in_use(), (hops, adjs));
    // The routes go: only what the connected network and the router's address use stays.
    b.apply_plan(plan(
        1,
        "/ip address add address=10.0.0.1/24 interface=ether1",
    ));
    b.set_neighbors(HashMap::new());
    let (hops, adjs) = b.next_hops_in_use();
    assert!(
        hops <= 3 && adjs == 0,
        "{hops} next hops, {adjs} adjacencies left"
    );
    let snap = b.snapshot();
    assert!(snap.next_hops.hops.len() <= 60, "ids are reused");
}

#[test]
fn disabled_ports_and_addresses_connect_nothing() {
    let plan = plan(
        2,
        "/ip address add address=10.0.0.1/24 interface=ether1\n\
         /ip address add address=10.0.1.1/24 interface=ether2 disabled=yes\n\
         /interface ethernet set ether1 disabled=yes mtu=1400 name=wan\n",
    );
    assert_eq!(plan.ports[0].name, "wan");
    assert_eq!(plan.ports[0].mtu, 1400);
    assert!(!plan.ports[0].enabled);
    assert!(plan.ports[1].addrs.is_empty());
    let snap = build(&plan, HashMap::new());
    assert_eq!(resolve(&snap, 1, "10.0.0.5"), None);
    assert_eq!(resolve(&snap, 1, "10.0.1.5"), None);
}

#[test]
fn a_vpn_route_pushes_its_label_under_the_transport_label_or_is_not_used() {
    let mut b = Builder::new();
    b.apply_plan(plan(
        2,
        "/ip vrf add name=cust interfaces=ether2\n\
         /ip address add address=10.0.0.1/24 interface=ether1\n\
         /ip address add address=192.168.1.1/24 interface=ether2\n\
         /ip route add dst-address=10.255.0.2/32 gateway=10.0.0.2\n",
    ));
    let cust = b.plan().vrf_table[1];
    let dst: Prefix4 = "192.168.2.0/24".parse().unwrap();
    let vpn_label = shared::types::Label::try_from(500).unwrap();
    b.add_route(
        Origin::Protocol {
            source: Source::BgpVpn,
            instance: 1,
            table: cust,
            dst,
        },
        RouteSpec {
            table: cust,
            dst,
            source: Source::BgpVpn,
            distance: 200,
            scope: 40,
            target_scope: 30,
            gateways: smallvec::smallvec![Gateway::Ip {
                ip: ip("10.255.0.2"),
                table: TableId::MAIN,
                port: None,
            }],
            blackhole: false,
            labels: LabelStack::new(&[vpn_label]).unwrap(),
        },
    );
    b.commit();
    let mac = [2, 0, 0, 0, 0xcc, 2];
    b.set_neighbors(
        [(
            Key {
                port: 0,
                ip: ip("10.0.0.2"),
            },
            mac,
        )]
        .into_iter()
        .collect(),
    );
    let pushed = |b: &mut Builder| -> Option<Vec<u32>> {
        let snap = b.snapshot();
        match resolve(&snap, 1, "192.168.2.7")? {
            Resolved::Forward(a) => {
                assert_eq!((a.port, a.dst_mac), (PortId(0), mac));
                Some(a.push.labels().map(|l| l.get()).collect())
            }
            other => panic!("{other:?}"),
        }
    };
    assert_eq!(pushed(&mut b), None, "no labelled path to the remote PE");
    let lo: Prefix4 = "10.255.0.2/32".parse().unwrap();
    b.set_ftn(TableId::MAIN, lo, Some((ip("10.0.0.2"), 40)));
    assert_eq!(
        pushed(&mut b),
        Some(vec![40, 500]),
        "transport over VPN label"
    );
    b.set_ftn(TableId::MAIN, lo, Some((ip("10.0.0.2"), 3)));
    assert_eq!(
        pushed(&mut b),
        Some(vec![500]),
        "adjacent PEs: implicit null"
    );
    b.set_ftn(TableId::MAIN, lo, Some((ip("10.0.0.9"), 41)));
    assert_eq!(pushed(&mut b), None, "a label towards another neighbour");
    b.set_ftn(TableId::MAIN, lo, None);
    assert_eq!(pushed(&mut b), None);
}
