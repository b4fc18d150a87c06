//! Store outages and refused logins over real HTTP, on the real stores:
//!
//! - Redis killed mid-test: logins, cookie and bearer requests get a generic 503 (never
//!   a 200, never a 401 that would read as "wrong password"); when Redis is back the
//!   same server recovers by itself.
//! - SQLite that cannot be written (its write lock held elsewhere): a login gets 503
//!   and writes nothing; once the lock is released logins work again.
//! - An `on_login` hook failing under `raise`, on memory, SQLite and Redis: 401, no
//!   cookie, no token, and nothing left in the store that would work.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use auth_hooks_flow::{
    AuthFlow, JtiBlocklist, JwtKeys, ManualClock, MemoryJtiBlocklist, MemorySessionStore,
    MemoryUserStore, PasswordBackend, SessionKey, SessionManager, SessionStore, TokenManager,
    UserStore,
};

use auth_hooks_redis::{RedisConfig, RedisStore};

use auth_hooks::{AuthHookContext, AuthHookRegistry, ErrorPolicy, Phase, TokenMeta};
use auth_hooks_axum::{WebConfig, WebError};
use auth_hooks_flow::testing::{flow_on, hasher, USERS};
use auth_hooks_sqlite::{SqliteOptions, SqliteStore};
use auth_hooks_test_support::flow::PASSWORD;
use auth_hooks_test_support::redis::{self as redis_support, OwnRedis};
use reqwest::header::{ACCEPT, AUTHORIZATION, COOKIE, ORIGIN, RETRY_AFTER};
use reqwest::{Response, StatusCode};
use serde_json::{json, Value};
use tests::http_support::{client, cookie_value, TestServer};

/// How long a refused request may take: the stores' timeouts, not a hang.
const FAIL_FAST: Duration = Duration::from_secs(5);

/// How long Redis's connection manager gets to reconnect after a restart. It reconnects
/// in the background; commands sent before it has may still fail, so the re-seeding
/// retries until this deadline (typically it takes well under a second).
const RECONNECT_DEADLINE: Duration = Duration::from_secs(20);

async fn login_json(server: &TestServer, password: &str, cookie: Option<&str>) -> Response {
    let mut request = client()
        .post(server.url("/login"))
        .header(ORIGIN, server.origin())
        .json(&json!({ "username": "ada", "password": password }));
    if let Some(cookie) = cookie {
        request = request.header(COOKIE, format!("session={cookie}"));
    }
    request.send().await.unwrap()
}

