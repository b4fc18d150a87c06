use auth_hooks::{on_logout, AuthHookContext, AuthHookReject};

#[on_logout]
async fn keep_logged_in(_ctx: &AuthHookContext) -> Result<(), AuthHookReject> {
    Ok(())
}

fn main() {}
