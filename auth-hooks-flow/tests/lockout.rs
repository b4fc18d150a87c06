//! The lockout built-in: 5 failures in 900 s lock a login name for 900 s, counted the
//! same for unknown names, cleared by a success, fail-closed without its store, and
//! never answering "wrong password" for a failure it could not count.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use auth_hooks::{AuthHookContext, AuthHookError, AuthHookRegistry, HookOptions, Phase};
use auth_hooks_flow::builtin::lockout::LOCKED_MESSAGE;
use auth_hooks_flow::testing::attempt_store_conformance;
use auth_hooks_flow::{
    AttemptStore, Credentials, FlowConfigError, LoginError, MemoryAttemptStore, StoreError,
};
use auth_hooks_test_support::flow::{
    ada, request, FailingStore, Fixture, FixtureOptions, PASSWORD,
};
use auth_hooks_test_support::logs::capture_logs;

fn lockout_hooks() -> AuthHookRegistry {
    auth_hooks::ready!(auth_hooks_flow::builtin::lockout).unwrap()
}

async fn fail(fx: &Fixture, login: &str, times: usize) {
    for _ in 0..times {
        let err = fx
            .flow
            .login(Credentials::password(login, "wrong"), request())
            .await
            .unwrap_err();
        assert!(matches!(err, LoginError::InvalidCredentials), "{err:?}");
    }
}

#[tokio::test]
async fn memory_attempt_store_passes_the_conformance_suite() {
    attempt_store_conformance(Arc::new(MemoryAttemptStore::new())).await;
}

#[tokio::test]
async fn five_failures_lock_the_account_even_against_the_right_password() {
    let fx = Fixture::new(lockout_hooks());
    fail(&fx, "ada", 5).await;

    let err = fx.flow.login(ada(PASSWORD), request()).await.unwrap_err();
    let LoginError::LockedOut { retry_after, .. } = &err else {
        panic!("expected a lockout, got {err:?}");
    };
    assert_eq!(*retry_after, Duration::from_secs(900));
    assert_eq!(err.client_message(), LOCKED_MESSAGE);
    assert_eq!(err.retry_after(), Some(Duration::from_secs(900)));
    assert!(fx.sessions.is_empty(), "no session while locked");

    // Case and spaces do not dodge the lock; other users are unaffected.
    let err = fx
        .flow
        .login(Credentials::password("  ADA ", PASSWORD), request())
        .await
        .unwrap_err();
    assert!(matches!(err, LoginError::LockedOut { .. }), "{err:?}");
    assert!(fx
        .flow
        .login(Credentials::password("bob", PASSWORD), request())
        .await
        .is_ok());

    fx.clock.advance(Duration::from_secs(600));
    let err = fx.flow.login(ada(PASSWORD), request()).await.unwrap_err();
    assert_eq!(
        err.retry_after(),
        Some(Duration::from_secs(300)),
        "Retry-After counts down"
    );

    fx.clock.advance(Duration::from_secs(300));
    assert!(
        fx.flow.login(ada(PASSWORD), request()).await.is_ok(),
        "unlocked after the period"
    );
}

#[tokio::test]
async fn four_failures_do_not_lock_and_a_success_clears_the_count() {
    let fx = Fixture::new(lockout_hooks());
    fail(&fx, "ada", 4).await;
    fx.flow.login(ada(PASSWORD), request()).await.unwrap();
    fail(&fx, "ada", 4).await;
    assert!(fx.flow.login(ada(PASSWORD), request()).await.is_ok());
}

#[tokio::test]
async fn failures_outside_the_window_do_not_add_up() {
    let fx = Fixture::new(lockout_hooks());
    fail(&fx, "ada", 4).await;
    fx.clock.advance(Duration::from_secs(901));
    fail(&fx, "ada", 4).await;
    assert!(fx.flow.login(ada(PASSWORD), request()).await.is_ok());
}

#[tokio::test]
async fn unknown_login_names_lock_the_same_way() {
    let fx = Fixture::new(lockout_hooks());
    fail(&fx, "nobody", 5).await;
    let err = fx
        .flow
        .login(Credentials::password("nobody", "wrong"), request())
        .await
        .unwrap_err();
    assert!(
        matches!(err, LoginError::LockedOut { .. }),
        "a lockout must not reveal that the account does not exist: {err:?}"
    );
}

