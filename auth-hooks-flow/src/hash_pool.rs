//! The threads that hash the passwords of logins: a few of their own, each with one
//! reusable argon2 buffer, behind a bounded queue. However many logins arrive at once,
//! hashing holds at most `threads` buffers of the current m_cost, runs at most
//! `threads` hashes at a time, and a login that finds the queue full is refused at once.
//!
//! A login waits for its answer on a oneshot channel, so no async worker thread is
//! blocked and a waiting login costs only its job (a copy of the password, wiped when
//! dropped). A login dropped while it waits (the client hung up) costs nothing more: its
//! job is skipped if not begun, and its answer dropped if it was.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use argon2::password_hash::{Output, Salt};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use tokio::sync::oneshot;
use zeroize::Zeroizing;

use crate::password::{malformed, new_salt, parse_phc, phc_string};
use crate::{PasswordError, PasswordHasher};

/// The shortest `retry_after` an overloaded pool answers.
const MIN_RETRY_AFTER: Duration = Duration::from_secs(1);

/// Hashing threads and their queue; clones share them. The threads end when the last
/// clone is dropped (after the hash each may be computing).
#[derive(Clone)]
pub(crate) struct HashPool {
    jobs: SyncSender<Job>,
    load: Arc<Load>,
}

/// Why the pool gave no answer.
#[derive(Debug)]
pub(crate) enum PoolError {
    /// Every thread is hashing and the queue is full: try again after `retry_after`.
    Overloaded {
        /// About how long the queue takes to drain.
        retry_after: Duration,
    },
    /// The hash could not be computed (a malformed stored hash, an RNG failure).
    Failed(PasswordError),
}

/// What a worker tells a test's probe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Event {
    /// A hash begins.
    Started,
    /// A hash ended; the worker keeps a buffer of `kept_blocks` blocks.
    Finished {
        /// The blocks the worker's buffer holds now.
        kept_blocks: usize,
    },
    /// A worker thread ended.
    Stopped,
}

/// Watches the workers, in tests.
pub(crate) type Probe = Arc<dyn Fn(Event) + Send + Sync>;

/// How many jobs are in the pool, and how long a hash takes.
struct Load {
    /// Jobs admitted and not finished: waiting, or being hashed.
    admitted: AtomicUsize,
    /// The most jobs admitted at once: threads + queue capacity.
    limit: usize,
    threads: usize,
    queue: usize,
    /// How long the latest hash took, in microseconds.
    last_hash_micros: AtomicU64,
}

/// One admitted job; dropping it makes room for another.
struct Admission(Arc<Load>);

/// A hash to compute, and where to send its answer.
struct Job {
    password: Zeroizing<Vec<u8>>,
    task: Task,
    reply: oneshot::Sender<Result<Answer, PasswordError>>,
    admission: Admission,
}

enum Task {
    /// Does the password match this stored PHC string?
    Verify(String),
    /// The same, against the hasher's dummy PHC string; the answer is dropped.
    DummyVerify,
    /// A new PHC string with the current parameters.
    Hash,
}

enum Answer {
    /// `(matches, needs_rehash)`.
    Verified(bool, bool),
    Hashed(String),
}

impl HashPool {
    /// Starts `threads` (at least one) threads hashing with `hasher`'s parameters, and
    /// a queue of `queue` jobs.
    ///
    /// # Panics
    ///
    /// If the OS refuses to start a thread.
    pub(crate) fn new(hasher: PasswordHasher, threads: usize, queue: usize) -> Self {
        Self::start(hasher, threads, queue, None)
    }

    /// [`new`](Self::new), with `probe` told what the workers do.
    #[cfg(test)]
    pub(crate) fn probed(
        hasher: PasswordHasher,
        threads: usize,
        queue: usize,
        probe: Probe,
    ) -> Self {
        Self::start(hasher, threads, queue, Some(probe))
    }

