//! Layer-2 tunnels in the pipeline, from RouterOS configurations: EoIP (MikroTik's framing:
//! GRE `20 01 64 00`, the frame's length, the tunnel id little-endian) and VXLAN with two
//! VTEPs, both in VRF cust with their underlay in VRF wan. The outer headers byte for byte,
//! the far end's frames decapsulated and routed, ARP through the tunnel to the twin and
//! the VTEP learned from it, flooding of the router's own broadcasts to every VTEP, EoIP
//! keepalives, a local EoIP tunnel between two VRFs, and bad input.

use dataplane::counters::DropReason;
use dataplane::pipeline::own::{self, Own};
use dataplane::pipeline::{Event, Pipeline, Verdict};
use dataplane::wire::{checksum, icmp, ipv4};
use rspe_controlplane::rib::builder::snapshot_from_config;
use shared::snapshot::Snapshot;
use shared::tunnel::{Vtep, TUNNEL_BASE};
use shared::types::PortId;
use std::sync::Arc;

const CONFIG: &str = "\
/ip address add address=10.0.0.1/24 interface=ether1
/ip address add address=203.0.113.1/24 interface=ether2
/interface eoip add name=eoip1 local-address=203.0.113.1 remote-address=198.51.100.2@wan tunnel-id=300 mac-address=02:00:00:00:E0:01
/interface vxlan add name=vx1 vni=5000 local-address=203.0.113.1 vrf=wan mac-address=02:00:00:00:F0:01
/interface vxlan vteps add interface=vx1 remote-ip=198.51.100.2
/interface vxlan vteps add interface=vx1 remote-ip=198.51.100.3 port=8472
/ip address add address=10.9.9.1/24 interface=eoip1
/ip address add address=10.8.8.1/24 interface=vx1
/ip vrf add name=wan interfaces=ether2
/ip vrf add name=cust interfaces=ether1,eoip1,vx1
/ip route add dst-address=198.51.100.0/24 gateway=203.0.113.254@wan routing-table=wan
/ip route add dst-address=10.20.0.0/16 gateway=10.9.9.2@cust routing-table=cust
/ip route add dst-address=10.30.0.0/16 gateway=10.8.8.2@cust routing-table=cust
";

const LOCAL: u32 = 0xcb00_7101; // 203.0.113.1
const REMOTE: u32 = 0xc633_6402; // 198.51.100.2
const VTEP2: u32 = 0xc633_6403; // 198.51.100.3
const WAN_GW: u32 = 0xcb00_71fe; // 203.0.113.254
const CUST_HOST: u32 = 0x0a00_000a; // 10.0.0.10
const EOIP_NEIGHBOR: u32 = 0x0a09_0902; // 10.9.9.2
const VX_NEIGHBOR: u32 = 0x0a08_0802; // 10.8.8.2
const EOIP: PortId = PortId(TUNNEL_BASE);
const VX: PortId = PortId(TUNNEL_BASE + 1);
const EOIP_MAC: [u8; 6] = [2, 0, 0, 0, 0xe0, 1];
const VX_MAC: [u8; 6] = [2, 0, 0, 0, 0xf0, 1];
/// The MAC `snapshot_from_config` gives the neighbours on the tunnels (port byte 0, 1).
const EOIP_NEIGHBOR_MAC: [u8; 6] = [2, 0, 0, 9, 0, 1];
const VX_NEIGHBOR_MAC: [u8; 6] = [2, 0, 0, 9, 1, 1];

fn snap() -> Snapshot {
    snapshot_from_config(
        CONFIG,
        2,
        &[
            (0, CUST_HOST),
            (1, WAN_GW),
            (EOIP.0, EOIP_NEIGHBOR),
            (VX.0, VX_NEIGHBOR),
        ],
    )
    .unwrap()
}

/// `snap` with `mac` learned behind `vtep` of the VXLAN tunnel.
fn with_fdb(mut snap: Snapshot, mac: [u8; 6], vtep: Vtep) -> Snapshot {
    let mut t = (*snap.tunnels).clone();
    t.fdb.insert((VX.0, mac), vtep);
    snap.tunnels = Arc::new(t);
    snap
}

