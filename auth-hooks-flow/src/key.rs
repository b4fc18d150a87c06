//! The error of a secret key too short to be one.

/// A key too short to be a key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what} must be at least {min} bytes, got {got}")]
pub struct KeyError {
    /// Which key.
    pub what: &'static str,
    /// The minimum length.
    pub min: usize,
    /// The length given.
    pub got: usize,
}
