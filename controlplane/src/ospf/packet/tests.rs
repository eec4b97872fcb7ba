//! The codec on testdata/pcaps/OSPFv2_Capture_FINAL (a copy of shared/data/pcaps') (30 packets, every type, tcpdump's
//! decode beside it), round trips, the checksums, MD5, and refusals.

use super::*;
use crate::capture::pcapng_ipv4;

fn capture() -> Vec<Vec<u8>> {
    let data = include_bytes!("../../../../testdata/pcaps/OSPFv2_Capture_FINAL.pcapng");
    let packets = pcapng_ipv4(data);
    // tcpdump's first line: 192.168.121.5 > 224.0.0.5.
    assert_eq!(
        (packets[0].src, packets[0].dst),
        (0xc0a8_7905, ALL_SPF_ROUTERS)
    );
    packets
        .into_iter()
        .filter(|p| p.proto == PROTOCOL)
        .map(|p| p.payload)
        .collect()
}

/// tcpdump's decode: (type name, length) per packet.
fn tcpdump() -> Vec<(String, usize)> {
    include_str!("../../../../testdata/pcaps/OSPFv2_Capture_FINAL.out")
        .lines()
        .filter_map(|l| {
            let rest = l.split("OSPFv2, ").nth(1)?;
            let (name, len) = rest.split_once(", length ")?;
            Some((name.to_owned(), len.trim().parse().ok()?))
        })
        .collect()
}

fn name(k: u8) -> &'static str {
    match k {
        kind::HELLO => "Hello",
        kind::DD => "Database Description",
        kind::LSR => "LS-Request",
        kind::LSU => "LS-Update",
        _ => "LS-Ack",
    }
}

#[test]
fn every_packet_of_the_capture_as_tcpdump_reads_it_and_back_byte_for_byte() {
    let packets = capture();
    let want = tcpdump();
    assert_eq!(packets.len(), 30);
    assert_eq!(want.len(), 30);
    let mut lsas = 0;
    for (i, (bytes, (tname, tlen))) in packets.iter().zip(&want).enumerate() {
        let p = decode(bytes).unwrap_or_else(|e| panic!("packet {}: {e}", i + 1));
        let len = usize::from(u16::from_be_bytes([bytes[2], bytes[3]]));
        // tcpdump's length is the IP payload's but the MD5 digest (the capture is
        // authenticated, its key unknown): the packet and, after Hellos and DDs, an LLS
        // block (RFC 5613).
        let t = (tname.as_str(), *tlen);
        assert_eq!(
            (name(p.header.kind), bytes.len() - MD5_LEN),
            t,
            "packet {}",
            i + 1
        );
        assert!(matches!(p.header.auth, Auth::Md5 { key_id: 1, .. }));
        assert!(bytes.len() >= len + MD5_LEN);
        assert_eq!(
            &p.encode(&[])[..len],
            &bytes[..len],
            "packet {} encodes back",
            i + 1
        );
        assert!(!md5_ok(bytes, b"not the key"));
        if let Body::Lsu(l) = &p.body {
            for lsa in l {
                lsas += 1;
                assert!(lsa_checksum_ok(&lsa.bytes));
                if lsa.body != LsaBody::Other {
                    let again = Lsa::new(
                        lsa.header.age,
                        lsa.header.options,
                        lsa.header.key,
                        lsa.header.seq,
                        lsa.body.clone(),
                    );
                    assert_eq!(
                        again.bytes, lsa.bytes,
                        "LSA {:?} made again",
                        lsa.header.key
                    );
                }
            }
        }
    }
    assert!(lsas > 10, "{lsas} LSAs");
    // The first Hello: 192.168.121.5 on a /24, 10 s / 40 s, two neighbours known by then?
    let Body::Hello(h) = decode(&packets[0]).unwrap().body else {
        panic!("a Hello")
    };
    assert_eq!(
        (h.mask, h.hello_interval, h.dead_interval),
        (0xffff_ff00, 10, 40)
    );
}

