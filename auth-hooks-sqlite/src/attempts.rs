//! [`AttemptStore`] for [`SqliteStore`]: the table `auth_attempts`.

use std::time::{Duration, SystemTime};

use auth_hooks_flow::async_trait;
use rusqlite::{params, OptionalExtension, TransactionBehavior};

use super::{sql_limit, SqliteStore};
use auth_hooks_flow::timestamp::{checked_end, from_unix_nanos, to_unix_nanos};
use auth_hooks_flow::{AttemptStore, StoreError};

#[async_trait]
impl AttemptStore for SqliteStore {
    async fn record_failure(
        &self,
        key: &str,
        now: SystemTime,
        window: Duration,
    ) -> Result<u32, StoreError> {
        let key = key.to_owned();
        let new_end = to_unix_nanos(checked_end(now, window)?)?;
        let now = to_unix_nanos(now)?;
        self.call("count a failed login", move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let current: Option<(i64, Option<i64>)> = tx
                .query_row(
                    "SELECT failures, window_end FROM auth_attempts WHERE key = ?1",
                    [&key],
                    |row| Ok((row.get(0)?, row.get(1)?)),
                )
                .optional()?;
            let failures = match current {
                Some((failures, Some(end))) if now < end => {
                    let failures = u32::try_from(failures).unwrap_or(0).saturating_add(1);
                    tx.execute(
                        "UPDATE auth_attempts SET failures = ?2 WHERE key = ?1",
                        params![key, failures],
                    )?;
                    failures
                }
                _ => {
                    tx.execute(
                        "INSERT INTO auth_attempts (key, failures, window_end) VALUES (?1, 1, ?2)
                         ON CONFLICT (key) DO UPDATE SET failures = 1, window_end = ?2",
                        params![key, new_end],
                    )?;
                    1
                }
            };
            tx.commit()?;
            Ok(failures)
        })
        .await
    }

    async fn lock(&self, key: &str, until: SystemTime) -> Result<(), StoreError> {
        let key = key.to_owned();
        let until = to_unix_nanos(until)?;
        self.call("lock a login", move |conn| {
            conn.execute(
                "INSERT INTO auth_attempts (key, locked_until) VALUES (?1, ?2)
                 ON CONFLICT (key) DO UPDATE SET locked_until = max(coalesce(locked_until, ?2), ?2)",
                params![key, until],
            )
            .map(drop)
        })
        .await
    }

    async fn locked_until(
        &self,
        key: &str,
        now: SystemTime,
    ) -> Result<Option<SystemTime>, StoreError> {
        let key = key.to_owned();
        let now = to_unix_nanos(now)?;
        let until: Option<i64> = self
            .call("read a lock", move |conn| {
                conn.query_row(
                    "SELECT locked_until FROM auth_attempts WHERE key = ?1 AND locked_until > ?2",
                    params![key, now],
                    |row| row.get(0),
                )
                .optional()
            })
            .await?;
        Ok(until.map(from_unix_nanos))
    }

    async fn reset(&self, key: &str) -> Result<(), StoreError> {
        let key = key.to_owned();
        self.call("reset a failure count", move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            tx.execute(
                "DELETE FROM auth_attempts WHERE key = ?1 AND locked_until IS NULL",
                [&key],
            )?;
            tx.execute(
                "UPDATE auth_attempts SET failures = 0, window_end = NULL WHERE key = ?1",
                [&key],
            )?;
            tx.commit()
        })
        .await
    }

    async fn release(&self, key: &str, now: SystemTime) -> Result<(), StoreError> {
        let key = key.to_owned();
        let now = to_unix_nanos(now)?;
        self.call("take back a login attempt", move |conn| {
            conn.execute(
                "UPDATE auth_attempts SET failures = failures - 1
                 WHERE key = ?1 AND failures > 0 AND window_end > ?2",
                params![key, now],
            )
            .map(drop)
        })
        .await
    }

    async fn remove_expired(&self, now: SystemTime) -> Result<usize, StoreError> {
        self.remove_expired_at_most(now, usize::MAX).await
    }

    async fn remove_expired_at_most(
        &self,
        now: SystemTime,
        limit: usize,
    ) -> Result<usize, StoreError> {
        let now = to_unix_nanos(now)?;
        let limit = sql_limit(limit);
        self.call("remove ended failure windows and locks", move |conn| {
            conn.execute(
                "DELETE FROM auth_attempts WHERE key IN (
                     SELECT key FROM auth_attempts
                     WHERE (window_end IS NULL OR window_end <= ?1)
                       AND (locked_until IS NULL OR locked_until <= ?1)
                     LIMIT ?2)",
                [now, limit],
            )
        })
        .await
    }
}
