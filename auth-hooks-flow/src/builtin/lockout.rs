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
//! failure. The counters are keyed by an HMAC-SHA256 of the
//! [normalized](auth_hooks::normalize_login) login name (NFKC, lower-cased, trimmed:
//! `ＡＤＡ`, `ADA ` and `ada` count as one), never the name itself: people type their
//! password into the name field, and the store must not keep it. The HMAC key is
//! random per process by default; **several instances sharing one attempt store must
//! share a key** ([`Lockout::with_key`]), or each counts apart. A request without a
//! client address counts under the pair (name, no address).
//!
//! Without the [`Lockout`] extension the flow refuses to build; a context built by
//! hand without it makes `check` fail with [`MissingExtension`] (logged as an error),
//! which under `before_authenticate`'s default `raise` policy refuses the login.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::builtin::ip_throttle::client_network;
use crate::builtin::limiter::{KeyFn, Limiter};
use crate::builtin::{required, LoginNameKey, MissingExtension};
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
    names: LoginNameKey,
}

impl Lockout {
    /// The default account-wide ceiling: failed attempts of one login name from
    /// anywhere within the window that lock the account.
    pub const ACCOUNT_CEILING: u32 = 100;

    /// Counters in `store`, default limits, system clock, and the process's random
    /// [`LoginNameKey`] (set your own with [`with_key`](Self::with_key) when several
    /// instances share `store`).
    ///
    /// # Panics
    ///
    /// If the OS random number generator fails making the process's key.
    pub fn new(store: Arc<dyn AttemptStore>) -> Self {
        let account = LockoutConfig::default().max_failures(Self::ACCOUNT_CEILING);
        let names = LoginNameKey::process();
        Lockout {
            pair: Limiter::new(
                store.clone(),
                LockoutConfig::default(),
                Self::pair_key_fn(&names),
            ),
            account: Limiter::new(store, account, Self::key_fn(&names)),
            names,
        }
    }

    /// Keys the counters with `key`: every instance sharing the attempt store must set
    /// the same one (from its secret configuration), or each counts a name apart and
    /// the limits multiply by the number of instances.
    pub fn with_key(mut self, key: LoginNameKey) -> Self {
        self.pair.key = Self::pair_key_fn(&key);
        self.account.key = Self::key_fn(&key);
        self.names = key;
        self
    }

    /// The key login names are hashed with.
    pub fn login_name_key(&self) -> &LoginNameKey {
        &self.names
    }

    fn key_fn(names: &LoginNameKey) -> KeyFn {
        let names = names.clone();
        Arc::new(move |ctx| account_key(&names, ctx))
    }

    fn pair_key_fn(names: &LoginNameKey) -> KeyFn {
        let names = names.clone();
        Arc::new(move |ctx| pair_key(&names, ctx))
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
            names: self.names,
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

    /// The account's counter key in `ctx`: `login:` + the hex HMAC of the
    /// [normalized](auth_hooks::normalize_login) name.
    pub fn key(&self, ctx: &AuthHookContext) -> Option<String> {
        account_key(&self.names, ctx)
    }

    /// The pair's counter key in `ctx`: `pair:` + the client network (`none` without a
    /// client address) + `:` + the hex HMAC of the normalized name.
    ///
    /// The name, which the client chooses, reaches the key only as its HMAC (hex
    /// digits), last and after a prefix no account key has, and networks are written
    /// so that none followed by `:` starts another: no name can make one key equal
    /// another (`ada|ip:203.0.113.9` is just an odd name, hashed like any).
    pub fn pair_key(&self, ctx: &AuthHookContext) -> Option<String> {
        pair_key(&self.names, ctx)
    }

    /// How long the login in `ctx` stays locked (its pair or its account), if it is.
    pub async fn retry_after(&self, ctx: &AuthHookContext) -> Result<Option<Duration>, StoreError> {
        let pair = self.pair.retry_after(ctx).await?;
        let account = self.account.retry_after(ctx).await?;
        Ok(pair.max(account))
    }
}

/// The HMAC of the login name in `ctx` (already normalized by the context); `None`
/// when there is none.
fn login_digest(names: &LoginNameKey, ctx: &AuthHookContext) -> Option<String> {
    let login = ctx.username()?;
    (!login.is_empty()).then(|| names.digest(login))
}

fn account_key(names: &LoginNameKey, ctx: &AuthHookContext) -> Option<String> {
    Some(format!("login:{}", login_digest(names, ctx)?))
}

fn pair_key(names: &LoginNameKey, ctx: &AuthHookContext) -> Option<String> {
    let login = login_digest(names, ctx)?;
    let network = ctx.request().and_then(|r| r.client_ip).map(client_network);
    Some(format!(
        "pair:{}:{login}",
        network.as_deref().unwrap_or("none")
    ))
}

impl fmt::Debug for Lockout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Lockout")
            .field("pair", &self.pair)
            .field("account", &self.account)
            .field("names", &self.names)
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
