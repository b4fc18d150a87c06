use auth_hooks::{before_login, AuthHookContext};

#[before_login(mode = "shdow")]
fn hook(_ctx: &AuthHookContext) {}

fn main() {}