/// An Ethernet + IPv4 frame from `smac` to `dmac` with `l4` as payload.
fn frame(dmac: [u8; 6], smac: [u8; 6], src: u32, dst: u32, proto: u8, l4: &[u8]) -> Vec<u8> {
    let mut f = vec![0u8; 14 + 20];
    f[0..6].copy_from_slice(&dmac);
    f[6..12].copy_from_slice(&smac);
    f[12..14].copy_from_slice(&[0x08, 0x00]);
    f[14] = 0x45;
    f[16..18].copy_from_slice(&((20 + l4.len()) as u16).to_be_bytes());
    f[22] = 64;
    f[23] = proto;
    f[26..30].copy_from_slice(&src.to_be_bytes());
    f[30..34].copy_from_slice(&dst.to_be_bytes());
    f.extend_from_slice(l4);
    ipv4::Packet::new_checked(&mut f[14..])
        .unwrap()
        .fill_checksum();
    f
}

fn echo(len: usize) -> Vec<u8> {
    let mut l4 = vec![0u8; 8 + len];
    l4[0] = icmp::ECHO_REQUEST;
    let c = checksum::finish(checksum::sum(&l4, 0));
    l4[2..4].copy_from_slice(&c.to_be_bytes());
    l4
}

fn port_mac(snap: &Snapshot, port: u16) -> [u8; 6] {
    snap.port(PortId(port)).unwrap().mac
}

/// An ARP request from `sip` (`smac`) for `tip`, broadcast.
fn arp_request(smac: [u8; 6], sip: u32, tip: u32) -> Vec<u8> {
    let mut f = vec![0xff; 6];
    f.extend_from_slice(&smac);
    f.extend_from_slice(&[0x08, 0x06, 0, 1, 8, 0, 6, 4, 0, 1]);
    f.extend_from_slice(&smac);
    f.extend_from_slice(&sip.to_be_bytes());
    f.extend_from_slice(&[0; 6]);
    f.extend_from_slice(&tip.to_be_bytes());
    f.resize(60, 0);
    f
}

/// What the far end (`from`) sends: `hdr` then `inner` in an outer packet of protocol
/// `proto` to our underlay address, arriving on ether2.
fn outer(snap: &Snapshot, from: u32, proto: u8, hdr: &[u8], inner: &[u8]) -> Vec<u8> {
    let mut l4 = hdr.to_vec();
    l4.extend_from_slice(inner);
    frame(
        port_mac(snap, 1),
        [2, 0, 0, 9, 1, 1],
        from,
        LOCAL,
        proto,
        &l4,
    )
}

fn eoip_hdr(len: usize, id: u16) -> Vec<u8> {
    let mut h = vec![0x20, 0x01, 0x64, 0x00];
    h.extend_from_slice(&(len as u16).to_be_bytes());
    h.extend_from_slice(&id.to_le_bytes());
    h
}

fn vxlan_hdr(flags: u8, vni: u32, len: usize) -> Vec<u8> {
    let mut h = vec![0xc0, 0x01, 0x12, 0xb5];
    h.extend_from_slice(&((16 + len) as u16).to_be_bytes());
    h.extend_from_slice(&[0, 0, flags, 0, 0, 0]);
    h.extend_from_slice(&(vni << 8).to_be_bytes());
    h
}

fn ip(f: &[u8]) -> ipv4::Packet<&[u8]> {
    let p = ipv4::Packet::new_checked(&f[14..]).unwrap();
    assert!(p.verify_checksum(), "IPv4 checksum");
    p
}

