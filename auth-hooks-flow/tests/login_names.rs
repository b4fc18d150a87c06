//! Issue 14, login names: normalized once when the credentials are built (NFKC,
//! lower-cased, trimmed), so the backend, the stores, the lockout and the hooks all
//! compare one form: `ａｄａ`, `ADA ` and `ada` are one account.

use auth_hooks::{AuthHookContext, AuthHookRegistry, AuthHookReject, Phase};
use auth_hooks_flow::{Credentials, LoginError, RegisterOptions};
use auth_hooks_test_support::flow::{ada, request, Fixture, PASSWORD};

const VARIANTS: [&str; 3] = ["ａｄａ", "ADA ", "ada"];

#[tokio::test]
async fn width_case_and_space_variants_all_log_in_as_ada() {
    let fx = Fixture::new(AuthHookRegistry::new());
    for login in VARIANTS {
        let ok = fx
            .flow
            .login(Credentials::password(login, PASSWORD), request())
            .await
            .unwrap_or_else(|e| panic!("{login:?}: {e:?}"));
        assert_eq!(ok.user.id, "u-ada", "{login:?}");
    }
}

#[tokio::test]
async fn the_lockout_counts_the_variants_as_one_name() {
    let fx = Fixture::new(auth_hooks::ready!(auth_hooks_flow::builtin::lockout).unwrap());
    for login in ["ａｄａ", "ａｄａ", "ADA ", "ADA ", "ada"] {
        let err = fx
            .flow
            .login(Credentials::password(login, "wrong"), request())
            .await
            .unwrap_err();
        assert!(matches!(err, LoginError::InvalidCredentials), "{err:?}");
    }
    let err = fx.flow.login(ada(PASSWORD), request()).await.unwrap_err();
    assert!(
        matches!(err, LoginError::LockedOut { .. }),
        "five failures of one name, however typed: {err:?}"
    );
}

#[tokio::test]
async fn a_registration_of_fullwidth_ada_is_a_taken_name() {
    let fx = Fixture::new(AuthHookRegistry::new());
    let err = fx
        .flow
        .register_with(
            Credentials::password("ＡＤＡ", "a new and long password"),
            request(),
            RegisterOptions::default().signing_in(),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, LoginError::LoginTaken), "{err:?}");
    // A new name is stored normalized: its owner logs in however they type it.
    fx.flow
        .register(
            Credentials::password(" Ｚｏë ", "a new and long password"),
            request(),
        )
        .await
        .unwrap();
    let ok = fx
        .flow
        .login(
            Credentials::password("ZOË", "a new and long password"),
            request(),
        )
        .await
        .unwrap();
    assert!(ok.user.id.starts_with("u-"), "{:?}", ok.user.id);
}

const INVISIBLE_VARIANTS: [&str; 6] = [
    "a\u{200b}da",  // zero-width space
    "ad\u{ad}a",    // soft hyphen
    "\u{202e}ada",  // right-to-left override
    "ada\u{e0041}", // tag character
    "ada\u{3164}",  // Hangul filler
    "a\u{fe0f}da",  // variation selector
];

#[tokio::test]
async fn a_name_with_invisible_characters_is_the_same_name_at_login_lockout_and_registration() {
    let fx = Fixture::new(auth_hooks::ready!(auth_hooks_flow::builtin::lockout).unwrap());
    for variant in INVISIBLE_VARIANTS {
        let ok = fx
            .flow
            .login(Credentials::password(variant, PASSWORD), request())
            .await
            .unwrap_or_else(|e| panic!("{variant:?}: {e:?}"));
        assert_eq!(ok.user.id, "u-ada", "{variant:?}");
        let err = fx
            .flow
            .register_with(
                Credentials::password(variant, "a new and long password"),
                request(),
                RegisterOptions::default().signing_in(),
            )
            .await
            .unwrap_err();
        assert!(
            matches!(err, LoginError::LoginTaken),
            "{variant:?}: {err:?}"
        );
    }
    // Each variant's wrong password counts against the one name: no fresh counter.
    for variant in &INVISIBLE_VARIANTS[..5] {
        let err = fx
            .flow
            .login(Credentials::password(*variant, "wrong"), request())
            .await
            .unwrap_err();
        assert!(matches!(err, LoginError::InvalidCredentials), "{err:?}");
    }
    let err = fx
        .flow
        .login(
            Credentials::password(INVISIBLE_VARIANTS[5], PASSWORD),
            request(),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, LoginError::LockedOut { .. }), "{err:?}");
}

#[tokio::test]
async fn a_deny_list_written_as_in_the_readme_refuses_mallory_however_typed() {
    let mut hooks = AuthHookRegistry::new();
    hooks
        .register(
            Phase::BeforeAuthenticate,
            "deny_list",
            |ctx: &AuthHookContext| {
                if ctx.username() == Some("mallory") {
                    return Err(AuthHookReject::new("This account is blocked."));
                }
                Ok(())
            },
        )
        .unwrap();
    let fx = Fixture::new(hooks);
    for login in ["Mallory", "MALLORY ", "ｍａｌｌｏｒｙ"] {
        let err = fx
            .flow
            .login(Credentials::password(login, PASSWORD), request())
            .await
            .unwrap_err();
        assert!(
            matches!(err, LoginError::Rejected { .. }),
            "{login:?}: {err:?}"
        );
    }
}
