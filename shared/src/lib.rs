//! The contract between rspe's planes and its clients: vocabulary types and the
//! control-socket protocol. Pure Rust, no DPDK.

pub mod api;
