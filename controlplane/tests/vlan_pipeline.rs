//! VLAN interfaces in the pipeline, from a RouterOS configuration: two customers on the
//! same addresses behind VLANs 10 and 20 of one port, in two VRFs; VLAN 11 beside 10 in the
//! first; QinQ (service tag 100, customer tag 7) and untagged traffic on the same port.
//! Frames are classified by (port, tags), untagged for the pipeline, tagged again on the
//! way out; unknown, reserved and extra tags are dropped and counted.

use dataplane::counters::DropReason;
use dataplane::pipeline::{vlan, Event, Pipeline, Verdict};
use dataplane::wire::{checksum, icmp, ipv4};
use rspe_controlplane::rib::builder::snapshot_from_config;
use shared::snapshot::Snapshot;
use shared::types::PortId;
use shared::vlan::VLAN_BASE;

const CONFIG: &str = "\
/interface vlan add name=v10 interface=ether1 vlan-id=10
/interface vlan add name=v11 interface=ether1 vlan-id=11
/interface vlan add name=v20 interface=ether1 vlan-id=20
/interface vlan add name=s100 interface=ether1 vlan-id=100 use-service-tag=yes
/interface vlan add name=q7 interface=s100 vlan-id=7
/ip vrf add name=cust-a interfaces=v10,v11
/ip vrf add name=cust-b interfaces=v20,ether2
/ip address add address=192.168.1.1/24 interface=v10
/ip address add address=10.11.0.1/24 interface=v11
/ip address add address=192.168.1.1/24 interface=v20
/ip address add address=10.22.0.1/24 interface=ether2
/ip address add address=10.0.0.1/24 interface=ether1
/ip address add address=10.7.0.1/24 interface=q7
";

const ETHER1: PortId = PortId(0);
const ETHER2: PortId = PortId(1);
const V10: PortId = PortId(VLAN_BASE);
const V11: PortId = PortId(VLAN_BASE + 1);
const V20: PortId = PortId(VLAN_BASE + 2);
const Q7: PortId = PortId(VLAN_BASE + 4);
const ROUTER: u32 = 0xc0a8_0101; // 192.168.1.1
const HOST: u32 = 0xc0a8_010a; // 192.168.1.10
const V11_HOST: u32 = 0x0a0b_0005; // 10.11.0.5
const ETHER2_HOST: u32 = 0x0a16_0005; // 10.22.0.5
const ETHER1_HOST: u32 = 0x0a00_0005; // 10.0.0.5
const Q7_HOST: u32 = 0x0a07_0009; // 10.7.0.9
const HOST_MAC: [u8; 6] = [2, 0, 0, 0, 0xaa, 1];

fn snap_of(config: &str) -> Snapshot {
    snapshot_from_config(
        config,
        2,
        &[
            (V11.0, V11_HOST),
            (ETHER2.0, ETHER2_HOST),
            (ETHER1.0, ETHER1_HOST),
            (Q7.0, Q7_HOST),
        ],
    )
    .unwrap()
}

fn snap() -> Snapshot {
    snap_of(CONFIG)
}

fn mac_of(snap: &Snapshot, port: PortId) -> [u8; 6] {
    snap.port(port).unwrap().mac
}

/// The neighbour MAC `snapshot_from_config` gives on `port`.
fn neighbor_mac(port: PortId) -> [u8; 6] {
    [2, 0, 0, 9, port.0 as u8, 1]
}

/// An echo request from `src` to `dst`, to `dmac`, with `tags` ((TPID, VID), outermost
/// first) after the MACs.
fn tagged(dmac: [u8; 6], tags: &[(u16, u16)], src: u32, dst: u32) -> Vec<u8> {
    let mut f = dmac.to_vec();
    f.extend_from_slice(&HOST_MAC);
    for &(tpid, vid) in tags {
        f.extend_from_slice(&tpid.to_be_bytes());
        f.extend_from_slice(&vid.to_be_bytes());
    }
    f.extend_from_slice(&[0x08, 0x00]);
    let mut l4 = vec![0u8; 16];
    l4[0] = icmp::ECHO_REQUEST;
    let c = checksum::finish(checksum::sum(&l4, 0));
    l4[2..4].copy_from_slice(&c.to_be_bytes());
    let mut ip = vec![0u8; 20];
    ip[0] = 0x45;
    ip[2..4].copy_from_slice(&((20 + l4.len()) as u16).to_be_bytes());
    ip[8] = 64;
    ip[9] = 1;
    ip[12..16].copy_from_slice(&src.to_be_bytes());
    ip[16..20].copy_from_slice(&dst.to_be_bytes());
    ip.extend_from_slice(&l4);
    ipv4::Packet::new_checked(&mut ip[..])
        .unwrap()
        .fill_checksum();
    f.extend_from_slice(&ip);
    f
}

