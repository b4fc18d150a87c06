//! The sweeper removes every expired session, blocklist entry and failure window, in
//! bounded batches, and nothing live.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use auth_hooks::AuthHookRegistry;
use auth_hooks_flow::{
    async_trait, AttemptStore, AuthFlow, Clock, JtiBlocklist, JwtKeys, ManualClock,
    MemoryAttemptStore, MemoryJtiBlocklist, MemorySessionStore, MemoryUserStore, PasswordBackend,
    PasswordHasher, SessionData, SessionKey, SessionManager, SessionRecord, SessionStore,
    StoreError, Sweeper, Swept, TokenManager,
};

/// A memory session store that remembers the most any one call removed.
#[derive(Default)]
struct Watched {
    inner: MemorySessionStore,
    largest_batch: AtomicUsize,
    calls: AtomicUsize,
}

#[async_trait]
impl SessionStore for Watched {
    async fn insert(&self, record: SessionRecord) -> Result<(), StoreError> {
        self.inner.insert(record).await
    }
    async fn get(&self, id_hash: &str) -> Result<Option<SessionRecord>, StoreError> {
        self.inner.get(id_hash).await
    }
    async fn touch(
        &self,
        id_hash: &str,
        seen: SystemTime,
        idle: SystemTime,
    ) -> Result<bool, StoreError> {
        self.inner.touch(id_hash, seen, idle).await
    }
    async fn set_data(&self, id_hash: &str, data: &SessionData) -> Result<bool, StoreError> {
        self.inner.set_data(id_hash, data).await
    }
    async fn remove(&self, id_hash: &str) -> Result<Option<SessionRecord>, StoreError> {
        self.inner.remove(id_hash).await
    }
    async fn rotate(
        &self,
        old: &str,
        new: SessionRecord,
    ) -> Result<Option<SessionRecord>, StoreError> {
        self.inner.rotate(old, new).await
    }
    async fn remove_all_for_user(
        &self,
        user_id: &str,
        keep: Option<&str>,
    ) -> Result<usize, StoreError> {
        self.inner.remove_all_for_user(user_id, keep).await
    }
    async fn list_for_user(&self, user_id: &str) -> Result<Vec<SessionRecord>, StoreError> {
        self.inner.list_for_user(user_id).await
    }
    async fn remove_expired(&self, now: SystemTime) -> Result<usize, StoreError> {
        self.inner.remove_expired(now).await
    }
    async fn remove_expired_at_most(
        &self,
        now: SystemTime,
        limit: usize,
    ) -> Result<usize, StoreError> {
        let removed = self.inner.remove_expired_at_most(now, limit).await?;
        self.calls.fetch_add(1, Ordering::SeqCst);
        self.largest_batch.fetch_max(removed, Ordering::SeqCst);
        Ok(removed)
    }
}

fn session(i: usize, now: SystemTime, live: bool) -> SessionRecord {
    let end = if live {
        now + Duration::from_secs(60)
    } else {
        now - Duration::from_secs(1)
    };
    SessionRecord {
        id_hash: format!("hash-{live}-{i}"),
        user_id: "u-1".into(),
        created_at: now - Duration::from_secs(100),
        last_seen_at: now - Duration::from_secs(100),
        expires_at: end,
        idle_expires_at: end,
        data: SessionData::new(),
    }
}

