//! What a login over HTTP costs through auth-hooks' axum routes, beyond a hand-written
//! axum handler doing the same store write.
//!
//! Run with: `cargo bench -p auth-hooks-axum --bench http_login`
//!
//! argon2 is set to its cheapest parameters here (`PasswordHasher::for_tests()`:
//! m = 8 KiB, t = 1, p = 1), so the work around it is visible; with production
//! parameters (`owasp()`, tens of milliseconds) it disappears in the noise.
//!
//! Every variant is an axum `Router` driven in process (`tower::ServiceExt::oneshot` on
//! a clone of it, on a current-thread Tokio runtime: no socket, no HTTP parsing) and is
//! sent the same request: `POST /login` with `Content-Type: application/json`, a `Host`
//! and a same-site `Origin` (the routes' CSRF check wants one), a `User-Agent`, the
//! peer address as axum's `ConnectInfo` (as `into_make_service_with_connect_info` would
//! attach), and the body `{"username":"userN","password":"…"}` for one of 100 users
//! pre-seeded in a `MemoryUserStore`. Every answer is checked: 200 with a `Set-Cookie`.
//! Each run of 1000 logins gets fresh session stores, outside the timing.
//!
//! - `bare_axum`: a hand-written handler doing what any login must: the `Json`
//!   extractor, the user's lookup in the same `MemoryUserStore`, the password's check
//!   with the same `PasswordHasher`, a session made the way a careful app makes one
//!   (random 256-bit id, HMAC-SHA256 of it stored in a `MemorySessionStore`, through
//!   `SessionManager::create` as in the flow bench's baseline), and a 200 with
//!   `{"user_id"}`, the cookie and `Cache-Control: no-store`. No CSRF check, no hooks.
//! - `auth_hooks/0_hooks`: `routes(AuthState::new(flow, WebConfig::default()))`, the
//!   flow with sessions only (no tokens, so the same one store write) and an empty
//!   registry: CSRF origin check, body parsing, request metadata, the flow, the cookie.
//! - `auth_hooks/10_hooks`: the same with 10 hooks registered at run time: 4 sync and
//!   2 async `before_login`, 3 sync and 1 async `on_login`, each reading the context
//!   (`black_box(ctx.username())` / `ctx.user_id()`) and counting itself in an atomic.
//!
//! After criterion, the bench prints each variant's ratio to `bare_axum`, measured again
//! interleaved in one loop (in a new random order each round) so that all see the same
//! machine state, as means and as medians (which preemption by other work on a shared
//! machine does not inflate), and two diagnostic variants that split the overhead:
//!
//! - `bare_axum + csrf_guard`: `bare_axum` behind the routes' CSRF middleware;
//! - `bare handler calling AuthFlow::login`: `bare_axum`'s extractor and answer around
//!   `AuthFlow::login` (no hooks) instead of the hand-written lookup, verify and insert.

use std::hint::black_box;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use auth_hooks::{AuthHookContext, AuthHookRegistry, HookFuture, RequestMeta};
use auth_hooks_axum::{csrf_guard, routes, AuthState, WebConfig};
use auth_hooks_flow::{
    AuthFlow, Credentials, MemorySessionStore, MemoryUserStore, PasswordBackend, PasswordHasher,
    SessionKey, SessionManager, UserStore,
};
use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, HOST, ORIGIN, SET_COOKIE, USER_AGENT};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use criterion::Criterion;
use serde::Deserialize;
use serde_json::json;
use tower::ServiceExt as _;

const PASSWORD: &str = "correct horse battery staple";
const USERS: usize = 100;
/// Logins per app: each run of this many gets fresh session stores.
const CHUNK: u64 = 1000;

/// Calls of the 10 hooks, to check that they ran.
static HOOK_CALLS: AtomicU64 = AtomicU64::new(0);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Variant {
    Bare,
    Hooks0,
    Hooks10,
    BareCsrf,
    BareFlow,
}

impl Variant {
    const ALL: [Variant; 5] = [
        Variant::Bare,
        Variant::Hooks0,
        Variant::Hooks10,
        Variant::BareCsrf,
        Variant::BareFlow,
    ];

    fn label(self) -> &'static str {
        match self {
            Variant::Bare => "bare_axum",
            Variant::Hooks0 => "auth_hooks/0_hooks",
            Variant::Hooks10 => "auth_hooks/10_hooks",
            Variant::BareCsrf => "bare_axum + csrf_guard",
            Variant::BareFlow => "bare handler calling AuthFlow::login",
        }
    }
}

