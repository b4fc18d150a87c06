//! A flood of logins at production argon2 parameters (`PasswordHasher::owasp()`, m = 19
//! MiB) against the real server on 127.0.0.1, with the default hashing pool (N = cores
//! threads, a queue of 16 × N): 1,000 unknown-user logins released at once, while a
//! logged-in client keeps calling `GET /me`. Asserted:
//!
//! - every flood answer is a 401 (its dummy verify ran) or a 503 with `Retry-After`
//!   (the hashing queue was full), nothing else;
//! - the process's RSS (`VmRSS`, sampled every few milliseconds; the peak) grows by at
//!   most N × 19 MiB + 64 MiB: one argon2 buffer per hashing thread, whatever the flood;
//! - `/me` stays fast, p99 under 50 ms: the hashing runs on the pool's threads, and the
//!   logins wait for it without holding a runtime worker.
//!
//! The server runs on a runtime of its own (two workers), the flood's client on
//! another, and the `/me` client on a thread of its own, as they would be separate
//! processes: a latency measured is the server's, not a client's backlog.
//!
//! Bounded: every request times out ([`REQUEST_TIMEOUT`]), the whole test too
//! ([`BUDGET`]). Ignored by default (seconds of real argon2): run it in release with
//! `cargo test -p tests --release --test flood -- --ignored --nocapture`. The figures are
//! printed past the output capture, as `FLOOD …` lines.

use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use auth_hooks_axum::WebConfig;
use auth_hooks_flow::{
    AuthFlow, MemorySessionStore, MemoryUserStore, PasswordBackend, PasswordHasher, SessionKey,
    SessionManager,
};
use reqwest::header::{COOKIE, ORIGIN, RETRY_AFTER};
use reqwest::StatusCode;
use serde_json::json;
use tests::http_support::{client_with_timeout, cookie_value, TestServer};
use tests::load_support::{all_at_once, Latencies};

/// Unknown-user logins released at once.
const FLOOD: usize = 1000;
/// How long one request may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// The most the whole test may take.
const BUDGET: Duration = Duration::from_secs(120);
/// The memory of one argon2 hash at OWASP parameters.
const ARGON2_BUFFER: u64 = 19 * 1024 * 1024;
/// What the flood may cost besides the argon2 buffers: its connections and requests.
const OTHER_GROWTH: u64 = 64 * 1024 * 1024;
/// The `/me` p99 latency the flood must not push past.
const ME_P99: Duration = Duration::from_millis(50);
/// The pause between two `/me` calls.
const ME_PAUSE: Duration = Duration::from_millis(5);
const PASSWORD: &str = "correct horse battery staple";

/// Prints `FLOOD line` past the harness's output capture.
fn report(line: &str) {
    let _ = writeln!(std::io::stdout(), "FLOOD {line}");
}

/// This process's resident set, in bytes (`VmRSS` of `/proc/self/status`).
fn rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let kib: u64 = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("a VmRSS line in kB");
    kib * 1024
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

/// The peak RSS while it runs, sampled on a thread of its own.
struct RssPeak {
    peak: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    thread: thread::JoinHandle<()>,
}

impl RssPeak {
    fn start() -> Self {
        let (peak, stop) = (
            Arc::new(AtomicU64::new(rss())),
            Arc::new(AtomicBool::new(false)),
        );
        let thread = thread::spawn({
            let (peak, stop) = (peak.clone(), stop.clone());
            move || {
                while !stop.load(Ordering::SeqCst) {
                    peak.fetch_max(rss(), Ordering::SeqCst);
                    thread::sleep(Duration::from_millis(2));
                }
            }
        });
        RssPeak { peak, stop, thread }
    }

    fn stop(self) -> u64 {
        self.stop.store(true, Ordering::SeqCst);
        self.thread.join().expect("the RSS sampler ran");
        self.peak.load(Ordering::SeqCst).max(rss())
    }
}

/// `GET /me` with `cookie` again and again until stopped, on a thread and runtime of
/// its own; each answer must be a 200.
struct MeProbe {
    stop: Arc<AtomicBool>,
    thread: thread::JoinHandle<Vec<Duration>>,
}

impl MeProbe {
    fn start(url: String, cookie: String) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let thread = thread::spawn({
            let stop = stop.clone();
            move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("a runtime");
                runtime.block_on(async {
                    let http = client_with_timeout(REQUEST_TIMEOUT);
                    let mut latencies = Vec::new();
                    while !stop.load(Ordering::SeqCst) {
                        let start = Instant::now();
                        let response = http
                            .get(&url)
                            .header(COOKIE, format!("session={cookie}"))
                            .send()
                            .await
                            .expect("GET /me answers");
                        assert_eq!(response.status(), StatusCode::OK, "GET /me");
                        response.bytes().await.expect("GET /me body");
                        latencies.push(start.elapsed());
                        tokio::time::sleep(ME_PAUSE).await;
                    }
                    latencies
                })
            }
        });
        MeProbe { stop, thread }
    }

    fn stop(self) -> Latencies {
        self.stop.store(true, Ordering::SeqCst);
        Latencies::new(self.thread.join().expect("the /me probe ran"))
    }
}

