//! A real browser on the login page: Debian's chromium, driven through chromedriver
//! (WebDriver) with fantoccini. Logs in through the form, sees /me, logs out, sees the
//! login page again; a wrong password, and a login a hook refuses, show their errors
//! on the page. Then the lifecycle: register from the login page's link, log in as the
//! new user, change the password from /me, log out, and only the new password works.
//!
//! Needs `chromium` and `chromium-driver` (`apt-get install -y chromium chromium-driver`).
//! Without chromedriver the test says it is skipped and passes, unless
//! `AUTH_HOOKS_REQUIRE_BROWSER=1` (set by `.ci/run`) makes that a failure.
//! `CHROMEDRIVER` and `CHROMIUM` override the binaries' paths.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use auth_hooks::{AuthHookContext, AuthHookReject, Phase};
use auth_hooks_axum::{Registration, WebConfig};
use auth_hooks_flow::second_factor::{SecondFactorStore, TotpEnrollment, TotpSecret};
use auth_hooks_flow::{Clock, PasswordHasher};
use auth_hooks_test_support::flow::{Fixture, FixtureOptions, PASSWORD};
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;
use tests::http_support::{serve, TestServer};

/// The whole browser session must finish within this.
const TEST_BUDGET: Duration = Duration::from_secs(90);
/// Each wait for the page.
const PAGE_WAIT: Duration = Duration::from_secs(15);

/// A chromedriver process, killed on drop.
struct Driver {
    child: Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn binary(env: &str, default: &str) -> Option<PathBuf> {
    let path = PathBuf::from(std::env::var_os(env).unwrap_or_else(|| default.into()));
    path.is_file().then_some(path)
}

/// Starts chromedriver on a free loopback port and waits (bounded) until it listens.
fn start_driver(chromedriver: &Path) -> Driver {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let child = Command::new(chromedriver)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    let driver = Driver {
        child,
        url: format!("http://127.0.0.1:{port}"),
    };
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let deadline = Instant::now() + Duration::from_secs(15);
    while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
        assert!(
            Instant::now() < deadline,
            "chromedriver did not listen on {addr} within 15 s"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    driver
}

/// A headless chromium session with a fresh profile.
async fn browser(driver: &Driver, chromium: &Path, profile: &Path) -> Client {
    let args = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--window-size=1024,768",
    ]
    .iter()
    .map(|a| a.to_string())
    .chain([format!("--user-data-dir={}", profile.display())])
    .collect::<Vec<_>>();
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({ "binary": chromium, "args": args }),
    );
    ClientBuilder::new(HttpConnector::new())
        .capabilities(caps)
        .connect(&driver.url)
        .await
        .expect("a chromium session through chromedriver")
}

