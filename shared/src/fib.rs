//! DIR-24-8 FIB for IPv4, with versions that share memory.
//!
//! Lookup structure ([`FibTable`], immutable, what workers read):
//! - the first level has 2^24 32-bit entries, one per /24, split into 4,096 chunks of 4,096
//!   entries; a chunk is an `Arc` shared by every version (and every table) that has the
//!   same content, and all-empty chunks are one shared chunk;
//! - an entry holds a next-hop id and the depth (prefix length) it came from, or the index of
//!   a 256-entry second-level group (kept in the same chunk) for prefixes longer than /24;
//! - the default route lives outside the array, so an empty entry means "the default".
//!
//! Changes go through a [`FibBuilder`] (control plane only): it keeps the prefixes, updates
//! its working table copy-on-write (the first change to a chunk since the last
//! [`FibBuilder::publish`] copies that chunk, 16 KiB, and later changes in the same batch
//! write in place), and `publish` hands out a new version in O(chunks) without copying any
//! entry array.
//!
//! Entry layout (bits): `31` group flag, `30..25` depth (0: empty), `24..0` next-hop id or
//! group index.

use crate::types::{mask, NextHopId, Prefix4};
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

const CHUNK_BITS: u32 = 14;
/// Shift from an address to its chunk.
const CHUNK_SHIFT: u32 = 8 + CHUNK_BITS;
/// First-level entries per chunk.
pub const CHUNK_LEN: usize = 1 << CHUNK_BITS;
/// Chunks in a table.
pub const CHUNKS: usize = 1 << (24 - CHUNK_BITS);
/// Entries in a second-level group.
pub const GROUP_LEN: usize = 256;

const GROUP_FLAG: u32 = 1 << 31;
const DEPTH_SHIFT: u32 = 25;
const VALUE_MASK: u32 = (1 << DEPTH_SHIFT) - 1;

/// The largest next-hop id a FIB entry can hold.
pub const MAX_NEXT_HOP: u32 = VALUE_MASK;
/// What bulk lookups write for an address with no route (and no default route).
pub const NO_ROUTE: u32 = u32::MAX;

const _: () = assert!(std::mem::size_of::<[u32; CHUNK_LEN]>() == 64 * 1024);
const _: () = assert!(CHUNKS * CHUNK_LEN == 1 << 24);
const _: () = assert!(
    32 << DEPTH_SHIFT < GROUP_FLAG,
    "depth fits below the group flag"
);
const _: () = assert!(std::mem::size_of::<Group>() == GROUP_LEN * 4);

type Group = [u32; GROUP_LEN];

#[inline]
const fn encode(depth: u8, nh: u32) -> u32 {
    ((depth as u32) << DEPTH_SHIFT) | nh
}

#[inline]
const fn depth(e: u32) -> u8 {
    ((e >> DEPTH_SHIFT) & 0x3f) as u8
}

/// One 4,096-entry slice of the first level and the second-level groups its entries use.
#[derive(Clone)]
struct Chunk {
    entries: [u32; CHUNK_LEN],
    groups: Vec<Group>,
    free_groups: Vec<u32>,
}

impl Chunk {
    fn empty() -> Arc<Chunk> {
        static EMPTY: OnceLock<Arc<Chunk>> = OnceLock::new();
        EMPTY
            .get_or_init(|| {
                Arc::new(Chunk {
                    entries: [0; CHUNK_LEN],
                    groups: Vec::new(),
                    free_groups: Vec::new(),
                })
            })
            .clone()
    }

    fn bytes(&self) -> usize {
        std::mem::size_of::<Chunk>()
            + self.groups.capacity() * std::mem::size_of::<Group>()
            + self.free_groups.capacity() * 4
    }

    fn alloc_group(&mut self, fill: u32) -> u32 {
        match self.free_groups.pop() {
            Some(g) => {
                self.groups[g as usize] = [fill; GROUP_LEN];
                g
            }
            None => {
                self.groups.push([fill; GROUP_LEN]);
                (self.groups.len() - 1) as u32
            }
        }
    }

