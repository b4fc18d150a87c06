//! The whole login → /me → logout → /me cycle over real HTTP, with a session cookie and
//! with bearer tokens, plus refresh and session fixation.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use auth_hooks::{AuthHookContext, AuthHookRegistry, AuthHookReject};
use auth_hooks_axum::WebConfig;
use auth_hooks_flow::{SessionEnricher, TokenClaims};
use auth_hooks_test_support::flow::{Fixture, PASSWORD};
use reqwest::header::{AUTHORIZATION, CACHE_CONTROL, CONTENT_TYPE, COOKIE, LOCATION, ORIGIN};
use reqwest::StatusCode;
use serde_json::{json, Value};
use tests::http_support::{client, cookie_value, serve, set_cookie, Stores, TestServer};

async fn server() -> (TestServer, Stores) {
    serve(
        Fixture::new(AuthHookRegistry::new()),
        WebConfig::default().https(false),
    )
    .await
}

#[tokio::test]
async fn cookie_cycle_login_me_logout_me() {
    let (server, fixture) = server().await;
    let http = client();

    let response = http
        .post(server.url("/login"))
        .header(ORIGIN, server.origin())
        .json(&json!({ "username": "ada", "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[CACHE_CONTROL], "no-store");
    let header = set_cookie(response.headers(), "session").expect("a session cookie");
    for attribute in ["HttpOnly", "Secure", "SameSite=Lax", "Path=/"] {
        assert!(header.contains(attribute), "{header}");
    }
    assert!(
        !header.contains("Max-Age"),
        "no remember me, no Max-Age: {header}"
    );
    let cookie = cookie_value(response.headers(), "session").unwrap();
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["user_id"], "u-ada");
    assert_eq!(body["redirect"], "/me");
    assert_eq!(fixture.sessions.len(), 1);

    let me = http
        .get(server.url("/me"))
        .header(COOKIE, format!("session={cookie}"))
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), StatusCode::OK);
    assert_eq!(
        me.json::<Value>().await.unwrap(),
        json!({ "user_id": "u-ada", "login": "ada", "via": "session" })
    );

    let logout = http
        .post(server.url("/logout"))
        .header(ORIGIN, server.origin())
        .header(COOKIE, format!("session={cookie}"))
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), StatusCode::OK);
    assert_eq!(
        cookie_value(logout.headers(), "session").as_deref(),
        Some("")
    );
    assert!(set_cookie(logout.headers(), "session")
        .unwrap()
        .contains("Max-Age=0"));
    assert_eq!(
        logout.json::<Value>().await.unwrap(),
        json!({ "logged_out": true, "revoked": true })
    );
    assert_eq!(fixture.sessions.len(), 0);

    // The old cookie is dead server-side, whatever the browser does with it.
    let me = http
        .get(server.url("/me"))
        .header(COOKIE, format!("session={cookie}"))
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), StatusCode::UNAUTHORIZED);

    // Logging out twice is harmless.
    let again = http
        .post(server.url("/logout"))
        .header(ORIGIN, server.origin())
        .header(COOKIE, format!("session={cookie}"))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::OK);
    assert_eq!(again.json::<Value>().await.unwrap()["revoked"], false);
    server.stop().await;
}

