//! The login and logout flow around the hooks: OpenViper's flow cases, ported, and the
//! promises it does not keep (nothing left behind by a refused login, one answer for
//! unknown users and wrong passwords).

use std::sync::{Arc, Mutex};

use auth_hooks::{
    AuthHookContext, AuthHookRegistry, AuthHookReject, ErrorPolicy, HookOptions, Phase,
    SessionMeta, TokenKind, TokenMeta,
};
use auth_hooks_flow::{Clock, Credentials, LoginError, LogoutError, LogoutTarget, PasswordHasher};
use auth_hooks_test_support::flow::{ada, request, Fixture, FixtureOptions, PASSWORD};
use auth_hooks_test_support::logs::capture_logs;
use serde_json::json;

type Log = Arc<Mutex<Vec<String>>>;

/// What `on_login` saw: session, tokens, credentials, backend.
type Seen = (
    Option<SessionMeta>,
    Vec<TokenMeta>,
    serde_json::Value,
    Option<String>,
);

/// What `on_logout` saw: user id, session, tokens.
type SeenLogout = (Option<String>, Option<SessionMeta>, Vec<TokenMeta>);

/// A registry whose hooks record `phase:detail` into the returned log.
fn recording() -> (AuthHookRegistry, Log) {
    let log: Log = Arc::default();
    let mut hooks = AuthHookRegistry::new();
    for phase in Phase::ALL {
        let log = log.clone();
        hooks
            .register(phase, "record", move |ctx: &AuthHookContext| {
                log.lock().unwrap().push(format!(
                    "{}:{}",
                    phase.as_str(),
                    ctx.user_id().unwrap_or("-")
                ));
            })
            .unwrap();
    }
    (hooks, log)
}

