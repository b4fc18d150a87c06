//! Sessions: rotation on login (no fixation), TTL and idle timeout, revocation, listing,
//! cleanup, the store conformance suite, and fail-closed behaviour when the store is down.

use std::sync::Arc;
use std::time::Duration;

use auth_hooks::{AuthHookContext, AuthHookRegistry, Phase};
use auth_hooks_flow::testing::session_store_conformance;
use auth_hooks_flow::{
    AuthError, Credentials, LoginError, LoginOptions, LogoutError, LogoutTarget,
    MemorySessionStore, SessionId, SessionStore,
};
use auth_hooks_test_support::flow::{
    ada, request, FailingStore, Fixture, FixtureOptions, PASSWORD,
};

fn sessions_only() -> FixtureOptions {
    FixtureOptions {
        tokens: false,
        ..Default::default()
    }
}

async fn login_ada(fx: &Fixture) -> SessionId {
    fx.flow
        .login(ada(PASSWORD), request())
        .await
        .unwrap()
        .session
        .unwrap()
        .id
}

#[tokio::test]
async fn memory_store_passes_the_conformance_suite() {
    session_store_conformance(Arc::new(MemorySessionStore::new())).await;
}

#[tokio::test]
async fn the_store_keeps_only_a_keyed_hash_of_the_id() {
    let fx = Fixture::with(AuthHookRegistry::new(), sessions_only());
    let id = login_ada(&fx).await;
    let stored = fx.sessions.list_for_user("u-ada").await.unwrap();
    assert_eq!(stored.len(), 1);
    assert_ne!(stored[0].id_hash, id.expose());
    assert!(!stored[0].id_hash.contains(id.expose()));
    assert_eq!(stored[0].id_hash.len(), 64, "hex of HMAC-SHA256");
    assert_eq!(id.expose().len(), 43, "256 bits, URL-safe base64");
}

#[tokio::test]
async fn login_rotates_the_session_id_so_a_fixated_id_never_authenticates() {
    let fx = Fixture::with(AuthHookRegistry::new(), sessions_only());
    // The attacker obtains a valid session id (their own login) and plants it.
    let planted = fx
        .flow
        .login(Credentials::password("bob", PASSWORD), request())
        .await
        .unwrap()
        .session
        .unwrap()
        .id;
    let planted_text = planted.expose().to_owned();

    let ok = fx
        .flow
        .login_with(
            ada(PASSWORD),
            request(),
            LoginOptions::default().replacing_session(planted),
        )
        .await
        .unwrap();
    let new = ok.session.unwrap().id;

    assert_ne!(new.expose(), planted_text, "the id changes on login");
    let err = fx
        .flow
        .authenticate_session_cookie(&planted_text)
        .await
        .unwrap_err();
    assert!(matches!(err, AuthError::Invalid), "{err:?}");
    assert_eq!(
        fx.flow.authenticate_session(&new).await.unwrap().user.id,
        "u-ada"
    );
    assert_eq!(fx.sessions.len(), 1, "old session removed, new one stored");
}

#[tokio::test]
async fn a_session_ends_after_its_idle_timeout_and_use_extends_it() {
    let fx = Fixture::with(AuthHookRegistry::new(), sessions_only());
    let id = login_ada(&fx).await;
    let idle = fx.flow.sessions().unwrap().config().idle_timeout;

    // Used just before the idle timeout, three times: still alive well past one timeout.
    for _ in 0..3 {
        fx.clock.advance(idle - Duration::from_secs(60));
        fx.flow.authenticate_session(&id).await.unwrap();
    }
    fx.clock.advance(idle);
    let err = fx.flow.authenticate_session(&id).await.unwrap_err();
    assert!(matches!(err, AuthError::Invalid), "{err:?}");
    assert!(
        fx.sessions.is_empty(),
        "an expired session found on use is removed"
    );
}

#[tokio::test]
async fn a_session_ends_at_its_ttl_however_often_it_is_used() {
    let fx = Fixture::with(AuthHookRegistry::new(), sessions_only());
    let id = login_ada(&fx).await;
    let config = *fx.flow.sessions().unwrap().config();
    let step = config.idle_timeout / 2;
    let mut elapsed = Duration::ZERO;
    while elapsed + step < config.ttl {
        fx.clock.advance(step);
        elapsed += step;
        fx.flow.authenticate_session(&id).await.unwrap();
    }
    fx.clock.advance(config.ttl - elapsed);
    assert!(fx.flow.authenticate_session(&id).await.is_err());
}

#[tokio::test]
async fn revoke_all_ends_every_session_of_one_user_only() {
    let fx = Fixture::with(AuthHookRegistry::new(), sessions_only());
    let a1 = login_ada(&fx).await;
    let a2 = login_ada(&fx).await;
    let bob = fx
        .flow
        .login(Credentials::password("bob", PASSWORD), request())
        .await
        .unwrap()
        .session
        .unwrap()
        .id;
    let sessions = fx.flow.sessions().unwrap();
    assert_eq!(sessions.list("u-ada").await.unwrap().len(), 2);

    assert_eq!(sessions.revoke_all("u-ada").await.unwrap(), 2);

    assert!(fx.flow.authenticate_session(&a1).await.is_err());
    assert!(fx.flow.authenticate_session(&a2).await.is_err());
    assert!(fx.flow.authenticate_session(&bob).await.is_ok());
    assert!(sessions.list("u-ada").await.unwrap().is_empty());
    assert_eq!(sessions.revoke_all("u-ada").await.unwrap(), 0, "idempotent");
}

