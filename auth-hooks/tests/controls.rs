//! Each hook's own controls: shadow mode, `on_error`, the circuit breaker, the phase
//! budget, live counts, overrides from configuration, the attempt id.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use auth_hooks::{
    AuthHookContext, AuthHookError, AuthHookRegistry, AuthHookReject, BreakerConfig,
    BreakerFallback, BreakerState, ConfigError, ErrorPolicy, FakeHookClock, HookFailure,
    HookFuture, HookMode, HookOptions, HookOverrides, HookStats, Phase,
};
use auth_hooks_test_support::logs::capture_logs;

/// Declared with the attributes, as an application does.
mod declared {
    use auth_hooks::{before_login, AuthHookContext, AuthHookReject};

    #[before_login(name = "shadow_ban", mode = "shadow")]
    pub fn shadow_ban(_ctx: &AuthHookContext) -> Result<(), AuthHookReject> {
        Err(AuthHookReject::new("You are banned.").with_reason("rule 7"))
    }

    #[before_login(
        name = "flaky_geo_ip",
        breaker(failures = 2, open_ms = 1000),
        fallback = "allow"
    )]
    pub fn flaky_geo_ip(_ctx: &AuthHookContext) -> Result<(), std::io::Error> {
        Err(std::io::Error::other("geo-ip service down"))
    }

    #[before_login(name = "lenient", on_error = "log")]
    pub fn lenient(_ctx: &AuthHookContext) -> Result<(), std::io::Error> {
        Err(std::io::Error::other("optional check broken"))
    }
}

fn ctx() -> AuthHookContext {
    AuthHookContext::builder()
        .user_id("u-1")
        .attempt_id("attempt-7f3a")
        .build()
}

fn stats_of<'a>(stats: &'a [HookStats], name: &str) -> &'a HookStats {
    stats.iter().find(|s| s.name == name).unwrap()
}

/// A counter of calls, and a hook that bumps it and answers `answer()`.
fn counting<R: auth_hooks::IntoHookResult + 'static>(
    calls: &Arc<AtomicUsize>,
    answer: impl Fn() -> R + Send + Sync + 'static,
) -> impl Fn(&AuthHookContext) -> R + Send + Sync + 'static {
    let calls = calls.clone();
    move |_| {
        calls.fetch_add(1, Ordering::SeqCst);
        answer()
    }
}

#[test]
fn each_gate_hook_that_fails_open_is_announced_at_activation() {
    let (hooks, logs) = capture_logs(|| auth_hooks::ready!(crate::declared).unwrap());
    let warnings: Vec<&str> = logs.lines().filter(|l| l.contains("fail-open")).collect();
    assert_eq!(warnings.len(), 2, "{logs}");
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("lenient") && w.contains("on_error = log")),
        "{warnings:?}"
    );
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("flaky_geo_ip") && w.contains("fallback = \"allow\"")),
        "{warnings:?}"
    );
    assert_eq!(hooks.len(Phase::BeforeLogin), 3);
}

#[test]
fn the_declared_controls_shadow_break_and_log_as_written() {
    let hooks = auth_hooks::ready!(crate::declared).unwrap();
    let info = hooks.hooks(Phase::BeforeLogin);
    let shadow = info.iter().find(|h| h.name == "shadow_ban").unwrap();
    assert_eq!(shadow.mode, HookMode::Shadow);
    let geo = info.iter().find(|h| h.name == "flaky_geo_ip").unwrap();
    let breaker = geo.breaker.unwrap();
    assert_eq!(
        (breaker.failures, breaker.open),
        (2, Duration::from_secs(1))
    );
    assert_eq!(breaker.fallback, BreakerFallback::Allow);
    let lenient = info.iter().find(|h| h.name == "lenient").unwrap();
    assert_eq!(lenient.on_error, Some(ErrorPolicy::Log));

    // The ban would deny, the geo-ip check fails, the lenient check fails: under the
    // phase's `raise` only the geo-ip failure would stop the login, and it does, twice.
    for _ in 0..2 {
        let err = hooks.run_blocking(Phase::BeforeLogin, &ctx()).unwrap_err();
        assert_eq!(err.hook(), "flaky_geo_ip");
    }
    // Its breaker is open now: it counts as passed (fallback allow), and the login goes on.
    hooks.run_blocking(Phase::BeforeLogin, &ctx()).unwrap();
    let stats = hooks.stats();
    assert_eq!(stats_of(&stats, "shadow_ban").would_deny, 3);
    assert_eq!(stats_of(&stats, "shadow_ban").rejects, 0);
    let geo = stats_of(&stats, "flaky_geo_ip");
    assert_eq!(
        (
            geo.calls,
            geo.failures,
            geo.breaker_opens,
            geo.breaker_skips
        ),
        (2, 2, 1, 1)
    );
    assert!(
        matches!(geo.breaker, Some(BreakerState::Open { .. })),
        "{:?}",
        geo.breaker
    );
}

