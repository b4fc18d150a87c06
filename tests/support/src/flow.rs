//! What the flow tests share: a flow on memory stores with a manual clock and cheap
//! argon2 parameters, store doubles that fail, and a hook that never finishes.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use auth_hooks::{AuthHookContext, AuthHookRegistry, HookFuture};
use auth_hooks_flow::builtin::ip_throttle::IpThrottle;
use auth_hooks_flow::builtin::lockout::{Lockout, LockoutConfig};
use auth_hooks_flow::second_factor::{
    MemoryContinuationStore, MemorySecondFactorStore, SecondFactor,
};
use auth_hooks_flow::{
    async_trait, AttemptStore, AuthFlow, FlowConfigError, JtiBlocklist, JwtKeys, KeyRing,
    ManualClock, MemoryAttemptStore, MemoryJtiBlocklist, MemorySessionStore, MemoryUserStore,
    PasswordBackend, PasswordHasher, SessionData, SessionKey, SessionManager, SessionRecord,
    SessionStore, StoreError, TokenManager,
};

pub use auth_hooks_flow::testing::{ada, request, PASSWORD};

/// A flow and handles on everything behind it.
pub struct Fixture {
    /// The flow under test.
    pub flow: AuthFlow,
    /// Its users (`u-ada` / `ada`, `u-bob` / `bob`).
    pub users: Arc<MemoryUserStore>,
    /// Its session store.
    pub sessions: Arc<MemorySessionStore>,
    /// Its blocklist.
    pub blocklist: Arc<MemoryJtiBlocklist>,
    /// Its failure counters.
    pub attempts: Arc<MemoryAttemptStore>,
    /// Each user's second factors (used when `FixtureOptions::second_factor` is set).
    pub factors: Arc<MemorySecondFactorStore>,
    /// Logins waiting for their second factor.
    pub continuations: Arc<MemoryContinuationStore>,
    /// The clock of every part.
    pub clock: ManualClock,
}

/// Which parts a [`Fixture`] gets.
#[derive(Clone)]
pub struct FixtureOptions {
    /// Server-side sessions.
    pub sessions: bool,
    /// JWTs.
    pub tokens: bool,
    /// The lockout extension.
    pub lockout: bool,
    /// The hasher (cheap by default: tests stay fast).
    pub hasher: PasswordHasher,
    /// How many logins may wait for the backend's hashing threads (its default when
    /// `None`); past it a login is refused as overloaded.
    pub hash_queue: Option<usize>,
    /// Replaces the session store (a failing double).
    pub session_store: Option<Arc<dyn SessionStore>>,
    /// Replaces the blocklist.
    pub blocklist: Option<Arc<dyn JtiBlocklist>>,
    /// Replaces the attempt store.
    pub attempt_store: Option<Arc<dyn AttemptStore>>,
    /// Replaces the session keys (one fixed key by default).
    pub session_keys: Option<KeyRing<SessionKey>>,
    /// Replaces the JWT keys (one fixed HS256 key by default).
    pub jwt_keys: Option<KeyRing<JwtKeys>>,
    /// Credential fields hooks may see besides the login name
    /// ([`AuthFlowBuilder::hook_fields`](auth_hooks_flow::AuthFlowBuilder::hook_fields)).
    pub hook_fields: Vec<&'static str>,
    /// Second factors on memory stores, with the fixture's clock (default off).
    pub second_factor: bool,
}

impl Default for FixtureOptions {
    fn default() -> Self {
        FixtureOptions {
            sessions: true,
            tokens: true,
            lockout: true,
            hasher: PasswordHasher::for_tests(),
            hash_queue: None,
            session_store: None,
            blocklist: None,
            attempt_store: None,
            session_keys: None,
            jwt_keys: None,
            hook_fields: Vec::new(),
            second_factor: false,
        }
    }
}

impl Fixture {
    /// Sessions, tokens and lockout, with `hooks`.
    pub fn new(hooks: AuthHookRegistry) -> Self {
        Self::with(hooks, FixtureOptions::default())
    }

    /// As configured by `options`.
    pub fn with(hooks: AuthHookRegistry, options: FixtureOptions) -> Self {
        Self::try_with(hooks, options).unwrap()
    }

