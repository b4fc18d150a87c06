//! The session cookie: how it is written, read and cleared.

use std::borrow::Cow;
use std::time::Duration;

use axum::http::{header, HeaderMap, HeaderValue};
use cookie::{Cookie, SameSite};

/// How the session cookie is written.
///
/// Always `HttpOnly` (no script reads it), `SameSite=Lax` (not sent on cross-site
/// POSTs) and `Path=/`, never with a `Domain`; `Secure` unless turned off for
/// plain-HTTP development. Without "remember me" it is a browser-session cookie (no
/// `Max-Age`): it ends when the browser closes, while the server-side session may live
/// on until its TTL. With "remember me" it gets `Max-Age` =
/// [`remember_for`](Self::remember_for), which [`AuthState`](crate::AuthState) sets to
/// the flow's session TTL unless you set it.
///
/// # The `__Host-` prefix
///
/// Where the site is served over HTTPS ([`WebConfig::https`](crate::WebConfig::https),
/// the default) and the cookie is `Secure`, its name carries the `__Host-` prefix
/// (`__Host-session`): a browser then accepts it only with `Secure`, `Path=/` and no
/// `Domain`, so neither a sibling subdomain nor a plain-HTTP page of the same host can
/// plant a session cookie of that name. For plain-HTTP development
/// (`WebConfig::https(false)`, as the demo on `http://127.0.0.1:3000`) the cookie is
/// named as configured, without the prefix (`session`). Turn the prefix off with
/// [`host_prefix(false)`](Self::host_prefix) only to keep an existing name.
///
/// # Two session cookies
///
/// A request carrying the session cookie's name twice (a cookie planted for a parent
/// domain or another path beside the site's own) is refused: [`read`](Self::read)
/// says so, and the request is answered 400 rather than authenticated by either.
///
/// ```
/// use auth_hooks_axum::SessionCookie;
///
/// let cookie = SessionCookie::default().build("abc", false);
/// assert_eq!(cookie.to_string(), "__Host-session=abc; HttpOnly; SameSite=Lax; Secure; Path=/");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionCookie {
    name: Cow<'static, str>,
    secure: bool,
    host_prefix: bool,
    over_https: bool,
    remember_for: Option<Duration>,
}

impl Default for SessionCookie {
    fn default() -> Self {
        SessionCookie {
            name: Cow::Borrowed("session"),
            secure: true,
            host_prefix: true,
            over_https: true,
            remember_for: None,
        }
    }
}

/// A request carries the session cookie's name more than once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the request carries the session cookie more than once")]
pub struct DuplicateSessionCookie;

impl DuplicateSessionCookie {
    /// The text the client sees (with a 400).
    pub const CLIENT_MESSAGE: &'static str =
        "The request carries two session cookies. Clear this site's cookies and sign in again.";
}

/// The prefix that binds a cookie to the host, `Secure`, `Path=/`.
const HOST_PREFIX: &str = "__Host-";

impl SessionCookie {
    /// The "remember me" lifetime when neither the application nor a flow sets one.
    pub const DEFAULT_REMEMBER_FOR: Duration = Duration::from_secs(7 * 24 * 3600);

    /// A cookie named `name` (default `session`; `__Host-` is prefixed over HTTPS).
    pub fn named(name: impl Into<Cow<'static, str>>) -> Self {
        SessionCookie {
            name: name.into(),
            ..SessionCookie::default()
        }
    }

    /// Whether the cookie is `Secure` (default `true`). Browsers accept `Secure` cookies
    /// from `http://localhost` and `http://127.0.0.1`, so keep it on there too; turn it
    /// off only for plain HTTP on another host, never in production. A cookie that is
    /// not `Secure` gets no `__Host-` prefix.
    pub fn secure(mut self, secure: bool) -> Self {
        self.secure = secure;
        self
    }

    /// Whether the name gets the `__Host-` prefix over HTTPS (default `true`).
    pub fn host_prefix(mut self, host_prefix: bool) -> Self {
        self.host_prefix = host_prefix;
        self
    }

