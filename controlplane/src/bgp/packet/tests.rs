use super::*;

/// BGP messages of a capture, in order, per TCP stream direction: (source port, bytes).
fn pcap_messages(name: &str) -> Vec<(u16, Vec<u8>)> {
    let data: &[u8] = match name {
        "bgp-lu-multiple-labels.pcap" => {
            include_bytes!("../../../../testdata/pcaps/bgp-lu-multiple-labels.pcap")
        }
        "bgp_vpn_attrset.pcap" => include_bytes!("../../../../testdata/pcaps/bgp_vpn_attrset.pcap"),
        other => panic!("no capture {other}"),
    };
    let segments = crate::capture::segments(data);
    crate::capture::tcp_messages(&segments, 179, |b| frame(b).ok().flatten().map(|f| f.1))
}

#[test]
fn open_from_a_real_capture() {
    let msgs = pcap_messages("bgp-lu-multiple-labels.pcap");
    let opens: Vec<_> = msgs.iter().filter(|m| m.1[18] == msg::OPEN).collect();
    assert_eq!(opens.len(), 4);
    let o = Open::decode(&opens[0].1[HEADER_LEN..]).unwrap();
    // tcpdump: "Version 4, my AS 100, Holdtime 180s, ID 0.0.0.1"
    assert_eq!((o.version, o.asn, o.hold_time, o.id), (4, 100, 180, 1));
    assert_eq!(o.real_as(), 100);
    assert!(o.has(&Capability::RouteRefresh));
    assert!(o.has(&Capability::Mp { afi: 1, safi: 1 }));
    assert!(o.has(&Capability::Mp { afi: 1, safi: 4 }));
    assert!(o.caps.contains(&Capability::GracefulRestart {
        flags_time: 0x8000 | 300,
        families: vec![]
    }));
    assert!(o
        .caps
        .contains(&Capability::AddPath(vec![(1, 1, 1), (1, 4, 1)])));
    assert!(o.caps.iter().any(|c| c.short() == "ml"));
    // Re-encoding gives the same bytes (one capabilities parameter).
    assert_eq!(&o.encode()[..], &opens[0].1[..]);
}

#[test]
fn every_message_of_the_captures_decodes() {
    let mut kinds = [0usize; 6];
    for f in ["bgp-lu-multiple-labels.pcap", "bgp_vpn_attrset.pcap"] {
        for (_, m) in pcap_messages(f) {
            let (kind, len) = frame(&m).unwrap().unwrap();
            assert_eq!(len, m.len());
            kinds[usize::from(kind)] += 1;
            let body = &m[HEADER_LEN..];
            match kind {
                msg::OPEN => {
                    Open::decode(body).unwrap();
                }
                msg::UPDATE => {
                    let u = decode_update(
                        body,
                        Ctx {
                            as4: true,
                            ebgp: false,
                        },
                    )
                    .unwrap();
                    assert_eq!(u.treatment, Treatment::None, "{u:?}");
                }
                msg::NOTIFICATION => {
                    let n = Notification::decode(body).unwrap();
                    // tcpdump: "Cease (6), subcode Administrative Reset (4)"
                    assert_eq!((n.code, n.subcode), (6, 4));
                    assert_eq!(n.to_string(), "cease, administrative reset");
                }
                _ => {}
            }
        }
    }
    assert_eq!(kinds[1], 4);
    assert!(kinds[2] >= 5 && kinds[3] == 1 && kinds[4] >= 6, "{kinds:?}");
}

#[test]
fn vpnv4_update_with_attr_set_from_a_real_capture() {
    let msgs = pcap_messages("bgp_vpn_attrset.pcap");
    let m = &msgs[0].1;
    let u = decode_update(
        &m[HEADER_LEN..],
        Ctx {
            as4: true,
            ebgp: false,
        },
    )
    .unwrap();
    // tcpdump: Origin IGP, empty AS path, local pref 100, RT 300:300, ATTR_SET,
    // MP_REACH VPNv4 next hop 12.4.4.4, RD 500:500 133.0.0.0/8 label 100208.
    assert_eq!(u.attrs.origin, Some(0));
    assert!(u.attrs.as_path.is_empty());
    assert_eq!(u.attrs.local_pref, Some(100));
    assert_eq!(u.attrs.ext_communities, vec![0x0002_012c_0000_012c]);
    assert_eq!(u.attrs.other.len(), 1);
    assert_eq!(u.attrs.other[0].code, attr::ATTR_SET);
    assert_eq!(u.attrs.other[0].data.len(), 36);
    let r = u.mp_reach.unwrap();
    assert_eq!((r.afi, r.safi), (1, 128));
    assert_eq!(r.next_hop, [0, 0, 0, 0, 0, 0, 0, 0, 12, 4, 4, 4]);
    // label 100208 = 0x18770, bottom of stack; RD type 0 500:500; 133/8.
    assert_eq!(
        r.nlri,
        [
            8 + 24 + 64,
            0x18,
            0x77,
            0x01,
            0,
            0,
            0x01,
            0xf4,
            0,
            0,
            0x01,
            0xf4,
            133
        ]
    );
}

