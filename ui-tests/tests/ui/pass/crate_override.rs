// A crate re-exporting auth_hooks under another name passes `crate = path`.
mod reexport {
    pub use ::auth_hooks as hooks;
}

use auth_hooks::{on_logout, AuthHookContext};

#[on_logout(crate = ::auth_hooks)]
fn forget(_ctx: &AuthHookContext) {}

#[on_logout(crate = crate::reexport::hooks)]
fn forget_again(_ctx: &AuthHookContext) {}

fn main() {}
