//! **axum integration of auth-hooks: login and logout over HTTP, with your hooks around them.**
//!
//! # Sections
//! - [Redirects after login](next)
//! - [Client addresses behind proxies](TrustedProxies)
//! - [The session cookie](SessionCookie)
//! - [CSRF protection](csrf)
//! - [Errors and status codes](WebError)

mod body;
mod client_ip;
mod cookie;
pub mod csrf;
mod error;
pub mod next;
mod request_meta;

pub use body::{BodyFormat, LoginBody, MAX_LOGIN_BODY};
pub use client_ip::{InvalidProxy, TrustedProxies};
pub use cookie::SessionCookie;
pub use csrf::{CsrfProtection, CsrfRejection, InvalidOrigin};
pub use error::WebError;
pub use request_meta::{request_meta, MAX_USER_AGENT};
