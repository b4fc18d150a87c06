//! Turns a hook's panic or overrun into an ordinary failure.

use std::any::Any;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_timer::Delay;

use crate::{HookFailure, HookFuture, HookResult};

/// What one hook call came to.
pub(crate) type Outcome = Result<HookResult, HookFailure>;

/// Calls `f`, turning a panic into [`HookFailure::Panicked`].
#[inline]
pub(crate) fn catch_panic<T>(f: impl FnOnce() -> T) -> Result<T, HookFailure> {
    catch_unwind(AssertUnwindSafe(f)).map_err(panicked)
}

/// The failure of a hook that panicked with `payload`.
#[cold]
pub(crate) fn panicked(payload: Box<dyn Any + Send>) -> HookFailure {
    HookFailure::Panicked(panic_message(&*payload))
}

/// `future`, polled so that a panic becomes [`HookFailure::Panicked`] and an overrun of
/// `timeout` (counted from this call) [`HookFailure::TimedOut`].
#[inline]
pub(crate) fn guard_future(future: HookFuture<'_>, timeout: Option<Duration>) -> Guarded<'_> {
    Guarded {
        future,
        delay: timeout.map(Delay::new),
        timeout,
    }
}

/// The future [`guard_future`] returns: a plain struct rather than an `async fn`, one
/// state machine less on every async hook's path.
pub(crate) struct Guarded<'a> {
    future: HookFuture<'a>,
    delay: Option<Delay>,
    timeout: Option<Duration>,
}

impl Future for Guarded<'_> {
    type Output = Outcome;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Outcome> {
        let this = self.get_mut();
        match catch_panic(|| this.future.as_mut().poll(cx)) {
            Ok(Poll::Ready(result)) => return Poll::Ready(Ok(result)),
            Ok(Poll::Pending) => {}
            Err(panicked) => return Poll::Ready(Err(panicked)),
        }
        let expired = this
            .delay
            .as_mut()
            .is_some_and(|d| Pin::new(d).poll(cx).is_ready());
        match this.timeout {
            Some(limit) if expired => Poll::Ready(Err(HookFailure::TimedOut(limit))),
            _ => Poll::Pending,
        }
    }
}

/// The message of a panic's payload.
pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic with a non-string payload".to_owned())
}
