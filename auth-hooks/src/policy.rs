//! What a failing hook does to the flow, per phase.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::ConfigError;
use crate::Phase;

/// What happens when a hook fails (returns an error, panics or times out).
///
/// A deliberate [`AuthHookReject`](crate::AuthHookReject) in `before_login` is not a
/// failure: it stops the login under either policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorPolicy {
    /// The failure stops the flow: later hooks do not run and the caller gets an
    /// [`AuthHookExecutionError`](crate::AuthHookExecutionError).
    Raise,
    /// The failure is logged through `tracing` and the next hook runs.
    ///
    /// In `before_authenticate` and `before_login` this is fail-open for errors a hook returns (announced with a
    /// warning when set), never for a hook that panicked or overran its timeout: those
    /// deny the login under every policy, and a reject always denies.
    Log,
}

impl ErrorPolicy {
    /// The policy's name as written in configuration: `"raise"` or `"log"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorPolicy::Raise => "raise",
            ErrorPolicy::Log => "log",
        }
    }
}

impl fmt::Display for ErrorPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ErrorPolicy {
    type Err = ConfigError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "raise" => Ok(ErrorPolicy::Raise),
            "log" => Ok(ErrorPolicy::Log),
            other => Err(ConfigError::UnknownPolicy(other.to_owned())),
        }
    }
}

/// The [`ErrorPolicy`] of every phase.
///
/// Defaults are fail-closed where it matters: `before_authenticate = raise` and
/// `before_login = raise` (a broken gate lets nobody in) and `on_login_failed = raise` (a failure that cannot be counted is
/// not answered as a plain wrong password: otherwise, with the counters' store unable
/// to write, the lockout stops counting while a right password still stands out);
/// `on_login` and `on_logout` `log` (the login or logout already happened). Loads with serde from a map such as
/// `{ "before_login": "raise", "on_login": "log" }`; a missing phase keeps its
/// default, an unknown phase or value is an error (never a silent fallback).
/// OpenViper's keys (`before_login_error`, …) are accepted as aliases.
///
/// ```
/// use auth_hooks::{ErrorPolicy, HookPolicies, Phase};
///
/// let policies: HookPolicies = serde_json::from_str(r#"{ "on_login": "raise" }"#).unwrap();
/// assert_eq!(policies.get(Phase::OnLogin), ErrorPolicy::Raise);
/// assert_eq!(policies.get(Phase::BeforeLogin), ErrorPolicy::Raise);
///
/// let typo = serde_json::from_str::<HookPolicies>(r#"{ "on_login": "rasie" }"#).unwrap_err();
/// assert!(typo.to_string().contains("rasie"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HookPolicies {
    /// Policy of `before_authenticate` (default `raise`: a throttle or lockout whose
    /// store is down must not let guesses through).
    #[serde(alias = "before_authenticate_error")]
    pub before_authenticate: ErrorPolicy,
    /// Policy of `before_login` (default `raise`: a broken deny-list must not let logins through).
    #[serde(alias = "before_login_error")]
    pub before_login: ErrorPolicy,
    /// Policy of `on_login` (default `log`).
    #[serde(alias = "on_login_error")]
    pub on_login: ErrorPolicy,
    /// Policy of `on_logout` (default `log`).
    #[serde(alias = "on_logout_error")]
    pub on_logout: ErrorPolicy,
    /// Policy of `on_login_failed` (default `raise`: an uncounted failure fails the login
    /// as a hook failure, 503 when a store is down).
    #[serde(alias = "on_login_failed_error")]
    pub on_login_failed: ErrorPolicy,
    /// Policy of `on_refresh` (default `raise`: a check that could not run must not let
    /// a refresh through).
    #[serde(alias = "on_refresh_error")]
    pub on_refresh: ErrorPolicy,
    /// Policy of `before_register` (default `raise`: a check that could not run must
    /// not let a registration through).
    #[serde(alias = "before_register_error")]
    pub before_register: ErrorPolicy,
    /// Policy of `on_register` (default `log`: the user is already stored).
    #[serde(alias = "on_register_error")]
    pub on_register: ErrorPolicy,
    /// Policy of `on_password_change` (default `log`: the password is already changed).
    #[serde(alias = "on_password_change_error")]
    pub on_password_change: ErrorPolicy,
}

impl Default for HookPolicies {
    fn default() -> Self {
        HookPolicies {
            before_authenticate: ErrorPolicy::Raise,
            before_login: ErrorPolicy::Raise,
            on_login: ErrorPolicy::Log,
            on_logout: ErrorPolicy::Log,
            on_login_failed: ErrorPolicy::Raise,
            on_refresh: ErrorPolicy::Raise,
            before_register: ErrorPolicy::Raise,
            on_register: ErrorPolicy::Log,
            on_password_change: ErrorPolicy::Log,
        }
    }
}

impl HookPolicies {
    /// The policy of `phase`.
    pub const fn get(&self, phase: Phase) -> ErrorPolicy {
        match phase {
            Phase::BeforeAuthenticate => self.before_authenticate,
            Phase::BeforeLogin => self.before_login,
            Phase::OnLogin => self.on_login,
            Phase::OnLogout => self.on_logout,
            Phase::OnLoginFailed => self.on_login_failed,
            Phase::OnRefresh => self.on_refresh,
            Phase::BeforeRegister => self.before_register,
            Phase::OnRegister => self.on_register,
            Phase::OnPasswordChange => self.on_password_change,
        }
    }

