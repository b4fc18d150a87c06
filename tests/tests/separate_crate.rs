//! Hooks that live in another library crate, which this binary names only in `ready!`.

use std::sync::Arc;

use auth_hooks::{AuthHookContext, Phase, RequestMeta};
use hook_lib::Trail;
use serde_json::json;

fn context(username: &str, trail: &Arc<Trail>) -> AuthHookContext {
    AuthHookContext::builder()
        .credentials(json!({ "username": username, "password": "pw" }))
        .request(RequestMeta::new("POST", "/login").client_ip("198.51.100.7".parse().unwrap()))
        .auth_backend("password")
        .extension(trail.clone())
        .build()
}

#[tokio::test]
async fn hooks_of_an_unnamed_crate_are_linked_and_run_in_source_order() {
    let hooks = auth_hooks::ready!(hook_lib::hooks).unwrap();
    let trail = Arc::new(Trail::default());
    hooks
        .run(Phase::OnLogin, &context("ada", &trail))
        .await
        .unwrap();
    assert_eq!(
        trail.names(),
        [
            // priority first, then file path, line and column
            "mod::urgent",
            "bans::login",
            "ip_rules::login",
            "mod::login_first",
            "mod::login_second",
            "mod::audit_both",
        ]
    );
}

#[tokio::test]
async fn a_sibling_module_with_a_longer_name_is_not_activated() {
    let hooks = auth_hooks::ready!(hook_lib::hooks).unwrap();
    let names: Vec<_> = hooks
        .hooks(Phase::OnLogin)
        .iter()
        .map(|h| h.module.to_owned())
        .collect();
    assert!(
        names.iter().all(|m| m.starts_with("hook_lib::hooks")),
        "{names:?}"
    );
    assert!(
        !names.iter().any(|m| m == "hook_lib::hooks_extra"),
        "{names:?}"
    );

    let extra = auth_hooks::ready!(hook_lib::hooks_extra).unwrap();
    assert_eq!(extra.len(Phase::OnLogin), 1);
}

#[tokio::test]
async fn naming_a_module_twice_or_with_its_parent_never_runs_a_hook_twice() {
    let once = auth_hooks::ready!(hook_lib::hooks).unwrap();
    let twice = auth_hooks::ready!(
        hook_lib::hooks,
        hook_lib::hooks::bans,
        hook_lib::hooks,
        hook_lib::hooks::ip_rules
    )
    .unwrap();
    for phase in Phase::ALL {
        assert_eq!(once.hooks(phase), twice.hooks(phase), "{phase}");
    }
    let trail = Arc::new(Trail::default());
    twice
        .run(Phase::BeforeLogin, &context("ada", &trail))
        .await
        .unwrap();
    assert_eq!(
        trail.names(),
        ["bans::deny_banned", "ip_rules::deny_test_net"]
    );
}

#[tokio::test]
async fn activation_order_of_the_paths_comes_before_file_order() {
    let hooks = auth_hooks::ready!(hook_lib::hooks::ip_rules, hook_lib::hooks::bans).unwrap();
    let trail = Arc::new(Trail::default());
    hooks
        .run(Phase::OnLogin, &context("ada", &trail))
        .await
        .unwrap();
    assert_eq!(trail.names(), ["ip_rules::login", "bans::login"]);
}

#[tokio::test]
async fn one_fn_with_two_phase_attributes_runs_once_in_each_phase() {
    let hooks = auth_hooks::ready!(hook_lib::hooks).unwrap();
    let trail = Arc::new(Trail::default());
    hooks
        .run(Phase::OnLogout, &context("ada", &trail))
        .await
        .unwrap();
    assert_eq!(trail.names(), ["mod::audit_both"]);
    let in_login = hooks.hooks(Phase::OnLogin);
    assert_eq!(
        in_login
            .iter()
            .filter(|h| h.name.ends_with("audit_both"))
            .count(),
        1
    );
}

#[tokio::test]
async fn a_backend_filter_skips_hooks_of_other_backends() {
    let hooks = auth_hooks::ready!(hook_lib::hooks).unwrap();
    let trail = Arc::new(Trail::default());
    let ctx = context("ada", &trail)
        .to_builder()
        .auth_backend("oauth")
        .build();
    hooks.run(Phase::BeforeLogin, &ctx).await.unwrap();
    assert_eq!(trail.names(), ["bans::deny_banned"]);
}

#[tokio::test]
async fn a_before_login_reject_stops_the_phase_with_the_hook_message() {
    let hooks = auth_hooks::ready!(hook_lib::hooks).unwrap();
    let trail = Arc::new(Trail::default());
    let err = hooks
        .run(Phase::BeforeLogin, &context("mallory", &trail))
        .await
        .unwrap_err();
    assert_eq!(err.client_message(), "This account is suspended.");
    assert_eq!(err.hook(), "hook_lib::hooks::bans::deny_banned");
    assert_eq!(
        trail.names(),
        ["bans::deny_banned"],
        "later hooks must not run"
    );
}

#[test]
fn inspection_reports_name_module_location_and_options() {
    let hooks = auth_hooks::ready!(hook_lib::hooks).unwrap();
    let before = serde_json::to_value(hooks.hooks(Phase::BeforeLogin)).unwrap();
    let ip = &before[1];
    assert_eq!(ip["name"], "hook_lib::hooks::ip_rules::deny_test_net");
    assert_eq!(ip["module"], "hook_lib::hooks::ip_rules");
    assert_eq!(ip["is_async"], true);
    assert_eq!(ip["backends"], json!(["password"]));
    assert!(
        ip["file"].as_str().unwrap().ends_with("ip_rules.rs"),
        "{ip}"
    );
    assert!(ip["line"].as_u64().unwrap() > 1);
    let urgent = &hooks.hooks(Phase::OnLogin)[0];
    assert_eq!((urgent.name, urgent.priority), ("first_by_priority", 100));
}
