//! Implementation detail of [`auth-hooks`](https://docs.rs/auth-hooks): the phase attribute
//! macros. Depend on `auth-hooks` and use its re-exports; this crate's version is pinned
//! exactly by it.
//!
//! Each macro goes through the same three steps: [`args`] parses the attribute's
//! arguments, [`signature`] checks the fn (every misuse is found there, with a span on
//! the offending token), and [`expand`] writes the registration for well-formed input.
//! On an error the fn is still emitted unchanged, so the rest of the crate type-checks.

mod args;
mod expand;
mod hook;
mod phase;
mod signature;

use proc_macro::TokenStream;

use crate::phase::Phase;

/// Runs the fn before the credentials are checked; it may refuse the login by returning
/// `Err(AuthHookReject)`. Default policy: `raise` (a failure denies the login).
///
/// See the `auth_hooks` crate documentation for the accepted fns and arguments.
#[proc_macro_attribute]
pub fn before_login(args: TokenStream, item: TokenStream) -> TokenStream {
    hook::expand(Phase::BeforeLogin, args.into(), item.into()).into()
}

/// Runs the fn after a successful login, with the new session and token metadata in the
/// context. Default policy: `log`.
#[proc_macro_attribute]
pub fn on_login(args: TokenStream, item: TokenStream) -> TokenStream {
    hook::expand(Phase::OnLogin, args.into(), item.into()).into()
}

/// Runs the fn when a session or token is logged out. Default policy: `log`.
#[proc_macro_attribute]
pub fn on_logout(args: TokenStream, item: TokenStream) -> TokenStream {
    hook::expand(Phase::OnLogout, args.into(), item.into()).into()
}

/// Runs the fn after credentials were refused (e.g. to count failures). It cannot
/// reject: the login already failed. Default policy: `log`.
#[proc_macro_attribute]
pub fn on_login_failed(args: TokenStream, item: TokenStream) -> TokenStream {
    hook::expand(Phase::OnLoginFailed, args.into(), item.into()).into()
}
