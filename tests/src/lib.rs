//! What the cross-crate tests share: a real server on 127.0.0.1 with an HTTP client,
//! and the load tests' timing and tallies. The helpers the crates' own tests share are
//! in `auth-hooks-test-support` (`tests/support`).

pub mod http_support;
pub mod load_support;