#[tokio::test]
async fn form_cycle_redirects_and_remember_me_sets_max_age() {
    let (server, _fixture) = server().await;
    let http = client();

    let response = http
        .post(server.url("/login"))
        .header(ORIGIN, server.origin())
        .form(&[
            ("username", "ada"),
            ("password", PASSWORD),
            ("remember", "on"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()[LOCATION], "/me");
    let header = set_cookie(response.headers(), "session").unwrap();
    assert!(header.contains("Max-Age=604800"), "{header}");
    let cookie = cookie_value(response.headers(), "session").unwrap();

    let page = http
        .get(server.url("/me"))
        .header("accept", "text/html")
        .header(COOKIE, format!("session={cookie}"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.headers()[CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let html = page.text().await.unwrap();
    assert!(html.contains("Signed in as <strong>ada</strong>"), "{html}");

    let logout = http
        .post(server.url("/logout"))
        .header(ORIGIN, server.origin())
        .header(COOKIE, format!("session={cookie}"))
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), StatusCode::SEE_OTHER);
    assert_eq!(logout.headers()[LOCATION], "/login");

    let page = http
        .get(server.url("/me"))
        .header("accept", "text/html")
        .header(COOKIE, format!("session={cookie}"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::SEE_OTHER);
    assert_eq!(page.headers()[LOCATION], "/login?next=%2Fme");
    server.stop().await;
}

/// Logs ada in over JSON and returns the body (with tokens).
async fn json_login(server: &TestServer) -> Value {
    let response = client()
        .post(server.url("/login"))
        .header(ORIGIN, server.origin())
        .json(&json!({ "username": "ada", "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

#[tokio::test]
async fn bearer_cycle_login_me_logout_me() {
    let (server, fixture) = server().await;
    let http = client();
    let body = json_login(&server).await;
    assert_eq!(body["token_type"], "Bearer");
    assert!(body["expires_in"].as_u64().unwrap() > 0);
    let access = body["access_token"].as_str().unwrap().to_owned();

    let me = http
        .get(server.url("/me"))
        .header(AUTHORIZATION, format!("Bearer {access}"))
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), StatusCode::OK);
    assert_eq!(me.json::<Value>().await.unwrap()["via"], "token");

    // A bearer request needs no Origin: browsers never attach Authorization by themselves.
    let logout = http
        .post(server.url("/logout"))
        .header(AUTHORIZATION, format!("Bearer {access}"))
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), StatusCode::OK);
    assert!(
        set_cookie(logout.headers(), "session").is_none(),
        "a bearer logout leaves cookies alone"
    );
    assert_eq!(logout.json::<Value>().await.unwrap()["revoked"], true);
    assert!(!fixture.blocklist.is_empty());

    // The token is blocklisted: refused although its signature and expiry are fine.
    let me = http
        .get(server.url("/me"))
        .header(AUTHORIZATION, format!("Bearer {access}"))
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(me.headers()["www-authenticate"], "Bearer");
    server.stop().await;
}

#[tokio::test]
async fn refresh_gives_a_working_pair_once_and_logout_kills_the_family() {
    let (server, _fixture) = server().await;
    let http = client();
    let body = json_login(&server).await;
    let refresh = body["refresh_token"].as_str().unwrap().to_owned();

    let renewed = http
        .post(server.url("/refresh"))
        .json(&json!({ "refresh_token": refresh }))
        .send()
        .await
        .unwrap();
    assert_eq!(renewed.status(), StatusCode::OK);
    let renewed: Value = renewed.json().await.unwrap();
    let access = renewed["access_token"].as_str().unwrap().to_owned();
    let me = http
        .get(server.url("/me"))
        .header(AUTHORIZATION, format!("Bearer {access}"))
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), StatusCode::OK);

    // A second use of the same refresh token is refused.
    let reused = http
        .post(server.url("/refresh"))
        .json(&json!({ "refresh_token": refresh }))
        .send()
        .await
        .unwrap();
    assert_eq!(reused.status(), StatusCode::UNAUTHORIZED);

    // Malformed refresh bodies get clear errors.
    let bad = http
        .post(server.url("/refresh"))
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    let missing = http
        .post(server.url("/refresh"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::UNPROCESSABLE_ENTITY);
    server.stop().await;
}

#[tokio::test]
async fn login_replaces_the_session_the_client_came_with() {
    let (server, fixture) = server().await;
    let http = client();
    let first = json_login(&server).await;
    assert_eq!(first["user_id"], "u-ada");
    let response = http
        .post(server.url("/login"))
        .header(ORIGIN, server.origin())
        .json(&json!({ "username": "ada", "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    let old = cookie_value(response.headers(), "session").unwrap();
    assert_eq!(fixture.sessions.len(), 2);

    let response = http
        .post(server.url("/login"))
        .header(ORIGIN, server.origin())
        .header(COOKIE, format!("session={old}"))
        .json(&json!({ "username": "bob", "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let new = cookie_value(response.headers(), "session").unwrap();
    assert_ne!(old, new, "the session id changes at login");
    assert_eq!(
        fixture.sessions.len(),
        2,
        "the old session was replaced, not kept"
    );
    let me = http
        .get(server.url("/me"))
        .header(COOKIE, format!("session={old}"))
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), StatusCode::UNAUTHORIZED);
    server.stop().await;
}

#[tokio::test]
async fn what_on_login_stores_with_the_session_is_on_me_by_cookie_when_asked() {
    let hooks = enriching_hooks();
    let config = WebConfig::default()
        .https(false)
        .me_shows_session_data(true);
    let (server, _) = serve(Fixture::new(hooks), config).await;
    let http = client();
    let login = http
        .post(server.url("/login"))
        .header(ORIGIN, server.origin())
        .json(&json!({ "username": "ada", "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    let cookie = cookie_value(login.headers(), "session").unwrap();
    let body: Value = login.json().await.unwrap();
    let access = body["access_token"].as_str().unwrap().to_owned();

    let by_cookie: Value = http
        .get(server.url("/me"))
        .header(COOKIE, format!("session={cookie}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(by_cookie["session"], json!({ "tenant": "demo" }));
    let page = http
        .get(server.url("/me"))
        .header(COOKIE, format!("session={cookie}"))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("tenant") && page.contains("&quot;demo&quot;"),
        "{page}"
    );

    let by_token: Value = http
        .get(server.url("/me"))
        .header(AUTHORIZATION, format!("Bearer {access}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        by_token["session"],
        Value::Null,
        "a bearer token carries no session"
    );
    server.stop().await;

    // Off by default: the data stays on the server.
    let (server, _) = serve(
        Fixture::new(enriching_hooks()),
        WebConfig::default().https(false),
    )
    .await;
    let login = http
        .post(server.url("/login"))
        .header(ORIGIN, server.origin())
        .json(&json!({ "username": "ada", "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    let cookie = cookie_value(login.headers(), "session").unwrap();
    let me: Value = http
        .get(server.url("/me"))
        .header(COOKIE, format!("session={cookie}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(me.get("session").is_none(), "{me}");
    server.stop().await;
}

/// An on_login hook that stores `"tenant": "demo"` with the session.
fn enriching_hooks() -> AuthHookRegistry {
    let mut hooks = AuthHookRegistry::new();
    hooks
        .register(
            "on_login",
            "tenant",
            |ctx: &AuthHookContext| match SessionEnricher::of(ctx) {
                Some(session) => session.insert("tenant", "demo"),
                None => Ok(()),
            },
        )
        .unwrap();
    hooks
}

#[tokio::test]
async fn claims_from_hooks_survive_refresh_over_http_and_on_refresh_can_refuse() {
    let refuse = Arc::new(AtomicBool::new(false));
    let flag = refuse.clone();
    let mut hooks = AuthHookRegistry::new();
    hooks
        .register(
            "before_login",
            "tenant",
            |ctx: &AuthHookContext| match TokenClaims::of(ctx) {
                Some(claims) => claims.insert("tenant", "demo"),
                None => Ok(()),
            },
        )
        .unwrap();
    hooks
        .register(
            "on_refresh",
            "still_allowed",
            move |_: &AuthHookContext| match flag.load(Ordering::SeqCst) {
                true => Err(AuthHookReject::new("This account is suspended.")),
                false => Ok(()),
            },
        )
        .unwrap();
    let (server, _) = serve(Fixture::new(hooks), WebConfig::default().https(false)).await;
    let http = client();
    let body: Value = http
        .post(server.url("/login"))
        .header(ORIGIN, server.origin())
        .json(&json!({ "username": "ada", "password": PASSWORD }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let me = |access: String| {
        http.get(server.url("/me"))
            .header(AUTHORIZATION, format!("Bearer {access}"))
            .send()
    };
    let first: Value = me(body["access_token"].as_str().unwrap().to_owned())
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(first["claims"], json!({ "tenant": "demo", "amr": ["pwd"] }));

    let refreshed: Value = http
        .post(server.url("/refresh"))
        .json(&json!({ "refresh_token": body["refresh_token"] }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let after: Value = me(refreshed["access_token"].as_str().unwrap().to_owned())
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        after["claims"],
        json!({ "tenant": "demo", "amr": ["pwd"] }),
        "kept by the refresh"
    );

    refuse.store(true, Ordering::SeqCst);
    let refused = http
        .post(server.url("/refresh"))
        .json(&json!({ "refresh_token": refreshed["refresh_token"] }))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    let text: Value = refused.json().await.unwrap();
    assert_eq!(text["error"], "This account is suspended.");
    let gone = me(refreshed["access_token"].as_str().unwrap().to_owned())
        .await
        .unwrap();
    assert_eq!(gone.status(), StatusCode::UNAUTHORIZED, "the login is over");
    server.stop().await;
}
