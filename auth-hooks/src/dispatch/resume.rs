//! Challenges, and resuming a phase after the hook that challenged.

use crate::hook::Hook;
use crate::{
    AuthHookChallenge, AuthHookContext, AuthHookError, AuthHookExecutionError, AuthHookRegistry,
    HookFailure, Phase,
};

/// What a challenge returned by `hook` means: in `before_login`, the login waits for the
/// factor; anywhere else it is a failure (settled under the phase's policy).
pub(super) fn challenged(
    phase: Phase,
    hook: &Hook,
    challenge: AuthHookChallenge,
) -> Result<AuthHookError, HookFailure> {
    if phase == Phase::BeforeLogin {
        tracing::info!(
            phase = phase.as_str(),
            hook = &*hook.name,
            factor = challenge.factor(),
            "second factor required by auth hook"
        );
        return Ok(AuthHookError::challenged(hook.name.to_string(), challenge));
    }
    Err(HookFailure::Error(
        format!("returned a second-factor challenge in {phase}: only before_login may challenge")
            .into(),
    ))
}

impl AuthHookRegistry {
    /// Runs the hooks of `phase` that come after the hook named `after`, like
    /// [`run`](Self::run): how a login resumes once the second factor a `before_login`
    /// hook required ([`AuthHookError::Challenged`]) has passed. Hook names are unique
    /// in a phase.
    ///
    /// No hook named `after` in `phase` (the registry changed since the challenge) is a
    /// failure under every policy: the login does not go on.
    pub async fn run_after(
        &self,
        phase: Phase,
        ctx: &AuthHookContext,
        after: &str,
    ) -> Result<(), AuthHookError> {
        let hooks = self.hooks_after(phase, after)?;
        self.run_hooks(phase, hooks, ctx).await
    }

    /// [`run_after`](Self::run_after) without an async runtime, like
    /// [`run_blocking`](Self::run_blocking).
    pub fn run_blocking_after(
        &self,
        phase: Phase,
        ctx: &AuthHookContext,
        after: &str,
    ) -> Result<(), AuthHookError> {
        let hooks = self.hooks_after(phase, after)?;
        self.run_blocking_hooks(phase, hooks, ctx)
    }

    /// The hooks of `phase` after the one named `after`.
    fn hooks_after(&self, phase: Phase, after: &str) -> Result<&[Hook], AuthHookError> {
        let hooks = self.phase_hooks(phase);
        match hooks.iter().position(|hook| hook.name == after) {
            Some(index) => {
                // The run this resumes goes on past the challenge: the hooks after it are
                // reached after all.
                // Saturating: the challenge may have been counted by another instance.
                let _ = hooks[index].counters.stopped.fetch_update(
                    std::sync::atomic::Ordering::Relaxed,
                    std::sync::atomic::Ordering::Relaxed,
                    |n| n.checked_sub(1),
                );
                Ok(&hooks[index + 1..])
            }
            None => {
                tracing::error!(
                    phase = phase.as_str(),
                    hook = %crate::LogSafe(after),
                    "cannot resume after an auth hook that is not registered; the login stops"
                );
                Err(AuthHookError::from(AuthHookExecutionError {
                    phase,
                    hook: after.to_owned(),
                    source: HookFailure::Error(
                        "no hook of this name to resume after: the registry changed".into(),
                    ),
                }))
            }
        }
    }
}
