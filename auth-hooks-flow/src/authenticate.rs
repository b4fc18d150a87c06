//! Checking the session or token of a request.

use crate::{AuthError, AuthFlow, AuthenticatedUser, Claims, SessionId, SessionRecord};

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
}