/// A runtime of `workers` threads.
fn runtime(workers: usize) -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()
        .expect("a runtime")
}

#[test]
#[ignore = "real argon2 parameters: run with --release -- --ignored"]
fn a_login_flood_is_refused_or_answered_in_bounded_memory_and_me_stays_fast() {
    let threads = thread::available_parallelism().map_or(1, usize::from);
    let hasher = PasswordHasher::owasp();
    let users = Arc::new(MemoryUserStore::new());
    users.add("u-ada", "ada", PASSWORD, &hasher).unwrap();
    let sessions = SessionManager::new(
        SessionKey::new([7u8; 32]).unwrap(),
        Arc::new(MemorySessionStore::new()),
    );
    let flow = AuthFlow::builder(PasswordBackend::new(users, hasher))
        .sessions(sessions)
        .build()
        .unwrap();

    let server_runtime = runtime(2);
    let server =
        server_runtime.block_on(TestServer::start(flow, WebConfig::default().https(false)));
    let client_runtime = runtime(2);
    client_runtime.block_on(async {
        tokio::time::timeout(BUDGET, flood(&server, threads))
            .await
            .expect("the flood test finished within its budget")
    });
    server_runtime.block_on(server.stop());
}

async fn flood(server: &TestServer, threads: usize) {
    let http = client_with_timeout(REQUEST_TIMEOUT);
    let (login, origin) = (server.url("/login"), server.origin());
    let response = http
        .post(&login)
        .header(ORIGIN, &origin)
        .json(&json!({ "username": "ada", "password": PASSWORD }))
        .send()
        .await
        .expect("POST /login answers");
    assert_eq!(response.status(), StatusCode::OK, "ada logs in");
    let cookie = cookie_value(response.headers(), "session").expect("a session cookie");

    let before = rss();
    let peak = RssPeak::start();
    let me = MeProbe::start(server.url("/me"), cookie);
    let started = Instant::now();
    let answers = all_at_once(FLOOD, |i| {
        http.post(&login)
            .header(ORIGIN, &origin)
            .json(&json!({ "username": format!("nobody-{i}"), "password": PASSWORD }))
            .send()
    })
    .await;
    let flood_time = started.elapsed();
    let me = me.stop();
    let peak = peak.stop();

    let (mut refused, mut rejected, mut wrong) = (Vec::new(), Vec::new(), Vec::new());
    for (i, (answer, took)) in answers.into_iter().enumerate() {
        match answer {
            Ok(response) if response.status() == StatusCode::UNAUTHORIZED => rejected.push(took),
            Ok(response)
                if response.status() == StatusCode::SERVICE_UNAVAILABLE
                    && response.headers().contains_key(RETRY_AFTER) =>
            {
                refused.push(took)
            }
            Ok(response) => wrong.push(format!(
                "#{i}: {} (Retry-After: {:?})",
                response.status(),
                response.headers().get(RETRY_AFTER)
            )),
            Err(error) => wrong.push(format!("#{i}: {error}")),
        }
    }
    let growth = peak.saturating_sub(before);
    let allowed = threads as u64 * ARGON2_BUFFER + OTHER_GROWTH;
    report(&format!(
        "{FLOOD} unknown-user logins in {:.0} ms on {threads} hashing threads: \
         {} answered 401, {} answered 503 + Retry-After, {} otherwise",
        flood_time.as_secs_f64() * 1e3,
        rejected.len(),
        refused.len(),
        wrong.len()
    ));
    if !rejected.is_empty() {
        report(&format!("401s: {}", Latencies::new(rejected).summary()));
    }
    if !refused.is_empty() {
        report(&format!("503s: {}", Latencies::new(refused).summary()));
    }
    report(&format!(
        "RSS before {:.1} MiB, peak {:.1} MiB: growth {:.1} MiB (allowed {:.1} MiB = \
         {threads} x 19 MiB + 64 MiB)",
        mib(before),
        mib(peak),
        mib(growth),
        mib(allowed)
    ));
    report(&format!("GET /me during the flood: {}", me.summary()));

    assert!(
        wrong.is_empty(),
        "{} flood answers were neither 401 nor 503 + Retry-After, e.g. {:?}",
        wrong.len(),
        &wrong[..wrong.len().min(5)]
    );
    assert!(
        growth <= allowed,
        "RSS grew by {:.1} MiB, more than {:.1} MiB",
        mib(growth),
        mib(allowed)
    );
    assert!(
        me.percentile(99.0) < ME_P99,
        "GET /me p99 {:?} during the flood (want < {ME_P99:?})",
        me.percentile(99.0)
    );
}
