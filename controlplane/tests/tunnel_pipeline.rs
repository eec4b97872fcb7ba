//! Tunnels in the pipeline, from RouterOS configurations: the seed's local IPIP tunnels
//! between two VRFs (a packet from custC's network reaches custB's through them), a GRE
//! tunnel with a key whose underlay is in another VRF (the outer header byte for byte,
//! the far end's packets decapsulated into the overlay VRF), ICMP errors through a tunnel,
//! MSS clamping, and bad input: GRE with checksum or routing bits, unknown endpoints or
//! keys, truncated headers, recursion.

use dataplane::counters::DropReason;
use dataplane::pipeline::{Pipeline, Verdict};
use dataplane::wire::{checksum, icmp, ipv4};
use rspe_controlplane::rib::builder::snapshot_from_config;
use shared::snapshot::Snapshot;
use shared::tunnel::TUNNEL_BASE;
use shared::types::PortId;

/// The seed's "Leaking routes between VRFs", with ports for the customers' networks and
/// static routes where the seed runs OSPF.
const SEED: &str = "\
/interface bridge add name=lo1
/interface bridge add name=lo2
/ip address add address=111.255.255.1 interface=lo1 network=111.255.255.1
/ip address add address=111.255.255.2 interface=lo2 network=111.255.255.2
/ip address add address=172.16.1.1/24 interface=ether1
/ip address add address=172.16.2.1/24 interface=ether2
/interface ipip add local-address=111.255.255.1 name=ipip-tunnel1 remote-address=111.255.255.2
/interface ipip add local-address=111.255.255.2 name=ipip-tunnel2 remote-address=111.255.255.1
/ip address add address=192.168.1.1/24 interface=ipip-tunnel1 network=192.168.1.0
/ip address add address=192.168.1.2/24 interface=ipip-tunnel2 network=192.168.1.0
/ip vrf add interfaces=ipip-tunnel1,ether1 name=custC
/ip vrf add interfaces=ipip-tunnel2,ether2 name=custB
/ip route add dst-address=172.16.2.0/24 gateway=192.168.1.2@custC routing-table=custC
/ip route add dst-address=172.16.1.0/24 gateway=192.168.1.1@custB routing-table=custB
";

const HOST_C: u32 = 0xac10_010a; // 172.16.1.10
const HOST_B: u32 = 0xac10_020a; // 172.16.2.10

/// A GRE tunnel (key 77) in VRF cust whose underlay is VRF wan on ether2.
const GRE: &str = "\
/ip address add address=10.0.0.1/24 interface=ether1
/ip address add address=203.0.113.1/24 interface=ether2
/interface gre add name=gre1 local-address=203.0.113.1 remote-address=198.51.100.2@wan key=77
/ip address add address=10.9.9.1/30 interface=gre1
/ip vrf add name=wan interfaces=ether2
/ip vrf add name=cust interfaces=ether1,gre1
/ip route add dst-address=198.51.100.0/24 gateway=203.0.113.254@wan routing-table=wan
/ip route add dst-address=10.20.0.0/16 gateway=10.9.9.2@cust routing-table=cust
";

const GRE_LOCAL: u32 = 0xcb00_7101; // 203.0.113.1
const GRE_REMOTE: u32 = 0xc633_6402; // 198.51.100.2
const WAN_GW: u32 = 0xcb00_71fe; // 203.0.113.254
const CUST_HOST: u32 = 0x0a00_000a; // 10.0.0.10
const FAR_HOST: u32 = 0x0a14_0005; // 10.20.0.5

fn seed() -> Snapshot {
    snapshot_from_config(SEED, 2, &[(0, HOST_C), (1, HOST_B)]).unwrap()
}

fn gre() -> Snapshot {
    snapshot_from_config(GRE, 2, &[(0, CUST_HOST), (1, WAN_GW)]).unwrap()
}

/// An Ethernet + IPv4 frame to `port`'s MAC with `l4` as payload (L4 checksum left 0).
fn frame(snap: &Snapshot, port: u16, src: u32, dst: u32, proto: u8, l4: &[u8]) -> Vec<u8> {
    let mut f = vec![0u8; 14 + 20];
    if let Some(i) = snap.port(PortId(port)) {
        f[0..6].copy_from_slice(&i.mac);
    }
    f[6..12].copy_from_slice(&[2, 0, 0, 0, 0, 0x77]);
    f[12..14].copy_from_slice(&[0x08, 0x00]);
    f[14] = 0x45;
    f[14 + 2..14 + 4].copy_from_slice(&((20 + l4.len()) as u16).to_be_bytes());
    f[14 + 8] = 64;
    f[14 + 9] = proto;
    f[14 + 12..14 + 16].copy_from_slice(&src.to_be_bytes());
    f[14 + 16..14 + 20].copy_from_slice(&dst.to_be_bytes());
    f.extend_from_slice(l4);
    ipv4::Packet::new_checked(&mut f[14..])
        .unwrap()
        .fill_checksum();
    f
}

