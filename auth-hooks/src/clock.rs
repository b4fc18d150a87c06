//! The registry's clock: milliseconds on a monotonic scale, replaceable in tests.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// A monotonic clock in milliseconds, for circuit breakers. The registry uses
/// [`SystemHookClock`] unless given another ([`AuthHookRegistry::set_clock`](crate::AuthHookRegistry::set_clock)).
pub trait HookClock: Send + Sync + fmt::Debug {
    /// Milliseconds since an arbitrary fixed point; never goes back.
    fn now_ms(&self) -> u64;
}

/// [`Instant`]-based: milliseconds since the first use in the process.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemHookClock;

impl HookClock for SystemHookClock {
    fn now_ms(&self) -> u64 {
        static START: OnceLock<Instant> = OnceLock::new();
        let start = *START.get_or_init(Instant::now);
        u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX)
    }
}

/// A clock that moves only when told: for tests of breakers.
///
/// ```
/// use std::time::Duration;
/// use auth_hooks::{FakeHookClock, HookClock};
///
/// let clock = FakeHookClock::default();
/// clock.advance(Duration::from_secs(2));
/// assert_eq!(clock.now_ms(), 2000);
/// ```
#[derive(Debug, Default)]
pub struct FakeHookClock {
    now_ms: AtomicU64,
}

impl FakeHookClock {
    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        let by = u64::try_from(by.as_millis()).unwrap_or(u64::MAX);
        self.now_ms.fetch_add(by, Ordering::SeqCst);
    }
}

impl HookClock for FakeHookClock {
    fn now_ms(&self) -> u64 {
        self.now_ms.load(Ordering::SeqCst)
    }
}
