//! A client that hangs up mid-login: the server drops the login with the connection.
//! While a `before_login` hook runs, the hook is cancelled where it waits, no later hook
//! runs and nothing is created, under either policy; while `on_login` runs, the session
//! and tokens already created are revoked.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use auth_hooks::{AuthHookContext, AuthHookRegistry, ErrorPolicy, HookFuture, Phase};
use auth_hooks_axum::WebConfig;
use auth_hooks_test_support::flow::{register_stuck_hook, Fixture, PASSWORD};
use tests::http_support::{serve, TestServer};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

/// How far the hooks got.
#[derive(Default)]
struct Progress {
    started: AtomicUsize,
    finished: AtomicUsize,
    on_login: AtomicUsize,
}

/// A slow `before_login` lookup (it would let the login through after 2 s) and a
/// counting `on_login`, under `policy`.
fn hooks(progress: &Arc<Progress>, policy: ErrorPolicy) -> AuthHookRegistry {
    let mut hooks = AuthHookRegistry::new();
    let seen = progress.clone();
    hooks
        .register_async(
            "before_login",
            "slow_lookup",
            move |_: &AuthHookContext| -> HookFuture<'_> {
                let seen = seen.clone();
                seen.started.fetch_add(1, Ordering::SeqCst);
                Box::pin(async move {
                    tokio::time::sleep(Duration::from_secs(2)).await;
                    seen.finished.fetch_add(1, Ordering::SeqCst);
                    Ok(())
                })
            },
        )
        .unwrap();
    let seen = progress.clone();
    hooks
        .register("on_login", "count", move |_: &AuthHookContext| {
            seen.on_login.fetch_add(1, Ordering::SeqCst);
        })
        .unwrap();
    hooks.set_policy(Phase::BeforeLogin, policy);
    hooks
}

/// Ada's JSON login, as raw HTTP/1.1 (the test holds the socket to hang up on it).
fn raw_login(server: &TestServer) -> String {
    let body = serde_json::json!({ "username": "ada", "password": PASSWORD }).to_string();
    format!(
        "POST /login HTTP/1.1\r\nHost: {addr}\r\nOrigin: http://{addr}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len(),
        addr = server.addr,
    )
}

/// Waits (bounded) until `done` holds.
async fn until(what: &str, done: impl Fn() -> bool) {
    for _ in 0..200 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("waited 2 s for {what}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_gone_mid_before_login_leaves_no_session_under_either_policy() {
    for policy in [ErrorPolicy::Raise, ErrorPolicy::Log] {
        let progress = Arc::new(Progress::default());
        let (server, stores) = serve(
            Fixture::new(hooks(&progress, policy)),
            WebConfig::default().https(false),
        )
        .await;

        let mut socket = TcpStream::connect(server.addr).await.unwrap();
        socket
            .write_all(raw_login(&server).as_bytes())
            .await
            .unwrap();
        until("the hook to start", || {
            progress.started.load(Ordering::SeqCst) == 1
        })
        .await;
        // The client hangs up while the hook waits.
        drop(socket);

        // Past the point where the hook would have let the login through.
        tokio::time::sleep(Duration::from_millis(2_500)).await;
        assert_eq!(
            progress.finished.load(Ordering::SeqCst),
            0,
            "{policy}: the hook ran on after its client left"
        );
        assert_eq!(progress.on_login.load(Ordering::SeqCst), 0, "{policy}");
        assert!(
            stores.sessions.is_empty(),
            "{policy}: a session was created for a client that was gone"
        );
        assert!(stores.blocklist.is_empty(), "{policy}");
        server.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_login_kept_open_succeeds_so_the_test_above_can_fail() {
    // The control: with the client waiting, the slow hook finishes and the login
    // succeeds; only the hang-up made the difference above.
    let progress = Arc::new(Progress::default());
    let (server, stores) = serve(
        Fixture::new(hooks(&progress, ErrorPolicy::Raise)),
        WebConfig::default().https(false),
    )
    .await;
    let response = tests::http_support::client()
        .post(server.url("/login"))
        .header("origin", server.origin())
        .json(&serde_json::json!({ "username": "ada", "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(progress.finished.load(Ordering::SeqCst), 1);
    assert_eq!(progress.on_login.load(Ordering::SeqCst), 1);
    assert!(!stores.sessions.is_empty());
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_gone_mid_on_login_leaves_no_valid_session_or_token() {
    let started = Arc::new(AtomicUsize::new(0));
    let mut hooks = AuthHookRegistry::new();
    register_stuck_hook(&mut hooks, "on_login", "slow_audit", &started);
    let (server, stores) = serve(Fixture::new(hooks), WebConfig::default().https(false)).await;
    let mut socket = TcpStream::connect(server.addr).await.unwrap();
    socket
        .write_all(raw_login(&server).as_bytes())
        .await
        .unwrap();
    until("on_login to start", || started.load(Ordering::SeqCst) == 1).await;
    assert_eq!(
        stores.sessions.len(),
        1,
        "the session exists while on_login runs"
    );
    drop(socket);
    until("the session to be revoked", || stores.sessions.is_empty()).await;
    // Both tokens, and their refresh family.
    until("the tokens to be blocked", || stores.blocklist.len() == 3).await;
    server.stop().await;
}
