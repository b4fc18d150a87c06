//! The client's address: the peer's, or the one a trusted proxy forwarded.

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;

use axum::http::HeaderMap;
use ipnet::IpNet;

/// The proxies whose `X-Forwarded-For` is believed.
///
/// Empty by default: the client is the TCP peer, and `X-Forwarded-For` is ignored (a
/// client can write anything into it). Behind a reverse proxy, list the proxy's
/// addresses or networks.
///
/// ```
/// use auth_hooks_axum::TrustedProxies;
///
/// let proxies: TrustedProxies = "127.0.0.1, 10.0.0.0/8, ::1".parse()?;
/// assert!(proxies.contains("10.1.2.3".parse()?));
/// assert!(!proxies.contains("192.0.2.1".parse()?));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies {
    networks: Vec<IpNet>,
}

/// A trusted proxy list entry that is neither an IP address nor a CIDR network.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid trusted proxy `{0}`: expected an IP address (10.0.0.1) or a network (10.0.0.0/8)")]
pub struct InvalidProxy(pub String);

impl TrustedProxies {
    /// Trusts no proxy: the client is always the TCP peer.
    pub fn none() -> Self {
        TrustedProxies::default()
    }

    /// Trusts these networks (a single address is a `/32` or `/128` network).
    pub fn new(networks: impl IntoIterator<Item = IpNet>) -> Self {
        TrustedProxies {
            networks: networks.into_iter().collect(),
        }
    }

    /// Whether `ip` is a trusted proxy. IPv4-mapped IPv6 addresses (`::ffff:10.0.0.1`)
    /// count as their IPv4 address.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.networks.iter().any(|net| net.contains(&ip))
    }

    /// The client's address for a request from `peer` with `headers`.
    ///
    /// An untrusted peer is the client, whatever its headers say. A trusted peer's
    /// `X-Forwarded-For` (every such header, in order, comma-separated) is walked from
    /// right to left: each entry was appended by the hop to its right, so the walk goes
    /// on while the hop is trusted and stops at the first untrusted address, which is
    /// the client. An entry that is not an address ends the walk at the last trusted
    /// hop (a forged or broken header never yields an address the proxies did not
    /// write). When every hop is trusted, the leftmost is the client.
    pub fn client_ip(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let mut client = peer.to_canonical();
        if !self.contains(client) {
            return client;
        }
        let entries: Vec<&str> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .collect();
        for entry in entries.into_iter().rev() {
            if !self.contains(client) {
                break;
            }
            match parse_entry(entry) {
                Some(ip) => client = ip,
                None => break,
            }
        }
        client
    }
}

/// One `X-Forwarded-For` entry: an address, possibly with a port (`1.2.3.4:80`,
/// `[2001:db8::1]:80`), as some proxies write it.
fn parse_entry(entry: &str) -> Option<IpAddr> {
    let entry = entry.trim();
    entry
        .parse::<IpAddr>()
        .or_else(|_| entry.parse::<SocketAddr>().map(|s| s.ip()))
        .ok()
        .map(|ip| ip.to_canonical())
}

impl FromStr for TrustedProxies {
    type Err = InvalidProxy;

    /// Parses a comma-separated list of addresses and CIDR networks; an empty string
    /// trusts nothing.
    fn from_str(list: &str) -> Result<Self, Self::Err> {
        let networks = list
            .split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .map(|item| {
                item.parse::<IpNet>()
                    .or_else(|_| item.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| InvalidProxy(item.to_owned()))
            })
            .collect::<Result<_, _>>()?;
        Ok(TrustedProxies { networks })
    }
}

impl fmt::Debug for TrustedProxies {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(&self.networks).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn xff(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append("x-forwarded-for", HeaderValue::from_str(value).unwrap());
        }
        headers
    }

    fn proxies() -> TrustedProxies {
        "127.0.0.1, 10.0.0.0/8, ::1".parse().unwrap()
    }

    #[test]
    fn untrusted_peer_is_the_client_whatever_it_claims() {
        let headers = xff(&["1.1.1.1"]);
        assert_eq!(
            proxies().client_ip(ip("203.0.113.9"), &headers),
            ip("203.0.113.9")
        );
        assert_eq!(
            TrustedProxies::none().client_ip(ip("127.0.0.1"), &headers),
            ip("127.0.0.1")
        );
    }

    #[test]
    fn trusted_peer_forwards_the_client() {
        let headers = xff(&["198.51.100.7"]);
        assert_eq!(
            proxies().client_ip(ip("127.0.0.1"), &headers),
            ip("198.51.100.7")
        );
    }

    #[test]
    fn chain_is_walked_right_to_left_past_trusted_hops_only() {
        // The client forged "6.6.6.6"; the first proxy appended the real client.
        let headers = xff(&["6.6.6.6, 198.51.100.7, 10.0.0.2"]);
        assert_eq!(
            proxies().client_ip(ip("10.0.0.1"), &headers),
            ip("198.51.100.7")
        );
        // Split over several headers, same answer.
        let headers = xff(&["6.6.6.6", "198.51.100.7", "10.0.0.2"]);
        assert_eq!(
            proxies().client_ip(ip("10.0.0.1"), &headers),
            ip("198.51.100.7")
        );
    }

    #[test]
    fn no_header_leaves_the_trusted_peer() {
        assert_eq!(
            proxies().client_ip(ip("10.0.0.1"), &HeaderMap::new()),
            ip("10.0.0.1")
        );
    }

    #[test]
    fn every_hop_trusted_gives_the_leftmost() {
        let headers = xff(&["10.0.0.3, 10.0.0.2"]);
        assert_eq!(
            proxies().client_ip(ip("10.0.0.1"), &headers),
            ip("10.0.0.3")
        );
    }

    #[test]
    fn garbage_stops_at_the_last_trusted_hop() {
        let headers = xff(&["198.51.100.7, not-an-ip, 10.0.0.2"]);
        assert_eq!(
            proxies().client_ip(ip("10.0.0.1"), &headers),
            ip("10.0.0.2")
        );
        let headers = xff(&[""]);
        assert_eq!(
            proxies().client_ip(ip("10.0.0.1"), &headers),
            ip("10.0.0.1")
        );
    }

    #[test]
    fn ports_and_ipv6_are_understood() {
        let headers = xff(&["[2001:db8::7]:4711, 198.51.100.7:80"]);
        assert_eq!(proxies().client_ip(ip("::1"), &headers), ip("198.51.100.7"));
        let headers = xff(&["2001:db8::7"]);
        assert_eq!(proxies().client_ip(ip("::1"), &headers), ip("2001:db8::7"));
    }

    #[test]
    fn ipv4_mapped_peers_count_as_ipv4() {
        let headers = xff(&["198.51.100.7"]);
        assert_eq!(
            proxies().client_ip(ip("::ffff:127.0.0.1"), &headers),
            ip("198.51.100.7")
        );
        assert_eq!(
            TrustedProxies::none().client_ip(ip("::ffff:192.0.2.1"), &headers),
            ip("192.0.2.1")
        );
    }

    #[test]
    fn bad_list_entries_are_named() {
        let err = "10.0.0.0/8, proxy.local"
            .parse::<TrustedProxies>()
            .unwrap_err();
        assert_eq!(err, InvalidProxy("proxy.local".into()));
        assert!(err.to_string().contains("`proxy.local`"));
        assert_eq!(
            "".parse::<TrustedProxies>().unwrap(),
            TrustedProxies::none()
        );
    }
}
