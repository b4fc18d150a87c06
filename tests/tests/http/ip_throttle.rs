//! The per-client throttle over HTTP: a blocked client gets 429 with Retry-After, named
//! by a trusted proxy; another client goes on.

use std::net::IpAddr;

use auth_hooks_axum::{TrustedProxies, WebConfig};
use auth_hooks_flow::builtin::ip_throttle::THROTTLED_MESSAGE;
use auth_hooks_flow::ManualClock;
use auth_hooks_test_support::flow::{ip_throttled, IP_THROTTLE_LIMIT as LIMIT, PASSWORD};
use reqwest::header::{ORIGIN, RETRY_AFTER};
use reqwest::StatusCode;
use tests::http_support::{client, TestServer};

#[tokio::test]
async fn over_http_a_blocked_client_gets_429_with_retry_after() {
    // The server sees 127.0.0.1; a trusted proxy (loopback) names the client.
    let server = TestServer::start(
        ip_throttled(&ManualClock::starting_now(), true),
        WebConfig::default()
            .https(false)
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
