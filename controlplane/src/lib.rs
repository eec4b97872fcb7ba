//! rspe's control plane: the control socket and the commands it serves. The RouterOS
//! configuration store and the routing protocols grow here.

pub mod bgp;
#[cfg(test)]
mod capture;
pub mod config;
pub mod ldp;
pub mod northbound;
pub mod ospf;
pub mod plan;
pub mod rib;
pub mod route;
pub mod system;

/// Locks `m`, taking over from a thread that panicked while holding it (the state behind
/// every lock here stays consistent between statements).
pub fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The dataplane's clock (nanoseconds since the first call), shared with the workers.
pub fn now_ns() -> u64 {
    dataplane::clock::now_ns()
}

/// A thread named `name` with a single-threaded tokio runtime of its own, running `body`
/// (the kernel twins' keeper, the BGP speaker). Without a runtime it says so and ends.
pub fn runtime_thread(
    name: &str,
    body: impl FnOnce(&tokio::runtime::Runtime) + Send + 'static,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    let label = name.to_owned();
    std::thread::Builder::new()
        .name(label.clone())
        .spawn(move || {
            match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => body(&rt),
                Err(e) => eprintln!("rspe: {label}: no runtime: {e}"),
            }
        })
}
