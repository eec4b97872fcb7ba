//! Any bytes as the payload of an IPIP, GRE (EoIP too) or VXLAN packet (or as a whole
//! frame) arriving for a router with tunnels: the seed's local IPIP tunnels between two
//! VRFs, a GRE tunnel with a key, an EoIP tunnel and a VXLAN tunnel with two VTEPs whose
//! underlay is in another VRF. The first byte picks the form. A verdict,
//! never a panic, never a loop; a forwarded frame is still an IPv4 packet; the one-by-one
//! and the burst paths agree on every verdict.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rspe_dataplane::pipeline::{Pipeline, Verdict};
use rspe_shared::snapshot::Snapshot;
use rspe_shared::types::PortId;
use std::sync::OnceLock;

const CONFIG: &str = "\
/interface bridge add name=lo1
/interface bridge add name=lo2
/ip address add address=111.255.255.1 interface=lo1
/ip address add address=111.255.255.2 interface=lo2
/interface ipip add local-address=111.255.255.1 name=t1 remote-address=111.255.255.2
/interface ipip add local-address=111.255.255.2 name=t2 remote-address=111.255.255.1
/interface gre add name=g1 local-address=203.0.113.1 remote-address=198.51.100.2@wan key=77
/interface eoip add name=e1 local-address=203.0.113.1 remote-address=198.51.100.2@wan tunnel-id=300
/interface vxlan add name=x1 vni=100 local-address=203.0.113.1 vrf=wan
/interface vxlan vteps add interface=x1 remote-ip=198.51.100.2
/interface vxlan vteps add interface=x1 remote-ip=198.51.100.3
/ip vrf add interfaces=t1,ether1 name=c
/ip vrf add interfaces=t2,g1,e1,x1,ether2 name=b
/ip vrf add interfaces=ether3 name=wan
/ip address add address=192.168.1.1/24 interface=t1
/ip address add address=192.168.1.2/24 interface=t2
/ip address add address=10.9.9.1/30 interface=g1
/ip address add address=10.8.8.1/24 interface=e1
/ip address add address=10.7.7.1/24 interface=x1
/ip address add address=172.16.1.1/24 interface=ether1
/ip address add address=172.16.2.1/24 interface=ether2
/ip address add address=203.0.113.1/24 interface=ether3
/ip route add dst-address=172.16.2.0/24 gateway=192.168.1.2@c routing-table=c
/ip route add dst-address=172.16.1.0/24 gateway=192.168.1.1@b routing-table=b
/ip route add dst-address=0.0.0.0/0 gateway=10.9.9.2@b routing-table=b
/ip route add dst-address=10.80.0.0/16 gateway=10.8.8.2@b routing-table=b
/ip route add dst-address=10.70.0.0/16 gateway=10.7.7.2@b routing-table=b
/ip route add dst-address=198.51.100.0/24 gateway=203.0.113.254@wan routing-table=wan
";

fn snapshot() -> &'static Snapshot {
    static SNAP: OnceLock<Snapshot> = OnceLock::new();
    SNAP.get_or_init(|| {
        rspe_controlplane::rib::builder::snapshot_from_config(
            CONFIG,
            3,
            &[
                (0, 0xac10_010a),
                (1, 0xac10_020a),
                (2, 0xcb00_71fe),
                (0x4003, 0x0a08_0802),
                (0x4004, 0x0a07_0702),
            ],
        )
        .unwrap_or_else(|e| panic!("{e}"))
    })
}

/// An Ethernet + IPv4 frame to `mac` from `src` to `dst` of protocol `proto` holding `l4`.
fn frame(mac: [u8; 6], src: u32, dst: u32, proto: u8, l4: &[u8]) -> Vec<u8> {
    let mut f = vec![0u8; 34];
    f[0..6].copy_from_slice(&mac);
    f[12..14].copy_from_slice(&[0x08, 0x00]);
    f[14] = 0x45;
    f[16..18].copy_from_slice(&((20 + l4.len()).min(65535) as u16).to_be_bytes());
    f[22] = 64;
    f[23] = proto;
    f[26..30].copy_from_slice(&src.to_be_bytes());
    f[30..34].copy_from_slice(&dst.to_be_bytes());
    let c = rspe_dataplane::wire::checksum::finish(rspe_dataplane::wire::checksum::sum(&f[14..34], 0));
    f[24..26].copy_from_slice(&c.to_be_bytes());
    f.extend_from_slice(l4);
    f
}

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let snap = snapshot();
    let mac = |p: u16| snap.port(PortId(p)).map(|i| i.mac).unwrap_or_default();
    // Form: GRE (EoIP) from the far end on ether3, IPIP between the loopbacks (as if
    // from the wire on ether2, which is not their VRF), UDP to VXLAN's port from a VTEP,
    // or the bytes as a frame on any port.
    let (port, f) = match first % 4 {
        0 => (2, frame(mac(2), 0xc633_6402, 0xcb00_7101, 47, rest)),
        1 => (1, frame(mac(1), 0x6fff_ff02, 0x6fff_ff01, 4, rest)),
        2 => {
            let mut udp = vec![0xc0, 0, 0x12, 0xb5];
            udp.extend_from_slice(&((8 + rest.len()).min(65535) as u16).to_be_bytes());
            udp.extend_from_slice(&[0, 0]);
            udp.extend_from_slice(rest);
            let vtep = 0xc633_6402 + u32::from(first >> 7);
            (2, frame(mac(2), vtep, 0xcb00_7101, 17, &udp))
        }
        _ => (u16::from(first >> 2) % 3, rest.to_vec()),
    };
    let mut p = Pipeline::default();
    let mut one = f.clone();
    let v = p.process(snap, PortId(port), &mut one, 1);
    if let Verdict::Forward(_) | Verdict::Reply(..) = v {
        assert!(one.len() >= 34, "a sent frame holds Ethernet and IPv4 headers");
        assert_eq!(one[14] >> 4, 4, "still IPv4");
    }
    let mut burst = vec![f];
    let mut verdicts = [Verdict::Punt];
    p.process_burst(snap, PortId(port), &mut burst, &mut verdicts, 1);
    assert_eq!(verdicts[0], v, "the burst path agrees");
    let _ = p.drain_events().count();
});
