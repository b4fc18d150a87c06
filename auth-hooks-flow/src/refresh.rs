//! The refresh flow: a refresh token for a new pair, with the hooks around it.

use auth_hooks::{AuthHookError, Phase, RequestMeta, TokenKind};

use crate::{AuthError, AuthFlow, Claims, SessionManager, TokenClaims, TokenError, TokenPair};

impl AuthFlow {
    /// Refreshes as [`refresh_from`](Self::refresh_from), for a request of which
    /// nothing is known (no client address: the IP throttle cannot count it).
    pub async fn refresh(&self, refresh_token: &str) -> Result<TokenPair, AuthError> {
        self.refresh_from(refresh_token, RequestMeta::new("POST", "/refresh"))
            .await
    }

    /// Exchanges a refresh token for a new pair. No path skips a hook; in order:
    ///
    /// 1. `before_authenticate`, as for a login (no token, no user; the context's
    ///    metadata says `"authentication_method": "token_refresh"`): IP rules and the
    ///    built-in IP throttle apply to refresh too.
    /// 2. The token is checked like any other (signature, kind, expiry, blocklist), its
    ///    user re-read from the store (a user gone or disabled is refused), and a token
    ///    issued with a session needs that session live (a login's tokens live no
    ///    longer than its session; a refresh counts as a use of it). A spent token used
    ///    again means a copy is in other hands: its whole login (family and session)
    ///    is revoked.
    /// 3. `on_refresh`, with the user, the old refresh token's metadata and the
    ///    [`TokenClaims`] of the new pair (holding the old tokens' custom claims). A
    ///    reject revokes the token's whole login and answers [`AuthError::Rejected`];
    ///    a failure under `raise` answers [`AuthError::HookFailed`] and spends nothing,
    ///    so the client may retry.
    /// 4. The token is spent (it works once, even when two requests race) and the new
    ///    pair issued, of the same family, not fresh, with the claims.
    pub async fn refresh_from(
        &self,
        refresh_token: &str,
        request: RequestMeta,
    ) -> Result<TokenPair, AuthError> {
        let tokens = self
            .tokens
            .as_ref()
            .ok_or(AuthError::NotConfigured("token"))?;
        let gate = self
            .context(request)
            .metadata("authentication_method", "token_refresh")
            .build();
        self.hooks
            .run(Phase::BeforeAuthenticate, &gate)
            .await
            .map_err(AuthError::from_hook)?;

        // Everything is read before the token's single use is spent: a store that fails
        // here answers 503 and the client may retry with the same token.
        let claims = tokens.decode_refresh(refresh_token)?;
        let session = claims.sid.as_deref().zip(self.sessions.as_deref());
        let user = match self.backend.resolve_user(&claims.sub).await {
            Ok(Some(user)) => user,
            Ok(None) => {
                // A revoked or spent token says only that, whether its user exists or not.
                tokens.verify(refresh_token, TokenKind::Refresh).await?;
                if let Err(error) = self.end_login(&claims, session).await {
                    tracing::error!(error = %auth_hooks::LogSafe(&error), "could not revoke the tokens of a user who is gone");
                }
                return Err(AuthError::UnknownUser);
            }
            Err(error) => return Err(AuthError::StoreUnavailable(error)),
        };
        if let Err(error) = tokens.verify(refresh_token, TokenKind::Refresh).await {
            if matches!(error, TokenError::Revoked) {
                // Spent already (or revoked): whoever holds a copy, the login is over.
                self.end_login(&claims, session).await?;
            }
            return Err(error.into());
        }
        if let Some((sid, sessions)) = session {
            if sessions.validate_by_hash(sid).await?.is_none() {
                self.end_login(&claims, None).await?;
                return Err(AuthError::Revoked);
            }
        }

        let new_claims = TokenClaims::carrying(claims.custom.clone());
        let mut ctx = gate
            .into_builder()
            .user_id(claims.sub.clone())
            .token(claims.meta())
            // The factors of the original login: a refresh never asks for them again.
            .metadata(
                crate::AMR_CLAIM,
                claims
                    .custom
                    .get(crate::AMR_CLAIM)
                    .cloned()
                    .unwrap_or_default(),
            )
            .extension(new_claims.clone());
        if let Some(shared) = user.shared_user() {
            ctx = ctx.shared_user(shared);
        }
        let ctx = ctx.build();
        match self.hooks.run(Phase::OnRefresh, &ctx).await {
            Ok(()) => {}
            Err(error @ AuthHookError::Rejected(_)) => {
                self.end_login(&claims, session).await?;
                tracing::info!(attempt = ctx.attempt_id(), user_id = %claims.sub, error = %auth_hooks::LogSafe(&error), "refresh refused by a hook; the login is revoked");
                return Err(AuthError::from_hook(error));
            }
            Err(error) => return Err(AuthError::from_hook(error)),
        }

        match tokens
            .refresh_with(refresh_token, Some(&new_claims.take()))
            .await
        {
            Err(TokenError::Revoked) => {
                // Lost a race with another use of the same token: reuse.
                self.end_login(&claims, session).await?;
                Err(AuthError::Revoked)
            }
            outcome => Ok(outcome?),
        }
    }

    /// Revokes the login `claims` belong to: its token family and, if given, its session.
    async fn end_login(
        &self,
        claims: &Claims,
        session: Option<(&str, &SessionManager)>,
    ) -> Result<(), AuthError> {
        if let Some(tokens) = &self.tokens {
            tokens.revoke_family(claims).await?;
        }
        if let Some((sid, sessions)) = session {
            sessions.revoke_by_hash(sid).await?;
        }
        Ok(())
    }
}
