//! One login, one link: a login's session and its token family end together, whichever
//! credential logs out (a cookie, an access token, a refresh token, an access token
//! that already expired), and every credential of the login is tried after every kind
//! of logout. `revoke_other_sessions` ends other logins' tokens with their sessions.

use std::time::Duration;

use auth_hooks::AuthHookRegistry;
use auth_hooks_flow::{AuthError, LoginSuccess, LogoutTarget, SessionId};
use auth_hooks_test_support::flow::{ada, request, Fixture, PASSWORD};

/// The three credentials of one login, as a client keeps them.
struct Credentials {
    cookie: String,
    access: String,
    refresh: String,
}

fn credentials(ok: LoginSuccess) -> Credentials {
    let tokens = ok.tokens.expect("tokens are on");
    Credentials {
        cookie: ok.session.expect("sessions are on").id.expose().to_owned(),
        access: tokens.access.token.expose().to_owned(),
        refresh: tokens.refresh.token.expose().to_owned(),
    }
}

/// Which of the login's credentials still work: (cookie, access, refresh). Spends the
/// refresh token when it works: call it once per login.
async fn still_working(fx: &Fixture, c: &Credentials) -> (bool, bool, bool) {
    let cookie = fx.flow.authenticate_session_cookie(&c.cookie).await;
    let access = fx.flow.authenticate_token(&c.access).await;
    let refresh = fx.flow.refresh(&c.refresh).await;
    for refused in [
        cookie.as_ref().err(),
        access.as_ref().err(),
        refresh.as_ref().err(),
    ]
    .into_iter()
    .flatten()
    {
        assert!(
            matches!(
                refused,
                AuthError::Invalid | AuthError::Revoked | AuthError::Expired
            ),
            "refused as a credential, not as an outage: {refused:?}"
        );
    }
    (cookie.is_ok(), access.is_ok(), refresh.is_ok())
}

#[derive(Debug, Clone, Copy)]
enum Logout {
    Cookie,
    Access,
    Refresh,
    ExpiredAccess,
}

#[tokio::test]
async fn every_credential_is_refused_after_every_kind_of_logout() {
    for logout in [
        Logout::Cookie,
        Logout::Access,
        Logout::Refresh,
        Logout::ExpiredAccess,
    ] {
        let fx = Fixture::new(AuthHookRegistry::new());
        let this = credentials(fx.flow.login(ada(PASSWORD), request()).await.unwrap());
        let other = credentials(fx.flow.login(ada(PASSWORD), request()).await.unwrap());
        let target = match logout {
            Logout::Cookie => LogoutTarget::session(SessionId::parse(&this.cookie).unwrap()),
            Logout::Access => LogoutTarget::access_token(this.access.clone()),
            Logout::Refresh => LogoutTarget::refresh_token(this.refresh.clone()),
            Logout::ExpiredAccess => {
                // Past the access token's 15 minutes, within the session's and the
                // refresh token's lifetimes.
                fx.clock.advance(Duration::from_secs(16 * 60));
                LogoutTarget::access_token(this.access.clone())
            }
        };
        let out = fx.flow.logout(target, request()).await.unwrap();
        assert!(out.revoked, "{logout:?}: the logout ended something");
        assert_eq!(
            still_working(&fx, &this).await,
            (false, false, false),
            "{logout:?}: no credential of the logged-out login works"
        );
        let (cookie, access, refresh) = still_working(&fx, &other).await;
        assert!(
            cookie && refresh,
            "{logout:?}: the user's other login is untouched"
        );
        if !matches!(logout, Logout::ExpiredAccess) {
            assert!(access, "{logout:?}: the other login's access token works");
        }
    }
}

#[tokio::test]
async fn a_refreshed_pair_stays_linked_to_its_session() {
    let fx = Fixture::new(AuthHookRegistry::new());
    let first = credentials(fx.flow.login(ada(PASSWORD), request()).await.unwrap());
    let pair = fx.flow.refresh(&first.refresh).await.unwrap();
    let refreshed = Credentials {
        cookie: first.cookie.clone(),
        access: pair.access.token.expose().to_owned(),
        refresh: pair.refresh.token.expose().to_owned(),
    };
    // Not `still_working`: spending the refresh token here would make its reuse below
    // revoke the family by itself.
    assert!(fx
        .flow
        .authenticate_session_cookie(&refreshed.cookie)
        .await
        .is_ok());
    assert!(fx.flow.authenticate_token(&refreshed.access).await.is_ok());
    fx.flow
        .logout(
            LogoutTarget::access_token(refreshed.access.clone()),
            request(),
        )
        .await
        .unwrap();
    assert_eq!(
        still_working(&fx, &refreshed).await,
        (false, false, false),
        "the refreshed access token ends the session it descends from"
    );
}

