//! A login that needs a second factor, over real HTTP with JSON: the password answers
//! 401 with the factor and a continuation and no cookie; the code answers like a
//! login (cookie and tokens, `amr` in the token); the continuation works once; a form
//! gets the code page. Enrollment over HTTP: start (otpauth URI and SVG QR), confirm
//! with a code of the secret (recovery codes), then a login asks for a code; removal
//! needs a fresh code; every enrollment route refuses a cross-site request (403) and
//! one without a session (401).

use std::sync::Arc;
use std::time::Duration;

use auth_hooks_axum::WebConfig;
use auth_hooks_flow::second_factor::{
    MemorySecondFactorStore, SecondFactorStore, TotpEnrollment, TotpSecret, TOTP_STEP_SECS,
};
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

/// A server with the lockout and the `totp` hook where nobody has an app yet; its
/// factors stay inspectable.
async fn bare_server() -> (TestServer, Stores, Arc<MemorySecondFactorStore>) {
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
    let factors = fixture.factors.clone();
    let (server, stores) = serve(fixture, WebConfig::default().https(false)).await;
    (server, stores, factors)
}

/// A JSON POST with an optional session cookie and `Origin`.
async fn send(
    server: &TestServer,
    path: &str,
    session: Option<&str>,
    origin: Option<&str>,
    body: Value,
) -> reqwest::Response {
    let mut request = client().post(server.url(path)).json(&body);
    if let Some(session) = session {
        request = request.header(COOKIE, format!("session={session}"));
    }
    if let Some(origin) = origin {
        request = request.header(ORIGIN, origin);
    }
    request.send().await.unwrap()
}

/// Ada's session from a password-only login (she has no app yet).
async fn ada_session(server: &TestServer) -> String {
    let response = post(
        server,
        "/login",
        json!({ "username": "ada", "password": PASSWORD }),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    cookie_value(response.headers(), "session").expect("a session cookie")
}

/// The continuation of a password login that is asked for a code.
async fn challenged(server: &TestServer) -> String {
    let response = post(
        server,
        "/login",
        json!({ "username": "ada", "password": PASSWORD }),
    )
    .await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(set_cookie(response.headers(), "session").is_none());
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["second_factor"], "totp", "{body}");
    body["continuation"].as_str().unwrap().to_owned()
}

fn next_step(stores: &Stores) {
    stores.clock.advance(Duration::from_secs(TOTP_STEP_SECS));
}

