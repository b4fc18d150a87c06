//! Running the hooks of a phase, in order, under the phase's policy.

use tracing::Instrument;

use crate::block_on::block_on;
use crate::guard::{catch_panic, guard_future, Outcome};
use crate::hook::{Call, Hook};
use crate::{
    AuthHookContext, AuthHookError, AuthHookExecutionError, AuthHookRegistry, ErrorPolicy,
    HookError, HookFailure, HookFn, Phase,
};

impl AuthHookRegistry {
    /// Runs the hooks of `phase` for `ctx`, one after the other, in order.
    ///
    /// - A hook whose `backend` list does not hold the context's backend is skipped.
    /// - A [`AuthHookReject`](crate::AuthHookReject) in `before_login` stops the phase
    ///   under any policy: `Err(AuthHookError::Rejected)`. In later phases it is logged as
    ///   a warning and the next hook runs.
    /// - A failure (an error, a caught panic, an overrun `timeout_ms`) is logged with the
    ///   phase and hook name; under `log` the next hook runs, under `raise` the phase
    ///   stops with `Err(AuthHookError::Failed)`.
    ///
    /// Sync hooks run inline; async hooks are awaited on the caller's executor (any
    /// executor, a single-threaded one included). Dropping the returned future cancels
    /// the running hook and runs no further ones.
    pub async fn run(&self, phase: Phase, ctx: &AuthHookContext) -> Result<(), AuthHookError> {
        let policy = self.policies().get(phase);
        for hook in self.phase_hooks(phase) {
            if !hook.applies_to(ctx) {
                continue;
            }
            let outcome = match &hook.call {
                Call::Fn(HookFn::Sync(f)) => call_sync(hook, || f(ctx)),
                Call::SyncClosure(f) => call_sync(hook, || f(ctx)),
                Call::Fn(HookFn::Async(f)) => call_async(hook, || f(ctx)).await,
                Call::AsyncClosure(f) => call_async(hook, || f(ctx)).await,
            };
            settle(phase, policy, hook, outcome)?;
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
        for hook in self.phase_hooks(phase) {
            if !hook.applies_to(ctx) {
                continue;
            }
            let outcome = match &hook.call {
                Call::Fn(HookFn::Sync(f)) => call_sync(hook, || f(ctx)),
                Call::SyncClosure(f) => call_sync(hook, || f(ctx)),
                Call::Fn(HookFn::Async(f)) => block_on(call_async(hook, || f(ctx))),
                Call::AsyncClosure(f) => block_on(call_async(hook, || f(ctx))),
            };
            settle(phase, policy, hook, outcome)?;
        }
        Ok(())
    }
}

fn hook_span(hook: &Hook) -> tracing::Span {
    tracing::info_span!("auth_hook", phase = hook.phase.as_str(), hook = &*hook.name)
}

#[inline]
fn call_sync(hook: &Hook, call: impl FnOnce() -> crate::HookResult) -> Outcome {
    let span = hook_span(hook);
    let _entered = span.enter();
    catch_panic(call)
}

async fn call_async<'a>(hook: &Hook, start: impl FnOnce() -> crate::HookFuture<'a>) -> Outcome {
    let span = hook_span(hook);
    let future = span.in_scope(|| catch_panic(start))?;
    guard_future(future, hook.options.timeout)
        .instrument(span)
        .await
}

/// Decides what one hook's outcome means for the phase.
fn settle(
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
                reason = reject.reason(),
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
                reason = reject.reason(),
                "auth hook rejected after the fact; a reject only stops before_login, ignored"
            );
            return Ok(());
        }
        Ok(Err(HookError::Failed(error))) => HookFailure::Error(error),
        Err(failure) => failure,
    };
    match policy {
        ErrorPolicy::Log => {
            tracing::error!(
                phase = phase.as_str(),
                hook = &*hook.name,
                error = %failure,
                "auth hook failed; continuing under the `log` policy"
            );
            Ok(())
        }
        ErrorPolicy::Raise => {
            tracing::error!(
                phase = phase.as_str(),
                hook = &*hook.name,
                error = %failure,
                "auth hook failed; stopping under the `raise` policy"
            );
            Err(AuthHookError::Failed(AuthHookExecutionError {
                phase,
                hook: hook.name.to_string(),
                source: failure,
            }))
        }
    }
}
