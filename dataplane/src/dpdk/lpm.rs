//! DPDK's two DIR-24-8 implementations, `rte_lpm` and `rte_fib`, as benchmark baselines.
//! Lookups run as whole loops in C (see `shim.c`): one FFI call per array.

use super::{DpdkError, Eal};
use std::ffi::CString;
use std::ptr::NonNull;

/// How many addresses a loop may look up: as many as both slices hold.
fn check_len(ips: usize, out: usize) -> u32 {
    u32::try_from(ips.min(out)).unwrap_or(u32::MAX)
}

/// An `rte_lpm` table.
pub struct Lpm {
    ptr: NonNull<dpdk_sys::rte_lpm>,
    _eal: Eal,
}

impl Lpm {
    /// Creates a table for `max_rules` prefixes with `tbl8s` second-level groups.
    pub fn new(eal: &Eal, name: &str, max_rules: u32, tbl8s: u32) -> Result<Lpm, DpdkError> {
        let cname = CString::new(name).map_err(|_| DpdkError::BadArgument(name.into()))?;
        let cfg = dpdk_sys::rte_lpm_config {
            max_rules,
            number_tbl8s: tbl8s,
            flags: 0,
        };
        // SAFETY: valid name and config; the EAL is initialised (we hold it).
        let p = unsafe { dpdk_sys::rte_lpm_create(cname.as_ptr(), eal.socket_id(), &cfg) };
        NonNull::new(p)
            .map(|ptr| Lpm {
                ptr,
                _eal: eal.clone(),
            })
            .ok_or_else(|| DpdkError::call(format!("rte_lpm_create({name})"), -super::errno()))
    }

    /// Adds `addr/len` → `nh` (nh < 2^24).
    pub fn add(&mut self, addr: u32, len: u8, nh: u32) -> Result<(), DpdkError> {
        // SAFETY: we own the table exclusively (&mut self).
        let ret = unsafe { dpdk_sys::rte_lpm_add(self.ptr.as_ptr(), addr, len, nh) };
        if ret < 0 {
            return Err(DpdkError::call("rte_lpm_add", ret));
        }
        Ok(())
    }

    /// `rte_lpm_lookup` for each address; misses give `u32::MAX`. Returns the sum.
    pub fn lookup_each(&self, ips: &[u32], out: &mut [u32]) -> u64 {
        let n = check_len(ips.len(), out.len());
        // SAFETY: ips has n readable and out n writable entries; the table is only read.
        unsafe {
            dpdk_sys::rspe_lpm_scalar_loop(self.ptr.as_ptr(), ips.as_ptr(), n, out.as_mut_ptr())
        }
    }

    /// `rte_lpm_lookup_bulk` over bursts of 32; results raw (found flag | next hop).
    pub fn lookup_bulk(&self, ips: &[u32], out: &mut [u32]) {
        let n = check_len(ips.len(), out.len());
        // SAFETY: as in lookup_each.
        unsafe {
            dpdk_sys::rspe_lpm_bulk_loop(self.ptr.as_ptr(), ips.as_ptr(), n, out.as_mut_ptr())
        }
    }

    /// A dependent chain: address i is `ips[i]` plus the previous result (0 on a miss).
    /// Returns the sum of the results.
    pub fn chain(&self, ips: &[u32]) -> u64 {
        let n = check_len(ips.len(), ips.len());
        // SAFETY: ips has n readable entries.
        unsafe { dpdk_sys::rspe_lpm_chain(self.ptr.as_ptr(), ips.as_ptr(), n) }
    }
}

/// The flag `rte_lpm_lookup_bulk` sets on a hit.
pub const LPM_LOOKUP_SUCCESS: u32 = 0x0100_0000;

impl Drop for Lpm {
    fn drop(&mut self) {
        // SAFETY: we own the table; nothing else refers to it.
        unsafe { dpdk_sys::rte_lpm_free(self.ptr.as_ptr()) }
    }
}

/// An `rte_fib` table of type DIR24_8 with 4-byte next hops.
pub struct RteFib {
    ptr: NonNull<dpdk_sys::rte_fib>,
    miss: u64,
    _eal: Eal,
}

impl RteFib {
    /// Creates a table for `max_routes` prefixes, `tbl8s` groups; misses answer `miss`.
    pub fn new(
        eal: &Eal,
        name: &str,
        max_routes: u32,
        tbl8s: u32,
        miss: u64,
    ) -> Result<RteFib, DpdkError> {
        let cname = CString::new(name).map_err(|_| DpdkError::BadArgument(name.into()))?;
        let mut conf = dpdk_sys::rte_fib_conf {
            type_: dpdk_sys::RTE_FIB_DIR24_8,
            default_nh: miss,
            max_routes: i32::try_from(max_routes).unwrap_or(i32::MAX),
            ..Default::default()
        };
        conf.__bindgen_anon_1.dir24_8 = dpdk_sys::rte_fib_conf__bindgen_ty_1__bindgen_ty_1 {
            nh_sz: dpdk_sys::RTE_FIB_DIR24_8_4B,
            num_tbl8: tbl8s,
        };
        // SAFETY: valid name and config; the EAL is initialised.
        let p = unsafe { dpdk_sys::rte_fib_create(cname.as_ptr(), eal.socket_id(), &mut conf) };
        NonNull::new(p)
            .map(|ptr| RteFib {
                ptr,
                miss,
                _eal: eal.clone(),
            })
            .ok_or_else(|| DpdkError::call(format!("rte_fib_create({name})"), -super::errno()))
    }

    /// Adds `addr/len` → `nh`.
    pub fn add(&mut self, addr: u32, len: u8, nh: u64) -> Result<(), DpdkError> {
        // SAFETY: we own the table exclusively.
        let ret = unsafe { dpdk_sys::rte_fib_add(self.ptr.as_ptr(), addr, len, nh) };
        if ret < 0 {
            return Err(DpdkError::call("rte_fib_add", ret));
        }
        Ok(())
    }

    /// A lookup (a bulk of one) per address. Returns the sum.
    pub fn lookup_each(&self, ips: &[u32], out: &mut [u64]) -> u64 {
        let n = check_len(ips.len(), out.len());
        // SAFETY: ips has n readable and out n writable entries; lookups only read.
        unsafe {
            dpdk_sys::rspe_fib_scalar_loop(self.ptr.as_ptr(), ips.as_ptr(), n, out.as_mut_ptr())
        }
    }

    /// `rte_fib_lookup_bulk` over bursts of 32.
    pub fn lookup_bulk(&self, ips: &[u32], out: &mut [u64]) {
        let n = check_len(ips.len(), out.len());
        // SAFETY: as in lookup_each.
        unsafe {
            dpdk_sys::rspe_fib_bulk_loop(self.ptr.as_ptr(), ips.as_ptr(), n, out.as_mut_ptr())
        }
    }

    /// A dependent chain, as [`Lpm::chain`].
    pub fn chain(&self, ips: &[u32]) -> u64 {
        let n = check_len(ips.len(), ips.len());
        // SAFETY: ips has n readable entries.
        unsafe { dpdk_sys::rspe_fib_chain(self.ptr.as_ptr(), ips.as_ptr(), n, self.miss) }
    }
}

impl Drop for RteFib {
    fn drop(&mut self) {
        // SAFETY: we own the table.
        unsafe { dpdk_sys::rte_fib_free(self.ptr.as_ptr()) }
    }
}
