use super::*;
use crate::bgp::config::{DefaultOriginate, NextHopChoice, Role};
use crate::bgp::packet::{seg, Segment};
use bytes::Bytes;
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver};

fn cfg(name: &str, role: Role) -> Arc<PeerConfig> {
    Arc::new(PeerConfig {
        name: name.into(),
        remote: std::net::Ipv4Addr::UNSPECIFIED,
        remote_port: 179,
        remote_as: None,
        local_address: None,
        local_port: 179,
        role,
        local_as: 65000,
        router_id: 0x0a00_0001,
        hold_time: 180,
        keepalive: None,
        multihop: false,
        nexthop_choice: NextHopChoice::Default,
        vrf: "main".into(),
        vrf_id: 0,
        table: TableId::MAIN,
        connect: true,
        listen: true,
        md5: None,
        ipv4: true,
        vpnv4: false,
        redistribute: vec!["connected".into()],
        default_originate: DefaultOriginate::Never,
        allow_as: 0,
        limit_v4: None,
        ignore_as_path_len: false,
        keep_sent: true,
        default_prepend: 0,
        remove_private_as: false,
        as_override: false,
        no_c2c_reflection: false,
        network: Some("BGP_OUT".into()),
    })
}

struct Peer {
    rx: UnboundedReceiver<Bytes>,
}

impl Peer {
    /// Every UPDATE sent so far, decoded.
    fn updates(&mut self) -> Vec<Update> {
        let mut out = Vec::new();
        while let Ok(m) = self.rx.try_recv() {
            assert_eq!(m[18], packet::msg::UPDATE);
            let ctx = packet::Ctx {
                as4: true,
                ebgp: false,
            };
            out.push(packet::decode_update(&m[packet::HEADER_LEN..], ctx).unwrap());
        }
        out
    }
}

fn up(inst: &mut Instance, id: PeerId, role: Role, remote_as: u32, addr: u32) -> Peer {
    up_with(inst, id, role, remote_as, addr, false)
}

fn up_with(
    inst: &mut Instance,
    id: PeerId,
    role: Role,
    remote_as: u32,
    addr: u32,
    vpnv4: bool,
) -> Peer {
    let (tx, rx) = unbounded_channel();
    let tx = super::super::peer::Writer::new(tx, tokio::sync::mpsc::channel(1).0);
    inst.peer_up(PeerInfo {
        id,
        cfg: cfg(&format!("p{id}"), role),
        remote_as,
        remote_id: addr,
        local_addr: 0x0a00_0001,
        remote_addr: addr,
        as4: true,
        vpnv4,
        tx,
    });
    Peer { rx }
}

fn p(s: &str) -> Prefix4 {
    s.parse().unwrap()
}

fn route(path: &[u32], nh: u32, f: impl FnOnce(&mut Attrs)) -> Update {
    let mut attrs = Attrs {
        origin: Some(0),
        as_path: vec![Segment {
            kind: seg::SEQUENCE,
            asns: path.to_vec(),
        }],
        next_hop: Some(nh),
        ..Attrs::default()
    };
    f(&mut attrs);
    Update {
        nlri: vec![p("172.16.0.0/16")],
        attrs,
        ..Update::default()
    }
}

/// The route installed last for 172.16.0.0/16 in main, by the changes sent to the RIB.
fn gateway(b: &[Change]) -> Option<(u32, u8)> {
    let dst = p("172.16.0.0/16");
    let s = b.iter().rev().find_map(|c| match c {
        Change::Upsert(s) if s.dst == dst && s.table == TableId::MAIN => Some(Some(s)),
        Change::Withdraw { table, dst: d } if *d == dst && *table == TableId::MAIN => Some(None),
        _ => None,
    })??;
    match s.gateways[0] {
        Gateway::Ip { ip, .. } => Some((ip, s.distance)),
        Gateway::Port(_) => None,
    }
}

