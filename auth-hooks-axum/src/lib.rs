//! **axum integration of auth-hooks: login and logout over HTTP, with your hooks around them.**
//!
//! ```no_run
//! use std::net::SocketAddr;
//! use std::sync::Arc;
//!
//! use auth_hooks_flow::*;
//! use auth_hooks_axum::{routes, AuthState, WebConfig};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let hasher = PasswordHasher::owasp();
//! let users = Arc::new(MemoryUserStore::new());
//! users.add("u1", "ada", "correct horse battery staple", &hasher)?;
//! let flow = AuthFlow::builder(PasswordBackend::new(users, hasher))
//!     .sessions(SessionManager::new(SessionKey::generate()?, Arc::new(MemorySessionStore::new())))
//!     .build()?;
//!
//! let app = axum::Router::new().merge(routes(AuthState::new(flow, WebConfig::default())));
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
//! axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>()).await?;
//! # Ok(()) }
//! ```
//!
//! # Sections
//! - [Routes and status codes](routes)
//! - [Who is logged in](CurrentUser), [guards](LoginRequired)
//! - [Redirects after login](next)
//! - [Client addresses behind proxies](TrustedProxies)
//! - [The session cookie](SessionCookie)
//! - [CSRF protection](csrf)
//! - [Security headers](security_headers())
//! - [Errors and status codes](WebError)
//!
//! # What hooks see
//! The routes hand the flow a [`RequestMeta`](auth_hooks::RequestMeta) built by
//! [`request_meta`]: method, path (no query), client address (trusted proxies
//! honoured) and user agent. The body goes to the flow as credentials, which the
//! context sanitizes; the `Cookie` and `Authorization` headers never leave this crate.

mod body;
mod client_ip;
mod config;
mod cookie;
pub mod csrf;
mod error;
mod extract;
mod flow_errors;
mod guard;
mod media_type;
pub mod next;
pub mod page;
mod password_body;
mod request_meta;
mod routes;
mod second_factor_body;
mod security_headers;
mod state;
mod totp_removal_body;

pub use body::{BodyFormat, LoginBody, MAX_LOGIN_BODY};
pub use client_ip::{InvalidProxy, TrustedProxies};
pub use config::{Registration, WebConfig};
pub use cookie::{DuplicateSessionCookie, SessionCookie};
pub use csrf::{CsrfProtection, CsrfRejection, InvalidOrigin};
pub use error::WebError;
pub use extract::{AuthVia, CurrentUser, HookRequest, UserRecord};
pub use guard::{LoginRequired, RedirectIfAuthenticated};
pub use password_body::PasswordChangeBody;
pub use request_meta::{request_meta, MAX_USER_AGENT};
pub use routes::{csrf_guard, routes};
pub use second_factor_body::SecondFactorBody;
pub use security_headers::{security_headers, CONTENT_SECURITY_POLICY, STRICT_TRANSPORT_SECURITY};
pub use state::AuthState;
pub use totp_removal_body::{TotpRemovalBody, TotpRemovalProof};
