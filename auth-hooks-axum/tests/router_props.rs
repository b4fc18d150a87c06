//! The whole router under arbitrary requests (`tower::ServiceExt::oneshot`, no socket):
//! any `Content-Type`, any body, any `Authorization` and cookie, on every POST route.
//! Nothing panics and nothing is a 5xx (the stores are in memory and never fail, so
//! even a 503 would be a bug); errors are `{"error": …}` or the login page; a redirect
//! never leaves the site; a password sent is never in the answer; the body limit is
//! exact.

use std::sync::{Arc, OnceLock};

use auth_hooks_axum::{routes, AuthState, WebConfig, MAX_LOGIN_BODY};
use auth_hooks_flow::builtin::lockout::Lockout;
use auth_hooks_flow::{
    AuthFlow, JwtKeys, MemoryAttemptStore, MemoryJtiBlocklist, MemorySessionStore, MemoryUserStore,
    PasswordBackend, PasswordHasher, SessionKey, SessionManager, TokenManager,
};
use axum::body::Body;
use axum::http::{header, HeaderValue, Request, Response, StatusCode};
use axum::Router;
use proptest::collection::vec;
use proptest::prelude::*;
use serde_json::{json, Value};
use tower::ServiceExt;

const PASSWORD: &str = "correct horse battery staple";
const HOST: &str = "site.test";
const ORIGIN: &str = "http://site.test";

/// The routes on memory stores with the lockout on: users `ada` and `bob`. One app
/// for every case, so lockouts and sessions pile up as they would in a real server.
fn app() -> Router {
    static APP: OnceLock<Router> = OnceLock::new();
    APP.get_or_init(|| {
        let hasher = PasswordHasher::for_tests();
        let users = Arc::new(MemoryUserStore::new());
        users.add("u-ada", "ada", PASSWORD, &hasher).unwrap();
        users.add("u-bob", "bob", PASSWORD, &hasher).unwrap();
        let flow = AuthFlow::builder(PasswordBackend::new(users, hasher))
            .hooks(auth_hooks::ready!(auth_hooks_flow::builtin::lockout).unwrap())
            .sessions(SessionManager::new(
                SessionKey::new([1u8; 32]).unwrap(),
                Arc::new(MemorySessionStore::new()),
            ))
            .tokens(TokenManager::new(
                JwtKeys::hs256([2u8; 32]).unwrap(),
                Arc::new(MemoryJtiBlocklist::new()),
            ))
            .extension(Lockout::new(Arc::new(MemoryAttemptStore::new())))
            .build()
            .unwrap();
        routes(AuthState::new(flow, WebConfig::default().https(false)))
    })
    .clone()
}

/// One request through the app, and its whole answer.
fn send(request: Request<Body>) -> (Response<Body>, Vec<u8>) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    runtime.block_on(async {
        let response = app().oneshot(request).await.unwrap();
        let (parts, body) = response.into_parts();
        let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap();
        (Response::from_parts(parts, Body::empty()), bytes.to_vec())
    })
}

/// A header value of any bytes a header may hold (visible ASCII, tab, obs-text).
fn header_bytes(max: usize) -> impl Strategy<Value = HeaderValue> {
    vec(
        prop_oneof![0x20u8..0x7f, 0x80u8..=0xff, Just(b'\t')],
        0..max,
    )
    .prop_map(|bytes| HeaderValue::from_bytes(&bytes).expect("only valid bytes"))
}

/// No content type, the two the login reads, look-alikes, or any bytes at all.
fn content_type() -> impl Strategy<Value = Option<HeaderValue>> {
    prop_oneof![
        Just(None),
        Just(Some(HeaderValue::from_static("application/json"))),
        Just(Some(HeaderValue::from_static(
            "application/x-www-form-urlencoded"
        ))),
        "(application|text|multipart|APPLICATION)/[a-zA-Z0-9+.-]{0,24}(; ?[a-z]{1,8}=[a-zA-Z0-9-]{0,10})?"
            .prop_map(|s| Some(HeaderValue::from_str(&s).unwrap())),
        header_bytes(64).prop_map(Some),
    ]
}

/// A password that appears nowhere else: if it is in an answer, it was echoed. Letters
/// and digits only, which no encoding of the answer (JSON, HTML) would disguise.
fn marked_password() -> impl Strategy<Value = String> {
    "[A-Za-z0-9]{8,24}".prop_map(|s| format!("Zq{s}"))
}

/// A login body, well-formed or not, as JSON or form, with the content type that says
/// so (or a variant of it): known and unknown users, the right password or a marked
/// one, and any `remember` and `next`.
fn login() -> impl Strategy<Value = (Option<HeaderValue>, Vec<u8>, Option<String>)> {
    let username = prop_oneof![
        Just("ada".to_owned()),
        Just("bob".to_owned()),
        any::<String>()
    ];
    let password = prop_oneof![
        1 => Just(None),
        2 => Just(Some(PASSWORD.to_owned())),
        2 => marked_password().prop_map(Some),
    ];
    let next = prop_oneof![
        Just(None),
        Just(Some("//evil.example".to_owned())),
        Just(Some("/me?tab=1".to_owned())),
        any::<String>().prop_map(Some),
    ];
    let remember = prop_oneof![
        Just(None),
        any::<bool>().prop_map(|b| Some(b.to_string())),
        any::<String>().prop_map(Some),
    ];
    let json_type = prop_oneof![
        Just("application/json"),
        Just("Application/JSON; charset=utf-8"),
        Just("application/vnd.api+json"),
    ];
    let form_type = prop_oneof![
        Just("application/x-www-form-urlencoded"),
        Just("application/x-www-form-urlencoded;charset=UTF-8"),
    ];
    (
        username,
        password,
        next,
        remember,
        any::<bool>(),
        json_type,
        form_type,
    )
        .prop_map(
            |(username, password, next, remember, as_json, json_type, form_type)| {
                let mut fields = vec![("username", username)];
                fields.extend(password.clone().map(|p| ("password", p)));
                fields.extend(next.map(|n| ("next", n)));
                fields.extend(remember.map(|r| ("remember", r)));
                let (content_type, bytes) = if as_json {
                    let object: serde_json::Map<String, Value> = fields
                        .into_iter()
                        .map(|(k, v)| (k.to_owned(), Value::String(v)))
                        .collect();
                    (json_type, serde_json::to_vec(&object).unwrap())
                } else {
                    let form = serde_urlencoded::to_string(fields).unwrap();
                    (form_type, form.into_bytes())
                };
                let marked = password.filter(|p| p.starts_with("Zq"));
                (Some(HeaderValue::from_static(content_type)), bytes, marked)
            },
        )
}

