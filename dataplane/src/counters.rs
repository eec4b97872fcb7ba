//! Per-worker packet counters. Each worker writes only its own block (single writer, so a
//! relaxed load and store is enough, and cheaper than an atomic add); the control plane
//! reads every block and sums them.

use std::sync::atomic::{AtomicU64, Ordering};

/// Why a worker dropped a packet. Each reason has its own counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum DropReason {
    /// The port has no patch peer (an odd port out).
    NoPeer,
    /// The transmit queue was full and refused the packet.
    TxQueueFull,
    /// Shorter than its headers say.
    Truncated,
    /// An EtherType the router does not handle.
    UnknownEthertype,
    /// IPv4 version, header length or total length wrong.
    BadIpHeader,
    /// IPv4 header checksum wrong.
    BadChecksum,
    /// No route (an ICMP net unreachable went back, or was rate limited).
    NoRoute,
    /// TTL ran out (an ICMP time exceeded went back, or was rate limited).
    TtlExpired,
    /// A blackhole route.
    Blackhole,
    /// A prohibit route.
    Prohibited,
    /// Bigger than the outgoing MTU with DF set (an ICMP fragmentation needed went back).
    FragNeeded,
    /// An ICMP error that the rate limit held back.
    IcmpRateLimited,
    /// The port's interface is not known to the snapshot yet.
    UnknownPort,
    /// The next hop's MAC is not known yet (an ARP request was asked for).
    Unresolved,
    /// An ARP packet for an address that is not the router's (learned from, not answered).
    ArpNotForUs,
    /// A malformed ARP packet.
    BadArp,
    /// More packets for the kernel than the punt limit lets through.
    PuntRateLimited,
    /// The kernel twin did not take the packet (its queue was full, or it is down).
    PuntFailed,
    /// A firewall rule dropped or rejected it.
    Filtered,
    /// The connection table is full: a new connection was refused.
    ConntrackFull,
    /// No source port was free for NAT.
    NatExhausted,
    /// A VLAN-tagged frame (802.1Q, 802.1ad or priority-tagged) on a port with no VLAN
    /// interface for its tag.
    UnknownVlan,
    /// An ARP packet whose sender claims one of the router's own addresses (a conflict,
    /// logged by the control plane; never learned).
    ArpAddressConflict,
    /// A frame for another host's MAC (the ports are promiscuous).
    OtherHost,
    /// A martian address (RFC 1812 §5.3.7): dropped silently.
    Martian,
    /// The source failed `/ip settings rp-filter` in the ingress VRF.
    RpFilter,
    /// With connection tracking on: TCP that belongs to no connection and cannot start
    /// one (a stray RST or SYN-ACK), or an ICMP error about no tracked flow, on its way
    /// through. Never sent on untranslated with a source its sender chose.
    NoConnection,
    /// No mbuf was free (a frame from the kernel, or a fragment, could not be built).
    NoBuffer,
    /// A labelled frame on an interface where MPLS input is not enabled (`/mpls interface`).
    MplsNotEnabled,
    /// A labelled frame whose top label has no binding in the LFIB.
    MplsUnknownLabel,
    /// A label stack the pipeline refuses: a reserved label where it has no meaning
    /// (implicit null on the wire, router alert, ...), no bottom of stack within
    /// [`crate::wire::mpls::MAX_DEPTH`] entries, or labels under a label popped for a lookup.
    MplsBadStack,
    /// Larger, with its labels, than the outgoing interface's `mpls-mtu` (and not an IPv4
    /// packet with DF, which gets fragmentation needed instead).
    MplsMtu,
    /// A label bound to a path in another VRF than the ingress port's: label switching
    /// never crosses VRFs (an LDP instance in a VRF binds labels for that VRF's ports only).
    MplsOtherVrf,
    /// A tunnel packet (IPIP, GRE, EoIP, VXLAN) for one of the router's addresses that
    /// matches no tunnel (unknown endpoints or VTEP, key, tunnel id, VNI or underlay VRF),
    /// or a packet routed into a tunnel that is down.
    NoSuchTunnel,
    /// A malformed tunnel packet: GRE with checksum or routing bits, another GRE version or
    /// payload, an inner packet that is not IPv4 (IPIP, GRE), EoIP whose length is not
    /// the frame's, VXLAN with the I flag clear, an inner frame too short, an outer fragment.
    BadTunnelHeader,
    /// A packet that would enter tunnels more than `MAX_DEPTH` times, or whose outer packet
    /// is routed into a tunnel (recursion).
    TunnelLoop,
    /// A tunnel keepalive of the router's own, come back from the far end (taken, not
    /// forwarded).
    TunnelKeepalive,
    /// A frame for a MAC that no VTEP of a VXLAN interface is known to have (the fast path
    /// does not flood; the router's own frames are flooded to every VTEP).
    NoVtep,
    /// A later fragment through NAT whose first fragment was not seen (or came after it):
    /// it cannot be translated.
    FragmentNoFirst,
    /// A first fragment through connection tracking when the worker already holds as many
    /// datagrams' translations as it may.
    FragmentTableFull,
}

