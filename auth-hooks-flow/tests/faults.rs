//! Faults in hooks around a real login: a `before_login` hook that errors, panics,
//! hangs past its timeout or is cancelled with the request never lets a login through
//! and never leaves a session or token behind: under the fail-closed default for all
//! four, and under `before_login = log` for all but a returned error (the explicit,
//! announced opt-out).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use auth_hooks::{
    AuthHookContext, AuthHookRegistry, ErrorPolicy, HookFailure, HookFuture, HookOptions, Phase,
};
use auth_hooks_flow::LoginError;
use auth_hooks_test_support::flow::{ada, register_stuck_hook, request, Fixture, PASSWORD};
use auth_hooks_test_support::logs::capture_logs;

/// How a `before_login` hook goes wrong.
#[derive(Debug, Clone, Copy)]
enum Fault {
    Error,
    Panic,
    Hang,
}

fn faulty(fault: Fault) -> AuthHookRegistry {
    let mut hooks = AuthHookRegistry::new();
    let timeout = HookOptions::default().timeout(Duration::from_millis(30));
    hooks
        .register_async_with(
            "before_login",
            "faulty",
            timeout,
            move |_: &AuthHookContext| -> HookFuture<'_> {
                Box::pin(async move {
                    match fault {
                        Fault::Error => {
                            Err(std::io::Error::other("deny-list database unreachable").into())
                        }
                        Fault::Panic => panic!("deny-list bug"),
                        Fault::Hang => std::future::pending().await,
                    }
                })
            },
        )
        .unwrap();
    hooks
}

fn nothing_created(fx: &Fixture) {
    assert!(fx.sessions.is_empty(), "a session was left behind");
    assert!(fx.blocklist.is_empty());
}

/// Every fault under every policy, but a returned error under `log` (the one explicit
/// opt-out, tested below): a panic or a hang is never tolerated in the gate.
const DENYING: [(Fault, ErrorPolicy); 5] = [
    (Fault::Error, ErrorPolicy::Raise),
    (Fault::Panic, ErrorPolicy::Raise),
    (Fault::Hang, ErrorPolicy::Raise),
    (Fault::Panic, ErrorPolicy::Log),
    (Fault::Hang, ErrorPolicy::Log),
];

#[tokio::test]
async fn a_failing_before_login_hook_denies_the_login_and_creates_nothing() {
    for (fault, policy) in DENYING {
        let mut hooks = faulty(fault);
        hooks.set_policy(Phase::BeforeLogin, policy);
        let fx = Fixture::new(hooks);
        let err = fx.flow.login(ada(PASSWORD), request()).await.unwrap_err();
        let LoginError::HookFailed(failed) = &err else {
            panic!("{fault:?} under {policy}: {err:?}")
        };
        assert_eq!(
            (failed.phase, failed.hook.as_str()),
            (Phase::BeforeLogin, "faulty")
        );
        match (fault, &failed.source) {
            (Fault::Error, HookFailure::Error(_))
            | (Fault::Panic, HookFailure::Panicked(_))
            | (Fault::Hang, HookFailure::TimedOut(_)) => {}
            (fault, other) => panic!("{fault:?} reported as {other:?}"),
        }
        assert_eq!(
            err.client_message(),
            "Login rejected.",
            "{fault:?}: internal text leaked"
        );
        nothing_created(&fx);
    }
}

#[tokio::test]
async fn a_login_cancelled_while_before_login_runs_creates_nothing_under_either_policy() {
    for policy in [ErrorPolicy::Raise, ErrorPolicy::Log] {
        let started = Arc::new(AtomicUsize::new(0));
        let mut hooks = AuthHookRegistry::new();
        register_stuck_hook(&mut hooks, "before_login", "slow_lookup", &started);
        hooks.set_policy(Phase::BeforeLogin, policy);
        let fx = Fixture::new(hooks);
        // The client goes away: the login future is dropped mid-hook.
        let cancelled = tokio::time::timeout(
            Duration::from_millis(30),
            fx.flow.login(ada(PASSWORD), request()),
        )
        .await;
        assert!(
            cancelled.is_err(),
            "{policy}: the login should still have been waiting"
        );
        assert_eq!(started.load(Ordering::SeqCst), 1);
        nothing_created(&fx);
    }
}

#[test]
fn under_the_log_policy_a_failing_before_login_hook_is_logged_and_other_deny_hooks_still_decide() {
    // `log` is an explicit opt-out of fail-closed for hooks that only enrich; the
    // failing hook is skipped, loudly, and a later deny hook still denies.
    let mut hooks = faulty(Fault::Error);
    hooks
        .register(
            "before_login",
            "deny_ada",
            |ctx: &AuthHookContext| match ctx.username() {
                Some("ada") => Err(auth_hooks::AuthHookReject::new("Not today.")),
                _ => Ok(()),
            },
        )
        .unwrap();
    hooks.set_policy(Phase::BeforeLogin, ErrorPolicy::Log);
    let fx = Fixture::new(hooks);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (result, logs) = capture_logs(|| rt.block_on(fx.flow.login(ada(PASSWORD), request())));
    let err = result.unwrap_err();
    assert!(
        matches!(&err, LoginError::Rejected { hook, .. } if hook == "deny_ada"),
        "{err:?}"
    );
    assert!(
        logs.contains("faulty") && logs.contains("deny-list database unreachable"),
        "{logs}"
    );
    assert!(!logs.contains(PASSWORD), "the password reached the log");
    nothing_created(&fx);
}

#[test]
fn a_log_policy_on_before_login_is_announced_as_fail_open() {
    let (_, logs) = capture_logs(|| {
        AuthHookRegistry::new().set_policy(Phase::BeforeLogin, ErrorPolicy::Log);
    });
    assert!(
        logs.contains("WARN") && logs.contains("fail-open"),
        "{logs}"
    );
    let (_, quiet) = capture_logs(|| {
        AuthHookRegistry::new().set_policy(Phase::OnLogin, ErrorPolicy::Raise);
    });
    assert!(!quiet.contains("WARN"), "{quiet}");
}

#[tokio::test]
async fn a_login_cancelled_while_on_login_runs_revokes_the_session_and_tokens_it_created() {
    let started = Arc::new(AtomicUsize::new(0));
    let mut hooks = AuthHookRegistry::new();
    register_stuck_hook(&mut hooks, "on_login", "slow_audit", &started);
    let fx = Fixture::new(hooks);
    let cancelled = tokio::time::timeout(
        Duration::from_millis(100),
        fx.flow.login(ada(PASSWORD), request()),
    )
    .await;
    assert!(
        cancelled.is_err(),
        "the login should still have been waiting"
    );
    assert_eq!(started.load(Ordering::SeqCst), 1, "on_login had started");
    // The revocation runs on a spawned task: give it a (bounded) moment.
    for _ in 0..100 {
        if fx.sessions.is_empty() && fx.blocklist.len() == 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(
        fx.sessions.is_empty(),
        "the session of a cancelled login was left behind"
    );
    assert_eq!(
        fx.blocklist.len(),
        3,
        "both tokens of the cancelled login and their family are blocked"
    );
}
