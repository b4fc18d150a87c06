//! The typed errors of the flow, each with the only text a client may see.

use std::time::Duration;

use crate::second_factor::Continuation;
use crate::{BackendError, PasswordRejected, StoreError, TokenError};
use auth_hooks::{
    AuthHookError, AuthHookExecutionError, AuthHookReject, HookFailure, HookRejected,
};

/// Generic client text for a store outage.
const UNAVAILABLE: &str = "Service temporarily unavailable. Please try again later.";
/// Generic client text when too many logins are being checked.
const OVERLOADED: &str = "Too many logins right now. Please try again in a moment.";

/// Why a login did not succeed, nor a registration or a password change (the same
/// gates, the same stores, the same answers).
///
/// [`client_message`](Self::client_message) is the only text meant for the client. The
/// `Display` text is for logs; it never holds a secret either.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoginError {
    /// A `before_login` hook refused the login; `message` is what the hook marked as
    /// safe to show.
    #[error("login rejected by auth hook `{hook}`")]
    Rejected {
        /// The hook that refused.
        hook: String,
        /// The message for the user.
        message: String,
    },
    /// Wrong password or unknown user: deliberately one answer for both.
    #[error("invalid credentials")]
    InvalidCredentials,
    /// Too many failed logins, or a hook's temporary refusal (a reject with
    /// [`retry_after`](AuthHookReject::retry_after)). Answer 429 with `Retry-After`.
    #[error("login temporarily refused by auth hook `{hook}`; retry after {} s", retry_after.as_secs())]
    LockedOut {
        /// When to try again.
        retry_after: Duration,
        /// The hook that refused.
        hook: String,
        /// The message for the user.
        message: String,
    },
    /// A hook failed under the `raise` policy. The client sees a generic message; the
    /// detail (here, and in the log) is for operators. Nothing the login created is left.
    #[error("login failed: {0}")]
    HookFailed(#[source] AuthHookExecutionError),
    /// The credentials lack what the backend needs (e.g. no password field).
    #[error("{0}")]
    MalformedCredentials(String),
    /// A store or the RNG could not answer: the login is refused (fail closed). Answer 503.
    #[error("login refused: {0}")]
    StoreUnavailable(#[from] StoreError),
    /// Too many logins are being hashed right now: refused at once, before any hook
    /// counted it as a failure (it says nothing about the password). Answer 503 with
    /// `Retry-After`.
    #[error("login refused: too many logins are being hashed; retry after {} s", retry_after.as_secs())]
    Overloaded {
        /// About when the backend can take it.
        retry_after: Duration,
    },
    /// A new password does not meet the backend's policy; the text says why.
    #[error("{0}")]
    WeakPassword(PasswordRejected),
    /// A password change whose current password was wrong.
    #[error("the current password is wrong")]
    WrongPassword,
    /// A registration that signs in right away, for a login name that is taken (see
    /// [`RegisterOptions::sign_in`](crate::RegisterOptions::sign_in)).
    #[error("the login name is taken")]
    LoginTaken,
    /// The backend does not support this (registration, password change).
    #[error("the auth backend does not support {0}")]
    Unsupported(&'static str),
    /// The password was right and a `before_login` hook requires a second factor:
    /// nothing was created yet. Answer with the factor and the continuation (HTTP 401),
    /// then call [`AuthFlow::resume_login`](crate::AuthFlow::resume_login) with it and
    /// the code. The continuation's `Debug` is redacted and `Display` omits it.
    #[error("second factor `{factor}` required")]
    SecondFactorRequired {
        /// The factor required (`totp`).
        factor: String,
        /// The opaque, single-use token to resume the login with (5 minutes).
        continuation: Continuation,
    },
    /// A wrong, replayed or malformed second-factor code, or a continuation that is
    /// unknown, spent or expired: one answer for all.
    #[error("invalid second factor or continuation")]
    InvalidSecondFactor,
}

impl LoginError {
    /// The generic message for wrong credentials.
    pub const INVALID_CREDENTIALS: &'static str = "Invalid username or password.";
    /// The message for a wrong current password.
    pub const WRONG_PASSWORD: &'static str = "The current password is incorrect.";
    /// The message for a taken login name, when a registration signs in right away.
    pub const LOGIN_TAKEN: &'static str = "That username is taken.";
    /// The message for a wrong code or a spent continuation.
    pub const INVALID_SECOND_FACTOR: &'static str = "Invalid or expired code.";

    /// A backend's error: what the client may be told, the store's detail logged once.
    pub(crate) fn from_backend(error: BackendError, backend: &str) -> Self {
        match error {
            BackendError::Malformed(message) => LoginError::MalformedCredentials(message.into()),
            BackendError::Store(error) => {
                tracing::error!(%backend, error = %auth_hooks::LogSafe(&error), "refused: the backend's store is unavailable");
                LoginError::StoreUnavailable(error)
            }
            BackendError::Overloaded { retry_after } => LoginError::Overloaded { retry_after },
            BackendError::WeakPassword(rejected) => LoginError::WeakPassword(rejected),
            BackendError::Unsupported(what) => LoginError::Unsupported(what),
        }
    }

    /// The only text to show the client.
    pub fn client_message(&self) -> &str {
        match self {
            LoginError::Rejected { message, .. } | LoginError::LockedOut { message, .. } => message,
            LoginError::InvalidCredentials => Self::INVALID_CREDENTIALS,
            LoginError::HookFailed(_) => AuthHookReject::DEFAULT_MESSAGE,
            LoginError::MalformedCredentials(message) => message,
            LoginError::StoreUnavailable(_) => UNAVAILABLE,
            LoginError::Overloaded { .. } => OVERLOADED,
            // The rejection's `Display` (with the limits) is safe to show too.
            LoginError::WeakPassword(PasswordRejected::Refused(message)) => message,
            LoginError::WeakPassword(_) => "That password does not meet the password rules.",
            LoginError::Unsupported(_) => "Not supported here.",
            LoginError::WrongPassword => Self::WRONG_PASSWORD,
            LoginError::LoginTaken => Self::LOGIN_TAKEN,
            LoginError::SecondFactorRequired { .. } => AuthHookError::SECOND_FACTOR_REQUIRED,
            LoginError::InvalidSecondFactor => Self::INVALID_SECOND_FACTOR,
        }
    }

    /// `Retry-After` for a lockout or an overloaded backend.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            LoginError::LockedOut { retry_after, .. } | LoginError::Overloaded { retry_after } => {
                Some(*retry_after)
            }
            _ => None,
        }
    }

    /// Whether the login failed on an outage that a retry may get past, not on anything
    /// about the user or the request: a store could not answer, a hook failed on a
    /// [`StoreError`] (as the lockout does when its counters are down; also wrapped in
    /// the hook's own error), a hook ran out of time, or the backend was
    /// [`Overloaded`](Self::Overloaded). A web layer answers 503.
    pub fn is_unavailable(&self) -> bool {
        match self {
            LoginError::StoreUnavailable(_) | LoginError::Overloaded { .. } => true,
            LoginError::HookFailed(failure) => failure_is_an_outage(failure),
            _ => false,
        }
    }

    pub(crate) fn from_hook(error: AuthHookError) -> Self {
        match error {
            AuthHookError::Rejected(rejected) => {
                let HookRejected { hook, reject, .. } = *rejected;
                match reject.retry_after() {
                    Some(retry_after) => LoginError::LockedOut {
                        retry_after,
                        hook,
                        message: reject.message().to_owned(),
                    },
                    None => LoginError::Rejected {
                        hook,
                        message: reject.message().to_owned(),
                    },
                }
            }
            AuthHookError::Failed(failed) => LoginError::HookFailed(*failed),
            // The flow keeps a challenged login waiting (`AuthFlow::finish_login`); a
            // challenge reaching here has no continuation: refused.
            AuthHookError::Challenged(challenged) => LoginError::Rejected {
                hook: challenged.hook,
                message: AuthHookReject::DEFAULT_MESSAGE.to_owned(),
            },
        }
    }
}