#[test]
fn a_shadow_reject_lets_the_login_through_and_is_counted_and_logged() {
    let mut hooks = AuthHookRegistry::new();
    let after = Arc::new(AtomicUsize::new(0));
    hooks
        .register_with(
            Phase::BeforeLogin,
            "new_rule",
            HookOptions::default().mode(HookMode::Shadow),
            |_: &AuthHookContext| {
                Err::<(), _>(AuthHookReject::new("Denied.").with_reason("new rule"))
            },
        )
        .unwrap();
    hooks
        .register(Phase::BeforeLogin, "after", counting(&after, || ()))
        .unwrap();
    let (outcome, logs) = capture_logs(|| hooks.run_blocking(Phase::BeforeLogin, &ctx()));
    outcome.unwrap();
    assert_eq!(after.load(Ordering::SeqCst), 1, "the hooks after it run");
    assert!(
        logs.contains("would have denied") && logs.contains("new rule"),
        "{logs}"
    );
    assert!(
        logs.contains("attempt-7f3a"),
        "the attempt id is in the log line: {logs}"
    );
    let stats = hooks.stats();
    assert_eq!(stats_of(&stats, "new_rule").would_deny, 1);
    assert_eq!(stats_of(&stats, "new_rule").passes, 0);

    // The same hook enforced stops the phase: the test above would fail without shadow.
    let mut enforced = AuthHookRegistry::new();
    enforced
        .register(Phase::BeforeLogin, "new_rule", |_: &AuthHookContext| {
            Err::<(), _>(AuthHookReject::new("Denied."))
        })
        .unwrap();
    assert!(matches!(
        enforced.run_blocking(Phase::BeforeLogin, &ctx()),
        Err(AuthHookError::Rejected(_))
    ));
}

#[test]
fn a_shadow_failure_or_panic_changes_nothing_even_in_a_gate() {
    let mut hooks = AuthHookRegistry::new();
    let shadow = HookOptions::default().mode(HookMode::Shadow);
    hooks
        .register_with(
            Phase::BeforeAuthenticate,
            "broken",
            shadow.clone(),
            |_: &AuthHookContext| Err::<(), _>(std::io::Error::other("down")),
        )
        .unwrap();
    hooks
        .register_with(
            Phase::BeforeAuthenticate,
            "crashes",
            shadow,
            |_: &AuthHookContext| -> () { panic!("shadow bug") },
        )
        .unwrap();
    hooks
        .run_blocking(Phase::BeforeAuthenticate, &ctx())
        .unwrap();
    let stats = hooks.stats();
    assert_eq!(stats_of(&stats, "broken").would_fail, 1);
    assert_eq!(stats_of(&stats, "crashes").would_fail, 1);
    assert_eq!(stats_of(&stats, "crashes").failures, 0);
}

