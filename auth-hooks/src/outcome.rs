//! What a hook returns, and how each allowed return type is read.

use crate::{AuthHookChallenge, AuthHookReject};

/// A boxed error of any kind, as hooks may return (`anyhow::Error` converts into it).
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// The ways a hook can say no (or "not yet"), kept apart on purpose.
///
/// Return `Result<(), HookError>` from a hook that may both reject and fail: `?` turns an
/// [`AuthHookReject`] into [`HookError::Reject`], an [`AuthHookChallenge`] into
/// [`HookError::Challenge`] and any other error into [`HookError::Failed`].
#[derive(Debug)]
pub enum HookError {
    /// A deliberate refusal: stops a login in `before_login` under any policy.
    Reject(AuthHookReject),
    /// Something went wrong: handled under the phase's [`ErrorPolicy`](crate::ErrorPolicy).
    Failed(BoxError),
    /// A second factor is required before the login goes on: only in `before_login`
    /// (elsewhere a failure under the phase's policy).
    Challenge(AuthHookChallenge),
}

impl From<AuthHookChallenge> for HookError {
    fn from(challenge: AuthHookChallenge) -> Self {
        HookError::Challenge(challenge)
    }
}

impl From<AuthHookReject> for HookError {
    fn from(reject: AuthHookReject) -> Self {
        HookError::Reject(reject)
    }
}

impl<E: Into<BoxError>> From<E> for HookError {
    fn from(error: E) -> Self {
        HookError::Failed(error.into())
    }
}

/// The uniform result of one hook call, whatever the hook's declared return type.
pub type HookResult = Result<(), HookError>;

/// Implemented by every type a hook may return.
///
/// - `()`: the hook cannot fail;
/// - `Result<(), AuthHookReject>`: the hook may reject;
/// - `Result<(), AuthHookChallenge>`: a `before_login` hook may require a second factor;
/// - `Result<(), E>` for any `E: std::error::Error + Send + Sync + 'static`, a
///   [`BoxError`], `anyhow::Error`, or a `String`: the hook may fail;
/// - `Result<(), HookError>`: the hook may do both.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a return type an auth hook can have",
    label = "this return type is not supported by auth hooks",
    note = "return `()`, `Result<(), AuthHookReject>` to reject a login, `Result<(), E>` where `E: std::error::Error + Send + Sync + 'static` to report a failure, or `Result<(), HookError>` for both"
)]
pub trait IntoHookResult {
    /// Converts the hook's return value into a [`HookResult`].
    fn into_hook_result(self) -> HookResult;
}

// `do_not_recommend` on both impls: for `Result<(), u32>` the error is the trait's own
// message rather than a chain of `From` bounds, and its note, not a partial list of
// impls, says what to return.
#[diagnostic::do_not_recommend]
impl IntoHookResult for () {
    #[inline]
    fn into_hook_result(self) -> HookResult {
        Ok(())
    }
}

#[diagnostic::do_not_recommend]
impl<E: Into<HookError>> IntoHookResult for Result<(), E> {
    #[inline]
    fn into_hook_result(self) -> HookResult {
        self.map_err(Into::into)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reject_stays_a_reject_and_an_error_stays_a_failure() {
        let reject: Result<(), AuthHookReject> = Err(AuthHookReject::new("no"));
        assert!(matches!(
            reject.into_hook_result(),
            Err(HookError::Reject(r)) if r.message() == "no"
        ));
        let io: Result<(), std::io::Error> = Err(std::io::Error::other("disk"));
        assert!(
            matches!(io.into_hook_result(), Err(HookError::Failed(e)) if e.to_string() == "disk")
        );
        let boxed: Result<(), BoxError> = Err("boxed".into());
        assert!(matches!(
            boxed.into_hook_result(),
            Err(HookError::Failed(_))
        ));
        assert!(().into_hook_result().is_ok());
    }

    #[test]
    fn a_challenge_stays_a_challenge() {
        let challenge: Result<(), AuthHookChallenge> = Err(AuthHookChallenge::totp());
        assert!(matches!(
            challenge.into_hook_result(),
            Err(HookError::Challenge(c)) if c.factor() == "totp"
        ));
        fn hook() -> Result<(), HookError> {
            Err(AuthHookChallenge::new("webauthn"))?;
            Ok(())
        }
        assert!(matches!(hook(), Err(HookError::Challenge(c)) if c.factor() == "webauthn"));
    }

    #[test]
    fn question_mark_sorts_both_kinds_into_hook_error() {
        fn hook(reject: bool) -> Result<(), HookError> {
            if reject {
                Err(AuthHookReject::default())?;
            }
            "42x".parse::<u32>()?;
            Ok(())
        }
        assert!(matches!(hook(true), Err(HookError::Reject(_))));
        assert!(matches!(hook(false), Err(HookError::Failed(_))));
    }
}