const Q: u16 = 0x8100;
const AD: u16 = 0x88a8;

/// Processes `f` arriving on ether1, as the workers do: the verdict, and the frame as it
/// leaves (tagged again for a VLAN) with the DPDK port it leaves by.
fn run(snap: &Snapshot, mut f: Vec<u8>) -> (Verdict, Vec<u8>, Option<PortId>) {
    let ct = std::sync::Arc::new(dataplane::conntrack::Conntrack::new(1000));
    let v = Pipeline::default()
        .with_conntrack(ct)
        .process(snap, ETHER1, &mut f, 0);
    let out = match v {
        Verdict::Forward(p) | Verdict::Reply(p, _) if shared::vlan::is_vlan(p) => {
            vlan::tag(snap, p, &mut f)
        }
        Verdict::Forward(p) | Verdict::Reply(p, _) => Some(p),
        _ => None,
    };
    (v, f, out)
}

/// The IPv4 header of frame `f` after `tags` tags.
fn ip_of(f: &[u8], tags: usize) -> ipv4::Packet<&[u8]> {
    ipv4::Packet::new_checked(&f[14 + 4 * tags..]).unwrap()
}

#[test]
fn the_same_address_on_two_vlans_is_two_customers() {
    let s = snap();
    let m = mac_of(&s, ETHER1);
    let (v, f, _) = run(&s, tagged(m, &[(Q, 10)], HOST, ROUTER));
    assert_eq!(v, Verdict::PuntTo(V10), "to the twin of v10, in cust-a");
    assert_eq!(f[12..14], [0x08, 0x00], "untagged for the twin");
    assert_eq!(f[6..12], HOST_MAC, "MACs moved with the tag's removal");
    let (v, _, _) = run(&s, tagged(m, &[(Q, 20)], HOST, ROUTER));
    assert_eq!(v, Verdict::PuntTo(V20), "to the twin of v20, in cust-b");
    let (v, _, _) = run(&s, tagged(m, &[], ETHER1_HOST, 0x0a00_0001));
    assert_eq!(v, Verdict::Punt, "untagged on the same port: ether1's own");
}

#[test]
fn routed_between_vlans_and_ports_with_the_right_tags() {
    let s = snap();
    let m = mac_of(&s, ETHER1);
    // VLAN 10 to VLAN 11 (both cust-a): out of ether1 tagged 11.
    let (v, f, out) = run(&s, tagged(m, &[(Q, 10)], HOST, V11_HOST));
    assert_eq!(v, Verdict::Forward(V11));
    assert_eq!(out, Some(ETHER1));
    assert_eq!(f[0..6], neighbor_mac(V11));
    assert_eq!(f[6..12], m, "from the port's MAC");
    assert_eq!(f[12..18], [0x81, 0x00, 0x00, 0x0b, 0x08, 0x00]);
    let ip = ip_of(&f, 1);
    assert_eq!((ip.ttl(), ip.verify_checksum()), (63, true));
    // VLAN 20 to ether2 (both cust-b): untagged.
    let (v, f, out) = run(&s, tagged(m, &[(Q, 20)], HOST, ETHER2_HOST));
    assert_eq!((v, out), (Verdict::Forward(ETHER2), Some(ETHER2)));
    assert_eq!(f[12..14], [0x08, 0x00]);
    assert_eq!(ip_of(&f, 0).ttl(), 63);
}

