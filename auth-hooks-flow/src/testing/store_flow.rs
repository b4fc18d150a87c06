//! One login/logout cycle through the whole flow on a real store (SQLite, Redis): the
//! same scenario for each, so a store that passes the trait suites is also seen working
//! under the flow.

use std::sync::Arc;
use std::time::Duration;

use crate::builtin::lockout::Lockout;
use crate::{
    AttemptStore, AuthError, AuthFlow, Credentials, JtiBlocklist, JwtKeys, LoginError,
    LogoutTarget, ManualClock, PasswordBackend, PasswordHasher, SessionId, SessionKey,
    SessionManager, SessionStore, TokenManager, UserStore,
};

use super::{ada, request, PASSWORD};

/// Ada (`u-ada`, login `ada`) and Bob (`u-bob`), password [`PASSWORD`], to seed a store
/// with its own method before [`full_cycle`]: `(id, login)`.
pub const USERS: [(&str, &str); 2] = [("u-ada", "ada"), ("u-bob", "bob")];

/// The hasher the seeded users must be hashed with.
pub fn hasher() -> PasswordHasher {
    PasswordHasher::for_tests()
}

/// A flow whose every store is `store`, with the lockout and revoke-other-sessions
/// built-ins, on `clock`.
pub fn flow_on<S>(store: Arc<S>, clock: &ManualClock) -> AuthFlow
where
    S: SessionStore + JtiBlocklist + AttemptStore + UserStore + 'static,
{
    let hooks = auth_hooks::ready!(
        crate::builtin::lockout,
        crate::builtin::revoke_other_sessions
    )
    .unwrap();
    AuthFlow::builder(PasswordBackend::new(store.clone(), hasher()))
        .hooks(hooks)
        .sessions(
            SessionManager::new(SessionKey::new([7u8; 32]).unwrap(), store.clone())
                .with_clock(Arc::new(clock.clone())),
        )
        .tokens(
            TokenManager::new(JwtKeys::hs256([9u8; 32]).unwrap(), store.clone())
                .with_clock(Arc::new(clock.clone())),
        )
        .extension(Lockout::new(store).with_clock(Arc::new(clock.clone())))
        .build()
        .unwrap()
}

/// Login, session and token checks, revoke-other-sessions, refresh and its reuse,
/// logout (twice), lockout and its end, all on `store` seeded with [`USERS`].
pub async fn full_cycle<S>(store: Arc<S>)
where
    S: SessionStore + JtiBlocklist + AttemptStore + UserStore + 'static,
{
    let clock = ManualClock::starting_now();
    let flow = flow_on(store.clone(), &clock);

    // Login: a session and tokens; the store holds only the id's keyed hash.
    let first = flow.login(ada(PASSWORD), request()).await.expect("login");
    let session = first.session.expect("sessions are on");
    let tokens = first.tokens.expect("tokens are on");
    let first_access = tokens.access.token.clone();
    let stored = SessionStore::list_for_user(&*store, "u-ada").await.unwrap();
    assert_eq!(stored.len(), 1);
    assert_ne!(stored[0].id_hash, session.id.expose());
    assert!(!stored[0].id_hash.contains(session.id.expose()));
    assert_eq!(
        flow.authenticate_session(&session.id)
            .await
            .unwrap()
            .user
            .id,
        "u-ada"
    );
    assert_eq!(
        flow.authenticate_token(tokens.access.token.expose())
            .await
            .unwrap()
            .user
            .id,
        "u-ada"
    );

    // A second login revokes the first login (revoke_other_sessions): its session and
    // its tokens.
    clock.advance(Duration::from_secs(5));
    let second_login = flow.login(ada(PASSWORD), request()).await.unwrap();
    let second = second_login.session.unwrap();
    let tokens = second_login.tokens.unwrap();
    assert!(matches!(
        flow.authenticate_session(&session.id).await,
        Err(AuthError::Invalid)
    ));
    assert!(matches!(
        flow.authenticate_token(first_access.expose()).await,
        Err(AuthError::Revoked)
    ));
    assert!(flow.authenticate_session(&second.id).await.is_ok());
    assert_eq!(
        SessionStore::list_for_user(&*store, "u-ada")
            .await
            .unwrap()
            .len(),
        1
    );

    // Refresh works once; its reuse is refused and revokes the family.
    let refreshed = flow
        .refresh(tokens.refresh.token.expose())
        .await
        .expect("refresh");
    assert!(flow.refresh(tokens.refresh.token.expose()).await.is_err());
    assert!(
        flow.refresh(refreshed.refresh.token.expose())
            .await
            .is_err(),
        "reuse revoked the whole family"
    );

    // Logout ends the session (and its login's tokens); a second logout is harmless.
    let again = || SessionId::parse(second.id.expose()).unwrap();
    flow.logout(LogoutTarget::session(again()), request())
        .await
        .expect("logout");
    flow.logout(LogoutTarget::session(again()), request())
        .await
        .expect("a second logout is harmless");
    assert!(flow.authenticate_session(&second.id).await.is_err());
    let access = refreshed.access.token.expose().to_owned();
    flow.logout(LogoutTarget::access_token(access.clone()), request())
        .await
        .expect("token logout");
    assert!(matches!(
        flow.authenticate_token(&access).await,
        Err(AuthError::Revoked)
    ));

    // Five failures lock the login, even against the right password, until the period ends.
    for _ in 0..5 {
        let err = flow
            .login(Credentials::password("bob", "wrong"), request())
            .await
            .unwrap_err();
        assert!(matches!(err, LoginError::InvalidCredentials), "{err:?}");
    }
    let err = flow
        .login(Credentials::password("bob", PASSWORD), request())
        .await
        .unwrap_err();
    assert!(matches!(err, LoginError::LockedOut { .. }), "{err:?}");
    clock.advance(Duration::from_secs(901));
    assert!(flow
        .login(Credentials::password("bob", PASSWORD), request())
        .await
        .is_ok());
}
