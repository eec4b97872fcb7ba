//! The dataplane\'s clock, shared by the workers and the control plane.

use std::sync::OnceLock;
use std::time::Instant;

/// Nanoseconds since the first call: the pipeline\'s clock (rate limits, neighbour requests).
pub fn now_ns() -> u64 {
    static START: OnceLock<Instant> = OnceLock::new();
    let start = *START.get_or_init(Instant::now);
    u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX)
}
