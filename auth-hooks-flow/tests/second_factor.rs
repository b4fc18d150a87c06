//! A second factor from a hook: the built-in `totp` challenges a user with a confirmed
//! secret; no session exists before the code passes; the continuation works once and
//! expires; a code is accepted once; codes count through the lockout like passwords;
//! recovery codes work once; `on_login` and `on_refresh` see the factors.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use auth_hooks::{AuthHookContext, AuthHookRegistry, HookOptions, Phase};
use auth_hooks_flow::second_factor::{SecondFactorError, TotpEnrollment, TotpSecret};
use auth_hooks_flow::{Credentials, LoginError, LoginOptions, LoginSuccess};
use auth_hooks_test_support::flow::{ada, request, Fixture, FixtureOptions, PASSWORD};
use auth_hooks_test_support::logs::capture_logs;
use serde_json::{json, Value};

const SECRET: &str = "JBSWY3DPEHPK3PXP";

/// What the application's own hooks saw.
#[derive(Default, Clone)]
struct Seen {
    /// Phases of the recording hooks, in order.
    ran: Arc<Mutex<Vec<String>>>,
    /// `amr` metadata `on_login` saw.
    on_login_amr: Arc<Mutex<Vec<Value>>>,
    /// `amr` metadata `on_refresh` saw.
    on_refresh_amr: Arc<Mutex<Vec<Value>>>,
}

fn hooks(seen: &Seen) -> AuthHookRegistry {
    let mut hooks = auth_hooks::ready!(
        auth_hooks_flow::builtin::lockout,
        auth_hooks_flow::builtin::totp
    )
    .unwrap();
    let ran = seen.ran.clone();
    hooks
        .register_with(
            Phase::BeforeLogin,
            "after_the_code",
            HookOptions::default().priority(-1),
            move |_: &AuthHookContext| ran.lock().unwrap().push("before_login:after".into()),
        )
        .unwrap();
    let (ran, amr) = (seen.ran.clone(), seen.on_login_amr.clone());
    hooks
        .register(Phase::OnLogin, "sees_amr", move |ctx: &AuthHookContext| {
            ran.lock().unwrap().push("on_login".into());
            amr.lock()
                .unwrap()
                .push(ctx.metadata().get("amr").cloned().unwrap_or_default());
        })
        .unwrap();
    let amr = seen.on_refresh_amr.clone();
    hooks
        .register(
            Phase::OnRefresh,
            "sees_amr",
            move |ctx: &AuthHookContext| {
                amr.lock()
                    .unwrap()
                    .push(ctx.metadata().get("amr").cloned().unwrap_or_default());
            },
        )
        .unwrap();
    hooks
}

/// A fixture whose `ada` has TOTP enrolled from [`SECRET`].
async fn enrolled() -> (Fixture, Seen, TotpSecret) {
    let seen = Seen::default();
    let fx = Fixture::with(
        hooks(&seen),
        FixtureOptions {
            second_factor: true,
            ..Default::default()
        },
    );
    let secret = TotpSecret::from_base32(SECRET).unwrap();
    use auth_hooks_flow::second_factor::SecondFactorStore;
    fx.factors
        .set_totp("u-ada", TotpEnrollment::confirmed(secret.clone()))
        .await
        .unwrap();
    (fx, seen, secret)
}

/// Logs `ada` in with her password: the continuation of the challenge.
async fn challenged(fx: &Fixture) -> String {
    let err = fx.flow.login(ada(PASSWORD), request()).await.unwrap_err();
    let LoginError::SecondFactorRequired {
        factor,
        continuation,
    } = &err
    else {
        panic!("expected a challenge, got {err:?}");
    };
    assert_eq!(factor, "totp");
    continuation.expose().to_owned()
}

async fn resume(fx: &Fixture, continuation: &str, code: &str) -> Result<LoginSuccess, LoginError> {
    fx.flow
        .resume_login(continuation, code, request(), LoginOptions::default())
        .await
}

