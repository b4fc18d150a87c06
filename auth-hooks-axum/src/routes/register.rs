//! `GET /register` (the page) and `POST /register` (JSON or form), when registration is
//! open.

use auth_hooks_flow::{Credentials, RegisterOptions, Registered};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use crate::config::Registration;
use crate::page::{register_page, registered_page, RegisterPage};
use crate::routes::login::{replacing, succeed, LoginHeaders};
use crate::routes::{answer_refusal, no_store, SameSiteLogin};
use crate::{AuthState, BodyFormat, HookRequest, LoginBody, RedirectIfAuthenticated, WebError};

/// What an accepted registration answers, whether the name was new or taken.
pub(crate) const ACCEPTED: &str =
    "Thank you. If that username was free, your account is ready: sign in with it.";

/// The registration page.
pub(crate) async fn get_register(
    _: RedirectIfAuthenticated,
    State(state): State<AuthState>,
) -> Response {
    let page = register_page(state.config(), &RegisterPage::default());
    no_store(Html(page.into_string()).into_response())
}

/// Registers. Under [`Registration::Open`] a new name and a taken one both answer 202
/// (`{"status": "accepted", "message", "login"}`, or a page), after the same work;
/// under [`Registration::SignsIn`] a new user is answered as after a login (cookie,
/// tokens, redirect) and a taken name 409. Errors as the login's: 422 (a missing field,
/// the password policy), 401/429 (a `before_register` hook), 503.
pub(crate) async fn post_register(
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
    let text = |key: &str| {
        body.fields
            .get(key)
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let (username, email) = (text("username"), text("email"));
    let mut options = RegisterOptions::default();
    if state.config().registration == Registration::SignsIn {
        options = options.signing_in();
        options.login = replacing(previous_session);
    }
    let fields = Credentials::from_json(Value::Object(body.fields))
        .expect("the body parser only yields objects");

    match state.flow().register_with(fields, request, options).await {
        Ok(Registered::Accepted) => accepted(&state, format),
        Ok(Registered::SignedIn(success)) => succeed(&state, format, *success, body.remember, None),
        Ok(other) => {
            tracing::error!(
                ?other,
                "registration answered in a way this route does not know"
            );
            failure(&state, format, WebError::unavailable(), None, None)
        }
        Err(error) => failure(
            &state,
            format,
            error.into(),
            username.as_deref(),
            email.as_deref(),
        ),
    }
}

fn accepted(state: &AuthState, format: BodyFormat) -> Response {
    let config = state.config();
    let response = match format {
        BodyFormat::Json => Json(json!({
            "status": "accepted",
            "message": ACCEPTED,
            "login": config.login_path(),
        }))
        .into_response(),
        BodyFormat::Form => Html(registered_page(config, ACCEPTED).into_string()).into_response(),
    };
    no_store((StatusCode::ACCEPTED, response).into_response())
}

fn failure(
    state: &AuthState,
    format: BodyFormat,
    error: WebError,
    username: Option<&str>,
    email: Option<&str>,
) -> Response {
    answer_refusal(format, error, |message| {
        let page = RegisterPage {
            error: Some(message),
            username,
            email,
        };
        register_page(state.config(), &page)
    })
}