fn p(s: &str) -> Prefix4 {
    let (a, l) = s.split_once('/').unwrap();
    Prefix4::new(
        u32::from(a.parse::<std::net::Ipv4Addr>().unwrap()),
        l.parse().unwrap(),
    )
    .unwrap()
}

fn sample_attrs() -> Attrs {
    Attrs {
        origin: Some(0),
        as_path: vec![Segment {
            kind: seg::SEQUENCE,
            asns: vec![65001, 4_200_000_000, 3356],
        }],
        next_hop: Some(0x0a00_0001),
        med: Some(7),
        local_pref: Some(150),
        atomic_aggregate: true,
        aggregator: Some((4_200_000_000, 0x0101_0101)),
        communities: vec![0xfde8_0001],
        ext_communities: vec![0x0002_fde8_0000_0001],
        large_communities: vec![[4_200_000_000, 1, 2]],
        originator_id: Some(9),
        cluster_list: vec![1, 2],
        other: vec![RawAttr {
            flags: flag::OPTIONAL | flag::TRANSITIVE | flag::PARTIAL,
            code: 99,
            data: vec![1, 2, 3],
        }],
    }
}

#[test]
fn updates_round_trip_with_and_without_four_octet_as() {
    let attrs = sample_attrs();
    let prefixes: Vec<Prefix4> = (0..2000u32)
        .map(|i| Prefix4::new(0x0a00_0000 + (i << 8), 24).unwrap())
        .chain([p("0.0.0.0/0"), p("192.0.2.1/32"), p("128.0.0.0/1")])
        .collect();
    for as4 in [true, false] {
        let mut out = Vec::new();
        announce_updates(&attrs, as4, &prefixes, &mut out);
        assert!(out.len() > 1, "2,003 prefixes need several UPDATEs");
        let mut got = Vec::new();
        for m in &out {
            assert!(m.len() <= MAX_LEN);
            let (kind, len) = frame(m).unwrap().unwrap();
            assert_eq!((kind, len), (msg::UPDATE, m.len()));
            let u = decode_update(&m[HEADER_LEN..], Ctx { as4, ebgp: false }).unwrap();
            assert_eq!(u.treatment, Treatment::None);
            assert_eq!(u.attrs, attrs, "as4={as4}");
            got.extend(u.nlri);
        }
        assert_eq!(got, prefixes);
    }
    let mut out = Vec::new();
    withdraw_updates(&prefixes, &mut out);
    let mut got = Vec::new();
    for m in &out {
        let u = decode_update(&m[HEADER_LEN..], Ctx::default()).unwrap();
        got.extend(u.withdrawn);
    }
    assert_eq!(got, prefixes);
    let eor = end_of_rib();
    assert!(decode_update(&eor[HEADER_LEN..], Ctx::default())
        .unwrap()
        .is_eor());
}

/// An UPDATE body with these raw attribute bytes and one prefix, 10.0.0.0/8.
fn body(attrs: &[u8]) -> Vec<u8> {
    let mut b = vec![0, 0];
    b.extend((attrs.len() as u16).to_be_bytes());
    b.extend(attrs);
    b.extend([8, 10]);
    b
}

const ORIGIN: [u8; 4] = [0x40, 1, 1, 0];
const PATH: [u8; 7] = [0x40, 2, 4, 2, 1, 0xfd, 0xe9];
const NH: [u8; 7] = [0x40, 3, 4, 10, 0, 0, 1];

fn good() -> Vec<u8> {
    [&ORIGIN[..], &PATH, &NH].concat()
}

