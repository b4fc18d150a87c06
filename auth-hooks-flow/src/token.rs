//! JWT access and refresh tokens, with a blocklist checked on every path that accepts one.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use jsonwebtoken::{Algorithm, DecodingKey, DecodingKeyKind, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::clock::{from_unix_secs, unix_secs};
use crate::key::{check_len, MIN_SECRET_LEN};
use crate::random::{hex, random_bytes};
use crate::{
    ClaimError, Clock, JtiBlocklist, KeyError, KeyRing, StoreError, SystemClock, RESERVED_CLAIMS,
};
use auth_hooks::{TokenKind, TokenMeta};

/// The claims of the tokens this crate issues. Not secret: anyone holding a token can
/// read them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The subject: the user id.
    pub sub: String,
    /// The token's unique id (128 random bits, hex), the key of revocation.
    pub jti: String,
    /// Access or refresh; a token of one kind is never accepted as the other.
    #[serde(rename = "type")]
    pub kind: TokenKind,
    /// Issued at (seconds since the Unix epoch). A token issued in the future (beyond
    /// [`TokenConfig::clock_skew`]) is refused.
    pub iat: u64,
    /// Not before (seconds since the Unix epoch): the token's issue time, checked like
    /// `iat`.
    pub nbf: u64,
    /// Expires at (seconds since the Unix epoch).
    pub exp: u64,
    /// Issued by a login with credentials rather than by a refresh.
    pub fresh: bool,
    /// The family: the login every token of a refresh chain descends from.
    pub fam: String,
    /// The issuer ([`TokenConfig::issuer`]), required to match.
    pub iss: String,
    /// The audience ([`TokenConfig::audience`]), required to match.
    pub aud: String,
    /// The session the same login created, by the keyed hash its store keeps it under
    /// (not usable as a cookie): logging out with a token of the login ends it too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    /// The claims the application's hooks added ([`TokenClaims`](crate::TokenClaims)),
    /// in every token of the login and kept across refreshes.
    #[serde(flatten)]
    pub custom: Map<String, Value>,
}

impl Claims {
    /// The custom claim `name` as a `T`; `Ok(None)` if there is none, an error if it is
    /// not a `T`.
    pub fn custom<T: serde::de::DeserializeOwned>(
        &self,
        name: &str,
    ) -> Result<Option<T>, serde_json::Error> {
        self.custom
            .get(name)
            .cloned()
            .map(serde_json::from_value)
            .transpose()
    }

    /// The claims as hooks see them.
    pub fn meta(&self) -> TokenMeta {
        TokenMeta {
            kind: self.kind,
            jti: self.jti.clone(),
            subject: self.sub.clone(),
            issued_at: from_unix_secs(self.iat),
            expires_at: from_unix_secs(self.exp),
            family: self.fam.clone(),
            fresh: self.fresh,
        }
    }
}

/// An encoded token: a bearer secret. `Debug` is redacted; read it with
/// [`expose`](Self::expose) only to hand it to the client.
#[derive(Clone)]
pub struct BearerToken(String);

impl BearerToken {
    /// The encoded JWT. Never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for BearerToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BearerToken(<redacted>)")
    }
}

/// One issued token and its metadata.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    /// The encoded token, for the client.
    pub token: BearerToken,
    /// What hooks see of it.
    pub meta: TokenMeta,
}

/// An access token and the refresh token that renews it.
#[derive(Debug, Clone)]
pub struct TokenPair {
    /// Short-lived, sent on API requests.
    pub access: IssuedToken,
    /// Long-lived, exchanged at [`TokenManager::refresh`] for a new pair.
    pub refresh: IssuedToken,
}

/// Why a token was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TokenError {
    /// Not a token of ours: malformed, badly signed, signed by a key not (or no longer)
    /// in the ring (an unknown or missing `kid`), wrong algorithm, issuer, audience or
    /// kind, or issued in the future.
    #[error("invalid token")]
    Invalid,
    /// Past its `exp`.
    #[error("token expired")]
    Expired,
    /// Its `jti` or its family is on the blocklist (logged out, rotated, or reused).
    #[error("token revoked")]
    Revoked,
    /// The blocklist could not be asked: refused (fail closed).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A token could not be encoded (a bad key).
    #[error("token could not be encoded: {0}")]
    Encode(String),
}

