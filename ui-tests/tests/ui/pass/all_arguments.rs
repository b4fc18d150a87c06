use auth_hooks::{on_login, AuthHookContext};

#[on_login(
    name = "audit_login",
    priority = -5,
    backend = ["password", "oauth"],
    timeout_ms = 250,
    crate = auth_hooks,
)]
async fn audit(_ctx: &AuthHookContext) {}

#[on_login(backend = "password", backend = "passkey", priority = 10)]
fn repeated_backend(_ctx: &AuthHookContext) {}

fn main() {}
