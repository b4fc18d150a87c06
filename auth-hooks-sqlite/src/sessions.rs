//! [`SessionStore`] for [`SqliteStore`]: the table `auth_sessions`.

use std::time::SystemTime;

use auth_hooks_flow::async_trait;
use rusqlite::{params, OptionalExtension, Row, TransactionBehavior};

use super::{sql_limit, SqliteStore};
use auth_hooks_flow::timestamp::{from_unix_nanos, to_unix_nanos};
use auth_hooks_flow::{SessionData, SessionRecord, SessionStore, StoreError};

const COLUMNS: &str =
    "id_hash, user_id, created_at, last_seen_at, expires_at, idle_expires_at, data";

fn from_row(row: &Row<'_>) -> rusqlite::Result<SessionRecord> {
    let data: String = row.get(6)?;
    Ok(SessionRecord {
        id_hash: row.get(0)?,
        user_id: row.get(1)?,
        created_at: from_unix_nanos(row.get(2)?),
        last_seen_at: from_unix_nanos(row.get(3)?),
        expires_at: from_unix_nanos(row.get(4)?),
        idle_expires_at: from_unix_nanos(row.get(5)?),
        data: SessionData::from_json(&data).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(6, rusqlite::types::Type::Text, e.into())
        })?,
    })
}

/// A record's instants as stored: created, last seen, end, idle end.
fn instants(record: &SessionRecord) -> Result<[i64; 4], StoreError> {
    Ok([
        to_unix_nanos(record.created_at)?,
        to_unix_nanos(record.last_seen_at)?,
        to_unix_nanos(record.expires_at)?,
        to_unix_nanos(record.idle_expires_at)?,
    ])
}

fn insert_row(
    conn: &rusqlite::Connection,
    record: &SessionRecord,
    t: [i64; 4],
) -> rusqlite::Result<usize> {
    // `OR IGNORE` + the row count tells a duplicate apart from other failures.
    conn.execute(
        &format!(
            "INSERT OR IGNORE INTO auth_sessions ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
        ),
        params![
            record.id_hash,
            record.user_id,
            t[0],
            t[1],
            t[2],
            t[3],
            record.data.to_json()
        ],
    )
}

fn already_exists() -> StoreError {
    StoreError::new("session already exists")
}

#[async_trait]
impl SessionStore for SqliteStore {
    async fn insert(&self, record: SessionRecord) -> Result<(), StoreError> {
        let t = instants(&record)?;
        let inserted = self
            .call("insert a session", move |conn| insert_row(conn, &record, t))
            .await?;
        if inserted == 0 {
            return Err(already_exists());
        }
        Ok(())
    }

    async fn get(&self, id_hash: &str) -> Result<Option<SessionRecord>, StoreError> {
        let id_hash = id_hash.to_owned();
        self.call("read a session", move |conn| {
            conn.query_row(
                &format!("SELECT {COLUMNS} FROM auth_sessions WHERE id_hash = ?1"),
                [id_hash],
                from_row,
            )
            .optional()
        })
        .await
    }

    async fn touch(
        &self,
        id_hash: &str,
        last_seen_at: SystemTime,
        idle_expires_at: SystemTime,
    ) -> Result<bool, StoreError> {
        let id_hash = id_hash.to_owned();
        let seen = to_unix_nanos(last_seen_at)?;
        let idle = to_unix_nanos(idle_expires_at)?;
        let changed = self
            .call("record a session's use", move |conn| {
                conn.execute(
                    "UPDATE auth_sessions SET last_seen_at = ?2, idle_expires_at = min(?3, expires_at)
                     WHERE id_hash = ?1",
                    params![id_hash, seen, idle],
                )
            })
            .await?;
        Ok(changed > 0)
    }

    async fn set_data(&self, id_hash: &str, data: &SessionData) -> Result<bool, StoreError> {
        let (id_hash, data) = (id_hash.to_owned(), data.to_json());
        let changed = self
            .call("store a session's data", move |conn| {
                conn.execute(
                    "UPDATE auth_sessions SET data = ?2 WHERE id_hash = ?1",
                    params![id_hash, data],
                )
            })
            .await?;
        Ok(changed == 1)
    }

    async fn remove(&self, id_hash: &str) -> Result<Option<SessionRecord>, StoreError> {
        let id_hash = id_hash.to_owned();
        self.call("remove a session", move |conn| {
            conn.query_row(
                &format!("DELETE FROM auth_sessions WHERE id_hash = ?1 RETURNING {COLUMNS}"),
                [id_hash],
                from_row,
            )
            .optional()
        })
        .await
    }

    async fn rotate(
        &self,
        old_id_hash: &str,
        new: SessionRecord,
    ) -> Result<Option<SessionRecord>, StoreError> {
        let old_id_hash = old_id_hash.to_owned();
        let t = instants(&new)?;
        // `None` in the outer option: the new id was taken, nothing changed.
        let outcome = self
            .call("rotate a session", move |conn| {
                let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
                let old = tx
                    .query_row(
                        &format!(
                            "DELETE FROM auth_sessions WHERE id_hash = ?1 RETURNING {COLUMNS}"
                        ),
                        [&old_id_hash],
                        from_row,
                    )
                    .optional()?;
                if insert_row(&tx, &new, t)? == 0 {
                    return Ok(None); // dropping `tx` rolls the removal back
                }
                tx.commit()?;
                Ok(Some(old))
            })
            .await?;
        outcome.ok_or_else(already_exists)
    }

    async fn remove_all_for_user(
        &self,
        user_id: &str,
        except: Option<&str>,
    ) -> Result<usize, StoreError> {
        let user_id = user_id.to_owned();
        let except = except.map(str::to_owned);
        self.call("remove a user's sessions", move |conn| {
            conn.execute(
                "DELETE FROM auth_sessions WHERE user_id = ?1 AND (?2 IS NULL OR id_hash <> ?2)",
                params![user_id, except],
            )
        })
        .await
    }

    async fn list_for_user(&self, user_id: &str) -> Result<Vec<SessionRecord>, StoreError> {
        let user_id = user_id.to_owned();
        self.call("list a user's sessions", move |conn| {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM auth_sessions WHERE user_id = ?1
                 ORDER BY created_at, id_hash"
            ))?;
            let rows = stmt.query_map([user_id], from_row)?;
            rows.collect()
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
        self.call("remove expired sessions", move |conn| {
            conn.execute(
                "DELETE FROM auth_sessions WHERE id_hash IN (
                     SELECT id_hash FROM auth_sessions
                     WHERE min(expires_at, idle_expires_at) <= ?1 LIMIT ?2)",
                [now, limit],
            )
        })
        .await
    }
}
