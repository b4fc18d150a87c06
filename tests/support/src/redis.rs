//! Redis for the tests: a store under a prefix of its own, skipped when no Redis
//! answers, unless `AUTH_HOOKS_REQUIRE_REDIS=1` (set by `.ci/run`) makes that a failure.
//!
//! The server is `AUTH_HOOKS_REDIS_URL`, default `redis://127.0.0.1:6379/`. Start one
//! with `redis-server --save '' --appendonly no --daemonize yes`.

use std::io::Write;
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant, SystemTime};

use auth_hooks_redis::{RedisConfig, RedisStore};

/// The Redis the tests use.
pub fn redis_url() -> String {
    std::env::var("AUTH_HOOKS_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379/".to_owned())
}

/// Whether a missing Redis fails the tests instead of skipping them.
pub fn redis_required() -> bool {
    std::env::var("AUTH_HOOKS_REQUIRE_REDIS").is_ok_and(|v| v == "1")
}

/// Says, past the test harness's output capture, that `test` did not run; or fails it
/// when Redis is required.
pub fn skip(test: &str, why: &str) {
    if redis_required() {
        panic!("{test}: Redis is required (AUTH_HOOKS_REQUIRE_REDIS=1) but {why}");
    }
    // `writeln!` on the raw handle, not `eprintln!`: the harness captures the latter
    // and shows it only for failing tests.
    let _ = writeln!(
        std::io::stderr(),
        "SKIPPED {test}: {why}; install redis-server (apt-get install redis-server) and \
         start it, or set AUTH_HOOKS_REDIS_URL, to run it"
    );
}

/// A prefix no other test (or run) uses.
pub fn unique_prefix(test: &str) -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos();
    format!(
        "auth-hooks-test:{test}:{}:{nanos}:{}:",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// A store on the test Redis under a fresh prefix, or `None` (after saying so) when no
/// Redis answers.
pub async fn redis_store(test: &str) -> Option<RedisStore> {
    let url = redis_url();
    let config = RedisConfig::new(&url)
        .prefix(unique_prefix(test))
        .connection_timeout(Duration::from_secs(1));
    match RedisStore::connect(config).await {
        Ok(store) => Some(store),
        Err(e) => {
            skip(test, &format!("no Redis answers at {url} ({e})"));
            None
        }
    }
}

/// Deletes every key under the store's prefix.
pub async fn cleanup(store: &RedisStore) {
    let client = redis::Client::open(redis_url()).expect("the URL connected before");
    let mut conn = client
        .get_multiplexed_async_connection()
        .await
        .expect("Redis answered before");
    let pattern = format!("{}*", store.prefix().replace('*', "\\*"));
    let mut cursor: u64 = 0;
    loop {
        let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("MATCH")
            .arg(&pattern)
            .arg("COUNT")
            .arg(500)
            .query_async(&mut conn)
            .await
            .unwrap();
        if !keys.is_empty() {
            let _: i64 = redis::cmd("DEL")
                .arg(&keys)
                .query_async(&mut conn)
                .await
                .unwrap();
        }
        if next == 0 {
            break;
        }
        cursor = next;
    }
}

/// A `redis-server` of the test's own on a free loopback port, killed on drop: for
/// tests that stop and restart Redis without disturbing the shared one.
pub struct OwnRedis {
    child: Option<Child>,
    port: u16,
}

impl OwnRedis {
    /// Starts one, or `None` (after saying so) when `redis-server` is not installed.
    pub fn start(test: &str) -> Option<Self> {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let mut own = OwnRedis { child: None, port };
        match own.spawn() {
            Ok(()) => Some(own),
            Err(e) => {
                skip(test, &format!("redis-server cannot be started ({e})"));
                None
            }
        }
    }

    fn spawn(&mut self) -> std::io::Result<()> {
        let child = Command::new("redis-server")
            .args(["--bind", "127.0.0.1", "--port", &self.port.to_string()])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        let client = redis::Client::open(self.url()).map_err(std::io::Error::other)?;
        while Instant::now() < deadline {
            if let Ok(mut conn) = client.get_connection() {
                if redis::cmd("PING").query::<String>(&mut conn).is_ok() {
                    return Ok(());
                }
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Err(std::io::Error::other("redis-server did not answer PING"))
    }

    /// Its URL.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// Kills it (no shutdown courtesy: as a crash or a network cut looks).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again on the same port, empty.
    pub fn restart(&mut self) {
        self.stop();
        self.spawn().expect("redis-server restarts");
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        self.stop();
    }
}
