//! What a hook may know about a session: never its id.

use std::time::SystemTime;

use serde::{Deserialize, Serialize};

/// A session, described without its secret id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionMeta {
    /// The keyed hash under which the store keeps the session (hex); not usable as a cookie.
    pub id_hash: String,
    /// The user the session belongs to.
    pub user_id: String,
    /// When the session was created.
    pub created_at: SystemTime,
    /// When the session expires at the latest.
    pub expires_at: SystemTime,
}