    /// As configured by `options`, or why the flow does not build.
    pub fn try_with(
        hooks: AuthHookRegistry,
        options: FixtureOptions,
    ) -> Result<Self, FlowConfigError> {
        let clock = ManualClock::new(SystemTime::now());
        let users = Arc::new(MemoryUserStore::new());
        users
            .add("u-ada", "ada", PASSWORD, &options.hasher)
            .unwrap();
        users
            .add("u-bob", "bob", PASSWORD, &options.hasher)
            .unwrap();
        let sessions = Arc::new(MemorySessionStore::new());
        let blocklist = Arc::new(MemoryJtiBlocklist::new());
        let attempts = Arc::new(MemoryAttemptStore::new());

        let mut backend = PasswordBackend::builder(users.clone(), options.hasher);
        if let Some(queue) = options.hash_queue {
            backend = backend.hash_queue(queue);
        }
        let mut builder = AuthFlow::builder(backend.build())
            .hooks(hooks)
            .hook_fields(options.hook_fields.iter().copied());
        if options.sessions {
            let store = options
                .session_store
                .unwrap_or_else(|| sessions.clone() as Arc<dyn SessionStore>);
            builder = builder.sessions(
                SessionManager::new(
                    options
                        .session_keys
                        .unwrap_or_else(|| SessionKey::new([7u8; 32]).unwrap().into()),
                    store,
                )
                .with_clock(Arc::new(clock.clone())),
            );
        }
        if options.tokens {
            let store = options
                .blocklist
                .unwrap_or_else(|| blocklist.clone() as Arc<dyn JtiBlocklist>);
            builder = builder.tokens(
                TokenManager::new(
                    options
                        .jwt_keys
                        .unwrap_or_else(|| JwtKeys::hs256([9u8; 32]).unwrap().into()),
                    store,
                )
                .with_clock(Arc::new(clock.clone())),
            );
        }
        if options.lockout {
            let store = options
                .attempt_store
                .unwrap_or_else(|| attempts.clone() as Arc<dyn AttemptStore>);
            builder = builder.extension(Lockout::new(store).with_clock(Arc::new(clock.clone())));
        }
        let factors = Arc::new(MemorySecondFactorStore::new());
        let continuations = Arc::new(MemoryContinuationStore::new());
        if options.second_factor {
            builder = builder.second_factor(
                SecondFactor::new(factors.clone(), continuations.clone())
                    .unwrap()
                    .with_key([5u8; 32])
                    .with_clock(Arc::new(clock.clone())),
            );
        }
        Ok(Fixture {
            flow: builder.build()?,
            users,
            sessions,
            blocklist,
            attempts,
            factors,
            continuations,
            clock,
        })
    }
}

/// A store whose every call fails while `down` is set.
#[derive(Default)]
pub struct FailingStore {
    down: AtomicBool,
    data_down: AtomicBool,
    sessions: MemorySessionStore,
    blocklist: MemoryJtiBlocklist,
    attempts: MemoryAttemptStore,
}

impl FailingStore {
    /// A store that is down from the start.
    pub fn down() -> Arc<Self> {
        let store = Arc::new(Self::default());
        store.set_down(true);
        store
    }

    /// Makes every call fail (`true`) or work (`false`).
    pub fn set_down(&self, down: bool) {
        self.down.store(down, Ordering::SeqCst);
    }

    /// Makes only the writes of session data fail (`true`) or work (`false`).
    pub fn set_data_down(&self, down: bool) {
        self.data_down.store(down, Ordering::SeqCst);
    }

    fn check(&self) -> Result<(), StoreError> {
        if self.down.load(Ordering::SeqCst) {
            Err(StoreError::new("connection refused (test double)"))
        } else {
            Ok(())
        }
    }
}

#[async_trait]
impl SessionStore for FailingStore {
    async fn insert(&self, record: SessionRecord) -> Result<(), StoreError> {
        self.check()?;
        self.sessions.insert(record).await
    }
    async fn get(&self, id_hash: &str) -> Result<Option<SessionRecord>, StoreError> {
        self.check()?;
        self.sessions.get(id_hash).await
    }
    async fn touch(
        &self,
        id_hash: &str,
        seen: SystemTime,
        idle: SystemTime,
    ) -> Result<bool, StoreError> {
        self.check()?;
        self.sessions.touch(id_hash, seen, idle).await
    }
    async fn set_data(&self, id_hash: &str, data: &SessionData) -> Result<bool, StoreError> {
        self.check()?;
        if self.data_down.load(Ordering::SeqCst) {
            return Err(StoreError::new("disk full (test double)"));
        }
        self.sessions.set_data(id_hash, data).await
    }
    async fn remove(&self, id_hash: &str) -> Result<Option<SessionRecord>, StoreError> {
        self.check()?;
        self.sessions.remove(id_hash).await
    }
    async fn rotate(
        &self,
        old: &str,
        new: SessionRecord,
    ) -> Result<Option<SessionRecord>, StoreError> {
        self.check()?;
        self.sessions.rotate(old, new).await
    }
    async fn remove_all_for_user(
        &self,
        user_id: &str,
        except: Option<&str>,
    ) -> Result<usize, StoreError> {
        self.check()?;
        self.sessions.remove_all_for_user(user_id, except).await
    }
    async fn list_for_user(&self, user_id: &str) -> Result<Vec<SessionRecord>, StoreError> {
        self.check()?;
        self.sessions.list_for_user(user_id).await
    }
    async fn remove_expired(&self, now: SystemTime) -> Result<usize, StoreError> {
        self.check()?;
        self.sessions.remove_expired(now).await
    }
}

