//! The phase a macro registers for: its attribute name and its runtime variant.

use proc_macro2::{Ident, Span};

/// The phase of the attribute being expanded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    BeforeLogin,
    OnLogin,
    OnLogout,
    OnLoginFailed,
}

impl Phase {
    /// The attribute's name, as the user wrote it.
    pub(crate) fn attr_name(self) -> &'static str {
        match self {
            Phase::BeforeLogin => "before_login",
            Phase::OnLogin => "on_login",
            Phase::OnLogout => "on_logout",
            Phase::OnLoginFailed => "on_login_failed",
        }
    }

    /// The `auth_hooks::Phase` variant.
    pub(crate) fn variant(self) -> Ident {
        let name = match self {
            Phase::BeforeLogin => "BeforeLogin",
            Phase::OnLogin => "OnLogin",
            Phase::OnLogout => "OnLogout",
            Phase::OnLoginFailed => "OnLoginFailed",
        };
        Ident::new(name, Span::call_site())
    }
}
