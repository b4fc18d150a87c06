//! `next` through the HTTP guards: anonymous browsers go to the login page with the
//! url-encoded target, and a login only ever redirects inside the site.

use auth_hooks::AuthHookRegistry;
use auth_hooks_axum::WebConfig;
use auth_hooks_test_support::flow::{Fixture, PASSWORD};
use reqwest::header::{ACCEPT, COOKIE, LOCATION, ORIGIN};
use reqwest::StatusCode;
use tests::http_support::{client, cookie_value, serve, TestServer};

async fn server() -> TestServer {
    serve(
        Fixture::new(AuthHookRegistry::new()),
        WebConfig::default().https(false),
    )
    .await
    .0
}

/// Where a form login with `next` redirects to.
async fn login_redirect(server: &TestServer, next: &str) -> String {
    let response = client()
        .post(server.url("/login"))
        .header(ORIGIN, server.origin())
        .form(&[("username", "ada"), ("password", PASSWORD), ("next", next)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "{next:?}");
    response.headers()[LOCATION].to_str().unwrap().to_owned()
}

#[tokio::test]
async fn anonymous_browsers_are_sent_to_login_with_an_encoded_next() {
    let server = server().await;
    let http = client();
    for (path, location) in [
        ("/me", "/login?next=%2Fme"),
        ("/me?tab=keys&x=1", "/login?next=%2Fme%3Ftab%3Dkeys%26x%3D1"),
    ] {
        let response = http
            .get(server.url(path))
            .header(ACCEPT, "text/html,application/xhtml+xml")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{path}");
        assert_eq!(response.headers()[LOCATION], location, "{path}");
    }
    // An API client is told, not redirected.
    let response = http.get(server.url("/me")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_safe_next_is_followed_after_login() {
    let server = server().await;
    assert_eq!(
        login_redirect(&server, "/me?tab=keys").await,
        "/me?tab=keys"
    );
    assert_eq!(
        login_redirect(&server, "/account/settings#mail").await,
        "/account/settings#mail"
    );
}

#[tokio::test]
async fn every_open_redirect_vector_falls_back_home() {
    let server = server().await;
    for next in [
        "https://evil.com",
        "//evil.com",
        "///evil.com",
        "/\\evil.com",
        "\\\\evil.com",
        "/%2F%2Fevil.com",
        "/%5Cevil.com",
        "/%252F%252Fevil.com",
        "%2F%2Fevil.com",
        "/\t/evil.com",
        "/%09/evil.com",
        " //evil.com",
        "javascript:alert(document.cookie)",
        "/\u{200b}/evil.com",
        "/a/..//evil.com",
        "/.//evil.com",
        "/%2e%2e//evil.com",
    ] {
        assert_eq!(login_redirect(&server, next).await, "/me", "{next:?}");
    }
}

#[tokio::test]
async fn the_login_page_keeps_only_a_safe_next_and_sends_logged_in_users_on() {
    let server = server().await;
    let http = client();
    let page = http
        .get(server.url("/login?next=%2Fme%3Ftab%3D1"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains(r#"name="next" value="/me?tab=1""#), "{html}");

    // `/a/..//evil.com` resolves to `//evil.com`: refused like it.
    for query in ["?next=%2F%2Fevil.com", "?next=%2Fa%2F..%2F%2Fevil.com"] {
        let html = http
            .get(server.url(&format!("/login{query}")))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            !html.contains("evil.com") && !html.contains(r#"name="next""#),
            "{query}: {html}"
        );
    }

    let login = http
        .post(server.url("/login"))
        .header(ORIGIN, server.origin())
        .form(&[("username", "ada"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    let cookie = format!(
        "session={}",
        cookie_value(login.headers(), "session").unwrap()
    );
    for (query, location) in [
        ("", "/me"),
        ("?next=%2Fdocs", "/docs"),
        ("?next=%2F%2Fevil.com", "/me"),
        ("?next=%2Fa%2F..%2F%2Fevil.com", "/me"),
        ("?next=%2F.%2F%2Fevil.com", "/me"),
    ] {
        let response = http
            .get(server.url(&format!("/login{query}")))
            .header(COOKIE, &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{query}");
        assert_eq!(response.headers()[LOCATION], location, "{query}");
    }
}