#[tokio::test]
async fn list_shows_live_sessions_as_metadata_and_cleanup_removes_expired_ones() {
    let fx = Fixture::with(AuthHookRegistry::new(), sessions_only());
    let old = login_ada(&fx).await;
    let idle = fx.flow.sessions().unwrap().config().idle_timeout;
    fx.clock.advance(idle / 2);
    let fresh = login_ada(&fx).await;
    fx.clock.advance(idle / 2 + Duration::from_secs(1)); // `old` idles out
    let sessions = fx.flow.sessions().unwrap();
    let listed = sessions.list("u-ada").await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].id_hash, sessions.id_hash(&fresh));
    assert_eq!(fx.sessions.len(), 2, "still stored until cleanup");
    assert_eq!(sessions.cleanup().await.unwrap(), 1);
    assert_eq!(fx.sessions.len(), 1);
    assert!(fx.flow.authenticate_session(&old).await.is_err());
}

#[tokio::test]
async fn a_session_of_a_disabled_user_is_refused_and_ended() {
    let fx = Fixture::with(AuthHookRegistry::new(), sessions_only());
    let id = login_ada(&fx).await;
    fx.users.set_disabled("u-ada", true).unwrap();
    let err = fx.flow.authenticate_session(&id).await.unwrap_err();
    assert!(matches!(err, AuthError::UnknownUser), "{err:?}");
    assert!(fx.sessions.is_empty());
}

#[tokio::test]
async fn malformed_cookies_are_refused_without_panic() {
    let fx = Fixture::with(AuthHookRegistry::new(), sessions_only());
    for cookie in [
        "",
        "x",
        "🦀",
        &"A".repeat(43),
        &"A".repeat(4096),
        "../../etc/passwd",
    ] {
        let err = fx
            .flow
            .authenticate_session_cookie(cookie)
            .await
            .unwrap_err();
        assert!(matches!(err, AuthError::Invalid), "{cookie}: {err:?}");
    }
}

fn down_fixture(hooks: AuthHookRegistry) -> (Fixture, Arc<FailingStore>) {
    let store = Arc::new(FailingStore::default());
    let fx = Fixture::with(
        hooks,
        FixtureOptions {
            tokens: false,
            session_store: Some(store.clone() as Arc<dyn SessionStore>),
            ..Default::default()
        },
    );
    (fx, store)
}

#[tokio::test]
async fn a_store_failure_fails_closed_on_login_check_and_logout() {
    let ran = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut hooks = AuthHookRegistry::new();
    let count = ran.clone();
    hooks
        .register(Phase::OnLogin, "count", move |_: &AuthHookContext| {
            count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        })
        .unwrap();
    let (fx, store) = down_fixture(hooks);
    let id = login_ada(&fx).await;

    store.set_down(true);
    let err = fx.flow.login(ada(PASSWORD), request()).await.unwrap_err();
    assert!(matches!(err, LoginError::StoreUnavailable(_)), "{err:?}");
    assert!(!err.client_message().contains("refused (test double)"));
    assert_eq!(
        ran.load(std::sync::atomic::Ordering::SeqCst),
        1,
        "on_login ran only for the first login"
    );

    let err = fx.flow.authenticate_session(&id).await.unwrap_err();
    assert!(
        matches!(err, AuthError::StoreUnavailable(_)),
        "never Ok, never a silent Invalid: {err:?}"
    );

    let err = fx
        .flow
        .logout(
            LogoutTarget::session(SessionId::parse(id.expose()).unwrap()),
            request(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, LogoutError::StoreUnavailable(_)),
        "a logout that did not happen is not reported as done"
    );

    store.set_down(false);
    assert!(
        fx.flow.authenticate_session(&id).await.is_ok(),
        "the session survived the outage"
    );
}

#[tokio::test]
async fn revoke_other_sessions_keeps_only_the_new_login() {
    let hooks = auth_hooks::ready!(auth_hooks_flow::builtin::revoke_other_sessions).unwrap();
    let fx = Fixture::with(hooks, sessions_only());
    let first = login_ada(&fx).await;
    let second = login_ada(&fx).await;
    let bob = fx
        .flow
        .login(Credentials::password("bob", PASSWORD), request())
        .await
        .unwrap()
        .session
        .unwrap()
        .id;
    assert!(
        fx.flow.authenticate_session(&first).await.is_err(),
        "older session revoked"
    );
    assert!(fx.flow.authenticate_session(&second).await.is_ok());
    assert!(
        fx.flow.authenticate_session(&bob).await.is_ok(),
        "other users untouched"
    );
}
