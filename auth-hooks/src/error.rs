//! The errors of configuration, activation and dispatch.

use std::fmt;
use std::time::Duration;

use crate::{AuthHookChallenge, AuthHookReject, BoxError, Phase};

/// A configuration mistake, reported when the configuration is read, never later.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// A phase name that is none of `before_authenticate`, `before_login`, `on_login`,
    /// `on_logout`, `on_login_failed`, `on_refresh`, `before_register`, `on_register`,
    /// `on_password_change`.
    #[error("unknown auth hook phase `{0}`: expected one of `before_authenticate`, `before_login`, `on_login`, `on_logout`, `on_login_failed`, `on_refresh`, `before_register`, `on_register`, `on_password_change`")]
    UnknownPhase(String),
    /// A policy value that is neither `raise` nor `log`.
    #[error("unknown auth hook error policy `{0}`: expected `raise` or `log`")]
    UnknownPolicy(String),
    /// Two hooks of one phase with one name: names identify hooks in logs and errors.
    #[error("an auth hook named `{name}` is already registered for {phase}")]
    DuplicateHook {
        /// The phase.
        phase: Phase,
        /// The name used twice.
        name: String,
    },
    /// An empty hook name.
    #[error("an auth hook name cannot be empty")]
    EmptyName,
    /// A mode that is neither `enforce` nor `shadow`.
    #[error("unknown auth hook mode `{0}`: expected `enforce` or `shadow`")]
    UnknownMode(String),
    /// Shadow mode on a hook of a phase that cannot refuse: nothing there to shadow.
    #[error("auth hook `{hook}` is in {phase}, which cannot refuse: `mode = \"shadow\"` would change nothing; use it on before_authenticate, before_login, on_refresh or before_register hooks")]
    ShadowAfterTheFact {
        /// The hook.
        hook: String,
        /// Its phase.
        phase: Phase,
    },
    /// Configuration names a hook the registry does not have.
    #[error("no auth hook named `{0}` is activated (see AuthHookRegistry::hooks for the names)")]
    UnknownHook(String),
    /// A timeout on a sync hook, which cannot be interrupted.
    #[error("auth hook `{0}` is sync and cannot be interrupted: a timeout needs an async hook")]
    TimeoutOnSyncHook(String),
}

/// Why `ready!` could not build a registry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadyError {
    /// The path names no module that holds a hook: almost surely a typo, a wrong path,
    /// or a `pub use` re-export (hooks are found by the module that declares them).
    #[error(
        "`ready!({path})` found no auth hook in `{path}` or its submodules (searched {searched}); \
         if `{path}` is a `pub use` re-export, name the module that declares the hooks instead"
    )]
    NoHooks {
        /// The path as written.
        path: String,
        /// The module paths that were tried, comma-separated.
        searched: String,
    },
    /// `super` climbs above the crate root.
    #[error("`ready!({path})` goes above the crate root from `{caller}`")]
    AboveCrateRoot {
        /// The path as written.
        path: String,
        /// The caller's module.
        caller: String,
    },
    /// Two activated hooks clash.
    #[error(transparent)]
    Config(#[from] ConfigError),
}

/// How a hook failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum HookFailure {
    /// The hook returned an error.
    Error(BoxError),
    /// The hook panicked; the panic was caught. Holds the panic message.
    Panicked(String),
    /// The async hook did not finish within its `timeout_ms` (or what was left of its
    /// phase's budget).
    TimedOut(Duration),
    /// The phase ran past its time budget before this hook could run.
    BudgetExceeded(Duration),
    /// The hook's circuit breaker is open: it was not called. A fault, like a panic:
    /// a gate whose check did not run decides nothing, so under either policy it
    /// refuses (unless the hook was declared with `fallback = "allow"`).
    BreakerOpen,
}

impl HookFailure {
    /// Whether the hook crashed or hung (a panic, a timeout) rather than returning an
    /// error: in `before_login` such a fault denies the login under every policy.
    pub fn is_fault(&self) -> bool {
        matches!(
            self,
            HookFailure::Panicked(_)
                | HookFailure::TimedOut(_)
                | HookFailure::BudgetExceeded(_)
                | HookFailure::BreakerOpen
        )
    }
}

impl fmt::Display for HookFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HookFailure::Error(error) => write!(f, "returned an error: {error}"),
            HookFailure::Panicked(message) => write!(f, "panicked: {message}"),
            HookFailure::TimedOut(limit) => write!(f, "timed out after {} ms", limit.as_millis()),
            HookFailure::BudgetExceeded(budget) => {
                write!(
                    f,
                    "not run: the phase ran past its {} ms budget",
                    budget.as_millis()
                )
            }
            HookFailure::BreakerOpen => f.write_str("not called: its circuit breaker is open"),
        }
    }
}

