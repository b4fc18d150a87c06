use auth_hooks::{before_login, AuthHookContext};

#[before_login]
fn allow(_ctx: &AuthHookContext) -> bool {
    true
}

fn main() {}
