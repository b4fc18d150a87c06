//! Enrolling a TOTP secret, confirming it with a first code, removing it.

use std::fmt;

use serde_json::json;
use zeroize::Zeroizing;

use auth_hooks::{Phase, RequestMeta};

use super::recovery::normalize_recovery_code;
use super::{qr_svg, RecoveryCodes, SecondFactor, TotpEnrollment, TotpSecret};
use crate::{AuthFlow, LoginError, StoreError};

/// Why an enrollment step did not happen.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SecondFactorError {
    /// The flow has no [`SecondFactor`] configured.
    #[error("the flow has no second factor configured")]
    NotConfigured,
    /// The user has a confirmed TOTP secret already: remove it first.
    #[error("a TOTP secret is enrolled already")]
    AlreadyEnrolled,
    /// No TOTP secret to confirm or remove.
    #[error("no TOTP secret is enrolled")]
    NotEnrolled,
    /// The code was wrong, replayed, or not a code.
    #[error("the code is wrong")]
    InvalidCode,
    /// The gate (`before_authenticate`: lockout, IP throttle) refused the attempt.
    #[error(transparent)]
    Refused(LoginError),
    /// A store or the RNG failed.
    #[error("second factor unavailable: {0}")]
    StoreUnavailable(#[from] StoreError),
}

impl SecondFactorError {
    /// The only text to show the client.
    pub fn client_message(&self) -> &str {
        match self {
            SecondFactorError::NotConfigured => "Not supported here.",
            SecondFactorError::AlreadyEnrolled => {
                "An authenticator app is set up already: remove it first."
            }
            SecondFactorError::NotEnrolled => "No authenticator app is set up.",
            SecondFactorError::InvalidCode => LoginError::INVALID_SECOND_FACTOR,
            SecondFactorError::Refused(error) => error.client_message(),
            SecondFactorError::StoreUnavailable(_) => {
                "Service temporarily unavailable. Please try again later."
            }
        }
    }
}

/// A TOTP secret waiting for its first code: what to show the user once.
/// `Debug` is redacted.
pub struct TotpSetup {
    /// The `otpauth://totp/…` URI (holds the secret).
    pub uri: Zeroizing<String>,
    /// The secret in base32, to type into an app by hand.
    pub secret: Zeroizing<String>,
    /// The URI as a QR code, an inline `<svg>` element.
    pub qr_svg: Option<String>,
}

impl fmt::Debug for TotpSetup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TotpSetup(..)")
    }
}

impl AuthFlow {
    fn second_factor_service(&self) -> Result<&SecondFactor, SecondFactorError> {
        self.second_factor
            .as_ref()
            .ok_or(SecondFactorError::NotConfigured)
    }

    /// The gate a code typed by a signed-in user goes through (the lockout counts it
    /// under `login`, as at the login).
    async fn gate_code(&self, request: RequestMeta, login: &str) -> Result<(), SecondFactorError> {
        let gate = self
            .context(request)
            .credentials_with(json!({ "username": login }), self.hook_fields.sanitizer())
            .metadata("authentication_method", "second_factor")
            .build();
        self.hooks
            .run(Phase::BeforeAuthenticate, &gate)
            .await
            .map_err(|error| SecondFactorError::Refused(LoginError::from_hook(error)))
    }

    /// Starts a TOTP enrollment for `user_id`: a new random secret, pending until
    /// [`confirm_totp_enrollment`](Self::confirm_totp_enrollment). `account` is the
    /// name the app shows (the login name). A pending secret is replaced.
    pub async fn start_totp_enrollment(
        &self,
        user_id: &str,
        account: &str,
    ) -> Result<TotpSetup, SecondFactorError> {
        let second_factor = self.second_factor_service()?;
        if second_factor.has_totp(user_id).await? {
            return Err(SecondFactorError::AlreadyEnrolled);
        }
        let secret = TotpSecret::generate()?;
        let uri = Zeroizing::new(secret.otpauth_uri(&second_factor.issuer, account));
        let setup = TotpSetup {
            qr_svg: qr_svg(&uri),
            secret: Zeroizing::new(secret.to_base32()),
            uri,
        };
        second_factor
            .factors
            .set_totp(user_id, TotpEnrollment::pending(secret))
            .await?;
        Ok(setup)
    }

