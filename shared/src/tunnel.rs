//! Tunnel interfaces as the workers see them: what to put in front of a packet sent into a
//! tunnel (the outer header's fields, the table its destination is looked up in) and how
//! an arriving tunnel packet finds its interface (underlay table, outer addresses,
//! protocol, key).
//!
//! A tunnel's interface id is [`TUNNEL_BASE`] plus its index in [`Tunnels::list`]; ids below
//! are DPDK ports, ids from `0x8000` loopbacks.

use crate::snapshot::PortIface;
use crate::types::{PortId, TableId, VrfId};
use rustc_hash::FxHashMap;

/// Tunnel interfaces have ids from here up (below the loopbacks' `0x8000`).
pub const TUNNEL_BASE: u16 = 0x4000;
/// Tunnels a router has at most.
pub const MAX_TUNNELS: usize = 0x4000;

/// IP protocol of IPv4 in IPv4 (RFC 2003).
pub const PROTO_IPIP: u8 = 4;
/// IP protocol of GRE (RFC 2784).
pub const PROTO_GRE: u8 = 47;
/// Outer TTL of tunnel packets (as Cisco and RouterOS send them).
pub const OUTER_TTL: u8 = 255;

/// What a tunnel carries and how it frames it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TunnelKind {
    /// IPv4 in IPv4: the outer header alone (20 bytes).
    Ipip,
    /// IPv4 in GRE (RFC 2784, the key of RFC 2890): 4 bytes of GRE, 4 more with a key.
    Gre {
        /// The key, when set.
        key: Option<u32>,
    },
}

impl TunnelKind {
    /// The outer IP protocol.
    pub fn protocol(self) -> u8 {
        match self {
            TunnelKind::Ipip => PROTO_IPIP,
            TunnelKind::Gre { .. } => PROTO_GRE,
        }
    }

    /// Bytes put in front of the inner IPv4 packet (outer IPv4 header included).
    pub fn overhead(self) -> usize {
        match self {
            TunnelKind::Ipip => 20,
            TunnelKind::Gre { key: None } => 24,
            TunnelKind::Gre { key: Some(_) } => 28,
        }
    }

    /// The key decapsulation matches on (0 for none).
    fn match_key(self) -> u32 {
        match self {
            TunnelKind::Gre { key: Some(k) } => k,
            _ => 0,
        }
    }
}

/// One tunnel interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tunnel {
    /// Its interface id.
    pub id: PortId,
    /// IPIP or GRE.
    pub kind: TunnelKind,
    /// Whether it forwards (enabled, with a local address, its underlay VRF known).
    pub up: bool,
    /// The VRF it is a member of (where what it decapsulates is routed).
    pub vrf: VrfId,
    /// The table the outer destination is looked up in (the underlay's VRF).
    pub underlay: TableId,
    /// Outer source.
    pub local: u32,
    /// Outer destination.
    pub remote: u32,
    /// What ICMP errors and the pipeline read of an interface (MAC for its kernel twin,
    /// first address, MTU of what it carries).
    pub iface: PortIface,
    /// Outer DSCP; `None`: the inner packet's TOS is copied (`dscp=inherit`).
    pub dscp: Option<u8>,
    /// Copy the inner DF into the outer header (`dont-fragment=inherit`); else clear.
    pub df_inherit: bool,
    /// Clamp the MSS of TCP SYNs through it to its MTU (`clamp-tcp-mss`).
    pub clamp_mss: bool,
}

/// What decapsulation matches on: the table the outer packet arrived in, its addresses as
/// seen from here (our `local`, their `remote`), the protocol and the key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DecapKey {
    /// The underlay table.
    pub table: TableId,
    /// Our address (the outer destination).
    pub local: u32,
    /// The far end (the outer source).
    pub remote: u32,
    /// IP protocol.
    pub protocol: u8,
    /// GRE key, 0 for none.
    pub key: u32,
}

/// Up to this many tunnels, decapsulation scans a list instead of hashing.
const FEW: usize = 8;

/// Every tunnel, by interface id and by what decapsulation matches.
#[derive(Debug, Clone, Default)]
pub struct Tunnels {
    /// By `id - TUNNEL_BASE`.
    pub list: Vec<Tunnel>,
    by_key: FxHashMap<DecapKey, u16>,
    /// The same, as a list to scan when there are few (faster than hashing).
    few: Vec<(DecapKey, u16)>,
    /// Whether any tunnel is up: the pipeline checks for tunnel packets only then.
    pub any: bool,
}

impl Tunnels {
    /// The tunnels `list` (each at its index), indexed for decapsulation.
    pub fn new(list: Vec<Tunnel>) -> Tunnels {
        let mut by_key = FxHashMap::default();
        for (i, t) in list.iter().enumerate().filter(|(_, t)| t.up) {
            by_key.entry(t.decap_key()).or_insert(i as u16);
        }
        let any = !by_key.is_empty();
        let few = if by_key.len() <= FEW {
            by_key.iter().map(|(k, v)| (*k, *v)).collect()
        } else {
            Vec::new()
        };
        Tunnels {
            list,
            by_key,
            few,
            any,
        }
    }

    /// The tunnel with interface id `id`.
    #[inline]
    pub fn get(&self, id: PortId) -> Option<&Tunnel> {
        self.list.get(usize::from(id.0.checked_sub(TUNNEL_BASE)?))
    }

    /// The tunnel a packet matching `key` arrived through.
    #[inline]
    pub fn decap(&self, key: &DecapKey) -> Option<&Tunnel> {
        let i = if self.by_key.len() <= FEW {
            self.few.iter().find(|(k, _)| k == key).map(|&(_, i)| i)
        } else {
            self.by_key.get(key).copied()
        };
        self.list.get(usize::from(i?))
    }
}

impl Tunnel {
    /// What an arriving packet of this tunnel matches.
    pub fn decap_key(&self) -> DecapKey {
        DecapKey {
            table: self.underlay,
            local: self.local,
            remote: self.remote,
            protocol: self.kind.protocol(),
            key: self.kind.match_key(),
        }
    }
}

/// Whether `port` is a tunnel interface's id.
#[inline]
pub fn is_tunnel(port: PortId) -> bool {
    (TUNNEL_BASE..TUNNEL_BASE + MAX_TUNNELS as u16).contains(&port.0)
}
