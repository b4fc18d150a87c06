//! After a login, end every other login of the user (Kratos' `revoke_active_sessions`):
//! their sessions and the token families linked to them.
//!
//! Activate with `auth_hooks::ready!(auth_hooks_flow::builtin::revoke_other_sessions)`. It
//! reads the `Arc<SessionManager>` (and, when the flow issues tokens, the
//! `Arc<TokenManager>`) the flow attaches. A login that created no session (tokens
//! only) revokes nothing, and tokens issued without a session (a tokens-only flow) are
//! not tracked per user: they stay valid until they expire or are revoked.

use std::sync::Arc;

use crate::builtin::{required, MissingExtension};
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
    let tokens = ctx.extension::<Arc<TokenManager>>();
    let mut revoked = 0;
    for other in sessions.store().list_for_user(&session.user_id).await? {
        if other.id_hash == session.id_hash {
            continue;
        }
        // The tokens first: a failure then leaves the session, and the user can retry.
        if let Some(tokens) = tokens {
            tokens.revoke_family_of_session(&other.id_hash).await?;
        }
        if sessions.revoke_by_hash(&other.id_hash).await?.is_some() {
            revoked += 1;
        }
    }
    tracing::info!(user_id = %session.user_id, revoked, "other logins revoked after login");
    Ok(())
}
