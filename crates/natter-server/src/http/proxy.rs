//! Who is asking: the client address behind trusted reverse proxies
//! (`X-Forwarded-For`) and whether a page's `Origin` may open a WebSocket.
//!
//! Pure functions over header values and the `[http]` configuration, so
//! the rules are tested without sockets. Only [`super`] calls them; the
//! configuration loader uses [`Cidr::parse`] (from `crate::cidr`) to check
//! `trusted_proxies`.

use std::net::{IpAddr, SocketAddr};

pub use crate::cidr::Cidr;

/// The `[http] trusted_proxies` blocks (already checked when the
/// configuration was loaded; an entry that does not parse is skipped).
pub(crate) fn trusted(proxies: &[String]) -> Vec<Cidr> {
    proxies.iter().filter_map(|p| Cidr::parse(p)).collect()
}

/// Whether `addr` is one of the `trusted` proxies.
pub(crate) fn is_trusted(addr: IpAddr, trusted: &[Cidr]) -> bool {
    trusted.iter().any(|c| c.contains(addr))
}

/// The client's address as natter should see it (WHOIS, bans, limits).
///
/// `peer` is the TCP peer; `forwarded_for` the values of every
/// `X-Forwarded-For` header of the request, in order. Unless `peer` is in
/// `trusted`, it is the answer and the header is ignored (anyone can send
/// one). From a trusted proxy, the header's entries are read from the
/// right, each appended by a proxy nearer to natter, and the first that is
/// not itself a trusted proxy is the client (the rightmost-untrusted rule:
/// entries further left were written by the client and prove nothing).
/// When every entry is trusted, the leftmost one is the client; an entry
/// that is not an address (`unknown`, garbage) stops the walk at the last
/// address known good. An entry may carry a port (`1.2.3.4:5678`,
/// `[::1]:5678`); a forwarded address gets port 0, the real port being
/// unknown.
pub(crate) fn client_addr(
    peer: SocketAddr,
    forwarded_for: &[&str],
    trusted: &[Cidr],
) -> SocketAddr {
    let peer = SocketAddr::new(peer.ip().to_canonical(), peer.port());
    if !is_trusted(peer.ip(), trusted) {
        return peer;
    }
    let mut client = peer;
    let entries = forwarded_for
        .iter()
        .rev()
        .flat_map(|value| value.rsplit(','))
        .map(str::trim)
        .filter(|e| !e.is_empty());
    for entry in entries {
        let Some(ip) = parse_forwarded(entry) else {
            break;
        };
        client = SocketAddr::new(ip.to_canonical(), 0);
        if !is_trusted(ip, trusted) {
            break;
        }
    }
    client
}

/// One `X-Forwarded-For` entry: `1.2.3.4`, `1.2.3.4:80`, `::1`, `[::1]`,
/// `[::1]:80`.
fn parse_forwarded(entry: &str) -> Option<IpAddr> {
    if let Ok(ip) = entry.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Ok(sa) = entry.parse::<SocketAddr>() {
        return Some(sa.ip());
    }
    entry
        .strip_prefix('[')
        .and_then(|r| r.strip_suffix(']'))
        .and_then(|ip| ip.parse().ok())
}

/// Whether a WebSocket request may go on, by its `Origin` header
/// (RFC 6454; browsers send it, other clients usually do not).
///
/// Allowed: no `origin` at all (not a browser, nothing to protect: the
/// check stops other sites' pages from using a visitor's browser, not
/// programs); an origin equal to the request's own (`scheme` and `host`:
/// the page natter served itself); one listed in `allowed` (`[http]
/// allowed_origins`), or any when `allowed` has `"*"`. Scheme and host
/// compare case-insensitively and a default port (`:80` for http, `:443`
/// for https) equals none. Anything else, including the opaque origin
/// `null`, is refused (403).
pub(crate) fn origin_allowed(
    origin: Option<&str>,
    scheme: &str,
    host: Option<&str>,
    allowed: &[String],
) -> bool {
    let Some(origin) = origin else {
        return true;
    };
    let origin = normalize_origin(origin);
    if let Some(host) = host {
        if origin == normalize_origin(&format!("{scheme}://{host}")) {
            return true;
        }
    }
    allowed
        .iter()
        .any(|a| a.trim() == "*" || normalize_origin(a) == origin)
}

