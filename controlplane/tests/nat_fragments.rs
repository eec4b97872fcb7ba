//! Fragmented datagrams through masquerade, on byte buffers: the later fragments (which
//! carry no ports) take the translation of their first, so the datagram leaves whole under
//! the public address and reassembles with a right UDP checksum; both ways; two customers
//! in two VRFs with the same addresses and the same IP identification kept apart; a later
//! fragment without its first dropped and counted, never sent with the private address.

use dataplane::conntrack::Conntrack;
use dataplane::counters::DropReason;
use dataplane::pipeline::{Pipeline, Verdict};
use dataplane::wire::{checksum, ipv4, udp};
use rspe_controlplane::rib::builder::snapshot_from_config;
use shared::snapshot::Snapshot;
use shared::types::PortId;
use std::sync::Arc;

const CONFIG: &str = "\
/interface ethernet set [ find default-name=ether3 ] name=public
/ip address add address=172.16.1.2/24 interface=public
/ip address add address=192.168.1.1/24 interface=ether1
/ip address add address=192.168.1.1/24 interface=ether2
/ip route add gateway=172.16.1.1
/ip vrf add name=cust_a interfaces=ether1 place-before 0
/ip vrf add name=cust_b interfaces=ether2 place-before 0
/ip route add gateway=172.16.1.1@main routing-table=cust_a
/ip route add gateway=172.16.1.1@main routing-table=cust_b
/ip firewall nat add chain=srcnat out-interface=public action=masquerade
/ip firewall mangle add action=mark-connection chain=prerouting connection-state=new new-connection-mark=a in-interface=ether1 passthrough=no
/ip firewall mangle add action=mark-connection chain=prerouting connection-state=new new-connection-mark=b in-interface=ether2 passthrough=no
/ip firewall mangle add action=mark-routing chain=prerouting connection-mark=a in-interface=public new-routing-mark=cust_a
/ip firewall mangle add action=mark-routing chain=prerouting connection-mark=b in-interface=public new-routing-mark=cust_b
";

const GW: u32 = 0xac10_0101; // 172.16.1.1
const PUBLIC: u32 = 0xac10_0102; // 172.16.1.2
const HOST: u32 = 0xc0a8_0102; // 192.168.1.2 (both customers)
const SERVER: u32 = 0x0808_0808;
const PUBLIC_PORT: u16 = 2;

fn snapshot() -> Snapshot {
    snapshot_from_config(CONFIG, 3, &[(2, GW), (0, HOST), (1, HOST)]).unwrap()
}

/// A UDP datagram of `len` bytes of data from `src`:`sport` to `dst`:`dport` with IP
/// identification `id`, cut in fragments of at most 576 bytes, each a frame for `port`.
fn fragments(
    snap: &Snapshot,
    port: u16,
    (src, sport): (u32, u16),
    (dst, dport): (u32, u16),
    id: u16,
    len: usize,
) -> Vec<Vec<u8>> {
    let mut l4 = vec![0u8; 8 + len];
    l4[0..2].copy_from_slice(&sport.to_be_bytes());
    l4[2..4].copy_from_slice(&dport.to_be_bytes());
    l4[4..6].copy_from_slice(&((8 + len) as u16).to_be_bytes());
    for (i, b) in l4[8..].iter_mut().enumerate() {
        *b = i as u8;
    }
    let sum = checksum::sum(&l4, checksum::pseudo_header(src, dst, 17, l4.len() as u16));
    l4[6..8].copy_from_slice(&checksum::finish(sum).to_be_bytes());
    let mut f = snap.port(PortId(port)).unwrap().mac.to_vec();
    f.extend_from_slice(&[2, 0, 0, 0, 0xaa, 1, 0x08, 0x00]);
    let mut ip = vec![0u8; 20];
    ip[0] = 0x45;
    ip[2..4].copy_from_slice(&((20 + l4.len()) as u16).to_be_bytes());
    ip[4..6].copy_from_slice(&id.to_be_bytes());
    ip[8] = 64;
    ip[9] = 17;
    ip[12..16].copy_from_slice(&src.to_be_bytes());
    ip[16..20].copy_from_slice(&dst.to_be_bytes());
    ip.extend_from_slice(&l4);
    ipv4::Packet::new_checked(&mut ip[..])
        .unwrap()
        .fill_checksum();
    f.extend_from_slice(&ip);
    let mut out = Vec::new();
    dataplane::fragment::fragment(&f, 14, 576, &mut |fr| {
        out.push(fr.to_vec());
        true
    })
    .unwrap();
    assert!(out.len() >= 2, "{} fragments", out.len());
    out
}

/// The datagram the forwarded fragments `frs` make: (src, dst, id, UDP header and data),
/// every IPv4 checksum checked.
fn reassemble(frs: &[Vec<u8>]) -> (u32, u32, u16, Vec<u8>) {
    let mut data = Vec::new();
    let first = ipv4::Packet::new_checked(&frs[0][14..]).unwrap();
    for f in frs {
        let ip = ipv4::Packet::new_checked(&f[14..]).unwrap();
        assert!(ip.verify_checksum(), "IPv4 checksum of every fragment");
        assert_eq!(
            (ip.src(), ip.dst(), ip.ident()),
            (first.src(), first.dst(), first.ident())
        );
        let at = usize::from(ip.frag_offset());
        data.resize(data.len().max(at + ip.payload().len()), 0);
        data[at..at + ip.payload().len()].copy_from_slice(ip.payload());
    }
    (first.src(), first.dst(), first.ident(), data)
}