/// One JWT signing and verification key, pinned to the one algorithm it is used with (no
/// other algorithm is ever accepted for it), and named by a key id: every token carries
/// the `kid` of the key that signed it, and is verified with the key of that id only.
///
/// The id is derived from the key (a truncated SHA-256 of the verifying key under a
/// label of this crate: stable across restarts and instances, and no help in guessing
/// the key) unless set with [`with_kid`](Self::with_kid). A [`TokenManager`] holds a
/// [`KeyRing`] of them to rotate: the first signs, every one verifies. HMAC secrets
/// shorter than the hash (32 bytes for HS256, 48 for HS384, 64 for HS512) are refused.
/// `Debug` shows the algorithm and the id only.
#[derive(Clone)]
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    algorithm: Algorithm,
    kid: String,
}

/// The id of a key: 64 bits of SHA-256 over a label, the algorithm and the verifying key.
fn derived_kid(algorithm: Algorithm, verifying: &[u8]) -> String {
    let mut digest = Sha256::new();
    digest.update(format!("auth-hooks jwt kid v1:{algorithm:?}:").as_bytes());
    digest.update(verifying);
    hex(&digest.finalize()[..8])
}

/// The minimum secret length of an HMAC `algorithm`: its hash's output (RFC 7518 3.2).
fn hmac_min_len(algorithm: Algorithm) -> Option<usize> {
    match algorithm {
        Algorithm::HS256 => Some(MIN_SECRET_LEN),
        Algorithm::HS384 => Some(48),
        Algorithm::HS512 => Some(64),
        _ => None,
    }
}

impl JwtKeys {
    /// HMAC-SHA256 with a shared `secret` of at least 32 bytes.
    ///
    /// ```
    /// use auth_hooks_flow::JwtKeys;
    ///
    /// let keys = JwtKeys::hs256("a secret of at least thirty-two bytes")?;
    /// assert_eq!(keys.kid().len(), 16);
    /// assert!(JwtKeys::hs256("too short").is_err());
    /// # Ok::<(), auth_hooks_flow::KeyError>(())
    /// ```
    pub fn hs256(secret: impl AsRef<[u8]>) -> Result<Self, KeyError> {
        let secret = secret.as_ref();
        Self::new(
            EncodingKey::from_secret(secret),
            DecodingKey::from_secret(secret),
            Algorithm::HS256,
        )
    }

    /// HMAC-SHA256 with a random 256-bit secret: tokens die with the process, and
    /// several instances cannot share them. For tests, demos and single-process apps.
    pub fn hs256_random() -> Result<Self, StoreError> {
        let secret = random_bytes::<32>()?;
        Ok(JwtKeys::hs256(secret).expect("32 bytes is long enough"))
    }

    /// Any key pair `jsonwebtoken` supports (HMAC, RSA, ECDSA, EdDSA), pinned to
    /// `algorithm`. An HMAC secret shorter than the algorithm's hash is refused (both
    /// keys are checked).
    pub fn new(
        encoding: EncodingKey,
        decoding: DecodingKey,
        algorithm: Algorithm,
    ) -> Result<Self, KeyError> {
        if let Some(min) = hmac_min_len(algorithm) {
            for secret in [
                encoding.try_get_hmac_secret(),
                decoding.try_get_hmac_secret(),
            ] {
                // A key of another family has no secret: refused as one of 0 bytes.
                check_len("a JWT HMAC secret", secret.unwrap_or_default(), min)?;
            }
        }
        let kid = match decoding.kind() {
            DecodingKeyKind::SecretOrDer(secret_or_public) => {
                derived_kid(algorithm, secret_or_public)
            }
            DecodingKeyKind::RsaModulusExponent { n, e } => {
                derived_kid(algorithm, &[n.as_slice(), b":", e.as_slice()].concat())
            }
        };
        Ok(JwtKeys {
            encoding,
            decoding,
            algorithm,
            kid,
        })
    }

