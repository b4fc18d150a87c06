//! How a phase runs: order, rejects, failures under each policy, panics, timeouts,
//! cancellation, threads. Ports the dispatch cases of OpenViper's suite and adds what
//! it lacks.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use auth_hooks::{
    AuthHookContext, AuthHookError, AuthHookRegistry, AuthHookReject, ErrorPolicy, HookFailure,
    HookFuture, HookOptions, Phase,
};
use auth_hooks_test_support::logs::capture_logs;
use serde_json::json;

/// A registry and the names its hooks record, in run order.
#[derive(Default)]
struct Recorded {
    registry: AuthHookRegistry,
    ran: Arc<Mutex<Vec<&'static str>>>,
}

impl Recorded {
    fn ok(&mut self, phase: Phase, name: &'static str) -> &mut Self {
        let ran = self.ran.clone();
        self.registry
            .register(phase, name, move |_: &AuthHookContext| {
                ran.lock().unwrap().push(name)
            })
            .unwrap();
        self
    }

    fn ok_async(&mut self, phase: Phase, name: &'static str) -> &mut Self {
        let ran = self.ran.clone();
        self.registry
            .register_async(phase, name, move |_: &AuthHookContext| -> HookFuture<'_> {
                let ran = ran.clone();
                Box::pin(async move {
                    tokio::task::yield_now().await;
                    ran.lock().unwrap().push(name);
                    Ok(())
                })
            })
            .unwrap();
        self
    }

    fn reject(&mut self, phase: Phase, name: &'static str) -> &mut Self {
        let ran = self.ran.clone();
        self.registry
            .register(phase, name, move |_: &AuthHookContext| {
                ran.lock().unwrap().push(name);
                Err(AuthHookReject::new("Denied for you.").with_reason("internal: on deny list 7"))
            })
            .unwrap();
        self
    }

    fn fail(&mut self, phase: Phase, name: &'static str) -> &mut Self {
        let ran = self.ran.clone();
        self.registry
            .register(phase, name, move |_: &AuthHookContext| {
                ran.lock().unwrap().push(name);
                Err(std::io::Error::other("database is down"))
            })
            .unwrap();
        self
    }

    fn panic(&mut self, phase: Phase, name: &'static str) -> &mut Self {
        let ran = self.ran.clone();
        self.registry
            .register(
                phase,
                name,
                move |_: &AuthHookContext| -> Result<(), std::io::Error> {
                    ran.lock().unwrap().push(name);
                    panic!("hook bug")
                },
            )
            .unwrap();
        self
    }

    fn policy(&mut self, phase: Phase, policy: ErrorPolicy) -> &mut Self {
        self.registry.set_policy(phase, policy);
        self
    }

    fn ran(&self) -> Vec<&'static str> {
        self.ran.lock().unwrap().clone()
    }
}

