//! Hooks spread over this module and two submodules in their own files.

use auth_hooks::{on_login, on_logout, AuthHookContext};

use crate::Trail;

pub mod bans;
pub mod ip_rules;

/// First in this file. Files sort by path: `hooks/bans.rs`, `hooks/ip_rules.rs`, then `hooks/mod.rs`.
#[on_login]
pub fn login_mod_first(ctx: &AuthHookContext) {
    Trail::record(ctx, "mod::login_first");
}

/// Second in this file.
#[on_login]
pub async fn login_mod_second(ctx: &AuthHookContext) {
    Trail::record(ctx, "mod::login_second");
}

/// One fn, two phases: audits login and logout alike.
#[on_login]
#[on_logout]
pub fn audit_both(ctx: &AuthHookContext) {
    Trail::record(ctx, "mod::audit_both");
}

/// Highest priority: runs before everything else of its phase.
#[on_login(priority = 100, name = "first_by_priority")]
pub fn urgent(ctx: &AuthHookContext) {
    Trail::record(ctx, "mod::urgent");
}
