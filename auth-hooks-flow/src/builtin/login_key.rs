//! The keyed hash a typed login name is counted and logged under: people type their
//! password into the name field, so a failed name is half a secret.

use std::fmt;
use std::sync::{Arc, LazyLock};

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::random::{hex, random_bytes};

/// An HMAC-SHA256 key for login names: the lockout's counters and the audit's failure
/// events carry `HMAC(key, normalized name)`, never the name.
///
/// [`LoginNameKey::process`] is random, made once per process: enough for one
/// instance. **Several instances sharing an attempt store (Redis) must share a key**
/// ([`LoginNameKey::new`], from your secret configuration), or each counts under its
/// own keys and the limits multiply by the number of instances.
#[derive(Clone)]
pub struct LoginNameKey(Arc<[u8; 32]>);

static PROCESS: LazyLock<LoginNameKey> = LazyLock::new(|| {
    LoginNameKey(Arc::new(
        random_bytes::<32>().expect("the OS random number generator failed"),
    ))
});

impl LoginNameKey {
    /// A key of your own: 32 bytes of secret, the same on every instance.
    pub fn new(key: [u8; 32]) -> Self {
        LoginNameKey(Arc::new(key))
    }

    /// The process's random key, made from the OS RNG on first use.
    ///
    /// # Panics
    ///
    /// If the OS random number generator fails on that first use.
    pub fn process() -> Self {
        PROCESS.clone()
    }

    /// Lower-case hex of `HMAC-SHA256(key, name)`: 64 digits, no `:`.
    pub fn digest(&self, name: &str) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&*self.0)
            .expect("HMAC takes a key of any length");
        mac.update(name.as_bytes());
        hex(&mac.finalize().into_bytes())
    }
}

impl fmt::Debug for LoginNameKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("LoginNameKey(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_name_one_digest_per_key_and_the_name_is_not_in_it() {
        let key = LoginNameKey::new([1; 32]);
        let digest = key.digest("ada");
        assert_eq!(digest, LoginNameKey::new([1; 32]).digest("ada"));
        assert_ne!(digest, key.digest("bob"));
        assert_ne!(digest, LoginNameKey::new([2; 32]).digest("ada"));
        assert_eq!(digest.len(), 64);
        assert!(digest.bytes().all(|b| b.is_ascii_hexdigit()), "{digest}");
        assert!(!format!("{key:?}").contains('1'));
    }
}