    fn start(hasher: PasswordHasher, threads: usize, queue: usize, probe: Option<Probe>) -> Self {
        let threads = threads.max(1);
        let limit = threads.saturating_add(queue);
        let load = Arc::new(Load {
            admitted: AtomicUsize::new(0),
            limit,
            threads,
            queue,
            last_hash_micros: AtomicU64::new(0),
        });
        // Admission keeps the channel below its bound: `try_send` never meets it full.
        let (jobs, receiver) = mpsc::sync_channel(limit);
        let receiver = Arc::new(Mutex::new(receiver));
        for i in 0..threads {
            let worker = Worker {
                jobs: receiver.clone(),
                hasher: hasher.clone(),
                load: load.clone(),
                memory: Vec::new(),
                probe: probe.clone(),
            };
            std::thread::Builder::new()
                .name(format!("auth-hooks-hash-{i}"))
                .spawn(move || worker.run())
                .expect("the OS refused to start a password-hashing thread");
        }
        HashPool { jobs, load }
    }

    /// How many threads hash.
    pub(crate) fn threads(&self) -> usize {
        self.load.threads
    }

    /// How many jobs may wait for a thread.
    pub(crate) fn queue(&self) -> usize {
        self.load.queue
    }

    /// Whether `password` matches the PHC string `phc` (any argon2id parameters):
    /// `(matches, needs_rehash)`, the latter only on a match.
    pub(crate) async fn verify(
        &self,
        password: &str,
        phc: String,
    ) -> Result<(bool, bool), PoolError> {
        match self.submit(password, Task::Verify(phc)).await? {
            Answer::Verified(matches, needs_rehash) => Ok((matches, needs_rehash)),
            Answer::Hashed(_) => unreachable!("a verify is answered by a verify"),
        }
    }

    /// A verify against the dummy PHC string of the current parameters: the same work
    /// as a real one, for a login of an unknown user.
    pub(crate) async fn dummy_verify(&self, password: &str) -> Result<(), PoolError> {
        self.submit(password, Task::DummyVerify).await.map(drop)
    }

    /// A PHC string of `password` with the current parameters and a fresh salt.
    pub(crate) async fn hash(&self, password: &str) -> Result<String, PoolError> {
        match self.submit(password, Task::Hash).await? {
            Answer::Hashed(phc) => Ok(phc),
            Answer::Verified(..) => unreachable!("a hash is answered by a hash"),
        }
    }

    async fn submit(&self, password: &str, task: Task) -> Result<Answer, PoolError> {
        let admission = self.load.admit().ok_or_else(|| self.overloaded())?;
        let (reply, answer) = oneshot::channel();
        let job = Job {
            password: Zeroizing::new(password.as_bytes().to_vec()),
            task,
            reply,
            admission,
        };
        match self.jobs.try_send(job) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => return Err(self.overloaded()),
            Err(TrySendError::Disconnected(_)) => return Err(stopped()),
        }
        answer
            .await
            .map_err(|_| stopped())?
            .map_err(PoolError::Failed)
    }

    /// Overloaded, with about the time a full queue takes to drain: a hash for each
    /// round of `threads` jobs, plus the ones being hashed.
    fn overloaded(&self) -> PoolError {
        let load = &self.load;
        let hash = Duration::from_micros(load.last_hash_micros.load(Ordering::Relaxed));
        let rounds = u32::try_from(load.queue / load.threads + 1).unwrap_or(u32::MAX);
        PoolError::Overloaded {
            retry_after: hash.saturating_mul(rounds).max(MIN_RETRY_AFTER),
        }
    }
}

/// A hashing thread stopped without answering (it panicked).
fn stopped() -> PoolError {
    PoolError::Failed(PasswordError::Hash(
        "the password-hashing thread stopped".into(),
    ))
}

impl Load {
    fn admit(self: &Arc<Self>) -> Option<Admission> {
        self.admitted
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < self.limit).then_some(n + 1)
            })
            .ok()
            .map(|_| Admission(self.clone()))
    }
}

impl Drop for Admission {
    fn drop(&mut self) {
        self.0.admitted.fetch_sub(1, Ordering::AcqRel);
    }
}