    /// Applies `f` to the group of first-level entry `i` in `lo..hi`, then folds the group
    /// back into the entry when it became uniform with a depth of 24 or less.
    fn update_group(&mut self, i: usize, lo: usize, hi: usize, f: &impl Fn(u32) -> u32) {
        let g = (self.entries[i] & VALUE_MASK) as usize;
        let group = &mut self.groups[g];
        for e in &mut group[lo..hi] {
            *e = f(*e);
        }
        let first = group[0];
        if depth(first) <= 24 && group.iter().all(|&e| e == first) {
            self.entries[i] = first;
            self.free_groups.push(g as u32);
        }
    }
}

/// One immutable version of a routing table's FIB: what a worker reads.
#[derive(Clone)]
pub struct FibTable {
    chunks: Box<[Arc<Chunk>; CHUNKS]>,
    default: u32,
}

impl Default for FibTable {
    fn default() -> Self {
        Self::new()
    }
}

impl FibTable {
    /// An empty table: every chunk is the shared empty chunk.
    pub fn new() -> FibTable {
        let empty = Chunk::empty();
        let chunks: Vec<Arc<Chunk>> = (0..CHUNKS).map(|_| empty.clone()).collect();
        FibTable {
            chunks: chunks
                .into_boxed_slice()
                .try_into()
                .unwrap_or_else(|_| unreachable!("CHUNKS elements")),
            default: NO_ROUTE,
        }
    }

    /// The next hop for `addr`, longest prefix first, then the default route.
    #[inline]
    pub fn lookup(&self, addr: u32) -> Option<NextHopId> {
        let nh = self.lookup_raw(addr);
        (nh != NO_ROUTE).then_some(NextHopId(nh))
    }

    #[inline(always)]
    fn lookup_raw(&self, addr: u32) -> u32 {
        let chunk = &self.chunks[(addr >> CHUNK_SHIFT) as usize];
        let mut e = chunk.entries[((addr >> 8) as usize) & (CHUNK_LEN - 1)];
        if e & GROUP_FLAG != 0 {
            e = chunk.groups[(e & VALUE_MASK) as usize][(addr & 0xff) as usize];
        }
        // A select, not a branch: misses are frequent and unpredictable on random traffic.
        let hit = e != 0;
        let nh = e & VALUE_MASK;
        if hit {
            nh
        } else {
            self.default
        }
    }

    /// Looks up every address of `addrs` into `out` (next-hop id, or [`NO_ROUTE`]).
    /// Works on groups of 32: first prefetches the first-level entry of every address, then
    /// resolves them, so the cache misses of a burst overlap instead of queueing.
    pub fn lookup_bulk(&self, addrs: &[u32], out: &mut [u32]) {
        const STEP: usize = 32;
        let n = addrs.len().min(out.len());
        for (a, o) in addrs[..n].chunks(STEP).zip(out[..n].chunks_mut(STEP)) {
            for &addr in a {
                let chunk = &self.chunks[(addr >> CHUNK_SHIFT) as usize];
                prefetch(&chunk.entries[((addr >> 8) as usize) & (CHUNK_LEN - 1)]);
            }
            for (&addr, o) in a.iter().zip(o.iter_mut()) {
                *o = self.lookup_raw(addr);
            }
        }
    }

    /// Bytes used by this version's own parts plus every chunk not already in `seen`
    /// (chunks shared with other versions or tables are counted once over a `seen` set).
    pub fn memory(&self, seen: &mut std::collections::HashSet<usize>) -> usize {
        let mut total =
            std::mem::size_of::<FibTable>() + std::mem::size_of::<[Arc<Chunk>; CHUNKS]>();
        for c in self.chunks.iter() {
            if seen.insert(Arc::as_ptr(c) as usize) {
                total += c.bytes() + 16; // the Arc's counts
            }
        }
        total
    }
}

