//! CSRF over real HTTP: state-changing cookie requests must come from the site's own
//! origin (scheme, host and port); bearer requests are exempt; a JSON body without
//! `Origin` (curl, apps) passes, no other body does; the server grants no CORS
//! preflight; a refused logout leaves the session alive.

use auth_hooks::AuthHookRegistry;
use auth_hooks_axum::{CsrfProtection, WebConfig};
use auth_hooks_test_support::flow::{Fixture, PASSWORD};
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, COOKIE, ORIGIN, REFERER};
use reqwest::{RequestBuilder, StatusCode};
use serde_json::{json, Value};
use tests::http_support::{client, cookie_value, serve, Stores, TestServer};

async fn server(config: WebConfig) -> (TestServer, Stores) {
    serve(Fixture::new(AuthHookRegistry::new()), config).await
}

fn ada() -> Value {
    json!({ "username": "ada", "password": PASSWORD })
}

async fn status(request: RequestBuilder) -> StatusCode {
    request.send().await.unwrap().status()
}

#[tokio::test]
async fn login_needs_the_sites_origin() {
    let (server, stores) = server(WebConfig::default().https(false)).await;
    let http = client();
    let login = || http.post(server.url("/login")).json(&ada());

    assert_eq!(
        status(
            http.post(server.url("/login"))
                .form(&[("username", "ada"), ("password", PASSWORD)])
        )
        .await,
        StatusCode::FORBIDDEN,
        "a form with no Origin, no Referer"
    );
    assert_eq!(
        status(login().header(ORIGIN, "http://evil.example")).await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        status(login().header(ORIGIN, "null")).await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        status(login().header(
            ORIGIN,
            format!("http://127.0.0.1:{}", server.addr.port() + 1)
        ))
        .await,
        StatusCode::FORBIDDEN,
        "another port is another origin"
    );
    assert_eq!(
        status(
            login()
                .header(ORIGIN, server.origin())
                .header("sec-fetch-site", "cross-site")
        )
        .await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        status(login().header(REFERER, "http://evil.example/login")).await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        stores.sessions.len(),
        0,
        "no refused request logged anyone in"
    );

    let refused = login()
        .header(ORIGIN, "http://evil.example")
        .send()
        .await
        .unwrap();
    let body: Value = refused.json().await.unwrap();
    assert_eq!(
        body["error"],
        "Cross-site request refused. Reload the page and try again."
    );

    assert_eq!(
        status(login().header(ORIGIN, server.origin())).await,
        StatusCode::OK
    );
    assert_eq!(
        status(login().header(REFERER, format!("{}/login?next=%2Fme", server.origin()))).await,
        StatusCode::OK,
        "a same-origin Referer stands in for a missing Origin"
    );
    assert_eq!(stores.sessions.len(), 2);
}

