use auth_hooks::{on_login, AuthHookContext};

#[on_login(name = 5)]
fn audit(_ctx: &AuthHookContext) {}

fn main() {}
