use auth_hooks::{on_login, AuthHookContext};

#[on_login(backend = 3)]
fn audit(_ctx: &AuthHookContext) {}

fn main() {}
