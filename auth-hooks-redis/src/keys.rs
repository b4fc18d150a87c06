//! The names of [`RedisStore`](super::RedisStore)'s keys, all under one prefix.

/// Builds every key name from the configured prefix.
#[derive(Debug)]
pub(super) struct Keys {
    prefix: String,
}

impl Keys {
    pub(super) fn new(prefix: &str) -> Self {
        Keys {
            prefix: prefix.to_owned(),
        }
    }

    pub(super) fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The start of every key of `kind` (`"session:"`, `"jti:"`, ...).
    pub(super) fn kind(&self, kind: &str) -> String {
        format!("{}{kind}", self.prefix)
    }

    /// The key of one item of `kind`.
    pub(super) fn of(&self, kind: &str, id: &str) -> String {
        format!("{}{kind}{id}", self.prefix)
    }

    /// A `SCAN MATCH` pattern for every key of `kind`, with the prefix's glob
    /// characters escaped.
    pub(super) fn pattern(&self, kind: &str) -> String {
        let mut pattern = String::with_capacity(self.prefix.len() + kind.len() + 1);
        for c in self.prefix.chars().chain(kind.chars()) {
            if matches!(c, '*' | '?' | '[' | ']' | '\\') {
                pattern.push('\\');
            }
            pattern.push(c);
        }
        pattern.push('*');
        pattern
    }
}

/// A session (hash: user, created, seen, expires, idle).
pub(super) const SESSION: &str = "session:";
/// A user's session id hashes (set).
pub(super) const USER_SESSIONS: &str = "user-sessions:";
/// A blocked token id or family (string: end).
pub(super) const JTI: &str = "jti:";
/// A failure window (hash: count, end).
pub(super) const FAILURES: &str = "failures:";
/// A lock (string: end).
pub(super) const LOCK: &str = "lock:";
/// A user (hash: login, hash, disabled).
pub(super) const USER: &str = "user:";
/// A login name's user id (string).
pub(super) const LOGIN: &str = "login:";
/// A user's TOTP enrollment (hash: secret, confirmed, step).
pub(super) const TOTP: &str = "totp:";
/// A user's recovery code hashes (set).
pub(super) const RECOVERY: &str = "recovery:";
/// A login waiting for its second factor (hash: record, end).
pub(super) const CONTINUATION: &str = "continuation:";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_sit_under_the_prefix_and_patterns_escape_it() {
        let keys = Keys::new("app[1]*:");
        assert_eq!(keys.of(SESSION, "ab"), "app[1]*:session:ab");
        assert_eq!(keys.pattern(SESSION), "app\\[1\\]\\*:session:*");
    }
}
