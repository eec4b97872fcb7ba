//! Safe wrappers over the system DPDK: the only place in rspe where `unsafe` is allowed.
//!
//! Ownership rules the types enforce:
//! - [`Eal`] exists at most once per process; dropping it runs `rte_eal_cleanup`.
//! - A [`Port`] is configured once; its queues come out as [`RxQueue`]/[`TxQueue`] handles,
//!   each owned by exactly one thread, which is what DPDK's lock-free queues require.
//! - An [`Mbuf`] owns one packet buffer and frees it on drop; [`MbufBurst`] holds up to
//!   [`BURST`] of them for one rx/tx call across the FFI boundary.
#![allow(unsafe_code)]

mod eal;
mod lpm;
mod mbuf;
mod mempool;
mod port;

pub use eal::{rdtsc, Eal, LcoreId};
pub use lpm::{Lpm, RteFib, LPM_LOOKUP_SUCCESS};
pub use mbuf::{Mbuf, MbufBurst, BURST};
pub use mempool::Mempool;
pub use port::{Port, PortConfig, PortInfo, PortStats, RxQueue, TxQueue};

use std::ffi::CStr;

/// An error from DPDK: what rspe was doing, and DPDK's own reason.
#[derive(Debug, thiserror::Error)]
pub enum DpdkError {
    /// `rte_eal_init` refused the arguments or could not set up the environment.
    #[error("EAL initialisation failed: {reason} (check the EAL arguments after `--`)")]
    EalInit {
        /// DPDK's reason (`rte_strerror` of `rte_errno`).
        reason: String,
    },
    /// The EAL was already initialised in this process: DPDK allows it once.
    #[error("the EAL is already initialised in this process")]
    EalTwice,
    /// An EAL argument contained a NUL byte.
    #[error("EAL argument {0:?} contains a NUL byte")]
    BadArgument(String),
    /// A DPDK call failed.
    #[error("{op} failed: {reason}")]
    Call {
        /// The operation, with its object (`"rte_eth_dev_configure(port 0)"`).
        op: String,
        /// DPDK's reason.
        reason: String,
    },
}

impl DpdkError {
    /// An error for `op` from a negative return code (`-errno`) or, when the code is not
    /// negative, from `rte_errno`.
    pub(crate) fn call(op: impl Into<String>, ret: i32) -> Self {
        let errnum = if ret < 0 { -ret } else { errno() };
        DpdkError::Call {
            op: op.into(),
            reason: strerror(errnum),
        }
    }
}

/// The calling thread's `rte_errno`.
pub(crate) fn errno() -> i32 {
    // SAFETY: reads a thread-local integer; no preconditions.
    unsafe { dpdk_sys::rspe_errno() }
}

/// DPDK's text for an error number (covers both libc errnos and DPDK's own).
pub(crate) fn strerror(errnum: i32) -> String {
    // SAFETY: rte_strerror returns a pointer to a static or thread-local NUL-terminated
    // string, valid until the next call on this thread; we copy it at once.
    let s = unsafe { CStr::from_ptr(dpdk_sys::rte_strerror(errnum)) };
    format!("{} (errno {errnum})", s.to_string_lossy())
}

/// One CPU pause instruction, for spin loops.
#[inline]
pub fn pause() {
    // SAFETY: `pause` has no preconditions.
    unsafe { dpdk_sys::rspe_pause() }
}
