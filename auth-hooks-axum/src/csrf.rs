//! CSRF protection for cookie sessions: the request must come from the site's own pages.
//!
//! # Which defence, and why
//!
//! This crate checks the **origin** of every state-changing request (`POST`, `PUT`,
//! `PATCH`, `DELETE`, …), on top of the session cookie's `SameSite=Lax`:
//!
//! 1. `Sec-Fetch-Site: cross-site` (sent by every current browser) is refused.
//! 2. The `Origin` header, or failing that the `Referer`'s origin, must be the site's:
//!    one of the configured origins, or, when none is configured, the origin the
//!    request was addressed to: scheme, host and port all compared, the scheme being
//!    the site's ([`WebConfig::https`](crate::WebConfig::https), `https` by default;
//!    `Host` does not tell it), a port left out being the scheme's default (80, 443).
//!    So `ftp://`, `ws://` or `https://` on the host and port of an `http` site are
//!    refused. `Origin: null` is refused.
//! 3. A request with neither header passes only when its body is JSON: exactly one
//!    `Content-Type` whose media type is `application/json` (parameters such as
//!    `charset` allowed, any case; not `…+json`, not `text/plain`). No page can send
//!    that cross-site without a CORS preflight, and this server never grants one (it
//!    sends no `Access-Control-Allow-*` header): so curl, mobile apps and other
//!    servers, which send no `Origin`, can log in with JSON. Anything else without
//!    either header (a form post, a JSON text under `text/plain`) is refused: browsers
//!    send `Origin` on every cross-origin POST, so its absence means an unusual client,
//!    and such a client can send `Origin`, JSON or a bearer token.
//!
//! A request carrying a `Bearer` token is exempt: no page can make a browser attach
//! one, and this crate's extractors never fall back to the cookie when `Authorization`
//! is present. Only `Bearer`: a browser *does* attach cached HTTP Basic credentials to
//! a cross-site form post by itself, so `Authorization: Basic …` exempts nothing. And
//! `POST /login`, which creates credentials and never reads `Authorization`, is checked
//! whatever that header says ([`CsrfProtection::check_credential_route`]: a route that
//! creates or changes credentials opts in with that one call).
//!
//! Why not a double-submit token: it needs a token in every form and every script,
//! and a login form has no session to bind a token to, which is exactly where *login
//! CSRF* (logging a victim into the attacker's account) strikes. The origin check
//! covers forms and JSON alike, the login route included, with no state and no
//! markup, and `SameSite=Lax` stays as a second, independent layer. Its one
//! requirement: behind a proxy that rewrites `Host`, configure the public origin with
//! [`CsrfProtection::allow_origin`].

use axum::http::{header, HeaderMap, HeaderName, Method, Uri};
use url::{Origin, Position, Url};

use crate::media_type::is_exactly_json;

/// `Sec-Fetch-Site`, named once (a `&str` name is parsed at every lookup).
static SEC_FETCH_SITE: HeaderName = HeaderName::from_static("sec-fetch-site");

/// Why a state-changing request was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CsrfRejection {
    /// The browser said the request comes from another site (`Sec-Fetch-Site: cross-site`).
    #[error("cross-site request (Sec-Fetch-Site)")]
    CrossSite,
    /// `Origin` (or `Referer`) names another origin, or is `null` or unreadable.
    #[error("request origin is not this site")]
    OriginMismatch,
    /// Neither `Origin` nor `Referer`, and a body that is not `application/json`.
    #[error("request has neither Origin nor Referer, and no JSON body")]
    MissingOrigin,
}

impl CsrfRejection {
    /// The text the client sees.
    pub const CLIENT_MESSAGE: &'static str =
        "Cross-site request refused. Reload the page and try again.";
}

