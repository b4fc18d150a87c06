//! The request metadata handed to hooks: method, path, client address, user agent.

use std::net::SocketAddr;

use auth_hooks::RequestMeta;
use axum::extract::ConnectInfo;
use axum::http::{header, request::Parts};

use crate::TrustedProxies;

/// The longest user agent kept, in characters; the rest is cut.
pub const MAX_USER_AGENT: usize = 512;

/// What hooks may know of a request: its method, its path (no query string), the
/// client's address (trusted proxies honoured) and its user agent.
///
/// Nothing else is copied: not the body, the query string, the `Cookie` or the
/// `Authorization` header. The peer address comes from axum's
/// `ConnectInfo<SocketAddr>` (serve with
/// `into_make_service_with_connect_info::<SocketAddr>()`); without it the address is
/// unknown (`None`) rather than guessed from headers.
pub fn request_meta(parts: &Parts, proxies: &TrustedProxies) -> RequestMeta {
    let mut meta = RequestMeta::new(parts.method.as_str(), parts.uri.path());
    if let Some(ConnectInfo(peer)) = parts.extensions.get::<ConnectInfo<SocketAddr>>() {
        meta = meta.client_ip(proxies.client_ip(peer.ip(), &parts.headers));
    }
    let user_agent = parts
        .headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty());
    if let Some(user_agent) = user_agent {
        // At most MAX_USER_AGENT bytes is at most that many characters: no walk needed.
        let user_agent = if user_agent.len() <= MAX_USER_AGENT {
            user_agent.to_owned()
        } else {
            user_agent.chars().take(MAX_USER_AGENT).collect()
        };
        meta = meta.user_agent(user_agent);
    }
    meta
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::Request;

    fn parts(builder: axum::http::request::Builder) -> Parts {
        builder.body(()).unwrap().into_parts().0
    }

    #[test]
    fn copies_method_path_ip_and_agent_only() {
        let mut parts = parts(
            Request::post("/login?token=secret-q")
                .header("user-agent", "TestAgent/1.0")
                .header("cookie", "session=secret-c")
                .header("authorization", "Bearer secret-a")
                .header("x-forwarded-for", "198.51.100.7"),
        );
        parts
            .extensions
            .insert(ConnectInfo(SocketAddr::from(([127, 0, 0, 1], 4000))));
        let proxies: TrustedProxies = "127.0.0.1".parse().unwrap();
        let meta = request_meta(&parts, &proxies);
        assert_eq!(meta.method, "POST");
        assert_eq!(meta.path, "/login");
        assert_eq!(meta.client_ip, Some("198.51.100.7".parse().unwrap()));
        assert_eq!(meta.user_agent.as_deref(), Some("TestAgent/1.0"));
        let debug = format!("{meta:?}");
        assert!(!debug.contains("secret"), "{debug}");
    }

    #[test]
    fn without_connect_info_the_address_is_unknown_not_guessed() {
        let parts = parts(Request::get("/me").header("x-forwarded-for", "198.51.100.7"));
        let meta = request_meta(&parts, &"0.0.0.0/0".parse().unwrap());
        assert_eq!(meta.client_ip, None);
        assert_eq!(meta.user_agent, None);
    }

    #[test]
    fn long_user_agents_are_cut() {
        let agent = "a".repeat(MAX_USER_AGENT * 2);
        let parts = parts(Request::get("/me").header("user-agent", agent));
        let meta = request_meta(&parts, &TrustedProxies::none());
        assert_eq!(meta.user_agent.unwrap().len(), MAX_USER_AGENT);
    }
}
