//! Running the hooks of a phase, in order, under each hook's policy and controls.

use std::mem::ManuallyDrop;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::{Duration, Instant};

use tracing::level_filters::{LevelFilter, STATIC_MAX_LEVEL};
use tracing::{Instrument, Level};

use crate::block_on::block_on;
use crate::breaker::{Permit, Transition};
use crate::guard::{catch_panic, guard_future, panicked, Outcome};
use crate::hook::{Call, Hook};
use crate::hook_fn::{call_sync, failed_silently};
use crate::phase_hooks::Timed;
use crate::stats;
use crate::SyncHookFn;

mod resume;

use crate::{
    AuthHookContext, AuthHookError, AuthHookExecutionError, AuthHookRegistry, BreakerFallback,
    ErrorPolicy, HookError, HookFailure, HookMode, LogSafe, Phase,
};

impl AuthHookRegistry {
    /// Runs the hooks of `phase` for `ctx`, one after the other, in order.
    ///
    /// - A hook whose `backend` list does not hold the context's backend is skipped.
    /// - A [`AuthHookReject`](crate::AuthHookReject) in a phase that may refuse
    ///   ([`Phase::can_reject`]: `before_authenticate`, `before_login`, `on_refresh`,
    ///   `before_register`)
    ///   stops the phase under any policy: `Err(AuthHookError::Rejected)`. In the other
    ///   phases it is logged as a warning and the next hook runs.
    /// - A failure (an error, a caught panic, an overrun `timeout_ms`) is logged with the
    ///   phase and hook name; under `log` the next hook runs, under `raise` the phase
    ///   stops with `Err(AuthHookError::Failed)`. The policy is the hook's own
    ///   `on_error` if it has one, else its phase's.
    /// - In a phase that may refuse, a panic, an overrun timeout or an overrun phase
    ///   budget stops the phase with `Err(AuthHookError::Failed)` under either policy: a
    ///   gate that crashed or hung decided nothing, so it never lets a login through.
    ///   `log` there tolerates only errors a hook returns on purpose.
    /// - A hook in `mode = "shadow"` runs, but its reject or failure is only logged and
    ///   counted ("would have denied", "would have failed").
    /// - A hook whose circuit breaker is open is not called: it counts as failed (under
    ///   its policy) or, with `fallback = "allow"`, as passed; once the open time is
    ///   over, one call probes.
    ///
    /// Sync hooks run inline; async hooks are awaited on the caller's executor (any
    /// executor, a single-threaded one included). Dropping the returned future cancels
    /// the running hook and runs no further ones.
    pub async fn run(&self, phase: Phase, ctx: &AuthHookContext) -> Result<(), AuthHookError> {
        match self.phase(phase).plain() {
            Some([]) => Ok(()),
            Some(fns) => self.run_plain_fns(phase, fns, ctx),
            None => {
                let hooks = self.phase_hooks(phase);
                if hooks.is_empty() {
                    return Ok(());
                }
                self.live.runs.count(phase);
                self.run_hooks(phase, hooks, ctx).await
            }
        }
    }

    /// [`run`](Self::run) of `hooks`, some of `phase`'s (all, or those after a
    /// challenge), without counting a new run.
    pub(crate) async fn run_hooks(
        &self,
        phase: Phase,
        mut hooks: &[Hook],
        ctx: &AuthHookContext,
    ) -> Result<(), AuthHookError> {
        let policy = self.policies().get(phase);
        if let Some(timed) = self.phase(phase).timed() {
            return self.run_timed(phase, policy, timed, hooks, ctx).await;
        }
        // Plain sync fns, the common kind, run in a tight loop outside this future's
        // state machine; it stops at any other hook, which runs here.
        while let Some((hook, rest)) = run_sync_fns(phase, policy, hooks, ctx)? {
            if hook.call.is_async() {
                self.run_async(phase, policy, hook, ctx, None, false)
                    .await?;
            } else {
                self.run_sync(phase, policy, hook, ctx, false)?;
            }
            hooks = rest;
        }
        Ok(())
    }

    /// Runs the hooks of `phase` like [`run`](Self::run), for an application without
    /// an async runtime.
    ///
    /// Async hooks are driven to completion on the calling thread by a minimal executor
    /// that parks between polls, with their `timeout_ms` enforced. An async hook that
    /// needs a runtime's services (a Tokio timer or socket) panics there; the panic is
    /// caught and handled as a failure under the policy. Do not call this from async
    /// code: it blocks the thread.
    #[inline]
    pub fn run_blocking(&self, phase: Phase, ctx: &AuthHookContext) -> Result<(), AuthHookError> {
        // Each arm ends in a call that writes the result where the caller wants it.
        match self.phase(phase).plain() {
            Some([]) => Ok(()),
            Some(fns) => self.run_plain_fns(phase, fns, ctx),
            None => self.run_blocking_planless(phase, ctx),
        }
    }

