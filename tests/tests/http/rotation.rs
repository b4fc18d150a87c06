//! Key rotation over HTTP (issue 12): a login made by a server under `k1` (cookie and
//! bearer) works on a server under `[k2, k1]` sharing its SQLite store, refreshes
//! there into a `k2` pair, and is refused by a server under `[k2]`.

use std::sync::Arc;

use auth_hooks::AuthHookRegistry;
use auth_hooks_axum::WebConfig;
use auth_hooks_flow::{
    AuthFlow, JwtKeys, KeyRing, PasswordBackend, PasswordHasher, SessionKey, SessionManager,
    TokenManager,
};
use auth_hooks_sqlite::SqliteStore;
use reqwest::header::{AUTHORIZATION, COOKIE, ORIGIN};
use reqwest::StatusCode;
use serde_json::{json, Value};
use tests::http_support::{client, cookie_value, TestServer};

const PASSWORD: &str = "correct horse battery staple";
const K1: [u8; 32] = [0x11; 32];
const K2: [u8; 32] = [0x22; 32];

/// A server under `keys` (the first signs) on `store`.
async fn server(store: &Arc<SqliteStore>, keys: &[[u8; 32]]) -> TestServer {
    let sessions = KeyRing::from_keys(keys.iter().map(|k| SessionKey::new(k).unwrap()));
    let tokens = KeyRing::from_keys(keys.iter().map(|k| JwtKeys::hs256(k).unwrap()));
    let flow = AuthFlow::builder(PasswordBackend::new(
        store.clone(),
        PasswordHasher::for_tests(),
    ))
    .hooks(AuthHookRegistry::new())
    .sessions(SessionManager::new(sessions.unwrap(), store.clone()))
    .tokens(TokenManager::new(tokens.unwrap(), store.clone()))
    .build()
    .unwrap();
    TestServer::start(flow, WebConfig::default().https(false)).await
}

async fn me(server: &TestServer, header: (reqwest::header::HeaderName, &str)) -> StatusCode {
    client()
        .get(server.url("/me"))
        .header(header.0, header.1)
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test]
async fn a_login_under_k1_works_under_k2_k1_and_is_refused_under_k2() {
    let store = Arc::new(SqliteStore::open_in_memory().unwrap());
    store
        .add_user("u-ada", "ada", PASSWORD, &PasswordHasher::for_tests())
        .await
        .unwrap();

    let k1 = server(&store, &[K1]).await;
    let login = client()
        .post(k1.url("/login"))
        .header(ORIGIN, k1.origin())
        .json(&json!({ "username": "ada", "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), StatusCode::OK);
    let cookie = format!(
        "session={}",
        cookie_value(login.headers(), "session").unwrap()
    );
    let body: Value = login.json().await.unwrap();
    let bearer = format!("Bearer {}", body["access_token"].as_str().unwrap());
    let refresh = body["refresh_token"].as_str().unwrap().to_owned();
    k1.stop().await;

    let k2_k1 = server(&store, &[K2, K1]).await;
    assert_eq!(me(&k2_k1, (COOKIE, &cookie)).await, StatusCode::OK);
    assert_eq!(me(&k2_k1, (AUTHORIZATION, &bearer)).await, StatusCode::OK);
    let renewed = client()
        .post(k2_k1.url("/refresh"))
        .json(&json!({ "refresh_token": refresh }))
        .send()
        .await
        .unwrap();
    assert_eq!(renewed.status(), StatusCode::OK);
    let renewed: Value = renewed.json().await.unwrap();
    let renewed = format!("Bearer {}", renewed["access_token"].as_str().unwrap());
    k2_k1.stop().await;

    let k2 = server(&store, &[K2]).await;
    assert_eq!(me(&k2, (COOKIE, &cookie)).await, StatusCode::UNAUTHORIZED);
    assert_eq!(
        me(&k2, (AUTHORIZATION, &bearer)).await,
        StatusCode::UNAUTHORIZED
    );
    // The pair the refresh issued under [k2, k1] is signed with k2: k2 takes it.
    assert_eq!(me(&k2, (AUTHORIZATION, &renewed)).await, StatusCode::OK);
    k2.stop().await;
}
