//! Activation: from the hooks linked into the binary to the registry of one application.

use crate::__private::{linked_entries, HookEntry};
use crate::error::ReadyError;
use crate::hook::Hook;
use crate::AuthHookRegistry;

/// Activates the hooks declared in the given modules (and their submodules) and returns
/// the [`AuthHookRegistry`] the application keeps.
///
/// Declaring a hook does nothing by itself: only the modules named here run. The macro
/// also makes the compiler link each module's crate (with `{ use path; }`), so hooks
/// that live in a library crate the binary names nowhere else are still found.
///
/// - Paths resolve like `use` paths in the caller's module: `crate::…`, `self::…`,
///   `super::…`, a module in scope, or another crate (`my_hooks::security`).
/// - Modules are matched on `::` boundaries: `app::auth` does not hold `app::authz`.
/// - Naming a module twice, or a module and its parent, never makes a hook run twice.
/// - A path that holds no hook is an error naming it: it is almost surely a mistake.
/// - A `pub use` re-export of a module compiles but is not followed: hooks are found by
///   the module that declares them (`module_path!()` where the attribute is written),
///   so `ready!(crate::b)` after `pub use a as b;` finds nothing and says so. Name `a`.
///
/// Order within a phase: by `priority` (higher first), then the order of the paths
/// here, then the *file path* (compared as a string), line and column, so it is stable
/// across rebuilds. Within one file that is source order; across files it is not the
/// order of the `mod` declarations: the hooks of `hooks/bans.rs` run before those of
/// `hooks/mod.rs`, because `"hooks/bans.rs" < "hooks/mod.rs"`. Use `priority` where the
/// order across files matters.
///
/// ```
/// mod security {
///     use auth_hooks::{before_login, AuthHookContext, AuthHookReject};
///
///     #[before_login]
///     pub fn deny_root(ctx: &AuthHookContext) -> Result<(), AuthHookReject> {
///         // The normalized name: `Root` and `ＲＯＯＴ` are refused too.
///         match ctx.username() {
///             Some("root") => Err(AuthHookReject::new("Not allowed.")),
///             _ => Ok(()),
///         }
///     }
/// }
///
/// fn main() {
///     let hooks = auth_hooks::ready!(crate::security).expect("hooks");
///     assert_eq!(hooks.len(auth_hooks::Phase::BeforeLogin), 1);
/// }
/// ```
///
/// A path that does not exist is a compile error, from the `use` the macro writes:
///
/// ```compile_fail
/// mod security {}
/// fn main() {
///     let hooks = auth_hooks::ready!(crate::securty); // error[E0432]: unresolved import `crate::securty`
/// }
/// ```
#[macro_export]
macro_rules! ready {
    () => {
        ::core::compile_error!(
            "`ready!` needs the modules whose hooks to activate: `auth_hooks::ready!(crate::security)`"
        )
    };
    ($($paths:tt)+) => {
        $crate::__auth_hooks_ready! { @split [] [] $($paths)+ }
    };
}

/// Not public API: the steps of [`ready!`]. The caller's path tokens are passed on as
/// they are, so an error about a path points into it.
#[doc(hidden)]
#[macro_export]
macro_rules! __auth_hooks_ready {
    // Splits the input at commas into `[path tokens]` groups.
    (@split [$($done:tt)*] [$($path:tt)+] , $($rest:tt)*) => {
        $crate::__auth_hooks_ready! { @split [$($done)* [$($path)+]] [] $($rest)* }
    };
    (@split [$($done:tt)*] [$($path:tt)*] $next:tt $($rest:tt)*) => {
        $crate::__auth_hooks_ready! { @split [$($done)*] [$($path)* $next] $($rest)* }
    };
    (@split [$($done:tt)*] [$($path:tt)+]) => {
        $crate::__auth_hooks_ready! { @expand $($done)* [$($path)+] }
    };
    (@split [$($done:tt)*] []) => {
        $crate::__auth_hooks_ready! { @expand $($done)* }
    };
    (@expand $([$($path:tt)+])+) => {{
        $($crate::__auth_hooks_ready! { @link [$($path)+] $($path)+ })+
        $crate::__private::activate(
            $crate::__private::module_path!(),
            &[$(::core::stringify!($($path)+)),+],
        )
    }};
    // `crate`, `self` and `super` alone name the caller's crate, which is linked anyway.
    (@link [$($path:tt)+] crate) => {};
    (@link [$($path:tt)+] self $(:: super)*) => {};
    (@link [$($path:tt)+] super $(:: super)*) => {};
    // `use` makes the compiler link the module's crate and checks that the path exists.
    // Each in its own block, so that two paths ending in one name do not clash.
    (@link [$($path:tt)+] $(::)? $first:ident $(:: $rest:ident)*) => {{
        #[allow(unused_imports)]
        use $($path)+;
    }};
    (@link [$($path:tt)+] $($other:tt)*) => {
        ::core::compile_error!(::core::concat!(
            "`ready!` takes module paths separated by commas, e.g. ",
            "`auth_hooks::ready!(crate::security, crate::audit)`; `",
            ::core::stringify!($($path)+),
            "` is not one"
        ));
    };
}

