//! Recovery codes: ten single-use codes, shown once, kept only as keyed hashes.

use std::fmt;

use zeroize::Zeroizing;

use crate::random::random_bytes;
use crate::StoreError;

/// How many recovery codes a user gets.
pub const RECOVERY_CODES: usize = 10;

/// Letters and digits without look-alikes (no `0`/`o`, `1`/`l`/`i`): 32 symbols.
const ALPHABET: &[u8; 32] = b"abcdefghjkmnpqrstuvwxyz23456789#";

/// Freshly made recovery codes, to show the user once. `Debug` is redacted; the codes
/// are wiped when dropped.
pub struct RecoveryCodes(Vec<Zeroizing<String>>);

impl RecoveryCodes {
    /// Ten new codes of 10 symbols each (50 bits), written `xxxxx-xxxxx`.
    pub(crate) fn generate() -> Result<Self, StoreError> {
        let mut codes = Vec::with_capacity(RECOVERY_CODES);
        for _ in 0..RECOVERY_CODES {
            let bytes = Zeroizing::new(random_bytes::<10>()?);
            let mut code = Zeroizing::new(String::with_capacity(11));
            for (i, byte) in bytes.iter().enumerate() {
                if i == 5 {
                    code.push('-');
                }
                // 31 symbols used: the last is never drawn.
                code.push(ALPHABET[usize::from(byte % 31)] as char);
            }
            codes.push(code);
        }
        Ok(RecoveryCodes(codes))
    }

    /// The codes, to show the user (never to log).
    pub fn expose(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|code| code.as_str())
    }

    /// How many there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for RecoveryCodes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RecoveryCodes({} codes, ..)", self.0.len())
    }
}

/// A typed recovery code in the one form codes are hashed in: lower-case, without
/// separators or spaces; `None` if it cannot be one.
pub(crate) fn normalize_recovery_code(typed: &str) -> Option<Zeroizing<String>> {
    let code: Zeroizing<String> = Zeroizing::new(
        typed
            .chars()
            .filter(|c| !matches!(c, '-' | ' '))
            .map(|c| c.to_ascii_lowercase())
            .collect(),
    );
    (code.len() == 10 && code.bytes().all(|b| ALPHABET[..31].contains(&b))).then_some(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ten_distinct_codes_that_normalize_to_themselves() {
        let codes = RecoveryCodes::generate().unwrap();
        let shown: Vec<&str> = codes.expose().collect();
        assert_eq!(shown.len(), RECOVERY_CODES);
        let mut unique = shown.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), RECOVERY_CODES);
        for code in shown {
            assert_eq!(code.len(), 11);
            let normal = normalize_recovery_code(&code.to_uppercase()).unwrap();
            assert_eq!(*normal, code.replace('-', ""));
        }
        assert_eq!(format!("{codes:?}"), "RecoveryCodes(10 codes, ..)");
        assert!(normalize_recovery_code("123456").is_none());
    }
}
