//! The kinds of listener natter binds ([`Listener`]: who connects, where
//! each is configured, what turning it off loses) and how a TCP listener
//! is bound (`bind`: backlog, receive buffer, TCP_NODELAY). The server
//! (`crate::server`) binds them at start-up and hands what they accept to
//! the front ends.

use std::net::SocketAddr;

use natter_model::Frontend;

use crate::config::Config;
use crate::services::{Over, Service};

/// A kind of listener, for messages that must say which listener failed
/// and where it is configured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listener {
    /// IRC clients: `--listen`, `listen.irc`.
    Irc,
    /// IM protocol clients: `--im-listen`, `listen.im`.
    Im,
    /// Server links: `--link-listen`, `listen.link`.
    Link,
    /// IRC clients over TLS: `--tls-listen`, `listen.irc_tls`.
    IrcTls,
    /// IM protocol clients over TLS: `listen.im_tls`.
    ImTls,
    /// Server links over TLS: `listen.link_tls`.
    LinkTls,
    /// The web client, IRC over WebSocket, `/healthz`: `--http-listen`,
    /// `listen.http`.
    Http,
    /// The same over HTTPS: `listen.http_tls`.
    HttpTls,
    /// Prometheus metrics: `--metrics-listen`, `listen.metrics`.
    Metrics,
    /// The echo service over TCP (RFC 862): `listen.echo`.
    Echo,
    /// The echo service over UDP (RFC 862): `listen.echo_udp`.
    EchoUdp,
    /// The daytime service over TCP (RFC 867): `listen.daytime`.
    Daytime,
    /// The daytime service over UDP (RFC 867): `listen.daytime_udp`.
    DaytimeUdp,
}

impl Listener {
    /// Every kind, in the order they are bound.
    pub const ALL: [Listener; 13] = [
        Listener::Irc,
        Listener::Im,
        Listener::Link,
        Listener::IrcTls,
        Listener::ImTls,
        Listener::LinkTls,
        Listener::Http,
        Listener::HttpTls,
        Listener::Metrics,
        Listener::Echo,
        Listener::EchoUdp,
        Listener::Daytime,
        Listener::DaytimeUdp,
    ];