#[test]
fn eoip_encapsulates_the_whole_frame_byte_for_byte() {
    let snap = snap();
    let mut p = Pipeline::default();
    let far = 0x0a14_0005; // 10.20.0.5, behind eoip1
    let mut f = frame(
        port_mac(&snap, 0),
        [2, 0, 0, 0, 0, 0x77],
        CUST_HOST,
        far,
        1,
        &echo(8),
    );
    let before = f[14..].to_vec();
    assert_eq!(
        p.process(&snap, PortId(0), &mut f, 1),
        Verdict::Forward(PortId(1))
    );
    assert_eq!(&f[0..6], &[2, 0, 0, 9, 1, 1], "the wan gateway's MAC");
    let o = ip(&f);
    assert_eq!(
        (o.src(), o.dst(), o.protocol(), o.ttl(), o.dont_frag()),
        (LOCAL, REMOTE, 47, 255, false)
    );
    let inner_len = 14 + before.len();
    assert_eq!(usize::from(o.total_len()), 20 + 8 + inner_len);
    // EoIP: 20 01 64 00, the frame's length big-endian, tunnel id 300 little-endian.
    assert_eq!(
        &f[34..42],
        &[0x20, 0x01, 0x64, 0x00, 0, inner_len as u8, 0x2c, 0x01]
    );
    // The inner frame: to the neighbour's MAC from eoip1's, the packet one hop older.
    assert_eq!(&f[42..48], &EOIP_NEIGHBOR_MAC);
    assert_eq!(&f[48..54], &EOIP_MAC);
    assert_eq!(&f[54..56], &[0x08, 0x00]);
    let inner = ipv4::Packet::new_checked(&f[56..]).unwrap();
    assert!(inner.verify_checksum());
    assert_eq!(
        (inner.src(), inner.dst(), inner.ttl()),
        (CUST_HOST, far, 63)
    );
    assert_eq!(&f[56 + 20..], &before[20..], "payload untouched");
}

#[test]
fn vxlan_sends_to_the_vtep_a_mac_is_behind_and_drops_unknown_ones() {
    let snap = snap();
    let mut p = Pipeline::default();
    let far = 0x0a1e_0005; // 10.30.0.5, behind vx1
    let ping = || {
        frame(
            port_mac(&snap, 0),
            [2, 0, 0, 0, 0, 0x77],
            CUST_HOST,
            far,
            1,
            &echo(8),
        )
    };
    // Two VTEPs, nothing learned: the fast path does not flood.
    let mut f = ping();
    assert_eq!(
        p.process(&snap, PortId(0), &mut f, 1),
        Verdict::Drop(DropReason::NoVtep)
    );
    let learned = with_fdb(
        snap.clone(),
        VX_NEIGHBOR_MAC,
        Vtep {
            ip: VTEP2,
            port: 8472,
        },
    );
    let mut f = ping();
    let before = f[14..].to_vec();
    assert_eq!(
        p.process(&learned, PortId(0), &mut f, 2),
        Verdict::Forward(PortId(1))
    );
    let o = ip(&f);
    assert_eq!(
        (o.src(), o.dst(), o.protocol(), o.ttl()),
        (LOCAL, VTEP2, 17, 255)
    );
    let inner_len = 14 + before.len();
    assert_eq!(usize::from(o.total_len()), 20 + 16 + inner_len);
    let udp = &f[34..42];
    let sport = u16::from_be_bytes([udp[0], udp[1]]);
    assert!(sport >= 49152, "source port {sport} in the dynamic range");
    assert_eq!(&udp[2..4], &8472u16.to_be_bytes(), "the VTEP's port");
    assert_eq!(
        usize::from(u16::from_be_bytes([udp[4], udp[5]])),
        16 + inner_len
    );
    assert_eq!(&udp[6..8], &[0, 0], "no UDP checksum");
    // VXLAN: the I flag, VNI 5000.
    assert_eq!(&f[42..50], &[0x08, 0, 0, 0, 0x00, 0x13, 0x88, 0]);
    assert_eq!(&f[50..56], &VX_NEIGHBOR_MAC);
    assert_eq!(&f[56..62], &VX_MAC);
    // The same flow keeps its source port.
    let mut g = ping();
    p.process(&learned, PortId(0), &mut g, 3);
    assert_eq!(&g[34..36], &f[34..36]);
}

#[test]
fn eoip_from_the_far_end_is_routed_in_the_overlay_vrf() {
    let snap = snap();
    let mut p = Pipeline::default();
    let far = 0x0a14_0005;
    let inner = frame(EOIP_MAC, EOIP_NEIGHBOR_MAC, far, CUST_HOST, 1, &echo(8));
    let mut f = outer(&snap, REMOTE, 47, &eoip_hdr(inner.len(), 300), &inner);
    // Padding after the frame (as a short outer frame would have) is not the frame's.
    f.extend_from_slice(&[0xee; 6]);
    assert_eq!(
        p.process(&snap, PortId(1), &mut f, 1),
        Verdict::Forward(PortId(0))
    );
    let h = ip(&f);
    assert_eq!((h.src(), h.dst(), h.ttl()), (far, CUST_HOST, 63));
    assert_eq!(f.len(), inner.len());
    // The burst path agrees.
    let mut burst = vec![outer(&snap, REMOTE, 47, &eoip_hdr(inner.len(), 300), &inner); 3];
    let mut v = [Verdict::Punt; 3];
    p.process_burst(&snap, PortId(1), &mut burst, &mut v, 2);
    assert_eq!(v, [Verdict::Forward(PortId(0)); 3]);
    assert_eq!(ip(&burst[2]).ttl(), 63);
}

