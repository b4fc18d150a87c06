//! The hooks an application activated, with the policy of each phase.

use std::borrow::Cow;
use std::fmt;
use std::panic::Location;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use crate::error::ConfigError;
use crate::hook::{Call, Hook, Origin};
use crate::phase_hooks::PhaseHooks;
use crate::phase_runs::PhaseRuns;
use crate::stats::HookStats;
use crate::{
    AuthHookContext, BreakerFallback, ErrorPolicy, HookClock, HookFuture, HookInfo, HookMode,
    HookOptions, HookPolicies, IntoHookResult, Phase, SystemHookClock,
};

/// The hooks an application activated, with the policy of each phase.
///
/// Made by [`ready!`](crate::ready) from the hooks declared with the attribute macros,
/// or empty by [`new`](Self::new) (for tests and for run-time registration). It is an
/// ordinary owned value: keep it in your application state (an `Arc`, an axum `State`).
/// Dispatch takes `&self` and never locks, so any number of threads may run hooks at
/// once; changing the registry takes `&mut self`, which is what start-up code has.
///
/// Each registry keeps its own live state: the hooks' breakers and counts
/// ([`stats`](Self::stats)); a clone shares it.
#[derive(Clone, Default)]
pub struct AuthHookRegistry {
    phases: [PhaseHooks; Phase::ALL.len()],
    policies: HookPolicies,
    pub(crate) live: Arc<Live>,
}

/// What dispatch updates as it runs: the runs of each phase, and the clock of breakers.
pub(crate) struct Live {
    pub(crate) runs: PhaseRuns,
    pub(crate) clock: Arc<dyn HookClock>,
}

impl Default for Live {
    fn default() -> Self {
        Live {
            runs: Default::default(),
            clock: Arc::new(SystemHookClock),
        }
    }
}

impl fmt::Debug for Live {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Live")
            .field("clock", &self.clock)
            .finish_non_exhaustive()
    }
}

/// A phase given as a [`Phase`] or by its name (`"before_login"`).
pub trait IntoPhase {
    /// The phase, or an error naming the unknown text.
    fn into_phase(self) -> Result<Phase, ConfigError>;
}

impl IntoPhase for Phase {
    fn into_phase(self) -> Result<Phase, ConfigError> {
        Ok(self)
    }
}

impl IntoPhase for &str {
    fn into_phase(self) -> Result<Phase, ConfigError> {
        self.parse()
    }
}

impl AuthHookRegistry {
    /// An empty registry with the default policies: isolated from every other registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Builds a registry from hooks already in source order.
    pub(crate) fn from_hooks(hooks: impl IntoIterator<Item = Hook>) -> Result<Self, ConfigError> {
        let mut registry = Self::new();
        for hook in hooks {
            registry.insert(hook)?;
        }
        Ok(registry)
    }

    /// Replaces the policies of every phase.
    pub fn with_policies(mut self, policies: HookPolicies) -> Self {
        for phase in Phase::ALL {
            self.set_policy(phase, policies.get(phase));
        }
        self
    }

    /// Sets the policy of one phase.
    ///
    /// `before_login = log` makes a *failing* deny hook let logins through (a reject
    /// still denies); it is for hooks that only enrich, and is announced with a warning.
    pub fn set_policy(&mut self, phase: Phase, policy: ErrorPolicy) -> &mut Self {
        if phase.can_reject() && policy == ErrorPolicy::Log {
            tracing::warn!(
                phase = phase.as_str(),
                "auth hooks: `{phase} = log` is fail-open: a {phase} hook that returns an error no longer denies the login (a panic, a timeout or a reject still does)"
            );
        }
        self.policies.set(phase, policy);
        self
    }

    /// The policies in force.
    pub fn policies(&self) -> &HookPolicies {
        &self.policies
    }

    /// Registers a sync hook under `name` (unique within its phase) at run time.
    ///
    /// ```
    /// use auth_hooks::{AuthHookContext, AuthHookRegistry, AuthHookReject};
    ///
    /// let mut hooks = AuthHookRegistry::new();
    /// hooks.register("before_login", "deny_root", |ctx: &AuthHookContext| {
    ///     // The normalized name: `Root` and `ＲＯＯＴ` are refused too.
    ///     match ctx.username() {
    ///         Some("root") => Err(AuthHookReject::new("Not allowed.")),
    ///         _ => Ok(()),
    ///     }
    /// })?;
    /// assert!(hooks.register("before_logn", "typo", |_: &AuthHookContext| {}).is_err());
    /// # Ok::<(), auth_hooks::ConfigError>(())
    /// ```
    #[track_caller]
    pub fn register<F, R>(
        &mut self,
        phase: impl IntoPhase,
        name: impl Into<Cow<'static, str>>,
        hook: F,
    ) -> Result<&mut Self, ConfigError>
    where
        F: Fn(&AuthHookContext) -> R + Send + Sync + 'static,
        R: IntoHookResult,
    {
        self.register_with(phase, name, HookOptions::default(), hook)
    }

