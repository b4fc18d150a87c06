//! The live counts through the `metrics` facade, for Prometheus, StatsD and the other
//! exporters it has.

use crate::AuthHookRegistry;

impl AuthHookRegistry {
    /// Publishes every hook's counts ([`stats`](Self::stats)) through the `metrics`
    /// facade, as counters labelled `phase` and `hook`: `auth_hooks_calls_total`,
    /// `auth_hooks_passes_total`, `auth_hooks_rejects_total`, `auth_hooks_failures_total`,
    /// `auth_hooks_timeouts_total`, `auth_hooks_would_deny_total`,
    /// `auth_hooks_would_fail_total`, `auth_hooks_breaker_opens_total`,
    /// `auth_hooks_breaker_skips_total`. Call it on the exporter's schedule (a scrape,
    /// a timer): dispatch itself never touches the recorder, so hooks that pass cost
    /// nothing more.
    pub fn publish_metrics(&self) {
        for stats in self.stats() {
            let labels = [
                ("phase", stats.phase.as_str().to_owned()),
                ("hook", stats.name.clone()),
            ];
            for (name, value) in [
                ("auth_hooks_calls_total", stats.calls),
                ("auth_hooks_passes_total", stats.passes),
                ("auth_hooks_rejects_total", stats.rejects),
                ("auth_hooks_failures_total", stats.failures),
                ("auth_hooks_timeouts_total", stats.timeouts),
                ("auth_hooks_would_deny_total", stats.would_deny),
                ("auth_hooks_would_fail_total", stats.would_fail),
                ("auth_hooks_breaker_opens_total", stats.breaker_opens),
                ("auth_hooks_breaker_skips_total", stats.breaker_skips),
            ] {
                metrics::counter!(name, &labels).absolute(value);
            }
        }
    }
}
