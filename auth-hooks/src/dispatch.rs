//! Running the hooks of a phase, in order, under the phase's policy.

use std::mem::ManuallyDrop;
use std::panic::{catch_unwind, AssertUnwindSafe};

use tracing::level_filters::{LevelFilter, STATIC_MAX_LEVEL};
use tracing::{Instrument, Level};

use crate::block_on::block_on;
use crate::guard::{catch_panic, guard_future, panicked, Outcome};
use crate::hook::{Call, Hook};
use crate::LogSafe;
mod resume;

use crate::{
    AuthHookContext, AuthHookError, AuthHookExecutionError, AuthHookRegistry, ErrorPolicy,
    HookError, HookFailure, Phase,
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
    ///   stops with `Err(AuthHookError::Failed)`.
    /// - In a phase that may refuse, a panic or an overrun timeout stops the phase with
    ///   `Err(AuthHookError::Failed)` under either policy: a gate that crashed or hung
    ///   decided nothing, so it never lets a login through. `log` there tolerates only
    ///   errors a hook returns on purpose.
    ///
    /// Sync hooks run inline; async hooks are awaited on the caller's executor (any
    /// executor, a single-threaded one included). Dropping the returned future cancels
    /// the running hook and runs no further ones.
    pub async fn run(&self, phase: Phase, ctx: &AuthHookContext) -> Result<(), AuthHookError> {
        let policy = self.policies().get(phase);
        let mut hooks = self.phase_hooks(phase);
        // Sync fns, the common kind, run in a plain loop outside this future's state
        // machine; it stops at any other kind of hook, which runs here.
        while let Some((hook, rest)) = run_sync_fns(phase, policy, hooks, ctx)? {
            match &hook.call {
                Call::SyncFn(f) => run_sync(phase, policy, hook, hook_spans_enabled(), || f(ctx))?,
                Call::SyncClosure(f) => {
                    run_sync(phase, policy, hook, hook_spans_enabled(), || f(ctx))?
                }
                Call::AsyncFn(f) => settle(phase, policy, hook, call_async(hook, || f(ctx)).await)?,
                Call::AsyncClosure(f) => {
                    settle(phase, policy, hook, call_async(hook, || f(ctx)).await)?
                }
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
    pub fn run_blocking(&self, phase: Phase, ctx: &AuthHookContext) -> Result<(), AuthHookError> {
        let policy = self.policies().get(phase);
        let mut hooks = self.phase_hooks(phase);
        while let Some((hook, rest)) = run_sync_fns(phase, policy, hooks, ctx)? {
            match &hook.call {
                Call::SyncFn(f) => run_sync(phase, policy, hook, hook_spans_enabled(), || f(ctx))?,
                Call::SyncClosure(f) => {
                    run_sync(phase, policy, hook, hook_spans_enabled(), || f(ctx))?
                }
                Call::AsyncFn(f) => {
                    settle(phase, policy, hook, block_on(call_async(hook, || f(ctx))))?
                }
                Call::AsyncClosure(f) => {
                    settle(phase, policy, hook, block_on(call_async(hook, || f(ctx))))?
                }
            }
            hooks = rest;
        }
        Ok(())
    }
}

/// Runs the hooks at the start of `hooks` while they are sync fns (skipping those that do
/// not apply to `ctx`), and stops at the first other hook that applies: returns it, with
/// the hooks after it.
///
/// Sync fns are what the attribute macros declare. Testing for that one kind keeps the
/// loop to one branch a hook: a `match` over every kind compiles to a jump table.
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
        Some((first, rest)) if !matches!(first.call, Call::SyncFn(_)) && first.applies_to(ctx) => {
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
            continue;
        }
        let Call::SyncFn(f) = &hook.call else {
            return Ok(Some((hook, hooks.as_slice())));
        };
        run_sync(phase, policy, hook, spans, || f(ctx))?;
    }
    Ok(None)
}

fn hook_span(hook: &Hook) -> tracing::Span {
    tracing::info_span!("auth_hook", phase = hook.phase.as_str(), hook = &*hook.name)
}

/// Whether `tracing` may record a hook's span: the test `info_span!` starts with. When it
/// fails, `info_span!` makes a disabled span, so a sync hook runs without one. (Only
/// `tracing`'s `log` compatibility feature, with no subscriber set, would have logged
/// that disabled span's enter and exit.)
#[inline(always)]
fn hook_spans_enabled() -> bool {
    Level::INFO <= STATIC_MAX_LEVEL && Level::INFO <= LevelFilter::current()
}

/// Runs one sync hook, catching a panic, and settles what it came to.
///
/// Shaped for the common success, which then costs little more than the call: no span
/// when `tracing` records none, only a `bool` crossing `catch_unwind`, and the hook's
/// result (a large value) moved only when it is not `Ok(())`. `ManuallyDrop` spares the
/// drop checks of values that own nothing on that path (`Ok(())`, and the empty slot).
#[inline(always)]
fn run_sync(
    phase: Phase,
    policy: ErrorPolicy,
    hook: &Hook,
    spans: bool,
    call: impl FnOnce() -> crate::HookResult,
) -> Result<(), AuthHookError> {
    if spans {
        return run_sync_in_span(phase, policy, hook, call);
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
            settle_unsuccessful(phase, policy, hook, Ok(returned))
        }
        Err(payload) => settle_unsuccessful(phase, policy, hook, Err(panicked(payload))),
    }
}

