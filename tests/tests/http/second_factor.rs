//! A login that needs a second factor, over real HTTP with JSON: the password answers
//! 401 with the factor and a continuation and no cookie; the code answers like a
//! login (cookie and tokens, `amr` in the token); the continuation works once; a form
//! gets the code page.

use auth_hooks_axum::WebConfig;
use auth_hooks_flow::second_factor::{SecondFactorStore, TotpEnrollment, TotpSecret};
use auth_hooks_flow::Clock;
use auth_hooks_test_support::flow::{Fixture, FixtureOptions, PASSWORD};
use reqwest::header::{CONTENT_TYPE, COOKIE, ORIGIN};
use reqwest::StatusCode;
use serde_json::{json, Value};
use tests::http_support::{client, cookie_value, serve, set_cookie, Stores, TestServer};

const SECRET: &str = "JBSWY3DPEHPK3PXP";

async fn server() -> (TestServer, Stores, TotpSecret) {
    let hooks = auth_hooks::ready!(
        auth_hooks_flow::builtin::lockout,
        auth_hooks_flow::builtin::totp
    )
    .unwrap();
    let fixture = Fixture::with(
        hooks,
        FixtureOptions {
            second_factor: true,
            ..Default::default()
        },
    );
    let secret = TotpSecret::from_base32(SECRET).unwrap();
    fixture
        .factors
        .set_totp("u-ada", TotpEnrollment::confirmed(secret.clone()))
        .await
        .unwrap();
    let (server, stores) = serve(fixture, WebConfig::default().https(false)).await;
    (server, stores, secret)
}

async fn post(server: &TestServer, path: &str, body: Value) -> reqwest::Response {
    client()
        .post(server.url(path))
        .json(&body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn json_password_then_code_then_me() {
    let (server, stores, secret) = server().await;
    let response = post(
        &server,
        "/login",
        json!({ "username": "ada", "password": PASSWORD }),
    )
    .await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(
        set_cookie(response.headers(), "session").is_none(),
        "no session yet"
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["second_factor"], "totp");
    let continuation = body["continuation"].as_str().unwrap().to_owned();
    assert!(body.get("access_token").is_none());
    assert!(stores.sessions.is_empty());

    let wrong = post(
        &server,
        "/login/second-factor",
        json!({ "continuation": continuation, "code": "000000" }),
    )
    .await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let body: Value = wrong.json().await.unwrap();
    assert_eq!(body, json!({ "error": "Invalid or expired code." }));

    let code = secret.code_at(stores.clock.now());
    let response = post(
        &server,
        "/login/second-factor",
        json!({ "continuation": continuation, "code": code }),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let session = cookie_value(response.headers(), "session").expect("a session cookie");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["user_id"], "u-ada");
    let access = body["access_token"].as_str().unwrap();
    let payload = access.split('.').nth(1).unwrap();
    use base64::Engine;
    let claims: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap();
    assert_eq!(claims["amr"], json!(["pwd", "otp"]));

    let me = client()
        .get(server.url("/me"))
        .header(COOKIE, format!("session={session}"))
        .header("accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), StatusCode::OK);

    // Once only.
    let again = post(
        &server,
        "/login/second-factor",
        json!({ "continuation": continuation, "code": code }),
    )
    .await;
    assert_eq!(again.status(), StatusCode::UNAUTHORIZED);
    assert!(set_cookie(again.headers(), "session").is_none());
    server.stop().await;
}

#[tokio::test]
async fn a_form_login_gets_the_code_page_with_the_continuation() {
    let (server, _, _) = server().await;
    let response = client()
        .post(server.url("/login"))
        .header(ORIGIN, server.origin())
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(format!(
            "username=ada&password={}",
            PASSWORD.replace(' ', "+")
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(set_cookie(response.headers(), "session").is_none());
    let page = response.text().await.unwrap();
    assert!(page.contains(r#"action="/login/second-factor""#), "{page}");
    assert!(page.contains(r#"name="continuation""#), "{page}");
    assert!(!page.contains("<script"), "{page}");
    server.stop().await;
}