impl DropReason {
    /// Number of reasons.
    pub const COUNT: usize = 40;
    /// Every reason, in counter order.
    pub const ALL: [DropReason; Self::COUNT] = [
        DropReason::NoPeer,
        DropReason::TxQueueFull,
        DropReason::Truncated,
        DropReason::UnknownEthertype,
        DropReason::BadIpHeader,
        DropReason::BadChecksum,
        DropReason::NoRoute,
        DropReason::TtlExpired,
        DropReason::Blackhole,
        DropReason::Prohibited,
        DropReason::FragNeeded,
        DropReason::IcmpRateLimited,
        DropReason::UnknownPort,
        DropReason::Unresolved,
        DropReason::ArpNotForUs,
        DropReason::BadArp,
        DropReason::PuntRateLimited,
        DropReason::PuntFailed,
        DropReason::Filtered,
        DropReason::ConntrackFull,
        DropReason::NatExhausted,
        DropReason::UnknownVlan,
        DropReason::ArpAddressConflict,
        DropReason::OtherHost,
        DropReason::Martian,
        DropReason::RpFilter,
        DropReason::NoConnection,
        DropReason::NoBuffer,
        DropReason::MplsNotEnabled,
        DropReason::MplsUnknownLabel,
        DropReason::MplsBadStack,
        DropReason::MplsMtu,
        DropReason::MplsOtherVrf,
        DropReason::NoSuchTunnel,
        DropReason::BadTunnelHeader,
        DropReason::TunnelLoop,
        DropReason::TunnelKeepalive,
        DropReason::NoVtep,
        DropReason::FragmentNoFirst,
        DropReason::FragmentTableFull,
    ];

