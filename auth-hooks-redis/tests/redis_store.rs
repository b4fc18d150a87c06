//! The Redis store: every conformance suite, native expiry, key prefixes, an outage
//! (Redis killed mid-test: StoreError, the flow refuses with 503, then recovers by
//! itself when Redis is back), and the whole flow on it.
//!
//! Needs a Redis at `AUTH_HOOKS_REDIS_URL` (default `redis://127.0.0.1:6379/`); without
//! one each test prints `SKIPPED …` and passes, unless `AUTH_HOOKS_REQUIRE_REDIS=1`
//! (as in `.ci/run`) makes it fail.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use auth_hooks_flow::second_factor::ContinuationStore;
use auth_hooks_flow::{
    AttemptStore, JtiBlocklist, LoginError, SessionRecord, SessionStore, UserStore,
};

use auth_hooks_flow::testing::{
    atomicity_conformance, attempt_store_conformance, conformance_continuation, conformance_users,
    continuation_store_conformance, jti_blocklist_conformance, second_factor_store_conformance,
    session_store_conformance, user_store_conformance,
};
use auth_hooks_flow::testing::{full_cycle, hasher, parallel_guesses_conformance, USERS};
use auth_hooks_redis::{RedisConfig, RedisStore};
use auth_hooks_test_support::flow::{ada, request, Fixture, FixtureOptions, PASSWORD};
use auth_hooks_test_support::redis::{cleanup, redis_store, redis_url, unique_prefix, OwnRedis};

#[tokio::test]
async fn redis_passes_the_session_conformance_suite() {
    let Some(store) = redis_store("redis_sessions").await else {
        return;
    };
    session_store_conformance(Arc::new(store.clone())).await;
    cleanup(&store).await;
}

#[tokio::test]
async fn redis_passes_the_blocklist_conformance_suite() {
    let Some(store) = redis_store("redis_blocklist").await else {
        return;
    };
    jti_blocklist_conformance(Arc::new(store.clone())).await;
    cleanup(&store).await;
}