#[test]
fn best_path_in_routeros_order() {
    let mut i = Instance::new();
    let mut b = Vec::<Change>::new();
    let _a = up(&mut i, 1, Role::Ebgp, 65001, 0x0a00_0101);
    let _e = up(&mut i, 2, Role::Ebgp, 65002, 0x0a00_0102);
    let _c = up(&mut i, 3, Role::Ibgp, 65000, 0x0a00_0103);
    // Shorter AS path wins.
    i.update(1, route(&[65001, 1, 2], 0x0a00_0101, |_| {}));
    i.update(2, route(&[65002, 3], 0x0a00_0102, |_| {}));
    i.flush(&mut b);
    assert_eq!(gateway(&b), Some((0x0a00_0102, 20)));
    // A higher LOCAL_PREF (iBGP) beats the shorter path; installed with distance 200.
    i.update(
        3,
        route(&[65009, 7, 8, 9], 0x0a00_0903, |a| a.local_pref = Some(200)),
    );
    i.flush(&mut b);
    assert_eq!(gateway(&b), Some((0x0a00_0903, 200)));
    // LOCAL_PREF back to the default: the path length decides again.
    i.update(
        3,
        route(&[65009, 7, 8, 9], 0x0a00_0903, |a| a.local_pref = Some(100)),
    );
    i.flush(&mut b);
    assert_eq!(gateway(&b), Some((0x0a00_0102, 20)));
    // Equal length: lower ORIGIN wins.
    i.update(1, route(&[65001, 5], 0x0a00_0101, |_| {}));
    i.update(2, route(&[65002, 3], 0x0a00_0102, |a| a.origin = Some(2)));
    i.flush(&mut b);
    assert_eq!(gateway(&b), Some((0x0a00_0101, 20)));
    // MEDs of different neighbour ASes are not compared; the lower router id decides.
    i.update(2, route(&[65002, 3], 0x0a00_0102, |a| a.med = Some(0)));
    i.update(1, route(&[65001, 5], 0x0a00_0101, |a| a.med = Some(50)));
    i.flush(&mut b);
    assert_eq!(gateway(&b), Some((0x0a00_0101, 20)));
    // eBGP over iBGP when all else is equal.
    i.update(3, route(&[65001, 5], 0x0a00_0903, |a| a.med = Some(50)));
    i.flush(&mut b);
    assert_eq!(i.best_peer(TableId::MAIN, p("172.16.0.0/16")), Some(1));
    // Withdrawn by all: gone from the RIB.
    for id in 1..=3 {
        i.update(
            id,
            Update {
                withdrawn: vec![p("172.16.0.0/16")],
                ..Update::default()
            },
        );
    }
    i.flush(&mut b);
    assert_eq!(gateway(&b), None);
}

#[test]
fn best_path_does_not_depend_on_arrival_order() {
    // MED counts only within a neighbour AS, so comparing pairwise is not transitive:
    // P1 (AS 65100, MED 20, id .1) loses to P2 (AS 65100, MED 10, id .3) on MED, P2
    // loses to P3 (AS 65200, id .2) on router id, P3 loses to P1 on router id. The
    // RFC's elimination: P1 goes (P2's MED), then P3 beats P2. Every order agrees.
    let paths = [
        (1, 65100, 0x0a00_0101, 20),
        (2, 65100, 0x0a00_0103, 10),
        (3, 65200, 0x0a00_0102, 0),
    ];
    let orders = [
        [0, 1, 2],
        [0, 2, 1],
        [1, 0, 2],
        [1, 2, 0],
        [2, 0, 1],
        [2, 1, 0],
    ];
    for order in orders {
        let mut i = Instance::new();
        let mut peers = Vec::new();
        for &(id, asn, addr, _) in &paths {
            peers.push(up(&mut i, id, Role::Ebgp, asn, addr));
        }
        for k in order {
            let (id, asn, addr, med) = paths[k];
            i.update(id, route(&[asn, 7], addr, |a| a.med = Some(med)));
            let mut b = Vec::new();
            i.flush(&mut b);
        }
        assert_eq!(
            i.best_peer(TableId::MAIN, p("172.16.0.0/16")),
            Some(3),
            "arrival order {order:?}"
        );
    }
}