/// A cache hint: bring the line holding `r` towards L1. Never faults, never changes memory.
#[inline(always)]
pub fn prefetch<T>(r: &T) {
    #[cfg(target_arch = "x86_64")]
    #[allow(unsafe_code)]
    // SAFETY: `prefetcht0` is a hint on a valid reference's address; it cannot fault and has
    // no effect on program state. SSE is part of the x86_64 baseline.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(
            (r as *const T).cast::<i8>(),
        );
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = r;
}

/// A next-hop id that does not fit a FIB entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("next-hop id {0} is over the FIB's limit of {MAX_NEXT_HOP}")]
pub struct NextHopTooLarge(pub u32);

/// The control plane's side of one table: its prefixes and a working copy of the lookup
/// structure, updated in place (copy-on-write against published versions).
pub struct FibBuilder {
    /// Prefixes by length: network address → next hop.
    prefixes: Vec<HashMap<u32, u32>>,
    table: FibTable,
    routes: usize,
}

impl Default for FibBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl FibBuilder {
    /// An empty table.
    pub fn new() -> FibBuilder {
        FibBuilder {
            prefixes: (0..=32).map(|_| HashMap::new()).collect(),
            table: FibTable::new(),
            routes: 0,
        }
    }

    /// Number of prefixes.
    pub fn len(&self) -> usize {
        self.routes
    }

    /// Whether the table has no prefix.
    pub fn is_empty(&self) -> bool {
        self.routes == 0
    }

    /// Sets the next hop of `prefix`; returns the one it replaces.
    pub fn insert(
        &mut self,
        prefix: Prefix4,
        nh: NextHopId,
    ) -> Result<Option<NextHopId>, NextHopTooLarge> {
        if nh.0 > MAX_NEXT_HOP {
            return Err(NextHopTooLarge(nh.0));
        }
        let (addr, len) = (prefix.addr(), prefix.len());
        let old = self.prefixes[len as usize].insert(addr, nh.0);
        if old.is_none() {
            self.routes += 1;
        }
        if len == 0 {
            self.table.default = nh.0;
        } else {
            let new = encode(len, nh.0);
            self.apply(addr, len, &|e| if depth(e) <= len { new } else { e });
        }
        Ok(old.map(NextHopId))
    }

    /// Removes `prefix`; returns its next hop if it was there.
    pub fn remove(&mut self, prefix: Prefix4) -> Option<NextHopId> {
        let (addr, len) = (prefix.addr(), prefix.len());
        let old = self.prefixes[len as usize].remove(&addr)?;
        self.routes -= 1;
        if len == 0 {
            self.table.default = NO_ROUTE;
        } else {
            let repl = self.covering(addr, len);
            self.apply(addr, len, &|e| if depth(e) == len { repl } else { e });
        }
        Some(NextHopId(old))
    }

    /// The entry of the longest prefix shorter than `len` that covers `addr` (0 if none:
    /// the default route is outside the array).
    fn covering(&self, addr: u32, len: u8) -> u32 {
        (1..len)
            .rev()
            .find_map(|l| {
                self.prefixes[l as usize]
                    .get(&(addr & mask(l)))
                    .map(|&nh| encode(l, nh))
            })
            .unwrap_or(0)
    }

