//! What hooks see of an HTTP request: method, path, client address (trusted proxies
//! honoured) and user agent; never the body's secrets, the query string, the Cookie
//! or the Authorization header.

use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use auth_hooks::{AuthHookContext, AuthHookRegistry, Phase, RequestMeta};
use auth_hooks_axum::WebConfig;
use auth_hooks_test_support::flow::{Fixture, PASSWORD};
use reqwest::header::{AUTHORIZATION, COOKIE, ORIGIN, USER_AGENT};
use reqwest::StatusCode;
use serde_json::{json, Value};
use tests::http_support::{client, cookie_value, serve};

/// What one hook run saw.
#[derive(Debug, Clone)]
struct Seen {
    phase: Phase,
    request: Option<RequestMeta>,
    credentials: Value,
    debug: String,
}

fn inspecting_hooks(seen: &Arc<Mutex<Vec<Seen>>>) -> AuthHookRegistry {
    let mut hooks = AuthHookRegistry::new();
    for phase in Phase::ALL {
        let seen = seen.clone();
        hooks
            .register(
                phase,
                format!("inspect_{}", phase.as_str()),
                move |ctx: &AuthHookContext| {
                    seen.lock().unwrap().push(Seen {
                        phase,
                        request: ctx.request().cloned(),
                        credentials: ctx.credentials().clone(),
                        debug: format!("{ctx:?}"),
                    });
                },
            )
            .unwrap();
    }
    hooks
}

#[tokio::test]
async fn hooks_see_request_metadata_and_no_secret() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let config = WebConfig::default()
        .https(false)
        .trusted_proxies("127.0.0.1".parse().unwrap());
    let (server, _) = serve(Fixture::new(inspecting_hooks(&seen)), config).await;
    let http = client();

    let login = http
        .post(server.url("/login?token=query-secret-1"))
        .header(ORIGIN, server.origin())
        .header(USER_AGENT, "ContextProbe/2.0")
        .header("x-forwarded-for", "6.6.6.6, 198.51.100.23")
        .header(COOKIE, "theme=cookie-secret-2")
        .json(&json!({ "username": "ada", "password": PASSWORD, "otp": "otp-secret-3", "remember": true }))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), StatusCode::OK);
    let cookie = cookie_value(login.headers(), "session").unwrap();
    let body: Value = login.json().await.unwrap();
    let access = body["access_token"].as_str().unwrap().to_owned();

    let wrong = http
        .post(server.url("/login"))
        .header(ORIGIN, server.origin())
        .json(&json!({ "username": "ada", "password": "wrong-secret-4" }))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);

    let logout = http
        .post(server.url("/logout"))
        .header(AUTHORIZATION, format!("Bearer {access}"))
        .header(COOKIE, format!("session={cookie}"))
        .header(USER_AGENT, "ContextProbe/logout")
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), StatusCode::OK);

    let seen = seen.lock().unwrap().clone();
    let phases: Vec<Phase> = seen.iter().map(|s| s.phase).collect();
    assert_eq!(
        phases,
        [
            Phase::BeforeAuthenticate,
            Phase::BeforeLogin,
            Phase::OnLogin,
            Phase::BeforeAuthenticate,
            Phase::OnLoginFailed,
            Phase::OnLogout
        ]
    );

    let client_ip: IpAddr = "198.51.100.23".parse().unwrap();
    let first = seen[0].request.clone().expect("request metadata is filled");
    assert_eq!(first.method, "POST");
    assert_eq!(first.path, "/login", "no query string");
    assert_eq!(
        first.client_ip,
        Some(client_ip),
        "the trusted proxy's forwarded client, not the forged entry"
    );
    assert_eq!(first.user_agent.as_deref(), Some("ContextProbe/2.0"));
    for later in &seen[1..3] {
        assert_eq!(
            later.request,
            Some(first.clone()),
            "before_login and on_login see the same request"
        );
    }
    assert_eq!(
        seen[0].credentials,
        json!({ "username": "ada" }),
        "secrets sanitized, options removed"
    );

    let out = seen[5].request.clone().unwrap();
    assert_eq!(
        (out.method.as_str(), out.path.as_str()),
        ("POST", "/logout")
    );
    assert_eq!(out.user_agent.as_deref(), Some("ContextProbe/logout"));
    assert_eq!(
        out.client_ip,
        Some("127.0.0.1".parse().unwrap()),
        "no X-Forwarded-For: the peer"
    );

    let secrets = [
        PASSWORD,
        "query-secret-1",
        "cookie-secret-2",
        "otp-secret-3",
        "wrong-secret-4",
        &cookie,
        &access,
    ];
    for run in &seen {
        for secret in secrets {
            assert!(
                !run.debug.contains(secret),
                "{:?} saw a secret: {}",
                run.phase,
                run.debug
            );
        }
        assert!(
            !run.debug.to_ascii_lowercase().contains("bearer"),
            "{}",
            run.debug
        );
    }
    server.stop().await;
}

#[tokio::test]
async fn without_trusted_proxies_forwarded_headers_are_ignored() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let (server, _) = serve(
        Fixture::new(inspecting_hooks(&seen)),
        WebConfig::default().https(false),
    )
    .await;
    let response = client()
        .post(server.url("/login"))
        .header(ORIGIN, server.origin())
        .header("x-forwarded-for", "198.51.100.23")
        .json(&json!({ "username": "ada", "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let request = seen.lock().unwrap()[0].request.clone().unwrap();
    assert_eq!(request.client_ip, Some("127.0.0.1".parse().unwrap()));
    server.stop().await;
}