    /// A name for counters output (`no-route`).
    pub fn name(self) -> &'static str {
        match self {
            DropReason::NoPeer => "no-peer",
            DropReason::TxQueueFull => "tx-queue-full",
            DropReason::Truncated => "truncated",
            DropReason::UnknownEthertype => "unknown-ethertype",
            DropReason::BadIpHeader => "bad-ip-header",
            DropReason::BadChecksum => "bad-checksum",
            DropReason::NoRoute => "no-route",
            DropReason::TtlExpired => "ttl-expired",
            DropReason::Blackhole => "blackhole",
            DropReason::Prohibited => "prohibited",
            DropReason::FragNeeded => "frag-needed",
            DropReason::IcmpRateLimited => "icmp-rate-limited",
            DropReason::UnknownPort => "unknown-port",
            DropReason::Unresolved => "unresolved",
            DropReason::ArpNotForUs => "arp-not-for-us",
            DropReason::BadArp => "bad-arp",
            DropReason::PuntRateLimited => "punt-rate-limited",
            DropReason::PuntFailed => "punt-failed",
            DropReason::Filtered => "filtered",
            DropReason::ConntrackFull => "conntrack-full",
            DropReason::NatExhausted => "nat-exhausted",
            DropReason::UnknownVlan => "unknown-vlan",
            DropReason::ArpAddressConflict => "arp-address-conflict",
            DropReason::OtherHost => "other-host",
            DropReason::Martian => "martian",
            DropReason::RpFilter => "rp-filter",
            DropReason::NoConnection => "no-connection",
            DropReason::NoBuffer => "no-buffer",
            DropReason::MplsNotEnabled => "mpls-not-enabled",
            DropReason::MplsUnknownLabel => "mpls-unknown-label",
            DropReason::MplsBadStack => "mpls-bad-stack",
            DropReason::MplsMtu => "mpls-mtu-exceeded",
            DropReason::MplsOtherVrf => "mpls-other-vrf",
            DropReason::NoSuchTunnel => "no-such-tunnel",
            DropReason::BadTunnelHeader => "bad-tunnel-header",
            DropReason::TunnelLoop => "tunnel-loop",
            DropReason::TunnelKeepalive => "tunnel-keepalive",
            DropReason::NoVtep => "no-vtep",
            DropReason::FragmentNoFirst => "fragment-no-first",
            DropReason::FragmentTableFull => "fragment-table-full",
        }
    }
}

const _: () = assert!(DropReason::ALL.len() == DropReason::COUNT);

/// Counters of one port, kept by one worker. Aligned to cache lines, so workers never share
/// one.
#[derive(Debug)]
#[repr(align(64))]
pub struct PortCounters {
    rx_packets: AtomicU64,
    rx_bytes: AtomicU64,
    tx_packets: AtomicU64,
    tx_bytes: AtomicU64,
    drops: [AtomicU64; DropReason::COUNT],
}

const _: () = assert!(std::mem::size_of::<PortCounters>().is_multiple_of(64));

impl Default for PortCounters {
    fn default() -> Self {
        let zero = || AtomicU64::new(0);
        PortCounters {
            rx_packets: zero(),
            rx_bytes: zero(),
            tx_packets: zero(),
            tx_bytes: zero(),
            drops: std::array::from_fn(|_| zero()),
        }
    }
}

/// Adds `n` to a counter that only the calling worker writes.
#[inline]
fn bump(c: &AtomicU64, n: u64) {
    // Relaxed: one writer per counter, readers only need an eventually fresh value, and no
    // other memory is published through it.
    c.store(c.load(Ordering::Relaxed).wrapping_add(n), Ordering::Relaxed);
}

impl PortCounters {
    /// Counts `packets` received, `bytes` in all.
    #[inline]
    pub fn rx(&self, packets: u64, bytes: u64) {
        bump(&self.rx_packets, packets);
        bump(&self.rx_bytes, bytes);
    }

    /// Counts `packets` sent, `bytes` in all.
    #[inline]
    pub fn tx(&self, packets: u64, bytes: u64) {
        bump(&self.tx_packets, packets);
        bump(&self.tx_bytes, bytes);
    }

    /// Counts `packets` dropped for `reason`.
    #[inline]
    pub fn drop(&self, reason: DropReason, packets: u64) {
        bump(&self.drops[reason as usize], packets);
    }

    /// A plain copy of the current values.
    pub fn read(&self) -> PortCounts {
        let r = |c: &AtomicU64| c.load(Ordering::Relaxed);
        PortCounts {
            rx_packets: r(&self.rx_packets),
            rx_bytes: r(&self.rx_bytes),
            tx_packets: r(&self.tx_packets),
            tx_bytes: r(&self.tx_bytes),
            drops: std::array::from_fn(|i| r(&self.drops[i])),
        }
    }
}

/// Values of [`PortCounters`], summable over workers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PortCounts {
    /// Packets received.
    pub rx_packets: u64,
    /// Bytes received.
    pub rx_bytes: u64,
    /// Packets sent.
    pub tx_packets: u64,
    /// Bytes sent.
    pub tx_bytes: u64,
    /// Drops by reason, indexed by `DropReason as usize`.
    pub drops: [u64; DropReason::COUNT],
}

