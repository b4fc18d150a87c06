//! Removes secrets from credentials before any hook can see them.

use std::sync::LazyLock;

use aho_corasick::automaton::Automaton;
use aho_corasick::dfa::DFA;
use aho_corasick::{Anchored, MatchKind};
use serde_json::Value;

/// Removes every secret from a credentials value, at any depth.
///
/// A key is secret when its *normalized* form (ASCII letters and digits only, lower-cased:
/// `API-Key`, `apiKey` and `api_key` all become `apikey`) contains one of the patterns in
/// [`Sanitizer::DEFAULT_PATTERNS`] or one added with [`with_pattern`](Self::with_pattern).
/// A secret key is dropped with its whole value; objects and arrays under other keys are
/// sanitized recursively. Substring matching errs on the side of dropping: `pinned` goes
/// because it contains `pin`. Credentials are for hooks to *identify* a login, not to
/// re-check it.
///
/// ```
/// use auth_hooks::Sanitizer;
/// use serde_json::json;
///
/// let clean = Sanitizer::default().sanitize(json!({
///     "username": "ada",
///     "Password": "hunter2",
///     "mfa": { "totpCode": "123456", "method": "app" },
///     "client-secret": "s3cr3t",
/// }));
/// assert_eq!(clean, json!({ "username": "ada", "mfa": { "method": "app" } }));
/// ```
#[derive(Debug, Clone)]
pub struct Sanitizer {
    /// Every pattern as one automaton, walked byte by byte (see `is_sensitive`).
    matcher: DFA,
    patterns: Vec<String>,
}

static DEFAULT: LazyLock<Sanitizer> =
    LazyLock::new(|| Sanitizer::with_patterns(Sanitizer::DEFAULT_PATTERNS));

impl Sanitizer {
    /// Patterns (normalized: lower-case letters and digits) whose presence anywhere in a
    /// key marks it secret.
    pub const DEFAULT_PATTERNS: &'static [&'static str] = &[
        "password",
        "passwd",
        "passphrase",
        "pwd",
        "secret",
        "token",
        "otp",
        "pin",
        "apikey",
        "privatekey",
        "signature",
        "credential",
        "session",
        "cookie",
        "authorization",
        "bearer",
        "jwt",
        "cvv",
        "recoverycode",
        "backupcode",
    ];

    /// A sanitizer over exactly `patterns` (each normalized like keys are).
    pub fn with_patterns<I, S>(patterns: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let patterns: Vec<String> = patterns
            .into_iter()
            .map(|p| normalize(p.as_ref()))
            .filter(|p| !p.is_empty())
            .collect();
        let matcher = DFA::builder()
            .match_kind(MatchKind::Standard)
            .prefilter(false)
            .build(&patterns)
            .expect("plain literal patterns always build");
        Sanitizer { matcher, patterns }
    }

    /// This sanitizer plus one more pattern, e.g. `"ssn"` or `"mother's maiden name"`.
    pub fn with_pattern(&self, pattern: &str) -> Self {
        Self::with_patterns(self.patterns.iter().map(String::as_str).chain([pattern]))
    }

    /// The shared default sanitizer.
    pub fn shared() -> &'static Sanitizer {
        &DEFAULT
    }

    /// The normalized patterns this sanitizer matches.
    pub fn patterns(&self) -> impl Iterator<Item = &str> {
        self.patterns.iter().map(String::as_str)
    }

    /// Whether `key` names a secret.
    ///
    /// Normalizes and matches in one pass, with no buffer: each ASCII letter or digit of
    /// the key, lower-cased, moves the automaton one step; reaching a match state means
    /// a pattern ends there. (Keys are short: a general search's set-up would cost more
    /// than the walk.)
    pub fn is_sensitive(&self, key: &str) -> bool {
        let Ok(mut state) = self.matcher.start_state(Anchored::No) else {
            unreachable!("the automaton is built for unanchored searches");
        };
        for &byte in key.as_bytes() {
            let normalized = NORMALIZED[usize::from(byte)];
            if normalized == 0 {
                continue;
            }
            state = self.matcher.next_state(Anchored::No, state, normalized);
            if self.matcher.is_match(state) {
                return true;
            }
        }
        false
    }

    /// Removes every secret key from `value`, recursively, and returns what is left.
    pub fn sanitize(&self, mut value: Value) -> Value {
        self.sanitize_in_place(&mut value);
        value
    }

    /// Like [`sanitize`](Self::sanitize), in place.
    pub fn sanitize_in_place(&self, value: &mut Value) {
        match value {
            Value::Object(map) => {
                map.retain(|key, _| !self.is_sensitive(key));
                map.values_mut().for_each(|v| self.sanitize_in_place(v));
            }
            Value::Array(items) => items.iter_mut().for_each(|v| self.sanitize_in_place(v)),
            Value::Null | Value::Bool(_) | Value::Number(_) | Value::String(_) => {}
        }
    }
}

