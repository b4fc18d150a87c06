//! Server-side sessions: 256-bit random ids, stored only as HMAC-SHA256(key, id).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::key::{check_len, MIN_SECRET_LEN};
use crate::random::{hex, random_bytes};
use crate::{Clock, KeyError, KeyRing, SessionRecord, SessionStore, StoreError, SystemClock};
use auth_hooks::SessionMeta;

/// A session id: 32 bytes from the OS RNG, written as 43 URL-safe base64 characters.
///
/// This is the bearer secret that goes into the cookie. It is never stored (the store
/// keeps its HMAC), never logged, and its `Debug` output is redacted. Read it with
/// [`expose`](Self::expose) only to write the cookie.
pub struct SessionId {
    bytes: [u8; 32],
    encoded: String,
}

/// A session id that could not be read from client input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed session id: expected 43 URL-safe base64 characters")]
pub struct InvalidSessionId;

impl SessionId {
    /// A new random id.
    pub fn generate() -> Result<Self, StoreError> {
        Ok(Self::from_bytes(random_bytes::<32>()?))
    }

    fn from_bytes(bytes: [u8; 32]) -> Self {
        SessionId {
            encoded: URL_SAFE_NO_PAD.encode(bytes),
            bytes,
        }
    }

    /// Reads an id sent by a client (from a cookie). Anything but 43 URL-safe base64
    /// characters decoding to 32 bytes is refused.
    pub fn parse(text: &str) -> Result<Self, InvalidSessionId> {
        if text.len() != 43 {
            return Err(InvalidSessionId);
        }
        let decoded = URL_SAFE_NO_PAD.decode(text).map_err(|_| InvalidSessionId)?;
        let bytes: [u8; 32] = decoded.try_into().map_err(|_| InvalidSessionId)?;
        Ok(Self::from_bytes(bytes))
    }

    /// The id as it goes into the cookie. Never log it.
    pub fn expose(&self) -> &str {
        &self.encoded
    }
}

impl fmt::Debug for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionId(<redacted>)")
    }
}

/// The HMAC key under which session ids are hashed before they reach the store.
///
/// With the key, a leaked store cannot be turned into valid cookies, and without it the
/// stored hashes cannot be tested against guessed ids. Keep it in your secret manager.
/// Replacing it logs every session out; rotate it instead with a [`KeyRing`]: sessions
/// made under an older key of the ring keep working until that key is removed from
/// it. `Debug` is redacted.
#[derive(Clone)]
pub struct SessionKey {
    key: Arc<[u8]>,
}

impl SessionKey {
    /// A key from `bytes` (at least 32).
    pub fn new(bytes: impl AsRef<[u8]>) -> Result<Self, KeyError> {
        let bytes = bytes.as_ref();
        check_len("a session HMAC key", bytes, MIN_SECRET_LEN)?;
        Ok(SessionKey { key: bytes.into() })
    }

    /// A random key: sessions end when the process does. For tests and single-process
    /// apps that accept that.
    pub fn generate() -> Result<Self, StoreError> {
        Ok(SessionKey {
            key: random_bytes::<32>()?.as_slice().into(),
        })
    }

    /// HMAC-SHA256 of the id under this key, lower-case hex.
    fn hash(&self, id: &SessionId) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.key)
            .expect("HMAC accepts keys of any length");
        mac.update(&id.bytes);
        hex(&mac.finalize().into_bytes())
    }
}

impl fmt::Debug for SessionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionKey(<redacted>)")
    }
}

/// How long sessions live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct SessionConfig {
    /// The absolute lifetime of a session from its creation (default 7 days).
    pub ttl: Duration,
    /// How long an unused session stays valid (default 24 hours).
    pub idle_timeout: Duration,
}

impl Default for SessionConfig {
    fn default() -> Self {
        SessionConfig {
            ttl: Duration::from_secs(7 * 24 * 3600),
            idle_timeout: Duration::from_secs(24 * 3600),
        }
    }
}

impl SessionConfig {
    /// Sets the absolute lifetime.
    pub fn ttl(mut self, ttl: Duration) -> Self {
        self.ttl = ttl;
        self
    }

    /// Sets the idle timeout.
    pub fn idle_timeout(mut self, idle_timeout: Duration) -> Self {
        self.idle_timeout = idle_timeout;
        self
    }
}

/// A session just created: the id for the cookie and its metadata for hooks.
#[derive(Debug)]
pub struct NewSession {
    /// The secret id, for the cookie only.
    pub id: SessionId,
    /// The metadata hooks see.
    pub meta: SessionMeta,
}

