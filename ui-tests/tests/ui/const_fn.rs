use auth_hooks::{on_login, AuthHookContext};

#[on_login]
const fn audit(_ctx: &AuthHookContext) {}

fn main() {}
