// Every form of path `ready!` takes, with a trailing comma; the registry holds each
// hook once even when a module and its parent are both named.
mod security {
    use auth_hooks::{before_login, on_logout, AuthHookContext};

    #[before_login]
    pub fn check(_ctx: &AuthHookContext) {}

    pub mod audit {
        use auth_hooks::{on_login, AuthHookContext};

        #[on_login]
        pub async fn record(_ctx: &AuthHookContext) {}

        pub fn nested() -> usize {
            let hooks = auth_hooks::ready!(self, super::audit, crate::security::audit).unwrap();
            hooks.len(auth_hooks::Phase::OnLogin)
        }
    }

    pub mod hooks {}

    #[on_logout]
    fn forget(_ctx: &AuthHookContext) {}
}

mod other {
    pub mod hooks {}
}

use auth_hooks::Phase;

fn main() {
    let hooks = auth_hooks::ready!(
        crate::security,
        self::security::audit,
        security,
        ::core::primitive,
    );
    assert!(hooks.is_err(), "`::core::primitive` holds no hook");

    let hooks = auth_hooks::ready!(crate::security, security::audit,).unwrap();
    assert_eq!(hooks.len(Phase::BeforeLogin), 1);
    assert_eq!(hooks.len(Phase::OnLogin), 1);
    assert_eq!(hooks.len(Phase::OnLogout), 1);
    assert_eq!(security::audit::nested(), 1);

    // Two paths ending in one name do not clash.
    let hooks = auth_hooks::ready!(crate::security::hooks, crate::other::hooks);
    assert!(hooks.is_err());
}