fn run(p: &mut Pipeline, snap: &Snapshot, port: u16, frs: &mut [Vec<u8>]) -> Vec<Verdict> {
    frs.iter_mut()
        .map(|f| p.process(snap, PortId(port), f, 1_000))
        .collect()
}

#[test]
fn a_fragmented_datagram_crosses_masquerade_whole_both_ways() {
    let snap = snapshot();
    let mut p = Pipeline::default().with_conntrack(Arc::new(Conntrack::new(1000)));
    let mut out = fragments(&snap, 0, (HOST, 5000), (SERVER, 53), 77, 1400);
    let v = run(&mut p, &snap, 0, &mut out);
    assert!(
        v.iter()
            .all(|v| *v == Verdict::Forward(PortId(PUBLIC_PORT))),
        "{v:?}"
    );
    let (src, dst, _, dgram) = reassemble(&out);
    assert_eq!(
        (src, dst),
        (PUBLIC, SERVER),
        "every fragment under the public address"
    );
    let u = udp::Packet::new_checked(&dgram[..]).unwrap();
    assert!(
        u.verify_checksum(src, dst),
        "the whole datagram's UDP checksum"
    );
    let nat_port = u.src_port();
    assert_eq!(dgram.len(), 8 + 1400);
    assert!(
        dgram[8..].iter().enumerate().all(|(i, b)| *b == i as u8),
        "data intact"
    );
    // The answer, fragmented too, goes back to the host in cust_a.
    let mut back = fragments(&snap, 2, (SERVER, 53), (PUBLIC, nat_port), 9, 1000);
    let v = run(&mut p, &snap, 2, &mut back);
    assert!(v.iter().all(|v| *v == Verdict::Forward(PortId(0))), "{v:?}");
    let (src, dst, _, dgram) = reassemble(&back);
    assert_eq!((src, dst), (SERVER, HOST));
    let u = udp::Packet::new_checked(&dgram[..]).unwrap();
    assert!(u.verify_checksum(src, dst));
    assert_eq!(u.dst_port(), 5000);
}

#[test]
fn two_customers_same_addresses_same_ident_kept_apart() {
    let snap = snapshot();
    let mut p = Pipeline::default().with_conntrack(Arc::new(Conntrack::new(1000)));
    let mut a = fragments(&snap, 0, (HOST, 5000), (SERVER, 53), 77, 1400);
    let mut b = fragments(&snap, 1, (HOST, 5000), (SERVER, 53), 77, 1400);
    // Interleaved: both firsts, then the rest of each.
    let mut va = vec![p.process(&snap, PortId(0), &mut a[0], 1_000)];
    let mut vb = vec![p.process(&snap, PortId(1), &mut b[0], 1_000)];
    for i in 1..a.len() {
        va.push(p.process(&snap, PortId(0), &mut a[i], 1_000));
        vb.push(p.process(&snap, PortId(1), &mut b[i], 1_000));
    }
    assert!(va
        .iter()
        .chain(&vb)
        .all(|v| *v == Verdict::Forward(PortId(PUBLIC_PORT))));
    let (_, _, _, da) = reassemble(&a);
    let (_, _, _, db) = reassemble(&b);
    let (pa, pb) = (
        udp::Packet::new_checked(&da[..]).unwrap().src_port(),
        udp::Packet::new_checked(&db[..]).unwrap().src_port(),
    );
    assert_ne!(pa, pb, "two connections, two public ports");
    assert!(udp::Packet::new_checked(&db[..])
        .unwrap()
        .verify_checksum(PUBLIC, SERVER));
}

#[test]
fn a_later_fragment_without_its_first_is_dropped_not_leaked() {
    let snap = snapshot();
    let mut p = Pipeline::default().with_conntrack(Arc::new(Conntrack::new(1000)));
    let mut frs = fragments(&snap, 0, (HOST, 5001), (SERVER, 53), 300, 1400);
    // The second fragment first: nothing to translate it with.
    let v = p.process(&snap, PortId(0), &mut frs[1], 1_000);
    assert_eq!(v, Verdict::Drop(DropReason::FragmentNoFirst));
    // The first, then the last: they go, translated.
    let v = p.process(&snap, PortId(0), &mut frs[0], 1_000);
    assert_eq!(v, Verdict::Forward(PortId(PUBLIC_PORT)));
    let last = frs.len() - 1;
    let v = p.process(&snap, PortId(0), &mut frs[last], 1_000);
    assert_eq!(v, Verdict::Forward(PortId(PUBLIC_PORT)));
    let ip = ipv4::Packet::new_checked(&frs[last][14..]).unwrap();
    assert_eq!(ip.src(), PUBLIC);
    // Thirty seconds on, the datagram is forgotten.
    let mut late = fragments(&snap, 0, (HOST, 5001), (SERVER, 53), 300, 1400);
    let v = p.process(&snap, PortId(0), &mut late[1], 31_000_000_000);
    assert_eq!(v, Verdict::Drop(DropReason::FragmentNoFirst));
}
