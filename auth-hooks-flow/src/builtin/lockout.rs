//! Account lockout: N failed logins within a window lock the login name for a period.
//!
//! Activate with `auth_hooks::ready!(auth_hooks_flow::builtin::lockout)` and attach a
//! [`Lockout`] (`AuthFlowBuilder::extension(Lockout::new(store))`). Defaults (Z8ter's): 5 failures within
//! 900 s lock for 900 s. Three hooks:
//!
//! - `check` (`before_login`, priority 900 000): a locked login name is refused with a
//!   reject carrying `retry_after`, which the flow reports as
//!   [`LoginError::LockedOut`](crate::LoginError::LockedOut) (HTTP 429). It runs
//!   before the password is checked, so a locked account answers the same whether the
//!   password is right or not.
//! - `count` (`on_login_failed`, priority 900 000): counts the failure, before the
//!   application's own `on_login_failed` hooks (none of theirs failing can skip it); the
//!   failure that reaches the limit sets the lock.
//! - `reset` (`on_login`): a successful login clears the count.
//!
//! The key is the login name, trimmed and lower-cased: unknown names are counted too,
//! so a lockout says nothing about whether an account exists. The flip side of any
//! per-account lockout: anyone can lock an account by failing on purpose; pair it with
//! [`ip_throttle`](crate::builtin::ip_throttle), which stops one client address from
//! failing against many accounts.
//!
//! Without the [`Lockout`] extension, `check` fails with
//! [`MissingExtension`] (logged as an error): under
//! `before_login`'s default `raise` policy every login is refused until it is configured.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::builtin::{required, MissingExtension};
use crate::{AttemptStore, Clock, StoreError, SystemClock};
use auth_hooks::{
    before_login, on_login, on_login_failed, AuthHookContext, AuthHookReject, HookError,
};

/// How many failures lock an account, and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct LockoutConfig {
    /// Failures within `window` that lock the account (default 5).
    pub max_failures: u32,
    /// The counting window, opened by the first failure (default 900 s).
    pub window: Duration,
    /// How long the account stays locked (default 900 s).
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
    /// Sets the number of failures that lock (at least 1).
    pub fn max_failures(mut self, max_failures: u32) -> Self {
        self.max_failures = max_failures.max(1);
        self
    }

    /// Sets the counting window.
    pub fn window(mut self, window: Duration) -> Self {
        self.window = window;
        self
    }

    /// Sets the lock period.
    pub fn lock_period(mut self, lock_period: Duration) -> Self {
        self.lock_period = lock_period;
        self
    }
}

/// The lockout's store, configuration and clock: the extension its hooks read.
#[derive(Clone)]
pub struct Lockout {
    store: Arc<dyn AttemptStore>,
    config: LockoutConfig,
    clock: Arc<dyn Clock>,
    key: fn(&AuthHookContext) -> Option<String>,
}

/// The message a locked-out user sees.
pub const LOCKED_MESSAGE: &str = "Too many failed login attempts. Please try again later.";

impl Lockout {
    /// Counters in `store`, default configuration, system clock.
    pub fn new(store: Arc<dyn AttemptStore>) -> Self {
        Self::keyed(store, LockoutConfig::default(), Self::key)
    }

    /// Counters in `store` under the key `key` makes of a context (a login that gives
    /// no key is never counted nor locked).
    pub(crate) fn keyed(
        store: Arc<dyn AttemptStore>,
        config: LockoutConfig,
        key: fn(&AuthHookContext) -> Option<String>,
    ) -> Self {
        Lockout {
            store,
            config,
            clock: Arc::new(SystemClock),
            key,
        }
    }

    /// Sets the limits.
    pub fn with_config(mut self, config: LockoutConfig) -> Self {
        self.config = config;
        self
    }

    /// Sets the clock.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The limits in force.
    pub fn config(&self) -> &LockoutConfig {
        &self.config
    }