    /// Sets the policy of `phase`.
    pub fn set(&mut self, phase: Phase, policy: ErrorPolicy) {
        *match phase {
            Phase::BeforeAuthenticate => &mut self.before_authenticate,
            Phase::BeforeLogin => &mut self.before_login,
            Phase::OnLogin => &mut self.on_login,
            Phase::OnLogout => &mut self.on_logout,
            Phase::OnLoginFailed => &mut self.on_login_failed,
            Phase::OnRefresh => &mut self.on_refresh,
            Phase::BeforeRegister => &mut self.before_register,
            Phase::OnRegister => &mut self.on_register,
            Phase::OnPasswordChange => &mut self.on_password_change,
        } = policy;
    }

    /// Builds policies from `(phase, policy)` string pairs, e.g. read from environment
    /// variables. Unknown phases and values are errors that name the bad text.
    pub fn from_pairs<'a>(
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Self, ConfigError> {
        let mut policies = HookPolicies::default();
        for (phase, policy) in pairs {
            let phase = phase
                .strip_suffix("_error")
                .unwrap_or(phase)
                .parse::<Phase>()
                .map_err(|_| ConfigError::UnknownPhase(phase.to_owned()))?;
            policies.set(phase, policy.parse()?);
        }
        Ok(policies)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_fail_closed_before_login_and_on_login_failed() {
        let p = HookPolicies::default();
        assert_eq!(p.get(Phase::BeforeAuthenticate), ErrorPolicy::Raise);
        assert_eq!(p.get(Phase::BeforeLogin), ErrorPolicy::Raise);
        assert_eq!(p.get(Phase::OnLogin), ErrorPolicy::Log);
        assert_eq!(p.get(Phase::OnLogout), ErrorPolicy::Log);
        assert_eq!(p.get(Phase::OnLoginFailed), ErrorPolicy::Raise);
    }

    #[test]
    fn loads_from_a_config_map_and_keeps_missing_defaults() {
        let p: HookPolicies =
            serde_json::from_str(r#"{"before_login":"log","on_logout":"raise"}"#).unwrap();
        assert_eq!(p.get(Phase::BeforeLogin), ErrorPolicy::Log);
        assert_eq!(p.get(Phase::OnLogout), ErrorPolicy::Raise);
        assert_eq!(p.get(Phase::OnLogin), ErrorPolicy::Log);
    }

    #[test]
    fn accepts_openviper_setting_names() {
        let p: HookPolicies = serde_json::from_str(r#"{"on_login_error":"raise"}"#).unwrap();
        assert_eq!(p.get(Phase::OnLogin), ErrorPolicy::Raise);
    }

    #[test]
    fn unknown_phase_or_value_is_an_error_naming_it() {
        let phase = serde_json::from_str::<HookPolicies>(r#"{"befor_login":"raise"}"#).unwrap_err();
        assert!(phase.to_string().contains("befor_login"), "{phase}");
        let value = serde_json::from_str::<HookPolicies>(r#"{"on_login":"ignore"}"#).unwrap_err();
        assert!(value.to_string().contains("ignore"), "{value}");
    }

    #[test]
    fn from_pairs_rejects_bad_text() {
        let p = HookPolicies::from_pairs([("on_login_error", "raise"), ("before_login", "log")])
            .unwrap();
        assert_eq!(p.get(Phase::OnLogin), ErrorPolicy::Raise);
        assert_eq!(p.get(Phase::BeforeLogin), ErrorPolicy::Log);
        assert_eq!(
            HookPolicies::from_pairs([("on_signup", "log")]).unwrap_err(),
            ConfigError::UnknownPhase("on_signup".into())
        );
        assert_eq!(
            HookPolicies::from_pairs([("on_login", "Raise")]).unwrap_err(),
            ConfigError::UnknownPolicy("Raise".into())
        );
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn any_unknown_policy_text_is_an_error_naming_it(text in "\\PC{0,24}") {
                prop_assume!(text != "raise" && text != "log");
                let err = text.parse::<ErrorPolicy>().unwrap_err();
                prop_assert!(err.to_string().contains(&text));
            }

            #[test]
            fn any_config_map_loads_or_names_what_is_wrong(
                entries in prop::collection::btree_map(
                    prop_oneof!["before_authenticate", "before_login", "on_login", "on_logout", "on_login_failed", "on_refresh", "before_register", "on_register", "on_password_change", "[a-z_]{1,12}"],
                    prop_oneof!["raise", "log", "[a-zA-Z]{0,8}"],
                    0..5,
                )
            ) {
                let json = serde_json::to_value(&entries).unwrap();
                match serde_json::from_value::<HookPolicies>(json) {
                    Ok(policies) => {
                        for (phase, policy) in &entries {
                            let phase: Phase = phase.parse().unwrap();
                            prop_assert_eq!(policies.get(phase).as_str(), policy.as_str());
                        }
                    }
                    Err(err) => {
                        let text = err.to_string();
                        let named = entries.iter().any(|(k, v)| {
                            (k.parse::<Phase>().is_err() && text.contains(k.as_str()))
                                || (v.parse::<ErrorPolicy>().is_err() && text.contains(v.as_str()))
                        });
                        prop_assert!(named, "{} does not name the bad entry of {:?}", text, entries);
                    }
                }
                let pairs = entries.iter().map(|(k, v)| (k.as_str(), v.as_str()));
                let _ = HookPolicies::from_pairs(pairs);
            }
        }
    }
}
