//! Extractors: the request's user (from a session cookie or a bearer token) and the
//! request metadata hooks see.

use std::convert::Infallible;

use auth_hooks::RequestMeta;
use auth_hooks_flow::{AuthError, Authenticated, SessionData};
use axum::extract::{FromRef, FromRequestParts, OptionalFromRequestParts};
use axum::http::{header, request::Parts, HeaderMap};

use crate::{request_meta, AuthState, DuplicateSessionCookie, WebConfig, WebError};

/// How a request proved who it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthVia {
    /// The session cookie.
    Session,
    /// A bearer access token (`Authorization: Bearer …`).
    Token,
}

impl AuthVia {
    /// `"session"` or `"token"`.
    pub fn as_str(self) -> &'static str {
        match self {
            AuthVia::Session => "session",
            AuthVia::Token => "token",
        }
    }
}

/// The authenticated user of a request.
///
/// With an `Authorization` header, only that is considered: it must be
/// `Bearer <access token>`, checked for signature, expiry and the JTI blocklist; the
/// session cookie is then ignored (which is what lets the CSRF check exempt such
/// requests). Without one, the session cookie is checked (TTL, idle timeout,
/// revocation).
///
/// As an extractor it answers 401 (`{"error": …}`, `WWW-Authenticate: Bearer`) when
/// the request is not authenticated, 400 when it carries the session cookie twice
/// (see [`SessionCookie`](crate::SessionCookie)) and 503 when a store cannot answer. Use
/// `Option<CurrentUser>` to accept anonymous requests, or
/// [`LoginRequired`](crate::LoginRequired) to send browsers to the login page.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    /// The flow's answer: the user, and the session record or the token's claims.
    pub authenticated: Authenticated,
    /// Cookie or token.
    pub via: AuthVia,
}

impl CurrentUser {
    /// The user's id.
    pub fn id(&self) -> &str {
        &self.authenticated.user.id
    }

    /// The application's user value, if the backend attached a `U`
    /// (the password backend attaches [`PasswordAccount`](auth_hooks_flow::PasswordAccount)).
    pub fn user<U: std::any::Any>(&self) -> Option<&U> {
        self.authenticated.user.user()
    }

    /// The custom claim `name` of the bearer token, typed (claims hooks added with
    /// [`TokenClaims`](auth_hooks_flow::TokenClaims)): `Ok(None)` when there is none or
    /// the request came with a session cookie, an error when it is not a `T`.
    pub fn claim<T: serde::de::DeserializeOwned>(
        &self,
        name: &str,
    ) -> Result<Option<T>, serde_json::Error> {
        match &self.authenticated.claims {
            Some(claims) => claims.custom(name),
            None => Ok(None),
        }
    }

    /// What `on_login` hooks stored with the session, for a request authenticated by
    /// its session cookie (`None` for a bearer token, which carries claims instead).
    pub fn session_data(&self) -> Option<&SessionData> {
        self.authenticated.session.as_ref().map(|s| &s.data)
    }

    /// The session value under `key`, typed (as tower-sessions' `Session::get`):
    /// `Ok(None)` when there is none or no session, an error when it is not a `T`.
    pub fn session_value<T: serde::de::DeserializeOwned>(
        &self,
        key: &str,
    ) -> Result<Option<T>, serde_json::Error> {
        match self.session_data() {
            Some(data) => data.get(key),
            None => Ok(None),
        }
    }
}

/// What a request presents, read but not yet checked.
pub(crate) enum Presented {
    Bearer(String),
    Cookie(String),
    Nothing,
}

