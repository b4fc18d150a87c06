//! Password hashing with argon2id: PHC strings, `needs_rehash`, and a dummy verify.

use std::fmt;
use std::sync::Arc;

use argon2::password_hash::{
    Output, ParamsString, PasswordHash, PasswordHasher as _, PasswordVerifier as _, Salt,
    SaltString,
};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::random::random_bytes;
use crate::StoreError;

/// Hashes and verifies passwords with argon2id, storing PHC strings
/// (`$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`).
///
/// - [`owasp`](Self::owasp) (also [`Default`]) uses OWASP's recommended parameters:
///   m = 19 MiB, t = 2, p = 1, a 16-byte salt from the OS RNG and a 32-byte hash.
///   One hash costs tens of milliseconds of CPU: that is the point.
/// - [`needs_rehash`](Self::needs_rehash) tells whether a stored hash was made with
///   other parameters; the password backend rehashes on the next successful login.
/// - [`dummy_verify`](Self::dummy_verify) spends the same time as a real verify, for
///   logins of unknown users, so timing does not reveal whether an account exists. Its
///   PHC string is made when the hasher is, and costs no hash.
/// - [`for_tests`](Self::for_tests) is deliberately weak (m = 8 KiB, t = 1): it keeps test
///   suites fast. Never use it in production.
///
/// ```
/// use auth_hooks_flow::PasswordHasher;
///
/// let hasher = PasswordHasher::for_tests();
/// let phc = hasher.hash("correct horse battery staple")?;
/// assert!(phc.starts_with("$argon2id$v=19$m=8,t=1,p=1$"));
/// assert!(hasher.verify("correct horse battery staple", &phc)?);
/// assert!(!hasher.verify("wrong", &phc)?);
/// assert!(PasswordHasher::owasp().needs_rehash(&phc));
/// # Ok::<(), auth_hooks_flow::PasswordError>(())
/// ```
#[derive(Clone)]
pub struct PasswordHasher {
    params: Params,
    max_len: usize,
    dummy: Arc<str>,
}

/// Why a password could not be hashed or checked.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PasswordError {
    /// The password is longer than the hasher accepts (a denial-of-service guard).
    #[error("password is longer than {max} bytes")]
    TooLong {
        /// The limit in bytes.
        max: usize,
    },
    /// The password is empty.
    #[error("password is empty")]
    Empty,
    /// Parameters argon2 refuses (e.g. a memory cost below 8 KiB per lane).
    #[error("invalid argon2 parameters: {0}")]
    Params(String),
    /// The stored hash is not a PHC string argon2 can read.
    #[error("stored password hash is malformed: {0}")]
    MalformedHash(String),
    /// Hashing failed.
    #[error("password hashing failed: {0}")]
    Hash(String),
    /// The OS random number generator failed while making a salt.
    #[error(transparent)]
    Rng(#[from] StoreError),
}

impl PasswordHasher {
    /// The longest password accepted by default, in bytes.
    pub const DEFAULT_MAX_LEN: usize = 1024;

    /// OWASP's recommended argon2id parameters: m = 19456 KiB, t = 2, p = 1.
    pub fn owasp() -> Self {
        Self::new(19 * 1024, 2, 1).expect("OWASP parameters are valid")
    }

    /// argon2id with memory `m_kib` KiB, `t` iterations and `p` lanes (32-byte output).
    pub fn new(m_kib: u32, t: u32, p: u32) -> Result<Self, PasswordError> {
        let params =
            Params::new(m_kib, t, p, Some(32)).map_err(|e| PasswordError::Params(e.to_string()))?;
        let dummy = dummy_phc(&params)?.into();
        Ok(PasswordHasher {
            params,
            max_len: Self::DEFAULT_MAX_LEN,
            dummy,
        })
    }

    /// The cheapest parameters argon2 allows (m = 8 KiB, t = 1, p = 1), for tests and
    /// benchmarks only: a hash costs microseconds instead of tens of milliseconds.
    pub fn for_tests() -> Self {
        Self::new(8, 1, 1).expect("minimal parameters are valid")
    }

    /// Changes the longest accepted password (bytes).
    pub fn max_len(mut self, max_len: usize) -> Self {
        self.max_len = max_len;
        self
    }

    /// The parameters as `(m_kib, t, p)`.
    pub fn params(&self) -> (u32, u32, u32) {
        (
            self.params.m_cost(),
            self.params.t_cost(),
            self.params.p_cost(),
        )
    }

