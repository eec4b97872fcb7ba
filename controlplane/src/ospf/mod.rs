//! OSPFv2 (RFC 2328), one instance per VRF. Built room by room like `bgp/` and `ldp/`: the
//! codec ([`packet`]) so far; the neighbour and interface state machines, the link-state
//! database with flooding, SPF and the instance follow ("OSPFv2").

pub mod interface;
pub mod lsdb;
pub mod neighbor;
pub mod packet;
pub mod spf;
