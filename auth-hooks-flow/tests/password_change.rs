//! A password change keeps the login it was made from and ends every other one (each
//! credential of each is refused after), checks the current password through the same
//! gate as a login, and runs `on_password_change`.

use std::sync::{Arc, Mutex};

use auth_hooks::{AuthHookContext, AuthHookRegistry, TokenKind};
use auth_hooks_flow::{
    AuthError, Authenticated, LoginError, LoginSuccess, PasswordRejected, TokenError,
};
use auth_hooks_test_support::flow::{ada, request, Fixture, PASSWORD};

const NEW: &str = "an entirely new passphrase";

async fn three_logins(fx: &Fixture) -> [LoginSuccess; 3] {
    let mut logins = Vec::new();
    for _ in 0..3 {
        logins.push(fx.flow.login(ada(PASSWORD), request()).await.unwrap());
    }
    logins.try_into().unwrap()
}

/// Every credential of `login`: its session, its access token, its refresh token.
async fn credentials_alive(fx: &Fixture, login: &LoginSuccess) -> [bool; 3] {
    let session = login.session.as_ref().unwrap();
    let tokens = login.tokens.as_ref().unwrap();
    let access = fx
        .flow
        .authenticate_token(tokens.access.token.expose())
        .await;
    let session = fx.flow.authenticate_session(&session.id).await;
    let refresh = fx
        .flow
        .tokens()
        .unwrap()
        .verify(tokens.refresh.token.expose(), TokenKind::Refresh)
        .await;
    for refused in [access.as_ref().err(), session.as_ref().err()]
        .into_iter()
        .flatten()
    {
        assert!(
            matches!(refused, AuthError::Revoked | AuthError::Invalid),
            "{refused:?}"
        );
    }
    if let Err(refused) = &refresh {
        assert!(matches!(refused, TokenError::Revoked), "{refused:?}");
    }
    [session.is_ok(), access.is_ok(), refresh.is_ok()]
}

async fn by_session(fx: &Fixture, login: &LoginSuccess) -> Authenticated {
    let id = &login.session.as_ref().unwrap().id;
    fx.flow.authenticate_session(id).await.unwrap()
}

#[tokio::test]
async fn it_keeps_the_current_login_and_ends_every_other_one() {
    let mut hooks = AuthHookRegistry::new();
    /// What each hook saw: the user id and `other_logins_ended`.
    type Seen = Arc<Mutex<Vec<(Option<String>, u64)>>>;
    let seen: Seen = Arc::default();
    let record = seen.clone();
    hooks
        .register(
            "on_password_change",
            "notice",
            move |ctx: &AuthHookContext| {
                let ended = ctx.metadata()["other_logins_ended"].as_u64().unwrap();
                record
                    .lock()
                    .unwrap()
                    .push((ctx.user_id().map(str::to_owned), ended));
            },
        )
        .unwrap();
    let fx = Fixture::new(hooks);
    let [current, other, third] = three_logins(&fx).await;
    let bob = fx
        .flow
        .login(
            auth_hooks_flow::Credentials::password("bob", PASSWORD),
            request(),
        )
        .await
        .unwrap();

    let me = by_session(&fx, &current).await;
    let changed = fx
        .flow
        .change_password(&me, PASSWORD, NEW, request())
        .await
        .unwrap();
    assert_eq!(changed.other_logins_ended, 2);

    assert_eq!(
        credentials_alive(&fx, &current).await,
        [true; 3],
        "the current login stays"
    );
    assert_eq!(
        credentials_alive(&fx, &other).await,
        [false; 3],
        "every credential of another login is refused"
    );
    assert_eq!(credentials_alive(&fx, &third).await, [false; 3]);
    assert_eq!(
        credentials_alive(&fx, &bob).await,
        [true; 3],
        "other users are untouched"
    );
    // The current login's refresh still works, and its family goes on.
    let refreshed = fx
        .flow
        .refresh(current.tokens.as_ref().unwrap().refresh.token.expose())
        .await
        .unwrap();
    fx.flow
        .authenticate_token(refreshed.access.token.expose())
        .await
        .unwrap();

    assert!(matches!(
        fx.flow.login(ada(PASSWORD), request()).await,
        Err(LoginError::InvalidCredentials)
    ));
    fx.flow.login(ada(NEW), request()).await.unwrap();
    assert_eq!(*seen.lock().unwrap(), [(Some("u-ada".to_owned()), 2)]);
}