    fn argon2(&self) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, self.params.clone())
    }

    /// The argon2 parameters new hashes are made with.
    pub(crate) fn argon2_params(&self) -> &Params {
        &self.params
    }

    /// A PHC string of this hasher's parameters that no password matches: what a
    /// dummy verify verifies against.
    pub(crate) fn dummy_phc(&self) -> &Arc<str> {
        &self.dummy
    }

    /// Refuses an empty password or one longer than the limit, before any hashing.
    pub fn check_input(&self, password: &str) -> Result<(), PasswordError> {
        if password.is_empty() {
            return Err(PasswordError::Empty);
        }
        if password.len() > self.max_len {
            return Err(PasswordError::TooLong { max: self.max_len });
        }
        Ok(())
    }

    /// Hashes `password` with a fresh random salt into a PHC string.
    pub fn hash(&self, password: &str) -> Result<String, PasswordError> {
        self.check_input(password)?;
        self.hash_unchecked(password)
    }

    fn hash_unchecked(&self, password: &str) -> Result<String, PasswordError> {
        self.argon2()
            .hash_password(password.as_bytes(), &new_salt()?)
            .map(|hash| hash.to_string())
            .map_err(|e| PasswordError::Hash(e.to_string()))
    }

    /// Whether `password` matches the PHC string `phc` (made with any argon2 parameters).
    ///
    /// `Ok(false)` for a wrong password; an error for a malformed hash or an
    /// unacceptable password. Comparison is constant-time (done by `argon2`).
    pub fn verify(&self, password: &str, phc: &str) -> Result<bool, PasswordError> {
        self.check_input(password)?;
        match self
            .argon2()
            .verify_password(password.as_bytes(), &parse_phc(phc)?)
        {
            Ok(()) => Ok(true),
            Err(argon2::password_hash::Error::Password) => Ok(false),
            Err(e) => Err(PasswordError::MalformedHash(e.to_string())),
        }
    }

    /// Spends the time of one [`verify`](Self::verify) against a hash of this hasher's
    /// parameters, and returns nothing: for a login of an unknown user.
    pub fn dummy_verify(&self, password: &str) {
        // Too long or empty passwords are refused before hashing, as in `verify`.
        let _ = self.verify(password, &self.dummy);
    }

    /// Whether `phc` should be replaced by a hash with the current parameters: another
    /// algorithm, version or cost, or a string that does not parse.
    pub fn needs_rehash(&self, phc: &str) -> bool {
        match PasswordHash::new(phc) {
            Ok(parsed) => self.parsed_needs_rehash(&parsed),
            Err(_) => true,
        }
    }

    /// Whether a verify against `phc` costs less work (memory × passes) than one with
    /// the current parameters: a hash from before the parameters were raised. A
    /// failed verify against it is topped up with a dummy verify, so its timing does
    /// not tell an old account from an unknown one. `false` for what does not parse.
    pub(crate) fn costs_less(&self, phc: &str) -> bool {
        let Ok(parsed) = PasswordHash::new(phc) else {
            return false;
        };
        let Ok(params) = Params::try_from(&parsed) else {
            return false;
        };
        let work = |p: &Params| u64::from(p.m_cost()) * u64::from(p.t_cost());
        work(&params) < work(&self.params)
    }

    /// [`needs_rehash`](Self::needs_rehash) of a parsed PHC string.
    pub(crate) fn parsed_needs_rehash(&self, parsed: &PasswordHash<'_>) -> bool {
        if parsed.algorithm != argon2::ARGON2ID_IDENT || parsed.version != Some(0x13) {
            return true;
        }
        match Params::try_from(parsed) {
            Ok(params) => {
                params.m_cost() != self.params.m_cost()
                    || params.t_cost() != self.params.t_cost()
                    || params.p_cost() != self.params.p_cost()
                    || parsed.hash.map(|h| h.len()) != self.params.output_len()
            }
            Err(_) => true,
        }
    }
}

/// Parses a stored PHC string: argon2id, with a salt and a hash.
pub(crate) fn parse_phc(phc: &str) -> Result<PasswordHash<'_>, PasswordError> {
    let parsed = PasswordHash::new(phc).map_err(malformed)?;
    if parsed.hash.is_none() || parsed.salt.is_none() {
        return Err(PasswordError::MalformedHash(
            "no salt or no hash in the PHC string".into(),
        ));
    }
    if parsed.algorithm != argon2::ARGON2ID_IDENT {
        return Err(PasswordError::MalformedHash(format!(
            "algorithm `{}` is not argon2id",
            parsed.algorithm
        )));
    }
    Ok(parsed)
}

/// A fresh 16-byte salt from the OS RNG.
pub(crate) fn new_salt() -> Result<SaltString, PasswordError> {
    SaltString::encode_b64(&random_bytes::<16>()?).map_err(|e| PasswordError::Hash(e.to_string()))
}

