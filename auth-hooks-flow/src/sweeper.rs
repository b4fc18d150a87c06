//! Removes what has expired from the flow's stores (sessions, blocklist entries, failure
//! counters), now and then, in bounded batches.

use std::sync::Arc;
use std::time::Duration;

use crate::second_factor::ContinuationStore;
use crate::{AttemptStore, AuthFlow, Clock, SessionManager, StoreError, SystemClock, TokenManager};

/// How many expired entries one sweep removed, per store.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Swept {
    /// Sessions past their TTL or idle timeout.
    pub sessions: usize,
    /// Blocklist entries of tokens that expired anyway.
    pub blocklist: usize,
    /// Failure windows and locks that ended.
    pub attempts: usize,
    /// Continuations of challenged logins nobody finished.
    pub continuations: usize,
}

/// Sweeps the stores of a flow: expired sessions and blocklist entries, and the ended
/// windows and locks of attempt stores given to it. Each store is asked for at most
/// [`batch`](Self::batch) entries at a time (one short statement or lock each), with a
/// yield between batches, so a sweep of a large backlog never holds a store for long.
///
/// ```no_run
/// # async fn demo(flow: &auth_hooks_flow::AuthFlow, attempts: std::sync::Arc<dyn auth_hooks_flow::AttemptStore>) {
/// use std::time::Duration;
/// use auth_hooks_flow::Sweeper;
///
/// let sweeping = Sweeper::new(flow).attempts(attempts).every(Duration::from_secs(300)).spawn();
/// # drop(sweeping);
/// # }
/// ```
#[derive(Clone)]
pub struct Sweeper {
    sessions: Option<Arc<SessionManager>>,
    tokens: Option<Arc<TokenManager>>,
    continuations: Option<Arc<dyn ContinuationStore>>,
    attempts: Vec<Arc<dyn AttemptStore>>,
    clock: Arc<dyn Clock>,
    batch: usize,
    every: Duration,
}

impl Sweeper {
    /// Entries removed per store call by default.
    pub const DEFAULT_BATCH: usize = 1000;
    /// How often [`spawn`](Self::spawn) sweeps by default.
    pub const DEFAULT_EVERY: Duration = Duration::from_secs(5 * 60);

    /// A sweeper of `flow`'s session store, blocklist and (with a second factor) its
    /// continuations.
    pub fn new(flow: &AuthFlow) -> Self {
        Sweeper {
            sessions: flow.sessions().cloned(),
            tokens: flow.tokens().cloned(),
            continuations: flow.second_factor().map(|f| f.continuations.clone()),
            attempts: Vec::new(),
            clock: Arc::new(SystemClock),
            batch: Self::DEFAULT_BATCH,
            every: Self::DEFAULT_EVERY,
        }
    }

    /// Also sweeps `store` (the lockout's or the IP throttle's counters).
    pub fn attempts(mut self, store: Arc<dyn AttemptStore>) -> Self {
        self.attempts.push(store);
        self
    }

    /// At most `batch` entries per store call (at least 1).
    pub fn batch(mut self, batch: usize) -> Self {
        self.batch = batch.max(1);
        self
    }

    /// How often [`spawn`](Self::spawn) sweeps.
    pub fn every(mut self, every: Duration) -> Self {
        self.every = every;
        self
    }

    /// The clock that says what has expired (the system's by default).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// One sweep: every store, batch after batch, until a batch comes back short.
    pub async fn sweep(&self) -> Result<Swept, StoreError> {
        let now = self.clock.now();
        let mut swept = Swept::default();
        if let Some(sessions) = &self.sessions {
            swept.sessions = self
                .drain(|limit| sessions.store().remove_expired_at_most(now, limit))
                .await?;
        }
        if let Some(tokens) = &self.tokens {
            swept.blocklist = self
                .drain(|limit| tokens.blocklist().remove_expired_at_most(now, limit))
                .await?;
        }
        if let Some(continuations) = &self.continuations {
            // Continuations are few and short-lived: one call removes them.
            swept.continuations = continuations.remove_expired(now).await?;
        }
        for attempts in &self.attempts {
            swept.attempts += self
                .drain(|limit| attempts.remove_expired_at_most(now, limit))
                .await?;
        }
        Ok(swept)
    }

    async fn drain<'a, F, Fut>(&self, mut batch: F) -> Result<usize, StoreError>
    where
        F: FnMut(usize) -> Fut,
        Fut: std::future::Future<Output = Result<usize, StoreError>> + 'a,
    {
        let mut total = 0;
        loop {
            let removed = batch(self.batch).await?;
            total += removed;
            if removed < self.batch {
                return Ok(total);
            }
            tokio::task::yield_now().await;
        }
    }

    /// Sweeps every [`every`](Self::every) on the current Tokio runtime, until the handle
    /// is aborted; a store that fails is logged and tried again next time.
    ///
    /// # Panics
    ///
    /// Outside a Tokio runtime.
    pub fn spawn(self) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(self.every);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticks.tick().await;
                match self.sweep().await {
                    Ok(swept) => tracing::debug!(?swept, "expired auth entries removed"),
                    Err(error) => {
                        tracing::warn!(%error, "sweeping expired auth entries failed; trying again later")
                    }
                }
            }
        })
    }
}

impl std::fmt::Debug for Sweeper {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sweeper")
            .field("sessions", &self.sessions.is_some())
            .field("tokens", &self.tokens.is_some())
            .field("continuations", &self.continuations.is_some())
            .field("attempt_stores", &self.attempts.len())
            .field("batch", &self.batch)
            .field("every", &self.every)
            .finish()
    }
}
