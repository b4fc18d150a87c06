//! Where the routes live and how requests are read: one value the application sets up once.

use std::borrow::Cow;

use crate::{CsrfProtection, SessionCookie, TrustedProxies};

/// The web side of authentication: paths, the session cookie, trusted proxies, CSRF.
///
/// ```
/// use auth_hooks_axum::{SessionCookie, WebConfig};
///
/// let config = WebConfig::default()
///     .cookie(SessionCookie::named("sid"))
///     .trusted_proxies("127.0.0.1".parse()?)
///     .with_home_path("/dashboard");
/// assert_eq!(config.login_path(), "/login");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct WebConfig {
    pub(crate) cookie: SessionCookie,
    pub(crate) proxies: TrustedProxies,
    pub(crate) csrf: CsrfProtection,
    pub(crate) me_shows_session_data: bool,
    pub(crate) registration: Registration,
    pub(crate) https: bool,
    paths: Paths,
}

/// Whether anyone may register, and what a registration answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Registration {
    /// No registration route (the default: an application opens sign-up on purpose).
    #[default]
    Closed,
    /// `GET`/`POST /register`. A new name and a taken one get the same answer (202,
    /// "log in with it"), so the form does not tell who has an account; the owner of a
    /// taken name is told through `on_register` hooks.
    Open,
    /// `GET`/`POST /register`, and a new user is signed in at once (cookie and tokens,
    /// as after a login). A taken name answers 409: anyone can then find out whether a
    /// name has an account (Kratos' `session` hook has the same trade-off).
    SignsIn,
}

#[derive(Debug, Clone)]
struct Paths {
    login: Cow<'static, str>,
    logout: Cow<'static, str>,
    me: Cow<'static, str>,
    refresh: Cow<'static, str>,
    register: Cow<'static, str>,
    password: Cow<'static, str>,
    login_second_factor: Cow<'static, str>,
    second_factor: Cow<'static, str>,
    home: Cow<'static, str>,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            cookie: SessionCookie::default(),
            proxies: TrustedProxies::none(),
            csrf: CsrfProtection::same_host(),
            me_shows_session_data: false,
            registration: Registration::Closed,
            https: true,
            paths: Paths {
                login: "/login".into(),
                logout: "/logout".into(),
                me: "/me".into(),
                refresh: "/refresh".into(),
                register: "/register".into(),
                password: "/password".into(),
                login_second_factor: "/login/second-factor".into(),
                second_factor: "/second-factor".into(),
                home: "/me".into(),
            },
        }
    }
}

impl WebConfig {
    /// The session cookie's settings.
    pub fn cookie(mut self, cookie: SessionCookie) -> Self {
        self.cookie = cookie;
        self
    }

    /// The proxies whose `X-Forwarded-For` is believed (none by default).
    pub fn trusted_proxies(mut self, proxies: TrustedProxies) -> Self {
        self.proxies = proxies;
        self
    }

    /// Whether `GET /me` shows what `on_login` hooks stored with the session (off by
    /// default: session data is the application's, kept on the server; turn it on
    /// only for data the user may read, as the demo does).
    pub fn me_shows_session_data(mut self, show: bool) -> Self {
        self.me_shows_session_data = show;
        self
    }

    /// Opens registration at the register path ([`Registration::Closed`] by default).
    pub fn registration(mut self, registration: Registration) -> Self {
        self.registration = registration;
        self
    }

    /// Whether the site is served over HTTPS, directly or behind a TLS-terminating proxy
    /// (default `true`). It decides:
    ///
    /// - the scheme the CSRF same-host check expects in `Origin` (`https`, or `http`);
    /// - `Strict-Transport-Security` on every response (only over HTTPS);
    /// - the session cookie's `__Host-` prefix (only over HTTPS, with a `Secure`
    ///   cookie; see [`SessionCookie::host_prefix`]).
    ///
    /// Turn it off for plain-HTTP development (`http://127.0.0.1:3000`, as the demo):
    /// the cookie is then named without the prefix (`session`), no HSTS is sent, and
    /// `http://` origins are the site's.
    pub fn https(mut self, https: bool) -> Self {
        self.https = https;
        self
    }

