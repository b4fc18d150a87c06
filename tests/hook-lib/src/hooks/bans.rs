//! A deny-list hook.

use auth_hooks::{before_login, on_login, AuthHookContext, AuthHookReject};

use crate::Trail;

/// Refuses `mallory`.
#[before_login]
pub fn deny_banned(ctx: &AuthHookContext) -> Result<(), AuthHookReject> {
    Trail::record(ctx, "bans::deny_banned");
    match ctx.username() {
        Some("mallory") => Err(AuthHookReject::new("This account is suspended.")),
        _ => Ok(()),
    }
}

/// Runs on login, declared in the first file by path order.
#[on_login]
pub fn login_bans(ctx: &AuthHookContext) {
    Trail::record(ctx, "bans::login");
}