    /// Confirms the pending TOTP secret of `user_id` with a first code, and makes ten
    /// recovery codes: shown once, kept hashed. From now on the built-in `totp` hook
    /// asks for a code at every login. (Guessing the code of a secret one was just
    /// shown gains nothing, so this passes no gate.)
    pub async fn confirm_totp_enrollment(
        &self,
        user_id: &str,
        code: &str,
    ) -> Result<RecoveryCodes, SecondFactorError> {
        let second_factor = self.second_factor_service()?;
        let totp = match second_factor.factors.totp(user_id).await? {
            Some(totp) if totp.confirmed => return Err(SecondFactorError::AlreadyEnrolled),
            Some(totp) => totp,
            None => return Err(SecondFactorError::NotEnrolled),
        };
        let now = second_factor.clock.now();
        let Some(step) = totp.secret.matching_step(code, now) else {
            return Err(SecondFactorError::InvalidCode);
        };
        if !second_factor
            .factors
            .accept_totp_step(user_id, step)
            .await?
        {
            return Err(SecondFactorError::InvalidCode);
        }
        let codes = RecoveryCodes::generate()?;
        let hashes = codes
            .expose()
            .filter_map(normalize_recovery_code)
            .map(|code| second_factor.recovery_hash(user_id, &code))
            .collect();
        second_factor
            .factors
            .set_recovery_codes(user_id, hashes)
            .await?;
        second_factor.factors.confirm_totp(user_id).await?;
        tracing::info!(target: "auth_hooks::audit", outcome = "second_factor_enrolled", factor = "totp", user_id, "second factor enrolled");
        Ok(codes)
    }

    /// Removes the TOTP secret and recovery codes of `user_id`, proven by a fresh TOTP
    /// code or a recovery code (through the gate, as `login`).
    pub async fn remove_totp(
        &self,
        user_id: &str,
        login: &str,
        code: &str,
        request: RequestMeta,
    ) -> Result<(), SecondFactorError> {
        self.remove_totp_proven(user_id, login, RemovalProof::Code(code), request)
            .await
    }

    /// Removes the TOTP secret and recovery codes of `user_id`, proven by the account's
    /// password instead of a code (the phone is lost and the recovery codes too),
    /// through the same gate: guessing the password here counts as guessing it at the
    /// login. A wrong password answers [`LoginError::WrongPassword`].
    pub async fn remove_totp_with_password(
        &self,
        user_id: &str,
        login: &str,
        password: &str,
        request: RequestMeta,
    ) -> Result<(), SecondFactorError> {
        self.remove_totp_proven(user_id, login, RemovalProof::Password(password), request)
            .await
    }

    async fn remove_totp_proven(
        &self,
        user_id: &str,
        login: &str,
        proof: RemovalProof<'_>,
        request: RequestMeta,
    ) -> Result<(), SecondFactorError> {
        let second_factor = self.second_factor_service()?;
        let Some(totp) = second_factor
            .factors
            .totp(user_id)
            .await?
            .filter(|t| t.confirmed)
        else {
            return Err(SecondFactorError::NotEnrolled);
        };
        self.gate_code(request, login).await?;
        let proven = match proof {
            RemovalProof::Password(password) => {
                let credentials = crate::Credentials::password(login, password);
                match self.backend.authenticate(&credentials).await {
                    Ok(crate::AuthOutcome::Authenticated(user)) if user.id == user_id => true,
                    Ok(_) => return Err(SecondFactorError::Refused(LoginError::WrongPassword)),
                    Err(error) => {
                        return Err(SecondFactorError::Refused(LoginError::from_backend(
                            error,
                            &self.backend_name,
                        )))
                    }
                }
            }
            RemovalProof::Code(code) => match normalize_recovery_code(code) {
                Some(recovery) => {
                    let hash = second_factor.recovery_hash(user_id, &recovery);
                    second_factor
                        .factors
                        .use_recovery_code(user_id, &hash)
                        .await?
                }
                None => match totp.secret.matching_step(code, second_factor.clock.now()) {
                    Some(step) => {
                        second_factor
                            .factors
                            .accept_totp_step(user_id, step)
                            .await?
                    }
                    None => false,
                },
            },
        };
        if !proven {
            return Err(SecondFactorError::InvalidCode);
        }
        second_factor.factors.remove(user_id).await?;
        tracing::info!(target: "auth_hooks::audit", outcome = "second_factor_removed", factor = "totp", user_id, "second factor removed");
        Ok(())
    }
}

/// What proves a TOTP removal.
enum RemovalProof<'a> {
    /// A fresh TOTP code, or a recovery code.
    Code(&'a str),
    /// The account's password.
    Password(&'a str),
}
