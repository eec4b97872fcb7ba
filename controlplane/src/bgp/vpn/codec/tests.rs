use super::*;
use crate::bgp::packet::{afi, decode_update, frame, Ctx, HEADER_LEN};

fn p(s: &str) -> Prefix4 {
    s.parse().unwrap()
}

/// The UPDATEs of a capture, decoded.
fn updates(data: &[u8]) -> Vec<crate::bgp::packet::Update> {
    let segments = crate::capture::segments(data);
    let msgs =
        crate::capture::tcp_messages(&segments, 179, |b| frame(b).ok().flatten().map(|f| f.1));
    let ctx = Ctx {
        as4: true,
        ebgp: false,
    };
    msgs.iter()
        .filter(|(_, m)| m[18] == 2)
        .map(|(_, m)| decode_update(&m[HEADER_LEN..], ctx).unwrap())
        .collect()
}

#[test]
fn route_distinguishers_of_each_type_parse_print_and_encode() {
    for (text, kind, bytes) in [
        ("500:500", 0, [0, 0, 0x01, 0xf4, 0, 0, 0x01, 0xf4]),
        (
            "65000:4294967295",
            0,
            [0, 0, 0xfd, 0xe8, 0xff, 0xff, 0xff, 0xff],
        ),
        ("1.1.1.1:111", 1, [0, 1, 1, 1, 1, 1, 0, 111]),
        ("4200000000:7", 2, [0, 2, 0xfa, 0x56, 0xea, 0, 0, 7]),
    ] {
        let rd = Rd::parse(text).unwrap();
        assert_eq!((rd.kind(), rd.to_bytes()), (kind, bytes), "{text}");
        assert_eq!(rd.to_string(), text);
    }
    // asdot, as RouterOS accepts it: 1.10 is AS 65546, a type 2.
    assert_eq!(Rd::parse("1.10:5").unwrap().to_string(), "65546:5");
    for bad in [
        "",
        "1",
        "1.1.1.1:65536",
        "4200000000:65536",
        "x:1",
        "1:x",
        "70000:70000",
    ] {
        assert_eq!(Rd::parse(bad), None, "{bad}");
    }
}

#[test]
fn route_targets_are_extended_communities_of_each_type() {
    // tcpdump: "target (0x0002), Flags [none]: 300:300".
    assert_eq!(route_target("300:300"), Some(0x0002_012c_0000_012c));
    assert_eq!(route_target("1.1.1.1:111"), Some(0x0102_0101_0101_006f));
    assert_eq!(route_target("4200000000:7"), Some(0x0202_fa56_ea00_0007));
    for rt in ["300:300", "1.1.1.1:111", "4200000000:7"] {
        let ec = route_target(rt).unwrap();
        assert!(is_route_target(ec));
        assert_eq!(ext_community_text(ec), format!("rt:{rt}"));
    }
    assert_eq!(ext_community_text(0x0003_012c_0000_0001), "soo:300:1");
    assert!(!is_route_target(0x0003_012c_0000_0001));
    assert_eq!(
        ext_community_text(0x4300_0000_0000_0001),
        "0x4300000000000001"
    );
}

#[test]
fn a_vpnv4_route_from_a_real_capture() {
    let u = &updates(include_bytes!(
        "../../../../../testdata/pcaps/bgp_vpn_attrset.pcap"
    ))[0];
    let r = u.mp_reach.as_ref().unwrap();
    assert_eq!((r.afi, r.safi), (afi::IPV4, afi::VPN));
    // tcpdump: "nexthop: RD: 0:0 (= 0.0.0.0), 12.4.4.4, nh-length: 12".
    assert_eq!(
        decode_next_hop(&r.next_hop),
        Some(u32::from(Ipv4Addr::new(12, 4, 4, 4)))
    );
    // tcpdump: "RD: 500:500 (= 0.0.1.244), 133.0.0.0/8, label:100208 (bottom)".
    let routes = decode(&r.nlri, true, false, 1).unwrap();
    assert_eq!(
        routes,
        vec![Labelled {
            labels: vec![100_208],
            rd: Rd::parse("500:500"),
            prefix: p("133.0.0.0/8"),
        }]
    );
    assert_eq!(ext_community_text(u.attrs.ext_communities[0]), "rt:300:300");
    // Encoded again: the same bytes.
    let mut b = BytesMut::new();
    encode(&mut b, &routes[0]);
    assert_eq!(&b[..], &r.nlri[..]);
    assert_eq!(
        encode_next_hop(u32::from(Ipv4Addr::new(12, 4, 4, 4)))[..],
        r.next_hop[..]
    );
}