/// The origin check (see the [module docs](self) for the reasoning).
///
/// ```
/// use auth_hooks_axum::CsrfProtection;
/// use axum::http::{HeaderMap, HeaderValue, Method, Uri};
///
/// let csrf = CsrfProtection::same_host();
/// let mut headers = HeaderMap::new();
/// headers.insert("host", HeaderValue::from_static("app.example"));
/// headers.insert("origin", HeaderValue::from_static("https://app.example"));
/// let uri: Uri = "/logout".parse()?;
/// assert!(csrf.check(&Method::POST, &uri, &headers).is_ok());
///
/// headers.insert("origin", HeaderValue::from_static("https://evil.example"));
/// assert!(csrf.check(&Method::POST, &uri, &headers).is_err());
/// // The site is https (the default): the same host in another scheme is another origin.
/// headers.insert("origin", HeaderValue::from_static("http://app.example"));
/// assert!(csrf.check(&Method::POST, &uri, &headers).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsrfProtection {
    allowed: Vec<Origin>,
    https: bool,
}

impl Default for CsrfProtection {
    fn default() -> Self {
        CsrfProtection {
            allowed: Vec::new(),
            https: true,
        }
    }
}

/// An allowed origin that is not an `http(s)://host[:port]` URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid CSRF origin `{0}`: expected scheme://host[:port], e.g. https://app.example")]
pub struct InvalidOrigin(pub String);

impl CsrfProtection {
    /// Accepts requests whose origin is the one they were addressed to: `Host`, in the
    /// site's scheme (`https` unless [`https(false)`](Self::https)).
    pub fn same_host() -> Self {
        CsrfProtection::default()
    }

    /// Whether the site is served over HTTPS (default `true`): the scheme the same-host
    /// check expects. [`AuthState`](crate::AuthState) sets it from
    /// [`WebConfig::https`](crate::WebConfig::https); call it only when using the
    /// check on its own.
    pub fn https(mut self, https: bool) -> Self {
        self.https = https;
        self
    }

    /// The scheme the same-host check expects.
    fn site_scheme(&self) -> &'static str {
        if self.https {
            "https"
        } else {
            "http"
        }
    }

    /// Accepts requests from `origin` (e.g. `https://app.example`); once any origin is
    /// configured, `Host` is no longer consulted.
    pub fn allow_origin(mut self, origin: &str) -> Result<Self, InvalidOrigin> {
        let invalid = || InvalidOrigin(origin.to_owned());
        let url = Url::parse(origin).map_err(|_| invalid())?;
        let parsed = url.origin();
        if !parsed.is_tuple() || !matches!(url.scheme(), "http" | "https") || url.path() != "/" {
            return Err(invalid());
        }
        self.allowed.push(parsed);
        Ok(self)
    }

    /// Checks one request. A request carrying a `Bearer` token is exempt: no page can
    /// make a browser attach one. Any other `Authorization` (HTTP Basic, which a
    /// browser attaches by itself to cross-site form posts once cached) is checked
    /// like a cookie.
    pub fn check(
        &self,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
    ) -> Result<(), CsrfRejection> {
        if is_bearer(headers) {
            return Ok(());
        }
        self.check_credential_route(method, uri, headers)
    }

    /// Checks a request to a route that creates or changes credentials (`/login`, and
    /// any such route of the application: this one call is its whole CSRF check), which
    /// never reads the `Authorization` header: no header exempts it, a bearer token
    /// neither (a cross-site page could otherwise log a browser into another account).
    /// Like [`check`](Self::check), it lets a request with neither `Origin` nor
    /// `Referer` through only when its body is `application/json`.
    pub fn check_credential_route(
        &self,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
    ) -> Result<(), CsrfRejection> {
        if is_safe(method) {
            return Ok(());
        }
        if header_str(headers, &SEC_FETCH_SITE) == Some("cross-site") {
            return Err(CsrfRejection::CrossSite);
        }
        let claimed = match (
            header_str(headers, &header::ORIGIN),
            header_str(headers, &header::REFERER),
        ) {
            (Some(origin), _) => origin,
            (None, Some(referer)) => referer,
            // No page can send this cross-site without a CORS preflight, never granted.
            (None, None) if is_exactly_json(headers) => return Ok(()),
            (None, None) => return Err(CsrfRejection::MissingOrigin),
        };
        let claimed_url = Url::parse(claimed).map_err(|_| CsrfRejection::OriginMismatch)?;
        let claimed = claimed_url.origin();
        let Origin::Tuple(claimed_scheme, _, _) = &claimed else {
            return Err(CsrfRejection::OriginMismatch);
        };
        if self.allowed.is_empty() {
            if claimed_scheme != self.site_scheme() {
                return Err(CsrfRejection::OriginMismatch);
            }
            let host = addressed_host(uri, headers);
            // The usual case: the scheme is the site's and `Host` is exactly the claimed
            // URL's own serialized `host[:port]`. Parsing `scheme://host/` would then
            // give back the same host and port (a parsed URL's serialization parses to
            // itself), so the origins are equal without a second parse.
            if host.is_some_and(|host| {
                !host.is_empty() && host == &claimed_url[Position::BeforeHost..Position::AfterPort]
            }) {
                return Ok(());
            }
            if Some(&claimed) == self.addressed_origin(host).as_ref() {
                return Ok(());
            }
        } else if self.allowed.contains(&claimed) {
            return Ok(());
        }
        Err(CsrfRejection::OriginMismatch)
    }

    /// The origin the request was addressed to: `host` (its `Host`, or the URI's
    /// authority for HTTP/2) in the site's scheme.
    fn addressed_origin(&self, host: Option<&str>) -> Option<Origin> {
        let host = host?;
        if host.contains(['/', '@', '?', '#', '\\']) {
            return None;
        }
        Url::parse(&format!("{}://{host}/", self.site_scheme()))
            .ok()
            .map(|url| url.origin())
    }
}

