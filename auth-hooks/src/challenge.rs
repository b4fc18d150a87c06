//! A `before_login` hook's demand for a second factor before the login goes on.

use std::borrow::Cow;
use std::fmt;

/// A `before_login` hook's decision that this login needs a second factor: neither an
/// allow nor a reject. The login stops where the hook stood and answers with a
/// challenge (which factor, and an opaque continuation); once the factor passes, the
/// flow resumes with the `before_login` hooks after this one, then the session and
/// tokens, then `on_login`.
///
/// Only `before_login` may challenge: the attribute macros refuse `AuthHookChallenge`
/// in another phase's return type, and a challenge returned elsewhere at run time is a
/// failure under the phase's policy.
///
/// Like [`AuthHookReject`](crate::AuthHookReject), it deliberately does not implement
/// [`std::error::Error`]: a challenge is never mistaken for a failure.
///
/// ```
/// use auth_hooks::{before_login, AuthHookChallenge, AuthHookContext};
///
/// #[before_login(priority = 950000)]
/// fn admins_need_a_code(ctx: &AuthHookContext) -> Result<(), AuthHookChallenge> {
///     match ctx.username() {
///         Some("root") => Err(AuthHookChallenge::new("totp")),
///         _ => Ok(()),
///     }
/// }
/// # fn main() {}
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthHookChallenge {
    factor: Cow<'static, str>,
}

impl AuthHookChallenge {
    /// The factor of the built-in TOTP hook (and of recovery codes standing in for it).
    pub const TOTP: &'static str = "totp";

    /// Requires the second factor `factor` (e.g. [`TOTP`](Self::TOTP)) for this login.
    pub fn new(factor: impl Into<Cow<'static, str>>) -> Self {
        AuthHookChallenge {
            factor: factor.into(),
        }
    }

    /// Requires a TOTP code (or a recovery code).
    pub fn totp() -> Self {
        Self::new(Self::TOTP)
    }

    /// The factor required.
    pub fn factor(&self) -> &str {
        &self.factor
    }
}

impl fmt::Display for AuthHookChallenge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "second factor `{}` required", self.factor)
    }
}
