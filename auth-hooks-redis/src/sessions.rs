//! [`SessionStore`] for [`RedisStore`]: a hash per session, a set per user.

use std::collections::HashMap;
use std::time::SystemTime;

use auth_hooks_flow::async_trait;

use super::codec::{field, fields, instant, nanos};
use super::keys::{SESSION, USER_SESSIONS};
use super::RedisStore;
use auth_hooks_flow::{SessionData, SessionRecord, SessionStore, StoreError};

/// A session read back from its hash fields.
fn record(id_hash: String, map: &HashMap<String, String>) -> Result<SessionRecord, StoreError> {
    let at = |name| field(map, "session", name).and_then(instant);
    // Sessions written before data existed have no `data` field: no data.
    let data = match map.get("data") {
        Some(json) => SessionData::from_json(json)
            .map_err(|e| StoreError::with_source("redis: a session's data is not JSON", e))?,
        None => SessionData::new(),
    };
    Ok(SessionRecord {
        data,
        user_id: field(map, "session", "user")?.to_owned(),
        created_at: at("created")?,
        last_seen_at: at("seen")?,
        expires_at: at("expires")?,
        idle_expires_at: at("idle")?,
        id_hash,
    })
}

/// A record's fields as the scripts take them: user, created, seen, expires, idle, data.
fn args(record: &SessionRecord) -> Result<[String; 6], StoreError> {
    Ok([
        record.user_id.clone(),
        nanos(record.created_at)?,
        nanos(record.last_seen_at)?,
        nanos(record.expires_at)?,
        nanos(record.idle_expires_at)?,
        record.data.to_json(),
    ])
}

fn already_exists() -> StoreError {
    StoreError::new("session already exists")
}

#[async_trait]
impl SessionStore for RedisStore {
    async fn insert(&self, record: SessionRecord) -> Result<(), StoreError> {
        let mut invocation = self.scripts.session_insert.prepare_invoke();
        invocation
            .key(self.keys.of(SESSION, &record.id_hash))
            .key(self.keys.of(USER_SESSIONS, &record.user_id))
            .arg(&record.id_hash)
            .arg(&args(&record)?[..]);
        let stored: i64 = self.run("insert a session", &invocation).await?;
        if stored == 0 {
            return Err(already_exists());
        }
        Ok(())
    }

    async fn get(&self, id_hash: &str) -> Result<Option<SessionRecord>, StoreError> {
        let map: HashMap<String, String> = ::redis::cmd("HGETALL")
            .arg(self.keys.of(SESSION, id_hash))
            .query_async(&mut self.conn())
            .await
            .map_err(|e| self.error("read a session", e))?;
        if map.is_empty() {
            return Ok(None);
        }
        record(id_hash.to_owned(), &map).map(Some)
    }

    async fn touch(
        &self,
        id_hash: &str,
        last_seen_at: SystemTime,
        idle_expires_at: SystemTime,
    ) -> Result<bool, StoreError> {
        let mut invocation = self.scripts.session_touch.prepare_invoke();
        invocation
            .key(self.keys.of(SESSION, id_hash))
            .arg(nanos(last_seen_at)?)
            .arg(nanos(idle_expires_at)?)
            .arg(self.keys.kind(USER_SESSIONS));
        let touched: i64 = self.run("record a session's use", &invocation).await?;
        Ok(touched == 1)
    }

    async fn set_data(&self, id_hash: &str, data: &SessionData) -> Result<bool, StoreError> {
        let mut invocation = self.scripts.set_field_if_exists.prepare_invoke();
        invocation
            .key(self.keys.of(SESSION, id_hash))
            .arg("data")
            .arg(data.to_json());
        let set: i64 = self.run("store a session's data", &invocation).await?;
        Ok(set == 1)
    }

    async fn remove(&self, id_hash: &str) -> Result<Option<SessionRecord>, StoreError> {
        let mut invocation = self.scripts.session_remove.prepare_invoke();
        invocation
            .key(self.keys.of(SESSION, id_hash))
            .arg(id_hash)
            .arg(self.keys.kind(USER_SESSIONS));
        let flat: Vec<String> = self.run("remove a session", &invocation).await?;
        if flat.is_empty() {
            return Ok(None);
        }
        record(id_hash.to_owned(), &fields(flat)).map(Some)
    }

    async fn rotate(
        &self,
        old_id_hash: &str,
        new: SessionRecord,
    ) -> Result<Option<SessionRecord>, StoreError> {
        let mut invocation = self.scripts.session_rotate.prepare_invoke();
        invocation
            .key(self.keys.of(SESSION, old_id_hash))
            .key(self.keys.of(SESSION, &new.id_hash))
            .key(self.keys.of(USER_SESSIONS, &new.user_id))
            .arg(old_id_hash)
            .arg(self.keys.kind(USER_SESSIONS))
            .arg(&new.id_hash)
            .arg(&args(&new)?[..]);
        let mut reply: Vec<String> = self.run("rotate a session", &invocation).await?;
        match reply.first().map(String::as_str) {
            Some("ok") if reply.len() == 1 => Ok(None),
            Some("ok") => {
                reply.remove(0);
                record(old_id_hash.to_owned(), &fields(reply)).map(Some)
            }
            Some("taken") => Err(already_exists()),
            _ => Err(StoreError::new("redis: unexpected answer to a rotation")),
        }
    }

    async fn remove_all_for_user(
        &self,
        user_id: &str,
        except: Option<&str>,
    ) -> Result<usize, StoreError> {
        let mut invocation = self.scripts.session_remove_all.prepare_invoke();
        invocation
            .key(self.keys.of(USER_SESSIONS, user_id))
            .arg(self.keys.kind(SESSION));
        if let Some(except) = except {
            invocation.arg(except);
        }
        self.run("remove a user's sessions", &invocation).await
    }

    async fn list_for_user(&self, user_id: &str) -> Result<Vec<SessionRecord>, StoreError> {
        let mut invocation = self.scripts.session_list.prepare_invoke();
        invocation
            .key(self.keys.of(USER_SESSIONS, user_id))
            .arg(self.keys.kind(SESSION));
        let entries: Vec<Vec<String>> = self.run("list a user's sessions", &invocation).await?;
        let mut list = entries
            .into_iter()
            .map(|mut entry| {
                if entry.is_empty() {
                    return Err(StoreError::new("redis: unexpected answer to a listing"));
                }
                let id_hash = entry.remove(0);
                record(id_hash, &fields(entry))
            })
            .collect::<Result<Vec<_>, _>>()?;
        list.sort_by(|a, b| {
            a.created_at
                .cmp(&b.created_at)
                .then_with(|| a.id_hash.cmp(&b.id_hash))
        });
        Ok(list)
    }

    async fn remove_expired(&self, now: SystemTime) -> Result<usize, StoreError> {
        let now = nanos(now)?;
        let session_prefix = self.keys.kind(SESSION);
        let set_prefix = self.keys.kind(USER_SESSIONS);
        self.sweep(
            "remove expired sessions",
            &self.keys.pattern(SESSION),
            &self.scripts.session_sweep,
            &[&now, &session_prefix, &set_prefix],
        )
        .await
    }
}
