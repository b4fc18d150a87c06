//! The extractors and guards in an application's own routes and state, and what the
//! web layer logs (details of failures) versus what it answers (nothing of them).

use std::net::SocketAddr;

use auth_hooks::{AuthHookContext, AuthHookRegistry, Phase};
use auth_hooks_axum::{
    csrf_guard, routes, AuthState, CurrentUser, LoginRequired, UserRecord, WebConfig,
};
use auth_hooks_flow::PasswordAccount;
use auth_hooks_test_support::flow::{Fixture, PASSWORD};
use auth_hooks_test_support::logs::capture_logs;
use axum::extract::{FromRef, State};
use axum::middleware;
use axum::routing::{get, post};
use axum::Router;
use reqwest::header::{ACCEPT, COOKIE, LOCATION, ORIGIN};
use reqwest::StatusCode;
use serde_json::{json, Value};
use tests::http_support::{client, cookie_value, serve};

/// An application's state, holding the auth state beside its own things.
#[derive(Clone)]
struct AppState {
    auth: AuthState,
    greeting: &'static str,
}

// What `#[derive(FromRef)]` (axum's `macros` feature) writes.
impl FromRef<AppState> for AuthState {
    fn from_ref(state: &AppState) -> Self {
        state.auth.clone()
    }
}

impl FromRef<AppState> for &'static str {
    fn from_ref(state: &AppState) -> Self {
        state.greeting
    }
}

async fn dashboard(
    LoginRequired(user): LoginRequired,
    State(greeting): State<&'static str>,
) -> String {
    format!("{greeting}, {}", user.id())
}

async fn whoami(user: Option<CurrentUser>) -> String {
    user.map_or_else(|| "anonymous".to_owned(), |u| u.id().to_owned())
}

async fn profile(UserRecord(account): UserRecord<PasswordAccount>) -> String {
    format!("{} ({})", account.login, account.id)
}

/// A record type the password backend never attaches.
#[derive(Clone)]
struct NotTheBackendsType;

async fn misconfigured(_: UserRecord<NotTheBackendsType>) -> &'static str {
    "unreachable"
}

async fn transfer(user: CurrentUser) -> String {
    format!("transferred for {}", user.id())
}

#[tokio::test]
async fn an_application_guards_its_own_routes() {
    let auth = AuthState::new(
        Fixture::new(AuthHookRegistry::new()).flow,
        WebConfig::default().https(false),
    );
    let state = AppState {
        auth: auth.clone(),
        greeting: "Welcome",
    };
    let app = Router::new()
        .route("/dashboard", get(dashboard))
        .route("/whoami", get(whoami))
        .route("/profile", get(profile))
        .route("/misconfigured", get(misconfigured))
        .route(
            "/transfer",
            post(transfer).route_layer(middleware::from_fn_with_state(auth.clone(), csrf_guard)),
        )
        .with_state(state)
        .merge(routes(auth));
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
        .await
        .unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    let server = tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
    });
    let http = client();
    let url = |path: &str| format!("{origin}{path}");

    let page = http
        .get(url("/dashboard"))
        .header(ACCEPT, "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::SEE_OTHER);
    assert_eq!(page.headers()[LOCATION], "/login?next=%2Fdashboard");
    assert_eq!(
        http.get(url("/whoami"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
        "anonymous"
    );

    let login = http
        .post(url("/login"))
        .header(ORIGIN, &origin)
        .form(&[
            ("username", "ada"),
            ("password", PASSWORD),
            ("next", "/dashboard"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(login.headers()[LOCATION], "/dashboard");
    let cookie = format!(
        "session={}",
        cookie_value(login.headers(), "session").unwrap()
    );

    let page = http
        .get(url("/dashboard"))
        .header(COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(page.text().await.unwrap(), "Welcome, u-ada");
    let me = http
        .get(url("/whoami"))
        .header(COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(me.text().await.unwrap(), "u-ada");
    let get = |path: &'static str, cookie: Option<&str>| {
        let request = http.get(url(path));
        match cookie {
            Some(cookie) => request.header(COOKIE, cookie.to_owned()),
            None => request,
        }
        .send()
    };
    let profile = get("/profile", Some(&cookie)).await.unwrap();
    assert_eq!(
        profile.text().await.unwrap(),
        "ada (u-ada)",
        "the record, typed"
    );
    assert_eq!(
        get("/profile", None).await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
    let wrong = get("/misconfigured", Some(&cookie)).await.unwrap();
    assert_eq!(wrong.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert!(!wrong.text().await.unwrap().contains("NotTheBackendsType"));

    let forged = http
        .post(url("/transfer"))
        .header(ORIGIN, "http://evil.example")
        .header(COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let real = http
        .post(url("/transfer"))
        .header(ORIGIN, &origin)
        .header(COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(real.text().await.unwrap(), "transferred for u-ada");
    server.abort();
}

#[test]
fn hook_failure_details_go_to_the_log_and_never_to_the_client() {
    let (body, logs) = capture_logs(|| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let mut hooks = AuthHookRegistry::new();
            hooks
                .register(Phase::BeforeLogin, "geo_check", |_: &AuthHookContext| {
                    Err::<(), _>(std::io::Error::other(
                        "geo database unreachable at 10.9.8.7",
                    ))
                })
                .unwrap();
            let (server, _) = serve(Fixture::new(hooks), WebConfig::default().https(false)).await;
            let response = client()
                .post(server.url("/login"))
                .header(ORIGIN, server.origin())
                .json(&json!({ "username": "ada", "password": PASSWORD }))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
            let body: Value = response.json().await.unwrap();
            server.stop().await;
            body
        })
    });
    assert_eq!(body, json!({ "error": "Login rejected." }));
    assert!(
        logs.contains("geo_check") && logs.contains("10.9.8.7"),
        "{logs}"
    );
    assert!(!logs.contains(PASSWORD), "{logs}");
}

#[tokio::test]
async fn a_failing_on_logout_hook_still_logs_out() {
    let mut hooks = AuthHookRegistry::new();
    hooks
        .register(Phase::OnLogout, "notify", |_: &AuthHookContext| {
            Err::<(), _>(std::io::Error::other("mail relay down"))
        })
        .unwrap();
    hooks.set_policy(Phase::OnLogout, auth_hooks::ErrorPolicy::Raise);
    let (server, stores) = serve(Fixture::new(hooks), WebConfig::default().https(false)).await;
    let http = client();
    let login = http
        .post(server.url("/login"))
        .header(ORIGIN, server.origin())
        .json(&json!({ "username": "ada", "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    let cookie = format!(
        "session={}",
        cookie_value(login.headers(), "session").unwrap()
    );
    let logout = http
        .post(server.url("/logout"))
        .header(ORIGIN, server.origin())
        .header(COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), StatusCode::OK);
    assert_eq!(
        cookie_value(logout.headers(), "session").as_deref(),
        Some("")
    );
    assert_eq!(stores.sessions.len(), 0);
    server.stop().await;
}
