use auth_hooks::{on_login, AuthHookContext};

#[on_login(timeout_ms = -1)]
async fn audit(_ctx: &AuthHookContext) {}

fn main() {}
