//! `GET /login` (the page) and `POST /login` (JSON or form).

use std::time::SystemTime;

use auth_hooks_flow::{Credentials, LoginError, LoginOptions, LoginSuccess, SessionId};
use std::convert::Infallible;

use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{header, Uri};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Json;
use serde_json::{json, Value};

use crate::guard::query_next;
use crate::next::{next_or, validate_next};
use crate::page::{login_page, LoginPage};
use crate::routes::second_factor::challenge;
use crate::routes::{answer_refusal, no_store, SameSiteLogin};
use crate::{
    AuthState, BodyFormat, HookRequest, LoginBody, RedirectIfAuthenticated, SessionCookie, WebError,
};

/// The login page; a `next` in the query is kept (when safe) for after the login.
pub(crate) async fn get_login(
    _: RedirectIfAuthenticated,
    State(state): State<AuthState>,
    uri: Uri,
) -> Response {
    let next = query_next(&uri).and_then(|n| validate_next(&n).ok());
    let page = LoginPage {
        next: next.as_deref(),
        ..LoginPage::default()
    };
    no_store(Html(login_page(state.config(), &page).into_string()).into_response())
}

/// Logs in. A form gets a `303` to `next` (or home) with the cookie, or the page again
/// with the error; JSON gets `{"user_id", "redirect", …tokens}` or `{"error"}`.
pub(crate) async fn post_login(
    _: SameSiteLogin,
    State(state): State<AuthState>,
    HookRequest(request): HookRequest,
    LoginHeaders {
        format,
        previous_session,
    }: LoginHeaders,
    body: Result<LoginBody, WebError>,
) -> Response {
    let body = match body {
        Ok(body) => body,
        Err(error) => return failure(&state, format, error, None, None),
    };
    let format = body.format;
    let login_name = ["username", "email", "login"]
        .into_iter()
        .find_map(|key| body.fields.get(key)?.as_str())
        .map(str::to_owned);
    let next = body.next.as_deref().and_then(|n| validate_next(n).ok());

    let options = replacing(previous_session);
    let credentials = Credentials::from_json(Value::Object(body.fields))
        .expect("the body parser only yields objects");

    let outcome = state.flow().login_with(credentials, request, options).await;
    match signed_in_or_challenged(&state, format, outcome, body.remember, next.as_deref()) {
        Ok(response) => response,
        Err(error) => failure(
            &state,
            format,
            error.into(),
            login_name.as_deref(),
            next.as_deref(),
        ),
    }
}

/// The options of a login that ends the session the client came with as the new one
/// starts: no fixation.
pub(crate) fn replacing(previous_session: Option<SessionId>) -> LoginOptions {
    match previous_session {
        Some(previous) => LoginOptions::default().replacing_session(previous),
        None => LoginOptions::default(),
    }
}

/// What the login reads from the headers, without copying them: the format to answer
/// in (JSON when the content type is unsupported) and the session the client came with.
pub(crate) struct LoginHeaders {
    pub(crate) format: BodyFormat,
    pub(crate) previous_session: Option<SessionId>,
}

impl FromRequestParts<AuthState> for LoginHeaders {
    type Rejection = Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AuthState,
    ) -> Result<Self, Self::Rejection> {
        Ok(LoginHeaders {
            format: LoginBody::format_of(&parts.headers).unwrap_or(BodyFormat::Json),
            previous_session: state
                .config()
                .cookie
                .read(&parts.headers)
                // Two session cookies: neither is known to be this client's, so the
                // login ends neither (and a later request with both is refused).
                .ok()
                .flatten()
                .and_then(|c| SessionId::parse(&c).ok()),
        })
    }
}

/// The answer to a login that signed in ([`succeed`]) or now waits for its second
/// factor ([`challenge`]); any other error is the caller's to answer.
pub(crate) fn signed_in_or_challenged(
    state: &AuthState,
    format: BodyFormat,
    outcome: Result<LoginSuccess, LoginError>,
    remember: bool,
    next: Option<&str>,
) -> Result<Response, LoginError> {
    match outcome {
        Ok(success) => Ok(succeed(state, format, success, remember, next)),
        Err(LoginError::SecondFactorRequired {
            factor,
            continuation,
        }) => Ok(challenge(
            state,
            format,
            &factor,
            &continuation,
            remember,
            next,
        )),
        Err(error) => Err(error),
    }
}

pub(crate) fn succeed(
    state: &AuthState,
    format: BodyFormat,
    success: LoginSuccess,
    remember: bool,
    next: Option<&str>,
) -> Response {
    let config = state.config();
    let redirect = next_or(next, config.home_path());
    let mut response = match format {
        BodyFormat::Form => Redirect::to(&redirect).into_response(),
        BodyFormat::Json => {
            let mut body = json!({ "user_id": success.user.id, "redirect": redirect });
            if let Some(tokens) = &success.tokens {
                let expires_in = tokens
                    .access
                    .meta
                    .expires_at
                    .duration_since(SystemTime::now())
                    .unwrap_or_default()
                    .as_secs();
                body["token_type"] = json!("Bearer");
                body["access_token"] = json!(tokens.access.token.expose());
                body["refresh_token"] = json!(tokens.refresh.token.expose());
                body["expires_in"] = json!(expires_in);
            }
            Json(body).into_response()
        }
    };
    if let Some(session) = &success.session {
        let cookie = config.cookie.build(session.id.expose(), remember);
        response
            .headers_mut()
            .append(header::SET_COOKIE, SessionCookie::header_value(&cookie));
    }
    no_store(response)
}

fn failure(
    state: &AuthState,
    format: BodyFormat,
    error: WebError,
    username: Option<&str>,
    next: Option<&str>,
) -> Response {
    answer_refusal(format, error, |message| {
        let page = LoginPage {
            error: Some(message),
            username,
            next,
        };
        login_page(state.config(), &page)
    })
}
