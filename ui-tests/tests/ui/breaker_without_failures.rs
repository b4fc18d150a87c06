use auth_hooks::{before_login, AuthHookContext};

#[before_login(breaker(open_ms = 1000))]
fn hook(_ctx: &AuthHookContext) {}

fn main() {}
