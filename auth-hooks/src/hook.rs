//! One activated hook as the registry keeps it, and its public description.

use std::borrow::Cow;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;

use crate::__private::HookEntry;
use crate::breaker::Breaker;
use crate::stats::HookCounters;
use crate::{
    AuthHookContext, BreakerConfig, ErrorPolicy, HookFn, HookFuture, HookMode, HookResult, Phase,
    SyncHookFn,
};

/// A sync closure registered at run time.
pub(crate) type SyncClosure = Arc<dyn Fn(&AuthHookContext) -> HookResult + Send + Sync>;
/// An async closure registered at run time.
pub(crate) type AsyncClosure =
    Arc<dyn for<'a> Fn(&'a AuthHookContext) -> HookFuture<'a> + Send + Sync>;

/// How the registry calls a hook. Flat, so that dispatch tells the kinds apart with one
/// test of the tag.
#[derive(Clone)]
pub(crate) enum Call {
    SyncFn(SyncHookFn),
    AsyncFn(for<'a> fn(&'a AuthHookContext) -> HookFuture<'a>),
    SyncClosure(SyncClosure),
    AsyncClosure(AsyncClosure),
}

impl Call {
    pub(crate) fn is_async(&self) -> bool {
        matches!(self, Call::AsyncFn(_) | Call::AsyncClosure(_))
    }
}

impl From<HookFn> for Call {
    fn from(hook: HookFn) -> Self {
        match hook {
            HookFn::Sync(f) => Call::SyncFn(f),
            HookFn::Async(f) => Call::AsyncFn(f),
        }
    }
}

/// Where a hook was declared.
#[derive(Debug, Clone)]
pub(crate) struct Origin {
    pub(crate) module: Cow<'static, str>,
    pub(crate) file: Cow<'static, str>,
    pub(crate) line: u32,
    pub(crate) column: u32,
}

/// One activated hook. `repr(C)` keeps what the dispatch loop reads of every hook (the
/// plain fn, the backends) at the start, in one cache line.
#[derive(Clone)]
#[repr(C)]
pub(crate) struct Hook {
    /// The fn, when it is a sync fn without a breaker: what the tight dispatch loop
    /// calls itself.
    pub(crate) plain: Option<SyncHookFn>,
    pub(crate) options: HookOptions,
    pub(crate) phase: Phase,
    pub(crate) name: Cow<'static, str>,
    pub(crate) call: Call,
    pub(crate) origin: Origin,
    /// Its breaker's state in this registry, if it has a breaker.
    pub(crate) breaker: Option<Arc<Breaker>>,
    /// Its counts in this registry.
    pub(crate) counters: Arc<HookCounters>,
}

impl Hook {
    pub(crate) fn from_entry(entry: &'static HookEntry) -> Self {
        let options = HookOptions {
            priority: entry.priority,
            backends: entry.backends.iter().map(|b| Cow::Borrowed(*b)).collect(),
            timeout: entry.timeout_ms.map(Duration::from_millis),
            on_error: entry.on_error,
            mode: entry.mode,
            breaker: entry.breaker,
        };
        let origin = Origin {
            module: Cow::Borrowed(entry.module_path),
            file: Cow::Borrowed(entry.file),
            line: entry.line,
            column: entry.column,
        };
        Hook::new(
            entry.phase,
            Cow::Borrowed(entry.name),
            entry.call.into(),
            options,
            origin,
        )
    }

    /// A hook with fresh counters and breaker.
    pub(crate) fn new(
        phase: Phase,
        name: Cow<'static, str>,
        call: Call,
        options: HookOptions,
        origin: Origin,
    ) -> Self {
        let mut hook = Hook {
            phase,
            name,
            call,
            options,
            origin,
            breaker: None,
            counters: Arc::default(),
            plain: None,
        };
        hook.reconfigure();
        hook
    }

    /// Applies the options again after they changed (a breaker starts closed).
    pub(crate) fn reconfigure(&mut self) {
        self.breaker = self.options.breaker.map(|c| Arc::new(Breaker::new(c)));
        self.plain = match (&self.call, &self.breaker) {
            (Call::SyncFn(f), None) => Some(*f),
            _ => None,
        };
    }