#[test]
fn without_the_lockout_extension_the_flow_does_not_build_and_says_what_to_add() {
    let err = Fixture::try_with(
        lockout_hooks(),
        FixtureOptions {
            lockout: false,
            ..Default::default()
        },
    )
    .err()
    .expect("a flow whose lockout cannot work is refused");
    let FlowConfigError::MissingExtension(missing) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(
        missing.extension,
        "auth_hooks_flow::builtin::lockout::Lockout"
    );
    assert!(
        err.to_string()
            .contains("AuthFlowBuilder::extension(Lockout::new(store))"),
        "the error says what to configure: {err}"
    );
}

#[test]
fn a_hand_built_context_without_the_extension_is_refused_and_the_log_says_why() {
    let hooks = lockout_hooks();
    let ctx = AuthHookContext::builder()
        .credentials(serde_json::json!({ "username": "ada" }))
        .request(request())
        .build();
    let (err, logs) = capture_logs(|| {
        hooks
            .run_blocking(Phase::BeforeAuthenticate, &ctx)
            .unwrap_err()
    });
    assert!(matches!(err, AuthHookError::Failed(_)), "{err:?}");
    assert!(logs.contains("extension is missing"), "{logs}");
    assert!(
        logs.contains("AuthFlowBuilder::extension(Lockout::new(store))"),
        "the log says what to configure: {logs}"
    );
}

#[tokio::test]
async fn a_counter_store_failure_fails_closed() {
    let store = FailingStore::down();
    let fx = Fixture::with(
        lockout_hooks(),
        FixtureOptions {
            attempt_store: Some(store.clone() as Arc<dyn AttemptStore>),
            ..Default::default()
        },
    );
    let err = fx.flow.login(ada(PASSWORD), request()).await.unwrap_err();
    assert!(matches!(err, LoginError::HookFailed(_)), "{err:?}");
    assert!(
        fx.sessions.is_empty(),
        "a lock that cannot be checked is a refusal"
    );
    store.set_down(false);
    assert!(fx.flow.login(ada(PASSWORD), request()).await.is_ok());
}

/// Counters that can be read but not written (a full disk, a read-only replica).
struct ReadOnlyAttempts(MemoryAttemptStore);

#[auth_hooks_flow::async_trait]
impl AttemptStore for ReadOnlyAttempts {
    async fn record_failure(&self, _: &str, _: SystemTime, _: Duration) -> Result<u32, StoreError> {
        Err(StoreError::new("database or disk is full (test double)"))
    }
    async fn lock(&self, _: &str, _: SystemTime) -> Result<(), StoreError> {
        Err(StoreError::new("database or disk is full (test double)"))
    }
    async fn locked_until(
        &self,
        key: &str,
        now: SystemTime,
    ) -> Result<Option<SystemTime>, StoreError> {
        self.0.locked_until(key, now).await
    }
    async fn reset(&self, key: &str) -> Result<(), StoreError> {
        self.0.reset(key).await
    }
    async fn release(&self, _: &str, _: SystemTime) -> Result<(), StoreError> {
        Err(StoreError::new("database or disk is full (test double)"))
    }
    async fn remove_expired(&self, now: SystemTime) -> Result<usize, StoreError> {
        self.0.remove_expired(now).await
    }
}

#[tokio::test]
async fn an_attempt_that_cannot_be_counted_is_never_verified() {
    // Otherwise the lockout would stop counting while the store cannot write, and
    // unlimited guesses would each answer "wrong password" until the right one. The
    // attempt is reserved before the password is checked, so the right password is
    // refused alike: no oracle.
    let fx = Fixture::with(
        lockout_hooks(),
        FixtureOptions {
            attempt_store: Some(Arc::new(ReadOnlyAttempts(MemoryAttemptStore::new()))),
            ..Default::default()
        },
    );
    for _ in 0..10 {
        let err = fx
            .flow
            .login(Credentials::password("ada", "guess"), request())
            .await
            .unwrap_err();
        let LoginError::HookFailed(failed) = &err else {
            panic!("an uncounted failure answered as {err:?}")
        };
        assert_eq!(failed.hook, "auth_hooks_flow::builtin::lockout::check");
    }
    let right = fx.flow.login(ada(PASSWORD), request()).await.unwrap_err();
    assert!(matches!(right, LoginError::HookFailed(_)), "{right:?}");
    assert!(fx.sessions.is_empty());
}