#[test]
fn labelled_routes_with_several_labels_and_their_withdrawal_from_a_real_capture() {
    let all = updates(include_bytes!(
        "../../../../../testdata/pcaps/bgp-lu-multiple-labels.pcap"
    ));
    let reach: Vec<_> = all.iter().filter_map(|u| u.mp_reach.as_ref()).collect();
    assert!(!reach.is_empty());
    let r = reach[0];
    assert_eq!((r.afi, r.safi), (afi::IPV4, afi::LABELED));
    // tcpdump calls it an illegal prefix length: it knows one label only. The peers
    // negotiated 7 (Multiple Labels capability, count 7).
    assert!(decode(&r.nlri, false, false, 1).is_err());
    let routes = decode(&r.nlri, false, false, 7).unwrap();
    assert_eq!(routes.len(), 1);
    assert!(routes[0].labels.len() > 1, "{routes:?}");
    assert_eq!(routes[0].prefix, p("30.1.1.1/32"));
    let mut b = BytesMut::new();
    encode(&mut b, &routes[0]);
    assert_eq!(&b[..], &r.nlri[..], "encoded again: the same bytes");
    // tcpdump: "30.1.1.1/32, label:524288 (bottom)" in MP_UNREACH: the withdrawal's
    // compatibility label 0x800000.
    let w = all
        .iter()
        .filter_map(|u| u.mp_unreach.as_ref())
        .find(|w| !w.withdrawn.is_empty())
        .unwrap();
    let gone = decode(&w.withdrawn, false, true, 1).unwrap();
    assert_eq!(
        gone,
        vec![Labelled {
            labels: vec![],
            rd: None,
            prefix: p("30.1.1.1/32")
        }]
    );
    // Ours carries 0x800000 (RFC 8277 §2.4); the capture's sender set the bottom bit too.
    let mut b = BytesMut::new();
    encode(&mut b, &gone[0]);
    assert_eq!(&b[..], &[56, 0x80, 0, 0, 30, 1, 1, 1]);
    assert_eq!(decode(&b, false, true, 1).unwrap(), gone);
}

#[test]
fn broken_labelled_nlri_are_refused_precisely() {
    // Too short for a label and an RD.
    assert_eq!(
        decode(&[80, 0, 0, 1, 0, 0, 0, 0, 0, 0], true, false, 1),
        Err(NlriError::BadLength(80))
    );
    // More than 32 prefix bits left.
    assert_eq!(
        decode(
            &[24 + 64 + 33, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5],
            true,
            false,
            1
        ),
        Err(NlriError::BadLength(121))
    );
    // Past the end.
    assert_eq!(
        decode(
            &[24 + 64 + 24, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 10],
            true,
            false,
            1
        ),
        Err(NlriError::Truncated)
    );
    assert_eq!(
        decode(&[24 + 64, 0, 0], true, false, 1),
        Err(NlriError::Truncated)
    );
    // No bottom of stack within the labels allowed.
    assert_eq!(
        decode(&[48 + 8, 0, 0, 0, 0, 0, 0, 10], false, false, 1),
        Err(NlriError::TooManyLabels)
    );
    // A next hop of the wrong length, or with a non-zero RD.
    assert_eq!(decode_next_hop(&[10, 0, 0, 1]), None);
    assert_eq!(
        decode_next_hop(&[0, 0, 0, 0, 0, 0, 0, 1, 10, 0, 0, 1]),
        None
    );
    // Host bits past the length are cleared, as for unicast.
    let r = decode(
        &[24 + 64 + 8, 0, 0, 0x11, 0, 0, 0, 1, 0, 0, 0, 1, 10],
        true,
        false,
        1,
    )
    .unwrap();
    assert_eq!((r[0].labels[0], r[0].prefix), (1, p("10.0.0.0/8")));
}

#[test]
fn an_update_s_vpn_routes_are_dropped_unless_negotiated_and_reset_the_session_when_broken() {
    let mut u = updates(include_bytes!(
        "../../../../../testdata/pcaps/bgp_vpn_attrset.pcap"
    ))[0]
        .clone();
    let mut dropped = u.clone();
    assert!(check_update(&mut dropped, false).is_ok());
    assert!(dropped.mp_reach.is_none(), "not negotiated: ignored");
    assert!(check_update(&mut u.clone(), true).is_ok());
    u.mp_reach.as_mut().unwrap().next_hop.truncate(4);
    let n = check_update(&mut u, true).unwrap_err();
    assert_eq!((n.code, n.subcode), (err::UPDATE, err::OPTIONAL_ATTR));
    u.mp_reach.as_mut().unwrap().nlri[0] = 200;
    assert!(check_update(&mut u, true).is_err(), "an impossible length");
}