    /// Like [`register`](Self::register), with a priority, backends or a timeout.
    #[track_caller]
    pub fn register_with<F, R>(
        &mut self,
        phase: impl IntoPhase,
        name: impl Into<Cow<'static, str>>,
        options: HookOptions,
        hook: F,
    ) -> Result<&mut Self, ConfigError>
    where
        F: Fn(&AuthHookContext) -> R + Send + Sync + 'static,
        R: IntoHookResult,
    {
        let name = name.into();
        if options.timeout.is_some() {
            return Err(ConfigError::TimeoutOnSyncHook(name.into_owned()));
        }
        let call = Call::SyncClosure(Arc::new(move |ctx| hook(ctx).into_hook_result()));
        self.register_call(phase.into_phase()?, name, options, call, Location::caller())
    }

    /// Registers an async hook at run time; it returns a boxed future:
    ///
    /// ```
    /// use auth_hooks::{AuthHookContext, AuthHookRegistry, HookFuture};
    ///
    /// let mut hooks = AuthHookRegistry::new();
    /// hooks.register_async("on_login", "audit", |ctx: &AuthHookContext| -> HookFuture<'_> {
    ///     Box::pin(async move {
    ///         println!("login of {:?}", ctx.user_id());
    ///         Ok(())
    ///     })
    /// })?;
    /// # Ok::<(), auth_hooks::ConfigError>(())
    /// ```
    #[track_caller]
    pub fn register_async<F>(
        &mut self,
        phase: impl IntoPhase,
        name: impl Into<Cow<'static, str>>,
        hook: F,
    ) -> Result<&mut Self, ConfigError>
    where
        F: for<'a> Fn(&'a AuthHookContext) -> HookFuture<'a> + Send + Sync + 'static,
    {
        self.register_async_with(phase, name, HookOptions::default(), hook)
    }

    /// Like [`register_async`](Self::register_async), with a priority, backends or a timeout.
    #[track_caller]
    pub fn register_async_with<F>(
        &mut self,
        phase: impl IntoPhase,
        name: impl Into<Cow<'static, str>>,
        options: HookOptions,
        hook: F,
    ) -> Result<&mut Self, ConfigError>
    where
        F: for<'a> Fn(&'a AuthHookContext) -> HookFuture<'a> + Send + Sync + 'static,
    {
        let call = Call::AsyncClosure(Arc::new(hook));
        self.register_call(
            phase.into_phase()?,
            name.into(),
            options,
            call,
            Location::caller(),
        )
    }

    fn register_call(
        &mut self,
        phase: Phase,
        name: Cow<'static, str>,
        options: HookOptions,
        call: Call,
        at: &'static Location<'static>,
    ) -> Result<&mut Self, ConfigError> {
        let origin = Origin {
            module: Cow::Borrowed("<runtime>"),
            file: Cow::Borrowed(at.file()),
            line: at.line(),
            column: at.column(),
        };
        self.insert(Hook::new(phase, name, call, options, origin))?;
        Ok(self)
    }

    /// Adds a hook after those of equal priority, keeping every phase sorted.
    fn insert(&mut self, hook: Hook) -> Result<(), ConfigError> {
        if hook.name.is_empty() {
            return Err(ConfigError::EmptyName);
        }
        check_controls(&hook)?;
        let runs = self.live.runs.get(hook.phase);
        hook.counters.base_runs.store(runs, Ordering::Relaxed);
        let phase = &mut self.phases[hook.phase.index()];
        if phase.hooks().iter().any(|h| h.name == hook.name) {
            return Err(ConfigError::DuplicateHook {
                phase: hook.phase,
                name: hook.name.into_owned(),
            });
        }
        phase.edit(|hooks| hooks.push(hook));
        Ok(())
    }

    /// Removes every hook of every phase (policies stay).
    pub fn clear(&mut self) {
        for phase in &mut self.phases {
            phase.edit(Vec::clear);
        }
    }

    /// Removes every hook of `phase`.
    pub fn clear_phase(&mut self, phase: Phase) {
        self.phases[phase.index()].edit(Vec::clear);
    }

    /// The hooks of `phase`, in the order they run: serializable, for inspection.
    pub fn hooks(&self, phase: Phase) -> Vec<HookInfo<'_>> {
        self.phase_hooks(phase).iter().map(Hook::info).collect()
    }

    /// How many hooks `phase` has.
    pub fn len(&self, phase: Phase) -> usize {
        self.phase_hooks(phase).len()
    }

    /// Whether no phase has a hook.
    pub fn is_empty(&self) -> bool {
        self.phases.iter().all(|phase| phase.hooks().is_empty())
    }

    /// The hooks of `phase`, in order.
    #[inline]
    pub(crate) fn phase_hooks(&self, phase: Phase) -> &[Hook] {
        self.phases[phase.index()].hooks()
    }

    /// `phase`'s hooks, with what dispatch planned for them.
    #[inline]
    pub(crate) fn phase(&self, phase: Phase) -> &PhaseHooks {
        &self.phases[phase.index()]
    }

    /// Changes the hooks of `phase` in place (the phase is planned again after).
    #[cfg(feature = "testing")]
    pub(crate) fn edit_phase<R>(
        &mut self,
        phase: Phase,
        change: impl FnOnce(&mut Vec<Hook>) -> R,
    ) -> R {
        self.phases[phase.index()].edit(change)
    }

    /// Removes the hook `name` of `phase` (in a test: the real mailer of an activated
    /// registry); `false` if there is none.
    pub fn remove(&mut self, phase: Phase, name: &str) -> bool {
        self.phases[phase.index()].edit(|hooks| {
            let before = hooks.len();
            hooks.retain(|h| h.name != name);
            hooks.len() != before
        })
    }

    /// Replaces the fn of hook `name` of `phase` with `hook`, keeping its place, name and
    /// options (in a test: a fake mailer instead of the real one).
    pub fn replace<F, R>(&mut self, phase: Phase, name: &str, hook: F) -> Result<(), ConfigError>
    where
        F: Fn(&AuthHookContext) -> R + Send + Sync + 'static,
        R: IntoHookResult,
    {
        self.phases[phase.index()].edit(|hooks| {
            let target = hooks
                .iter_mut()
                .find(|h| h.name == name)
                .ok_or_else(|| ConfigError::UnknownHook(name.to_owned()))?;
            target.call = Call::SyncClosure(Arc::new(move |ctx| hook(ctx).into_hook_result()));
            target.options.timeout = None;
            target.reconfigure();
            Ok(())
        })
    }

    /// Gives `phase` a time budget: past it, the phase stops before its next hook (a
    /// phase that may refuse fails closed with [`HookFailure::BudgetExceeded`](crate::HookFailure::BudgetExceeded);
    /// an after-phase logs it and the flow goes on), and an async hook gets at most
    /// what is left as its timeout.
    pub fn set_budget(&mut self, phase: Phase, budget: Duration) -> &mut Self {
        self.phases[phase.index()].set_budget(Some(budget));
        self
    }

    /// The time budget of `phase`, if it has one.
    pub fn budget(&self, phase: Phase) -> Option<Duration> {
        self.phase(phase).budget()
    }

    /// Records each hook call's duration in [`stats`](Self::stats) (off by default: it
    /// reads the clock twice a hook).
    pub fn time_hooks(&mut self, on: bool) -> &mut Self {
        for phase in &mut self.phases {
            phase.set_time_hooks(on);
        }
        self
    }

    /// The clock of the hooks' breakers ([`SystemHookClock`] by default; a
    /// [`FakeHookClock`](crate::FakeHookClock) in tests).
    pub fn set_clock(&mut self, clock: Arc<dyn HookClock>) -> &mut Self {
        let runs = PhaseRuns::starting_at(self.live.runs.all());
        self.live = Arc::new(Live { runs, clock });
        self
    }

    /// Every hook's live counts, phase by phase in running order: serializable, for an
    /// admin page or an exporter.
    pub fn stats(&self) -> Vec<HookStats> {
        let now = self.live.clock.now_ms();
        Phase::ALL
            .into_iter()
            .flat_map(|phase| {
                let runs = self.live.runs.get(phase);
                HookStats::of_phase(runs, self.phase_hooks(phase).iter(), now)
            })
            .collect()
    }

    /// Calls `change` on every hook of every phase named `name`; how many there were.
    pub(crate) fn edit_hooks_named(
        &mut self,
        name: &str,
        mut change: impl FnMut(&mut Hook) -> Result<(), ConfigError>,
    ) -> Result<usize, ConfigError> {
        let mut found = 0;
        for phase in &mut self.phases {
            phase.edit(|hooks| {
                for hook in hooks.iter_mut().filter(|h| h.name == name) {
                    found += 1;
                    change(hook)?;
                }
                Ok::<(), ConfigError>(())
            })?;
        }
        Ok(found)
    }

    /// Removes every hook named `name`.
    pub(crate) fn remove_named(&mut self, name: &str) {
        for phase in &mut self.phases {
            phase.edit(|hooks| hooks.retain(|h| h.name != name));
        }
    }
}

