//! The HTTP listener end to end: IRC over WebSocket (IRCv3 `websocket`)
//! with text and binary framing against TCP clients, the origin
//! allow-list, X-Forwarded-For from trusted proxies, `/healthz`, the web
//! client's files, and all of it over HTTPS.
//!
//! The WebSocket client is tungstenite's blocking one (as re-exported by
//! tokio-tungstenite) over std sockets, with a read timeout: a test that
//! waits for a message that never comes fails instead of hanging.

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};

use common::*;
use natter_proto::Message as Irc;
use natter_server::Listener;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::{HeaderValue, StatusCode};
use tokio_tungstenite::tungstenite::{self, Message, WebSocket};

// ---- a blocking WebSocket IRC client ----

/// One WebSocket IRC client.
struct Ws<S: Read + Write> {
    ws: WebSocket<S>,
    /// The subprotocol the server answered with.
    protocol: Option<String>,
    nick: String,
    sync_counter: u32,
}

/// Request headers a test adds to the handshake.
#[derive(Default)]
struct Opts<'a> {
    protocols: &'a [&'a str],
    origin: Option<&'a str>,
    forwarded_for: Option<&'a str>,
    path: &'a str,
}

/// The handshake over `stream`: the client, or the HTTP response that
/// refused it.
fn handshake<S: Read + Write>(
    stream: S,
    url: &str,
    opts: &Opts,
) -> Result<Ws<S>, tungstenite::http::Response<Option<Vec<u8>>>> {
    let mut req = format!("{url}{}", opts.path).into_client_request().unwrap();
    let h = req.headers_mut();
    if !opts.protocols.is_empty() {
        h.insert(
            "sec-websocket-protocol",
            HeaderValue::from_str(&opts.protocols.join(", ")).unwrap(),
        );
    }
    if let Some(o) = opts.origin {
        h.insert("origin", HeaderValue::from_str(o).unwrap());
    }
    if let Some(x) = opts.forwarded_for {
        h.insert("x-forwarded-for", HeaderValue::from_str(x).unwrap());
    }
    match tungstenite::client(req, stream) {
        Ok((ws, response)) => Ok(Ws {
            ws,
            protocol: response
                .headers()
                .get("sec-websocket-protocol")
                .map(|v| v.to_str().unwrap().to_string()),
            nick: "*".into(),
            sync_counter: 0,
        }),
        Err(tungstenite::HandshakeError::Failure(tungstenite::Error::Http(r))) => Err(*r),
        Err(e) => panic!("WebSocket handshake failed: {e}"),
    }
}

fn tcp(addr: SocketAddr) -> TcpStream {
    let s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(TIMEOUT)).unwrap();
    s
}

/// A WebSocket client on the plain HTTP listener `addr`.
fn ws(addr: SocketAddr, opts: &Opts) -> Ws<TcpStream> {
    handshake(tcp(addr), &format!("ws://{addr}"), opts)
        .unwrap_or_else(|r| panic!("refused: {}", r.status()))
}

impl<S: Read + Write> Ws<S> {
    /// Sends one text message.
    fn send(&mut self, text: &str) {
        self.ws.send(Message::text(text)).unwrap();
    }

    /// The next message: its text, and whether it was a binary message.
    /// Panics on timeout, and unless it is exactly one IRC line.
    fn recv(&mut self) -> Option<(String, bool)> {
        loop {
            let (text, binary) = match self.ws.read() {
                Ok(Message::Text(t)) => (t.to_string(), false),
                Ok(Message::Binary(b)) => (String::from_utf8(b.to_vec()).unwrap(), true),
                Ok(Message::Close(_)) => return None,
                Ok(_) => continue,
                Err(tungstenite::Error::ConnectionClosed | tungstenite::Error::AlreadyClosed) => {
                    return None
                }
                Err(e) => panic!("[{}] no message: {e}", self.nick),
            };
            assert!(
                !text.contains(['\r', '\n']) && !text.is_empty(),
                "[{}] not one line without CR LF: {text:?}",
                self.nick
            );
            return Some((text, binary));
        }
    }

