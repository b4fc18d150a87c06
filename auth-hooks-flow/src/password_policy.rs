//! What a new password must be: NIST SP 800-63B's rules, and an optional check of the
//! application's.

use std::fmt;
use std::sync::Arc;

type Check = Arc<dyn Fn(&str) -> Result<(), String> + Send + Sync>;

/// The rules a new password (at registration, at a password change) must meet, after
/// NIST SP 800-63B §3.1.1.2: at least 8 characters, at least 64 allowed, every
/// character allowed (spaces, emoji: a character is a Unicode code point), and no
/// composition rules ("one digit, one symbol"), which make passwords weaker and more
/// predictable. What NIST asks for instead, a check against known-breached or
/// commonly-used passwords, is the application's [`with_check`](Self::with_check).
///
/// Logins never apply it: a password that was accepted once keeps working.
///
/// ```
/// use auth_hooks_flow::{PasswordPolicy, PasswordRejected};
///
/// let policy = PasswordPolicy::nist().with_check(|password| match password {
///     "password1234" | "qwertyuiop" => Err("That password is too common.".into()),
///     _ => Ok(()),
/// });
/// assert_eq!(policy.check("short"), Err(PasswordRejected::TooShort { min: 8 }));
/// assert!(policy.check("qwertyuiop").is_err());
/// assert!(policy.check("correct horse battery staple").is_ok());
/// assert!(policy.check("ünïcödé✓✓").is_ok()); // 9 characters, whatever their bytes
/// ```
#[derive(Clone)]
pub struct PasswordPolicy {
    min_chars: usize,
    max_chars: usize,
    check: Option<Check>,
}

/// Why a new password was refused. The `Display` text is a sentence to show the user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PasswordRejected {
    /// Fewer characters than the policy's minimum.
    #[error("Use a password of at least {min} characters.")]
    TooShort {
        /// The minimum, in characters.
        min: usize,
    },
    /// More characters than the policy's maximum.
    #[error("Use a password of at most {max} characters.")]
    TooLong {
        /// The maximum, in characters.
        max: usize,
    },
    /// The application's check refused it; the text is the check's own.
    #[error("{0}")]
    Refused(String),
}

impl PasswordPolicy {
    /// NIST's floor: the fewest characters a policy can ask for.
    pub const MIN_CHARS: usize = 8;
    /// NIST's floor for the longest password a policy must allow.
    pub const MIN_OF_MAX_CHARS: usize = 64;
    /// The longest password allowed by default: 256 characters, which stays within the
    /// hasher's default byte limit ([`PasswordHasher::DEFAULT_MAX_LEN`](crate::PasswordHasher::DEFAULT_MAX_LEN))
    /// whatever the characters.
    pub const DEFAULT_MAX_CHARS: usize = 256;

    /// 8 to 256 characters, no other rule.
    pub fn nist() -> Self {
        PasswordPolicy {
            min_chars: Self::MIN_CHARS,
            max_chars: Self::DEFAULT_MAX_CHARS,
            check: None,
        }
    }

    /// Asks for at least `min` characters; a value below NIST's 8 is raised to 8.
    pub fn min_chars(mut self, min: usize) -> Self {
        self.min_chars = min.max(Self::MIN_CHARS);
        self.max_chars = self.max_chars.max(self.min_chars);
        self
    }

    /// Allows at most `max` characters; a value below NIST's 64 (or below the minimum)
    /// is raised to it. Keep `max` × 4 within the hasher's byte limit.
    pub fn max_chars(mut self, max: usize) -> Self {
        self.max_chars = max.max(Self::MIN_OF_MAX_CHARS).max(self.min_chars);
        self
    }

    /// Adds the application's own check, run after the length rules: a list of
    /// breached or common passwords, the service's name. `Err` holds the sentence the
    /// user sees. The check sees the password: keep it out of logs.
    pub fn with_check(
        mut self,
        check: impl Fn(&str) -> Result<(), String> + Send + Sync + 'static,
    ) -> Self {
        self.check = Some(Arc::new(check));
        self
    }

    /// Whether `password` may become a user's password.
    pub fn check(&self, password: &str) -> Result<(), PasswordRejected> {
        let chars = password.chars().count();
        if chars < self.min_chars {
            return Err(PasswordRejected::TooShort {
                min: self.min_chars,
            });
        }
        if chars > self.max_chars {
            return Err(PasswordRejected::TooLong {
                max: self.max_chars,
            });
        }
        match &self.check {
            Some(check) => check(password).map_err(PasswordRejected::Refused),
            None => Ok(()),
        }
    }
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        Self::nist()
    }
}

impl fmt::Debug for PasswordPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PasswordPolicy")
            .field("min_chars", &self.min_chars)
            .field("max_chars", &self.max_chars)
            .field("check", &self.check.is_some())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_characters_not_bytes() {
        let policy = PasswordPolicy::nist();
        // Seven characters of four bytes each: 28 bytes, still too short.
        assert_eq!(
            policy.check("🔑🔑🔑🔑🔑🔑🔑"),
            Err(PasswordRejected::TooShort { min: 8 })
        );
        assert_eq!(policy.check("🔑🔑🔑🔑🔑🔑🔑🔑"), Ok(()));
    }

    #[test]
    fn allows_64_characters_and_no_composition_rule() {
        let policy = PasswordPolicy::nist().max_chars(10);
        assert_eq!(policy.check(&"a".repeat(64)), Ok(()));
        assert_eq!(
            policy.check(&"a".repeat(65)),
            Err(PasswordRejected::TooLong { max: 64 })
        );
        assert_eq!(policy.check("all lower case words"), Ok(()));
    }

    #[test]
    fn never_asks_for_fewer_than_8() {
        let policy = PasswordPolicy::nist().min_chars(4);
        assert_eq!(
            policy.check("abcdefg"),
            Err(PasswordRejected::TooShort { min: 8 })
        );
    }

    #[test]
    fn the_applications_check_runs_after_the_length_rules() {
        let policy = PasswordPolicy::nist().with_check(|_| Err("Too common.".into()));
        assert_eq!(
            policy.check("short"),
            Err(PasswordRejected::TooShort { min: 8 })
        );
        assert_eq!(
            policy.check("long enough"),
            Err(PasswordRejected::Refused("Too common.".into()))
        );
        assert!(!format!("{policy:?}").contains("Too common"));
    }
}
