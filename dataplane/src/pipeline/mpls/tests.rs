//! Labelled frames through a hand-built snapshot: swap, penultimate hop pop, pop and
//! lookup in a VRF, push, TTL in both models, RFC 4950 time exceeded, `mpls-mtu`, refusals.

use super::super::tests::{icmp_of, ip, snapshot, udp, HOST_A, HOST_B, MAC0, MAC1, MAC2};
use super::super::{PacketBuf, Pipeline, Verdict};
use crate::counters::{DropReason, WorkerCounters};
use crate::wire::ipv4;
use crate::wire::mpls::{Entry, Stack};
use shared::adj::{Adjacency, LabelStack, NextHop};
use shared::fib::FibBuilder;
use shared::lfib::LabelAction;
use shared::snapshot::Snapshot;
use shared::types::{AdjId, Label, NextHopId, PortId, Prefix4, TableId};
use std::sync::Arc;

fn l(v: u32) -> Label {
    Label::try_from(v).unwrap()
}

/// The pipeline tests' snapshot with MPLS on ports 0 and 1 (not 2), labelled routes
/// (10.20.0.0/16 pushes 100; 10.30.0.0/16 pushes 100 and 200), bindings 1000 (swap to
/// 2000 towards host B), 1001 (pop towards host B), 1002 (pop, look up in table 7, where
/// 10.1.0.0/24 goes to host B).
fn mpls_snapshot() -> Snapshot {
    let mut s = snapshot();
    let mut nhs = (*s.next_hops).clone();
    let labelled = |labels: &[Label]| Adjacency {
        port: PortId(1),
        dst_mac: HOST_B,
        src_mac: MAC1,
        push: LabelStack::new(labels).unwrap(),
        mtu: 1500,
    };
    nhs.adjacencies.push(labelled(&[l(100)])); // adj 2
    nhs.adjacencies.push(labelled(&[l(100), l(200)])); // adj 3
    nhs.hops.push(NextHop::Forward(AdjId(2))); // hop 5
    nhs.hops.push(NextHop::Forward(AdjId(3))); // hop 6
    s.next_hops = Arc::new(nhs);
    let p = |x: &str| x.parse::<Prefix4>().unwrap();
    let mut main = FibBuilder::new();
    main.insert(p("10.1.0.0/24"), NextHopId(0)).unwrap();
    main.insert(p("10.0.0.1/32"), NextHopId(1)).unwrap();
    main.insert(p("10.20.0.0/16"), NextHopId(5)).unwrap();
    main.insert(p("10.30.0.0/16"), NextHopId(6)).unwrap();
    let mut vrf = FibBuilder::new();
    vrf.insert(p("10.1.0.0/24"), NextHopId(0)).unwrap();
    let mut tables = s.tables.to_vec();
    tables[0] = Some(main.publish());
    tables[7] = Some(vrf.publish());
    s.tables = tables.into();
    let mut ports = s.ports.to_vec();
    ports[0].mpls_input = true;
    ports[1].mpls_input = true;
    s.ports = ports.into();
    let swap = LabelAction::Swap {
        label: l(2000),
        via: AdjId(0),
    };
    s.lfib.set(l(1000), swap).unwrap();
    s.lfib
        .set(l(1001), LabelAction::PopForward(AdjId(0)))
        .unwrap();
    s.lfib
        .set(l(1002), LabelAction::PopLookup(TableId(7)))
        .unwrap();
    s
}

/// A UDP packet to `dst` under `labels` (outermost first, the given TTLs), from host A.
fn labelled(labels: &[(u32, u8)], dst: &str, ip_ttl: u8) -> Vec<u8> {
    let plain = udp(dst, ip_ttl, 100, false);
    let mut f = plain[..12].to_vec();
    f.extend(0x8847u16.to_be_bytes());
    for (i, &(label, ttl)) in labels.iter().enumerate() {
        let e = Entry {
            label: l(label),
            tc: 0,
            bos: i + 1 == labels.len(),
            ttl,
        };
        f.extend(e.encode().to_be_bytes());
    }
    f.extend(&plain[14..]);
    f
}