    /// The next message parsed, checking its framing is `binary`'s.
    fn recv_irc(&mut self) -> Irc {
        let (line, binary) = self
            .recv()
            .unwrap_or_else(|| panic!("[{}] closed", self.nick));
        assert_eq!(
            binary,
            self.protocol.as_deref() == Some("binary.ircv3.net"),
            "[{}] wrong framing for {line:?}",
            self.nick
        );
        m(&line)
    }

    /// Reads until a message with `command` arrives.
    fn expect(&mut self, command: &str) -> Irc {
        loop {
            let msg = self.recv_irc();
            if msg.command == command {
                return msg;
            }
        }
    }

    /// Registers as `nick` and reads through the welcome burst; returns
    /// the 001.
    fn register(&mut self, nick: &str) -> Irc {
        self.send(&format!("NICK {nick}"));
        self.send(&format!("USER {nick} 0 * :Real {nick}"));
        let welcome = self.expect("001");
        loop {
            let m = self.recv_irc();
            if m.command == "376" || m.command == "422" {
                break;
            }
        }
        self.nick = nick.to_string();
        welcome
    }

    /// Every message before the PONG of a fresh PING.
    fn sync(&mut self) -> Vec<Irc> {
        self.sync_counter += 1;
        let token = format!("ws-sync-{}", self.sync_counter);
        self.send(&format!("PING {token}"));
        let mut seen = Vec::new();
        loop {
            let msg = self.recv_irc();
            if msg.command == "PONG" && msg.params.last() == Some(&token) {
                return seen;
            }
            seen.push(msg);
        }
    }
}

fn http_server(tweak: impl FnOnce(&mut natter_server::Config)) -> (TestServer, SocketAddr) {
    let server = TestServer::with_config(|c| {
        c.listen.http = vec!["127.0.0.1:0".parse().unwrap()];
        tweak(c);
    });
    let addr = server.addrs(Listener::Http)[0];
    (server, addr)
}

/// The host WHOIS shows for `nick`, asked by `asker`.
fn whois_host(asker: &mut Client, nick: &str) -> String {
    let replies = asker.ask(&format!("WHOIS {nick}"));
    one(&replies, "311").params[3].clone()
}

// ---- IRC over WebSocket ----

/// Registers `web` over `protocols`, then chats with a TCP client in a
/// channel and privately, both ways; checks every line byte for byte.
fn chat_with_tcp(protocols: &[&str], expect: Option<&str>) {
    let (server, http) = http_server(|_| {});
    let mut tcp = server.client("tcp");
    let mut web = ws(
        http,
        &Opts {
            protocols,
            path: "/socket",
            ..Opts::default()
        },
    );
    assert_eq!(web.protocol.as_deref(), expect);
    let welcome = web.register("web");
    assert_eq!(
        welcome.params.last().unwrap().rsplit(' ').next().unwrap(),
        src("web")
    );

    web.send("JOIN #chat");
    assert_eq!(
        web.expect("JOIN"),
        m(&format!(":{} JOIN #chat", src("web")))
    );
    web.expect("366");
    tcp.send("JOIN #chat");
    tcp.expect("366");
    assert_eq!(web.recv_irc(), m(&format!(":{} JOIN #chat", src("tcp"))));

    // Each web line is handled (its sync answered) before the TCP client
    // looks: the two connections are not ordered otherwise.
    web.send("PRIVMSG #chat :hello from the web");
    assert!(web.sync().is_empty());
    assert_got(&mut tcp, "web", "PRIVMSG", &["#chat", "hello from the web"]);
    tcp.send("PRIVMSG #chat :hello from tcp");
    assert_eq!(
        web.recv_irc(),
        m(&format!(":{} PRIVMSG #chat :hello from tcp", src("tcp")))
    );

    web.send("PRIVMSG tcp :psst");
    assert!(web.sync().is_empty());
    assert_got(&mut tcp, "web", "PRIVMSG", &["tcp", "psst"]);
    tcp.send("PRIVMSG web :psst back");
    assert_eq!(
        web.recv_irc(),
        m(&format!(":{} PRIVMSG web :psst back", src("tcp")))
    );
    assert!(web.sync().is_empty());
    tcp.assert_quiet();
}

#[test]
fn text_client_chats_with_a_tcp_client() {
    chat_with_tcp(&["text.ircv3.net"], Some("text.ircv3.net"));
}

