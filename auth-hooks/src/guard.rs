//! Turns a hook's panic or overrun into an ordinary failure.

use std::any::Any;
use std::future::{poll_fn, Future};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::task::Poll;
use std::time::Duration;

use futures_timer::Delay;

use crate::{HookFailure, HookResult};

/// What one hook call came to.
pub(crate) type Outcome = Result<HookResult, HookFailure>;

/// Calls `f`, turning a panic into [`HookFailure::Panicked`].
#[inline]
pub(crate) fn catch_panic<T>(f: impl FnOnce() -> T) -> Result<T, HookFailure> {
    catch_unwind(AssertUnwindSafe(f))
        .map_err(|payload| HookFailure::Panicked(panic_message(&*payload)))
}

/// Polls `future`, turning a panic into [`HookFailure::Panicked`] and an overrun of
/// `timeout` into [`HookFailure::TimedOut`].
pub(crate) async fn guard_future<F>(future: F, timeout: Option<Duration>) -> Outcome
where
    F: Future<Output = HookResult>,
{
    let mut future = std::pin::pin!(future);
    let mut delay = timeout.map(Delay::new);
    poll_fn(|cx| {
        match catch_panic(|| future.as_mut().poll(cx)) {
            Ok(Poll::Ready(result)) => return Poll::Ready(Ok(result)),
            Ok(Poll::Pending) => {}
            Err(panicked) => return Poll::Ready(Err(panicked)),
        }
        let expired = delay
            .as_mut()
            .is_some_and(|d| Pin::new(d).poll(cx).is_ready());
        match timeout {
            Some(limit) if expired => Poll::Ready(Err(HookFailure::TimedOut(limit))),
            _ => Poll::Pending,
        }
    })
    .await
}

fn panic_message(payload: &(dyn Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic with a non-string payload".to_owned())
}
