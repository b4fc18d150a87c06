//! The second step of a challenged login (`POST /login/second-factor`), and the
//! second-factor settings of a signed-in user (`GET /second-factor`, `POST
//! /second-factor/totp`, `…/totp/confirm`, `…/totp/remove`).

use auth_hooks_flow::second_factor::Continuation;
use auth_hooks_flow::LoginError;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use serde_json::json;

use crate::next::validate_next;
use crate::page::{second_factor_page, totp_page, SecondFactorPage, TotpPage};
use crate::routes::login::{replacing, signed_in_or_challenged, LoginHeaders};
use crate::routes::{answer_refusal, no_store, SameSiteLogin};
use crate::{
    AuthState, BodyFormat, CurrentUser, HookRequest, LoginRequired, SecondFactorBody,
    TotpRemovalBody, TotpRemovalProof, WebError,
};

/// What a challenged login answers: JSON `401 {"second_factor", "continuation"}`, or
/// for a form the code page carrying the continuation.
pub(crate) fn challenge(
    state: &AuthState,
    format: BodyFormat,
    factor: &str,
    continuation: &Continuation,
    remember: bool,
    next: Option<&str>,
) -> Response {
    let response = match format {
        BodyFormat::Json => (
            StatusCode::UNAUTHORIZED,
            Json(json!({
                "second_factor": factor,
                "continuation": continuation.expose(),
            })),
        )
            .into_response(),
        BodyFormat::Form => {
            let page = SecondFactorPage {
                continuation: continuation.expose(),
                next,
                remember,
                ..SecondFactorPage::default()
            };
            Html(second_factor_page(state.config(), &page).into_string()).into_response()
        }
    };
    no_store(response)
}

/// Resumes a challenged login with its continuation and a code: answers like a
/// successful login (cookie and tokens), or 401 (the form again, for another try while
/// the continuation lasts), or 429 when the lockout holds.
pub(crate) async fn post_login_second_factor(
    _: SameSiteLogin,
    State(state): State<AuthState>,
    HookRequest(request): HookRequest,
    LoginHeaders {
        format,
        previous_session,
    }: LoginHeaders,
    body: Result<SecondFactorBody, WebError>,
) -> Response {
    let body = match body {
        Ok(body) => body,
        Err(error) => return answer_refusal(format, error, |m| code_page(&state, m, "", None)),
    };
    let format = body.format;
    let next = body.next.as_deref().and_then(|n| validate_next(n).ok());
    let Some(continuation) = body.continuation.as_deref() else {
        let error = WebError::unprocessable("Field `continuation` is required.");
        return answer_refusal(format, error, |m| code_page(&state, m, "", next.as_deref()));
    };
    let options = replacing(previous_session);
    let outcome = state
        .flow()
        .resume_login(continuation, &body.code, request, options)
        .await;
    match signed_in_or_challenged(&state, format, outcome, body.remember, next.as_deref()) {
        Ok(response) => response,
        Err(error) => {
            // A wrong code leaves the continuation for another try: the page keeps it.
            let retry = matches!(error, LoginError::InvalidSecondFactor);
            answer_refusal(format, error.into(), |message| {
                code_page(
                    &state,
                    message,
                    if retry { continuation } else { "" },
                    next.as_deref(),
                )
            })
        }
    }
}

fn code_page(
    state: &AuthState,
    message: &str,
    continuation: &str,
    next: Option<&str>,
) -> maud::Markup {
    let page = SecondFactorPage {
        error: Some(message),
        continuation,
        next,
        remember: false,
    };
    second_factor_page(state.config(), &page)
}

/// The settings page: whether an app is set up, and the step to take.
pub(crate) async fn get_second_factor(
    LoginRequired(user): LoginRequired,
    State(state): State<AuthState>,
) -> Response {
    let enrolled = match state.flow().second_factor() {
        Some(second_factor) => second_factor.has_totp(user.id()).await.unwrap_or(false),
        None => false,
    };
    let page = TotpPage {
        enrolled,
        ..TotpPage::default()
    };
    no_store(Html(totp_page(state.config(), &page).into_string()).into_response())
}

