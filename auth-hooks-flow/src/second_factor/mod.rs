//! A second factor a `before_login` hook requires: TOTP (RFC 6238) and recovery codes,
//! a challenge and a resume.
//!
//! A `before_login` hook that returns [`AuthHookChallenge`](auth_hooks::AuthHookChallenge)
//! (the built-in [`totp`](crate::builtin::totp) does for every user with a confirmed TOTP
//! secret) stops the login before any session or token exists. The login answers
//! [`LoginError::SecondFactorRequired`](crate::LoginError::SecondFactorRequired): the
//! factor and a [`Continuation`], 256 random bits kept only as a keyed hash, bound to
//! the user and to where the login stopped, live 5 minutes. [`AuthFlow::resume_login`](crate::AuthFlow::resume_login)
//! with it and a code runs the gate (`before_authenticate`: the lockout and IP throttle
//! count the code like a password), checks the code (a TOTP code is accepted once:
//! its time step is spent atomically; a recovery code is spent atomically), then the
//! `before_login` hooks after the one that challenged, the session and tokens, and
//! `on_login`, which sees `amr` (`["pwd", "otp"]`) in its metadata, as the tokens carry
//! it as a claim.
//!
//! Configure with [`AuthFlowBuilder::second_factor`](crate::AuthFlowBuilder::second_factor).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::random::{hex, random_bytes};
use crate::{Clock, StoreError, SystemClock};

mod continuation;
mod enroll;
mod recovery;
mod resume;
mod store;
mod totp;

pub use continuation::{
    Continuation, ContinuationRecord, ContinuationStore, MemoryContinuationStore,
};
pub use enroll::{SecondFactorError, TotpSetup};
pub use recovery::{RecoveryCodes, RECOVERY_CODES};
pub use store::{MemorySecondFactorStore, SecondFactorStore, TotpEnrollment};
pub use totp::{qr_svg, InvalidTotpSecret, TotpSecret, TOTP_DIGITS, TOTP_STEP_SECS};

/// The `amr` value (RFC 8176) of a password.
pub const AMR_PASSWORD: &str = "pwd";
/// The `amr` value of a TOTP code.
pub const AMR_OTP: &str = "otp";
/// The `amr` value of a recovery code (RFC 8176 has none; named plainly).
pub const AMR_RECOVERY_CODE: &str = "recovery_code";

/// The second-factor service: where factors and waiting logins are kept, the key their
/// tokens and codes are hashed with, and the clock.
#[derive(Clone)]
pub struct SecondFactor {
    pub(crate) factors: Arc<dyn SecondFactorStore>,
    pub(crate) continuations: Arc<dyn ContinuationStore>,
    key: Arc<[u8; 32]>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) issuer: String,
    pub(crate) ttl: Duration,
}

impl SecondFactor {
    /// How long a continuation lives.
    pub const CONTINUATION_TTL: Duration = Duration::from_secs(300);
    /// Wrong codes one continuation takes before it is spent (the lockout, if active,
    /// counts each one as well).
    pub const MAX_CODE_FAILURES: u32 = 5;

    /// Factors in `factors`, waiting logins in `continuations`, a random key (set your
    /// own with [`with_key`](Self::with_key): recovery codes are hashed with it, so a
    /// random one makes them unusable after a restart), the system clock, issuer
    /// `auth-hooks`.
    pub fn new(
        factors: Arc<dyn SecondFactorStore>,
        continuations: Arc<dyn ContinuationStore>,
    ) -> Result<Self, StoreError> {
        Ok(SecondFactor {
            factors,
            continuations,
            key: Arc::new(random_bytes::<32>()?),
            clock: Arc::new(SystemClock),
            issuer: "auth-hooks".to_owned(),
            ttl: Self::CONTINUATION_TTL,
        })
    }

    /// The HMAC key continuations and recovery codes are hashed with: 32 bytes of
    /// secret, the same on every instance (e.g. `derive_key(secret, "second factor")`).
    pub fn with_key(mut self, key: [u8; 32]) -> Self {
        self.key = Arc::new(key);
        self
    }

    /// The clock codes and continuations are checked against.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The issuer authenticator apps show beside the account.
    pub fn with_issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = issuer.into();
        self
    }

    /// The store of each user's factors.
    pub fn factors(&self) -> &Arc<dyn SecondFactorStore> {
        &self.factors
    }

    /// Whether `user_id` has a confirmed TOTP secret (so the built-in hook challenges).
    pub async fn has_totp(&self, user_id: &str) -> Result<bool, StoreError> {
        Ok(self
            .factors
            .totp(user_id)
            .await?
            .is_some_and(|totp| totp.confirmed))
    }

    fn digest(&self, label: &str, parts: &[&str]) -> String {
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(&*self.key).expect("HMAC takes any key");
        mac.update(label.as_bytes());
        for part in parts {
            mac.update(&(part.len() as u64).to_be_bytes());
            mac.update(part.as_bytes());
        }
        hex(&mac.finalize().into_bytes())
    }

    pub(crate) fn continuation_hash(&self, token: &str) -> String {
        self.digest("continuation", &[token])
    }

    pub(crate) fn recovery_hash(&self, user_id: &str, normalized_code: &str) -> String {
        self.digest("recovery code", &[user_id, normalized_code])
    }

    /// What a continuation keeps of the user's [credentials
    /// version](crate::AuthBackend::credentials_version).
    pub(crate) fn credentials_stamp(&self, user_id: &str, version: Option<&str>) -> Option<String> {
        version.map(|version| self.digest("credentials", &[user_id, version]))
    }
}

impl fmt::Debug for SecondFactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecondFactor")
            .field("issuer", &self.issuer)
            .field("ttl", &self.ttl)
            .field("clock", &self.clock)
            .finish_non_exhaustive()
    }
}
