//! Per-client throttling: N failed logins from one client address within a window
//! block that address for a period, whatever login names it tries.
//!
//! The account [`lockout`](crate::builtin::lockout) stops guessing against one account;
//! this stops one client from spraying many accounts (credential stuffing), which no
//! per-account count sees. Activate with `auth_hooks::ready!(auth_hooks_flow::builtin::ip_throttle)`
//! and attach an [`IpThrottle`] (`AuthFlowBuilder::extension(IpThrottle::new(store))`).
//! Defaults: 20 failed attempts within 900 s block the address for 900 s. Two hooks:
//!
//! - `check` (`before_authenticate`, priority 900 100, before the account lockout): a
//!   blocked address is refused with a reject carrying `retry_after`, which the flow
//!   reports as [`LoginError::LockedOut`](crate::LoginError::LockedOut) (HTTP 429).
//!   Otherwise it *reserves* the attempt, atomically in the store, before any password
//!   is checked: however many guesses arrive at once, at most 20 are verified.
//! - `settle` (`before_login`, `on_refresh` and `on_password_change`, priority 900 100): the password (or
//!   the refresh token) was right, so this attempt is taken back. A success does not
//!   clear the earlier failures: one valid account must not let a client go on
//!   guessing others.
//!
//! Refreshes go through the same gate: a client replaying revoked or forged refresh
//! tokens is counted and blocked like one guessing passwords. So do registrations
//! (`check` is also a `before_register` hook), and each one counts, since nothing takes
//! it back: one network registers at most `max_failures` accounts a window, and a
//! flood of registrations cannot fill the hashing threads that logins share. A blocked
//! registration is refused with [`THROTTLED_REGISTRATION_MESSAGE`].
//!
//! The address is the request's `client_ip`, as the web layer resolved it (through
//! trusted proxies only), IPv6 counted per /64. A request without one is refused, not
//! let through unthrottled: `check` fails with [`MissingClientAddress`], logged as an
//! error saying what to configure (serve axum with
//! `into_make_service_with_connect_info::<SocketAddr>()`, or set
//! `RequestMeta::client_ip` when calling the flow yourself); under the gates' default
//! `raise` policy the login is refused (fail closed), as with a missing extension.
//!
//! Mind shared addresses: everyone behind one NAT (an office, a campus, carrier-grade
//! NAT) shares a count, and behind a reverse proxy that is not configured as trusted
//! every client is the proxy. Raise `max_failures` for such audiences, and configure
//! `TrustedProxies` behind a proxy.
//!
//! Without the [`IpThrottle`] extension the flow refuses to build; a context built by
//! hand without it makes `check` fail with [`MissingExtension`].

use std::net::{IpAddr, Ipv6Addr};
use std::sync::Arc;
use std::time::Duration;

use crate::builtin::limiter::{Limiter, LockoutConfig};
use crate::builtin::{required, MissingExtension};
use crate::{AttemptStore, Clock};
use auth_hooks::{
    before_authenticate, before_login, before_register, on_password_change, on_refresh,
    AuthHookContext, HookError,
};

/// The message a blocked client sees.
pub const THROTTLED_MESSAGE: &str =
    "Too many failed login attempts from your network. Please try again later.";

/// The message a blocked client sees when it registers.
pub const THROTTLED_REGISTRATION_MESSAGE: &str =
    "Too many attempts from your network. Please try again later.";

/// The throttle's store, limits and clock: the extension its hooks read.
#[derive(Clone, Debug)]
pub struct IpThrottle(Limiter);

impl IpThrottle {
    /// Counters in `store` (under `ip:` keys, apart from the account lockout's), the
    /// default limits (20 failures within 900 s block for 900 s), system clock.
    pub fn new(store: Arc<dyn AttemptStore>) -> Self {
        // The window and the block are the lockout's defaults (900 s each).
        let config = LockoutConfig::default().max_failures(20);
        IpThrottle(Limiter::new(store, config, Arc::new(Self::key)))
    }

    /// Sets the limits.
    pub fn with_config(mut self, config: LockoutConfig) -> Self {
        self.0.config = config;
        self
    }

