//! Refresh is a phase: `before_authenticate` (the IP throttle included) and
//! `on_refresh` run on every refresh; `on_refresh` may refuse, and the login is then
//! over; custom claims from hooks are in the login's tokens and survive every refresh.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use auth_hooks::{AuthHookContext, AuthHookRegistry, AuthHookReject, RequestMeta, TokenKind};
use auth_hooks_flow::builtin::ip_throttle::IpThrottle;
use auth_hooks_flow::builtin::lockout::LockoutConfig;
use auth_hooks_flow::{
    AuthError, AuthFlow, ClaimError, Credentials, JwtKeys, LoginError, MemoryAttemptStore,
    MemoryJtiBlocklist, MemorySessionStore, MemoryUserStore, PasswordAccount, PasswordBackend,
    PasswordHasher, SessionKey, SessionManager, TokenClaims, TokenManager, TokenPair,
};
use auth_hooks_test_support::flow::{ada, request, Fixture, PASSWORD};

/// A before_login hook that puts `"tenant": "demo"` and `"roles": ["admin"]` in the
/// login's tokens.
fn with_tenant_claims(hooks: &mut AuthHookRegistry) {
    hooks
        .register("before_login", "claims", |ctx: &AuthHookContext| {
            let claims = TokenClaims::of(ctx).expect("the flow issues tokens");
            claims.insert("tenant", "demo")?;
            claims.insert("roles", &["admin"])
        })
        .unwrap();
}

async fn access_claim(fx: &Fixture, pair: &TokenPair, name: &str) -> Option<String> {
    let checked = fx
        .flow
        .authenticate_token(pair.access.token.expose())
        .await
        .unwrap();
    checked.claims.unwrap().custom(name).unwrap()
}

#[tokio::test]
async fn a_custom_claim_is_in_the_login_tokens_and_after_three_refreshes() {
    let mut hooks = AuthHookRegistry::new();
    with_tenant_claims(&mut hooks);
    let fx = Fixture::new(hooks);
    let mut pair = fx
        .flow
        .login(ada(PASSWORD), request())
        .await
        .unwrap()
        .tokens
        .unwrap();
    assert_eq!(
        access_claim(&fx, &pair, "tenant").await.as_deref(),
        Some("demo")
    );
    for round in 1..=3 {
        pair = fx.flow.refresh(pair.refresh.token.expose()).await.unwrap();
        assert_eq!(
            access_claim(&fx, &pair, "tenant").await.as_deref(),
            Some("demo"),
            "after refresh {round}"
        );
    }
    let checked = fx
        .flow
        .authenticate_token(pair.access.token.expose())
        .await
        .unwrap();
    assert_eq!(
        checked
            .claims
            .unwrap()
            .custom::<Vec<String>>("roles")
            .unwrap(),
        Some(vec!["admin".to_owned()]),
        "typed values come back typed"
    );
}

#[tokio::test]
async fn a_reserved_claim_is_refused_with_an_error_naming_it() {
    for name in auth_hooks_flow::RESERVED_CLAIMS {
        let claims = TokenClaims::default();
        let err = claims.insert(name, "forged").unwrap_err();
        assert!(
            matches!(&err, ClaimError::Reserved(n) if n == name),
            "{err:?}"
        );
        assert!(err.to_string().contains(&format!("`{name}`")), "{err}");
    }
    // In a hook, under before_login's `raise`: the login is refused, not issued with it.
    let mut hooks = AuthHookRegistry::new();
    hooks
        .register("before_login", "forge", |ctx: &AuthHookContext| {
            TokenClaims::of(ctx).unwrap().insert("sub", "u-root")
        })
        .unwrap();
    let fx = Fixture::new(hooks);
    let err = fx.flow.login(ada(PASSWORD), request()).await.unwrap_err();
    let LoginError::HookFailed(failed) = &err else {
        panic!("{err:?}")
    };
    assert!(
        failed.source.to_string().contains("`sub` is reserved"),
        "{failed}"
    );
    assert!(fx.sessions.is_empty());
}

#[tokio::test]
async fn on_refresh_sees_the_user_and_the_old_token_and_may_change_the_claims() {
    let seen: Arc<Mutex<Vec<(String, TokenKind, String)>>> = Arc::default();
    let keep = seen.clone();
    let mut hooks = AuthHookRegistry::new();
    with_tenant_claims(&mut hooks);
    hooks
        .register("on_refresh", "look", move |ctx: &AuthHookContext| {
            let account = ctx.user::<PasswordAccount>().expect("the user, re-read");
            let old = ctx
                .token(TokenKind::Refresh)
                .expect("the old refresh token");
            keep.lock()
                .unwrap()
                .push((account.login.clone(), old.kind, old.family.clone()));
            assert_eq!(ctx.metadata()["authentication_method"], "token_refresh");
            let claims = TokenClaims::of(ctx).unwrap();
            claims.remove("roles");
            claims.insert("tenant", "moved")
        })
        .unwrap();
    let fx = Fixture::new(hooks);
    let login = fx.flow.login(ada(PASSWORD), request()).await.unwrap();
    let family = login.tokens.as_ref().unwrap().refresh.meta.family.clone();
    let pair = fx
        .flow
        .refresh(login.tokens.unwrap().refresh.token.expose())
        .await
        .unwrap();
    assert_eq!(
        *seen.lock().unwrap(),
        [("ada".to_owned(), TokenKind::Refresh, family)]
    );
    assert_eq!(
        access_claim(&fx, &pair, "tenant").await.as_deref(),
        Some("moved")
    );
    assert_eq!(access_claim(&fx, &pair, "roles").await, None);
}

