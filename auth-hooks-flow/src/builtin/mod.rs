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
//! | [`audit`] | `before_authenticate`, `on_login`, `on_login_failed`, `on_logout`, `on_refresh` | nothing |
//! | [`ip_throttle`] | `before_authenticate` (reserve), `before_login` and `on_refresh` (settle) | [`IpThrottle`](ip_throttle::IpThrottle) |
//! | [`lockout`] | `before_authenticate` (reserve), `before_login` (settle) | [`Lockout`](lockout::Lockout) |
//! | [`revoke_other_sessions`] | `on_login` | `Arc<SessionManager>` (the flow's sessions) |
//! | [`totp`] | `before_login` (challenges) | [`SecondFactor`](crate::second_factor::SecondFactor) |
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
//! A flow whose registry activates a built-in without what it needs does not build:
//! [`FlowConfigError::MissingExtension`](crate::FlowConfigError::MissingExtension)
//! names the extension and how to attach it. A built-in run from a context built by
//! hand without its extension fails with [`MissingExtension`] and logs what to
//! configure: under the gates' default `raise` policy, the login is refused (fail
//! closed).

use std::any::TypeId;
use std::fmt;
use std::sync::Arc;

use auth_hooks::{AuthHookContext, AuthHookRegistry, Phase};

use crate::SessionManager;

pub mod audit;
pub mod ip_throttle;
mod limiter;
pub mod lockout;
mod login_key;
pub use login_key::LoginNameKey;
pub mod revoke_other_sessions;
pub mod totp;

/// What the hooks of a built-in module need in every context: the type of the
/// extension, and what to say when it is missing.
struct Requirement {
    module: &'static str,
    extension: fn() -> TypeId,
    missing: MissingExtension,
}

const REQUIREMENTS: [Requirement; 4] = [
    Requirement {
        module: "auth_hooks_flow::builtin::lockout",
        extension: TypeId::of::<lockout::Lockout>,
        missing: lockout::MISSING,
    },
    Requirement {
        module: "auth_hooks_flow::builtin::ip_throttle",
        extension: TypeId::of::<ip_throttle::IpThrottle>,
        missing: ip_throttle::MISSING,
    },
    Requirement {
        module: "auth_hooks_flow::builtin::revoke_other_sessions",
        extension: TypeId::of::<Arc<SessionManager>>,
        missing: revoke_other_sessions::MISSING,
    },
    Requirement {
        module: "auth_hooks_flow::builtin::totp",
        extension: TypeId::of::<crate::second_factor::SecondFactor>,
        missing: totp::MISSING,
    },
];

/// The first built-in that `hooks` activates without its extension among `attached`
/// (the types of what the flow puts in every context).
pub(crate) fn unmet_requirement(
    hooks: &AuthHookRegistry,
    attached: &[TypeId],
) -> Option<MissingExtension> {
    REQUIREMENTS.iter().find_map(|requirement| {
        let active = Phase::ALL.into_iter().any(|phase| {
            hooks
                .hooks(phase)
                .iter()
                .any(|hook| hook.module == requirement.module)
        });
        (active && !attached.contains(&(requirement.extension)()))
            .then_some(requirement.missing.clone())
    })
}

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
