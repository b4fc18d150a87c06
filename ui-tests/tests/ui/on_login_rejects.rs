use auth_hooks::{on_login, AuthHookContext, AuthHookReject};

#[on_login]
fn require_verified_email(_ctx: &AuthHookContext) -> Result<(), AuthHookReject> {
    Err(AuthHookReject::new("Verify your e-mail address first."))
}

fn main() {}