/// [`run_sync`] when `tracing` records the hook's span.
#[inline(never)]
fn run_sync_in_span(
    phase: Phase,
    policy: ErrorPolicy,
    hook: &Hook,
    call: impl FnOnce() -> crate::HookResult,
) -> Result<(), AuthHookError> {
    let outcome = {
        let span = hook_span(hook);
        let _entered = span.enter();
        catch_panic(call)
    };
    settle(phase, policy, hook, outcome)
}

async fn call_async<'a>(hook: &Hook, start: impl FnOnce() -> crate::HookFuture<'a>) -> Outcome {
    if !hook_spans_enabled() {
        // As for sync hooks: the span would be a disabled one.
        return guard_future(catch_panic(start)?, hook.options.timeout).await;
    }
    let span = hook_span(hook);
    let future = span.in_scope(|| catch_panic(start))?;
    guard_future(future, hook.options.timeout)
        .instrument(span)
        .await
}

/// Decides what one hook's outcome means for the phase: inline for the common success,
/// out of line for the rest.
#[inline(always)]
fn settle(
    phase: Phase,
    policy: ErrorPolicy,
    hook: &Hook,
    outcome: Outcome,
) -> Result<(), AuthHookError> {
    // `Ok(Ok(()))` owns nothing: no drop to check on the way out.
    let outcome = ManuallyDrop::new(outcome);
    if matches!(*outcome, Ok(Ok(()))) {
        return Ok(());
    }
    settle_unsuccessful(phase, policy, hook, ManuallyDrop::into_inner(outcome))
}

#[cold]
#[inline(never)]
fn settle_unsuccessful(
    phase: Phase,
    policy: ErrorPolicy,
    hook: &Hook,
    outcome: Outcome,
) -> Result<(), AuthHookError> {
    let failure = match outcome {
        Ok(Ok(())) => return Ok(()),
        Ok(Err(HookError::Reject(reject))) if phase.can_reject() => {
            tracing::info!(
                phase = phase.as_str(),
                hook = &*hook.name,
                reason = reject.reason().map(|r| tracing::field::display(LogSafe(r))),
                "login rejected by auth hook"
            );
            return Err(AuthHookError::Rejected {
                hook: hook.name.to_string(),
                reject,
            });
        }
        Ok(Err(HookError::Reject(reject))) => {
            tracing::warn!(
                phase = phase.as_str(),
                hook = &*hook.name,
                reason = reject.reason().map(|r| tracing::field::display(LogSafe(r))),
                "auth hook rejected after the fact; a reject only stops before_authenticate, before_login, on_refresh and before_register, ignored"
            );
            return Ok(());
        }
        Ok(Err(HookError::Failed(error))) => HookFailure::Error(error),
        Ok(Err(HookError::Challenge(challenge))) => {
            match resume::challenged(phase, hook, challenge) {
                Ok(challenged) => return Err(challenged),
                Err(misplaced) => misplaced,
            }
        }
        Err(failure) => failure,
    };
    match policy {
        ErrorPolicy::Log if !(phase.can_reject() && failure.is_fault()) => {
            tracing::error!(
                phase = phase.as_str(),
                hook = &*hook.name,
                error = %LogSafe(&failure),
                "auth hook failed; continuing under the `log` policy"
            );
            Ok(())
        }
        _ => {
            tracing::error!(
                phase = phase.as_str(),
                hook = &*hook.name,
                policy = policy.as_str(),
                error = %LogSafe(&failure),
                "auth hook failed; stopping the phase"
            );
            Err(AuthHookError::Failed(AuthHookExecutionError {
                phase,
                hook: hook.name.to_string(),
                source: failure,
            }))
        }
    }
}
