//! What each flow error answers over HTTP. Details are logged here, once; the client
//! gets only the status and a safe message.

use auth_hooks_flow::second_factor::SecondFactorError;
use auth_hooks_flow::{AuthError, LoginError, LogoutError};
use axum::http::StatusCode;

use crate::WebError;

impl From<LoginError> for WebError {
    /// | error | status | client text |
    /// |---|---|---|
    /// | `Rejected` | 401 | the hook's safe message |
    /// | `InvalidCredentials` | 401 | "Invalid username or password." |
    /// | `LockedOut` | 429 + `Retry-After` | the hook's safe message |
    /// | `HookFailed` | 401 | "Login rejected." (the failure is logged) |
    /// | `HookFailed` that [`is_unavailable`](LoginError::is_unavailable) (a hook's store down, a timeout) | 503 + `Retry-After` | generic (a hook's store, as the lockout's counters, is down or too slow) |
    /// | `MalformedCredentials` | 422 | what is missing |
    /// | `StoreUnavailable` | 503 + `Retry-After` | generic |
    /// | `Overloaded` (too many logins being hashed) | 503 + its `Retry-After` | generic: try again |
    /// | `WeakPassword` (registration, password change) | 422 | the rule it breaks |
    /// | `WrongPassword` (password change) | 403 | "The current password is incorrect." |
    /// | `LoginTaken` (a registration that signs in) | 409 | "That username is taken." |
    /// | `Unsupported` (the backend cannot) | 501 | "Not supported here." |
    /// | `SecondFactorRequired` (the login routes answer it with the continuation instead) | 401 | "A second factor is required." |
    /// | `InvalidSecondFactor` | 401 | "Invalid or expired code." |
    fn from(error: LoginError) -> Self {
        let error_is_unavailable = error.is_unavailable();
        match error {
            LoginError::Rejected { message, .. } => WebError::unauthorized(message),
            LoginError::InvalidCredentials => {
                WebError::unauthorized(LoginError::INVALID_CREDENTIALS)
            }
            LoginError::LockedOut {
                retry_after,
                message,
                ..
            } => WebError::too_many_requests(message, retry_after),
            LoginError::HookFailed(failure) if error_is_unavailable => {
                tracing::error!(
                    phase = %failure.phase,
                    hook = %failure.hook,
                    cause = %auth_hooks::LogSafe(&failure.source),
                    "login refused: an auth hook's store is unavailable or too slow"
                );
                WebError::unavailable()
            }
            LoginError::HookFailed(failure) => {
                tracing::warn!(
                    phase = %failure.phase,
                    hook = %failure.hook,
                    cause = %auth_hooks::LogSafe(&failure.source),
                    "login refused: an auth hook failed"
                );
                WebError::unauthorized(WebError::LOGIN_REJECTED)
            }
            LoginError::MalformedCredentials(message) => {
                WebError::unprocessable(capitalized(&message))
            }
            LoginError::StoreUnavailable(store) => {
                tracing::error!(error = %auth_hooks::LogSafe(&store), "login refused: a store is unavailable");
                WebError::unavailable()
            }
            LoginError::Overloaded { retry_after } => {
                tracing::warn!(
                    retry_after_ms = retry_after.as_millis(),
                    "login refused: too many logins are being hashed"
                );
                WebError::overloaded(error.client_message().to_owned(), retry_after)
            }
            LoginError::WeakPassword(rejected) => WebError::unprocessable(rejected.to_string()),
            LoginError::WrongPassword => {
                WebError::new(StatusCode::FORBIDDEN, LoginError::WRONG_PASSWORD)
            }
            LoginError::LoginTaken => WebError::new(StatusCode::CONFLICT, LoginError::LOGIN_TAKEN),
            LoginError::Unsupported(what) => {
                tracing::error!(what, "refused: the auth backend does not support it");
                WebError::new(
                    StatusCode::NOT_IMPLEMENTED,
                    error.client_message().to_owned(),
                )
            }
            LoginError::SecondFactorRequired { .. } | LoginError::InvalidSecondFactor => {
                WebError::unauthorized(error.client_message().to_owned())
            }
            other => {
                tracing::error!(error = %auth_hooks::LogSafe(&other), "login refused");
                WebError::new(StatusCode::INTERNAL_SERVER_ERROR, WebError::LOGIN_REJECTED)
            }
        }
    }
}

impl From<SecondFactorError> for WebError {
    /// A wrong code 422, a state that does not allow the step 409, the gate's refusal
    /// as a login's, a store outage 503, no second factor configured 404.
    fn from(error: SecondFactorError) -> Self {
        let message = error.client_message().to_owned();
        match error {
            SecondFactorError::InvalidCode => WebError::unprocessable(message),
            SecondFactorError::AlreadyEnrolled | SecondFactorError::NotEnrolled => {
                WebError::new(StatusCode::CONFLICT, message)
            }
            SecondFactorError::Refused(error) => error.into(),
            SecondFactorError::StoreUnavailable(store) => {
                tracing::error!(error = %auth_hooks::LogSafe(&store), "second factor refused: a store is unavailable");
                WebError::unavailable()
            }
            _ => WebError::new(StatusCode::NOT_FOUND, message),
        }
    }
}

impl From<AuthError> for WebError {
    /// A store or configuration problem is a 503; anything else (invalid, expired,
    /// revoked, unknown user) a 401 with `WWW-Authenticate: Bearer`.
    fn from(error: AuthError) -> Self {
        match error {
            error if error.is_unavailable() => {
                tracing::error!(error = %auth_hooks::LogSafe(&error), "authentication refused");
                WebError::unavailable()
            }
            AuthError::Rejected {
                message,
                retry_after: Some(retry_after),
                ..
            } => WebError::too_many_requests(message, retry_after),
            AuthError::Rejected { message, .. } => {
                WebError::unauthorized(message).with_bearer_challenge()
            }
            other => {
                tracing::debug!(error = %auth_hooks::LogSafe(&other), "credential refused");
                WebError::unauthorized(other.client_message().to_owned()).with_bearer_challenge()
            }
        }
    }
}

