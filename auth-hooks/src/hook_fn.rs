//! The callable forms a hook takes once registered.

use std::future::Future;
use std::pin::Pin;

use crate::{AuthHookContext, HookError, HookResult};

/// The boxed future an async hook returns once wrapped.
pub type HookFuture<'a> = Pin<Box<dyn Future<Output = HookResult> + Send + 'a>>;

/// A sync hook as the attribute macros wrap it: returns whether it passed, and when it
/// did not, leaves its error in the slot. Passing needs no result to move: dispatch
/// tests one `bool` a hook.
///
/// Not for hand-written fns (the macros keep its contract, and it may change in any
/// release): register closures with
/// [`AuthHookRegistry::register`](crate::AuthHookRegistry::register) instead.
#[doc(hidden)]
pub type SyncHookFn = fn(&AuthHookContext, &mut Option<HookError>) -> bool;

/// A hook as a plain function pointer: what the attribute macros register.
#[derive(Debug, Clone, Copy)]
pub enum HookFn {
    /// A sync hook, called inline.
    Sync(SyncHookFn),
    /// An async hook; its future is boxed (one allocation a call).
    Async(for<'a> fn(&'a AuthHookContext) -> HookFuture<'a>),
}

/// Calls a [`SyncHookFn`] for its [`HookResult`]. A fn that reports a failure without
/// leaving an error has failed all the same.
#[inline]
pub(crate) fn call_sync(f: SyncHookFn, ctx: &AuthHookContext) -> HookResult {
    let mut failed = None;
    if f(ctx, &mut failed) {
        return Ok(());
    }
    Err(failed.unwrap_or_else(failed_silently))
}

/// The error of a [`SyncHookFn`] that reported a failure and left no error.
#[cold]
pub(crate) fn failed_silently() -> HookError {
    HookError::Failed("the hook failed without saying why".into())
}

/// What a [`SyncHookFn`] does with a hook's result.
#[inline(always)]
pub(crate) fn report(result: HookResult, failed: &mut Option<HookError>) -> bool {
    match result {
        Ok(()) => true,
        Err(error) => {
            *failed = Some(error);
            false
        }
    }
}
