//! JWTs: the blocklist is checked on every path that accepts a token (access, refresh,
//! logout), refresh tokens are single-use, revoking one revokes its family, and a store
//! failure during a refresh does not spend the token.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use auth_hooks::{AuthHookRegistry, TokenKind};
use auth_hooks_flow::testing::jti_blocklist_conformance;
use auth_hooks_flow::{
    AuthError, AuthFlow, JtiBlocklist, JwtKeys, LogoutTarget, MemoryJtiBlocklist, MemoryUserStore,
    NewUserOutcome, PasswordBackend, PasswordHasher, PasswordUser, StoreError, TokenManager,
    TokenPair, UserStore,
};
use auth_hooks_test_support::flow::{
    ada, request, FailingStore, Fixture, FixtureOptions, PASSWORD,
};

fn tokens_only() -> FixtureOptions {
    FixtureOptions {
        sessions: false,
        ..Default::default()
    }
}

async fn login(fx: &Fixture) -> TokenPair {
    fx.flow
        .login(ada(PASSWORD), request())
        .await
        .unwrap()
        .tokens
        .unwrap()
}

#[tokio::test]
async fn memory_blocklist_passes_the_conformance_suite() {
    jti_blocklist_conformance(Arc::new(MemoryJtiBlocklist::new())).await;
}

#[tokio::test]
async fn an_access_token_authenticates_and_maps_sub_to_the_user() {
    let fx = Fixture::with(AuthHookRegistry::new(), tokens_only());
    let pair = login(&fx).await;
    let auth = fx
        .flow
        .authenticate_token(pair.access.token.expose())
        .await
        .unwrap();
    assert_eq!(auth.user.id, "u-ada");
    let claims = auth.claims.unwrap();
    assert_eq!(
        (claims.sub.as_str(), claims.kind, claims.fresh),
        ("u-ada", TokenKind::Access, true)
    );
    assert_eq!(claims.jti, pair.access.meta.jti);
    assert_eq!(
        claims.exp - claims.iat,
        15 * 60,
        "access tokens live 15 minutes"
    );
}

#[tokio::test]
async fn a_blocklisted_jti_is_refused_on_access() {
    let fx = Fixture::with(AuthHookRegistry::new(), tokens_only());
    let pair = login(&fx).await;
    let tokens = fx.flow.tokens().unwrap();
    let revoked = tokens
        .revoke(pair.access.token.expose(), TokenKind::Access)
        .await
        .unwrap();
    assert!(revoked.is_some());
    let err = fx
        .flow
        .authenticate_token(pair.access.token.expose())
        .await
        .unwrap_err();
    assert!(matches!(err, AuthError::Revoked), "{err:?}");
    // Revoking an access token alone leaves the refresh token usable.
    assert!(fx.flow.refresh(pair.refresh.token.expose()).await.is_ok());
}

#[tokio::test]
async fn a_blocklisted_jti_is_refused_on_refresh() {
    let fx = Fixture::with(AuthHookRegistry::new(), tokens_only());
    let pair = login(&fx).await;
    // Block only the refresh token's jti, as another instance's logout would.
    fx.blocklist
        .block(&pair.refresh.meta.jti, pair.refresh.meta.expires_at)
        .await
        .unwrap();
    let err = fx
        .flow
        .refresh(pair.refresh.token.expose())
        .await
        .unwrap_err();
    assert!(matches!(err, AuthError::Revoked), "{err:?}");
}

#[tokio::test]
async fn revoking_a_refresh_token_revokes_its_whole_family() {
    let fx = Fixture::with(AuthHookRegistry::new(), tokens_only());
    let pair = login(&fx).await;
    let rotated = fx.flow.refresh(pair.refresh.token.expose()).await.unwrap();
    let other_login = login(&fx).await;

    let out = fx
        .flow
        .logout(
            LogoutTarget::refresh_token(rotated.refresh.token.expose()),
            request(),
        )
        .await
        .unwrap();
    assert!(out.revoked);

    for token in [pair.access.token.expose(), rotated.access.token.expose()] {
        let err = fx.flow.authenticate_token(token).await.unwrap_err();
        assert!(
            matches!(err, AuthError::Revoked),
            "every access token of the family: {err:?}"
        );
    }
    let err = fx
        .flow
        .refresh(rotated.refresh.token.expose())
        .await
        .unwrap_err();
    assert!(matches!(err, AuthError::Revoked), "{err:?}");
    assert!(
        fx.flow
            .authenticate_token(other_login.access.token.expose())
            .await
            .is_ok(),
        "another login's family is untouched"
    );
}

