//! Secret keys: the error of one too short to be one, the ordered list that lets a key
//! be rotated ([`KeyRing`]), and per-purpose keys derived from one secret
//! ([`derive_key`]).

use std::fmt;
use std::sync::Arc;

use hkdf::Hkdf;
use sha2::Sha256;

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

/// The minimum length of every secret this crate accepts: 256 bits.
pub const MIN_SECRET_LEN: usize = 32;

/// Refuses a `secret` shorter than `min` bytes, naming it as `what`.
pub(crate) fn check_len(what: &'static str, secret: &[u8], min: usize) -> Result<(), KeyError> {
    if secret.len() < min {
        return Err(KeyError {
            what,
            min,
            got: secret.len(),
        });
    }
    Ok(())
}

/// An ordered, never empty list of keys of one use: the first signs (or hashes what is
/// new), every one verifies, in order.
///
/// Rotating a key is three deployments: put the new key *after* the current one (every
/// instance learns to verify it), then first (it signs from then on; what the old key
/// signed still verifies), then, once nothing signed by the old key is worth keeping
/// (the longest session or refresh lifetime later), remove the old key: what it signed
/// is refused from then on.
///
/// A single key converts into a ring of one, so
/// [`SessionManager::new`](crate::SessionManager::new) and
/// [`TokenManager::new`](crate::TokenManager::new) take either.
///
/// ```
/// use auth_hooks_flow::{JwtKeys, KeyRing, SessionKey};
///
/// let (k1, k2) = ([1u8; 32], [2u8; 32]);
/// let sessions = KeyRing::rotating(SessionKey::new(k2)?, [SessionKey::new(k1)?]);
/// assert_eq!(sessions.iter().count(), 2);
/// let tokens: KeyRing<JwtKeys> = JwtKeys::hs256(k2)?.into();
/// assert_eq!(tokens.older().len(), 0);
/// # Ok::<(), auth_hooks_flow::KeyError>(())
/// ```
///
/// `Debug` shows each key's own `Debug`, which is redacted for every key type of this
/// crate.
pub struct KeyRing<K> {
    keys: Arc<[K]>,
}

impl<K> KeyRing<K> {
    /// One key, signing and verifying.
    pub fn new(signing: K) -> Self {
        KeyRing {
            keys: Arc::from(vec![signing]),
        }
    }

    /// `signing` signs; it and every one of `older` verify, tried in that order (put
    /// the most used first).
    pub fn rotating(signing: K, older: impl IntoIterator<Item = K>) -> Self {
        let keys: Vec<K> = std::iter::once(signing).chain(older).collect();
        KeyRing { keys: keys.into() }
    }

    /// The keys of `keys` in order, the first signing; `None` if there is none.
    ///
    /// ```
    /// use auth_hooks_flow::KeyRing;
    ///
    /// let ring = KeyRing::from_keys(["new", "old"]).expect("not empty");
    /// assert_eq!(*ring.signing(), "new");
    /// assert!(KeyRing::<&str>::from_keys([]).is_none());
    /// ```
    pub fn from_keys(keys: impl IntoIterator<Item = K>) -> Option<Self> {
        let mut keys = keys.into_iter();
        let signing = keys.next()?;
        Some(KeyRing::rotating(signing, keys))
    }

    /// The key that signs.
    pub fn signing(&self) -> &K {
        &self.keys[0]
    }

    /// The keys that only verify, in order.
    pub fn older(&self) -> &[K] {
        &self.keys[1..]
    }

    /// Every key, the signing one first.
    pub fn iter(&self) -> std::slice::Iter<'_, K> {
        self.keys.iter()
    }
}

impl<K> Clone for KeyRing<K> {
    fn clone(&self) -> Self {
        KeyRing {
            keys: self.keys.clone(),
        }
    }
}

impl<K> From<K> for KeyRing<K> {
    fn from(key: K) -> Self {
        KeyRing::new(key)
    }
}

impl<'a, K> IntoIterator for &'a KeyRing<K> {
    type Item = &'a K;
    type IntoIter = std::slice::Iter<'a, K>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl<K: fmt::Debug> fmt::Debug for KeyRing<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("KeyRing").field(&&*self.keys).finish()
    }
}

/// A 256-bit key for one `purpose`, derived from `secret` (at least 32 bytes) with
/// HKDF-SHA256 (RFC 5869; the salt is a fixed label of this crate, the info is
/// `purpose`).
///
/// One secret should never key two algorithms (an HMAC of session ids and a JWT
/// signature, say): a weakness or a leak in one use would carry over to the other.
/// Deriving a key per purpose from one configured secret keeps the configuration a
/// single value while every use gets its own independent key. Different purposes give
/// unrelated keys; the same secret and purpose always give the same key, on every
/// instance.
///
/// ```
/// use auth_hooks_flow::{derive_key, JwtKeys, SessionKey};
///
/// let secret = "a secret of at least thirty-two characters";
/// let session_key = SessionKey::new(derive_key(secret, "my-app session ids")?)?;
/// let jwt_keys = JwtKeys::hs256(derive_key(secret, "my-app jwt hs256")?)?;
/// assert_ne!(derive_key(secret, "a")?, derive_key(secret, "b")?);
/// assert!(derive_key("too short", "a").is_err());
/// # Ok::<(), auth_hooks_flow::KeyError>(())
/// ```
pub fn derive_key(secret: impl AsRef<[u8]>, purpose: &str) -> Result<[u8; 32], KeyError> {
    let secret = secret.as_ref();
    check_len("a secret to derive keys from", secret, MIN_SECRET_LEN)?;
    let mut key = [0u8; 32];
    Hkdf::<Sha256>::new(Some(b"auth-hooks derive_key v1"), secret)
        .expand(purpose.as_bytes(), &mut key)
        .expect("32 bytes is a valid HKDF-SHA256 output length");
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_key_signs_and_every_key_is_tried_in_order() {
        let ring = KeyRing::rotating("k2", ["k1", "k0"]);
        assert_eq!(*ring.signing(), "k2");
        assert_eq!(ring.older(), ["k1", "k0"]);
        assert_eq!(ring.iter().copied().collect::<Vec<_>>(), ["k2", "k1", "k0"]);
        let one: KeyRing<&str> = "k".into();
        assert_eq!(one.iter().count(), 1);
        assert!(one.older().is_empty());
    }

    #[test]
    fn derived_keys_depend_on_secret_and_purpose_and_short_secrets_are_refused() {
        let a = [1u8; 32];
        let b = [2u8; 32];
        assert_eq!(derive_key(a, "x").unwrap(), derive_key(a, "x").unwrap());
        assert_ne!(derive_key(a, "x").unwrap(), derive_key(a, "y").unwrap());
        assert_ne!(derive_key(a, "x").unwrap(), derive_key(b, "x").unwrap());
        assert_ne!(derive_key(a, "x").unwrap(), a);
        let error = derive_key([1u8; 31], "x").unwrap_err();
        assert_eq!((error.min, error.got), (32, 31));
    }
}