fn ping(snap: &Snapshot, port: u16, src: u32, dst: u32, len: usize) -> Vec<u8> {
    let mut l4 = vec![0u8; 8 + len];
    l4[0] = icmp::ECHO_REQUEST;
    let c = checksum::finish(checksum::sum(&l4, 0));
    l4[2..4].copy_from_slice(&c.to_be_bytes());
    frame(snap, port, src, dst, 1, &l4)
}

fn ip(f: &[u8]) -> ipv4::Packet<&[u8]> {
    let p = ipv4::Packet::new_checked(&f[14..]).unwrap();
    assert!(p.verify_checksum(), "IPv4 checksum");
    p
}

#[test]
fn seed_local_tunnels_carry_custc_to_custb_and_back() {
    let snap = seed();
    let mut p = Pipeline::default();
    let mut f = ping(&snap, 0, HOST_C, HOST_B, 56);
    assert_eq!(
        p.process(&snap, PortId(0), &mut f, 1),
        Verdict::Forward(PortId(1))
    );
    // Out of ether2 to custB's host, as two routers' hops (custC, then custB).
    let h = ip(&f);
    assert_eq!(
        (h.src(), h.dst(), h.ttl(), h.total_len()),
        (HOST_C, HOST_B, 62, 84)
    );
    assert_eq!(f.len(), 14 + 84, "no outer header left");
    assert_eq!(&f[0..6], &[2, 0, 0, 9, 1, 1], "custB host's MAC");
    // And back.
    let mut r = ping(&snap, 1, HOST_B, HOST_C, 56);
    assert_eq!(
        p.process(&snap, PortId(1), &mut r, 2),
        Verdict::Forward(PortId(0))
    );
    assert_eq!(ip(&r).dst(), HOST_C);
    // The burst path agrees.
    let mut burst = vec![
        ping(&snap, 0, HOST_C, HOST_B, 8),
        ping(&snap, 0, HOST_C, HOST_B, 8),
    ];
    let mut v = [Verdict::Punt; 2];
    p.process_burst(&snap, PortId(0), &mut burst, &mut v, 3);
    assert_eq!(v, [Verdict::Forward(PortId(1)); 2]);
}

#[test]
fn seed_tunnel_addresses_answer_in_their_own_vrf_only() {
    let snap = seed();
    let mut p = Pipeline::default();
    // custC's host pings custB's end of the tunnel: it comes out of tunnel2 for the router.
    let mut f = ping(&snap, 0, HOST_C, 0xc0a8_0102, 8);
    let tunnel2 = PortId(TUNNEL_BASE + 1);
    assert_eq!(
        p.process(&snap, PortId(0), &mut f, 1),
        Verdict::PuntTo(tunnel2)
    );
    // An OSPF hello custB's kernel sends on tunnel2's twin comes out of tunnel1 into
    // custC's twin.
    let mut hello = frame(&snap, 1, 0xc0a8_0102, 0xe000_0005, 89, &[2, 1, 0, 44]);
    hello[14 + 8] = 1;
    ipv4::Packet::new_checked(&mut hello[14..])
        .unwrap()
        .fill_checksum();
    let out = dataplane::pipeline::own::into_tunnel(&mut p, &snap, tunnel2.0, None, &mut hello, 2);
    assert_eq!(out, dataplane::pipeline::own::Own::Punt(TUNNEL_BASE));
    assert_eq!(ip(&hello).dst(), 0xe000_0005);
    assert_eq!(ip(&hello).ttl(), 1, "the router's own packet keeps its TTL");
    // custC cannot reach custB's other addresses except through the tunnel's routes.
    let mut f = ping(&snap, 0, HOST_C, 0x0a00_0001, 8);
    assert!(matches!(
        p.process(&snap, PortId(0), &mut f, 4),
        Verdict::Reply(PortId(0), DropReason::NoRoute)
    ));
}

