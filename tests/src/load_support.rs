//! What the load tests share: firing many requests at once (or with bounded
//! concurrency) and timing each, latency percentiles reported past the harness's output
//! capture, a per-key tally of hook runs, and a gauge of how many requests are inside a
//! hook at the same time.

use std::collections::HashMap;
use std::future::Future;
use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{Barrier, Semaphore};

/// Runs `make(0)`…`make(n - 1)` as `n` tasks released together by a barrier, so that
/// they really are in flight at once; returns each output with its duration, by index.
pub async fn all_at_once<F, Fut, T>(n: usize, make: F) -> Vec<(T, Duration)>
where
    F: Fn(usize) -> Fut,
    Fut: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let barrier = Arc::new(Barrier::new(n + 1));
    let tasks: Vec<_> = (0..n)
        .map(|i| {
            // A future does nothing until polled: the work starts after the barrier.
            let work = make(i);
            let barrier = barrier.clone();
            tokio::spawn(async move {
                barrier.wait().await;
                let start = Instant::now();
                let out = work.await;
                (out, start.elapsed())
            })
        })
        .collect();
    barrier.wait().await;
    let mut results = Vec::with_capacity(n);
    for task in tasks {
        results.push(task.await.expect("a load task panicked"));
    }
    results
}

/// Runs `make(0)`…`make(n - 1)` with at most `limit` in flight (setup and checks, not
/// the load under test); returns the outputs by index.
pub async fn bounded<F, Fut, T>(n: usize, limit: usize, make: F) -> Vec<T>
where
    F: Fn(usize) -> Fut,
    Fut: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let permits = Arc::new(Semaphore::new(limit));
    let tasks: Vec<_> = (0..n)
        .map(|i| {
            let work = make(i);
            let permits = permits.clone();
            tokio::spawn(async move {
                let _permit = permits.acquire_owned().await.expect("never closed");
                work.await
            })
        })
        .collect();
    let mut results = Vec::with_capacity(n);
    for task in tasks {
        results.push(task.await.expect("a task panicked"));
    }
    results
}

/// Latencies of one kind of request, for percentiles.
pub struct Latencies {
    sorted: Vec<Duration>,
}

impl Latencies {
    /// The latencies of `samples` (at least one).
    pub fn new(samples: impl IntoIterator<Item = Duration>) -> Self {
        let mut sorted: Vec<Duration> = samples.into_iter().collect();
        assert!(!sorted.is_empty(), "no latency was measured");
        sorted.sort_unstable();
        Latencies { sorted }
    }

    /// The `p`-th percentile (0 < p ≤ 100), nearest rank: the smallest sample at least
    /// `p` % of the samples do not exceed.
    pub fn percentile(&self, p: f64) -> Duration {
        assert!(p > 0.0 && p <= 100.0, "percentile {p} out of (0, 100]");
        let rank = (p / 100.0 * self.sorted.len() as f64).ceil() as usize;
        self.sorted[rank.clamp(1, self.sorted.len()) - 1]
    }

    /// The slowest sample.
    pub fn max(&self) -> Duration {
        *self.sorted.last().expect("not empty")
    }

    /// How many samples.
    pub fn len(&self) -> usize {
        self.sorted.len()
    }

    /// Always `false`: there is at least one sample.
    pub fn is_empty(&self) -> bool {
        self.sorted.is_empty()
    }

    /// `n=… p50=… p99=… max=…`, in milliseconds.
    pub fn summary(&self) -> String {
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        format!(
            "n={} p50={:.1}ms p99={:.1}ms max={:.1}ms",
            self.len(),
            ms(self.percentile(50.0)),
            ms(self.percentile(99.0)),
            ms(self.max())
        )
    }
}

/// Prints `test: line` past the harness's output capture, so that it shows in the
/// output of passing tests too (see `auth_hooks_test_support::redis::skip`).
pub fn report(test: &str, line: &str) {
    let _ = writeln!(std::io::stderr(), "LOAD {test}: {line}");
}

/// How many times each hook ran for each key (an attempt number, a session hash, a
/// token id), to check that every hook ran exactly once per request.
#[derive(Default)]
pub struct HookTally {
    runs: Mutex<HashMap<&'static str, HashMap<String, u32>>>,
}

impl HookTally {
    /// An empty tally, shared by the hooks that record into it.
    pub fn new() -> Arc<Self> {
        Arc::default()
    }

