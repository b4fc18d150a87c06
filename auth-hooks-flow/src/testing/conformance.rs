//! Trait-level suites every store implementation must pass: memory, SQLite, Redis and
//! yours. Each function panics (with a message naming the broken promise) on the
//! first violation.
//!
//! Stores are expected to be empty at the start. Times are far in the future
//! (`base()`), so stores with native expiry (Redis) never drop an entry during a run.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use serde_json::json;

use crate::second_factor::{
    ContinuationRecord, ContinuationStore, SecondFactorStore, TotpEnrollment, TotpSecret,
};
use crate::{
    AttemptStore, JtiBlocklist, NewUserOutcome, PasswordUser, SessionData, SessionRecord,
    SessionStore, UserStore,
};

/// How many callers each race of the suites starts at once.
const RACERS: u64 = 16;

/// A fixed, far-future instant all suites count from.
pub fn base() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(4_000_000_000)
}

fn at(secs: u64) -> SystemTime {
    base() + Duration::from_secs(secs)
}

fn record(hash: &str, user: &str, created: u64) -> SessionRecord {
    SessionRecord {
        id_hash: hash.to_owned(),
        user_id: user.to_owned(),
        created_at: at(created),
        last_seen_at: at(created),
        expires_at: at(created + 1000),
        idle_expires_at: at(created + 100),
        data: SessionData::new(),
    }
}

/// The promises of [`SessionStore`].
pub async fn session_store_conformance(store: Arc<dyn SessionStore>) {
    // insert / get
    let a = record("hash-a", "alice", 0);
    store.insert(a.clone()).await.expect("insert");
    assert_eq!(
        store.get("hash-a").await.expect("get"),
        Some(a.clone()),
        "get returns what insert stored"
    );
    assert_eq!(
        store.get("hash-missing").await.expect("get"),
        None,
        "get of an unknown hash is None"
    );
    assert!(
        store.insert(a.clone()).await.is_err(),
        "insert never overwrites an existing session"
    );

    // touch
    assert!(
        store.touch("hash-a", at(50), at(150)).await.expect("touch"),
        "touch of a stored session is true"
    );
    let touched = store.get("hash-a").await.unwrap().unwrap();
    assert_eq!(
        (touched.last_seen_at, touched.idle_expires_at),
        (at(50), at(150)),
        "touch updates last use and idle end"
    );
    assert!(
        !store
            .touch("hash-missing", at(50), at(150))
            .await
            .expect("touch"),
        "touch of an unknown hash is false"
    );

    // data: stored with the session, read back as written, and kept by touch
    let mut data = SessionData::new();
    data.insert("tenant", "acme").unwrap();
    data.insert("roles", &["admin", "ops"]).unwrap();
    data.insert("quote", "it's \"quoted\" ; -- DROP TABLE")
        .unwrap();
    assert!(
        store.set_data("hash-a", &data).await.expect("set_data"),
        "set_data of a stored session is true"
    );
    store.touch("hash-a", at(60), at(160)).await.unwrap();
    let enriched = store.get("hash-a").await.unwrap().unwrap();
    assert_eq!(enriched.data, data, "data reads back as written");
    assert_eq!(
        (enriched.last_seen_at, enriched.user_id.as_str()),
        (at(60), "alice"),
        "set_data changes nothing else"
    );
    assert!(
        !store
            .set_data("hash-missing", &data)
            .await
            .expect("set_data"),
        "set_data of an unknown hash is false"
    );
    let mut with_data = record("hash-d", "dora", 1);
    with_data.data = data.clone();
    store.insert(with_data).await.unwrap();
    assert_eq!(
        store.get("hash-d").await.unwrap().unwrap().data,
        data,
        "insert stores the data too"
    );
    store.remove("hash-d").await.unwrap();

    // list per user, oldest first
    store.insert(record("hash-b", "alice", 10)).await.unwrap();
    store.insert(record("hash-c", "bob", 5)).await.unwrap();
    let alice: Vec<String> = store
        .list_for_user("alice")
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.id_hash)
        .collect();
    assert_eq!(
        alice,
        ["hash-a", "hash-b"],
        "list_for_user: that user's sessions only, oldest first"
    );
    assert!(store.list_for_user("nobody").await.unwrap().is_empty());

    // rotate: old gone, new present, in one step
    let new = record("hash-a2", "alice", 60);
    let old = store.rotate("hash-a", new.clone()).await.expect("rotate");
    assert_eq!(
        old.map(|r| r.id_hash).as_deref(),
        Some("hash-a"),
        "rotate returns the removed session"
    );
    assert_eq!(
        store.get("hash-a").await.unwrap(),
        None,
        "rotate removes the old session"
    );
    assert_eq!(
        store.get("hash-a2").await.unwrap(),
        Some(new),
        "rotate stores the new session"
    );
    let fresh = record("hash-d", "alice", 61);
    assert_eq!(
        store.rotate("hash-never", fresh).await.unwrap(),
        None,
        "rotate from an unknown id still creates"
    );
    assert!(store.get("hash-d").await.unwrap().is_some());

    // remove is idempotent
    assert!(
        store.remove("hash-d").await.unwrap().is_some(),
        "remove returns the session"
    );
    assert!(
        store.remove("hash-d").await.unwrap().is_none(),
        "a second remove is harmless"
    );

    // remove all for user, with and without exception
    let removed = store
        .remove_all_for_user("alice", Some("hash-a2"))
        .await
        .unwrap();
    assert_eq!(
        removed, 1,
        "remove_all_for_user removes the others (hash-b)"
    );
    assert!(
        store.get("hash-a2").await.unwrap().is_some(),
        "the excepted session stays"
    );
    assert!(
        store.get("hash-c").await.unwrap().is_some(),
        "other users' sessions stay"
    );
    assert_eq!(store.remove_all_for_user("alice", None).await.unwrap(), 1);
    assert!(store.list_for_user("alice").await.unwrap().is_empty());

    // expiry: idle end and absolute end
    store.insert(record("hash-e", "carol", 0)).await.unwrap(); // idle end 100, end 1000
    let mut long_idle = record("hash-f", "carol", 0);
    long_idle.idle_expires_at = at(5000);
    store.insert(long_idle).await.unwrap(); // absolute end 1000
    assert_eq!(
        store.remove_expired(at(99)).await.unwrap(),
        0,
        "nothing ends before its time"
    );
    // bob's hash-c (idle end 105) and hash-e (idle end 100) end by 200.
    assert_eq!(
        store.remove_expired(at(200)).await.unwrap(),
        2,
        "idle-expired sessions are removed"
    );
    assert!(store.get("hash-f").await.unwrap().is_some());
    assert_eq!(
        store.remove_expired(at(1000)).await.unwrap(),
        1,
        "sessions past their absolute end are removed"
    );
    assert!(store.get("hash-f").await.unwrap().is_none());
}

