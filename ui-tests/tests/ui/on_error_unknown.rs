use auth_hooks::{on_login, AuthHookContext};

#[on_login(on_error = "ignore")]
fn hook(_ctx: &AuthHookContext) {}

fn main() {}