/// An origin in one spelling: lowercase, no trailing `/`, no default port.
fn normalize_origin(origin: &str) -> String {
    let o = origin.trim().trim_end_matches('/').to_ascii_lowercase();
    for (scheme, port) in [("http://", ":80"), ("https://", ":443")] {
        if o.starts_with(scheme) {
            if let Some(bare) = o.strip_suffix(port) {
                return bare.to_string();
            }
        }
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    #[test]
    fn forwarded_for_counts_only_from_a_trusted_proxy() {
        let proxies = trusted(&["127.0.0.1".into(), "10.0.0.0/8".into()]);
        // An untrusted peer's header is ignored.
        assert_eq!(
            client_addr(addr("192.0.2.7:4000"), &["203.0.113.9"], &proxies),
            addr("192.0.2.7:4000")
        );
        // From a trusted proxy: the forwarded address, port unknown.
        assert_eq!(
            client_addr(addr("127.0.0.1:4000"), &["203.0.113.9"], &proxies),
            addr("203.0.113.9:0")
        );
        // No header: the proxy itself.
        assert_eq!(
            client_addr(addr("127.0.0.1:4000"), &[], &proxies),
            addr("127.0.0.1:4000")
        );
    }

    #[test]
    fn forwarded_for_takes_the_rightmost_untrusted_entry() {
        let proxies = trusted(&["127.0.0.1".into(), "10.0.0.0/8".into()]);
        let peer = addr("127.0.0.1:1");
        // The client forged the first entry; 10.1.1.1 is an inner proxy.
        assert_eq!(
            client_addr(peer, &["6.6.6.6, 198.51.100.2, 10.1.1.1"], &proxies),
            addr("198.51.100.2:0")
        );
        // Several header lines are one list, in order.
        assert_eq!(
            client_addr(
                peer,
                &["6.6.6.6", "198.51.100.2:5555", "10.1.1.1"],
                &proxies
            ),
            addr("198.51.100.2:0")
        );
        // All trusted: the leftmost.
        assert_eq!(
            client_addr(peer, &["10.9.9.9, 10.1.1.1"], &proxies),
            addr("10.9.9.9:0")
        );
        // Garbage stops the walk at the last good address.
        assert_eq!(
            client_addr(peer, &["198.51.100.2, unknown, 10.1.1.1"], &proxies),
            addr("10.1.1.1:0")
        );
        // IPv6, bracketed, and IPv4-mapped forms.
        assert_eq!(
            client_addr(peer, &["[2001:db8::1]:443"], &proxies),
            addr("[2001:db8::1]:0")
        );
        assert_eq!(
            client_addr(
                addr("[::ffff:127.0.0.1]:9"),
                &["::ffff:198.51.100.2"],
                &proxies
            ),
            addr("198.51.100.2:0")
        );
    }

    #[test]
    fn origins_own_listed_or_absent_are_allowed() {
        let none: Vec<String> = Vec::new();
        assert!(origin_allowed(
            None,
            "http",
            Some("chat.example.org"),
            &none
        ));
        assert!(origin_allowed(
            Some("http://Chat.Example.org"),
            "http",
            Some("chat.example.org"),
            &none
        ));
        assert!(origin_allowed(
            Some("https://chat.example.org"),
            "https",
            Some("chat.example.org:443"),
            &none
        ));
        // Same host, other scheme or port: another origin.
        assert!(!origin_allowed(
            Some("https://chat.example.org"),
            "http",
            Some("chat.example.org"),
            &none
        ));
        assert!(!origin_allowed(
            Some("http://chat.example.org:8081"),
            "http",
            Some("chat.example.org:8080"),
            &none
        ));
        assert!(!origin_allowed(Some("null"), "http", Some("x"), &none));
        assert!(!origin_allowed(
            Some("http://evil.example"),
            "http",
            None,
            &none
        ));
        let listed = vec!["https://web.example.org/".to_string()];
        assert!(origin_allowed(
            Some("https://web.example.org"),
            "http",
            Some("127.0.0.1:8080"),
            &listed
        ));
        assert!(!origin_allowed(
            Some("https://evil.example"),
            "http",
            Some("127.0.0.1:8080"),
            &listed
        ));
        assert!(origin_allowed(
            Some("https://evil.example"),
            "http",
            None,
            &["*".to_string()]
        ));
    }
}
