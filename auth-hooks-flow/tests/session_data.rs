//! `on_login` enriches the session it sees: typed values stored with the session,
//! read back typed from the session check; a store that cannot keep them undoes the
//! login; a login without a session has nothing to enrich.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use auth_hooks::{AuthHookContext, AuthHookRegistry, HookOptions};
use auth_hooks_flow::{LoginError, SessionEnricher, SessionStore};
use auth_hooks_test_support::flow::{
    ada, request, FailingStore, Fixture, FixtureOptions, PASSWORD,
};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Preferences {
    theme: String,
    beta: bool,
}

fn enriching() -> AuthHookRegistry {
    let mut hooks = AuthHookRegistry::new();
    hooks
        .register("on_login", "tenant", |ctx: &AuthHookContext| {
            SessionEnricher::of(ctx)
                .expect("the login created a session")
                .insert("tenant", "demo")
        })
        .unwrap();
    hooks
        .register_with(
            "on_login",
            "preferences",
            HookOptions::default().priority(-1),
            |ctx: &AuthHookContext| {
                let session = SessionEnricher::of(ctx).expect("a session");
                session.insert(
                    "preferences",
                    &Preferences {
                        theme: "dark".into(),
                        beta: true,
                    },
                )
            },
        )
        .unwrap();
    hooks
}

#[tokio::test]
async fn what_on_login_inserts_is_stored_with_the_session_and_read_back_typed() {
    let fx = Fixture::new(enriching());
    let ok = fx.flow.login(ada(PASSWORD), request()).await.unwrap();
    let session = ok.session.unwrap();
    let checked = fx.flow.authenticate_session(&session.id).await.unwrap();
    let data = &checked.session.expect("a session check").data;
    assert_eq!(
        data.get::<String>("tenant").unwrap().as_deref(),
        Some("demo")
    );
    assert_eq!(
        data.get::<Preferences>("preferences").unwrap(),
        Some(Preferences {
            theme: "dark".into(),
            beta: true
        }),
        "every on_login hook's data is kept"
    );
    // It is in the store itself, under the session's hash.
    let stored = fx
        .sessions
        .get(&session.meta.id_hash)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&stored.data, data);
}

#[tokio::test]
async fn a_store_that_cannot_keep_the_data_undoes_the_login() {
    let store = Arc::new(FailingStore::default());
    store.set_data_down(true);
    let fx = Fixture::with(
        enriching(),
        FixtureOptions {
            session_store: Some(store.clone() as Arc<dyn SessionStore>),
            ..Default::default()
        },
    );
    let err = fx.flow.login(ada(PASSWORD), request()).await.unwrap_err();
    assert!(matches!(err, LoginError::StoreUnavailable(_)), "{err:?}");
    assert!(
        store.list_for_user("u-ada").await.unwrap().is_empty(),
        "no session without its data"
    );
    assert_eq!(
        fx.blocklist.len(),
        3,
        "and the tokens issued with it are revoked"
    );
}

#[tokio::test]
async fn a_login_without_a_session_has_nothing_to_enrich() {
    // Recorded, not asserted in the hook: a panicking on_login hook is only logged.
    let offered = Arc::new(AtomicBool::new(true));
    let seen = offered.clone();
    let mut hooks = AuthHookRegistry::new();
    hooks
        .register("on_login", "look", move |ctx: &AuthHookContext| {
            seen.store(SessionEnricher::of(ctx).is_some(), Ordering::SeqCst);
        })
        .unwrap();
    let fx = Fixture::with(
        hooks,
        FixtureOptions {
            sessions: false,
            ..Default::default()
        },
    );
    fx.flow.login(ada(PASSWORD), request()).await.unwrap();
    assert!(!offered.load(Ordering::SeqCst));
}

#[tokio::test]
async fn without_enrichment_nothing_extra_is_written() {
    let fx = Fixture::new(AuthHookRegistry::new());
    let ok = fx.flow.login(ada(PASSWORD), request()).await.unwrap();
    let stored = fx
        .sessions
        .get(&ok.session.unwrap().meta.id_hash)
        .await
        .unwrap()
        .unwrap();
    assert!(stored.data.is_empty());
}