    /// Who connects to it, as in "cannot listen for IRC clients".
    pub fn serves(self) -> &'static str {
        match self {
            Listener::Irc => "IRC clients",
            Listener::Im => "IM clients",
            Listener::Link => "server links",
            Listener::IrcTls => "IRC clients over TLS",
            Listener::ImTls => "IM clients over TLS",
            Listener::LinkTls => "server links over TLS",
            Listener::Http => "HTTP (web client and WebSocket)",
            Listener::HttpTls => "HTTPS (web client and WebSocket)",
            Listener::Metrics => "metrics scrapes",
            Listener::Echo => "echo over TCP",
            Listener::EchoUdp => "echo over UDP",
            Listener::Daytime => "daytime over TCP",
            Listener::DaytimeUdp => "daytime over UDP",
        }
    }

    /// The command-line flag that replaces its addresses, if there is one.
    pub fn flag(self) -> Option<&'static str> {
        match self {
            Listener::Irc => Some("--listen"),
            Listener::Im => Some("--im-listen"),
            Listener::Link => Some("--link-listen"),
            Listener::IrcTls => Some("--tls-listen"),
            Listener::Http => Some("--http-listen"),
            Listener::Metrics => Some("--metrics-listen"),
            Listener::ImTls
            | Listener::LinkTls
            | Listener::HttpTls
            | Listener::Echo
            | Listener::EchoUdp
            | Listener::Daytime
            | Listener::DaytimeUdp => None,
        }
    }

    /// The key in the configuration file's `[listen]` section.
    pub fn key(self) -> &'static str {
        match self {
            Listener::Irc => "irc",
            Listener::Im => "im",
            Listener::Link => "link",
            Listener::IrcTls => "irc_tls",
            Listener::ImTls => "im_tls",
            Listener::LinkTls => "link_tls",
            Listener::Http => "http",
            Listener::HttpTls => "http_tls",
            Listener::Metrics => "metrics",
            Listener::Echo => "echo",
            Listener::EchoUdp => "echo_udp",
            Listener::Daytime => "daytime",
            Listener::DaytimeUdp => "daytime_udp",
        }
    }

    /// Its addresses in `config`.
    pub fn addrs(self, config: &Config) -> &[SocketAddr] {
        let l = &config.listen;
        match self {
            Listener::Irc => &l.irc,
            Listener::Im => &l.im,
            Listener::Link => &l.link,
            Listener::IrcTls => &l.irc_tls,
            Listener::ImTls => &l.im_tls,
            Listener::LinkTls => &l.link_tls,
            Listener::Http => &l.http,
            Listener::HttpTls => &l.http_tls,
            Listener::Metrics => &l.metrics,
            Listener::Echo => &l.echo,
            Listener::EchoUdp => &l.echo_udp,
            Listener::Daytime => &l.daytime,
            Listener::DaytimeUdp => &l.daytime_udp,
        }
    }

    /// What an empty list of its addresses turns off, when natter runs
    /// without it (`None`: it is the point of the server).
    pub fn off(self) -> Option<&'static str> {
        match self {
            Listener::Irc => None,
            Listener::Im => Some("the IM front end"),
            Listener::Link => Some("incoming server links"),
            Listener::IrcTls => Some("IRC over TLS"),
            Listener::ImTls => Some("the IM protocol over TLS"),
            Listener::LinkTls => Some("incoming server links over TLS"),
            Listener::Http => Some("the web client"),
            Listener::HttpTls => Some("the web client over HTTPS"),
            Listener::Metrics => Some("metrics"),
            Listener::Echo => Some("echo over TCP"),
            Listener::EchoUdp => Some("echo over UDP"),
            Listener::Daytime => Some("daytime over TCP"),
            Listener::DaytimeUdp => Some("daytime over UDP"),
        }
    }

    /// Whether its connections start with a TLS handshake.
    pub fn tls(self) -> bool {
        matches!(
            self,
            Listener::IrcTls | Listener::ImTls | Listener::LinkTls | Listener::HttpTls
        )
    }

    /// The small service it serves, and over what (`None`: not one of
    /// them).
    pub fn service(self) -> Option<(Service, Over)> {
        match self {
            Listener::Echo => Some((Service::Echo, Over::Tcp)),
            Listener::EchoUdp => Some((Service::Echo, Over::Udp)),
            Listener::Daytime => Some((Service::Daytime, Over::Tcp)),
            Listener::DaytimeUdp => Some((Service::Daytime, Over::Udp)),
            _ => None,
        }
    }

    /// The client front end its connections speak directly (`None`:
    /// server links, HTTP and metrics).
    pub(crate) fn frontend(self) -> Option<Frontend> {
        match self {
            Listener::Irc | Listener::IrcTls => Some(Frontend::Irc),
            Listener::Im | Listener::ImTls => Some(Frontend::Im),
            _ => None,
        }
    }
}

/// Listen backlog: connections the kernel holds before natter accepts
/// them. The default of 128 makes bursts of connecting clients (a netsplit
/// rejoin, a load test) wait for SYN retransmits; the kernel still caps it
/// at net.core.somaxconn.
const BACKLOG: u32 = 4096;

/// SO_RCVBUF of client connections, in bytes (the kernel doubles it for
/// its bookkeeping): four RecvQs' worth.
const CLIENT_RCVBUF: usize = 64 * 1024;

/// Binds a non-blocking listener with SO_REUSEADDR (restarts do not wait
/// for TIME_WAIT), TCP_NODELAY for its connections, and a large backlog.
/// It is a std listener, registered with a loop only inside its accept
/// loop.
pub(crate) fn bind(addr: SocketAddr, kind: Listener) -> std::io::Result<std::net::TcpListener> {
    use socket2::{Domain, Socket, Type};
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, None)?;
    socket.set_reuse_address(true)?;
    // A chat client's input is small and the RecvQ caps what natter keeps
    // of it: a small kernel receive buffer for client listeners (inherited
    // by their connections) keeps a flooder from pushing megabytes into
    // the kernel before its RecvQ cuts it off.
    if matches!(
        kind,
        Listener::Irc | Listener::Im | Listener::IrcTls | Listener::ImTls
    ) {
        socket.set_recv_buffer_size(CLIENT_RCVBUF)?;
    }
    // Accepted sockets inherit TCP_NODELAY from the listener on Linux: one
    // setsockopt here instead of one per connection. Lines are coalesced
    // by the writer already; Nagle would only delay the last of a burst.
    socket.set_tcp_nodelay(true)?;
    socket.bind(&addr.into())?;
    socket.listen(BACKLOG as i32)?;
    socket.set_nonblocking(true)?;
    Ok(socket.into())
}
