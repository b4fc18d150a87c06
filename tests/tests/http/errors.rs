//! Every error mapping over real HTTP: hook reject, hook failure, bad credentials,
//! lockout, store outage, malformed bodies, bad Authorization headers.

use std::sync::Arc;

use auth_hooks::{AuthHookContext, AuthHookRegistry, AuthHookReject, Phase};
use auth_hooks_axum::{WebConfig, WebError};
use auth_hooks_flow::PasswordHasher;
use auth_hooks_test_support::flow::{FailingStore, Fixture, FixtureOptions, PASSWORD};
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, COOKIE, ORIGIN, RETRY_AFTER};
use reqwest::{Response, StatusCode};
use serde_json::{json, Value};
use tests::http_support::{client, cookie_value, serve, TestServer};

/// Hooks: "mallory" is rejected with a safe message and a private reason; "crash"
/// makes a before_login hook fail with internal detail. Both are users with
/// [`PASSWORD`]: before_login runs only once the password is verified.
fn hooks() -> AuthHookRegistry {
    let mut hooks =
        auth_hooks::ready!(auth_hooks_flow::builtin::lockout).expect("lockout hooks link");
    hooks
        .register(
            Phase::BeforeLogin,
            "deny_list",
            |ctx: &AuthHookContext| match ctx.username() {
                Some("mallory") => Err(AuthHookReject::new("This account is suspended.")
                    .with_reason("internal: fraud case 4711")),
                _ => Ok(()),
            },
        )
        .unwrap();
    hooks
        .register(
            Phase::BeforeLogin,
            "geo_check",
            |ctx: &AuthHookContext| match ctx.username() {
                Some("crash") => Err(std::io::Error::other(
                    "geo db at 10.1.2.3 password=s3cr3t unreachable",
                )),
                _ => Ok(()),
            },
        )
        .unwrap();
    hooks
}

async fn server() -> TestServer {
    let fx = Fixture::new(hooks());
    for (id, login) in [("u-mallory", "mallory"), ("u-crash", "crash")] {
        fx.users
            .add(id, login, PASSWORD, &PasswordHasher::for_tests())
            .unwrap();
    }
    serve(fx, WebConfig::default().https(false)).await.0
}

