//! Adjacencies (where and how a packet leaves: port, MACs, labels to push, MTU), next hops
//! (what a FIB entry resolves to) and ECMP groups selected by a flow hash.

use crate::types::{AdjId, Label, NextHopId, PortId, TableId};

/// Up to two labels to push, outermost first. Implicit null pushes nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct LabelStack {
    labels: [u32; 2],
    len: u8,
}

/// More labels than an adjacency can push.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("an adjacency pushes at most 2 labels, {0} given")]
pub struct TooManyLabels(pub usize);

impl LabelStack {
    /// The stack for `labels`, outermost first, leaving out implicit null (PHP: the
    /// neighbour asked us to pop, so nothing is pushed for it).
    pub fn new(labels: &[Label]) -> Result<LabelStack, TooManyLabels> {
        let real: Vec<Label> = labels
            .iter()
            .copied()
            .filter(|&l| l != Label::IMPLICIT_NULL)
            .collect();
        if real.len() > 2 {
            return Err(TooManyLabels(real.len()));
        }
        let mut s = LabelStack::default();
        for (i, l) in real.iter().enumerate() {
            s.labels[i] = l.get();
        }
        s.len = real.len() as u8;
        Ok(s)
    }

    /// The labels, outermost first.
    pub fn labels(&self) -> impl Iterator<Item = Label> + '_ {
        self.labels[..usize::from(self.len)]
            .iter()
            .map(|&l| Label::try_from(l).unwrap_or(Label::IMPLICIT_NULL))
    }

    /// How many labels are pushed.
    pub fn depth(&self) -> usize {
        usize::from(self.len)
    }
}

/// Where and how a packet leaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Adjacency {
    /// Output port.
    pub port: PortId,
    /// Destination MAC (the neighbour's).
    pub dst_mac: [u8; 6],
    /// Source MAC (the port's).
    pub src_mac: [u8; 6],
    /// Labels to push.
    pub push: LabelStack,
    /// Largest IP packet that may leave (the labels come on top).
    pub mtu: u16,
}

/// What a FIB entry resolves to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NextHop {
    /// One adjacency.
    Forward(AdjId),
    /// Equal-cost paths: `count` adjacencies from `first` in the member list.
    Ecmp {
        /// Index of the first member.
        first: u32,
        /// Number of members (at least 1).
        count: u32,
    },
    /// A directly connected network (or a gateway) whose neighbour is not resolved yet: the
    /// packet cannot leave; the dataplane asks for `target` (0: the packet's destination)
    /// with an ARP request from `src` out of `port`.
    Glean {
        /// The port the neighbour is on.
        port: PortId,
        /// The router's address on that network (the ARP request's sender).
        src: u32,
        /// The neighbour to resolve; 0 means the packet's own destination.
        target: u32,
    },
    /// The router's own address: deliver to the kernel twin.
    Local,
    /// Drop silently.
    Blackhole,
    /// Drop with ICMP net unreachable.
    Unreachable,
    /// Drop with ICMP administratively prohibited.
    Prohibit,
    /// Look the destination up again in this table (a route whose gateway is a VRF:
    /// `gateway=vrf1@vrf1`). What that lookup finds cannot be another such hop.
    Lookup(TableId),
}

/// The outcome of resolving a next hop for one packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolved<'a> {
    /// Send through this adjacency.
    Forward(&'a Adjacency),
    /// The neighbour is not resolved: see [`NextHop::Glean`].
    Glean {
        /// The port the neighbour is on.
        port: PortId,
        /// The router's address on that network.
        src: u32,
        /// The neighbour; 0 means the packet's own destination.
        target: u32,
    },
    /// Deliver locally.
    Local,
    /// Drop silently.
    Blackhole,
    /// Drop with ICMP net unreachable (also: a next hop that is not there).
    Unreachable,
    /// Drop with ICMP administratively prohibited.
    Prohibit,
    /// Look the destination up again in this table: see [`NextHop::Lookup`].
    Lookup(TableId),
}

/// Next hops, ECMP members and adjacencies of one snapshot.
#[derive(Debug, Clone, Default)]
pub struct NextHops {
    /// By [`NextHopId`].
    pub hops: Vec<NextHop>,
    /// ECMP members, referenced by [`NextHop::Ecmp`].
    pub members: Vec<AdjId>,
    /// By [`AdjId`].
    pub adjacencies: Vec<Adjacency>,
}

impl NextHops {
    /// Brings the next hops and adjacencies of a burst's lookups (`nhs`, as the FIB returns
    /// them) towards the cache, so that their misses overlap instead of stalling each packet.
    #[inline]
    pub fn prefetch(&self, nhs: &[u32]) {
        for &nh in nhs {
            if let Some(h) = self.hops.get(nh as usize) {
                crate::fib::prefetch(h);
            }
        }
        for &nh in nhs {
            if let Some(NextHop::Forward(a)) = self.hops.get(nh as usize) {
                if let Some(adj) = self.adjacencies.get(a.0 as usize) {
                    crate::fib::prefetch(adj);
                }
            }
        }
    }