#[test]
fn loops_and_unusable_next_hops_are_not_installed() {
    let mut i = Instance::new();
    let mut b = Vec::<Change>::new();
    let _a = up(&mut i, 1, Role::Ebgp, 65001, 0x0a00_0101);
    i.update(1, route(&[65001, 65000, 3], 0x0a00_0101, |_| {}));
    i.flush(&mut b);
    assert_eq!(gateway(&b), None, "our own AS in the path");
    i.update(1, route(&[65001], 0x0a00_0001, |_| {}));
    i.flush(&mut b);
    assert_eq!(gateway(&b), None, "our own address as the next hop");
    i.update(1, route(&[65001], 0x7f00_0001, |_| {}));
    i.flush(&mut b);
    assert_eq!(gateway(&b), None, "a loopback next hop");
    assert_eq!(i.received(1), 0);
}

#[test]
fn what_peers_are_sent() {
    let mut i = Instance::new();
    let mut b = Vec::<Change>::new();
    let mut e1 = up(&mut i, 1, Role::Ebgp, 65001, 0x0a00_0101);
    let mut e2 = up(&mut i, 2, Role::Ebgp, 65002, 0x0a00_0102);
    let mut i3 = up(&mut i, 3, Role::Ibgp, 65000, 0x0a00_0103);
    let mut i4 = up(&mut i, 4, Role::Ibgp, 65000, 0x0a00_0104);
    i.flush(&mut b);
    // Each got End-of-RIB and nothing else.
    for peer in [&mut e1, &mut e2, &mut i3, &mut i4] {
        let u = peer.updates();
        assert_eq!(u.len(), 1);
        assert!(u[0].is_eor());
    }
    i.update(
        1,
        route(&[65001, 7], 0x0a00_0101, |a| {
            a.med = Some(5);
            a.communities = vec![0xfde9_0001];
        }),
    );
    i.flush(&mut b);
    assert!(e1.updates().is_empty(), "not back to where it came from");
    // eBGP: our AS prepended, next hop self, no MED or LOCAL_PREF, communities kept.
    let u = e2.updates();
    assert_eq!(u.len(), 1);
    assert_eq!(u[0].nlri, [p("172.16.0.0/16")]);
    assert_eq!(u[0].attrs.as_path_text(), "65000,65001,7");
    assert_eq!(u[0].attrs.next_hop, Some(0x0a00_0001));
    assert_eq!((u[0].attrs.med, u[0].attrs.local_pref), (None, None));
    assert_eq!(u[0].attrs.communities, [0xfde9_0001]);
    // iBGP: path as received, next hop unchanged, LOCAL_PREF 100.
    let u = i3.updates();
    assert_eq!(u[0].attrs.as_path_text(), "65001,7");
    assert_eq!(u[0].attrs.next_hop, Some(0x0a00_0101));
    assert_eq!(u[0].attrs.local_pref, Some(100));
    i4.updates();
    // An iBGP-learned route is not passed to another iBGP peer (no reflection).
    i.update(
        3,
        Update {
            nlri: vec![p("192.0.2.0/24")],
            attrs: Attrs {
                origin: Some(0),
                next_hop: Some(0x0a00_0903),
                local_pref: Some(100),
                ..Attrs::default()
            },
            ..Update::default()
        },
    );
    i.flush(&mut b);
    assert!(i4.updates().is_empty());
    assert_eq!(e2.updates()[0].attrs.as_path_text(), "65000");
    // The source goes down: its routes are withdrawn from the others.
    i.peer_down(1);
    i.flush(&mut b);
    let u = e2.updates();
    assert_eq!(u.len(), 1);
    assert_eq!(u[0].withdrawn, [p("172.16.0.0/16")]);
    assert_eq!(gateway(&b), None);
}

