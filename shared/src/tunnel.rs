//! Tunnel interfaces as the workers see them: what to put in front of a packet sent into a
//! tunnel (the outer header's fields, the table its destination is looked up in) and how
//! an arriving tunnel packet finds its interface (underlay table, outer addresses,
//! protocol, key or VNI).
//!
//! IPIP and GRE carry IPv4 packets point to point; EoIP and VXLAN carry Ethernet frames
//! (layer-2 tunnels: the interface has a MAC, ARP, neighbours), VXLAN to one of several
//! VTEPs, chosen by the destination MAC ([`Tunnels::fdb`]).
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
/// IP protocol of GRE (RFC 2784), and of MikroTik's EoIP.
pub const PROTO_GRE: u8 = 47;
/// IP protocol of UDP (VXLAN's carrier).
pub const PROTO_UDP: u8 = 17;
/// GRE protocol type of EoIP (MikroTik's Ethernet over IP).
pub const EOIP_TYPE: u16 = 0x6400;
/// VXLAN's IANA port (RFC 7348).
pub const VXLAN_PORT: u16 = 4789;
/// An Ethernet header: what a layer-2 tunnel carries in front of the IPv4 packet.
const ETH: usize = 14;
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
    /// MikroTik's Ethernet over IP: Ethernet frames behind GRE's first word with version 1
    /// and protocol type 0x6400, then the frame's length and the tunnel id (8 bytes).
    Eoip {
        /// `tunnel-id`.
        id: u16,
    },
    /// VXLAN (RFC 7348): Ethernet frames behind UDP and an 8-byte VXLAN header.
    Vxlan {
        /// The network identifier (24 bits).
        vni: u32,
        /// The UDP port it listens on (and, by default, sends to).
        port: u16,
    },
}

impl TunnelKind {
    /// The outer IP protocol.
    pub fn protocol(self) -> u8 {
        match self {
            TunnelKind::Ipip => PROTO_IPIP,
            TunnelKind::Gre { .. } | TunnelKind::Eoip { .. } => PROTO_GRE,
            TunnelKind::Vxlan { .. } => PROTO_UDP,
        }
    }

    /// Whether it carries Ethernet frames (EoIP, VXLAN) rather than IPv4 packets.
    #[inline]
    pub fn is_l2(self) -> bool {
        matches!(self, TunnelKind::Eoip { .. } | TunnelKind::Vxlan { .. })
    }

    /// Bytes of the tunnel's own header between the outer IPv4 header and what it carries.
    #[inline]
    pub fn header_len(self) -> usize {
        match self {
            TunnelKind::Ipip => 0,
            TunnelKind::Gre { key: None } => 4,
            TunnelKind::Gre { key: Some(_) } | TunnelKind::Eoip { .. } => 8,
            TunnelKind::Vxlan { .. } => 16,
        }
    }

    /// Bytes put in front of the inner IPv4 packet (outer IPv4 header included; for a
    /// layer-2 tunnel, the inner Ethernet header too).
    pub fn overhead(self) -> usize {
        20 + self.header_len() + if self.is_l2() { ETH } else { 0 }
    }

    /// The key decapsulation matches on (0 for none): GRE's key, EoIP's tunnel id,
    /// VXLAN's VNI.
    fn match_key(self) -> u32 {
        match self {
            TunnelKind::Gre { key: Some(k) } => k,
            TunnelKind::Eoip { id } => u32::from(id),
            TunnelKind::Vxlan { vni, .. } => vni,
            _ => 0,
        }
    }

    /// What else decapsulation matches on: EoIP's GRE protocol type, VXLAN's UDP port.
    fn match_sub(self) -> u16 {
        match self {
            TunnelKind::Eoip { .. } => EOIP_TYPE,
            TunnelKind::Vxlan { port, .. } => port,
            _ => 0,
        }
    }
}