/// Creates, checks and ends sessions over a [`SessionStore`].
///
/// Session ids are hashed under the signing key of its [`KeyRing`] of [`SessionKey`]s;
/// a session is looked up under each key of the ring in order, the signing key first
/// (one store lookup for every session made since the last rotation). A session found
/// under an older key keeps its stored hash (its [`SessionRecord::id_hash`], the `sid`
/// of its login's tokens) for its whole life.
///
/// ```
/// # tokio_test_block_on(async {
/// use std::sync::Arc;
/// use auth_hooks_flow::{MemorySessionStore, SessionKey, SessionManager};
///
/// let sessions = SessionManager::new(SessionKey::new([7u8; 32])?, Arc::new(MemorySessionStore::new()));
/// let new = sessions.create("user-1").await?;
/// let record = sessions.validate(&new.id).await?.expect("live");
/// assert_eq!(record.user_id, "user-1");
/// assert_ne!(record.id_hash, new.id.expose()); // the store never sees the id
/// sessions.revoke(&new.id).await?;
/// assert!(sessions.validate(&new.id).await?.is_none());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// # fn tokio_test_block_on<F: std::future::Future>(f: F) -> F::Output {
/// #     tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(f)
/// # }
/// ```
#[derive(Clone)]
pub struct SessionManager {
    keys: KeyRing<SessionKey>,
    store: Arc<dyn SessionStore>,
    config: SessionConfig,
    clock: Arc<dyn Clock>,
}

impl SessionManager {
    /// Sessions hashed under `keys` (one [`SessionKey`], or a [`KeyRing`] of them to
    /// rotate), kept in `store`, with the default [`SessionConfig`].
    ///
    /// ```
    /// use std::sync::Arc;
    /// use auth_hooks_flow::{KeyRing, MemorySessionStore, SessionKey, SessionManager};
    ///
    /// let store = Arc::new(MemorySessionStore::new());
    /// let old = SessionKey::new([1u8; 32])?;
    /// let new = SessionKey::new([2u8; 32])?;
    /// let one = SessionManager::new(old.clone(), store.clone());
    /// let rotating = SessionManager::new(KeyRing::rotating(new, [old]), store);
    /// # Ok::<(), auth_hooks_flow::KeyError>(())
    /// ```
    pub fn new(keys: impl Into<KeyRing<SessionKey>>, store: Arc<dyn SessionStore>) -> Self {
        SessionManager {
            keys: keys.into(),
            store,
            config: SessionConfig::default(),
            clock: Arc::new(SystemClock),
        }
    }

    /// Sets the lifetimes.
    pub fn with_config(mut self, config: SessionConfig) -> Self {
        self.config = config;
        self
    }

