//! Issue 14, what hooks see of the credentials: an allow-list (the login name, e-mail,
//! tenant, provider, method, and the fields the application names), then the flow's
//! sanitizer, in the login's, the registration's and the password change's contexts.

use std::sync::{Arc, Mutex};

use auth_hooks::{AuthHookContext, AuthHookRegistry, Phase, Sanitizer};
use auth_hooks_flow::{
    AuthFlow, AuthFlowBuilder, Credentials, MemorySessionStore, MemoryUserStore, PasswordBackend,
    PasswordHasher, SessionKey, SessionManager,
};
use auth_hooks_test_support::flow::{request, PASSWORD};
use serde_json::{json, Value};

const SECRET_FIELDS: [&str; 12] = [
    "code",
    "passcode",
    "mfa_code",
    "code_verifier",
    "access_key",
    "client_assertion",
    "SAMLResponse",
    "security_answer",
    "card_number",
    "cvc",
    "ssn",
    "mnemonic",
];

type Seen = Arc<Mutex<Vec<(Phase, Value)>>>;

/// A flow whose hooks record the credentials they see, set up by `configure`.
fn flow(configure: impl FnOnce(AuthFlowBuilder) -> AuthFlowBuilder) -> (AuthFlow, Seen) {
    let seen = Seen::default();
    let mut hooks = AuthHookRegistry::new();
    for phase in [Phase::BeforeAuthenticate, Phase::BeforeRegister] {
        let seen = seen.clone();
        hooks
            .register(phase, "record", move |ctx: &AuthHookContext| {
                seen.lock()
                    .unwrap()
                    .push((phase, ctx.credentials().clone()));
            })
            .unwrap();
    }
    let hasher = PasswordHasher::for_tests();
    let users = Arc::new(MemoryUserStore::new());
    users.add("u-ada", "ada", PASSWORD, &hasher).unwrap();
    let builder = AuthFlow::builder(PasswordBackend::new(users, hasher))
        .hooks(hooks)
        .sessions(SessionManager::new(
            SessionKey::new([7u8; 32]).unwrap(),
            Arc::new(MemorySessionStore::new()),
        ));
    (configure(builder).build().unwrap(), seen)
}

fn body(login: &str) -> Credentials {
    let mut creds = Credentials::password(login, PASSWORD)
        .with("tenant", "acme")
        .with("region", "eu")
        .with("maiden", "smith");
    for field in SECRET_FIELDS {
        creds = creds.with(field, format!("secret-{field}"));
    }
    creds
}

#[tokio::test]
async fn hooks_see_only_allowed_fields_at_login_and_registration() {
    let (flow, seen) = flow(|b| b.hook_fields(["region"]));
    flow.login(body("ada"), request()).await.unwrap();
    flow.register(
        body("newbie").with("password", "a new and long password"),
        request(),
    )
    .await
    .unwrap();
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 2);
    for (phase, credentials) in seen.iter() {
        for field in SECRET_FIELDS {
            assert!(
                credentials.get(field).is_none(),
                "{phase}: {field} in {credentials}"
            );
        }
        assert!(
            !credentials.to_string().contains("secret-"),
            "{phase}: {credentials}"
        );
        assert_eq!(
            credentials["region"], "eu",
            "{phase}: an allowed extra field"
        );
        assert_eq!(credentials["tenant"], "acme", "{phase}: a default field");
        assert!(credentials.get("maiden").is_none(), "{phase}: not allowed");
    }
}

#[tokio::test]
async fn a_custom_sanitizer_reaches_every_context() {
    let (flow, seen) = flow(|b| {
        b.hook_fields(["maiden", "region"])
            .sanitizer(Sanitizer::default().with_pattern("maiden"))
    });
    flow.login(body("ada"), request()).await.unwrap();
    flow.register(
        body("newbie").with("password", "a new and long password"),
        request(),
    )
    .await
    .unwrap();
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 2);
    for (phase, credentials) in seen.iter() {
        assert!(
            credentials.get("maiden").is_none(),
            "{phase}: allowed, but the flow's sanitizer drops it: {credentials}"
        );
        assert_eq!(credentials["region"], "eu");
        assert_eq!(
            credentials,
            &json!({
                "username": credentials["username"], "tenant": "acme", "region": "eu"
            })
        );
    }
}
