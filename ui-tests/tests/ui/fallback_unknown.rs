use auth_hooks::{before_login, AuthHookContext};

#[before_login(breaker(failures = 3, open_ms = 100), fallback = "pass")]
fn hook(_ctx: &AuthHookContext) {}

fn main() {}
