//! Each user's second factors: the [`SecondFactorStore`] trait and its in-memory
//! implementation.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;

use crate::second_factor::TotpSecret;
use crate::StoreError;

/// A user's TOTP enrollment.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TotpEnrollment {
    /// The secret (its `Debug` is redacted).
    pub secret: TotpSecret,
    /// Whether a first code confirmed it: only a confirmed secret is asked for at login.
    pub confirmed: bool,
    /// The last time step whose code was accepted: no code of it or of an earlier step
    /// is accepted again (RFC 6238 §5.2).
    pub last_step: Option<u64>,
}

impl TotpEnrollment {
    /// A secret waiting for its first code.
    pub fn pending(secret: TotpSecret) -> Self {
        TotpEnrollment {
            secret,
            confirmed: false,
            last_step: None,
        }
    }

    /// A secret already confirmed (set up by an operator, as the demo's user `grace`).
    pub fn confirmed(secret: TotpSecret) -> Self {
        TotpEnrollment {
            secret,
            confirmed: true,
            last_step: None,
        }
    }
}

/// Each user's second factors: a TOTP secret and the keyed hashes of recovery codes.
/// Every step that spends something (a code's time step, a recovery code) is atomic in
/// the store itself, so two requests racing with one code cannot both pass.
#[async_trait]
pub trait SecondFactorStore: Send + Sync {
    /// The user's TOTP enrollment, confirmed or pending.
    async fn totp(&self, user_id: &str) -> Result<Option<TotpEnrollment>, StoreError>;

    /// Sets the user's TOTP enrollment, replacing any.
    async fn set_totp(&self, user_id: &str, enrollment: TotpEnrollment) -> Result<(), StoreError>;

    /// Marks the user's TOTP secret confirmed; `false` if there is none.
    async fn confirm_totp(&self, user_id: &str) -> Result<bool, StoreError>;

    /// Spends the time step `step` of the user's TOTP, atomically: `true` if it is later
    /// than the last one accepted (and is now the last), `false` if it was used already
    /// (a replay) or the user has no TOTP.
    async fn accept_totp_step(&self, user_id: &str, step: u64) -> Result<bool, StoreError>;

    /// Replaces the user's recovery codes with these keyed hashes.
    async fn set_recovery_codes(
        &self,
        user_id: &str,
        hashes: Vec<String>,
    ) -> Result<(), StoreError>;

    /// Spends the recovery code with this hash, atomically: `true` once, then `false`.
    async fn use_recovery_code(&self, user_id: &str, hash: &str) -> Result<bool, StoreError>;

    /// How many recovery codes the user has left.
    async fn recovery_codes_left(&self, user_id: &str) -> Result<usize, StoreError>;

    /// Forgets the user's TOTP secret and recovery codes; `true` if there was a secret.
    async fn remove(&self, user_id: &str) -> Result<bool, StoreError>;
}

#[derive(Debug, Default)]
struct Factors {
    totp: Option<TotpEnrollment>,
    recovery: Vec<String>,
}

/// Second factors in a `HashMap` behind a mutex: for tests, demos and single-process apps.
#[derive(Debug, Default)]
pub struct MemorySecondFactorStore {
    users: Mutex<HashMap<String, Factors>>,
}

impl MemorySecondFactorStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> Result<MutexGuard<'_, HashMap<String, Factors>>, StoreError> {
        self.users
            .lock()
            .map_err(|_| StoreError::poisoned("MemorySecondFactorStore"))
    }
}

#[async_trait]
impl SecondFactorStore for MemorySecondFactorStore {
    async fn totp(&self, user_id: &str) -> Result<Option<TotpEnrollment>, StoreError> {
        Ok(self.lock()?.get(user_id).and_then(|f| f.totp.clone()))
    }

    async fn set_totp(&self, user_id: &str, enrollment: TotpEnrollment) -> Result<(), StoreError> {
        self.lock()?.entry(user_id.to_owned()).or_default().totp = Some(enrollment);
        Ok(())
    }

    async fn confirm_totp(&self, user_id: &str) -> Result<bool, StoreError> {
        let mut users = self.lock()?;
        match users.get_mut(user_id).and_then(|f| f.totp.as_mut()) {
            Some(totp) => {
                totp.confirmed = true;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    async fn accept_totp_step(&self, user_id: &str, step: u64) -> Result<bool, StoreError> {
        let mut users = self.lock()?;
        let Some(totp) = users.get_mut(user_id).and_then(|f| f.totp.as_mut()) else {
            return Ok(false);
        };
        if totp.last_step.is_some_and(|last| step <= last) {
            return Ok(false);
        }
        totp.last_step = Some(step);
        Ok(true)
    }

    async fn set_recovery_codes(
        &self,
        user_id: &str,
        hashes: Vec<String>,
    ) -> Result<(), StoreError> {
        self.lock()?.entry(user_id.to_owned()).or_default().recovery = hashes;
        Ok(())
    }

    async fn use_recovery_code(&self, user_id: &str, hash: &str) -> Result<bool, StoreError> {
        let mut users = self.lock()?;
        let Some(factors) = users.get_mut(user_id) else {
            return Ok(false);
        };
        let before = factors.recovery.len();
        factors.recovery.retain(|h| h != hash);
        Ok(factors.recovery.len() < before)
    }

    async fn recovery_codes_left(&self, user_id: &str) -> Result<usize, StoreError> {
        Ok(self.lock()?.get(user_id).map_or(0, |f| f.recovery.len()))
    }

    async fn remove(&self, user_id: &str) -> Result<bool, StoreError> {
        Ok(self
            .lock()?
            .remove(user_id)
            .is_some_and(|f| f.totp.is_some()))
    }
}
