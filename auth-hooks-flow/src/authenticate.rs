//! Checking the session or token of a request, and refreshing tokens.

use crate::{
    AuthError, AuthFlow, AuthenticatedUser, Claims, SessionId, SessionRecord, TokenError, TokenPair,
};
use auth_hooks::TokenKind;

/// A request's session or token, checked, with its user.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Authenticated {
    /// The user, as the backend maps the session's user or the token's `sub`.
    pub user: AuthenticatedUser,
    /// The session, when authenticated by session.
    pub session: Option<SessionRecord>,
    /// The token's claims, when authenticated by token.
    pub claims: Option<Claims>,
}

impl AuthFlow {
    /// Checks a session id from a cookie: live (TTL and idle timeout), then its user
    /// through [`AuthBackend::resolve_user`](crate::AuthBackend::resolve_user).
    /// Records the use (extending the idle timeout). A session whose user is gone or
    /// disabled is ended.
    pub async fn authenticate_session(&self, id: &SessionId) -> Result<Authenticated, AuthError> {
        let sessions = self
            .sessions
            .as_ref()
            .ok_or(AuthError::NotConfigured("session"))?;
        let record = sessions.validate(id).await?.ok_or(AuthError::Invalid)?;
        let Some(user) = self.backend.resolve_user(&record.user_id).await? else {
            sessions.revoke_by_hash(&record.id_hash).await?;
            return Err(AuthError::UnknownUser);
        };
        Ok(Authenticated {
            user,
            session: Some(record),
            claims: None,
        })
    }

    /// Like [`authenticate_session`](Self::authenticate_session), from the cookie's text.
    pub async fn authenticate_session_cookie(
        &self,
        cookie: &str,
    ) -> Result<Authenticated, AuthError> {
        let id = SessionId::parse(cookie).map_err(|_| AuthError::Invalid)?;
        self.authenticate_session(&id).await
    }

    /// Checks a bearer access token: signature, kind, expiry, blocklist (its `jti` and
    /// its family), then maps `sub` to the user.
    pub async fn authenticate_token(&self, access_token: &str) -> Result<Authenticated, AuthError> {
        let tokens = self
            .tokens
            .as_ref()
            .ok_or(AuthError::NotConfigured("token"))?;
        let claims = tokens.verify_access(access_token).await?;
        let user = self
            .backend
            .resolve_user(&claims.sub)
            .await?
            .ok_or(AuthError::UnknownUser)?;
        Ok(Authenticated {
            user,
            session: None,
            claims: Some(claims),
        })
    }

    /// Exchanges a refresh token for a new pair. The refresh token is checked like an
    /// access token (blocklist included), works once (a second use revokes its family
    /// and the session of its login), and is refused if its user is gone or disabled.
    ///
    /// A login's tokens live no longer than its session: a refresh token issued with a
    /// session is refused (and its family revoked) once that session ended, by logout,
    /// revocation, its TTL or its idle timeout; a refresh counts as a use of the
    /// session.
    pub async fn refresh(&self, refresh_token: &str) -> Result<TokenPair, AuthError> {
        let tokens = self
            .tokens
            .as_ref()
            .ok_or(AuthError::NotConfigured("token"))?;
        // The user is looked up before the token's single use is spent: a store that
        // fails here answers 503 and the client may retry with the same token.
        let claims = tokens.decode_refresh(refresh_token)?;
        match self.backend.resolve_user(&claims.sub).await {
            Ok(Some(_)) => {
                let session = claims.sid.as_deref().zip(self.sessions.as_deref());
                if let Some((sid, sessions)) = session {
                    if sessions.validate_by_hash(sid).await?.is_none() {
                        tokens.verify(refresh_token, TokenKind::Refresh).await?;
                        tokens.revoke_family(&claims).await?;
                        return Err(AuthError::Revoked);
                    }
                }
                match tokens.refresh(refresh_token).await {
                    // Spent or revoked: whoever holds a copy, the login is over.
                    Err(TokenError::Revoked) => {
                        if let Some((sid, sessions)) = session {
                            sessions.revoke_by_hash(sid).await?;
                        }
                        Err(AuthError::Revoked)
                    }
                    outcome => Ok(outcome?),
                }
            }
            Ok(None) => {
                // A revoked or spent token says only that, whether its user exists or not.
                tokens.verify(refresh_token, TokenKind::Refresh).await?;
                if let Err(error) = tokens.revoke_family(&claims).await {
                    tracing::error!(%error, "could not revoke the tokens of a user who is gone");
                }
                Err(AuthError::UnknownUser)
            }
            Err(error) => Err(AuthError::StoreUnavailable(error)),
        }
    }
}
