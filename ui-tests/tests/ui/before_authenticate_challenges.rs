use auth_hooks::{before_authenticate, AuthHookChallenge, AuthHookContext};

#[before_authenticate]
fn require_a_code(_ctx: &AuthHookContext) -> Result<(), AuthHookChallenge> {
    Err(AuthHookChallenge::totp())
}

fn main() {}
