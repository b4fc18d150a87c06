//! One structured `tracing` event per phase, for an audit trail.
//!
//! Activate with `auth_hooks::ready!(auth_hooks_flow::builtin::audit)`. Events have target
//! `auth_hooks::audit` and the fields `phase`, `outcome` (`attempt`, `success`,
//! `failure`, `logout`, `refresh`, `register` (with `registration`: `created` or
//! `login_taken`), `password_change`), `user_id`, `login` (the normalized name, once it
//! names an account: success, logout, refresh, register, password change), `login_hash`
//! (for `attempt` and `failure`, instead of the name: the first 16 hex digits of its
//! keyed hash, with the [`Lockout`]'s [`LoginNameKey`] when one is attached, else the
//! process's; people type their password into the name field, so an unverified name is
//! never logged in clear), `backend`, `ip`, `user_agent`, `session` (the first 16 hex digits of the session's
//! keyed hash) and `token_family`. Never a password, token or session id: the context
//! holds none. Each hook runs first in its phase (priority 1 000 000), so a later hook
//! that fails under `raise` cannot hide the attempt.

use crate::builtin::lockout::Lockout;
use crate::builtin::LoginNameKey;
use auth_hooks::{
    before_authenticate, on_login, on_login_failed, on_logout, on_password_change, on_refresh,
    on_register, AuthHookContext, LogSafe, Phase, TokenKind,
};

fn emit(ctx: &AuthHookContext, phase: Phase, outcome: &str) {
    let ip = ctx
        .request()
        .and_then(|r| r.client_ip)
        .map(|ip| ip.to_string());
    let user_agent = ctx.request().and_then(|r| r.user_agent.as_deref());
    let session = ctx
        .session()
        .map(|s| s.id_hash.get(..16).unwrap_or(&s.id_hash));
    let family = ctx
        .token(TokenKind::Access)
        .or_else(|| ctx.token(TokenKind::Refresh))
        .map(|t| t.family.as_str());
    let registration = ctx.metadata().get("registration").and_then(|r| r.as_str());
    let unverified = matches!(outcome, "attempt" | "failure");
    let login_hash = unverified.then(|| login_hash(ctx)).flatten();
    let login = ctx.username().filter(|_| !unverified).map(LogSafe);
    let user_agent = user_agent.map(LogSafe);
    if outcome == "failure" {
        tracing::warn!(
            target: "auth_hooks::audit",
            phase = phase.as_str(),
            outcome,
            user_id = ctx.user_id(),
            login_hash,
            backend = ctx.auth_backend(),
            ip = ip.as_deref(),
            user_agent = user_agent.map(display),
            "auth audit"
        );
    } else {
        tracing::info!(
            target: "auth_hooks::audit",
            phase = phase.as_str(),
            outcome,
            user_id = ctx.user_id(),
            login = login.map(display),
            login_hash,
            backend = ctx.auth_backend(),
            ip = ip.as_deref(),
            user_agent = user_agent.map(display),
            session,
            token_family = family,
            registration,
            "auth audit"
        );
    }
}

/// The first 16 hex digits of the keyed hash of the login name in `ctx`.
fn login_hash(ctx: &AuthHookContext) -> Option<String> {
    let login = ctx.username()?;
    let key = ctx
        .extension::<Lockout>()
        .map_or_else(LoginNameKey::process, |l| l.login_name_key().clone());
    let mut digest = key.digest(login);
    digest.truncate(16);
    Some(digest)
}

/// Records a login attempt before anything is checked.
#[before_authenticate(priority = 1000000)]
pub fn attempt(ctx: &AuthHookContext) {
    emit(ctx, Phase::BeforeAuthenticate, "attempt");
}

/// Records a successful login with its session and token family.
#[on_login(priority = 1000000)]
pub fn success(ctx: &AuthHookContext) {
    emit(ctx, Phase::OnLogin, "success");
}

/// Records a failed login (wrong credentials), with the hash of the login name typed.
#[on_login_failed(priority = 1000000)]
pub fn failure(ctx: &AuthHookContext) {
    emit(ctx, Phase::OnLoginFailed, "failure");
}

/// Records a logout.
#[on_logout(priority = 1000000)]
pub fn logout(ctx: &AuthHookContext) {
    emit(ctx, Phase::OnLogout, "logout");
}

/// Records a refresh of a token pair.
#[on_refresh(priority = 1000000)]
pub fn refresh(ctx: &AuthHookContext) {
    emit(ctx, Phase::OnRefresh, "refresh");
}

/// Records a handled registration: a new user, or a taken name (`registration`).
#[on_register(priority = 1000000)]
pub fn register(ctx: &AuthHookContext) {
    emit(ctx, Phase::OnRegister, "register");
}

/// Records a password change.
#[on_password_change(priority = 1000000)]
pub fn password_change(ctx: &AuthHookContext) {
    emit(ctx, Phase::OnPasswordChange, "password_change");
}
