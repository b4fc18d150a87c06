//! Run with: cargo run -p examples --example server
//!
//! A login page and a `/me` page on http://127.0.0.1:3000 (set `PORT` for another
//! port), with hooks around every login: a lockout after five failures of one account
//! from one address, a block after twenty failures from one address (both before the
//! password is checked), a refusal of suspended accounts (after it), an audit trail,
//! "log out my other logins" and a session enriched with the user's tenant.
//!
//! Sign in as `ada` with the password `correct horse battery staple`. `mallory`
//! (password `mallory's password`) is suspended: with her password she is told so;
//! with a wrong one she gets "Invalid username or password." like anyone else.
//!
//! `grace` (password `second factor please`) has an authenticator app: after her
//! password the login page asks for her TOTP code, from the base32 secret in
//! `AUTH_HOOKS_DEMO_GRACE_TOTP` (default `JBSWY3DPEHPK3PXP`; `oathtool --totp -b
//! JBSWY3DPEHPK3PXP` computes it). Anyone signed in can set up their own at
//! `/second-factor` (linked from `/me`).
//!
//! Create an account at `/register` (linked from the login page): a new name and a
//! taken one get the same answer, and the log shows the mail the `on_register` hook
//! would send to each. Change a password at `/password` (linked from `/me`): every
//! other session of the user is signed out.
//!
//! Everything is stored in SQLite: users, sessions (as keyed hashes), the JTI blocklist,
//! failure counters, second factors (TOTP secrets, recovery codes as keyed hashes) and
//! logins waiting for one, in a new directory of the system's temporary directory that
//! only the demo's user can read (mode 0700, a random name, removed when the demo
//! exits normally; `AUTH_HOOKS_DEMO_DB=<path>` for another file, `:memory:` for none). Sessions
//! end after 30 minutes idle or 8 hours in all (OWASP's guidance for a low-risk
//! application; the library's defaults, 24 hours and 7 days, are longer).
//!
//! From a terminal (a JSON body needs no `Origin`):
//! `curl -i http://127.0.0.1:3000/login -H 'Content-Type: application/json' -d '{"username": "ada", "password": "correct horse battery staple"}'`
//!
//! `AUTH_HOOKS_DEMO_KEYS=<key>,<older key>,...` sets the secrets: comma-separated strings
//! of at least 32 characters each, used as is (their bytes), the first signing, every
//! one verifying. To rotate, put a new key first and keep the old one after it: logins
//! made under the old key keep working until it is removed from the list. Each secret
//! is not used directly: a session HMAC key and a JWT HS256 key are derived from it
//! (HKDF-SHA256, `auth_hooks_flow::derive_key`), so one secret never keys two
//! algorithms. A string shorter than 32 characters stops the start with a message
//! naming its position (never the key). Without the variable the keys are random per
//! start, so a restart logs everybody out (and recovery codes, hashed with a key
//! derived from the first secret, stop working; authenticator apps keep working).
//!
//! `AUTH_HOOKS_POLICIES='{"on_login": "raise"}'` sets the hooks' error policies; a bad
//! phase or value stops the start with a message naming it.
//! `AUTH_HOOKS_OVERRIDES='{"shadow_block_curl": {"mode": "enforce"}}'` changes one hook's
//! `mode`, `on_error`, `enabled` or `timeout_ms` by name; an unknown name or value
//! stops the start, naming it.
//!
//! `/admin/hooks` (signed in as ada) lists every hook with its phase, priority,
//! `file:line`, mode, policy, breaker and live counts (`/admin/hooks.json` as JSON).
//!
//! `AUTH_HOOKS_DEMO_EXIT_AFTER=<seconds>` stops the server after that long (for CI).