#[test]
fn gre_with_key_encapsulates_byte_for_byte_in_the_underlay_vrf() {
    let snap = gre();
    let mut p = Pipeline::default();
    let mut f = ping(&snap, 0, CUST_HOST, FAR_HOST, 8);
    let inner_before = f[14..].to_vec();
    assert_eq!(
        p.process(&snap, PortId(0), &mut f, 1),
        Verdict::Forward(PortId(1))
    );
    assert_eq!(&f[0..6], &[2, 0, 0, 9, 1, 1], "the wan gateway's MAC");
    assert_eq!(&f[12..14], &[0x08, 0x00]);
    let o = ip(&f);
    assert_eq!(
        (o.src(), o.dst(), o.protocol(), o.ttl()),
        (GRE_LOCAL, GRE_REMOTE, 47, 255)
    );
    assert_eq!(usize::from(o.total_len()), 20 + 8 + inner_before.len());
    assert!(!o.dont_frag(), "dont-fragment=no");
    // GRE: K bit, IPv4, key 77.
    assert_eq!(&f[34..42], &[0x20, 0x00, 0x08, 0x00, 0, 0, 0, 77]);
    // The inner packet, its TTL lowered by one.
    let inner = ipv4::Packet::new_checked(&f[42..]).unwrap();
    assert!(inner.verify_checksum());
    assert_eq!(
        (inner.src(), inner.dst(), inner.ttl()),
        (CUST_HOST, FAR_HOST, 63)
    );
    assert_eq!(&f[42 + 20..], &inner_before[20..], "payload untouched");
}

/// A GRE packet from the far end, arriving on ether2 (wan).
fn from_far_end(snap: &Snapshot, gre_hdr: &[u8], inner: &[u8]) -> Vec<u8> {
    let mut l4 = gre_hdr.to_vec();
    l4.extend_from_slice(inner);
    frame(snap, 1, GRE_REMOTE, GRE_LOCAL, 47, &l4)
}

#[test]
fn gre_from_the_far_end_is_routed_in_the_overlay_vrf() {
    let snap = gre();
    let mut p = Pipeline::default();
    let inner = ping(&snap, 0, FAR_HOST, CUST_HOST, 8)[14..].to_vec();
    let key77 = [0x20, 0x00, 0x08, 0x00, 0, 0, 0, 77];
    let mut f = from_far_end(&snap, &key77, &inner);
    assert_eq!(
        p.process(&snap, PortId(1), &mut f, 1),
        Verdict::Forward(PortId(0))
    );
    let h = ip(&f);
    assert_eq!((h.src(), h.dst(), h.ttl()), (FAR_HOST, CUST_HOST, 63));
    assert_eq!(f.len(), 14 + inner.len());
    // Another key, no key, checksum or routing bits, another version or payload, cut short,
    // an unknown far end, not IPv4 inside: dropped and counted.
    let cases: &[(&[u8], &[u8], DropReason)] = &[
        (
            &[0x20, 0, 8, 0, 0, 0, 0, 78],
            &inner,
            DropReason::NoSuchTunnel,
        ),
        (&[0, 0, 8, 0], &inner, DropReason::NoSuchTunnel),
        (
            &[0xa0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0, 77],
            &inner,
            DropReason::BadTunnelHeader,
        ),
        (
            &[0x60, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0, 77],
            &inner,
            DropReason::BadTunnelHeader,
        ),
        (
            &[0x20, 1, 8, 0, 0, 0, 0, 77],
            &inner,
            DropReason::BadTunnelHeader,
        ),
        (
            &[0x20, 0, 0x64, 0, 0, 0, 0, 77],
            &inner,
            DropReason::BadTunnelHeader,
        ),
        (&[0x20, 0, 8], &[], DropReason::Truncated),
        (&[0x20, 0, 8, 0, 0, 0], &[], DropReason::Truncated),
        (&key77, &[0x60; 40], DropReason::BadTunnelHeader),
        (&key77, &inner[..12], DropReason::BadTunnelHeader),
    ];
    for (i, (hdr, payload, why)) in cases.iter().enumerate() {
        let mut f = from_far_end(&snap, hdr, payload);
        assert_eq!(
            p.process(&snap, PortId(1), &mut f, 2),
            Verdict::Drop(*why),
            "case {i}"
        );
    }
    let mut f = from_far_end(&snap, &key77, &inner);
    f[14 + 12..14 + 16].copy_from_slice(&0xc633_6403u32.to_be_bytes());
    ipv4::Packet::new_checked(&mut f[14..])
        .unwrap()
        .fill_checksum();
    assert_eq!(
        p.process(&snap, PortId(1), &mut f, 3),
        Verdict::Drop(DropReason::NoSuchTunnel),
        "unknown far end"
    );
    // The tunnel's underlay is wan: the same packet arriving in cust matches nothing (it
    // is for no address of cust's either).
    let mut f = from_far_end(&snap, &key77, &inner);
    f[0..6].copy_from_slice(&snap.port(PortId(0)).unwrap().mac);
    assert!(matches!(
        p.process(&snap, PortId(0), &mut f, 4),
        Verdict::Reply(..) | Verdict::Drop(_)
    ));
}