/// Any content type with any body: random bytes, random JSON text, form-like text, a
/// refresh request, or a login under a content type that may not match it.
fn anything() -> impl Strategy<Value = (Option<HeaderValue>, Vec<u8>, Option<String>)> {
    let body = prop_oneof![
        vec(any::<u8>(), 0..256).prop_map(|b| (b, None)),
        "[\\[\\]{}\":,a-z0-9 ]{0,64}".prop_map(|s| (s.into_bytes(), None)),
        "[a-zA-Z0-9=&%+._-]{0,80}".prop_map(|s| (s.into_bytes(), None)),
        r#"\{"refresh_token":"[A-Za-z0-9._-]{0,60}"\}"#.prop_map(|s| (s.into_bytes(), None)),
        login().prop_map(|(_, body, marked)| (body, marked)),
    ];
    (content_type(), body).prop_map(|(content_type, (body, marked))| (content_type, body, marked))
}

/// What is asserted of every answer: no 5xx, a readable error, no way off the site,
/// no password echoed.
fn check(
    response: &Response<Body>,
    bytes: &[u8],
    marked: Option<&str>,
) -> Result<(), TestCaseError> {
    let status = response.status();
    prop_assert!(!status.is_server_error(), "{status}");
    let text = String::from_utf8_lossy(bytes);
    if let Some(password) = marked {
        prop_assert!(!text.contains(password), "{status}: password echoed");
    }
    if status.is_redirection() {
        let location = response.headers()[header::LOCATION].to_str().unwrap();
        prop_assert!(
            location.starts_with('/')
                && !location.starts_with("//")
                && !location.starts_with("/\\"),
            "{location}"
        );
    }
    let json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|ct| ct == "application/json");
    if json && status.is_client_error() {
        let error: Value = serde_json::from_slice(bytes).expect("a JSON error body");
        let message = error["error"].as_str().unwrap_or_default();
        prop_assert!(!message.is_empty(), "{text}");
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_post_to_any_route_is_answered_without_panic_or_5xx(
        path in prop_oneof![3 => Just("/login"), 1 => Just("/logout"), 1 => Just("/refresh")],
        (content_type, body, marked) in prop_oneof![login(), anything()],
        authorization in prop_oneof![
            3 => Just(None),
            1 => "Bearer [A-Za-z0-9._-]{0,80}".prop_map(|s| Some(HeaderValue::from_str(&s).unwrap())),
            1 => header_bytes(40).prop_map(Some),
        ],
        cookie in prop_oneof![
            3 => Just(None),
            1 => "session=[A-Za-z0-9_-]{0,60}".prop_map(Some),
        ],
    ) {
        let mut request = Request::post(path)
            .header(header::HOST, HOST)
            .header(header::ORIGIN, ORIGIN);
        if let Some(content_type) = content_type {
            request = request.header(header::CONTENT_TYPE, content_type);
        }
        if let Some(authorization) = authorization {
            request = request.header(header::AUTHORIZATION, authorization);
        }
        if let Some(cookie) = cookie {
            request = request.header(header::COOKIE, cookie);
        }
        let (response, bytes) = send(request.body(Body::from(body)).unwrap());
        check(&response, &bytes, marked.as_deref())?;
    }

    #[test]
    fn a_login_body_is_refused_with_413_exactly_when_over_the_limit(
        over in -64i64..64,
        form in any::<bool>(),
    ) {
        // A body of exactly MAX_LOGIN_BODY + over bytes, padded in the password.
        let len = (MAX_LOGIN_BODY as i64 + over) as usize;
        let (content_type, frame) = if form {
            ("application/x-www-form-urlencoded", "username=ada&password=".to_owned())
        } else {
            ("application/json", json!({ "username": "ada", "password": "" }).to_string())
        };
        let pad = "x".repeat(len - frame.len());
        let body = if form {
            format!("{frame}{pad}")
        } else {
            frame.replacen(r#""password":"""#, &format!(r#""password":"{pad}""#), 1)
        };
        prop_assert_eq!(body.len(), len);
        let request = Request::post("/login")
            .header(header::HOST, HOST)
            .header(header::ORIGIN, ORIGIN)
            .header(header::CONTENT_TYPE, content_type)
            .body(Body::from(body))
            .unwrap();
        let (response, _) = send(request);
        if len > MAX_LOGIN_BODY {
            prop_assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
        } else {
            // Read, and refused on its merits: a password this long is malformed.
            prop_assert_ne!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
            prop_assert!(!response.status().is_server_error());
        }
    }
}
