//! Where sessions live: the [`SessionStore`] trait and its in-memory implementation.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use std::time::SystemTime;

use async_trait::async_trait;

use crate::{SessionData, StoreError};
use auth_hooks::SessionMeta;

/// A session as a store keeps it: under the keyed hash of its id, never the id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    /// HMAC-SHA256 of the session id under the key it was created under (the signing
    /// key of the [`KeyRing`](crate::KeyRing) then), lower-case hex.
    pub id_hash: String,
    /// The user the session belongs to.
    pub user_id: String,
    /// When the session was created.
    pub created_at: SystemTime,
    /// When the session was last used.
    pub last_seen_at: SystemTime,
    /// The absolute end of the session (creation + TTL).
    pub expires_at: SystemTime,
    /// The end of the session if it stays unused (last use + idle timeout, never later
    /// than `expires_at`).
    pub idle_expires_at: SystemTime,
    /// What the application keeps with the session (written by `on_login` hooks
    /// through [`SessionEnricher`](crate::SessionEnricher)).
    pub data: SessionData,
}

impl SessionRecord {
    /// Whether the session is still valid at `now`: neither its TTL nor its idle
    /// timeout has passed.
    pub fn is_live(&self, now: SystemTime) -> bool {
        now < self.expires_at && now < self.idle_expires_at
    }

    /// The earlier of the two ends: when a store may forget the session.
    pub fn ends_at(&self) -> SystemTime {
        self.expires_at.min(self.idle_expires_at)
    }

    /// The session's metadata, as hooks see it.
    pub fn meta(&self) -> SessionMeta {
        SessionMeta {
            id_hash: self.id_hash.clone(),
            user_id: self.user_id.clone(),
            created_at: self.created_at,
            expires_at: self.expires_at,
        }
    }
}

/// Storage of sessions, keyed by the hash of their id.
///
/// Implementations (memory here; SQLite, Redis elsewhere) must pass the conformance
/// suite in the `tests` crate (`auth_hooks_flow::testing::session_store_conformance`). Every
/// method reports a failure as [`StoreError`]; none may answer "absent" when it could
/// not look.
#[async_trait]
pub trait SessionStore: Send + Sync {
    /// Stores a new session, its data included. A record with the same `id_hash`
    /// already present is an error: a store never overwrites a session it did not mean
    /// to.
    async fn insert(&self, record: SessionRecord) -> Result<(), StoreError>;

    /// The session stored under `id_hash`, live or not.
    async fn get(&self, id_hash: &str) -> Result<Option<SessionRecord>, StoreError>;

    /// Records a use of the session: sets `last_seen_at` and `idle_expires_at`.
    /// `Ok(false)` if there is no such session.
    async fn touch(
        &self,
        id_hash: &str,
        last_seen_at: SystemTime,
        idle_expires_at: SystemTime,
    ) -> Result<bool, StoreError>;

    /// Replaces the data kept with the session under `id_hash` (nothing else of it
    /// changes). `Ok(false)` if there is no such session.
    async fn set_data(&self, id_hash: &str, data: &SessionData) -> Result<bool, StoreError>;

    /// Removes the session and returns it; `Ok(None)` if it was not there (removing is
    /// idempotent).
    async fn remove(&self, id_hash: &str) -> Result<Option<SessionRecord>, StoreError>;

    /// Atomically removes the session under `old_id_hash` (if present) and inserts
    /// `new`: no moment exists where both, or neither, are valid. Returns the removed
    /// session. Used on login against session fixation.
    async fn rotate(
        &self,
        old_id_hash: &str,
        new: SessionRecord,
    ) -> Result<Option<SessionRecord>, StoreError>;

    /// Removes every session of `user_id` except the one under `except`; returns how
    /// many were removed.
    async fn remove_all_for_user(
        &self,
        user_id: &str,
        except: Option<&str>,
    ) -> Result<usize, StoreError>;

    /// Every stored session of `user_id`, live or not, oldest first.
    async fn list_for_user(&self, user_id: &str) -> Result<Vec<SessionRecord>, StoreError>;

    /// Removes every session that is no longer live at `now`; returns how many.
    async fn remove_expired(&self, now: SystemTime) -> Result<usize, StoreError>;