use std::env::VarError;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use auth_hooks::{HookOverrides, HookPolicies};
use auth_hooks_axum::{routes, security_headers, AuthState, Registration, WebConfig};
use auth_hooks_flow::builtin::ip_throttle::IpThrottle;
use auth_hooks_flow::builtin::lockout::Lockout;
use auth_hooks_flow::second_factor::{SecondFactor, SecondFactorStore, TotpEnrollment, TotpSecret};
use auth_hooks_flow::{
    derive_key, AuthFlow, JwtKeys, KeyRing, PasswordBackend, PasswordHasher, PasswordUser,
    SessionConfig, SessionKey, SessionManager, Sweeper, TokenManager,
};
use auth_hooks_sqlite::SqliteStore;
use axum::middleware::map_response_with_state;
use axum::response::Redirect;
use axum::routing::get;
use axum::Router;

/// The demo's own hooks.
mod security {
    use auth_hooks::{
        before_authenticate, before_login, on_login, on_password_change, on_register,
        AuthHookContext, AuthHookReject,
    };
    use auth_hooks_flow::{ClaimError, PasswordAccount, SessionEnricher, TokenClaims};

    /// Refuses a suspended account once its password was verified: only someone with
    /// the password learns that it is suspended.
    #[before_login]
    pub fn deny_suspended(ctx: &AuthHookContext) -> Result<(), AuthHookReject> {
        match ctx.user::<PasswordAccount>() {
            Some(account) if account.suspended => Err(AuthHookReject::new(
                "This account is suspended. Contact support.",
            )
            .with_reason(format!("{} is suspended", account.id))),
            _ => Ok(()),
        }
    }

    /// Puts the user's tenant in every access token (refreshes keep it).
    #[before_login]
    pub fn tenant_claim(ctx: &AuthHookContext) -> Result<(), ClaimError> {
        match TokenClaims::of(ctx) {
            Some(claims) => claims.insert("tenant", "demo"),
            None => Ok(()),
        }
    }

    /// A deny rule on trial (`mode = "shadow"`): it would refuse logins from curl; it
    /// only logs and counts them ("would deny" on `/admin/hooks`).
    #[before_authenticate(name = "shadow_block_curl", mode = "shadow")]
    pub fn shadow_block_curl(ctx: &AuthHookContext) -> Result<(), AuthHookReject> {
        let agent = ctx.request().and_then(|r| r.user_agent.as_deref());
        match agent {
            Some(agent) if agent.starts_with("curl/") => {
                Err(AuthHookReject::new("Logins from scripts are not allowed."))
            }
            _ => Ok(()),
        }
    }

    /// The mail a registration would send: a welcome to a new user, a warning to the
    /// owner of a taken name (the client is told the same either way).
    #[on_register]
    pub fn registration_mail(ctx: &AuthHookContext) {
        let letter = match ctx.metadata().get("registration").and_then(|r| r.as_str()) {
            Some("created") => "welcome",
            _ => "someone tried to register with your username",
        };
        tracing::info!(user_id = ctx.user_id(), letter, "demo mail (not sent)");
    }

    /// The mail a password change would send to the account's owner.
    #[on_password_change]
    pub fn password_changed_mail(ctx: &AuthHookContext) {
        tracing::info!(
            user_id = ctx.user_id(),
            "demo mail (not sent): your password was changed"
        );
    }

    /// Keeps the user's tenant with the session (shown on `/me`).
    #[on_login]
    pub fn remember_tenant(ctx: &AuthHookContext) -> Result<(), serde_json::Error> {
        match SessionEnricher::of(ctx) {
            Some(session) => session.insert("tenant", "demo"),
            None => Ok(()),
        }
    }
}

/// Where the database lives: `AUTH_HOOKS_DEMO_DB`, or else a new directory with a
/// random name that only this user may enter (mode 0700), in the temporary directory:
/// never a predictable path in a directory every user shares. The directory goes when
/// the returned guard drops (at the end of `main`).
fn database_location(
) -> Result<(std::path::PathBuf, Option<tempfile::TempDir>), Box<dyn std::error::Error>> {
    if let Some(location) = std::env::var_os("AUTH_HOOKS_DEMO_DB") {
        return Ok((location.into(), None));
    }
    let mut builder = tempfile::Builder::new();
    builder.prefix("auth-hooks-demo-");
    // tempfile creates directories with the default permissions (0755 under the usual
    // umask): ask for the owner's only, and check that is what we got.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o700));
    }
    let dir = builder.tempdir()?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = dir.path().metadata()?.permissions().mode();
        if mode & 0o077 != 0 {
            return Err(
                format!("{} is open to other users ({mode:o})", dir.path().display()).into(),
            );
        }
    }
    Ok((dir.path().join("demo.sqlite"), Some(dir)))
}

