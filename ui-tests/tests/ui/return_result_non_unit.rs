use auth_hooks::{on_login, AuthHookContext};

#[on_login]
fn audit(_ctx: &AuthHookContext) -> Result<i32, std::io::Error> {
    Ok(1)
}

fn main() {}
