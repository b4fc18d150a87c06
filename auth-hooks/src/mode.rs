//! Whether a hook's refusals and failures change the outcome: enforce or shadow.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::ConfigError;

/// How a hook's answer is used.
///
/// `Shadow` is report-only: the hook runs, but a reject or a failure (an error, a
/// panic, a timeout, an open breaker) does not change the outcome; it is logged and
/// counted as "would have denied" or "would have failed". For trying a new deny rule
/// on live traffic before enforcing it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HookMode {
    /// The hook's reject and failures count (the default).
    #[default]
    Enforce,
    /// The hook's reject and failures are logged and counted, never acted on.
    Shadow,
}

impl HookMode {
    /// `"enforce"` or `"shadow"`, as written in the attribute and in configuration.
    pub const fn as_str(self) -> &'static str {
        match self {
            HookMode::Enforce => "enforce",
            HookMode::Shadow => "shadow",
        }
    }
}

impl fmt::Display for HookMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for HookMode {
    type Err = ConfigError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "enforce" => Ok(HookMode::Enforce),
            "shadow" => Ok(HookMode::Shadow),
            other => Err(ConfigError::UnknownMode(other.to_owned())),
        }
    }
}
