//! Failed-login counters: the [`AttemptStore`] trait and its in-memory implementation.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use async_trait::async_trait;

use crate::StoreError;

/// Counters of login attempts per key (a login name and client network, a client
/// address), and locks.
///
/// Windows are fixed: the first attempt opens a window of `window`; attempts within it
/// count; the next one after it starts a new count (what `INCR` + `EXPIRE` gives in
/// Redis). The [lockout](crate::builtin::lockout) and
/// [IP throttle](crate::builtin::ip_throttle) built-in hooks *reserve* each attempt
/// here before its password is checked (an atomic [`record_failure`](Self::record_failure)),
/// so no burst, however parallel, gets more verifications than the limit; an attempt
/// whose password was right is then taken back ([`release`](Self::release)) or the count
/// cleared ([`reset`](Self::reset)). Every step must be atomic in the store itself.
#[async_trait]
pub trait AttemptStore: Send + Sync {
    /// Counts one attempt (a failure until it is [released](Self::release)) for `key` at
    /// `now`, atomically; returns the count in the current window, this one included.
    async fn record_failure(
        &self,
        key: &str,
        now: SystemTime,
        window: Duration,
    ) -> Result<u32, StoreError>;

    /// Locks `key` until `until` (a later lock wins over an earlier one).
    async fn lock(&self, key: &str, until: SystemTime) -> Result<(), StoreError>;

    /// When the lock on `key` ends, if it is locked at `now`.
    async fn locked_until(
        &self,
        key: &str,
        now: SystemTime,
    ) -> Result<Option<SystemTime>, StoreError>;

    /// Forgets the failures of `key` (after a successful login). Does not lift a lock.
    async fn reset(&self, key: &str) -> Result<(), StoreError>;

    /// Takes back one counted attempt of `key` (it turned out not to be a failure),
    /// atomically. Never below zero; nothing happens to a key without a live count.
    /// Does not lift a lock.
    async fn release(&self, key: &str, now: SystemTime) -> Result<(), StoreError>;

    /// Forgets windows and locks that ended before `now`; returns how many entries went.
    async fn remove_expired(&self, now: SystemTime) -> Result<usize, StoreError>;

    /// Forgets ended windows and locks, at most `limit` of them if the store can bound
    /// it, else all; returns how many (see [`Sweeper`](crate::Sweeper)).
    async fn remove_expired_at_most(
        &self,
        now: SystemTime,
        limit: usize,
    ) -> Result<usize, StoreError> {
        let _ = limit;
        self.remove_expired(now).await
    }
}

#[derive(Debug, Clone, Copy, Default)]
struct Entry {
    failures: u32,
    window_end: Option<SystemTime>,
    locked_until: Option<SystemTime>,
}

/// Counters in a `HashMap` behind a mutex: for tests and single-process apps.
#[derive(Debug, Default)]
pub struct MemoryAttemptStore {
    entries: Mutex<HashMap<String, Entry>>,
}

impl MemoryAttemptStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock_map(&self) -> Result<MutexGuard<'_, HashMap<String, Entry>>, StoreError> {
        self.entries
            .lock()
            .map_err(|_| StoreError::poisoned("MemoryAttemptStore"))
    }
}

#[async_trait]
impl AttemptStore for MemoryAttemptStore {
    async fn record_failure(
        &self,
        key: &str,
        now: SystemTime,
        window: Duration,
    ) -> Result<u32, StoreError> {
        let mut entries = self.lock_map()?;
        let entry = entries.entry(key.to_owned()).or_default();
        match entry.window_end {
            Some(end) if now < end => entry.failures = entry.failures.saturating_add(1),
            _ => {
                entry.failures = 1;
                entry.window_end = Some(now + window);
            }
        }
        Ok(entry.failures)
    }

    async fn lock(&self, key: &str, until: SystemTime) -> Result<(), StoreError> {
        let mut entries = self.lock_map()?;
        let entry = entries.entry(key.to_owned()).or_default();
        entry.locked_until = Some(entry.locked_until.map_or(until, |u| u.max(until)));
        Ok(())
    }

    async fn locked_until(
        &self,
        key: &str,
        now: SystemTime,
    ) -> Result<Option<SystemTime>, StoreError> {
        Ok(self
            .lock_map()?
            .get(key)
            .and_then(|e| e.locked_until)
            .filter(|until| now < *until))
    }

    async fn reset(&self, key: &str) -> Result<(), StoreError> {
        let mut entries = self.lock_map()?;
        if let Some(entry) = entries.get_mut(key) {
            entry.failures = 0;
            entry.window_end = None;
            if entry.locked_until.is_none() {
                entries.remove(key);
            }
        }
        Ok(())
    }

    async fn release(&self, key: &str, now: SystemTime) -> Result<(), StoreError> {
        let mut entries = self.lock_map()?;
        if let Some(entry) = entries.get_mut(key) {
            if entry.window_end.is_some_and(|end| now < end) {
                entry.failures = entry.failures.saturating_sub(1);
            }
        }
        Ok(())
    }

    async fn remove_expired(&self, now: SystemTime) -> Result<usize, StoreError> {
        self.remove_expired_at_most(now, usize::MAX).await
    }

    async fn remove_expired_at_most(
        &self,
        now: SystemTime,
        limit: usize,
    ) -> Result<usize, StoreError> {
        let mut entries = self.lock_map()?;
        Ok(crate::expiry::remove_at_most(&mut entries, limit, |e| {
            !(e.window_end.is_some_and(|end| now < end) || e.locked_until.is_some_and(|u| now < u))
        }))
    }
}