/// Builds a registry from the linked hooks under `paths`, resolved from `caller`.
pub fn activate(caller: &str, paths: &[&str]) -> Result<AuthHookRegistry, ReadyError> {
    let entries: Vec<&'static HookEntry> = linked_entries().collect();
    // For each entry: the index of the first path that holds it.
    let mut activated: Vec<(usize, &'static HookEntry)> = Vec::new();
    for (index, written) in paths.iter().enumerate() {
        let written: String = written.chars().filter(|c| !c.is_whitespace()).collect();
        let candidates = resolve(&written, caller)?;
        let module = candidates
            .iter()
            .find(|module| entries.iter().any(|e| within(e.module_path, module)))
            .ok_or_else(|| ReadyError::NoHooks {
                path: written.clone(),
                searched: candidates.join(", "),
            })?;
        for entry in entries.iter().filter(|e| within(e.module_path, module)) {
            if !activated
                .iter()
                .any(|(_, seen)| std::ptr::eq(*seen, *entry))
            {
                activated.push((index, entry));
            }
        }
    }
    activated.sort_by_key(|(index, e)| (*index, e.file, e.line, e.column));
    let hooks = activated.into_iter().map(|(_, e)| Hook::from_entry(e));
    Ok(AuthHookRegistry::from_hooks(hooks)?)
}

/// Whether `module` is `parent` or one of its submodules.
fn within(module: &str, parent: &str) -> bool {
    module
        .strip_prefix(parent)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with("::"))
}

/// The absolute module paths `written` may mean when written in `caller`, most likely first.
fn resolve(written: &str, caller: &str) -> Result<Vec<String>, ReadyError> {
    let above_root = || ReadyError::AboveCrateRoot {
        path: written.to_owned(),
        caller: caller.to_owned(),
    };
    let path = written.strip_prefix("::").unwrap_or(written);
    let mut segments = path.split("::").peekable();
    let mut base: Vec<&str> = match segments.peek() {
        Some(&"crate") => {
            segments.next();
            caller.split("::").take(1).collect()
        }
        Some(&"self") | Some(&"super") => caller.split("::").collect(),
        _ if written.starts_with("::") => Vec::new(),
        // A bare path is a module in the caller's scope or another crate.
        _ => return Ok(vec![format!("{caller}::{path}"), path.to_owned()]),
    };
    if segments.peek() == Some(&"self") {
        segments.next();
    }
    while segments.peek() == Some(&"super") {
        segments.next();
        if base.len() <= 1 {
            return Err(above_root());
        }
        base.pop();
    }
    base.extend(segments);
    Ok(vec![base.join("::")])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modules_match_on_path_boundaries() {
        assert!(within("app::auth", "app::auth"));
        assert!(within("app::auth::hooks", "app::auth"));
        assert!(!within("app::authz", "app::auth"));
        assert!(!within("app", "app::auth"));
    }

    #[test]
    fn relative_paths_resolve_against_the_caller() {
        let caller = "app::web::routes";
        assert_eq!(
            resolve("crate::security", caller).unwrap(),
            ["app::security"]
        );
        assert_eq!(
            resolve("self::hooks", caller).unwrap(),
            ["app::web::routes::hooks"]
        );
        assert_eq!(
            resolve("super::hooks", caller).unwrap(),
            ["app::web::hooks"]
        );
        assert_eq!(resolve("super::super", caller).unwrap(), ["app"]);
        assert_eq!(resolve("self", caller).unwrap(), ["app::web::routes"]);
        assert_eq!(
            resolve("::other_crate::hooks", caller).unwrap(),
            ["other_crate::hooks"]
        );
        assert_eq!(
            resolve("hooks", caller).unwrap(),
            ["app::web::routes::hooks", "hooks"]
        );
    }

    #[test]
    fn super_above_the_crate_root_is_an_error() {
        let err = resolve("super::super::x", "app::web").unwrap_err();
        assert!(matches!(err, ReadyError::AboveCrateRoot { .. }), "{err}");
    }

    #[test]
    fn a_path_without_hooks_is_an_error_naming_it() {
        let err = activate("app", &["crate :: nowhere"]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "`ready!(crate::nowhere)` found no auth hook in `crate::nowhere` or its submodules \
             (searched app::nowhere); if `crate::nowhere` is a `pub use` re-export, name the \
             module that declares the hooks instead"
        );
    }
}
