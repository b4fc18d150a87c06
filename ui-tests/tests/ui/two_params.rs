use auth_hooks::{on_login, AuthHookContext};

#[on_login]
fn audit(_ctx: &AuthHookContext, _user_id: u64) {}

fn main() {}
