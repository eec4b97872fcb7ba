//! `Snapshot`: everything a worker reads to forward, as one immutable, versioned value —
//! a FIB per routing table, the LFIB, next hops and adjacencies, and the interface → VRF →
//! table maps. The control plane builds a new one per batch of changes and publishes it
//! through [`crate::rcu`]; tables that did not change are shared with the previous version.

use crate::adj::NextHops;
use crate::fib::FibTable;
use crate::lfib::Lfib;
use crate::types::{NextHopId, PortId, TableId, VrfId};
use std::sync::Arc;

/// One version of the forwarding state.
#[derive(Clone)]
pub struct Snapshot {
    /// Increases by one with every publication.
    pub generation: u64,
    /// FIB per routing table, indexed by [`TableId`]; `None`: no such table.
    pub tables: Arc<[Option<Arc<FibTable>>]>,
    /// Incoming label → action.
    pub lfib: Lfib,
    /// Next hops, ECMP members and adjacencies.
    pub next_hops: Arc<NextHops>,
    /// The VRF of each port, indexed by [`PortId`] (first match of `/ip vrf` already
    /// resolved, so a worker does one array read).
    pub port_vrf: Arc<[VrfId]>,
    /// The routing table of each VRF, indexed by [`VrfId`].
    pub vrf_table: Arc<[TableId]>,
    /// What the dataplane needs of each port's interface, indexed by [`PortId`].
    pub ports: Arc<[PortIface]>,
    /// Firewall rules; `None`: no rule, nothing tracked.
    pub firewall: Option<Arc<crate::firewall::Firewall>>,
    /// Reverse-path filtering of every packet's source (`/ip settings rp-filter`).
    pub rp_filter: RpFilter,
    /// Tunnel interfaces (IPIP, GRE, EoIP, VXLAN).
    pub tunnels: Arc<crate::tunnel::Tunnels>,
    /// VLAN interfaces (`/interface vlan`).
    pub vlans: Arc<crate::vlan::Vlans>,
    /// `/mpls settings propagate-ttl`: copy the IP TTL into pushed labels and back when
    /// popping (RFC 3443's uniform model); off, labels start at 255 and the IP TTL is left
    /// alone (pipe model: the LSP is one hop).
    pub propagate_ttl: bool,
}

/// Reverse-path filtering (RFC 3704), as `/ip settings rp-filter` says: the source of each
/// packet is looked up in the ingress interface's VRF.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RpFilter {
    /// No check (RouterOS's default).
    #[default]
    No,
    /// The route back to the source must leave by the interface the packet came in on.
    Strict,
    /// Some usable route back to the source must exist.
    Loose,
}

/// A port's interface as the pipeline sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PortIface {
    /// Its MAC address (the source of what it sends).
    pub mac: [u8; 6],
    /// Its primary IPv4 address: the source of ICMP errors sent from it.
    pub ipv4: Option<u32>,
    /// Its IP MTU.
    pub mtu: u16,
    /// Whether labelled frames are accepted on it (`/mpls interface ... input=yes`).
    pub mpls_input: bool,
    /// The largest labelled packet (labels included, Ethernet header not) it sends
    /// (`/mpls interface mpls-mtu`, 1508 by default).
    pub mpls_mtu: u16,
}

/// RouterOS's default `mpls-mtu`.
pub const DEFAULT_MPLS_MTU: u16 = 1508;

impl Default for Snapshot {
    fn default() -> Self {
        let mut tables: Vec<Option<Arc<FibTable>>> = vec![None; TableId::MAX_TABLES];
        tables[0] = Some(Arc::new(FibTable::new()));
        Snapshot {
            generation: 0,
            tables: tables.into(),
            lfib: Lfib::new(),
            next_hops: Arc::new(NextHops::default()),
            port_vrf: Arc::from(Vec::new()),
            vrf_table: Arc::from(vec![TableId::MAIN]),
            ports: Arc::from(Vec::new()),
            firewall: None,
            rp_filter: RpFilter::No,
            propagate_ttl: true,
            tunnels: Arc::default(),
            vlans: Arc::default(),
        }
    }
}