fn code_now(fx: &Fixture, secret: &TotpSecret) -> String {
    use auth_hooks_flow::Clock;
    secret.code_at(fx.clock.now())
}

#[tokio::test]
async fn no_session_nor_token_before_the_factor_passes_then_on_login_sees_both_factors() {
    let (fx, seen, secret) = enrolled().await;
    let continuation = challenged(&fx).await;
    assert!(fx.sessions.is_empty(), "no session before the code");
    assert!(
        seen.ran.lock().unwrap().is_empty(),
        "the hooks after the challenge wait for the code"
    );

    let ok = resume(&fx, &continuation, &code_now(&fx, &secret))
        .await
        .unwrap();
    assert_eq!(ok.user.id, "u-ada");
    assert_eq!(fx.sessions.len(), 1);
    assert_eq!(
        *seen.ran.lock().unwrap(),
        ["before_login:after", "on_login"],
        "resumed after the challenging hook"
    );
    assert_eq!(*seen.on_login_amr.lock().unwrap(), [json!(["pwd", "otp"])]);

    let tokens = ok.tokens.unwrap();
    let claims = fx
        .flow
        .tokens()
        .unwrap()
        .verify_access(tokens.access.token.expose())
        .await
        .unwrap();
    assert_eq!(claims.custom["amr"], json!(["pwd", "otp"]));

    // A refresh never challenges, and on_refresh sees the login's factors.
    let refreshed = fx
        .flow
        .refresh(tokens.refresh.token.expose())
        .await
        .unwrap();
    assert_eq!(
        *seen.on_refresh_amr.lock().unwrap(),
        [json!(["pwd", "otp"])]
    );
    let claims = fx
        .flow
        .tokens()
        .unwrap()
        .verify_access(refreshed.access.token.expose())
        .await
        .unwrap();
    assert_eq!(claims.custom["amr"], json!(["pwd", "otp"]));
}

#[tokio::test]
async fn a_user_without_totp_logs_in_at_once_with_amr_pwd() {
    let (fx, seen, _) = enrolled().await;
    let ok = fx
        .flow
        .login(Credentials::password("bob", PASSWORD), request())
        .await
        .unwrap();
    assert!(ok.session.is_some());
    assert_eq!(*seen.on_login_amr.lock().unwrap(), [json!(["pwd"])]);
}

#[tokio::test]
async fn a_continuation_works_once_and_expires_after_five_minutes() {
    let (fx, _, secret) = enrolled().await;
    let continuation = challenged(&fx).await;
    resume(&fx, &continuation, &code_now(&fx, &secret))
        .await
        .unwrap();
    fx.clock.advance(Duration::from_secs(30));
    let err = resume(&fx, &continuation, &code_now(&fx, &secret))
        .await
        .unwrap_err();
    assert!(matches!(err, LoginError::InvalidSecondFactor), "{err:?}");
    assert_eq!(err.client_message(), LoginError::INVALID_SECOND_FACTOR);

    let continuation = challenged(&fx).await;
    fx.clock.advance(Duration::from_secs(301));
    let err = resume(&fx, &continuation, &code_now(&fx, &secret))
        .await
        .unwrap_err();
    assert!(matches!(err, LoginError::InvalidSecondFactor), "{err:?}");
    assert_eq!(fx.sessions.len(), 1, "only the first resume made a session");
    assert!(
        resume(&fx, "made-up", "123456").await.is_err(),
        "a forged continuation is refused"
    );
}

