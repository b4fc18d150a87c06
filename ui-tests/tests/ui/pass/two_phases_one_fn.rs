// Two different phases on one fn are allowed: an audit hook on login and logout.
mod audit {
    use auth_hooks::{on_login, on_logout, AuthHookContext};

    #[on_login]
    #[on_logout]
    pub fn record(_ctx: &AuthHookContext) {}
}

use auth_hooks::Phase;

fn main() {
    let hooks = auth_hooks::ready!(crate::audit).unwrap();
    assert_eq!(hooks.len(Phase::OnLogin), 1);
    assert_eq!(hooks.len(Phase::OnLogout), 1);
    assert_eq!(hooks.len(Phase::BeforeLogin), 0);
}
