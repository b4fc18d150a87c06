//! A deliberate refusal of a login by a `before_login` hook.

use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

/// A hook's deliberate refusal of a login: a banned user, a blocked IP.
///
/// This is *not* an error: it stops a login under any [`ErrorPolicy`](crate::ErrorPolicy).
/// The message given to [`new`](Self::new) is meant for the user and is the only text a
/// web integration shows to the client; put internal detail in
/// [`with_reason`](Self::with_reason), which only reaches the log.
///
/// `AuthHookReject` deliberately does not implement [`std::error::Error`], so a reject
/// can never be mistaken for (or `?`-converted into) a failure, and a failure can never
/// be mistaken for a reject.
///
/// ```
/// use auth_hooks::{before_login, AuthHookContext, AuthHookReject};
///
/// #[before_login]
/// fn deny_banned(ctx: &AuthHookContext) -> Result<(), AuthHookReject> {
///     // The normalized name: `Mallory` and `ＭＡＬＬＯＲＹ` are refused too.
///     if ctx.username() == Some("mallory") {
///         return Err(AuthHookReject::new("This account is suspended.")
///             .with_reason("user on the ban list since 2026-10-01"));
///     }
///     Ok(())
/// }
/// # fn main() {}
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthHookReject {
    message: Cow<'static, str>,
    reason: Option<Cow<'static, str>>,
    retry_after: Option<Duration>,
}

impl AuthHookReject {
    /// The generic message used when a hook gives none.
    pub const DEFAULT_MESSAGE: &'static str = "Login rejected.";

    /// A reject whose `message` is safe to show to the user.
    pub fn new(message: impl Into<Cow<'static, str>>) -> Self {
        AuthHookReject {
            message: message.into(),
            reason: None,
            retry_after: None,
        }
    }

    /// Adds an internal reason, logged but never shown to the client.
    pub fn with_reason(mut self, reason: impl Into<Cow<'static, str>>) -> Self {
        self.reason = Some(reason.into());
        self
    }

    /// Says the refusal is temporary (a lockout, a rate limit) and when to try again.
    /// A login flow reports such a reject as "locked out" (HTTP 429 with `Retry-After`).
    pub fn with_retry_after(mut self, retry_after: Duration) -> Self {
        self.retry_after = Some(retry_after);
        self
    }

    /// When to try again, if the refusal is temporary.
    pub fn retry_after(&self) -> Option<Duration> {
        self.retry_after
    }

    /// The message meant for the user.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The internal reason, if the hook gave one.
    pub fn reason(&self) -> Option<&str> {
        self.reason.as_deref()
    }
}

impl Default for AuthHookReject {
    fn default() -> Self {
        AuthHookReject::new(Self::DEFAULT_MESSAGE)
    }
}

impl fmt::Display for AuthHookReject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}
