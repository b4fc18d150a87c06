//! The callable forms a hook takes once registered.

use std::future::Future;
use std::pin::Pin;

use crate::{AuthHookContext, HookResult};

/// The boxed future an async hook returns once wrapped.
pub type HookFuture<'a> = Pin<Box<dyn Future<Output = HookResult> + Send + 'a>>;

/// A hook as a plain function pointer: what the attribute macros register.
#[derive(Debug, Clone, Copy)]
pub enum HookFn {
    /// A sync hook, called inline.
    Sync(fn(&AuthHookContext) -> HookResult),
    /// An async hook; its future is boxed (one allocation a call).
    Async(for<'a> fn(&'a AuthHookContext) -> HookFuture<'a>),
}