fn decode2(attrs: &[u8]) -> Result<Update, Notification> {
    decode_update(
        &body(attrs),
        Ctx {
            as4: false,
            ebgp: true,
        },
    )
}

fn withdrawn(u: &Update) -> bool {
    matches!(u.treatment, Treatment::TreatAsWithdraw(_))
        && u.nlri.is_empty()
        && u.withdrawn == [p("10.0.0.0/8")]
}

#[test]
fn rfc7606_treat_as_withdraw() {
    let g = good();
    assert_eq!(decode2(&g).unwrap().nlri, [p("10.0.0.0/8")]);
    let cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "origin value 3",
            [&[0x40, 1, 1, 3][..], &PATH, &NH].concat(),
        ),
        (
            "origin length 2",
            [&[0x40, 1, 2, 0, 0][..], &PATH, &NH].concat(),
        ),
        (
            "origin flagged optional",
            [&[0xc0, 1, 1, 0][..], &PATH, &NH].concat(),
        ),
        (
            "AS_PATH segment type 5",
            [&ORIGIN[..], &[0x40, 2, 4, 5, 1, 0, 1], &NH].concat(),
        ),
        (
            "AS_PATH segment of length 0",
            [&ORIGIN[..], &[0x40, 2, 2, 2, 0], &NH].concat(),
        ),
        (
            "AS_PATH overrun",
            [&ORIGIN[..], &[0x40, 2, 4, 2, 2, 0, 1], &NH].concat(),
        ),
        (
            "AS_PATH one octet left",
            [&ORIGIN[..], &[0x40, 2, 5, 2, 1, 0, 1, 2], &NH].concat(),
        ),
        (
            "NEXT_HOP length 3",
            [&ORIGIN[..], &PATH, &[0x40, 3, 3, 10, 0, 0]].concat(),
        ),
        ("MED length 3", [&g[..], &[0x80, 4, 3, 0, 0, 1]].concat()),
        (
            "COMMUNITIES length 5",
            [&g[..], &[0xc0, 8, 5, 0, 0, 0, 1, 2]].concat(),
        ),
        ("COMMUNITIES length 0", [&g[..], &[0xc0, 8, 0]].concat()),
        (
            "EXT_COMMUNITIES length 4",
            [&g[..], &[0xc0, 16, 4, 0, 2, 0, 1]].concat(),
        ),
        (
            "LARGE length 8",
            [&g[..], &[0xc0, 32, 8, 0, 0, 0, 1, 0, 0, 0, 2]].concat(),
        ),
        ("missing ORIGIN", [&PATH[..], &NH].concat()),
        ("missing AS_PATH", [&ORIGIN[..], &NH].concat()),
        ("missing NEXT_HOP", [&ORIGIN[..], &PATH].concat()),
        (
            "attribute length past the list",
            [&g[..], &[0xc0, 8, 200, 0]].concat(),
        ),
        ("two octets left", [&g[..], &[0xc0, 8]].concat()),
        ("extended header cut", [&g[..], &[0xd0, 8, 0]].concat()),
    ];
    for (what, attrs) in cases {
        let u = decode2(&attrs).unwrap_or_else(|e| panic!("{what}: reset {e}"));
        assert!(withdrawn(&u), "{what}: {u:?}");
        // The same prefix announced without the error stands.
    }
}