    /// Resolves `nh` for a packet of flow `hash`: the ECMP member is chosen by the hash, so
    /// one flow always takes one path.
    #[inline]
    pub fn resolve(&self, nh: NextHopId, hash: u32) -> Resolved<'_> {
        self.resolve_with(nh, || hash)
    }

    /// [`Self::resolve`] with the flow hash computed only when `nh` is an ECMP group.
    #[inline]
    pub fn resolve_with(&self, nh: NextHopId, hash: impl FnOnce() -> u32) -> Resolved<'_> {
        let adj = match self.hops.get(nh.0 as usize) {
            Some(NextHop::Forward(a)) => *a,
            Some(NextHop::Ecmp { first, count }) => {
                // Multiply-shift maps the hash onto 0..count without a division.
                let k = ((u64::from(hash()) * u64::from(*count)) >> 32) as u32;
                match self.members.get((first + k) as usize) {
                    Some(a) => *a,
                    None => return Resolved::Unreachable,
                }
            }
            Some(NextHop::Local) => return Resolved::Local,
            Some(&NextHop::Glean { port, src, target }) => {
                return Resolved::Glean { port, src, target }
            }
            Some(NextHop::Blackhole) => return Resolved::Blackhole,
            Some(NextHop::Prohibit) => return Resolved::Prohibit,
            Some(&NextHop::Lookup(t)) => return Resolved::Lookup(t),
            Some(NextHop::Unreachable) | None => return Resolved::Unreachable,
        };
        match self.adjacencies.get(adj.0 as usize) {
            Some(a) => Resolved::Forward(a),
            None => Resolved::Unreachable,
        }
    }
}

impl NextHops {
    /// Whether `nh` leaves through `port` (any member of an ECMP group, or a neighbour not
    /// resolved yet on it); `None` when it does not leave at all (the router's own
    /// address, blackhole, unreachable, prohibit). What reverse-path filtering asks.
    pub fn egress_via(&self, nh: NextHopId, port: PortId) -> Option<bool> {
        let adj_port = |a: &AdjId| self.adjacencies.get(a.0 as usize).map(|x| x.port);
        match self.hops.get(nh.0 as usize)? {
            NextHop::Forward(a) => Some(adj_port(a)? == port),
            NextHop::Ecmp { first, count } => {
                let m = self
                    .members
                    .get(*first as usize..(first + count) as usize)?;
                Some(m.iter().any(|a| adj_port(a) == Some(port)))
            }
            NextHop::Glean { port: p, .. } => Some(*p == port),
            NextHop::Local
            | NextHop::Blackhole
            | NextHop::Unreachable
            | NextHop::Prohibit
            | NextHop::Lookup(_) => None,
        }
    }
}

/// A flow hash of the IPv4 5-tuple, symmetric in neither direction (each direction of a
/// flow is one flow), spread well enough for ECMP and RSS-like choices.
#[inline]
pub fn flow_hash(src: u32, dst: u32, proto: u8, sport: u16, dport: u16) -> u32 {
    let a = (u64::from(src) << 32) | u64::from(dst);
    let b = (u64::from(proto) << 32) | (u64::from(sport) << 16) | u64::from(dport);
    let mut h = a.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ b.wrapping_mul(0xC2B2_AE3D_27D4_EB4F);
    h ^= h >> 29;
    h = h.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    (h >> 32) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn adj(port: u16) -> Adjacency {
        Adjacency {
            port: PortId(port),
            dst_mac: [2, 0, 0, 0, 0, port as u8],
            src_mac: [2, 0, 0, 0, 1, 0],
            push: LabelStack::default(),
            mtu: 1500,
        }
    }

    #[test]
    fn implicit_null_pushes_nothing_and_two_labels_at_most() {
        let l = |v| Label::try_from(v).unwrap();
        assert_eq!(LabelStack::new(&[Label::IMPLICIT_NULL]).unwrap().depth(), 0);
        let s = LabelStack::new(&[l(100), Label::IMPLICIT_NULL, l(200)]).unwrap();
        assert_eq!(s.labels().collect::<Vec<_>>(), vec![l(100), l(200)]);
        assert!(LabelStack::new(&[l(16), l(17), l(18)]).is_err());
    }

    #[test]
    fn ecmp_spreads_flows_and_keeps_each_on_one_path() {
        let nhs = NextHops {
            hops: vec![NextHop::Ecmp { first: 0, count: 3 }, NextHop::Blackhole],
            members: vec![AdjId(0), AdjId(1), AdjId(2)],
            adjacencies: vec![adj(0), adj(1), adj(2)],
        };
        let mut per_port = [0u32; 3];
        for i in 0..30_000u32 {
            let h = flow_hash(0x0a00_0001, 0x0a01_0000 + i, 6, 1000, 80);
            let Resolved::Forward(a) = nhs.resolve(NextHopId(0), h) else {
                panic!("forward expected")
            };
            assert_eq!(
                nhs.resolve(NextHopId(0), h),
                Resolved::Forward(a),
                "stable per flow"
            );
            per_port[usize::from(a.port.0)] += 1;
        }
        for n in per_port {
            assert!((8_000..12_000).contains(&n), "uneven spread {per_port:?}");
        }
        assert_eq!(nhs.resolve(NextHopId(1), 0), Resolved::Blackhole);
        assert_eq!(nhs.resolve(NextHopId(9), 0), Resolved::Unreachable);
    }
}
