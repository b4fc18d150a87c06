use auth_hooks::{before_login, AuthHookContext};

#[before_login(breaker(failures = 0, open_ms = 100))]
fn hook(_ctx: &AuthHookContext) {}

fn main() {}
