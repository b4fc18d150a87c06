use auth_hooks::{on_login, AuthHookContext};

#[on_login(timeout_ms = 250)]
fn audit(_ctx: &AuthHookContext) {}

fn main() {}