fn stack_of(f: &[u8]) -> Vec<(u32, bool, u8)> {
    assert_eq!(&f[12..14], &[0x88, 0x47]);
    let s = Stack::new_checked(&f[14..]).unwrap();
    (0..s.depth())
        .map(|i| s.entry(i).unwrap())
        .map(|e| (e.label.get(), e.bos, e.ttl))
        .collect()
}

fn ip_after(f: &[u8], labels: usize) -> ipv4::Packet<&[u8]> {
    let ip = ipv4::Packet::new_checked(&f[14 + 4 * labels..]).unwrap();
    assert!(ip.verify_checksum());
    ip
}

#[test]
fn swap_decrements_the_label_ttl_and_rewrites_l2() {
    let s = mpls_snapshot();
    let mut f = labelled(&[(1000, 64)], "10.1.0.5", 64);
    let v = Pipeline::default().process(&s, PortId(0), &mut f, 0);
    assert_eq!(v, Verdict::Forward(PortId(1)));
    assert_eq!(stack_of(&f), vec![(2000, true, 63)]);
    assert_eq!((&f[0..6], &f[6..12]), (&HOST_B[..], &MAC1[..]));
    assert_eq!(ip_after(&f, 1).ttl(), 64, "the IP header is not touched");
}

#[test]
fn penultimate_hop_pops_to_plain_ip_with_the_ttl_copied() {
    let s = mpls_snapshot();
    let mut f = labelled(&[(1001, 10)], "10.1.0.5", 64);
    let v = Pipeline::default().process(&s, PortId(0), &mut f, 0);
    assert_eq!(v, Verdict::Forward(PortId(1)));
    assert_eq!(&f[12..14], &[0x08, 0x00]);
    assert_eq!(
        ip_after(&f, 0).ttl(),
        9,
        "uniform: the smaller TTL, this hop counted"
    );
    let mut pipe = mpls_snapshot();
    pipe.propagate_ttl = false;
    let mut f = labelled(&[(1001, 10)], "10.1.0.5", 64);
    Pipeline::default().process(&pipe, PortId(0), &mut f, 0);
    assert_eq!(
        ip_after(&f, 0).ttl(),
        64,
        "pipe: the LSP does not touch the IP TTL"
    );
}

#[test]
fn pop_under_a_second_label_keeps_it() {
    let s = mpls_snapshot();
    let mut f = labelled(&[(1001, 10), (77, 64)], "10.1.0.5", 64);
    let v = Pipeline::default().process(&s, PortId(0), &mut f, 0);
    assert_eq!(v, Verdict::Forward(PortId(1)));
    assert_eq!(stack_of(&f), vec![(77, true, 9)]);
}

#[test]
fn pop_and_lookup_in_the_label_s_vrf() {
    let s = mpls_snapshot();
    let mut f = labelled(&[(1002, 64)], "10.1.0.5", 64);
    let v = Pipeline::default().process(&s, PortId(0), &mut f, 0);
    assert_eq!(v, Verdict::Forward(PortId(1)));
    assert_eq!(&f[12..14], &[0x08, 0x00]);
    assert_eq!(ip_after(&f, 0).ttl(), 63);
    assert_eq!((&f[0..6], &f[6..12]), (&HOST_B[..], &MAC1[..]));
    // Table 7 has no route to 10.20/16, main has: the label's table decides.
    let mut f = labelled(&[(1002, 64)], "10.20.0.5", 64);
    let v = Pipeline::default().process(&s, PortId(0), &mut f, 0);
    assert!(
        matches!(v, Verdict::Reply(_, DropReason::NoRoute) | Verdict::Drop(_)),
        "{v:?}"
    );
}

