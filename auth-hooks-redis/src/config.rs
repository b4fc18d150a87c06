//! Where [`RedisStore`](super::RedisStore) connects and how it names its keys.

use std::fmt;
use std::time::Duration;

/// How [`RedisStore::connect`](super::RedisStore::connect) connects.
///
/// ```
/// use std::time::Duration;
/// use auth_hooks_redis::RedisConfig;
///
/// let config = RedisConfig::new("redis://:secret@127.0.0.1:6379/0")
///     .prefix("shop:auth:")
///     .response_timeout(Duration::from_millis(500));
/// assert_eq!(format!("{config:?}").contains("secret"), false);
/// ```
#[derive(Clone)]
pub struct RedisConfig {
    url: String,
    prefix: String,
    connection_timeout: Duration,
    response_timeout: Duration,
    reconnect_retries: usize,
}

impl RedisConfig {
    /// Connects to `url` (`redis://[user:password@]host[:port][/db]`, or `rediss://`
    /// where the `redis` crate has TLS), with the prefix `auth-hooks:`, a 2 s
    /// connection timeout and a 2 s response timeout.
    pub fn new(url: impl Into<String>) -> Self {
        RedisConfig {
            url: url.into(),
            prefix: "auth-hooks:".to_owned(),
            connection_timeout: Duration::from_secs(2),
            response_timeout: Duration::from_secs(2),
            reconnect_retries: 3,
        }
    }

    /// Puts every key under `prefix` (e.g. `"myapp:auth:"`), so several applications
    /// or test runs can share one Redis.
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// How long one attempt to connect may take.
    pub fn connection_timeout(mut self, timeout: Duration) -> Self {
        self.connection_timeout = timeout;
        self
    }

    /// How long a command may wait for its answer; past it, the call is a
    /// `StoreError` (the flow refuses rather than hangs).
    pub fn response_timeout(mut self, timeout: Duration) -> Self {
        self.response_timeout = timeout;
        self
    }

    /// How many times the connection manager retries (with exponential backoff) each
    /// time it reconnects; a call made while Redis is still away fails and the next
    /// call starts a new round, so this bounds a call's wait, not the recovery.
    pub fn reconnect_retries(mut self, retries: usize) -> Self {
        self.reconnect_retries = retries;
        self
    }

    pub(super) fn url(&self) -> &str {
        &self.url
    }

    pub(super) fn prefix_value(&self) -> &str {
        &self.prefix
    }

    pub(super) fn connection_timeout_value(&self) -> Duration {
        self.connection_timeout
    }

    pub(super) fn response_timeout_value(&self) -> Duration {
        self.response_timeout
    }

    pub(super) fn reconnect_retries_value(&self) -> usize {
        self.reconnect_retries
    }
}

impl fmt::Debug for RedisConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisConfig")
            .field("url", &redact(&self.url))
            .field("prefix", &self.prefix)
            .field("connection_timeout", &self.connection_timeout)
            .field("response_timeout", &self.response_timeout)
            .field("reconnect_retries", &self.reconnect_retries)
            .finish()
    }
}

/// `url` with any user name and password replaced by `***`, for logs and errors.
pub(super) fn redact(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        // Not a URL we understand (a socket path?): show no more than its start.
        return url.split('@').next_back().unwrap_or_default().to_owned();
    };
    let (scheme, rest) = url.split_at(scheme_end + 3);
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    match authority.rfind('@') {
        Some(at) => format!("{scheme}***@{}{tail}", &authority[at + 1..]),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn credentials_never_reach_logs() {
        assert_eq!(
            redact("redis://127.0.0.1:6379/0"),
            "redis://127.0.0.1:6379/0"
        );
        assert_eq!(
            redact("redis://:hunter2@db.internal:6380/1"),
            "redis://***@db.internal:6380/1"
        );
        assert_eq!(
            redact("rediss://app:p@ss@host/"),
            "rediss://***@host/",
            "an @ inside the password"
        );
        assert!(!redact("user:pw@host").contains("pw"));
    }
}