fn ctx() -> AuthHookContext {
    AuthHookContext::builder()
        .credentials(json!({ "username": "ada", "password": "hunter2-secret" }))
        .auth_backend("password")
        .build()
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

#[test]
fn sync_and_async_hooks_run_in_order_on_a_single_threaded_runtime() {
    let mut r = Recorded::default();
    r.ok(Phase::OnLogin, "a")
        .ok_async(Phase::OnLogin, "b")
        .ok(Phase::OnLogin, "c");
    block_on(r.registry.run(Phase::OnLogin, &ctx())).unwrap();
    assert_eq!(r.ran(), ["a", "b", "c"]);
}

/// The two phases that may refuse a login, each under each policy.
const GATES_AND_POLICIES: [(Phase, ErrorPolicy); 4] = [
    (Phase::BeforeAuthenticate, ErrorPolicy::Raise),
    (Phase::BeforeAuthenticate, ErrorPolicy::Log),
    (Phase::BeforeLogin, ErrorPolicy::Raise),
    (Phase::BeforeLogin, ErrorPolicy::Log),
];

#[test]
fn a_reject_in_either_gate_stops_the_login_under_either_policy() {
    for (gate, policy) in GATES_AND_POLICIES {
        let mut r = Recorded::default();
        r.policy(gate, policy)
            .ok(gate, "first")
            .reject(gate, "deny")
            .ok(gate, "never");
        let err = r.registry.run_blocking(gate, &ctx()).unwrap_err();
        assert!(
            matches!(&err, AuthHookError::Rejected(r) if r.hook == "deny"),
            "{err:?}"
        );
        assert_eq!(err.client_message(), "Denied for you.");
        assert_eq!(
            err.reject().unwrap().reason(),
            Some("internal: on deny list 7")
        );
        assert_eq!(r.ran(), ["first", "deny"], "{gate} {policy}");
    }
}

#[test]
fn a_reject_after_the_login_is_only_a_warning() {
    for phase in [Phase::OnLogin, Phase::OnLogout, Phase::OnLoginFailed] {
        let mut r = Recorded::default();
        r.policy(phase, ErrorPolicy::Raise)
            .reject(phase, "late")
            .ok(phase, "next");
        let (result, logs) = capture_logs(|| r.registry.run_blocking(phase, &ctx()));
        result.unwrap();
        assert_eq!(r.ran(), ["late", "next"]);
        assert!(logs.contains("WARN") && logs.contains("late"), "{logs}");
    }
}

#[test]
fn a_failure_under_log_is_logged_with_phase_and_hook_and_the_next_hook_runs() {
    let mut r = Recorded::default();
    r.policy(Phase::BeforeLogin, ErrorPolicy::Log)
        .fail(Phase::BeforeLogin, "flaky")
        .ok(Phase::BeforeLogin, "next");
    let (result, logs) = capture_logs(|| r.registry.run_blocking(Phase::BeforeLogin, &ctx()));
    result.unwrap();
    assert_eq!(r.ran(), ["flaky", "next"]);
    assert!(logs.contains("ERROR"), "{logs}");
    assert!(
        logs.contains("phase=\"before_login\"") || logs.contains("phase=before_login"),
        "{logs}"
    );
    assert!(
        logs.contains("flaky") && logs.contains("database is down"),
        "{logs}"
    );
    assert!(
        !logs.contains("hunter2-secret"),
        "a credential reached the log: {logs}"
    );
}

#[test]
fn a_failure_under_raise_stops_the_phase_with_an_execution_error() {
    let mut r = Recorded::default();
    r.policy(Phase::OnLogin, ErrorPolicy::Raise)
        .ok(Phase::OnLogin, "first")
        .fail(Phase::OnLogin, "broken")
        .ok(Phase::OnLogin, "never");
    let err = r.registry.run_blocking(Phase::OnLogin, &ctx()).unwrap_err();
    let AuthHookError::Failed(failed) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(
        (failed.phase, failed.hook.as_str()),
        (Phase::OnLogin, "broken")
    );
    assert_eq!(
        failed.to_string(),
        "auth hook failed: phase=on_login hook=broken"
    );
    assert_eq!(failed.hook_error().unwrap().to_string(), "database is down");
    assert_eq!(
        err.client_message(),
        "Login rejected.",
        "no internal text for clients"
    );
    assert_eq!(r.ran(), ["first", "broken"]);
}

#[test]
fn default_policies_fail_closed_in_the_gates_and_log_after() {
    let mut r = Recorded::default();
    r.fail(Phase::BeforeAuthenticate, "a")
        .fail(Phase::BeforeLogin, "b")
        .fail(Phase::OnLogin, "l")
        .fail(Phase::OnLogout, "o");
    assert!(r
        .registry
        .run_blocking(Phase::BeforeAuthenticate, &ctx())
        .is_err());
    assert!(r.registry.run_blocking(Phase::BeforeLogin, &ctx()).is_err());
    assert!(r.registry.run_blocking(Phase::OnLogin, &ctx()).is_ok());
    assert!(r.registry.run_blocking(Phase::OnLogout, &ctx()).is_ok());
}

#[test]
fn a_panic_is_caught_and_handled_under_the_policy() {
    let mut r = Recorded::default();
    r.panic(Phase::BeforeLogin, "buggy")
        .ok(Phase::BeforeLogin, "never");
    let err = r
        .registry
        .run_blocking(Phase::BeforeLogin, &ctx())
        .unwrap_err();
    let AuthHookError::Failed(failed) = err else {
        panic!()
    };
    assert!(matches!(&failed.source, HookFailure::Panicked(m) if m == "hook bug"));
    assert_eq!(r.ran(), ["buggy"]);

    let mut r = Recorded::default();
    r.policy(Phase::OnLogin, ErrorPolicy::Log)
        .panic(Phase::OnLogin, "buggy")
        .ok(Phase::OnLogin, "next");
    r.registry.run_blocking(Phase::OnLogin, &ctx()).unwrap();
    assert_eq!(r.ran(), ["buggy", "next"]);
}

#[test]
fn under_log_a_gate_panic_or_timeout_still_stops_the_phase_but_an_error_does_not() {
    for gate in [Phase::BeforeAuthenticate, Phase::BeforeLogin] {
        gate_under_log(gate);
    }
}

fn gate_under_log(gate: Phase) {
    // A returned error is the one failure `log` tolerates in the gate.
    let mut r = Recorded::default();
    r.policy(gate, ErrorPolicy::Log)
        .fail(gate, "flaky")
        .ok(gate, "next");
    r.registry.run_blocking(gate, &ctx()).unwrap();
    assert_eq!(r.ran(), ["flaky", "next"]);

    // A panic decided nothing: the phase stops, as under `raise`.
    let mut r = Recorded::default();
    r.policy(gate, ErrorPolicy::Log)
        .panic(gate, "buggy")
        .ok(gate, "never");
    let (result, logs) = capture_logs(|| r.registry.run_blocking(gate, &ctx()));
    assert!(
        matches!(result, Err(AuthHookError::Failed(f)) if matches!(f.source, HookFailure::Panicked(_)))
    );
    assert_eq!(r.ran(), ["buggy"]);
    assert!(
        logs.contains("policy=\"log\"") || logs.contains("policy=log"),
        "{logs}"
    );

    // Nor does a hang: the timeout stops the phase.
    let mut r = AuthHookRegistry::new();
    r.set_policy(gate, ErrorPolicy::Log);
    let slow = HookOptions::default().timeout(Duration::from_millis(20));
    r.register_async_with(gate, "slow", slow, sleeper(5_000))
        .unwrap();
    let err = block_on(r.run(gate, &ctx())).unwrap_err();
    assert!(
        matches!(err, AuthHookError::Failed(f) if matches!(f.source, HookFailure::TimedOut(_)))
    );
}

#[test]
fn a_panic_inside_an_async_hook_is_caught_too() {
    let mut r = AuthHookRegistry::new();
    r.register_async(
        "before_login",
        "async_bug",
        |_: &AuthHookContext| -> HookFuture<'_> {
            Box::pin(async {
                tokio::task::yield_now().await;
                panic!("async hook bug")
            })
        },
    )
    .unwrap();
    let err = block_on(r.run(Phase::BeforeLogin, &ctx())).unwrap_err();
    assert!(
        matches!(err, AuthHookError::Failed(f) if matches!(&f.source, HookFailure::Panicked(m) if m == "async hook bug"))
    );
}