impl Presented {
    /// Reads the `Authorization` header, else the session cookie. An `Authorization`
    /// header that is not `Bearer <token>` is refused outright (401), and so is a
    /// request carrying the session cookie twice (400: neither is believed).
    pub(crate) fn read(headers: &HeaderMap, config: &WebConfig) -> Result<Self, WebError> {
        match headers.get(header::AUTHORIZATION) {
            Some(value) => {
                let token = value
                    .to_str()
                    .ok()
                    .and_then(|v| v.trim().split_once(' '))
                    .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
                    .map(|(_, token)| token.trim())
                    .filter(|token| !token.is_empty())
                    .ok_or_else(|| {
                        WebError::unauthorized("The Authorization header must be `Bearer <token>`.")
                            .with_bearer_challenge()
                    })?;
                Ok(Presented::Bearer(token.to_owned()))
            }
            None => match config.cookie.read(headers) {
                Ok(cookie) => Ok(cookie.map_or(Presented::Nothing, Presented::Cookie)),
                Err(duplicate) => {
                    tracing::warn!(reason = %auth_hooks::LogSafe(&duplicate), "request refused");
                    Err(WebError::bad_request(
                        DuplicateSessionCookie::CLIENT_MESSAGE,
                    ))
                }
            },
        }
    }
}

/// Checks what the request presents. `Ok(None)`: nothing, or a session cookie that is
/// no longer good (a browser with a stale cookie is simply logged out). A bad bearer
/// token is an error (401): its sender asked to be authenticated. A store failure is a
/// 503, never an anonymous pass.
pub(crate) async fn authenticate(
    parts: &Parts,
    state: &AuthState,
) -> Result<Option<CurrentUser>, WebError> {
    match Presented::read(&parts.headers, state.config())? {
        Presented::Nothing => Ok(None),
        Presented::Bearer(token) => {
            let authenticated = state.flow().authenticate_token(&token).await?;
            Ok(Some(CurrentUser {
                authenticated,
                via: AuthVia::Token,
            }))
        }
        Presented::Cookie(cookie) => {
            match state.flow().authenticate_session_cookie(&cookie).await {
                Ok(authenticated) => Ok(Some(CurrentUser {
                    authenticated,
                    via: AuthVia::Session,
                })),
                Err(error @ (AuthError::StoreUnavailable(_) | AuthError::NotConfigured(_))) => {
                    Err(error.into())
                }
                Err(_) => Ok(None),
            }
        }
    }
}

impl<S> FromRequestParts<S> for CurrentUser
where
    AuthState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        authenticate(parts, &AuthState::from_ref(state))
            .await?
            .ok_or_else(WebError::authentication_required)
    }
}

impl<S> OptionalFromRequestParts<S> for CurrentUser
where
    AuthState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = WebError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        authenticate(parts, &AuthState::from_ref(state)).await
    }
}

/// The authenticated user's record, typed: the value the backend attached (the password
/// backend attaches [`PasswordAccount`](auth_hooks_flow::PasswordAccount)), without a
/// downcast in the handler.
///
/// ```
/// use auth_hooks_axum::UserRecord;
/// use auth_hooks_flow::PasswordAccount;
///
/// async fn profile(UserRecord(account): UserRecord<PasswordAccount>) -> String {
///     format!("hello, {}", account.login)
/// }
/// ```
///
/// Answers as [`CurrentUser`] does when the request is not authenticated (401, or 503
/// when a store cannot answer), and 500 when the backend attached no `U`: a
/// configuration mistake, not the client's.
#[derive(Debug, Clone)]
pub struct UserRecord<U>(pub U);

impl<S, U> FromRequestParts<S> for UserRecord<U>
where
    AuthState: FromRef<S>,
    S: Send + Sync,
    U: Clone + Send + Sync + 'static,
{
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let user = <CurrentUser as FromRequestParts<S>>::from_request_parts(parts, state).await?;
        match user.user::<U>() {
            Some(record) => Ok(UserRecord(record.clone())),
            None => {
                tracing::error!(
                    user_id = %user.id(),
                    wanted = std::any::type_name::<U>(),
                    "the authentication backend attached no user record of the type the handler asks for"
                );
                Err(WebError::new(
                    axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong.",
                ))
            }
        }
    }
}

/// The request metadata hooks will see: method, path, client address (trusted proxies
/// honoured) and user agent; see [`request_meta`].
#[derive(Debug, Clone)]
pub struct HookRequest(pub RequestMeta);

impl<S> FromRequestParts<S> for HookRequest
where
    AuthState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let state = AuthState::from_ref(state);
        Ok(HookRequest(request_meta(parts, state.config().proxies())))
    }
}
