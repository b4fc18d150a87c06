//! A sibling whose name starts like `hooks`: `ready!(hook_lib::hooks)` must not take it.

use auth_hooks::{on_login, AuthHookContext};

use crate::Trail;

/// Must never run when only `hook_lib::hooks` is activated.
#[on_login]
pub fn extra(ctx: &AuthHookContext) {
    Trail::record(ctx, "hooks_extra::extra");
}
