//! The session cookie: how it is written, read and cleared.

use std::borrow::Cow;
use std::time::Duration;

use axum::http::{header, HeaderMap, HeaderValue};
use cookie::{Cookie, SameSite};

/// How the session cookie is written.
///
/// Always `HttpOnly` (no script reads it), `SameSite=Lax` (not sent on cross-site
/// POSTs) and `Path=/`; `Secure` unless turned off for plain-HTTP development. Without
/// "remember me" it is a browser-session cookie (no `Max-Age`): it ends when the
/// browser closes, while the server-side session may live on until its TTL. With
/// "remember me" it gets `Max-Age` = [`remember_for`](Self::remember_for), which
/// [`AuthState`](crate::AuthState) sets to the flow's session TTL unless you set it.
///
/// ```
/// use auth_hooks_axum::SessionCookie;
///
/// let cookie = SessionCookie::default().build("abc", false);
/// assert_eq!(cookie.to_string(), "session=abc; HttpOnly; SameSite=Lax; Secure; Path=/");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionCookie {
    name: Cow<'static, str>,
    secure: bool,
    remember_for: Option<Duration>,
}

impl Default for SessionCookie {
    fn default() -> Self {
        SessionCookie {
            name: Cow::Borrowed("session"),
            secure: true,
            remember_for: None,
        }
    }
}

impl SessionCookie {
    /// The "remember me" lifetime when neither the application nor a flow sets one.
    pub const DEFAULT_REMEMBER_FOR: Duration = Duration::from_secs(7 * 24 * 3600);

    /// A cookie named `name` (default `session`).
    pub fn named(name: impl Into<Cow<'static, str>>) -> Self {
        SessionCookie {
            name: name.into(),
            ..SessionCookie::default()
        }
    }

    /// Whether the cookie is `Secure` (default `true`). Browsers accept `Secure` cookies
    /// from `http://localhost` and `http://127.0.0.1`, so keep it on there too; turn it
    /// off only for plain HTTP on another host, never in production.
    pub fn secure(mut self, secure: bool) -> Self {
        self.secure = secure;
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

    /// The cookie's name.
    pub fn name(&self) -> &str {
        &self.name
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

    /// The session cookie's value in a request's `Cookie` headers, if any. When a
    /// client sends the name twice, the first one counts (browsers send the most
    /// specific path first).
    pub fn read(&self, headers: &HeaderMap) -> Option<String> {
        headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(Cookie::split_parse)
            .filter_map(Result::ok)
            .find(|cookie| cookie.name() == self.name)
            .map(|cookie| cookie.value().to_owned())
            .filter(|value| !value.is_empty())
    }

    /// `cookie` as a `Set-Cookie` header value.
    pub fn header_value(cookie: &Cookie<'_>) -> HeaderValue {
        HeaderValue::from_str(&cookie.to_string())
            .expect("session ids and cookie attributes are visible ASCII")
    }

    fn base(&self, value: String) -> Cookie<'static> {
        Cookie::build((self.name.clone().into_owned(), value))
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
        assert!(text.starts_with("sid=;"), "{text}");
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

    #[test]
    fn reads_the_named_cookie_among_others() {
        let mut headers = HeaderMap::new();
        headers.append(
            header::COOKIE,
            HeaderValue::from_static("theme=dark; session=abc"),
        );
        headers.append(header::COOKIE, HeaderValue::from_static("session=later"));
        assert_eq!(
            SessionCookie::default().read(&headers).as_deref(),
            Some("abc")
        );
        assert_eq!(SessionCookie::named("sid").read(&headers), None);
    }

    #[test]
    fn missing_empty_or_garbled_cookies_read_as_none() {
        let config = SessionCookie::default();
        assert_eq!(config.read(&HeaderMap::new()), None);
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, HeaderValue::from_static("session="));
        assert_eq!(config.read(&headers), None);
        headers.insert(header::COOKIE, HeaderValue::from_static(";;=;novalue"));
        assert_eq!(config.read(&headers), None);
    }
}
