//! [`AttemptStore`] for [`RedisStore`]: a hash per failure window, a string per lock,
//! each expiring at its end.

use std::time::{Duration, SystemTime};

use auth_hooks_flow::async_trait;

use super::codec::{instant, nanos};
use super::keys::{FAILURES, LOCK};
use super::RedisStore;
use auth_hooks_flow::timestamp::checked_end;
use auth_hooks_flow::{AttemptStore, StoreError};

#[async_trait]
impl AttemptStore for RedisStore {
    async fn record_failure(
        &self,
        key: &str,
        now: SystemTime,
        window: Duration,
    ) -> Result<u32, StoreError> {
        let mut invocation = self.scripts.record_failure.prepare_invoke();
        invocation
            .key(self.keys.of(FAILURES, key))
            .arg(nanos(now)?)
            .arg(nanos(checked_end(now, window)?)?);
        let failures: i64 = self.run("count a failed login", &invocation).await?;
        Ok(u32::try_from(failures).unwrap_or(u32::MAX))
    }

    async fn lock(&self, key: &str, until: SystemTime) -> Result<(), StoreError> {
        let mut invocation = self.scripts.extend_end.prepare_invoke();
        invocation.key(self.keys.of(LOCK, key)).arg(nanos(until)?);
        let _new: i64 = self.run("lock a login", &invocation).await?;
        Ok(())
    }

    async fn locked_until(
        &self,
        key: &str,
        now: SystemTime,
    ) -> Result<Option<SystemTime>, StoreError> {
        let until: Option<String> = ::redis::cmd("GET")
            .arg(self.keys.of(LOCK, key))
            .query_async(&mut self.conn())
            .await
            .map_err(|e| self.error("read a lock", e))?;
        match until {
            Some(until) => Ok(Some(instant(&until)?).filter(|until| now < *until)),
            None => Ok(None),
        }
    }

    async fn reset(&self, key: &str) -> Result<(), StoreError> {
        let _: i64 = ::redis::cmd("DEL")
            .arg(self.keys.of(FAILURES, key))
            .query_async(&mut self.conn())
            .await
            .map_err(|e| self.error("reset a failure count", e))?;
        Ok(())
    }

    async fn release(&self, key: &str, now: SystemTime) -> Result<(), StoreError> {
        let mut invocation = self.scripts.release_attempt.prepare_invoke();
        invocation.key(self.keys.of(FAILURES, key)).arg(nanos(now)?);
        let _left: i64 = self.run("take back a login attempt", &invocation).await?;
        Ok(())
    }

    async fn remove_expired(&self, now: SystemTime) -> Result<usize, StoreError> {
        let now = nanos(now)?;
        let mut removed = 0;
        for kind in [FAILURES, LOCK] {
            removed += self
                .sweep(
                    "remove ended failure windows and locks",
                    &self.keys.pattern(kind),
                    &self.scripts.sweep_ends,
                    &[&now],
                )
                .await?;
        }
        Ok(removed)
    }
}
