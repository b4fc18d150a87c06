// A type parameter and its `where` bound are one mistake: one error.
use auth_hooks::{on_login, AuthHookContext};

#[on_login]
fn audit<U>(_ctx: &AuthHookContext)
where
    U: std::fmt::Debug,
{
}

fn main() {}
