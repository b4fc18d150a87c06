//! One attempt counter under one key: what the lockout and the IP throttle are made of.
//!
//! An attempt is *reserved* before its password is checked: an atomic count in the
//! [`AttemptStore`], so however many requests arrive at once, at most `max_failures` of
//! them get past the gate within a window. The one that finds the count already full is
//! refused and sets the lock. A reservation whose password turned out right is taken
//! back or cleared afterwards, as the built-in's rule says.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use auth_hooks::{AuthHookContext, AuthHookReject, HookError};

use crate::timestamp::checked_end;
use crate::{AttemptStore, Clock, StoreError, SystemClock};

/// How many failed attempts a key may make within a window, and how long it is then
/// locked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct LockoutConfig {
    /// Attempts within `window` that may be verified; the next one locks (default 5).
    pub max_failures: u32,
    /// The counting window, opened by the first attempt (default 900 s).
    pub window: Duration,
    /// How long the key stays locked (default 900 s).
    pub lock_period: Duration,
}

impl Default for LockoutConfig {
    fn default() -> Self {
        LockoutConfig {
            max_failures: 5,
            window: Duration::from_secs(900),
            lock_period: Duration::from_secs(900),
        }
    }
}

impl LockoutConfig {
    /// Sets the number of attempts verified per window (at least 1).
    pub fn max_failures(mut self, max_failures: u32) -> Self {
        self.max_failures = max_failures.max(1);
        self
    }

    /// Sets the counting window (at least 1 s: a shorter one would count nothing).
    pub fn window(mut self, window: Duration) -> Self {
        self.window = window.max(Duration::from_secs(1));
        self
    }

    /// Sets the lock period (at least 1 s).
    pub fn lock_period(mut self, lock_period: Duration) -> Self {
        self.lock_period = lock_period.max(Duration::from_secs(1));
        self
    }
}

/// What the gate found for one key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Gate {
    /// The attempt is reserved: go on and check the password.
    Reserved,
    /// Locked (already, or by this attempt): refuse, retry after this long.
    Locked(Duration),
}

/// What a limiter counts a context under; `None`: not counted.
pub(crate) type KeyFn = Arc<dyn Fn(&AuthHookContext) -> Option<String> + Send + Sync>;

/// A counter in a store under the key `key` makes of a context; a context that gives
/// no key is never counted nor locked.
#[derive(Clone)]
pub(crate) struct Limiter {
    store: Arc<dyn AttemptStore>,
    pub(crate) config: LockoutConfig,
    clock: Arc<dyn Clock>,
    pub(crate) key: KeyFn,
}

impl Limiter {
    pub(crate) fn new(store: Arc<dyn AttemptStore>, config: LockoutConfig, key: KeyFn) -> Self {
        Limiter {
            store,
            config,
            clock: Arc::new(SystemClock),
            key,
        }
    }

    pub(crate) fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// How long the key of `ctx` stays locked, if it is.
    pub(crate) async fn retry_after(
        &self,
        ctx: &AuthHookContext,
    ) -> Result<Option<Duration>, StoreError> {
        let Some(key) = (self.key)(ctx) else {
            return Ok(None);
        };
        let now = self.clock.now();
        Ok(self
            .store
            .locked_until(&key, now)
            .await?
            .map(|until| whole_seconds(until, now)))
    }

    /// Reserves the attempt in `ctx`, or finds it over the limit (and locks).
    pub(crate) async fn reserve(&self, ctx: &AuthHookContext) -> Result<Gate, StoreError> {
        let Some(key) = (self.key)(ctx) else {
            return Ok(Gate::Reserved);
        };
        let now = self.clock.now();
        let attempts = self
            .store
            .record_failure(&key, now, self.config.window)
            .await?;
        if attempts <= self.config.max_failures {
            return Ok(Gate::Reserved);
        }
        let until = checked_end(now, self.config.lock_period)?;
        self.store.lock(&key, until).await?;
        tracing::warn!(
            // The key holds no typed name (a keyed hash of it), nor anything unescaped.
            key = %auth_hooks::LogSafe(&key),
            attempts,
            lock_secs = self.config.lock_period.as_secs(),
            "locked after repeated login failures"
        );
        Ok(Gate::Locked(whole_seconds(until, now)))
    }

    /// Takes back the attempt reserved for `ctx` (its password was right).
    pub(crate) async fn release(&self, ctx: &AuthHookContext) -> Result<(), StoreError> {
        match (self.key)(ctx) {
            Some(key) => self.store.release(&key, self.clock.now()).await,
            None => Ok(()),
        }
    }

    /// Clears the count of the key of `ctx` (its password was right).
    pub(crate) async fn reset(&self, ctx: &AuthHookContext) -> Result<(), StoreError> {
        match (self.key)(ctx) {
            Some(key) => self.store.reset(&key).await,
            None => Ok(()),
        }
    }

    /// Reserves the attempt in `ctx`, as [`reserve`](Self::reserve), refusing it with
    /// `message` (and `Retry-After`, HTTP 429) when the key is locked or over its limit.
    pub(crate) async fn gate(
        &self,
        ctx: &AuthHookContext,
        message: &'static str,
        reason: &'static str,
    ) -> Result<(), HookError> {
        if let Some(retry_after) = self.retry_after(ctx).await? {
            return Err(refusal(message, reason, retry_after));
        }
        match self.reserve(ctx).await? {
            Gate::Reserved => Ok(()),
            Gate::Locked(retry_after) => Err(refusal(message, reason, retry_after)),
        }
    }
}

impl fmt::Debug for Limiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Limiter")
            .field("config", &self.config)
            .field("clock", &self.clock)
            .finish_non_exhaustive()
    }
}

fn refusal(message: &'static str, reason: &'static str, retry_after: Duration) -> HookError {
    AuthHookReject::new(message)
        .with_reason(reason)
        .with_retry_after(retry_after)
        .into()
}

/// `until - now` in whole seconds, rounded up, at least 1: what `Retry-After` carries.
fn whole_seconds(until: SystemTime, now: SystemTime) -> Duration {
    let left = until.duration_since(now).unwrap_or_default();
    let secs = left.as_secs() + u64::from(left.subsec_nanos() > 0);
    Duration::from_secs(secs.max(1))
}