/// Starts a TOTP enrollment: JSON `{"otpauth_uri", "secret", "qr_svg"}`, or the page
/// with the QR code and the confirm form.
pub(crate) async fn post_totp_start(
    _: SameSiteLogin,
    State(state): State<AuthState>,
    LoginHeaders { format, .. }: LoginHeaders,
    user: Result<CurrentUser, WebError>,
) -> Response {
    let user = match user {
        Ok(user) => user,
        Err(error) => return refuse(&state, format, error),
    };
    let account = login_of(&user);
    match state
        .flow()
        .start_totp_enrollment(user.id(), &account)
        .await
    {
        Ok(setup) => no_store(match format {
            BodyFormat::Json => Json(json!({
                "otpauth_uri": setup.uri.as_str(),
                "secret": setup.secret.as_str(),
                "qr_svg": setup.qr_svg,
            }))
            .into_response(),
            BodyFormat::Form => {
                let page = TotpPage {
                    setup: Some((&setup.uri, &setup.secret, setup.qr_svg.as_deref())),
                    ..TotpPage::default()
                };
                Html(totp_page(state.config(), &page).into_string()).into_response()
            }
        }),
        Err(error) => refuse(&state, format, error.into()),
    }
}

/// Confirms the enrollment with a first code: JSON `{"recovery_codes": […]}` (shown
/// once), or the page listing them.
pub(crate) async fn post_totp_confirm(
    _: SameSiteLogin,
    State(state): State<AuthState>,
    LoginHeaders { format, .. }: LoginHeaders,
    user: Result<CurrentUser, WebError>,
    body: Result<SecondFactorBody, WebError>,
) -> Response {
    let (user, body) = match (user, body) {
        (Ok(user), Ok(body)) => (user, body),
        (Err(error), _) | (_, Err(error)) => return refuse(&state, format, error),
    };
    match state
        .flow()
        .confirm_totp_enrollment(user.id(), &body.code)
        .await
    {
        Ok(codes) => {
            let codes: Vec<&str> = codes.expose().collect();
            no_store(match format {
                BodyFormat::Json => Json(json!({ "recovery_codes": codes })).into_response(),
                BodyFormat::Form => {
                    let page = TotpPage {
                        enrolled: true,
                        notice: Some("Your authenticator app is set up."),
                        recovery_codes: &codes,
                        ..TotpPage::default()
                    };
                    Html(totp_page(state.config(), &page).into_string()).into_response()
                }
            })
        }
        Err(error) => refuse(&state, format, error.into()),
    }
}

/// Removes the app and the recovery codes, proven by a fresh code, a recovery code or
/// the password (through the gate).
pub(crate) async fn post_totp_remove(
    _: SameSiteLogin,
    State(state): State<AuthState>,
    HookRequest(request): HookRequest,
    LoginHeaders { format, .. }: LoginHeaders,
    user: Result<CurrentUser, WebError>,
    body: Result<TotpRemovalBody, WebError>,
) -> Response {
    let (user, body) = match (user, body) {
        (Ok(user), Ok(body)) => (user, body),
        (Err(error), _) | (_, Err(error)) => return refuse(&state, format, error),
    };
    let login = login_of(&user);
    let flow = state.flow();
    let removed = match &body.proof {
        TotpRemovalProof::Code(code) => flow.remove_totp(user.id(), &login, code, request).await,
        TotpRemovalProof::Password(password) => {
            flow.remove_totp_with_password(user.id(), &login, password, request)
                .await
        }
    };
    drop(body);
    match removed {
        Ok(()) => no_store(match format {
            BodyFormat::Json => Json(json!({ "removed": true })).into_response(),
            BodyFormat::Form => {
                let page = TotpPage {
                    notice: Some("Your authenticator app is removed."),
                    ..TotpPage::default()
                };
                Html(totp_page(state.config(), &page).into_string()).into_response()
            }
        }),
        Err(error) => refuse(&state, format, error.into()),
    }
}

/// The user's login name (what the app shows, and what the gate counts under).
fn login_of(user: &CurrentUser) -> String {
    user.user::<auth_hooks_flow::PasswordAccount>()
        .map_or_else(|| user.id().to_owned(), |account| account.login.clone())
}

fn refuse(state: &AuthState, format: BodyFormat, error: WebError) -> Response {
    answer_refusal(format, error, |message| {
        let page = TotpPage {
            error: Some(message),
            ..TotpPage::default()
        };
        totp_page(state.config(), &page)
    })
}
