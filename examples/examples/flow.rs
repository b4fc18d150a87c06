//! Run with: cargo run -p examples --example flow
//!
//! A complete login flow with real argon2id parameters (OWASP: 19 MiB, t=2): a login
//! refused by a hook, a successful login recorded by the audit hook, a lockout after
//! five wrong passwords, and a logout.

use std::sync::Arc;

use auth_hooks::RequestMeta;
use auth_hooks_flow::builtin::lockout::Lockout;
use auth_hooks_flow::{
    AuthFlow, Credentials, JwtKeys, LoginError, LogoutTarget, MemoryAttemptStore,
    MemoryJtiBlocklist, MemorySessionStore, MemoryUserStore, PasswordBackend, PasswordHasher,
    PasswordUser, SessionKey, SessionManager, TokenManager,
};

/// The application's own hook.
mod security {
    use auth_hooks::{before_login, AuthHookContext, AuthHookReject};
    use auth_hooks_flow::PasswordAccount;

    /// Refuses suspended accounts once their password was verified.
    #[before_login]
    pub fn deny_suspended(ctx: &AuthHookContext) -> Result<(), AuthHookReject> {
        match ctx.user::<PasswordAccount>() {
            Some(account) if account.suspended => {
                Err(AuthHookReject::new("This account is suspended.")
                    .with_reason("chargeback fraud, ticket 4711"))
            }
            _ => Ok(()),
        }
    }
}

fn request() -> RequestMeta {
    RequestMeta::new("POST", "/login")
        .client_ip([198, 51, 100, 7].into())
        .user_agent("example/1.0")
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt().with_target(true).init();

    // Activate our hook and three built-ins.
    let hooks = auth_hooks::ready!(
        crate::security,
        auth_hooks_flow::builtin::audit,
        auth_hooks_flow::builtin::lockout,
        auth_hooks_flow::builtin::revoke_other_sessions,
    )?;

    // Production parameters: each hash costs tens of milliseconds, on purpose.
    let hasher = PasswordHasher::owasp();
    let users = Arc::new(MemoryUserStore::new());
    users.add("u-1", "ada", "correct horse battery staple", &hasher)?;
    users.insert(PasswordUser {
        suspended: true,
        ..PasswordUser::with_password("u-2", "mallory", "mallory's password", &hasher)?
    })?;

    // Keys come from your secret manager; random ones log everybody out on restart.
    let flow = AuthFlow::builder(PasswordBackend::new(users, hasher))
        .hooks(hooks)
        .sessions(SessionManager::new(
            SessionKey::generate()?,
            Arc::new(MemorySessionStore::new()),
        ))
        .tokens(TokenManager::new(
            JwtKeys::hs256_random()?,
            Arc::new(MemoryJtiBlocklist::new()),
        ))
        .extension(Lockout::new(Arc::new(MemoryAttemptStore::new())))
        .build()?;

    println!("\n1. mallory logs in; a before_login hook refuses");
    let err = flow
        .login(
            Credentials::password("mallory", "mallory's password"),
            request(),
        )
        .await
        .unwrap_err();
    println!("   -> client sees: {:?}", err.client_message());

    println!("\n2. ada logs in (see the audit events)");
    let ok = flow
        .login(
            Credentials::password("ada", "correct horse battery staple"),
            request(),
        )
        .await?;
    let session = ok.session.expect("the flow has sessions");
    let ttl = session
        .meta
        .expires_at
        .duration_since(std::time::SystemTime::now())
        .unwrap_or_default();
    println!(
        "   -> user {}, a session cookie of {} characters, valid for {} days at most",
        ok.user.id,
        session.id.expose().len(),
        (ttl.as_secs() + 3600) / 86_400
    );
    let who = flow.authenticate_session(&session.id).await?;
    println!("   -> the cookie authenticates {}", who.user.id);

    println!("\n3. someone tries ada's account with wrong passwords");
    for attempt in 1..=6 {
        let err = flow
            .login(Credentials::password("ada", "guess"), request())
            .await
            .unwrap_err();
        match &err {
            LoginError::LockedOut { retry_after, .. } => println!(
                "   attempt {attempt}: {:?} (429, Retry-After: {} s)",
                err.client_message(),
                retry_after.as_secs()
            ),
            _ => println!("   attempt {attempt}: {:?}", err.client_message()),
        }
    }

    println!("\n4. ada logs out; the cookie stops working");
    let cookie = session.id.expose().to_owned();
    let out = flow
        .logout(LogoutTarget::session(session.id), request())
        .await?;
    println!("   -> revoked: {}", out.revoked);
    match flow.authenticate_session_cookie(&cookie).await {
        Ok(_) => println!("   -> BUG: the cookie still works"),
        Err(err) => println!("   -> the old cookie now gets: {:?}", err.client_message()),
    }
    Ok(())
}
