//! Packet buffer pools.

use super::{DpdkError, Eal};
use std::ffi::CString;
use std::ptr::NonNull;

/// A pool of packet buffers (`rte_pktmbuf_pool_create`). Freed when the last holder drops it.
pub struct Mempool {
    ptr: NonNull<dpdk_sys::rte_mempool>,
    _eal: Eal,
}

// SAFETY: a DPDK mempool is designed for concurrent use from many lcores; the pointer is only
// handed to DPDK functions that synchronise internally.
unsafe impl Send for Mempool {}
// SAFETY: as above; `&Mempool` only allows allocation, which DPDK makes thread-safe.
unsafe impl Sync for Mempool {}

impl Mempool {
    /// Creates a pool of `n` buffers of `data_room` bytes each (headroom included), with a
    /// per-lcore cache of `cache` buffers, on NUMA socket `socket` (-1: any).
    pub fn pktmbuf(
        eal: &Eal,
        name: &str,
        n: u32,
        cache: u32,
        data_room: u16,
        socket: i32,
    ) -> Result<Mempool, DpdkError> {
        let cname = CString::new(name).map_err(|_| DpdkError::BadArgument(name.to_owned()))?;
        // SAFETY: the EAL is initialised (we hold it); cname is a valid C string.
        let ptr = unsafe {
            dpdk_sys::rte_pktmbuf_pool_create(cname.as_ptr(), n, cache, 0, data_room, socket)
        };
        match NonNull::new(ptr) {
            Some(ptr) => Ok(Mempool {
                ptr,
                _eal: eal.clone(),
            }),
            None => Err(DpdkError::call(
                format!("rte_pktmbuf_pool_create({name}, {n} buffers)"),
                -super::errno(),
            )),
        }
    }

    pub(crate) fn as_ptr(&self) -> *mut dpdk_sys::rte_mempool {
        self.ptr.as_ptr()
    }

    /// Buffers currently free in the pool (caches included).
    pub fn available(&self) -> u32 {
        // SAFETY: the pool is valid while self lives; the call only reads counters.
        unsafe { dpdk_sys::rte_mempool_avail_count(self.ptr.as_ptr()) }
    }
}

impl Drop for Mempool {
    fn drop(&mut self) {
        // SAFETY: we own the pool; every Mbuf and port queue referencing it holds an Arc to
        // its owner, so nothing uses it any more.
        unsafe { dpdk_sys::rte_mempool_free(self.ptr.as_ptr()) }
    }
}