/// The PHC string of an argon2id (v=19) `hash` made with `params` and `salt`.
pub(crate) fn phc_string(
    params: &Params,
    salt: Salt<'_>,
    hash: Output,
) -> Result<String, PasswordError> {
    let params = ParamsString::try_from(params).map_err(|e| PasswordError::Hash(e.to_string()))?;
    let phc = PasswordHash {
        algorithm: argon2::ARGON2ID_IDENT,
        version: Some(Version::V0x13.into()),
        params,
        salt: Some(salt),
        hash: Some(hash),
    };
    Ok(phc.to_string())
}

/// A PHC string with `params` whose hash is all zeros, so that no password matches it
/// (that would take a preimage of argon2); the salt is fixed, as nothing is stored
/// under it. A verify against it still runs argon2 in full with `params`.
fn dummy_phc(params: &Params) -> Result<String, PasswordError> {
    let invalid = |e: argon2::password_hash::Error| PasswordError::Params(e.to_string());
    let salt = SaltString::encode_b64(b"auth-hooks-dummy").map_err(invalid)?;
    let len = params.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN);
    let zeros = Output::new(&vec![0; len]).map_err(invalid)?;
    phc_string(params, salt.as_salt(), zeros)
}

/// A PHC string (or one of its parts) argon2 cannot use.
pub(crate) fn malformed(error: impl fmt::Display) -> PasswordError {
    PasswordError::MalformedHash(error.to_string())
}

impl Default for PasswordHasher {
    fn default() -> Self {
        Self::owasp()
    }
}

impl fmt::Debug for PasswordHasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (m, t, p) = self.params();
        f.debug_struct("PasswordHasher")
            .field("algorithm", &"argon2id")
            .field("m_kib", &m)
            .field("t", &t)
            .field("p", &p)
            .field("max_len", &self.max_len)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owasp_is_the_default_and_meets_the_minimum() {
        let (m, t, p) = PasswordHasher::default().params();
        assert!(m >= 19 * 1024 && t >= 2 && p >= 1, "{m} {t} {p}");
    }

    #[test]
    fn hash_verify_and_rehash() {
        let low = PasswordHasher::for_tests();
        let phc = low.hash("pw").unwrap();
        assert!(low.verify("pw", &phc).unwrap());
        assert!(!low.verify("pW", &phc).unwrap());
        assert!(!low.needs_rehash(&phc));
        let other = PasswordHasher::new(16, 1, 1).unwrap();
        assert!(other.needs_rehash(&phc));
        // A hash made with other parameters still verifies.
        assert!(other.verify("pw", &phc).unwrap());
        assert!(low.needs_rehash("not a phc string"));
    }

    #[test]
    fn the_dummy_has_the_current_parameters_and_matches_nothing() {
        let h = PasswordHasher::new(16, 2, 1).unwrap();
        let dummy = h.dummy_phc();
        assert!(dummy.starts_with("$argon2id$v=19$m=16,t=2,p=1$"), "{dummy}");
        assert!(!h.needs_rehash(dummy));
        for password in ["dummy", "", "auth-hooks-dummy"] {
            assert!(!h.verify(password, dummy).unwrap_or(false), "{password:?}");
        }
    }

    #[test]
    fn only_cheaper_hashes_cost_less() {
        let current = PasswordHasher::new(16, 2, 1).unwrap();
        for (m, t, cheaper) in [
            (8, 1, true),
            (16, 1, true),
            (8, 2, true),
            (16, 2, false),
            (32, 2, false),
            (16, 3, false),
        ] {
            let phc = PasswordHasher::new(m, t, 1).unwrap().hash("pw").unwrap();
            assert_eq!(current.costs_less(&phc), cheaper, "m={m} t={t}");
        }
        assert!(!current.costs_less("not a phc string"));
    }

    #[test]
    fn bad_input_is_an_error_not_a_panic() {
        let h = PasswordHasher::for_tests().max_len(8);
        assert!(matches!(h.hash(""), Err(PasswordError::Empty)));
        assert!(matches!(
            h.hash("123456789"),
            Err(PasswordError::TooLong { max: 8 })
        ));
        assert!(matches!(
            h.verify("pw", "$argon2id$garbage"),
            Err(PasswordError::MalformedHash(_))
        ));
        assert!(matches!(
            h.verify("pw", "plaintext"),
            Err(PasswordError::MalformedHash(_))
        ));
        assert!(PasswordHasher::new(0, 0, 0).is_err());
        h.dummy_verify("");
        h.dummy_verify("anything");
    }

    #[test]
    fn two_hashes_of_one_password_differ_by_salt() {
        let h = PasswordHasher::for_tests();
        assert_ne!(h.hash("pw").unwrap(), h.hash("pw").unwrap());
    }
}