/// The promises of [`JtiBlocklist`].
pub async fn jti_blocklist_conformance(blocklist: Arc<dyn JtiBlocklist>) {
    assert!(
        !blocklist.is_blocked("jti-1", at(0)).await.unwrap(),
        "unknown ids are not blocked"
    );
    assert!(
        blocklist.block("jti-1", at(100)).await.unwrap(),
        "first block reports a new entry"
    );
    assert!(
        !blocklist.block("jti-1", at(50)).await.unwrap(),
        "second block reports it was already blocked"
    );
    assert!(
        blocklist.is_blocked("jti-1", at(99)).await.unwrap(),
        "blocked until its end"
    );
    assert!(
        !blocklist.is_blocked("jti-1", at(100)).await.unwrap(),
        "not blocked from its end on"
    );
    assert!(!blocklist.block("jti-1", at(300)).await.unwrap());
    assert!(
        blocklist.is_blocked("jti-1", at(200)).await.unwrap(),
        "a later end extends the block"
    );
    assert!(blocklist.block("fam:abc", at(100)).await.unwrap());
    assert!(
        !blocklist.is_blocked("fam:abd", at(0)).await.unwrap(),
        "keys are exact"
    );
    assert_eq!(
        blocklist.remove_expired(at(150)).await.unwrap(),
        1,
        "expired entries are forgotten"
    );
    assert!(
        blocklist.is_blocked("jti-1", at(150)).await.unwrap(),
        "live entries stay"
    );
}