#[test]
fn rfc7606_attribute_discard() {
    let g = good();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "ATOMIC_AGGREGATE length 1",
            [&g[..], &[0x40, 6, 1, 0]].concat(),
        ),
        (
            "AGGREGATOR length 5",
            [&g[..], &[0xc0, 7, 5, 0, 1, 1, 1, 1]].concat(),
        ),
        (
            "AS4_PATH malformed",
            [&g[..], &[0xc0, 17, 3, 2, 1, 0]].concat(),
        ),
        (
            "AS4_AGGREGATOR length 6",
            [&g[..], &[0xc0, 18, 6, 0, 0, 1, 1, 1, 1]].concat(),
        ),
        (
            "LOCAL_PREF bad length from eBGP",
            [&g[..], &[0x40, 5, 1, 0]].concat(),
        ),
        (
            "ORIGINATOR_ID from eBGP",
            [&g[..], &[0x80, 9, 4, 1, 1, 1, 1]].concat(),
        ),
    ];
    for (what, attrs) in cases {
        let u = decode2(&attrs).unwrap_or_else(|e| panic!("{what}: reset {e}"));
        assert!(
            matches!(u.treatment, Treatment::AttributeDiscard(_)),
            "{what}: {u:?}"
        );
        assert_eq!(u.nlri, [p("10.0.0.0/8")], "{what}");
        assert_eq!(u.attrs.aggregator, None, "{what}");
        assert!(!u.attrs.atomic_aggregate, "{what}");
    }
    // Discard and withdraw together: the stronger wins (RFC 7606 §3(h)).
    let both = [&g[..], &[0x40, 6, 1, 0], &[0xc0, 8, 5, 0, 0, 0, 1, 2]].concat();
    assert!(withdrawn(&decode2(&both).unwrap()));
    // A repeated attribute: the first counts, the others are dropped.
    let dup = [&g[..], &[0x40, 1, 1, 2]].concat();
    let u = decode2(&dup).unwrap();
    assert_eq!((u.attrs.origin, u.treatment), (Some(0), Treatment::None));
}

#[test]
fn rfc7606_session_reset() {
    let g = good();
    let reset = |b: Vec<u8>| decode_update(&b, Ctx::default()).unwrap_err();
    // Withdrawn routes length past the message.
    assert_eq!(reset(vec![0, 9, 0, 0]).subcode, err::MALFORMED_ATTRS);
    // Total path attribute length past the message.
    assert_eq!(reset(vec![0, 0, 0, 9, 1]).subcode, err::MALFORMED_ATTRS);
    // NLRI with a length above 32, or cut short.
    let mut b = body(&g);
    b.extend([33, 1, 2, 3, 4, 5]);
    assert_eq!(reset(b).subcode, err::BAD_NETWORK);
    let mut b = body(&g);
    b.extend([24, 1]);
    assert_eq!(reset(b).subcode, err::BAD_NETWORK);
    // MP_REACH_NLRI twice, or one that cannot be parsed.
    let mp = [0x80, 14, 5, 0, 1, 1, 4, 1];
    assert_eq!(
        reset(body(&[&g[..], &mp].concat())).code,
        err::UPDATE,
        "cut next hop"
    );
    let mpu = [0x80, 15, 3, 0, 1, 1];
    assert_eq!(
        reset(body(&[&g[..], &mpu, &mpu].concat())).subcode,
        err::MALFORMED_ATTRS
    );
    // An unrecognized well-known attribute: its type, length and value as data.
    let n = reset(body(&[&g[..], &[0x40, 77, 2, 7, 9]].concat()));
    assert_eq!(
        (n.subcode, n.data),
        (err::UNRECOGNIZED_WELL_KNOWN, vec![0x40, 77, 2, 7, 9])
    );
    let n = reset(body(&[&g[..], &[0x50, 77, 0, 1, 7]].concat()));
    assert_eq!(
        n.data,
        vec![0x50, 77, 0, 1, 7],
        "extended length: two octets"
    );
    // An unknown optional transitive one is passed on with the partial bit.
    let u = decode2(&[&g[..], &[0xc0, 77, 1, 5]].concat()).unwrap();
    assert_eq!(
        u.attrs.other,
        [RawAttr {
            flags: 0xe0,
            code: 77,
            data: vec![5]
        }]
    );
}

#[test]
fn as4_path_is_merged_for_two_octet_speakers() {
    // AS_PATH 65001 23456 23456, AS4_PATH 4200000000 4200000001.
    let path = [0x40, 2, 8, 2, 3, 0xfd, 0xe9, 0x5b, 0xa0, 0x5b, 0xa0];
    let mut as4 = vec![0xc0, 17, 10, 2, 2];
    as4.extend(4_200_000_000u32.to_be_bytes());
    as4.extend(4_200_000_001u32.to_be_bytes());
    let u = decode2(&[&ORIGIN[..], &path, &NH, &as4].concat()).unwrap();
    assert_eq!(u.attrs.as_path_text(), "65001,4200000000,4200000001");
}