#[test]
fn binary_client_chats_with_a_tcp_client() {
    chat_with_tcp(&["binary.ircv3.net"], Some("binary.ircv3.net"));
}

#[test]
fn the_clients_order_of_preference_wins_and_none_means_text() {
    chat_with_tcp(
        &["binary.ircv3.net", "text.ircv3.net"],
        Some("binary.ircv3.net"),
    );
    chat_with_tcp(
        &["text.ircv3.net", "binary.ircv3.net"],
        Some("text.ircv3.net"),
    );
    chat_with_tcp(&[], None);
}

#[test]
fn one_line_per_message_either_way() {
    let (server, http) = http_server(|_| {});
    let mut web = ws(
        http,
        &Opts {
            protocols: &["text.ircv3.net"],
            path: "/",
            ..Opts::default()
        },
    );
    web.register("web");
    // A trailing CR LF the client should not send is tolerated.
    web.send("PING :crlf\r\n");
    assert_eq!(web.recv_irc(), m(":natter.local PONG natter.local crlf"));
    // A message with a line break inside is two lines, and the two answers
    // are two messages.
    web.send("PING :one\r\nPING :two");
    assert_eq!(web.recv_irc(), m(":natter.local PONG natter.local one"));
    assert_eq!(web.recv_irc(), m(":natter.local PONG natter.local two"));
    // A reply of many lines (the MOTD burst, LUSERS) is one message each.
    web.send("LUSERS");
    let lines = web.sync();
    assert!(lines.len() >= 4, "{lines:?}");
    drop(server);
}

#[test]
fn closing_the_websocket_is_a_quit_and_quit_closes_the_websocket() {
    let (server, http) = http_server(|_| {});
    let mut tcp = server.client("tcp");
    let opts = Opts {
        protocols: &["text.ircv3.net"],
        path: "/socket",
        ..Opts::default()
    };
    let mut web = ws(http, &opts);
    web.register("web");
    join_all("#chat", &mut [&mut tcp]);
    web.send("JOIN #chat");
    web.expect("366");
    tcp.expect("JOIN");
    web.ws.close(None).unwrap();
    while web.recv().is_some() {}
    assert_got(&mut tcp, "web", "QUIT", &["Connection closed"]);

    // QUIT: the ERROR line, then a close frame.
    let mut web = ws(http, &opts);
    web.register("web2");
    web.send("JOIN #chat");
    web.expect("366");
    tcp.expect("JOIN");
    web.send("QUIT :bye now");
    let error = web.expect("ERROR");
    assert!(error.params[0].starts_with("Closing Link"), "{error:?}");
    assert_eq!(web.recv(), None);
    assert_got(&mut tcp, "web2", "QUIT", &["Quit: bye now"]);
}

#[test]
fn invalid_utf8_in_a_text_message_fails_the_connection() {
    let (server, http) = http_server(|_| {});
    let mut tcp = server.client("tcp");
    let mut web = ws(
        http,
        &Opts {
            protocols: &["text.ircv3.net"],
            path: "/socket",
            ..Opts::default()
        },
    );
    web.register("web");
    // tungstenite will not send such a frame: a masked text frame by hand.
    let payload = b"PRIVMSG tcp :caf\xe9";
    let mask = [1u8, 2, 3, 4];
    let mut frame = vec![0x81, 0x80 | payload.len() as u8];
    frame.extend_from_slice(&mask);
    frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
    web.ws.get_mut().write_all(&frame).unwrap();
    // RFC 6455 8.1: the connection fails, with close code 1007.
    let code = loop {
        match web.ws.read() {
            Ok(Message::Close(frame)) => break frame.map(|f| u16::from(f.code)),
            Ok(_) => continue,
            Err(e) => panic!("no close frame: {e}"),
        }
    };
    assert_eq!(code, Some(1007));
    // The user quit; the line never reached anyone.
    let whois = tcp.ask("WHOIS web");
    one(&whois, "401");
    assert!(with_command(&whois, "PRIVMSG").is_empty());
}