/// The promises of [`AttemptStore`].
pub async fn attempt_store_conformance(store: Arc<dyn AttemptStore>) {
    let window = Duration::from_secs(100);
    for expected in 1..=3 {
        assert_eq!(
            store
                .record_failure("k", at(expected), window)
                .await
                .unwrap(),
            expected as u32,
            "failures count within the window"
        );
    }
    assert_eq!(
        store.record_failure("other", at(1), window).await.unwrap(),
        1,
        "keys count apart"
    );
    assert_eq!(
        store.record_failure("k", at(101), window).await.unwrap(),
        1,
        "a failure after the window starts a new count"
    );
    assert_eq!(
        store.locked_until("k", at(0)).await.unwrap(),
        None,
        "not locked by counting alone"
    );
    store.lock("k", at(500)).await.unwrap();
    assert_eq!(
        store.locked_until("k", at(499)).await.unwrap(),
        Some(at(500)),
        "locked until the end"
    );
    assert_eq!(
        store.locked_until("k", at(500)).await.unwrap(),
        None,
        "unlocked from the end on"
    );
    store.lock("k", at(400)).await.unwrap();
    assert_eq!(
        store.locked_until("k", at(450)).await.unwrap(),
        Some(at(500)),
        "an earlier lock never shortens a later one"
    );
    store.reset("k").await.unwrap();
    assert_eq!(
        store.record_failure("k", at(102), window).await.unwrap(),
        1,
        "reset clears the count"
    );
    assert_eq!(
        store.locked_until("k", at(450)).await.unwrap(),
        Some(at(500)),
        "reset does not lift a lock"
    );
    store.reset("never-seen").await.unwrap();

    // Taking attempts back: one at a time, never below zero, only in a live window.
    for expected in 1..=3 {
        assert_eq!(
            store.record_failure("r", at(200), window).await.unwrap(),
            expected
        );
    }
    store.release("r", at(201)).await.unwrap();
    assert_eq!(
        store.record_failure("r", at(202), window).await.unwrap(),
        3,
        "a released attempt is taken back from the count"
    );
    for _ in 0..5 {
        store.release("r", at(203)).await.unwrap();
    }
    assert_eq!(
        store.record_failure("r", at(204), window).await.unwrap(),
        1,
        "releases stop at zero"
    );
    store.release("r", at(400)).await.unwrap();
    assert_eq!(
        store.record_failure("r", at(401), window).await.unwrap(),
        1,
        "a release after the window touches nothing; the next attempt opens a new one"
    );
    store.release("never-seen", at(1)).await.unwrap();
    assert!(
        store.remove_expired(at(10_000)).await.unwrap() >= 1,
        "ended windows and locks are forgotten"
    );
    assert_eq!(
        store.record_failure("k", at(10_001), window).await.unwrap(),
        1
    );
}

/// The users [`user_store_conformance`] expects to find: insert them (with the store's
/// own method) before calling it. `Ada` is given with a capital to check case folding.
pub fn conformance_users() -> Vec<PasswordUser> {
    vec![
        PasswordUser {
            id: "u-1".to_owned(),
            login: "Ada".to_owned(),
            password_hash: "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaA".to_owned(),
            disabled: false,
            suspended: true,
        },
        PasswordUser {
            id: "u-2".to_owned(),
            login: "bob".to_owned(),
            password_hash: "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$b3RoZXI".to_owned(),
            disabled: true,
            suspended: false,
        },
    ]
}