#[test]
fn a_vlan_reaches_only_its_vrf() {
    let s = snap();
    let m = mac_of(&s, ETHER1);
    // cust-a has no route to ether2's network: net unreachable, back out tagged 10.
    let (v, f, out) = run(&s, tagged(m, &[(Q, 10)], HOST, ETHER2_HOST));
    assert_eq!(v, Verdict::Reply(V10, DropReason::NoRoute));
    assert_eq!(out, Some(ETHER1));
    assert_eq!(f[12..18], [0x81, 0x00, 0x00, 0x0a, 0x08, 0x00]);
    let ip = ip_of(&f, 1);
    assert_eq!((ip.src(), ip.dst(), ip.protocol()), (ROUTER, HOST, 1));
    assert_eq!(f[14 + 4 + 20], icmp::DEST_UNREACHABLE);
    // Nor to the other customer's VLAN.
    let (v, _, _) = run(&s, tagged(m, &[(Q, 20)], HOST, V11_HOST));
    assert_eq!(v, Verdict::Reply(V20, DropReason::NoRoute));
}

#[test]
fn qinq_is_classified_on_both_tags_and_gets_both_back() {
    let s = snap();
    let m = mac_of(&s, ETHER1);
    let (v, f, _) = run(&s, tagged(m, &[(AD, 100), (Q, 7)], Q7_HOST, 0x0a07_0001));
    assert_eq!(v, Verdict::PuntTo(Q7));
    assert_eq!(f[12..14], [0x08, 0x00], "both tags off");
    // From the QinQ customer to ether1's untagged network and back.
    let (v, f, _) = run(&s, tagged(m, &[(AD, 100), (Q, 7)], Q7_HOST, ETHER1_HOST));
    assert_eq!(v, Verdict::Forward(ETHER1));
    assert_eq!(f[12..14], [0x08, 0x00]);
    let (v, f, out) = run(&s, tagged(m, &[], ETHER1_HOST, Q7_HOST));
    assert_eq!((v, out), (Verdict::Forward(Q7), Some(ETHER1)));
    assert_eq!(
        f[12..22],
        [0x88, 0xa8, 0x00, 100, 0x81, 0x00, 0x00, 7, 0x08, 0x00]
    );
    assert_eq!(f[0..6], neighbor_mac(Q7));
    assert_eq!(ip_of(&f, 2).ttl(), 63);
}

#[test]
fn frames_of_no_vlan_are_dropped_and_counted() {
    let s = snap();
    let m = mac_of(&s, ETHER1);
    let drop = |tags: &[(u16, u16)]| run(&s, tagged(m, tags, HOST, ROUTER)).0;
    let unknown = Verdict::Drop(DropReason::UnknownVlan);
    assert_eq!(drop(&[(Q, 30)]), unknown, "a VLAN no interface has");
    assert_eq!(drop(&[(Q, 0)]), unknown, "a priority tag");
    assert_eq!(drop(&[(Q, 4095)]), unknown, "the reserved VLAN");
    assert_eq!(
        drop(&[(Q, 10), (Q, 5)]),
        unknown,
        "double tags on a single VLAN"
    );
    assert_eq!(
        drop(&[(Q, 100)]),
        unknown,
        "a customer tag where a service tag is"
    );
    assert_eq!(
        drop(&[(AD, 100)]),
        Verdict::Drop(DropReason::NoRoute),
        "the service VLAN itself (main, no address: nothing to answer from)"
    );
    assert_eq!(drop(&[(AD, 100), (Q, 7), (Q, 1)]), unknown, "three tags");
    // PCP and DEI bits do not change the VLAN.
    assert_eq!(drop(&[(Q, 0xe000 | 10)]), Verdict::PuntTo(V10));
    // Cut short inside the tag.
    let mut f = tagged(m, &[(Q, 10)], HOST, ROUTER);
    f.truncate(15);
    assert_eq!(run(&s, f).0, Verdict::Drop(DropReason::Truncated));
    // A tagged frame on ether2, which has no VLANs.
    let mut f = tagged(mac_of(&s, ETHER2), &[(Q, 10)], HOST, ROUTER);
    let v = Pipeline::default().process(&s, ETHER2, &mut f, 0);
    assert_eq!(v, unknown);
}

#[test]
fn a_disabled_vlan_takes_nothing_and_sends_nothing() {
    let s = snap_of(&format!("{CONFIG}/interface vlan disable v20\n"));
    let m = mac_of(&s, ETHER1);
    let (v, _, _) = run(&s, tagged(m, &[(Q, 20)], HOST, ROUTER));
    assert_eq!(v, Verdict::Drop(DropReason::UnknownVlan));
    let mut f = tagged(m, &[], HOST, ROUTER);
    assert_eq!(vlan::tag(&s, V20, &mut f), None);
    let (v, _, _) = run(&s, tagged(m, &[(Q, 10)], HOST, ROUTER));
    assert_eq!(v, Verdict::PuntTo(V10), "the others go on");
}

