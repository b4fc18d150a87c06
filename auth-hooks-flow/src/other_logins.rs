//! Ending every login of a user but one: after a login (the built-in
//! `revoke_other_sessions`) and after a password change.

use crate::{SessionManager, StoreError, TokenError, TokenManager};

/// Ends every login of `user_id` except the one whose session's hash is `keep` (all of
/// them without): first the token families linked to the other sessions, then the
/// sessions, atomically in the store (a session created meanwhile goes too, and its
/// tokens stop refreshing with it). Returns how many sessions were ended.
///
/// Tokens issued without a session (a tokens-only flow) are not tracked per user: they
/// stay valid until they expire or are revoked.
pub(crate) async fn revoke_other_logins(
    sessions: &SessionManager,
    tokens: Option<&TokenManager>,
    user_id: &str,
    keep: Option<&str>,
) -> Result<usize, StoreError> {
    // The tokens first: a failure then leaves the sessions, and a retry finds them.
    if let Some(tokens) = tokens {
        for other in sessions.store().list_for_user(user_id).await? {
            if Some(other.id_hash.as_str()) != keep {
                tokens
                    .revoke_family_of_session(&other.id_hash)
                    .await
                    .map_err(|error| match error {
                        TokenError::Store(error) => error,
                        other => StoreError::new(other.to_string()),
                    })?;
            }
        }
    }
    match keep {
        Some(keep) => sessions.revoke_all_except(user_id, keep).await,
        None => sessions.revoke_all(user_id).await,
    }
}