#[test]
fn redistributed_and_default_routes() {
    let mut i = Instance::new();
    let mut b = Vec::<Change>::new();
    let mut e = up(&mut i, 1, Role::Ebgp, 65001, 0x0a00_0101);
    i.flush(&mut b);
    e.updates();
    let mut locals = Locals::default();
    locals.entry(TableId::MAIN).or_default().insert(
        p("10.0.0.0/24"),
        Local {
            source: Source::Connected,
            blackhole: false,
        },
    );
    locals.entry(TableId::MAIN).or_default().insert(
        p("10.9.0.0/24"),
        Local {
            source: Source::Static,
            blackhole: false,
        },
    );
    i.set_locals(locals, Tables::default());
    i.flush(&mut b);
    let u = e.updates();
    assert_eq!(u.len(), 1, "only connected is redistributed");
    assert_eq!(u[0].nlri, [p("10.0.0.0/24")]);
    assert_eq!(u[0].attrs.origin, Some(2), "incomplete");
    assert_eq!(u[0].attrs.as_path_text(), "65000");
    i.set_locals(Locals::default(), Tables::default());
    i.flush(&mut b);
    assert_eq!(e.updates()[0].withdrawn, [p("10.0.0.0/24")]);
    assert_eq!(i.advertised().len(), 0);
}

#[test]
fn output_network_prefixes_are_sent_while_a_matching_route_is_active() {
    let mut i = Instance::new();
    let mut b = Vec::<Change>::new();
    let mut e = up(&mut i, 1, Role::Ebgp, 65001, 0x0a00_0101);
    i.flush(&mut b);
    e.updates();
    i.set_networks(super::super::config::NetworkLists::from([(
        "BGP_OUT".to_string(),
        vec![p("10.8.0.0/16"), p("192.0.2.0/24")],
    )]));
    let local = |source, blackhole| Local { source, blackhole };
    let mut locals = Locals::default();
    let t = locals.entry(TableId::MAIN).or_default();
    // Listed and anchored by a blackhole static route: sent, ORIGIN igp.
    t.insert(p("10.8.0.0/16"), local(Source::Static, true));
    // A longer route inside a listed prefix is no exact match; unlisted static is not
    // redistributed (only connected is), a blackhole never.
    t.insert(p("192.0.2.128/25"), local(Source::Static, false));
    t.insert(p("10.7.0.0/16"), local(Source::Static, true));
    i.set_locals(locals.clone(), Tables::default());
    i.flush(&mut b);
    let u = e.updates();
    assert_eq!(u.len(), 1, "{u:?}");
    assert_eq!(u[0].nlri, [p("10.8.0.0/16")]);
    assert_eq!(u[0].attrs.origin, Some(0), "igp");
    // The list gains 10.7.0.0/16 (its blackhole route is there): sent.
    i.set_networks(super::super::config::NetworkLists::from([(
        "BGP_OUT".to_string(),
        vec![p("10.7.0.0/16"), p("10.8.0.0/16")],
    )]));
    i.flush(&mut b);
    assert_eq!(e.updates()[0].nlri, [p("10.7.0.0/16")]);
    // The route goes: the prefix is withdrawn.
    locals
        .get_mut(&TableId::MAIN)
        .unwrap()
        .remove(&p("10.8.0.0/16"));
    i.set_locals(locals, Tables::default());
    i.flush(&mut b);
    assert_eq!(e.updates()[0].withdrawn, [p("10.8.0.0/16")]);
}

