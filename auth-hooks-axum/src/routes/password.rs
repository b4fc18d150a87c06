//! `GET /password` (the page) and `POST /password` (JSON or form): a password change by
//! the user of the request's session cookie or bearer token.

use axum::extract::State;
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use serde_json::json;

use crate::page::{password_page, PasswordPage};
use crate::routes::login::LoginHeaders;
use crate::routes::{answer_refusal, no_store, SameSiteLogin};
use crate::{
    AuthState, BodyFormat, CurrentUser, HookRequest, LoginRequired, PasswordChangeBody, WebError,
};

/// What a changed password answers.
pub(crate) const CHANGED: &str = "Your password is changed. Every other session is signed out.";

/// The password change page (browsers without a login go to the login page).
pub(crate) async fn get_password(_: LoginRequired, State(state): State<AuthState>) -> Response {
    let page = password_page(state.config(), &PasswordPage::default());
    no_store(Html(page.into_string()).into_response())
}

/// Changes the password: `{"changed": true, "other_logins_ended": n}` (or the page with
/// a notice); the current login stays, every other one is ended. 403 for a wrong
/// current password, 422 for a new one the policy refuses, 429 when the lockout or
/// the IP throttle holds, 401 without a login.
pub(crate) async fn post_password(
    _: SameSiteLogin,
    State(state): State<AuthState>,
    HookRequest(request): HookRequest,
    LoginHeaders { format, .. }: LoginHeaders,
    user: Result<CurrentUser, WebError>,
    body: Result<PasswordChangeBody, WebError>,
) -> Response {
    let (user, body) = match (user, body) {
        (Ok(user), Ok(body)) => (user, body),
        (Err(error), _) | (_, Err(error)) => return failure(&state, format, error),
    };
    let changed = state
        .flow()
        .change_password(
            &user.authenticated,
            &body.current_password,
            &body.new_password,
            request,
        )
        .await;
    drop(body);
    match changed {
        Ok(changed) => {
            let response = match format {
                BodyFormat::Json => Json(json!({
                    "changed": true,
                    "other_logins_ended": changed.other_logins_ended,
                }))
                .into_response(),
                BodyFormat::Form => {
                    let page = PasswordPage {
                        notice: Some(CHANGED),
                        ..PasswordPage::default()
                    };
                    Html(password_page(state.config(), &page).into_string()).into_response()
                }
            };
            no_store(response)
        }
        Err(error) => failure(&state, format, error.into()),
    }
}

fn failure(state: &AuthState, format: BodyFormat, error: WebError) -> Response {
    answer_refusal(format, error, |message| {
        let page = PasswordPage {
            error: Some(message),
            ..PasswordPage::default()
        };
        password_page(state.config(), &page)
    })
}
