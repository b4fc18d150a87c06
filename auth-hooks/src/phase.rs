//! The steps of authentication that hooks attach to.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::ConfigError;

/// A step of authentication that hooks can attach to.
///
/// Each phase has its own attribute macro
/// ([`before_authenticate`](crate::before_authenticate),
/// [`before_login`](crate::before_login), [`on_login`](crate::on_login),
/// [`on_logout`](crate::on_logout), [`on_login_failed`](crate::on_login_failed),
/// [`on_refresh`](crate::on_refresh), [`before_register`](crate::before_register),
/// [`on_register`](crate::on_register), [`on_password_change`](crate::on_password_change))
/// and its own [`ErrorPolicy`](crate::ErrorPolicy).
///
/// A login meets them in this order: `before_authenticate` (the gate: no secret, no
/// user yet), the credentials check, then `before_login` (the authenticated user) and
/// `on_login` (the new session and tokens) on success, or `on_login_failed` on bad
/// credentials. A refresh meets `before_authenticate`, then `on_refresh` before the new
/// tokens are issued. A registration meets `before_register`, then `on_register` once
/// the user is stored; a password change meets `on_password_change` once it is done.
/// Only `before_authenticate`, `before_login`, `on_refresh` and `before_register` may
/// refuse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Before the credentials are checked: the login name, the request and the backend,
    /// never a secret nor the user. A hook may reject here (IP rules, throttles,
    /// lockout); its answer is the same whether the password would have been right.
    BeforeAuthenticate,
    /// After the credentials were verified, with the authenticated user. A hook may
    /// reject the login here (a suspended account); a wrong password never gets here.
    BeforeLogin,
    /// After a successful login; the context carries the new session and token metadata.
    OnLogin,
    /// When a session or token is logged out; the context is built before revocation.
    OnLogout,
    /// After credentials were refused. Cannot reject (there is nothing left to deny).
    OnLoginFailed,
    /// On every refresh, before the new tokens are issued, with the user re-read from
    /// the store and the old token's metadata. A hook may reject (the user was
    /// suspended since): the token's whole login is then revoked.
    OnRefresh,
    /// Before a new user is stored, with the sanitized registration fields (the login
    /// name, an e-mail; never the password). A hook may reject (an e-mail domain
    /// allow-list): nothing is stored.
    BeforeRegister,
    /// After a registration was handled: the new user is stored, or the login name was
    /// taken (metadata `registration` says which; the client is told the same either
    /// way). For welcome mail, a "someone tried to register with your address" notice,
    /// audit.
    OnRegister,
    /// After a user's password was changed, with the user and the login it was changed
    /// from; every other login of the user is already revoked.
    OnPasswordChange,
}

impl Phase {
    /// Every phase: a login's in the order it meets them, then refresh, registration and
    /// password change.
    pub const ALL: [Phase; 9] = [
        Phase::BeforeAuthenticate,
        Phase::BeforeLogin,
        Phase::OnLogin,
        Phase::OnLoginFailed,
        Phase::OnLogout,
        Phase::OnRefresh,
        Phase::BeforeRegister,
        Phase::OnRegister,
        Phase::OnPasswordChange,
    ];

    /// The phase's name as written in configuration and in the attribute: `"before_login"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Phase::BeforeAuthenticate => "before_authenticate",
            Phase::BeforeLogin => "before_login",
            Phase::OnLogin => "on_login",
            Phase::OnLogout => "on_logout",
            Phase::OnLoginFailed => "on_login_failed",
            Phase::OnRefresh => "on_refresh",
            Phase::BeforeRegister => "before_register",
            Phase::OnRegister => "on_register",
            Phase::OnPasswordChange => "on_password_change",
        }
    }

    /// Whether a deliberate [`AuthHookReject`](crate::AuthHookReject) stops the flow in this phase.
    ///
    /// Only `before_authenticate`, `before_login`, `on_refresh` and `before_register`
    /// can deny; in the other phases the login, logout, registration or password change
    /// already happened or failed, so a reject (which the attribute macros refuse at
    /// compile time) is logged as a warning.
    pub const fn can_reject(self) -> bool {
        matches!(
            self,
            Phase::BeforeAuthenticate
                | Phase::BeforeLogin
                | Phase::OnRefresh
                | Phase::BeforeRegister
        )
    }

    pub(crate) const fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Phase {
    type Err = ConfigError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Phase::ALL
            .into_iter()
            .find(|phase| phase.as_str() == s)
            .ok_or_else(|| ConfigError::UnknownPhase(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_phase_name_back() {
        for phase in Phase::ALL {
            assert_eq!(phase.as_str().parse::<Phase>().unwrap(), phase);
        }
    }

    #[test]
    fn unknown_phase_is_an_error_naming_it() {
        let err = "before_logn".parse::<Phase>().unwrap_err();
        assert_eq!(err, ConfigError::UnknownPhase("before_logn".into()));
        assert!(err.to_string().contains("`before_logn`"), "{err}");
    }

    #[test]
    fn index_is_dense() {
        let mut seen = [false; Phase::ALL.len()];
        for phase in Phase::ALL {
            seen[phase.index()] = true;
        }
        assert!(seen.iter().all(|s| *s));
    }
}
