//! Issue 14, log forging: a line break and an ANSI escape, sent as the login name and
//! as the user agent, and logged by the lockout, the audit, a hook's reject reason and
//! a hook's error, never reach the log raw. (The login name loses them when it is
//! normalized; the user agent keeps them, and every log line escapes them.)

use auth_hooks::{normalize_login, AuthHookContext, AuthHookReject, ErrorPolicy, HookError, Phase};
use auth_hooks_flow::Credentials;
use auth_hooks_test_support::flow::{request, Fixture};
use auth_hooks_test_support::logs::capture_logs;

const FORGED: &str = "ada\n2026-01-01 INFO forged\u{1b}[31m";

/// The login name and the user agent, as a careless hook would put them in a message.
fn name_of(ctx: &AuthHookContext) -> String {
    let agent = ctx.request().and_then(|r| r.user_agent.as_deref());
    format!(
        "{} via {}",
        ctx.username().unwrap_or_default(),
        agent.unwrap_or_default()
    )
}

fn forged_request() -> auth_hooks::RequestMeta {
    request().user_agent(FORGED)
}

#[test]
fn a_forged_login_name_appears_nowhere_raw() {
    let mut hooks = auth_hooks::ready!(
        auth_hooks_flow::builtin::lockout,
        auth_hooks_flow::builtin::audit
    )
    .unwrap();
    // An application hook that fails with the name in its error, under `log`.
    hooks
        .register(
            Phase::OnLoginFailed,
            "echoes_the_name",
            |ctx: &AuthHookContext| {
                Err::<(), HookError>(HookError::from(format!("no account {}", name_of(ctx))))
            },
        )
        .unwrap();
    hooks.set_policy(Phase::OnLoginFailed, ErrorPolicy::Log);
    let fx = Fixture::new(hooks);
    // A deny hook whose reason and message carry the name.
    let mut deny = auth_hooks::AuthHookRegistry::new();
    deny.register(
        Phase::BeforeAuthenticate,
        "deny_forged",
        |ctx: &AuthHookContext| {
            let name = name_of(ctx);
            if name.contains("forged") {
                Err(AuthHookReject::new(format!("refused {name}"))
                    .with_reason(format!("deny {name}")))
            } else {
                Ok(())
            }
        },
    )
    .unwrap();
    let denying = Fixture::new(deny);

    let ((), logs) = capture_logs(|| {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(async {
                // Six failures: the sixth locks, and the lockout warns.
                for _ in 0..6 {
                    let _ = fx
                        .flow
                        .login(Credentials::password(FORGED, "wrong"), forged_request())
                        .await;
                }
                let _ = denying
                    .flow
                    .login(Credentials::password(FORGED, "wrong"), forged_request())
                    .await;
            })
    });
    assert!(
        logs.contains("locked after repeated login failures"),
        "{logs}"
    );
    assert!(logs.contains("echoes_the_name"), "{logs}");
    assert!(logs.contains("deny_forged"), "{logs}");
    assert!(!logs.contains(FORGED), "raw text in the logs: {logs}");
    assert!(
        !normalize_login(FORGED).chars().any(char::is_control),
        "a normalized login name holds no control character"
    );
    assert!(
        !logs.contains('\u{1b}'),
        "an ANSI escape reached the log: {logs:?}"
    );
    assert!(
        !logs.lines().any(|line| line.starts_with("2026-01-01")),
        "a forged line: {logs}"
    );
}