#[tokio::test]
async fn redis_passes_the_attempt_conformance_suite() {
    let Some(store) = redis_store("redis_attempts").await else {
        return;
    };
    attempt_store_conformance(Arc::new(store.clone())).await;
    cleanup(&store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_guesses_on_redis_never_get_more_verifications_than_the_limits() {
    let Some(store) = redis_store("redis_parallel_guesses").await else {
        return;
    };
    parallel_guesses_conformance(Arc::new(store.clone())).await;
    cleanup(&store).await;
}

#[tokio::test]
async fn redis_passes_the_user_conformance_suite() {
    let Some(store) = redis_store("redis_users").await else {
        return;
    };
    for user in conformance_users() {
        store.insert_user(user).await.unwrap();
    }
    user_store_conformance(Arc::new(store.clone())).await;
    cleanup(&store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn redis_passes_the_second_factor_conformance_suite() {
    let Some(store) = redis_store("redis_second_factor").await else {
        return;
    };
    second_factor_store_conformance(Arc::new(store.clone())).await;
    cleanup(&store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn redis_passes_the_continuation_conformance_suite() {
    let Some(store) = redis_store("redis_continuations").await else {
        return;
    };
    continuation_store_conformance(Arc::new(store.clone())).await;
    cleanup(&store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn redis_is_atomic_under_concurrent_callers() {
    let Some(store) = redis_store("redis_atomicity").await else {
        return;
    };
    let shared = Arc::new(store.clone());
    atomicity_conformance(shared.clone(), shared.clone(), shared).await;
    cleanup(&store).await;
}

async fn raw() -> redis::aio::MultiplexedConnection {
    redis::Client::open(redis_url())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap()
}

async fn pexpiretime(key: &str) -> i64 {
    redis::cmd("PEXPIRETIME")
        .arg(key)
        .query_async(&mut raw().await)
        .await
        .unwrap()
}

fn ms(time: SystemTime) -> i64 {
    time.duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

#[tokio::test]
async fn entries_carry_native_expiry_at_their_end() {
    let Some(store) = redis_store("redis_expiry").await else {
        return;
    };
    let p = store.prefix().to_owned();
    let now = SystemTime::now();
    let record = SessionRecord {
        id_hash: "h1".to_owned(),
        user_id: "u1".to_owned(),
        created_at: now,
        last_seen_at: now,
        expires_at: now + Duration::from_secs(3600),
        idle_expires_at: now + Duration::from_secs(600),
        data: Default::default(),
    };
    store.insert(record).await.unwrap();
    let at = pexpiretime(&format!("{p}session:h1")).await;
    let idle_end = ms(now + Duration::from_secs(600));
    assert!(
        (idle_end..=idle_end + 1).contains(&at),
        "a session expires at its idle end: {at} vs {idle_end}"
    );
    assert!(pexpiretime(&format!("{p}user-sessions:u1")).await >= at);

    // A use moves the idle end; Redis's expiry follows, never past the absolute end.
    store
        .touch("h1", now, now + Duration::from_secs(7200))
        .await
        .unwrap();
    let at = pexpiretime(&format!("{p}session:h1")).await;
    let end = ms(now + Duration::from_secs(3600));
    assert!(
        (end..=end + 1).contains(&at),
        "capped at the absolute end: {at}"
    );

    store
        .block("j1", now + Duration::from_secs(900))
        .await
        .unwrap();
    let at = pexpiretime(&format!("{p}jti:j1")).await;
    assert!(
        (ms(now + Duration::from_secs(900))..=ms(now + Duration::from_secs(900)) + 1).contains(&at)
    );

    store
        .record_failure("k", now, Duration::from_secs(900))
        .await
        .unwrap();
    assert!(pexpiretime(&format!("{p}failures:k")).await > 0);
    store
        .lock("k", now + Duration::from_secs(900))
        .await
        .unwrap();
    assert!(pexpiretime(&format!("{p}lock:k")).await > 0);

    let waiting = now + Duration::from_secs(300);
    store
        .put("c1", &conformance_continuation("u1", waiting))
        .await
        .unwrap();
    let at = pexpiretime(&format!("{p}continuation:c1")).await;
    assert!(
        (ms(waiting)..=ms(waiting) + 1).contains(&at),
        "a continuation expires at its end: {at}"
    );

    // An entry whose end has passed in real time is gone without any sweep.
    store
        .block("j-short", now + Duration::from_millis(50))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(120)).await;
    let exists: i64 = redis::cmd("EXISTS")
        .arg(format!("{p}jti:j-short"))
        .query_async(&mut raw().await)
        .await
        .unwrap();
    assert_eq!(exists, 0, "Redis forgot it by itself");
    cleanup(&store).await;
}

#[tokio::test]
async fn prefixes_keep_stores_apart_and_every_key_sits_under_one() {
    let Some(a) = redis_store("redis_prefix_a").await else {
        return;
    };
    let b =
        RedisStore::connect(RedisConfig::new(redis_url()).prefix(unique_prefix("redis_prefix_b")))
            .await
            .unwrap();
    let until = SystemTime::now() + Duration::from_secs(60);
    assert!(a.block("same", until).await.unwrap());
    assert!(
        b.block("same", until).await.unwrap(),
        "another prefix is another blocklist"
    );
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{}*", a.prefix()))
        .query_async(&mut raw().await)
        .await
        .unwrap();
    assert_eq!(keys, [format!("{}jti:same", a.prefix())]);
    cleanup(&a).await;
    cleanup(&b).await;
}

#[tokio::test]
async fn nothing_secret_is_stored_or_shown() {
    let Some(store) = redis_store("redis_no_secrets").await else {
        return;
    };
    for (id, login) in USERS {
        store
            .add_user(id, login, PASSWORD, &hasher())
            .await
            .unwrap();
    }
    let fx = Fixture::with(
        auth_hooks::AuthHookRegistry::new(),
        FixtureOptions {
            lockout: false,
            session_store: Some(Arc::new(store.clone()) as Arc<dyn SessionStore>),
            blocklist: Some(Arc::new(store.clone()) as Arc<dyn JtiBlocklist>),
            ..Default::default()
        },
    );
    let ok = fx.flow.login(ada(PASSWORD), request()).await.unwrap();
    let secrets = [
        ok.session.unwrap().id.expose().to_owned(),
        ok.tokens.as_ref().unwrap().access.token.expose().to_owned(),
        ok.tokens
            .as_ref()
            .unwrap()
            .refresh
            .token
            .expose()
            .to_owned(),
        PASSWORD.to_owned(),
    ];
    let mut conn = raw().await;
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{}*", store.prefix()))
        .query_async(&mut conn)
        .await
        .unwrap();
    let mut dump = keys.join("\n");
    for key in &keys {
        let bytes: Vec<u8> = redis::cmd("DUMP")
            .arg(key)
            .query_async(&mut conn)
            .await
            .unwrap();
        dump.push_str(&String::from_utf8_lossy(&bytes));
    }
    for secret in &secrets {
        assert!(!dump.contains(secret.as_str()), "a secret reached Redis");
    }
    let debug = format!("{store:?}");
    assert!(debug.starts_with("RedisStore { url: "), "{debug}");
    cleanup(&store).await;
}

#[tokio::test]
async fn a_password_in_the_url_never_reaches_errors() {
    // Nothing listens on port 1: the connection fails, and the error names the host only.
    let err = RedisStore::connect(
        RedisConfig::new("redis://:hunter2@127.0.0.1:1/")
            .connection_timeout(Duration::from_millis(300)),
    )
    .await
    .unwrap_err();
    let text = format!("{err} {err:?}");
    assert!(text.contains("127.0.0.1:1"), "{text}");
    assert!(!text.contains("hunter2"), "{text}");

    let err = RedisStore::connect(RedisConfig::new("not a url"))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("invalid URL"), "{err}");
}

#[tokio::test]
async fn a_redis_outage_fails_closed_and_the_store_recovers_by_itself() {
    let Some(mut server) = OwnRedis::start("redis_outage") else {
        return;
    };
    let store = RedisStore::connect(
        RedisConfig::new(server.url())
            .prefix("outage:")
            .response_timeout(Duration::from_millis(500))
            .connection_timeout(Duration::from_millis(300))
            .reconnect_retries(1),
    )
    .await
    .unwrap();
    for (id, login) in USERS {
        store
            .add_user(id, login, PASSWORD, &hasher())
            .await
            .unwrap();
    }
    let fx = Fixture::with(
        auth_hooks::AuthHookRegistry::new(),
        FixtureOptions {
            tokens: false,
            lockout: false,
            session_store: Some(Arc::new(store.clone()) as Arc<dyn SessionStore>),
            ..Default::default()
        },
    );
    assert!(fx.flow.login(ada(PASSWORD), request()).await.is_ok());

    server.stop();
    let started = Instant::now();
    let err = fx.flow.login(ada(PASSWORD), request()).await.unwrap_err();
    assert!(matches!(err, LoginError::StoreUnavailable(_)), "{err:?}");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "fails within the timeouts, not hangs: {:?}",
        started.elapsed()
    );
    let err = store
        .is_blocked("jti", SystemTime::now())
        .await
        .unwrap_err();
    assert!(
        err.to_string().starts_with("store unavailable: redis"),
        "{err}"
    );

    // Redis comes back (empty: no persistence): the same store works again, no restart.
    server.restart();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        match store.ping().await {
            Ok(()) => break,
            Err(e) if Instant::now() < deadline => {
                let _ = e;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => panic!("the store did not recover: {e}"),
        }
    }
    for (id, login) in USERS {
        store
            .add_user(id, login, PASSWORD, &hasher())
            .await
            .unwrap();
    }
    assert!(
        fx.flow.login(ada(PASSWORD), request()).await.is_ok(),
        "logins work again"
    );
    assert_eq!(store.list_for_user("u-ada").await.unwrap().len(), 1);
    assert!(store.find_by_id("u-ada").await.unwrap().is_some());
}

#[tokio::test]
async fn a_store_made_before_redis_starts_works_once_it_does() {
    let Some(mut server) = OwnRedis::start("redis_lazy") else {
        return;
    };
    server.stop();
    let store = RedisStore::connect_lazy(
        RedisConfig::new(server.url())
            .response_timeout(Duration::from_millis(500))
            .connection_timeout(Duration::from_millis(300))
            .reconnect_retries(1),
    )
    .expect("no connection is made yet");
    let until = SystemTime::now() + Duration::from_secs(60);
    assert!(
        store.block("j", until).await.is_err(),
        "no Redis yet: an error"
    );

    server.restart();
    let deadline = Instant::now() + Duration::from_secs(20);
    while store.ping().await.is_err() {
        assert!(Instant::now() < deadline, "the store never connected");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(store.block("j", until).await.unwrap());
    assert!(store.is_blocked("j", SystemTime::now()).await.unwrap());
}

#[test]
fn without_a_tokio_runtime_connecting_is_an_error_not_a_panic() {
    let err = RedisStore::connect_lazy(RedisConfig::new(redis_url())).unwrap_err();
    assert!(err.to_string().contains("tokio runtime"), "{err}");
}

#[tokio::test]
async fn the_whole_flow_runs_on_redis() {
    let Some(store) = redis_store("redis_flow").await else {
        return;
    };
    for (id, login) in USERS {
        store
            .add_user(id, login, PASSWORD, &hasher())
            .await
            .unwrap();
    }
    full_cycle(Arc::new(store.clone())).await;
    let later = SystemTime::now() + Duration::from_secs(400 * 24 * 3600);
    assert!(SessionStore::remove_expired(&store, later).await.unwrap() >= 1);
    assert!(JtiBlocklist::remove_expired(&store, later).await.unwrap() >= 1);
    AttemptStore::remove_expired(&store, later).await.unwrap();
    cleanup(&store).await;
}
