//! The contract between rspe's planes and its clients: vocabulary types, the forwarding
//! tables the workers read (DIR-24-8 FIB, LFIB, adjacencies), the snapshot that bundles them
//! and the lock-free way it is published, and the control-socket protocol. Pure Rust, no
//! DPDK.

pub mod adj;
pub mod api;
pub mod fib;
pub mod firewall;
pub mod lfib;
pub mod rcu;
pub mod snapshot;
pub mod tunnel;
pub mod types;
pub mod vlan;
