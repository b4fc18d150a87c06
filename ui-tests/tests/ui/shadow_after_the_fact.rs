use auth_hooks::{on_login, AuthHookContext};

#[on_login(mode = "shadow")]
fn hook(_ctx: &AuthHookContext) {}

fn main() {}
