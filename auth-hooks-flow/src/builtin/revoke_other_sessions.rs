//! After a login, end every other login of the user (Kratos' `revoke_active_sessions`):
//! their sessions and the token families linked to them.
//!
//! Activate with `auth_hooks::ready!(auth_hooks_flow::builtin::revoke_other_sessions)`. It
//! reads the `Arc<SessionManager>` (and, when the flow issues tokens, the
//! `Arc<TokenManager>`) the flow attaches. A login that created no session (tokens
//! only) revokes nothing, and tokens issued without a session (a tokens-only flow) are
//! not tracked per user: they stay valid until they expire or are revoked.
//!
//! It runs in `on_login`, whose default policy is `log`: if a store fails, the login
//! stands and the other logins stay (logged as an error). Set `on_login = raise` to
//! make such a failure fail the login instead.

use std::sync::Arc;

use crate::builtin::{required, MissingExtension};
use crate::other_logins::revoke_other_logins;
use crate::{SessionManager, TokenManager};
use auth_hooks::{on_login, AuthHookContext, HookError};

/// What the hook needs in the context.
pub(crate) const MISSING: MissingExtension = MissingExtension {
    hook: "auth_hooks_flow::builtin::revoke_other_sessions::revoke_other_sessions",
    extension: "Arc<auth_hooks_flow::SessionManager>",
    fix: "give the flow sessions with AuthFlowBuilder::sessions(…)",
};

/// Ends every login of the user but this one: sessions and their token families.
#[on_login]
pub async fn revoke_other_sessions(ctx: &AuthHookContext) -> Result<(), HookError> {
    let sessions = required::<Arc<SessionManager>>(ctx, MISSING)?;
    let Some(session) = ctx.session() else {
        return Ok(());
    };
    let tokens = ctx.extension::<Arc<TokenManager>>().map(Arc::as_ref);
    let revoked =
        revoke_other_logins(sessions, tokens, &session.user_id, Some(&session.id_hash)).await?;
    tracing::info!(user_id = %session.user_id, revoked, "other logins revoked after login");
    Ok(())
}
