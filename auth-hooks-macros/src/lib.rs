//! Implementation detail of [`auth-hooks`](https://docs.rs/auth-hooks): the phase attribute
//! macros. Depend on `auth-hooks` and use its re-exports; this crate's version is pinned
//! exactly by it.
//!
//! Each macro goes through the same three steps: `args` parses the attribute's
//! arguments, `signature` checks the fn (every misuse is found there, with a span on
//! the offending token), and `expand` writes the registration for well-formed input.
//! On an error the fn is still emitted unchanged, so the rest of the crate type-checks.

mod args;
mod expand;
mod hook;
mod phase;
mod signature;

use proc_macro::TokenStream;

use crate::phase::Phase;

/// Runs the fn before the credentials are checked: the gate for IP rules, throttles
/// and lockouts. It may refuse by returning `Err(AuthHookReject)`, whose message the
/// client sees; since no password has been checked yet, the answer is the same whether
/// it would have been right. The context holds the login name (sanitized credentials),
/// the request metadata and the backend: never a secret, never the user.
///
/// Default policy `raise`: a hook that fails, panics or times out denies the login (a
/// reject always does, whatever the policy).
///
/// ```
/// use auth_hooks::{before_authenticate, AuthHookContext, AuthHookReject, Phase, RequestMeta};
///
/// mod gate {
///     use super::*;
///
///     #[before_authenticate]
///     pub fn deny_test_net(ctx: &AuthHookContext) -> Result<(), AuthHookReject> {
///         match ctx.request().and_then(|r| r.client_ip) {
///             Some(ip) if ip.to_string().starts_with("192.0.2.") => {
///                 Err(AuthHookReject::new("Logins from this network are not allowed."))
///             }
///             _ => Ok(()),
///         }
///     }
/// }
///
/// fn main() {
///     let hooks = auth_hooks::ready!(crate::gate).unwrap();
///     let request = RequestMeta::new("POST", "/login").client_ip("192.0.2.7".parse().unwrap());
///     let ctx = AuthHookContext::builder().request(request).build();
///     let err = hooks.run_blocking(Phase::BeforeAuthenticate, &ctx).unwrap_err();
///     assert_eq!(err.client_message(), "Logins from this network are not allowed.");
/// }
/// ```
#[doc = include_str!("arguments.md")]
#[proc_macro_attribute]
pub fn before_authenticate(args: TokenStream, item: TokenStream) -> TokenStream {
    hook::expand(Phase::BeforeAuthenticate, args.into(), item.into()).into()
}

/// Runs the fn after the credentials were verified, with the authenticated user in
/// the context (typed: `ctx.user::<YourUser>()`) and the sanitized credentials, before
/// any session or token exists. It may refuse the login by returning
/// `Err(AuthHookReject)`, whose message the client sees: a wrong password never gets
/// here, so the message tells nothing about an account to someone without its password.
///
/// Default policy `raise`: a hook that fails, panics or times out denies the login (a
/// reject always does, whatever the policy).
///
/// ```
/// use auth_hooks::{before_login, AuthHookContext, AuthHookReject, Phase};
///
/// /// The application's user record.
/// pub struct Account {
///     pub is_suspended: bool,
/// }
///
/// mod security {
///     use super::*;
///
///     #[before_login(priority = 10, backend = "password")]
///     pub fn deny_suspended(ctx: &AuthHookContext) -> Result<(), AuthHookReject> {
///         match ctx.user::<Account>() {
///             Some(account) if account.is_suspended => {
///                 Err(AuthHookReject::new("This account is suspended."))
///             }
///             _ => Ok(()),
///         }
///     }
/// }
///
/// fn main() {
///     let hooks = auth_hooks::ready!(crate::security).unwrap();
///     let ctx = AuthHookContext::builder()
///         .auth_backend("password")
///         .user_id("u-mallory")
///         .user(Account { is_suspended: true })
///         .build();
///     let err = hooks.run_blocking(Phase::BeforeLogin, &ctx).unwrap_err();
///     assert_eq!(err.client_message(), "This account is suspended.");
/// }
/// ```
#[doc = include_str!("arguments.md")]
#[proc_macro_attribute]
pub fn before_login(args: TokenStream, item: TokenStream) -> TokenStream {
    hook::expand(Phase::BeforeLogin, args.into(), item.into()).into()
}

/// Runs the fn after a successful login, with the user and the new session and token
/// metadata in the context: for audit, last-login updates, notifications.
///
/// Default policy `log`: a failure is logged with the hook's name and the login goes
/// on. Under `raise`, a failure revokes what the login created and the login fails.
///
/// ```
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use auth_hooks::{on_login, AuthHookContext, Phase};
///
/// static LOGINS: AtomicUsize = AtomicUsize::new(0);
///
/// mod audit {
///     use super::*;
///
///     #[on_login(name = "audit::count", timeout_ms = 500)]
///     pub async fn count(ctx: &AuthHookContext) -> Result<(), std::io::Error> {
///         LOGINS.fetch_add(1, Ordering::Relaxed);
///         Ok(())
///     }
/// }
///
/// fn main() {
///     let hooks = auth_hooks::ready!(crate::audit).unwrap();
///     hooks.run_blocking(Phase::OnLogin, &AuthHookContext::builder().build()).unwrap();
///     assert_eq!(LOGINS.load(Ordering::Relaxed), 1);
/// }
/// ```
#[doc = include_str!("arguments.md")]
#[proc_macro_attribute]
pub fn on_login(args: TokenStream, item: TokenStream) -> TokenStream {
    hook::expand(Phase::OnLogin, args.into(), item.into()).into()
}

