//! After a login, end every other session of the user (Kratos' `revoke_active_sessions`).
//!
//! Activate with `auth_hooks::ready!(auth_hooks_flow::builtin::revoke_other_sessions)`. It
//! reads the `Arc<SessionManager>` the flow attaches when it has sessions; a login that
//! created no session (tokens only) revokes nothing. Tokens are not tracked per user,
//! so other logins' tokens stay valid until they expire or are revoked.

use std::sync::Arc;

use crate::builtin::{required, MissingExtension};
use crate::SessionManager;
use auth_hooks::{on_login, AuthHookContext, HookError};

/// What the hook needs in the context.
pub(crate) const MISSING: MissingExtension = MissingExtension {
    hook: "auth_hooks_flow::builtin::revoke_other_sessions::revoke_other_sessions",
    extension: "Arc<auth_hooks_flow::SessionManager>",
    fix: "give the flow sessions with AuthFlowBuilder::sessions(…)",
};

/// Ends every session of the user but the one this login created.
#[on_login]
pub async fn revoke_other_sessions(ctx: &AuthHookContext) -> Result<(), HookError> {
    let sessions = required::<Arc<SessionManager>>(ctx, MISSING)?;
    let Some(session) = ctx.session() else {
        return Ok(());
    };
    let revoked = sessions
        .revoke_all_except(&session.user_id, &session.id_hash)
        .await?;
    tracing::info!(user_id = %session.user_id, revoked, "other sessions revoked after login");
    Ok(())
}
