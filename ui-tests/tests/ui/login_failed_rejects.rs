use auth_hooks::{on_login_failed, AuthHookContext, AuthHookReject};

#[on_login_failed]
fn count_failure(_ctx: &AuthHookContext) -> Result<(), AuthHookReject> {
    Ok(())
}

fn main() {}