    /// Applies `f` to every leaf entry (first-level entry, or second-level entry under a
    /// group) that `addr/len` covers, splitting a first-level entry into a group for
    /// prefixes longer than 24.
    fn apply(&mut self, addr: u32, len: u8, f: &impl Fn(u32) -> u32) {
        if len <= 24 {
            let first = (addr >> 8) as usize;
            let count = 1usize << (24 - len);
            let mut i = first;
            while i < first + count {
                let ci = i >> CHUNK_BITS;
                let lo = i & (CHUNK_LEN - 1);
                let hi = (lo + (first + count - i)).min(CHUNK_LEN);
                let chunk = Arc::make_mut(&mut self.table.chunks[ci]);
                for j in lo..hi {
                    let e = chunk.entries[j];
                    if e & GROUP_FLAG != 0 {
                        chunk.update_group(j, 0, GROUP_LEN, f);
                    } else {
                        chunk.entries[j] = f(e);
                    }
                }
                i += hi - lo;
            }
        } else {
            let t = (addr >> 8) as usize;
            let chunk = Arc::make_mut(&mut self.table.chunks[t >> CHUNK_BITS]);
            let j = t & (CHUNK_LEN - 1);
            if chunk.entries[j] & GROUP_FLAG == 0 {
                let g = chunk.alloc_group(chunk.entries[j]);
                chunk.entries[j] = GROUP_FLAG | g;
            }
            let lo = (addr & 0xff) as usize;
            let hi = lo + (1usize << (32 - len));
            chunk.update_group(j, lo, hi, f);
        }
    }

    /// The working table (for the control plane's own lookups and tests).
    pub fn table(&self) -> &FibTable {
        &self.table
    }

    /// A new immutable version with every change so far. Costs one reference count per
    /// chunk; no entry is copied.
    pub fn publish(&self) -> Arc<FibTable> {
        Arc::new(self.table.clone())
    }

