//! The VRF as an interface (RouterOS: `gateway=vrf1@vrf1` in `routing-table=main` sends
//! traffic on into VRF vrf1's table): the second lookup in the pipeline, in the router's
//! own path, and loops between VRFs refused rather than followed.

use dataplane::counters::DropReason;
use dataplane::pipeline::{Pipeline, Verdict};
use dataplane::wire::ipv4;
use rspe_controlplane::rib::builder::snapshot_from_config;
use shared::snapshot::Snapshot;
use shared::types::PortId;

const CONFIG: &str = "\
/ip vrf add name=cust interfaces=ether2
/ip vrf add name=cust2 interfaces=ether3
/ip address add address=10.0.0.1/24 interface=ether1
/ip address add address=192.168.11.1/24 interface=ether2
/ip route add dst-address=192.168.11.0/24 gateway=cust@cust
/ip route add dst-address=10.99.0.0/16 gateway=cust@cust
/ip route add dst-address=10.99.0.0/16 gateway=cust2@cust2 routing-table=cust
/ip route add dst-address=10.99.0.0/16 gateway=cust@cust routing-table=cust2
/ip route add dst-address=10.77.0.0/16 gateway=main routing-table=cust
/ip address add address=10.77.0.1/24 interface=ether1
/ip route add dst-address=10.0.0.0/24 gateway=10.0.0.5@main routing-table=cust
";

const ETHER1: PortId = PortId(0);
const ETHER2: PortId = PortId(1);
const HOST: u32 = 0x0a00_0005; // 10.0.0.5
const CUST_HOST: u32 = 0xc0a8_0b05; // 192.168.11.5

fn snap() -> Snapshot {
    snapshot_from_config(CONFIG, 3, &[(ETHER2.0, CUST_HOST), (ETHER1.0, HOST)]).unwrap()
}

fn udp(snap: &Snapshot, port: PortId, src: u32, dst: u32) -> Vec<u8> {
    let mut f = snap.port(port).unwrap().mac.to_vec();
    f.extend_from_slice(&[2, 0, 0, 0, 0xaa, 1, 0x08, 0x00]);
    let mut ip = vec![0u8; 28];
    ip[0] = 0x45;
    ip[2..4].copy_from_slice(&28u16.to_be_bytes());
    ip[8] = 64;
    ip[9] = 17;
    ip[12..16].copy_from_slice(&src.to_be_bytes());
    ip[16..20].copy_from_slice(&dst.to_be_bytes());
    ip[20..22].copy_from_slice(&5000u16.to_be_bytes());
    ip[22..24].copy_from_slice(&53u16.to_be_bytes());
    ip[24..26].copy_from_slice(&8u16.to_be_bytes());
    ipv4::Packet::new_checked(&mut ip[..])
        .unwrap()
        .fill_checksum();
    f.extend_from_slice(&ip);
    f
}

#[test]
fn a_route_to_a_vrf_goes_on_in_its_table() {
    let s = snap();
    let mut f = udp(&s, ETHER1, HOST, CUST_HOST);
    let v = Pipeline::default().process(&s, ETHER1, &mut f, 0);
    assert_eq!(
        v,
        Verdict::Forward(ETHER2),
        "main → cust's connected network"
    );
    assert_eq!(f[0..6], [2, 0, 0, 9, 1, 1], "cust's neighbour");
    assert_eq!(f[22], 63, "one hop");
    // The way back is a plain leak (gateway in main).
    let mut f = udp(&s, ETHER2, CUST_HOST, HOST);
    let v = Pipeline::default().process(&s, ETHER2, &mut f, 0);
    assert_eq!(v, Verdict::Forward(ETHER1));
    // The same in a burst.
    let mut burst = vec![udp(&s, ETHER1, HOST, CUST_HOST); 3];
    let mut verdicts = [Verdict::Punt; 3];
    Pipeline::default().process_burst(&s, ETHER1, &mut burst, &mut verdicts, 0);
    assert_eq!(verdicts, [Verdict::Forward(ETHER2); 3]);
}

#[test]
fn a_loop_between_vrfs_is_not_followed() {
    let s = snap();
    // main sends 10.99/16 to cust, cust to cust2, cust2 back to cust: unreachable, once.
    let mut f = udp(&s, ETHER1, HOST, 0x0a63_0001);
    let v = Pipeline::default().process(&s, ETHER1, &mut f, 0);
    assert_eq!(v, Verdict::Reply(ETHER1, DropReason::NoRoute));
}

#[test]
fn main_is_an_interface_too() {
    let s = snap();
    let mut f = udp(&s, ETHER2, CUST_HOST, 0x0a4d_0005);
    let v = Pipeline::default().process(&s, ETHER2, &mut f, 0);
    assert!(
        matches!(v, Verdict::Drop(DropReason::Unresolved)),
        "on in main to ether1's network 10.77.0.0/24, whose host is not resolved: {v:?}"
    );
}

#[test]
fn the_router_own_packets_follow_it_too() {
    let s = snap();
    let mut f = udp(&s, ETHER1, 0x0a00_0001, CUST_HOST);
    f[0..6].copy_from_slice(&s.port(ETHER1).unwrap().mac);
    let out = dataplane::pipeline::own::route(&s, ETHER1.0, &mut f);
    assert_eq!(out, dataplane::pipeline::own::Own::Out(ETHER2.0));
}