#[tokio::test]
async fn a_refresh_token_works_once_and_its_reuse_revokes_the_family() {
    let fx = Fixture::with(AuthHookRegistry::new(), tokens_only());
    let pair = login(&fx).await;
    let rotated = fx.flow.refresh(pair.refresh.token.expose()).await.unwrap();
    assert_ne!(rotated.refresh.meta.jti, pair.refresh.meta.jti);
    assert_eq!(rotated.refresh.meta.family, pair.refresh.meta.family);
    assert!(!rotated.access.meta.fresh, "a refreshed token is not fresh");
    assert_eq!(
        rotated.refresh.meta.expires_at, pair.refresh.meta.expires_at,
        "refreshing never extends the family's life"
    );

    // The old refresh token is replayed (stolen): refused, and the family dies.
    let err = fx
        .flow
        .refresh(pair.refresh.token.expose())
        .await
        .unwrap_err();
    assert!(matches!(err, AuthError::Revoked), "{err:?}");
    assert!(fx
        .flow
        .authenticate_token(rotated.access.token.expose())
        .await
        .is_err());
    assert!(fx
        .flow
        .refresh(rotated.refresh.token.expose())
        .await
        .is_err());
}

#[tokio::test]
async fn tokens_of_the_wrong_kind_forged_or_expired_are_refused() {
    let fx = Fixture::with(AuthHookRegistry::new(), tokens_only());
    let pair = login(&fx).await;

    let err = fx
        .flow
        .authenticate_token(pair.refresh.token.expose())
        .await
        .unwrap_err();
    assert!(
        matches!(err, AuthError::Invalid),
        "a refresh token is not an access token: {err:?}"
    );
    let err = fx
        .flow
        .refresh(pair.access.token.expose())
        .await
        .unwrap_err();
    assert!(
        matches!(err, AuthError::Invalid),
        "an access token cannot refresh: {err:?}"
    );

    // Signed with another key.
    let forger = TokenManager::new(
        JwtKeys::hs256([1u8; 32]).unwrap(),
        Arc::new(MemoryJtiBlocklist::new()),
    );
    let forged = forger.issue("u-ada").unwrap();
    let err = fx
        .flow
        .authenticate_token(forged.access.token.expose())
        .await
        .unwrap_err();
    assert!(matches!(err, AuthError::Invalid), "{err:?}");

    // alg=none with the same claims.
    let parts: Vec<&str> = pair.access.token.expose().split('.').collect();
    let none = format!("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{}.", parts[1]);
    assert!(matches!(
        fx.flow.authenticate_token(&none).await,
        Err(AuthError::Invalid)
    ));
    for junk in ["", "a.b.c", "🦀", &"x".repeat(10_000)] {
        assert!(matches!(
            fx.flow.authenticate_token(junk).await,
            Err(AuthError::Invalid)
        ));
    }

    fx.clock.advance(Duration::from_secs(15 * 60));
    let err = fx
        .flow
        .authenticate_token(pair.access.token.expose())
        .await
        .unwrap_err();
    assert!(matches!(err, AuthError::Expired), "{err:?}");
    // The refresh token still works after the access token expired.
    let renewed = fx.flow.refresh(pair.refresh.token.expose()).await.unwrap();
    assert!(fx
        .flow
        .authenticate_token(renewed.access.token.expose())
        .await
        .is_ok());
}

#[tokio::test]
async fn a_disabled_user_cannot_use_or_refresh_tokens() {
    let fx = Fixture::with(AuthHookRegistry::new(), tokens_only());
    let pair = login(&fx).await;
    fx.users.set_disabled("u-ada", true).unwrap();
    let err = fx
        .flow
        .authenticate_token(pair.access.token.expose())
        .await
        .unwrap_err();
    assert!(matches!(err, AuthError::UnknownUser), "{err:?}");
    let err = fx
        .flow
        .refresh(pair.refresh.token.expose())
        .await
        .unwrap_err();
    assert!(matches!(err, AuthError::UnknownUser), "{err:?}");
}