    /// Sets the clock (tests use a [`ManualClock`](crate::ManualClock)).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The lifetimes in force.
    pub fn config(&self) -> &SessionConfig {
        &self.config
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn SessionStore> {
        &self.store
    }

    /// The hash of `id` under the signing key: what the store knows a session created
    /// now under. A session created before the last rotation is stored under an older
    /// key's hash: read it from its record ([`SessionRecord::id_hash`]).
    pub fn id_hash(&self, id: &SessionId) -> String {
        self.keys.signing().hash(id)
    }

    /// The session stored under `id`, live or not: looked up under each key of the
    /// ring in order, the first found.
    async fn find(&self, id: &SessionId) -> Result<Option<SessionRecord>, StoreError> {
        for key in &self.keys {
            if let Some(record) = self.store.get(&key.hash(id)).await? {
                return Ok(Some(record));
            }
        }
        Ok(None)
    }

    fn new_record(&self, user_id: &str) -> Result<(SessionId, SessionRecord), StoreError> {
        let id = SessionId::generate()?;
        let now = self.clock.now();
        let expires_at = now + self.config.ttl;
        let record = SessionRecord {
            id_hash: self.id_hash(&id),
            user_id: user_id.to_owned(),
            created_at: now,
            last_seen_at: now,
            expires_at,
            idle_expires_at: (now + self.config.idle_timeout).min(expires_at),
            data: Default::default(),
        };
        Ok((id, record))
    }

    /// Creates a session for `user_id`.
    pub async fn create(&self, user_id: &str) -> Result<NewSession, StoreError> {
        let (id, record) = self.new_record(user_id)?;
        let meta = record.meta();
        self.store.insert(record).await?;
        Ok(NewSession { id, meta })
    }

    /// Creates a session for `user_id` and, in the same atomic store operation, ends
    /// `previous` (the session the client came with, if any): a fixated id never
    /// becomes an authenticated one.
    pub async fn rotate(
        &self,
        previous: Option<&SessionId>,
        user_id: &str,
    ) -> Result<NewSession, StoreError> {
        let Some(previous) = previous else {
            return self.create(user_id).await;
        };
        let (id, record) = self.new_record(user_id)?;
        let meta = record.meta();
        let ended = self.store.rotate(&self.id_hash(previous), record).await?;
        if ended.is_none() {
            // `previous` may be a session made under an older key: it ends too (before
            // the new id reaches anyone), whichever key it was made under.
            for key in self.keys.older() {
                if self.store.remove(&key.hash(previous)).await?.is_some() {
                    break;
                }
            }
        }
        Ok(NewSession { id, meta })
    }

    /// The live session under `id`, without recording a use.
    pub async fn peek(&self, id: &SessionId) -> Result<Option<SessionRecord>, StoreError> {
        let now = self.clock.now();
        Ok(self.find(id).await?.filter(|r| r.is_live(now)))
    }

    /// The live session under `id`, recording a use (which extends the idle timeout).
    ///
    /// `Ok(None)` for an unknown, revoked or expired session; an expired one is
    /// removed on the way.
    pub async fn validate(&self, id: &SessionId) -> Result<Option<SessionRecord>, StoreError> {
        match self.find(id).await? {
            Some(record) => self.record_use(record).await,
            None => Ok(None),
        }
    }

    /// [`validate`](Self::validate) for the session stored under `hash` (a token's
    /// `sid`): the live session, its use recorded.
    pub async fn validate_by_hash(&self, hash: &str) -> Result<Option<SessionRecord>, StoreError> {
        match self.store.get(hash).await? {
            Some(record) => self.record_use(record).await,
            None => Ok(None),
        }
    }

    /// The stored `record` if live, its use recorded; removed if expired.
    async fn record_use(
        &self,
        mut record: SessionRecord,
    ) -> Result<Option<SessionRecord>, StoreError> {
        let now = self.clock.now();
        if !record.is_live(now) {
            self.store.remove(&record.id_hash).await?;
            return Ok(None);
        }
        // At most one write a second per session.
        if now.duration_since(record.last_seen_at).unwrap_or_default() >= Duration::from_secs(1) {
            let idle = (now + self.config.idle_timeout).min(record.expires_at);
            if !self.store.touch(&record.id_hash, now, idle).await? {
                return Ok(None); // revoked meanwhile
            }
            record.last_seen_at = now;
            record.idle_expires_at = idle;
        }
        Ok(Some(record))
    }

    /// Ends the session under `id`; returns it if it existed (ending twice is harmless).
    pub async fn revoke(&self, id: &SessionId) -> Result<Option<SessionRecord>, StoreError> {
        for key in &self.keys {
            if let Some(record) = self.store.remove(&key.hash(id)).await? {
                return Ok(Some(record));
            }
        }
        Ok(None)
    }

    /// Ends the session stored under `id_hash` (as found in [`SessionMeta::id_hash`]).
    pub async fn revoke_by_hash(&self, id_hash: &str) -> Result<Option<SessionRecord>, StoreError> {
        self.store.remove(id_hash).await
    }

    /// Ends every session of `user_id`; returns how many.
    pub async fn revoke_all(&self, user_id: &str) -> Result<usize, StoreError> {
        self.store.remove_all_for_user(user_id, None).await
    }

    /// Ends every session of `user_id` but the one under `keep_id_hash`.
    pub async fn revoke_all_except(
        &self,
        user_id: &str,
        keep_id_hash: &str,
    ) -> Result<usize, StoreError> {
        self.store
            .remove_all_for_user(user_id, Some(keep_id_hash))
            .await
    }

    /// The live sessions of `user_id`, oldest first, as metadata (for a "your devices" page).
    pub async fn list(&self, user_id: &str) -> Result<Vec<SessionMeta>, StoreError> {
        let now = self.clock.now();
        Ok(self
            .store
            .list_for_user(user_id)
            .await?
            .iter()
            .filter(|r| r.is_live(now))
            .map(SessionRecord::meta)
            .collect())
    }

    /// Removes every expired session from the store; returns how many. Run it now and
    /// then (stores with native expiry, like Redis, need it less).
    pub async fn cleanup(&self) -> Result<usize, StoreError> {
        self.store.remove_expired(self.clock.now()).await
    }
}

impl fmt::Debug for SessionManager {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionManager")
            .field("keys", &self.keys)
            .field("config", &self.config)
            .field("clock", &self.clock)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_256_bit_and_round_trip() {
        let id = SessionId::generate().unwrap();
        assert_eq!(id.expose().len(), 43);
        let back = SessionId::parse(id.expose()).unwrap();
        assert_eq!(back.bytes, id.bytes);
        assert_ne!(SessionId::generate().unwrap().bytes, id.bytes);
    }

    #[test]
    fn malformed_ids_are_refused_without_panic() {
        for bad in [
            "",
            "short",
            &"a".repeat(44),
            &"!".repeat(43),
            &"é".repeat(21),
        ] {
            assert_eq!(
                SessionId::parse(bad).unwrap_err(),
                InvalidSessionId,
                "{bad}"
            );
        }
    }

    #[test]
    fn debug_never_shows_secrets() {
        let id = SessionId::generate().unwrap();
        let key = SessionKey::new([0x41u8; 32]).unwrap();
        let debug = format!("{id:?} {key:?}");
        assert!(!debug.contains(id.expose()), "{debug}");
        assert!(!debug.contains("AAAA") && !debug.contains("65"), "{debug}");
        assert!(debug.contains("redacted"));
    }

    #[test]
    fn the_hash_is_keyed() {
        let id = SessionId::generate().unwrap();
        let a = SessionKey::new([1u8; 32]).unwrap().hash(&id);
        let b = SessionKey::new([2u8; 32]).unwrap().hash(&id);
        assert_ne!(a, b);
        assert_eq!(a.len(), 64);
        assert!(SessionKey::new([0u8; 31]).is_err());
    }
}
