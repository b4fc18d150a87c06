use auth_hooks::{on_login, AuthHookContext};

#[on_login]
extern "C" fn audit(_ctx: &AuthHookContext) {}

fn main() {}
