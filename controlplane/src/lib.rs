//! rspe's control plane: the control socket and the commands it serves. The RouterOS
//! configuration store and the routing protocols grow here.

pub mod api;
pub mod config;
pub mod forwarder;
pub mod fwd;
pub mod interfaces;
pub mod neighbor;
pub mod netns;
pub mod rib;
pub mod router;
pub mod twins;
