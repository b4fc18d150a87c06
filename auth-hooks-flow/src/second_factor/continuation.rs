//! A login waiting for its second factor: the [`ContinuationStore`] trait, its record,
//! and its in-memory implementation.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Mutex, MutexGuard};
use std::time::SystemTime;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::StoreError;

/// The opaque token a challenged login answers with, to send back with the code.
/// 256 random bits; the store keeps only its keyed hash. `Debug` is redacted.
#[derive(Clone, PartialEq, Eq)]
pub struct Continuation(String);

impl Continuation {
    pub(crate) fn new(token: String) -> Self {
        Continuation(token)
    }

    /// The token's text, for the client (a JSON field, a hidden form field). Never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Continuation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Continuation(..)")
    }
}

/// Where a challenged login stopped: whose it is, what it waits for, and what to resume.
/// Holds no secret (the token is only its hash, the store's key).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ContinuationRecord {
    /// The user whose password (first factor) was verified.
    pub user_id: String,
    /// The normalized login name, for the gate (the lockout counts the code under it).
    pub login: String,
    /// What hooks saw of the credentials (allowed fields, sanitized).
    pub fields: Value,
    /// The `before_login` hook that challenged: the login resumes after it.
    pub resume_after: String,
    /// The factor required (`totp`).
    pub factor: String,
    /// The factors passed so far (`["pwd"]`).
    pub amr: Vec<String>,
    /// When the continuation expires (5 minutes after the challenge).
    pub expires_at: SystemTime,
    /// Wrong codes sent with it so far.
    pub failures: u32,
    /// A keyed hash of the user's credentials version when the password passed: a
    /// resume finding another (the password changed meanwhile) is refused.
    #[serde(default)]
    pub credentials: Option<String>,
}

impl ContinuationRecord {
    /// Whether the record is live at `now`: it ends at its `expires_at`.
    pub fn is_live_at(&self, now: SystemTime) -> bool {
        now < self.expires_at
    }

    /// The record as JSON text, for a store that keeps it as one value (SQLite, Redis):
    /// [`from_json`](Self::from_json) reads it back exactly (instants to the nanosecond).
    pub fn to_json(&self) -> Result<String, StoreError> {
        serde_json::to_string(self)
            .map_err(|e| StoreError::with_source("a continuation cannot be written as JSON", e))
    }

    /// A record written by [`to_json`](Self::to_json).
    pub fn from_json(text: &str) -> Result<Self, StoreError> {
        serde_json::from_str(text)
            .map_err(|e| StoreError::with_source("a stored continuation is malformed", e))
    }
}

/// Challenged logins waiting for their second factor, under the keyed hash of their
/// continuation token.
#[async_trait]
pub trait ContinuationStore: Send + Sync {
    /// Stores `record` under `id_hash` until its `expires_at`, replacing any.
    async fn put(&self, id_hash: &str, record: &ContinuationRecord) -> Result<(), StoreError>;

    /// Removes and returns the record under `id_hash` if it is live at `now`,
    /// atomically: of two concurrent takes at most one gets it.
    async fn take(
        &self,
        id_hash: &str,
        now: SystemTime,
    ) -> Result<Option<ContinuationRecord>, StoreError>;

    /// Forgets records that expired before `now`; returns how many went.
    async fn remove_expired(&self, now: SystemTime) -> Result<usize, StoreError>;
}

/// Continuations in a `HashMap` behind a mutex: for tests, demos and single-process apps.
#[derive(Debug, Default)]
pub struct MemoryContinuationStore {
    records: Mutex<HashMap<String, ContinuationRecord>>,
}

impl MemoryContinuationStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> Result<MutexGuard<'_, HashMap<String, ContinuationRecord>>, StoreError> {
        self.records
            .lock()
            .map_err(|_| StoreError::poisoned("MemoryContinuationStore"))
    }
}

#[async_trait]
impl ContinuationStore for MemoryContinuationStore {
    async fn put(&self, id_hash: &str, record: &ContinuationRecord) -> Result<(), StoreError> {
        self.lock()?.insert(id_hash.to_owned(), record.clone());
        Ok(())
    }

    async fn take(
        &self,
        id_hash: &str,
        now: SystemTime,
    ) -> Result<Option<ContinuationRecord>, StoreError> {
        Ok(self
            .lock()?
            .remove(id_hash)
            .filter(|record| record.is_live_at(now)))
    }

    async fn remove_expired(&self, now: SystemTime) -> Result<usize, StoreError> {
        let mut records = self.lock()?;
        let before = records.len();
        records.retain(|_, record| record.is_live_at(now));
        Ok(before - records.len())
    }
}
