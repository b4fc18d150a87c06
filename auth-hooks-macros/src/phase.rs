//! The phase a macro registers for: its attribute name and its runtime variant.

use proc_macro2::{Ident, Span};

/// The phase of the attribute being expanded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    BeforeAuthenticate,
    BeforeLogin,
    OnLogin,
    OnLogout,
    OnLoginFailed,
    OnRefresh,
    BeforeRegister,
    OnRegister,
    OnPasswordChange,
}

impl Phase {
    /// The attribute's name, as the user wrote it.
    pub(crate) fn attr_name(self) -> &'static str {
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

    /// The `auth_hooks::Phase` variant.
    pub(crate) fn variant(self) -> Ident {
        let name = match self {
            Phase::BeforeAuthenticate => "BeforeAuthenticate",
            Phase::BeforeLogin => "BeforeLogin",
            Phase::OnLogin => "OnLogin",
            Phase::OnLogout => "OnLogout",
            Phase::OnLoginFailed => "OnLoginFailed",
            Phase::OnRefresh => "OnRefresh",
            Phase::BeforeRegister => "BeforeRegister",
            Phase::OnRegister => "OnRegister",
            Phase::OnPasswordChange => "OnPasswordChange",
        };
        Ident::new(name, Span::call_site())
    }

    /// For a phase that comes after the decision, what already happened and where to
    /// refuse instead: a reject there could only be ignored, so returning
    /// `AuthHookReject` is refused.
    pub(crate) fn already_decided(self) -> Option<(&'static str, &'static str)> {
        const LOGIN: &str = "refuse in `#[before_authenticate]` (before the password is checked) or `#[before_login]` (with the authenticated user) instead";
        match self {
            Phase::BeforeAuthenticate
            | Phase::BeforeLogin
            | Phase::OnRefresh
            | Phase::BeforeRegister => None,
            Phase::OnLogin => Some(("the login already succeeded", LOGIN)),
            Phase::OnLogout => Some(("the logout already happened", LOGIN)),
            Phase::OnLoginFailed => Some(("the login already failed", LOGIN)),
            Phase::OnRegister => Some((
                "the registration was already handled",
                "refuse in `#[before_register]` (before the user is stored) instead",
            )),
            Phase::OnPasswordChange => Some((
                "the password was already changed",
                "check a new password before it is stored with the backend's `PasswordPolicy::with_check` instead",
            )),
        }
    }
}