#[tokio::test]
async fn revoke_other_sessions_ends_the_other_logins_tokens_too() {
    let hooks = auth_hooks::ready!(auth_hooks_flow::builtin::revoke_other_sessions).unwrap();
    let fx = Fixture::new(hooks);
    let old = credentials(fx.flow.login(ada(PASSWORD), request()).await.unwrap());
    let new = credentials(fx.flow.login(ada(PASSWORD), request()).await.unwrap());
    assert_eq!(
        still_working(&fx, &old).await,
        (false, false, false),
        "the earlier login is over: session and tokens"
    );
    assert_eq!(still_working(&fx, &new).await, (true, true, true));
}

#[tokio::test]
async fn a_login_whose_session_idled_out_cannot_refresh_its_tokens_any_more() {
    let fx = Fixture::new(AuthHookRegistry::new());
    let stolen = credentials(fx.flow.login(ada(PASSWORD), request()).await.unwrap());
    // Refreshing counts as a use of the session: it keeps a busy login alive.
    fx.clock.advance(Duration::from_secs(20 * 3600));
    let pair = fx
        .flow
        .refresh(&stolen.refresh)
        .await
        .expect("within the idle timeout");
    // A day without any use: the session idles out (default idle timeout, 24 h).
    fx.clock.advance(Duration::from_secs(25 * 3600));
    assert!(fx
        .flow
        .authenticate_session_cookie(&stolen.cookie)
        .await
        .is_err());
    let err = fx
        .flow
        .refresh(pair.refresh.token.expose())
        .await
        .unwrap_err();
    assert!(matches!(err, AuthError::Revoked), "{err:?}");
}

#[tokio::test]
async fn revoke_other_sessions_also_stops_a_login_whose_session_idled_out() {
    let hooks = auth_hooks::ready!(auth_hooks_flow::builtin::revoke_other_sessions).unwrap();
    let fx = Fixture::new(hooks);
    let stolen = credentials(fx.flow.login(ada(PASSWORD), request()).await.unwrap());
    fx.clock.advance(Duration::from_secs(25 * 3600));
    // Nothing lists the idle session any more; its refresh token must still die.
    fx.flow.login(ada(PASSWORD), request()).await.unwrap();
    assert!(fx.flow.refresh(&stolen.refresh).await.is_err());
}

#[tokio::test]
async fn a_detected_refresh_token_theft_ends_the_session_too() {
    let fx = Fixture::new(AuthHookRegistry::new());
    let login = credentials(fx.flow.login(ada(PASSWORD), request()).await.unwrap());
    fx.flow.refresh(&login.refresh).await.unwrap();
    // The same refresh token again: someone else holds a copy.
    let err = fx.flow.refresh(&login.refresh).await.unwrap_err();
    assert!(matches!(err, AuthError::Revoked), "{err:?}");
    assert!(
        fx.flow
            .authenticate_session_cookie(&login.cookie)
            .await
            .is_err(),
        "the cookie of the compromised login stops working as well"
    );
}

#[tokio::test]
async fn a_token_logout_after_the_family_was_revoked_still_ends_the_session() {
    let fx = Fixture::new(AuthHookRegistry::new());
    let login = fx.flow.login(ada(PASSWORD), request()).await.unwrap();
    let session = login.session.unwrap();
    let pair = login.tokens.unwrap();
    let claims = fx
        .flow
        .tokens()
        .unwrap()
        .verify_access(pair.access.token.expose())
        .await
        .unwrap();
    // The family alone revoked (as a store failure half-way through a logout leaves it).
    fx.flow
        .tokens()
        .unwrap()
        .revoke_family(&claims)
        .await
        .unwrap();
    assert!(fx.flow.authenticate_session(&session.id).await.is_ok());
    let out = fx
        .flow
        .logout(
            LogoutTarget::access_token(pair.access.token.expose()),
            request(),
        )
        .await
        .unwrap();
    assert!(out.revoked, "the session was still there to end");
    assert!(fx.flow.authenticate_session(&session.id).await.is_err());
    let again = fx
        .flow
        .logout(
            LogoutTarget::access_token(pair.access.token.expose()),
            request(),
        )
        .await
        .unwrap();
    assert!(!again.revoked, "then nothing is left");
}
