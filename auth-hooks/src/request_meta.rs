//! What a hook may know about the HTTP request behind a login or logout.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

/// The parts of a request a hook may see.
///
/// There is deliberately no place for the body, the query string, the `Cookie` or the
/// `Authorization` header: they carry secrets. [`new`](Self::new) drops the query string
/// from the path for the same reason (`/login?token=…`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestMeta {
    /// The HTTP method, e.g. `POST`.
    pub method: String,
    /// The request path, without its query string.
    pub path: String,
    /// The client's address, as resolved by the web integration (trusted proxies honoured).
    pub client_ip: Option<IpAddr>,
    /// The `User-Agent` header.
    pub user_agent: Option<String>,
}

impl RequestMeta {
    /// Metadata for a `method` request to `path` (any query string is cut off).
    pub fn new(method: impl Into<String>, path: &str) -> Self {
        let path = path.split(['?', '#']).next().unwrap_or_default();
        RequestMeta {
            method: method.into(),
            path: path.to_owned(),
            client_ip: None,
            user_agent: None,
        }
    }

    /// Sets the client's address.
    pub fn client_ip(mut self, ip: IpAddr) -> Self {
        self.client_ip = Some(ip);
        self
    }

    /// Sets the user agent.
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = Some(user_agent.into());
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_strings_never_reach_the_context() {
        assert_eq!(RequestMeta::new("GET", "/login?token=abc#x").path, "/login");
        assert_eq!(RequestMeta::new("GET", "/a#frag").path, "/a");
        assert_eq!(RequestMeta::new("GET", "/plain").path, "/plain");
    }
}
