//! Run with: cargo run -p examples --example quickstart
//!
//! Declares hooks with one annotation each, activates them with `ready!`, and runs the
//! phases of three logins in the order a login flow does (the gate, the password
//! check, `before_login`, `on_login`): a blocked network, a banned user, and a welcome
//! one. `auth_hooks_flow::AuthFlow` does all of this for you (`--example flow`).

use std::net::IpAddr;

use auth_hooks::{AuthHookContext, ErrorPolicy, Phase, RequestMeta};
use serde_json::json;

/// The application's hooks. Declaring them runs nothing; `ready!` activates them.
mod security {
    use auth_hooks::{before_authenticate, before_login, on_login, on_login_failed, on_logout};
    use auth_hooks::{AuthHookContext, AuthHookReject};

    /// Refuses banned users once their password was verified (the flow runs
    /// `before_login` only then, so nobody learns of the ban without the password).
    #[before_login]
    pub fn deny_banned(ctx: &AuthHookContext) -> Result<(), AuthHookReject> {
        const BANNED: &[&str] = &["mallory", "trudy"];
        // The normalized name (NFKC, lower-cased, trimmed): `Mallory` is refused too.
        match ctx.username() {
            Some(name) if BANNED.contains(&name) => Err(AuthHookReject::new(
                "This account is suspended. Contact support.",
            )
            .with_reason(format!("{name} is on the ban list"))),
            _ => Ok(()),
        }
    }

    /// Refuses a network before any password is checked, for password logins only.
    #[before_authenticate(backend = "password", priority = 10)]
    pub fn deny_test_network(ctx: &AuthHookContext) -> Result<(), AuthHookReject> {
        let ip = ctx.request().and_then(|r| r.client_ip);
        match ip {
            Some(ip) if ip.to_string().starts_with("203.0.113.") => Err(AuthHookReject::new(
                "Logins from this network are not allowed.",
            )),
            _ => Ok(()),
        }
    }

    /// Records every successful login (async: it could write to a database).
    #[on_login(timeout_ms = 500)]
    pub async fn audit(ctx: &AuthHookContext) -> Result<(), std::io::Error> {
        tracing::info!(user = ?ctx.user_id(), ip = ?ctx.request().and_then(|r| r.client_ip), "audit: login");
        Ok(())
    }

    /// A hook with a bug: under the `log` policy the login goes on, and the log says why.
    #[on_login]
    pub fn flaky_metrics(_: &AuthHookContext) -> Result<(), std::io::Error> {
        Err(std::io::Error::other("metrics endpoint unreachable"))
    }

    /// Counts failures (a real application would lock the account after five).
    #[on_login_failed]
    pub fn count_failure(ctx: &AuthHookContext) {
        // Never the typed name: people type their password into it.
        tracing::warn!(ip = ?ctx.request().and_then(|r| r.client_ip), "failed login");
    }

    /// Cleans up on logout.
    #[on_logout]
    pub fn forget(ctx: &AuthHookContext) {
        tracing::info!(user = ?ctx.user_id(), "logout: cache cleared");
    }
}

fn attempt(username: &str, ip: &str) -> AuthHookContext {
    AuthHookContext::builder()
        .credentials(json!({ "username": username, "password": "correct horse battery staple" }))
        .request(
            RequestMeta::new("POST", "/login?next=/home")
                .client_ip(ip.parse::<IpAddr>().expect("a valid IP"))
                .user_agent("quickstart/1.0"),
        )
        .auth_backend("password")
        .build()
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_target(false)
        .without_time()
        .init();

    let mut hooks = auth_hooks::ready!(crate::security)?;
    hooks.set_policy(Phase::OnLogin, ErrorPolicy::Log);
    for phase in [Phase::BeforeAuthenticate, Phase::BeforeLogin] {
        println!("Activated {phase} hooks, in the order they run:");
        for hook in hooks.hooks(phase) {
            println!("  {}", serde_json::to_string(&hook)?);
        }
    }
    println!();

    for (username, ip) in [
        ("ada", "203.0.113.9"),
        ("mallory", "198.51.100.4"),
        ("ada", "198.51.100.4"),
    ] {
        let ctx = attempt(username, ip);
        println!(
            "login of {username} from {ip}: the hooks see credentials {}",
            ctx.credentials()
        );
        if let Err(denied) = hooks.run(Phase::BeforeAuthenticate, &ctx).await {
            println!(
                "  -> refused before the password: {:?} (by {})\n",
                denied.client_message(),
                denied.hook()
            );
            continue;
        }
        // The password check happens here (here, it is right); then before_login sees
        // the authenticated user.
        let ctx = ctx.to_builder().user_id("user-1").build();
        if let Err(denied) = hooks.run(Phase::BeforeLogin, &ctx).await {
            println!(
                "  -> refused after the password: {:?} (by {})\n",
                denied.client_message(),
                denied.hook()
            );
            continue;
        }
        // The session is created; then on_login.
        hooks.run(Phase::OnLogin, &ctx).await?;
        println!("  -> welcome, {username}\n");
        hooks.run(Phase::OnLogout, &ctx).await?;
    }
    // A wrong password: on_login_failed, and no before_login at all.
    hooks
        .run(Phase::OnLoginFailed, &attempt("ada", "198.51.100.4"))
        .await?;
    Ok(())
}