#[test]
fn vxlan_arp_reaches_the_twin_and_teaches_the_vtep() {
    let snap = snap();
    let mut p = Pipeline::default();
    let mac = [2, 0, 0, 0, 0x33, 0x33];
    let arp = arp_request(mac, VX_NEIGHBOR, 0x0a08_0801);
    let mut f = outer(&snap, VTEP2, 17, &vxlan_hdr(0x08, 5000, arp.len()), &arp);
    assert_eq!(p.process(&snap, PortId(1), &mut f, 1), Verdict::PuntTo(VX));
    assert_eq!(&f[..], &arp[..], "the twin gets the inner frame");
    let events: Vec<Event> = p.drain_events().collect();
    assert!(
        events.contains(&Event::Vtep {
            port: VX,
            mac,
            vtep: VTEP2
        }),
        "{events:?}"
    );
    assert!(
        events.iter().any(|e| matches!(e, Event::Heard { port, ip, for_us: true, .. } if *port == VX && *ip == VX_NEIGHBOR)),
        "{events:?}"
    );
    // In a burst too.
    let mut burst = vec![outer(
        &snap,
        VTEP2,
        17,
        &vxlan_hdr(0x08, 5000, arp.len()),
        &arp,
    )];
    let mut v = [Verdict::Punt; 1];
    p.process_burst(&snap, PortId(1), &mut burst, &mut v, 2);
    assert_eq!(v, [Verdict::PuntTo(VX)]);
}

#[test]
fn the_routers_own_broadcasts_are_flooded_to_every_vtep() {
    let snap = snap();
    let mut p = Pipeline::default();
    let arp = arp_request(VX_MAC, 0x0a08_0801, VX_NEIGHBOR);
    let vteps = own::flood_to(&snap, VX.0, &arp).to_vec();
    assert_eq!(
        vteps,
        [
            Vtep {
                ip: REMOTE,
                port: 4789
            },
            Vtep {
                ip: VTEP2,
                port: 8472
            }
        ]
    );
    for v in vteps {
        let mut f = arp.clone();
        assert_eq!(
            own::into_tunnel(&mut p, &snap, VX.0, Some(v), &mut f, 1),
            Own::Out(1)
        );
        assert_eq!(ip(&f).dst(), v.ip);
        assert_eq!(&f[36..38], &v.port.to_be_bytes());
        assert_eq!(&f[50..], &arp[..]);
    }
    // A learned unicast goes to one; EoIP never floods.
    let learned = with_fdb(
        snap.clone(),
        VX_NEIGHBOR_MAC,
        Vtep {
            ip: REMOTE,
            port: 4789,
        },
    );
    let uni = frame(
        VX_NEIGHBOR_MAC,
        VX_MAC,
        0x0a08_0801,
        VX_NEIGHBOR,
        1,
        &echo(8),
    );
    assert!(own::flood_to(&learned, VX.0, &uni).is_empty());
    assert!(own::flood_to(&snap, EOIP.0, &arp).is_empty());
}

