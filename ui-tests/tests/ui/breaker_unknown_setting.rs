use auth_hooks::{before_login, AuthHookContext};

#[before_login(breaker(failures = 3, open = 100))]
fn hook(_ctx: &AuthHookContext) {}

fn main() {}