#[test]
fn the_capture_s_lsas_are_of_every_common_type() {
    let mut kinds = std::collections::BTreeSet::new();
    for bytes in capture() {
        if let Body::Lsu(l) = decode(&bytes).unwrap().body {
            kinds.extend(l.iter().map(|x| x.header.key.kind));
        }
    }
    assert!(
        kinds.contains(&lsa_type::ROUTER) && kinds.contains(&lsa_type::NETWORK),
        "{kinds:?}"
    );
}

/// A packet of the capture with null authentication (its checksum made).
fn unauthenticated(i: usize) -> Vec<u8> {
    let mut p = decode(&capture()[i]).unwrap();
    p.header.auth = Auth::None;
    p.encode(&[])
}

#[test]
fn refusals() {
    let hello = unauthenticated(0);
    let mut b = hello.clone();
    b[30] ^= 1;
    assert_eq!(decode(&b), Err(Error::BadChecksum));
    let mut b = hello.clone();
    b[0] = 3;
    assert_eq!(decode(&b), Err(Error::BadVersion));
    assert_eq!(decode(&hello[..20]), Err(Error::Truncated));
    assert_eq!(decode(&hello[..40]), Err(Error::Truncated));
    let mut b = hello.clone();
    b[2..4].copy_from_slice(&10u16.to_be_bytes());
    assert_eq!(decode(&b), Err(Error::BadLength));
    let mut b = hello.clone();
    b[14..16].copy_from_slice(&7u16.to_be_bytes());
    assert_eq!(decode(&b), Err(Error::BadAuth));
    let mut p = decode(&hello).unwrap();
    p.header.kind = 9;
    assert_eq!(decode(&p.encode(&[])), Err(Error::UnknownType));
    // An LSA whose bytes were changed after its checksum: the header checksum is right.
    let at = capture().iter().position(|b| b[1] == kind::LSU).unwrap();
    let mut p = decode(&unauthenticated(at)).unwrap();
    if let Body::Lsu(l) = &mut p.body {
        let last = l[0].bytes.len() - 1;
        l[0].bytes[last] ^= 0x55;
    }
    assert_eq!(decode(&p.encode(&[])), Err(Error::BadLsaChecksum));
}

#[test]
fn md5_authentication_signs_and_checks() {
    let p = Packet {
        header: Header {
            kind: kind::HELLO,
            router_id: 0x0101_0101,
            area: 0,
            auth: Auth::Md5 {
                key_id: 7,
                seq: 1234,
            },
        },
        body: Body::Hello(Hello {
            mask: 0xffff_ff00,
            hello_interval: 10,
            options: options::E,
            priority: 128,
            dead_interval: 40,
            dr: 0,
            bdr: 0,
            neighbors: vec![0x0202_0202],
        }),
    };
    let b = p.encode(b"secret");
    assert_eq!(b.len(), 48 + MD5_LEN);
    assert_eq!(decode(&b).unwrap(), p);
    assert!(md5_ok(&b, b"secret"));
    assert!(!md5_ok(&b, b"wrong"));
    assert!(!md5_ok(&b[..b.len() - 1], b"secret"));
    let mut simple = p.clone();
    simple.header.auth = Auth::Simple(*b"pass\0\0\0\0");
    let b = simple.encode(&[]);
    assert_eq!(decode(&b).unwrap(), simple);
}

#[test]
fn fletcher_checksum_of_a_made_lsa_verifies() {
    let lsa = Lsa::new(
        1,
        options::E,
        LsaKey {
            kind: lsa_type::EXTERNAL,
            id: 0xc000_0200,
            adv: 0x0a00_0001,
        },
        INITIAL_SEQ,
        LsaBody::External {
            mask: 0xffff_ff00,
            type2: true,
            metric: 20,
            forward: 0,
            tag: 0,
        },
    );
    assert!(lsa_checksum_ok(&lsa.bytes));
    assert_eq!(lsa.header.length, 36);
    let mut aged = lsa.clone();
    aged.set_age(MAX_AGE);
    assert!(lsa_checksum_ok(&aged.bytes), "the age is not covered");
    assert_eq!(Lsa::decode(&aged.bytes).unwrap().0.header.age, MAX_AGE);
}