    /// Names the key `kid` instead of the derived id (to match an id published
    /// elsewhere, say). Ids must be unique within a ring: a token is verified with the
    /// first key of its id only.
    pub fn with_kid(mut self, kid: impl Into<String>) -> Self {
        self.kid = kid.into();
        self
    }

    /// The key id written in the `kid` header of the tokens this key signs. Not secret.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The algorithm the key is pinned to.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }
}

impl fmt::Debug for JwtKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtKeys")
            .field("algorithm", &self.algorithm)
            .field("kid", &self.kid)
            .field("keys", &"<redacted>")
            .finish()
    }
}

/// Token lifetimes, issuer and audience.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TokenConfig {
    /// Lifetime of access tokens (default 15 minutes).
    pub access_ttl: Duration,
    /// Lifetime of a refresh family from its login (default 20 days). Refreshing does
    /// not extend it: a stolen refresh token is useless after this at the latest.
    pub refresh_ttl: Duration,
    /// The `iss` claim written into every token and required of every token accepted
    /// (default `"auth-hooks"`): set it to your service's name.
    pub issuer: String,
    /// The `aud` claim written into every token and required of every token accepted
    /// (default `"auth-hooks"`). Services that share keys but must not accept each
    /// other's tokens differ in it.
    pub audience: String,
    /// How far in the future a token's `iat` and `nbf` may be (clocks of several
    /// instances differ a little) before it is refused (default 60 seconds).
    pub clock_skew: Duration,
}

impl Default for TokenConfig {
    fn default() -> Self {
        TokenConfig {
            access_ttl: Duration::from_secs(15 * 60),
            refresh_ttl: Duration::from_secs(20 * 24 * 3600),
            issuer: "auth-hooks".to_owned(),
            audience: "auth-hooks".to_owned(),
            clock_skew: Duration::from_secs(60),
        }
    }
}

impl TokenConfig {
    /// Sets the access token lifetime.
    pub fn access_ttl(mut self, ttl: Duration) -> Self {
        self.access_ttl = ttl;
        self
    }

    /// Sets the refresh family lifetime.
    pub fn refresh_ttl(mut self, ttl: Duration) -> Self {
        self.refresh_ttl = ttl;
        self
    }

    /// Sets the issuer.
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = issuer.into();
        self
    }

    /// Sets the audience.
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audience = audience.into();
        self
    }

    /// Sets the tolerated clock skew of `iat` and `nbf`.
    pub fn clock_skew(mut self, skew: Duration) -> Self {
        self.clock_skew = skew;
        self
    }
}

/// Issues, checks, refreshes and revokes JWTs.
///
/// - Tokens are signed by the signing key of its [`KeyRing`] of [`JwtKeys`], named in
///   their `kid` header; a token is verified with the key of its `kid` only, so tokens
///   signed by an older key of the ring keep working until it is removed. A refresh
///   always issues a pair signed by the current signing key.
/// - Every token carries `iss`, `aud`, `iat`, `nbf` and `exp`; `iss` and `aud` must
///   match the [`TokenConfig`], and a token issued in the future is refused.
/// - Every path that accepts a token ([`verify_access`](Self::verify_access),
///   [`refresh`](Self::refresh), [`revoke`](Self::revoke)) checks the signature, the
///   kind, the expiry and then the blocklist (the token's `jti` and its family).
/// - A refresh token is single-use: [`refresh`](Self::refresh) blocks it and returns a
///   new pair of the same family. Presenting it again is taken as theft and revokes the
///   whole family.
/// - Revoking a refresh token revokes its family: every token descended from the same login.
#[derive(Clone)]
pub struct TokenManager {
    keys: KeyRing<JwtKeys>,
    blocklist: Arc<dyn JtiBlocklist>,
    config: TokenConfig,
    clock: Arc<dyn Clock>,
}