impl From<LogoutError> for WebError {
    /// Only reached when the logout could not be done: a 503, so the client does not
    /// believe it is logged out when it is not.
    fn from(error: LogoutError) -> Self {
        tracing::error!(error = %auth_hooks::LogSafe(&error), "logout failed");
        WebError::unavailable()
    }
}

/// Backend messages are written as phrases ("a `username` … is required"); the
/// client reads sentences.
fn capitalized(message: &str) -> String {
    let mut chars = message.chars();
    let mut out: String = chars
        .next()
        .map(|c| c.to_uppercase().collect())
        .unwrap_or_default();
    out.push_str(chars.as_str());
    if !out.ends_with('.') {
        out.push('.');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    use auth_hooks::{AuthHookExecutionError, HookFailure, Phase};
    use auth_hooks_flow::StoreError;

    #[test]
    fn login_errors_map_to_their_status_and_safe_text() {
        let cases: Vec<(LoginError, StatusCode, &str)> = vec![
            (
                LoginError::Rejected {
                    hook: "h".into(),
                    message: "Suspended.".into(),
                },
                StatusCode::UNAUTHORIZED,
                "Suspended.",
            ),
            (
                LoginError::InvalidCredentials,
                StatusCode::UNAUTHORIZED,
                "Invalid username or password.",
            ),
            (
                LoginError::HookFailed(AuthHookExecutionError {
                    phase: Phase::BeforeLogin,
                    hook: "geo".into(),
                    source: HookFailure::Panicked("db password is hunter2".into()),
                }),
                StatusCode::UNAUTHORIZED,
                "Login rejected.",
            ),
            (
                LoginError::MalformedCredentials("the password is longer than 1024 bytes".into()),
                StatusCode::UNPROCESSABLE_ENTITY,
                "The password is longer than 1024 bytes.",
            ),
            (
                LoginError::StoreUnavailable(StoreError::new("redis at 10.0.0.5 refused")),
                StatusCode::SERVICE_UNAVAILABLE,
                WebError::UNAVAILABLE,
            ),
            (
                LoginError::Overloaded {
                    retry_after: Duration::from_secs(2),
                },
                StatusCode::SERVICE_UNAVAILABLE,
                "Too many logins right now. Please try again in a moment.",
            ),
        ];
        for (error, status, text) in cases {
            let web = WebError::from(error);
            assert_eq!((web.status(), web.message()), (status, text));
        }
    }

    #[test]
    fn overloaded_is_503_with_its_retry_after() {
        let web = WebError::from(LoginError::Overloaded {
            retry_after: Duration::from_secs(2),
        });
        assert_eq!(web.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(web.retry_after(), Some(Duration::from_secs(2)));
    }

    fn hook_failed(source: HookFailure) -> LoginError {
        LoginError::HookFailed(AuthHookExecutionError {
            phase: Phase::BeforeLogin,
            hook: "auth_hooks_flow::builtin::lockout::check".into(),
            source,
        })
    }

    /// What counts as an outage is the flow's decision (`LoginError::is_unavailable`,
    /// tested with wrapped store errors there); here, that it becomes a 503.
    #[test]
    fn a_hook_failing_on_a_store_is_503_not_a_rejection() {
        let store_down = Box::new(StoreError::new("redis at 10.0.0.5 refused"));
        let web = WebError::from(hook_failed(HookFailure::Error(store_down)));
        assert_eq!(
            (web.status(), web.message()),
            (StatusCode::SERVICE_UNAVAILABLE, WebError::UNAVAILABLE)
        );
        // A hook that ran out of time met a slow service: retry later, as for a store.
        let web = WebError::from(hook_failed(HookFailure::TimedOut(Duration::from_millis(
            30,
        ))));
        assert_eq!(web.status(), StatusCode::SERVICE_UNAVAILABLE);
        // Any other failure is still the hook's refusal.
        for failure in [
            HookFailure::Error(Box::new(std::io::Error::other("store unavailable"))),
            HookFailure::Panicked("store unavailable".into()),
        ] {
            let web = WebError::from(hook_failed(failure));
            assert_eq!(
                (web.status(), web.message()),
                (StatusCode::UNAUTHORIZED, WebError::LOGIN_REJECTED)
            );
        }
    }

    #[test]
    fn lockout_is_429_with_retry_after() {
        let web = WebError::from(LoginError::LockedOut {
            retry_after: Duration::from_secs(900),
            hook: "lockout".into(),
            message: "Too many attempts.".into(),
        });
        assert_eq!(web.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(web.retry_after(), Some(Duration::from_secs(900)));
        assert_eq!(web.message(), "Too many attempts.");
    }

    #[test]
    fn auth_errors_are_401_or_503() {
        assert_eq!(
            WebError::from(AuthError::Revoked).status(),
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            WebError::from(AuthError::Invalid).message(),
            "Authentication required."
        );
        assert_eq!(
            WebError::from(AuthError::StoreUnavailable(StoreError::new("x"))).status(),
            StatusCode::SERVICE_UNAVAILABLE
        );
        assert_eq!(
            WebError::from(LogoutError::StoreUnavailable(StoreError::new("x"))).status(),
            StatusCode::SERVICE_UNAVAILABLE
        );
    }
}
