//! `ready!` and `pub use`: a re-exported module compiles in `ready!` but its hooks are
//! found only by the module that declares them, and the error says so.

use auth_hooks::{on_login, AuthHookContext, Phase, ReadyError};

/// Declares the hook.
pub mod declared {
    use super::*;

    /// Audits logins.
    #[on_login]
    pub fn audit(_: &AuthHookContext) {}
}

/// The same module under another name.
pub use declared as renamed;

#[test]
fn a_reexport_finds_no_hook_and_the_error_names_the_fix() {
    let err = auth_hooks::ready!(crate::renamed).unwrap_err();
    assert!(
        matches!(&err, ReadyError::NoHooks { path, .. } if path == "crate::renamed"),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(text.contains("`pub use` re-export"), "{text}");
    assert!(
        text.contains("name the module that declares the hooks"),
        "{text}"
    );
}

#[test]
fn the_declaring_module_finds_them() {
    let hooks = auth_hooks::ready!(crate::declared).unwrap();
    assert_eq!(hooks.len(Phase::OnLogin), 1);
    assert_eq!(hooks.hooks(Phase::OnLogin)[0].module, "reexport::declared");
}