/// Refuses controls that cannot work, and warns of a hook that fails open.
pub(crate) fn check_controls(hook: &Hook) -> Result<(), ConfigError> {
    if hook.options.mode == HookMode::Shadow && !hook.phase.can_reject() {
        return Err(ConfigError::ShadowAfterTheFact {
            hook: hook.name.to_string(),
            phase: hook.phase,
        });
    }
    if hook.options.timeout.is_some() && !hook.call.is_async() {
        return Err(ConfigError::TimeoutOnSyncHook(hook.name.to_string()));
    }
    if hook.phase.can_reject() && hook.options.on_error == Some(ErrorPolicy::Log) {
        tracing::warn!(
            phase = hook.phase.as_str(),
            hook = &*hook.name,
            "auth hooks: `on_error = log` is fail-open: when this hook returns an error the {} goes on (a panic, a timeout or a reject still stops it)",
            hook.phase
        );
    }
    let allows_when_open = hook
        .options
        .breaker
        .is_some_and(|b| b.fallback == BreakerFallback::Allow);
    // A shadow hook enforces nothing either way.
    if hook.phase.can_reject() && allows_when_open && hook.options.mode != HookMode::Shadow {
        tracing::warn!(
            phase = hook.phase.as_str(),
            hook = &*hook.name,
            "auth hooks: `fallback = \"allow\"` is fail-open: while this hook's breaker is open the {} goes on without its check",
            hook.phase
        );
    }
    Ok(())
}

