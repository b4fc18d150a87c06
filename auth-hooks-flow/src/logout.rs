//! The logout flow: describe, revoke, then tell the hooks.

use std::fmt;

use crate::{AuthFlow, LogoutError, SessionId, StoreError, TokenError};
use auth_hooks::{AuthHookContextBuilder, AuthHookError, Phase, RequestMeta, TokenKind};

/// What to log out.
pub enum LogoutTarget {
    /// A session, by the id from the client's cookie.
    Session(SessionId),
    /// A token (access or refresh): its whole login is logged out, i.e. every token of
    /// its family and the session the same login created. An authentic token that
    /// expired still logs its login out.
    Token {
        /// Which kind the client says it is; a token of the other kind is refused.
        kind: TokenKind,
        /// The encoded token.
        token: String,
    },
}

impl LogoutTarget {
    /// Logs out a session.
    pub fn session(id: SessionId) -> Self {
        LogoutTarget::Session(id)
    }

    /// Logs out the login an access token belongs to.
    pub fn access_token(token: impl Into<String>) -> Self {
        LogoutTarget::Token {
            kind: TokenKind::Access,
            token: token.into(),
        }
    }

    /// Logs out the login a refresh token belongs to.
    pub fn refresh_token(token: impl Into<String>) -> Self {
        LogoutTarget::Token {
            kind: TokenKind::Refresh,
            token: token.into(),
        }
    }
}

impl fmt::Debug for LogoutTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LogoutTarget::Session(id) => f.debug_tuple("Session").field(id).finish(),
            LogoutTarget::Token { kind, .. } => f
                .debug_struct("Token")
                .field("kind", kind)
                .field("token", &"<redacted>")
                .finish(),
        }
    }
}

/// What a logout did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LogoutOutcome {
    /// Whether something was revoked; `false` for an unknown, expired, malformed or
    /// already revoked session or token (a second logout is harmless).
    pub revoked: bool,
    /// Whose session or tokens were revoked.
    pub user_id: Option<String>,
}

impl LogoutOutcome {
    const NOTHING: LogoutOutcome = LogoutOutcome {
        revoked: false,
        user_id: None,
    };
}

impl AuthFlow {
    /// Logs out the login a session or a token belongs to: its session *and* its token
    /// family, whichever credential is presented (one login, one link).
    ///
    /// The context is built *before* revocation (with the user id and the session or
    /// token metadata), then the session and the token family are revoked, then
    /// `on_logout` runs. Logging out what is already gone (or never was) revokes
    /// nothing, runs no hook and answers `Ok` with `revoked: false`. A store failure is
    /// an error: the client must not believe it is logged out when it is not.
    pub async fn logout(
        &self,
        target: LogoutTarget,
        request: RequestMeta,
    ) -> Result<LogoutOutcome, LogoutError> {
        let base = self.context(request);
        let (ctx, user_id) = match &target {
            LogoutTarget::Session(id) => {
                let sessions = self
                    .sessions
                    .as_ref()
                    .ok_or(LogoutError::NotConfigured("session"))?;
                let Some(record) = sessions.peek(id).await? else {
                    return Ok(LogoutOutcome::NOTHING);
                };
                let ctx = base.user_id(record.user_id.clone()).session(record.meta());
                let ctx = self.with_user(ctx, &record.user_id).await.build();
                // The tokens first: if that fails the session stays, and a retry with the
                // same cookie finishes the job.
                if let Some(tokens) = &self.tokens {
                    tokens
                        .revoke_family_of_session(&record.id_hash)
                        .await
                        .map_err(store_error)?;
                }
                sessions.revoke_by_hash(&record.id_hash).await?;
                (ctx, record.user_id)
            }
            LogoutTarget::Token { kind, token } => {
                let tokens = self
                    .tokens
                    .as_ref()
                    .ok_or(LogoutError::NotConfigured("token"))?;
                let (claims, family_revoked) = match tokens.inspect_for_logout(token, *kind).await {
                    Ok(found) => found,
                    Err(TokenError::Invalid | TokenError::Expired | TokenError::Revoked) => {
                        return Ok(LogoutOutcome::NOTHING)
                    }
                    Err(error) => return Err(store_error(error).into()),
                };
                // The session first: if revoking the family then fails, a retry with the
                // same token finishes the job.
                let session_ended = match (&claims.sid, &self.sessions) {
                    (Some(sid), Some(sessions)) => sessions.revoke_by_hash(sid).await?.is_some(),
                    _ => false,
                };
                if family_revoked && !session_ended {
                    return Ok(LogoutOutcome::NOTHING); // the whole login was over already
                }
                let ctx = base.user_id(claims.sub.clone()).token(claims.meta());
                let ctx = self.with_user(ctx, &claims.sub).await.build();
                tokens
                    .revoke_claims(&claims, true)
                    .await
                    .map_err(store_error)?;
                (ctx, claims.sub)
            }
        };
        match self.hooks.run(Phase::OnLogout, &ctx).await {
            // Only before_login challenges: never here.
            Ok(()) | Err(AuthHookError::Rejected(_) | AuthHookError::Challenged(_)) => {
                Ok(LogoutOutcome {
                    revoked: true,
                    user_id: Some(user_id),
                })
            }
            Err(AuthHookError::Failed(failed)) => Err(LogoutError::HookFailed(*failed)),
        }
    }

    /// Adds the user value to a logout context, if the backend still knows the user.
    async fn with_user(
        &self,
        ctx: AuthHookContextBuilder,
        user_id: &str,
    ) -> AuthHookContextBuilder {
        match self.backend.resolve_user(user_id).await {
            Ok(Some(user)) => match user.shared_user() {
                Some(shared) => ctx.shared_user(shared),
                None => ctx,
            },
            Ok(None) => ctx,
            Err(error) => {
                tracing::warn!(%user_id, error = %auth_hooks::LogSafe(&error), "logout goes on without the user value: user store unavailable");
                ctx
            }
        }
    }
}

fn store_error(error: TokenError) -> StoreError {
    match error {
        TokenError::Store(error) => error,
        other => StoreError::new(other.to_string()),
    }
}
