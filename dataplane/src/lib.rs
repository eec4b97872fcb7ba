//! rspe's dataplane: safe DPDK wrappers (`dpdk`, the only place with `unsafe`), and the
//! workers that poll ports.

pub mod counters;
pub mod dpdk;
pub mod worker;
