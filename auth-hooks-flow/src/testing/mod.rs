//! What every store must do, as async suites that panic with the broken promise's name:
//! run them from your store crate's tests (`auth-hooks-sqlite` and `auth-hooks-redis`
//! run exactly these).
//!
//! ```no_run
//! # async fn run(store: std::sync::Arc<auth_hooks_flow::MemorySessionStore>) {
//! use auth_hooks_flow::testing;
//!
//! testing::session_store_conformance(store).await;
//! # }
//! ```
//!
//! The trait suites ([`session_store_conformance`], [`jti_blocklist_conformance`],
//! [`attempt_store_conformance`], [`user_store_conformance`],
//! [`atomicity_conformance`], [`second_factor_store_conformance`],
//! [`continuation_store_conformance`]) each take an empty store; [`full_cycle`] runs one
//! whole login/logout cycle through the [`AuthFlow`](crate::AuthFlow) on a store seeded
//! with [`USERS`]; [`parallel_guesses_conformance`] races bursts of guesses against the
//! lockout and IP throttle kept in an attempt store.

mod conformance;
mod parallel_guesses;
mod store_flow;

pub use conformance::*;
pub use parallel_guesses::*;
pub use store_flow::*;

use auth_hooks::RequestMeta;

use crate::Credentials;

/// The password of every seeded test user.
pub const PASSWORD: &str = "correct horse battery staple";

/// A login request's metadata, from a documentation address (`203.0.113.9`).
pub fn request() -> RequestMeta {
    RequestMeta::new("POST", "/login")
        .client_ip("203.0.113.9".parse().expect("a valid address"))
        .user_agent("tests")
}

/// Ada's credentials (login `ada`) with `password`.
pub fn ada(password: &str) -> Credentials {
    Credentials::password("ada", password)
}