    /// [`run_blocking`](Self::run_blocking) of a phase that is not a list of plain fns.
    fn run_blocking_planless(
        &self,
        phase: Phase,
        ctx: &AuthHookContext,
    ) -> Result<(), AuthHookError> {
        let hooks = self.phase_hooks(phase);
        if hooks.is_empty() {
            return Ok(());
        }
        self.live.runs.count(phase);
        self.run_blocking_hooks(phase, hooks, ctx)
    }

    /// Runs a phase of plain sync fns, `fns` (one for each of its hooks), and counts the
    /// run.
    ///
    /// With no span to record, the loop is the hand-written one over fn pointers plus a
    /// test of the `bool` each returns: one `catch_unwind` for the whole run (a panic
    /// ends the loop, its hook is settled and the loop goes on after it), and a hook's
    /// error written only when it did not pass.
    #[inline(never)]
    fn run_plain_fns(
        &self,
        phase: Phase,
        fns: &[SyncHookFn],
        ctx: &AuthHookContext,
    ) -> Result<(), AuthHookError> {
        self.live.runs.count(phase);
        let policy = self.policies().get(phase);
        let hooks = self.phase_hooks(phase);
        if hook_spans_enabled() {
            return run_plain_fns_in_spans(phase, policy, hooks, ctx);
        }
        let mut rest = fns.iter();
        loop {
            let mut failed = None;
            let caught = catch_unwind(AssertUnwindSafe(|| {
                for f in rest.by_ref() {
                    if !f(ctx, &mut failed) {
                        return false;
                    }
                }
                true
            }));
            let outcome = match caught {
                Ok(true) => return Ok(()),
                Ok(false) => Ok(Err(failed.unwrap_or_else(failed_silently))),
                Err(payload) => Err(panicked(payload)),
            };
            // The hook that did not pass: the last one the loop took.
            let at = fns.len() - rest.len() - 1;
            settle_unsuccessful(phase, policy, &hooks[at], ctx, outcome)?;
        }
    }

    /// [`run_blocking`](Self::run_blocking) of `hooks`, without counting a new run.
    pub(crate) fn run_blocking_hooks(
        &self,
        phase: Phase,
        mut hooks: &[Hook],
        ctx: &AuthHookContext,
    ) -> Result<(), AuthHookError> {
        let policy = self.policies().get(phase);
        if let Some(timed) = self.phase(phase).timed() {
            return block_on(self.run_timed(phase, policy, timed, hooks, ctx));
        }
        while let Some((hook, rest)) = run_sync_fns(phase, policy, hooks, ctx)? {
            if hook.call.is_async() {
                block_on(self.run_async(phase, policy, hook, ctx, None, false))?;
            } else {
                self.run_sync(phase, policy, hook, ctx, false)?;
            }
            hooks = rest;
        }
        Ok(())
    }

    /// A phase with a budget or hook timing: hook by hook, the clock read around each.
    async fn run_timed(
        &self,
        phase: Phase,
        policy: ErrorPolicy,
        timed: Timed,
        hooks: &[Hook],
        ctx: &AuthHookContext,
    ) -> Result<(), AuthHookError> {
        let start = Instant::now();
        for hook in hooks {
            let left = match timed.budget {
                Some(budget) => match budget.checked_sub(start.elapsed()) {
                    Some(left) if !left.is_zero() => Some(left),
                    _ => return over_budget(phase, policy, hook, ctx, budget),
                },
                None => None,
            };
            if !hook.applies_to(ctx) {
                stats::bump(&hook.counters.skipped);
                continue;
            }
            if hook.call.is_async() {
                self.run_async(phase, policy, hook, ctx, left, timed.record)
                    .await?;
            } else {
                self.run_sync(phase, policy, hook, ctx, timed.record)?;
            }
        }
        Ok(())
    }

