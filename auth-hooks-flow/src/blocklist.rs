//! Revoked token ids: the [`JtiBlocklist`] trait and its in-memory implementation.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use std::time::SystemTime;

use async_trait::async_trait;

use crate::StoreError;

/// Revoked token ids (`jti`) and token families, each kept until the tokens it covers
/// expire.
///
/// Keys are opaque strings: a `jti`, or `fam:<family id>` for a whole refresh family.
/// [`TokenManager`](crate::TokenManager) consults it on every path that accepts a
/// token (access checks, refresh, logout). A sync store implements the async methods by
/// returning at once. An error is never read as "not blocked".
#[async_trait]
pub trait JtiBlocklist: Send + Sync {
    /// Blocks `key` until `until`. Atomic test-and-set: `Ok(true)` if it was not
    /// blocked before, `Ok(false)` if it already was (its end is then the later of the
    /// two). Refresh rotation relies on this to spot a refresh token used twice.
    async fn block(&self, key: &str, until: SystemTime) -> Result<bool, StoreError>;

    /// Whether `key` is blocked at `now`.
    async fn is_blocked(&self, key: &str, now: SystemTime) -> Result<bool, StoreError>;

    /// Forgets entries whose end has passed at `now`; returns how many.
    async fn remove_expired(&self, now: SystemTime) -> Result<usize, StoreError>;

    /// Forgets ended entries, at most `limit` of them if the store can bound it, else
    /// all; returns how many (see [`Sweeper`](crate::Sweeper)).
    async fn remove_expired_at_most(
        &self,
        now: SystemTime,
        limit: usize,
    ) -> Result<usize, StoreError> {
        let _ = limit;
        self.remove_expired(now).await
    }
}

/// A blocklist in a `HashMap` behind a mutex: for tests and single-process apps.
#[derive(Debug, Default)]
pub struct MemoryJtiBlocklist {
    entries: Mutex<HashMap<String, SystemTime>>,
}

impl MemoryJtiBlocklist {
    /// An empty blocklist.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> Result<MutexGuard<'_, HashMap<String, SystemTime>>, StoreError> {
        self.entries
            .lock()
            .map_err(|_| StoreError::poisoned("MemoryJtiBlocklist"))
    }

    /// How many entries are kept.
    pub fn len(&self) -> usize {
        self.lock().map(|e| e.len()).unwrap_or(0)
    }

    /// Whether no entry is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[async_trait]
impl JtiBlocklist for MemoryJtiBlocklist {
    async fn block(&self, key: &str, until: SystemTime) -> Result<bool, StoreError> {
        let mut entries = self.lock()?;
        match entries.get_mut(key) {
            Some(end) => {
                *end = (*end).max(until);
                Ok(false)
            }
            None => {
                entries.insert(key.to_owned(), until);
                Ok(true)
            }
        }
    }

    async fn is_blocked(&self, key: &str, now: SystemTime) -> Result<bool, StoreError> {
        Ok(self.lock()?.get(key).is_some_and(|end| now < *end))
    }

    async fn remove_expired(&self, now: SystemTime) -> Result<usize, StoreError> {
        self.remove_expired_at_most(now, usize::MAX).await
    }

    async fn remove_expired_at_most(
        &self,
        now: SystemTime,
        limit: usize,
    ) -> Result<usize, StoreError> {
        let mut entries = self.lock()?;
        Ok(crate::expiry::remove_at_most(&mut entries, limit, |end| {
            now >= *end
        }))
    }
}
