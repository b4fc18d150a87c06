//! Operators' changes to hooks without a rebuild: mode, error policy, on/off, timeout,
//! keyed by hook name, from a serde configuration.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;

use crate::error::ConfigError;
use crate::registry::check_controls;
use crate::{AuthHookRegistry, ErrorPolicy, HookMode};

/// What configuration changes about one hook; every field optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct HookOverride {
    /// `"enforce"` or `"shadow"`.
    pub mode: Option<HookMode>,
    /// `"raise"` or `"log"`, instead of the phase's policy.
    pub on_error: Option<ErrorPolicy>,
    /// `false` takes the hook out of the registry.
    pub enabled: Option<bool>,
    /// A new timeout for an async hook, in milliseconds.
    pub timeout_ms: Option<u64>,
}

/// Overrides keyed by hook name (as [`AuthHookRegistry::hooks`] lists them), loaded
/// with serde from a file or an environment variable:
///
/// ```
/// use auth_hooks::{AuthHookContext, AuthHookRegistry, HookOverrides, Phase};
///
/// let mut hooks = AuthHookRegistry::new();
/// hooks.register("before_login", "new_ban_rule", |_: &AuthHookContext| {})?;
/// let config: HookOverrides = serde_json::from_str(
///     r#"{ "new_ban_rule": { "mode": "shadow", "on_error": "log" } }"#,
/// )?;
/// hooks.apply_overrides(&config)?;
/// assert_eq!(hooks.hooks(Phase::BeforeLogin)[0].mode.as_str(), "shadow");
///
/// let typo: HookOverrides = serde_json::from_str(r#"{ "new_ban_rul": { "enabled": false } }"#)?;
/// let err = hooks.apply_overrides(&typo).unwrap_err();
/// assert!(err.to_string().contains("new_ban_rul"));
/// assert!(serde_json::from_str::<HookOverrides>(r#"{ "x": { "mode": "shdow" } }"#).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub type HookOverrides = BTreeMap<String, HookOverride>;

impl AuthHookRegistry {
    /// Applies `overrides`, all or nothing: a name no hook has, a timeout on a sync hook
    /// or shadow mode on a phase that cannot refuse is an error naming it, and the
    /// registry is then unchanged.
    pub fn apply_overrides(&mut self, overrides: &HookOverrides) -> Result<(), ConfigError> {
        let mut changed = self.clone();
        for (name, change) in overrides {
            let found = changed.edit_hooks_named(name, |hook| {
                if let Some(mode) = change.mode {
                    hook.options.mode = mode;
                }
                if let Some(policy) = change.on_error {
                    hook.options.on_error = Some(policy);
                }
                if let Some(ms) = change.timeout_ms {
                    hook.options.timeout = Some(Duration::from_millis(ms));
                }
                check_controls(hook)
            })?;
            if found == 0 {
                return Err(ConfigError::UnknownHook(name.clone()));
            }
            if change.enabled == Some(false) {
                changed.remove_named(name);
            }
        }
        *self = changed;
        Ok(())
    }
}