/// A reserved name among `custom` is a refusal naming it (hooks check on insert; this
/// guards direct callers).
fn refuse_reserved(custom: &Map<String, Value>) -> Result<(), TokenError> {
    match custom
        .keys()
        .find(|name| RESERVED_CLAIMS.contains(&name.as_str()))
    {
        Some(name) => Err(TokenError::Encode(
            ClaimError::Reserved(name.clone()).to_string(),
        )),
        None => Ok(()),
    }
}

fn family_key(family: &str) -> String {
    format!("fam:{family}")
}

/// The token family of the login that created the session stored under
/// `session_id_hash`: a hash of it (the family is readable in every token; the session's
/// store key cannot be recovered from it).
pub(crate) fn family_of_session(session_id_hash: &str) -> String {
    let digest = Sha256::digest(format!("auth-hooks login family v1:{session_id_hash}"));
    hex(&digest[..16])
}

fn new_token_id() -> Result<String, StoreError> {
    Ok(hex(&random_bytes::<16>()?))
}

impl TokenManager {
    /// Tokens signed with `keys` (one [`JwtKeys`], or a [`KeyRing`] of them to
    /// rotate), revoked through `blocklist`, with the default [`TokenConfig`].
    ///
    /// ```
    /// use std::sync::Arc;
    /// use auth_hooks_flow::{JwtKeys, KeyRing, MemoryJtiBlocklist, TokenManager};
    ///
    /// let blocklist = Arc::new(MemoryJtiBlocklist::new());
    /// let old = JwtKeys::hs256([1u8; 32])?;
    /// let new = JwtKeys::hs256([2u8; 32])?;
    /// let one = TokenManager::new(old.clone(), blocklist.clone());
    /// let rotating = TokenManager::new(KeyRing::rotating(new, [old]), blocklist);
    /// # Ok::<(), auth_hooks_flow::KeyError>(())
    /// ```
    pub fn new(keys: impl Into<KeyRing<JwtKeys>>, blocklist: Arc<dyn JtiBlocklist>) -> Self {
        TokenManager {
            keys: keys.into(),
            blocklist,
            config: TokenConfig::default(),
            clock: Arc::new(SystemClock),
        }
    }

    /// Sets lifetimes, issuer and audience.
    pub fn with_config(mut self, config: TokenConfig) -> Self {
        self.config = config;
        self
    }

    /// Sets the clock.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The configuration in force.
    pub fn config(&self) -> &TokenConfig {
        &self.config
    }

    /// The blocklist.
    pub fn blocklist(&self) -> &Arc<dyn JtiBlocklist> {
        &self.blocklist
    }

    fn encode(&self, claims: Claims) -> Result<IssuedToken, TokenError> {
        let key = self.keys.signing();
        let mut header = Header::new(key.algorithm);
        header.kid = Some(key.kid.clone());
        let token = jsonwebtoken::encode(&header, &claims, &key.encoding)
            .map_err(|e| TokenError::Encode(e.to_string()))?;
        Ok(IssuedToken {
            token: BearerToken(token),
            meta: claims.meta(),
        })
    }

    fn pair(
        &self,
        sub: &str,
        family: &str,
        sid: Option<&str>,
        custom: &Map<String, Value>,
        family_end: u64,
        fresh: bool,
    ) -> Result<TokenPair, TokenError> {
        let now = unix_secs(self.clock.now());
        let claims = |kind, exp| -> Result<Claims, TokenError> {
            Ok(Claims {
                sub: sub.to_owned(),
                jti: new_token_id()?,
                kind,
                iat: now,
                nbf: now,
                exp,
                fresh,
                fam: family.to_owned(),
                iss: self.config.issuer.clone(),
                aud: self.config.audience.clone(),
                sid: sid.map(str::to_owned),
                custom: custom.clone(),
            })
        };
        let access_end = (now + self.config.access_ttl.as_secs()).min(family_end);
        Ok(TokenPair {
            access: self.encode(claims(TokenKind::Access, access_end)?)?,
            refresh: self.encode(claims(TokenKind::Refresh, family_end)?)?,
        })
    }

    /// Issues a fresh pair for `user_id`, starting a new family (a login without a
    /// session).
    pub fn issue(&self, user_id: &str) -> Result<TokenPair, TokenError> {
        self.issue_login(user_id, None, &Map::new())
    }