#[tokio::test]
async fn cross_site_logout_is_refused_and_the_session_survives() {
    let (server, stores) = server(WebConfig::default().https(false)).await;
    let http = client();
    let login = http
        .post(server.url("/login"))
        .header(ORIGIN, server.origin())
        .json(&ada())
        .send()
        .await
        .unwrap();
    let cookie = format!(
        "session={}",
        cookie_value(login.headers(), "session").unwrap()
    );

    let forged = http
        .post(server.url("/logout"))
        .header(ORIGIN, "http://evil.example")
        .header(COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert!(cookie_value(forged.headers(), "session").is_none());
    assert_eq!(stores.sessions.len(), 1);
    let me = http
        .get(server.url("/me"))
        .header(COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(
        me.status(),
        StatusCode::OK,
        "the forged logout changed nothing"
    );
}

#[tokio::test]
async fn bearer_requests_and_reads_are_not_checked() {
    let (server, _) = server(WebConfig::default().https(false)).await;
    let http = client();
    let login: Value = http
        .post(server.url("/login"))
        .header(ORIGIN, server.origin())
        .json(&ada())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let access = login["access_token"].as_str().unwrap();
    // GET is safe: a cross-site Origin does not matter.
    assert_eq!(
        status(
            http.get(server.url("/login"))
                .header(ORIGIN, "http://evil.example")
        )
        .await,
        StatusCode::OK
    );
    assert_eq!(
        status(
            http.post(server.url("/logout"))
                .header(ORIGIN, "http://evil.example")
                .header(AUTHORIZATION, format!("Bearer {access}"))
        )
        .await,
        StatusCode::OK,
        "a bearer token cannot be attached by a cross-site page, so no origin check"
    );
}

#[tokio::test]
async fn a_configured_public_origin_replaces_the_host_check() {
    let csrf = CsrfProtection::same_host()
        .allow_origin("https://app.example")
        .unwrap();
    let (server, _) = server(WebConfig::default().https(false).csrf(csrf)).await;
    let http = client();
    let login = || http.post(server.url("/login")).json(&ada());
    assert_eq!(
        status(login().header(ORIGIN, "https://app.example")).await,
        StatusCode::OK
    );
    assert_eq!(
        status(login().header(ORIGIN, server.origin())).await,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn cached_basic_credentials_do_not_let_a_cross_site_form_log_the_browser_in() {
    // The attack: the browser has cached HTTP Basic credentials for this site and
    // attaches them to a cross-site form post by itself; the form logs the victim's
    // browser into the attacker's account.
    let (server, stores) = server(WebConfig::default().https(false)).await;
    let http = client();
    for authorization in ["Basic YWRhOnB3", "Bearer some-token"] {
        let response = http
            .post(server.url("/login"))
            .header(ORIGIN, "http://evil.example")
            .header(AUTHORIZATION, authorization)
            .form(&[("username", "ada"), ("password", PASSWORD)])
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            StatusCode::FORBIDDEN,
            "{authorization}: /login never reads Authorization, so it exempts nothing"
        );
        assert!(cookie_value(response.headers(), "session").is_none());
    }
    // Nor does Basic exempt a cookie-authenticated logout.
    let login = http
        .post(server.url("/login"))
        .header(ORIGIN, server.origin())
        .json(&ada())
        .send()
        .await
        .unwrap();
    let cookie = cookie_value(login.headers(), "session").unwrap();
    assert_eq!(
        status(
            http.post(server.url("/logout"))
                .header(ORIGIN, "http://evil.example")
                .header(AUTHORIZATION, "Basic YWRhOnB3")
                .header(COOKIE, format!("session={cookie}"))
        )
        .await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(stores.sessions.len(), 1, "the session survives");
}

/// The README's quick start: `curl -i http://127.0.0.1:3000/login -H 'Content-Type:
/// application/json' -d '{"username": …, "password": …}'`. No `Origin`, no `Referer`,
/// a JSON body: the login succeeds (this client, like curl, sends neither header).
#[tokio::test]
async fn the_readmes_curl_json_login_without_origin_succeeds() {
    let (server, stores) = server(WebConfig::default().https(false)).await;
    let response = client()
        .post(server.url("/login"))
        .header(CONTENT_TYPE, "application/json")
        .body(json!({ "username": "ada", "password": PASSWORD }).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(cookie_value(response.headers(), "session").is_some());
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["user_id"], "u-ada");
    assert!(body["access_token"].is_string(), "{body}");
    assert_eq!(stores.sessions.len(), 1);

    // `charset` and case do not matter: the media type is what counts.
    let response = client()
        .post(server.url("/login"))
        .header(CONTENT_TYPE, "Application/JSON; charset=utf-8")
        .body(ada().to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn without_origin_only_an_application_json_body_passes() {
    let (server, stores) = server(WebConfig::default().https(false)).await;
    let http = client();
    // JSON text a page *can* send cross-site without a preflight: refused.
    for content_type in [
        "text/plain",
        "text/plain; charset=utf-8",
        "application/json-patch+json",
        "application/x-www-form-urlencoded",
    ] {
        let body = if content_type.ends_with("urlencoded") {
            format!("username=ada&password={}", PASSWORD.replace(' ', "+"))
        } else {
            ada().to_string()
        };
        let response = http
            .post(server.url("/login"))
            .header(CONTENT_TYPE, content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{content_type}");
    }
    // JSON does not override a bad Origin or a cross-site fetch.
    assert_eq!(
        status(
            http.post(server.url("/login"))
                .json(&ada())
                .header(ORIGIN, "http://evil.example")
        )
        .await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        status(
            http.post(server.url("/login"))
                .json(&ada())
                .header("sec-fetch-site", "cross-site")
        )
        .await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        stores.sessions.len(),
        0,
        "no refused request logged anyone in"
    );
}

#[tokio::test]
async fn a_cors_preflight_is_granted_nothing() {
    let (server, _) = server(WebConfig::default().https(false)).await;
    for path in ["/login", "/logout", "/me", "/refresh"] {
        let response = client()
            .request(reqwest::Method::OPTIONS, server.url(path))
            .header(ORIGIN, "http://evil.example")
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "content-type")
            .send()
            .await
            .unwrap();
        assert!(
            !response.status().is_success(),
            "{path}: {}",
            response.status()
        );
        let granted: Vec<_> = response
            .headers()
            .keys()
            .filter(|name| name.as_str().starts_with("access-control-"))
            .collect();
        assert!(granted.is_empty(), "{path}: {granted:?}");
    }
}

#[tokio::test]
async fn the_same_host_and_port_in_another_scheme_is_another_origin() {
    let (http_site, stores) = server(WebConfig::default().https(false)).await;
    let http = client();
    let authority = http_site.addr.to_string();
    for scheme in ["https", "ftp", "ws", "wss"] {
        let origin = format!("{scheme}://{authority}");
        assert_eq!(
            status(
                http.post(http_site.url("/login"))
                    .form(&[("username", "ada"), ("password", PASSWORD)])
                    .header(ORIGIN, &origin)
            )
            .await,
            StatusCode::FORBIDDEN,
            "Origin {origin} against an http site"
        );
        assert_eq!(
            status(
                http.post(http_site.url("/login"))
                    .form(&[("username", "ada"), ("password", PASSWORD)])
                    .header(REFERER, format!("{origin}/login"))
            )
            .await,
            StatusCode::FORBIDDEN,
            "Referer {origin}/login against an http site"
        );
    }
    assert_eq!(stores.sessions.len(), 0);

    // An https site (the default) refuses the http origin of the same host and port,
    // and takes the https one, default port or not.
    let (https, _https_stores) = server(WebConfig::default()).await;
    let login = |origin: String| {
        http.post(https.url("/login"))
            .form(&[("username", "ada"), ("password", PASSWORD)])
            .header(ORIGIN, origin)
    };
    assert_eq!(
        status(login(https.origin())).await,
        StatusCode::FORBIDDEN,
        "http:// against an https site"
    );
    assert_eq!(
        status(login(format!("https://{}", https.addr))).await,
        StatusCode::SEE_OTHER
    );
}
