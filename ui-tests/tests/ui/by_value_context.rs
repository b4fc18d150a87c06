use auth_hooks::{on_login, AuthHookContext};

#[on_login]
fn audit(_ctx: AuthHookContext) {}

fn main() {}
