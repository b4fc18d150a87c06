//! `POST /refresh`: a refresh token for a new token pair.

use std::time::SystemTime;

use axum::body::Bytes;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use crate::routes::no_store;
use crate::{AuthState, HookRequest, WebError};

/// Exchanges `{"refresh_token": "…"}` for `{"access_token", "refresh_token",
/// "token_type", "expires_in"}`. The refresh token is checked against the blocklist
/// like any token and works once; the hooks run as on every refresh
/// (`before_authenticate`, `on_refresh`), told the client's address. No cookie is
/// involved, so no CSRF check is needed.
pub(crate) async fn post_refresh(
    State(state): State<AuthState>,
    HookRequest(request): HookRequest,
    body: Bytes,
) -> Response {
    let token = match serde_json::from_slice::<Value>(&body) {
        Ok(value) => match value.get("refresh_token").and_then(Value::as_str) {
            Some(token) => token.to_owned(),
            None => {
                return WebError::unprocessable(
                    "Field `refresh_token` is required and must be a string.",
                )
                .into_response()
            }
        },
        Err(_) => return WebError::bad_request("Malformed JSON body.").into_response(),
    };
    match state.flow().refresh_from(&token, request).await {
        Ok(pair) => {
            let expires_in = pair
                .access
                .meta
                .expires_at
                .duration_since(SystemTime::now())
                .unwrap_or_default()
                .as_secs();
            no_store(
                Json(json!({
                    "token_type": "Bearer",
                    "access_token": pair.access.token.expose(),
                    "refresh_token": pair.refresh.token.expose(),
                    "expires_in": expires_in,
                }))
                .into_response(),
            )
        }
        Err(error) => WebError::from(error).into_response(),
    }
}