struct Setup {
    users: Arc<MemoryUserStore>,
    hasher: PasswordHasher,
    key: SessionKey,
}

/// One variant's router, and the session store it writes to.
struct App {
    router: Router,
    sessions: Arc<MemorySessionStore>,
}

/// What the hand-written handler works with.
struct Bare {
    users: Arc<MemoryUserStore>,
    hasher: PasswordHasher,
    sessions: SessionManager,
}

#[derive(Deserialize)]
struct LoginForm {
    username: String,
    password: String,
}

impl Setup {
    fn new() -> Self {
        let hasher = PasswordHasher::for_tests();
        let users = Arc::new(MemoryUserStore::new());
        for i in 0..USERS {
            users
                .add(&format!("u-{i}"), &format!("user{i}"), PASSWORD, &hasher)
                .unwrap();
        }
        Setup {
            users,
            hasher,
            key: SessionKey::new([7u8; 32]).unwrap(),
        }
    }

    fn sessions(&self, store: &Arc<MemorySessionStore>) -> SessionManager {
        SessionManager::new(self.key.clone(), store.clone())
    }

    fn flow(&self, store: &Arc<MemorySessionStore>, hooks: AuthHookRegistry) -> AuthFlow {
        let backend = PasswordBackend::new(self.users.clone(), self.hasher.clone());
        AuthFlow::builder(backend)
            .hooks(hooks)
            .sessions(self.sessions(store))
            .build()
            .unwrap()
    }

    /// A fresh router of `variant`, with an empty session store.
    fn app(&self, variant: Variant) -> App {
        let sessions = Arc::new(MemorySessionStore::new());
        let bare = || {
            Router::new()
                .route("/login", post(bare_login))
                .with_state(Arc::new(Bare {
                    users: self.users.clone(),
                    hasher: self.hasher.clone(),
                    sessions: self.sessions(&sessions),
                }))
        };
        let router = match variant {
            Variant::Bare => bare(),
            Variant::Hooks0 => routes(AuthState::new(
                self.flow(&sessions, AuthHookRegistry::new()),
                WebConfig::default().https(false),
            )),
            Variant::Hooks10 => routes(AuthState::new(
                self.flow(&sessions, ten_hooks()),
                WebConfig::default().https(false),
            )),
            Variant::BareCsrf => {
                // The guard only reads the state's config; its flow is never called.
                let state = AuthState::new(
                    self.flow(&Arc::default(), AuthHookRegistry::new()),
                    WebConfig::default().https(false),
                );
                bare().route_layer(axum::middleware::from_fn_with_state(state, csrf_guard))
            }
            Variant::BareFlow => Router::new()
                .route("/login", post(bare_flow_login))
                .with_state(Arc::new(self.flow(&sessions, AuthHookRegistry::new()))),
        };
        App { router, sessions }
    }
}

/// 4 sync + 2 async `before_login`, 3 sync + 1 async `on_login`, all trivial.
fn ten_hooks() -> AuthHookRegistry {
    let mut hooks = AuthHookRegistry::new();
    for i in 0..4 {
        hooks
            .register(
                "before_login",
                format!("sync_{i}"),
                |ctx: &AuthHookContext| {
                    black_box(ctx.username());
                    HOOK_CALLS.fetch_add(1, Ordering::Relaxed);
                },
            )
            .unwrap();
    }
    for i in 0..2 {
        hooks
            .register_async(
                "before_login",
                format!("async_{i}"),
                |ctx: &AuthHookContext| -> HookFuture<'_> {
                    Box::pin(async move {
                        black_box(ctx.username());
                        HOOK_CALLS.fetch_add(1, Ordering::Relaxed);
                        Ok(())
                    })
                },
            )
            .unwrap();
    }
    for i in 0..3 {
        hooks
            .register("on_login", format!("sync_{i}"), |ctx: &AuthHookContext| {
                black_box(ctx.user_id());
                HOOK_CALLS.fetch_add(1, Ordering::Relaxed);
            })
            .unwrap();
    }
    hooks
        .register_async(
            "on_login",
            "async_0",
            |ctx: &AuthHookContext| -> HookFuture<'_> {
                Box::pin(async move {
                    black_box(ctx.user_id());
                    HOOK_CALLS.fetch_add(1, Ordering::Relaxed);
                    Ok(())
                })
            },
        )
        .unwrap();
    hooks
}

