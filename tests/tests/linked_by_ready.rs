//! `ready!` links a crate the binary names nowhere else: `ready-only-lib` is a
//! dependency of this test, but nothing in this file (or in the `tests` library) names
//! any of its items. Its hooks are found, and run, only because `ready!` writes a `use`
//! of the path; without it rustc would not link the crate and `ready!` would answer
//! `NoHooks`.

use auth_hooks::{AuthHookContext, Phase};

#[test]
fn the_hooks_of_a_crate_named_only_in_ready_are_linked_and_run() {
    let hooks = auth_hooks::ready!(ready_only_lib::gate)
        .expect("ready! links the crate it names, so its hooks are there");
    assert_eq!(hooks.len(Phase::BeforeLogin), 1);
    assert_eq!(
        hooks.hooks(Phase::BeforeLogin)[0].name,
        "ready_only_lib::gate::refuse_everyone"
    );
    let err = hooks
        .run_blocking(Phase::BeforeLogin, &AuthHookContext::builder().build())
        .unwrap_err();
    // The message is written out here rather than read from the crate's constant, so
    // this file names nothing of the crate but the path in `ready!`.
    assert_eq!(err.client_message(), "refused by ready-only-lib");
}