#[test]
fn df_packets_too_large_for_the_tunnel_get_its_mtu_back() {
    let snap = gre();
    let mut p = Pipeline::default();
    // gre1's MTU is 1500 - 28.
    let mut f = ping(&snap, 0, CUST_HOST, FAR_HOST, 1472 - 28);
    f[14 + 6] = 0x40;
    ipv4::Packet::new_checked(&mut f[14..])
        .unwrap()
        .fill_checksum();
    let mut ok = f.clone();
    assert_eq!(
        p.process(&snap, PortId(0), &mut ok, 1),
        Verdict::Forward(PortId(1))
    );
    assert_eq!(ok.len(), 14 + 1500);
    let mut big = ping(&snap, 0, CUST_HOST, FAR_HOST, 1472 - 27);
    big[14 + 6] = 0x40;
    ipv4::Packet::new_checked(&mut big[14..])
        .unwrap()
        .fill_checksum();
    assert_eq!(
        p.process(&snap, PortId(0), &mut big, 2),
        Verdict::Reply(PortId(0), DropReason::FragNeeded)
    );
    let reply = ip(&big);
    let m = icmp::Packet::new_checked(reply.payload()).unwrap();
    assert_eq!((m.msg_type(), m.code()), (3, 4));
    assert_eq!(u16::from_be_bytes([big[34 + 6], big[34 + 7]]), 1472);
    // Without DF the outer packet is cut instead (the far end reassembles).
    let mut big = ping(&snap, 0, CUST_HOST, FAR_HOST, 1472 - 27);
    assert_eq!(
        p.process(&snap, PortId(0), &mut big, 3),
        Verdict::Fragment(PortId(1), 1500)
    );
}

#[test]
fn tcp_syn_mss_is_clamped_to_the_tunnel() {
    let snap = gre();
    let mut p = Pipeline::default();
    let mut l4 = vec![0u8; 24];
    l4[12] = 6 << 4;
    l4[13] = 0x02; // SYN
    l4[20..24].copy_from_slice(&[2, 4, 0x05, 0xb4]); // MSS 1460
    let mut f = frame(&snap, 0, CUST_HOST, FAR_HOST, 6, &l4);
    let s = checksum::sum(
        &f[34..],
        checksum::pseudo_header(CUST_HOST, FAR_HOST, 6, 24),
    );
    let c = checksum::finish(s);
    f[34 + 16..34 + 18].copy_from_slice(&c.to_be_bytes());
    assert_eq!(
        p.process(&snap, PortId(0), &mut f, 1),
        Verdict::Forward(PortId(1))
    );
    let tcp = &f[42 + 20..];
    assert_eq!(u16::from_be_bytes([tcp[22], tcp[23]]), 1472 - 40);
    let s = checksum::sum(tcp, checksum::pseudo_header(CUST_HOST, FAR_HOST, 6, 24));
    assert_eq!(checksum::finish(s), 0, "TCP checksum still right");
}

#[test]
fn a_tunnel_routed_through_itself_is_a_loop() {
    let cfg =
        format!("{GRE}/ip route add dst-address=198.51.100.2/32 gateway=gre1 routing-table=wan\n");
    let snap = snapshot_from_config(&cfg, 2, &[(0, CUST_HOST), (1, WAN_GW)]).unwrap();
    let mut p = Pipeline::default();
    let mut f = ping(&snap, 0, CUST_HOST, FAR_HOST, 8);
    assert_eq!(
        p.process(&snap, PortId(0), &mut f, 1),
        Verdict::Drop(DropReason::TunnelLoop)
    );
}

#[test]
fn keepalives_come_back_through_local_tunnels() {
    let snap = seed();
    let mut p = Pipeline::default();
    let t1 = *snap.tunnels.get(PortId(TUNNEL_BASE)).unwrap();
    let mut ka = dataplane::pipeline::keepalive_frame(&t1);
    // Into tunnel1, out of tunnel2, reflected into tunnel2 (main's table), out of tunnel1.
    let out = dataplane::pipeline::own::into_tunnel(&mut p, &snap, TUNNEL_BASE, None, &mut ka, 1);
    assert_eq!(
        out,
        dataplane::pipeline::own::Own::Drop(DropReason::TunnelKeepalive, None)
    );
    let events: Vec<_> = p.drain_events().collect();
    assert_eq!(
        events,
        vec![dataplane::pipeline::Event::TunnelAlive {
            port: PortId(TUNNEL_BASE)
        }]
    );
}