#[test]
fn on_error_overrides_the_phase_policy_for_one_hook() {
    let mut hooks = AuthHookRegistry::new();
    let failing = |_: &AuthHookContext| Err::<(), _>(std::io::Error::other("down"));
    hooks
        .register_with(
            Phase::OnLogin,
            "must_work",
            HookOptions::default().on_error(ErrorPolicy::Raise),
            failing,
        )
        .unwrap();
    // on_login's policy is `log`, but this hook raises.
    let err = hooks.run_blocking(Phase::OnLogin, &ctx()).unwrap_err();
    assert_eq!(err.hook(), "must_work");

    let mut hooks = AuthHookRegistry::new();
    let (outcome, logs) = capture_logs(|| {
        hooks
            .register_with(
                Phase::BeforeLogin,
                "optional",
                HookOptions::default().on_error(ErrorPolicy::Log),
                failing,
            )
            .unwrap();
        hooks.run_blocking(Phase::BeforeLogin, &ctx())
    });
    outcome.unwrap();
    assert!(
        logs.contains("fail-open"),
        "the per-hook fail-open warning: {logs}"
    );
    // A panic is a fault: a gate hook under `log` still denies.
    hooks
        .register_with(
            Phase::BeforeLogin,
            "panics",
            HookOptions::default().on_error(ErrorPolicy::Log),
            |_: &AuthHookContext| -> () { panic!("bug") },
        )
        .unwrap();
    assert!(hooks.run_blocking(Phase::BeforeLogin, &ctx()).is_err());
}

#[test]
fn a_breaker_stops_calling_after_n_failures_and_probes_after_t() {
    let clock = Arc::new(FakeHookClock::default());
    let mut hooks = AuthHookRegistry::new();
    hooks.set_clock(clock.clone());
    let calls = Arc::new(AtomicUsize::new(0));
    let healthy = Arc::new(AtomicBool::new(false));
    let up = healthy.clone();
    let breaker = BreakerConfig::new(3, Duration::from_secs(30));
    hooks
        .register_with(
            Phase::BeforeLogin,
            "remote_check",
            HookOptions::default().breaker(breaker),
            counting(&calls, move || match up.load(Ordering::SeqCst) {
                true => Ok(()),
                false => Err(std::io::Error::other("timeout talking to the risk service")),
            }),
        )
        .unwrap();

    for _ in 0..3 {
        assert!(hooks.run_blocking(Phase::BeforeLogin, &ctx()).is_err());
    }
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    // Open: not called, and it counts as failed under `raise` (fallback "fail").
    for _ in 0..5 {
        let err = hooks.run_blocking(Phase::BeforeLogin, &ctx()).unwrap_err();
        let AuthHookError::Failed(failure) = err else {
            panic!("a failure")
        };
        assert!(matches!(failure.source, HookFailure::BreakerOpen));
    }
    assert_eq!(calls.load(Ordering::SeqCst), 3, "not called while open");

    // After T, one call probes; it fails, so it opens again for T.
    clock.advance(Duration::from_secs(30));
    assert!(hooks.run_blocking(Phase::BeforeLogin, &ctx()).is_err());
    assert_eq!(calls.load(Ordering::SeqCst), 4);
    assert!(hooks.run_blocking(Phase::BeforeLogin, &ctx()).is_err());
    assert_eq!(calls.load(Ordering::SeqCst), 4);

    // The service is back: the next probe passes and closes the breaker.
    healthy.store(true, Ordering::SeqCst);
    clock.advance(Duration::from_secs(30));
    hooks.run_blocking(Phase::BeforeLogin, &ctx()).unwrap();
    hooks.run_blocking(Phase::BeforeLogin, &ctx()).unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 6);
    let stats = hooks.stats();
    let remote = stats_of(&stats, "remote_check");
    assert_eq!(remote.breaker, Some(BreakerState::Closed { failures: 0 }));
    assert_eq!((remote.breaker_opens, remote.breaker_skips), (2, 6));
    assert_eq!((remote.calls, remote.failures, remote.passes), (6, 4, 2));
}

#[test]
fn a_phase_past_its_budget_stops_a_gate_closed_and_an_after_phase_goes_on() {
    fn slow(_: &AuthHookContext) -> HookFuture<'_> {
        Box::pin(async {
            futures_timer::Delay::new(Duration::from_millis(300)).await;
            Ok(())
        })
    }
    let after = Arc::new(AtomicUsize::new(0));
    let mut hooks = AuthHookRegistry::new();
    for phase in [Phase::BeforeLogin, Phase::OnLogin] {
        hooks.register_async(phase, "slow", slow).unwrap();
        hooks
            .register(phase, "after", counting(&after, || ()))
            .unwrap();
        hooks.set_budget(phase, Duration::from_millis(30));
    }
    let err = hooks.run_blocking(Phase::BeforeLogin, &ctx()).unwrap_err();
    let AuthHookError::Failed(failure) = err else {
        panic!("a failure")
    };
    assert!(failure.source.is_fault(), "{failure}");
    assert_eq!(after.load(Ordering::SeqCst), 0, "the gate stopped");

    let (outcome, logs) = capture_logs(|| hooks.run_blocking(Phase::OnLogin, &ctx()));
    outcome.unwrap();
    assert_eq!(
        after.load(Ordering::SeqCst),
        0,
        "the hooks past the budget did not run"
    );
    assert!(logs.contains("budget"), "{logs}");
    let stats = hooks.stats();
    let slow = stats
        .iter()
        .find(|s| s.phase == Phase::OnLogin && s.name == "slow")
        .unwrap();
    assert_eq!(slow.timeouts, 1, "cut short at what was left of the budget");
}

