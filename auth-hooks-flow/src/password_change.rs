//! A password change: the current password checked through the gate, the new one
//! stored, every other login ended, then `on_password_change`.

use auth_hooks::{Phase, RequestMeta};
use serde_json::json;

use crate::other_logins::revoke_other_logins;
use crate::{AuthFlow, Authenticated, LoginError, PasswordChange};

/// A password change that was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct PasswordChanged {
    /// How many other sessions of the user were ended (each with its tokens).
    pub other_logins_ended: usize,
}

impl AuthFlow {
    /// Changes the password of the user `current` authenticated (a request's session or
    /// bearer token, from [`authenticate_session`](Self::authenticate_session) or
    /// [`authenticate_token`](Self::authenticate_token)). The contract, in order:
    ///
    /// 1. The new password must meet the backend's policy
    ///    ([`LoginError::WeakPassword`]); nothing is counted yet.
    /// 2. Runs `before_authenticate` with the user's login name and metadata
    ///    `authentication_method` = `"password_change"`: guessing the current password
    ///    with a stolen session counts against the same lockout and IP throttle as
    ///    guessing it at the login.
    /// 3. The backend verifies the current password and stores a hash of the new one
    ///    (both on its bounded hashing threads). A wrong current password runs
    ///    `on_login_failed` (metadata `failure` = `"wrong_password"`) and answers
    ///    [`LoginError::WrongPassword`].
    /// 4. Ends every other login of the user: their sessions and the token families
    ///    linked to them. The login the change was made from stays: its session (for a
    ///    token, the session it is linked to) and its token family. Tokens of a
    ///    tokens-only flow are not tracked per user and are not ended. If a store fails
    ///    here, the password is changed and [`LoginError::StoreUnavailable`] is
    ///    returned: a retry with the new password as the current one ends them.
    /// 5. Runs `on_password_change` with the user, the current login's session or token
    ///    metadata and metadata `other_logins_ended`. Under `raise` its failure is
    ///    returned; the password is changed either way.
    pub async fn change_password(
        &self,
        current: &Authenticated,
        current_password: &str,
        new_password: &str,
        request: RequestMeta,
    ) -> Result<PasswordChanged, LoginError> {
        let backend_error = |error| LoginError::from_backend(error, &self.backend_name);
        self.backend
            .check_new_password(new_password)
            .await
            .map_err(backend_error)?;

        let user = &current.user;
        let mut ctx = self
            .context(request)
            .user_id(user.id.clone())
            .metadata("authentication_method", "password_change");
        if let Some(login) = self.backend.login_name_of(user) {
            ctx = ctx.credentials_with(json!({ "username": login }), self.hook_fields.sanitizer());
        }
        if let Some(shared) = user.shared_user() {
            ctx = ctx.shared_user(shared);
        }
        if let Some(session) = &current.session {
            ctx = ctx.session(session.meta());
        }
        if let Some(claims) = &current.claims {
            ctx = ctx.token(claims.meta());
        }
        let gate = ctx.build();
        if let Err(error) = self.hooks.run(Phase::BeforeAuthenticate, &gate).await {
            let error = LoginError::from_hook(error);
            tracing::info!(attempt = gate.attempt_id(), user_id = %user.id, error = %auth_hooks::LogSafe(&error), "password change denied before the password was checked");
            return Err(error);
        }

        let changed = self
            .backend
            .change_password(&user.id, current_password, new_password)
            .await
            .map_err(backend_error)?;
        if changed == PasswordChange::WrongPassword {
            let ctx = gate
                .into_builder()
                .metadata("failure", "wrong_password")
                .build();
            self.hooks
                .run(Phase::OnLoginFailed, &ctx)
                .await
                .map_err(LoginError::from_hook)?;
            return Err(LoginError::WrongPassword);
        }

        let keep = current
            .session
            .as_ref()
            .map(|s| s.id_hash.as_str())
            .or_else(|| current.claims.as_ref()?.sid.as_deref());
        let other_logins_ended = match &self.sessions {
            Some(sessions) => {
                revoke_other_logins(sessions, self.tokens.as_deref(), &user.id, keep)
                    .await
                    .map_err(|error| {
                        tracing::error!(attempt = gate.attempt_id(), user_id = %user.id, error = %auth_hooks::LogSafe(&error), "password changed, but the other logins could not be ended");
                        LoginError::StoreUnavailable(error)
                    })?
            }
            None => 0,
        };
        tracing::info!(attempt = gate.attempt_id(), user_id = %user.id, other_logins_ended, "password changed");

        let ctx = gate
            .into_builder()
            .metadata("other_logins_ended", other_logins_ended)
            .build();
        self.hooks
            .run(Phase::OnPasswordChange, &ctx)
            .await
            .map_err(LoginError::from_hook)?;
        Ok(PasswordChanged { other_logins_ended })
    }
}
