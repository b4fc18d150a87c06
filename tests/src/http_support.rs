//! What the HTTP tests share: the real axum server on 127.0.0.1 with an ephemeral port,
//! an HTTP client that follows no redirect and keeps no cookie (the tests handle both,
//! to see them), and small readers of responses.

use std::net::SocketAddr;
use std::time::Duration;

use std::sync::Arc;

use auth_hooks_axum::{routes, AuthState, WebConfig};
use auth_hooks_flow::{
    AuthFlow, ManualClock, MemoryAttemptStore, MemoryJtiBlocklist, MemorySessionStore,
    MemoryUserStore,
};
use reqwest::header::{HeaderMap, SET_COOKIE};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// Every request of a test gives up after this long: no test hangs on a server bug.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// A running server. Dropping it shuts the server down.
pub struct TestServer {
    /// Where it listens (always 127.0.0.1).
    pub addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl TestServer {
    /// Serves the auth routes for `flow` with `config` on 127.0.0.1, port chosen by the OS.
    pub async fn start(flow: AuthFlow, config: WebConfig) -> Self {
        let app = axum::Router::new().merge(routes(AuthState::new(flow, config)));
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
            .await
            .expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local address");
        let (shutdown, stop) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            axum::serve(
                listener,
                app.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .with_graceful_shutdown(async {
                let _ = stop.await;
            })
            .await
            .expect("server runs");
        });
        TestServer {
            addr,
            shutdown: Some(shutdown),
            task: Some(task),
        }
    }

    /// The absolute URL of `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// The server's origin, as a browser on its pages sends it in `Origin`.
    pub fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops the server and waits for it (bounded).
    pub async fn stop(mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = tokio::time::timeout(Duration::from_secs(5), task).await;
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

/// Handles on the stores behind a served [`Fixture`](auth_hooks_test_support::flow::Fixture).
pub struct Stores {
    /// Its users.
    pub users: Arc<MemoryUserStore>,
    /// Its session store.
    pub sessions: Arc<MemorySessionStore>,
    /// Its blocklist.
    pub blocklist: Arc<MemoryJtiBlocklist>,
    /// Its failure counters.
    pub attempts: Arc<MemoryAttemptStore>,
    /// Its clock.
    pub clock: ManualClock,
}

/// Serves `fixture`'s flow with `config`; its stores stay inspectable.
pub async fn serve(
    fixture: auth_hooks_test_support::flow::Fixture,
    config: WebConfig,
) -> (TestServer, Stores) {
    let auth_hooks_test_support::flow::Fixture {
        flow,
        users,
        sessions,
        blocklist,
        attempts,
        clock,
        ..
    } = fixture;
    let server = TestServer::start(flow, config).await;
    (
        server,
        Stores {
            users,
            sessions,
            blocklist,
            attempts,
            clock,
        },
    )
}

/// A client that follows no redirect, keeps no cookie and times out.
pub fn client() -> reqwest::Client {
    client_with_timeout(REQUEST_TIMEOUT)
}

/// [`client`] with another per-request timeout (load tests queue many requests).
pub fn client_with_timeout(timeout: Duration) -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(timeout)
        .user_agent("auth-hooks-tests/1.0")
        .build()
        .expect("client builds")
}

/// The `Set-Cookie` header setting `name`, whole (`session=…; HttpOnly; …`).
pub fn set_cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(str::to_owned)
}

/// The value of cookie `name` set by a response (empty when the cookie is cleared).
pub fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    let header = set_cookie(headers, name)?;
    let pair = header.split(';').next()?;
    Some(pair.split_once('=')?.1.to_owned())
}
