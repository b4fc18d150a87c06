//! [`JtiBlocklist`] for [`SqliteStore`]: the table `auth_jti_blocklist`.

use std::time::SystemTime;

use auth_hooks_flow::async_trait;
use rusqlite::{params, TransactionBehavior};

use super::{sql_limit, SqliteStore};
use auth_hooks_flow::timestamp::to_unix_nanos;
use auth_hooks_flow::{JtiBlocklist, StoreError};

#[async_trait]
impl JtiBlocklist for SqliteStore {
    async fn block(&self, key: &str, until: SystemTime) -> Result<bool, StoreError> {
        let key = key.to_owned();
        let until = to_unix_nanos(until)?;
        self.call("block a token id", move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let new = tx.execute(
                "INSERT OR IGNORE INTO auth_jti_blocklist (key, until) VALUES (?1, ?2)",
                params![key, until],
            )? > 0;
            if !new {
                tx.execute(
                    "UPDATE auth_jti_blocklist SET until = max(until, ?2) WHERE key = ?1",
                    params![key, until],
                )?;
            }
            tx.commit()?;
            Ok(new)
        })
        .await
    }

    async fn is_blocked(&self, key: &str, now: SystemTime) -> Result<bool, StoreError> {
        let key = key.to_owned();
        let now = to_unix_nanos(now)?;
        self.call("check the blocklist", move |conn| {
            conn.query_row(
                "SELECT EXISTS (SELECT 1 FROM auth_jti_blocklist WHERE key = ?1 AND until > ?2)",
                params![key, now],
                |row| row.get(0),
            )
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
        self.call("remove expired blocklist entries", move |conn| {
            conn.execute(
                "DELETE FROM auth_jti_blocklist WHERE key IN (
                     SELECT key FROM auth_jti_blocklist WHERE until <= ?1 LIMIT ?2)",
                [now, limit],
            )
        })
        .await
    }
}