#[tokio::test]
async fn a_password_change_ends_a_login_waiting_for_its_second_factor() {
    let (fx, _, secret) = enrolled().await;
    // Ada is logged in on her device, with both factors.
    let first = challenged(&fx).await;
    let login = resume(&fx, &first, &code_now(&fx, &secret)).await.unwrap();
    // Someone with her old password waits at the code prompt.
    let pending = challenged(&fx).await;
    // She changes her password from her device.
    let session = &login.session.as_ref().unwrap().id;
    let current = fx.flow.authenticate_session(session).await.unwrap();
    let new_password = "a brand new and long password";
    fx.flow
        .change_password(&current, PASSWORD, new_password, request())
        .await
        .unwrap();
    // A right code (of a later step: the first one is spent) no longer lets them in.
    fx.clock.advance(Duration::from_secs(30));
    let code = code_now(&fx, &secret);
    let err = resume(&fx, &pending, &code).await.unwrap_err();
    assert!(matches!(err, LoginError::InvalidSecondFactor), "{err:?}");
    // The code was not spent on it: Ada, with her new password, uses it.
    let err = fx
        .flow
        .login(Credentials::password("ada", new_password), request())
        .await
        .unwrap_err();
    let LoginError::SecondFactorRequired { continuation, .. } = err else {
        panic!("expected a challenge, got {err:?}");
    };
    resume(&fx, continuation.expose(), &code).await.unwrap();
}

#[tokio::test]
async fn a_replayed_code_is_refused_even_with_a_new_continuation() {
    let (fx, _, secret) = enrolled().await;
    let code = code_now(&fx, &secret);
    let continuation = challenged(&fx).await;
    resume(&fx, &continuation, &code).await.unwrap();

    let continuation = challenged(&fx).await;
    let err = resume(&fx, &continuation, &code).await.unwrap_err();
    assert!(matches!(err, LoginError::InvalidSecondFactor), "{err:?}");
    // A wrong code leaves the continuation for another try: the next step's code.
    fx.clock.advance(Duration::from_secs(30));
    resume(&fx, &continuation, &code_now(&fx, &secret))
        .await
        .unwrap();
    assert_eq!(fx.sessions.len(), 2);
}

#[tokio::test]
async fn wrong_codes_lock_like_wrong_passwords_and_a_right_one_clears_the_count() {
    let (fx, _, secret) = enrolled().await;
    // The right password without its code is an attempt not yet settled (1); four wrong
    // codes make five; the sixth attempt is locked, even with the right code.
    let continuation = challenged(&fx).await;
    for _ in 0..4 {
        let err = resume(&fx, &continuation, "000000").await.unwrap_err();
        assert!(matches!(err, LoginError::InvalidSecondFactor), "{err:?}");
    }
    let err = resume(&fx, &continuation, &code_now(&fx, &secret))
        .await
        .unwrap_err();
    assert!(matches!(err, LoginError::LockedOut { .. }), "{err:?}");
    let err = fx.flow.login(ada(PASSWORD), request()).await.unwrap_err();
    assert!(matches!(err, LoginError::LockedOut { .. }), "{err:?}");
    assert!(fx.sessions.is_empty());

    // Once the code passes, the count is cleared: five more attempts are verified.
    let (fx, _, secret) = enrolled().await;
    let continuation = challenged(&fx).await;
    for _ in 0..3 {
        resume(&fx, &continuation, "000000").await.unwrap_err();
    }
    resume(&fx, &continuation, &code_now(&fx, &secret))
        .await
        .unwrap();
    for _ in 0..5 {
        let err = fx.flow.login(ada("wrong"), request()).await.unwrap_err();
        assert!(matches!(err, LoginError::InvalidCredentials), "{err:?}");
    }
}

#[tokio::test]
async fn a_continuation_is_spent_after_five_wrong_codes_even_without_a_lockout() {
    let seen = Seen::default();
    let mut registry = auth_hooks::ready!(auth_hooks_flow::builtin::totp).unwrap();
    registry.clear_phase(Phase::OnLogin);
    let _ = seen;
    let fx = Fixture::with(
        registry,
        FixtureOptions {
            second_factor: true,
            lockout: false,
            ..Default::default()
        },
    );
    let secret = TotpSecret::from_base32(SECRET).unwrap();
    use auth_hooks_flow::second_factor::SecondFactorStore;
    fx.factors
        .set_totp("u-ada", TotpEnrollment::confirmed(secret.clone()))
        .await
        .unwrap();
    let continuation = challenged(&fx).await;
    for _ in 0..5 {
        resume(&fx, &continuation, "000000").await.unwrap_err();
    }
    let err = resume(&fx, &continuation, &code_now(&fx, &secret))
        .await
        .unwrap_err();
    assert!(matches!(err, LoginError::InvalidSecondFactor), "{err:?}");
}

