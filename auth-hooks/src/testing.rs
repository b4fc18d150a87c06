//! A harness for testing hooks: a recorder of what ran, ready-made contexts, and (on
//! the registry) [`replace`](crate::AuthHookRegistry::replace),
//! [`remove`](crate::AuthHookRegistry::remove) and a
//! [`FakeHookClock`](crate::FakeHookClock). Behind the `testing` feature; for the whole
//! flow on memory stores with a cheap hasher, see `auth_hooks_flow::testing`.
//!
//! "My `before_login` refuses a suspended user", in a few lines:
//!
//! ```
//! use auth_hooks::testing::{login, Recorder};
//! use auth_hooks::{before_login, AuthHookContext, AuthHookReject, Phase};
//!
//! pub struct Account { pub suspended: bool }
//!
//! mod security {
//!     use super::*;
//!     #[before_login(name = "deny_suspended")]
//!     pub fn deny_suspended(ctx: &AuthHookContext) -> Result<(), AuthHookReject> {
//!         match ctx.user::<Account>() {
//!             Some(a) if a.suspended => Err(AuthHookReject::new("This account is suspended.")),
//!             _ => Ok(()),
//!         }
//!     }
//! }
//!
//! # fn main() {
//! let hooks = Recorder::new(auth_hooks::ready!(crate::security).unwrap());
//! let ctx = login("ada").user(Account { suspended: true }).build();
//! let err = hooks.registry().run_blocking(Phase::BeforeLogin, &ctx).unwrap_err();
//! assert_eq!(err.client_message(), "This account is suspended.");
//! assert_eq!(hooks.ran(Phase::BeforeLogin), ["deny_suspended"]);
//! # }
//! ```

use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::sync::{Arc, Mutex, MutexGuard};

use serde::Serialize;
use serde_json::{json, Value};

use crate::hook::{Call, Hook};
use crate::{
    AuthHookContext, AuthHookContextBuilder, AuthHookRegistry, HookError, HookResult, Phase,
    RequestMeta,
};

/// What one hook call came to, as the recorder saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "outcome", content = "detail")]
pub enum Recorded {
    /// It returned `Ok(())`.
    Passed,
    /// It rejected, with this message.
    Rejected(String),
    /// It returned an error, shown here.
    Failed(String),
    /// It required a second factor, this one.
    Challenged(String),
    /// It panicked, with this message.
    Panicked(String),
    /// It did not finish: timed out, or its phase was cancelled.
    CutShort,
}

/// One hook call: which hook, in which phase, what it came to, and what it saw.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HookRun {
    /// The phase.
    pub phase: Phase,
    /// The hook's name.
    pub hook: String,
    /// What it came to.
    pub outcome: Recorded,
    /// What it saw: the context's user id, (sanitized) credentials, request, session
    /// and token metadata, backend, metadata and attempt id, as JSON.
    pub context: Value,
}

/// A registry whose every hook records its calls: in which phase it ran, what it came
/// to, and a snapshot of the (sanitized) context it saw. Run the phases through
/// [`registry`](Self::registry), or hand [`into_registry`](Self::into_registry) to a
/// flow and read [`runs`](Self::runs) afterwards.
#[derive(Clone)]
pub struct Recorder {
    registry: AuthHookRegistry,
    runs: Arc<Mutex<Vec<HookRun>>>,
}

impl Recorder {
    /// Wraps every hook of `registry` (its order, names, options and policies kept).
    pub fn new(mut registry: AuthHookRegistry) -> Self {
        let runs: Arc<Mutex<Vec<HookRun>>> = Arc::default();
        for phase in Phase::ALL {
            registry.edit_phase(phase, |hooks| {
                for hook in hooks {
                    wrap(hook, runs.clone());
                }
            });
        }
        Recorder { registry, runs }
    }

    /// The recording registry.
    pub fn registry(&self) -> &AuthHookRegistry {
        &self.registry
    }

    /// The recording registry, to give a flow (the recorder's clones keep reading it).
    pub fn into_registry(self) -> AuthHookRegistry {
        self.registry
    }

    /// Every call so far, in order.
    pub fn runs(&self) -> Vec<HookRun> {
        lock(&self.runs).clone()
    }

    /// The hooks that ran in `phase`, in order.
    pub fn ran(&self, phase: Phase) -> Vec<String> {
        lock(&self.runs)
            .iter()
            .filter(|r| r.phase == phase)
            .map(|r| r.hook.clone())
            .collect()
    }

