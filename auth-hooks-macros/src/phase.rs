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
        };
        Ident::new(name, Span::call_site())
    }

    /// For a phase that comes after the decision, what already happened: a reject
    /// there could only be ignored, so returning `AuthHookReject` is refused.
    pub(crate) fn already_decided(self) -> Option<&'static str> {
        match self {
            Phase::BeforeAuthenticate | Phase::BeforeLogin | Phase::OnRefresh => None,
            Phase::OnLogin => Some("the login already succeeded"),
            Phase::OnLogout => Some("the logout already happened"),
            Phase::OnLoginFailed => Some("the login already failed"),
        }
    }
}