/// A hook failed under the `raise` policy; later hooks of the phase did not run.
///
/// Its text is for logs and operators. A web integration shows clients a generic
/// message instead.
#[derive(Debug, thiserror::Error)]
#[error("auth hook failed: phase={phase} hook={hook}")]
pub struct AuthHookExecutionError {
    /// The phase that was running.
    pub phase: Phase,
    /// The failing hook's name.
    pub hook: String,
    /// What went wrong (also the error's [`source`](std::error::Error::source)).
    pub source: HookFailure,
}

impl AuthHookExecutionError {
    /// The error the hook returned, if it returned one (rather than panicking or timing out).
    pub fn hook_error(&self) -> Option<&(dyn std::error::Error + Send + Sync + 'static)> {
        match &self.source {
            HookFailure::Error(error) => Some(error.as_ref()),
            _ => None,
        }
    }
}

/// Why a phase did not complete.
///
/// Each variant holds one box: a phase that passes returns `Ok(())` in two registers,
/// never an error-sized value through memory.
#[derive(Debug, thiserror::Error)]
pub enum AuthHookError {
    /// A hook of a phase that may refuse refused (under any policy).
    #[error("login rejected by auth hook `{}`", .0.hook)]
    Rejected(Box<HookRejected>),
    /// A hook failed under the `raise` policy, or a gate hook crashed or hung.
    #[error(transparent)]
    Failed(Box<AuthHookExecutionError>),
    /// A `before_login` hook requires a second factor: the hooks after it did not run
    /// yet. Resume with [`AuthHookRegistry::run_after`](crate::AuthHookRegistry::run_after)
    /// and this `hook` once the factor passed.
    #[error("second factor required by auth hook `{}`", .0.hook)]
    Challenged(Box<HookChallenged>),
}

/// What [`AuthHookError::Rejected`] holds.
#[derive(Debug)]
#[non_exhaustive]
pub struct HookRejected {
    /// The rejecting hook's name.
    pub hook: String,
    /// The reject, whose [`message`](AuthHookReject::message) is safe to show to the user.
    pub reject: AuthHookReject,
}

/// What [`AuthHookError::Challenged`] holds.
#[derive(Debug)]
#[non_exhaustive]
pub struct HookChallenged {
    /// The challenging hook's name (unique in its phase): where to resume.
    pub hook: String,
    /// What it requires.
    pub challenge: AuthHookChallenge,
}

impl From<AuthHookExecutionError> for AuthHookError {
    fn from(failed: AuthHookExecutionError) -> Self {
        AuthHookError::Failed(Box::new(failed))
    }
}

impl AuthHookError {
    /// The text a client sees for a challenge.
    pub const SECOND_FACTOR_REQUIRED: &'static str = "A second factor is required.";

    /// `hook` refused with `reject`.
    pub fn rejected(hook: impl Into<String>, reject: AuthHookReject) -> Self {
        AuthHookError::Rejected(Box::new(HookRejected {
            hook: hook.into(),
            reject,
        }))
    }

    /// `hook` requires `challenge`.
    pub fn challenged(hook: impl Into<String>, challenge: AuthHookChallenge) -> Self {
        AuthHookError::Challenged(Box::new(HookChallenged {
            hook: hook.into(),
            challenge,
        }))
    }

    /// The challenge, if a `before_login` hook required a second factor.
    pub fn challenge(&self) -> Option<&AuthHookChallenge> {
        match self {
            AuthHookError::Challenged(challenged) => Some(&challenged.challenge),
            AuthHookError::Rejected(_) | AuthHookError::Failed(_) => None,
        }
    }

    /// The reject, if a hook rejected.
    pub fn reject(&self) -> Option<&AuthHookReject> {
        match self {
            AuthHookError::Rejected(rejected) => Some(&rejected.reject),
            AuthHookError::Failed(_) | AuthHookError::Challenged(_) => None,
        }
    }

    /// The name of the hook that stopped the phase.
    pub fn hook(&self) -> &str {
        match self {
            AuthHookError::Rejected(rejected) => &rejected.hook,
            AuthHookError::Challenged(challenged) => &challenged.hook,
            AuthHookError::Failed(error) => &error.hook,
        }
    }

    /// The text a client may see: the reject's own message, or a generic
    /// [`AuthHookReject::DEFAULT_MESSAGE`] for failures (whose detail stays in the log),
    /// or [`SECOND_FACTOR_REQUIRED`](Self::SECOND_FACTOR_REQUIRED) for a challenge.
    pub fn client_message(&self) -> &str {
        match self {
            AuthHookError::Rejected(rejected) => rejected.reject.message(),
            AuthHookError::Failed(_) => AuthHookReject::DEFAULT_MESSAGE,
            AuthHookError::Challenged(_) => Self::SECOND_FACTOR_REQUIRED,
        }
    }
}

impl std::error::Error for HookFailure {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            HookFailure::Error(error) => Some(error.as_ref()),
            _ => None,
        }
    }
}