    /// The counter key of the login in `ctx`: `login:` + the trimmed, lower-cased name.
    pub fn key(ctx: &AuthHookContext) -> Option<String> {
        let login = ctx.username()?.trim();
        (!login.is_empty()).then(|| format!("login:{}", login.to_lowercase()))
    }

    /// How long the login in `ctx` stays locked, if it is.
    pub async fn retry_after(&self, ctx: &AuthHookContext) -> Result<Option<Duration>, StoreError> {
        let Some(key) = (self.key)(ctx) else {
            return Ok(None);
        };
        let now = self.clock.now();
        Ok(self.store.locked_until(&key, now).await?.map(|until| {
            // Whole seconds, rounded up: what a Retry-After header carries.
            let left = until.duration_since(now).unwrap_or_default();
            let secs = left.as_secs() + u64::from(left.subsec_nanos() > 0);
            Duration::from_secs(secs.max(1))
        }))
    }

    /// Counts a failure of the login in `ctx`; locks it when the limit is reached.
    /// Returns whether it is now locked.
    pub async fn record_failure(&self, ctx: &AuthHookContext) -> Result<bool, StoreError> {
        let Some(key) = (self.key)(ctx) else {
            return Ok(false);
        };
        let now = self.clock.now();
        let failures = self
            .store
            .record_failure(&key, now, self.config.window)
            .await?;
        if failures >= self.config.max_failures {
            self.store.lock(&key, now + self.config.lock_period).await?;
            tracing::warn!(
                %key,
                failures,
                lock_secs = self.config.lock_period.as_secs(),
                "locked after repeated login failures"
            );
            return Ok(true);
        }
        Ok(false)
    }

    /// Clears the failures of the login in `ctx`.
    pub async fn reset(&self, ctx: &AuthHookContext) -> Result<(), StoreError> {
        match (self.key)(ctx) {
            Some(key) => self.store.reset(&key).await,
            None => Ok(()),
        }
    }
}

impl fmt::Debug for Lockout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Lockout")
            .field("config", &self.config)
            .field("clock", &self.clock)
            .finish_non_exhaustive()
    }
}

fn lockout<'a>(
    ctx: &'a AuthHookContext,
    hook: &'static str,
) -> Result<&'a Lockout, MissingExtension> {
    required(
        ctx,
        MissingExtension {
            hook,
            extension: "auth_hooks_flow::builtin::lockout::Lockout",
            fix: "attach one with AuthFlowBuilder::extension(Lockout::new(store)) or AuthHookContextBuilder::extension",
        },
    )
}

/// Refuses a locked login name before its password is checked.
#[before_login(priority = 900000)]
pub async fn check(ctx: &AuthHookContext) -> Result<(), HookError> {
    let lockout = lockout(ctx, "auth_hooks_flow::builtin::lockout::check")?;
    refuse_if_locked(
        lockout,
        ctx,
        LOCKED_MESSAGE,
        "login name locked after repeated failures",
    )
    .await
}

/// Refuses the login in `ctx` with `message` and a `retry_after` (HTTP 429) while
/// `lockout` holds it locked.
pub(crate) async fn refuse_if_locked(
    lockout: &Lockout,
    ctx: &AuthHookContext,
    message: &'static str,
    reason: &'static str,
) -> Result<(), HookError> {
    if let Some(retry_after) = lockout.retry_after(ctx).await? {
        return Err(AuthHookReject::new(message)
            .with_reason(reason)
            .with_retry_after(retry_after)
            .into());
    }
    Ok(())
}

/// Counts a failed login; locks the login name at the limit.
#[on_login_failed(priority = 900000)]
pub async fn count(ctx: &AuthHookContext) -> Result<(), HookError> {
    let lockout = lockout(ctx, "auth_hooks_flow::builtin::lockout::count")?;
    lockout.record_failure(ctx).await?;
    Ok(())
}

/// Clears the failure count after a successful login.
#[on_login]
pub async fn reset(ctx: &AuthHookContext) -> Result<(), HookError> {
    let lockout = lockout(ctx, "auth_hooks_flow::builtin::lockout::reset")?;
    lockout.reset(ctx).await?;
    Ok(())
}