#[test]
fn frame_checks_the_header() {
    let mut k = keepalive().to_vec();
    assert_eq!(frame(&k[..10]).unwrap(), None);
    assert_eq!(frame(&k).unwrap(), Some((msg::KEEPALIVE, 19)));
    k[3] = 0;
    assert_eq!(frame(&k).unwrap_err().subcode, err::NOT_SYNCED);
    let mut k = keepalive().to_vec();
    k[17] = 20;
    k.push(0);
    assert_eq!(frame(&k).unwrap_err().subcode, err::BAD_LENGTH);
    let mut k = keepalive().to_vec();
    k[18] = 9;
    assert_eq!(frame(&k).unwrap_err().subcode, err::BAD_TYPE);
    let mut big = keepalive().to_vec();
    big[16..18].copy_from_slice(&4097u16.to_be_bytes());
    big[18] = msg::UPDATE;
    assert_eq!(frame(&big).unwrap_err().data, 4097u16.to_be_bytes());
}

#[test]
fn open_errors() {
    let o = Open {
        version: 4,
        asn: 65000,
        hold_time: 90,
        id: 0x0101_0101,
        caps: vec![
            Capability::Mp { afi: 1, safi: 1 },
            Capability::RouteRefresh,
            Capability::As4(65000),
        ],
    };
    let m = o.encode();
    assert_eq!(Open::decode(&m[HEADER_LEN..]).unwrap(), o);
    let mut b = m[HEADER_LEN..].to_vec();
    b[0] = 3;
    assert_eq!(Open::decode(&b).unwrap_err().subcode, err::BAD_VERSION);
    let mut b = m[HEADER_LEN..].to_vec();
    b[4] = 2;
    assert_eq!(Open::decode(&b).unwrap_err().subcode, err::BAD_HOLD);
    let mut b = m[HEADER_LEN..].to_vec();
    b[5..9].fill(0);
    assert_eq!(Open::decode(&b).unwrap_err().subcode, err::BAD_ID);
    let mut b = m[HEADER_LEN..].to_vec();
    b[10] = 3;
    assert_eq!(Open::decode(&b).unwrap_err().subcode, err::BAD_OPT_PARAM);
    let mut b = m[HEADER_LEN..].to_vec();
    b[9] += 1;
    assert_eq!(Open::decode(&b).unwrap_err().code, err::OPEN);
    // My AS disagreeing with the four-octet AS capability: Bad Peer AS; AS_TRANS is fine.
    let mut liar = o.clone();
    liar.asn = 65001;
    let n = Open::decode(&liar.encode()[HEADER_LEN..]).unwrap_err();
    assert_eq!((n.code, n.subcode), (err::OPEN, err::BAD_PEER_AS));
    let mut big = o.clone();
    big.asn = AS_TRANS;
    big.caps[2] = Capability::As4(4_200_000_000);
    assert_eq!(Open::decode(&big.encode()[HEADER_LEN..]).unwrap(), big);
}

#[test]
fn route_refresh_lengths_and_subtypes() {
    let rr = route_refresh(afi::IPV4, afi::UNICAST);
    assert_eq!(frame(&rr).unwrap(), Some((msg::ROUTE_REFRESH, 23)));
    assert_eq!(
        decode_route_refresh(&rr[HEADER_LEN..]).unwrap(),
        (afi::IPV4, refresh::NORMAL, afi::UNICAST)
    );
    // BoRR: decoded with its subtype, for the session to ignore.
    let mut borr = rr.to_vec();
    borr[21] = refresh::BORR;
    assert_eq!(
        decode_route_refresh(&borr[HEADER_LEN..]).unwrap().1,
        refresh::BORR
    );
    // Five octets of body: the header passes, the message is 7/1 with itself as data.
    let mut long = rr.to_vec();
    long.push(0);
    long[16..18].copy_from_slice(&24u16.to_be_bytes());
    assert_eq!(frame(&long).unwrap(), Some((msg::ROUTE_REFRESH, 24)));
    let n = decode_route_refresh(&long[HEADER_LEN..]).unwrap_err();
    assert_eq!(
        (n.code, n.subcode),
        (err::ROUTE_REFRESH, refresh::INVALID_LENGTH)
    );
    assert_eq!(n.data, long);
    let mut short = rr[..HEADER_LEN + 2].to_vec();
    short[16..18].copy_from_slice(&21u16.to_be_bytes());
    assert_eq!(frame(&short).unwrap(), Some((msg::ROUTE_REFRESH, 21)));
    assert_eq!(
        decode_route_refresh(&short[HEADER_LEN..]).unwrap_err().data,
        short
    );
}
