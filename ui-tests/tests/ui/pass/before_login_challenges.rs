use auth_hooks::{before_login, AuthHookChallenge, AuthHookContext, HookError};

#[before_login]
fn admins(ctx: &AuthHookContext) -> Result<(), AuthHookChallenge> {
    match ctx.username() {
        Some("root") => Err(AuthHookChallenge::totp()),
        _ => Ok(()),
    }
}

#[before_login]
async fn risky(ctx: &AuthHookContext) -> Result<(), HookError> {
    if ctx.username() == Some("mallory") {
        Err(auth_hooks::AuthHookReject::new("no"))?;
    }
    Err(AuthHookChallenge::new("webauthn"))?;
    Ok(())
}

fn main() {}
