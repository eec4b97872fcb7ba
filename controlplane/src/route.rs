//! The vocabulary of routes every layer speaks: where a route comes from, its gateways, what
//! a source gives the RIB. A leaf: it uses nothing of the control plane.

use shared::adj::LabelStack;
use shared::types::{Prefix4, TableId};
use smallvec::SmallVec;

/// Immediate next hops: one in the common case, kept inline.
pub type Imms = SmallVec<[Imm; 1]>;
/// A route's gateways: one in the common case, kept inline.
pub type Gateways = SmallVec<[Gateway; 1]>;
/// Where a route comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Source {
    /// A network of `/ip address` (flag `c`).
    Connected,
    /// `/ip route` (flag `s`).
    Static,
    /// BGP (flag `b`).
    Bgp,
    /// BGP VPN routes imported into a VRF (flag `y`).
    BgpVpn,
    /// OSPF (flag `o`).
    Ospf,
}

impl Source {
    /// The flag letter RouterOS prints.
    pub fn flag(self) -> char {
        match self {
            Source::Connected => 'c',
            Source::Static => 's',
            Source::Bgp => 'b',
            Source::BgpVpn => 'y',
            Source::Ospf => 'o',
        }
    }

    /// `belongs-to` as RouterOS prints it.
    pub fn belongs_to(self) -> &'static str {
        match self {
            Source::Connected => "connected",
            Source::Static => "Static route",
            Source::Bgp => "BGP route",
            Source::BgpVpn => "BGP VPN route",
            Source::Ospf => "OSPF route",
        }
    }
}

/// A gateway as configured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Gateway {
    /// An address, resolved in `table`; with `port`, directly on that port (`IP%iface`).
    Ip {
        /// The gateway's address.
        ip: u32,
        /// The table it is resolved in (main unless `@table`).
        table: TableId,
        /// `IP%iface`: on this port, no lookup.
        port: Option<u16>,
    },
    /// Out of this port, the destination itself as the next hop (`iface`, `iface@vrf`,
    /// and connected networks).
    Port(u16),
}

/// A route as its source gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteSpec {
    /// The table it lives in.
    pub table: TableId,
    /// Destination.
    pub dst: Prefix4,
    /// Where it comes from.
    pub source: Source,
    /// Lower wins.
    pub distance: u8,
    /// What may resolve through it: routes whose target-scope is at least this.
    pub scope: u8,
    /// The largest scope of the routes its gateways may resolve through.
    pub target_scope: u8,
    /// Gateways (several: ECMP).
    pub gateways: Gateways,
    /// Drop what matches.
    pub blackhole: bool,
    /// Labels the route asks to be pushed (a VPN label: the inner part of the stack; a
    /// transport label comes with the gateway's resolution). Empty for plain IPv4.
    pub labels: LabelStack,
}

/// An immediate next hop: out of `port` to `ip` (0: the packet's own destination, on link).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Imm {
    /// DPDK port id.
    pub port: u16,
    /// The neighbour; 0 for on-link destinations.
    pub ip: u32,
}
