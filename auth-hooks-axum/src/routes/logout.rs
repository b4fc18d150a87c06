//! `POST /logout`: ends the cookie's session or the bearer token's login.

use auth_hooks_flow::{LogoutError, LogoutTarget, SessionId};
use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Json;
use serde_json::json;

use crate::extract::Presented;
use crate::guard::wants_html;
use crate::routes::{no_store, SameSite};
use crate::{AuthState, BodyFormat, HookRequest, LoginBody, SessionCookie, WebError};

/// Logs out. With `Authorization: Bearer`, the token's whole login (its family) is
/// revoked; otherwise the cookie's session is ended and the cookie cleared. Logging
/// out what is already gone is harmless (`"revoked": false`). A browser form gets a
/// `303` to the login page; JSON gets `{"logged_out": true, "revoked": …}`. When the
/// store cannot revoke, 503 and the cookie is kept, so the client can retry.
pub(crate) async fn post_logout(
    _: SameSite,
    State(state): State<AuthState>,
    HookRequest(request): HookRequest,
    headers: HeaderMap,
) -> Response {
    let presented = match Presented::read(&headers, state.config()) {
        Ok(presented) => presented,
        Err(error) => return error.into_response(),
    };
    let by_cookie = !matches!(presented, Presented::Bearer(_));
    let target = match presented {
        Presented::Bearer(token) => Some(LogoutTarget::access_token(token)),
        Presented::Cookie(cookie) => SessionId::parse(&cookie).ok().map(LogoutTarget::session),
        Presented::Nothing => None,
    };
    let revoked = match target {
        None => false,
        Some(target) => match state.flow().logout(target, request).await {
            Ok(outcome) => outcome.revoked,
            // Revoked, then an on_logout hook failed: the user *is* logged out.
            Err(LogoutError::HookFailed(failure)) => {
                tracing::warn!(hook = %failure.hook, cause = %auth_hooks::LogSafe(&failure.source), "on_logout hook failed after revocation");
                true
            }
            Err(error) => return WebError::from(error).into_response(),
        },
    };

    let form = LoginBody::format_of(&headers) == Ok(BodyFormat::Form) || wants_html(&headers);
    let mut response = if form {
        Redirect::to(state.config().login_path()).into_response()
    } else {
        Json(json!({ "logged_out": true, "revoked": revoked })).into_response()
    };
    if by_cookie {
        let removal = state.config().cookie.removal();
        response
            .headers_mut()
            .append(header::SET_COOKIE, SessionCookie::header_value(&removal));
    }
    no_store(response)
}
