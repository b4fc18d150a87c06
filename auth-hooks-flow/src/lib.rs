//! **A real login/logout flow for [`auth_hooks`] to plug into: passwords, sessions, JWTs,
//! revocation, stores behind traits, and built-in hooks.**
//!
//! | part | what it is |
//! |---|---|
//! | [`PasswordHasher`] | argon2id, OWASP parameters, PHC strings, `needs_rehash`, dummy verify |
//! | [`SessionManager`] | 256-bit ids, HMAC-SHA256 at rest, TTL, idle timeout, rotation |
//! | [`TokenManager`] | access + refresh JWTs (`iss`, `aud`, `nbf`, `kid` checked), JTI blocklist on every path, family revocation |
//! | [`AuthFlow`] | login, logout, session and token checks, refresh, registration, password change, with the hooks run around them in a fixed order (see [`AuthFlow::login_with`], [`AuthFlow::refresh_from`], [`AuthFlow::register_with`] and [`AuthFlow::change_password`]) |
//! | [`PasswordPolicy`] | what a new password must be: NIST SP 800-63B's rules and a check of yours |
//! | [`SessionEnricher`], [`SessionData`] | what `on_login` hooks keep with the session, typed, in every store |
//! | [`TokenClaims`] | custom claims hooks add to a login's tokens, kept across refreshes |
//! | [`KeyRing`], [`derive_key`] | key rotation (the first key signs, every key verifies; tokens carry a `kid`), per-purpose keys from one secret |
//! | [`second_factor`] | TOTP and recovery codes a `before_login` hook requires: a challenge, a continuation, [`AuthFlow::resume_login`], enrollment |
//! | [`builtin`] | audit, lockout, IP throttle, revoke other sessions: hooks activated with `ready!` |
//! | [`testing`] (feature `testing`) | the conformance suite every store must pass |
//!
//! Every store is a trait usable as `Arc<dyn Trait>` ([`SessionStore`], [`JtiBlocklist`],
//! [`AttemptStore`], [`UserStore`]), with an in-memory implementation here. Database
//! stores live in crates of their own that pass the same conformance suite:
//! `auth-hooks-sqlite` (the embedded default) and `auth-hooks-redis` (many app
//! instances). A store that fails never lets anything through: logins and checks are
//! refused with a `StoreUnavailable` error, which [`LoginError::is_unavailable`] and
//! [`AuthError::is_unavailable`] report, for a web layer to answer 503.
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! use auth_hooks_flow::*;
//! use auth_hooks::RequestMeta;
//!
//! let hasher = PasswordHasher::for_tests(); // PasswordHasher::owasp() in production
//! let users = Arc::new(MemoryUserStore::new());
//! users.add("u1", "ada", "correct horse", &hasher)?;
//!
//! let flow = AuthFlow::builder(PasswordBackend::new(users, hasher))
//!     .sessions(SessionManager::new(SessionKey::generate()?, Arc::new(MemorySessionStore::new())))
//!     .build()?;
//!
//! let rt = tokio::runtime::Builder::new_current_thread().build()?;
//! rt.block_on(async {
//!     let ok = flow.login(Credentials::password("ada", "correct horse"), RequestMeta::new("POST", "/login")).await?;
//!     let session = ok.session.expect("sessions are on");
//!     assert_eq!(flow.authenticate_session(&session.id).await?.user.id, "u1");
//!
//!     let err = flow.login(Credentials::password("ada", "wrong"), RequestMeta::new("POST", "/login")).await.unwrap_err();
//!     assert_eq!(err.client_message(), "Invalid username or password.");
//!
//!     flow.logout(LogoutTarget::session(session.id), RequestMeta::new("POST", "/logout")).await?;
//!     Ok(())
//! })
//! # }
//! ```
//!
//! A login's argon2 work runs on the [`PasswordBackend`]'s own hashing threads, behind
//! a bounded queue, so it never stalls the async runtime and its memory stays bounded
//! however many logins arrive (past the queue, [`LoginError::Overloaded`]); a login
//! cancelled after its session was created revokes it on a spawned Tokio task.

#![cfg_attr(docsrs, feature(doc_cfg))]

mod attempts;
mod authenticate;
mod backend;
mod blocklist;
mod clock;
mod credentials;
mod custom_claims;
mod error;
mod expiry;
mod hash_pool;
mod hook_fields;
mod key;
mod login;
mod logout;
mod other_logins;
mod password;
mod password_change;
mod password_policy;
mod random;
mod refresh;
mod register;
pub mod second_factor;
mod session;
mod session_data;
mod session_store;
mod store;
mod sweeper;
mod token;
mod undo;
mod users;

pub mod builtin;
pub mod timestamp;

#[cfg(feature = "testing")]
pub mod testing;

pub use attempts::{AttemptStore, MemoryAttemptStore};
pub use authenticate::Authenticated;
pub use backend::{
    AuthBackend, AuthOutcome, AuthenticatedUser, BackendError, PasswordAccount, PasswordBackend,
    PasswordBackendBuilder, PasswordChange, Registration,
};
pub use blocklist::{JtiBlocklist, MemoryJtiBlocklist};
pub use clock::{Clock, ManualClock, SystemClock};
pub use credentials::{Credentials, NotAnObject};
pub use custom_claims::{ClaimError, TokenClaims, AMR_CLAIM, RESERVED_CLAIMS};
pub use error::{AuthError, LoginError, LogoutError};
pub use key::{derive_key, KeyError, KeyRing, MIN_SECRET_LEN};
pub use login::{AuthFlow, AuthFlowBuilder, FlowConfigError, LoginOptions, LoginSuccess};
pub use logout::{LogoutOutcome, LogoutTarget};
pub use password::{PasswordError, PasswordHasher};
pub use password_change::PasswordChanged;
pub use password_policy::{PasswordPolicy, PasswordRejected};
pub use register::{RegisterOptions, Registered};
pub use session::{
    InvalidSessionId, NewSession, SessionConfig, SessionId, SessionKey, SessionManager,
};
pub use session_data::{SessionData, SessionEnricher};
pub use session_store::{MemorySessionStore, SessionRecord, SessionStore};
pub use store::StoreError;
pub use sweeper::{Sweeper, Swept};
pub use token::{
    BearerToken, Claims, IssuedToken, JwtKeys, TokenConfig, TokenError, TokenManager, TokenPair,
};
pub use users::{MemoryUserStore, NewUserOutcome, PasswordUser, UserStore};

/// The async-trait attribute the store traits are written with, for implementations:
/// `#[auth_hooks_flow::async_trait]`.
pub use async_trait::async_trait;
/// The one form of a login name stores compare (re-exported for store crates).
pub use auth_hooks::normalize_login;