    /// The error policy of this hook: its own `on_error`, else the phase's.
    #[inline]
    pub(crate) fn policy(&self, phase_policy: ErrorPolicy) -> ErrorPolicy {
        self.options.on_error.unwrap_or(phase_policy)
    }

    /// Whether this hook runs for a context with `backend`.
    #[inline]
    pub(crate) fn applies_to(&self, ctx: &AuthHookContext) -> bool {
        self.options.backends.is_empty() || self.backend_matches(ctx)
    }

    /// Out of line: inlined, it would hold registers across every dispatch loop.
    #[inline(never)]
    fn backend_matches(&self, ctx: &AuthHookContext) -> bool {
        let backends = &self.options.backends;
        ctx.auth_backend()
            .is_some_and(|b| backends.iter().any(|wanted| wanted == b))
    }

    pub(crate) fn info(&self) -> HookInfo<'_> {
        HookInfo {
            name: &self.name,
            phase: self.phase,
            priority: self.options.priority,
            module: &self.origin.module,
            file: &self.origin.file,
            line: self.origin.line,
            column: self.origin.column,
            is_async: self.call.is_async(),
            backends: self.options.backends.iter().map(|b| &**b).collect(),
            timeout_ms: self.options.timeout.map(|t| t.as_millis() as u64),
            mode: self.options.mode,
            on_error: self.options.on_error,
            breaker: self.options.breaker,
        }
    }
}

/// Options of a hook registered at run time; the attribute arguments of the same names.
#[derive(Debug, Clone, Default)]
pub struct HookOptions {
    pub(crate) priority: i32,
    pub(crate) backends: Box<[Cow<'static, str>]>,
    pub(crate) timeout: Option<Duration>,
    pub(crate) on_error: Option<ErrorPolicy>,
    pub(crate) mode: HookMode,
    pub(crate) breaker: Option<BreakerConfig>,
}

impl HookOptions {
    /// Higher runs first; hooks of equal priority keep source (registration) order.
    pub fn priority(mut self, priority: i32) -> Self {
        self.priority = priority;
        self
    }

    /// Runs the hook only when the context's auth backend is one of `backends`.
    pub fn backends<I, S>(mut self, backends: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<Cow<'static, str>>,
    {
        self.backends = backends.into_iter().map(Into::into).collect();
        self
    }

    /// Counts an async hook that runs longer than `timeout` as failed (it is cut short).
    /// Async hooks only: registering a sync hook with a timeout is an error, because a
    /// sync fn cannot be interrupted.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// This hook's error policy, instead of its phase's (`on_error = "log"`).
    pub fn on_error(mut self, policy: ErrorPolicy) -> Self {
        self.on_error = Some(policy);
        self
    }

    /// Enforce (the default) or shadow (`mode = "shadow"`: report only).
    pub fn mode(mut self, mode: HookMode) -> Self {
        self.mode = mode;
        self
    }

    /// A circuit breaker (`breaker(failures = 3, open_ms = 30000)`).
    pub fn breaker(mut self, breaker: BreakerConfig) -> Self {
        self.breaker = Some(breaker);
        self
    }
}

/// A hook as shown by [`AuthHookRegistry::hooks`](crate::AuthHookRegistry::hooks):
/// serializable, and free of anything secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HookInfo<'a> {
    /// The hook's name (by default the fn's path).
    pub name: &'a str,
    /// Its phase.
    pub phase: Phase,
    /// Its priority (higher runs first).
    pub priority: i32,
    /// The module it was declared in (`"<runtime>"` for closures).
    pub module: &'a str,
    /// The file it was declared in.
    pub file: &'a str,
    /// The line of its attribute.
    pub line: u32,
    /// The column of its attribute.
    pub column: u32,
    /// Whether it is async.
    pub is_async: bool,
    /// The auth backends it is limited to (empty: all).
    pub backends: Vec<&'a str>,
    /// Its timeout, if any.
    pub timeout_ms: Option<u64>,
    /// Enforce or shadow.
    pub mode: HookMode,
    /// Its own error policy, if it overrides its phase's.
    pub on_error: Option<ErrorPolicy>,
    /// Its circuit breaker's settings, if it has one.
    pub breaker: Option<BreakerConfig>,
}
