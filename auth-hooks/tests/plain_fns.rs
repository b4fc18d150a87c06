//! The fast path: a phase whose hooks are all sync fns declared with the attribute
//! macros runs as one loop over their fn pointers. Every outcome a hook can have is
//! settled there as on the general path, and every change to the registry plans the
//! phase again.

use std::cell::Cell;
use std::time::Duration;

use auth_hooks::{
    AuthHookContext, AuthHookError, AuthHookRegistry, HookFailure, HookOverrides, Phase,
};

thread_local! {
    /// The hooks that ran on this thread, in order.
    static RAN: Cell<Vec<&'static str>> = const { Cell::new(Vec::new()) };
}

fn ran(name: &'static str) {
    let mut names = RAN.take();
    names.push(name);
    RAN.set(names);
}

fn take_ran() -> Vec<&'static str> {
    RAN.take()
}

/// `on_login` (policy `log`): a pass, a panic, an error, a pass.
mod after {
    use super::*;
    use auth_hooks::on_login;

    #[on_login]
    fn first(_: &AuthHookContext) {
        ran("first");
    }

    #[on_login]
    fn panics(_: &AuthHookContext) {
        ran("panics");
        panic!("audit bug");
    }

    #[on_login]
    fn fails(_: &AuthHookContext) -> Result<(), std::io::Error> {
        ran("fails");
        Err(std::io::Error::other("audit store down"))
    }

    #[on_login]
    fn last(_: &AuthHookContext) {
        ran("last");
    }
}

/// `before_login` (policy `raise`): a pass, a panic, a hook that never runs.
mod gate {
    use super::*;
    use auth_hooks::before_login;

    #[before_login]
    fn allow(_: &AuthHookContext) {
        ran("allow");
    }

    #[before_login]
    fn crashes(_: &AuthHookContext) {
        ran("crashes");
        panic!("deny-list bug");
    }

    #[before_login]
    fn after_crash(_: &AuthHookContext) {
        ran("after_crash");
    }
}

fn ctx() -> AuthHookContext {
    AuthHookContext::builder().user_id("42").build()
}

fn stat(registry: &AuthHookRegistry, name: &str) -> (u64, u64, u64) {
    let stats = registry.stats();
    let hook = stats
        .iter()
        .find(|s| s.name.ends_with(name))
        .unwrap_or_else(|| panic!("no hook {name}"));
    (hook.calls, hook.passes, hook.failures)
}

#[test]
fn after_the_fact_a_panic_and_an_error_are_logged_and_the_next_hooks_run() {
    let hooks = auth_hooks::ready!(crate::after).unwrap();
    for _ in 0..3 {
        hooks.run_blocking(Phase::OnLogin, &ctx()).unwrap();
        assert_eq!(take_ran(), ["first", "panics", "fails", "last"]);
    }
    assert_eq!(stat(&hooks, "::first"), (3, 3, 0));
    assert_eq!(stat(&hooks, "::panics"), (3, 0, 3));
    assert_eq!(stat(&hooks, "::fails"), (3, 0, 3));
    assert_eq!(stat(&hooks, "::last"), (3, 3, 0));
}

#[test]
fn a_gate_that_panics_fails_closed_and_the_hooks_after_it_do_not_run() {
    let hooks = auth_hooks::ready!(crate::gate).unwrap();
    let err = hooks.run_blocking(Phase::BeforeLogin, &ctx()).unwrap_err();
    let AuthHookError::Failed(failed) = &err else {
        panic!("expected a failure, got {err:?}");
    };
    assert!(failed.hook.ends_with("::crashes"), "{}", failed.hook);
    assert!(matches!(&failed.source, HookFailure::Panicked(m) if m == "deny-list bug"));
    assert_eq!(take_ran(), ["allow", "crashes"]);
    assert_eq!(stat(&hooks, "::after_crash").0, 0, "never called");
}

#[test]
fn the_async_run_settles_the_same_outcomes() {
    let hooks = auth_hooks::ready!(crate::after).unwrap();
    let polled = poll_ready(hooks.run(Phase::OnLogin, &ctx()));
    polled.unwrap();
    assert_eq!(take_ran(), ["first", "panics", "fails", "last"]);
}