    /// Forgets the calls so far.
    pub fn clear(&self) {
        lock(&self.runs).clear();
    }
}

fn lock(runs: &Mutex<Vec<HookRun>>) -> MutexGuard<'_, Vec<HookRun>> {
    runs.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The context as a hook sees it, as JSON: nothing secret is in a context.
fn snapshot(ctx: &AuthHookContext) -> Value {
    json!({
        "user_id": ctx.user_id(),
        "credentials": ctx.credentials(),
        "request": ctx.request(),
        "session": ctx.session(),
        "tokens": ctx.tokens(),
        "auth_backend": ctx.auth_backend(),
        "metadata": ctx.metadata(),
        "attempt_id": ctx.attempt_id(),
    })
}

fn recorded(result: &HookResult) -> Recorded {
    match result {
        Ok(()) => Recorded::Passed,
        Err(HookError::Reject(reject)) => Recorded::Rejected(reject.message().to_owned()),
        Err(HookError::Failed(error)) => Recorded::Failed(error.to_string()),
        Err(HookError::Challenge(challenge)) => Recorded::Challenged(challenge.factor().to_owned()),
    }
}

/// Replaces `hook`'s call with one that records, then calls the original.
fn wrap(hook: &mut Hook, runs: Arc<Mutex<Vec<HookRun>>>) {
    let (phase, name) = (hook.phase, hook.name.to_string());
    let record = move |ctx: &AuthHookContext, outcome: Recorded| {
        lock(&runs).push(HookRun {
            phase,
            hook: name.clone(),
            outcome,
            context: snapshot(ctx),
        });
    };
    let sync = |call: Arc<dyn Fn(&AuthHookContext) -> HookResult + Send + Sync>| {
        let record = record.clone();
        Call::SyncClosure(Arc::new(move |ctx: &AuthHookContext| {
            match catch_unwind(AssertUnwindSafe(|| call(ctx))) {
                Ok(result) => {
                    record(ctx, recorded(&result));
                    result
                }
                Err(payload) => {
                    let message = crate::guard::panic_message(&*payload);
                    record(ctx, Recorded::Panicked(message));
                    resume_unwind(payload)
                }
            }
        }))
    };
    hook.call = match hook.call.clone() {
        Call::SyncFn(f) => sync(Arc::new(move |ctx| crate::hook_fn::call_sync(f, ctx))),
        Call::SyncClosure(f) => sync(f),
        Call::AsyncFn(f) => wrap_async(Arc::new(f), record),
        Call::AsyncClosure(f) => wrap_async(f, record),
    };
    hook.reconfigure();
}

fn wrap_async(
    call: crate::hook::AsyncClosure,
    record: impl Fn(&AuthHookContext, Recorded) + Clone + Send + Sync + 'static,
) -> Call {
    Call::AsyncClosure(Arc::new(move |ctx: &AuthHookContext| {
        let (call, record) = (call.clone(), record.clone());
        Box::pin(async move {
            // Records "cut short" if dropped before the hook finished.
            let guard = CutShort(Some(Box::new({
                let record = record.clone();
                move || record(ctx, Recorded::CutShort)
            })));
            let result = call(ctx).await;
            std::mem::forget(guard);
            record(ctx, recorded(&result));
            result
        })
    }))
}

type OnDrop<'a> = Box<dyn FnOnce() + Send + 'a>;

/// Runs its closure when dropped: a hook's future that did not finish.
struct CutShort<'a>(Option<OnDrop<'a>>);

impl Drop for CutShort<'_> {
    fn drop(&mut self) {
        if let Some(on_drop) = self.0.take() {
            on_drop();
        }
    }
}

/// A context of a password login by `username` from 203.0.113.9, for backend
/// `password`, with an attempt id; add the user, a session, metadata as needed.
///
/// ```
/// let ctx = auth_hooks::testing::login("ada").user_id("u-ada").build();
/// assert_eq!(ctx.username(), Some("ada"));
/// assert_eq!(ctx.auth_backend(), Some("password"));
/// ```
pub fn login(username: &str) -> AuthHookContextBuilder {
    AuthHookContext::builder()
        .credentials(json!({ "username": username }))
        .request(request())
        .auth_backend("password")
        .attempt_id("test-attempt")
}

/// A `POST /login` from 203.0.113.9 (a documentation address) with a user agent.
pub fn request() -> RequestMeta {
    RequestMeta::new("POST", "/login")
        .client_ip("203.0.113.9".parse().expect("a valid address"))
        .user_agent("auth-hooks tests")
}
