use auth_hooks::{on_password_change, AuthHookContext, AuthHookReject};

#[on_password_change]
async fn refuse_reuse(_ctx: &AuthHookContext) -> Result<(), AuthHookReject> {
    Ok(())
}

fn main() {}
