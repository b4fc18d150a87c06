//! Live counts per hook, kept off the path of a hook that passes.
//!
//! A sync hook that passes costs no count of its own: its phase counts its runs, each
//! hook counts what is rare (rejects, failures, skips, the runs that ended before it),
//! and a hook's calls are the phase's runs less the runs that did not reach it.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde::Serialize;

use crate::{BreakerState, HookMode, Phase};

/// The upper bounds of the duration histogram's buckets; a last bucket holds the rest.
pub const DURATION_BUCKETS_US: [u64; 6] = [10, 100, 1_000, 10_000, 100_000, 1_000_000];

/// Counters of one hook in one registry.
#[derive(Debug, Default)]
pub(crate) struct HookCounters {
    /// The phase's runs counted before this hook was added.
    pub(crate) base_runs: AtomicU64,
    /// Runs of the phase that ended at this hook, after it ran (its reject, its failure
    /// under `raise`, a cancellation while it ran): the hooks after it were not reached.
    pub(crate) stopped: AtomicU64,
    /// Runs that ended before this hook ran: the phase was past its budget.
    pub(crate) budget_stopped: AtomicU64,
    /// Runs that skipped it: its `backend` list did not hold the context's backend.
    pub(crate) skipped: AtomicU64,
    pub(crate) rejects: AtomicU64,
    pub(crate) failures: AtomicU64,
    pub(crate) timeouts: AtomicU64,
    pub(crate) would_deny: AtomicU64,
    pub(crate) would_fail: AtomicU64,
    pub(crate) breaker_opens: AtomicU64,
    pub(crate) breaker_skips: AtomicU64,
    durations: [AtomicU64; DURATION_BUCKETS_US.len() + 1],
}

/// Adds one to a counter.
#[inline]
pub(crate) fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

impl HookCounters {
    pub(crate) fn record_duration(&self, took: Duration) {
        let us = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        let bucket = DURATION_BUCKETS_US
            .iter()
            .position(|bound| us <= *bound)
            .unwrap_or(DURATION_BUCKETS_US.len());
        bump(&self.durations[bucket]);
    }

    fn durations(&self) -> Vec<u64> {
        self.durations
            .iter()
            .map(|d| d.load(Ordering::Relaxed))
            .collect()
    }
}

/// A hook's live counts, as [`AuthHookRegistry::stats`](crate::AuthHookRegistry::stats)
/// reports them: serializable, nothing secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct HookStats {
    /// The hook's name.
    pub name: String,
    /// Its phase.
    pub phase: Phase,
    /// Its mode.
    pub mode: HookMode,
    /// Times it was called.
    pub calls: u64,
    /// Calls that passed.
    pub passes: u64,
    /// Rejects that stopped the phase (enforce mode).
    pub rejects: u64,
    /// Failures (errors, panics, timeouts, an open breaker counted as failed).
    pub failures: u64,
    /// Of the failures, timeouts.
    pub timeouts: u64,
    /// Shadow mode: rejects that would have denied.
    pub would_deny: u64,
    /// Shadow mode: failures that would have counted.
    pub would_fail: u64,
    /// Times its breaker opened.
    pub breaker_opens: u64,
    /// Runs in which its open breaker stood in for it.
    pub breaker_skips: u64,
    /// Its breaker's state, if it has one.
    pub breaker: Option<BreakerState>,
    /// Call durations, when the registry times hooks: counts per bucket of
    /// [`DURATION_BUCKETS_US`] (microseconds, upper bounds), then the rest.
    pub durations_us: Vec<u64>,
}

impl HookStats {
    /// The stats of each of a phase's hooks, from the phase's runs.
    pub(crate) fn of_phase<'h>(
        runs: u64,
        hooks: impl Iterator<Item = &'h crate::hook::Hook>,
        now_ms: u64,
    ) -> Vec<HookStats> {
        let load = |c: &AtomicU64| c.load(Ordering::Relaxed);
        let mut ended_earlier = 0u64;
        let mut stats = Vec::new();
        for hook in hooks {
            let counters = &*hook.counters;
            ended_earlier = ended_earlier.saturating_add(load(&counters.budget_stopped));
            let reached = runs
                .saturating_sub(load(&counters.base_runs))
                .saturating_sub(ended_earlier);
            let breaker = hook.breaker.as_ref().map(|b| b.state(now_ms));
            stats.push(HookStats::new(hook, reached, breaker));
            ended_earlier = ended_earlier.saturating_add(load(&counters.stopped));
        }
        stats
    }

    fn new(hook: &crate::hook::Hook, reached: u64, breaker: Option<BreakerState>) -> Self {
        let (name, phase, mode) = (&*hook.name, hook.phase, hook.options.mode);
        let counters = &*hook.counters;
        let load = |c: &AtomicU64| c.load(Ordering::Relaxed);
        let breaker_skips = load(&counters.breaker_skips);
        let calls = reached
            .saturating_sub(load(&counters.skipped))
            .saturating_sub(breaker_skips);
        let (rejects, failures, would_deny, would_fail) = (
            load(&counters.rejects),
            load(&counters.failures),
            load(&counters.would_deny),
            load(&counters.would_fail),
        );
        HookStats {
            name: name.to_owned(),
            phase,
            mode,
            calls,
            passes: calls.saturating_sub(rejects + failures + would_deny + would_fail),
            rejects,
            failures,
            timeouts: load(&counters.timeouts),
            would_deny,
            would_fail,
            breaker_opens: load(&counters.breaker_opens),
            breaker_skips,
            breaker,
            durations_us: counters.durations(),
        }
    }
}
