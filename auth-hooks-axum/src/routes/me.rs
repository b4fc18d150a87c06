//! `GET /me`: who the request is authenticated as.

use auth_hooks_flow::PasswordAccount;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use serde_json::json;

use crate::guard::wants_html;
use crate::page::me_page;
use crate::routes::no_store;
use crate::{AuthState, LoginRequired};

/// The user as JSON (`{"user_id", "login", "via"}`, plus `"session"`, what `on_login`
/// stored with a cookie's session, when [`WebConfig::me_shows_session_data`] is on,
/// and `"claims"`, a bearer token's custom claims, when it has any), or a page for
/// browsers.
///
/// [`WebConfig::me_shows_session_data`]: crate::WebConfig::me_shows_session_data
pub(crate) async fn get_me(
    LoginRequired(user): LoginRequired,
    State(state): State<AuthState>,
    headers: HeaderMap,
) -> Response {
    let login = user
        .user::<PasswordAccount>()
        .map(|account| account.login.as_str());
    let session_data = user
        .session_data()
        .filter(|_| state.config().me_shows_session_data);
    let response = if wants_html(&headers) {
        let page = me_page(
            state.config(),
            user.id(),
            login,
            user.via.as_str(),
            session_data,
        );
        Html(page.into_string()).into_response()
    } else {
        let mut body = json!({ "user_id": user.id(), "login": login, "via": user.via.as_str() });
        if state.config().me_shows_session_data {
            body["session"] = json!(user.session_data());
        }
        // A bearer token's custom claims: its holder can read them from the token anyway.
        if let Some(claims) = &user.authenticated.claims {
            if !claims.custom.is_empty() {
                body["claims"] = json!(claims.custom);
            }
        }
        Json(body).into_response()
    };
    no_store(response)
}