fn sleeper(millis: u64) -> impl for<'a> Fn(&'a AuthHookContext) -> HookFuture<'a> + Send + Sync {
    move |_| {
        Box::pin(async move {
            tokio::time::sleep(Duration::from_millis(millis)).await;
            Ok(())
        })
    }
}

#[test]
fn an_async_hook_past_its_timeout_counts_as_failed() {
    let mut r = AuthHookRegistry::new();
    let slow = HookOptions::default().timeout(Duration::from_millis(20));
    r.register_async_with("before_login", "slow", slow.clone(), sleeper(5_000))
        .unwrap();
    let started = std::time::Instant::now();
    let err = block_on(r.run(Phase::BeforeLogin, &ctx())).unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "the timeout did not cut the hook short"
    );
    assert!(
        matches!(err, AuthHookError::Failed(f) if matches!(f.source, HookFailure::TimedOut(d) if d == Duration::from_millis(20)))
    );

    let mut fast = AuthHookRegistry::new();
    fast.register_async_with("before_login", "fast", slow, sleeper(1))
        .unwrap();
    block_on(fast.run(Phase::BeforeLogin, &ctx())).unwrap();
}

#[test]
fn a_timeout_on_a_sync_hook_is_refused_at_registration() {
    let mut r = AuthHookRegistry::new();
    let err = r
        .register_with(
            "on_login",
            "sync",
            HookOptions::default().timeout(Duration::from_millis(5)),
            |_: &AuthHookContext| {},
        )
        .unwrap_err();
    assert!(err.to_string().contains("needs an async hook"), "{err}");
}