/// The promises of [`UserStore`], on a store holding exactly [`conformance_users`].
///
/// Every store of this crate folds logins to lower case, so a lookup in any case finds
/// the user.
pub async fn user_store_conformance(store: Arc<dyn UserStore>) {
    let [ada, bob]: [PasswordUser; 2] = conformance_users().try_into().unwrap();
    let ada = PasswordUser {
        login: "ada".to_owned(),
        ..ada
    };
    assert_eq!(
        store.find_by_login("ada").await.expect("find_by_login"),
        Some(ada.clone()),
        "find_by_login returns the stored user, login lower-cased, suspended flag included"
    );
    assert_eq!(
        store.find_by_login("ADA").await.unwrap(),
        Some(ada.clone()),
        "logins match in any case"
    );
    assert_eq!(
        store.find_by_login("nobody").await.unwrap(),
        None,
        "an unknown login is None"
    );
    assert_eq!(
        store.find_by_login("u-1").await.unwrap(),
        None,
        "ids are not logins"
    );
    assert_eq!(
        store.find_by_id("u-2").await.expect("find_by_id"),
        Some(bob),
        "find_by_id returns the user, disabled flag included"
    );
    assert_eq!(
        store.find_by_id("ada").await.unwrap(),
        None,
        "logins are not ids"
    );
    assert_eq!(store.find_by_id("u-404").await.unwrap(), None);

    store
        .update_password_hash("u-1", "$argon2id$new")
        .await
        .expect("update_password_hash");
    assert_eq!(
        store
            .find_by_id("u-1")
            .await
            .unwrap()
            .unwrap()
            .password_hash,
        "$argon2id$new",
        "the new hash is stored"
    );
    assert_eq!(
        store
            .find_by_login("ada")
            .await
            .unwrap()
            .unwrap()
            .password_hash,
        "$argon2id$new",
        "and found by login too"
    );
    assert!(
        store
            .update_password_hash("u-404", "$argon2id$x")
            .await
            .is_err(),
        "updating an unknown user is an error, not a silent no-op"
    );

    // create
    let new_user = |id: &str, login: &str| PasswordUser {
        id: id.to_owned(),
        login: login.to_owned(),
        password_hash: format!("$argon2id$hash-of-{id}"),
        disabled: false,
        suspended: false,
    };
    assert_eq!(
        store.create(new_user("u-3", "Cleo")).await.expect("create"),
        NewUserOutcome::Created,
        "create stores a user whose login is free"
    );
    assert_eq!(
        store.find_by_login("cleo").await.unwrap(),
        Some(new_user("u-3", "cleo")),
        "a created user is found by login, lower-cased"
    );
    let taken = store.create(new_user("u-4", "ADA")).await.expect("create");
    assert!(
        matches!(&taken, NewUserOutcome::LoginTaken(owner) if owner.id == "u-1"),
        "create of a taken login (in any case) stores nothing and names its owner: {taken:?}"
    );
    assert_eq!(
        store.find_by_id("u-4").await.unwrap(),
        None,
        "a refused create stores nothing"
    );
    assert!(
        store.create(new_user("u-3", "someone-else")).await.is_err(),
        "create never overwrites a user with the same id"
    );
    assert_eq!(
        store.find_by_login("someone-else").await.unwrap(),
        None,
        "and claims no login for it"
    );

    // Many creates of one new login at once: exactly one wins.
    let racers: Vec<_> = (0..16)
        .map(|i| {
            let store = store.clone();
            let user = new_user(&format!("u-race-{i}"), "race");
            tokio::spawn(async move { store.create(user).await.expect("create") })
        })
        .collect();
    let mut winners = Vec::new();
    for (i, racer) in racers.into_iter().enumerate() {
        if racer.await.unwrap() == NewUserOutcome::Created {
            winners.push(format!("u-race-{i}"));
        }
    }
    assert_eq!(
        winners.len(),
        1,
        "exactly one concurrent create of a login wins: {winners:?}"
    );
    assert_eq!(
        store.find_by_login("race").await.unwrap().map(|u| u.id),
        Some(winners.remove(0)),
        "and the login belongs to the winner"
    );
}

