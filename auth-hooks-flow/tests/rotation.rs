//! Key rotation (issue 12): what is signed with `k1` verifies with `[k2, k1]` and is
//! refused with `[k2]`, for sessions and for tokens, and a login made under `k1` stays
//! one login (its session and its tokens linked) across the rotation.

use std::sync::Arc;

use auth_hooks::{AuthHookRegistry, TokenKind};
use auth_hooks_flow::{
    AuthError, JtiBlocklist, JwtKeys, KeyRing, LogoutTarget, MemoryJtiBlocklist,
    MemorySessionStore, SessionKey, SessionManager, SessionStore, TokenError, TokenManager,
};
use auth_hooks_test_support::flow::{ada, request, Fixture, FixtureOptions, PASSWORD};

const K1: [u8; 32] = [1; 32];
const K2: [u8; 32] = [2; 32];

fn session_keys(keys: &[[u8; 32]]) -> KeyRing<SessionKey> {
    KeyRing::from_keys(keys.iter().map(|k| SessionKey::new(k).unwrap())).unwrap()
}

fn jwt_keys(keys: &[[u8; 32]]) -> KeyRing<JwtKeys> {
    KeyRing::from_keys(keys.iter().map(|k| JwtKeys::hs256(k).unwrap())).unwrap()
}

fn sessions(keys: &[[u8; 32]], store: &Arc<MemorySessionStore>) -> SessionManager {
    SessionManager::new(session_keys(keys), store.clone())
}

fn tokens(keys: &[[u8; 32]], blocklist: &Arc<MemoryJtiBlocklist>) -> TokenManager {
    TokenManager::new(jwt_keys(keys), blocklist.clone())
}

#[tokio::test]
async fn a_session_made_under_k1_is_valid_under_k2_k1_and_refused_under_k2() {
    let store = Arc::new(MemorySessionStore::new());
    let new = sessions(&[K1], &store).create("u-1").await.unwrap();
    let under_k1 = sessions(&[K1], &store).id_hash(&new.id);

    let rotated = sessions(&[K2, K1], &store);
    let record = rotated
        .validate(&new.id)
        .await
        .unwrap()
        .expect("k1 verifies");
    assert_eq!(record.user_id, "u-1");
    assert_eq!(
        record.id_hash, under_k1,
        "it keeps the hash it was stored under"
    );
    assert!(rotated.peek(&new.id).await.unwrap().is_some());

    assert!(sessions(&[K2], &store)
        .validate(&new.id)
        .await
        .unwrap()
        .is_none());
    assert!(sessions(&[K2], &store)
        .peek(&new.id)
        .await
        .unwrap()
        .is_none());
}

#[tokio::test]
async fn a_new_session_is_hashed_under_the_first_key_only() {
    let store = Arc::new(MemorySessionStore::new());
    let new = sessions(&[K2, K1], &store).create("u-1").await.unwrap();
    assert_eq!(new.meta.id_hash, sessions(&[K2], &store).id_hash(&new.id));
    assert!(sessions(&[K2], &store)
        .validate(&new.id)
        .await
        .unwrap()
        .is_some());
    assert!(sessions(&[K1], &store)
        .validate(&new.id)
        .await
        .unwrap()
        .is_none());
}

#[tokio::test]
async fn revoking_or_rotating_away_a_k1_session_under_k2_k1_ends_it() {
    let store = Arc::new(MemorySessionStore::new());
    let old = sessions(&[K1], &store);
    let rotated = sessions(&[K2, K1], &store);

    let a = old.create("u-1").await.unwrap();
    assert!(rotated.revoke(&a.id).await.unwrap().is_some());
    assert!(old.validate(&a.id).await.unwrap().is_none(), "revoked");

    // A login with a planted k1 session id ends it (no fixation across a rotation).
    let planted = old.create("u-attacker").await.unwrap();
    let fresh = rotated.rotate(Some(&planted.id), "u-1").await.unwrap();
    assert!(old.validate(&planted.id).await.unwrap().is_none(), "ended");
    assert!(rotated.validate(&fresh.id).await.unwrap().is_some());
    assert_eq!(store.len(), 1);
}

#[tokio::test]
async fn a_token_signed_with_k1_verifies_with_k2_k1_and_is_refused_with_k2() {
    let blocklist = Arc::new(MemoryJtiBlocklist::new());
    let pair = tokens(&[K1], &blocklist).issue("u-1").unwrap();
    let access = pair.access.token.expose();

    let claims = tokens(&[K2, K1], &blocklist)
        .verify_access(access)
        .await
        .expect("k1 verifies");
    assert_eq!(claims.sub, "u-1");
    assert!(matches!(
        tokens(&[K2], &blocklist).verify_access(access).await,
        Err(TokenError::Invalid)
    ));
}

#[tokio::test]
async fn tokens_name_their_key_and_a_refresh_re_signs_with_the_first_key() {
    let blocklist = Arc::new(MemoryJtiBlocklist::new());
    let kid = |keys: &[[u8; 32]]| jwt_keys(keys).signing().kid().to_owned();
    assert_ne!(kid(&[K1]), kid(&[K2]));
    let header_kid = |token: &str| jsonwebtoken::decode_header(token).unwrap().kid.unwrap();

    let pair = tokens(&[K1], &blocklist).issue("u-1").unwrap();
    assert_eq!(header_kid(pair.access.token.expose()), kid(&[K1]));

    let renewed = tokens(&[K2, K1], &blocklist)
        .refresh(pair.refresh.token.expose())
        .await
        .expect("a k1 refresh token is accepted");
    assert_eq!(header_kid(renewed.access.token.expose()), kid(&[K2]));
    assert_eq!(header_kid(renewed.refresh.token.expose()), kid(&[K2]));
    // Signed with k2: k2 alone takes it, k1 alone does not.
    let access = renewed.access.token.expose();
    assert!(tokens(&[K2], &blocklist)
        .verify_access(access)
        .await
        .is_ok());
    assert!(matches!(
        tokens(&[K1], &blocklist).verify_access(access).await,
        Err(TokenError::Invalid)
    ));
}

