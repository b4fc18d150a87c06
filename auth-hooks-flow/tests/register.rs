//! Registration: `before_register` may refuse, the user is stored once however many
//! registrations race, `on_register` is told what happened, and a taken name gets the
//! answer a new one gets, after the same work.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use auth_hooks::{AuthHookContext, AuthHookRegistry, AuthHookReject};
use auth_hooks_flow::{
    Credentials, LoginError, PasswordHasher, PasswordRejected, RegisterOptions, Registered,
    UserStore,
};
use auth_hooks_test_support::flow::{request, Fixture, FixtureOptions, PASSWORD};
use serde_json::Value;

const NEW_PASSWORD: &str = "a new and long password";

fn fields(login: &str, password: &str) -> Credentials {
    Credentials::password(login, password).with("email", format!("{login}@example.com"))
}

/// What each `on_register` (and `before_register`) hook saw: the phase, the user id,
/// the `registration` metadata and the sanitized fields.
type Seen = Arc<Mutex<Vec<(String, Option<String>, Option<String>, Value)>>>;

fn recording(hooks: &mut AuthHookRegistry) -> Seen {
    let seen: Seen = Arc::default();
    for phase in ["before_register", "on_register", "before_login", "on_login"] {
        let seen = seen.clone();
        hooks
            .register(phase, phase, move |ctx: &AuthHookContext| {
                seen.lock().unwrap().push((
                    phase.to_owned(),
                    ctx.user_id().map(str::to_owned),
                    ctx.metadata()
                        .get("registration")
                        .and_then(|r| r.as_str())
                        .map(str::to_owned),
                    ctx.credentials().clone(),
                ));
            })
            .unwrap();
    }
    seen
}

#[tokio::test]
async fn a_new_user_is_stored_can_log_in_and_on_register_is_told() {
    let mut hooks = AuthHookRegistry::new();
    let seen = recording(&mut hooks);
    let fx = Fixture::new(hooks);

    let registered = fx
        .flow
        .register(fields("Cleo", NEW_PASSWORD), request())
        .await
        .unwrap();
    assert!(matches!(registered, Registered::Accepted), "{registered:?}");

    let stored = fx.users.find_by_login("cleo").await.unwrap().unwrap();
    assert!(
        stored.id.starts_with("u-") && stored.id.len() == 34,
        "{}",
        stored.id
    );
    assert!(stored.password_hash.starts_with("$argon2id$"));
    let login = fx
        .flow
        .login(Credentials::password("cleo", NEW_PASSWORD), request())
        .await
        .unwrap();
    assert_eq!(login.user.id, stored.id);

    let seen = seen.lock().unwrap();
    let (phase, user, outcome, creds) = &seen[0];
    assert_eq!(
        (phase.as_str(), user, outcome),
        ("before_register", &None, &None)
    );
    assert_eq!(
        creds["email"], "cleo@example.com",
        "hooks see the e-mail, normalized as a login name"
    );
    assert!(
        creds.get("password").is_none() && !creds.to_string().contains(NEW_PASSWORD),
        "never the password: {creds}"
    );
    let (phase, user, outcome, _) = &seen[1];
    assert_eq!(phase, "on_register");
    assert_eq!(user.as_deref(), Some(stored.id.as_str()));
    assert_eq!(outcome.as_deref(), Some("created"));
    assert_eq!(seen.len(), 4, "then the login's own phases: {seen:?}");
}

#[tokio::test]
async fn a_taken_name_answers_as_a_new_one_and_tells_its_owner() {
    let mut hooks = AuthHookRegistry::new();
    let seen = recording(&mut hooks);
    let fx = Fixture::new(hooks);

    let registered = fx
        .flow
        .register(fields("ADA", NEW_PASSWORD), request())
        .await
        .unwrap();
    assert!(
        matches!(registered, Registered::Accepted),
        "the same answer as a new user's: {registered:?}"
    );
    let on_register = seen.lock().unwrap()[1].clone();
    assert_eq!(on_register.0, "on_register");
    assert_eq!(on_register.1.as_deref(), Some("u-ada"), "the owner's id");
    assert_eq!(on_register.2.as_deref(), Some("login_taken"));

    // Nothing changed for the owner; the newcomer's password opens nothing.
    fx.flow
        .login(Credentials::password("ada", PASSWORD), request())
        .await
        .unwrap();
    let refused = fx
        .flow
        .login(Credentials::password("ada", NEW_PASSWORD), request())
        .await
        .unwrap_err();
    assert!(
        matches!(refused, LoginError::InvalidCredentials),
        "{refused:?}"
    );
}

#[tokio::test]
async fn before_register_refuses_and_nothing_is_stored() {
    let mut hooks = AuthHookRegistry::new();
    hooks
        .register(
            "before_register",
            "company_only",
            |ctx: &AuthHookContext| match ctx.credentials()["email"].as_str() {
                Some(email) if email.ends_with("@company.test") => Ok(()),
                _ => Err(AuthHookReject::new(
                    "Sign-up is for company.test addresses.",
                )),
            },
        )
        .unwrap();
    let fx = Fixture::new(hooks);

    let refused = fx
        .flow
        .register(fields("mallory", NEW_PASSWORD), request())
        .await
        .unwrap_err();
    assert_eq!(
        refused.client_message(),
        "Sign-up is for company.test addresses."
    );
    assert_eq!(fx.users.find_by_login("mallory").await.unwrap(), None);

    let allowed = Credentials::password("carol", NEW_PASSWORD).with("email", "carol@company.test");
    fx.flow.register(allowed, request()).await.unwrap();
    assert!(fx.users.find_by_login("carol").await.unwrap().is_some());
}

