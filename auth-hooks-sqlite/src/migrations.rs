//! The schema of [`SqliteStore`](super::SqliteStore), as numbered migrations applied on
//! open.
//!
//! Each migration runs once, in its own `IMMEDIATE` transaction together with the row
//! that records it in `auth_hooks_migrations`, so two processes opening the same file at
//! once cannot both apply it, and a crash leaves either all of it or none. Migrations are
//! append-only: a released one is never edited, a change is a new one.

use rusqlite::{Connection, OptionalExtension, TransactionBehavior};

/// The schema version this build writes: the number of the last migration.
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

/// Migration `n` is `MIGRATIONS[n - 1]`.
const MIGRATIONS: &[&str] = &[
    // 1: sessions, blocklist, counters, users. Instants are nanoseconds since the epoch.
    "
    CREATE TABLE auth_sessions (
        id_hash         TEXT    NOT NULL PRIMARY KEY,
        user_id         TEXT    NOT NULL,
        created_at      INTEGER NOT NULL,
        last_seen_at    INTEGER NOT NULL,
        expires_at      INTEGER NOT NULL,
        idle_expires_at INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX auth_sessions_by_user ON auth_sessions (user_id, created_at);
    CREATE INDEX auth_sessions_by_end ON auth_sessions (min(expires_at, idle_expires_at));

    CREATE TABLE auth_jti_blocklist (
        key   TEXT    NOT NULL PRIMARY KEY,
        until INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX auth_jti_blocklist_by_end ON auth_jti_blocklist (until);

    CREATE TABLE auth_attempts (
        key          TEXT    NOT NULL PRIMARY KEY,
        failures     INTEGER NOT NULL DEFAULT 0,
        window_end   INTEGER,
        locked_until INTEGER
    ) WITHOUT ROWID;

    CREATE TABLE auth_users (
        id            TEXT    NOT NULL PRIMARY KEY,
        login         TEXT    NOT NULL UNIQUE,
        password_hash TEXT    NOT NULL,
        disabled      INTEGER NOT NULL DEFAULT 0
    );
    ",
    // 2: what on_login hooks keep with a session, as a JSON object; suspended users.
    "
    ALTER TABLE auth_sessions ADD COLUMN data TEXT NOT NULL DEFAULT '{}';
    ALTER TABLE auth_users ADD COLUMN suspended INTEGER NOT NULL DEFAULT 0;
    ",
    // 3: second factors (a TOTP secret in base32 with the last accepted time step, the
    // keyed hashes of recovery codes) and logins waiting for one (a continuation's
    // record as JSON, under the keyed hash of its token).
    "
    CREATE TABLE auth_totp (
        user_id   TEXT    NOT NULL PRIMARY KEY,
        secret    TEXT    NOT NULL,
        confirmed INTEGER NOT NULL DEFAULT 0,
        last_step INTEGER
    ) WITHOUT ROWID;

    CREATE TABLE auth_recovery_codes (
        user_id TEXT NOT NULL,
        hash    TEXT NOT NULL,
        PRIMARY KEY (user_id, hash)
    ) WITHOUT ROWID;

    CREATE TABLE auth_continuations (
        id_hash    TEXT    NOT NULL PRIMARY KEY,
        record     TEXT    NOT NULL,
        expires_at INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX auth_continuations_by_end ON auth_continuations (expires_at);
    ",
];

/// Why the schema could not be brought up to date.
#[derive(Debug)]
pub(super) enum MigrationError {
    /// SQLite refused (an unwritable file, a lock held too long, ...).
    Sqlite(rusqlite::Error),
    /// The database has migrations this build does not know.
    TooNew { found: u32 },
}

impl From<rusqlite::Error> for MigrationError {
    fn from(e: rusqlite::Error) -> Self {
        MigrationError::Sqlite(e)
    }
}

const CREATE_LEDGER: &str = "CREATE TABLE IF NOT EXISTS auth_hooks_migrations (
    version    INTEGER NOT NULL PRIMARY KEY,
    applied_at INTEGER NOT NULL DEFAULT (unixepoch())
)";

/// The highest migration recorded in the database (0 for a new one).
pub(super) fn current_version(conn: &Connection) -> rusqlite::Result<u32> {
    let ledger: Option<String> = conn
        .query_row(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'auth_hooks_migrations'",
            [],
            |row| row.get(0),
        )
        .optional()?;
    if ledger.is_none() {
        return Ok(0);
    }
    conn.query_row(
        "SELECT coalesce(max(version), 0) FROM auth_hooks_migrations",
        [],
        |row| row.get(0),
    )
}

/// Applies every migration the database lacks; returns how many ran.
pub(super) fn apply(conn: &mut Connection) -> Result<usize, MigrationError> {
    let mut applied = 0;
    for (index, sql) in MIGRATIONS.iter().enumerate() {
        let version = index as u32 + 1;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute_batch(CREATE_LEDGER)?;
        let current = current_version(&tx)?;
        if current > SCHEMA_VERSION {
            return Err(MigrationError::TooNew { found: current });
        }
        if current >= version {
            continue; // dropping `tx` rolls back the (empty) transaction
        }
        tx.execute_batch(sql)?;
        tx.execute(
            "INSERT INTO auth_hooks_migrations (version) VALUES (?1)",
            [version],
        )?;
        tx.commit()?;
        applied += 1;
    }
    Ok(applied)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_database_gets_every_migration_once() {
        let mut conn = Connection::open_in_memory().unwrap();
        assert_eq!(apply(&mut conn).unwrap(), MIGRATIONS.len());
        assert_eq!(current_version(&conn).unwrap(), SCHEMA_VERSION);
        assert_eq!(apply(&mut conn).unwrap(), 0, "a second run applies nothing");
        let rows: u32 = conn
            .query_row("SELECT count(*) FROM auth_hooks_migrations", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(rows, SCHEMA_VERSION);
    }

    #[test]
    fn a_database_from_a_newer_build_is_refused() {
        let mut conn = Connection::open_in_memory().unwrap();
        apply(&mut conn).unwrap();
        conn.execute(
            "INSERT INTO auth_hooks_migrations (version) VALUES (?1)",
            [SCHEMA_VERSION + 1],
        )
        .unwrap();
        assert!(matches!(
            apply(&mut conn),
            Err(MigrationError::TooNew { found }) if found == SCHEMA_VERSION + 1
        ));
    }
}