    /// One sync hook that the tight loop does not run itself (a closure, or a hook with
    /// a breaker), its breaker consulted.
    fn run_sync(
        &self,
        phase: Phase,
        policy: ErrorPolicy,
        hook: &Hook,
        ctx: &AuthHookContext,
        record: bool,
    ) -> Result<(), AuthHookError> {
        let permit = match self.permit(phase, policy, hook, ctx)? {
            Some(permit) => permit,
            None => return Ok(()),
        };
        let started = record.then(Instant::now);
        let outcome = {
            let span = hook_spans_enabled().then(|| hook_span(hook, ctx));
            let _entered = span.as_ref().map(tracing::Span::enter);
            match &hook.call {
                Call::SyncFn(f) => catch_panic(|| call_sync(*f, ctx)),
                Call::SyncClosure(f) => catch_panic(|| f(ctx)),
                Call::AsyncFn(_) | Call::AsyncClosure(_) => unreachable!("a sync hook"),
            }
        };
        if let Some(started) = started {
            hook.counters.record_duration(started.elapsed());
        }
        self.settle_with_breaker(phase, policy, hook, ctx, outcome, permit)
    }

    /// One async hook, its breaker consulted, cut short after its timeout or `left` of
    /// the phase's budget, whichever comes first.
    async fn run_async(
        &self,
        phase: Phase,
        policy: ErrorPolicy,
        hook: &Hook,
        ctx: &AuthHookContext,
        left: Option<Duration>,
        record: bool,
    ) -> Result<(), AuthHookError> {
        let permit = match self.permit(phase, policy, hook, ctx)? {
            Some(permit) => permit,
            None => return Ok(()),
        };
        let timeout = match (hook.options.timeout, left) {
            (Some(own), Some(left)) => Some(own.min(left)),
            (own, left) => own.or(left),
        };
        let started = record.then(Instant::now);
        // Counts the run as ended here if the caller drops it while the hook runs, and
        // frees a breaker's probe for the next call.
        let cancelled = Cancelled {
            hook,
            permit,
            registry: self,
        };
        let outcome = match &hook.call {
            Call::AsyncFn(f) => call_async(hook, ctx, timeout, || f(ctx)).await,
            Call::AsyncClosure(f) => call_async(hook, ctx, timeout, || f(ctx)).await,
            Call::SyncFn(_) | Call::SyncClosure(_) => unreachable!("an async hook"),
        };
        std::mem::forget(cancelled);
        if let Some(started) = started {
            hook.counters.record_duration(started.elapsed());
        }
        self.settle_with_breaker(phase, policy, hook, ctx, outcome, permit)
    }

    /// Whether to call `hook`: `Some(permit)` to call it, `None` to go on without (an
    /// open breaker with `fallback = "allow"`, or standing in as a failure under `log`).
    #[inline]
    fn permit(
        &self,
        phase: Phase,
        policy: ErrorPolicy,
        hook: &Hook,
        ctx: &AuthHookContext,
    ) -> Result<Option<Permit>, AuthHookError> {
        let Some(breaker) = &hook.breaker else {
            return Ok(Some(Permit::Call));
        };
        match breaker.permit(|| self.live.clock.now_ms()) {
            Permit::Skip => {
                stats::bump(&hook.counters.breaker_skips);
                match breaker.config.fallback {
                    BreakerFallback::Allow => Ok(None),
                    BreakerFallback::Fail => {
                        settle_failure(phase, policy, hook, ctx, HookFailure::BreakerOpen)
                            .map(|()| None)
                    }
                }
            }
            permit => Ok(Some(permit)),
        }
    }

    /// [`settle`], after telling the hook's breaker how the call went.
    fn settle_with_breaker(
        &self,
        phase: Phase,
        policy: ErrorPolicy,
        hook: &Hook,
        ctx: &AuthHookContext,
        outcome: Outcome,
        permit: Permit,
    ) -> Result<(), AuthHookError> {
        if let Some(breaker) = &hook.breaker {
            let failed = matches!(&outcome, Err(_) | Ok(Err(HookError::Failed(_))));
            let transition = if failed {
                breaker.failed(permit, self.live.clock.now_ms())
            } else {
                breaker.succeeded(permit)
            };
            report_transition(hook, ctx, transition);
        }
        settle(phase, policy, hook, ctx, outcome)
    }
}

/// What a dropped async hook leaves behind: its run ended there, and a breaker's probe
/// is free again. Forgotten once the hook finished.
struct Cancelled<'a> {
    hook: &'a Hook,
    permit: Permit,
    registry: &'a AuthHookRegistry,
}

impl Drop for Cancelled<'_> {
    fn drop(&mut self) {
        stats::bump(&self.hook.counters.stopped);
        if let Some(breaker) = &self.hook.breaker {
            breaker.abandoned(self.permit, self.registry.live.clock.now_ms());
        }
    }
}

