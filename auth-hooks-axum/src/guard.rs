//! Guards for pages: send anonymous browsers to the login page, and logged-in ones away
//! from it.

use axum::extract::{FromRef, FromRequestParts};
use axum::http::{header, request::Parts, HeaderMap, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use url::form_urlencoded;

use crate::extract::authenticate;
use crate::next::next_or;
use crate::{AuthState, CurrentUser, WebError};

/// Whether the client wants a page rather than JSON (its `Accept` names `text/html`).
pub(crate) fn wants_html(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.to_ascii_lowercase().contains("text/html"))
}

/// The login page's URL with `next` set to `target`, url-encoded.
pub(crate) fn login_url(login_path: &str, target: &str) -> String {
    let next: String = form_urlencoded::byte_serialize(target.as_bytes()).collect();
    format!("{login_path}?next={next}")
}

/// The `next` query parameter of a request, decoded (not yet validated).
pub(crate) fn query_next(uri: &Uri) -> Option<String> {
    form_urlencoded::parse(uri.query()?.as_bytes())
        .find(|(key, _)| key == "next")
        .map(|(_, value)| value.into_owned())
}

/// A logged-in user, or else: a browser (`Accept: text/html`, no `Authorization`) is
/// sent to the login page with `303 See Other` and `?next=<this path and query>`
/// (url-encoded); an API client gets 401 JSON. A store failure is a 503 either way,
/// a request carrying the session cookie twice a 400.
///
/// ```ignore
/// async fn dashboard(LoginRequired(user): LoginRequired) -> String {
///     format!("hello {}", user.id())
/// }
/// ```
#[derive(Debug, Clone)]
pub struct LoginRequired(pub CurrentUser);

impl<S> FromRequestParts<S> for LoginRequired
where
    AuthState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let state = AuthState::from_ref(state);
        let outcome = authenticate(parts, &state).await;
        if let Ok(Some(user)) = outcome {
            return Ok(LoginRequired(user));
        }
        let browser =
            wants_html(&parts.headers) && !parts.headers.contains_key(header::AUTHORIZATION);
        match outcome {
            // A store failure, a bad bearer token, two session cookies: said as is (a
            // redirect to the login page would not help a browser sending two cookies).
            Err(error) => Err(error.into_response()),
            _ if browser => {
                let target = parts.uri.path_and_query().map_or("/", |pq| pq.as_str());
                Err(Redirect::to(&login_url(state.config().login_path(), target)).into_response())
            }
            _ => Err(WebError::authentication_required().into_response()),
        }
    }
}

/// Passes anonymous requests; a logged-in user is sent on with `303 See Other` to the
/// request's `next` (when it is [safe](crate::next)) or the home path. For login pages.
#[derive(Debug, Clone, Copy)]
pub struct RedirectIfAuthenticated;

impl<S> FromRequestParts<S> for RedirectIfAuthenticated
where
    AuthState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let state = AuthState::from_ref(state);
        match authenticate(parts, &state).await {
            Ok(Some(_)) => {
                let target = next_or(
                    query_next(&parts.uri).as_deref(),
                    state.config().home_path(),
                );
                Err(Redirect::to(&target).into_response())
            }
            Err(error) if error.status().is_server_error() => Err(error.into_response()),
            _ => Ok(RedirectIfAuthenticated),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn login_url_encodes_the_whole_target() {
        assert_eq!(
            login_url("/login", "/me?tab=a&b=c"),
            "/login?next=%2Fme%3Ftab%3Da%26b%3Dc"
        );
    }

    #[test]
    fn next_is_read_back_decoded() {
        let uri: Uri = "/login?x=1&next=%2Fme%3Ftab%3Da".parse().unwrap();
        assert_eq!(query_next(&uri).as_deref(), Some("/me?tab=a"));
    }

    #[test]
    fn html_is_wanted_only_when_accepted() {
        let mut headers = HeaderMap::new();
        assert!(!wants_html(&headers));
        headers.insert(header::ACCEPT, "application/json".parse().unwrap());
        assert!(!wants_html(&headers));
        headers.insert(
            header::ACCEPT,
            "text/html,application/xhtml+xml;q=0.9".parse().unwrap(),
        );
        assert!(wants_html(&headers));
    }
}
