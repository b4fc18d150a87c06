//! Registration and password change over real HTTP: `POST /register` answers a new
//! name and a taken one alike (or signs in, when configured), `POST /password` keeps the
//! login it came from and ends the others.

use auth_hooks::AuthHookRegistry;
use auth_hooks_axum::{Registration, WebConfig};
use auth_hooks_flow::UserStore;
use auth_hooks_test_support::flow::{Fixture, PASSWORD};
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, COOKIE, ORIGIN, SET_COOKIE};
use reqwest::{Response, StatusCode};
use serde_json::{json, Value};
use tests::http_support::{client, cookie_value, serve, Stores, TestServer};

const NEW: &str = "a brand new passphrase";

async fn server(registration: Registration) -> (TestServer, Stores) {
    let config = WebConfig::default().https(false).registration(registration);
    serve(Fixture::new(AuthHookRegistry::new()), config).await
}

async fn post_json(server: &TestServer, path: &str, body: Value) -> Response {
    client()
        .post(server.url(path))
        .header(ORIGIN, server.origin())
        .json(&body)
        .send()
        .await
        .unwrap()
}

/// Logs ada in; her session cookie.
async fn login(server: &TestServer, password: &str) -> Response {
    post_json(
        server,
        "/login",
        json!({ "username": "ada", "password": password }),
    )
    .await
}

async fn session_of(server: &TestServer) -> String {
    let response = login(server, PASSWORD).await;
    assert_eq!(response.status(), StatusCode::OK);
    cookie_value(response.headers(), "session").unwrap()
}

async fn me(server: &TestServer, cookie: &str) -> StatusCode {
    client()
        .get(server.url("/me"))
        .header(COOKIE, format!("session={cookie}"))
        .send()
        .await
        .unwrap()
        .status()
}

/// What a client can observe of an answer: status, the header names but `date`, body.
async fn observed(response: Response) -> (StatusCode, Vec<String>, String) {
    let status = response.status();
    let mut headers: Vec<_> = response
        .headers()
        .keys()
        .map(|k| k.as_str().to_owned())
        .filter(|k| k != "date" && k != "content-length")
        .collect();
    headers.sort();
    (status, headers, response.text().await.unwrap())
}

#[tokio::test]
async fn a_taken_name_gets_exactly_the_answer_a_new_name_gets() {
    let (server, stores) = server(Registration::Open).await;
    let new = post_json(
        &server,
        "/register",
        json!({ "username": "cleo", "password": NEW }),
    )
    .await;
    let taken = post_json(
        &server,
        "/register",
        json!({ "username": "ada", "password": NEW }),
    )
    .await;
    let (new, taken) = (observed(new).await, observed(taken).await);
    assert_eq!(new.0, StatusCode::ACCEPTED);
    assert_eq!(new, taken, "status, headers and body are the same");
    assert!(
        !new.1.iter().any(|h| h == SET_COOKIE.as_str()),
        "no session: {new:?}"
    );
    let body: Value = serde_json::from_str(&new.2).unwrap();
    assert_eq!(body["status"], "accepted");
    assert_eq!(body["login"], "/login");

    assert!(stores.users.get("u-ada").unwrap().is_some());
    let cleo = post_json(
        &server,
        "/login",
        json!({ "username": "cleo", "password": NEW }),
    )
    .await;
    assert_eq!(cleo.status(), StatusCode::OK, "the new user logs in");
    assert_eq!(
        login(&server, NEW).await.status(),
        StatusCode::UNAUTHORIZED,
        "ada's password is hers"
    );
}