#[cold]
fn report_transition(hook: &Hook, ctx: &AuthHookContext, transition: Transition) {
    match transition {
        Transition::None => {}
        Transition::Opened => {
            stats::bump(&hook.counters.breaker_opens);
            tracing::warn!(
                phase = hook.phase.as_str(),
                hook = &*hook.name,
                attempt = ctx.attempt_id(),
                open_ms = hook
                    .breaker
                    .as_ref()
                    .map(|b| b.config.open.as_millis() as u64),
                "auth hook circuit breaker opened: the hook is not called until it probes"
            );
        }
        Transition::Closed => tracing::info!(
            phase = hook.phase.as_str(),
            hook = &*hook.name,
            attempt = ctx.attempt_id(),
            "auth hook circuit breaker closed: the probe passed"
        ),
    }
}

/// The phase ran past its budget before `hook`: a phase that may refuse fails closed,
/// another stops here and the flow goes on.
#[cold]
fn over_budget(
    phase: Phase,
    policy: ErrorPolicy,
    hook: &Hook,
    ctx: &AuthHookContext,
    budget: Duration,
) -> Result<(), AuthHookError> {
    stats::bump(&hook.counters.budget_stopped);
    if phase.can_reject() {
        // A fault: fails closed under either policy, whatever the hook's mode.
        let _ = policy;
        tracing::error!(
            phase = phase.as_str(),
            hook = &*hook.name,
            attempt = ctx.attempt_id(),
            budget_ms = budget.as_millis() as u64,
            "auth hooks: the phase ran past its budget; stopping it"
        );
        return Err(AuthHookError::from(AuthHookExecutionError {
            phase,
            hook: hook.name.to_string(),
            source: HookFailure::BudgetExceeded(budget),
        }));
    }
    tracing::warn!(
        phase = phase.as_str(),
        hook = &*hook.name,
        attempt = ctx.attempt_id(),
        budget_ms = budget.as_millis() as u64,
        "auth hooks: the phase ran past its budget; this hook and the ones after it did not run"
    );
    Ok(())
}

/// A phase of plain sync fns when `tracing` records their spans. Out of line, so that
/// the loop without spans keeps its state in registers.
#[cold]
#[inline(never)]
fn run_plain_fns_in_spans(
    phase: Phase,
    policy: ErrorPolicy,
    hooks: &[Hook],
    ctx: &AuthHookContext,
) -> Result<(), AuthHookError> {
    match run_sync_fns(phase, policy, hooks, ctx)? {
        None => Ok(()),
        // Cannot happen (the plan lists plain fns only); were it to, the phase must not
        // pass with a hook not run.
        Some((hook, _)) => Err(AuthHookError::from(AuthHookExecutionError {
            phase,
            hook: hook.name.to_string(),
            source: HookFailure::Error("the phase's plan does not match its hooks".into()),
        })),
    }
}

/// Runs the hooks at the start of `hooks` while they are plain sync fns (skipping those
/// that do not apply to `ctx`), and stops at the first other hook that applies: returns
/// it, with the hooks after it.
///
/// Plain sync fns are what the attribute macros declare without a breaker. Testing for
/// that one kind keeps the loop to one branch a hook: a `match` over every kind
/// compiles to a jump table.
#[inline(always)]
fn run_sync_fns<'h>(
    phase: Phase,
    policy: ErrorPolicy,
    hooks: &'h [Hook],
    ctx: &AuthHookContext,
) -> Result<Option<(&'h Hook, &'h [Hook])>, AuthHookError> {
    // Before the loop's set-up: an empty phase (or the end of one), and a first hook of
    // another kind (each async hook of a phase is reached that way).
    match hooks.split_first() {
        None => Ok(None),
        Some((first, rest)) if first.plain.is_none() && first.applies_to(ctx) => {
            Ok(Some((first, rest)))
        }
        Some(_) => run_sync_fns_loop(phase, policy, hooks, ctx),
    }
}