#[test]
fn explicit_null_pops_and_looks_up_in_the_ingress_table() {
    let s = mpls_snapshot();
    let mut f = labelled(&[(0, 64)], "10.1.0.5", 64);
    let v = Pipeline::default().process(&s, PortId(0), &mut f, 0);
    assert_eq!(v, Verdict::Forward(PortId(1)));
    assert_eq!(ip_after(&f, 0).ttl(), 63);
    let mut f = labelled(&[(0, 64), (1000, 64)], "10.1.0.5", 64);
    let v = Pipeline::default().process(&s, PortId(0), &mut f, 0);
    assert_eq!(v, Verdict::Forward(PortId(1)));
    assert_eq!(
        stack_of(&f),
        vec![(2000, true, 63)],
        "RFC 4182: null above a label"
    );
}

#[test]
fn routes_with_labels_push_them() {
    let s = mpls_snapshot();
    let mut f = udp("10.20.0.5", 64, 100, false);
    let v = Pipeline::default().process(&s, PortId(0), &mut f, 0);
    assert_eq!(v, Verdict::Forward(PortId(1)));
    assert_eq!(stack_of(&f), vec![(100, true, 63)]);
    assert_eq!(ip_after(&f, 1).ttl(), 63);
    assert_eq!(f.len(), 14 + 4 + 100);
    let mut f = udp("10.30.0.5", 64, 100, false);
    Pipeline::default().process(&s, PortId(0), &mut f, 0);
    assert_eq!(stack_of(&f), vec![(100, false, 63), (200, true, 63)]);
    assert_eq!((&f[0..6], &f[6..12]), (&HOST_B[..], &MAC1[..]));
    let mut pipe = mpls_snapshot();
    pipe.propagate_ttl = false;
    let mut f = udp("10.20.0.5", 64, 100, false);
    Pipeline::default().process(&pipe, PortId(0), &mut f, 0);
    assert_eq!(stack_of(&f), vec![(100, true, 255)]);
}

#[test]
fn mpls_mtu_counts_the_labels() {
    let mut s = mpls_snapshot();
    let mut ports = s.ports.to_vec();
    ports[1].mpls_mtu = 1504;
    s.ports = ports.into();
    let mut f = udp("10.30.0.5", 64, 1500, true);
    let v = Pipeline::default().process(&s, PortId(0), &mut f, 0);
    assert_eq!(v, Verdict::Reply(PortId(0), DropReason::FragNeeded));
    assert_eq!(icmp_of(&f).4, 1496, "the MTU left for IP under two labels");
    let mut f = udp("10.30.0.5", 64, 1500, false);
    let v = Pipeline::default().process(&s, PortId(0), &mut f, 0);
    assert_eq!(v, Verdict::Drop(DropReason::MplsMtu));
    let mut f = udp("10.30.0.5", 64, 1496, true);
    let v = Pipeline::default().process(&s, PortId(0), &mut f, 0);
    assert_eq!(v, Verdict::Forward(PortId(1)));
}

#[test]
fn refusals_have_reasons() {
    let s = mpls_snapshot();
    let run = |mut f: Vec<u8>, port: u16| Pipeline::default().process(&s, PortId(port), &mut f, 0);
    let drop = Verdict::Drop;
    let mut to_port2 = labelled(&[(1000, 64)], "10.1.0.5", 64);
    to_port2[0..6].copy_from_slice(&MAC2);
    assert_eq!(run(to_port2, 2), drop(DropReason::MplsNotEnabled));
    assert_eq!(
        run(labelled(&[(5000, 64)], "10.1.0.5", 64), 0),
        drop(DropReason::MplsUnknownLabel)
    );
    assert_eq!(
        run(labelled(&[(3, 64)], "10.1.0.5", 64), 0),
        drop(DropReason::MplsBadStack),
        "implicit null never travels"
    );
    assert_eq!(
        run(labelled(&[(1, 64)], "10.1.0.5", 64), 0),
        drop(DropReason::MplsBadStack),
        "router alert is not handled"
    );
    assert_eq!(
        run(labelled(&[(1002, 64), (16, 64)], "10.1.0.5", 64), 0),
        drop(DropReason::MplsBadStack),
        "a label under a VRF's label"
    );
    let mut deep = labelled(&[(1000, 64)], "10.1.0.5", 64);
    deep.truncate(14);
    deep.extend(std::iter::repeat_n([0x00, 0x3e, 0x80, 64], 9).flatten());
    assert_eq!(run(deep, 0), drop(DropReason::MplsBadStack), "no bottom");
    let mut short = labelled(&[(1000, 64)], "10.1.0.5", 64);
    short.truncate(16);
    assert_eq!(run(short, 0), drop(DropReason::Truncated));
    let mut bad_ip = labelled(&[(1001, 64)], "10.1.0.5", 64);
    bad_ip[18] = 0x55;
    assert_eq!(run(bad_ip, 0), drop(DropReason::BadIpHeader));
}

