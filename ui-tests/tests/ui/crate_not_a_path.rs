use auth_hooks::{on_login, AuthHookContext};

#[on_login(crate = "auth_hooks")]
fn audit(_ctx: &AuthHookContext) {}

fn main() {}
