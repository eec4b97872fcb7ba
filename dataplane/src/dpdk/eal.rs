//! The Environment Abstraction Layer: init from the daemon's arguments, lcores, launch.

use super::DpdkError;
use std::ffi::{c_char, c_int, c_void, CString};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// An EAL logical core number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LcoreId(pub u32);

static EAL_INITIALISED: AtomicBool = AtomicBool::new(false);

/// The initialised EAL, initialised at most once per process. Clones share it; ports and
/// pools hold a clone, so `rte_eal_cleanup` runs only when the last holder is gone.
#[derive(Clone)]
pub struct Eal {
    _inner: Arc<EalInner>,
}

struct EalInner {
    /// The EAL's runtime directory (`/var/run/dpdk/<file-prefix>`), removed at cleanup
    /// when the EAL left it empty, so that nothing stays behind.
    runtime_dir: Option<std::path::PathBuf>,
}

type Job = Box<dyn FnOnce() + Send + 'static>;

extern "C" fn trampoline(arg: *mut c_void) -> c_int {
    // SAFETY: `arg` is the `Box<Job>` leaked by `Eal::launch`, handed to exactly one lcore,
    // which takes it back here exactly once.
    let job: Box<Job> = unsafe { Box::from_raw(arg.cast::<Job>()) };
    // A panic must not unwind into C.
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(job)) {
        Ok(()) => 0,
        Err(_) => -1,
    }
}

impl Eal {
    /// Initialises the EAL with `args` (the EAL arguments only, without a program name).
    pub fn init<S: AsRef<str>>(program: &str, args: &[S]) -> Result<Eal, DpdkError> {
        if EAL_INITIALISED.swap(true, Ordering::SeqCst) {
            return Err(DpdkError::EalTwice);
        }
        let mut owned = Vec::with_capacity(args.len() + 1);
        for a in std::iter::once(program).chain(args.iter().map(AsRef::as_ref)) {
            owned.push(CString::new(a).map_err(|_| DpdkError::BadArgument(a.to_owned()))?);
        }
        // rte_eal_init may permute argv; it gets its own array of pointers into `owned`,
        // which lives until the end of this function. EAL copies what it keeps.
        let mut argv: Vec<*mut c_char> = owned.iter().map(|c| c.as_ptr().cast_mut()).collect();
        let argc = c_int::try_from(argv.len()).map_err(|_| DpdkError::EalInit {
            reason: "too many arguments".into(),
        })?;
        // SAFETY: argv holds argc valid NUL-terminated strings; called once per process
        // (guarded by EAL_INITIALISED).
        let ret = unsafe { dpdk_sys::rte_eal_init(argc, argv.as_mut_ptr()) };
        if ret < 0 {
            return Err(DpdkError::EalInit {
                reason: super::strerror(super::errno()),
            });
        }
        // SAFETY: the EAL is initialised; the pointer is to a static NUL-terminated path.
        let dir = unsafe { dpdk_sys::rte_eal_get_runtime_dir() };
        let runtime_dir = (!dir.is_null()).then(|| {
            // SAFETY: non-null, NUL-terminated, static for the life of the EAL; copied here.
            let s = unsafe { std::ffi::CStr::from_ptr(dir) };
            std::path::PathBuf::from(s.to_string_lossy().into_owned())
        });
        Ok(Eal {
            _inner: Arc::new(EalInner { runtime_dir }),
        })
    }

    /// The worker lcores (every enabled lcore but the main one), in order.
    pub fn worker_lcores(&self) -> Vec<LcoreId> {
        let mut out = Vec::new();
        let mut i: u32 = u32::MAX; // -1: start from the first lcore
        loop {
            // SAFETY: the EAL is initialised; the call only reads its lcore config.
            i = unsafe { dpdk_sys::rte_get_next_lcore(i, 1, 0) };
            if i >= dpdk_sys::RTE_MAX_LCORE {
                break;
            }
            out.push(LcoreId(i));
        }
        out
    }

    /// The NUMA socket of the calling thread's lcore.
    pub fn socket_id(&self) -> i32 {
        // SAFETY: reads a per-lcore value; the EAL is initialised.
        let s = unsafe { dpdk_sys::rte_socket_id() };
        i32::try_from(s).unwrap_or(-1)
    }

    /// Runs `job` on worker lcore `lcore`; collect it with [`Eal::wait`].
    pub fn launch(
        &self,
        lcore: LcoreId,
        job: impl FnOnce() + Send + 'static,
    ) -> Result<(), DpdkError> {
        let boxed: Box<Job> = Box::new(Box::new(job));
        let arg = Box::into_raw(boxed).cast::<c_void>();
        // SAFETY: `trampoline` matches lcore_function_t; `arg` is a leaked Box<Job> that the
        // trampoline reclaims. On failure the lcore never runs it, so we reclaim it here.
        let ret = unsafe { dpdk_sys::rte_eal_remote_launch(Some(trampoline), arg, lcore.0) };
        if ret != 0 {
            // SAFETY: the launch failed, so `arg` was not handed to any lcore.
            drop(unsafe { Box::from_raw(arg.cast::<Job>()) });
            return Err(DpdkError::call(
                format!("rte_eal_remote_launch(lcore {})", lcore.0),
                ret,
            ));
        }
        Ok(())
    }

    /// Waits for the job launched on `lcore` to finish; `false` if it panicked.
    pub fn wait(&self, lcore: LcoreId) -> bool {
        // SAFETY: waits on an lcore of this EAL; harmless if nothing was launched there.
        unsafe { dpdk_sys::rte_eal_wait_lcore(lcore.0) == 0 }
    }

    /// Registers the calling (non-EAL) thread with the EAL so that it may use mempool
    /// caches and queues like an lcore. Returns its new lcore id.
    pub fn register_thread(&self) -> Result<LcoreId, DpdkError> {
        // SAFETY: registers the current thread; the EAL is initialised.
        let ret = unsafe { dpdk_sys::rte_thread_register() };
        if ret != 0 {
            return Err(DpdkError::call("rte_thread_register", -super::errno()));
        }
        // SAFETY: reads a thread-local value.
        Ok(LcoreId(unsafe { dpdk_sys::rspe_lcore_id() }))
    }

    /// Cycles per second of the time-stamp counter.
    pub fn tsc_hz(&self) -> u64 {
        // SAFETY: no preconditions once the EAL is initialised.
        unsafe { dpdk_sys::rte_get_tsc_hz() }
    }
}

/// The time-stamp counter.
#[inline]
pub fn rdtsc() -> u64 {
    // SAFETY: reads the TSC; no preconditions.
    unsafe { dpdk_sys::rspe_rdtsc() }
}

impl Drop for EalInner {
    fn drop(&mut self) {
        // SAFETY: the EAL was initialised by `init`; this is the last holder, so every port
        // and pool (which hold an `Eal`) is gone. Launched jobs are waited for first.
        unsafe {
            dpdk_sys::rte_eal_mp_wait_lcore();
            dpdk_sys::rte_eal_cleanup();
        }
        if let Some(dir) = &self.runtime_dir {
            // DPDK's telemetry socket would go only at exit, after us; it is this process's
            // own, so remove it now. Then the directory, only if that left it empty: the
            // shared-config files of other processes with the same prefix stay.
            let _ = std::fs::remove_file(dir.join("dpdk_telemetry.v2"));
            let _ = std::fs::remove_dir(dir);
        }
    }
}