/// Atomicity under concurrent callers: the test-and-set of the blocklist, counting,
/// and rotation. Run it on a multi-threaded runtime; stores start empty.
pub async fn atomicity_conformance(
    sessions: Arc<dyn SessionStore>,
    blocklist: Arc<dyn JtiBlocklist>,
    attempts: Arc<dyn AttemptStore>,
) {
    const N: u64 = 16;

    let tasks: Vec<_> = (0..N)
        .map(|_| {
            let blocklist = blocklist.clone();
            tokio::spawn(async move { blocklist.block("race", at(100)).await.unwrap() })
        })
        .collect();
    let mut firsts = 0;
    for task in tasks {
        firsts += u32::from(task.await.unwrap());
    }
    assert_eq!(
        firsts, 1,
        "exactly one concurrent block() sees the id as new"
    );

    let window = Duration::from_secs(1000);
    let tasks: Vec<_> = (0..N)
        .map(|_| {
            let attempts = attempts.clone();
            tokio::spawn(async move {
                attempts
                    .record_failure("race", at(1), window)
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut counts = Vec::new();
    for task in tasks {
        counts.push(task.await.unwrap());
    }
    counts.sort_unstable();
    assert_eq!(
        counts,
        (1..=N as u32).collect::<Vec<_>>(),
        "concurrent failures are each counted once"
    );

    sessions
        .insert(record("race-old", "rita", 0))
        .await
        .unwrap();
    let tasks: Vec<_> = (0..N)
        .map(|i| {
            let sessions = sessions.clone();
            tokio::spawn(async move {
                let new = record(&format!("race-new-{i}"), "rita", i + 1);
                sessions.rotate("race-old", new).await.unwrap().is_some()
            })
        })
        .collect();
    let mut winners = 0;
    for task in tasks {
        winners += u32::from(task.await.unwrap());
    }
    assert_eq!(
        winners, 1,
        "one rotation takes the old session; the others find it gone"
    );
    assert_eq!(
        sessions.list_for_user("rita").await.unwrap().len(),
        N as usize,
        "every rotation stored its new session"
    );
}

/// How many of `racers` (tasks answering `true` when they won) won.
async fn winners(racers: Vec<tokio::task::JoinHandle<bool>>) -> usize {
    let mut won = 0;
    for racer in racers {
        won += usize::from(racer.await.expect("a racer panicked"));
    }
    won
}

/// The promises of [`SecondFactorStore`], races included: 16 concurrent uses of
/// one TOTP step or one recovery code, exactly one of which passes. Run it on a
/// multi-threaded runtime; the store starts empty.
pub async fn second_factor_store_conformance(store: Arc<dyn SecondFactorStore>) {
    let secret = TotpSecret::from_base32("JBSWY3DPEHPK3PXP").expect("a valid secret");
    let other = TotpSecret::from_base32("KRSXG5CTMVRXEZLUKN2XAZLSKNSWG4TF").expect("valid");

    // Nothing for an unknown user.
    assert_eq!(store.totp("nobody").await.expect("totp"), None);
    assert!(
        !store.confirm_totp("nobody").await.expect("confirm_totp"),
        "confirm_totp without a secret is false"
    );
    assert!(
        !store.accept_totp_step("nobody", 1).await.expect("accept"),
        "no step is accepted without a secret"
    );
    assert!(!store.use_recovery_code("nobody", "h").await.unwrap());
    assert_eq!(store.recovery_codes_left("nobody").await.unwrap(), 0);
    assert!(
        !store.remove("nobody").await.expect("remove"),
        "remove of a user without a secret is false"
    );

    // Pending, then confirmed.
    store
        .set_totp("alice", TotpEnrollment::pending(secret.clone()))
        .await
        .expect("set_totp");
    assert_eq!(
        store.totp("alice").await.unwrap(),
        Some(TotpEnrollment::pending(secret.clone())),
        "totp returns the pending secret as stored"
    );
    assert!(store.confirm_totp("alice").await.unwrap());
    assert_eq!(
        store.totp("alice").await.unwrap(),
        Some(TotpEnrollment::confirmed(secret.clone())),
        "confirm_totp marks the secret confirmed and changes nothing else"
    );

    // Time steps: each later one once, never one already passed.
    let step = 133_333_333; // base() / 30
    assert!(store.accept_totp_step("alice", step).await.unwrap());
    assert!(
        !store.accept_totp_step("alice", step).await.unwrap(),
        "a step is accepted once (a replay is refused)"
    );
    assert!(
        !store.accept_totp_step("alice", step - 1).await.unwrap(),
        "a step before the last accepted one is refused"
    );
    assert!(store.accept_totp_step("alice", step + 1).await.unwrap());
    let alice = store.totp("alice").await.unwrap().expect("alice's secret");
    assert_eq!(
        (alice.last_step, alice.confirmed),
        (Some(step + 1), true),
        "the last accepted step is kept"
    );
    store
        .set_totp("bob", TotpEnrollment::confirmed(other.clone()))
        .await
        .unwrap();
    assert!(
        store.accept_totp_step("bob", step).await.unwrap(),
        "users' steps count apart"
    );
    // Steps compare exactly, beyond a double's 53 bits.
    let big = 1u64 << 53;
    store
        .set_totp("big", TotpEnrollment::confirmed(other.clone()))
        .await
        .unwrap();
    assert!(store.accept_totp_step("big", big).await.unwrap());
    assert!(
        store.accept_totp_step("big", big + 1).await.unwrap(),
        "steps compare exactly (2^53 + 1 is later than 2^53)"
    );
    assert!(!store.accept_totp_step("big", big + 1).await.unwrap());

    // Recovery codes: each hash once, per user; a new set replaces the old.
    store
        .set_recovery_codes("alice", vec!["h1".into(), "h2".into(), "h3".into()])
        .await
        .expect("set_recovery_codes");
    assert_eq!(store.recovery_codes_left("alice").await.unwrap(), 3);
    assert!(
        !store.use_recovery_code("bob", "h2").await.unwrap(),
        "another user's code is not one's own"
    );
    assert!(store.use_recovery_code("alice", "h2").await.unwrap());
    assert!(
        !store.use_recovery_code("alice", "h2").await.unwrap(),
        "a recovery code is used once"
    );
    assert!(!store.use_recovery_code("alice", "h9").await.unwrap());
    assert_eq!(
        store.recovery_codes_left("alice").await.unwrap(),
        2,
        "a used code leaves the count"
    );
    store
        .set_recovery_codes("alice", vec!["h4".into()])
        .await
        .unwrap();
    assert!(
        !store.use_recovery_code("alice", "h1").await.unwrap(),
        "set_recovery_codes replaces the old codes"
    );
    assert!(store.use_recovery_code("alice", "h4").await.unwrap());
    assert_eq!(store.recovery_codes_left("alice").await.unwrap(), 0);

    // A new enrollment replaces the old one whole, recovery codes aside.
    store
        .set_recovery_codes("alice", vec!["h5".into()])
        .await
        .unwrap();
    store
        .set_totp("alice", TotpEnrollment::pending(other.clone()))
        .await
        .unwrap();
    assert_eq!(
        store.totp("alice").await.unwrap(),
        Some(TotpEnrollment::pending(other.clone())),
        "set_totp replaces secret, confirmation and last step"
    );
    assert!(
        store.accept_totp_step("alice", step).await.unwrap(),
        "a replaced enrollment starts with no step spent"
    );
    assert_eq!(
        store.recovery_codes_left("alice").await.unwrap(),
        1,
        "set_totp leaves the recovery codes"
    );

    // Removal forgets the secret and the codes.
    assert!(
        store.remove("alice").await.unwrap(),
        "remove finds the secret"
    );
    assert_eq!(store.totp("alice").await.unwrap(), None);
    assert_eq!(
        store.recovery_codes_left("alice").await.unwrap(),
        0,
        "remove forgets the recovery codes"
    );
    assert!(!store.use_recovery_code("alice", "h5").await.unwrap());
    assert!(
        !store.remove("alice").await.unwrap(),
        "a second remove is false"
    );
    assert!(
        store.totp("bob").await.unwrap().is_some(),
        "other users' factors stay"
    );

    // Races: one step, one code, many callers at once.
    store
        .set_totp("rita", TotpEnrollment::confirmed(secret.clone()))
        .await
        .unwrap();
    let racers = (0..RACERS)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move { store.accept_totp_step("rita", step).await.unwrap() })
        })
        .collect();
    assert_eq!(
        winners(racers).await,
        1,
        "of concurrent uses of one TOTP step exactly one is accepted"
    );
    // Steps racing in any order: the latest is always accepted and is the last one.
    let racers = (1..=RACERS)
        .map(|offset| {
            let store = store.clone();
            tokio::spawn(
                async move { store.accept_totp_step("rita", step + offset).await.unwrap() },
            )
        })
        .collect::<Vec<_>>();
    let mut accepted = Vec::new();
    for (offset, racer) in (1..=RACERS).zip(racers) {
        if racer.await.unwrap() {
            accepted.push(offset);
        }
    }
    assert!(
        accepted.contains(&RACERS),
        "the latest of racing steps is accepted: {accepted:?}"
    );
    assert_eq!(
        store.totp("rita").await.unwrap().and_then(|t| t.last_step),
        Some(step + RACERS),
        "no racing earlier step overwrites a later one"
    );

    let codes: Vec<String> = (0..RACERS).map(|i| format!("code-{i}")).collect();
    store.set_recovery_codes("rita", codes).await.unwrap();
    let racers = (0..RACERS)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move { store.use_recovery_code("rita", "code-7").await.unwrap() })
        })
        .collect();
    assert_eq!(
        winners(racers).await,
        1,
        "of concurrent uses of one recovery code exactly one passes"
    );
    assert_eq!(
        store.recovery_codes_left("rita").await.unwrap(),
        RACERS as usize - 1,
        "and only that code is spent"
    );
}