#[tokio::test]
async fn registration_is_closed_by_default_and_csrf_checked_when_open() {
    let (closed, _) = server(Registration::Closed).await;
    let response = post_json(
        &closed,
        "/register",
        json!({ "username": "cleo", "password": NEW }),
    )
    .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);

    let (open, stores) = server(Registration::Open).await;
    let cross_site = client()
        .post(open.url("/register"))
        .header(ORIGIN, "http://evil.test")
        .json(&json!({ "username": "mallory", "password": NEW }))
        .send()
        .await
        .unwrap();
    assert_eq!(cross_site.status(), StatusCode::FORBIDDEN);
    let plain_text = client()
        .post(open.url("/register"))
        .header(CONTENT_TYPE, "text/plain")
        .body(json!({ "username": "mallory", "password": NEW }).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(
        plain_text.status(),
        StatusCode::FORBIDDEN,
        "a cross-site text/plain post"
    );
    assert!(stores
        .users
        .find_by_login("mallory")
        .await
        .unwrap()
        .is_none());

    let form = client()
        .post(open.url("/register"))
        .header(ORIGIN, open.origin())
        .form(&[
            ("username", "dora"),
            ("password", NEW),
            ("email", "dora@example.com"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), StatusCode::ACCEPTED);
    let page = form.text().await.unwrap();
    assert!(page.contains(r#"id="notice""#), "{page}");
    let weak = client()
        .post(open.url("/register"))
        .header(ORIGIN, open.origin())
        .form(&[("username", "erin"), ("password", "short")])
        .send()
        .await
        .unwrap();
    assert_eq!(weak.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = weak.text().await.unwrap();
    assert!(
        page.contains("at least 8 characters") && page.contains(r#"value="erin""#),
        "{page}"
    );
}

#[tokio::test]
async fn when_configured_a_registration_signs_in_and_a_taken_name_is_a_conflict() {
    let (server, _) = server(Registration::SignsIn).await;
    let new = post_json(
        &server,
        "/register",
        json!({ "username": "cleo", "password": NEW }),
    )
    .await;
    assert_eq!(new.status(), StatusCode::OK);
    let cookie = cookie_value(new.headers(), "session").expect("signed in");
    let body: Value = new.json().await.unwrap();
    assert!(body["access_token"].is_string(), "{body}");
    assert_eq!(me(&server, &cookie).await, StatusCode::OK);

    let taken = post_json(
        &server,
        "/register",
        json!({ "username": "ada", "password": NEW }),
    )
    .await;
    assert_eq!(taken.status(), StatusCode::CONFLICT);
    assert_eq!(
        taken.json::<Value>().await.unwrap()["error"],
        "That username is taken."
    );
}

#[tokio::test]
async fn a_password_change_keeps_this_session_and_ends_the_others() {
    let (server, _) = server(Registration::Closed).await;
    let (current, other) = (session_of(&server).await, session_of(&server).await);

    let changed = client()
        .post(server.url("/password"))
        .header(ORIGIN, server.origin())
        .header(COOKIE, format!("session={current}"))
        .json(&json!({ "current_password": PASSWORD, "new_password": NEW }))
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status(), StatusCode::OK);
    assert_eq!(
        changed.json::<Value>().await.unwrap(),
        json!({ "changed": true, "other_logins_ended": 1 })
    );
    assert_eq!(me(&server, &current).await, StatusCode::OK);
    assert_eq!(me(&server, &other).await, StatusCode::UNAUTHORIZED);
    assert_eq!(
        login(&server, PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(login(&server, NEW).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_password_change_by_bearer_token_needs_no_origin_for_json() {
    let (server, _) = server(Registration::Closed).await;
    let other = session_of(&server).await;
    let body: Value = login(&server, PASSWORD).await.json().await.unwrap();
    let access = body["access_token"].as_str().unwrap();

    let changed = client()
        .post(server.url("/password"))
        .header(AUTHORIZATION, format!("Bearer {access}"))
        .json(&json!({ "current_password": PASSWORD, "new_password": NEW }))
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status(), StatusCode::OK);
    assert_eq!(me(&server, &other).await, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_password_change_refuses_clearly() {
    let (server, _) = server(Registration::Closed).await;
    let cookie = session_of(&server).await;
    let change = |current: &'static str, new: &'static str, cookie: Option<String>| {
        let server = &server;
        async move {
            let mut request = client()
                .post(server.url("/password"))
                .header(ORIGIN, server.origin())
                .json(&json!({ "current_password": current, "new_password": new }));
            if let Some(cookie) = cookie {
                request = request.header(COOKIE, format!("session={cookie}"));
            }
            let response = request.send().await.unwrap();
            let status = response.status();
            (
                status,
                response.json::<Value>().await.unwrap()["error"].clone(),
            )
        }
    };
    assert_eq!(
        change("wrong", NEW, Some(cookie.clone())).await,
        (
            StatusCode::FORBIDDEN,
            json!("The current password is incorrect.")
        )
    );
    assert_eq!(
        change(PASSWORD, "short", Some(cookie.clone())).await,
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            json!("Use a password of at least 8 characters.")
        )
    );
    assert_eq!(
        change(PASSWORD, NEW, None).await.0,
        StatusCode::UNAUTHORIZED
    );

    let cross_site = client()
        .post(server.url("/password"))
        .header(ORIGIN, "http://evil.test")
        .header(COOKIE, format!("session={cookie}"))
        .form(&[("current_password", PASSWORD), ("new_password", NEW)])
        .send()
        .await
        .unwrap();
    assert_eq!(cross_site.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        login(&server, PASSWORD).await.status(),
        StatusCode::OK,
        "nothing changed"
    );
}