#[test]
fn default_originate() {
    let mut i = Instance::new();
    let mut b = Vec::<Change>::new();
    let (tx, rx) = unbounded_channel();
    let tx = super::super::peer::Writer::new(tx, tokio::sync::mpsc::channel(1).0);
    let mut c = (*cfg("d", Role::Ebgp)).clone();
    c.default_originate = DefaultOriginate::IfInstalled;
    i.peer_up(PeerInfo {
        id: 1,
        cfg: Arc::new(c),
        remote_as: 65001,
        remote_id: 1,
        local_addr: 0x0a00_0001,
        remote_addr: 0x0a00_0002,
        as4: true,
        vpnv4: false,
        tx,
    });
    let mut e = Peer { rx };
    i.flush(&mut b);
    let u = e.updates();
    assert!(
        u.len() == 1 && u[0].is_eor(),
        "no default route in the table yet"
    );
    let mut t = Tables::default();
    t.insert(TableId::MAIN);
    i.set_locals(Locals::default(), t);
    i.flush(&mut b);
    let u = e.updates();
    assert_eq!(u[0].nlri, [Prefix4::DEFAULT]);
    assert_eq!(u[0].attrs.origin, Some(0));
    assert_eq!(u[0].attrs.next_hop, Some(0x0a00_0001));
    i.set_locals(Locals::default(), Tables::default());
    i.flush(&mut b);
    assert_eq!(e.updates()[0].withdrawn, [Prefix4::DEFAULT]);
}

/// An UPDATE announcing one VPN-IPv4 route (RD 1:1, label 100) with route target `rt`.
fn vpn_route(nh: u32, prefix: &str, rt: u64, f: impl FnOnce(&mut Attrs)) -> Update {
    use crate::bgp::vpn::codec::{self, Labelled, Rd};
    let mut nlri = bytes::BytesMut::new();
    let r = Labelled {
        labels: vec![100],
        rd: Rd::parse("1:1"),
        prefix: p(prefix),
    };
    codec::encode(&mut nlri, &r);
    let mut u = route(&[], 0, |a| {
        a.next_hop = None;
        a.as_path.clear();
        a.ext_communities = vec![rt];
        a.local_pref = Some(100);
        f(a);
    });
    u.nlri.clear();
    u.mp_reach = Some(packet::MpReach {
        afi: packet::afi::IPV4,
        safi: packet::afi::VPN,
        next_hop: codec::encode_next_hop(nh).to_vec(),
        nlri: nlri.to_vec(),
    });
    u
}

/// A VPN-IPv4 route as a peer saw it: prefix, label, next hop, ORIGINATOR_ID, CLUSTER_LIST.
type SeenVpn = (Prefix4, u32, u32, Option<u32>, Vec<u32>);

/// The VPN-IPv4 routes of `updates`: those announced, and the prefixes withdrawn.
fn vpn_seen(updates: &[Update]) -> (Vec<SeenVpn>, Vec<Prefix4>) {
    use crate::bgp::vpn::codec;
    let (mut on, mut off) = (Vec::new(), Vec::new());
    for u in updates {
        if let Some(r) = &u.mp_reach {
            let nh = codec::decode_next_hop(&r.next_hop).unwrap();
            for l in codec::decode(&r.nlri, true, false, 1).unwrap() {
                let a = &u.attrs;
                on.push((
                    l.prefix,
                    l.labels[0],
                    nh,
                    a.originator_id,
                    a.cluster_list.clone(),
                ));
            }
        }
        if let Some(w) = &u.mp_unreach {
            off.extend(
                codec::decode(&w.withdrawn, true, true, 1)
                    .unwrap()
                    .iter()
                    .map(|l| l.prefix),
            );
        }
    }
    (on, off)
}

