//! The one error every store returns, and what the flow makes of it: a refusal.

use std::fmt;

use auth_hooks::BoxError;

/// A store (sessions, JTI blocklist, failure counters, users) could not answer.
///
/// The flow never reads this as "not found" or "not blocked": a login, a session check
/// or a token check that meets a `StoreError` is refused (fail closed), and the caller
/// gets a `StoreUnavailable` error to answer with 503.
///
/// Its text is for logs. Stores only ever see hashes and ids, never a secret, so the
/// text holds none; implementations must keep it that way.
#[derive(thiserror::Error)]
#[error("store unavailable: {message}")]
pub struct StoreError {
    message: String,
    #[source]
    source: Option<BoxError>,
}

impl StoreError {
    /// A store error described by `message`.
    pub fn new(message: impl Into<String>) -> Self {
        StoreError {
            message: message.into(),
            source: None,
        }
    }

    /// A store error caused by `source` (a database or network error).
    pub fn with_source(message: impl Into<String>, source: impl Into<BoxError>) -> Self {
        StoreError {
            message: message.into(),
            source: Some(source.into()),
        }
    }

    /// The in-memory stores' answer when a thread panicked while holding their lock:
    /// the data may be half-written, so it is not trusted.
    pub(crate) fn poisoned(store: &str) -> Self {
        StoreError::new(format!(
            "{store}: lock poisoned by a panic; refusing to trust its data"
        ))
    }

    /// What went wrong.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Debug for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoreError")
            .field("message", &self.message)
            .field("source", &self.source.as_ref().map(|s| s.to_string()))
            .finish()
    }
}
