use auth_hooks::{on_login, AuthHookContext};

#[on_login]
fn audit(_ctx: &AuthHookContext)
where
    String: Clone,
{
}

fn main() {}