/// A continuation of `user`'s login ending at `expires`, as the suites store them (the
/// record is `#[non_exhaustive]`: store crates' own tests make theirs here).
pub fn conformance_continuation(user: &str, expires: SystemTime) -> ContinuationRecord {
    ContinuationRecord {
        user_id: user.to_owned(),
        login: format!("{user}@example.test"),
        fields: json!({ "username": user, "tenant": { "id": 7, "quote": "it's \"x\"; --" } }),
        resume_after: "auth_hooks_flow::builtin::totp".to_owned(),
        factor: "totp".to_owned(),
        amr: vec!["pwd".to_owned()],
        expires_at: expires,
        failures: 0,
        credentials: Some(format!("stamp-of-{user}")),
    }
}

/// The promises of [`ContinuationStore`], a race included: 16 concurrent takes
/// of one continuation, exactly one of which gets it. Run it on a multi-threaded
/// runtime; the store starts empty.
pub async fn continuation_store_conformance(store: Arc<dyn ContinuationStore>) {
    // Instants to the nanosecond come back exactly.
    let end = at(100) + Duration::from_nanos(7);
    let first = conformance_continuation("alice", end);
    assert_eq!(
        store.take("hash-missing", at(0)).await.expect("take"),
        None,
        "take of an unknown hash is None"
    );
    store.put("hash-a", &first).await.expect("put");
    assert_eq!(
        store.take("hash-a", at(0)).await.expect("take"),
        Some(first.clone()),
        "take returns what put stored"
    );
    assert_eq!(
        store.take("hash-a", at(0)).await.unwrap(),
        None,
        "a continuation is taken once"
    );

    // Put again replaces (a wrong code puts it back with its count).
    store.put("hash-b", &first).await.unwrap();
    let again = ContinuationRecord {
        failures: 3,
        amr: vec!["pwd".to_owned(), "otp".to_owned()],
        ..first.clone()
    };
    store.put("hash-b", &again).await.unwrap();
    assert_eq!(
        store.take("hash-b", at(1)).await.unwrap(),
        Some(again),
        "put replaces the record under the same hash"
    );

    // Expiry: live until its end, not from its end on.
    store.put("hash-c", &first).await.unwrap();
    assert_eq!(
        store.take("hash-c", end).await.unwrap(),
        None,
        "an expired continuation is not given out"
    );
    store.put("hash-d", &first).await.unwrap();
    assert!(
        store
            .take("hash-d", end - Duration::from_nanos(1))
            .await
            .unwrap()
            .is_some(),
        "live until its very end"
    );

    // Keys are exact, and records of others stay.
    store.put("hash-e", &first).await.unwrap();
    assert_eq!(store.take("hash-E", at(0)).await.unwrap(), None);
    assert_eq!(store.take("hash-", at(0)).await.unwrap(), None);

    // Sweeping: what ended goes, what lives stays.
    store
        .put("hash-f", &conformance_continuation("bob", at(10)))
        .await
        .unwrap();
    store
        .put("hash-g", &conformance_continuation("carol", at(1000)))
        .await
        .unwrap();
    assert_eq!(
        store.remove_expired(at(9)).await.expect("remove_expired"),
        0,
        "nothing ends before its time"
    );
    let swept = store.remove_expired(at(500)).await.unwrap();
    assert!(
        swept >= 2,
        "ended continuations are forgotten (hash-e, hash-f): {swept}"
    );
    assert_eq!(store.take("hash-f", at(0)).await.unwrap(), None);
    assert_eq!(
        store.take("hash-e", at(0)).await.unwrap(),
        None,
        "remove_expired forgets an ended continuation"
    );
    assert_eq!(
        store
            .take("hash-g", at(501))
            .await
            .unwrap()
            .map(|r| r.user_id),
        Some("carol".to_owned()),
        "a live continuation survives the sweep"
    );

    // Race: one continuation, many takes at once.
    store
        .put("hash-race", &conformance_continuation("rita", at(1000)))
        .await
        .unwrap();
    let racers = (0..RACERS)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move { store.take("hash-race", at(1)).await.unwrap().is_some() })
        })
        .collect();
    assert_eq!(
        winners(racers).await,
        1,
        "of concurrent takes of one continuation exactly one gets it"
    );
}