fn ran(log: &Log) -> Vec<String> {
    log.lock().unwrap().clone()
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

#[tokio::test]
async fn before_login_runs_before_on_login_which_sees_session_and_token_metadata() {
    let seen: Arc<Mutex<Option<Seen>>> = Arc::default();
    let (mut hooks, log) = recording();
    let keep = seen.clone();
    hooks
        .register("on_login", "capture", move |ctx: &AuthHookContext| {
            *keep.lock().unwrap() = Some((
                ctx.session().cloned(),
                ctx.tokens().to_vec(),
                ctx.credentials().clone(),
                ctx.auth_backend().map(str::to_owned),
            ));
        })
        .unwrap();
    let fx = Fixture::new(hooks);

    let ok = fx.flow.login(ada(PASSWORD), request()).await.unwrap();

    assert_eq!(
        ran(&log),
        [
            "before_authenticate:-",
            "before_login:u-ada",
            "on_login:u-ada"
        ]
    );
    let (session, tokens, credentials, backend) = seen.lock().unwrap().clone().unwrap();
    let session = session.expect("on_login sees the session");
    assert_eq!(session.id_hash, ok.session.as_ref().unwrap().meta.id_hash);
    assert_eq!(session.user_id, "u-ada");
    let pair = ok.tokens.as_ref().unwrap();
    assert_eq!(tokens.len(), 2);
    assert_eq!(tokens[0], pair.access.meta);
    assert_eq!(tokens[1], pair.refresh.meta);
    assert_eq!(
        (tokens[0].kind, tokens[1].kind),
        (TokenKind::Access, TokenKind::Refresh)
    );
    assert!(tokens.iter().all(|t| t.subject == "u-ada" && t.fresh));
    assert_eq!(
        credentials,
        json!({ "username": "ada" }),
        "the password never reaches a hook"
    );
    assert_eq!(backend.as_deref(), Some("password"));
}

/// Which phases ran, in order, with the user each saw, for each kind of login.
#[tokio::test]
async fn the_phase_sequence_of_every_outcome() {
    /// A hook named `name` that refuses in `phase`, or fails there.
    fn refusing(hooks: &mut AuthHookRegistry, phase: Phase, fail: bool) {
        let options = HookOptions::default().priority(-1);
        if fail {
            hooks
                .register_with(phase, "fails", options, |_: &AuthHookContext| {
                    Err::<(), _>(std::io::Error::other("down"))
                })
                .unwrap();
        } else {
            hooks
                .register_with(phase, "refuses", options, |_: &AuthHookContext| {
                    Err::<(), _>(AuthHookReject::new("No."))
                })
                .unwrap();
        }
    }
    type Setup = fn(&mut AuthHookRegistry);
    let cases: [(&str, Credentials, Setup, &[&str]); 6] = [
        (
            "success",
            ada(PASSWORD),
            |_| {},
            &[
                "before_authenticate:-",
                "before_login:u-ada",
                "on_login:u-ada",
            ],
        ),
        (
            "wrong password",
            ada("wrong"),
            |_| {},
            &["before_authenticate:-", "on_login_failed:-"],
        ),
        (
            "unknown user",
            Credentials::password("nobody", PASSWORD),
            |_| {},
            &["before_authenticate:-", "on_login_failed:-"],
        ),
        (
            "reject at the gate",
            ada(PASSWORD),
            |h| refusing(h, Phase::BeforeAuthenticate, false),
            &["before_authenticate:-"],
        ),
        (
            "reject in before_login",
            ada(PASSWORD),
            |h| refusing(h, Phase::BeforeLogin, false),
            &["before_authenticate:-", "before_login:u-ada"],
        ),
        (
            "on_login failing under raise",
            ada(PASSWORD),
            |h| {
                refusing(h, Phase::OnLogin, true);
                h.set_policy(Phase::OnLogin, ErrorPolicy::Raise);
            },
            &[
                "before_authenticate:-",
                "before_login:u-ada",
                "on_login:u-ada",
            ],
        ),
    ];
    for (case, credentials, setup, expected) in cases {
        let (mut hooks, log) = recording();
        setup(&mut hooks);
        let fx = Fixture::new(hooks);
        let outcome = fx.flow.login(credentials, request()).await;
        assert_eq!(ran(&log), expected, "{case}");
        assert_eq!(outcome.is_ok(), case == "success", "{case}: {outcome:?}");
        assert_eq!(
            fx.sessions.is_empty(),
            case != "success",
            "{case}: only a success leaves a session"
        );
    }
}

#[tokio::test]
async fn before_login_sees_the_authenticated_users_record_typed() {
    let seen: Arc<Mutex<Option<(String, String)>>> = Arc::default();
    let keep = seen.clone();
    let mut hooks = AuthHookRegistry::new();
    hooks
        .register("before_login", "look", move |ctx: &AuthHookContext| {
            let account = ctx
                .user::<auth_hooks_flow::PasswordAccount>()
                .expect("the backend's user record, typed");
            *keep.lock().unwrap() = Some((account.id.clone(), account.login.clone()));
        })
        .unwrap();
    let fx = Fixture::new(hooks);
    fx.flow.login(ada(PASSWORD), request()).await.unwrap();
    assert_eq!(
        seen.lock().unwrap().clone(),
        Some(("u-ada".to_owned(), "ada".to_owned()))
    );
}

#[tokio::test]
async fn a_wrong_password_never_reaches_before_login_so_its_refusal_tells_nothing() {
    let mut hooks = AuthHookRegistry::new();
    hooks
        .register("before_login", "suspended", |_: &AuthHookContext| {
            Err::<(), _>(AuthHookReject::new("This account is suspended."))
        })
        .unwrap();
    let fx = Fixture::new(hooks);
    let wrong = fx.flow.login(ada("wrong"), request()).await.unwrap_err();
    assert!(matches!(wrong, LoginError::InvalidCredentials), "{wrong:?}");
    assert_eq!(wrong.client_message(), "Invalid username or password.");
    let right = fx.flow.login(ada(PASSWORD), request()).await.unwrap_err();
    assert_eq!(right.client_message(), "This account is suspended.");
}

#[tokio::test]
async fn a_reject_denies_the_login_runs_no_on_login_and_creates_nothing() {
    let (mut hooks, log) = recording();
    hooks
        .register(
            "before_login",
            "deny_ada",
            |ctx: &AuthHookContext| match ctx.username() {
                Some("ada") => {
                    Err(AuthHookReject::new("Account suspended.").with_reason("abuse ticket 42"))
                }
                _ => Ok(()),
            },
        )
        .unwrap();
    hooks.set_policy(Phase::BeforeLogin, ErrorPolicy::Log); // a reject stops under any policy
    let fx = Fixture::new(hooks);

    let err = fx.flow.login(ada(PASSWORD), request()).await.unwrap_err();

    assert!(
        matches!(&err, LoginError::Rejected { hook, .. } if hook == "deny_ada"),
        "{err:?}"
    );
    assert_eq!(err.client_message(), "Account suspended.");
    assert!(
        !err.client_message().contains("ticket"),
        "the internal reason stays internal"
    );
    assert_eq!(
        ran(&log),
        ["before_authenticate:-", "before_login:u-ada"],
        "on_login must not run"
    );
    assert!(fx.sessions.is_empty(), "no session may exist");
    assert!(fx.blocklist.is_empty());
    // The other user is unaffected.
    assert!(fx
        .flow
        .login(Credentials::password("bob", PASSWORD), request())
        .await
        .is_ok());
}

#[tokio::test]
async fn an_unexpected_before_login_error_fails_closed() {
    let (mut hooks, log) = recording();
    hooks
        .register("before_login", "geoip", |_: &AuthHookContext| {
            Err::<(), _>(std::io::Error::other(
                "geoip database at 10.0.0.5 unreachable",
            ))
        })
        .unwrap();
    let fx = Fixture::new(hooks);

    let err = fx.flow.login(ada(PASSWORD), request()).await.unwrap_err();

    assert!(matches!(err, LoginError::HookFailed(_)), "{err:?}");
    assert_eq!(err.client_message(), "Login rejected.");
    assert_eq!(ran(&log), ["before_authenticate:-", "before_login:u-ada"]);
    assert!(fx.sessions.is_empty());
}

#[tokio::test]
async fn a_panicking_before_login_hook_fails_closed_too() {
    let mut hooks = AuthHookRegistry::new();
    hooks
        .register(
            "before_login",
            "boom",
            |_: &AuthHookContext| -> Result<(), AuthHookReject> { panic!("bug in hook") },
        )
        .unwrap();
    let fx = Fixture::new(hooks);
    let err = fx.flow.login(ada(PASSWORD), request()).await.unwrap_err();
    assert!(matches!(err, LoginError::HookFailed(_)), "{err:?}");
    assert!(fx.sessions.is_empty());
}

fn failing_on_login(policy: ErrorPolicy) -> (Fixture, Log) {
    let (mut hooks, log) = recording();
    hooks
        .register_with(
            "on_login",
            "crm_sync",
            HookOptions::default().priority(10),
            |_: &AuthHookContext| Err::<(), _>(std::io::Error::other("crm down")),
        )
        .unwrap();
    hooks.set_policy(Phase::OnLogin, policy);
    (Fixture::new(hooks), log)
}

#[tokio::test]
async fn on_login_failure_under_log_is_logged_and_the_login_stands() {
    let (fx, log) = failing_on_login(ErrorPolicy::Log);
    let ok = fx.flow.login(ada(PASSWORD), request()).await.unwrap();
    assert_eq!(
        ran(&log),
        [
            "before_authenticate:-",
            "before_login:u-ada",
            "on_login:u-ada"
        ],
        "later hooks still run"
    );
    let id = ok.session.unwrap().id;
    assert_eq!(
        fx.flow.authenticate_session(&id).await.unwrap().user.id,
        "u-ada"
    );
}

#[tokio::test]
async fn on_login_failure_under_raise_leaves_no_session_and_no_usable_token() {
    let (fx, log) = failing_on_login(ErrorPolicy::Raise);
    // Capture what the login created by watching the stores.
    let err = fx.flow.login(ada(PASSWORD), request()).await.unwrap_err();
    assert!(
        matches!(&err, LoginError::HookFailed(e) if e.hook == "crm_sync"),
        "{err:?}"
    );
    assert_eq!(err.client_message(), "Login rejected.");
    assert_eq!(
        ran(&log),
        ["before_authenticate:-", "before_login:u-ada"],
        "hooks after the failing one do not run"
    );
    assert!(
        fx.sessions.is_empty(),
        "the session created for the login was revoked"
    );
    // Both token ids and the family were blocked: the tokens cannot be used.
    assert_eq!(fx.blocklist.len(), 3);
}

#[test]
fn on_login_raise_revokes_the_exact_tokens_it_issued() {
    // The tokens never reach the caller; catch them from on_login's context, then
    // prove they are refused.
    let issued: Arc<Mutex<Vec<TokenMeta>>> = Arc::default();
    let mut hooks = AuthHookRegistry::new();
    let keep = issued.clone();
    hooks
        .register("on_login", "fail", move |ctx: &AuthHookContext| {
            keep.lock().unwrap().extend(ctx.tokens().iter().cloned());
            Err::<(), _>(std::io::Error::other("no"))
        })
        .unwrap();
    hooks.set_policy(Phase::OnLogin, ErrorPolicy::Raise);
    let fx = Fixture::with(
        hooks,
        FixtureOptions {
            sessions: false,
            ..Default::default()
        },
    );
    rt().block_on(async {
        assert!(fx.flow.login(ada(PASSWORD), request()).await.is_err());
        let tokens = fx.flow.tokens().unwrap();
        let issued = issued.lock().unwrap().clone();
        assert_eq!(issued.len(), 2);
        for meta in &issued {
            assert!(tokens
                .blocklist()
                .is_blocked(&meta.jti, fx.clock.now())
                .await
                .unwrap());
            assert!(tokens
                .blocklist()
                .is_blocked(&format!("fam:{}", meta.family), fx.clock.now())
                .await
                .unwrap());
        }
    });
}

#[tokio::test]
async fn unknown_user_and_wrong_password_get_the_same_answer() {
    let contexts: Arc<Mutex<Vec<serde_json::Value>>> = Arc::default();
    let mut hooks = AuthHookRegistry::new();
    let keep = contexts.clone();
    hooks
        .register("on_login_failed", "see", move |ctx: &AuthHookContext| {
            assert_eq!(ctx.user_id(), None, "a failed login names no user id");
            keep.lock().unwrap().push(ctx.credentials().clone());
        })
        .unwrap();
    let fx = Fixture::new(hooks);

    let wrong = fx
        .flow
        .login(ada("wrong password"), request())
        .await
        .unwrap_err();
    let unknown = fx
        .flow
        .login(Credentials::password("nobody", "wrong password"), request())
        .await
        .unwrap_err();

    assert!(matches!(wrong, LoginError::InvalidCredentials));
    assert!(matches!(unknown, LoginError::InvalidCredentials));
    assert_eq!(wrong.client_message(), unknown.client_message());
    assert_eq!(wrong.to_string(), unknown.to_string());
    assert_eq!(format!("{wrong:?}"), format!("{unknown:?}"));
    assert_eq!(
        *contexts.lock().unwrap(),
        [
            json!({ "username": "ada" }),
            json!({ "username": "nobody" })
        ],
        "on_login_failed runs for both, without the password"
    );
    assert!(fx.sessions.is_empty());
}

#[tokio::test]
async fn a_disabled_user_gets_the_generic_answer_even_with_the_right_password() {
    let fx = Fixture::new(AuthHookRegistry::new());
    fx.users.set_disabled("u-ada", true).unwrap();
    let err = fx.flow.login(ada(PASSWORD), request()).await.unwrap_err();
    assert!(matches!(err, LoginError::InvalidCredentials), "{err:?}");
}

#[tokio::test]
async fn malformed_credentials_are_a_clear_error_not_a_panic() {
    let (hooks, log) = recording();
    let fx = Fixture::new(hooks);
    let no_password = Credentials::from_json(json!({ "username": "ada" })).unwrap();
    let err = fx.flow.login(no_password, request()).await.unwrap_err();
    assert!(
        matches!(err, LoginError::MalformedCredentials(_)),
        "{err:?}"
    );
    assert!(
        err.client_message().contains("`password`"),
        "{}",
        err.client_message()
    );
    let huge = ada(&"x".repeat(10_000));
    let err = fx.flow.login(huge, request()).await.unwrap_err();
    assert!(
        err.client_message().contains("longer than 1024 bytes"),
        "{}",
        err.client_message()
    );
    let empty = fx.flow.login(ada(""), request()).await.unwrap_err();
    assert!(matches!(empty, LoginError::InvalidCredentials));
    assert!(!ran(&log).iter().any(|l| l.starts_with("on_login:")));
}

#[tokio::test]
async fn a_successful_login_rehashes_a_password_hashed_with_old_parameters() {
    let current = PasswordHasher::new(16, 1, 1).unwrap();
    let fx = Fixture::with(
        AuthHookRegistry::new(),
        FixtureOptions {
            hasher: current.clone(),
            ..Default::default()
        },
    );
    fx.users
        .add("u-old", "old", PASSWORD, &PasswordHasher::for_tests())
        .unwrap();
    let before = fx.users.get("u-old").unwrap().unwrap().password_hash;
    assert!(current.needs_rehash(&before));

    fx.flow
        .login(Credentials::password("old", "nope"), request())
        .await
        .unwrap_err();
    assert_eq!(
        fx.users.get("u-old").unwrap().unwrap().password_hash,
        before,
        "no rehash on a failed login"
    );

    fx.flow
        .login(Credentials::password("old", PASSWORD), request())
        .await
        .unwrap();
    let after = fx.users.get("u-old").unwrap().unwrap().password_hash;
    assert_ne!(after, before);
    assert!(after.contains("m=16,t=1,p=1"), "{after}");
    assert!(!current.needs_rehash(&after));
    // The new hash still verifies.
    fx.flow
        .login(Credentials::password("old", PASSWORD), request())
        .await
        .unwrap();
}

#[tokio::test]
async fn hooks_limited_to_another_backend_do_not_run() {
    let mut hooks = AuthHookRegistry::new();
    hooks
        .register_with(
            "before_login",
            "ldap_only",
            HookOptions::default().backends(["ldap"]),
            |_: &AuthHookContext| Err(AuthHookReject::new("ldap says no")),
        )
        .unwrap();
    let fx = Fixture::new(hooks);
    assert!(fx.flow.login(ada(PASSWORD), request()).await.is_ok());
}

#[tokio::test]
async fn logout_builds_the_context_before_revoking_then_runs_on_logout() {
    let seen: Arc<Mutex<Vec<SeenLogout>>> = Arc::default();
    let mut hooks = AuthHookRegistry::new();
    let keep = seen.clone();
    hooks
        .register("on_logout", "see", move |ctx: &AuthHookContext| {
            keep.lock().unwrap().push((
                ctx.user_id().map(str::to_owned),
                ctx.session().cloned(),
                ctx.tokens().to_vec(),
            ));
        })
        .unwrap();
    let fx = Fixture::new(hooks);
    // Two logins: one logged out by its cookie, the other by its access token.
    let ok = fx.flow.login(ada(PASSWORD), request()).await.unwrap();
    let session = ok.session.unwrap();
    let pair = fx
        .flow
        .login(ada(PASSWORD), request())
        .await
        .unwrap()
        .tokens
        .unwrap();

    let out = fx
        .flow
        .logout(LogoutTarget::session(session.id), request())
        .await
        .unwrap();
    assert!(out.revoked);
    assert_eq!(fx.sessions.len(), 1, "the first login's session is gone");
    let out = fx
        .flow
        .logout(
            LogoutTarget::access_token(pair.access.token.expose()),
            request(),
        )
        .await
        .unwrap();
    assert!(out.revoked);
    assert!(
        fx.sessions.is_empty(),
        "the token's login took its session along"
    );

    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].0.as_deref(), Some("u-ada"));
    assert_eq!(
        seen[0].1.as_ref(),
        Some(&session.meta),
        "the ended session is described"
    );
    assert_eq!(seen[1].0.as_deref(), Some("u-ada"));
    assert_eq!(
        seen[1].2,
        std::slice::from_ref(&pair.access.meta),
        "the revoked token is described"
    );
}