impl Default for PortCounts {
    fn default() -> Self {
        PortCounts {
            rx_packets: 0,
            rx_bytes: 0,
            tx_packets: 0,
            tx_bytes: 0,
            drops: [0; DropReason::COUNT],
        }
    }
}

impl PortCounts {
    /// Drops for `reason`.
    pub fn dropped(&self, reason: DropReason) -> u64 {
        self.drops[reason as usize]
    }
}

impl std::ops::AddAssign for PortCounts {
    fn add_assign(&mut self, o: PortCounts) {
        self.rx_packets += o.rx_packets;
        self.rx_bytes += o.rx_bytes;
        self.tx_packets += o.tx_packets;
        self.tx_bytes += o.tx_bytes;
        for (a, b) in self.drops.iter_mut().zip(o.drops) {
            *a += b;
        }
    }
}

/// One worker's counters: a block per port, indexed by port id.
#[derive(Debug)]
pub struct WorkerCounters {
    ports: Box<[PortCounters]>,
    /// Per incoming label.
    pub labels: LabelCounters,
    /// Per tunnel interface.
    pub logical: LogicalCounters,
}

impl WorkerCounters {
    /// Counters for ports `0..ports`.
    pub fn new(ports: usize) -> Self {
        WorkerCounters {
            ports: (0..ports).map(|_| PortCounters::default()).collect(),
            labels: LabelCounters::default(),
            logical: LogicalCounters::default(),
        }
    }

    /// The counters of `port`, if it is in range.
    #[inline]
    pub fn port(&self, port: u16) -> Option<&PortCounters> {
        self.ports.get(usize::from(port))
    }
}

/// Labels per block of [`LabelCounters`].
const LABEL_BLOCK: usize = 4096;

/// Packets and bytes per incoming label, kept by one worker: blocks of 4,096 labels made
/// when a label of the block first arrives, so the 20-bit label space costs nothing until
/// it is used (64 KiB per block in use).
pub struct LabelCounters {
    blocks: Box<[std::sync::OnceLock<LabelBlock>]>,
}

/// (packets, bytes) for each label of one block.
type LabelBlock = Box<[[AtomicU64; 2]]>;

impl std::fmt::Debug for LabelCounters {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let used = self.blocks.iter().filter(|b| b.get().is_some()).count();
        write!(f, "LabelCounters({used} blocks)")
    }
}

impl Default for LabelCounters {
    fn default() -> Self {
        LabelCounters {
            blocks: (0..(1usize << 20) / LABEL_BLOCK)
                .map(|_| std::sync::OnceLock::new())
                .collect(),
        }
    }
}

impl LabelCounters {
    /// Counts a packet of `bytes` that arrived with top label `label`.
    #[inline]
    pub fn count(&self, label: u32, bytes: u64) {
        let l = label as usize & ((1 << 20) - 1);
        let block = self.blocks[l / LABEL_BLOCK].get_or_init(|| {
            (0..LABEL_BLOCK)
                .map(|_| [AtomicU64::new(0), AtomicU64::new(0)])
                .collect()
        });
        let c = &block[l % LABEL_BLOCK];
        bump(&c[0], 1);
        bump(&c[1], bytes);
    }

    /// (packets, bytes) that arrived with `label`.
    pub fn read(&self, label: u32) -> (u64, u64) {
        let l = label as usize & ((1 << 20) - 1);
        match self.blocks[l / LABEL_BLOCK].get() {
            Some(b) => {
                let c = &b[l % LABEL_BLOCK];
                (c[0].load(Ordering::Relaxed), c[1].load(Ordering::Relaxed))
            }
            None => (0, 0),
        }
    }
}

/// Interfaces per block of [`LogicalCounters`].
const TUNNEL_BLOCK: usize = 256;