/// Runs the fn after a session or token was logged out (revoked), with its metadata in
/// the context: to clean up what the application keeps per session.
///
/// Default policy `log`. The logout has happened whatever the hook does; under `raise`
/// a failure is reported to the caller, but the credential stays revoked.
///
/// ```
/// use auth_hooks::{on_logout, AuthHookContext, Phase};
///
/// mod cleanup {
///     use super::*;
///
///     #[on_logout]
///     pub fn forget_cart(ctx: &AuthHookContext) {
///         let _ = ctx.user_id(); // drop the user's cached cart
///     }
/// }
///
/// fn main() {
///     let hooks = auth_hooks::ready!(crate::cleanup).unwrap();
///     hooks.run_blocking(Phase::OnLogout, &AuthHookContext::builder().build()).unwrap();
/// }
/// ```
#[doc = include_str!("arguments.md")]
#[proc_macro_attribute]
pub fn on_logout(args: TokenStream, item: TokenStream) -> TokenStream {
    hook::expand(Phase::OnLogout, args.into(), item.into()).into()
}

/// Runs the fn after credentials were refused: to count failures, lock accounts, alert.
/// It cannot reject (the login already failed): returning `AuthHookReject` here is a
/// compile error.
///
/// Default policy `raise`: a failure that cannot be counted (the counters' store is
/// down) fails the login as a hook failure, never as a plain "wrong password", so the
/// lockout cannot be switched off by filling its disk.
///
/// ```
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use auth_hooks::{on_login_failed, AuthHookContext, Phase};
///
/// static FAILURES: AtomicUsize = AtomicUsize::new(0);
///
/// mod lockout {
///     use super::*;
///
///     #[on_login_failed]
///     pub fn count(_ctx: &AuthHookContext) -> Result<(), std::io::Error> {
///         FAILURES.fetch_add(1, Ordering::Relaxed);
///         Ok(())
///     }
/// }
///
/// fn main() {
///     let hooks = auth_hooks::ready!(crate::lockout).unwrap();
///     hooks.run_blocking(Phase::OnLoginFailed, &AuthHookContext::builder().build()).unwrap();
///     assert_eq!(FAILURES.load(Ordering::Relaxed), 1);
/// }
/// ```
#[doc = include_str!("arguments.md")]
#[proc_macro_attribute]
pub fn on_login_failed(args: TokenStream, item: TokenStream) -> TokenStream {
    hook::expand(Phase::OnLoginFailed, args.into(), item.into()).into()
}

/// Runs the fn on every refresh of a token pair, before the new pair is issued, with
/// the user re-read from the store (typed: `ctx.user::<YourUser>()`) and the old
/// refresh token's metadata (`ctx.token(TokenKind::Refresh)`). It may refuse by
/// returning `Err(AuthHookReject)` (the user was suspended since): the token's whole
/// login (its family and its session) is then revoked and the answer is 401. No path
/// skips it: every refresh runs it.
///
/// Default policy `raise`: a hook that fails, panics or times out refuses the refresh.
///
/// ```
/// use auth_hooks::{on_refresh, AuthHookContext, AuthHookReject, Phase};
///
/// /// The application's user record.
/// pub struct Account {
///     pub suspended: bool,
/// }
///
/// mod tokens {
///     use super::*;
///
///     #[on_refresh]
///     pub fn still_allowed(ctx: &AuthHookContext) -> Result<(), AuthHookReject> {
///         match ctx.user::<Account>() {
///             Some(account) if account.suspended => {
///                 Err(AuthHookReject::new("This account is suspended."))
///             }
///             _ => Ok(()),
///         }
///     }
/// }
///
/// fn main() {
///     let hooks = auth_hooks::ready!(crate::tokens).unwrap();
///     let ctx = AuthHookContext::builder()
///         .user_id("u-1")
///         .user(Account { suspended: true })
///         .build();
///     let err = hooks.run_blocking(Phase::OnRefresh, &ctx).unwrap_err();
///     assert_eq!(err.client_message(), "This account is suspended.");
/// }
/// ```
#[doc = include_str!("arguments.md")]
#[proc_macro_attribute]
pub fn on_refresh(args: TokenStream, item: TokenStream) -> TokenStream {
    hook::expand(Phase::OnRefresh, args.into(), item.into()).into()
}