/// Opens the demo's SQLite database at `location` and seeds its users: ada may sign
/// in, mallory is suspended. Seeding replaces them, so a restart resets their passwords.
async fn store(
    location: &std::path::Path,
    hasher: &PasswordHasher,
) -> Result<Arc<SqliteStore>, Box<dyn std::error::Error>> {
    let store = if location.as_os_str() == ":memory:" {
        SqliteStore::open_in_memory()?
    } else {
        SqliteStore::open(location)?
    };
    println!("storing in SQLite: {}", store.location());
    store
        .add_user("u-ada", "ada", "correct horse battery staple", hasher)
        .await?;
    store
        .add_user("u-grace", "grace", "second factor please", hasher)
        .await?;
    let mallory = PasswordUser {
        suspended: true,
        ..PasswordUser::with_password("u-mallory", "mallory", "mallory's password", hasher)?
    };
    store.insert_user(mallory).await?;
    Ok(Arc::new(store))
}

/// The default TOTP secret of the demo user `grace` (printed in the README, so anyone
/// can compute her codes).
const GRACE_TOTP: &str = "JBSWY3DPEHPK3PXP";

/// Second factors and logins waiting for one, in the demo's SQLite database (so an
/// enrollment survives a restart), with `grace` enrolled from
/// `AUTH_HOOKS_DEMO_GRACE_TOTP` (base32, default [`GRACE_TOTP`]). Her enrollment is
/// written only when the database has another secret for her, so the last code she
/// used stays spent across a restart.
async fn second_factor(
    store: &Arc<SqliteStore>,
) -> Result<SecondFactor, Box<dyn std::error::Error>> {
    let secret = match std::env::var("AUTH_HOOKS_DEMO_GRACE_TOTP") {
        Ok(text) => TotpSecret::from_base32(&text)
            .map_err(|e| format!("AUTH_HOOKS_DEMO_GRACE_TOTP: {e}"))?,
        Err(_) => TotpSecret::from_base32(GRACE_TOTP)?,
    };
    let enrolled = store.totp("u-grace").await?;
    if enrolled.is_none_or(|totp| totp.secret != secret || !totp.confirmed) {
        store
            .set_totp("u-grace", TotpEnrollment::confirmed(secret))
            .await?;
    }
    let mut second_factor =
        SecondFactor::new(store.clone(), store.clone())?.with_issuer("auth-hooks demo");
    if let Ok(list) = std::env::var("AUTH_HOOKS_DEMO_KEYS") {
        let first = list.split(',').next().unwrap_or_default();
        second_factor =
            second_factor.with_key(derive_key(first, "auth-hooks demo: second factor")?);
    }
    Ok(second_factor)
}

/// The error policies from `AUTH_HOOKS_POLICIES` (JSON), or the defaults.
fn policies() -> Result<HookPolicies, String> {
    match std::env::var("AUTH_HOOKS_POLICIES") {
        Ok(json) => serde_json::from_str(&json)
            .map_err(|e| format!("AUTH_HOOKS_POLICIES is not valid: {e}")),
        Err(_) => Ok(HookPolicies::default()),
    }
}

/// Per-hook changes from `AUTH_HOOKS_OVERRIDES` (JSON keyed by hook name, as `/admin/hooks`
/// lists them), or none.
fn overrides() -> Result<HookOverrides, String> {
    match std::env::var("AUTH_HOOKS_OVERRIDES") {
        Ok(json) => serde_json::from_str(&json)
            .map_err(|e| format!("AUTH_HOOKS_OVERRIDES is not valid: {e}")),
        Err(_) => Ok(HookOverrides::new()),
    }
}