#[test]
fn arp_on_a_vlan_is_heard_on_the_vlan() {
    let s = snap();
    let mut f = vec![0xff; 6];
    f.extend_from_slice(&HOST_MAC);
    f.extend_from_slice(&[0x81, 0x00, 0x00, 10]);
    f.extend_from_slice(&[0x08, 0x06, 0, 1, 8, 0, 6, 4, 0, 1]);
    f.extend_from_slice(&HOST_MAC);
    f.extend_from_slice(&HOST.to_be_bytes());
    f.extend_from_slice(&[0; 6]);
    f.extend_from_slice(&ROUTER.to_be_bytes());
    f.resize(64, 0);
    let mut p = Pipeline::default();
    let v = p.process(&s, ETHER1, &mut f, 0);
    assert_eq!(v, Verdict::PuntTo(V10), "to v10's twin, which answers");
    assert_eq!(f[12..14], [0x08, 0x06]);
    let heard: Vec<Event> = p.drain_events().collect();
    assert!(
        heard
            .iter()
            .any(|e| matches!(e, Event::Heard { port, ip, .. } if *port == V10 && *ip == HOST)),
        "{heard:?}"
    );
}

#[test]
fn a_burst_of_mixed_tags_gets_each_its_own_verdict() {
    let s = snap();
    let m = mac_of(&s, ETHER1);
    let frames = [
        tagged(m, &[(Q, 10)], HOST, V11_HOST),
        tagged(m, &[(Q, 20)], HOST, ETHER2_HOST),
        tagged(m, &[], ETHER1_HOST, Q7_HOST),
        tagged(m, &[(Q, 30)], HOST, ROUTER),
        tagged(m, &[(Q, 20)], HOST, ROUTER),
        tagged(m, &[(AD, 100), (Q, 7)], Q7_HOST, ETHER1_HOST),
        tagged(m, &[(Q, 10)], HOST, ETHER2_HOST),
    ];
    let mut burst: Vec<Vec<u8>> = frames.to_vec();
    let mut verdicts = vec![Verdict::Punt; burst.len()];
    Pipeline::default().process_burst(&s, ETHER1, &mut burst, &mut verdicts, 0);
    assert_eq!(
        verdicts,
        [
            Verdict::Forward(V11),
            Verdict::Forward(ETHER2),
            Verdict::Forward(Q7),
            Verdict::Drop(DropReason::UnknownVlan),
            Verdict::PuntTo(V20),
            Verdict::Forward(ETHER1),
            Verdict::Reply(V10, DropReason::NoRoute),
        ]
    );
    // The burst path leaves every frame as the one-by-one path does.
    for (i, f) in frames.iter().enumerate() {
        let (v, one, _) = run(&s, f.clone());
        if let Verdict::Forward(p) | Verdict::Reply(p, _) = v {
            if shared::vlan::is_vlan(p) {
                vlan::tag(&s, p, &mut burst[i]);
            }
        }
        assert_eq!(v, verdicts[i], "frame {i}");
        if !matches!(v, Verdict::Drop(_)) {
            assert_eq!(one, burst[i], "frame {i}");
        }
    }
}

#[test]
fn with_the_firewall_on_vlans_go_the_same_way() {
    let cfg = format!(
        "{CONFIG}/ip firewall filter add chain=forward in-interface=v10 dst-address=10.11.0.0/24 action=drop\n"
    );
    let s = snap_of(&cfg);
    let m = mac_of(&s, ETHER1);
    let (v, _, _) = run(&s, tagged(m, &[(Q, 10)], HOST, V11_HOST));
    assert_eq!(
        v,
        Verdict::Drop(DropReason::Filtered),
        "in-interface matches the VLAN"
    );
    let (v, f, out) = run(&s, tagged(m, &[(Q, 20)], HOST, ETHER2_HOST));
    assert_eq!((v, out), (Verdict::Forward(ETHER2), Some(ETHER2)));
    assert_eq!(f[12..14], [0x08, 0x00]);
    let (v, _, _) = run(&s, tagged(m, &[(Q, 10)], HOST, ROUTER));
    assert_eq!(v, Verdict::PuntTo(V10));
}
