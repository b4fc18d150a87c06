//! **Every store of [`auth_hooks_flow`] in Redis: [`RedisStore`], for many application
//! instances behind a load balancer.**
//!
//! Native expiry, Lua scripts for every read-then-write, a connection manager that
//! reconnects by itself. It passes the same conformance suite (`auth_hooks_flow::testing`)
//! as the memory and SQLite stores.

#![cfg_attr(docsrs, feature(doc_cfg))]

mod attempts;
mod blocklist;
mod codec;
mod config;
mod continuations;
mod keys;
mod scripts;
mod second_factor;
mod sessions;
mod users;

use std::fmt;
use std::sync::Arc;

use ::redis::aio::{ConnectionManager, ConnectionManagerConfig};
use ::redis::{Client, FromRedisValue, RedisError};

use auth_hooks_flow::StoreError;

pub use config::RedisConfig;

use keys::Keys;
use scripts::Scripts;

/// Sessions, the JTI blocklist, failure counters, users and second factors in Redis,
/// shared by every instance of the application.
///
/// One value implements [`SessionStore`](auth_hooks_flow::SessionStore),
/// [`JtiBlocklist`](auth_hooks_flow::JtiBlocklist),
/// [`AttemptStore`](auth_hooks_flow::AttemptStore),
/// [`UserStore`](auth_hooks_flow::UserStore),
/// [`SecondFactorStore`](auth_hooks_flow::second_factor::SecondFactorStore) and
/// [`ContinuationStore`](auth_hooks_flow::second_factor::ContinuationStore); clones share
/// the connection.
///
/// - **Expiry is Redis's own.** Every session, blocklist entry, failure window, lock and
///   continuation carries a `PEXPIREAT` at its end, so Redis forgets it by itself at
///   that (real) time;
///   `remove_expired` only sweeps what a caller's clock says has ended earlier.
/// - **Atomic.** Every operation that reads and writes (insert-if-absent, rotation,
///   revoke-all, the blocklist's test-and-set, counting, spending a TOTP step, taking a
///   continuation) is one Lua script, and a recovery code is spent by one `SREM`, so two
///   instances never interleave inside it. Revoke-all finds a user's sessions through a
///   per-user set.
/// - **Keys** start with a configurable prefix (default `auth-hooks:`): `…session:<id
///   hash>` (a hash), `…user-sessions:<user>` (a set), `…jti:<jti>`, `…failures:<key>`,
///   `…lock:<key>`, `…user:<id>`, `…login:<login>`, `…totp:<user>` (a hash),
///   `…recovery:<user>` (a set), `…continuation:<token hash>` (a hash). What is stored:
///   the keyed hash of a session id (never the id), token ids, counter keys, users'
///   argon2 PHC strings, the keyed hashes of recovery codes and continuation tokens
///   (never the codes or tokens), and TOTP secrets in base32 (a TOTP check needs the
///   secret itself: protect Redis as the keys).
/// - **Recovery.** The connection is a [`ConnectionManager`]: when Redis goes away each
///   call fails with a [`StoreError`] (the flow refuses, 503) within the response
///   timeout, and the manager reconnects by itself once Redis is back; nothing has to
///   be restarted.
/// - **Needs** Redis 7.0 or later (or Valkey), standalone or behind a proxy that keeps
///   a script's keys together; not Redis Cluster, since scripts touch a user's set and
///   their sessions together.
///
/// ```no_run
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// use std::sync::Arc;
/// use auth_hooks_flow::*;
/// use auth_hooks_redis::{RedisConfig, RedisStore};
///
/// let store = Arc::new(RedisStore::connect(RedisConfig::new("redis://127.0.0.1/").prefix("myapp:auth:")).await?);
/// let sessions = SessionManager::new(SessionKey::generate()?, store.clone());
/// let tokens = TokenManager::new(JwtKeys::hs256([7; 32])?, store.clone());
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct RedisStore {
    conn: ConnectionManager,
    keys: Arc<Keys>,
    scripts: Arc<Scripts>,
    url: Arc<str>,
}