#[tokio::test]
async fn a_failing_application_hook_cannot_skip_the_count() {
    // Under on_login_failed's default `raise`, a failing hook stops the phase: the
    // lockout counts first (priority 900 000), so it still counts, even after an
    // application hook that asked to run early.
    let mut hooks = lockout_hooks();
    hooks
        .register_with(
            "on_login_failed",
            "broken_alert",
            HookOptions::default().priority(10),
            |_: &AuthHookContext| Err::<(), _>(std::io::Error::other("alert webhook down")),
        )
        .unwrap();
    let fx = Fixture::new(hooks);
    for _ in 0..5 {
        let err = fx
            .flow
            .login(Credentials::password("ada", "guess"), request())
            .await
            .unwrap_err();
        assert!(matches!(err, LoginError::HookFailed(_)), "{err:?}");
    }
    let err = fx.flow.login(ada(PASSWORD), request()).await.unwrap_err();
    assert!(matches!(err, LoginError::LockedOut { .. }), "{err:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_guesses_on_memory_never_get_more_verifications_than_the_limits() {
    auth_hooks_flow::testing::parallel_guesses_conformance(Arc::new(MemoryAttemptStore::new()))
        .await;
}

#[tokio::test]
async fn an_attacker_at_one_address_cannot_lock_the_owner_out_at_another() {
    let fx = Fixture::new(lockout_hooks());
    let from = |ip: &str| request().client_ip(ip.parse().unwrap());
    // Empty passwords cost the attacker nothing but its own pair.
    for _ in 0..10 {
        let err = fx
            .flow
            .login(Credentials::password("ada", ""), from("198.51.100.66"))
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                LoginError::InvalidCredentials | LoginError::LockedOut { .. }
            ),
            "{err:?}"
        );
    }
    let err = fx
        .flow
        .login(ada(PASSWORD), from("198.51.100.66"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, LoginError::LockedOut { .. }),
        "the attacker's pair is locked: {err:?}"
    );
    fx.flow
        .login(ada(PASSWORD), from("203.0.113.5"))
        .await
        .expect("the owner, at another address, still logs in");
}

#[tokio::test]
async fn guesses_spread_over_many_addresses_meet_the_account_ceiling() {
    let fx = Fixture::new(lockout_hooks());
    let ceiling = auth_hooks_flow::builtin::lockout::Lockout::ACCOUNT_CEILING;
    for i in 0..ceiling {
        let ip = format!("10.{}.{}.1", i / 256, i % 256);
        let err = fx
            .flow
            .login(
                Credentials::password("ada", "guess"),
                request().client_ip(ip.parse().unwrap()),
            )
            .await
            .unwrap_err();
        assert!(
            matches!(err, LoginError::InvalidCredentials),
            "{i}: {err:?}"
        );
    }
    let err = fx
        .flow
        .login(
            ada(PASSWORD),
            request().client_ip("192.0.2.200".parse().unwrap()),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, LoginError::LockedOut { .. }),
        "past the ceiling the account is locked from everywhere: {err:?}"
    );
}

#[tokio::test]
async fn a_crafted_login_name_cannot_count_against_someone_elses_pair() {
    let fx = Fixture::new(lockout_hooks());
    let owner = "203.0.113.9";
    let from = |ip: &str| request().client_ip(ip.parse().unwrap());
    // Names shaped like the keys of ada's counters, from one attacker address.
    for name in [
        format!("ada|ip:{owner}"),
        format!("pair:{owner}:ada"),
        format!("{owner}:ada"),
        "ada|ip:none".to_owned(),
        "pair:none:ada".to_owned(),
    ] {
        for _ in 0..6 {
            let _ = fx
                .flow
                .login(
                    Credentials::password(name.clone(), "guess"),
                    from("198.51.100.66"),
                )
                .await;
        }
    }
    fx.flow
        .login(ada(PASSWORD), from(owner))
        .await
        .expect("ada's own counters were never touched");
}

