//! Any bytes as a frame arriving on a port of a router with two VRFs, connected networks,
//! a static route, resolved and unresolved neighbours, masquerade, dst-nat, marks and a
//! reject rule (so the connection-tracking path runs too): a verdict, never a panic, and a
//! forwarded or replied frame is still a well-formed IPv4 packet, or a well-formed label
//! stack (ports 0 and 2 take MPLS, labels 16-19 are bound). VLANs on ether3 (802.1Q, and
//! QinQ under an 802.1ad service tag) and a route through a VRF's interface: what leaves
//! for a VLAN is tagged as the worker tags it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rspe_dataplane::pipeline::{Pipeline, Verdict, MAX_BURST};
use rspe_shared::snapshot::Snapshot;
use rspe_shared::lfib::LabelAction;
use rspe_shared::types::{AdjId, Label, PortId};
use rspe_dataplane::conntrack::Conntrack;
use std::sync::{Arc, OnceLock};

const CONFIG: &str = "\
/interface ethernet set ether2 mtu=1280
/ip vrf add name=a interfaces=ether1,ether2
/ip address add address=192.168.1.1/24 interface=ether1
/ip address add address=10.1.1.1/24 interface=ether2
/ip address add address=10.0.0.1/24 interface=ether3
/ip route add dst-address=0.0.0.0/0 gateway=10.0.0.2
/ip route add dst-address=172.16.0.0/12 gateway=10.1.1.9@a routing-table=a
/ip route add dst-address=198.18.0.0/15 blackhole
/ip firewall nat add chain=srcnat out-interface=ether3 action=masquerade
/ip firewall nat add chain=dstnat protocol=tcp dst-port=8080 action=dst-nat to-addresses=192.168.1.2 to-ports=80
/ip firewall mangle add chain=prerouting connection-state=new in-interface=ether1 action=mark-connection new-connection-mark=a passthrough=yes
/ip firewall mangle add chain=prerouting connection-mark=a in-interface=ether3 action=mark-routing new-routing-mark=a
/ip firewall filter add chain=forward protocol=udp dst-port=9 action=reject
/interface vlan add name=v10 interface=ether3 vlan-id=10
/interface vlan add name=s20 interface=ether3 vlan-id=20 use-service-tag=yes
/interface vlan add name=q5 interface=s20 vlan-id=5
/ip vrf add name=b interfaces=v10
/ip address add address=10.10.0.1/24 interface=v10
/ip address add address=10.20.5.1/24 interface=q5
/ip route add dst-address=10.50.0.0/16 gateway=10.10.0.9@b routing-table=b
/ip route add dst-address=10.60.0.0/16 gateway=b@b
";

fn snapshot() -> &'static Snapshot {
    static SNAP: OnceLock<Snapshot> = OnceLock::new();
    SNAP.get_or_init(|| {
        let mut s = rspe_controlplane::rib::builder::snapshot_from_config(CONFIG, 3, &[(2, 0x0a00_0002), (0, 0xc0a8_0102), (0x2000, 0x0a0a_0009), (0x2002, 0x0a14_0509)])
            .unwrap_or_else(|e| panic!("{e}"));
        // Labels too: MPLS on ether1 and ether3, a binding of each kind.
        let mut ports = s.ports.to_vec();
        for p in [0, 2] {
            ports[p].mpls_input = true;
        }
        s.ports = ports.into();
        let l = |v| Label::try_from(v).unwrap();
        let adj = AdjId(0);
        s.lfib.set(l(16), LabelAction::Swap { label: l(17), via: adj }).unwrap();
        s.lfib.set(l(18), LabelAction::PopForward(adj)).unwrap();
        s.lfib.set(l(19), LabelAction::PopLookup(s.vrf_table[1])).unwrap();
        s
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&first, frame)) = data.split_first() else {
        return;
    };
    let snap = snapshot();
    let port = PortId(u16::from(first % 4));
    // One connection table for every input: full tables, NAT port reuse and old entries are
    // part of what the fuzzer gets to see.
    static CT: OnceLock<Arc<Conntrack>> = OnceLock::new();
    let ct = CT.get_or_init(|| Arc::new(Conntrack::new(4096))).clone();
    ct.expire(u64::from(first) << 33);
    let mut p = Pipeline::default().with_conntrack(ct);
    let mut one = frame.to_vec();
    let mut v = p.process(snap, port, &mut one, u64::from(first) << 20);
    if let Verdict::Forward(out) | Verdict::Reply(out, _) = v {
        if rspe_shared::vlan::is_vlan(out) {
            let under = rspe_dataplane::pipeline::vlan::tag(snap, out, &mut one);
            assert!(under.is_some(), "a VLAN that is up takes what is sent to it");
            let n = if out.0 == 0x2002 { 8 } else { 4 };
            assert!(rspe_shared::vlan::is_tag(u16::from_be_bytes([one[12], one[13]])));
            // Checked as the untagged frame it carries.
            one.drain(12..12 + n);
            v = Verdict::Forward(PortId(2));
        }
    }
    if let Verdict::Forward(_) | Verdict::Reply(..) = v {
        if one[12..14] == [0x88, 0x47] {
            // A label switch carries what is under the stack as it is: only the stack is
            // ours to check.
            assert!(
                rspe_dataplane::wire::mpls::Stack::new_checked(&one[14..]).is_ok(),
                "a well-formed label stack"
            );
        } else {
            assert!(one.len() >= 34, "a sent frame holds Ethernet and IPv4 headers");
            assert_eq!(one[14] >> 4, 4, "still IPv4");
        }
    }
    // The same bytes as a burst (a few copies, cut at different lengths) through the bulk path.
    let mut burst: Vec<Vec<u8>> = (0..MAX_BURST.min(4))
        .map(|i| frame[..frame.len().saturating_sub(i * 7)].to_vec())
        .collect();
    let mut verdicts = vec![Verdict::Punt; burst.len()];
    p.process_burst(snap, port, &mut burst, &mut verdicts, 1 << 40);
    let _ = p.drain_events().count();
});
