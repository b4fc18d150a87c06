//! **Every store of [`auth_hooks_flow`] in one SQLite database: [`SqliteStore`].**
//!
//! SQLite is compiled in (`rusqlite`'s `bundled`), so nothing has to be installed: a
//! file or an in-memory database, migrations applied on open. The embedded default,
//! for an application running as one process (or a few on one machine sharing the
//! file); it passes the same conformance suite (`auth_hooks_flow::testing`) as the
//! memory and Redis stores.

#![cfg_attr(docsrs, feature(doc_cfg))]

mod attempts;
mod blocklist;
mod continuations;
mod migrations;
mod second_factor;
mod sessions;
mod users;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use auth_hooks_flow::StoreError;

pub use migrations::SCHEMA_VERSION;

/// A row limit as SQLite takes it (`usize::MAX`: no limit in practice).
pub(crate) fn sql_limit(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}

/// Sessions, the JTI blocklist, failure counters, users and second factors in one
/// SQLite database, a file or in memory: the embedded default, for an application
/// running as one process (or a few on one machine sharing the file).
///
/// One value implements [`SessionStore`](auth_hooks_flow::SessionStore),
/// [`JtiBlocklist`](auth_hooks_flow::JtiBlocklist),
/// [`AttemptStore`](auth_hooks_flow::AttemptStore),
/// [`UserStore`](auth_hooks_flow::UserStore),
/// [`SecondFactorStore`](auth_hooks_flow::second_factor::SecondFactorStore) and
/// [`ContinuationStore`](auth_hooks_flow::second_factor::ContinuationStore); share it as
/// an `Arc` between the parts of the flow.
///
/// - **Schema.** Opening applies the versioned migrations that the database lacks, each
///   in its own transaction, recorded in the table `auth_hooks_migrations`; opening
///   again changes nothing. Tables are prefixed `auth_`, so the file can be the
///   application's own database too. A database written by a newer version of this
///   crate is refused rather than misread.
/// - **What is stored.** The keyed hash of a session id (never the id), token ids
///   (`jti`), counter keys, users' argon2 PHC strings, the keyed hashes of recovery
///   codes and of continuation tokens (never the codes or tokens), and TOTP secrets in
///   base32 (a TOTP check needs the secret itself: protect the file as the keys). Instants are whole
///   nanoseconds since the Unix epoch, so they come back exactly as they went in.
/// - **Concurrency.** One connection behind a mutex; each call runs on tokio's blocking
///   pool (`spawn_blocking`) when a tokio runtime is there, inline otherwise, so the
///   async executor never waits on disk. Atomic operations (rotation, test-and-set of
///   the blocklist, counting) run in one `IMMEDIATE` transaction, and single-use spends
///   (a TOTP time step, a recovery code, a continuation) in one statement, so they stay
///   atomic between processes sharing the file. Files use WAL journaling.
/// - **Failures.** Every SQLite error (unwritable file, full disk, a lock held longer
///   than the busy timeout, a corrupt row) is a [`StoreError`], which the flow answers
///   by refusing (503), never by letting anyone in. Nothing here panics on bad input.
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use std::sync::Arc;
/// use auth_hooks_flow::*;
/// use auth_hooks_sqlite::SqliteStore;
///
/// let store = Arc::new(SqliteStore::open_in_memory()?); // or SqliteStore::open("auth.db")?
/// let rt = tokio::runtime::Builder::new_current_thread().build()?;
/// rt.block_on(async {
///     let hasher = PasswordHasher::for_tests(); // PasswordHasher::owasp() in production
///     store.add_user("u1", "ada", "correct horse", &hasher).await?;
///     let flow = AuthFlow::builder(PasswordBackend::new(store.clone(), hasher))
///         .sessions(SessionManager::new(SessionKey::generate()?, store.clone()))
///         .build()?;
///     let ok = flow
///         .login(Credentials::password("ada", "correct horse"), auth_hooks::RequestMeta::new("POST", "/login"))
///         .await?;
///     assert!(ok.session.is_some());
///     Ok(())
/// })
/// # }
/// ```
#[derive(Clone)]
pub struct SqliteStore {
    conn: Arc<Mutex<Connection>>,
    location: Arc<str>,
}

/// How [`SqliteStore::open_with`] opens a database.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SqliteOptions {
    /// How long a write waits for another connection's lock on the file before it
    /// fails with a [`StoreError`] (default 5 s).
    pub busy_timeout: Duration,
}

