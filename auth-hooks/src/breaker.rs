//! A hook's circuit breaker: after N consecutive failures it is not called for a while,
//! then one call probes whether it works again.

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// What a hook whose breaker is open counts as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BreakerFallback {
    /// A failure, handled under the hook's error policy (the default: a gate whose
    /// check is broken refuses).
    #[default]
    Fail,
    /// A pass: for hooks whose absence is acceptable (an enrichment, a notification).
    Allow,
}

/// A circuit breaker's settings, `breaker(failures = N, open_ms = T)` in the attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct BreakerConfig {
    /// Consecutive failures (errors, panics, timeouts; not rejects) that open it.
    pub failures: u32,
    /// How long it stays open before one call probes.
    #[serde(rename = "open_ms", serialize_with = "millis")]
    pub open: Duration,
    /// What the hook counts as while open.
    pub fallback: BreakerFallback,
}

fn millis<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

impl BreakerConfig {
    /// Opens after `failures` consecutive failures (at least 1), for `open`.
    pub const fn new(failures: u32, open: Duration) -> Self {
        BreakerConfig {
            failures: if failures == 0 { 1 } else { failures },
            open,
            fallback: BreakerFallback::Fail,
        }
    }

    /// Sets what the hook counts as while open.
    pub const fn fallback(mut self, fallback: BreakerFallback) -> Self {
        self.fallback = fallback;
        self
    }
}

/// Where a breaker stands, for inspection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum BreakerState {
    /// Calls go through.
    Closed {
        /// Consecutive failures so far.
        failures: u32,
    },
    /// Calls are skipped until the probe.
    Open {
        /// Milliseconds until one call probes.
        probe_in_ms: u64,
    },
    /// The open time is over: the next call probes (or is probing).
    HalfOpen,
}

const CLOSED: u64 = u64::MAX;

/// One hook's breaker state in one registry.
#[derive(Debug)]
pub(crate) struct Breaker {
    pub(crate) config: BreakerConfig,
    consecutive: AtomicU32,
    /// When it opened (clock milliseconds), or [`CLOSED`].
    opened_at: AtomicU64,
    probing: AtomicBool,
}

/// Whether to call the hook.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Permit {
    /// Call it.
    Call,
    /// Call it as the one probe of a half-open breaker.
    Probe,
    /// Do not: the breaker is open.
    Skip,
}

/// What a call's outcome did to the breaker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Transition {
    None,
    Opened,
    Closed,
}

impl Breaker {
    pub(crate) fn new(config: BreakerConfig) -> Self {
        Breaker {
            config,
            consecutive: AtomicU32::new(0),
            opened_at: AtomicU64::new(CLOSED),
            probing: AtomicBool::new(false),
        }
    }

    #[inline]
    pub(crate) fn permit(&self, now_ms: impl FnOnce() -> u64) -> Permit {
        let opened_at = self.opened_at.load(Ordering::Acquire);
        if opened_at == CLOSED {
            return Permit::Call;
        }
        self.permit_open(opened_at, now_ms())
    }

    #[cold]
    fn permit_open(&self, opened_at: u64, now: u64) -> Permit {
        if now < opened_at.saturating_add(self.open_ms()) {
            return Permit::Skip;
        }
        match self
            .probing
            .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
        {
            Ok(_) => Permit::Probe,
            Err(_) => Permit::Skip,
        }
    }

    fn open_ms(&self) -> u64 {
        u64::try_from(self.config.open.as_millis()).unwrap_or(u64::MAX)
    }

    /// A call went well.
    #[inline]
    pub(crate) fn succeeded(&self, permit: Permit) -> Transition {
        if permit == Permit::Probe {
            return self.close();
        }
        if self.consecutive.load(Ordering::Relaxed) != 0 {
            self.consecutive.store(0, Ordering::Relaxed);
        }
        Transition::None
    }

    #[cold]
    fn close(&self) -> Transition {
        self.consecutive.store(0, Ordering::Relaxed);
        self.opened_at.store(CLOSED, Ordering::Release);
        self.probing.store(false, Ordering::Release);
        Transition::Closed
    }

    /// The probe was dropped before it finished (its caller went away): open again for
    /// the open time, so the next probe can come.
    #[cold]
    pub(crate) fn abandoned(&self, permit: Permit, now: u64) {
        if permit == Permit::Probe {
            self.opened_at.store(now, Ordering::Release);
            self.probing.store(false, Ordering::Release);
        }
    }

    /// A call failed (an error, a panic, a timeout).
    #[cold]
    pub(crate) fn failed(&self, permit: Permit, now: u64) -> Transition {
        if permit == Permit::Probe {
            self.opened_at.store(now, Ordering::Release);
            self.probing.store(false, Ordering::Release);
            return Transition::Opened;
        }
        let failures = self.consecutive.fetch_add(1, Ordering::AcqRel) + 1;
        if failures >= self.config.failures
            && self
                .opened_at
                .compare_exchange(CLOSED, now, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
        {
            return Transition::Opened;
        }
        Transition::None
    }

    pub(crate) fn state(&self, now: u64) -> BreakerState {
        let opened_at = self.opened_at.load(Ordering::Acquire);
        if opened_at == CLOSED {
            return BreakerState::Closed {
                failures: self.consecutive.load(Ordering::Relaxed),
            };
        }
        let until = opened_at.saturating_add(self.open_ms());
        match until.checked_sub(now) {
            Some(left) if left > 0 => BreakerState::Open { probe_in_ms: left },
            _ => BreakerState::HalfOpen,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_after_n_failures_probes_once_after_t_and_closes_on_success() {
        let breaker = Breaker::new(BreakerConfig::new(3, Duration::from_millis(100)));
        for _ in 0..2 {
            assert_eq!(breaker.permit(|| 0), Permit::Call);
            assert_eq!(breaker.failed(Permit::Call, 0), Transition::None);
        }
        assert_eq!(breaker.failed(Permit::Call, 10), Transition::Opened);
        assert_eq!(breaker.permit(|| 50), Permit::Skip);
        assert_eq!(breaker.state(50), BreakerState::Open { probe_in_ms: 60 });
        assert_eq!(breaker.permit(|| 110), Permit::Probe);
        assert_eq!(breaker.permit(|| 110), Permit::Skip, "one probe at a time");
        assert_eq!(breaker.succeeded(Permit::Probe), Transition::Closed);
        assert_eq!(breaker.permit(|| 111), Permit::Call);
        assert_eq!(breaker.state(111), BreakerState::Closed { failures: 0 });
    }

    #[test]
    fn a_failed_probe_opens_it_again_and_a_success_resets_the_count() {
        let breaker = Breaker::new(BreakerConfig::new(2, Duration::from_millis(100)));
        breaker.failed(Permit::Call, 0);
        breaker.succeeded(Permit::Call);
        assert_eq!(
            breaker.failed(Permit::Call, 0),
            Transition::None,
            "reset by the success"
        );
        assert_eq!(breaker.failed(Permit::Call, 0), Transition::Opened);
        assert_eq!(breaker.permit(|| 100), Permit::Probe);
        assert_eq!(breaker.failed(Permit::Probe, 100), Transition::Opened);
        assert_eq!(breaker.permit(|| 150), Permit::Skip);
        assert_eq!(breaker.permit(|| 200), Permit::Probe);
    }
}
