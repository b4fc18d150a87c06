//! One activated hook as the registry keeps it, and its public description.

use std::borrow::Cow;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;

use crate::__private::HookEntry;
use crate::{AuthHookContext, HookFn, HookFuture, HookResult, Phase};

/// A sync closure registered at run time.
pub(crate) type SyncClosure = Arc<dyn Fn(&AuthHookContext) -> HookResult + Send + Sync>;
/// An async closure registered at run time.
pub(crate) type AsyncClosure =
    Arc<dyn for<'a> Fn(&'a AuthHookContext) -> HookFuture<'a> + Send + Sync>;

/// How the registry calls a hook. Flat, so that dispatch tells the kinds apart with one
/// test of the tag.
#[derive(Clone)]
pub(crate) enum Call {
    SyncFn(fn(&AuthHookContext) -> HookResult),
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

/// One activated hook.
#[derive(Clone)]
pub(crate) struct Hook {
    pub(crate) phase: Phase,
    pub(crate) name: Cow<'static, str>,
    pub(crate) call: Call,
    pub(crate) options: HookOptions,
    pub(crate) origin: Origin,
}

impl Hook {
    pub(crate) fn from_entry(entry: &'static HookEntry) -> Self {
        Hook {
            phase: entry.phase,
            name: Cow::Borrowed(entry.name),
            call: entry.call.into(),
            options: HookOptions {
                priority: entry.priority,
                backends: entry.backends.iter().map(|b| Cow::Borrowed(*b)).collect(),
                timeout: entry.timeout_ms.map(Duration::from_millis),
            },
            origin: Origin {
                module: Cow::Borrowed(entry.module_path),
                file: Cow::Borrowed(entry.file),
                line: entry.line,
                column: entry.column,
            },
        }
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
        }
    }
}

/// Options of a hook registered at run time; the attribute arguments of the same names.
#[derive(Debug, Clone, Default)]
pub struct HookOptions {
    pub(crate) priority: i32,
    pub(crate) backends: Box<[Cow<'static, str>]>,
    pub(crate) timeout: Option<Duration>,
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
}