#[test]
fn eoip_keepalives_are_empty_and_the_far_ends_keep_the_tunnel_up() {
    let snap = snap();
    let mut p = Pipeline::default();
    let t = *snap.tunnels.get(EOIP).unwrap();
    let mut ka = dataplane::pipeline::keepalive_frame(&t);
    assert!(ka.is_empty());
    assert_eq!(
        own::into_tunnel(&mut p, &snap, EOIP.0, None, &mut ka, 1),
        Own::Out(1)
    );
    assert_eq!(usize::from(ip(&ka).total_len()), 28);
    assert_eq!(&ka[34..42], &[0x20, 0x01, 0x64, 0x00, 0, 0, 0x2c, 0x01]);
    // The far end's: taken, and the tunnel is alive.
    let mut f = outer(&snap, REMOTE, 47, &eoip_hdr(0, 300), &[]);
    assert_eq!(
        p.process(&snap, PortId(1), &mut f, 2),
        Verdict::Drop(DropReason::TunnelKeepalive)
    );
    let events: Vec<Event> = p.drain_events().collect();
    assert_eq!(events, [Event::TunnelAlive { port: EOIP }]);
}

#[test]
fn bad_layer2_tunnel_packets_are_dropped_and_counted() {
    let snap = snap();
    let mut p = Pipeline::default();
    let inner = frame(
        EOIP_MAC,
        EOIP_NEIGHBOR_MAC,
        0x0a14_0005,
        CUST_HOST,
        1,
        &echo(8),
    );
    let vx_inner = frame(VX_MAC, VX_NEIGHBOR_MAC, 0x0a1e_0005, CUST_HOST, 1, &echo(8));
    let cases: Vec<(Vec<u8>, DropReason)> = vec![
        // Another tunnel id, a length past the end, a frame shorter than its header.
        (
            outer(&snap, REMOTE, 47, &eoip_hdr(inner.len(), 301), &inner),
            DropReason::NoSuchTunnel,
        ),
        (
            outer(&snap, REMOTE, 47, &eoip_hdr(inner.len() + 1, 300), &inner),
            DropReason::BadTunnelHeader,
        ),
        (
            outer(&snap, REMOTE, 47, &eoip_hdr(10, 300), &inner[..10]),
            DropReason::BadTunnelHeader,
        ),
        (
            outer(&snap, REMOTE, 47, &eoip_hdr(inner.len(), 300)[..6], &[]),
            DropReason::Truncated,
        ),
        // From an address that is not the far end.
        (
            outer(&snap, VTEP2, 47, &eoip_hdr(inner.len(), 300), &inner),
            DropReason::NoSuchTunnel,
        ),
        // VXLAN: the I flag clear, another VNI, an unknown VTEP, cut short, no frame inside.
        (
            outer(
                &snap,
                REMOTE,
                17,
                &vxlan_hdr(0, 5000, vx_inner.len()),
                &vx_inner,
            ),
            DropReason::BadTunnelHeader,
        ),
        (
            outer(
                &snap,
                REMOTE,
                17,
                &vxlan_hdr(8, 5001, vx_inner.len()),
                &vx_inner,
            ),
            DropReason::NoSuchTunnel,
        ),
        (
            outer(
                &snap,
                0xc633_6409,
                17,
                &vxlan_hdr(8, 5000, vx_inner.len()),
                &vx_inner,
            ),
            DropReason::NoSuchTunnel,
        ),
        (
            outer(&snap, REMOTE, 17, &vxlan_hdr(8, 5000, 0)[..12], &[]),
            DropReason::Truncated,
        ),
        (
            outer(&snap, REMOTE, 17, &vxlan_hdr(8, 5000, 0), &vx_inner[..13]),
            DropReason::BadTunnelHeader,
        ),
        // A frame inside for another MAC.
        (
            outer(&snap, REMOTE, 47, &eoip_hdr(inner.len(), 300), &{
                let mut i = inner.clone();
                i[0..6].copy_from_slice(&[2, 9, 9, 9, 9, 9]);
                i
            }),
            DropReason::OtherHost,
        ),
    ];
    for (i, (mut f, why)) in cases.into_iter().enumerate() {
        let mut burst = vec![f.clone()];
        assert_eq!(
            p.process(&snap, PortId(1), &mut f, 1),
            Verdict::Drop(why),
            "case {i}"
        );
        let mut v = [Verdict::Punt; 1];
        p.process_burst(&snap, PortId(1), &mut burst, &mut v, 1);
        assert_eq!(v, [Verdict::Drop(why)], "case {i} in a burst");
    }
    // UDP to another port of ours is the kernel's; VXLAN to another host is forwarded.
    let mut f = outer(
        &snap,
        REMOTE,
        17,
        &{
            let mut h = vxlan_hdr(8, 5000, vx_inner.len());
            h[2..4].copy_from_slice(&53u16.to_be_bytes());
            h
        },
        &vx_inner,
    );
    assert_eq!(p.process(&snap, PortId(1), &mut f, 2), Verdict::Punt);
    let mut l4 = vxlan_hdr(8, 5000, vx_inner.len());
    l4.extend_from_slice(&vx_inner);
    let mut f = frame(
        port_mac(&snap, 1),
        [2, 0, 0, 9, 1, 1],
        REMOTE,
        0xcb00_7105,
        17,
        &l4,
    );
    assert_eq!(
        p.process(&snap, PortId(1), &mut f, 3),
        Verdict::Drop(DropReason::Unresolved)
    );
}