async fn login(server: &TestServer, body: Value) -> Response {
    client()
        .post(server.url("/login"))
        .header(ORIGIN, server.origin())
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn error_of(response: Response) -> String {
    let body: Value = response.json().await.unwrap();
    body["error"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn hook_reject_is_401_with_the_safe_message_only() {
    let server = server().await;
    let response = login(
        &server,
        json!({ "username": "mallory", "password": PASSWORD }),
    )
    .await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(cookie_value(response.headers(), "session").is_none());
    let text = response.text().await.unwrap();
    assert_eq!(
        serde_json::from_str::<Value>(&text).unwrap(),
        json!({ "error": "This account is suspended." })
    );
    assert!(!text.contains("4711"), "{text}");
}

#[tokio::test]
async fn a_wrong_password_never_learns_that_an_account_is_suspended() {
    let server = server().await;
    for body in [
        json!({ "username": "mallory", "password": "a wrong guess" }),
        json!({ "username": "nobody", "password": "a wrong guess" }),
    ] {
        let response = login(&server, body).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(error_of(response).await, "Invalid username or password.");
    }
}

#[tokio::test]
async fn hook_failure_is_401_login_rejected_without_detail() {
    let server = server().await;
    let response = login(
        &server,
        json!({ "username": "crash", "password": PASSWORD }),
    )
    .await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let text = response.text().await.unwrap();
    assert_eq!(
        serde_json::from_str::<Value>(&text).unwrap(),
        json!({ "error": "Login rejected." })
    );
    for leak in ["geo", "10.1.2.3", "s3cr3t"] {
        assert!(!text.contains(leak), "{text}");
    }
}

#[tokio::test]
async fn wrong_password_and_unknown_user_get_one_generic_401() {
    let server = server().await;
    let wrong = login(&server, json!({ "username": "ada", "password": "nope" })).await;
    let unknown = login(&server, json!({ "username": "nobody", "password": "nope" })).await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(unknown.status(), StatusCode::UNAUTHORIZED);
    let (wrong, unknown) = (error_of(wrong).await, error_of(unknown).await);
    assert_eq!(wrong, "Invalid username or password.");
    assert_eq!(wrong, unknown);
}

#[tokio::test]
async fn lockout_is_429_with_retry_after() {
    let server = server().await;
    let mut statuses = Vec::new();
    let mut locked = None;
    for _ in 0..8 {
        let response = login(&server, json!({ "username": "bob", "password": "guess" })).await;
        statuses.push(response.status().as_u16());
        if response.status() == StatusCode::TOO_MANY_REQUESTS {
            locked = Some(response);
            break;
        }
    }
    assert_eq!(
        statuses,
        [401, 401, 401, 401, 401, 429],
        "5 failures lock (Z8ter's default)"
    );
    let locked = locked.unwrap();
    let retry_after: u64 = locked.headers()[RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=900).contains(&retry_after), "{retry_after}");
    // Locked even with the right password: the lock says nothing about it.
    let right = login(&server, json!({ "username": "bob", "password": PASSWORD })).await;
    assert_eq!(right.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(!error_of(right).await.is_empty());
}

#[tokio::test]
async fn session_store_down_is_503_for_login_and_me() {
    let store = FailingStore::down();
    let fixture = Fixture::with(
        hooks(),
        FixtureOptions {
            session_store: Some(store.clone() as Arc<_>),
            ..FixtureOptions::default()
        },
    );
    let (server, _) = serve(fixture, WebConfig::default().https(false)).await;
    let response = login(&server, json!({ "username": "ada", "password": PASSWORD })).await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(cookie_value(response.headers(), "session").is_none());
    assert!(response.headers().contains_key(RETRY_AFTER));
    let text = response.text().await.unwrap();
    assert!(
        !text.contains("test double"),
        "store detail stays in the log: {text}"
    );

    // Up again: a login works; down again: the cookie is not silently accepted or dropped.
    store.set_down(false);
    let response = login(&server, json!({ "username": "ada", "password": PASSWORD })).await;
    assert_eq!(response.status(), StatusCode::OK);
    let cookie = cookie_value(response.headers(), "session").unwrap();
    store.set_down(true);
    for accept in ["application/json", "text/html"] {
        let me = client()
            .get(server.url("/me"))
            .header("accept", accept)
            .header(COOKIE, format!("session={cookie}"))
            .send()
            .await
            .unwrap();
        assert_eq!(me.status(), StatusCode::SERVICE_UNAVAILABLE, "{accept}");
    }
    let logout = client()
        .post(server.url("/logout"))
        .header(ORIGIN, server.origin())
        .header(COOKIE, format!("session={cookie}"))
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        cookie_value(logout.headers(), "session").is_none(),
        "the cookie is kept for a retry"
    );
}

#[tokio::test]
async fn attempt_store_down_is_503_not_a_rejection() {
    // The lockout's before_login check cannot read its counters: the login is refused
    // (fail-closed) as an outage to retry, not as a "Login rejected." about the user.
    let store = FailingStore::down();
    let fixture = Fixture::with(
        hooks(),
        FixtureOptions {
            attempt_store: Some(store.clone() as Arc<_>),
            ..FixtureOptions::default()
        },
    );
    let (server, stores) = serve(fixture, WebConfig::default().https(false)).await;
    for password in [PASSWORD, "wrong"] {
        let response = login(&server, json!({ "username": "ada", "password": password })).await;
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(response.headers().contains_key(RETRY_AFTER));
        assert!(cookie_value(response.headers(), "session").is_none());
        let text = response.text().await.unwrap();
        assert_eq!(
            serde_json::from_str::<Value>(&text).unwrap(),
            json!({ "error": WebError::UNAVAILABLE })
        );
    }
    assert!(stores.sessions.is_empty());
    store.set_down(false);
    let response = login(&server, json!({ "username": "ada", "password": PASSWORD })).await;
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn malformed_bodies_get_clear_400_415_422() {
    let server = server().await;
    let http = client();
    let send = |content_type: &'static str, body: &'static str| {
        http.post(server.url("/login"))
            .header(ORIGIN, server.origin())
            .header(CONTENT_TYPE, content_type)
            .body(body)
            .send()
    };

    let response = send(
        "application/json",
        r#"{"username": "ada", "password": "hunter2""#,
    )
    .await
    .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let message = error_of(response).await;
    assert!(message.starts_with("Malformed JSON body"), "{message}");
    assert!(!message.contains("hunter2"));

    let response = send("application/json", r#"{"username": "ada"}"#)
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        error_of(response).await,
        "Field `password` is required and must be a string."
    );

    let response = send("application/json", r#"["ada", "pw"]"#).await.unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let response = send("text/plain", "username=ada").await.unwrap();
    assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);

    let response = send(
        "application/x-www-form-urlencoded",
        "username=a&username=b&password=x",
    )
    .await
    .unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = response.text().await.unwrap();
    assert!(
        page.contains("Field `username` is given more than once."),
        "a form gets the page back: {page}"
    );

    let big = "x".repeat(64 * 1024);
    let response = http
        .post(server.url("/login"))
        .header(ORIGIN, server.origin())
        .json(&json!({ "username": "ada", "password": big }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn form_errors_render_the_page_with_the_message_and_status() {
    let server = server().await;
    let response = client()
        .post(server.url("/login"))
        .header(ORIGIN, server.origin())
        .form(&[
            ("username", "ada"),
            ("password", "wrong"),
            ("next", "/me?tab=1"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let page = response.text().await.unwrap();
    assert!(
        page.contains(r#"id="error""#) && page.contains("Invalid username or password."),
        "{page}"
    );
    assert!(
        page.contains(r#"value="ada""#),
        "the login name is kept: {page}"
    );
    assert!(
        page.contains(r#"name="next" value="/me?tab=1""#),
        "next is kept: {page}"
    );
    assert!(!page.contains("wrong"), "the password is never echoed");
}

#[tokio::test]
async fn bad_authorization_headers_are_401_never_a_cookie_fallback() {
    let (server, _) = serve(Fixture::new(hooks()), WebConfig::default().https(false)).await;
    let login = login(&server, json!({ "username": "ada", "password": PASSWORD })).await;
    let cookie = cookie_value(login.headers(), "session").unwrap();
    for header in ["Basic YWRhOnB3", "Bearer", "Bearer not.a.jwt", "garbage"] {
        let me = client()
            .get(server.url("/me"))
            .header(AUTHORIZATION, header)
            .header(COOKIE, format!("session={cookie}"))
            .send()
            .await
            .unwrap();
        assert_eq!(me.status(), StatusCode::UNAUTHORIZED, "{header}");
        assert_eq!(me.headers()["www-authenticate"], "Bearer");
    }
}

#[tokio::test]
async fn blocklist_down_is_503_for_bearer_requests_never_a_pass() {
    let store = FailingStore::down();
    store.set_down(false);
    let fixture = Fixture::with(
        hooks(),
        FixtureOptions {
            blocklist: Some(store.clone() as Arc<_>),
            ..FixtureOptions::default()
        },
    );
    let (server, _) = serve(fixture, WebConfig::default().https(false)).await;
    let response = login(&server, json!({ "username": "ada", "password": PASSWORD })).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    let access = body["access_token"].as_str().unwrap().to_owned();

    store.set_down(true);
    let me = client()
        .get(server.url("/me"))
        .header(AUTHORIZATION, format!("Bearer {access}"))
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), StatusCode::SERVICE_UNAVAILABLE);
    let logout = client()
        .post(server.url("/logout"))
        .header(AUTHORIZATION, format!("Bearer {access}"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        logout.status(),
        StatusCode::SERVICE_UNAVAILABLE,
        "not a false 'logged out'"
    );
}
