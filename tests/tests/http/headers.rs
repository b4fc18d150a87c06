//! Security headers over real HTTP, on the login page and on an error page:
//! `Content-Security-Policy` (`default-src 'self'`, `frame-ancestors 'none'`),
//! `X-Frame-Options`, `X-Content-Type-Options`, `Referrer-Policy`, and HSTS only when
//! the site is configured as HTTPS.

use auth_hooks::AuthHookRegistry;
use auth_hooks_axum::WebConfig;
use auth_hooks_test_support::flow::Fixture;
use reqwest::header::{
    HeaderMap, CONTENT_SECURITY_POLICY, CONTENT_TYPE, ORIGIN, REFERRER_POLICY,
    STRICT_TRANSPORT_SECURITY, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use reqwest::StatusCode;
use tests::http_support::{client, serve, TestServer};

async fn server(config: WebConfig) -> TestServer {
    serve(Fixture::new(AuthHookRegistry::new()), config).await.0
}

fn assert_page_headers(headers: &HeaderMap, what: &str) {
    assert!(
        headers[CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html"),
        "{what} is a page"
    );
    let csp = headers[CONTENT_SECURITY_POLICY].to_str().unwrap();
    let directives: Vec<&str> = csp.split(';').map(str::trim).collect();
    assert!(directives.contains(&"default-src 'self'"), "{what}: {csp}");
    assert!(
        directives.contains(&"frame-ancestors 'none'"),
        "{what}: {csp}"
    );
    assert!(!csp.contains("unsafe-inline"), "{what}: {csp}");
    assert_eq!(headers[X_FRAME_OPTIONS], "DENY", "{what}");
    assert_eq!(headers[X_CONTENT_TYPE_OPTIONS], "nosniff", "{what}");
    assert_eq!(headers[REFERRER_POLICY], "same-origin", "{what}");
}

/// The login page, and the error page a wrong password from `origin` gets.
async fn pages(server: &TestServer, origin: String) -> [(StatusCode, HeaderMap); 2] {
    let http = client();
    let page = http.get(server.url("/login")).send().await.unwrap();
    let error = http
        .post(server.url("/login"))
        .header(ORIGIN, origin)
        .form(&[("username", "ada"), ("password", "wrong")])
        .send()
        .await
        .unwrap();
    [
        (page.status(), page.headers().clone()),
        (error.status(), error.headers().clone()),
    ]
}

#[tokio::test]
async fn the_login_page_and_an_error_page_carry_the_security_headers() {
    let server = server(WebConfig::default().https(false)).await;
    let [(page, page_headers), (error, error_headers)] = pages(&server, server.origin()).await;
    assert_eq!(page, StatusCode::OK);
    assert_page_headers(&page_headers, "the login page");
    assert_eq!(error, StatusCode::UNAUTHORIZED);
    assert_page_headers(&error_headers, "the failed login's page");
    for headers in [&page_headers, &error_headers] {
        assert!(
            !headers.contains_key(STRICT_TRANSPORT_SECURITY),
            "no HSTS over plain HTTP"
        );
    }
}

#[tokio::test]
async fn hsts_only_when_the_site_is_https() {
    // Served over plain HTTP here, configured as behind a TLS-terminating proxy.
    let server = server(WebConfig::default()).await;
    let https_origin = format!("https://{}", server.addr);
    let [(page, page_headers), (error, error_headers)] = pages(&server, https_origin).await;
    assert_eq!(page, StatusCode::OK);
    assert_eq!(error, StatusCode::UNAUTHORIZED);
    for headers in [&page_headers, &error_headers] {
        assert_page_headers(headers, "an https page");
        assert_eq!(headers[STRICT_TRANSPORT_SECURITY], "max-age=31536000");
    }
}