#[tokio::test]
async fn a_sweep_removes_every_expired_entry_in_bounded_batches_and_nothing_live() {
    let clock = ManualClock::new(SystemTime::now());
    let now = clock.now();
    let sessions = Arc::new(Watched::default());
    for i in 0..2500 {
        sessions.insert(session(i, now, false)).await.unwrap();
    }
    for i in 0..10 {
        sessions.insert(session(i, now, true)).await.unwrap();
    }
    let blocklist = Arc::new(MemoryJtiBlocklist::new());
    blocklist
        .block("gone", now - Duration::from_secs(1))
        .await
        .unwrap();
    blocklist
        .block("kept", now + Duration::from_secs(60))
        .await
        .unwrap();
    let attempts = Arc::new(MemoryAttemptStore::new());
    attempts
        .record_failure("old", now - Duration::from_secs(10), Duration::from_secs(5))
        .await
        .unwrap();
    attempts
        .record_failure("new", now, Duration::from_secs(60))
        .await
        .unwrap();

    let users = Arc::new(MemoryUserStore::new());
    let flow = AuthFlow::builder(PasswordBackend::new(users, PasswordHasher::for_tests()))
        .hooks(AuthHookRegistry::new())
        .sessions(SessionManager::new(
            SessionKey::new([7u8; 32]).unwrap(),
            sessions.clone(),
        ))
        .tokens(TokenManager::new(
            JwtKeys::hs256([9u8; 32]).unwrap(),
            blocklist.clone(),
        ))
        .build()
        .unwrap();
    let sweeper = Sweeper::new(&flow)
        .attempts(attempts.clone() as Arc<dyn AttemptStore>)
        .batch(1000)
        .with_clock(Arc::new(clock));

    let swept = sweeper.sweep().await.unwrap();
    assert_eq!(
        (swept.sessions, swept.blocklist, swept.attempts),
        (2500, 1, 1)
    );
    assert_eq!(
        sessions.largest_batch.load(Ordering::SeqCst),
        1000,
        "never more than a batch"
    );
    assert_eq!(
        sessions.calls.load(Ordering::SeqCst),
        3,
        "1000, 1000, then 500: done"
    );
    assert_eq!(sessions.inner.len(), 10, "every live session stays");
    assert!(blocklist.is_blocked("kept", now).await.unwrap());
    assert_eq!(
        sweeper.sweep().await.unwrap(),
        Swept::default(),
        "nothing left"
    );
}

#[tokio::test]
async fn a_sweep_removes_continuations_nobody_finished() {
    use auth_hooks_flow::second_factor::{
        ContinuationRecord, ContinuationStore, MemoryContinuationStore, MemorySecondFactorStore,
        SecondFactor,
    };
    let now = SystemTime::now();
    let continuations = Arc::new(MemoryContinuationStore::default());
    // Built as a store reads one back (the record is non-exhaustive).
    let record = |ends: SystemTime| {
        let since = ends.duration_since(SystemTime::UNIX_EPOCH).unwrap();
        let json = serde_json::json!({
            "user_id": "u-1", "login": "ada", "fields": {}, "resume_after": "totp",
            "factor": "totp", "amr": ["pwd"], "failures": 0,
            "expires_at": { "secs_since_epoch": since.as_secs(), "nanos_since_epoch": since.subsec_nanos() },
        });
        ContinuationRecord::from_json(&json.to_string()).unwrap()
    };
    continuations
        .put("abandoned", &record(now - Duration::from_secs(1)))
        .await
        .unwrap();
    continuations
        .put("pending", &record(now + Duration::from_secs(300)))
        .await
        .unwrap();
    let factor = SecondFactor::new(
        Arc::new(MemorySecondFactorStore::default()),
        continuations.clone(),
    )
    .unwrap();
    let users = Arc::new(MemoryUserStore::new());
    let flow = AuthFlow::builder(PasswordBackend::new(users, PasswordHasher::for_tests()))
        .hooks(AuthHookRegistry::new())
        .sessions(SessionManager::new(
            SessionKey::new([7u8; 32]).unwrap(),
            Arc::new(MemorySessionStore::new()),
        ))
        .second_factor(factor)
        .build()
        .unwrap();
    let swept = Sweeper::new(&flow).sweep().await.unwrap();
    assert_eq!(swept.continuations, 1);
    assert!(
        continuations.take("pending", now).await.unwrap().is_some(),
        "the live one stays"
    );
}