/// Whether the request carries `Authorization: Bearer <token>` (scheme in any case).
fn is_bearer(headers: &HeaderMap) -> bool {
    header_str(headers, &header::AUTHORIZATION)
        .and_then(|value| value.trim().split_once(' '))
        .is_some_and(|(scheme, token)| {
            scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty()
        })
}

fn is_safe(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    )
}

/// The `Host` header, or the URI's authority (HTTP/2).
fn addressed_host<'r>(uri: &'r Uri, headers: &'r HeaderMap) -> Option<&'r str> {
    header_str(headers, &header::HOST).or_else(|| uri.authority().map(|a| a.as_str()))
}

fn header_str<'h>(headers: &'h HeaderMap, name: &HeaderName) -> Option<&'h str> {
    headers
        .get(name)?
        .to_str()
        .ok()
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;
    use proptest::prelude::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_static(value));
        }
        map
    }

    fn check(
        csrf: &CsrfProtection,
        method: Method,
        pairs: &[(&'static str, &'static str)],
    ) -> Result<(), CsrfRejection> {
        csrf.check(&method, &"/logout".parse().unwrap(), &headers(pairs))
    }

    const HOST: (&str, &str) = ("host", "127.0.0.1:3000");

    /// A site served over plain HTTP, as the tests' origins are.
    fn http_site() -> CsrfProtection {
        CsrfProtection::same_host().https(false)
    }

    #[test]
    fn same_origin_posts_pass() {
        let csrf = http_site();
        assert_eq!(
            check(
                &csrf,
                Method::POST,
                &[HOST, ("origin", "http://127.0.0.1:3000")]
            ),
            Ok(())
        );
        assert_eq!(
            check(
                &csrf,
                Method::POST,
                &[HOST, ("referer", "http://127.0.0.1:3000/login?next=%2Fme")]
            ),
            Ok(())
        );
        assert_eq!(
            check(
                &csrf,
                Method::DELETE,
                &[
                    HOST,
                    ("origin", "http://127.0.0.1:3000"),
                    ("sec-fetch-site", "same-origin")
                ]
            ),
            Ok(())
        );
    }

    #[test]
    fn cross_origin_posts_are_refused() {
        let csrf = http_site();
        for origin in [
            "http://evil.example",
            "http://127.0.0.1:3001",
            "http://localhost:3000",
            "http://127.0.0.1.evil.example:3000",
            "null",
            "not a url",
        ] {
            let mut map = headers(&[HOST]);
            map.insert("origin", HeaderValue::from_str(origin).unwrap());
            assert_eq!(
                csrf.check(&Method::POST, &"/login".parse().unwrap(), &map),
                Err(CsrfRejection::OriginMismatch),
                "{origin}"
            );
        }
        assert_eq!(
            check(
                &csrf,
                Method::POST,
                &[HOST, ("referer", "http://evil.example/page")]
            ),
            Err(CsrfRejection::OriginMismatch)
        );
    }

    #[test]
    fn origin_wins_over_a_matching_referer() {
        let csrf = http_site();
        assert_eq!(
            check(
                &csrf,
                Method::POST,
                &[
                    HOST,
                    ("origin", "http://evil.example"),
                    ("referer", "http://127.0.0.1:3000/")
                ]
            ),
            Err(CsrfRejection::OriginMismatch)
        );
    }

    #[test]
    fn fetch_metadata_cross_site_is_refused_even_with_a_good_origin() {
        let csrf = http_site();
        assert_eq!(
            check(
                &csrf,
                Method::POST,
                &[
                    HOST,
                    ("origin", "http://127.0.0.1:3000"),
                    ("sec-fetch-site", "cross-site")
                ]
            ),
            Err(CsrfRejection::CrossSite)
        );
    }

    #[test]
    fn missing_origin_and_referer_is_refused() {
        let csrf = http_site();
        assert_eq!(
            check(&csrf, Method::POST, &[HOST]),
            Err(CsrfRejection::MissingOrigin)
        );
        assert_eq!(
            check(&csrf, Method::PATCH, &[HOST, ("origin", "")]),
            Err(CsrfRejection::MissingOrigin)
        );
    }

    #[test]
    fn a_json_body_without_origin_or_referer_passes_and_nothing_else_does() {
        let csrf = http_site();
        let login: Uri = "/login".parse().unwrap();
        for content_type in ["application/json", "application/JSON; charset=utf-8"] {
            let map = headers(&[HOST, ("content-type", content_type)]);
            assert_eq!(csrf.check(&Method::POST, &login, &map), Ok(()));
            assert_eq!(
                csrf.check_credential_route(&Method::POST, &login, &map),
                Ok(()),
                "{content_type}"
            );
        }
        for content_type in [
            "text/plain",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
            "application/json-patch+json",
        ] {
            let map = headers(&[HOST, ("content-type", content_type)]);
            assert_eq!(
                csrf.check_credential_route(&Method::POST, &login, &map),
                Err(CsrfRejection::MissingOrigin),
                "{content_type}"
            );
        }
        // JSON exempts nothing else: a bad origin or a cross-site fetch stays refused.
        let map = headers(&[
            HOST,
            ("content-type", "application/json"),
            ("origin", "http://evil.example"),
        ]);
        assert_eq!(
            csrf.check_credential_route(&Method::POST, &login, &map),
            Err(CsrfRejection::OriginMismatch)
        );
        let map = headers(&[
            HOST,
            ("content-type", "application/json"),
            ("sec-fetch-site", "cross-site"),
        ]);
        assert_eq!(
            csrf.check_credential_route(&Method::POST, &login, &map),
            Err(CsrfRejection::CrossSite)
        );
    }

    #[test]
    fn the_scheme_is_the_sites() {
        let http = http_site();
        for origin in [
            "ftp://127.0.0.1:3000",
            "ws://127.0.0.1:3000",
            "https://127.0.0.1:3000",
            "wss://127.0.0.1:3000",
        ] {
            let mut map = headers(&[HOST]);
            map.insert("origin", HeaderValue::from_str(origin).unwrap());
            assert_eq!(
                http.check(&Method::POST, &"/login".parse().unwrap(), &map),
                Err(CsrfRejection::OriginMismatch),
                "{origin} against an http site"
            );
            let mut map = headers(&[HOST]);
            map.insert(
                "referer",
                HeaderValue::from_str(&format!("{origin}/")).unwrap(),
            );
            assert_eq!(
                http.check(&Method::POST, &"/login".parse().unwrap(), &map),
                Err(CsrfRejection::OriginMismatch),
                "Referer {origin}/ against an http site"
            );
        }
        let https = CsrfProtection::same_host();
        for (host, origin, expected) in [
            ("app.example", "https://app.example", true),
            ("app.example", "https://app.example:443", true),
            ("app.example:443", "https://app.example", true),
            ("app.example:8443", "https://app.example:8443", true),
            ("app.example", "http://app.example", false),
            ("app.example:443", "http://app.example:443", false),
            ("app.example", "wss://app.example", false),
            ("app.example:80", "https://app.example:80", true),
            ("app.example", "https://app.example:80", false),
        ] {
            let map = {
                let mut map = HeaderMap::new();
                map.insert("host", HeaderValue::from_str(host).unwrap());
                map.insert("origin", HeaderValue::from_str(origin).unwrap());
                map
            };
            assert_eq!(
                https
                    .check(&Method::POST, &"/login".parse().unwrap(), &map)
                    .is_ok(),
                expected,
                "https site, Host: {host}, Origin: {origin}"
            );
        }
    }

    #[test]
    fn safe_methods_and_bearer_requests_are_not_checked() {
        let csrf = http_site();
        for method in [Method::GET, Method::HEAD, Method::OPTIONS] {
            assert_eq!(
                check(&csrf, method, &[HOST, ("origin", "http://evil.example")]),
                Ok(())
            );
        }
        assert_eq!(
            check(&csrf, Method::POST, &[HOST, ("authorization", "Bearer x")]),
            Ok(())
        );
    }

    #[test]
    fn only_a_bearer_token_exempts_and_never_on_a_credential_route() {
        let csrf = http_site();
        let cross_site = [HOST, ("origin", "http://evil.example")];
        // A browser attaches cached Basic credentials to a cross-site post by itself.
        for authorization in [
            "Basic YWRhOnB3",
            "Digest x",
            "Bearer",
            "Bearer   ",
            "bearerx",
        ] {
            let mut pairs = cross_site.to_vec();
            pairs.push(("authorization", authorization));
            assert_eq!(
                check(&csrf, Method::POST, &pairs),
                Err(CsrfRejection::OriginMismatch),
                "{authorization:?} exempts nothing"
            );
        }
        let mut bearer = cross_site.to_vec();
        bearer.push(("authorization", "bEaReR token"));
        assert_eq!(check(&csrf, Method::POST, &bearer), Ok(()));
        let map = headers(&bearer);
        assert_eq!(
            csrf.check_credential_route(&Method::POST, &"/login".parse().unwrap(), &map),
            Err(CsrfRejection::OriginMismatch),
            "the login route never reads Authorization: no exemption there"
        );
    }

    #[test]
    fn forged_host_values_do_not_help() {
        let csrf = http_site();
        assert_eq!(
            check(
                &csrf,
                Method::POST,
                &[
                    ("host", "evil.example@127.0.0.1"),
                    ("origin", "http://127.0.0.1")
                ]
            ),
            Err(CsrfRejection::OriginMismatch)
        );
        assert_eq!(
            check(&csrf, Method::POST, &[("origin", "http://127.0.0.1")]),
            Err(CsrfRejection::OriginMismatch)
        );
    }

    #[test]
    fn host_and_origin_are_compared_as_origins_not_as_text() {
        let csrf = http_site();
        for (host, origin, expected) in [
            // Equal as text (the fast path) and equal after normalization.
            ("app.example", "http://app.example", true),
            ("app.example:8080", "http://app.example:8080", true),
            ("[::1]:3000", "http://[::1]:3000", true),
            ("APP.example", "http://app.example", true),
            ("app.example:80", "http://app.example", true),
            ("[0:0::1]:3000", "http://[::1]:3000", true),
            (
                "XN--BCHER-KVA.example",
                "http://xn--bcher-kva.example",
                true,
            ),
            // Different origins.
            ("app.example", "https://app.example:443", false),
            ("app.example", "http://app.example:8080", false),
            ("app.example:8080", "http://app.example", false),
            ("app.example", "http://user@evil.example", false),
            ("evil.example", "blob:http://app.example/uuid", false),
            ("app.example:99999", "http://app.example:99999", false),
        ] {
            let mut map = HeaderMap::new();
            map.insert("host", HeaderValue::from_str(host).unwrap());
            map.insert("origin", HeaderValue::from_str(origin).unwrap());
            assert_eq!(
                csrf.check(&Method::POST, &"/login".parse().unwrap(), &map)
                    .is_ok(),
                expected,
                "Host: {host}, Origin: {origin}"
            );
        }
    }

    #[test]
    fn configured_origins_replace_the_host_check() {
        let csrf = CsrfProtection::same_host()
            .allow_origin("https://app.example")
            .unwrap();
        assert_eq!(
            check(
                &csrf,
                Method::POST,
                &[("host", "internal:8080"), ("origin", "https://app.example")]
            ),
            Ok(())
        );
        assert_eq!(
            check(
                &csrf,
                Method::POST,
                &[("host", "app.example"), ("origin", "http://app.example")]
            ),
            Err(CsrfRejection::OriginMismatch)
        );
        // Default ports are normalized.
        assert_eq!(
            check(
                &csrf,
                Method::POST,
                &[("origin", "https://app.example:443")]
            ),
            Ok(())
        );
    }

    #[test]
    fn bad_configured_origins_are_named() {
        for bad in [
            "app.example",
            "https://app.example/path",
            "javascript:alert(1)",
            "file:///etc",
        ] {
            assert_eq!(
                CsrfProtection::same_host().allow_origin(bad),
                Err(InvalidOrigin(bad.into())),
                "{bad}"
            );
        }
    }

    /// The same-host check without its fast path: both origins parsed and compared
    /// (the site's origin carries the site's scheme).
    fn same_host_reference(csrf: &CsrfProtection, host: &str, origin: &str) -> bool {
        let Ok(url) = Url::parse(origin) else {
            return false;
        };
        let claimed = url.origin();
        claimed.is_tuple() && csrf.addressed_origin(Some(host)).as_ref() == Some(&claimed)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4096))]

        #[test]
        fn the_fast_path_agrees_with_comparing_parsed_origins(
            host in r"(\[[0-9a-fA-F:.]{1,10}\]|[a-zA-Z0-9.%_-]{1,12})(:[0-9]{1,6})?",
            other in r"(\[[0-9a-fA-F:.]{1,10}\]|[a-zA-Z0-9.%_-]{1,12})(:[0-9]{1,6})?",
            same in any::<bool>(),
            scheme in prop_oneof![
                Just("http://"), Just("https://"), Just("ws://"), Just("ftp://"),
                Just("blob:http://"), Just("file://"), Just("foo://"),
            ],
            user in prop_oneof![Just(""), Just("u@"), Just("u:p@")],
            path in prop_oneof![Just(""), Just("/"), Just("/x?y#z")],
            https in any::<bool>(),
        ) {
            let origin = format!("{scheme}{user}{}{path}", if same { &host } else { &other });
            let mut headers = HeaderMap::new();
            headers.insert("host", HeaderValue::from_str(&host).unwrap());
            headers.insert("origin", HeaderValue::from_str(&origin).unwrap());
            let csrf = CsrfProtection::same_host().https(https);
            let got = csrf
                .check(&Method::POST, &"/login".parse().unwrap(), &headers)
                .is_ok();
            prop_assert_eq!(got, same_host_reference(&csrf, &host, &origin), "Host: {}, Origin: {}", host, origin);
        }
    }
}
