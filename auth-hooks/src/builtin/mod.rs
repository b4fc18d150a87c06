//! Built-in hooks, each in its own module so an application activates only those it
//! wants:
//!
//! ```
//! # #[cfg(feature = "flow")]
//! # fn main() {
//! let hooks = auth_hooks::ready!(
//!     auth_hooks::builtin::audit,
//!     auth_hooks::builtin::lockout,
//!     auth_hooks::builtin::revoke_other_sessions,
//! )
//! .expect("built-in hooks are linked");
//! # }
//! # #[cfg(not(feature = "flow"))] fn main() {}
//! ```
//!
//! | module | phases | needs in the context |
//! |---|---|---|
//! | [`audit`] | all four | nothing |
//! | [`ip_throttle`] | `before_login`, `on_login_failed` | [`IpThrottle`](ip_throttle::IpThrottle) |
//! | [`lockout`] | `before_login`, `on_login_failed`, `on_login` | [`Lockout`](lockout::Lockout) |
//! | [`revoke_other_sessions`] | `on_login` | `Arc<SessionManager>` |
//!
//! [`AuthFlow`](crate::flow::AuthFlow) attaches what they need
//! (`AuthFlowBuilder::lockout`, `AuthFlowBuilder::sessions`,
//! `AuthFlowBuilder::extension`). A built-in hook that
//! does not find its extension fails with [`MissingExtension`] and logs an error saying
//! what to configure: under `before_login`'s default `raise` policy, the login is
//! refused (fail closed).

// The attribute macros register each hook with a `#[link_section]` static (linkme),
// which rustc counts as `unsafe_code`; nothing else here is unsafe.
#![allow(unsafe_code)]

use std::fmt;

use crate::AuthHookContext;

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
