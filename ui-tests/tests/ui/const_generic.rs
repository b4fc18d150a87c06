use auth_hooks::{on_login, AuthHookContext};

#[on_login]
fn audit<const N: usize>(_ctx: &AuthHookContext) {}

fn main() {}
