//! What the tests of several auth-hooks crates share: log capture always; a flow on
//! memory stores with failing doubles (feature `flow`); Redis servers and stores
//! (feature `redis`). Not published.

pub mod logs;

#[cfg(feature = "flow")]
pub mod flow;

#[cfg(feature = "redis")]
pub mod redis;
