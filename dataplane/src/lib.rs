//! rspe's dataplane: safe DPDK wrappers (`dpdk`, the only place with `unsafe`), zero-copy
//! packet views (`wire`), and the workers that poll ports.

pub mod clock;
pub mod conntrack;
pub mod counters;
#[cfg(feature = "dpdk")]
pub mod dpdk;
pub mod exception;
pub mod fragment;
pub mod pipeline;
pub mod wire;
#[cfg(feature = "dpdk")]
pub mod worker;
