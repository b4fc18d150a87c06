//! The per-client throttle (`builtin::ip_throttle`): failures from one address against
//! many accounts block that address, not the accounts; other clients go on; the block
//! ends with its period; IPv6 counts per /64; over HTTP it is a 429 with Retry-After.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use auth_hooks::builtin::ip_throttle::{IpThrottle, THROTTLED_MESSAGE};
use auth_hooks::builtin::lockout::LockoutConfig;
use auth_hooks::flow::{
    AuthFlow, Credentials, LoginError, ManualClock, MemoryAttemptStore, MemorySessionStore,
    MemoryUserStore, PasswordBackend, PasswordHasher, SessionKey, SessionManager,
};
use auth_hooks::RequestMeta;
use auth_hooks_axum::{TrustedProxies, WebConfig};
use reqwest::header::{ORIGIN, RETRY_AFTER};
use reqwest::StatusCode;
use tests::flow_support::PASSWORD;
use tests::http_support::{client, TestServer};

const LIMIT: u32 = 4;

/// A flow with the throttle (4 failures in 60 s block for 120 s) on `clock`, or
/// without its extension when `attach` is false.
fn flow(clock: &ManualClock, attach: bool) -> AuthFlow {
    let hasher = PasswordHasher::for_tests();
    let users = Arc::new(MemoryUserStore::new());
    users.add("u-ada", "ada", PASSWORD, &hasher).unwrap();
    let hooks = auth_hooks::ready!(auth_hooks::builtin::ip_throttle).unwrap();
    let mut builder = AuthFlow::builder(PasswordBackend::new(users, hasher))
        .hooks(hooks)
        .sessions(SessionManager::new(
            SessionKey::new([7u8; 32]).unwrap(),
            Arc::new(MemorySessionStore::new()),
        ));
    if attach {
        let config = LockoutConfig::default()
            .max_failures(LIMIT)
            .window(Duration::from_secs(60))
            .lock_period(Duration::from_secs(120));
        builder = builder.extension(
            IpThrottle::new(Arc::new(MemoryAttemptStore::new()))
                .with_config(config)
                .with_clock(Arc::new(clock.clone())),
        );
    }
    builder.build().unwrap()
}

fn from(ip: &str) -> RequestMeta {
    RequestMeta::new("POST", "/login").client_ip(ip.parse::<IpAddr>().unwrap())
}

/// `LIMIT` failures from `ip`, each against another (unknown) account.
async fn spray(flow: &AuthFlow, ip: &str) {
    for i in 0..LIMIT {
        let err = flow
            .login(
                Credentials::password(format!("victim{i}"), "guess"),
                from(ip),
            )
            .await
            .unwrap_err();
        assert!(matches!(err, LoginError::InvalidCredentials), "{err:?}");
    }
}

async fn ada_from(flow: &AuthFlow, ip: &str) -> Result<(), LoginError> {
    flow.login(Credentials::password("ada", PASSWORD), from(ip))
        .await
        .map(drop)
}

#[tokio::test]
async fn failures_from_one_address_across_accounts_block_that_address_only() {
    let clock = ManualClock::starting_now();
    let flow = flow(&clock, true);
    spray(&flow, "198.51.100.7").await;

    // Blocked, even with the right password of an account it never tried.
    let err = ada_from(&flow, "198.51.100.7").await.unwrap_err();
    let LoginError::LockedOut {
        retry_after,
        message,
        hook,
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(message, THROTTLED_MESSAGE);
    assert_eq!(hook, "auth_hooks::builtin::ip_throttle::check");
    assert!(
        (Duration::from_secs(1)..=Duration::from_secs(120)).contains(retry_after),
        "{retry_after:?}"
    );
    // The accounts are not locked: another client signs in.
    ada_from(&flow, "198.51.100.8").await.unwrap();

    // The block ends with its period.
    clock.advance(Duration::from_secs(121));
    ada_from(&flow, "198.51.100.7").await.unwrap();
}

#[tokio::test]
async fn a_success_does_not_clear_the_count() {
    let clock = ManualClock::starting_now();
    let flow = flow(&clock, true);
    for i in 0..LIMIT - 1 {
        let guess = Credentials::password(format!("victim{i}"), "guess");
        assert!(flow.login(guess, from("198.51.100.7")).await.is_err());
    }
    ada_from(&flow, "198.51.100.7").await.unwrap();
    let last = Credentials::password("victim9", "guess");
    assert!(flow.login(last, from("198.51.100.7")).await.is_err());
    assert!(matches!(
        ada_from(&flow, "198.51.100.7").await,
        Err(LoginError::LockedOut { .. })
    ));
}

#[tokio::test]
async fn ipv6_counts_per_64_and_a_mapped_v4_address_as_itself() {
    let clock = ManualClock::starting_now();
    let flow = flow(&clock, true);
    spray(&flow, "2001:db8:1:2::1").await;
    assert!(matches!(
        ada_from(&flow, "2001:db8:1:2:ffff::9").await,
        Err(LoginError::LockedOut { .. })
    ));
    ada_from(&flow, "2001:db8:1:3::1").await.unwrap();

    spray(&flow, "192.0.2.1").await;
    assert!(matches!(
        ada_from(&flow, "::ffff:192.0.2.1").await,
        Err(LoginError::LockedOut { .. })
    ));
}

#[tokio::test]
async fn without_its_extension_the_throttle_fails_closed() {
    let flow = flow(&ManualClock::starting_now(), false);
    let err = ada_from(&flow, "198.51.100.7").await.unwrap_err();
    assert!(matches!(err, LoginError::HookFailed(_)), "{err:?}");
}

#[tokio::test]
async fn over_http_a_blocked_client_gets_429_with_retry_after() {
    // The server sees 127.0.0.1; a trusted proxy (loopback) names the client.
    let server = TestServer::start(
        flow(&ManualClock::starting_now(), true),
        WebConfig::default()
            .trusted_proxies(TrustedProxies::new([IpAddr::from([127, 0, 0, 1]).into()])),
    )
    .await;
    let http = client();
    let attempt = |username: &str, password: &str, ip: &str| {
        http.post(server.url("/login"))
            .header(ORIGIN, server.origin())
            .header("x-forwarded-for", ip)
            .json(&serde_json::json!({ "username": username, "password": password }))
            .send()
    };
    for i in 0..LIMIT {
        let response = attempt(&format!("victim{i}"), "guess", "198.51.100.7")
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
    let blocked = attempt("ada", PASSWORD, "198.51.100.7").await.unwrap();
    assert_eq!(blocked.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = blocked.headers()[RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=120).contains(&retry_after), "{retry_after}");
    let body: serde_json::Value = blocked.json().await.unwrap();
    assert_eq!(body["error"], THROTTLED_MESSAGE);

    let other = attempt("ada", PASSWORD, "198.51.100.8").await.unwrap();
    assert_eq!(other.status(), StatusCode::OK);
    server.stop().await;
}