/// Runs the fn before a new user is stored, with the registration's sanitized fields
/// (`ctx.username()`, `ctx.credentials()["email"]`; never the password, which the
/// flow's password policy checks). It may refuse by returning `Err(AuthHookReject)`
/// (an e-mail domain allow-list, invitation-only sign-up): nothing is stored and the
/// client sees the hook's message. It runs whether or not the login name is already
/// taken, so a refusal says nothing about existing accounts.
///
/// Default policy `raise`: a hook that fails, panics or times out refuses the
/// registration.
///
/// ```
/// use auth_hooks::{before_register, AuthHookContext, AuthHookReject, Phase};
///
/// mod signup {
///     use super::*;
///
///     #[before_register]
///     pub fn company_only(ctx: &AuthHookContext) -> Result<(), AuthHookReject> {
///         let email = ctx.credentials().get("email").and_then(|e| e.as_str());
///         match email {
///             Some(email) if email.ends_with("@example.com") => Ok(()),
///             _ => Err(AuthHookReject::new("Sign-up is open to example.com addresses.")),
///         }
///     }
/// }
///
/// fn main() {
///     let hooks = auth_hooks::ready!(crate::signup).unwrap();
///     let ctx = AuthHookContext::builder()
///         .credentials(serde_json::json!({"username": "eve", "email": "eve@evil.test"}))
///         .build();
///     let err = hooks.run_blocking(Phase::BeforeRegister, &ctx).unwrap_err();
///     assert_eq!(err.client_message(), "Sign-up is open to example.com addresses.");
/// }
/// ```
#[doc = include_str!("arguments.md")]
#[proc_macro_attribute]
pub fn before_register(args: TokenStream, item: TokenStream) -> TokenStream {
    hook::expand(Phase::BeforeRegister, args.into(), item.into()).into()
}

/// Runs the fn after a registration was handled, with the user it concerns
/// (`ctx.user_id()`) and the sanitized fields. Metadata `registration` says what
/// happened: `"created"` (a new user: send the welcome mail) or `"login_taken"` (the
/// login name belongs to an existing user, `ctx.user_id()` is theirs: tell them
/// someone tried to register with it). The client gets the same answer either way, so
/// a registration form cannot be used to find out who has an account. It cannot
/// reject (the registration was already handled): returning `AuthHookReject` here is
/// a compile error.
///
/// Default policy `log`: the user is already stored.
///
/// ```
/// use std::sync::Mutex;
/// use auth_hooks::{on_register, AuthHookContext, Phase};
///
/// static OUTBOX: Mutex<Vec<String>> = Mutex::new(Vec::new());
///
/// mod mail {
///     use super::*;
///
///     #[on_register]
///     pub fn welcome(ctx: &AuthHookContext) {
///         let letter = match ctx.metadata().get("registration").and_then(|r| r.as_str()) {
///             Some("created") => "welcome",
///             _ => "someone tried to sign up with your name",
///         };
///         OUTBOX.lock().unwrap().push(format!("{}: {letter}", ctx.user_id().unwrap_or("?")));
///     }
/// }
///
/// fn main() {
///     let hooks = auth_hooks::ready!(crate::mail).unwrap();
///     let ctx = AuthHookContext::builder()
///         .user_id("u-7")
///         .metadata("registration", "created")
///         .build();
///     hooks.run_blocking(Phase::OnRegister, &ctx).unwrap();
///     assert_eq!(OUTBOX.lock().unwrap()[0], "u-7: welcome");
/// }
/// ```
#[doc = include_str!("arguments.md")]
#[proc_macro_attribute]
pub fn on_register(args: TokenStream, item: TokenStream) -> TokenStream {
    hook::expand(Phase::OnRegister, args.into(), item.into()).into()
}

/// Runs the fn after a user changed their password, with the user, the session or
/// token the change was made from, and every other login of the user already revoked:
/// to mail "your password was changed", audit, drop cached credentials. It cannot
/// reject (the password was already changed): returning `AuthHookReject` here is a
/// compile error.
///
/// Default policy `log`: the new password is already stored.
///
/// ```
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use auth_hooks::{on_password_change, AuthHookContext, Phase};
///
/// static NOTICES: AtomicUsize = AtomicUsize::new(0);
///
/// mod notices {
///     use super::*;
///
///     #[on_password_change]
///     pub async fn tell_the_owner(ctx: &AuthHookContext) {
///         let _ = ctx.user_id(); // mail the account's owner
///         NOTICES.fetch_add(1, Ordering::Relaxed);
///     }
/// }
///
/// fn main() {
///     let hooks = auth_hooks::ready!(crate::notices).unwrap();
///     let ctx = AuthHookContext::builder().user_id("u-1").build();
///     hooks.run_blocking(Phase::OnPasswordChange, &ctx).unwrap();
///     assert_eq!(NOTICES.load(Ordering::Relaxed), 1);
/// }
/// ```
#[doc = include_str!("arguments.md")]
#[proc_macro_attribute]
pub fn on_password_change(args: TokenStream, item: TokenStream) -> TokenStream {
    hook::expand(Phase::OnPasswordChange, args.into(), item.into()).into()
}