#[tokio::test]
async fn enrolling_over_http_then_a_login_asks_for_the_code() {
    let (server, stores, factors) = bare_server().await;
    let session = ada_session(&server).await;

    let start = send(
        &server,
        "/second-factor/totp",
        Some(&session),
        None,
        json!({}),
    )
    .await;
    assert_eq!(start.status(), StatusCode::OK);
    let setup: Value = start.json().await.unwrap();
    let uri = setup["otpauth_uri"].as_str().unwrap();
    let base32 = setup["secret"].as_str().unwrap();
    assert!(uri.starts_with("otpauth://totp/"), "{uri}");
    assert!(uri.contains(&format!("secret={base32}")), "{uri}");
    let svg = setup["qr_svg"].as_str().unwrap();
    assert!(svg.starts_with("<svg") && !svg.contains("<script"), "{svg}");
    let secret = TotpSecret::from_base32(base32).unwrap();
    let pending = factors
        .totp("u-ada")
        .await
        .unwrap()
        .expect("a pending secret");
    assert!(
        !pending.confirmed,
        "not asked for at login before a first code"
    );
    assert_eq!(pending.secret, secret, "the secret shown is the one stored");

    // Still only a password until the first code confirms it.
    let response = post(
        &server,
        "/login",
        json!({ "username": "ada", "password": PASSWORD }),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);

    let wrong = send(
        &server,
        "/second-factor/totp/confirm",
        Some(&session),
        None,
        json!({ "code": "000000" }),
    )
    .await;
    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let code = secret.code_at(stores.clock.now());
    let confirm = send(
        &server,
        "/second-factor/totp/confirm",
        Some(&session),
        None,
        json!({ "code": code }),
    )
    .await;
    assert_eq!(confirm.status(), StatusCode::OK);
    let body: Value = confirm.json().await.unwrap();
    let recovery = body["recovery_codes"].as_array().unwrap();
    assert_eq!(recovery.len(), 10, "{body}");
    assert!(factors.totp("u-ada").await.unwrap().unwrap().confirmed);

    // Now the password alone gets a continuation; the code that confirmed is spent.
    let continuation = challenged(&server).await;
    let replay = post(
        &server,
        "/login/second-factor",
        json!({ "continuation": continuation, "code": code }),
    )
    .await;
    assert_eq!(
        replay.status(),
        StatusCode::UNAUTHORIZED,
        "the confirming code is not accepted again"
    );
    next_step(&stores);
    let response = post(
        &server,
        "/login/second-factor",
        json!({ "continuation": continuation, "code": secret.code_at(stores.clock.now()) }),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(cookie_value(response.headers(), "session").is_some());

    // A recovery code from the confirmation signs in once.
    let continuation = challenged(&server).await;
    let first_code = recovery[0].as_str().unwrap();
    let response = post(
        &server,
        "/login/second-factor",
        json!({ "continuation": continuation, "code": first_code }),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let continuation = challenged(&server).await;
    let again = post(
        &server,
        "/login/second-factor",
        json!({ "continuation": continuation, "code": first_code }),
    )
    .await;
    assert_eq!(
        again.status(),
        StatusCode::UNAUTHORIZED,
        "a recovery code works once"
    );
    server.stop().await;
}

#[tokio::test]
async fn removing_the_app_needs_a_fresh_code() {
    let (server, stores, factors) = bare_server().await;
    let secret = TotpSecret::from_base32(SECRET).unwrap();
    factors
        .set_totp("u-ada", TotpEnrollment::confirmed(secret.clone()))
        .await
        .unwrap();
    let continuation = challenged(&server).await;
    let used = secret.code_at(stores.clock.now());
    let response = post(
        &server,
        "/login/second-factor",
        json!({ "continuation": continuation, "code": used }),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let session = cookie_value(response.headers(), "session").unwrap();

    for (code, why) in [
        (used.as_str(), "the code the login used"),
        ("000000", "a wrong code"),
    ] {
        let refused = send(
            &server,
            "/second-factor/totp/remove",
            Some(&session),
            None,
            json!({ "code": code }),
        )
        .await;
        assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY, "{why}");
        assert!(
            factors.totp("u-ada").await.unwrap().is_some(),
            "{why} removes nothing"
        );
    }

    next_step(&stores);
    let removed = send(
        &server,
        "/second-factor/totp/remove",
        Some(&session),
        None,
        json!({ "code": secret.code_at(stores.clock.now()) }),
    )
    .await;
    assert_eq!(removed.status(), StatusCode::OK);
    assert_eq!(
        removed.json::<Value>().await.unwrap(),
        json!({ "removed": true })
    );
    assert_eq!(factors.totp("u-ada").await.unwrap(), None);
    // The password alone signs in again.
    ada_session(&server).await;
    server.stop().await;
}

#[tokio::test]
async fn the_app_can_be_removed_with_the_password_and_a_wrong_one_meets_the_lockout() {
    let (server, stores, factors) = bare_server().await;
    let secret = TotpSecret::from_base32(SECRET).unwrap();
    factors
        .set_totp("u-ada", TotpEnrollment::confirmed(secret.clone()))
        .await
        .unwrap();
    let continuation = challenged(&server).await;
    let code = secret.code_at(stores.clock.now());
    let response = post(
        &server,
        "/login/second-factor",
        json!({ "continuation": continuation, "code": code }),
    )
    .await;
    let session = cookie_value(response.headers(), "session").unwrap();

    let wrong = send(
        &server,
        "/second-factor/totp/remove",
        Some(&session),
        None,
        json!({ "password": "not the password" }),
    )
    .await;
    assert_eq!(wrong.status(), StatusCode::FORBIDDEN);
    assert!(
        factors.totp("u-ada").await.unwrap().is_some(),
        "a wrong password removes nothing"
    );
    let none = send(
        &server,
        "/second-factor/totp/remove",
        Some(&session),
        None,
        json!({}),
    )
    .await;
    assert_eq!(none.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let removed = send(
        &server,
        "/second-factor/totp/remove",
        Some(&session),
        None,
        json!({ "password": PASSWORD }),
    )
    .await;
    assert_eq!(removed.status(), StatusCode::OK);
    assert_eq!(factors.totp("u-ada").await.unwrap(), None);

    // Guessing the password there counts like guessing it at the login.
    factors
        .set_totp("u-ada", TotpEnrollment::confirmed(secret.clone()))
        .await
        .unwrap();
    let mut statuses = Vec::new();
    for _ in 0..6 {
        let guess = send(
            &server,
            "/second-factor/totp/remove",
            Some(&session),
            None,
            json!({ "password": "a guess" }),
        )
        .await;
        statuses.push(guess.status());
    }
    assert_eq!(
        statuses.last(),
        Some(&StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );
    server.stop().await;
}

#[tokio::test]
async fn every_enrollment_route_refuses_cross_site_and_anonymous_requests() {
    let (server, stores, factors) = bare_server().await;
    let session = ada_session(&server).await;
    let secret = TotpSecret::from_base32(SECRET).unwrap();
    let evil = Some("http://evil.example");

    // Start: nothing is enrolled by a refused request.
    let refused = send(
        &server,
        "/second-factor/totp",
        Some(&session),
        evil,
        json!({}),
    )
    .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let anonymous = send(&server, "/second-factor/totp", None, None, json!({})).await;
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        factors.totp("u-ada").await.unwrap(),
        None,
        "no secret started"
    );

    // Confirm: a right code in a refused request confirms nothing.
    factors
        .set_totp("u-ada", TotpEnrollment::pending(secret.clone()))
        .await
        .unwrap();
    let code = json!({ "code": secret.code_at(stores.clock.now()) });
    let refused = send(
        &server,
        "/second-factor/totp/confirm",
        Some(&session),
        evil,
        code.clone(),
    )
    .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let anonymous = send(&server, "/second-factor/totp/confirm", None, None, code).await;
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    let pending = factors.totp("u-ada").await.unwrap().unwrap();
    assert!(
        !pending.confirmed && pending.last_step.is_none(),
        "nothing confirmed or spent"
    );

    // Remove: a right code in a refused request removes nothing.
    factors
        .set_totp("u-ada", TotpEnrollment::confirmed(secret.clone()))
        .await
        .unwrap();
    let code = json!({ "code": secret.code_at(stores.clock.now()) });
    let refused = send(
        &server,
        "/second-factor/totp/remove",
        Some(&session),
        evil,
        code.clone(),
    )
    .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let anonymous = send(&server, "/second-factor/totp/remove", None, None, code).await;
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    let kept = factors.totp("u-ada").await.unwrap().unwrap();
    assert!(
        kept.confirmed && kept.last_step.is_none(),
        "nothing removed or spent"
    );
    server.stop().await;
}