impl std::fmt::Debug for AuthHookRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut map = f.debug_map();
        for phase in Phase::ALL {
            let names: Vec<&str> = self.phase_hooks(phase).iter().map(|h| &*h.name).collect();
            map.entry(&phase.as_str(), &names);
        }
        map.entry(&"policies", &self.policies).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn priority_overrides_and_ties_keep_registration_order() {
        let mut r = AuthHookRegistry::new();
        r.register(Phase::OnLogin, "a", |_: &AuthHookContext| {})
            .unwrap();
        r.register_with(
            Phase::OnLogin,
            "b",
            HookOptions::default().priority(5),
            |_: &AuthHookContext| {},
        )
        .unwrap();
        r.register(Phase::OnLogin, "c", |_: &AuthHookContext| {})
            .unwrap();
        r.register_with(
            Phase::OnLogin,
            "d",
            HookOptions::default().priority(-1),
            |_: &AuthHookContext| {},
        )
        .unwrap();
        let names: Vec<_> = r.hooks(Phase::OnLogin).iter().map(|h| h.name).collect();
        assert_eq!(names, ["b", "a", "c", "d"]);
    }

    #[test]
    fn a_name_is_unique_per_phase_and_not_empty() {
        let mut r = AuthHookRegistry::new();
        r.register("on_login", "audit", |_: &AuthHookContext| {})
            .unwrap();
        r.register("on_logout", "audit", |_: &AuthHookContext| {})
            .unwrap();
        assert_eq!(
            r.register("on_login", "audit", |_: &AuthHookContext| {})
                .unwrap_err(),
            ConfigError::DuplicateHook {
                phase: Phase::OnLogin,
                name: "audit".into()
            }
        );
        assert_eq!(
            r.register("on_login", "", |_: &AuthHookContext| {})
                .unwrap_err(),
            ConfigError::EmptyName
        );
        assert_eq!(
            r.register("on_signup", "x", |_: &AuthHookContext| {})
                .unwrap_err(),
            ConfigError::UnknownPhase("on_signup".into())
        );
    }

    #[test]
    fn inspection_reports_where_a_runtime_hook_was_registered() {
        let mut r = AuthHookRegistry::new();
        let line = line!() + 1;
        r.register("before_login", "x", |_: &AuthHookContext| {})
            .unwrap();
        let info = &r.hooks(Phase::BeforeLogin)[0];
        assert_eq!(
            (info.file, info.line, info.module),
            (file!(), line, "<runtime>")
        );
        let json = serde_json::to_value(info).unwrap();
        assert_eq!(json["phase"], "before_login");
        assert_eq!(json["is_async"], false);
    }

    #[test]
    fn clear_empties_every_phase_and_keeps_policies() {
        let mut r = AuthHookRegistry::new();
        r.set_policy(Phase::OnLogin, ErrorPolicy::Raise);
        r.register("on_login", "a", |_: &AuthHookContext| {})
            .unwrap();
        r.register("on_logout", "b", |_: &AuthHookContext| {})
            .unwrap();
        r.clear_phase(Phase::OnLogout);
        assert_eq!(r.len(Phase::OnLogout), 0);
        assert_eq!(r.len(Phase::OnLogin), 1);
        r.clear();
        assert!(r.is_empty());
        assert_eq!(r.policies().get(Phase::OnLogin), ErrorPolicy::Raise);
    }
}