#[tokio::test]
async fn the_password_policy_refuses_before_anything_is_stored() {
    let fx = Fixture::new(AuthHookRegistry::new());
    let refused = fx
        .flow
        .register(fields("dora", "7 chars"), request())
        .await
        .unwrap_err();
    assert!(
        matches!(
            refused,
            LoginError::WeakPassword(PasswordRejected::TooShort { min: 8 })
        ),
        "{refused:?}"
    );
    assert_eq!(fx.users.find_by_login("dora").await.unwrap(), None);

    for (login, why) in [
        ("", "empty"),
        // Normalized away: controls and invisible characters are no name.
        ("\u{200b}\n\u{2060}", "empty"),
        (&*"x".repeat(129), "longer"),
    ] {
        let refused = fx
            .flow
            .register(fields(login, NEW_PASSWORD), request())
            .await
            .unwrap_err();
        assert!(
            matches!(&refused, LoginError::MalformedCredentials(m) if m.contains(why)),
            "{login:?}: {refused:?}"
        );
    }
    // 64 characters of anything are a password, no composition rule applies.
    fx.flow
        .register(fields("eve", &"é".repeat(64)), request())
        .await
        .unwrap();
}

#[tokio::test]
async fn signing_in_right_away_runs_the_login_phases_and_tells_a_taken_name() {
    let mut hooks = AuthHookRegistry::new();
    let seen = recording(&mut hooks);
    let fx = Fixture::new(hooks);

    let registered = fx
        .flow
        .register_with(
            fields("frank", NEW_PASSWORD),
            request(),
            RegisterOptions::default().signing_in(),
        )
        .await
        .unwrap();
    let Registered::SignedIn(success) = registered else {
        panic!("signed in: {registered:?}");
    };
    let session = success.session.expect("a session");
    let checked = fx.flow.authenticate_session(&session.id).await.unwrap();
    assert_eq!(checked.user.id, success.user.id);
    assert!(success.tokens.is_some());
    let phases: Vec<_> = seen.lock().unwrap().iter().map(|s| s.0.clone()).collect();
    assert_eq!(
        phases,
        ["before_register", "on_register", "before_login", "on_login"]
    );

    let taken = fx
        .flow
        .register_with(
            fields("frank", NEW_PASSWORD),
            request(),
            RegisterOptions::default().signing_in(),
        )
        .await
        .unwrap_err();
    assert!(matches!(taken, LoginError::LoginTaken), "{taken:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_registrations_of_one_name_store_one_user() {
    let fx = Arc::new(Fixture::new(AuthHookRegistry::new()));
    let racers: Vec<_> = (0..16)
        .map(|i| {
            let fx = fx.clone();
            tokio::spawn(async move {
                fx.flow
                    .register(fields("grace", &format!("{NEW_PASSWORD} {i}")), request())
                    .await
            })
        })
        .collect();
    for racer in racers {
        assert!(matches!(racer.await.unwrap(), Ok(Registered::Accepted)));
    }
    let owner = fx.users.find_by_login("grace").await.unwrap().unwrap();
    let logins_that_work = {
        let mut n = 0;
        for i in 0..16 {
            let creds = Credentials::password("grace", format!("{NEW_PASSWORD} {i}"));
            n += usize::from(fx.flow.login(creds, request()).await.is_ok());
        }
        n
    };
    assert_eq!(logins_that_work, 1, "one registration won: {}", owner.id);
}

/// A taken name costs what a new one does: both hash the password once. The bound is
/// loose (a median within 2x) because the machines are noisy; without the hash on the
/// taken path it would cost a small fraction of a new one.
#[tokio::test]
async fn a_taken_name_takes_about_as_long_as_a_new_one() {
    // A hash of a few milliseconds, so it dominates the store's work.
    let options = FixtureOptions {
        hasher: PasswordHasher::new(4 * 1024, 1, 1).unwrap(),
        ..FixtureOptions::default()
    };
    let fx = Fixture::with(AuthHookRegistry::new(), options);
    let time = |login: String| {
        let flow = &fx.flow;
        async move {
            let start = Instant::now();
            flow.register(fields(&login, NEW_PASSWORD), request())
                .await
                .unwrap();
            start.elapsed()
        }
    };
    let (mut new, mut taken) = (Vec::new(), Vec::new());
    for i in 0..9 {
        new.push(time(format!("new-{i}")).await);
        taken.push(time("ada".to_owned()).await);
    }
    let median = |mut v: Vec<Duration>| {
        v.sort();
        v[v.len() / 2]
    };
    let (new, taken) = (median(new), median(taken));
    let ratio = taken.as_secs_f64() / new.as_secs_f64();
    assert!(
        (0.5..2.0).contains(&ratio),
        "taken {taken:?} vs new {new:?}: {ratio:.2}"
    );
}
