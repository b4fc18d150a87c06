//! Every per-hook control, as the attribute takes it.
use auth_hooks::{before_authenticate, before_login, on_login, AuthHookContext, AuthHookReject};

#[before_login(mode = "shadow")]
fn new_ban_rule(_ctx: &AuthHookContext) -> Result<(), AuthHookReject> {
    Ok(())
}

#[before_authenticate(on_error = "log", breaker(failures = 3, open_ms = 30000), fallback = "allow")]
async fn geo_ip(_ctx: &AuthHookContext) -> Result<(), std::io::Error> {
    Ok(())
}

#[on_login(on_error = "raise", mode = "enforce", breaker(open_ms = 500, failures = 1))]
fn audit(_ctx: &AuthHookContext) {}

fn main() {}
