//! How many times each phase ran in one registry: the count every hook's calls are
//! derived from, kept per thread so that counting a run is a plain add.
//!
//! Each thread that holds a [`thread_slot`](crate::thread_slot) adds to its own counters
//! with a relaxed load and store (it is their only writer, so no count is lost), with no
//! read-modify-write instruction and no cache line shared with another thread. A thread
//! without a slot adds to a shared atomic. Reading sums them all.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::thread_slot::{self, SLOTS};
use crate::Phase;

/// One thread's counts, on cache lines of their own.
#[repr(align(128))]
#[derive(Default)]
struct Counts([AtomicU64; Phase::ALL.len()]);

/// The runs of each phase in one registry.
pub(crate) struct PhaseRuns {
    per_thread: Box<[Counts]>,
    shared: Counts,
}

impl Default for PhaseRuns {
    fn default() -> Self {
        PhaseRuns {
            per_thread: (0..SLOTS).map(|_| Counts::default()).collect(),
            shared: Counts::default(),
        }
    }
}

impl PhaseRuns {
    /// Counts start at `runs` (a registry given a new clock keeps its counts).
    pub(crate) fn starting_at(runs: [u64; Phase::ALL.len()]) -> Self {
        let counts = PhaseRuns::default();
        for (counter, runs) in counts.shared.0.iter().zip(runs) {
            counter.store(runs, Ordering::Relaxed);
        }
        counts
    }

    /// Counts one run of `phase`.
    #[inline]
    pub(crate) fn count(&self, phase: Phase) {
        match self.per_thread.get(thread_slot::current()) {
            Some(own) => {
                let counter = &own.0[phase.index()];
                counter.store(counter.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
            }
            None => {
                self.shared.0[phase.index()].fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// The runs of `phase` so far.
    pub(crate) fn get(&self, phase: Phase) -> u64 {
        let i = phase.index();
        self.per_thread
            .iter()
            .chain([&self.shared])
            .map(|counts| counts.0[i].load(Ordering::Relaxed))
            .fold(0, u64::wrapping_add)
    }

    /// Every phase's runs so far.
    pub(crate) fn all(&self) -> [u64; Phase::ALL.len()] {
        Phase::ALL.map(|phase| self.get(phase))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_counted_on_many_threads_at_once_are_all_kept() {
        let mut start = [0; Phase::ALL.len()];
        start[Phase::OnRefresh.index()] = 5;
        let runs = PhaseRuns::starting_at(start);
        std::thread::scope(|s| {
            for _ in 0..8 {
                s.spawn(|| {
                    for _ in 0..10_000 {
                        runs.count(Phase::OnLogin);
                        runs.count(Phase::BeforeLogin);
                    }
                });
            }
        });
        assert_eq!(runs.get(Phase::OnLogin), 80_000);
        assert_eq!(runs.get(Phase::BeforeLogin), 80_000);
        assert_eq!(
            runs.get(Phase::OnRefresh),
            5,
            "the counts it started at are kept"
        );
        assert_eq!(runs.all()[Phase::OnLogin.index()], 80_000);
    }
}
