//! rspe's control plane: the control socket and the commands it serves. The RouterOS
//! configuration store and the routing protocols grow here.

pub mod api;
pub mod bgp;
pub mod config;
pub mod forwarder;
pub mod fwcompile;
pub mod fwd;
pub mod interfaces;
pub mod neighbor;
pub mod netns;
pub mod ping;
pub mod rib;
pub mod router;
pub mod twins;

/// The dataplane's clock (nanoseconds since the first call), shared with the workers.
pub fn now_ns() -> u64 {
    dataplane::worker::now_ns()
}
