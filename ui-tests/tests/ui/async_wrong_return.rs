use auth_hooks::{before_login, AuthHookContext};

#[before_login]
async fn allow(_ctx: &AuthHookContext) -> Option<()> {
    None
}

fn main() {}