#[test]
fn counts_follow_every_outcome_and_a_stop_in_the_middle() {
    let mut hooks = AuthHookRegistry::new();
    let deny = Arc::new(AtomicBool::new(false));
    let denying = deny.clone();
    hooks
        .register(Phase::BeforeLogin, "first", |_: &AuthHookContext| {})
        .unwrap();
    hooks
        .register(
            Phase::BeforeLogin,
            "gate",
            move |_: &AuthHookContext| match denying.load(Ordering::SeqCst) {
                true => Err(AuthHookReject::new("no")),
                false => Ok(()),
            },
        )
        .unwrap();
    hooks
        .register_with(
            Phase::BeforeLogin,
            "oauth_only",
            HookOptions::default().backends(["oauth"]),
            |_: &AuthHookContext| {},
        )
        .unwrap();
    hooks
        .register(Phase::BeforeLogin, "last", |_: &AuthHookContext| {})
        .unwrap();

    for _ in 0..3 {
        hooks.run_blocking(Phase::BeforeLogin, &ctx()).unwrap();
    }
    deny.store(true, Ordering::SeqCst);
    for _ in 0..2 {
        assert!(hooks.run_blocking(Phase::BeforeLogin, &ctx()).is_err());
    }
    let stats = hooks.stats();
    let calls = |name| (stats_of(&stats, name).calls, stats_of(&stats, name).passes);
    assert_eq!(calls("first"), (5, 5));
    assert_eq!(calls("gate"), (5, 3));
    assert_eq!(stats_of(&stats, "gate").rejects, 2);
    assert_eq!(calls("oauth_only"), (0, 0), "skipped: another backend");
    assert_eq!(calls("last"), (3, 3), "not reached after the reject");
    let json = serde_json::to_value(&stats).unwrap();
    assert_eq!(json[1]["name"], "gate");
    assert_eq!(json[1]["rejects"], 2);
}