    /// Issues a login's fresh pair for `user_id`, carrying the hooks' `custom` claims
    /// (a reserved claim is refused). With `session_id_hash`, the pair is linked to the
    /// session the same login created: its family is derived from the session's hash
    /// and the tokens name the session (`sid`), so a logout with either credential ends
    /// both. Without, it starts a family of its own.
    pub fn issue_login(
        &self,
        user_id: &str,
        session_id_hash: Option<&str>,
        custom: &Map<String, Value>,
    ) -> Result<TokenPair, TokenError> {
        refuse_reserved(custom)?;
        let family = match session_id_hash {
            Some(sid) => family_of_session(sid),
            None => new_token_id()?,
        };
        let end = unix_secs(self.clock.now()) + self.config.refresh_ttl.as_secs();
        self.pair(user_id, &family, session_id_hash, custom, end, true)
    }

    /// Revokes every token of the family linked to a session (a logout of the session,
    /// or of the session ended by another login).
    pub async fn revoke_family_of_session(&self, session_id_hash: &str) -> Result<(), TokenError> {
        let until = self.clock.now() + self.config.refresh_ttl;
        self.blocklist
            .block(&family_key(&family_of_session(session_id_hash)), until)
            .await?;
        Ok(())
    }

    /// The key of the ring named by the token's `kid`.
    fn key_of(&self, token: &str) -> Result<&JwtKeys, TokenError> {
        let header = jsonwebtoken::decode_header(token).map_err(|e| {
            tracing::debug!(error = %e, "token refused: unreadable header");
            TokenError::Invalid
        })?;
        let kid = header.kid.ok_or_else(|| {
            tracing::debug!("token refused: no kid");
            TokenError::Invalid
        })?;
        self.keys.iter().find(|key| key.kid == kid).ok_or_else(|| {
            tracing::debug!(%kid, "token refused: no key of its kid");
            TokenError::Invalid
        })
    }

    /// Checks key id, signature, algorithm, issuer, audience, issue time, kind and
    /// expiry, but not the blocklist.
    fn decode(&self, token: &str, kind: TokenKind, check_exp: bool) -> Result<Claims, TokenError> {
        let key = self.key_of(token)?;
        let mut validation = Validation::new(key.algorithm);
        // exp and nbf are checked below against the flow's clock.
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.leeway = 0;
        validation.set_required_spec_claims(&["exp", "nbf", "sub", "iss", "aud"]);
        validation.set_issuer(&[&self.config.issuer]);
        validation.set_audience(&[&self.config.audience]);
        let claims = jsonwebtoken::decode::<Claims>(token, &key.decoding, &validation)
            .map_err(|e| {
                tracing::debug!(error = %e, "token refused");
                TokenError::Invalid
            })?
            .claims;
        if claims.kind != kind {
            return Err(TokenError::Invalid);
        }
        let latest = unix_secs(self.clock.now()).saturating_add(self.config.clock_skew.as_secs());
        if claims.iat > latest || claims.nbf > latest {
            tracing::debug!(
                iat = claims.iat,
                nbf = claims.nbf,
                "token refused: issued in the future"
            );
            return Err(TokenError::Invalid);
        }
        if check_exp && unix_secs(self.clock.now()) >= claims.exp {
            return Err(TokenError::Expired);
        }
        Ok(claims)
    }

    async fn check_blocklist(&self, claims: &Claims) -> Result<(), TokenError> {
        let now = self.clock.now();
        if self.blocklist.is_blocked(&claims.jti, now).await?
            || self
                .blocklist
                .is_blocked(&family_key(&claims.fam), now)
                .await?
        {
            return Err(TokenError::Revoked);
        }
        Ok(())
    }

    /// Checks a token of `kind` completely: signature, kind, expiry, blocklist.
    pub async fn verify(&self, token: &str, kind: TokenKind) -> Result<Claims, TokenError> {
        let claims = self.decode(token, kind, true)?;
        self.check_blocklist(&claims).await?;
        Ok(claims)
    }