#[test]
fn a_label_never_switches_into_another_vrf() {
    let mut s = mpls_snapshot();
    let mut ports = s.ports.to_vec();
    ports[2].mpls_input = true;
    s.ports = ports.into();
    // Port 2 is in VRF 1; labels 1000 and 1001 leave through port 1, in main.
    for label in [1000, 1001] {
        let mut f = labelled(&[(label, 64)], "10.1.0.5", 64);
        f[0..6].copy_from_slice(&MAC2);
        let v = Pipeline::default().process(&s, PortId(2), &mut f, 0);
        assert_eq!(v, Verdict::Drop(DropReason::MplsOtherVrf), "label {label}");
    }
    // A per-VRF label pops into its table from a core port: what VPNs are made of.
    let mut f = labelled(&[(1002, 64)], "10.1.0.5", 64);
    let v = Pipeline::default().process(&s, PortId(0), &mut f, 0);
    assert_eq!(v, Verdict::Forward(PortId(1)));
}

#[test]
fn expired_label_ttl_sends_time_exceeded_with_the_stack_along_the_lsp() {
    let s = mpls_snapshot();
    let mut f = labelled(&[(1000, 1)], "10.1.0.5", 60);
    let v = Pipeline::default().process(&s, PortId(0), &mut f, 0);
    assert_eq!(v, Verdict::Forward(PortId(1)), "on along the LSP");
    assert_eq!(stack_of(&f), vec![(2000, true, 254)]);
    let h = ip_after(&f, 1);
    assert_eq!((h.src(), h.dst()), (ip("10.0.0.1"), ip("10.0.0.2")));
    let m = h.payload();
    assert_eq!(
        (m[0], m[1], m[5]),
        (11, 0, 32),
        "time exceeded, RFC 4884 length"
    );
    assert!(crate::wire::icmp::Packet::new_checked(m)
        .unwrap()
        .verify_checksum());
    let quoted = ipv4::Packet::new_checked(&m[8..8 + 128]);
    assert!(quoted.is_err() || quoted.unwrap().dst() == ip("10.1.0.5"));
    assert_eq!(&m[8 + 16..8 + 20], &ip("10.1.0.5").to_be_bytes());
    let ext = &m[8 + 128..];
    assert_eq!(
        (ext[0], ext[6], ext[7]),
        (0x20, 1, 1),
        "v2, MPLS stack object"
    );
    assert!(crate::wire::checksum::verify(ext));
    let e = Entry::decode(u32::from_be_bytes(ext[8..12].try_into().unwrap()));
    assert_eq!(
        (e.label.get(), e.ttl, e.bos),
        (1000, 1, true),
        "as received"
    );
}

#[test]
fn time_exceeded_under_a_vpn_label_gets_fresh_ttls_on_every_label() {
    // A P router: the transport label (1000, swapped to 2000) expires above a VPN label
    // (77) that the uniform model gave the same TTL; the error must reach the far PE, which
    // looks it up in the VRF, so the VPN label's TTL is renewed too.
    let s = mpls_snapshot();
    let mut f = labelled(&[(1000, 1), (77, 1)], "10.1.0.5", 60);
    let v = Pipeline::default().process(&s, PortId(0), &mut f, 0);
    assert_eq!(v, Verdict::Forward(PortId(1)), "on along the LSP");
    assert_eq!(stack_of(&f), vec![(2000, false, 254), (77, true, 255)]);
    let m = ip_after(&f, 2).payload().to_vec();
    assert_eq!((m[0], m[1]), (11, 0), "time exceeded");
    let ext = &m[8 + 128..];
    let stack: Vec<(u32, u8)> = (0..2)
        .map(|i| {
            let w = u32::from_be_bytes(ext[8 + 4 * i..12 + 4 * i].try_into().unwrap());
            let e = Entry::decode(w);
            (e.label.get(), e.ttl)
        })
        .collect();
    assert_eq!(stack, vec![(1000, 1), (77, 1)], "the stack as received");
}

