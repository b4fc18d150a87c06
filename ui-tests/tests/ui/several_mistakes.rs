// Each mistake gets its own error, all at once, and nothing else.
use auth_hooks::{on_login, AuthHookContext};

#[on_login]
const fn audit<T>(_ctx: &mut AuthHookContext, _user_id: u64) {}

fn main() {}
