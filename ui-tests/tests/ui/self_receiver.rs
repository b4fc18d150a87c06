use auth_hooks::{on_login, AuthHookContext};

struct Audit;

impl Audit {
    #[on_login]
    fn record(&self, _ctx: &AuthHookContext) {}
}

fn main() {}