impl RedisStore {
    /// Connects to Redis as `config` says. An invalid URL, or a Redis that does not
    /// answer within the connection timeout, is a [`StoreError`].
    ///
    /// Needs a tokio runtime (the connection manager runs a task on it); without one it
    /// is a [`StoreError`] too.
    pub async fn connect(config: RedisConfig) -> Result<Self, StoreError> {
        let (client, manager_config, url) = Self::parts(&config)?;
        let conn = ConnectionManager::new_with_config(client, manager_config)
            .await
            .map_err(|e| StoreError::with_source(format!("redis: cannot connect to {url}"), e))?;
        Ok(Self::assemble(conn, &config, url))
    }

    /// As [`connect`](Self::connect), but without waiting for Redis: the connection is
    /// made on first use. For an application that may start before Redis does; until
    /// Redis answers, every call is a [`StoreError`] (and the flow refuses).
    ///
    /// Call it within a tokio runtime; outside one it is a [`StoreError`].
    pub fn connect_lazy(config: RedisConfig) -> Result<Self, StoreError> {
        let (client, manager_config, url) = Self::parts(&config)?;
        let conn = ConnectionManager::new_lazy_with_config(client, manager_config)
            .map_err(|e| StoreError::with_source(format!("redis: cannot set up {url}"), e))?;
        Ok(Self::assemble(conn, &config, url))
    }

    /// The client and manager settings of `config`, and its URL for messages.
    fn parts(
        config: &RedisConfig,
    ) -> Result<(Client, ConnectionManagerConfig, String), StoreError> {
        let url = config::redact(config.url());
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(StoreError::new(format!(
                "redis ({url}): the store needs a tokio runtime to run its connection"
            )));
        }
        let client = Client::open(config.url())
            .map_err(|e| StoreError::with_source(format!("redis: invalid URL {url}"), e))?;
        let manager_config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(config.connection_timeout_value()))
            .set_response_timeout(Some(config.response_timeout_value()))
            .set_number_of_retries(config.reconnect_retries_value());
        Ok((client, manager_config, url))
    }

    fn assemble(conn: ConnectionManager, config: &RedisConfig, url: String) -> Self {
        RedisStore {
            conn,
            keys: Arc::new(Keys::new(config.prefix_value())),
            scripts: Arc::new(Scripts::new()),
            url: url.into(),
        }
    }

    /// The key prefix.
    pub fn prefix(&self) -> &str {
        self.keys.prefix()
    }

    /// Asks Redis for `PING`: whether it answers now.
    pub async fn ping(&self) -> Result<(), StoreError> {
        let mut conn = self.conn.clone();
        let _: String = ::redis::cmd("PING")
            .query_async(&mut conn)
            .await
            .map_err(|e| self.error("ping", e))?;
        Ok(())
    }

    /// A fresh handle on the shared connection.
    fn conn(&self) -> ConnectionManager {
        self.conn.clone()
    }

    /// A Redis error as a store error; `what` names the operation.
    fn error(&self, what: &str, e: RedisError) -> StoreError {
        StoreError::with_source(format!("redis ({}): cannot {what}", self.url), e)
    }

    /// Runs `invocation` and decodes its answer.
    async fn run<T: FromRedisValue>(
        &self,
        what: &str,
        invocation: &::redis::ScriptInvocation<'_>,
    ) -> Result<T, StoreError> {
        invocation
            .invoke_async(&mut self.conn())
            .await
            .map_err(|e| self.error(what, e))
    }

    /// Every key matching `pattern`, a batch at a time, each batch handed as `KEYS`
    /// with `args` as `ARGV` to `script`, which answers how many keys it removed.
    async fn sweep(
        &self,
        what: &str,
        pattern: &str,
        script: &::redis::Script,
        args: &[&str],
    ) -> Result<usize, StoreError> {
        let mut conn = self.conn();
        let mut cursor: u64 = 0;
        let mut removed = 0usize;
        loop {
            let (next, batch): (u64, Vec<String>) = ::redis::cmd("SCAN")
                .arg(cursor)
                .arg("MATCH")
                .arg(pattern)
                .arg("COUNT")
                .arg(500)
                .query_async(&mut conn)
                .await
                .map_err(|e| self.error(what, e))?;
            if !batch.is_empty() {
                let mut invocation = script.prepare_invoke();
                invocation.key(&batch).arg(args);
                let n: usize = self.run(what, &invocation).await?;
                removed += n;
            }
            if next == 0 {
                return Ok(removed);
            }
            cursor = next;
        }
    }
}

impl fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisStore")
            .field("url", &self.url)
            .field("prefix", &self.keys.prefix())
            .finish_non_exhaustive()
    }
}