impl Default for Sanitizer {
    fn default() -> Self {
        DEFAULT.clone()
    }
}

/// Each byte as normalization leaves it: an ASCII letter lower-cased, a digit as is, and
/// 0 for any other byte, which normalization drops.
const NORMALIZED: [u8; 256] = {
    let mut table = [0; 256];
    let mut byte = 0;
    while byte < table.len() {
        let b = byte as u8;
        if b.is_ascii_alphanumeric() {
            table[byte] = b.to_ascii_lowercase();
        }
        byte += 1;
    }
    table
};

fn normalize(key: &str) -> String {
    key.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    #[test]
    fn strips_every_spelling_the_peers_let_through() {
        let s = Sanitizer::default();
        for key in [
            "password",
            "Password",
            "PASSWORD",
            "passwd",
            "new_password",
            "password_confirm",
            "client_secret",
            "clientSecret",
            "id_token",
            "refresh-token",
            "accessToken",
            "api_key",
            "api-key",
            "apiKey",
            "API KEY",
            "pin",
            "otp",
            "totp",
            "private_key",
            "x-signature",
            "credentials",
            "session_id",
            "Cookie",
            "Authorization",
        ] {
            assert!(s.is_sensitive(key), "{key} should be secret");
        }
        for key in [
            "username",
            "email",
            "remember_me",
            "next",
            "tenant",
            "login",
        ] {
            assert!(!s.is_sensitive(key), "{key} should be kept");
        }
    }

    #[test]
    fn recurses_into_objects_and_arrays() {
        let clean = Sanitizer::default().sanitize(json!({
            "user": { "name": "ada", "password": "x" },
            "factors": [ { "kind": "otp", "otp_code": "1" }, "plain" ],
        }));
        assert_eq!(
            clean,
            json!({ "user": { "name": "ada" }, "factors": [ { "kind": "otp" }, "plain" ] })
        );
    }

    #[test]
    fn long_keys_are_checked_too() {
        let key = format!("{}password", "x".repeat(200));
        assert!(Sanitizer::default().is_sensitive(&key));
        assert!(!Sanitizer::default().is_sensitive(&"x".repeat(200)));
    }

    #[test]
    fn applications_can_add_patterns() {
        let s = Sanitizer::default().with_pattern("Social-Security");
        assert!(s.is_sensitive("social_security_number"));
        assert!(s.is_sensitive("password"), "defaults are kept");
        assert!(!Sanitizer::default().is_sensitive("social_security_number"));
    }

    fn arb_json() -> impl Strategy<Value = Value> {
        let key = prop_oneof![
            "[a-z]{1,8}",
            Just("password".to_owned()),
            Just("Api-Key".to_owned()),
            Just("clientSecret".to_owned()),
            Just("otp".to_owned()),
            "[a-z]{0,3}(TOKEN|Pass_Word|pin)[a-z_]{0,3}",
        ];
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<i64>().prop_map(Value::from),
            "[a-z]{0,6}".prop_map(Value::from)
        ];
        leaf.prop_recursive(4, 64, 6, move |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::btree_map(key.clone(), inner, 0..6)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    fn no_secret_survives(s: &Sanitizer, v: &Value) -> bool {
        match v {
            Value::Object(m) => m
                .iter()
                .all(|(k, v)| !s.is_sensitive(k) && no_secret_survives(s, v)),
            Value::Array(a) => a.iter().all(|v| no_secret_survives(s, v)),
            _ => true,
        }
    }

    /// Every non-secret path of the input is still present with its leaf value.
    fn keeps_the_rest(s: &Sanitizer, input: &Value, output: &Value) -> bool {
        match (input, output) {
            (Value::Object(i), Value::Object(o)) => i.iter().all(|(k, v)| {
                s.is_sensitive(k) || o.get(k).is_some_and(|ov| keeps_the_rest(s, v, ov))
            }),
            (Value::Array(i), Value::Array(o)) => {
                i.len() == o.len() && i.iter().zip(o).all(|(a, b)| keeps_the_rest(s, a, b))
            }
            (a, b) => a == b,
        }
    }

    proptest! {
        #[test]
        fn no_sensitive_key_survives_at_any_depth(v in arb_json()) {
            let s = Sanitizer::default();
            let out = s.sanitize(v.clone());
            prop_assert!(no_secret_survives(&s, &out));
            prop_assert!(keeps_the_rest(&s, &v, &out));
        }

        #[test]
        fn normalization_ignores_case_and_separators(word in "(password|secret|token|apikey)", sep in "[-_ .]{0,2}", upper in any::<bool>()) {
            let mut key = String::new();
            for (i, c) in word.chars().enumerate() {
                if i == 2 { key.push_str(&sep); }
                key.push(if upper { c.to_ascii_uppercase() } else { c });
            }
            prop_assert!(Sanitizer::default().is_sensitive(&key));
        }
    }
}
