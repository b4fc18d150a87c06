//! Per-client throttling: N failed logins from one client address within a window
//! block that address for a period, whatever login names it tries.
//!
//! The account [`lockout`](crate::builtin::lockout) stops guessing against one account;
//! this stops one client from spraying many accounts (credential stuffing), which no
//! per-account count sees. Activate with `auth_hooks::ready!(auth_hooks_flow::builtin::ip_throttle)`
//! and attach an [`IpThrottle`] (`AuthFlowBuilder::extension(IpThrottle::new(store))`).
//! Defaults: 20 failures within 900 s block the address for 900 s. Two hooks:
//!
//! - `check` (`before_login`, priority 900 100, before the account lockout): a blocked
//!   address is refused with a reject carrying `retry_after`, which the flow reports as
//!   [`LoginError::LockedOut`](crate::LoginError::LockedOut) (HTTP 429), before
//!   any password is checked.
//! - `count` (`on_login_failed`, priority 900 100): counts the failure against the
//!   address, before the application's own `on_login_failed` hooks, so that none of
//!   theirs failing under `raise` can skip it.
//!
//! A success does not clear the count: one valid account must not let a client go on
//! guessing others. The address is the request's `client_ip`, as the web layer resolved
//! it (through trusted proxies only), IPv6 counted per /64; a request without one is
//! not throttled (serve axum with `into_make_service_with_connect_info`).
//!
//! Mind shared addresses: everyone behind one NAT (an office, a campus, carrier-grade
//! NAT) shares a count, and behind a reverse proxy that is not configured as trusted
//! every client is the proxy. Raise `max_failures` for such audiences, and configure
//! `TrustedProxies` behind a proxy.
//!
//! Without the [`IpThrottle`] extension, `check` fails with
//! [`MissingExtension`]: under `before_login`'s default `raise` policy every login is
//! refused until it is configured.

use std::net::{IpAddr, Ipv6Addr};
use std::sync::Arc;
use std::time::Duration;

use crate::builtin::lockout::{refuse_if_locked, Lockout, LockoutConfig};
use crate::builtin::{required, MissingExtension};
use crate::{AttemptStore, Clock};
use auth_hooks::{before_login, on_login_failed, AuthHookContext, HookError};

/// The message a blocked client sees.
pub const THROTTLED_MESSAGE: &str =
    "Too many failed login attempts from your network. Please try again later.";

/// The throttle's store, limits and clock: the extension its hooks read.
#[derive(Clone, Debug)]
pub struct IpThrottle(Lockout);

impl IpThrottle {
    /// Counters in `store` (under `ip:` keys, apart from the account lockout's), the
    /// default limits (20 failures within 900 s block for 900 s), system clock.
    pub fn new(store: Arc<dyn AttemptStore>) -> Self {
        // The window and the block are the lockout's defaults (900 s each).
        let config = LockoutConfig::default().max_failures(20);
        IpThrottle(Lockout::keyed(store, config, Self::key))
    }

    /// Sets the limits.
    pub fn with_config(self, config: LockoutConfig) -> Self {
        IpThrottle(self.0.with_config(config))
    }

    /// Sets the clock.
    pub fn with_clock(self, clock: Arc<dyn Clock>) -> Self {
        IpThrottle(self.0.with_clock(clock))
    }

    /// The limits in force.
    pub fn config(&self) -> &LockoutConfig {
        self.0.config()
    }

    /// The counter key of the client in `ctx`: `ip:` + its IPv4 address, or its IPv6
    /// /64 network (one subscriber usually holds a whole /64, so counting single IPv6
    /// addresses would count nothing).
    pub fn key(ctx: &AuthHookContext) -> Option<String> {
        Some(match ctx.request()?.client_ip? {
            IpAddr::V4(v4) => format!("ip:{v4}"),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => format!("ip:{v4}"),
                None => {
                    let network = u128::from(v6) & !(u128::from(u64::MAX));
                    format!("ip:{}/64", Ipv6Addr::from(network))
                }
            },
        })
    }

    /// How long the client in `ctx` stays blocked, if it is.
    pub async fn retry_after(
        &self,
        ctx: &AuthHookContext,
    ) -> Result<Option<Duration>, crate::StoreError> {
        self.0.retry_after(ctx).await
    }
}

fn throttle<'a>(
    ctx: &'a AuthHookContext,
    hook: &'static str,
) -> Result<&'a IpThrottle, MissingExtension> {
    required(
        ctx,
        MissingExtension {
            hook,
            extension: "auth_hooks_flow::builtin::ip_throttle::IpThrottle",
            fix: "attach one with AuthFlowBuilder::extension(IpThrottle::new(store))",
        },
    )
}

/// Refuses a blocked client address before any password is checked.
#[before_login(priority = 900100)]
pub async fn check(ctx: &AuthHookContext) -> Result<(), HookError> {
    let throttle = throttle(ctx, "auth_hooks_flow::builtin::ip_throttle::check")?;
    refuse_if_locked(
        &throttle.0,
        ctx,
        THROTTLED_MESSAGE,
        "client address blocked after repeated failures",
    )
    .await
}

/// Counts a failed login against the client's address; blocks it at the limit.
#[on_login_failed(priority = 900100)]
pub async fn count(ctx: &AuthHookContext) -> Result<(), HookError> {
    let throttle = throttle(ctx, "auth_hooks_flow::builtin::ip_throttle::count")?;
    throttle.0.record_failure(ctx).await?;
    Ok(())
}