impl Default for SqliteOptions {
    fn default() -> Self {
        SqliteOptions {
            busy_timeout: Duration::from_secs(5),
        }
    }
}

impl SqliteOptions {
    /// Sets the busy timeout.
    pub fn busy_timeout(mut self, busy_timeout: Duration) -> Self {
        self.busy_timeout = busy_timeout;
        self
    }
}

impl SqliteStore {
    /// Opens (creating it if needed) the database file at `path` and brings its schema
    /// up to date.
    ///
    /// A file that cannot be created or written (a missing directory, no permission, a
    /// directory in its place) is a [`StoreError`].
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        Self::open_with(path, SqliteOptions::default())
    }

    /// As [`open`](Self::open), with `options`.
    pub fn open_with(path: impl AsRef<Path>, options: SqliteOptions) -> Result<Self, StoreError> {
        let path: PathBuf = path.as_ref().to_owned();
        let location = path.display().to_string();
        let conn = Connection::open_with_flags(
            &path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX
                | OpenFlags::SQLITE_OPEN_URI,
        )
        .map_err(|e| StoreError::with_source(format!("sqlite: cannot open {location}"), e))?;
        Self::prepare(conn, location, &options, true)
    }

    /// A fresh database in memory, private to this value (and its clones): for tests,
    /// demos and single-process apps that may forget everything on restart.
    pub fn open_in_memory() -> Result<Self, StoreError> {
        let conn = Connection::open_in_memory()
            .map_err(|e| StoreError::with_source("sqlite: cannot open an in-memory database", e))?;
        Self::prepare(
            conn,
            ":memory:".to_owned(),
            &SqliteOptions::default(),
            false,
        )
    }

    fn prepare(
        mut conn: Connection,
        location: String,
        options: &SqliteOptions,
        file: bool,
    ) -> Result<Self, StoreError> {
        let fail = |what: &str, e: rusqlite::Error| {
            StoreError::with_source(format!("sqlite: {what} ({location})"), e)
        };
        conn.busy_timeout(options.busy_timeout)
            .map_err(|e| fail("cannot set the busy timeout", e))?;
        if file {
            // WAL lets readers go on during a write; `synchronous = NORMAL` is its usual
            // partner (durable across application crashes, not all power losses).
            conn.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))
                .map_err(|e| fail("cannot write the database", e))?;
            conn.execute_batch("PRAGMA synchronous = NORMAL")
                .map_err(|e| fail("cannot configure the database", e))?;
        }
        migrations::apply(&mut conn).map_err(|e| match e {
            migrations::MigrationError::Sqlite(e) => fail("cannot apply the migrations", e),
            migrations::MigrationError::TooNew { found } => StoreError::new(format!(
                "sqlite: the database ({location}) has schema version {found}, newer than \
                 the {SCHEMA_VERSION} this build knows; refusing to use it"
            )),
        })?;
        Ok(SqliteStore {
            conn: Arc::new(Mutex::new(conn)),
            location: location.into(),
        })
    }

    /// Where the database is: its path, or `:memory:`.
    pub fn location(&self) -> &str {
        &self.location
    }

    /// The schema version of the open database (the highest migration applied).
    pub async fn schema_version(&self) -> Result<u32, StoreError> {
        self.call("read the schema version", |conn| {
            migrations::current_version(conn)
        })
        .await
    }

    /// Runs `f` with the connection: on tokio's blocking pool if a tokio runtime is
    /// current, otherwise right here. `what` names the operation in errors.
    pub(crate) async fn call<T, F>(&self, what: &'static str, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        let conn = Arc::clone(&self.conn);
        let location = Arc::clone(&self.location);
        let run = move || {
            let mut conn = conn.lock().map_err(|_| {
                StoreError::new(format!(
                    "sqlite ({location}): connection lock poisoned by a panic"
                ))
            })?;
            f(&mut conn).map_err(|e| StoreError::with_source(format!("sqlite: cannot {what}"), e))
        };
        match tokio::runtime::Handle::try_current() {
            Ok(handle) => handle.spawn_blocking(run).await.map_err(|e| {
                StoreError::with_source(format!("sqlite: the task to {what} failed"), e)
            })?,
            Err(_) => run(),
        }
    }
}

impl fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqliteStore")
            .field("location", &self.location)
            .finish_non_exhaustive()
    }
}
