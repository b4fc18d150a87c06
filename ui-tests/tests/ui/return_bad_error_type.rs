use auth_hooks::{on_login, AuthHookContext};

#[on_login]
fn audit(_ctx: &AuthHookContext) -> Result<(), u32> {
    Err(404)
}

fn main() {}
