use auth_hooks::{on_refresh, AuthHookChallenge, AuthHookContext};

// Refresh never challenges: the factors of the original login stand.
#[on_refresh]
async fn require_a_code(_ctx: &AuthHookContext) -> Result<(), AuthHookChallenge> {
    Err(AuthHookChallenge::totp())
}

fn main() {}