/// [`run_sync_fns`] for at least one hook. Out of line, with nothing else around it, the
/// loop keeps its state in registers.
#[inline(never)]
fn run_sync_fns_loop<'h>(
    phase: Phase,
    policy: ErrorPolicy,
    hooks: &'h [Hook],
    ctx: &AuthHookContext,
) -> Result<Option<(&'h Hook, &'h [Hook])>, AuthHookError> {
    // Tested once for the whole run of sync fns: a subscriber set meanwhile is seen from
    // the next dispatch (or the next async hook) on.
    let spans = hook_spans_enabled();
    let mut hooks = hooks.iter();
    while let Some(hook) = hooks.next() {
        if !hook.applies_to(ctx) {
            stats::bump(&hook.counters.skipped);
            continue;
        }
        let Some(f) = hook.plain else {
            return Ok(Some((hook, hooks.as_slice())));
        };
        call_plain(phase, policy, hook, ctx, spans, || call_sync(f, ctx))?;
    }
    Ok(None)
}

fn hook_span(hook: &Hook, ctx: &AuthHookContext) -> tracing::Span {
    tracing::info_span!(
        "auth_hook",
        phase = hook.phase.as_str(),
        hook = &*hook.name,
        attempt = ctx.attempt_id()
    )
}

/// Whether `tracing` may record a hook's span: the test `info_span!` starts with. When it
/// fails, `info_span!` makes a disabled span, so a sync hook runs without one. (Only
/// `tracing`'s `log` compatibility feature, with no subscriber set, would have logged
/// that disabled span's enter and exit.)
#[inline(always)]
fn hook_spans_enabled() -> bool {
    Level::INFO <= STATIC_MAX_LEVEL && Level::INFO <= LevelFilter::current()
}

/// Runs one plain sync hook, catching a panic, and settles what it came to.
///
/// Shaped for the common success, which then costs little more than the call: no span
/// when `tracing` records none, only a `bool` crossing `catch_unwind`, and the hook's
/// result (a large value) moved only when it is not `Ok(())`. `ManuallyDrop` spares the
/// drop checks of values that own nothing on that path (`Ok(())`, and the empty slot).
#[inline(always)]
fn call_plain(
    phase: Phase,
    policy: ErrorPolicy,
    hook: &Hook,
    ctx: &AuthHookContext,
    spans: bool,
    call: impl FnOnce() -> crate::HookResult,
) -> Result<(), AuthHookError> {
    if spans {
        return call_plain_in_span(phase, policy, hook, ctx, call);
    }
    let mut unsuccessful = ManuallyDrop::new(None);
    let caught = catch_unwind(AssertUnwindSafe(|| {
        let returned = ManuallyDrop::new(call());
        let succeeded = returned.is_ok();
        if !succeeded {
            unsuccessful = ManuallyDrop::new(Some(ManuallyDrop::into_inner(returned)));
        }
        succeeded
    }));
    match caught {
        Ok(true) => Ok(()),
        Ok(false) => {
            let returned = ManuallyDrop::into_inner(unsuccessful).unwrap_or(Ok(()));
            settle_unsuccessful(phase, policy, hook, ctx, Ok(returned))
        }
        Err(payload) => settle_unsuccessful(phase, policy, hook, ctx, Err(panicked(payload))),
    }
}

/// [`call_plain`] when `tracing` records the hook's span.
#[inline(never)]
fn call_plain_in_span(
    phase: Phase,
    policy: ErrorPolicy,
    hook: &Hook,
    ctx: &AuthHookContext,
    call: impl FnOnce() -> crate::HookResult,
) -> Result<(), AuthHookError> {
    let outcome = {
        let span = hook_span(hook, ctx);
        let _entered = span.enter();
        catch_panic(call)
    };
    settle(phase, policy, hook, ctx, outcome)
}

async fn call_async<'a>(
    hook: &Hook,
    ctx: &AuthHookContext,
    timeout: Option<Duration>,
    start: impl FnOnce() -> crate::HookFuture<'a>,
) -> Outcome {
    if !hook_spans_enabled() {
        // As for sync hooks: the span would be a disabled one.
        return guard_future(catch_panic(start)?, timeout).await;
    }
    let span = hook_span(hook, ctx);
    let future = span.in_scope(|| catch_panic(start))?;
    guard_future(future, timeout).instrument(span).await
}

/// Decides what one hook's outcome means for the phase: inline for the common success,
/// out of line for the rest.
#[inline(always)]
fn settle(
    phase: Phase,
    policy: ErrorPolicy,
    hook: &Hook,
    ctx: &AuthHookContext,
    outcome: Outcome,
) -> Result<(), AuthHookError> {
    // `Ok(Ok(()))` owns nothing: no drop to check on the way out.
    let outcome = ManuallyDrop::new(outcome);
    if matches!(*outcome, Ok(Ok(()))) {
        return Ok(());
    }
    settle_unsuccessful(phase, policy, hook, ctx, ManuallyDrop::into_inner(outcome))
}

