use auth_hooks::{on_login, AuthHookContext};

#[on_login(priority = "high")]
fn audit(_ctx: &AuthHookContext) {}

fn main() {}