#[tokio::test]
async fn logging_out_twice_is_harmless_and_runs_on_logout_once() {
    let (hooks, log) = recording();
    let fx = Fixture::new(hooks);
    let ok = fx.flow.login(ada(PASSWORD), request()).await.unwrap();
    let cookie = ok.session.unwrap().id.expose().to_owned();
    let refresh = ok.tokens.unwrap().refresh.token.expose().to_owned();
    for _ in 0..2 {
        let id = auth_hooks_flow::SessionId::parse(&cookie).unwrap();
        fx.flow
            .logout(LogoutTarget::session(id), request())
            .await
            .unwrap();
        fx.flow
            .logout(LogoutTarget::refresh_token(refresh.clone()), request())
            .await
            .unwrap();
    }
    let logouts = ran(&log)
        .iter()
        .filter(|l| l.starts_with("on_logout"))
        .count();
    // The session's logout ended the whole login (its token family too): the refresh
    // token's logout finds nothing left, and neither does the second round.
    assert_eq!(logouts, 1, "one per login actually ended");
    // Junk is harmless too.
    let junk = fx
        .flow
        .logout(LogoutTarget::access_token("not.a.jwt"), request())
        .await
        .unwrap();
    assert!(!junk.revoked);
}

fn failing_on_logout(policy: ErrorPolicy) -> Fixture {
    let mut hooks = AuthHookRegistry::new();
    hooks
        .register("on_logout", "notify", |_: &AuthHookContext| {
            Err::<(), _>(std::io::Error::other("mailer down"))
        })
        .unwrap();
    hooks.set_policy(Phase::OnLogout, policy);
    Fixture::new(hooks)
}

