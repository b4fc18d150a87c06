//! The audit built-in: one structured event per phase, with user id, backend, ip and
//! outcome, and never a secret.

use auth_hooks_flow::{Credentials, LogoutTarget};
use auth_hooks_test_support::flow::{ada, request, Fixture, PASSWORD};
use auth_hooks_test_support::logs::capture_logs;

#[test]
fn every_phase_leaves_one_audit_event_without_secrets() {
    let fx = Fixture::new(auth_hooks::ready!(auth_hooks_flow::builtin::audit).unwrap());
    let ((cookie, access), logs) = capture_logs(|| {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(async {
                fx.flow
                    .login(Credentials::password("ada", "wrong-pass-123"), request())
                    .await
                    .unwrap_err();
                let ok = fx.flow.login(ada(PASSWORD), request()).await.unwrap();
                let session = ok.session.unwrap();
                let cookie = session.id.expose().to_owned();
                fx.flow
                    .logout(LogoutTarget::session(session.id), request())
                    .await
                    .unwrap();
                (cookie, ok.tokens.unwrap().access.token.expose().to_owned())
            })
    });
    let audit: Vec<&str> = logs
        .lines()
        .filter(|l| l.contains("auth_hooks::audit"))
        .collect();
    let outcomes: Vec<&str> = audit
        .iter()
        .map(|l| {
            l.split("outcome=\"")
                .nth(1)
                .unwrap_or("")
                .split('"')
                .next()
                .unwrap_or("")
        })
        .collect();
    assert_eq!(
        outcomes,
        ["attempt", "failure", "attempt", "success", "logout"],
        "{logs}"
    );
    let success = audit[3];
    for field in [
        "user_id=\"u-ada\"",
        "backend=\"password\"",
        "ip=\"203.0.113.9\"",
        "phase=\"on_login\"",
    ] {
        assert!(success.contains(field), "{field} missing in {success}");
    }
    assert!(
        audit[1].contains("login_hash=") && audit[0].contains("login_hash="),
        "an attempt and a failure carry the hash of the login tried: {}",
        audit[1]
    );
    for unverified in &audit[..3] {
        assert!(
            !unverified.contains("ada") && !unverified.contains(" login="),
            "an unverified login name is never logged in clear: {unverified}"
        );
    }
    assert!(audit[3].contains("login=ada"), "{}", audit[3]);
    for secret in [PASSWORD, "wrong-pass-123", &cookie, &access] {
        assert!(!logs.contains(secret), "secret in the logs: {logs}");
    }
}