#[test]
fn vpn_routes_are_reflected_as_rfc_4456_says_whatever_their_route_targets() {
    use crate::bgp::vpn::codec::route_target;
    let rt = route_target("9.9.9.9:9").unwrap();
    let mut inst = Instance::new();
    let mut c1 = up_with(&mut inst, 1, Role::IbgpRr, 65000, 0x0a00_0002, true);
    let mut c2 = up_with(&mut inst, 2, Role::IbgpRr, 65000, 0x0a00_0003, true);
    let mut n3 = up_with(&mut inst, 3, Role::Ibgp, 65000, 0x0a00_0004, true);
    let mut imported = Vec::new();
    inst.flush_vpn(&mut imported);
    for peer in [&mut c1, &mut c2, &mut n3] {
        peer.updates();
    }
    // From a client: to the other client and to the non-client, never back; next hop and
    // label untouched, ORIGINATOR_ID the client's id, our cluster id first.
    inst.update(1, vpn_route(0x0a05_0502, "10.1.0.0/24", rt, |_| {}));
    inst.flush_vpn(&mut imported);
    assert!(imported.is_empty(), "no VRF imports its RT");
    let want = (
        p("10.1.0.0/24"),
        100,
        0x0a05_0502,
        Some(0x0a00_0002),
        vec![0x0a00_0001],
    );
    assert_eq!(vpn_seen(&c2.updates()).0, vec![want.clone()]);
    assert_eq!(vpn_seen(&n3.updates()).0, vec![want]);
    assert!(vpn_seen(&c1.updates()).0.is_empty());
    // From the non-client: to the clients only.
    inst.update(3, vpn_route(0x0a05_0504, "10.4.0.0/24", rt, |_| {}));
    inst.flush_vpn(&mut imported);
    assert_eq!(vpn_seen(&c1.updates()).0.len(), 1);
    assert_eq!(vpn_seen(&c2.updates()).0.len(), 1);
    assert!(vpn_seen(&n3.updates()).0.is_empty());
    // Our own cluster id in the list, or our id as originator: a loop, not taken.
    inst.update(
        2,
        vpn_route(0x0a05_0503, "10.2.0.0/24", rt, |a| {
            a.cluster_list = vec![0x0a00_0001]
        }),
    );
    inst.update(
        2,
        vpn_route(0x0a05_0503, "10.3.0.0/24", rt, |a| {
            a.originator_id = Some(0x0a00_0001)
        }),
    );
    inst.flush_vpn(&mut imported);
    assert!(vpn_seen(&n3.updates()).0.is_empty());
    assert_eq!(inst.received(2), 0);
    // The client goes: its route is withdrawn from the others.
    inst.peer_down(1);
    inst.flush_vpn(&mut imported);
    assert_eq!(vpn_seen(&c2.updates()).1, vec![p("10.1.0.0/24")]);
    assert_eq!(vpn_seen(&n3.updates()).1, vec![p("10.1.0.0/24")]);
}

#[test]
fn vpn_routes_are_imported_unless_their_next_hop_is_unusable() {
    use crate::bgp::vpn::codec::route_target;
    let rt = route_target("1.1.1.1:111").unwrap();
    let mut inst = Instance::new();
    inst.vpn.set_imports(vec![(TableId(1), vec![rt])]);
    let _peer = up_with(&mut inst, 1, Role::Ibgp, 65000, 0x0a00_0002, true);
    let vpn_update = |nh: u32, prefix: &str| vpn_route(nh, prefix, rt, |_| {});
    // Our own end of the session as the next hop: ignored, as for IPv4.
    inst.update(1, vpn_update(0x0a00_0001, "10.9.0.0/16"));
    inst.update(1, vpn_update(0x0a05_0503, "10.3.3.0/24"));
    let mut out = Vec::new();
    inst.vpn.flush(&mut out);
    assert!(
        matches!(&out[..], [Change::Upsert(s)] if s.dst == p("10.3.3.0/24") && s.table == TableId(1)),
        "{out:?}"
    );
    assert_eq!(inst.ignored, 1);
    assert_eq!(inst.received(1), 1);
}

