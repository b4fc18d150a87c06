// A hook may be named like the wrapper's own bindings (`ctx`, `failed`, `returned`):
// the names the attribute generates are hygienic.
mod named {
    pub mod sync {
        use auth_hooks::{on_login, on_login_failed, on_logout, AuthHookContext};

        #[on_login_failed]
        pub fn failed(_ctx: &AuthHookContext) -> Result<(), std::io::Error> {
            Ok(())
        }

        #[on_login]
        pub fn ctx(_ctx: &AuthHookContext) {}

        #[on_logout]
        pub fn returned(_ctx: &AuthHookContext) {}
    }

    pub mod asynchronous {
        use auth_hooks::{on_login, on_login_failed, AuthHookContext};

        #[on_login_failed]
        pub async fn failed(_ctx: &AuthHookContext) {}

        #[on_login]
        pub async fn ctx(_ctx: &AuthHookContext) {}
    }
}

use auth_hooks::Phase;

fn main() {
    let hooks = auth_hooks::ready!(crate::named).unwrap();
    assert_eq!(hooks.len(Phase::OnLoginFailed), 2);
    assert_eq!(hooks.len(Phase::OnLogin), 2);
    assert_eq!(hooks.len(Phase::OnLogout), 1);
    let ctx = auth_hooks::AuthHookContext::builder().build();
    hooks.run_blocking(Phase::OnLoginFailed, &ctx).unwrap();
    hooks.run_blocking(Phase::OnLogin, &ctx).unwrap();
}