/// `/admin/hooks`: every hook with its place, controls and live counts, for the demo's
/// admin (ada) only.
mod admin {
    use auth_hooks::{AuthHookRegistry, BreakerState, HookStats, Phase};
    use auth_hooks_axum::{AuthState, LoginRequired};
    use auth_hooks_flow::PasswordAccount;
    use axum::extract::State;
    use axum::http::StatusCode;
    use axum::response::{Html, IntoResponse, Json, Response};
    use maud::{html, Markup, DOCTYPE};
    use serde_json::json;

    /// The demo's admins, by login name.
    const ADMINS: &[&str] = &["ada"];

    /// `Some(403)` unless the request's user is an admin.
    fn refused(user: &auth_hooks_axum::CurrentUser) -> Option<Response> {
        let admin = user
            .user::<PasswordAccount>()
            .is_some_and(|a| ADMINS.contains(&a.login.as_str()));
        (!admin).then(|| {
            (
                StatusCode::FORBIDDEN,
                "The hooks page is for the demo's admin.",
            )
                .into_response()
        })
    }

    /// The page.
    pub async fn hooks_page(
        LoginRequired(user): LoginRequired,
        State(state): State<AuthState>,
    ) -> Response {
        if let Some(refused) = refused(&user) {
            return refused;
        }
        let hooks = state.flow().hooks();
        Html(page(hooks, &hooks.stats()).into_string()).into_response()
    }

    /// The same as JSON: the inspection list and the live counts.
    pub async fn hooks_json(
        LoginRequired(user): LoginRequired,
        State(state): State<AuthState>,
    ) -> Response {
        if let Some(refused) = refused(&user) {
            return refused;
        }
        let hooks = state.flow().hooks();
        let list: Vec<_> = Phase::ALL
            .into_iter()
            .flat_map(|p| hooks.hooks(p))
            .collect();
        Json(json!({ "hooks": list, "stats": hooks.stats() })).into_response()
    }

    fn breaker(state: Option<BreakerState>) -> String {
        match state {
            None => "-".into(),
            Some(BreakerState::Closed { failures }) => format!("closed ({failures} failing)"),
            Some(BreakerState::Open { probe_in_ms }) => format!("open, probes in {probe_in_ms} ms"),
            Some(BreakerState::HalfOpen) => "half-open".into(),
        }
    }

    fn page(hooks: &AuthHookRegistry, stats: &[HookStats]) -> Markup {
        let policies = hooks.policies();
        html! {
            (DOCTYPE)
            html lang="en" {
                head { meta charset="utf-8"; title { "Auth hooks" } }
                body {
                    h1 { "Auth hooks" }
                    p { "Live counts since the start. " a href="/admin/hooks.json" { "JSON" } }
                    table id="hooks" border="1" cellpadding="4" {
                        tr {
                            th { "phase" } th { "hook" } th { "priority" } th { "declared at" }
                            th { "mode" } th { "policy" } th { "breaker" } th { "calls" }
                            th { "passes" } th { "rejects" } th { "failures" } th { "timeouts" }
                            th { "would deny" } th { "would fail" } th { "breaker opens" }
                        }
                        @for phase in Phase::ALL {
                            @for (info, stat) in hooks.hooks(phase).iter().zip(stats.iter().filter(|s| s.phase == phase)) {
                                tr {
                                    td { (phase) }
                                    td { code { (info.name) } }
                                    td { (info.priority) }
                                    td { (info.file) ":" (info.line) }
                                    td { (info.mode) }
                                    td { (info.on_error.unwrap_or(policies.get(phase))) }
                                    td { (breaker(stat.breaker)) }
                                    td { (stat.calls) } td { (stat.passes) } td { (stat.rejects) }
                                    td { (stat.failures) } td { (stat.timeouts) }
                                    td { (stat.would_deny) } td { (stat.would_fail) }
                                    td { (stat.breaker_opens) }
                                }
                            }
                        }
                    }
                    p { a href="/me" { "Back to your account" } }
                }
            }
        }
    }
}