#[test]
fn dropping_the_run_future_cancels_the_hook_and_runs_no_later_one() {
    let mut r = Recorded::default();
    r.registry
        .register_async("before_login", "hangs", sleeper(60_000))
        .unwrap();
    r.ok(Phase::BeforeLogin, "never");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let result = rt.block_on(async {
        tokio::time::timeout(
            Duration::from_millis(20),
            r.registry.run(Phase::BeforeLogin, &ctx()),
        )
        .await
    });
    assert!(
        result.is_err(),
        "the outer timeout must have cancelled the run"
    );
    assert!(r.ran().is_empty());
}

#[test]
fn run_blocking_drives_async_hooks_without_any_runtime() {
    let mut r = AuthHookRegistry::new();
    let counter = Arc::new(AtomicUsize::new(0));
    let c = counter.clone();
    r.register_async(
        "on_login",
        "plain_async",
        move |_: &AuthHookContext| -> HookFuture<'_> {
            let c = c.clone();
            Box::pin(async move {
                // A future that is pending once and wakes itself: needs a real waker.
                let mut first = true;
                std::future::poll_fn(|cx| {
                    if std::mem::take(&mut first) {
                        let waker = cx.waker().clone();
                        std::thread::spawn(move || waker.wake());
                        return std::task::Poll::Pending;
                    }
                    std::task::Poll::Ready(())
                })
                .await;
                c.fetch_add(1, Ordering::SeqCst);
                Ok(())
            })
        },
    )
    .unwrap();
    r.set_policy(Phase::OnLogin, ErrorPolicy::Raise);
    r.run_blocking(Phase::OnLogin, &ctx()).unwrap();
    assert_eq!(counter.load(Ordering::SeqCst), 1);
}

#[test]
fn run_blocking_turns_a_hook_that_needs_tokio_into_a_failure_not_a_crash() {
    let mut r = AuthHookRegistry::new();
    r.register_async("before_login", "needs_tokio", sleeper(1))
        .unwrap();
    let err = r.run_blocking(Phase::BeforeLogin, &ctx()).unwrap_err();
    assert!(
        matches!(err, AuthHookError::Failed(f) if matches!(f.source, HookFailure::Panicked(_)))
    );
}

#[test]
fn timeouts_are_enforced_by_run_blocking_as_well() {
    let mut r = AuthHookRegistry::new();
    fn pending_forever(_: &AuthHookContext) -> HookFuture<'_> {
        Box::pin(std::future::pending())
    }
    r.register_async_with(
        "before_login",
        "stuck",
        HookOptions::default().timeout(Duration::from_millis(30)),
        pending_forever,
    )
    .unwrap();
    let err = r.run_blocking(Phase::BeforeLogin, &ctx()).unwrap_err();
    assert!(
        matches!(err, AuthHookError::Failed(f) if matches!(f.source, HookFailure::TimedOut(_)))
    );
}

