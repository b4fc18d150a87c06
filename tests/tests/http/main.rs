//! The HTTP tests: `auth-hooks-axum` serving a real `auth-hooks-flow` on 127.0.0.1 over
//! TCP, on memory, SQLite and Redis stores, driven by an HTTP client (and, in
//! `browser`, by chromium). One test binary, one module per concern.

mod app;
mod browser;
mod context;
mod cookies;
mod csrf;
mod cycle;
mod disconnect;
mod errors;
mod headers;
mod ip_throttle;
mod lifecycle;
mod next;
mod outages;
mod rotation;
mod second_factor;
mod stores;