#[tokio::test]
async fn while_the_account_is_locked_the_owners_retries_do_not_lock_their_pair() {
    // A small ceiling, so the flow is built by hand.
    let attempts = Arc::new(MemoryAttemptStore::new());
    let clock = auth_hooks_flow::ManualClock::starting_now();
    let lockout = auth_hooks_flow::builtin::lockout::Lockout::new(attempts)
        .with_account_ceiling(
            auth_hooks_flow::builtin::lockout::LockoutConfig::default()
                .max_failures(3)
                .window(Duration::from_secs(60))
                .lock_period(Duration::from_secs(60)),
        )
        .with_clock(Arc::new(clock.clone()));
    let flow = flow_with_lockout(lockout);
    let from = |ip: &str| request().client_ip(ip.parse().unwrap());
    for i in 0..3 {
        let _ = flow
            .login(
                Credentials::password("ada", "guess"),
                from(&format!("10.0.0.{i}")),
            )
            .await;
    }
    // The account is now over its ceiling: the owner is refused from anywhere...
    for _ in 0..10 {
        let err = flow
            .login(ada(PASSWORD), from("203.0.113.9"))
            .await
            .unwrap_err();
        assert!(matches!(err, LoginError::LockedOut { .. }), "{err:?}");
    }
    // ...but once the account lock ends, their own pair was never charged.
    clock.advance(Duration::from_secs(61));
    flow.login(ada(PASSWORD), from("203.0.113.9"))
        .await
        .expect("the owner's pair is clean");
}

/// A flow on memory stores with `lockout` attached and the lockout hooks active.
fn flow_with_lockout(
    lockout: auth_hooks_flow::builtin::lockout::Lockout,
) -> auth_hooks_flow::AuthFlow {
    use auth_hooks_flow::{
        AuthFlow, MemorySessionStore, MemoryUserStore, PasswordBackend, PasswordHasher, SessionKey,
        SessionManager,
    };
    let hasher = PasswordHasher::for_tests();
    let users = Arc::new(MemoryUserStore::new());
    users.add("u-ada", "ada", PASSWORD, &hasher).unwrap();
    AuthFlow::builder(PasswordBackend::new(users, hasher))
        .hooks(lockout_hooks())
        .sessions(SessionManager::new(
            SessionKey::new([7u8; 32]).unwrap(),
            Arc::new(MemorySessionStore::new()),
        ))
        .extension(lockout)
        .build()
        .unwrap()
}

#[test]
fn the_counter_keys_hold_a_keyed_hash_of_the_normalized_name_never_the_name() {
    use auth_hooks_flow::builtin::lockout::Lockout;
    use auth_hooks_flow::builtin::LoginNameKey;
    let store = Arc::new(MemoryAttemptStore::new());
    let shared = |byte| Lockout::new(store.clone()).with_key(LoginNameKey::new([byte; 32]));
    let (one, other_instance, other_key) = (shared(9), shared(9), shared(8));
    let ctx = |name: &str| {
        AuthHookContext::builder()
            .credentials(serde_json::json!({ "username": name }))
            .request(request())
            .build()
    };
    // People type their password into the name field.
    let typed = ctx("Hunter2-Ada");
    let (key, pair) = (one.key(&typed).unwrap(), one.pair_key(&typed).unwrap());
    for stored in [&key, &pair] {
        assert!(
            !stored.to_lowercase().contains("hunter2"),
            "the name in a key: {stored}"
        );
    }
    assert!(key.starts_with("login:") && pair.starts_with("pair:203.0.113.9:"));
    assert_eq!(key, one.key(&ctx("ＨＵＮＴＥＲ２-ＡＤＡ ")).unwrap());
    assert_eq!(
        key,
        other_instance.key(&typed).unwrap(),
        "instances given one key agree"
    );
    assert_ne!(key, other_key.key(&typed).unwrap());
    assert_ne!(key, Lockout::new(store.clone()).key(&typed).unwrap());
}
