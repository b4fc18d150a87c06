//! Sync dispatch makes no heap allocation, proven with a counting global allocator.
//!
//! The allocator wraps `System` and counts, per thread, every allocation, reallocation
//! and deallocation (the test harness runs tests on threads at once, so a process-wide
//! counter would see the other tests' allocations). The workspace forbids `unsafe`, and
//! a `GlobalAlloc` impl needs it, so the wrapper comes from the `alloc_counter` crate.
//!
//! What is measured is a whole dispatch: `run_blocking`, and `run` polled by a no-op
//! waker, over hooks declared with the attribute macros and activated with `ready!`,
//! including a reject in `on_login` (logged as a warning under the `log` policy, the next
//! hook still runs) and hooks limited to an auth backend. With no `tracing` subscriber
//! installed, which is the case in this test binary.

use std::alloc::System;
use std::cell::Cell;
use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use alloc_counter::{count_alloc, AllocCounter, Counters};
use auth_hooks::{AuthHookContext, AuthHookRegistry, ErrorPolicy, Phase};

#[global_allocator]
static ALLOCATOR: AllocCounter<System> = AllocCounter(System);

thread_local! {
    /// How many times `after_reject` ran on this thread.
    static AFTER_REJECT_RUNS: Cell<usize> = const { Cell::new(0) };
}

mod hooks {
    use super::*;
    use auth_hooks::{before_login, on_login, on_logout, AuthHookReject, HookError};

    #[before_login]
    fn check_user(ctx: &AuthHookContext) -> Result<(), AuthHookReject> {
        match ctx.user_id() {
            Some("banned") => Err(AuthHookReject::new("This account is suspended.")),
            _ => Ok(()),
        }
    }

    #[before_login(priority = 5)]
    fn first(ctx: &AuthHookContext) {
        black_box(ctx);
    }

    #[on_login]
    fn audit(ctx: &AuthHookContext) -> Result<(), std::io::Error> {
        black_box(ctx.username());
        Ok(())
    }

    /// A reject after the login happened (only `HookError` can carry one here: the
    /// macro refuses `AuthHookReject` in `on_login`): logged as a warning, the phase
    /// goes on.
    #[on_login]
    fn reject_late(_ctx: &AuthHookContext) -> Result<(), HookError> {
        Err(AuthHookReject::new("too late").with_reason("after the fact"))?
    }

    #[on_login]
    fn after_reject(_ctx: &AuthHookContext) -> Result<(), HookError> {
        AFTER_REJECT_RUNS.set(AFTER_REJECT_RUNS.get() + 1);
        Ok(())
    }

    #[on_login(backend = "password")]
    fn password_only(ctx: &AuthHookContext) {
        black_box(ctx);
    }

    #[on_login(backend = ["ldap", "saml"])]
    fn skipped_for_password(ctx: &AuthHookContext) {
        black_box(ctx);
    }

    #[on_logout]
    fn forget(ctx: &AuthHookContext) {
        black_box(ctx);
    }
}

mod allocating {
    use super::*;
    use auth_hooks::on_login;

    #[on_login]
    fn allocates(ctx: &AuthHookContext) {
        black_box(Box::new(ctx.user_id().map(str::len)));
    }
}

/// Polls `future` with a no-op waker until it is ready; sync hooks never make it pend.
fn poll_ready<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
    }
}

fn login_context() -> AuthHookContext {
    AuthHookContext::builder()
        .user_id("42")
        .credentials(serde_json::json!({ "username": "ada", "password": "hunter2" }))
        .auth_backend("password")
        .build()
}

/// Allocations, reallocations and deallocations made by every phase dispatched
/// through `run_blocking`, then through `run`.
fn count_every_phase(hooks: &AuthHookRegistry, ctx: &AuthHookContext) -> (Counters, Counters) {
    let (blocking, ()) = count_alloc(|| {
        for phase in Phase::ALL {
            black_box(hooks.run_blocking(phase, ctx)).expect("no hook fails");
        }
    });
    let (polled, ()) = count_alloc(|| {
        for phase in Phase::ALL {
            black_box(poll_ready(hooks.run(phase, ctx))).expect("no hook fails");
        }
    });
    (blocking, polled)
}

#[test]
fn the_counter_sees_allocations() {
    let (counts, boxed) = count_alloc(|| black_box(Box::new(7u64)));
    assert_eq!(counts.0, 1, "the counting allocator is installed");
    drop(boxed);

    let hooks = auth_hooks::ready!(crate::allocating).unwrap();
    let ctx = login_context();
    let (blocking, polled) = count_every_phase(&hooks, &ctx);
    assert_eq!(blocking.0, 1, "a hook's own allocation is counted");
    assert_eq!(polled.0, 1, "a hook's own allocation is counted");
}

#[test]
fn sync_dispatch_makes_no_allocation() {
    let hooks = auth_hooks::ready!(crate::hooks).unwrap();
    assert_eq!(hooks.policies().get(Phase::OnLogin), ErrorPolicy::Log);
    assert_eq!(hooks.len(Phase::OnLogin), 5);
    let ctx = login_context();

    // The first dispatch on this thread, then a later one: nothing needs warming up.
    let first = count_every_phase(&hooks, &ctx);
    let again = count_every_phase(&hooks, &ctx);
    assert_eq!(first, ((0, 0, 0), (0, 0, 0)), "first dispatch");
    assert_eq!(again, ((0, 0, 0), (0, 0, 0)), "later dispatch");
    assert_eq!(
        AFTER_REJECT_RUNS.get(),
        4,
        "the hook after the late reject ran at every dispatch"
    );
}

#[test]
fn dispatch_from_many_threads_makes_no_allocation() {
    let hooks = auth_hooks::ready!(crate::hooks).unwrap();
    let ctx = login_context();
    std::thread::scope(|s| {
        let threads: Vec<_> = (0..4)
            .map(|_| s.spawn(|| count_every_phase(&hooks, &ctx)))
            .collect();
        for thread in threads {
            assert_eq!(thread.join().unwrap(), ((0, 0, 0), (0, 0, 0)));
        }
    });
}