/// A VXLAN tunnel's far end (`/interface vxlan vteps`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Vtep {
    /// Its address (the outer destination).
    pub ip: u32,
    /// The UDP port sent to.
    pub port: u16,
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
    /// Outer destination (a VXLAN tunnel's first VTEP, 0 without one).
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
    /// GRE key, EoIP tunnel id or VXLAN VNI; 0 for none.
    pub key: u32,
    /// EoIP's GRE protocol type (0x6400), VXLAN's UDP port; 0 for IPIP and GRE.
    pub sub: u16,
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
    /// The UDP ports up VXLAN tunnels listen on (UDP to others is no tunnel's).
    pub vxlan_ports: Vec<u16>,
    /// Each VXLAN tunnel's VTEPs, by `id - TUNNEL_BASE` (empty for other tunnels).
    pub vteps: Vec<Box<[Vtep]>>,
    /// Where a VXLAN tunnel's neighbours are: (tunnel id, MAC) → VTEP, learned from what
    /// arrives (`/interface vxlan fdb`).
    pub fdb: Fdb,
}

/// Where a VXLAN tunnel's neighbours are: (tunnel id, MAC) → VTEP.
pub type Fdb = FxHashMap<(u16, [u8; 6]), Vtep>;

impl Tunnels {
    /// The tunnels `list` (each at its index), indexed for decapsulation; `vteps`: each
    /// VXLAN tunnel's far ends, by index.
    pub fn new(list: Vec<Tunnel>, mut vteps: Vec<Box<[Vtep]>>) -> Tunnels {
        vteps.resize(list.len(), Box::default());
        let mut by_key = FxHashMap::default();
        let mut vxlan_ports = Vec::new();
        for (i, t) in list.iter().enumerate().filter(|(_, t)| t.up) {
            let mut key = t.decap_key();
            if let TunnelKind::Vxlan { port, .. } = t.kind {
                // One key per VTEP: a packet from another address is no tunnel's.
                for v in vteps[i].iter() {
                    key.remote = v.ip;
                    by_key.entry(key).or_insert(i as u16);
                }
                if !vxlan_ports.contains(&port) {
                    vxlan_ports.push(port);
                }
                continue;
            }
            by_key.entry(key).or_insert(i as u16);
        }
        let any = !by_key.is_empty() || !vxlan_ports.is_empty();
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
            vxlan_ports,
            vteps,
            fdb: FxHashMap::default(),
        }
    }

    /// Whether packets of IP protocol `p` may be a tunnel's (IPIP, GRE; UDP when a VXLAN
    /// tunnel is up).
    #[inline]
    pub fn carries(&self, p: u8) -> bool {
        matches!(p, PROTO_IPIP | PROTO_GRE) || (p == PROTO_UDP && !self.vxlan_ports.is_empty())
    }

    /// Whether UDP to `port` may be a VXLAN tunnel's.
    #[inline]
    pub fn is_vxlan_port(&self, port: u16) -> bool {
        self.vxlan_ports.contains(&port)
    }

    /// The VTEPs of tunnel `id` (none for other tunnels).
    pub fn vteps_of(&self, id: PortId) -> &[Vtep] {
        id.0.checked_sub(TUNNEL_BASE)
            .and_then(|i| self.vteps.get(usize::from(i)))
            .map_or(&[], |v| v)
    }

    /// The VTEP a frame for `mac` goes to through VXLAN tunnel `id`: the one it was
    /// learned behind, or the only one; `None`: it must be flooded (or, in the fast path,
    /// dropped).
    #[inline]
    pub fn vtep_for(&self, id: PortId, mac: &[u8; 6]) -> Option<Vtep> {
        let vteps = self.vteps_of(id);
        if let [only] = vteps {
            return Some(*only);
        }
        if mac[0] & 1 != 0 {
            return None;
        }
        self.fdb.get(&(id.0, *mac)).copied()
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
            sub: self.kind.match_sub(),
        }
    }
}

/// Whether `port` is a tunnel interface's id.
#[inline]
pub fn is_tunnel(port: PortId) -> bool {
    (TUNNEL_BASE..TUNNEL_BASE + MAX_TUNNELS as u16).contains(&port.0)
}