#[tokio::test]
async fn on_logout_failure_under_log_is_logged_and_logout_succeeds() {
    let fx = failing_on_logout(ErrorPolicy::Log);
    let session = fx
        .flow
        .login(ada(PASSWORD), request())
        .await
        .unwrap()
        .session
        .unwrap();
    let out = fx
        .flow
        .logout(LogoutTarget::session(session.id), request())
        .await
        .unwrap();
    assert!(out.revoked);
    assert!(fx.sessions.is_empty());
}

#[tokio::test]
async fn on_logout_failure_under_raise_is_an_error_but_the_session_is_still_revoked() {
    let fx = failing_on_logout(ErrorPolicy::Raise);
    let session = fx
        .flow
        .login(ada(PASSWORD), request())
        .await
        .unwrap()
        .session
        .unwrap();
    let cookie = session.id.expose().to_owned();
    let err = fx
        .flow
        .logout(LogoutTarget::session(session.id), request())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, LogoutError::HookFailed(e) if e.hook == "notify"),
        "{err:?}"
    );
    assert!(fx.flow.authenticate_session_cookie(&cookie).await.is_err());
}

#[test]
fn nothing_secret_reaches_logs_errors_or_debug_output() {
    let (hooks, _) = recording();
    let fx = Fixture::new(hooks);
    let ((ok, err), logs) = capture_logs(|| {
        rt().block_on(async {
            let ok = fx.flow.login(ada(PASSWORD), request()).await.unwrap();
            let err = fx
                .flow
                .login(ada("hunter2-wrong"), request())
                .await
                .unwrap_err();
            (ok, err)
        })
    });
    let session = ok.session.as_ref().unwrap();
    let pair = ok.tokens.as_ref().unwrap();
    let secrets = [
        PASSWORD,
        "hunter2-wrong",
        session.id.expose(),
        pair.access.token.expose(),
        pair.refresh.token.expose(),
    ];
    let outputs = [
        format!("{ok:?}"),
        format!("{err:?} {err}"),
        err.client_message().to_owned(),
        format!("{:?}", fx.flow),
        format!("{:?}", ada(PASSWORD)),
        logs,
    ];
    for output in &outputs {
        for secret in secrets {
            assert!(!output.contains(secret), "a secret leaked into: {output}");
        }
    }
    assert!(outputs[0].contains("redacted"));
}