#[test]
fn a_removed_hook_no_longer_runs_and_a_replaced_one_runs_its_new_fn() {
    let mut hooks = auth_hooks::ready!(crate::after).unwrap();
    let names: Vec<String> = hooks
        .hooks(Phase::OnLogin)
        .iter()
        .map(|h| h.name.to_owned())
        .collect();
    let name = |suffix: &str| names.iter().find(|n| n.ends_with(suffix)).unwrap().clone();
    // Each change below leaves a phase of plain fns: the loop runs the new plan.
    assert!(hooks.remove(Phase::OnLogin, &name("::panics")));
    hooks.run_blocking(Phase::OnLogin, &ctx()).unwrap();
    assert_eq!(take_ran(), ["first", "fails", "last"]);

    let overrides: HookOverrides =
        serde_json::from_value(serde_json::json!({ name("::fails"): { "enabled": false } }))
            .unwrap();
    hooks.apply_overrides(&overrides).unwrap();
    hooks.run_blocking(Phase::OnLogin, &ctx()).unwrap();
    assert_eq!(take_ran(), ["first", "last"]);

    // A closure is no plain fn: the phase leaves the loop, in order still.
    hooks
        .replace(Phase::OnLogin, &name("::last"), |_: &AuthHookContext| {
            ran("replaced")
        })
        .unwrap();
    hooks.run_blocking(Phase::OnLogin, &ctx()).unwrap();
    assert_eq!(take_ran(), ["first", "replaced"]);
}

#[test]
fn hook_timing_takes_the_timed_path_and_back_and_a_budget_the_timed_path() {
    let mut hooks = auth_hooks::ready!(crate::after).unwrap();
    let timed = |hooks: &AuthHookRegistry| -> u64 {
        hooks
            .stats()
            .iter()
            .map(|s| s.durations_us.iter().sum::<u64>())
            .sum()
    };
    hooks.time_hooks(true);
    hooks.run_blocking(Phase::OnLogin, &ctx()).unwrap();
    assert_eq!(take_ran(), ["first", "panics", "fails", "last"]);
    assert_eq!(timed(&hooks), 4, "each call timed once");

    hooks.time_hooks(false);
    hooks.run_blocking(Phase::OnLogin, &ctx()).unwrap();
    assert_eq!(take_ran(), ["first", "panics", "fails", "last"]);
    assert_eq!(timed(&hooks), 4, "back on the loop, untimed");

    hooks.set_budget(Phase::OnLogin, Duration::ZERO);
    hooks.run_blocking(Phase::OnLogin, &ctx()).unwrap();
    assert_eq!(
        take_ran(),
        Vec::<&str>::new(),
        "an after-phase past its budget stops"
    );
}

#[test]
fn with_a_subscriber_each_hook_runs_in_its_span() {
    mod spanned {
        use super::*;

        #[auth_hooks::on_logout]
        fn in_span(_: &AuthHookContext) {
            let name = tracing::Span::current().metadata().map(|m| m.name());
            assert_eq!(name, Some("auth_hook"));
            ran("in_span");
        }
    }
    let hooks = auth_hooks::ready!(spanned).unwrap();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(std::io::sink)
        .finish();
    tracing::subscriber::with_default(subscriber, || {
        hooks.run_blocking(Phase::OnLogout, &ctx()).unwrap();
    });
    assert_eq!(take_ran(), ["in_span"]);
}

#[test]
fn runs_counted_on_many_threads_at_once_are_all_kept() {
    let hooks = auth_hooks::ready!(crate::gate).unwrap();
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                for _ in 0..1000 {
                    hooks.run_blocking(Phase::BeforeLogin, &ctx()).unwrap_err();
                }
            });
        }
    });
    assert_eq!(stat(&hooks, "::allow"), (4000, 4000, 0));
    assert_eq!(stat(&hooks, "::crashes"), (4000, 0, 4000));
    assert_eq!(stat(&hooks, "::after_crash").0, 0);
}

/// Polls `future` to completion on this thread; sync hooks never make it pend.
fn poll_ready<F: std::future::Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    loop {
        if let std::task::Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
    }
}
