//! The test harness: a recorder of which hooks ran, with what outcome and context;
//! replacing and removing a hook of an activated registry.

use std::time::Duration;

use auth_hooks::testing::{login, Recorded, Recorder};
use auth_hooks::{
    AuthHookContext, AuthHookRegistry, AuthHookReject, HookFuture, HookOptions, Phase,
};
use serde_json::json;

fn registry() -> AuthHookRegistry {
    let mut hooks = AuthHookRegistry::new();
    hooks
        .register(Phase::BeforeLogin, "allow", |_: &AuthHookContext| {})
        .unwrap();
    hooks
        .register(
            Phase::BeforeLogin,
            "deny_bob",
            |ctx: &AuthHookContext| match ctx.username() {
                Some("bob") => Err(AuthHookReject::new("Not bob.")),
                _ => Ok(()),
            },
        )
        .unwrap();
    hooks
        .register(Phase::OnLogin, "broken", |_: &AuthHookContext| {
            Err::<(), _>(std::io::Error::other("smtp down"))
        })
        .unwrap();
    hooks
        .register(Phase::OnLogin, "crashes", |_: &AuthHookContext| -> () {
            panic!("bug in audit")
        })
        .unwrap();
    hooks
}

#[test]
fn the_recorder_lists_each_hook_its_outcome_and_what_it_saw() {
    let recorder = Recorder::new(registry());
    let ctx = login("bob")
        .user_id("u-bob")
        .metadata("tenant", "acme")
        .build();
    assert!(recorder
        .registry()
        .run_blocking(Phase::BeforeLogin, &ctx)
        .is_err());
    let _ = recorder.registry().run_blocking(Phase::OnLogin, &ctx);

    let runs = recorder.runs();
    let outcomes: Vec<_> = runs
        .iter()
        .map(|r| (r.phase, r.hook.as_str(), r.outcome.clone()))
        .collect();
    assert_eq!(
        outcomes,
        [
            (Phase::BeforeLogin, "allow", Recorded::Passed),
            (
                Phase::BeforeLogin,
                "deny_bob",
                Recorded::Rejected("Not bob.".into())
            ),
            (
                Phase::OnLogin,
                "broken",
                Recorded::Failed("smtp down".into())
            ),
            (
                Phase::OnLogin,
                "crashes",
                Recorded::Panicked("bug in audit".into())
            ),
        ]
    );
    let seen = &runs[1].context;
    assert_eq!(seen["user_id"], "u-bob");
    assert_eq!(seen["credentials"], json!({ "username": "bob" }));
    assert_eq!(seen["metadata"]["tenant"], "acme");
    assert_eq!(seen["attempt_id"], "test-attempt");
    assert_eq!(recorder.ran(Phase::OnLogin), ["broken", "crashes"]);
    recorder.clear();
    assert!(recorder.runs().is_empty());
}

#[test]
fn the_recorder_sees_an_async_hook_cut_short_by_its_timeout() {
    fn slow(_: &AuthHookContext) -> HookFuture<'_> {
        Box::pin(async {
            futures_timer::Delay::new(Duration::from_millis(500)).await;
            Ok(())
        })
    }
    let mut hooks = AuthHookRegistry::new();
    hooks
        .register_async_with(
            Phase::OnLogin,
            "slow",
            HookOptions::default().timeout(Duration::from_millis(10)),
            slow,
        )
        .unwrap();
    let recorder = Recorder::new(hooks);
    recorder
        .registry()
        .run_blocking(Phase::OnLogin, &login("ada").build())
        .unwrap();
    assert_eq!(recorder.runs()[0].outcome, Recorded::CutShort);
}

#[test]
fn a_hook_of_an_activated_registry_is_replaced_in_place_or_removed() {
    let mut hooks = registry();
    hooks
        .replace(Phase::BeforeLogin, "deny_bob", |_: &AuthHookContext| {
            Err::<(), _>(AuthHookReject::new("Nobody today."))
        })
        .unwrap();
    let recorder = Recorder::new(hooks.clone());
    let err = recorder
        .registry()
        .run_blocking(Phase::BeforeLogin, &login("ada").build())
        .unwrap_err();
    assert_eq!(err.client_message(), "Nobody today.");
    assert_eq!(
        recorder.ran(Phase::BeforeLogin),
        ["allow", "deny_bob"],
        "same place, same name"
    );

    assert!(hooks.remove(Phase::OnLogin, "crashes"));
    assert!(!hooks.remove(Phase::OnLogin, "crashes"));
    assert!(hooks
        .replace(Phase::OnLogin, "nope", |_: &AuthHookContext| {})
        .is_err());
    assert_eq!(hooks.len(Phase::OnLogin), 1);
}