#[test]
fn shutdown_closes_websockets_and_idle_http_connections_promptly() {
    let (mut server, http) = http_server(|_| {});
    let mut web = ws(
        http,
        &Opts {
            protocols: &["binary.ircv3.net"],
            path: "/socket",
            ..Opts::default()
        },
    );
    web.register("web");
    // A kept-alive HTTP connection, idle after its request.
    let mut idle = tcp(http);
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let mut first = [0u8; 12];
    idle.read_exact(&mut first).unwrap();
    assert_eq!(&first, b"HTTP/1.1 200");
    let started = std::time::Instant::now();
    server.stop();
    assert!(
        started.elapsed() < std::time::Duration::from_secs(3),
        "shutdown waited {:?}",
        started.elapsed()
    );
    let error = web.expect("ERROR");
    assert!(
        error.params[0].contains("Server shutting down"),
        "{error:?}"
    );
    assert_eq!(web.recv(), None);
}

// ---- origins and proxies ----

#[test]
fn origins_not_allowed_are_refused() {
    let (_server, http) = http_server(|c| {
        c.http.allowed_origins = vec!["https://web.example.org".into()];
    });
    let url = format!("ws://{http}");
    let with = |origin: Option<&str>| {
        handshake(
            tcp(http),
            &url,
            &Opts {
                protocols: &["text.ircv3.net"],
                origin,
                path: "/socket",
                ..Opts::default()
            },
        )
    };
    match with(Some("https://evil.example")) {
        Err(r) => assert_eq!(r.status(), StatusCode::FORBIDDEN),
        Ok(_) => panic!("a foreign origin was let in"),
    }
    // Listed, the page's own origin, or no Origin (not a browser).
    let own = format!("http://{http}");
    for origin in [Some("https://web.example.org"), Some(own.as_str()), None] {
        let mut web = with(origin).unwrap_or_else(|r| panic!("{origin:?}: {}", r.status()));
        web.register("web");
        web.send("QUIT");
        web.expect("ERROR");
    }
}

#[test]
fn any_origin_with_a_star() {
    let (_server, http) = http_server(|c| c.http.allowed_origins = vec!["*".into()]);
    let mut web = ws(
        http,
        &Opts {
            origin: Some("https://anywhere.example"),
            path: "/socket",
            ..Opts::default()
        },
    );
    web.register("web");
}

#[test]
fn forwarded_for_counts_only_from_a_trusted_proxy() {
    let opts = Opts {
        protocols: &["text.ircv3.net"],
        forwarded_for: Some("203.0.113.50, 198.51.100.7"),
        path: "/socket",
        ..Opts::default()
    };
    // Trusted: the rightmost address that is not a proxy.
    let (server, http) = http_server(|c| c.http.trusted_proxies = vec!["127.0.0.1/32".into()]);
    let mut web = ws(http, &opts);
    let welcome = web.register("web");
    assert!(
        welcome.params[1].ends_with("web!~web@198.51.100.7"),
        "{welcome:?}"
    );
    let mut tcp = server.client("tcp");
    assert_eq!(whois_host(&mut tcp, "web"), "198.51.100.7");
    drop(server);

    // Not trusted: the header is ignored.
    let (server, http) = http_server(|c| c.http.trusted_proxies = vec!["10.0.0.0/8".into()]);
    let mut web = ws(http, &opts);
    web.register("web");
    let mut tcp = server.client("tcp");
    assert_eq!(whois_host(&mut tcp, "web"), "127.0.0.1");
}

// ---- plain HTTP ----

/// One HTTP/1.1 request over `stream` (`Connection: close`): the status,
/// the headers (names lowercase) and the body.
fn get<S: Read + Write>(
    mut stream: S,
    method: &str,
    path: &str,
) -> (u16, Vec<(String, String)>, String) {
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw);
    let text = String::from_utf8(raw).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").expect("a whole response");
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers = lines
        .map(|l| {
            let (k, v) = l.split_once(':').unwrap();
            (k.trim().to_ascii_lowercase(), v.trim().to_string())
        })
        .collect();
    (status, headers, body.to_string())
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

#[test]
fn healthz_answers_ok() {
    let (_server, http) = http_server(|_| {});
    let (status, headers, body) = get(tcp(http), "GET", "/healthz");
    assert_eq!((status, body.as_str()), (200, "ok"));
    assert_eq!(
        header(&headers, "content-type"),
        Some("text/plain; charset=utf-8")
    );
}

