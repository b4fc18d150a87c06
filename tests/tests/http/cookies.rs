//! The session cookie over real HTTP: `__Host-` prefixed over HTTPS, plain for
//! plain-HTTP development; a request carrying two session cookies is refused (400) and
//! authenticated by neither.

use auth_hooks::AuthHookRegistry;
use auth_hooks_axum::WebConfig;
use auth_hooks_test_support::flow::{Fixture, PASSWORD};
use reqwest::header::{ACCEPT, COOKIE, ORIGIN};
use reqwest::StatusCode;
use serde_json::{json, Value};
use tests::http_support::{client, cookie_value, serve, set_cookie, Stores, TestServer};

async fn server(config: WebConfig) -> (TestServer, Stores) {
    serve(Fixture::new(AuthHookRegistry::new()), config).await
}

/// Logs ada in with JSON (no `Origin` needed) and returns the cookie `name`'s value.
async fn login(server: &TestServer, name: &str) -> String {
    let response = client()
        .post(server.url("/login"))
        .json(&json!({ "username": "ada", "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    cookie_value(response.headers(), name).expect("the session cookie")
}

#[tokio::test]
async fn over_https_the_session_cookie_is_host_prefixed() {
    let (server, _) = server(WebConfig::default()).await;
    let response = client()
        .post(server.url("/login"))
        .json(&json!({ "username": "ada", "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let header = set_cookie(response.headers(), "__Host-session").expect("__Host-session");
    // What a browser requires of a `__Host-` cookie.
    assert!(
        header.contains("; Secure") && header.contains("; Path=/"),
        "{header}"
    );
    assert!(!header.to_ascii_lowercase().contains("domain="), "{header}");
    assert!(set_cookie(response.headers(), "session").is_none());

    let cookie = cookie_value(response.headers(), "__Host-session").unwrap();
    let me = client()
        .get(server.url("/me"))
        .header(COOKIE, format!("__Host-session={cookie}"))
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), StatusCode::OK);
    // The unprefixed name (what a sibling subdomain could plant) is not the session.
    let me = client()
        .get(server.url("/me"))
        .header(COOKIE, format!("session={cookie}"))
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn for_plain_http_development_the_cookie_has_its_plain_name() {
    let (server, _) = server(WebConfig::default().https(false)).await;
    login(&server, "session").await;
}

#[tokio::test]
async fn two_session_cookies_are_refused_and_neither_authenticates() {
    let (server, stores) = server(WebConfig::default().https(false)).await;
    let first = login(&server, "session").await;
    let second = login(&server, "session").await;
    let http = client();
    for cookie in [&first, &second] {
        let me = http
            .get(server.url("/me"))
            .header(COOKIE, format!("session={cookie}"))
            .send()
            .await
            .unwrap();
        assert_eq!(me.status(), StatusCode::OK, "each alone is a good session");
    }

    for cookies in [
        vec![format!("session={first}; session={second}")],
        vec![format!("session={first}"), format!("session={second}")],
        vec![format!("session={first}; session=forged")],
    ] {
        let mut me = http.get(server.url("/me"));
        for cookie in &cookies {
            me = me.header(COOKIE, cookie);
        }
        let me = me.send().await.unwrap();
        assert_eq!(me.status(), StatusCode::BAD_REQUEST, "{cookies:?}");
        let body: Value = me.json().await.unwrap();
        assert_eq!(
            body["error"],
            "The request carries two session cookies. Clear this site's cookies and sign in again."
        );
    }
    // A browser is told so too, not sent round the login page.
    let page = http
        .get(server.url("/me"))
        .header(ACCEPT, "text/html")
        .header(COOKIE, format!("session={first}; session={second}"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::BAD_REQUEST);
    // Nor does a logout pick one.
    let logout = http
        .post(server.url("/logout"))
        .header(ORIGIN, server.origin())
        .header(COOKIE, format!("session={first}; session={second}"))
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), StatusCode::BAD_REQUEST);
    assert_eq!(stores.sessions.len(), 2, "both sessions are untouched");
}
