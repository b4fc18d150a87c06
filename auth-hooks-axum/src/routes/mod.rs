//! The routes: `GET`/`POST` login, `POST` logout, `GET` me, `POST` refresh,
//! `GET`/`POST` register (when open) and password.

mod login;
mod logout;
mod me;
mod password;
mod refresh;
mod register;
mod second_factor;

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, Method, Uri};
use axum::middleware::{map_response_with_state, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;

use crate::config::Registration;
use crate::{security_headers, AuthState, BodyFormat, CsrfRejection, WebError};
use axum::response::Html;
use maud::Markup;

/// The authentication routes, at the paths of the state's [`WebConfig`](crate::WebConfig):
///
/// | route | does |
/// |---|---|
/// | `GET /login` | the login page (a logged-in user is sent to `next` or home) |
/// | `POST /login` | logs in from a JSON or form body; CSRF-checked |
/// | `POST /logout` | ends the session (cookie) or the token's login (bearer); CSRF-checked |
/// | `GET /me` | the user, as JSON or (for browsers) a page; anonymous browsers go to the login page |
/// | `POST /refresh` | exchanges `{"refresh_token": …}` for a new token pair |
/// | `GET /password` | the password change page (browsers without a login go to the login page) |
/// | `POST /password` | changes the password of the session's or token's user from `current_password` and `new_password`; every other login is ended; CSRF-checked |
/// | `POST /login/second-factor` | with a flow that has a second factor: resumes a challenged login from `continuation` and `code` (JSON or form); CSRF-checked |
/// | `GET /second-factor`, `POST /second-factor/totp`, `…/totp/confirm`, `…/totp/remove` | the signed-in user's authenticator app: the page, start (URI, secret, QR as SVG), confirm with a first code (the ten recovery codes, once), remove with a code; CSRF-checked |
/// | `GET /register`, `POST /register` | only when [`WebConfig::registration`](crate::WebConfig::registration) opens it: the page, and a registration from `username`, `password` and an optional `email`; CSRF-checked |
///
/// Every response carries the [security headers](crate::security_headers()).
///
/// Serve with `into_make_service_with_connect_info::<SocketAddr>()` so hooks see the
/// client's address (the built-in IP throttle refuses logins without one).
pub fn routes<S>(state: AuthState) -> Router<S> {
    let config = state.config().clone();
    // POST /login and /logout check CSRF with the `SameSite` extractor, first of their
    // arguments: the same check as `csrf_guard`, without a middleware layer per request.
    let mut router = Router::new()
        .route(
            config.login_path(),
            get(login::get_login).post(login::post_login),
        )
        .route(config.logout_path(), post(logout::post_logout))
        .route(config.me_path(), get(me::get_me))
        .route(config.refresh_path(), post(refresh::post_refresh))
        .route(
            config.password_path(),
            get(password::get_password).post(password::post_password),
        );
    if state.flow().second_factor().is_some() {
        let base = config.second_factor_path();
        router = router
            .route(
                config.login_second_factor_path(),
                post(second_factor::post_login_second_factor),
            )
            .route(base, get(second_factor::get_second_factor))
            .route(
                &format!("{base}/totp"),
                post(second_factor::post_totp_start),
            )
            .route(
                &format!("{base}/totp/confirm"),
                post(second_factor::post_totp_confirm),
            )
            .route(
                &format!("{base}/totp/remove"),
                post(second_factor::post_totp_remove),
            );
    }
    if config.registration != Registration::Closed {
        router = router.route(
            config.register_path(),
            get(register::get_register).post(register::post_register),
        );
    }
    router
        .layer(map_response_with_state(state.clone(), security_headers))
        .with_state(state)
}

/// Middleware refusing cross-site state-changing requests with 403 (see
/// [`csrf`](crate::csrf)). The login and logout routes have it; add it to your own
/// cookie-authenticated routes with
/// `axum::middleware::from_fn_with_state(auth_state, csrf_guard)`.
pub async fn csrf_guard(State(state): State<AuthState>, request: Request, next: Next) -> Response {
    if let Err(refused) = check_csrf(&state, request.method(), request.uri(), request.headers()) {
        return refused.into_response();
    }
    next.run(request).await
}

/// The CSRF check of [`csrf_guard`]: `Err` holds the 403 to answer.
fn check_csrf(
    state: &AuthState,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
) -> Result<(), WebError> {
    refused(uri, state.config().csrf.check(method, uri, headers))
}

/// A CSRF refusal as the 403 to answer, logged.
fn refused(uri: &Uri, checked: Result<(), CsrfRejection>) -> Result<(), WebError> {
    checked.map_err(|reason| {
        tracing::warn!(%reason, path = uri.path(), "cross-site request refused");
        WebError::forbidden(CsrfRejection::CLIENT_MESSAGE)
    })
}

/// The extractor of `POST /login`: [`SameSite`] without the bearer exemption (the
/// route creates credentials and never reads the `Authorization` header).
pub(crate) struct SameSiteLogin;

impl FromRequestParts<AuthState> for SameSiteLogin {
    type Rejection = WebError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AuthState,
    ) -> Result<Self, Self::Rejection> {
        let checked =
            state
                .config()
                .csrf
                .check_credential_route(&parts.method, &parts.uri, &parts.headers);
        refused(&parts.uri, checked).map(|()| SameSiteLogin)
    }
}

/// An extractor that refuses a cross-site request with 403, as [`csrf_guard`] does:
/// the routes' own handlers take it first.
pub(crate) struct SameSite;

impl FromRequestParts<AuthState> for SameSite {
    type Rejection = WebError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AuthState,
    ) -> Result<Self, Self::Rejection> {
        check_csrf(state, &parts.method, &parts.uri, &parts.headers).map(|()| SameSite)
    }
}

/// A refused request: `{"error"}` for JSON; for a form, the `page` rendered with the
/// error's message. Either under the error's status and headers, never cached.
pub(crate) fn answer_refusal(
    format: BodyFormat,
    error: WebError,
    page: impl FnOnce(&str) -> Markup,
) -> Response {
    let response = match format {
        BodyFormat::Json => error.into_response(),
        BodyFormat::Form => {
            let html = Html(page(error.message()).into_string());
            let mut response = (error.status(), html).into_response();
            response.headers_mut().extend(error.extra_headers());
            response
        }
    };
    debug_assert!(!response.status().is_success());
    no_store(response)
}

/// Marks a response as not for any cache: it carries a user's data or a credential.
pub(crate) fn no_store(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