    /// Sets the clock.
    pub fn with_clock(self, clock: Arc<dyn Clock>) -> Self {
        IpThrottle(self.0.with_clock(clock))
    }

    /// The limits in force.
    pub fn config(&self) -> &LockoutConfig {
        &self.0.config
    }

    /// The counter key of the client in `ctx`: `ip:` + its [network](client_network).
    pub fn key(ctx: &AuthHookContext) -> Option<String> {
        Some(format!("ip:{}", client_network(ctx.request()?.client_ip?)))
    }

    /// How long the client in `ctx` stays blocked, if it is.
    pub async fn retry_after(
        &self,
        ctx: &AuthHookContext,
    ) -> Result<Option<Duration>, crate::StoreError> {
        self.0.retry_after(ctx).await
    }
}

/// The network a client address is counted under: an IPv4 address (an IPv4-mapped
/// IPv6 address as the IPv4 one), or an IPv6 /64 (one subscriber usually holds a whole
/// /64, so counting single IPv6 addresses would count nothing).
pub fn client_network(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let network = u128::from(v6) & !(u128::from(u64::MAX));
                format!("{}/64", Ipv6Addr::from(network))
            }
        },
    }
}

/// What `check` and `settle` need in the context.
pub(crate) const MISSING: MissingExtension = MissingExtension {
    hook: "auth_hooks_flow::builtin::ip_throttle",
    extension: "auth_hooks_flow::builtin::ip_throttle::IpThrottle",
    fix: "attach one with AuthFlowBuilder::extension(IpThrottle::new(store))",
};

fn throttle<'a>(
    ctx: &'a AuthHookContext,
    hook: &'static str,
) -> Result<&'a IpThrottle, MissingExtension> {
    required(ctx, MissingExtension { hook, ..MISSING })
}

/// The throttle was asked to count a request that has no client address.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "auth hook `{hook}` needs the client's address and the request has none: {}",
    Self::FIX
)]
pub struct MissingClientAddress {
    /// The hook.
    pub hook: &'static str,
}

impl MissingClientAddress {
    /// What to configure.
    pub const FIX: &'static str = "serve axum with \
        into_make_service_with_connect_info::<SocketAddr>() (behind a proxy, configure \
        TrustedProxies), or set RequestMeta::client_ip when calling the flow directly";

    fn report(self) -> Self {
        tracing::error!(
            hook = self.hook,
            "the IP throttle cannot count a request without a client address, so it \
             refuses it: {}",
            Self::FIX
        );
        self
    }
}

/// Refuses a blocked client address, else reserves the attempt before any password is
/// checked (or, for a registration, before it is hashed). A request without a client
/// address fails with [`MissingClientAddress`].
#[before_authenticate(priority = 900100)]
#[before_register(priority = 900100)]
pub async fn check(ctx: &AuthHookContext) -> Result<(), HookError> {
    const HOOK: &str = "auth_hooks_flow::builtin::ip_throttle::check";
    let throttle = throttle(ctx, HOOK)?;
    if IpThrottle::key(ctx).is_none() {
        return Err(MissingClientAddress { hook: HOOK }.report().into());
    }
    let registration = ctx
        .metadata()
        .get("authentication_method")
        .is_some_and(|method| method == "registration");
    let message = if registration {
        THROTTLED_REGISTRATION_MESSAGE
    } else {
        THROTTLED_MESSAGE
    };
    throttle
        .0
        .gate(
            ctx,
            message,
            "client address blocked after repeated failures",
        )
        .await
}

/// Takes back the attempt once its password (or its refresh token) was verified;
/// earlier failures stay. (A request without a client address never gets here: `check`
/// refused it.)
#[before_login(priority = 900100)]
#[on_refresh(priority = 900100)]
#[on_password_change(priority = 900100)]
pub async fn settle(ctx: &AuthHookContext) -> Result<(), HookError> {
    let throttle = throttle(ctx, "auth_hooks_flow::builtin::ip_throttle::settle")?;
    throttle.0.release(ctx).await?;
    Ok(())
}