#[tokio::test]
async fn a_token_whose_kid_names_another_key_of_the_ring_is_refused() {
    // The signature is k1's but the header claims k2's id: verified with k2, refused.
    let blocklist = Arc::new(MemoryJtiBlocklist::new());
    let k2_kid = jwt_keys(&[K2]).signing().kid().to_owned();
    let token = tokens(&[K1], &blocklist).issue("u-1").unwrap().access.token;
    let (header, rest) = token.expose().split_once('.').unwrap();
    let mut header: serde_json::Value = serde_json::from_slice(&base64_url_decode(header)).unwrap();
    header["kid"] = k2_kid.into();
    let forged = format!("{}.{rest}", base64_url_encode(&header.to_string()));
    assert!(matches!(
        tokens(&[K2, K1], &blocklist).verify_access(&forged).await,
        Err(TokenError::Invalid)
    ));
    // And with no kid at all.
    header.as_object_mut().unwrap().remove("kid");
    let no_kid = format!("{}.{rest}", base64_url_encode(&header.to_string()));
    assert!(matches!(
        tokens(&[K2, K1], &blocklist).verify_access(&no_kid).await,
        Err(TokenError::Invalid)
    ));
}

fn base64_url_decode(text: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text)
        .unwrap()
}

fn base64_url_encode(text: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text)
}

/// A flow whose stores are `from`'s, under other keys.
fn flow_with_keys(from: &Fixture, keys: &[[u8; 32]]) -> Fixture {
    Fixture::with(
        AuthHookRegistry::new(),
        FixtureOptions {
            session_store: Some(from.sessions.clone() as Arc<dyn SessionStore>),
            blocklist: Some(from.blocklist.clone() as Arc<dyn JtiBlocklist>),
            session_keys: Some(session_keys(keys)),
            jwt_keys: Some(jwt_keys(keys)),
            ..Default::default()
        },
    )
}

#[tokio::test]
async fn a_login_under_k1_stays_one_login_under_k2_k1_and_ends_under_k2() {
    let before = Fixture::with(
        AuthHookRegistry::new(),
        FixtureOptions {
            session_keys: Some(session_keys(&[K1])),
            jwt_keys: Some(jwt_keys(&[K1])),
            ..Default::default()
        },
    );
    let login = before.flow.login(ada(PASSWORD), request()).await.unwrap();
    let session = login.session.unwrap();
    let pair = login.tokens.unwrap();

    let rotated = flow_with_keys(&before, &[K2, K1]);
    let by_cookie = rotated
        .flow
        .authenticate_session(&session.id)
        .await
        .unwrap();
    assert_eq!(by_cookie.user.id, "u-ada");
    let by_token = rotated
        .flow
        .authenticate_token(pair.access.token.expose())
        .await
        .unwrap();
    assert_eq!(by_token.user.id, "u-ada");
    // The refresh finds the k1 session by the sid its tokens carry.
    let renewed = rotated
        .flow
        .refresh(pair.refresh.token.expose())
        .await
        .expect("the k1 login's refresh token works, its session is found");

    // Under k2 alone, neither the k1 session nor a k1 token is accepted; the pair the
    // refresh issued (signed with k2) still is.
    let after = flow_with_keys(&before, &[K2]);
    assert!(matches!(
        after.flow.authenticate_session(&session.id).await,
        Err(AuthError::Invalid)
    ));
    assert!(matches!(
        after
            .flow
            .authenticate_token(pair.access.token.expose())
            .await,
        Err(AuthError::Invalid)
    ));
    assert!(after
        .flow
        .authenticate_token(renewed.access.token.expose())
        .await
        .is_ok());

    // Logging out with the k2-signed token ends the k1 session too: the link holds.
    let out = rotated
        .flow
        .logout(
            LogoutTarget::access_token(renewed.access.token.expose()),
            request(),
        )
        .await
        .unwrap();
    assert!(out.revoked);
    assert!(matches!(
        rotated.flow.authenticate_session(&session.id).await,
        Err(AuthError::Invalid)
    ));
    assert!(before.sessions.is_empty());
}

#[tokio::test]
async fn a_cookie_logout_under_k2_k1_ends_a_k1_session_and_its_tokens() {
    let before = Fixture::with(
        AuthHookRegistry::new(),
        FixtureOptions {
            session_keys: Some(session_keys(&[K1])),
            jwt_keys: Some(jwt_keys(&[K1])),
            ..Default::default()
        },
    );
    let login = before.flow.login(ada(PASSWORD), request()).await.unwrap();
    let (session, pair) = (login.session.unwrap(), login.tokens.unwrap());

    let rotated = flow_with_keys(&before, &[K2, K1]);
    let out = rotated
        .flow
        .logout(LogoutTarget::session(session.id), request())
        .await
        .unwrap();
    assert!(out.revoked);
    assert!(before.sessions.is_empty());
    assert!(matches!(
        rotated
            .flow
            .authenticate_token(pair.access.token.expose())
            .await,
        Err(AuthError::Revoked)
    ));
    let tokens = tokens(&[K2, K1], &before.blocklist);
    assert!(matches!(
        tokens
            .verify(pair.refresh.token.expose(), TokenKind::Refresh)
            .await,
        Err(TokenError::Revoked)
    ));
}