#[test]
fn the_web_client_is_served_with_its_security_headers() {
    let (_server, http) = http_server(|_| {});
    let (status, headers, body) = get(tcp(http), "GET", "/");
    assert_eq!(status, 200);
    assert_eq!(
        header(&headers, "content-type"),
        Some("text/html; charset=utf-8")
    );
    assert_eq!(
        body.as_bytes(),
        std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../../web/index.html")).unwrap()
    );
    let csp = header(&headers, "content-security-policy").expect("a CSP");
    assert!(csp.contains("default-src 'self'"), "{csp}");
    assert!(csp.contains("connect-src 'self';"), "{csp}");
    // Shared images are shown from blob: URLs (web/upload.js), and only
    // those: no other host.
    assert!(csp.contains("img-src 'self' data: blob:;"), "{csp}");
    assert_eq!(header(&headers, "x-content-type-options"), Some("nosniff"));
    assert_eq!(header(&headers, "cache-control"), Some("no-cache"));

    for (path, kind) in [
        ("/app.js", "text/javascript; charset=utf-8"),
        ("/style.css", "text/css; charset=utf-8"),
    ] {
        let (status, headers, _) = get(tcp(http), "GET", path);
        assert_eq!(
            (status, header(&headers, "content-type")),
            (200, Some(kind))
        );
    }
    let (status, headers, _) = get(tcp(http), "GET", "/natter.toml");
    assert_eq!(status, 404);
    assert_eq!(header(&headers, "x-content-type-options"), Some("nosniff"));
    assert_eq!(get(tcp(http), "POST", "/").0, 405);
}

// ---- HTTPS ----

type Tls = common::tls::Stream;

/// A TLS connection to `addr` that trusts the certificate `fingerprint`
/// only.
fn tls(addr: SocketAddr, fingerprint: &str) -> Tls {
    let (stream, seen) = common::tls::tls_stream(addr, None);
    assert_eq!(seen, fingerprint, "the server's certificate");
    stream
}

#[test]
fn https_serves_healthz_and_websocket_over_tls() {
    let server = TestServer::with_config(|c| {
        c.listen.http_tls = vec!["127.0.0.1:0".parse().unwrap()];
    });
    let https = server.addrs(Listener::HttpTls)[0];
    let fingerprint = server.tls_fingerprint().expect("a certificate");

    let (status, _, body) = get(tls(https, &fingerprint), "GET", "/healthz");
    assert_eq!((status, body.as_str()), (200, "ok"));

    let mut web = handshake(
        tls(https, &fingerprint),
        &format!("wss://localhost:{}", https.port()),
        &Opts {
            protocols: &["text.ircv3.net"],
            // The page natter served over HTTPS.
            origin: Some(&format!("https://localhost:{}", https.port())),
            path: "/socket",
            ..Opts::default()
        },
    )
    .unwrap_or_else(|r| panic!("refused: {}", r.status()));
    web.register("secure");
    let mut irc = server.client("tcp");
    irc.send("PRIVMSG secure :over tls");
    assert_eq!(
        web.recv_irc(),
        m(&format!(":{} PRIVMSG secure :over tls", src("tcp")))
    );
    web.send("PRIVMSG tcp :back");
    assert!(web.sync().is_empty());
    assert_got(&mut irc, "secure", "PRIVMSG", &["tcp", "back"]);
    // WebSocket over TLS is a secure connection (RPL_WHOISSECURE).
    let whois = irc.ask("WHOIS secure");
    assert_eq!(params(one(&whois, "671"))[1], "secure");
    // QUIT: the ERROR line, the close frame, then TLS close_notify (the
    // stream ends cleanly, not with an unexpected EOF).
    web.send("QUIT :done");
    while web.recv().is_some() {}
    let mut rest = Vec::new();
    let end = web.ws.get_mut().read_to_end(&mut rest);
    assert!(end.is_ok(), "no close_notify: {end:?}");

    // A plain-text request on the HTTPS port gets no HTTP answer.
    let mut plain = tcp(https);
    plain
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .unwrap();
    let mut raw = Vec::new();
    let _ = plain.read_to_end(&mut raw);
    assert!(!raw.starts_with(b"HTTP"), "{raw:?}");
}
