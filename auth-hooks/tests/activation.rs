//! `ready!`: which hooks a path activates, resolved from where it is written.

use auth_hooks::{on_login, AuthHookContext, Phase, ReadyError};

mod app {
    pub mod auth {
        use super::super::*;

        #[on_login]
        pub fn auth_hook(_: &AuthHookContext) {}

        pub mod nested {
            use super::super::super::*;

            #[on_login]
            pub fn nested_hook(_: &AuthHookContext) {}

            /// `super` and `self` resolve against this module.
            pub fn activate_parent() -> auth_hooks::AuthHookRegistry {
                auth_hooks::ready!(super).unwrap()
            }

            pub fn activate_self() -> auth_hooks::AuthHookRegistry {
                auth_hooks::ready!(self).unwrap()
            }
        }
    }

    /// Starts like `auth`; must never be taken for it.
    pub mod authz {
        use super::super::*;

        #[on_login]
        pub fn authz_hook(_: &AuthHookContext) {}
    }

    /// A module without hooks.
    pub mod quiet {}
}

fn names(registry: &auth_hooks::AuthHookRegistry) -> Vec<String> {
    registry
        .hooks(Phase::OnLogin)
        .iter()
        .map(|h| h.name.rsplit("::").next().unwrap().to_owned())
        .collect()
}

#[test]
fn crate_paths_take_the_module_and_its_submodules_only() {
    let hooks = auth_hooks::ready!(crate::app::auth).unwrap();
    assert_eq!(names(&hooks), ["auth_hook", "nested_hook"]);
}

#[test]
fn a_bare_path_resolves_against_the_caller_module() {
    let hooks = auth_hooks::ready!(app::authz).unwrap();
    assert_eq!(names(&hooks), ["authz_hook"]);
}

#[test]
fn self_and_super_resolve_against_the_module_that_writes_them() {
    assert_eq!(
        names(&app::auth::nested::activate_parent()),
        ["auth_hook", "nested_hook"]
    );
    assert_eq!(names(&app::auth::nested::activate_self()), ["nested_hook"]);
}

#[test]
fn a_module_without_hooks_is_an_error_that_names_the_path() {
    let err = auth_hooks::ready!(crate::app::quiet).unwrap_err();
    assert!(
        matches!(&err, ReadyError::NoHooks { path, .. } if path == "crate::app::quiet"),
        "{err:?}"
    );
    assert!(err.to_string().contains("crate::app::quiet"), "{err}");
}

#[test]
fn hooks_declared_but_not_activated_never_run() {
    let hooks = auth_hooks::ready!(crate::app::authz).unwrap();
    assert_eq!(names(&hooks), ["authz_hook"]);
    assert!(auth_hooks::AuthHookRegistry::new().is_empty());
}

#[test]
fn the_whole_crate_can_be_activated() {
    let hooks = auth_hooks::ready!(crate).unwrap();
    assert_eq!(names(&hooks), ["auth_hook", "nested_hook", "authz_hook"]);
}
