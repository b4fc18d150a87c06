use auth_hooks::{on_login, AuthHookContext};

#[on_login]
fn audit(_ctx: &mut AuthHookContext) {}

fn main() {}
