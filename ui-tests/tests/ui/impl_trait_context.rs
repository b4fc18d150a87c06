use auth_hooks::{on_login, AuthHookContext};

#[on_login]
fn audit(_ctx: &impl AsRef<AuthHookContext>) {}

fn main() {}