impl Snapshot {
    /// The VRF of `port` (main for unknown ports).
    #[inline(always)]
    pub fn ingress_vrf(&self, port: PortId) -> VrfId {
        match self.port_vrf.get(usize::from(port.0)) {
            Some(&v) => v,
            None if crate::vlan::is_vlan(port) => {
                self.vlans.get(port).map_or(VrfId::MAIN, |v| v.vrf)
            }
            None => self.tunnels.get(port).map_or(VrfId::MAIN, |t| t.vrf),
        }
    }

    /// The table a packet arriving on `port` is looked up in (main for unknown ports).
    #[inline(always)]
    pub fn ingress_table(&self, port: PortId) -> TableId {
        let vrf = self.ingress_vrf(port);
        self.vrf_table
            .get(usize::from(vrf.0))
            .copied()
            .unwrap_or(TableId::MAIN)
    }

    /// The interface of `port`, if known.
    #[inline]
    pub fn port(&self, port: PortId) -> Option<&PortIface> {
        match self.ports.get(usize::from(port.0)) {
            Some(p) => Some(p),
            None if crate::vlan::is_vlan(port) => self.vlans.get(port).map(|v| &v.iface),
            None => self.tunnels.get(port).map(|t| &t.iface),
        }
    }

    /// The FIB of `table`, if the table exists.
    #[inline]
    pub fn fib(&self, table: TableId) -> Option<&FibTable> {
        self.tables.get(usize::from(table.0))?.as_deref()
    }

    /// Longest-prefix match of `addr` in `table`.
    #[inline]
    pub fn lookup(&self, table: TableId, addr: u32) -> Option<NextHopId> {
        self.fib(table)?.lookup(addr)
    }

    /// [`Self::lookup`], following a [`crate::adj::NextHop::Lookup`] into its table (once).
    #[inline]
    pub fn lookup_through(&self, table: TableId, addr: u32) -> Option<NextHopId> {
        let nh = self.lookup(table, addr)?;
        match self.next_hops.hops.get(nh.0 as usize) {
            Some(&crate::adj::NextHop::Lookup(t)) => self.lookup_again(t, addr),
            _ => Some(nh),
        }
    }

    /// The lookup a [`crate::adj::NextHop::Lookup`] asks for: `addr` in `table`, `None` when
    /// nothing matches or what matches would look up yet again (a loop between VRFs).
    #[cold]
    pub fn lookup_again(&self, table: TableId, addr: u32) -> Option<NextHopId> {
        let nh = self.lookup(table, addr)?;
        match self.next_hops.hops.get(nh.0 as usize) {
            Some(crate::adj::NextHop::Lookup(_)) | None => None,
            Some(_) => Some(nh),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fib::FibBuilder;
    use crate::types::Prefix4;

    #[test]
    fn ingress_port_selects_the_vrf_table() {
        let mut cust = FibBuilder::new();
        cust.insert("192.168.1.0/24".parse::<Prefix4>().unwrap(), NextHopId(5))
            .unwrap();
        let mut s = Snapshot::default();
        let mut tables = s.tables.to_vec();
        tables[7] = Some(cust.publish());
        s.tables = tables.into();
        s.port_vrf = Arc::from(vec![VrfId::MAIN, VrfId(1)]);
        s.vrf_table = Arc::from(vec![TableId::MAIN, TableId(7)]);
        let addr = 0xc0a8_0105;
        assert_eq!(s.ingress_table(PortId(1)), TableId(7));
        assert_eq!(
            s.lookup(s.ingress_table(PortId(1)), addr),
            Some(NextHopId(5))
        );
        assert_eq!(
            s.lookup(s.ingress_table(PortId(0)), addr),
            None,
            "main does not see it"
        );
        assert_eq!(s.ingress_table(PortId(9)), TableId::MAIN);
        assert!(s.fib(TableId(8)).is_none());
    }
}
