//! A `before_login` hook may require a second factor: the phase stops there and says
//! which hook challenged, `run_after` runs the hooks after it, and a challenge in any
//! other phase is a failure under the policy.

use std::sync::{Arc, Mutex};

use auth_hooks::{
    AuthHookChallenge, AuthHookContext, AuthHookError, AuthHookRegistry, ErrorPolicy, HookFuture,
    Phase,
};

type Ran = Arc<Mutex<Vec<&'static str>>>;

fn record(registry: &mut AuthHookRegistry, ran: &Ran, phase: Phase, name: &'static str) {
    let ran = ran.clone();
    registry
        .register(phase, name, move |_: &AuthHookContext| {
            ran.lock().unwrap().push(name)
        })
        .unwrap();
}

fn challenging(registry: &mut AuthHookRegistry, ran: &Ran, phase: Phase, name: &'static str) {
    let ran = ran.clone();
    registry
        .register(phase, name, move |_: &AuthHookContext| {
            ran.lock().unwrap().push(name);
            Err::<(), _>(AuthHookChallenge::totp())
        })
        .unwrap();
}

/// `first`, `second_factor` (challenges), an async `third`, `fourth`.
fn before_login_registry(ran: &Ran) -> AuthHookRegistry {
    let mut registry = AuthHookRegistry::new();
    record(&mut registry, ran, Phase::BeforeLogin, "first");
    challenging(&mut registry, ran, Phase::BeforeLogin, "second_factor");
    let third = ran.clone();
    registry
        .register_async(
            Phase::BeforeLogin,
            "third",
            move |_: &AuthHookContext| -> HookFuture<'_> {
                let third = third.clone();
                Box::pin(async move {
                    third.lock().unwrap().push("third");
                    Ok(())
                })
            },
        )
        .unwrap();
    record(&mut registry, ran, Phase::BeforeLogin, "fourth");
    registry
}

#[tokio::test]
async fn a_challenge_stops_before_login_and_names_the_hook_then_run_after_resumes() {
    let ran = Ran::default();
    let registry = before_login_registry(&ran);
    let ctx = AuthHookContext::builder().build();

    let error = registry.run(Phase::BeforeLogin, &ctx).await.unwrap_err();
    let AuthHookError::Challenged(challenged) = &error else {
        panic!("expected a challenge, got {error:?}");
    };
    assert_eq!(
        (challenged.hook.as_str(), challenged.challenge.factor()),
        ("second_factor", "totp")
    );
    assert_eq!(error.challenge().map(|c| c.factor()), Some("totp"));
    assert_eq!(
        error.client_message(),
        AuthHookError::SECOND_FACTOR_REQUIRED
    );
    assert_eq!(*ran.lock().unwrap(), ["first", "second_factor"]);

    ran.lock().unwrap().clear();
    registry
        .run_after(Phase::BeforeLogin, &ctx, "second_factor")
        .await
        .unwrap();
    assert_eq!(*ran.lock().unwrap(), ["third", "fourth"]);

    ran.lock().unwrap().clear();
    registry
        .run_blocking_after(Phase::BeforeLogin, &ctx, "third")
        .unwrap();
    assert_eq!(*ran.lock().unwrap(), ["fourth"]);
}

#[tokio::test]
async fn resuming_after_an_unknown_hook_fails_closed_under_log_too() {
    let ran = Ran::default();
    let mut registry = before_login_registry(&ran);
    registry.set_policy(Phase::BeforeLogin, ErrorPolicy::Log);
    let ctx = AuthHookContext::builder().build();
    let error = registry
        .run_after(Phase::BeforeLogin, &ctx, "gone")
        .await
        .unwrap_err();
    assert!(matches!(error, AuthHookError::Failed(_)), "{error:?}");
    assert!(ran.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_challenge_outside_before_login_is_a_failure_under_the_policy() {
    for phase in [Phase::BeforeAuthenticate, Phase::OnRefresh, Phase::OnLogin] {
        let ran = Ran::default();
        let mut registry = AuthHookRegistry::new();
        challenging(&mut registry, &ran, phase, "misplaced");
        record(&mut registry, &ran, phase, "after");
        let ctx = AuthHookContext::builder().build();

        registry.set_policy(phase, ErrorPolicy::Raise);
        let error = registry.run(phase, &ctx).await.unwrap_err();
        assert!(
            matches!(error, AuthHookError::Failed(_)),
            "{phase}: {error:?}"
        );
        assert!(error.challenge().is_none());

        registry.set_policy(phase, ErrorPolicy::Log);
        ran.lock().unwrap().clear();
        registry.run(phase, &ctx).await.unwrap();
        assert_eq!(*ran.lock().unwrap(), ["misplaced", "after"], "{phase}");
    }
}
