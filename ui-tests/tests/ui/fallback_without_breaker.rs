use auth_hooks::{before_login, AuthHookContext};

#[before_login(fallback = "allow")]
fn hook(_ctx: &AuthHookContext) {}

fn main() {}