#[async_trait]
impl JtiBlocklist for FailingStore {
    async fn block(&self, key: &str, until: SystemTime) -> Result<bool, StoreError> {
        self.check()?;
        self.blocklist.block(key, until).await
    }
    async fn is_blocked(&self, key: &str, now: SystemTime) -> Result<bool, StoreError> {
        self.check()?;
        self.blocklist.is_blocked(key, now).await
    }
    async fn remove_expired(&self, now: SystemTime) -> Result<usize, StoreError> {
        self.check()?;
        JtiBlocklist::remove_expired(&self.blocklist, now).await
    }
}

#[async_trait]
impl AttemptStore for FailingStore {
    async fn record_failure(
        &self,
        key: &str,
        now: SystemTime,
        window: Duration,
    ) -> Result<u32, StoreError> {
        self.check()?;
        self.attempts.record_failure(key, now, window).await
    }
    async fn lock(&self, key: &str, until: SystemTime) -> Result<(), StoreError> {
        self.check()?;
        self.attempts.lock(key, until).await
    }
    async fn locked_until(
        &self,
        key: &str,
        now: SystemTime,
    ) -> Result<Option<SystemTime>, StoreError> {
        self.check()?;
        self.attempts.locked_until(key, now).await
    }
    async fn reset(&self, key: &str) -> Result<(), StoreError> {
        self.check()?;
        self.attempts.reset(key).await
    }
    async fn release(&self, key: &str, now: SystemTime) -> Result<(), StoreError> {
        self.check()?;
        self.attempts.release(key, now).await
    }
    async fn remove_expired(&self, now: SystemTime) -> Result<usize, StoreError> {
        self.check()?;
        AttemptStore::remove_expired(&self.attempts, now).await
    }
}

/// Registers an async `phase` hook named `name` that counts its start in `started`, then
/// waits a minute: a hook still running when its login is cancelled.
pub fn register_stuck_hook(
    hooks: &mut AuthHookRegistry,
    phase: &str,
    name: &'static str,
    started: &Arc<AtomicUsize>,
) {
    let seen = started.clone();
    hooks
        .register_async(phase, name, move |_: &AuthHookContext| -> HookFuture<'_> {
            seen.fetch_add(1, Ordering::SeqCst);
            Box::pin(async {
                tokio::time::sleep(Duration::from_secs(60)).await;
                Ok(())
            })
        })
        .unwrap();
}

/// How many failures [`ip_throttled`] allows from one address.
pub const IP_THROTTLE_LIMIT: u32 = 4;

/// A flow with the throttle (4 failures in 60 s block for 120 s) on `clock`, or
/// without its extension when `attach` is false.
pub fn ip_throttled(clock: &ManualClock, attach: bool) -> AuthFlow {
    ip_throttled_flow(clock, attach).unwrap()
}

/// [`ip_throttled`], or why it does not build.
pub fn ip_throttled_flow(clock: &ManualClock, attach: bool) -> Result<AuthFlow, FlowConfigError> {
    let hasher = PasswordHasher::for_tests();
    let users = Arc::new(MemoryUserStore::new());
    users.add("u-ada", "ada", PASSWORD, &hasher).unwrap();
    let hooks = auth_hooks::ready!(auth_hooks_flow::builtin::ip_throttle).unwrap();
    let mut builder = AuthFlow::builder(PasswordBackend::new(users, hasher))
        .hooks(hooks)
        .sessions(SessionManager::new(
            SessionKey::new([7u8; 32]).unwrap(),
            Arc::new(MemorySessionStore::new()),
        ));
    if attach {
        let config = LockoutConfig::default()
            .max_failures(IP_THROTTLE_LIMIT)
            .window(Duration::from_secs(60))
            .lock_period(Duration::from_secs(120));
        builder = builder.extension(
            IpThrottle::new(Arc::new(MemoryAttemptStore::new()))
                .with_config(config)
                .with_clock(Arc::new(clock.clone())),
        );
    }
    builder.build()
}
