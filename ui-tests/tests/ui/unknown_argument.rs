use auth_hooks::{on_login, AuthHookContext};

#[on_login(order = 1)]
fn audit(_ctx: &AuthHookContext) {}

fn main() {}
