//! The live counts reach the `metrics` facade with the hook and phase as labels.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use auth_hooks::{AuthHookContext, AuthHookRegistry, AuthHookReject, Phase};
use metrics::{
    Counter, CounterFn, Gauge, Histogram, Key, KeyName, Metadata, Recorder, SharedString, Unit,
};

/// Every counter's last absolute value, by name and labels.
#[derive(Default)]
struct Counters(Arc<Mutex<BTreeMap<String, u64>>>);

struct One(String, Arc<Mutex<BTreeMap<String, u64>>>);

impl CounterFn for One {
    fn increment(&self, value: u64) {
        *self.1.lock().unwrap().entry(self.0.clone()).or_default() += value;
    }
    fn absolute(&self, value: u64) {
        self.1.lock().unwrap().insert(self.0.clone(), value);
    }
}

impl Recorder for Counters {
    fn describe_counter(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_gauge(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_histogram(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn register_counter(&self, key: &Key, _: &Metadata<'_>) -> Counter {
        let labels: Vec<String> = key
            .labels()
            .map(|l| format!("{}={}", l.key(), l.value()))
            .collect();
        let name = format!("{}{{{}}}", key.name(), labels.join(","));
        Counter::from_arc(Arc::new(One(name, self.0.clone())))
    }
    fn register_gauge(&self, _: &Key, _: &Metadata<'_>) -> Gauge {
        Gauge::noop()
    }
    fn register_histogram(&self, _: &Key, _: &Metadata<'_>) -> Histogram {
        Histogram::noop()
    }
}

#[test]
fn publish_metrics_reports_every_hook_count_labelled() {
    let mut hooks = AuthHookRegistry::new();
    hooks
        .register(
            Phase::BeforeLogin,
            "deny_bob",
            |ctx: &AuthHookContext| match ctx.user_id() {
                Some("bob") => Err(AuthHookReject::new("no")),
                _ => Ok(()),
            },
        )
        .unwrap();
    for user in ["ada", "bob", "ada"] {
        let _ = hooks.run_blocking(
            Phase::BeforeLogin,
            &AuthHookContext::builder().user_id(user).build(),
        );
    }
    let recorder = Counters::default();
    metrics::with_local_recorder(&recorder, || hooks.publish_metrics());
    let seen = recorder.0.lock().unwrap();
    let labels = "{phase=before_login,hook=deny_bob}";
    assert_eq!(seen[&format!("auth_hooks_calls_total{labels}")], 3);
    assert_eq!(seen[&format!("auth_hooks_passes_total{labels}")], 2);
    assert_eq!(seen[&format!("auth_hooks_rejects_total{labels}")], 1);
    assert_eq!(seen[&format!("auth_hooks_would_deny_total{labels}")], 0);
}
