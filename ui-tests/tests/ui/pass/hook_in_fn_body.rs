// A hook may be declared inside a fn body, like any item.
use auth_hooks::{on_login, AuthHookContext, Phase};

fn main() {
    #[on_login]
    fn audit(_ctx: &AuthHookContext) {}

    let hooks = auth_hooks::ready!(crate).unwrap();
    assert_eq!(hooks.len(Phase::OnLogin), 1);
}