#[tokio::test]
async fn enrollment_confirm_recovery_codes_once_and_removal() {
    let seen = Seen::default();
    let fx = Fixture::with(
        hooks(&seen),
        FixtureOptions {
            second_factor: true,
            ..Default::default()
        },
    );
    let setup = fx.flow.start_totp_enrollment("u-ada", "ada").await.unwrap();
    assert!(setup.uri.starts_with("otpauth://totp/"), "an otpauth URI");
    assert!(setup.qr_svg.as_deref().unwrap().starts_with("<svg"));
    assert_eq!(format!("{setup:?}"), "TotpSetup(..)");
    // Pending: the login does not ask for it yet.
    assert!(fx.flow.login(ada(PASSWORD), request()).await.is_ok());

    let secret = TotpSecret::from_base32(&setup.secret).unwrap();
    let err = fx
        .flow
        .confirm_totp_enrollment("u-ada", "000000")
        .await
        .unwrap_err();
    assert!(matches!(err, SecondFactorError::InvalidCode), "{err:?}");
    let codes = fx
        .flow
        .confirm_totp_enrollment("u-ada", &code_now(&fx, &secret))
        .await
        .unwrap();
    let codes: Vec<String> = codes.expose().map(str::to_owned).collect();
    assert_eq!(codes.len(), 10);
    assert!(matches!(
        fx.flow.start_totp_enrollment("u-ada", "ada").await,
        Err(SecondFactorError::AlreadyEnrolled)
    ));

    // A recovery code stands in for the app, once (typed in capitals, without the dash).
    let continuation = challenged(&fx).await;
    let typed = codes[0].replace('-', "").to_uppercase();
    resume(&fx, &continuation, &typed).await.unwrap();
    assert_eq!(
        seen.on_login_amr.lock().unwrap().last().unwrap(),
        &json!(["pwd", "recovery_code"])
    );
    let continuation = challenged(&fx).await;
    let err = resume(&fx, &continuation, &codes[0]).await.unwrap_err();
    assert!(matches!(err, LoginError::InvalidSecondFactor), "{err:?}");
    resume(&fx, &continuation, &codes[1]).await.unwrap();

    // Removal needs a fresh code; then logins no longer ask.
    fx.clock.advance(Duration::from_secs(30));
    let err = fx
        .flow
        .remove_totp("u-ada", "ada", "000000", request())
        .await
        .unwrap_err();
    assert!(matches!(err, SecondFactorError::InvalidCode), "{err:?}");
    fx.flow
        .remove_totp("u-ada", "ada", &code_now(&fx, &secret), request())
        .await
        .unwrap();
    assert!(fx.flow.login(ada(PASSWORD), request()).await.is_ok());
}

#[test]
fn no_secret_in_errors_debug_or_logs() {
    let ((token, code, text, secret), logs) = capture_logs(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(async {
                let (fx, _, secret) = enrolled().await;
                let err = fx.flow.login(ada(PASSWORD), request()).await.unwrap_err();
                let text = format!("{err:?} {err}");
                let LoginError::SecondFactorRequired { continuation, .. } = err else {
                    panic!("a challenge")
                };
                let token = continuation.expose().to_owned();
                let code = code_now(&fx, &secret);
                resume(&fx, &token, "999999").await.unwrap_err();
                resume(&fx, &token, &code).await.unwrap();
                (token, code, text, secret)
            })
    });
    assert!(!text.contains(&token), "{text}");
    for secret_text in [token.as_str(), code.as_str(), "999999", SECRET] {
        assert!(!logs.contains(secret_text), "{secret_text} in {logs}");
    }
    assert_eq!(format!("{secret:?}"), "TotpSecret(..)");
}
