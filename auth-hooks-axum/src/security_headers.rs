//! The security headers every response of the routes carries, set in one place.

use axum::extract::State;
use axum::http::{header, HeaderName, HeaderValue};
use axum::response::Response;

use crate::page::style_hash;
use crate::AuthState;

/// The pages' content security policy: only the site's own resources, the built-in
/// pages' one inline stylesheet by its hash, no framing, forms posting only to the
/// site, no `<base>`.
pub const CONTENT_SECURITY_POLICY: &str = concat!(
    "default-src 'self'; style-src 'self' '",
    "sha256-",
    style_hash!(),
    "'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
);

/// `Strict-Transport-Security` over HTTPS: one year, this host only (the application
/// decides about its other subdomains and the preload list).
pub const STRICT_TRANSPORT_SECURITY: &str = "max-age=31536000";

/// Adds the security headers to a response, keeping any the handler set itself:
///
/// | header | value |
/// |---|---|
/// | `Content-Security-Policy` | [`CONTENT_SECURITY_POLICY`] (`default-src 'self'`, `frame-ancestors 'none'`, …) |
/// | `X-Frame-Options` | `DENY` |
/// | `X-Content-Type-Options` | `nosniff` |
/// | `Referrer-Policy` | `same-origin` |
/// | `Strict-Transport-Security` | [`STRICT_TRANSPORT_SECURITY`], only when [`WebConfig::https`](crate::WebConfig::https) |
///
/// [`routes`](crate::routes()) has it on every route; put it on your own pages with
/// `axum::middleware::map_response_with_state(auth_state, security_headers)`. The
/// server sends no `Access-Control-Allow-*` header: it grants no CORS request, which
/// the CSRF check relies on (see [`csrf`](crate::csrf)).
pub async fn security_headers(State(state): State<AuthState>, mut response: Response) -> Response {
    let headers = response.headers_mut();
    let mut set = |name: HeaderName, value: &'static str| {
        headers
            .entry(name)
            .or_insert(HeaderValue::from_static(value));
    };
    set(header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY);
    set(header::X_FRAME_OPTIONS, "DENY");
    set(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(header::REFERRER_POLICY, "same-origin");
    if state.config().is_https() {
        set(header::STRICT_TRANSPORT_SECURITY, STRICT_TRANSPORT_SECURITY);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_names_the_pages_stylesheet_hash() {
        assert!(
            CONTENT_SECURITY_POLICY.contains(&format!("'sha256-{}'", style_hash!())),
            "{CONTENT_SECURITY_POLICY}"
        );
    }
}