async fn text_of(browser: &Client, css: &str) -> String {
    let deadline = Instant::now() + PAGE_WAIT;
    loop {
        let element = browser
            .wait()
            .at_most(PAGE_WAIT)
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css} did not appear: {e}"));
        // Stale when the page was replaced between finding and reading: look again.
        match element.text().await {
            Ok(text) => return text,
            Err(e) if Instant::now() < deadline => drop(e),
            Err(e) => panic!("{css} could not be read: {e}"),
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until the element at `css` reads `expected`, across page loads: an element
/// found on the page being replaced goes stale, and is looked up again.
async fn wait_for_text(browser: &Client, css: &str, expected: &str) {
    let deadline = Instant::now() + PAGE_WAIT;
    let mut last = None;
    while Instant::now() < deadline {
        if let Ok(element) = browser.find(Locator::Css(css)).await {
            match element.text().await {
                Ok(text) if text == expected => return,
                Ok(text) => last = Some(text),
                Err(_stale) => {}
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{css} never read {expected:?} (last read: {last:?})");
}

async fn wait_for_path(browser: &Client, server: &TestServer, path: &str) {
    let url = url::Url::parse(&server.url(path)).unwrap();
    browser
        .wait()
        .at_most(PAGE_WAIT)
        .for_url(&url)
        .await
        .unwrap_or_else(|e| panic!("the browser did not reach {url}: {e}"));
}

/// Types `text` into the (emptied) field at `css`, once the page has it.
async fn fill(browser: &Client, css: &str, text: &str) {
    let field = browser
        .wait()
        .at_most(PAGE_WAIT)
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css} did not appear: {e}"));
    field.clear().await.unwrap();
    field.send_keys(text).await.unwrap();
}

/// Clicks the element at `css`, once the page has it.
async fn click(browser: &Client, css: &str) {
    browser
        .wait()
        .at_most(PAGE_WAIT)
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css} did not appear: {e}"))
        .click()
        .await
        .unwrap();
}

async fn fill_and_submit(browser: &Client, username: &str, password: &str) {
    fill(browser, "#username", username).await;
    fill(browser, "#password", password).await;
    click(browser, "#submit").await;
}

async fn scenario(browser: &Client, server: &TestServer) {
    // Anonymous: /me sends the browser to the login page, remembering where it wanted to go.
    browser.goto(&server.url("/me")).await.unwrap();
    wait_for_path(browser, server, "/login?next=%2Fme").await;

    // A deny-listed user: the page shows the hook's message.
    fill_and_submit(browser, "bob", PASSWORD).await;
    wait_for_text(browser, "#error", "This account is suspended.").await;

    // A wrong password: the page shows the error.
    // The previous page shows an error too: wait for the new page's text, not any text.
    fill_and_submit(browser, "ada", "not the password").await;
    wait_for_text(browser, "#error", "Invalid username or password.").await;

    // The right one: on to /me, signed in by the session cookie.
    fill_and_submit(browser, "ada", PASSWORD).await;
    wait_for_path(browser, server, "/me").await;
    let whoami = text_of(browser, "#whoami").await;
    assert!(whoami.contains("Signed in as ada"), "{whoami}");
    let cookies = browser.get_all_cookies().await.unwrap();
    let session = cookies
        .iter()
        .find(|c| c.name() == "session")
        .expect("the browser kept the session cookie");
    assert_eq!(session.http_only(), Some(true));

    // Logout: back on the login page, and /me no longer lets us in.
    browser
        .wait()
        .at_most(PAGE_WAIT)
        .for_element(Locator::Css("#logout-button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_path(browser, server, "/login").await;
    browser
        .wait()
        .at_most(PAGE_WAIT)
        .for_element(Locator::Css("form#login"))
        .await
        .unwrap();
    browser.goto(&server.url("/me")).await.unwrap();
    wait_for_path(browser, server, "/login?next=%2Fme").await;

    lifecycle(browser, server).await;
}

/// carol has an authenticator app: the password, then the code page, then /me.
async fn second_factor(browser: &Client, server: &TestServer, code: &str) {
    // Signed in as grace after the lifecycle: sign out first.
    click(browser, "#logout-button").await;
    wait_for_path(browser, server, "/login").await;
    fill_and_submit(browser, "carol", PASSWORD).await;
    wait_for_text(browser, "h1", "Enter your code").await;
    assert!(
        !browser
            .get_all_cookies()
            .await
            .unwrap()
            .iter()
            .any(|c| c.name() == "session"),
        "no session before the code"
    );
    fill(browser, "#code", code).await;
    click(browser, "#submit").await;
    wait_for_path(browser, server, "/me").await;
    let whoami = text_of(browser, "#whoami").await;
    assert!(whoami.contains("Signed in as carol"), "{whoami}");
}

/// Register → log in → change the password → log out → only the new password works.
async fn lifecycle(browser: &Client, server: &TestServer) {
    const FIRST: &str = "grace's first passphrase";
    const SECOND: &str = "grace's second passphrase";

    click(browser, "#register-link").await;
    wait_for_path(browser, server, "/register").await;
    fill(browser, "#username", "grace").await;
    fill(browser, "#email", "grace@example.com").await;
    fill(browser, "#password", FIRST).await;
    click(browser, "#submit").await;
    wait_for_text(
        browser,
        "#notice",
        "Thank you. If that username was free, your account is ready: sign in with it.",
    )
    .await;
    click(browser, "#login-link").await;
    wait_for_path(browser, server, "/login").await;

    fill_and_submit(browser, "grace", FIRST).await;
    wait_for_path(browser, server, "/me").await;
    let whoami = text_of(browser, "#whoami").await;
    assert!(whoami.contains("Signed in as grace"), "{whoami}");

    click(browser, "#password-link").await;
    wait_for_path(browser, server, "/password").await;
    fill(browser, "#current_password", FIRST).await;
    fill(browser, "#new_password", SECOND).await;
    click(browser, "#submit").await;
    wait_for_text(
        browser,
        "#notice",
        "Your password is changed. Every other session is signed out.",
    )
    .await;

    browser.goto(&server.url("/me")).await.unwrap();
    click(browser, "#logout-button").await;
    wait_for_path(browser, server, "/login").await;
    fill_and_submit(browser, "grace", FIRST).await;
    wait_for_text(browser, "#error", "Invalid username or password.").await;
    fill_and_submit(browser, "grace", SECOND).await;
    wait_for_path(browser, server, "/me").await;
}

#[tokio::test]
async fn browser_logs_in_sees_me_logs_out_then_registers_and_changes_the_password() {
    let required = std::env::var("AUTH_HOOKS_REQUIRE_BROWSER").is_ok_and(|v| v == "1");
    let (Some(chromedriver), Some(chromium)) = (
        binary("CHROMEDRIVER", "/usr/bin/chromedriver"),
        binary("CHROMIUM", "/usr/bin/chromium"),
    ) else {
        assert!(
            !required,
            "AUTH_HOOKS_REQUIRE_BROWSER=1 but chromium or chromedriver is missing"
        );
        eprintln!(
            "SKIPPED browser test: /usr/bin/chromedriver or /usr/bin/chromium not found \
             (apt-get install -y chromium chromium-driver)"
        );
        return;
    };

    // carol's login needs her TOTP code (the built-in `totp` hook).
    let mut hooks = auth_hooks::ready!(auth_hooks_flow::builtin::totp).unwrap();
    hooks
        .register(
            Phase::BeforeLogin,
            "deny_list",
            |ctx: &AuthHookContext| match ctx.username() {
                Some("bob") => Err(AuthHookReject::new("This account is suspended.")),
                _ => Ok(()),
            },
        )
        .unwrap();
    let config = WebConfig::default()
        .https(false)
        .registration(Registration::Open);
    let fixture = Fixture::with(
        hooks,
        FixtureOptions {
            second_factor: true,
            ..Default::default()
        },
    );
    fixture
        .users
        .add("u-carol", "carol", PASSWORD, &PasswordHasher::for_tests())
        .unwrap();
    let secret = TotpSecret::from_base32("JBSWY3DPEHPK3PXP").unwrap();
    fixture
        .factors
        .set_totp("u-carol", TotpEnrollment::confirmed(secret.clone()))
        .await
        .unwrap();
    let code = secret.code_at(fixture.clock.now());
    let (server, _) = serve(fixture, config).await;
    let driver = start_driver(&chromedriver);
    let profile = std::env::temp_dir().join(format!("auth-hooks-chromium-{}", std::process::id()));
    std::fs::create_dir_all(&profile).unwrap();

    let browser = browser(&driver, &chromium, &profile).await;
    let outcome = tokio::time::timeout(TEST_BUDGET, async {
        scenario(&browser, &server).await;
        second_factor(&browser, &server, &code).await;
    })
    .await;
    if outcome.is_err() || std::env::var_os("AUTH_HOOKS_BROWSER_SCREENSHOT").is_some() {
        if let Ok(png) = browser.screenshot().await {
            let path = std::env::temp_dir().join("auth-hooks-browser.png");
            let _ = std::fs::write(&path, png);
            eprintln!("screenshot: {}", path.display());
        }
    }
    let _ = browser.close().await;
    drop(driver);
    let _ = std::fs::remove_dir_all(&profile);
    server.stop().await;
    outcome.expect("the browser scenario finished within its budget");
}