    /// Bytes used by the prefixes kept for updates (not shared with workers).
    pub fn control_memory(&self) -> usize {
        self.prefixes
            .iter()
            .map(|m| m.capacity() * (std::mem::size_of::<(u32, u32)>() + 1))
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Prefix4 {
        s.parse().unwrap()
    }

    fn ip(s: &str) -> u32 {
        u32::from(s.parse::<std::net::Ipv4Addr>().unwrap())
    }

    fn nh(n: u32) -> NextHopId {
        NextHopId(n)
    }

    #[test]
    fn overlaps_longest_match_and_restore() {
        let mut b = FibBuilder::new();
        b.insert(p("10.0.0.0/8"), nh(1)).unwrap();
        b.insert(p("10.1.0.0/16"), nh(2)).unwrap();
        b.insert(p("10.1.2.128/25"), nh(3)).unwrap();
        b.insert(p("10.1.2.129/32"), nh(4)).unwrap();
        let t = b.table();
        assert_eq!(t.lookup(ip("10.9.9.9")), Some(nh(1)));
        assert_eq!(t.lookup(ip("10.1.9.9")), Some(nh(2)));
        assert_eq!(t.lookup(ip("10.1.2.1")), Some(nh(2)));
        assert_eq!(t.lookup(ip("10.1.2.130")), Some(nh(3)));
        assert_eq!(t.lookup(ip("10.1.2.129")), Some(nh(4)));
        assert_eq!(t.lookup(ip("11.0.0.1")), None);

        // Removing a longer prefix restores the covering one.
        assert_eq!(b.remove(p("10.1.2.128/25")), Some(nh(3)));
        assert_eq!(b.table().lookup(ip("10.1.2.130")), Some(nh(2)));
        assert_eq!(b.table().lookup(ip("10.1.2.129")), Some(nh(4)));
        // Removing the covering prefix keeps the longer ones.
        assert_eq!(b.remove(p("10.1.0.0/16")), Some(nh(2)));
        assert_eq!(b.table().lookup(ip("10.1.2.130")), Some(nh(1)));
        assert_eq!(b.table().lookup(ip("10.1.2.129")), Some(nh(4)));
        // The last /32 goes: its group folds back into the first level.
        b.remove(p("10.1.2.129/32"));
        let chunk = &b.table().chunks[(ip("10.1.2.0") >> CHUNK_SHIFT) as usize];
        assert_eq!(
            chunk.entries[((ip("10.1.2.0") >> 8) as usize) & (CHUNK_LEN - 1)] & GROUP_FLAG,
            0
        );
        assert_eq!(chunk.free_groups.len(), 1);
        assert_eq!(b.len(), 1);
    }

    #[test]
    fn default_route_lives_outside_the_array() {
        let mut b = FibBuilder::new();
        assert_eq!(b.table().lookup(ip("1.2.3.4")), None);
        b.insert(Prefix4::DEFAULT, nh(7)).unwrap();
        b.insert(p("1.2.3.0/24"), nh(8)).unwrap();
        assert_eq!(b.table().lookup(ip("1.2.3.4")), Some(nh(8)));
        assert_eq!(b.table().lookup(ip("9.9.9.9")), Some(nh(7)));
        b.remove(p("1.2.3.0/24"));
        assert_eq!(b.table().lookup(ip("1.2.3.4")), Some(nh(7)));
        b.remove(Prefix4::DEFAULT);
        assert_eq!(b.table().lookup(ip("1.2.3.4")), None);
    }

    #[test]
    fn rte_fib_random_order_case() {
        // The three prefixes on which DPDK 22.11's rte_fib answers wrongly when they are
        // added in this order.
        let mut b = FibBuilder::new();
        b.insert(p("255.127.0.0/16"), nh(1)).unwrap();
        b.insert(p("255.128.0.0/9"), nh(2)).unwrap();
        b.insert(p("255.0.0.0/8"), nh(3)).unwrap();
        assert_eq!(b.table().lookup(ip("255.127.1.1")), Some(nh(1)));
        assert_eq!(b.table().lookup(ip("255.200.1.1")), Some(nh(2)));
        assert_eq!(b.table().lookup(ip("255.1.1.1")), Some(nh(3)));
    }

    #[test]
    fn published_versions_do_not_change_and_share_chunks() {
        let mut b = FibBuilder::new();
        b.insert(p("10.0.0.0/8"), nh(1)).unwrap();
        let v1 = b.publish();
        b.insert(p("10.1.0.0/16"), nh(2)).unwrap();
        b.insert(p("192.168.0.0/16"), nh(3)).unwrap();
        let v2 = b.publish();
        assert_eq!(v1.lookup(ip("10.1.1.1")), Some(nh(1)));
        assert_eq!(v2.lookup(ip("10.1.1.1")), Some(nh(2)));
        assert_eq!(v1.lookup(ip("192.168.1.1")), None);
        let shared = v1
            .chunks
            .iter()
            .zip(v2.chunks.iter())
            .filter(|(a, b)| Arc::ptr_eq(a, b))
            .count();
        assert_eq!(
            shared,
            CHUNKS - 2,
            "only the two touched chunks were copied"
        );
    }

    #[test]
    fn a_small_table_is_small() {
        let mut b = FibBuilder::new();
        for i in 0..50u32 {
            b.insert(Prefix4::new(0x0a00_0000 | (i << 8), 24).unwrap(), nh(i))
                .unwrap();
        }
        let v = b.publish();
        let mut seen = std::collections::HashSet::new();
        seen.insert(Arc::as_ptr(&Chunk::empty()) as usize);
        let bytes = v.memory(&mut seen);
        assert!(bytes < 128 * 1024, "50 routes cost {bytes} bytes");
    }

    #[test]
    fn bulk_agrees_with_scalar() {
        let mut b = FibBuilder::new();
        b.insert(p("10.0.0.0/8"), nh(1)).unwrap();
        b.insert(p("10.1.2.0/25"), nh(2)).unwrap();
        b.insert(Prefix4::DEFAULT, nh(9)).unwrap();
        let addrs: Vec<u32> = (0..100u32)
            .map(|i| ip("10.1.2.0") + i * 3)
            .chain([ip("8.8.8.8")])
            .collect();
        let mut out = vec![0; addrs.len()];
        b.table().lookup_bulk(&addrs, &mut out);
        for (a, o) in addrs.iter().zip(&out) {
            assert_eq!(Some(NextHopId(*o)), b.table().lookup(*a));
        }
    }

    #[test]
    fn next_hop_ids_are_bounded() {
        let mut b = FibBuilder::new();
        assert!(b.insert(p("10.0.0.0/8"), nh(MAX_NEXT_HOP + 1)).is_err());
        assert!(b.is_empty());
    }
}
