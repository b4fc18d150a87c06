//! What a hook may know about a token: never the token itself.

use std::time::SystemTime;

use serde::{Deserialize, Serialize};

/// Which of the two JWTs a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenKind {
    /// A short-lived token accepted on API requests.
    Access,
    /// A long-lived token exchanged for new access tokens.
    Refresh,
}

/// A token, described by its claims and never by its encoded (bearer) form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenMeta {
    /// Access or refresh.
    pub kind: TokenKind,
    /// The token's unique id (`jti` claim), the key of revocation.
    pub jti: String,
    /// The subject (`sub` claim): the user id.
    pub subject: String,
    /// When the token was issued.
    pub issued_at: SystemTime,
    /// When the token expires.
    pub expires_at: SystemTime,
    /// The id of the login the token descends from: every access and refresh token
    /// issued by one login, and by refreshing its tokens, share it; revoking a refresh
    /// token revokes the whole family.
    pub family: String,
    /// Whether the token was issued by a login with credentials (`true`) rather than
    /// by a refresh (`false`): sensitive actions may insist on a fresh token.
    pub fresh: bool,
}
