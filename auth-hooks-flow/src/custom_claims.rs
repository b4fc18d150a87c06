//! Claims the application's hooks add to the tokens a login or a refresh is about to
//! issue.

use std::sync::{Arc, Mutex};

use auth_hooks::AuthHookContext;
use serde::Serialize;
use serde_json::{Map, Value};

/// The claims the library writes itself; a hook may not set them.
pub const RESERVED_CLAIMS: [&str; 11] = [
    "sub", "exp", "iat", "nbf", "jti", "iss", "aud", "type", "fresh", "fam", "sid",
];

/// The claim the flow sets from the login's factors (`["pwd", "otp"]`): carried into
/// every refreshed pair, set by no hook.
pub const AMR_CLAIM: &str = "amr";

/// Why a custom claim was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClaimError {
    /// The name is one the library sets itself.
    #[error("the claim `{0}` is reserved (the library sets {RESERVED}); choose another name")]
    Reserved(String),
    /// The value is not JSON-serializable.
    #[error("the claim `{name}` cannot be serialized: {source}")]
    Value {
        /// The claim.
        name: String,
        /// What serde said.
        source: serde_json::Error,
    },
}

const RESERVED: &str =
    "`sub`, `exp`, `iat`, `nbf`, `jti`, `iss`, `aud`, `type`, `fresh`, `fam` and `sid`";

/// How a hook adds claims to the tokens about to be issued: the flow puts one in the
/// context of `before_login` (the login's pair) and of `on_refresh` (the new pair of a
/// refresh, holding the old tokens' custom claims already, so a claim never silently
/// disappears after a refresh), when the flow issues tokens.
///
/// ```
/// use auth_hooks::{before_login, AuthHookContext};
/// use auth_hooks_flow::{ClaimError, TokenClaims};
///
/// #[before_login]
/// fn tenant(ctx: &AuthHookContext) -> Result<(), ClaimError> {
///     if let Some(claims) = TokenClaims::of(ctx) {
///         claims.insert("tenant", "acme")?;
///     }
///     Ok(())
/// }
/// # fn main() {}
/// ```
///
/// Claims are readable by anyone holding the token: never put a secret in one.
#[derive(Debug, Clone, Default)]
pub struct TokenClaims(Arc<Mutex<Map<String, Value>>>);

impl TokenClaims {
    /// The claims of the tokens the login or refresh in `ctx` is about to issue, if it
    /// issues tokens.
    pub fn of(ctx: &AuthHookContext) -> Option<&TokenClaims> {
        ctx.extension()
    }

    /// Holding `claims` already (a refresh carries the old tokens' custom claims).
    pub(crate) fn carrying(claims: Map<String, Value>) -> Self {
        TokenClaims(Arc::new(Mutex::new(claims)))
    }

    /// Sets the claim `name` to `value`; a reserved name, or [`AMR_CLAIM`] (which the
    /// flow sets from the factors the login passed), is refused.
    pub fn insert<T: Serialize + ?Sized>(&self, name: &str, value: &T) -> Result<(), ClaimError> {
        if RESERVED_CLAIMS.contains(&name) || name == AMR_CLAIM {
            return Err(ClaimError::Reserved(name.to_owned()));
        }
        let value = serde_json::to_value(value).map_err(|source| ClaimError::Value {
            name: name.to_owned(),
            source,
        })?;
        self.lock().insert(name.to_owned(), value);
        Ok(())
    }

    /// Removes the claim `name` (one a refresh carried over, say; never [`AMR_CLAIM`]).
    pub fn remove(&self, name: &str) -> Option<Value> {
        if name == AMR_CLAIM {
            return None;
        }
        self.lock().remove(name)
    }

    /// What the hooks set.
    pub(crate) fn take(&self) -> Map<String, Value> {
        std::mem::take(&mut *self.lock())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Map<String, Value>> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