#[test]
fn overrides_change_mode_policy_and_presence_or_name_what_is_wrong() {
    let mut hooks = AuthHookRegistry::new();
    let deny = |_: &AuthHookContext| Err::<(), _>(AuthHookReject::new("no"));
    hooks.register(Phase::BeforeLogin, "deny", deny).unwrap();
    hooks
        .register(Phase::OnLogin, "mail", |_: &AuthHookContext| {})
        .unwrap();
    let config: HookOverrides = serde_json::from_str(
        r#"{ "deny": { "mode": "shadow", "on_error": "log" }, "mail": { "enabled": false } }"#,
    )
    .unwrap();
    hooks.apply_overrides(&config).unwrap();
    hooks.run_blocking(Phase::BeforeLogin, &ctx()).unwrap();
    assert_eq!(hooks.len(Phase::OnLogin), 0);

    for (json, names) in [
        (r#"{ "nope": { "enabled": false } }"#, "nope"),
        (r#"{ "deny": { "timeout_ms": 10 } }"#, "deny"),
    ] {
        let config: HookOverrides = serde_json::from_str(json).unwrap();
        let before = hooks.hooks(Phase::BeforeLogin).len();
        let err = hooks.apply_overrides(&config).unwrap_err();
        assert!(err.to_string().contains(names), "{err}");
        assert_eq!(hooks.hooks(Phase::BeforeLogin).len(), before);
    }
    let mut after = AuthHookRegistry::new();
    after
        .register(Phase::OnLogin, "mail", |_: &AuthHookContext| {})
        .unwrap();
    let shadow: HookOverrides =
        serde_json::from_str(r#"{ "mail": { "mode": "shadow" } }"#).unwrap();
    assert!(matches!(
        after.apply_overrides(&shadow),
        Err(ConfigError::ShadowAfterTheFact { .. })
    ));
    for bad in [
        r#"{ "x": { "mode": "shdow" } }"#,
        r#"{ "x": { "enabeld": true } }"#,
    ] {
        let err = serde_json::from_str::<HookOverrides>(bad).unwrap_err();
        assert!(
            err.to_string().contains("shdow") || err.to_string().contains("enabeld"),
            "{err}"
        );
    }
}

#[test]
fn the_attempt_id_is_in_every_hook_span_and_failure_line() {
    let mut hooks = AuthHookRegistry::new();
    hooks
        .register(Phase::OnLogin, "broken", |_: &AuthHookContext| {
            Err::<(), _>(std::io::Error::other("x"))
        })
        .unwrap();
    let (_, logs) = capture_logs(|| hooks.run_blocking(Phase::OnLogin, &ctx()));
    assert!(logs.contains("attempt-7f3a"), "{logs}");
}

#[test]
fn an_open_breaker_in_a_gate_refuses_under_log_too() {
    let clock = Arc::new(FakeHookClock::default());
    let mut hooks = AuthHookRegistry::new();
    hooks.set_clock(clock);
    let options = HookOptions::default()
        .on_error(ErrorPolicy::Log)
        .breaker(BreakerConfig::new(1, Duration::from_secs(30)));
    hooks
        .register_with(
            Phase::BeforeAuthenticate,
            "risk_check",
            options,
            |_: &AuthHookContext| -> () { panic!("the risk service's client crashed") },
        )
        .unwrap();
    // The panic is a fault: refused. Its breaker is now open, and the skipped check is
    // a fault too: still refused, though the hook's policy is `log`.
    for _ in 0..3 {
        let err = hooks
            .run_blocking(Phase::BeforeAuthenticate, &ctx())
            .unwrap_err();
        assert!(matches!(err, AuthHookError::Failed(_)), "{err:?}");
    }
    let stats = hooks.stats();
    assert_eq!(stats_of(&stats, "risk_check").breaker_skips, 2);
}

#[test]
fn a_probe_whose_caller_hangs_up_frees_the_breaker_for_the_next_probe() {
    use std::future::Future;
    use std::task::{Context, Waker};

    let clock = Arc::new(FakeHookClock::default());
    let mut hooks = AuthHookRegistry::new();
    hooks.set_clock(clock.clone());
    let calls = Arc::new(AtomicUsize::new(0));
    let hang = Arc::new(AtomicBool::new(false));
    let (counted, hanging) = (calls.clone(), hang.clone());
    hooks
        .register_async_with(
            Phase::BeforeLogin,
            "remote",
            HookOptions::default().breaker(BreakerConfig::new(1, Duration::from_secs(10))),
            move |_: &AuthHookContext| -> HookFuture<'_> {
                counted.fetch_add(1, Ordering::SeqCst);
                let hang = hanging.load(Ordering::SeqCst);
                Box::pin(async move {
                    if hang {
                        std::future::pending::<()>().await;
                    }
                    Err::<(), _>(std::io::Error::other("down").into())
                })
            },
        )
        .unwrap();
    assert!(
        hooks.run_blocking(Phase::BeforeLogin, &ctx()).is_err(),
        "opens the breaker"
    );

    // The probe starts, and its caller goes away while it runs.
    clock.advance(Duration::from_secs(10));
    hang.store(true, Ordering::SeqCst);
    {
        let ctx = ctx();
        let mut run = Box::pin(hooks.run(Phase::BeforeLogin, &ctx));
        let mut cx = Context::from_waker(Waker::noop());
        assert!(run.as_mut().poll(&mut cx).is_pending());
    }
    assert_eq!(calls.load(Ordering::SeqCst), 2, "the probe was called");

    // After another open time, a new probe is let through: the breaker is not stuck.
    hang.store(false, Ordering::SeqCst);
    clock.advance(Duration::from_secs(10));
    assert!(hooks.run_blocking(Phase::BeforeLogin, &ctx()).is_err());
    assert_eq!(calls.load(Ordering::SeqCst), 3, "a new probe ran");
}