#[tokio::test]
async fn a_blocklist_failure_fails_closed_on_access_refresh_and_logout() {
    let store = Arc::new(FailingStore::default());
    let fx = Fixture::with(
        AuthHookRegistry::new(),
        FixtureOptions {
            sessions: false,
            blocklist: Some(store.clone() as Arc<dyn JtiBlocklist>),
            ..Default::default()
        },
    );
    let pair = login(&fx).await;
    store.set_down(true);
    let err = fx
        .flow
        .authenticate_token(pair.access.token.expose())
        .await
        .unwrap_err();
    assert!(matches!(err, AuthError::StoreUnavailable(_)), "{err:?}");
    let err = fx
        .flow
        .refresh(pair.refresh.token.expose())
        .await
        .unwrap_err();
    assert!(matches!(err, AuthError::StoreUnavailable(_)), "{err:?}");
    let err = fx
        .flow
        .logout(
            LogoutTarget::access_token(pair.access.token.expose()),
            request(),
        )
        .await
        .unwrap_err();
    assert!(err.to_string().contains("store unavailable"), "{err}");
    store.set_down(false);
    assert!(fx
        .flow
        .authenticate_token(pair.access.token.expose())
        .await
        .is_ok());
}

#[test]
fn token_debug_output_is_redacted() {
    let tokens = TokenManager::new(
        JwtKeys::hs256(b"0123456789abcdef0123456789abcdef").unwrap(),
        Arc::new(MemoryJtiBlocklist::new()),
    );
    let pair = tokens.issue("u-1").unwrap();
    let debug = format!("{pair:?} {tokens:?}");
    assert!(!debug.contains(pair.access.token.expose()), "{debug}");
    assert!(!debug.contains(pair.refresh.token.expose()), "{debug}");
    assert!(!debug.contains("0123456789abcdef"), "{debug}");
    assert!(
        JwtKeys::hs256(b"short").is_err(),
        "keys under 32 bytes are refused"
    );
}

/// Users whose next `find_by_id` fails, once, when armed.
struct FlakyUsers {
    users: MemoryUserStore,
    fail_next: AtomicBool,
}

#[auth_hooks_flow::async_trait]
impl UserStore for FlakyUsers {
    async fn create(&self, user: PasswordUser) -> Result<NewUserOutcome, StoreError> {
        self.users.create(user).await
    }
    async fn find_by_login(&self, login: &str) -> Result<Option<PasswordUser>, StoreError> {
        self.users.find_by_login(login).await
    }
    async fn find_by_id(&self, id: &str) -> Result<Option<PasswordUser>, StoreError> {
        if self.fail_next.swap(false, Ordering::SeqCst) {
            return Err(StoreError::new("user store timed out (test double)"));
        }
        self.users.find_by_id(id).await
    }
    async fn update_password_hash(&self, id: &str, hash: &str) -> Result<(), StoreError> {
        self.users.update_password_hash(id, hash).await
    }
}

#[tokio::test]
async fn a_user_store_failure_during_refresh_is_retryable_and_logs_nobody_out() {
    let hasher = PasswordHasher::for_tests();
    let users = Arc::new(FlakyUsers {
        users: MemoryUserStore::new(),
        fail_next: AtomicBool::new(false),
    });
    users.users.add("u-ada", "ada", PASSWORD, &hasher).unwrap();
    let flow = AuthFlow::builder(PasswordBackend::new(users.clone(), hasher))
        .hooks(AuthHookRegistry::new())
        .tokens(TokenManager::new(
            JwtKeys::hs256([9u8; 32]).unwrap(),
            Arc::new(MemoryJtiBlocklist::new()),
        ))
        .build()
        .unwrap();
    let pair = flow
        .login(ada(PASSWORD), request())
        .await
        .unwrap()
        .tokens
        .unwrap();

    users.fail_next.store(true, Ordering::SeqCst);
    let err = flow.refresh(pair.refresh.token.expose()).await.unwrap_err();
    assert!(matches!(err, AuthError::StoreUnavailable(_)), "{err:?}");

    // "Try again later" meant it: the same token works, and the login is intact.
    let renewed = flow
        .refresh(pair.refresh.token.expose())
        .await
        .expect("the retry succeeds");
    flow.authenticate_token(pair.access.token.expose())
        .await
        .expect("the login's access token still works");
    flow.authenticate_token(renewed.access.token.expose())
        .await
        .unwrap();
}

#[tokio::test]
async fn a_spent_refresh_token_says_revoked_whether_its_user_exists_or_not() {
    let fx = Fixture::with(AuthHookRegistry::new(), tokens_only());
    let pair = login(&fx).await;
    fx.flow.refresh(pair.refresh.token.expose()).await.unwrap();
    fx.users.set_disabled("u-ada", true).unwrap();
    let err = fx
        .flow
        .refresh(pair.refresh.token.expose())
        .await
        .unwrap_err();
    assert!(
        matches!(err, AuthError::Revoked),
        "a spent token must not tell whether its account is gone: {err:?}"
    );
}