#[test]
fn a_burst_mixing_labels_and_ip_gets_the_same_verdicts_as_one_by_one() {
    let s = mpls_snapshot();
    let frames = vec![
        udp("10.1.0.5", 64, 100, false),
        labelled(&[(1002, 64)], "10.1.0.6", 64),
        labelled(&[(1000, 64)], "10.1.0.7", 64),
        udp("10.20.0.1", 64, 100, false),
        labelled(&[(1002, 64)], "10.9.9.9", 64),
        labelled(&[(0, 64)], "10.30.0.1", 64),
        labelled(&[(4444, 64)], "10.1.0.5", 64),
    ];
    let mut one = frames.clone();
    let expected: Vec<Verdict> = one
        .iter_mut()
        .map(|f| Pipeline::default().process(&s, PortId(0), f, 0))
        .collect();
    let mut burst = frames.clone();
    let mut verdicts = vec![Verdict::Punt; burst.len()];
    Pipeline::default().process_burst(&s, PortId(0), &mut burst, &mut verdicts, 0);
    assert_eq!(verdicts, expected);
    assert_eq!(burst, one, "the same bytes");
}

#[test]
fn labels_are_counted_per_incoming_label() {
    let s = mpls_snapshot();
    let c = Arc::new(WorkerCounters::new(3));
    let mut p = Pipeline::default().with_counters(c.clone());
    for _ in 0..3 {
        let mut f = labelled(&[(1000, 64)], "10.1.0.5", 64);
        p.process(&s, PortId(0), &mut f, 0);
    }
    assert_eq!(c.labels.read(1000), (3, 3 * 118));
    assert_eq!(c.labels.read(2000), (0, 0));
}

#[test]
fn vec_buffers_move_their_start_both_ways() {
    let mut v = vec![1u8, 2, 3];
    assert!(v.move_start(-2));
    assert_eq!(v, vec![0, 0, 1, 2, 3]);
    assert!(v.move_start(3));
    assert_eq!(v, vec![2, 3]);
    assert!(!v.move_start(3));
    let _ = (HOST_A, MAC0);
}

#[test]
fn the_router_s_own_packets_take_the_labels_of_their_route() {
    use super::super::own::{route, Own};
    let s = mpls_snapshot();
    let mut f = udp("10.30.0.9", 64, 100, true);
    let plain_len = f.len();
    assert_eq!(route(&s, 0, &mut f), Own::Out(1));
    assert_eq!(f.len(), plain_len + 8);
    assert_eq!(&f[0..6], &HOST_B);
    assert_eq!(&f[6..12], &MAC1);
    assert_eq!(stack_of(&f), vec![(100, false, 64), (200, true, 64)]);
    let ip = ip_after(&f, 2);
    assert_eq!(ip.ttl(), 64, "the kernel's own TTL, not decremented");
    assert!(ip.verify_checksum());
    // Too large for mpls-mtu with its labels: the kernel learns it by path MTU discovery.
    let mut ports = s.ports.to_vec();
    ports[1].mpls_mtu = 104;
    let s = Snapshot {
        ports: ports.into(),
        ..s
    };
    let mut big = udp("10.30.0.9", 64, 100, true);
    assert!(matches!(
        route(&s, 0, &mut big),
        Own::Drop(DropReason::FragNeeded, _)
    ));
    let mut one = udp("10.20.0.9", 64, 100, true);
    assert_eq!(route(&s, 0, &mut one), Own::Out(1), "one label fits");
}
