//! One phase's hooks in running order, with what dispatch needs to know of them ahead
//! of a run: the phase's budget and timing, and, when every hook is a plain sync fn,
//! the bare list of fn pointers the fast loop calls.

use std::cmp::Reverse;
use std::time::Duration;

use crate::hook::Hook;
use crate::SyncHookFn;

/// How a phase with a budget or hook timing runs.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Timed {
    pub(crate) budget: Option<Duration>,
    pub(crate) record: bool,
}

/// One phase's hooks. Every change goes through a method here, which plans the phase
/// again: the fn list can never disagree with the hooks.
#[derive(Clone)]
pub(crate) struct PhaseHooks {
    hooks: Vec<Hook>,
    budget: Option<Duration>,
    time_hooks: bool,
    /// Each hook's fn, in order, when every hook is a plain sync fn (no breaker) for
    /// every backend and the phase reads no clock: dispatch is then a loop over these.
    plain: Option<Box<[SyncHookFn]>>,
}

impl Default for PhaseHooks {
    fn default() -> Self {
        PhaseHooks {
            hooks: Vec::new(),
            budget: None,
            time_hooks: false,
            plain: Some(Box::default()),
        }
    }
}

impl PhaseHooks {
    /// The hooks, in the order they run.
    #[inline]
    pub(crate) fn hooks(&self) -> &[Hook] {
        &self.hooks
    }

    /// Every hook's fn, when the phase runs as a loop over plain fns.
    #[inline]
    pub(crate) fn plain(&self) -> Option<&[SyncHookFn]> {
        self.plain.as_deref()
    }

    /// Changes the hooks with `change`, then keeps them in order (higher priority first,
    /// ties in the order they came) and plans the phase again.
    pub(crate) fn edit<R>(&mut self, change: impl FnOnce(&mut Vec<Hook>) -> R) -> R {
        let changed = change(&mut self.hooks);
        self.hooks.sort_by_key(|h| Reverse(h.options.priority));
        self.plan();
        changed
    }

    /// The phase's time budget.
    pub(crate) fn budget(&self) -> Option<Duration> {
        self.budget
    }

    pub(crate) fn set_budget(&mut self, budget: Option<Duration>) {
        self.budget = budget;
        self.plan();
    }

    pub(crate) fn set_time_hooks(&mut self, on: bool) {
        self.time_hooks = on;
        self.plan();
    }

    /// Whether dispatch reads the clock: a budget, or hook timing.
    #[inline]
    pub(crate) fn timed(&self) -> Option<Timed> {
        (self.budget.is_some() || self.time_hooks).then_some(Timed {
            budget: self.budget,
            record: self.time_hooks,
        })
    }

    fn plan(&mut self) {
        let untimed = self.timed().is_none();
        self.plain = untimed
            .then(|| {
                self.hooks
                    .iter()
                    .map(|hook| hook.plain.filter(|_| hook.options.backends.is_empty()))
                    .collect::<Option<Box<[SyncHookFn]>>>()
            })
            .flatten();
    }
}