    /// Checks an access token completely: signature, kind, expiry, blocklist.
    pub async fn verify_access(&self, token: &str) -> Result<Claims, TokenError> {
        self.verify(token, TokenKind::Access).await
    }

    /// Checks a refresh token's signature, kind and expiry only: neither the blocklist
    /// nor its single use (the flow reads its subject before spending it).
    pub(crate) fn decode_refresh(&self, token: &str) -> Result<Claims, TokenError> {
        self.decode(token, TokenKind::Refresh, true)
    }

    /// Exchanges a refresh token for a new pair of the same family (not fresh).
    ///
    /// The refresh token is checked like any other (blocklist included), then blocked:
    /// it works once. A second use revokes the whole family and answers
    /// [`TokenError::Revoked`].
    pub async fn refresh(&self, refresh_token: &str) -> Result<TokenPair, TokenError> {
        self.refresh_with(refresh_token, None).await
    }

    /// [`refresh`](Self::refresh), the new pair carrying `custom` claims instead of the
    /// old token's (a reserved claim in them is refused).
    pub async fn refresh_with(
        &self,
        refresh_token: &str,
        custom: Option<&Map<String, Value>>,
    ) -> Result<TokenPair, TokenError> {
        if let Some(custom) = custom {
            refuse_reserved(custom)?;
        }
        let claims = self.decode(refresh_token, TokenKind::Refresh, true)?;
        let now = self.clock.now();
        if self
            .blocklist
            .is_blocked(&family_key(&claims.fam), now)
            .await?
        {
            return Err(TokenError::Revoked);
        }
        // Test-and-set of the jti: exactly one use of a refresh token succeeds, even
        // when two race. Any later use is reuse: the token was stolen or replayed.
        let until = from_unix_secs(claims.exp);
        if !self.blocklist.block(&claims.jti, until).await? {
            self.revoke_family(&claims).await?;
            tracing::warn!(
                user_id = %claims.sub,
                family = %claims.fam,
                "refresh token used twice; its family is revoked"
            );
            return Err(TokenError::Revoked);
        }
        self.pair(
            &claims.sub,
            &claims.fam,
            claims.sid.as_deref(),
            custom.unwrap_or(&claims.custom),
            claims.exp,
            false,
        )
    }

    /// Reads a token for a logout of its whole login: signature and kind must hold. An
    /// authentic token that expired still counts (an expired access token still names
    /// a live refresh token and session). Also says whether its family is revoked
    /// already (its session may still need ending).
    pub async fn inspect_for_logout(
        &self,
        token: &str,
        kind: TokenKind,
    ) -> Result<(Claims, bool), TokenError> {
        let claims = self.decode(token, kind, false)?;
        let family_revoked = self
            .blocklist
            .is_blocked(&family_key(&claims.fam), self.clock.now())
            .await?;
        Ok((claims, family_revoked))
    }