#[tokio::test]
async fn made_with_a_bearer_token_it_keeps_that_tokens_login() {
    let fx = Fixture::new(AuthHookRegistry::new());
    let [current, other, _] = three_logins(&fx).await;
    let access = current.tokens.as_ref().unwrap().access.token.expose();
    let me = fx.flow.authenticate_token(access).await.unwrap();
    let changed = fx
        .flow
        .change_password(&me, PASSWORD, NEW, request())
        .await
        .unwrap();
    assert_eq!(changed.other_logins_ended, 2);
    assert_eq!(
        credentials_alive(&fx, &current).await,
        [true; 3],
        "the token's own session stays too"
    );
    assert_eq!(credentials_alive(&fx, &other).await, [false; 3]);
}

#[tokio::test]
async fn a_wrong_current_password_changes_nothing_and_is_a_counted_failure() {
    let mut hooks = auth_hooks::ready!(auth_hooks_flow::builtin::lockout).unwrap();
    let failures: Arc<Mutex<Vec<String>>> = Arc::default();
    let record = failures.clone();
    hooks
        .register("on_login_failed", "seen", move |ctx: &AuthHookContext| {
            record
                .lock()
                .unwrap()
                .push(ctx.metadata()["failure"].as_str().unwrap().to_owned());
        })
        .unwrap();
    let fx = Fixture::new(hooks);
    let [current, other, _] = three_logins(&fx).await;
    let me = by_session(&fx, &current).await;

    let wrong = fx
        .flow
        .change_password(&me, "not it", NEW, request())
        .await
        .unwrap_err();
    assert!(matches!(wrong, LoginError::WrongPassword), "{wrong:?}");
    assert_eq!(wrong.client_message(), "The current password is incorrect.");
    assert_eq!(
        credentials_alive(&fx, &other).await,
        [true; 3],
        "nothing was ended"
    );
    fx.flow.login(ada(PASSWORD), request()).await.unwrap();
    assert_eq!(*failures.lock().unwrap(), ["wrong_password"]);

    // A stolen session guessing the current password meets the login's lockout.
    for _ in 0..5 {
        let _ = fx.flow.change_password(&me, "guess", NEW, request()).await;
    }
    let locked = fx
        .flow
        .change_password(&me, PASSWORD, NEW, request())
        .await
        .unwrap_err();
    assert!(matches!(locked, LoginError::LockedOut { .. }), "{locked:?}");
    let login = fx.flow.login(ada(PASSWORD), request()).await.unwrap_err();
    assert!(
        matches!(login, LoginError::LockedOut { .. }),
        "and the login from there: {login:?}"
    );
}

#[tokio::test]
async fn a_successful_change_settles_the_attempt_it_reserved() {
    let fx = Fixture::new(auth_hooks::ready!(auth_hooks_flow::builtin::lockout).unwrap());
    let [current, ..] = three_logins(&fx).await;
    let me = by_session(&fx, &current).await;
    // Six changes in a row, each right: none counts as a failure.
    let mut password = PASSWORD.to_owned();
    for round in 0..6 {
        let next = format!("{NEW} {round}");
        fx.flow
            .change_password(&me, &password, &next, request())
            .await
            .unwrap();
        password = next;
    }
    fx.flow.login(ada(&password), request()).await.unwrap();
}

#[tokio::test]
async fn a_weak_new_password_is_refused_before_anything_is_counted() {
    let fx = Fixture::new(auth_hooks::ready!(auth_hooks_flow::builtin::lockout).unwrap());
    let [current, other, _] = three_logins(&fx).await;
    let me = by_session(&fx, &current).await;
    for _ in 0..6 {
        let weak = fx
            .flow
            .change_password(&me, PASSWORD, "short", request())
            .await
            .unwrap_err();
        assert!(
            matches!(
                weak,
                LoginError::WeakPassword(PasswordRejected::TooShort { min: 8 })
            ),
            "{weak:?}"
        );
    }
    assert_eq!(credentials_alive(&fx, &other).await, [true; 3]);
    fx.flow
        .change_password(&me, PASSWORD, NEW, request())
        .await
        .unwrap();
}