/// Packets and bytes in and out of each interface that is not a DPDK port (VLANs, tunnels;
/// by `id - VLAN_BASE`), kept by one worker: blocks of 256 interfaces made when one of the
/// block first carries a packet.
pub struct LogicalCounters {
    blocks: Box<[std::sync::OnceLock<TunnelBlock>]>,
}

/// (rx packets, rx bytes, tx packets, tx bytes) for each tunnel of one block.
type TunnelBlock = Box<[[AtomicU64; 4]]>;

impl std::fmt::Debug for LogicalCounters {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let used = self.blocks.iter().filter(|b| b.get().is_some()).count();
        write!(f, "LogicalCounters({used} blocks)")
    }
}

impl Default for LogicalCounters {
    fn default() -> Self {
        LogicalCounters {
            blocks: (0..(shared::vlan::MAX_VLANS + shared::tunnel::MAX_TUNNELS) / TUNNEL_BLOCK)
                .map(|_| std::sync::OnceLock::new())
                .collect(),
        }
    }
}

impl LogicalCounters {
    fn slot(&self, port: u16) -> Option<&[AtomicU64; 4]> {
        let i = usize::from(port.checked_sub(shared::vlan::VLAN_BASE)?);
        let block = self.blocks.get(i / TUNNEL_BLOCK)?.get_or_init(|| {
            (0..TUNNEL_BLOCK)
                .map(|_| std::array::from_fn(|_| AtomicU64::new(0)))
                .collect()
        });
        block.get(i % TUNNEL_BLOCK)
    }

    /// A packet of `bytes` came in on VLAN or tunnel `port` (`rx`: out of a tunnel) or was
    /// sent on it.
    #[inline]
    pub fn count(&self, port: u16, rx: bool, bytes: u64) {
        if let Some(c) = self.slot(port) {
            let at = if rx { 0 } else { 2 };
            bump(&c[at], 1);
            bump(&c[at + 1], bytes);
        }
    }

    /// (rx packets, rx bytes, tx packets, tx bytes) of VLAN or tunnel `port`.
    pub fn read(&self, port: u16) -> [u64; 4] {
        let i = usize::from(port.saturating_sub(shared::vlan::VLAN_BASE));
        match self.blocks.get(i / TUNNEL_BLOCK).and_then(|b| b.get()) {
            Some(b) => std::array::from_fn(|k| b[i % TUNNEL_BLOCK][k].load(Ordering::Relaxed)),
            None => [0; 4],
        }
    }
}

/// Sums the counts of `port` over `workers`.
pub fn sum_port<'a>(
    workers: impl IntoIterator<Item = &'a WorkerCounters>,
    port: u16,
) -> PortCounts {
    let mut total = PortCounts::default();
    for w in workers {
        if let Some(c) = w.port(port) {
            total += c.read();
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_sum_over_workers() {
        let a = WorkerCounters::new(2);
        let b = WorkerCounters::new(2);
        a.port(1).unwrap().rx(3, 300);
        b.port(1).unwrap().rx(2, 120);
        b.port(1).unwrap().drop(DropReason::TxQueueFull, 4);
        a.port(0).unwrap().tx(1, 60);
        let s = sum_port([&a, &b], 1);
        assert_eq!(s.rx_packets, 5);
        assert_eq!(s.rx_bytes, 420);
        assert_eq!(s.dropped(DropReason::TxQueueFull), 4);
        assert_eq!(s.tx_packets, 0);
        assert_eq!(sum_port([&a, &b], 0).tx_bytes, 60);
        assert!(a.port(2).is_none());
    }

    #[test]
    fn label_counters_cost_nothing_until_used() {
        let c = LabelCounters::default();
        assert_eq!(c.read(16), (0, 0));
        c.count(16, 100);
        c.count(16, 60);
        c.count(1_048_575, 1);
        assert_eq!(c.read(16), (2, 160));
        assert_eq!(c.read(17), (0, 0));
        assert_eq!(c.read(1_048_575), (1, 1));
        assert_eq!(format!("{c:?}"), "LabelCounters(2 blocks)");
    }
}