/// The seed's leaking example with EoIP instead of IPIP: two local tunnel ends in two
/// VRFs, loopbacks as underlay.
const LOCAL_EOIP: &str = "\
/interface bridge add name=lo1
/interface bridge add name=lo2
/ip address add address=111.255.255.1 interface=lo1 network=111.255.255.1
/ip address add address=111.255.255.2 interface=lo2 network=111.255.255.2
/ip address add address=172.16.1.1/24 interface=ether1
/ip address add address=172.16.2.1/24 interface=ether2
/interface eoip add local-address=111.255.255.1 name=eoip-tunnel1 remote-address=111.255.255.2 tunnel-id=7
/interface eoip add local-address=111.255.255.2 name=eoip-tunnel2 remote-address=111.255.255.1 tunnel-id=7
/ip address add address=192.168.1.1/24 interface=eoip-tunnel1
/ip address add address=192.168.1.2/24 interface=eoip-tunnel2
/ip vrf add interfaces=eoip-tunnel1,ether1 name=custC
/ip vrf add interfaces=eoip-tunnel2,ether2 name=custB
/ip route add dst-address=172.16.2.0/24 gateway=192.168.1.2@custC routing-table=custC
/ip route add dst-address=172.16.1.0/24 gateway=192.168.1.1@custB routing-table=custB
";

#[test]
fn local_eoip_tunnels_carry_one_vrf_to_the_other() {
    use rspe_controlplane::rib::builder::{build, Key};
    let (t1, t2) = (TUNNEL_BASE, TUNNEL_BASE + 1);
    let (host_c, host_b) = (0xac10_010a, 0xac10_020a);
    let (plan, _) = rspe_controlplane::plan::plan_from_config(LOCAL_EOIP, 2).unwrap();
    let mac_of = |id| plan.port(id).unwrap().mac;
    assert_ne!(mac_of(t1), mac_of(t2));
    // Each tunnel's neighbour is the other end's interface, as ARP through it finds.
    let usable = [
        (
            Key {
                port: 0,
                ip: host_c,
            },
            [2, 0, 0, 9, 0, 1],
        ),
        (
            Key {
                port: 1,
                ip: host_b,
            },
            [2, 0, 0, 9, 1, 1],
        ),
        (
            Key {
                port: t1,
                ip: 0xc0a8_0102,
            },
            mac_of(t2),
        ),
        (
            Key {
                port: t2,
                ip: 0xc0a8_0101,
            },
            mac_of(t1),
        ),
    ];
    let snap = build(&plan, usable.into_iter().collect());
    let mut p = Pipeline::default();
    let mut f = frame(
        port_mac(&snap, 0),
        [2, 0, 0, 0, 0, 0x77],
        host_c,
        host_b,
        1,
        &echo(8),
    );
    assert_eq!(
        p.process(&snap, PortId(0), &mut f, 1),
        Verdict::Forward(PortId(1))
    );
    let h = ip(&f);
    assert_eq!(
        (h.src(), h.dst(), h.ttl()),
        (host_c, host_b, 62),
        "two hops, no outer header"
    );
    assert_eq!(f.len(), 14 + 20 + 16);
    // custC's kernel asks for custB's end through eoip-tunnel1: it comes out of
    // eoip-tunnel2 for custB's twin.
    let mut arp = arp_request(mac_of(t1), 0xc0a8_0101, 0xc0a8_0102);
    assert_eq!(
        own::into_tunnel(&mut p, &snap, t1, None, &mut arp, 2),
        Own::Punt(t2)
    );
}