/// One hashing thread: its share of the queue and its one buffer.
struct Worker {
    jobs: Arc<Mutex<Receiver<Job>>>,
    hasher: PasswordHasher,
    load: Arc<Load>,
    /// argon2's memory, grown when a hash needs more, back to the current m_cost after.
    memory: Vec<Block>,
    probe: Option<Probe>,
}

impl Worker {
    fn run(mut self) {
        while let Some(job) = self.next() {
            if job.reply.is_closed() {
                // The login was dropped while it waited: nobody wants the answer.
                continue;
            }
            let Job {
                password,
                task,
                reply,
                admission,
            } = job;
            self.observe(Event::Started);
            let started = Instant::now();
            let answer = catch_unwind(AssertUnwindSafe(|| self.answer(&password, task)))
                .unwrap_or_else(|_| Err(PasswordError::Hash("argon2 panicked".into())));
            let micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
            self.load.last_hash_micros.store(micros, Ordering::Relaxed);
            self.keep_current_size();
            self.observe(Event::Finished {
                kept_blocks: self.memory.len(),
            });
            // Room for the next job before the answer: a caller that sends another
            // job as soon as it has this answer finds it.
            drop((password, admission));
            let _ = reply.send(answer);
        }
        self.observe(Event::Stopped);
    }

    /// The next job, or `None` once the pool is dropped.
    fn next(&self) -> Option<Job> {
        let jobs = self.jobs.lock().unwrap_or_else(PoisonError::into_inner);
        jobs.recv().ok()
    }

    fn observe(&self, event: Event) {
        if let Some(probe) = &self.probe {
            probe(event);
        }
    }

    fn answer(&mut self, password: &[u8], task: Task) -> Result<Answer, PasswordError> {
        match task {
            Task::Verify(phc) => self.verify(password, &phc),
            Task::DummyVerify => {
                let dummy = self.hasher.dummy_phc().clone();
                self.verify(password, &dummy)
            }
            Task::Hash => self.hash(password).map(Answer::Hashed),
        }
    }