/// The hand-written login: lookup, verify, session insert, cookie.
async fn bare_login(State(app): State<Arc<Bare>>, Json(form): Json<LoginForm>) -> Response {
    let user = match app.users.find_by_login(&form.username).await {
        Ok(Some(user)) => user,
        Ok(None) => {
            app.hasher.dummy_verify(&form.password);
            return StatusCode::UNAUTHORIZED.into_response();
        }
        Err(_) => return StatusCode::SERVICE_UNAVAILABLE.into_response(),
    };
    if !matches!(
        app.hasher.verify(&form.password, &user.password_hash),
        Ok(true)
    ) || user.disabled
    {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    match app.sessions.create(&user.id).await {
        Ok(session) => answer(&user.id, session.id.expose()),
        Err(_) => StatusCode::SERVICE_UNAVAILABLE.into_response(),
    }
}

/// The same handler with the flow doing the lookup, verify and insert (diagnostic).
async fn bare_flow_login(
    State(flow): State<Arc<AuthFlow>>,
    Json(form): Json<LoginForm>,
) -> Response {
    let credentials = Credentials::password(form.username, form.password);
    match flow
        .login(credentials, RequestMeta::new("POST", "/login"))
        .await
    {
        Ok(success) => {
            let session = success.session.expect("the flow has sessions");
            answer(&success.user.id, session.id.expose())
        }
        Err(_) => StatusCode::UNAUTHORIZED.into_response(),
    }
}

/// 200, `{"user_id"}`, the session cookie (the attributes `SessionCookie` writes), no-store.
fn answer(user_id: &str, session_id: &str) -> Response {
    let cookie = format!("session={session_id}; HttpOnly; SameSite=Lax; Secure; Path=/");
    let mut response = Json(json!({ "user_id": user_id })).into_response();
    let headers = response.headers_mut();
    headers.insert(
        SET_COOKIE,
        HeaderValue::from_str(&cookie).expect("URL-safe base64 is a valid header value"),
    );
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The login request every variant gets, for user `n % USERS`.
fn request(n: u64) -> Request {
    let body = format!(
        r#"{{"username":"user{}","password":"{PASSWORD}"}}"#,
        n % USERS as u64
    );
    let mut request = axum::http::Request::post("/login")
        .header(HOST, "bench.example")
        .header(ORIGIN, "http://bench.example")
        .header(CONTENT_TYPE, "application/json")
        .header(USER_AGENT, "http-login-bench/1.0")
        .body(Body::from(body))
        .unwrap();
    request
        .extensions_mut()
        .insert(ConnectInfo(SocketAddr::from(([192, 0, 2, 1], 50_000))));
    request
}

async fn send(router: &Router, request: Request) {
    let response = router.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers().contains_key(SET_COOKIE));
    black_box(response);
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
}

/// One login per variant on a fresh app: 200, a session cookie, one session stored.
fn check(setup: &Setup, rt: &tokio::runtime::Runtime) {
    for variant in Variant::ALL {
        let app = setup.app(variant);
        let response = rt
            .block_on(app.router.clone().oneshot(request(42)))
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{}", variant.label());
        let cookie = response.headers()[SET_COOKIE].to_str().unwrap();
        assert!(cookie.starts_with("session="), "{cookie}");
        assert_eq!(app.sessions.len(), 1, "{}", variant.label());
    }
}

/// Times `iters` logins of `variant`, in runs of [`CHUNK`] on fresh apps; building the
/// apps and the requests is not timed.
fn timed(setup: &Setup, rt: &tokio::runtime::Runtime, variant: Variant, iters: u64) -> Duration {
    let mut total = Duration::ZERO;
    let mut done = 0;
    while done < iters {
        let n = (iters - done).min(CHUNK);
        let app = setup.app(variant);
        let requests: Vec<Request> = (done..done + n).map(request).collect();
        let start = Instant::now();
        rt.block_on(async {
            for request in requests {
                send(&app.router, request).await;
            }
        });
        total += start.elapsed();
        done += n;
    }
    total
}

fn bench(c: &mut Criterion) {
    let setup = Setup::new();
    let rt = runtime();
    check(&setup, &rt);
    let mut group = c.benchmark_group("http_login");
    for variant in [Variant::Bare, Variant::Hooks0, Variant::Hooks10] {
        group.bench_function(variant.label(), |b| {
            b.iter_custom(|iters| timed(&setup, &rt, variant, iters))
        });
    }
    group.finish();
}

/// Times `rounds` logins of each variant, interleaved, and prints ratios to `bare_axum`.
///
/// Means, as in the flow bench, and medians: on a machine shared with other work,
/// preemption inflates some logins by far more than the effect measured, and the
/// median ignores them.
fn ratios() {
    let setup = Setup::new();
    let rt = runtime();
    let rounds: u64 = 40_000;
    let mut samples: Vec<Vec<f64>> = vec![Vec::with_capacity(rounds as usize); Variant::ALL.len()];
    let mut apps: Vec<App> = Vec::new();
    let calls_before = HOOK_CALLS.load(Ordering::Relaxed);
    let mut order: [usize; Variant::ALL.len()] = std::array::from_fn(|i| i);
    let mut rng = 0x9e37_79b9_7f4a_7c15_u64;
    for round in 0..rounds {
        if round % CHUNK == 0 {
            // Fresh stores now and then, so no variant pays for a bigger map.
            apps = Variant::ALL.iter().map(|v| setup.app(*v)).collect();
        }
        // A new order each round (Fisher-Yates, xorshift), so no variant always runs
        // after the same one: what a login leaves behind (caches, the allocator's free
        // lists) would otherwise favour or burden the next one the same way each time.
        for i in (1..order.len()).rev() {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            order.swap(i, (rng % (i as u64 + 1)) as usize);
        }
        for &i in &order {
            let request = request(round);
            let start = Instant::now();
            rt.block_on(send(&apps[i].router, request));
            samples[i].push(start.elapsed().as_secs_f64() * 1e6);
        }
    }
    assert_eq!(
        HOOK_CALLS.load(Ordering::Relaxed) - calls_before,
        10 * rounds,
        "every one of the 10 hooks ran on every login"
    );
    // For scale: one verify at production parameters.
    let owasp = PasswordHasher::owasp();
    let phc = owasp.hash(PASSWORD).unwrap();
    let start = Instant::now();
    for _ in 0..5 {
        assert!(owasp.verify(PASSWORD, &phc).unwrap());
    }
    let owasp_us = start.elapsed().as_secs_f64() * 1e6 / 5.0;

    // (mean, median) of each variant, in µs.
    let stats: Vec<(f64, f64)> = samples
        .iter_mut()
        .map(|times| {
            let mean = times.iter().sum::<f64>() / times.len() as f64;
            times.sort_by(f64::total_cmp);
            (mean, times[times.len() / 2])
        })
        .collect();
    let (base_mean, base_median) = stats[0];
    println!("\nInterleaved, {rounds} HTTP logins each (in process, argon2 m=8 KiB, t=1, p=1):");
    println!(
        "  {:<38} {:>9} {:>9}   {:>22}   {:>22}",
        "", "mean", "median", "mean vs bare_axum", "median vs bare_axum"
    );
    println!(
        "  {:<38} {base_mean:6.2} µs {base_median:6.2} µs",
        "bare_axum (Json, lookup, verify, insert)"
    );
    let versus = |t: f64, base: f64| {
        format!(
            "{:.3}x {:+6.2} µs {:+5.1}%",
            t / base,
            t - base,
            100.0 * (t - base) / base
        )
    };
    for (i, variant) in Variant::ALL.iter().enumerate().skip(1) {
        if *variant == Variant::BareCsrf {
            println!("  diagnostics:");
        }
        let (mean, median) = stats[i];
        println!(
            "  {:<38} {mean:6.2} µs {median:6.2} µs   {}   {}",
            variant.label(),
            versus(mean, base_mean),
            versus(median, base_median),
        );
    }
    let hooks10 = stats[2].1 - stats[1].1;
    println!(
        "  the 10 hooks themselves (medians): {hooks10:+.2} µs a login ({:+.0} ns a hook)",
        hooks10 * 100.0
    );
    for (i, name) in [(1, "0 hooks"), (2, "10 hooks")] {
        let mean = 100.0 * (stats[i].0 - base_mean) / base_mean;
        let median = 100.0 * (stats[i].1 - base_median) / base_median;
        println!(
            "  target (hooks + flow overhead <= 5% of bare_axum), {name}: \
             {mean:+.1}% (means), {median:+.1}% (medians): {}",
            if mean.max(median) <= 5.0 {
                "met"
            } else {
                "MISSED"
            }
        );
    }
    println!(
        "  one argon2 verify at OWASP parameters (m=19 MiB, t=2): {owasp_us:.0} µs; \
         the 10-hook overhead is {:.3}% of a production login",
        100.0 * (stats[2].1 - base_median) / (owasp_us + stats[2].1)
    );
}

fn main() {
    let mut criterion = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5))
        .configure_from_args();
    bench(&mut criterion);
    criterion.final_summary();
    ratios();
}