    /// Whether the site is served over HTTPS.
    pub fn is_https(&self) -> bool {
        self.https
    }

    /// The CSRF origin check (by default, the request's own `Host`).
    pub fn csrf(mut self, csrf: CsrfProtection) -> Self {
        self.csrf = csrf;
        self
    }

    /// The login page and `POST` target (default `/login`); guards redirect here.
    pub fn with_login_path(mut self, path: impl Into<Cow<'static, str>>) -> Self {
        self.paths.login = path.into();
        self
    }

    /// The logout `POST` target (default `/logout`).
    pub fn with_logout_path(mut self, path: impl Into<Cow<'static, str>>) -> Self {
        self.paths.logout = path.into();
        self
    }

    /// The "who am I" route (default `/me`).
    pub fn with_me_path(mut self, path: impl Into<Cow<'static, str>>) -> Self {
        self.paths.me = path.into();
        self
    }

    /// The token refresh route (default `/refresh`).
    pub fn with_refresh_path(mut self, path: impl Into<Cow<'static, str>>) -> Self {
        self.paths.refresh = path.into();
        self
    }

    /// Where a login without a (safe) `next` goes (default `/me`).
    pub fn with_home_path(mut self, path: impl Into<Cow<'static, str>>) -> Self {
        self.paths.home = path.into();
        self
    }

    /// The session cookie's settings.
    pub fn session_cookie(&self) -> &SessionCookie {
        &self.cookie
    }

    /// The trusted proxies.
    pub fn proxies(&self) -> &TrustedProxies {
        &self.proxies
    }

    /// The login path.
    pub fn login_path(&self) -> &str {
        &self.paths.login
    }

    /// The logout path.
    pub fn logout_path(&self) -> &str {
        &self.paths.logout
    }

    /// The "who am I" path.
    pub fn me_path(&self) -> &str {
        &self.paths.me
    }

    /// The token refresh path.
    pub fn refresh_path(&self) -> &str {
        &self.paths.refresh
    }

    /// The registration path (`/register`), routed when registration is open.
    pub fn register_path(&self) -> &str {
        &self.paths.register
    }

    /// The password change path (`/password`).
    pub fn password_path(&self) -> &str {
        &self.paths.password
    }

    /// Where a challenged login sends its code (`/login/second-factor`).
    pub fn login_second_factor_path(&self) -> &str {
        &self.paths.login_second_factor
    }

    /// The second-factor enrollment page (`/second-factor`); starting an enrollment
    /// posts to it + `/totp`, confirming to + `/totp/confirm`, removing to
    /// + `/totp/remove`.
    pub fn second_factor_path(&self) -> &str {
        &self.paths.second_factor
    }

    /// Moves the route a challenged login sends its code to.
    pub fn with_login_second_factor_path(mut self, path: impl Into<Cow<'static, str>>) -> Self {
        self.paths.login_second_factor = path.into();
        self
    }

    /// Moves the second-factor enrollment routes.
    pub fn with_second_factor_path(mut self, path: impl Into<Cow<'static, str>>) -> Self {
        self.paths.second_factor = path.into();
        self
    }

    /// Moves the registration route.
    pub fn with_register_path(mut self, path: impl Into<Cow<'static, str>>) -> Self {
        self.paths.register = path.into();
        self
    }

    /// Moves the password change route.
    pub fn with_password_path(mut self, path: impl Into<Cow<'static, str>>) -> Self {
        self.paths.password = path.into();
        self
    }

    /// Where a login without a safe `next` goes.
    pub fn home_path(&self) -> &str {
        &self.paths.home
    }
}
