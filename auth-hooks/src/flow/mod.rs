//! A real login/logout flow for the hooks to plug into: passwords, sessions, JWTs,
//! revocation, with stores behind traits.
//!
//! Built from parts behind cargo features, each usable alone:
//!
//! | feature | part |
//! |---|---|
//! | `password` | [`PasswordHasher`]: argon2id, OWASP parameters, PHC strings, `needs_rehash`, dummy verify |
//! | `sessions` | [`SessionManager`]: 256-bit ids, HMAC-SHA256 at rest, TTL, idle timeout, rotation |
//! | `jwt` | [`TokenManager`]: access + refresh JWTs, JTI blocklist on every path, family revocation |
//! | `flow` | all of the above, [`AuthFlow`], the [`PasswordBackend`] and the [built-in hooks](crate::builtin) |
//! | `sqlite` | `SqliteStore`: every store in one SQLite file (or in memory), the embedded default |
//! | `redis` | `RedisStore`: every store in Redis, for many app instances, with native expiry |
//!
//! Every store is a trait usable as `Arc<dyn Trait>` ([`SessionStore`], [`JtiBlocklist`],
//! [`AttemptStore`], [`UserStore`]), with an in-memory implementation here and, behind
//! the `sqlite` and `redis` features, database-backed ones that pass the same
//! conformance suite. A store that
//! fails never lets anything through: logins and checks are refused with a
//! `StoreUnavailable` error.
//!
//! ```
//! # #[cfg(feature = "flow")]
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! use auth_hooks::flow::*;
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
//! # #[cfg(not(feature = "flow"))] fn main() {}
//! ```

mod clock;
mod random;
mod store;

pub use clock::{Clock, ManualClock, SystemClock};
pub use store::StoreError;

#[cfg(feature = "password")]
mod password;
#[cfg(feature = "password")]
pub use password::{PasswordError, PasswordHasher};

#[cfg(feature = "sessions")]
mod session;
#[cfg(feature = "sessions")]
mod session_store;
#[cfg(feature = "sessions")]
pub use session::{
    InvalidSessionId, NewSession, SessionConfig, SessionId, SessionKey, SessionManager,
};
#[cfg(feature = "sessions")]
pub use session_store::{MemorySessionStore, SessionRecord, SessionStore};

#[cfg(any(feature = "sessions", feature = "jwt"))]
mod key;
#[cfg(any(feature = "sessions", feature = "jwt"))]
pub use key::KeyError;

#[cfg(feature = "jwt")]
mod blocklist;
#[cfg(feature = "jwt")]
mod token;
#[cfg(feature = "jwt")]
pub use blocklist::{JtiBlocklist, MemoryJtiBlocklist};
#[cfg(feature = "jwt")]
pub use token::{
    BearerToken, Claims, IssuedToken, JwtKeys, TokenConfig, TokenError, TokenManager, TokenPair,
};

#[cfg(feature = "flow")]
mod attempts;
#[cfg(feature = "flow")]
mod authenticate;
#[cfg(feature = "flow")]
mod backend;
#[cfg(feature = "flow")]
mod cpu_heavy;
#[cfg(feature = "flow")]
mod credentials;
#[cfg(feature = "flow")]
mod error;
#[cfg(feature = "flow")]
mod login;
#[cfg(feature = "flow")]
mod logout;
#[cfg(feature = "flow")]
mod undo;
#[cfg(feature = "flow")]
mod users;

#[cfg(feature = "flow")]
pub use attempts::{AttemptStore, MemoryAttemptStore};
#[cfg(feature = "flow")]
pub use authenticate::Authenticated;
#[cfg(feature = "flow")]
pub use backend::{
    AuthBackend, AuthOutcome, AuthenticatedUser, BackendError, PasswordAccount, PasswordBackend,
};
#[cfg(feature = "flow")]
pub use credentials::{Credentials, NotAnObject};
#[cfg(feature = "flow")]
pub use error::{AuthError, LoginError, LogoutError};
#[cfg(feature = "flow")]
pub use login::{AuthFlow, AuthFlowBuilder, FlowConfigError, LoginOptions, LoginSuccess};
#[cfg(feature = "flow")]
pub use logout::{LogoutOutcome, LogoutTarget};
#[cfg(feature = "flow")]
pub use users::{MemoryUserStore, PasswordUser, UserStore};

#[cfg(any(feature = "sqlite", feature = "redis"))]
mod timestamp;

#[cfg(feature = "sqlite")]
mod sqlite_store;
#[cfg(feature = "sqlite")]
pub use sqlite_store::{SqliteOptions, SqliteStore, SCHEMA_VERSION as SQLITE_SCHEMA_VERSION};

#[cfg(feature = "redis")]
mod redis_store;
#[cfg(feature = "redis")]
pub use redis_store::{RedisConfig, RedisStore};

/// The async-trait attribute the store traits are written with, for implementations:
/// `#[auth_hooks::flow::async_trait]`.
pub use async_trait::async_trait;
