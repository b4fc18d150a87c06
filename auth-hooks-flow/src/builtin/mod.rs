//! Built-in hooks, each in its own module so an application activates only those it
//! wants:
//!
//! ```
//! # fn main() {
//! let hooks = auth_hooks::ready!(
//!     auth_hooks_flow::builtin::audit,
//!     auth_hooks_flow::builtin::lockout,
//!     auth_hooks_flow::builtin::revoke_other_sessions,
//! )
//! .expect("built-in hooks are linked");
//! # }
//! ```
//!
//! | module | phases | needs in the context |
//! |---|---|---|
//! | [`audit`] | all four | nothing |
//! | [`ip_throttle`] | `before_login`, `on_login_failed` | [`IpThrottle`](ip_throttle::IpThrottle) |
//! | [`lockout`] | `before_login`, `on_login_failed`, `on_login` | [`Lockout`](lockout::Lockout) |
//! | [`revoke_other_sessions`] | `on_login` | `Arc<SessionManager>` |
//!
//! [`AuthFlow`](crate::AuthFlow) attaches what they need: the session manager with
//! [`AuthFlowBuilder::sessions`](crate::AuthFlowBuilder::sessions), the rest, configured
//! like the application's own services, with
//! [`AuthFlowBuilder::extension`](crate::AuthFlowBuilder::extension):
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! use auth_hooks_flow::builtin::lockout::Lockout;
//! use auth_hooks_flow::*;
//!
//! let hooks = auth_hooks::ready!(auth_hooks_flow::builtin::lockout)?;
//! let users = Arc::new(MemoryUserStore::new());
//! let flow = AuthFlow::builder(PasswordBackend::new(users, PasswordHasher::for_tests()))
//!     .hooks(hooks)
//!     .sessions(SessionManager::new(SessionKey::generate()?, Arc::new(MemorySessionStore::new())))
//!     .extension(Lockout::new(Arc::new(MemoryAttemptStore::new())))
//!     .build()?;
//! # Ok(()) }
//! ```
//!
//! A built-in hook that
//! does not find its extension fails with [`MissingExtension`] and logs an error saying
//! what to configure: under `before_login`'s default `raise` policy, the login is
//! refused (fail closed).

use std::fmt;

use auth_hooks::AuthHookContext;

pub mod audit;
pub mod ip_throttle;
pub mod lockout;
pub mod revoke_other_sessions;

/// A built-in hook runs without the service it needs in the context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingExtension {
    /// The hook.
    pub hook: &'static str,
    /// The type it looked for.
    pub extension: &'static str,
    /// How to attach it.
    pub fix: &'static str,
}

/// The extension of type `T` a built-in hook needs, or else `missing`, logged.
pub(crate) fn required<T: std::any::Any>(
    ctx: &AuthHookContext,
    missing: MissingExtension,
) -> Result<&T, MissingExtension> {
    ctx.extension::<T>().ok_or_else(|| missing.report())
}

impl MissingExtension {
    pub(crate) fn report(self) -> Self {
        tracing::error!(
            hook = self.hook,
            extension = self.extension,
            "built-in auth hook is active but its extension is missing from the context: {}",
            self.fix
        );
        self
    }
}

impl fmt::Display for MissingExtension {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "auth hook `{}` needs `{}` in the context: {}",
            self.hook, self.extension, self.fix
        )
    }
}

impl std::error::Error for MissingExtension {}
