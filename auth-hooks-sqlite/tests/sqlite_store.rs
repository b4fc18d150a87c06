//! The SQLite store: every conformance suite on a file and in memory, migrations,
//! failures as `StoreError` (never a panic, never an acceptance), and the whole flow on it.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use auth_hooks_flow::{
    AttemptStore, JtiBlocklist, LoginError, SessionData, SessionRecord, SessionStore, UserStore,
};

use auth_hooks_flow::second_factor::{
    ContinuationStore, SecondFactorStore, TotpEnrollment, TotpSecret,
};
use auth_hooks_flow::testing::{
    atomicity_conformance, attempt_store_conformance, conformance_continuation, conformance_users,
    continuation_store_conformance, jti_blocklist_conformance, second_factor_store_conformance,
    session_store_conformance, user_store_conformance,
};
use auth_hooks_flow::testing::{full_cycle, hasher, parallel_guesses_conformance, USERS};
use auth_hooks_sqlite::{SqliteOptions, SqliteStore, SCHEMA_VERSION as SQLITE_SCHEMA_VERSION};
use auth_hooks_test_support::flow::{ada, request, Fixture, FixtureOptions, PASSWORD};

fn temp_db() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("auth.db");
    (dir, path)
}

/// Runs every trait suite on fresh stores made by `open`.
async fn all_suites(open: impl Fn() -> SqliteStore) {
    session_store_conformance(Arc::new(open())).await;
    jti_blocklist_conformance(Arc::new(open())).await;
    attempt_store_conformance(Arc::new(open())).await;
    let users = open();
    for user in conformance_users() {
        users.insert_user(user).await.unwrap();
    }
    user_store_conformance(Arc::new(users)).await;
    second_factor_store_conformance(Arc::new(open())).await;
    continuation_store_conformance(Arc::new(open())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn in_memory_sqlite_passes_every_conformance_suite() {
    all_suites(|| SqliteStore::open_in_memory().unwrap()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn file_sqlite_passes_every_conformance_suite() {
    let dir = tempfile::tempdir().unwrap();
    let next = std::sync::atomic::AtomicU32::new(0);
    all_suites(|| {
        let n = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        SqliteStore::open(dir.path().join(format!("auth-{n}.db"))).unwrap()
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_guesses_on_sqlite_never_get_more_verifications_than_the_limits() {
    let (_dir, path) = temp_db();
    parallel_guesses_conformance(Arc::new(SqliteStore::open(&path).unwrap())).await;
}

#[tokio::test]
async fn a_database_of_schema_1_gains_session_data_and_suspension_and_keeps_its_rows() {
    let (_dir, path) = temp_db();
    let store = SqliteStore::open(&path).unwrap();
    store
        .add_user("u-ada", "ada", PASSWORD, &hasher())
        .await
        .unwrap();
    let mut old = SessionRecord {
        id_hash: "o".repeat(64),
        user_id: "u-ada".to_owned(),
        created_at: SystemTime::now(),
        last_seen_at: SystemTime::now(),
        expires_at: SystemTime::now() + Duration::from_secs(3600),
        idle_expires_at: SystemTime::now() + Duration::from_secs(600),
        data: Default::default(),
    };
    store.insert(old.clone()).await.unwrap();
    drop(store);
    // Back to what schema 1 wrote: no `data` column, no second-factor tables,
    // migrations 2 and 3 not recorded.
    let raw = rusqlite::Connection::open(&path).unwrap();
    raw.execute_batch(
        "ALTER TABLE auth_sessions DROP COLUMN data;
         ALTER TABLE auth_users DROP COLUMN suspended;
         DROP TABLE auth_totp;
         DROP TABLE auth_recovery_codes;
         DROP TABLE auth_continuations;
         DELETE FROM auth_hooks_migrations WHERE version >= 2;",
    )
    .unwrap();
    drop(raw);

    let store = SqliteStore::open(&path).expect("migrations 2 and 3 apply");
    assert_eq!(store.schema_version().await.unwrap(), SQLITE_SCHEMA_VERSION);
    assert_eq!(
        store.get(&old.id_hash).await.unwrap(),
        Some(old.clone()),
        "an old session reads back, without data"
    );
    let ada = store
        .find_by_login("ada")
        .await
        .unwrap()
        .expect("an old user reads back");
    assert!(!ada.suspended && !ada.disabled);
    old.data.insert("tenant", "demo").unwrap();
    assert!(store.set_data(&old.id_hash, &old.data).await.unwrap());
    assert_eq!(store.get(&old.id_hash).await.unwrap(), Some(old));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_is_atomic_under_concurrent_callers() {
    let (_dir, path) = temp_db();
    let store = Arc::new(SqliteStore::open(&path).unwrap());
    atomicity_conformance(store.clone(), store.clone(), store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_handles_on_one_file_stay_atomic() {
    // Two opens of one file: two connections, as two processes would have. Atomicity
    // comes from SQLite's transactions, not only from the in-process mutex.
    let (_dir, path) = temp_db();
    let handles = [
        Arc::new(SqliteStore::open(&path).unwrap()),
        Arc::new(SqliteStore::open(&path).unwrap()),
    ];
    let base = auth_hooks_flow::testing::base();
    let end = base + Duration::from_secs(1000);

    let mut counts = Vec::new();
    let mut firsts = 0;
    let tasks: Vec<_> = (0..16)
        .map(|i| {
            let store = handles[i % 2].clone();
            tokio::spawn(async move {
                let count = store
                    .record_failure("shared", base, Duration::from_secs(60))
                    .await
                    .unwrap();
                let first = store.block("shared-jti", end).await.unwrap();
                (count, first)
            })
        })
        .collect();
    for task in tasks {
        let (count, first) = task.await.unwrap();
        counts.push(count);
        firsts += u32::from(first);
    }
    counts.sort_unstable();
    assert_eq!(counts, (1..=16).collect::<Vec<u32>>(), "no failure lost");
    assert_eq!(firsts, 1, "one block() across both connections sees it new");

    let old = SessionRecord {
        id_hash: "old".to_owned(),
        user_id: "rita".to_owned(),
        created_at: base,
        last_seen_at: base,
        expires_at: end,
        idle_expires_at: end,
        data: Default::default(),
    };
    handles[0].insert(old.clone()).await.unwrap();
    let tasks: Vec<_> = (0..16)
        .map(|i| {
            let store = handles[i % 2].clone();
            let new = SessionRecord {
                id_hash: format!("new-{i}"),
                ..old.clone()
            };
            tokio::spawn(async move { store.rotate("old", new).await.unwrap().is_some() })
        })
        .collect();
    let mut winners = 0;
    for task in tasks {
        winners += u32::from(task.await.unwrap());
    }
    assert_eq!(winners, 1, "one rotation takes the old session");
    assert_eq!(handles[1].list_for_user("rita").await.unwrap().len(), 16);
}

#[tokio::test]
async fn data_outlives_the_handle_and_migrations_run_once() {
    let (_dir, path) = temp_db();
    let mut data = SessionData::new();
    data.insert("tenant", "demo").unwrap();
    let record = SessionRecord {
        id_hash: "h".repeat(64),
        user_id: "u-ada".to_owned(),
        created_at: SystemTime::now(),
        last_seen_at: SystemTime::now(),
        expires_at: SystemTime::now() + Duration::from_secs(3600),
        idle_expires_at: SystemTime::now() + Duration::from_secs(600),
        data,
    };
    {
        let store = SqliteStore::open(&path).unwrap();
        assert_eq!(store.schema_version().await.unwrap(), SQLITE_SCHEMA_VERSION);
        store.insert(record.clone()).await.unwrap();
    }
    for _ in 0..3 {
        let store = SqliteStore::open(&path).expect("reopening re-runs no migration");
        assert_eq!(store.schema_version().await.unwrap(), SQLITE_SCHEMA_VERSION);
        assert_eq!(
            store.get(&record.id_hash).await.unwrap(),
            Some(record.clone()),
            "the session survives reopening, to the nanosecond"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_handles_on_one_file_spend_a_code_and_a_continuation_once() {
    // Two connections, as two processes would have: each spend is one statement.
    let (_dir, path) = temp_db();
    let handles = [
        Arc::new(SqliteStore::open(&path).unwrap()),
        Arc::new(SqliteStore::open(&path).unwrap()),
    ];
    let secret = TotpSecret::from_base32("JBSWY3DPEHPK3PXP").unwrap();
    handles[0]
        .set_totp("u-ada", TotpEnrollment::confirmed(secret))
        .await
        .unwrap();
    handles[0]
        .set_recovery_codes("u-ada", vec!["h1".into(), "h2".into()])
        .await
        .unwrap();
    let base = auth_hooks_flow::testing::base();
    let record = conformance_continuation("u-ada", base + Duration::from_secs(300));
    handles[1].put("c-hash", &record).await.unwrap();

    let tasks: Vec<_> = (0..16)
        .map(|i| {
            let store = handles[i % 2].clone();
            tokio::spawn(async move {
                (
                    store.accept_totp_step("u-ada", 42).await.unwrap(),
                    store.use_recovery_code("u-ada", "h1").await.unwrap(),
                    store.take("c-hash", base).await.unwrap().is_some(),
                )
            })
        })
        .collect();
    let (mut steps, mut codes, mut takes) = (0, 0, 0);
    for task in tasks {
        let (step, code, take) = task.await.unwrap();
        steps += u32::from(step);
        codes += u32::from(code);
        takes += u32::from(take);
    }
    assert_eq!(
        (steps, codes, takes),
        (1, 1, 1),
        "across connections a step, a code and a continuation are each spent once"
    );
    assert_eq!(handles[1].recovery_codes_left("u-ada").await.unwrap(), 1);
}

#[tokio::test]
async fn a_database_of_schema_2_gains_the_second_factor_tables_and_keeps_its_rows() {
    let (_dir, path) = temp_db();
    let store = SqliteStore::open(&path).unwrap();
    store
        .add_user("u-ada", "ada", PASSWORD, &hasher())
        .await
        .unwrap();
    drop(store);
    // Back to what schema 2 wrote: no second-factor tables, migration 3 not recorded.
    let raw = rusqlite::Connection::open(&path).unwrap();
    raw.execute_batch(
        "DROP TABLE auth_totp;
         DROP TABLE auth_recovery_codes;
         DROP TABLE auth_continuations;
         DELETE FROM auth_hooks_migrations WHERE version = 3;",
    )
    .unwrap();
    drop(raw);

    let store = SqliteStore::open(&path).expect("migration 3 applies");
    assert_eq!(store.schema_version().await.unwrap(), SQLITE_SCHEMA_VERSION);
    assert!(store.find_by_login("ada").await.unwrap().is_some());
    assert_eq!(store.totp("u-ada").await.unwrap(), None);
    let secret = TotpSecret::from_base32("JBSWY3DPEHPK3PXP").unwrap();
    store
        .set_totp("u-ada", TotpEnrollment::confirmed(secret.clone()))
        .await
        .unwrap();
    drop(store);
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(
        store.totp("u-ada").await.unwrap(),
        Some(TotpEnrollment::confirmed(secret)),
        "an enrollment survives reopening"
    );
}

#[tokio::test]
async fn a_corrupt_totp_secret_is_a_store_error_that_shows_no_secret() {
    let (_dir, path) = temp_db();
    let store = SqliteStore::open(&path).unwrap();
    let raw = rusqlite::Connection::open(&path).unwrap();
    raw.execute(
        "INSERT INTO auth_totp (user_id, secret, confirmed) VALUES ('u-ada', 'SHORT0SECRET!', 1)",
        [],
    )
    .unwrap();
    let error = store.totp("u-ada").await.unwrap_err();
    let shown = format!("{error} {error:?}");
    assert!(!shown.contains("SHORT0SECRET"), "{shown}");
}

#[test]
fn an_unwritable_location_is_a_store_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, b"not a directory").unwrap();
    for path in [
        dir.path().join("missing-dir").join("auth.db"),
        file.join("auth.db"),  // a file where a directory should be
        dir.path().to_owned(), // a directory where the database should be
    ] {
        let err = SqliteStore::open(&path).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("store unavailable: sqlite: cannot"),
            "{path:?}: {err}"
        );
    }
}

#[test]
fn a_file_that_is_not_a_database_is_a_store_error() {
    let (_dir, path) = temp_db();
    std::fs::write(&path, vec![0x42u8; 8192]).unwrap();
    let err = SqliteStore::open(&path).unwrap_err();
    assert!(err.to_string().contains("sqlite"), "{err}");
}

#[test]
fn a_database_from_a_newer_version_is_refused_with_a_clear_message() {
    let (_dir, path) = temp_db();
    drop(SqliteStore::open(&path).unwrap());
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute(
            "INSERT INTO auth_hooks_migrations (version) VALUES (?1)",
            [SQLITE_SCHEMA_VERSION + 1],
        )
        .unwrap();
    let err = SqliteStore::open(&path).unwrap_err();
    assert!(
        err.to_string().contains("newer than"),
        "names the version clash: {err}"
    );
}

#[tokio::test]
async fn a_locked_database_fails_closed_and_recovers() {
    // Another connection holds the write lock (as another process mid-write, or a disk
    // that stopped answering would): writes fail with a StoreError after the busy
    // timeout; the flow refuses the login with StoreUnavailable and creates nothing.
    let (_dir, path) = temp_db();
    let store = Arc::new(
        SqliteStore::open_with(
            &path,
            SqliteOptions::default().busy_timeout(Duration::from_millis(50)),
        )
        .unwrap(),
    );
    let blocker = rusqlite::Connection::open(&path).unwrap();
    blocker.execute_batch("BEGIN EXCLUSIVE").unwrap();

    let fx = Fixture::with(
        auth_hooks::AuthHookRegistry::new(),
        FixtureOptions {
            tokens: false,
            lockout: false,
            session_store: Some(store.clone() as Arc<dyn SessionStore>),
            ..Default::default()
        },
    );
    let err = fx.flow.login(ada(PASSWORD), request()).await.unwrap_err();
    assert!(matches!(err, LoginError::StoreUnavailable(_)), "{err:?}");
    assert!(
        err.to_string().contains("store unavailable"),
        "the log says which: {err}"
    );
    assert!(store
        .block("jti", SystemTime::now() + Duration::from_secs(60))
        .await
        .is_err());

    blocker.execute_batch("ROLLBACK").unwrap();
    assert!(fx.flow.login(ada(PASSWORD), request()).await.is_ok());
    assert_eq!(store.list_for_user("u-ada").await.unwrap().len(), 1);
}

#[tokio::test]
async fn the_whole_flow_runs_on_sqlite() {
    let (_dir, path) = temp_db();
    let store = Arc::new(SqliteStore::open(&path).unwrap());
    for (id, login) in USERS {
        store
            .add_user(id, login, PASSWORD, &hasher())
            .await
            .unwrap();
    }
    full_cycle(store.clone()).await;
    // Expired entries are cleaned up on request.
    let later = SystemTime::now() + Duration::from_secs(400 * 24 * 3600);
    assert!(SessionStore::remove_expired(&*store, later).await.unwrap() >= 1);
    assert!(JtiBlocklist::remove_expired(&*store, later).await.unwrap() >= 1);
    AttemptStore::remove_expired(&*store, later).await.unwrap();
}

#[tokio::test]
async fn the_whole_flow_runs_on_in_memory_sqlite() {
    let store = Arc::new(SqliteStore::open_in_memory().unwrap());
    for (id, login) in USERS {
        store
            .add_user(id, login, PASSWORD, &hasher())
            .await
            .unwrap();
    }
    full_cycle(store).await;
}

#[tokio::test]
async fn users_are_stored_with_lower_cased_unique_logins() {
    let store = SqliteStore::open_in_memory().unwrap();
    store
        .add_user("u-1", "Ada", PASSWORD, &hasher())
        .await
        .unwrap();
    let err = store
        .add_user("u-2", "ADA", PASSWORD, &hasher())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("store unavailable"), "{err}");
    assert!(store.set_user_disabled("u-1", true).await.unwrap());
    assert!(!store.set_user_disabled("u-404", true).await.unwrap());
    assert!(store.find_by_login("ada").await.unwrap().unwrap().disabled);
}

#[test]
fn the_store_works_without_a_tokio_runtime_and_shows_no_secrets() {
    let store = SqliteStore::open_in_memory().unwrap();
    let record = SessionRecord {
        id_hash: "a".repeat(64),
        user_id: "u".to_owned(),
        created_at: SystemTime::now(),
        last_seen_at: SystemTime::now(),
        expires_at: SystemTime::now() + Duration::from_secs(60),
        idle_expires_at: SystemTime::now() + Duration::from_secs(60),
        data: Default::default(),
    };
    // No executor at all: without tokio the call runs inline, so one poll finishes it.
    let mut call = std::pin::pin!(store.insert(record));
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    match call.as_mut().poll(&mut cx) {
        std::task::Poll::Ready(result) => result.unwrap(),
        std::task::Poll::Pending => panic!("without tokio the store answers inline"),
    }
    assert_eq!(
        format!("{store:?}"),
        r#"SqliteStore { location: ":memory:", .. }"#
    );
}

#[tokio::test]
async fn expired_entries_go_a_bounded_batch_at_a_time() {
    let store = SqliteStore::open_in_memory().unwrap();
    let now = SystemTime::now();
    for i in 0..5 {
        let ended = now - Duration::from_secs(1);
        JtiBlocklist::block(&store, &format!("gone-{i}"), ended)
            .await
            .unwrap();
        AttemptStore::record_failure(
            &store,
            &format!("old-{i}"),
            ended - Duration::from_secs(10),
            Duration::from_secs(5),
        )
        .await
        .unwrap();
    }
    JtiBlocklist::block(&store, "kept", now + Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(
        JtiBlocklist::remove_expired_at_most(&store, now, 2)
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        JtiBlocklist::remove_expired_at_most(&store, now, 2)
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        JtiBlocklist::remove_expired_at_most(&store, now, 2)
            .await
            .unwrap(),
        1
    );
    assert!(JtiBlocklist::is_blocked(&store, "kept", now).await.unwrap());
    assert_eq!(
        AttemptStore::remove_expired_at_most(&store, now, 3)
            .await
            .unwrap(),
        3
    );
    assert_eq!(AttemptStore::remove_expired(&store, now).await.unwrap(), 2);
}