    /// How long a "remember me" cookie lives. Unset, it is the flow's session TTL
    /// (7 days by default), so the cookie and the session end together.
    pub fn remember_for(mut self, duration: Duration) -> Self {
        self.remember_for = Some(duration);
        self
    }

    /// Uses `ttl` as the "remember me" lifetime, unless one was set explicitly.
    pub(crate) fn default_remember_for(mut self, ttl: Duration) -> Self {
        self.remember_for.get_or_insert(ttl);
        self
    }

    /// Whether the site is served over HTTPS (from [`WebConfig::https`](crate::WebConfig::https)).
    pub(crate) fn served_over_https(mut self, https: bool) -> Self {
        self.over_https = https;
        self
    }

    /// The cookie's name as sent: `__Host-` + the configured name over HTTPS with a
    /// `Secure` cookie, else the configured name.
    pub fn name(&self) -> Cow<'_, str> {
        let prefixed = self.host_prefix && self.secure && self.over_https;
        if prefixed && !self.name.starts_with(HOST_PREFIX) {
            Cow::Owned(format!("{HOST_PREFIX}{}", self.name))
        } else {
            Cow::Borrowed(&self.name)
        }
    }

    /// The cookie holding session id `value`; persistent only when `remember`.
    pub fn build(&self, value: &str, remember: bool) -> Cookie<'static> {
        let mut cookie = self.base(value.to_owned());
        if remember {
            let remember_for = self.remember_for.unwrap_or(Self::DEFAULT_REMEMBER_FOR);
            let max_age = i64::try_from(remember_for.as_secs()).unwrap_or(i64::MAX);
            cookie.set_max_age(cookie::time::Duration::seconds(max_age));
        }
        cookie
    }

    /// A cookie that makes the browser forget the session cookie (empty, `Max-Age=0`).
    pub fn removal(&self) -> Cookie<'static> {
        let mut cookie = self.base(String::new());
        cookie.set_max_age(cookie::time::Duration::ZERO);
        cookie
    }

    /// The session cookie's value in a request's `Cookie` headers, if any (an empty
    /// value counts as none). A request that carries the name more than once, in one
    /// `Cookie` header or several, is an error: which one is the site's cannot be told.
    pub fn read(&self, headers: &HeaderMap) -> Result<Option<String>, DuplicateSessionCookie> {
        let name = self.name();
        let mut found = headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(Cookie::split_parse)
            .filter_map(Result::ok)
            .filter(|cookie| cookie.name() == name);
        let first = found.next();
        if found.next().is_some() {
            return Err(DuplicateSessionCookie);
        }
        Ok(first
            .map(|cookie| cookie.value().to_owned())
            .filter(|value| !value.is_empty()))
    }

    /// `cookie` as a `Set-Cookie` header value.
    pub fn header_value(cookie: &Cookie<'_>) -> HeaderValue {
        HeaderValue::from_str(&cookie.to_string())
            .expect("session ids and cookie attributes are visible ASCII")
    }

    fn base(&self, value: String) -> Cookie<'static> {
        Cookie::build((self.name().into_owned(), value))
            .http_only(true)
            .secure(self.secure)
            .same_site(SameSite::Lax)
            .path("/")
            .build()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_cookie_has_every_protective_attribute_and_no_max_age() {
        let cookie = SessionCookie::default().build("id-1", false);
        assert_eq!(cookie.http_only(), Some(true));
        assert_eq!(cookie.secure(), Some(true));
        assert_eq!(cookie.same_site(), Some(SameSite::Lax));
        assert_eq!(cookie.path(), Some("/"));
        assert_eq!(cookie.max_age(), None);
        assert_eq!(cookie.expires(), None);
        assert_eq!(cookie.domain(), None);
    }

    #[test]
    fn remember_me_adds_max_age_only() {
        let config = SessionCookie::default().remember_for(Duration::from_secs(3600));
        let cookie = config.build("id-1", true);
        assert_eq!(
            cookie.max_age(),
            Some(cookie::time::Duration::seconds(3600))
        );
        let text = cookie.to_string();
        for attribute in [
            "HttpOnly",
            "Secure",
            "SameSite=Lax",
            "Path=/",
            "Max-Age=3600",
        ] {
            assert!(text.contains(attribute), "{text}");
        }
    }

    #[test]
    fn remember_me_follows_the_session_ttl_unless_set() {
        let day = Duration::from_secs(86_400);
        let from_ttl = SessionCookie::default().default_remember_for(day);
        assert!(from_ttl
            .build("x", true)
            .to_string()
            .contains("Max-Age=86400"));
        let explicit = SessionCookie::default()
            .remember_for(Duration::from_secs(60))
            .default_remember_for(day);
        assert!(explicit.build("x", true).to_string().contains("Max-Age=60"));
    }

    #[test]
    fn removal_expires_the_cookie_at_once() {
        let text = SessionCookie::named("sid").removal().to_string();
        assert!(text.starts_with("__Host-sid=;"), "{text}");
        assert!(
            text.contains("Max-Age=0") && text.contains("Path=/"),
            "{text}"
        );
    }

    #[test]
    fn insecure_is_explicit() {
        let cookie = SessionCookie::default().secure(false).build("x", false);
        assert_ne!(cookie.secure(), Some(true));
        assert!(!cookie.to_string().contains("Secure"));
    }

    /// The cookie as configured for plain-HTTP development: named `session`.
    fn plain_http() -> SessionCookie {
        SessionCookie::default().served_over_https(false)
    }

    #[test]
    fn reads_the_named_cookie_among_others() {
        let mut headers = HeaderMap::new();
        headers.append(
            header::COOKIE,
            HeaderValue::from_static("theme=dark; session=abc"),
        );
        headers.append(header::COOKIE, HeaderValue::from_static("other=later"));
        assert_eq!(plain_http().read(&headers), Ok(Some("abc".into())));
        assert_eq!(SessionCookie::named("sid").read(&headers), Ok(None));
        assert_eq!(
            SessionCookie::default().read(&headers),
            Ok(None),
            "over HTTPS only __Host-session counts"
        );
    }

    #[test]
    fn two_session_cookies_are_refused_not_first_wins() {
        for pairs in [
            &["session=abc; session=def"][..],
            &["session=abc", "theme=dark; session=def"],
            &["session=; session=def"],
        ] {
            let mut headers = HeaderMap::new();
            for pair in pairs {
                headers.append(header::COOKIE, HeaderValue::from_static(pair));
            }
            assert_eq!(
                plain_http().read(&headers),
                Err(DuplicateSessionCookie),
                "{pairs:?}"
            );
        }
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("__Host-session=a; __Host-session=b"),
        );
        assert_eq!(
            SessionCookie::default().read(&headers),
            Err(DuplicateSessionCookie)
        );
    }

    #[test]
    fn missing_empty_or_garbled_cookies_read_as_none() {
        let config = plain_http();
        assert_eq!(config.read(&HeaderMap::new()), Ok(None));
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, HeaderValue::from_static("session="));
        assert_eq!(config.read(&headers), Ok(None));
        headers.insert(header::COOKIE, HeaderValue::from_static(";;=;novalue"));
        assert_eq!(config.read(&headers), Ok(None));
    }

    #[test]
    fn the_host_prefix_is_there_over_https_with_a_secure_cookie_only() {
        let over_https = SessionCookie::default().build("x", true);
        assert_eq!(over_https.name(), "__Host-session");
        // What a browser requires of a `__Host-` cookie.
        assert_eq!(over_https.secure(), Some(true));
        assert_eq!(over_https.path(), Some("/"));
        assert_eq!(over_https.domain(), None);
        assert_eq!(
            SessionCookie::named("sid").removal().name(),
            "__Host-sid",
            "the removal names the same cookie"
        );
        assert_eq!(
            SessionCookie::named("__Host-sid").name(),
            "__Host-sid",
            "never twice"
        );
        assert_eq!(plain_http().name(), "session");
        assert_eq!(SessionCookie::default().secure(false).name(), "session");
        assert_eq!(
            SessionCookie::default().host_prefix(false).name(),
            "session"
        );
    }
}