#[tokio::test]
async fn a_refusal_in_on_refresh_ends_the_whole_login() {
    let suspended = Arc::new(AtomicBool::new(false));
    let flag = suspended.clone();
    let mut hooks = AuthHookRegistry::new();
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
    let fx = Fixture::new(hooks);
    let login = fx.flow.login(ada(PASSWORD), request()).await.unwrap();
    let session = login.session.unwrap();
    let pair = login.tokens.unwrap();
    suspended.store(true, Ordering::SeqCst);

    let err = fx
        .flow
        .refresh(pair.refresh.token.expose())
        .await
        .unwrap_err();
    assert!(matches!(&err, AuthError::Rejected { .. }), "{err:?}");
    assert_eq!(err.client_message(), "This account is suspended.");
    // The family is dead, and the session with it, even once the hook relents.
    suspended.store(false, Ordering::SeqCst);
    assert!(matches!(
        fx.flow.refresh(pair.refresh.token.expose()).await,
        Err(AuthError::Revoked)
    ));
    assert!(matches!(
        fx.flow.authenticate_token(pair.access.token.expose()).await,
        Err(AuthError::Revoked)
    ));
    assert!(fx.flow.authenticate_session(&session.id).await.is_err());
}

#[tokio::test]
async fn a_failing_on_refresh_hook_spends_nothing_so_the_client_may_retry() {
    let down = Arc::new(AtomicBool::new(true));
    let flag = down.clone();
    let mut hooks = AuthHookRegistry::new();
    hooks
        .register(
            "on_refresh",
            "fraud_api",
            move |_: &AuthHookContext| match flag.load(Ordering::SeqCst) {
                true => Err(std::io::Error::other("fraud api unreachable")),
                false => Ok(()),
            },
        )
        .unwrap();
    let fx = Fixture::new(hooks);
    let pair = fx
        .flow
        .login(ada(PASSWORD), request())
        .await
        .unwrap()
        .tokens
        .unwrap();
    let err = fx
        .flow
        .refresh(pair.refresh.token.expose())
        .await
        .unwrap_err();
    assert!(matches!(err, AuthError::HookFailed(_)), "{err:?}");
    assert!(
        !err.client_message().contains("fraud"),
        "{}",
        err.client_message()
    );
    down.store(false, Ordering::SeqCst);
    fx.flow
        .refresh(pair.refresh.token.expose())
        .await
        .expect("the same token works once the hook does");
}

/// A flow issuing sessions and tokens, with the IP throttle (4 failures per address).
fn throttled_token_flow() -> AuthFlow {
    let hasher = PasswordHasher::for_tests();
    let users = Arc::new(MemoryUserStore::new());
    users.add("u-ada", "ada", PASSWORD, &hasher).unwrap();
    AuthFlow::builder(PasswordBackend::new(users, hasher))
        .hooks(auth_hooks::ready!(auth_hooks_flow::builtin::ip_throttle).unwrap())
        .sessions(SessionManager::new(
            SessionKey::new([7u8; 32]).unwrap(),
            Arc::new(MemorySessionStore::new()),
        ))
        .tokens(TokenManager::new(
            JwtKeys::hs256([9u8; 32]).unwrap(),
            Arc::new(MemoryJtiBlocklist::new()),
        ))
        .extension(
            IpThrottle::new(Arc::new(MemoryAttemptStore::new()))
                .with_config(LockoutConfig::default().max_failures(4)),
        )
        .build()
        .unwrap()
}

#[tokio::test]
async fn the_ip_throttle_counts_bad_refresh_tokens_and_not_good_ones() {
    let flow = throttled_token_flow();
    let from = |ip: &str| RequestMeta::new("POST", "/refresh").client_ip(ip.parse().unwrap());
    let mut pair = flow
        .login(Credentials::password("ada", PASSWORD), from("198.51.100.9"))
        .await
        .unwrap()
        .tokens
        .unwrap();
    // Good refreshes take their attempt back: many more than the limit all work.
    for _ in 0..10 {
        pair = flow
            .refresh_from(pair.refresh.token.expose(), from("198.51.100.9"))
            .await
            .expect("a good refresh is never throttled");
    }
    // Forged tokens from one address are counted, then the address is blocked.
    for _ in 0..4 {
        let err = flow
            .refresh_from("forged.refresh.token", from("198.51.100.66"))
            .await
            .unwrap_err();
        assert!(matches!(err, AuthError::Invalid), "{err:?}");
    }
    let err = flow
        .refresh_from(pair.refresh.token.expose(), from("198.51.100.66"))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            AuthError::Rejected {
                retry_after: Some(_),
                ..
            }
        ),
        "blocked on refresh as on login, before the token is even read: {err:?}"
    );
    flow.refresh_from(pair.refresh.token.expose(), from("198.51.100.9"))
        .await
        .expect("the unspent token still works from a clean address");
}
