//! The system under the protocols: the one owner of the forwarding state
//! ([`rib_service`]), what it owns ([`forwarder`]: builder, neighbours, publisher, twins),
//! the ARP neighbour table, the kernel twins and the VRF namespaces.

pub mod forwarder;
pub mod keepalive;
pub mod neighbor;
pub mod netns;
pub mod rib_service;
pub mod speaker;
pub mod twins;
