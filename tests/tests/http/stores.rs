//! The HTTP cycle on each real store (SQLite, as the demo runs, and Redis): cookie and
//! bearer logins, logout, and the revoked session and token refused, all through one
//! store.

use std::sync::Arc;

use auth_hooks_flow::{
    AuthFlow, JtiBlocklist, JwtKeys, PasswordBackend, PasswordHasher, SessionKey, SessionManager,
    SessionStore, TokenManager, UserStore,
};

use auth_hooks::AuthHookRegistry;
use auth_hooks_axum::WebConfig;
use auth_hooks_sqlite::SqliteStore;
use auth_hooks_test_support::redis as redis_support;
use reqwest::header::{AUTHORIZATION, COOKIE, ORIGIN};
use reqwest::StatusCode;
use serde_json::{json, Value};
use tests::http_support::{client, cookie_value, TestServer};

const PASSWORD: &str = "correct horse battery staple";

#[tokio::test]
async fn login_me_logout_me_on_sqlite() {
    let store = Arc::new(SqliteStore::open_in_memory().unwrap());
    let hasher = PasswordHasher::for_tests();
    store
        .add_user("u-ada", "ada", PASSWORD, &hasher)
        .await
        .unwrap();
    cycle(store, hasher).await;
}

#[tokio::test]
async fn login_me_logout_me_on_redis() {
    let test = "http_stores::login_me_logout_me_on_redis";
    let Some(store) = redis_support::redis_store(test).await else {
        return;
    };
    let store = Arc::new(store);
    let hasher = PasswordHasher::for_tests();
    store
        .add_user("u-ada", "ada", PASSWORD, &hasher)
        .await
        .unwrap();
    cycle(store.clone(), hasher).await;
    redis_support::cleanup(&store).await;
}

/// Logs in over HTTP (JSON: cookie and bearer), uses both, logs both out, and checks
/// that neither works any more; every step goes through `store`.
async fn cycle<S>(store: Arc<S>, hasher: PasswordHasher)
where
    S: SessionStore + JtiBlocklist + UserStore + 'static,
{
    let flow = AuthFlow::builder(PasswordBackend::new(store.clone(), hasher))
        .hooks(AuthHookRegistry::new())
        .sessions(SessionManager::new(
            SessionKey::new([3u8; 32]).unwrap(),
            store.clone(),
        ))
        .tokens(TokenManager::new(
            JwtKeys::hs256([4u8; 32]).unwrap(),
            store.clone(),
        ))
        .build()
        .unwrap();
    let server = TestServer::start(flow, WebConfig::default().https(false)).await;
    let http = client();

    let login = http
        .post(server.url("/login"))
        .header(ORIGIN, server.origin())
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

    for (name, value) in [(COOKIE, &cookie), (AUTHORIZATION, &bearer)] {
        let me = http
            .get(server.url("/me"))
            .header(name.clone(), value)
            .send()
            .await
            .unwrap();
        assert_eq!(me.status(), StatusCode::OK, "{name}");
        assert_eq!(me.json::<Value>().await.unwrap()["user_id"], "u-ada");
    }

    let wrong = http
        .post(server.url("/login"))
        .header(ORIGIN, server.origin())
        .json(&json!({ "username": "ada", "password": "nope" }))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);

    let out = http
        .post(server.url("/logout"))
        .header(ORIGIN, server.origin())
        .header(COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(out.json::<Value>().await.unwrap()["revoked"], true);
    // The cookie's logout ended the whole login, its tokens too: nothing is left for
    // the bearer's.
    let out = http
        .post(server.url("/logout"))
        .header(AUTHORIZATION, &bearer)
        .send()
        .await
        .unwrap();
    assert_eq!(out.json::<Value>().await.unwrap()["revoked"], false);

    for (name, value) in [(COOKIE, &cookie), (AUTHORIZATION, &bearer)] {
        let me = http
            .get(server.url("/me"))
            .header(name.clone(), value)
            .send()
            .await
            .unwrap();
        assert_eq!(me.status(), StatusCode::UNAUTHORIZED, "{name}");
    }
    server.stop().await;
}
