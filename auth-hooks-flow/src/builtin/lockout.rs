//! Account lockout that cannot be turned against the owner: failed logins lock the pair
//! (login name, client network), and an account-wide ceiling, well above, catches
//! guessing spread over many addresses.
//!
//! Activate with `auth_hooks::ready!(auth_hooks_flow::builtin::lockout)` and attach a
//! [`Lockout`] (`AuthFlowBuilder::extension(Lockout::new(store))`). Defaults: 5 failed
//! attempts of one login name from one client network (an IPv4 address, an IPv6 /64)
//! within 900 s lock that pair for 900 s; 100 of one login name from anywhere lock the
//! account for 900 s. An attacker at one address locks only itself out: the owner,
//! elsewhere, still logs in (Auth0's brute-force protection works the same way).
//!
//! Two hooks:
//!
//! - `check` (`before_authenticate`, priority 900 000): a locked pair or account is
//!   refused with a reject carrying `retry_after`, which the flow reports as
//!   [`LoginError::LockedOut`](crate::LoginError::LockedOut) (HTTP 429). Otherwise it
//!   *reserves* the attempt, atomically in the store, before the password is checked:
//!   however many guesses arrive at once, at most 5 per pair are verified; the one that
//!   finds the count full is refused and sets the lock. A locked account answers the
//!   same whether the password is right or not.
//! - `settle` (`before_login` and `on_password_change`, priority 900 000): the password
//!   was right, so the pair's and the account's counts are cleared.
//!
//! A password change checks the current password through the same gate: guessing it
//! with a stolen session counts as guessing it at the login.
//!
//! A wrong password, an unknown name (counted too, so a lockout says nothing about
//! whether an account exists) or an empty password keeps its reservation: it was a
//! failure. The key is the login name, trimmed and lower-cased; a request without a
//! client address counts under the pair (name, no address).
//!
//! Without the [`Lockout`] extension the flow refuses to build; a context built by
//! hand without it makes `check` fail with [`MissingExtension`] (logged as an error),
//! which under `before_authenticate`'s default `raise` policy refuses the login.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::builtin::ip_throttle::client_network;
use crate::builtin::limiter::Limiter;
use crate::builtin::{required, MissingExtension};
use crate::{AttemptStore, Clock, StoreError};
use auth_hooks::{
    before_authenticate, before_login, on_password_change, AuthHookContext, HookError,
};

pub use crate::builtin::limiter::LockoutConfig;

/// The message a locked-out user sees.
pub const LOCKED_MESSAGE: &str = "Too many failed login attempts. Please try again later.";

/// The lockout's store, limits and clock: the extension its hooks read.
#[derive(Clone)]
pub struct Lockout {
    pair: Limiter,
    account: Limiter,
}

impl Lockout {
    /// The default account-wide ceiling: failed attempts of one login name from
    /// anywhere within the window that lock the account.
    pub const ACCOUNT_CEILING: u32 = 100;

    /// Counters in `store`, default limits, system clock.
    pub fn new(store: Arc<dyn AttemptStore>) -> Self {
        let account = LockoutConfig::default().max_failures(Self::ACCOUNT_CEILING);
        Lockout {
            pair: Limiter::new(store.clone(), LockoutConfig::default(), Self::pair_key),
            account: Limiter::new(store, account, Self::key),
        }
    }

    /// Sets the limits of one (login name, client network) pair.
    pub fn with_config(mut self, config: LockoutConfig) -> Self {
        self.pair.config = config;
        self
    }

    /// Sets the account-wide ceiling (keep it well above the pair's limit, or anyone
    /// can lock an account again).
    pub fn with_account_ceiling(mut self, config: LockoutConfig) -> Self {
        self.account.config = config;
        self
    }

    /// Sets the clock.
    pub fn with_clock(self, clock: Arc<dyn Clock>) -> Self {
        Lockout {
            pair: self.pair.with_clock(clock.clone()),
            account: self.account.with_clock(clock),
        }
    }