    /// As `PasswordHasher::verify`: the stored hash's parameters and salt, an output of
    /// its length, compared in constant time (`Output`'s equality).
    fn verify(&mut self, password: &[u8], phc: &str) -> Result<Answer, PasswordError> {
        let parsed = parse_phc(phc)?;
        let params = Params::try_from(&parsed).map_err(malformed)?;
        let version = match parsed.version {
            Some(version) => Version::try_from(version).map_err(malformed)?,
            None => Version::default(),
        };
        let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
            unreachable!("parse_phc requires a salt and a hash")
        };
        let computed = self.compute(password, salt, params, version)?;
        let matches = computed == expected;
        let needs_rehash = matches && self.hasher.parsed_needs_rehash(&parsed);
        Ok(Answer::Verified(matches, needs_rehash))
    }

    fn hash(&mut self, password: &[u8]) -> Result<String, PasswordError> {
        let salt = new_salt()?;
        let params = self.hasher.argon2_params().clone();
        let hash = self.compute(password, salt.as_salt(), params.clone(), Version::V0x13)?;
        phc_string(&params, salt.as_salt(), hash)
    }

    /// argon2id of `password` in this worker's buffer.
    fn compute(
        &mut self,
        password: &[u8],
        salt: Salt<'_>,
        params: Params,
        version: Version,
    ) -> Result<Output, PasswordError> {
        let mut salt_bytes = [0u8; Salt::MAX_LENGTH];
        let salt = salt.decode_b64(&mut salt_bytes).map_err(malformed)?;
        let blocks = params.block_count();
        let len = params.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN);
        let argon2 = Argon2::new(Algorithm::Argon2id, version, params);
        let memory = self.memory(blocks);
        Output::init_with(len, |out| {
            Ok(argon2.hash_password_into_with_memory(password, salt, out, memory)?)
        })
        .map_err(|e| PasswordError::Hash(e.to_string()))
    }

    /// The first `blocks` blocks of the buffer, grown if it is smaller.
    fn memory(&mut self, blocks: usize) -> &mut [Block] {
        if self.memory.len() < blocks {
            // Freed first: never the old and the new buffer at once.
            self.memory = Vec::new();
            self.memory = vec![Block::default(); blocks];
        }
        &mut self.memory[..blocks]
    }

    /// Gives back what a hash of a bigger m_cost than the current one needed.
    fn keep_current_size(&mut self) {
        let current = self.hasher.argon2_params().block_count();
        if self.memory.len() > current {
            self.memory.truncate(current);
            self.memory.shrink_to_fit();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::future::Future;
    use std::pin::{pin, Pin};
    use std::sync::atomic::AtomicUsize;
    use std::sync::mpsc as std_mpsc;
    use std::sync::Mutex;
    use std::task::{Context, Poll, Waker};

    use argon2::password_hash::PasswordHasher as _;

    use super::*;
    use crate::{
        AuthBackend, AuthOutcome, BackendError, Credentials, MemoryUserStore, PasswordBackend,
        UserStore,
    };

    const PASSWORD: &str = "correct horse";

    /// The pool's parameters here: m = 16 KiB, between hashes of 8 and 32 KiB.
    fn current() -> PasswordHasher {
        PasswordHasher::new(16, 1, 1).unwrap()
    }

    /// Polls `future` once, with no one to wake.
    fn poll_once<F: Future>(future: Pin<&mut F>) -> Poll<F::Output> {
        future.poll(&mut Context::from_waker(Waker::noop()))
    }

    /// Waits (at most 10 s) until `done`.
    async fn eventually(what: &str, done: impl Fn() -> bool) {
        for _ in 0..10_000 {
            if done() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        panic!("{what}: not after 10 s");
    }

    /// `future`'s output, or a panic after 10 s: a broken pool fails a test, never
    /// hangs it.
    async fn within<F: Future>(future: F) -> F::Output {
        tokio::time::timeout(Duration::from_secs(10), future)
            .await
            .expect("answered within 10 s")
    }

    /// What the workers did, and a gate that holds each hash at its start while the
    /// sender `hold` returns is alive.
    #[derive(Default)]
    struct Gauge {
        running: AtomicUsize,
        max_running: AtomicUsize,
        started: AtomicUsize,
        stopped: AtomicUsize,
        kept_blocks: Mutex<Vec<usize>>,
        gate: Mutex<Option<std_mpsc::Receiver<()>>>,
        hold_each: Option<Duration>,
    }

    impl Gauge {
        fn new() -> Arc<Self> {
            Arc::default()
        }

        /// Every hash lasts at least `hold`.
        fn holding(hold: Duration) -> Arc<Self> {
            Arc::new(Gauge {
                hold_each: Some(hold),
                ..Gauge::default()
            })
        }

        /// Hashes wait at their start until the returned sender is dropped.
        fn gated() -> (Arc<Self>, std_mpsc::Sender<()>) {
            let (hold, gate) = std_mpsc::channel();
            let gauge = Gauge {
                gate: Mutex::new(Some(gate)),
                ..Gauge::default()
            };
            (Arc::new(gauge), hold)
        }

        fn probe(self: &Arc<Self>) -> Probe {
            let gauge = self.clone();
            Arc::new(move |event| gauge.record(event))
        }

        fn record(&self, event: Event) {
            match event {
                Event::Started => {
                    self.started.fetch_add(1, Ordering::SeqCst);
                    let now = self.running.fetch_add(1, Ordering::SeqCst) + 1;
                    self.max_running.fetch_max(now, Ordering::SeqCst);
                    if let Some(gate) = &*self.gate.lock().unwrap() {
                        let _ = gate.recv();
                    }
                    if let Some(hold) = self.hold_each {
                        std::thread::sleep(hold);
                    }
                }
                Event::Finished { kept_blocks } => {
                    self.running.fetch_sub(1, Ordering::SeqCst);
                    self.kept_blocks.lock().unwrap().push(kept_blocks);
                }
                Event::Stopped => {
                    self.stopped.fetch_add(1, Ordering::SeqCst);
                }
            }
        }

        fn started(&self) -> usize {
            self.started.load(Ordering::SeqCst)
        }
    }

    fn admitted(pool: &HashPool) -> usize {
        pool.load.admitted.load(Ordering::SeqCst)
    }

    /// PHC strings of [`PASSWORD`] made with other parameters than the pool's: less and
    /// more memory, two lanes, more passes, argon2 version 0x10.
    fn hashes_of_other_parameters() -> Vec<String> {
        let mut phcs: Vec<String> = [(8, 1, 1), (32, 1, 1), (16, 1, 2), (16, 3, 1)]
            .into_iter()
            .map(|(m, t, p)| {
                let hasher = PasswordHasher::new(m, t, p).unwrap();
                hasher.hash(PASSWORD).unwrap()
            })
            .collect();
        let old = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x10,
            Params::new(16, 1, 1, Some(32)).unwrap(),
        );
        let salt = new_salt().unwrap();
        phcs.push(
            old.hash_password(PASSWORD.as_bytes(), &salt)
                .unwrap()
                .to_string(),
        );
        phcs.push(current().hash(PASSWORD).unwrap());
        phcs
    }

    #[tokio::test]
    async fn verify_agrees_with_the_hasher_whatever_the_parameters() {
        let pool = HashPool::new(current(), 1, 4);
        for phc in hashes_of_other_parameters() {
            for password in [PASSWORD, "wrong", "correct horsE", "correct horse "] {
                let matches = current().verify(password, &phc).unwrap();
                let answer = pool.verify(password, phc.clone()).await.unwrap();
                let needs_rehash = matches && current().needs_rehash(&phc);
                assert_eq!(
                    answer,
                    (matches, needs_rehash),
                    "{password:?} against {phc}"
                );
            }
        }
        for unusable in [
            "$argon2id$garbage".to_owned(),
            "plaintext".to_owned(),
            // Another algorithm than argon2id.
            PasswordHasher::for_tests()
                .hash(PASSWORD)
                .unwrap()
                .replace("argon2id", "argon2i"),
        ] {
            assert!(
                matches!(
                    pool.verify(PASSWORD, unusable.clone()).await,
                    Err(PoolError::Failed(PasswordError::MalformedHash(_)))
                ),
                "{unusable}"
            );
        }
    }

    #[tokio::test]
    async fn a_hash_from_the_pool_is_one_of_the_current_parameters() {
        let pool = HashPool::new(current(), 1, 4);
        let phc = pool.hash(PASSWORD).await.unwrap();
        assert!(current().verify(PASSWORD, &phc).unwrap());
        assert!(!current().verify("wrong", &phc).unwrap());
        assert!(!current().needs_rehash(&phc));
        assert_eq!(
            pool.verify(PASSWORD, phc.clone()).await.unwrap(),
            (true, false)
        );
        assert_ne!(
            pool.hash(PASSWORD).await.unwrap(),
            phc,
            "a fresh salt each time"
        );
    }

    #[tokio::test]
    async fn a_worker_keeps_only_the_memory_of_the_current_parameters() {
        let gauge = Gauge::new();
        let pool = HashPool::probed(current(), 1, 4, gauge.probe());
        for phc in hashes_of_other_parameters() {
            pool.verify(PASSWORD, phc).await.unwrap();
        }
        pool.dummy_verify(PASSWORD).await.unwrap();
        let current_blocks = current().argon2_params().block_count();
        let kept = gauge.kept_blocks.lock().unwrap().clone();
        assert_eq!(kept.len(), hashes_of_other_parameters().len() + 1);
        assert!(kept.iter().all(|&k| k <= current_blocks), "{kept:?}");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn never_more_hashes_at_once_than_threads() {
        let gauge = Gauge::holding(Duration::from_millis(10));
        let pool = HashPool::probed(current(), 2, 64, gauge.probe());
        let phc = current().hash(PASSWORD).unwrap();
        let mut logins = tokio::task::JoinSet::new();
        for _ in 0..20 {
            let (pool, phc) = (pool.clone(), phc.clone());
            logins.spawn(async move { pool.verify(PASSWORD, phc).await });
        }
        while let Some(answer) = logins.join_next().await {
            assert_eq!(answer.unwrap().unwrap(), (true, false));
        }
        assert_eq!(gauge.started(), 20);
        // Two at once, not more: and the test did load both threads.
        assert_eq!(gauge.max_running.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_full_queue_answers_overloaded_at_once() {
        let (gauge, hold) = Gauge::gated();
        let pool = HashPool::probed(current(), 1, 1, gauge.probe());
        let phc = current().hash(PASSWORD).unwrap();
        let verify = |pool: &HashPool| {
            let (pool, phc) = (pool.clone(), phc.clone());
            tokio::spawn(async move { pool.verify(PASSWORD, phc).await })
        };
        let first = verify(&pool);
        eventually("the first hash started", || gauge.started() == 1).await;
        let second = verify(&pool);
        eventually("the second waits", || admitted(&pool) == 2).await;

        // The third is answered on its first poll: no waiting, no thread, no memory.
        let overloaded = |poll: Poll<Result<_, PoolError>>| match poll {
            Poll::Ready(Err(PoolError::Overloaded { retry_after })) => {
                assert!(retry_after >= MIN_RETRY_AFTER);
            }
            other => panic!(
                "expected Overloaded at once, got {:?}",
                other.map(|r| r.err())
            ),
        };
        overloaded(poll_once(pin!(pool.verify(PASSWORD, phc.clone()))).map(|r| r.map(drop)));
        overloaded(poll_once(pin!(pool.dummy_verify(PASSWORD))));
        overloaded(poll_once(pin!(pool.hash(PASSWORD))).map(|r| r.map(drop)));
        assert_eq!(admitted(&pool), 2, "the refused left nothing behind");

        drop(hold);
        assert_eq!(within(first).await.unwrap().unwrap(), (true, false));
        assert_eq!(within(second).await.unwrap().unwrap(), (true, false));
        assert_eq!(
            within(pool.verify(PASSWORD, phc)).await.unwrap(),
            (true, false)
        );
        assert_eq!(admitted(&pool), 0);
    }

    #[tokio::test]
    async fn a_dropped_waiter_does_not_wedge_the_pool() {
        let (gauge, hold) = Gauge::gated();
        let pool = HashPool::probed(current(), 1, 4, gauge.probe());
        let phc = current().hash(PASSWORD).unwrap();
        // One login dropped while hashed, two while queued.
        let running = {
            let (pool, phc) = (pool.clone(), phc.clone());
            tokio::spawn(async move { pool.verify(PASSWORD, phc).await })
        };
        eventually("the first hash started", || gauge.started() == 1).await;
        for _ in 0..2 {
            let mut queued = pin!(pool.verify(PASSWORD, phc.clone()));
            assert!(poll_once(queued.as_mut()).is_pending());
        }
        assert_eq!(admitted(&pool), 3);
        running.abort();
        assert!(running.await.unwrap_err().is_cancelled());

        drop(hold);
        let answer = within(pool.verify(PASSWORD, phc)).await;
        assert_eq!(answer.unwrap(), (true, false));
        // The queued jobs of dropped logins were skipped, not hashed.
        assert_eq!(gauge.started(), 2);
        assert_eq!(admitted(&pool), 0);
    }

    #[tokio::test]
    async fn the_threads_end_when_the_pool_is_dropped() {
        let gauge = Gauge::new();
        let pool = HashPool::probed(current(), 2, 4, gauge.probe());
        let copy = pool.clone();
        pool.dummy_verify(PASSWORD).await.unwrap();
        drop(pool);
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert_eq!(
            gauge.stopped.load(Ordering::SeqCst),
            0,
            "a clone still holds them"
        );
        drop(copy);
        eventually("both threads ended", || {
            gauge.stopped.load(Ordering::SeqCst) == 2
        })
        .await;
    }

    #[tokio::test]
    async fn every_hash_of_a_login_goes_through_the_pool() {
        let users = Arc::new(MemoryUserStore::new());
        // Made with other parameters: a good login rehashes.
        let old = PasswordHasher::for_tests();
        users.add("u-ada", "ada", PASSWORD, &old).unwrap();
        let (gauge, hold) = Gauge::gated();
        let pool = HashPool::probed(current(), 1, 0, gauge.probe());
        let backend = PasswordBackend::with_pool(users.clone(), current(), pool);

        // The unknown user's dummy verify is a job like any other: it waits for the
        // thread, and fills the pool.
        let unknown = Credentials::password("nobody", PASSWORD);
        let mut dummy = pin!(backend.authenticate(&unknown));
        assert!(poll_once(dummy.as_mut()).is_pending());
        eventually("the dummy verify started", || gauge.started() == 1).await;
        let ada = Credentials::password("ada", PASSWORD);
        match within(backend.authenticate(&ada)).await {
            Err(BackendError::Overloaded { retry_after }) => {
                assert!(retry_after >= MIN_RETRY_AFTER)
            }
            other => panic!("expected Overloaded, got {other:?}"),
        }
        drop(hold);
        assert!(matches!(
            within(dummy).await.unwrap(),
            AuthOutcome::InvalidCredentials
        ));

        // A good login: its verify, then its rehash.
        let outcome = backend.authenticate(&ada).await.unwrap();
        assert!(matches!(outcome, AuthOutcome::Authenticated(user) if user.id == "u-ada"));
        assert_eq!(gauge.started(), 3);
        let stored = users.find_by_login("ada").await.unwrap().unwrap();
        assert!(!current().needs_rehash(&stored.password_hash));
        let wrong = Credentials::password("ada", "wrong");
        assert!(matches!(
            backend.authenticate(&wrong).await.unwrap(),
            AuthOutcome::InvalidCredentials
        ));
        assert_eq!(gauge.started(), 4);
    }

    #[tokio::test]
    async fn the_first_unknown_login_costs_one_hash_like_every_later_one() {
        let gauge = Gauge::new();
        // The dummy PHC string is made with the hasher, with no hash: building the
        // backend hashes nothing.
        let pool = HashPool::probed(current(), 1, 4, gauge.probe());
        let backend = PasswordBackend::with_pool(Arc::new(MemoryUserStore::new()), current(), pool);
        assert_eq!(gauge.started(), 0, "building hashes nothing");
        for expected in 1..=3 {
            let unknown = Credentials::password("nobody", PASSWORD);
            let outcome = backend.authenticate(&unknown).await.unwrap();
            assert!(matches!(outcome, AuthOutcome::InvalidCredentials));
            assert_eq!(gauge.started(), expected, "one verify per unknown login");
        }
    }

    #[tokio::test]
    async fn a_wrong_password_against_a_cheaper_hash_also_costs_a_current_verify() {
        let users = Arc::new(MemoryUserStore::new());
        // m = 8 KiB: cheaper than the pool's 16 KiB.
        users
            .add("u-old", "old", PASSWORD, &PasswordHasher::for_tests())
            .unwrap();
        users.add("u-new", "new", PASSWORD, &current()).unwrap();
        let gauge = Gauge::new();
        let pool = HashPool::probed(current(), 1, 4, gauge.probe());
        let backend = PasswordBackend::with_pool(users, current(), pool);

        let wrong = |login: &str| Credentials::password(login, "wrong");
        let outcome = backend.authenticate(&wrong("old")).await.unwrap();
        assert!(matches!(outcome, AuthOutcome::InvalidCredentials));
        assert_eq!(
            gauge.started(),
            2,
            "the cheap verify, then a dummy verify of the current parameters"
        );
        backend.authenticate(&wrong("new")).await.unwrap();
        assert_eq!(gauge.started(), 3, "a current hash needs no top-up");
        backend.authenticate(&wrong("nobody")).await.unwrap();
        assert_eq!(gauge.started(), 4);
        // A password change with a wrong current password is topped up the same way.
        let changed = backend
            .change_password("u-old", "wrong", "a new long password")
            .await
            .unwrap();
        assert_eq!(changed, crate::PasswordChange::WrongPassword);
        assert_eq!(gauge.started(), 6);
    }
}
