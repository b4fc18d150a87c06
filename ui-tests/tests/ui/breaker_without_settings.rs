use auth_hooks::{before_login, AuthHookContext};

#[before_login(breaker = 3)]
fn hook(_ctx: &AuthHookContext) {}

fn main() {}
