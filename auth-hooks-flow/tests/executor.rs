//! A login's argon2 work must not stall the other tasks of its Tokio worker.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use auth_hooks::AuthHookRegistry;
use auth_hooks_flow::PasswordHasher;
use auth_hooks_test_support::flow::{ada, request, Fixture, FixtureOptions, PASSWORD};

#[test]
fn other_tasks_keep_running_while_a_login_hashes() {
    // Costly enough to take a while even with argon2 optimised in dev builds.
    let options = FixtureOptions {
        hasher: PasswordHasher::new(64 * 1024, 3, 1).unwrap(),
        ..FixtureOptions::default()
    };
    let fx = Arc::new(Fixture::with(AuthHookRegistry::new(), options));
    // One worker: were the hash run on it, it would hold the only thread that runs
    // tasks, and the ticker below could not tick until it is done. It runs on the
    // backend's hashing threads instead.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let ticks = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicBool::new(false));
    let (hash_time, ticks_during) = rt.block_on(async {
        let ticker = {
            let (ticks, done) = (ticks.clone(), done.clone());
            tokio::spawn(async move {
                while !done.load(Ordering::SeqCst) {
                    tokio::time::sleep(Duration::from_millis(2)).await;
                    ticks.fetch_add(1, Ordering::SeqCst);
                }
            })
        };
        tokio::time::sleep(Duration::from_millis(10)).await; // the ticker is running
        let login = {
            let (fx, ticks) = (fx.clone(), ticks.clone());
            tokio::spawn(async move {
                let before = ticks.load(Ordering::SeqCst);
                let started = Instant::now();
                fx.flow.login(ada(PASSWORD), request()).await.unwrap();
                (started.elapsed(), ticks.load(Ordering::SeqCst) - before)
            })
        };
        let (elapsed, during) = login.await.unwrap();
        done.store(true, Ordering::SeqCst);
        ticker.await.unwrap();
        (elapsed, during)
    });
    // At one tick per 2 ms, a free ticker makes dozens of ticks while the login hashes;
    // a stalled one makes almost none. Ask for a quarter of the ideal count.
    let expected = (hash_time.as_millis() / 2 / 4) as usize;
    assert!(
        hash_time >= Duration::from_millis(20),
        "the hash was too cheap to tell: {hash_time:?}"
    );
    assert!(
        ticks_during >= expected,
        "only {ticks_during} ticks during a {hash_time:?} login (wanted ≥ {expected})"
    );
}
