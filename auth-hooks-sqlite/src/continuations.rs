//! [`ContinuationStore`] for [`SqliteStore`]: the table `auth_continuations`, a record
//! as JSON under the keyed hash of its token.

use std::time::SystemTime;

use auth_hooks_flow::async_trait;
use rusqlite::{params, OptionalExtension};

use super::SqliteStore;
use auth_hooks_flow::second_factor::{ContinuationRecord, ContinuationStore};
use auth_hooks_flow::timestamp::to_unix_nanos;
use auth_hooks_flow::StoreError;

#[async_trait]
impl ContinuationStore for SqliteStore {
    async fn put(&self, id_hash: &str, record: &ContinuationRecord) -> Result<(), StoreError> {
        let id_hash = id_hash.to_owned();
        let json = record.to_json()?;
        let expires_at = to_unix_nanos(record.expires_at)?;
        self.call("store a continuation", move |conn| {
            conn.execute(
                "INSERT INTO auth_continuations (id_hash, record, expires_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (id_hash) DO UPDATE SET record = ?2, expires_at = ?3",
                params![id_hash, json, expires_at],
            )
            .map(drop)
        })
        .await
    }

    async fn take(
        &self,
        id_hash: &str,
        now: SystemTime,
    ) -> Result<Option<ContinuationRecord>, StoreError> {
        let id_hash = id_hash.to_owned();
        // One statement: of racing takes, one deletes the row and gets it.
        let json: Option<String> = self
            .call("take a continuation", move |conn| {
                conn.query_row(
                    "DELETE FROM auth_continuations WHERE id_hash = ?1 RETURNING record",
                    [id_hash],
                    |row| row.get(0),
                )
                .optional()
            })
            .await?;
        let record = json
            .as_deref()
            .map(ContinuationRecord::from_json)
            .transpose()?;
        Ok(record.filter(|record| record.is_live_at(now)))
    }

    async fn remove_expired(&self, now: SystemTime) -> Result<usize, StoreError> {
        let now = to_unix_nanos(now)?;
        self.call("remove expired continuations", move |conn| {
            conn.execute(
                "DELETE FROM auth_continuations WHERE expires_at <= ?1",
                [now],
            )
        })
        .await
    }
}
