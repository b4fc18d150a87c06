use auth_hooks::{on_login, AuthHookContext};

#[on_login(priority = 1, priority = 2)]
fn audit(_ctx: &AuthHookContext) {}

fn main() {}