    /// The limits of one pair.
    pub fn config(&self) -> &LockoutConfig {
        &self.pair.config
    }

    /// The account-wide ceiling.
    pub fn account_ceiling(&self) -> &LockoutConfig {
        &self.account.config
    }

    /// The account's counter key in `ctx`: `login:` + the trimmed, lower-cased name.
    pub fn key(ctx: &AuthHookContext) -> Option<String> {
        Some(format!("login:{}", login_name(ctx)?))
    }

    /// The pair's counter key in `ctx`: `pair:` + the client network (`none` without a
    /// client address) + `:` + the trimmed, lower-cased name.
    ///
    /// The name, which the client chooses, comes last and after a prefix no account key
    /// has, and networks are written so that none followed by `:` starts another: no
    /// name can make one key equal another (`ada|ip:203.0.113.9` is just an odd name).
    pub fn pair_key(ctx: &AuthHookContext) -> Option<String> {
        let login = login_name(ctx)?;
        let network = ctx.request().and_then(|r| r.client_ip).map(client_network);
        Some(format!(
            "pair:{}:{login}",
            network.as_deref().unwrap_or("none")
        ))
    }

    /// How long the login in `ctx` stays locked (its pair or its account), if it is.
    pub async fn retry_after(&self, ctx: &AuthHookContext) -> Result<Option<Duration>, StoreError> {
        let pair = self.pair.retry_after(ctx).await?;
        let account = self.account.retry_after(ctx).await?;
        Ok(pair.max(account))
    }
}

/// The login name in `ctx`, trimmed and lower-cased; `None` when there is none.
fn login_name(ctx: &AuthHookContext) -> Option<String> {
    let login = ctx.username()?.trim();
    (!login.is_empty()).then(|| login.to_lowercase())
}

impl fmt::Debug for Lockout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Lockout")
            .field("pair", &self.pair)
            .field("account", &self.account)
            .finish()
    }
}

/// What `check` and `settle` need in the context.
pub(crate) const MISSING: MissingExtension = MissingExtension {
    hook: "auth_hooks_flow::builtin::lockout",
    extension: "auth_hooks_flow::builtin::lockout::Lockout",
    fix: "attach one with AuthFlowBuilder::extension(Lockout::new(store)) or AuthHookContextBuilder::extension",
};

fn lockout<'a>(
    ctx: &'a AuthHookContext,
    hook: &'static str,
) -> Result<&'a Lockout, MissingExtension> {
    required(ctx, MissingExtension { hook, ..MISSING })
}

/// Refuses a locked pair or account, else reserves the attempt before its password is
/// checked.
#[before_authenticate(priority = 900000)]
pub async fn check(ctx: &AuthHookContext) -> Result<(), HookError> {
    let lockout = lockout(ctx, "auth_hooks_flow::builtin::lockout::check")?;
    lockout
        .pair
        .gate(
            ctx,
            LOCKED_MESSAGE,
            "login locked after repeated failures from this network",
        )
        .await?;
    let account = lockout
        .account
        .gate(
            ctx,
            LOCKED_MESSAGE,
            "account locked after repeated failures from many addresses",
        )
        .await;
    if account.is_err() {
        // Refused for the account's sake: the pair's attempt was not verified, so the
        // owner retrying while the account is locked does not lock their own pair too.
        lockout.pair.release(ctx).await?;
    }
    account
}

/// Clears the pair's and the account's counts once the password was verified.
#[before_login(priority = 900000)]
#[on_password_change(priority = 900000)]
pub async fn settle(ctx: &AuthHookContext) -> Result<(), HookError> {
    let lockout = lockout(ctx, "auth_hooks_flow::builtin::lockout::settle")?;
    lockout.pair.reset(ctx).await?;
    lockout.account.reset(ctx).await?;
    Ok(())
}
