//! Every FIB variant answers exactly as the oracle (`prefix-trie`) after random add/remove
//! sequences, with prefix lengths weighted like the real Internet table and addresses
//! crowded into a few /8s so that prefixes overlap a lot.
//!
//! Variants: the builder's working table (scalar and bulk lookups), a version published
//! half-way (it must keep answering as the oracle did then), and a table built from the
//! final prefixes shortest-first.

use ipnet::Ipv4Net;
use prefix_trie::PrefixMap;
use proptest::prelude::*;
use rspe_shared::fib::{FibBuilder, FibTable, NO_ROUTE};
use rspe_shared::types::{NextHopId, Prefix4};
use std::net::Ipv4Addr;

#[derive(Debug, Clone)]
enum Op {
    Add(Prefix4, u32),
    Remove(Prefix4),
}

/// Prefix lengths weighted like the real table: mostly /24, then /22-/23, /16-/21, and a
/// tail of short and longer-than-/24 prefixes (the second level), plus the default.
fn length() -> impl Strategy<Value = u8> {
    prop_oneof![
        50 => Just(24u8),
        15 => 22u8..=23,
        15 => 16u8..=21,
        5 => 8u8..=15,
        10 => 25u8..=32,
        3 => 1u8..=7,
        2 => Just(0u8),
    ]
}

fn prefix() -> impl Strategy<Value = Prefix4> {
    (
        prop_oneof![Just(10u32), Just(11), Just(192), Just(255)],
        any::<u32>(),
        length(),
    )
        .prop_map(|(top, low, len)| {
            Prefix4::new((top << 24) | (low >> 8 << 8) | (low & 0xff), len).unwrap()
        })
}

fn ops() -> impl Strategy<Value = Vec<Op>> {
    prop::collection::vec(
        prop_oneof![
            3 => (prefix(), 0u32..1024).prop_map(|(p, n)| Op::Add(p, n)),
            1 => prefix().prop_map(Op::Remove),
        ],
        1..300,
    )
}

fn net(p: Prefix4) -> Ipv4Net {
    Ipv4Net::new(Ipv4Addr::from(p.addr()), p.len()).unwrap()
}

fn oracle_lookup(o: &PrefixMap<Ipv4Net, u32>, addr: u32) -> Option<NextHopId> {
    o.get_lpm(&Ipv4Net::new(Ipv4Addr::from(addr), 32).unwrap())
        .map(|(_, &n)| NextHopId(n))
}

/// Addresses that probe every prefix's edges, plus random ones.
fn probes(o: &PrefixMap<Ipv4Net, u32>, extra: &[u32]) -> Vec<u32> {
    let mut v: Vec<u32> = extra.to_vec();
    for (p, _) in o.iter() {
        let first = u32::from(p.network());
        let last = u32::from(p.broadcast());
        v.extend([
            first,
            last,
            first.wrapping_sub(1),
            last.wrapping_add(1),
            first | ((last - first) / 2),
        ]);
    }
    v
}

fn check(
    table: &FibTable,
    oracle: &PrefixMap<Ipv4Net, u32>,
    addrs: &[u32],
    what: &str,
) -> Result<(), TestCaseError> {
    let mut bulk = vec![0u32; addrs.len()];
    table.lookup_bulk(addrs, &mut bulk);
    for (&a, &b) in addrs.iter().zip(&bulk) {
        let want = oracle_lookup(oracle, a);
        prop_assert_eq!(
            table.lookup(a),
            want,
            "{}: scalar lookup of {}",
            what,
            Ipv4Addr::from(a)
        );
        let got = (b != NO_ROUTE).then_some(NextHopId(b));
        prop_assert_eq!(got, want, "{}: bulk lookup of {}", what, Ipv4Addr::from(a));
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn fib_matches_oracle(ops in ops(), randoms in prop::collection::vec(any::<u32>(), 64)) {
        let mut b = FibBuilder::new();
        let mut oracle = PrefixMap::<Ipv4Net, u32>::new();
        let half = ops.len() / 2;
        let mut mid = None;
        for (i, op) in ops.iter().enumerate() {
            match *op {
                Op::Add(p, n) => {
                    let old = b.insert(p, NextHopId(n)).unwrap();
                    prop_assert_eq!(old.map(|x| x.0), oracle.insert(net(p), n));
                }
                Op::Remove(p) => {
                    prop_assert_eq!(b.remove(p).map(|x| x.0), oracle.remove(&net(p)));
                }
            }
            if i + 1 == half {
                mid = Some((b.publish(), oracle.clone()));
            }
        }
        prop_assert_eq!(b.len(), oracle.iter().count());
        let addrs = probes(&oracle, &randoms);
        check(b.table(), &oracle, &addrs, "working table")?;
        check(&b.publish(), &oracle, &addrs, "published")?;

        if let Some((old, old_oracle)) = mid {
            let old_addrs = probes(&old_oracle, &randoms);
            check(&old, &old_oracle, &old_addrs, "version published half-way")?;
        }

        let mut sorted: Vec<(Ipv4Net, u32)> = oracle.iter().map(|(p, &n)| (*p, n)).collect();
        sorted.sort_by_key(|(p, _)| p.prefix_len());
        let mut fresh = FibBuilder::new();
        for (p, n) in sorted {
            fresh.insert(Prefix4::new(u32::from(p.network()), p.prefix_len()).unwrap(), NextHopId(n)).unwrap();
        }
        check(fresh.table(), &oracle, &addrs, "built shortest-first")?;
    }
}