#[test]
fn every_hook_runs_in_a_span_naming_phase_and_hook() {
    let mut r = AuthHookRegistry::new();
    r.register("on_login", "spanned", |_: &AuthHookContext| {
        tracing::info!("inside the hook");
    })
    .unwrap();
    let (_, logs) = capture_logs(|| r.run_blocking(Phase::OnLogin, &ctx()));
    let line = logs
        .lines()
        .find(|l| l.contains("inside the hook"))
        .expect(&logs);
    assert!(
        line.contains("auth_hook") && line.contains("spanned") && line.contains("on_login"),
        "{line}"
    );
}

#[test]
fn hooks_only_run_for_their_backends() {
    let mut r = Recorded::default();
    let ran = r.ran.clone();
    r.registry
        .register_with(
            "before_login",
            "oauth_only",
            HookOptions::default().backends(["oauth", "saml"]),
            move |_: &AuthHookContext| ran.lock().unwrap().push("oauth_only"),
        )
        .unwrap();
    r.ok(Phase::BeforeLogin, "all");
    r.registry.run_blocking(Phase::BeforeLogin, &ctx()).unwrap();
    assert_eq!(r.ran(), ["all"]);
    let saml = ctx().to_builder().auth_backend("saml").build();
    r.registry.run_blocking(Phase::BeforeLogin, &saml).unwrap();
    assert_eq!(r.ran(), ["all", "oauth_only", "all"]);
    let none = AuthHookContext::builder().build();
    r.registry.run_blocking(Phase::BeforeLogin, &none).unwrap();
    assert_eq!(
        r.ran(),
        ["all", "oauth_only", "all", "all"],
        "a filtered hook needs a matching backend"
    );
}

#[test]
fn many_threads_dispatch_at_once_and_every_hook_runs_once_per_call() {
    let mut registry = AuthHookRegistry::new();
    let count = Arc::new(AtomicUsize::new(0));
    for name in ["a", "b", "c"] {
        let count = count.clone();
        registry
            .register("on_login", name, move |_: &AuthHookContext| {
                count.fetch_add(1, Ordering::Relaxed);
            })
            .unwrap();
    }
    let registry = Arc::new(registry);
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let registry = registry.clone();
            std::thread::spawn(move || {
                let ctx = ctx();
                for _ in 0..1_000 {
                    registry.run_blocking(Phase::OnLogin, &ctx).unwrap();
                }
            })
        })
        .collect();
    threads.into_iter().for_each(|t| t.join().unwrap());
    assert_eq!(count.load(Ordering::Relaxed), 8 * 1_000 * 3);
}

#[test]
fn a_multi_threaded_runtime_can_run_phases_from_spawned_tasks() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let mut r = Recorded::default();
    r.ok_async(Phase::OnLogin, "x");
    let registry = Arc::new(std::mem::take(&mut r.registry));
    rt.block_on(async {
        let tasks: Vec<_> = (0..50)
            .map(|_| {
                let registry = registry.clone();
                tokio::spawn(async move { registry.run(Phase::OnLogin, &ctx()).await })
            })
            .collect();
        for t in tasks {
            t.await.unwrap().unwrap();
        }
    });
    assert_eq!(r.ran().len(), 50);
}

#[test]
fn policies_load_from_config_and_apply_at_dispatch() {
    let policies: auth_hooks::HookPolicies =
        serde_json::from_value(json!({ "before_login": "log" })).unwrap();
    let mut r = Recorded::default();
    r.fail(Phase::BeforeLogin, "flaky")
        .ok(Phase::BeforeLogin, "next");
    r.registry = std::mem::take(&mut r.registry).with_policies(policies);
    r.registry.run_blocking(Phase::BeforeLogin, &ctx()).unwrap();
    assert_eq!(r.ran(), ["flaky", "next"]);
}
