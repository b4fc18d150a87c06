//! What a login created, revoked unless the login completes: when an `on_login` hook
//! refuses it under `raise`, and when the login is cancelled half-way (its future
//! dropped, as when the client hangs up while `on_login` runs).

use std::sync::Arc;

use crate::{NewSession, SessionManager, TokenManager, TokenPair};

/// The session and tokens a login created.
pub(crate) struct Created {
    pub(crate) session: Option<NewSession>,
    pub(crate) tokens: Option<TokenPair>,
}

/// [`Created`] on probation: [`keep`](Self::keep) hands it over once the login has
/// completed; [`undo`](Self::undo) revokes it; dropped otherwise (cancelled), it is
/// revoked on a spawned task of the current Tokio runtime.
pub(crate) struct Pending {
    user_id: String,
    sessions: Option<Arc<SessionManager>>,
    tokens: Option<Arc<TokenManager>>,
    created: Option<Created>,
}

impl Pending {
    /// Puts `created` on probation for `user_id`; `sessions` and `tokens` revoke it.
    pub(crate) fn new(
        user_id: &str,
        sessions: Option<&Arc<SessionManager>>,
        tokens: Option<&Arc<TokenManager>>,
        created: Created,
    ) -> Self {
        Pending {
            user_id: user_id.to_owned(),
            sessions: sessions.cloned(),
            tokens: tokens.cloned(),
            created: Some(created),
        }
    }

    /// What was created.
    pub(crate) fn created(&self) -> &Created {
        self.created
            .as_ref()
            .expect("only keep and undo take it, and both consume self")
    }

    /// The login completed: the caller owns what was created.
    pub(crate) fn keep(mut self) -> Created {
        self.created
            .take()
            .expect("only keep and undo take it, and both consume self")
    }

    /// The login was refused after all: revokes what it created. Cancelled half-way,
    /// the revocation starts again from the drop guard.
    pub(crate) async fn undo(mut self) {
        if let Some(created) = &self.created {
            revoke(
                &self.user_id,
                self.sessions.as_deref(),
                self.tokens.as_deref(),
                created,
            )
            .await;
        }
        self.created = None;
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        let Some(created) = self.created.take() else {
            return;
        };
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let user_id = std::mem::take(&mut self.user_id);
            let (sessions, tokens) = (self.sessions.take(), self.tokens.take());
            tracing::warn!(%user_id, "login cancelled after its session was created; revoking it");
            // A runtime shutting down drops the task unrun: then, as without a runtime,
            // what was created expires by itself (nobody received it).
            runtime.spawn(async move {
                revoke(&user_id, sessions.as_deref(), tokens.as_deref(), &created).await;
            });
            return;
        }
        drop(created);
        tracing::error!(
            user_id = %self.user_id,
            "login cancelled after its session was created, outside a Tokio runtime: it \
             cannot be revoked here and stays valid until it expires (nobody received it)"
        );
    }
}

/// Revokes `created`, logging (never returning) a failure.
async fn revoke(
    user_id: &str,
    sessions: Option<&SessionManager>,
    tokens: Option<&TokenManager>,
    created: &Created,
) {
    if let (Some(sessions), Some(session)) = (sessions, &created.session) {
        if let Err(error) = sessions.revoke_by_hash(&session.meta.id_hash).await {
            tracing::error!(%user_id, error = %auth_hooks::LogSafe(&error), "could not revoke the session of an undone login; it stays valid until it expires");
        }
    }
    if let (Some(tokens), Some(pair)) = (tokens, &created.tokens) {
        if let Err(error) = tokens.revoke_issued(pair).await {
            tracing::error!(%user_id, error = %auth_hooks::LogSafe(&error), "could not revoke the tokens of an undone login; they stay valid until they expire");
        }
    }
    tracing::warn!(%user_id, "login undone: what it created was revoked");
}