/// Why a logout did not complete.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LogoutError {
    /// The store could not revoke: the session or token may still be valid. Answer 503
    /// and let the client retry.
    #[error("logout failed: {0}")]
    StoreUnavailable(#[from] StoreError),
    /// An `on_logout` hook failed under `raise`. The session or token *was* revoked.
    #[error("logout hook failed after revocation: {0}")]
    HookFailed(#[source] AuthHookExecutionError),
    /// The flow has no sessions (or no tokens) configured, but was asked to end one.
    #[error("logout of a {0} but the flow has no {0}s configured")]
    NotConfigured(&'static str),
}

impl LogoutError {
    /// Whether the logout could not be done (the session or token may still be valid),
    /// so the client must not believe it is logged out: a web layer answers 503. An
    /// `on_logout` hook failing after the revocation is not.
    pub fn is_unavailable(&self) -> bool {
        !matches!(self, LogoutError::HookFailed(_))
    }

    /// The only text to show the client.
    pub fn client_message(&self) -> &str {
        match self {
            LogoutError::StoreUnavailable(_) | LogoutError::NotConfigured(_) => UNAVAILABLE,
            LogoutError::HookFailed(_) => "Logged out.",
        }
    }
}

/// Why a session or token was not accepted.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// Unknown, malformed or forged session id or token, or a token of the wrong kind.
    #[error("invalid session or token")]
    Invalid,
    /// The session or token expired.
    #[error("session or token expired")]
    Expired,
    /// The session was ended or the token revoked.
    #[error("session or token revoked")]
    Revoked,
    /// The user behind it no longer exists or is disabled.
    #[error("the user no longer exists or is disabled")]
    UnknownUser,
    /// A store could not answer: refused (fail closed). Answer 503.
    #[error("authentication refused: {0}")]
    StoreUnavailable(#[from] StoreError),
    /// The flow has no sessions (or no tokens) configured.
    #[error("{0}s are not configured in this flow")]
    NotConfigured(&'static str),
    /// A hook refused (a `before_authenticate` rule, an `on_refresh` check); `message`
    /// is what the hook marked as safe to show. With `retry_after`, answer 429.
    #[error("refused by auth hook `{hook}`")]
    Rejected {
        /// The hook that refused.
        hook: String,
        /// The message for the user.
        message: String,
        /// When to try again, for a temporary refusal (a throttle).
        retry_after: Option<Duration>,
    },
    /// A hook failed under `raise`: nothing was spent, the client may retry.
    #[error("refresh failed: {0}")]
    HookFailed(#[source] AuthHookExecutionError),
}

impl AuthError {
    /// Whether the check could not be made (a store is down, or the flow lacks what the
    /// credential needs) rather than the credential being refused: a web layer answers
    /// 503, not 401.
    pub fn is_unavailable(&self) -> bool {
        match self {
            AuthError::StoreUnavailable(_) | AuthError::NotConfigured(_) => true,
            AuthError::HookFailed(failure) => failure_is_an_outage(failure),
            _ => false,
        }
    }

    pub(crate) fn from_hook(error: AuthHookError) -> Self {
        match error {
            AuthHookError::Rejected(rejected) => AuthError::Rejected {
                message: rejected.reject.message().to_owned(),
                retry_after: rejected.reject.retry_after(),
                hook: rejected.hook,
            },
            AuthHookError::Failed(failed) => AuthError::HookFailed(*failed),
            // Only before_login challenges: a refresh never does.
            AuthHookError::Challenged(challenged) => AuthError::Rejected {
                hook: challenged.hook,
                message: AuthHookReject::DEFAULT_MESSAGE.to_owned(),
                retry_after: None,
            },
        }
    }

    /// The only text to show the client.
    pub fn client_message(&self) -> &str {
        match self {
            AuthError::StoreUnavailable(_) | AuthError::NotConfigured(_) => UNAVAILABLE,
            AuthError::HookFailed(failure) if failure_is_an_outage(failure) => UNAVAILABLE,
            AuthError::Rejected { message, .. } => message,
            AuthError::Expired => "Your session has expired. Please log in again.",
            _ => "Authentication required.",
        }
    }
}

impl From<TokenError> for AuthError {
    fn from(error: TokenError) -> Self {
        match error {
            TokenError::Invalid => AuthError::Invalid,
            TokenError::Expired => AuthError::Expired,
            TokenError::Revoked => AuthError::Revoked,
            TokenError::Store(e) => AuthError::StoreUnavailable(e),
            TokenError::Encode(e) => {
                AuthError::StoreUnavailable(StoreError::new(format!("token encoding failed: {e}")))
            }
        }
    }
}

impl From<TokenError> for LoginError {
    fn from(error: TokenError) -> Self {
        match error {
            TokenError::Store(e) => LoginError::StoreUnavailable(e),
            other => LoginError::StoreUnavailable(StoreError::new(format!(
                "tokens could not be issued: {other}"
            ))),
        }
    }
}

/// Whether a hook failed on an outage a retry may get past: a timeout, or an error that
/// is (or wraps) a [`StoreError`].
fn failure_is_an_outage(failure: &AuthHookExecutionError) -> bool {
    matches!(
        failure.source,
        HookFailure::TimedOut(_) | HookFailure::BudgetExceeded(_) | HookFailure::BreakerOpen
    ) || failure.hook_error().is_some_and(caused_by_store)
}

/// Whether `error`, or an error it wraps, is a [`StoreError`].
fn caused_by_store(error: &(dyn std::error::Error + Send + Sync + 'static)) -> bool {
    let mut next: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(error) = next {
        if error.is::<StoreError>() {
            return true;
        }
        next = error.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use auth_hooks::{AuthHookExecutionError, BoxError, HookFailure, Phase};

    use super::*;

    /// A hook's error wrapping a store's, as an application hook might.
    #[derive(Debug, thiserror::Error)]
    #[error("deny-list lookup failed")]
    struct Wrapped(#[source] StoreError);

    fn hook_failed(source: HookFailure) -> LoginError {
        LoginError::HookFailed(AuthHookExecutionError {
            phase: Phase::BeforeLogin,
            hook: "auth_hooks_flow::builtin::lockout::check".into(),
            source,
        })
    }

    #[test]
    fn an_outage_is_unavailable_whatever_carries_it() {
        assert!(LoginError::StoreUnavailable(StoreError::new("down")).is_unavailable());
        for error in [
            Box::new(StoreError::new("redis refused")) as BoxError,
            Box::new(Wrapped(StoreError::new("redis refused"))),
        ] {
            assert!(hook_failed(HookFailure::Error(error)).is_unavailable());
        }
        assert!(hook_failed(HookFailure::TimedOut(Duration::from_millis(30))).is_unavailable());
    }

    #[test]
    fn overloaded_is_unavailable_with_its_retry_after_and_a_generic_message() {
        let error = LoginError::Overloaded {
            retry_after: Duration::from_secs(2),
        };
        assert!(error.is_unavailable());
        assert_eq!(error.retry_after(), Some(Duration::from_secs(2)));
        assert_eq!(error.client_message(), OVERLOADED);
        assert!(error.client_message().contains("try again"));
    }

    #[test]
    fn anything_about_the_user_or_a_hooks_own_failure_is_not() {
        for error in [
            LoginError::InvalidCredentials,
            LoginError::MalformedCredentials("no password".into()),
            LoginError::Rejected {
                hook: "h".into(),
                message: "Suspended.".into(),
            },
            // Text that looks like an outage is not one: only the type counts.
            hook_failed(HookFailure::Error(Box::new(std::io::Error::other(
                "store unavailable",
            )))),
            hook_failed(HookFailure::Panicked("store unavailable".into())),
        ] {
            assert!(!error.is_unavailable(), "{error:?}");
        }
    }

    #[test]
    fn auth_and_logout_errors_say_when_they_could_not_decide() {
        assert!(AuthError::StoreUnavailable(StoreError::new("x")).is_unavailable());
        assert!(AuthError::NotConfigured("session").is_unavailable());
        assert!(!AuthError::Revoked.is_unavailable());
        assert!(!AuthError::Expired.is_unavailable());
        assert!(LogoutError::StoreUnavailable(StoreError::new("x")).is_unavailable());
        assert!(!LogoutError::HookFailed(AuthHookExecutionError {
            phase: Phase::OnLogout,
            hook: "h".into(),
            source: HookFailure::Panicked("x".into()),
        })
        .is_unavailable());
    }
}