    /// Records one run of `hook` for `key`.
    pub fn record(&self, hook: &'static str, key: impl Into<String>) {
        *self
            .runs
            .lock()
            .unwrap()
            .entry(hook)
            .or_default()
            .entry(key.into())
            .or_default() += 1;
    }

    /// The runs of `hook`, by key (empty if it never ran).
    pub fn runs(&self, hook: &str) -> HashMap<String, u32> {
        self.runs
            .lock()
            .unwrap()
            .get(hook)
            .cloned()
            .unwrap_or_default()
    }

    /// Every run of every hook, added up.
    pub fn total(&self) -> u32 {
        self.runs
            .lock()
            .unwrap()
            .values()
            .flat_map(HashMap::values)
            .sum()
    }

    /// Asserts that `hook` ran exactly once for each of `expected` and for nothing else.
    pub fn assert_once_each<I, K>(&self, hook: &str, expected: I)
    where
        I: IntoIterator<Item = K>,
        K: Into<String>,
    {
        let runs = self.runs(hook);
        let expected: HashMap<String, u32> = expected.into_iter().map(|k| (k.into(), 1)).collect();
        let wrong: Vec<_> = runs
            .iter()
            .filter(|(key, n)| expected.get(*key) != Some(n))
            .map(|(key, n)| format!("{key}: ran {n}×"))
            .chain(
                expected
                    .keys()
                    .filter(|key| !runs.contains_key(*key))
                    .map(|key| format!("{key}: never ran")),
            )
            .take(10)
            .collect();
        assert!(
            wrong.is_empty(),
            "hook {hook} ran {} times for {} keys, expected once for each of {}; e.g. {wrong:?}",
            runs.values().sum::<u32>(),
            runs.len(),
            expected.len()
        );
    }
}

/// How many requests are inside a section at once, and the most there ever were.
#[derive(Default)]
pub struct InFlight {
    current: AtomicUsize,
    max: AtomicUsize,
}

/// One request inside an [`InFlight`] section; leaving is dropping it.
pub struct InFlightGuard(Arc<InFlight>);

impl InFlight {
    /// A gauge at zero.
    pub fn new() -> Arc<Self> {
        Arc::default()
    }

    /// Enters the section until the guard is dropped.
    pub fn enter(self: &Arc<Self>) -> InFlightGuard {
        let now = self.current.fetch_add(1, Ordering::SeqCst) + 1;
        self.max.fetch_max(now, Ordering::SeqCst);
        InFlightGuard(self.clone())
    }

    /// The most requests that were inside at once.
    pub fn max(&self) -> usize {
        self.max.load(Ordering::SeqCst)
    }

    /// How many are inside now.
    pub fn current(&self) -> usize {
        self.current.load(Ordering::SeqCst)
    }
}

impl Drop for InFlightGuard {
    fn drop(&mut self) {
        self.0.current.fetch_sub(1, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let l = Latencies::new((1..=100).map(Duration::from_millis));
        assert_eq!(l.percentile(50.0), Duration::from_millis(50));
        assert_eq!(l.percentile(99.0), Duration::from_millis(99));
        assert_eq!(l.percentile(100.0), Duration::from_millis(100));
        assert_eq!(l.max(), Duration::from_millis(100));
        let one = Latencies::new([Duration::from_millis(7)]);
        assert_eq!(one.percentile(1.0), Duration::from_millis(7));
        assert_eq!(one.percentile(99.0), Duration::from_millis(7));
    }

    #[test]
    fn the_tally_finds_a_missing_run_and_a_double_run() {
        let tally = HookTally::new();
        tally.record("h", "a");
        tally.record("h", "b");
        tally.assert_once_each("h", ["a", "b"]);
        assert_eq!(tally.total(), 2);
        let missing =
            std::panic::catch_unwind(|| tally.assert_once_each("h", ["a", "b", "c"])).is_err();
        assert!(missing);
        tally.record("h", "a");
        let double = std::panic::catch_unwind(|| tally.assert_once_each("h", ["a", "b"])).is_err();
        assert!(double);
    }

    #[test]
    fn the_gauge_keeps_the_peak() {
        let gauge = InFlight::new();
        let a = gauge.enter();
        let b = gauge.enter();
        drop(a);
        let _c = gauge.enter();
        drop(b);
        assert_eq!((gauge.current(), gauge.max()), (1, 2));
    }
}