async fn login_form(server: &TestServer) -> Response {
    client()
        .post(server.url("/login"))
        .header(ORIGIN, server.origin())
        .form(&[("username", "ada"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap()
}

/// `GET /me` with `header: value`, as a JSON client.
async fn me(server: &TestServer, header: reqwest::header::HeaderName, value: &str) -> Response {
    client()
        .get(server.url("/me"))
        .header(ACCEPT, "application/json")
        .header(header, value)
        .send()
        .await
        .unwrap()
}

/// A successful JSON login's `(cookie header value, bearer header value)`.
async fn logged_in(response: Response) -> (String, String) {
    assert_eq!(response.status(), StatusCode::OK);
    let cookie = format!(
        "session={}",
        cookie_value(response.headers(), "session").expect("a session cookie")
    );
    let body: Value = response.json().await.unwrap();
    let bearer = format!("Bearer {}", body["access_token"].as_str().unwrap());
    (cookie, bearer)
}

/// Asserts a generic, retryable 503 without a session cookie, whose text names none of
/// `secrets`; returns the text.
async fn assert_unavailable(response: Response, secrets: &[&str]) -> String {
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(response.headers().contains_key(RETRY_AFTER));
    assert!(cookie_value(response.headers(), "session").is_none());
    let text = response.text().await.unwrap();
    for secret in secrets.iter().chain(&[PASSWORD]) {
        assert!(!text.contains(secret), "{secret:?} leaked: {text}");
    }
    text
}

/// Retries `step` until it succeeds or [`RECONNECT_DEADLINE`] passes.
async fn until_reconnected<F, Fut, E>(mut step: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<(), E>>,
    E: std::fmt::Display,
{
    let deadline = Instant::now() + RECONNECT_DEADLINE;
    loop {
        match step().await {
            Ok(()) => return,
            Err(e) if Instant::now() < deadline => {
                let _ = e;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => panic!("Redis did not come back within {RECONNECT_DEADLINE:?}: {e}"),
        }
    }
}

#[tokio::test]
async fn a_redis_outage_is_503_over_http_and_the_server_recovers_by_itself() {
    let Some(mut redis) = OwnRedis::start("http_outages::redis") else {
        return;
    };
    let store = Arc::new(
        RedisStore::connect(
            RedisConfig::new(redis.url())
                .prefix("http-outage:")
                .response_timeout(Duration::from_millis(500))
                .connection_timeout(Duration::from_millis(300))
                .reconnect_retries(1),
        )
        .await
        .unwrap(),
    );
    for (id, login) in USERS {
        store
            .add_user(id, login, PASSWORD, &hasher())
            .await
            .unwrap();
    }
    // Users, sessions, blocklist and failure counters (lockout) all on this Redis.
    let server = TestServer::start(
        flow_on(store.clone(), &ManualClock::starting_now()),
        WebConfig::default().https(false),
    )
    .await;
    let (cookie, bearer) = logged_in(login_json(&server, PASSWORD, None).await).await;
    assert_eq!(me(&server, COOKIE, &cookie).await.status(), StatusCode::OK);
    assert_eq!(
        me(&server, AUTHORIZATION, &bearer).await.status(),
        StatusCode::OK
    );

    redis.stop();
    let port = redis
        .url()
        .rsplit(':')
        .next()
        .unwrap()
        .trim_end_matches('/')
        .to_owned();
    let secrets = [
        "redis",
        "127.0.0.1",
        port.as_str(),
        "http-outage",
        "refused",
    ];

    let started = Instant::now();
    let response = login_json(&server, PASSWORD, None).await;
    assert!(started.elapsed() < FAIL_FAST, "{:?}", started.elapsed());
    let text = assert_unavailable(response, &secrets).await;
    assert_eq!(
        serde_json::from_str::<Value>(&text).unwrap(),
        json!({ "error": WebError::UNAVAILABLE })
    );
    // A form gets the page back, with the same status and text.
    let page = assert_unavailable(login_form(&server).await, &secrets).await;
    assert!(page.contains(WebError::UNAVAILABLE), "{page}");
    // A wrong password is not told apart from a right one while nothing can be checked.
    let wrong = login_json(&server, "wrong", None).await;
    assert_unavailable(wrong, &secrets).await;

    for (header, value) in [(COOKIE, &cookie), (AUTHORIZATION, &bearer)] {
        let started = Instant::now();
        let response = me(&server, header.clone(), value).await;
        assert!(started.elapsed() < FAIL_FAST, "{header}");
        let text = assert_unavailable(response, &secrets).await;
        assert_eq!(
            serde_json::from_str::<Value>(&text).unwrap(),
            json!({ "error": WebError::UNAVAILABLE }),
            "{header}"
        );
    }

    // Redis is back, empty (no persistence). The same server and store, no restart.
    redis.restart();
    let hasher = hasher();
    until_reconnected(|| store.add_user("u-ada", "ada", PASSWORD, &hasher)).await;
    let (new_cookie, new_bearer) = logged_in(login_json(&server, PASSWORD, None).await).await;
    for (header, value) in [(COOKIE, &new_cookie), (AUTHORIZATION, &new_bearer)] {
        let response = me(&server, header.clone(), value).await;
        assert_eq!(response.status(), StatusCode::OK, "{header}");
        assert_eq!(response.json::<Value>().await.unwrap()["user_id"], "u-ada");
    }
    // The session from before went with Redis's data: refused, not waved through.
    assert_eq!(
        me(&server, COOKIE, &cookie).await.status(),
        StatusCode::UNAUTHORIZED
    );
    server.stop().await;
}

/// Rows in each of the SQLite store's tables of state, read through `conn`.
fn sqlite_rows(conn: &rusqlite::Connection) -> [i64; 3] {
    ["auth_sessions", "auth_jti_blocklist", "auth_attempts"].map(|table| {
        conn.query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |row| {
            row.get(0)
        })
        .unwrap()
    })
}

#[tokio::test]
async fn unwritable_sqlite_is_503_over_http_writes_nothing_and_recovers() {
    // The test may run as root, whom file permissions do not stop; another connection
    // holding SQLite's write lock (as another process mid-write would) makes every
    // write fail after the busy timeout, which is what an unwritable database does.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("auth.db");
    let store = Arc::new(
        SqliteStore::open_with(
            &path,
            SqliteOptions::default().busy_timeout(Duration::from_millis(100)),
        )
        .unwrap(),
    );
    for (id, login) in USERS {
        store
            .add_user(id, login, PASSWORD, &hasher())
            .await
            .unwrap();
    }
    let server = TestServer::start(
        flow_on(store.clone(), &ManualClock::starting_now()),
        WebConfig::default().https(false),
    )
    .await;
    let (cookie, _) = logged_in(login_json(&server, PASSWORD, None).await).await;

    let blocker = rusqlite::Connection::open(&path).unwrap();
    let before = sqlite_rows(&blocker);
    assert_eq!(before[0], 1, "the first login's session");
    let sessions_before = store.list_for_user("u-ada").await.unwrap();
    blocker.execute_batch("BEGIN EXCLUSIVE").unwrap();

    let secrets = ["sqlite", "locked", "busy", path.to_str().unwrap()];
    let started = Instant::now();
    let response = login_json(
        &server,
        PASSWORD,
        Some(cookie.trim_start_matches("session=")),
    )
    .await;
    assert!(started.elapsed() < FAIL_FAST, "{:?}", started.elapsed());
    let text = assert_unavailable(response, &secrets).await;
    assert_eq!(
        serde_json::from_str::<Value>(&text).unwrap(),
        json!({ "error": WebError::UNAVAILABLE })
    );
    let page = assert_unavailable(login_form(&server).await, &secrets).await;
    assert!(page.contains(WebError::UNAVAILABLE), "{page}");

    // Nothing half-written: the same rows, the same session, still usable.
    assert_eq!(sqlite_rows(&blocker), before);
    assert_eq!(store.list_for_user("u-ada").await.unwrap(), sessions_before);
    blocker.execute_batch("ROLLBACK").unwrap();
    assert_eq!(sqlite_rows(&blocker), before, "nothing was waiting to land");
    assert_eq!(me(&server, COOKIE, &cookie).await.status(), StatusCode::OK);

    let (new_cookie, _) = logged_in(login_json(&server, PASSWORD, None).await).await;
    assert_ne!(new_cookie, cookie);
    assert_eq!(
        me(&server, COOKIE, &new_cookie).await.status(),
        StatusCode::OK
    );
    server.stop().await;
}

/// What the failing `on_login` hook saw: the session and tokens the login had created
/// when it ran.
#[derive(Default)]
struct Seen {
    armed: AtomicBool,
    sessions: Mutex<Vec<String>>,
    tokens: Mutex<Vec<TokenMeta>>,
}

/// Logs in over HTTP with an `on_login` hook that fails under `raise`, on these stores
/// (seeded with Ada): once replacing an earlier session (JSON), once fresh (form).
/// Each gets 401 "Login rejected." without cookie or token, and the store keeps no
/// session of Ada's and has every token the login issued on its blocklist.
async fn on_login_raise_leaves_nothing(
    users: Arc<dyn UserStore>,
    sessions: Arc<dyn SessionStore>,
    blocklist: Arc<dyn JtiBlocklist>,
) {
    let seen = Arc::new(Seen::default());
    let mut hooks = AuthHookRegistry::new();
    let record = seen.clone();
    hooks
        .register(Phase::OnLogin, "crm_sync", move |ctx: &AuthHookContext| {
            if !record.armed.load(Ordering::SeqCst) {
                return Ok(());
            }
            let session = ctx
                .session()
                .expect("the session was created")
                .id_hash
                .clone();
            record.sessions.lock().unwrap().push(session);
            record
                .tokens
                .lock()
                .unwrap()
                .extend(ctx.tokens().iter().cloned());
            Err(std::io::Error::other(
                "crm at 10.9.8.7 password=s3cr3t unreachable",
            ))
        })
        .unwrap();
    hooks.set_policy(Phase::OnLogin, ErrorPolicy::Raise);
    let flow = AuthFlow::builder(PasswordBackend::new(users, hasher()))
        .hooks(hooks)
        .sessions(SessionManager::new(
            SessionKey::new([3u8; 32]).unwrap(),
            sessions.clone(),
        ))
        .tokens(TokenManager::new(
            JwtKeys::hs256([4u8; 32]).unwrap(),
            blocklist.clone(),
        ))
        .build()
        .unwrap();
    let server = TestServer::start(flow, WebConfig::default().https(false)).await;

    let (cookie, _) = logged_in(login_json(&server, PASSWORD, None).await).await;
    assert_eq!(sessions.list_for_user("u-ada").await.unwrap().len(), 1);

    seen.armed.store(true, Ordering::SeqCst);
    let leaks = [
        "crm",
        "10.9.8.7",
        "s3cr3t",
        "access_token",
        "refresh_token",
        PASSWORD,
    ];
    let response = login_json(
        &server,
        PASSWORD,
        Some(cookie.trim_start_matches("session=")),
    )
    .await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(cookie_value(response.headers(), "session").is_none());
    let text = response.text().await.unwrap();
    assert_eq!(
        serde_json::from_str::<Value>(&text).unwrap(),
        json!({ "error": WebError::LOGIN_REJECTED })
    );
    for leak in leaks {
        assert!(!text.contains(leak), "{leak:?} leaked: {text}");
    }

    let response = login_form(&server).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(cookie_value(response.headers(), "session").is_none());
    let page = response.text().await.unwrap();
    assert!(page.contains(WebError::LOGIN_REJECTED), "{page}");
    for leak in leaks {
        assert!(!page.contains(leak), "{leak:?} leaked: {page}");
    }

    let created = seen.sessions.lock().unwrap().clone();
    let tokens = seen.tokens.lock().unwrap().clone();
    assert_eq!((created.len(), tokens.len()), (2, 4), "the hook ran twice");
    for id_hash in &created {
        assert_eq!(sessions.get(id_hash).await.unwrap(), None, "left behind");
    }
    assert!(
        sessions.list_for_user("u-ada").await.unwrap().is_empty(),
        "no session of Ada's: not the refused ones, not the replaced one"
    );
    assert_eq!(
        me(&server, COOKIE, &cookie).await.status(),
        StatusCode::UNAUTHORIZED
    );
    for token in &tokens {
        assert!(
            blocklist
                .is_blocked(&token.jti, SystemTime::now())
                .await
                .unwrap(),
            "{:?} token {} still works",
            token.kind,
            token.jti
        );
    }

    // The hook recovers: so do logins, on the same stores.
    seen.armed.store(false, Ordering::SeqCst);
    let (cookie, bearer) = logged_in(login_json(&server, PASSWORD, None).await).await;
    assert_eq!(me(&server, COOKIE, &cookie).await.status(), StatusCode::OK);
    assert_eq!(
        me(&server, AUTHORIZATION, &bearer).await.status(),
        StatusCode::OK
    );
    server.stop().await;
}

#[tokio::test]
async fn a_failing_on_login_hook_under_raise_leaves_nothing_on_memory_stores() {
    let users = Arc::new(MemoryUserStore::new());
    users.add("u-ada", "ada", PASSWORD, &hasher()).unwrap();
    on_login_raise_leaves_nothing(
        users,
        Arc::new(MemorySessionStore::new()),
        Arc::new(MemoryJtiBlocklist::new()),
    )
    .await;
}

#[tokio::test]
async fn a_failing_on_login_hook_under_raise_leaves_nothing_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(dir.path().join("auth.db")).unwrap());
    store
        .add_user("u-ada", "ada", PASSWORD, &hasher())
        .await
        .unwrap();
    on_login_raise_leaves_nothing(store.clone(), store.clone(), store).await;
}

#[tokio::test]
async fn a_failing_on_login_hook_under_raise_leaves_nothing_on_redis() {
    let test = "http_outages::a_failing_on_login_hook_under_raise_leaves_nothing_on_redis";
    let Some(store) = redis_support::redis_store(test).await else {
        return;
    };
    let store = Arc::new(store);
    store
        .add_user("u-ada", "ada", PASSWORD, &hasher())
        .await
        .unwrap();
    on_login_raise_leaves_nothing(store.clone(), store.clone(), store.clone()).await;
    redis_support::cleanup(&store).await;
}
