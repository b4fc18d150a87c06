//! Hooks in a library crate that the test binaries name only through `ready!`.
//!
//! Without the `use` of the path that `ready!` writes, nothing in this crate would be
//! linked into a binary that never mentions it, and its hooks would vanish.
//! Every hook records its name in the [`Trail`] the test attached to the context.

use std::sync::Mutex;

use auth_hooks::AuthHookContext;

pub mod hooks;
pub mod hooks_extra;

/// The names of the hooks that ran, in order; attach one per test as a context extension.
#[derive(Debug, Default)]
pub struct Trail(Mutex<Vec<&'static str>>);

impl Trail {
    /// Records that `hook` ran for `ctx` (if the test attached a trail).
    pub fn record(ctx: &AuthHookContext, hook: &'static str) {
        if let Some(trail) = ctx.extension::<std::sync::Arc<Trail>>() {
            trail.0.lock().unwrap().push(hook);
        }
    }

    /// What ran so far.
    pub fn names(&self) -> Vec<&'static str> {
        self.0.lock().unwrap().clone()
    }
}
