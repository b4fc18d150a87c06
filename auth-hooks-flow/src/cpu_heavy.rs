//! CPU-heavy work (an argon2 hash takes tens of milliseconds) without stalling an async
//! executor.

/// Runs `work`, telling a multi-threaded Tokio runtime first (`block_in_place`) so that
/// the worker's other tasks move to another thread while it hashes. Elsewhere (no
/// runtime, a current-thread runtime) it just runs `work`.
pub(crate) fn cpu_heavy<T>(work: impl FnOnce() -> T) -> T {
    if let Ok(handle) = tokio::runtime::Handle::try_current() {
        if handle.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread {
            return tokio::task::block_in_place(work);
        }
    }
    work()
}
