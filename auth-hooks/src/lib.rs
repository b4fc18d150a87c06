//! **Run your own code at each step of authentication, with one annotation.**
//!
//! ```
//! use auth_hooks::{before_authenticate, before_login, on_login, AuthHookContext, AuthHookReject, Phase};
//!
//! /// The application's user record, as its authentication backend returns it.
//! pub struct Account {
//!     pub suspended: bool,
//! }
//!
//! mod security {
//!     use super::*;
//!
//!     /// The gate: runs before any password is checked.
//!     #[before_authenticate]
//!     pub fn deny_root(ctx: &AuthHookContext) -> Result<(), AuthHookReject> {
//!         // The normalized name: `Root` and `ＲＯＯＴ` are refused too.
//!         match ctx.username() {
//!             Some("root") => Err(AuthHookReject::new("Not allowed.")),
//!             _ => Ok(()),
//!         }
//!     }
//!
//!     /// Refuses suspended users once their password was verified.
//!     #[before_login]
//!     pub fn deny_suspended(ctx: &AuthHookContext) -> Result<(), AuthHookReject> {
//!         match ctx.user::<Account>() {
//!             Some(account) if account.suspended => {
//!                 Err(AuthHookReject::new("This account is suspended."))
//!             }
//!             _ => Ok(()),
//!         }
//!     }
//!
//!     /// Records every successful login.
//!     #[on_login(priority = 10)]
//!     pub async fn audit(ctx: &AuthHookContext) -> Result<(), std::io::Error> {
//!         println!("login: user={:?}", ctx.user_id());
//!         Ok(())
//!     }
//! }
//!
//! fn main() {
//!     // Nothing runs until the application activates the modules it wants.
//!     let hooks = auth_hooks::ready!(crate::security).expect("hooks are declared");
//!
//!     let ctx = AuthHookContext::builder()
//!         .credentials(serde_json::json!({ "username": "mallory", "password": "x" }))
//!         .user_id("u-mallory")
//!         .user(Account { suspended: true })
//!         .build();
//!     hooks.run_blocking(Phase::BeforeAuthenticate, &ctx).expect("mallory is not root");
//!     let err = hooks.run_blocking(Phase::BeforeLogin, &ctx).unwrap_err();
//!     assert_eq!(err.client_message(), "This account is suspended.");
//! }
//! ```
//!
//! # Sections
//! - [Declaring hooks](#declaring-hooks)
//! - [Activating them](#activating-them)
//! - [Running them](#running-them)
//! - [What a hook sees](#what-a-hook-sees)
//! - [A login flow to plug them into](#a-login-flow-to-plug-them-into)
//!
//! # Declaring hooks
//! [`before_authenticate`], [`before_login`], [`on_login`], [`on_logout`],
//! [`on_login_failed`], [`on_refresh`], [`before_register`], [`on_register`] and
//! [`on_password_change`] go on a free
//! `fn` or `async fn` taking `&AuthHookContext` and returning `()`,
//! `Result<(), AuthHookReject>` (to refuse a login), `Result<(), E>` for any error type
//! (to report a failure), or `Result<(), HookError>` (both). Arguments:
//!
//! | argument | meaning |
//! |---|---|
//! | `name = "…"` | name in logs and errors (default: the fn's path) |
//! | `priority = 10` | higher runs first; ties keep source order |
//! | `backend = "password"` or `backend = ["a", "b"]` | run only for these auth backends |
//! | `timeout_ms = 250` | an async hook running longer counts as failed |
//! | `on_error = "log"` | this hook's error policy instead of its phase's |
//! | `mode = "shadow"` | report only: rejects and failures are logged and counted, not enforced |
//! | `breaker(failures = 3, open_ms = 30000)`, `fallback = "allow"` | a circuit breaker |
//! | `crate = path` | where `auth_hooks` is, for crates that re-export it |
//!
//! The context is shared (`&`, never `&mut`): every hook of a phase sees the same facts,
//! whatever ran before it. One fn may carry several phase attributes (an audit hook on
//! login and logout); the same attribute twice is an error.
//!
//! At link time each declaration adds one entry to a distributed slice (`linkme`; with
//! the `inventory` feature, or on wasm, `inventory`). That entry records the phase, the
//! name, where the hook was written and its options. Declaring runs nothing.
//!
//! # Activating them
//! [`ready!`] takes the modules whose hooks the application wants, and returns an owned
//! [`AuthHookRegistry`]. Keep it in your state; there is no global.
//!
//! # Running them
//! [`AuthHookRegistry::run`] (async, any executor) and
//! [`AuthHookRegistry::run_blocking`] (no runtime at all) run a phase's hooks in
//! order under the phase's [`ErrorPolicy`]: `raise` stops on a failure, `log` logs it
//! and goes on. Defaults: `before_authenticate`, `before_login`, `on_refresh`,
//! `before_register` and `on_login_failed` `raise`; `on_login`, `on_logout`,
//! `on_register` and `on_password_change` `log`. A reject in a phase that may refuse
//! (`before_authenticate`, `before_login`, `on_refresh`, `before_register`) always
//! stops what it guards. Panics are caught and count as failures; in a phase that may
//! refuse, a panic or a timeout stops it under either policy.
//!
//! A login meets the phases in this order: `before_authenticate` (no secret, no user),
//! the credentials check, `before_login` (the authenticated user), the session and
//! tokens, `on_login`; or, on bad credentials, `on_login_failed`. A refresh meets
//! `before_authenticate`, then `on_refresh` before the new tokens are issued. A
//! registration meets `before_register`, then `on_register`; a password change,
//! `on_password_change`.
//!
//! # What a hook sees
//! An [`AuthHookContext`]: the user, the credentials with every secret removed
//! ([`Sanitizer`]), the request's method, path, client IP and user agent, the session
//! and token *metadata*, the auth backend's name, and free metadata.
//!
//! # A login flow to plug them into
//! This crate is the hook DSL and its runtime only. The flow that runs the hooks around
//! a real login lives beside it, one crate per job:
//!
//! | crate | what it holds |
//! |---|---|
//! | `auth-hooks-flow` | `AuthFlow` (login, logout, session and token checks, refresh), argon2id passwords, HMAC'd sessions, JWTs with a blocklist, store traits with in-memory stores, built-in hooks (`auth_hooks_flow::builtin`: audit, lockout, IP throttle, revoke other sessions) |
//! | `auth-hooks-sqlite` | every store of the flow in SQLite, compiled in (the embedded default) |
//! | `auth-hooks-redis` | every store of the flow in Redis, for many app instances |
//! | `auth-hooks-axum` | login/logout/refresh routes, extractors, guards, CSRF, `next` validation, cookies |
//!
//! Built-in hooks are activated with [`ready!`] like any others:
//! `auth_hooks::ready!(crate::security, auth_hooks_flow::builtin::lockout)`.
//! `cargo run -p examples --example flow` shows it all.