/// A CE in AS 65001 (192.168.1.2) comes up as peer `id` with `cfg`.
fn ce_up(inst: &mut Instance, id: PeerId, cfg: PeerConfig) -> Peer {
    let (tx, rx) = unbounded_channel();
    let tx = super::super::peer::Writer::new(tx, tokio::sync::mpsc::channel(1).0);
    inst.peer_up(PeerInfo {
        id,
        cfg: Arc::new(cfg),
        remote_as: 65001,
        remote_id: 0xc0a8_0102,
        local_addr: 0xc0a8_0101,
        remote_addr: 0xc0a8_0102,
        as4: true,
        vpnv4: false,
        tx,
    });
    Peer { rx }
}

#[test]
fn a_ce_gets_vpn_routes_with_the_remote_ce_s_path_and_as_override_rewrites_it() {
    use crate::bgp::vpn::codec::route_target;
    let rt = route_target("65000:1").unwrap();
    let vrf = TableId(1);
    let mut inst = Instance::new();
    inst.vpn.set_imports(vec![(vrf, vec![rt])]);
    let _pe = up_with(&mut inst, 1, Role::Ibgp, 65000, 0x0a00_0002, true);
    // The CE of this site: eBGP in the VRF, AS 65001 (the same AS at every site).
    let mut ce_cfg = (*cfg("ce", Role::Ebgp)).clone();
    ce_cfg.table = vrf;
    ce_cfg.redistribute = vec!["bgp-mpls-vpn".into()];
    ce_cfg.network = None;
    let mut ce = ce_up(&mut inst, 2, ce_cfg.clone());
    // The remote site's route: its CE's AS 65001 in the path.
    inst.update(
        1,
        vpn_route(0x0a00_0002, "10.9.0.0/16", rt, |a| {
            a.as_path = vec![Segment {
                kind: seg::SEQUENCE,
                asns: vec![65001],
            }];
        }),
    );
    let mut imported = Vec::new();
    inst.flush_vpn(&mut imported);
    assert_eq!(imported.len(), 1);
    // The RIB installs it in the VRF and tells BGP (a `y` route there).
    let dst = p("10.9.0.0/16");
    let y = Some(Local {
        source: Source::BgpVpn,
        blackhole: false,
    });
    inst.set_local(vrf, dst, y);
    let mut b = Vec::new();
    inst.flush(&mut b);
    let path = |us: &[Update]| -> Vec<u32> {
        us.iter()
            .find(|u| u.nlri.contains(&dst))
            .map(|u| {
                u.attrs
                    .as_path
                    .iter()
                    .flat_map(|s| s.asns.clone())
                    .collect()
            })
            .unwrap_or_default()
    };
    assert_eq!(
        path(&ce.updates()),
        vec![65000, 65001],
        "the CE's loop check sees its AS"
    );
    // With output.as-override, the CE's AS is replaced by ours.
    inst.peer_down(2);
    ce_cfg.as_override = true;
    let mut ce = ce_up(&mut inst, 3, ce_cfg);
    inst.flush(&mut b);
    assert_eq!(path(&ce.updates()), vec![65000, 65000]);
    // A CE's own BGP route exported to the VPN keeps its path.
    let e = crate::bgp::vpn::export::Exported {
        table: vrf,
        label: 16,
        rts: Arc::from([rt]),
        source: Source::Bgp,
        entry: Arc::from("v"),
        attrs: Some(Arc::new(route(&[65001, 64999], 0, |_| {}).attrs)),
    };
    let to = crate::bgp::vpn::out::Target {
        as4: true,
        next_hop: 1,
        ebgp: false,
        local_as: 65000,
        router_id: 1,
    };
    let a = crate::bgp::vpn::out::PeerOut::local_attrs(&e, &to);
    assert_eq!(a.as_path_text(), "65001,64999");
    assert_eq!(
        (a.local_pref, a.ext_communities.clone()),
        (Some(100), vec![rt])
    );
}