#[test]
fn gre_keepalives_go_out_and_the_far_ends_are_sent_back() {
    let snap = gre();
    let mut p = Pipeline::default();
    let t = *snap.tunnels.get(PortId(TUNNEL_BASE)).unwrap();
    let mut ka = dataplane::pipeline::keepalive_frame(&t);
    let out = dataplane::pipeline::own::into_tunnel(&mut p, &snap, TUNNEL_BASE, None, &mut ka, 1);
    assert_eq!(out, dataplane::pipeline::own::Own::Out(1));
    // Outer GRE (key 77) holding a packet from the far end to us holding GRE type 0.
    let o = ip(&ka);
    assert_eq!(
        (o.src(), o.dst(), o.protocol()),
        (GRE_LOCAL, GRE_REMOTE, 47)
    );
    assert_eq!(&ka[34..42], &[0x20, 0, 8, 0, 0, 0, 0, 77]);
    let inner = ipv4::Packet::new_checked(&ka[42..]).unwrap();
    assert!(inner.verify_checksum());
    assert_eq!(
        (inner.src(), inner.dst(), inner.protocol()),
        (GRE_REMOTE, GRE_LOCAL, 47)
    );
    assert_eq!(&ka[42 + 20..], &[0x20, 0, 0, 0, 0, 0, 0, 77]);
    // What the far end does with it: sends the inner packet back to us, which is ours.
    let mut back = frame(
        &snap,
        1,
        GRE_REMOTE,
        GRE_LOCAL,
        47,
        &[0x20, 0, 0, 0, 0, 0, 0, 77],
    );
    assert_eq!(
        p.process(&snap, PortId(1), &mut back, 2),
        Verdict::Drop(DropReason::TunnelKeepalive)
    );
    assert_eq!(
        p.drain_events().collect::<Vec<_>>(),
        vec![dataplane::pipeline::Event::TunnelAlive {
            port: PortId(TUNNEL_BASE)
        }]
    );
    // The far end's keepalive: we send its inner packet back to it through the underlay.
    let mut l4 = vec![0x20, 0, 8, 0, 0, 0, 0, 77];
    let theirs = frame(
        &snap,
        1,
        GRE_LOCAL,
        GRE_REMOTE,
        47,
        &[0x20, 0, 0, 0, 0, 0, 0, 77],
    );
    l4.extend_from_slice(&theirs[14..]);
    let mut f = frame(&snap, 1, GRE_REMOTE, GRE_LOCAL, 47, &l4);
    assert_eq!(
        p.process(&snap, PortId(1), &mut f, 3),
        Verdict::Forward(PortId(1))
    );
    assert_eq!(&f[14..], &theirs[14..]);
    assert_eq!(&f[0..6], &[2, 0, 0, 9, 1, 1], "to the wan gateway");
}

#[test]
fn a_tunnel_whose_local_address_is_not_ours_does_not_run() {
    // 203.0.113.9 is another host's on wan's network: the tunnel must not take in packets
    // meant for it.
    let cfg = GRE.replace("local-address=203.0.113.1", "local-address=203.0.113.9");
    let snap = snapshot_from_config(&cfg, 2, &[(0, CUST_HOST), (1, WAN_GW)]).unwrap();
    assert!(!snap.tunnels.get(PortId(TUNNEL_BASE)).unwrap().up);
    let mut p = Pipeline::default();
    let mut f = ping(&snap, 0, CUST_HOST, FAR_HOST, 8);
    assert_eq!(
        p.process(&snap, PortId(0), &mut f, 1),
        Verdict::Reply(PortId(0), DropReason::NoRoute),
        "the route through the tunnel is inactive"
    );
    let inner = ping(&snap, 0, FAR_HOST, CUST_HOST, 8)[14..].to_vec();
    let mut l4 = vec![0x20, 0, 8, 0, 0, 0, 0, 77];
    l4.extend_from_slice(&inner);
    let mut f = frame(&snap, 1, GRE_REMOTE, 0xcb00_7109, 47, &l4);
    let v = p.process(&snap, PortId(1), &mut f, 2);
    assert!(
        !matches!(v, Verdict::Forward(PortId(0)) | Verdict::PuntTo(_)),
        "not decapsulated: {v:?}"
    );
}