#[cold]
#[inline(never)]
fn settle_unsuccessful(
    phase: Phase,
    policy: ErrorPolicy,
    hook: &Hook,
    ctx: &AuthHookContext,
    outcome: Outcome,
) -> Result<(), AuthHookError> {
    let shadow = hook.options.mode == HookMode::Shadow;
    let failure = match outcome {
        Ok(Ok(())) => return Ok(()),
        Ok(Err(HookError::Reject(reject))) if phase.can_reject() && shadow => {
            stats::bump(&hook.counters.would_deny);
            tracing::info!(
                phase = phase.as_str(),
                hook = &*hook.name,
                attempt = ctx.attempt_id(),
                message = %LogSafe(reject.message()),
                reason = reject.reason().map(LogSafe).map(tracing::field::display),
                "shadow auth hook would have denied; not enforced"
            );
            return Ok(());
        }
        Ok(Err(HookError::Reject(reject))) if phase.can_reject() => {
            stats::bump(&hook.counters.rejects);
            stats::bump(&hook.counters.stopped);
            tracing::info!(
                phase = phase.as_str(),
                hook = &*hook.name,
                attempt = ctx.attempt_id(),
                reason = reject.reason().map(LogSafe).map(tracing::field::display),
                "login rejected by auth hook"
            );
            return Err(AuthHookError::rejected(hook.name.to_string(), reject));
        }
        Ok(Err(HookError::Reject(reject))) => {
            tracing::warn!(
                phase = phase.as_str(),
                hook = &*hook.name,
                attempt = ctx.attempt_id(),
                reason = reject.reason().map(LogSafe).map(tracing::field::display),
                "auth hook rejected after the fact; a reject only stops before_authenticate, before_login, on_refresh and before_register, ignored"
            );
            return Ok(());
        }
        Ok(Err(HookError::Failed(error))) => HookFailure::Error(error),
        Ok(Err(HookError::Challenge(challenge))) if phase == Phase::BeforeLogin && shadow => {
            stats::bump(&hook.counters.would_deny);
            tracing::info!(
                phase = phase.as_str(),
                hook = &*hook.name,
                attempt = ctx.attempt_id(),
                factor = %LogSafe(challenge.factor()),
                "shadow auth hook would have required a second factor; not enforced"
            );
            return Ok(());
        }
        Ok(Err(HookError::Challenge(challenge))) => {
            match resume::challenged(phase, hook, challenge) {
                Ok(challenged) => {
                    stats::bump(&hook.counters.stopped);
                    return Err(challenged);
                }
                Err(misplaced) => misplaced,
            }
        }
        Err(failure) => failure,
    };
    if matches!(failure, HookFailure::TimedOut(_)) {
        stats::bump(&hook.counters.timeouts);
    }
    stats::bump(if shadow {
        &hook.counters.would_fail
    } else {
        &hook.counters.failures
    });
    settle_failure(phase, policy, hook, ctx, failure)
}

/// What a failure (counted already) does to the phase, under the hook's policy.
#[cold]
#[inline(never)]
fn settle_failure(
    phase: Phase,
    policy: ErrorPolicy,
    hook: &Hook,
    ctx: &AuthHookContext,
    failure: HookFailure,
) -> Result<(), AuthHookError> {
    let policy = hook.policy(policy);
    if hook.options.mode == HookMode::Shadow {
        tracing::warn!(
            phase = phase.as_str(),
            hook = &*hook.name,
            attempt = ctx.attempt_id(),
            error = %LogSafe(&failure),
            "shadow auth hook failed; not enforced"
        );
        return Ok(());
    }
    match policy {
        ErrorPolicy::Log if !(phase.can_reject() && failure.is_fault()) => {
            tracing::error!(
                phase = phase.as_str(),
                hook = &*hook.name,
                attempt = ctx.attempt_id(),
                error = %LogSafe(&failure),
                "auth hook failed; continuing under the `log` policy"
            );
            Ok(())
        }
        _ => {
            if !matches!(failure, HookFailure::BudgetExceeded(_)) {
                stats::bump(&hook.counters.stopped);
            }
            tracing::error!(
                phase = phase.as_str(),
                hook = &*hook.name,
                attempt = ctx.attempt_id(),
                policy = policy.as_str(),
                error = %LogSafe(&failure),
                "auth hook failed; stopping the phase"
            );
            Err(AuthHookError::from(AuthHookExecutionError {
                phase,
                hook: hook.name.to_string(),
                source: failure,
            }))
        }
    }
}