    /// Removes sessions no longer live at `now`, at most `limit` of them if the store
    /// can bound it (one short statement or lock), else all; returns how many. The
    /// [`Sweeper`](crate::Sweeper) calls it until fewer than `limit` come back.
    async fn remove_expired_at_most(
        &self,
        now: SystemTime,
        limit: usize,
    ) -> Result<usize, StoreError> {
        let _ = limit;
        self.remove_expired(now).await
    }
}

/// Sessions in a `HashMap` behind a mutex: for tests, examples and single-process apps.
#[derive(Debug, Default)]
pub struct MemorySessionStore {
    sessions: Mutex<HashMap<String, SessionRecord>>,
}

impl MemorySessionStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> Result<MutexGuard<'_, HashMap<String, SessionRecord>>, StoreError> {
        self.sessions
            .lock()
            .map_err(|_| StoreError::poisoned("MemorySessionStore"))
    }

    /// How many sessions are stored, live or not.
    pub fn len(&self) -> usize {
        self.lock().map(|s| s.len()).unwrap_or(0)
    }

    /// Whether the store is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[async_trait]
impl SessionStore for MemorySessionStore {
    async fn insert(&self, record: SessionRecord) -> Result<(), StoreError> {
        let mut sessions = self.lock()?;
        if sessions.contains_key(&record.id_hash) {
            return Err(StoreError::new("session already exists"));
        }
        sessions.insert(record.id_hash.clone(), record);
        Ok(())
    }

    async fn get(&self, id_hash: &str) -> Result<Option<SessionRecord>, StoreError> {
        Ok(self.lock()?.get(id_hash).cloned())
    }

    async fn touch(
        &self,
        id_hash: &str,
        last_seen_at: SystemTime,
        idle_expires_at: SystemTime,
    ) -> Result<bool, StoreError> {
        Ok(match self.lock()?.get_mut(id_hash) {
            Some(record) => {
                record.last_seen_at = last_seen_at;
                record.idle_expires_at = idle_expires_at.min(record.expires_at);
                true
            }
            None => false,
        })
    }

    async fn set_data(&self, id_hash: &str, data: &SessionData) -> Result<bool, StoreError> {
        Ok(match self.lock()?.get_mut(id_hash) {
            Some(record) => {
                record.data = data.clone();
                true
            }
            None => false,
        })
    }

    async fn remove(&self, id_hash: &str) -> Result<Option<SessionRecord>, StoreError> {
        Ok(self.lock()?.remove(id_hash))
    }

    async fn rotate(
        &self,
        old_id_hash: &str,
        new: SessionRecord,
    ) -> Result<Option<SessionRecord>, StoreError> {
        let mut sessions = self.lock()?;
        if new.id_hash != old_id_hash && sessions.contains_key(&new.id_hash) {
            return Err(StoreError::new("session already exists"));
        }
        let old = sessions.remove(old_id_hash);
        sessions.insert(new.id_hash.clone(), new);
        Ok(old)
    }

    async fn remove_all_for_user(
        &self,
        user_id: &str,
        except: Option<&str>,
    ) -> Result<usize, StoreError> {
        let mut sessions = self.lock()?;
        let before = sessions.len();
        sessions.retain(|hash, r| r.user_id != user_id || Some(hash.as_str()) == except);
        Ok(before - sessions.len())
    }

    async fn list_for_user(&self, user_id: &str) -> Result<Vec<SessionRecord>, StoreError> {
        let mut list: Vec<SessionRecord> = self
            .lock()?
            .values()
            .filter(|r| r.user_id == user_id)
            .cloned()
            .collect();
        list.sort_by(|a, b| {
            a.created_at
                .cmp(&b.created_at)
                .then(a.id_hash.cmp(&b.id_hash))
        });
        Ok(list)
    }

    async fn remove_expired(&self, now: SystemTime) -> Result<usize, StoreError> {
        self.remove_expired_at_most(now, usize::MAX).await
    }

    async fn remove_expired_at_most(
        &self,
        now: SystemTime,
        limit: usize,
    ) -> Result<usize, StoreError> {
        let mut sessions = self.lock()?;
        Ok(crate::expiry::remove_at_most(&mut sessions, limit, |r| {
            !r.is_live(now)
        }))
    }
}