    /// Reads a token for logout: signature and kind must hold, and it must not be
    /// revoked already; an expired token yields `Ok(None)` (nothing left to revoke).
    pub async fn inspect_for_revocation(
        &self,
        token: &str,
        kind: TokenKind,
    ) -> Result<Option<Claims>, TokenError> {
        let claims = self.decode(token, kind, false)?;
        if unix_secs(self.clock.now()) >= claims.exp {
            return Ok(None);
        }
        match self.check_blocklist(&claims).await {
            Ok(()) => Ok(Some(claims)),
            Err(TokenError::Revoked) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Revokes the token `token` of `kind`: its `jti` until it expires, and for a
    /// refresh token its whole family. Returns the claims of what was revoked, `None`
    /// when there was nothing to revoke (expired or already revoked). Idempotent.
    pub async fn revoke(&self, token: &str, kind: TokenKind) -> Result<Option<Claims>, TokenError> {
        let Some(claims) = self.inspect_for_revocation(token, kind).await? else {
            return Ok(None);
        };
        self.revoke_claims(&claims, kind == TokenKind::Refresh)
            .await?;
        Ok(Some(claims))
    }

    /// Blocks the token described by `claims` and, if `family`, its whole family.
    pub async fn revoke_claims(&self, claims: &Claims, family: bool) -> Result<(), TokenError> {
        self.blocklist
            .block(&claims.jti, from_unix_secs(claims.exp))
            .await?;
        if family {
            self.revoke_family(claims).await?;
        }
        Ok(())
    }

    /// Revokes a pair just issued (a login being undone): both ids and their family.
    pub async fn revoke_issued(&self, pair: &TokenPair) -> Result<(), TokenError> {
        for meta in [&pair.access.meta, &pair.refresh.meta] {
            self.blocklist.block(&meta.jti, meta.expires_at).await?;
        }
        let until = self.clock.now() + self.config.refresh_ttl;
        self.blocklist
            .block(&family_key(&pair.refresh.meta.family), until)
            .await?;
        Ok(())
    }

    /// Blocks every token of the family of `claims` (a logout of that login everywhere).
    pub async fn revoke_family(&self, claims: &Claims) -> Result<(), TokenError> {
        // No token of the family outlives now + refresh_ttl (refreshing never extends it).
        let until = self.clock.now() + self.config.refresh_ttl;
        self.blocklist
            .block(&family_key(&claims.fam), until)
            .await?;
        Ok(())
    }

    /// Removes blocklist entries of tokens that have expired anyway.
    pub async fn cleanup(&self) -> Result<usize, StoreError> {
        self.blocklist.remove_expired(self.clock.now()).await
    }
}

impl fmt::Debug for TokenManager {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenManager")
            .field("keys", &self.keys)
            .field("config", &self.config)
            .field("clock", &self.clock)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ManualClock, MemoryJtiBlocklist};
    use serde_json::json;

    const SECRET: [u8; 32] = [9; 32];

    fn manager(config: TokenConfig, clock: &ManualClock) -> TokenManager {
        TokenManager::new(
            JwtKeys::hs256(SECRET).unwrap(),
            Arc::new(MemoryJtiBlocklist::new()),
        )
        .with_config(config)
        .with_clock(Arc::new(clock.clone()))
    }

    /// A token of `claims` signed with the manager's key and naming it, whatever the
    /// claims are (a forger holding the key, or an issuer configured otherwise).
    fn signed(claims: &Value) -> String {
        let keys = JwtKeys::hs256(SECRET).unwrap();
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(keys.kid().to_owned());
        jsonwebtoken::encode(&header, claims, &keys.encoding).unwrap()
    }

    fn claims_at(now: u64) -> Value {
        json!({
            "sub": "u-1", "jti": "j", "type": "access", "iat": now, "nbf": now,
            "exp": now + 600, "fresh": true, "fam": "f",
            "iss": "auth-hooks", "aud": "auth-hooks",
        })
    }

    fn payload(token: &str) -> Value {
        use base64::Engine as _;
        let part = token.split('.').nth(1).unwrap();
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(part)
            .unwrap();
        serde_json::from_slice(&bytes).unwrap()
    }

    #[tokio::test]
    async fn tokens_carry_iss_aud_and_nbf_by_default_and_verify() {
        let clock = ManualClock::starting_now();
        let tokens = manager(TokenConfig::default(), &clock);
        let pair = tokens.issue("u-1").unwrap();
        let claims = payload(pair.access.token.expose());
        assert_eq!(claims["iss"], "auth-hooks");
        assert_eq!(claims["aud"], "auth-hooks");
        assert_eq!(claims["nbf"], claims["iat"]);
        assert_eq!(claims["iat"], unix_secs(clock.now()));
        assert!(tokens
            .verify_access(pair.access.token.expose())
            .await
            .is_ok());
        // The hand-made tokens of the tests below are refused for what they change only.
        let now = unix_secs(clock.now());
        assert!(tokens.verify_access(&signed(&claims_at(now))).await.is_ok());
    }

    #[tokio::test]
    async fn a_token_for_another_audience_or_issuer_is_refused() {
        let clock = ManualClock::starting_now();
        let ours = manager(TokenConfig::default(), &clock);
        for other in [
            TokenConfig::default().audience("billing"),
            TokenConfig::default().issuer("someone-else"),
        ] {
            let token = manager(other.clone(), &clock).issue("u-1").unwrap().access;
            assert!(
                matches!(
                    ours.verify_access(token.token.expose()).await,
                    Err(TokenError::Invalid)
                ),
                "{other:?}"
            );
        }
    }

    #[tokio::test]
    async fn a_token_without_aud_iss_or_nbf_is_refused() {
        let clock = ManualClock::starting_now();
        let tokens = manager(TokenConfig::default(), &clock);
        for missing in ["aud", "iss", "nbf"] {
            let mut claims = claims_at(unix_secs(clock.now()));
            claims.as_object_mut().unwrap().remove(missing);
            assert!(
                matches!(
                    tokens.verify_access(&signed(&claims)).await,
                    Err(TokenError::Invalid)
                ),
                "without {missing}"
            );
        }
    }

    #[tokio::test]
    async fn a_token_issued_in_the_future_is_refused_beyond_the_clock_skew() {
        let clock = ManualClock::starting_now();
        let tokens = manager(TokenConfig::default(), &clock);
        let now = unix_secs(clock.now());
        let skew = TokenConfig::default().clock_skew.as_secs();

        let mut claims = claims_at(now);
        claims["iat"] = json!(now + skew);
        assert!(tokens.verify_access(&signed(&claims)).await.is_ok());
        claims["iat"] = json!(now + skew + 1);
        assert!(matches!(
            tokens.verify_access(&signed(&claims)).await,
            Err(TokenError::Invalid)
        ));

        let mut claims = claims_at(now);
        claims["nbf"] = json!(now + skew + 1);
        assert!(matches!(
            tokens.verify_access(&signed(&claims)).await,
            Err(TokenError::Invalid)
        ));
    }

    #[test]
    fn hmac_secrets_shorter_than_the_hash_are_refused_by_every_constructor() {
        let short = JwtKeys::hs256([1u8; 31]).unwrap_err();
        assert_eq!((short.min, short.got), (32, 31));
        let hs256 = |s: &[u8]| {
            JwtKeys::new(
                EncodingKey::from_secret(s),
                DecodingKey::from_secret(s),
                Algorithm::HS256,
            )
        };
        assert_eq!(hs256(&[1u8; 31]).unwrap_err().got, 31);
        assert_eq!(hs256(b"").unwrap_err().got, 0);
        assert!(hs256(&[1u8; 32]).is_ok());
        let hs512 = JwtKeys::new(
            EncodingKey::from_secret(&[1u8; 32]),
            DecodingKey::from_secret(&[1u8; 32]),
            Algorithm::HS512,
        )
        .unwrap_err();
        assert_eq!((hs512.min, hs512.got), (64, 32));
        // A long signing secret does not excuse a short verifying one.
        let mismatched = JwtKeys::new(
            EncodingKey::from_secret(&[1u8; 32]),
            DecodingKey::from_secret(&[1u8; 8]),
            Algorithm::HS256,
        );
        assert_eq!(mismatched.unwrap_err().got, 8);
        assert!(short.to_string().contains("at least 32 bytes"), "{short}");
    }

    #[test]
    fn key_ids_are_stable_distinct_and_settable_and_debug_hides_the_keys() {
        let a = JwtKeys::hs256([0x41u8; 32]).unwrap();
        assert_eq!(a.kid(), JwtKeys::hs256([0x41u8; 32]).unwrap().kid());
        assert_ne!(a.kid(), JwtKeys::hs256([0x42u8; 32]).unwrap().kid());
        assert_eq!(a.clone().with_kid("2026-01").kid(), "2026-01");
        let ring = KeyRing::rotating(a.clone(), [JwtKeys::hs256([0x42u8; 32]).unwrap()]);
        let debug = format!("{ring:?} {a:?}");
        assert!(
            debug.contains(a.kid()) && debug.contains("redacted"),
            "{debug}"
        );
        assert!(
            !debug.contains("AAAA") && !debug.contains("65, 65") && !debug.contains("4141"),
            "{debug}"
        );
    }
}
