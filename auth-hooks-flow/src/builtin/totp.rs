//! Requires a TOTP code (or a recovery code) at the login of every user who enrolled an
//! authenticator app.
//!
//! Activate with `auth_hooks::ready!(auth_hooks_flow::builtin::totp)` and configure the
//! flow with [`AuthFlowBuilder::second_factor`](crate::AuthFlowBuilder::second_factor)
//! (which attaches the [`SecondFactor`] this hook reads).
//!
//! One hook, `require` (`before_login`, priority 950 000): a user with a confirmed TOTP
//! secret gets [`AuthHookChallenge::totp`] instead of a session. It runs before the
//! lockout's and the IP throttle's `settle` (900 000), so their counts are cleared only
//! once the code passed: a password without its code keeps its reserved attempt, and
//! every code is counted through the same gate until one is right. A challenging hook
//! of your own gets the same by a priority above 900 000.

use crate::builtin::{required, MissingExtension};
use crate::second_factor::SecondFactor;
use auth_hooks::{before_login, AuthHookChallenge, AuthHookContext, HookError};

/// What `require` needs in the context.
pub(crate) const MISSING: MissingExtension = MissingExtension {
    hook: "auth_hooks_flow::builtin::totp::require",
    extension: "auth_hooks_flow::second_factor::SecondFactor",
    fix: "configure one with AuthFlowBuilder::second_factor(SecondFactor::new(factors, continuations)?)",
};

/// Challenges a user who has a confirmed TOTP secret.
#[before_login(priority = 950000)]
pub async fn require(ctx: &AuthHookContext) -> Result<(), HookError> {
    let second_factor: &SecondFactor = required(ctx, MISSING)?;
    let Some(user_id) = ctx.user_id() else {
        return Ok(());
    };
    if second_factor.has_totp(user_id).await? {
        return Err(AuthHookChallenge::totp().into());
    }
    Ok(())
}