#![cfg_attr(docsrs, feature(doc_cfg))]

mod block_on;
mod breaker;
mod challenge;
mod clock;
mod context;
mod dispatch;
mod error;
mod guard;
mod hook;
mod hook_fn;
mod log_safe;
mod login_name;
#[cfg(feature = "metrics")]
#[cfg_attr(docsrs, doc(cfg(feature = "metrics")))]
mod metrics;
mod mode;
mod outcome;
mod overrides;
mod phase;
mod phase_hooks;
mod phase_runs;
mod policy;
mod ready;
mod registry;
mod reject;
mod request_meta;
mod sanitize;
mod session_meta;
mod stats;
mod thread_slot;
mod token_meta;

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;

#[cfg(feature = "testing")]
#[cfg_attr(docsrs, doc(cfg(feature = "testing")))]
pub mod testing;

pub use auth_hooks_macros::{
    before_authenticate, before_login, before_register, on_login, on_login_failed, on_logout,
    on_password_change, on_refresh, on_register,
};

pub use breaker::{BreakerConfig, BreakerFallback, BreakerState};
pub use challenge::AuthHookChallenge;
pub use clock::{FakeHookClock, HookClock, SystemHookClock};
pub use context::{AuthHookContext, AuthHookContextBuilder};
pub use error::{
    AuthHookError, AuthHookExecutionError, ConfigError, HookChallenged, HookFailure, HookRejected,
    ReadyError,
};
pub use hook::{HookInfo, HookOptions};
pub use hook_fn::{HookFn, HookFuture, SyncHookFn};
pub use log_safe::{hides_text, LogSafe};
pub use login_name::{normalize_login, normalize_login_fields, LOGIN_FIELDS};
pub use mode::HookMode;
pub use outcome::{BoxError, HookError, HookResult, IntoHookResult};
pub use overrides::{HookOverride, HookOverrides};
pub use phase::Phase;
pub use policy::{ErrorPolicy, HookPolicies};
pub use registry::{AuthHookRegistry, IntoPhase};
pub use reject::AuthHookReject;
pub use request_meta::RequestMeta;
pub use sanitize::Sanitizer;
pub use session_meta::SessionMeta;
pub use stats::{HookStats, DURATION_BUCKETS_US};
pub use token_meta::{TokenKind, TokenMeta};

/// The README's examples, compiled and run as doctests.
#[doc = include_str!("../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