/// The session keys and the JWT keys, each ring in the order of the secrets.
struct Keys {
    sessions: KeyRing<SessionKey>,
    tokens: KeyRing<JwtKeys>,
}

/// The minimum length of a secret of `AUTH_HOOKS_DEMO_KEYS`, in characters.
const MIN_KEY_CHARS: usize = 32;

/// The keys derived from `AUTH_HOOKS_DEMO_KEYS`, or random ones without it.
fn keys() -> Result<Keys, Box<dyn std::error::Error>> {
    match std::env::var("AUTH_HOOKS_DEMO_KEYS") {
        Ok(list) => Ok(keys_from(&list)?),
        Err(VarError::NotPresent) => Ok(Keys {
            sessions: SessionKey::generate()?.into(),
            tokens: JwtKeys::hs256_random()?.into(),
        }),
        Err(VarError::NotUnicode(_)) => Err("AUTH_HOOKS_DEMO_KEYS is not valid UTF-8".into()),
    }
}

/// The keys of a comma-separated list of secrets, the first signing. An error names a
/// bad secret by its position, never by its value.
fn keys_from(list: &str) -> Result<Keys, String> {
    let secrets: Vec<&str> = list.split(',').collect();
    let count = secrets.len();
    let mut sessions = Vec::with_capacity(count);
    let mut tokens = Vec::with_capacity(count);
    for (i, secret) in secrets.into_iter().enumerate() {
        let position = i + 1;
        if secret.chars().count() < MIN_KEY_CHARS {
            return Err(format!(
                "AUTH_HOOKS_DEMO_KEYS: key {position} of {count} is shorter than \
                 {MIN_KEY_CHARS} characters; each comma-separated key must have at least \
                 {MIN_KEY_CHARS}"
            ));
        }
        let derived = |purpose| {
            derive_key(secret, purpose)
                .map_err(|e| format!("AUTH_HOOKS_DEMO_KEYS: key {position} of {count}: {e}"))
        };
        let session_key = SessionKey::new(derived("auth-hooks demo: session id hmac")?);
        let jwt_keys = JwtKeys::hs256(derived("auth-hooks demo: jwt hs256")?);
        sessions.push(session_key.map_err(|e| e.to_string())?);
        tokens.push(jwt_keys.map_err(|e| e.to_string())?);
    }
    let not_empty = "split yields at least one item";
    Ok(Keys {
        sessions: KeyRing::from_keys(sessions).expect(not_empty),
        tokens: KeyRing::from_keys(tokens).expect(not_empty),
    })
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();

    let hooks = auth_hooks::ready!(
        crate::security,
        auth_hooks_flow::builtin::audit,
        auth_hooks_flow::builtin::ip_throttle,
        auth_hooks_flow::builtin::lockout,
        auth_hooks_flow::builtin::revoke_other_sessions,
        auth_hooks_flow::builtin::totp,
    )?
    .with_policies(policies()?);
    let mut hooks = hooks;
    hooks.apply_overrides(&overrides()?)?;
    // Durations on /admin/hooks: two clock reads a hook, fine for a demo.
    hooks.time_hooks(true);

    let hasher = PasswordHasher::owasp();
    let keys = keys()?;
    let (location, _private_dir) = database_location()?;
    let store = store(&location, &hasher).await?;
    println!(
        "keys: {} (the first signs, tokens name it kid {})",
        keys.tokens.iter().count(),
        keys.tokens.signing().kid()
    );
    let flow = AuthFlow::builder(PasswordBackend::new(store.clone(), hasher))
        .hooks(hooks)
        .sessions(
            SessionManager::new(keys.sessions, store.clone()).with_config(
                // OWASP's session guidance for a low-risk application: an idle timeout
                // of 15-30 minutes, an absolute one of a working day (4-8 hours).
                SessionConfig::default()
                    .idle_timeout(Duration::from_secs(30 * 60))
                    .ttl(Duration::from_secs(8 * 3600)),
            ),
        )
        .tokens(TokenManager::new(keys.tokens, store.clone()))
        .extension(IpThrottle::new(store.clone()))
        .extension(Lockout::new(store.clone()))
        .second_factor(second_factor(&store).await?)
        .build()?;
    // Expired sessions, blocklist entries and failure counters go every 5 minutes, a
    // thousand rows at a time.
    let _sweeping = Sweeper::new(&flow).attempts(store).spawn();

    let state = AuthState::new(
        flow,
        // Plain HTTP on 127.0.0.1: `http://` origins, the cookie named `session`,
        // no HSTS. Behind TLS, leave `https` at its default (true).
        WebConfig::default()
            .https(false)
            .registration(Registration::Open)
            .me_shows_session_data(true),
    );
    let admin = Router::new()
        .route("/admin/hooks", get(admin::hooks_page))
        .route("/admin/hooks.json", get(admin::hooks_json))
        .layer(map_response_with_state(state.clone(), security_headers))
        .with_state(state.clone());
    let app = Router::new()
        .route("/", get(|| async { Redirect::to("/me") }))
        .merge(admin)
        .merge(routes(state));

    let port = match std::env::var("PORT") {
        Ok(port) => port
            .parse::<u16>()
            .map_err(|_| format!("PORT must be a port number, got {port:?}"))?,
        Err(_) => 3000,
    };
    let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, port))
        .await
        .map_err(|e| {
            format!("cannot listen on 127.0.0.1:{port}: {e} (set PORT to another port)")
        })?;
    println!(
        "auth-hooks demo on http://{}/login — sign in as ada / correct horse battery staple",
        listener.local_addr()?
    );

    let exit_after = match std::env::var("AUTH_HOOKS_DEMO_EXIT_AFTER") {
        Ok(secs) => Some(Duration::from_secs(secs.parse().map_err(|_| {
            format!("AUTH_HOOKS_DEMO_EXIT_AFTER must be a number of seconds, got {secs:?}")
        })?)),
        Err(_) => None,
    };
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        match exit_after {
            Some(after) => tokio::time::sleep(after).await,
            None => std::future::pending().await,
        }
        println!(
            "stopping after {} s, as asked",
            exit_after.unwrap_or_default().as_secs()
        );
    })
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const K1: &str = "the first demo key: thirty-two characters or more";
    const K2: &str = "the second demo key: also long enough to be one";

    #[test]
    fn the_first_key_signs_and_every_key_verifies() {
        let keys = keys_from(&format!("{K2},{K1}")).unwrap();
        assert_eq!(keys.sessions.iter().count(), 2);
        assert_eq!(keys.tokens.iter().count(), 2);
        let alone = |k| keys_from(k).unwrap().tokens.signing().kid().to_owned();
        assert_eq!(keys.tokens.signing().kid(), alone(K2));
        assert_eq!(keys.tokens.older()[0].kid(), alone(K1));
        assert_ne!(alone(K1), alone(K2));
    }

    #[test]
    fn keys_are_derived_from_the_secret_not_the_secret_itself() {
        let keys = keys_from(K1).unwrap();
        let as_is = JwtKeys::hs256(K1).unwrap();
        assert_ne!(keys.tokens.signing().kid(), as_is.kid());
    }

    #[test]
    fn a_short_key_is_refused_by_position_without_showing_it() {
        let short = "only thirty-one characters here";
        assert_eq!(short.chars().count(), 31);
        let error = keys_from(&format!("{K1},{short}")).err().unwrap();
        assert!(error.contains("key 2 of 2"), "{error}");
        assert!(error.contains("32"), "{error}");
        assert!(!error.contains(short) && !error.contains(K1), "{error}");
        let empty = keys_from(&format!("{K1},")).err().unwrap();
        assert!(empty.contains("key 2 of 2"), "{empty}");
        assert!(keys_from("").err().unwrap().contains("key 1 of 1"));
    }

    #[test]
    fn length_is_counted_in_characters() {
        // 32 characters, more bytes: accepted.
        assert!(keys_from(&"é".repeat(32)).is_ok());
        assert!(keys_from(&"é".repeat(31)).is_err());
    }
}
