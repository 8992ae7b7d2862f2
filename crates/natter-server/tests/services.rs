//! The lectures' echo (RFC 862) and daytime (RFC 867) services over TCP
//! and UDP (issue 14): every byte echoed back, one date line near now,
//! UDP replies never larger than their requests, and chat's protections
//! (connection limits per address, D-lines, the rate window) applied to
//! them. Other hosts are other loopback addresses (127.0.0.2).

mod common;

use std::io::{ErrorKind, Read, Write};
use std::net::{IpAddr, Ipv4Addr, Shutdown, SocketAddr, TcpStream, UdpSocket};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::*;
use natter_server::{Config, Listener};

const HERE: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);
const OTHER: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));

/// How long a UDP test waits before it takes a missing reply as none.
const NO_REPLY: Duration = Duration::from_millis(500);

/// Turns on every service listener on an ephemeral loopback port.
fn with_services(c: &mut Config) {
    let any: SocketAddr = "127.0.0.1:0".parse().unwrap();
    c.listen.echo = vec![any];
    c.listen.echo_udp = vec![any];
    c.listen.daytime = vec![any];
    c.listen.daytime_udp = vec![any];
}

/// A server with the services on, `tweak`ed after.
fn server(tweak: impl FnOnce(&mut Config)) -> TestServer {
    TestServer::with_config(|c| {
        with_services(c);
        tweak(c);
    })
}

/// The bound address of `kind` on `server`.
fn addr(server: &TestServer, kind: Listener) -> SocketAddr {
    let addrs = server.addrs(kind);
    assert_eq!(addrs.len(), 1, "{kind:?}: {addrs:?}");
    addrs[0]
}

/// A TCP connection to `kind` from the local address `from`.
fn tcp_from(server: &TestServer, kind: Listener, from: IpAddr) -> TcpStream {
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    socket.bind(&SocketAddr::new(from, 0).into()).unwrap();
    socket.connect(&addr(server, kind).into()).unwrap();
    let stream: TcpStream = socket.into();
    stream.set_read_timeout(Some(TIMEOUT)).unwrap();
    stream
}

/// A TCP connection to `kind` from 127.0.0.1.
fn tcp(server: &TestServer, kind: Listener) -> TcpStream {
    tcp_from(server, kind, HERE)
}

/// Reads exactly `n` bytes.
fn read_n(stream: &mut TcpStream, n: usize) -> Vec<u8> {
    let mut buf = vec![0; n];
    stream.read_exact(&mut buf).expect("the echo");
    buf
}

/// Whether an echo connection was admitted: `ping` comes back, where a
/// refused one is closed (end of stream, or a reset) without a byte.
fn echoes(stream: &mut TcpStream) -> bool {
    // The write may already fail on a connection the server closed.
    if stream.write_all(b"ping").is_err() {
        return false;
    }
    let mut buf = [0u8; 4];
    match stream.read(&mut buf) {
        Ok(0) => false,
        Ok(n) => {
            let rest = if n < 4 {
                read_n(stream, 4 - n)
            } else {
                Vec::new()
            };
            assert_eq!([&buf[..n], &rest[..]].concat(), b"ping");
            true
        }
        Err(e) if e.kind() == ErrorKind::ConnectionReset => false,
        Err(e) => panic!("neither an echo nor a close: {e}"),
    }
}

/// Everything until the end of the stream (a reset counts as the end).
fn read_to_end(stream: &mut TcpStream) -> Vec<u8> {
    let mut got = Vec::new();
    match stream.read_to_end(&mut got) {
        Ok(_) => {}
        Err(e) if e.kind() == ErrorKind::ConnectionReset => {}
        Err(e) => panic!("no end of stream: {e}"),
    }
    got
}

/// A UDP socket on `from`, any port.
fn udp_from(from: IpAddr) -> UdpSocket {
    let socket = UdpSocket::bind(SocketAddr::new(from, 0)).unwrap();
    socket.set_read_timeout(Some(TIMEOUT)).unwrap();
    socket
}

/// Sends `request` to `to` and returns the reply, checking it came from
/// `to`; `None` when nothing came within [`NO_REPLY`].
fn ask_udp(socket: &UdpSocket, to: SocketAddr, request: &[u8]) -> Option<Vec<u8>> {
    socket.send_to(request, to).unwrap();
    socket.set_read_timeout(Some(NO_REPLY)).unwrap();
    let mut buf = vec![0u8; 70_000];
    match socket.recv_from(&mut buf) {
        Ok((n, from)) => {
            assert_eq!(from, to, "a reply from the service's own address");
            Some(buf[..n].to_vec())
        }
        Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => None,
        Err(e) => panic!("UDP receive: {e}"),
    }
}

/// The Unix time a daytime line (`Monday, December 7, 2026
/// 00:31:10-UTC`, no line ending) names, looked for within a minute of
/// now (`clock`'s own tests check the form against fixed dates).
fn parse_daytime(line: &str) -> u64 {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    (now - 60..now + 60)
        .find(|&t| natter_server::clock::format_daytime(t) == line)
        .unwrap_or_else(|| panic!("{line:?} is not a daytime line near now"))
}

/// Asserts `secs` is within a few seconds of now.
fn assert_near_now(secs: u64) {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!(secs.abs_diff(now) <= 5, "{secs} is not near {now}");
}

/// Bytes that are not text: every byte value, CR and LF and NUL included.
fn binary() -> Vec<u8> {
    (0..=255u8).rev().chain(0..=255).collect()
}

/// 100 KB that do not repeat within a buffer's length.
fn large() -> Vec<u8> {
    common::http::Gen::bytes(7, 100_000)
}

/// Several writes come back in order, binary bytes and a 100 KB write
/// included; when the client closes its side, the server closes too.
#[test]
fn tcp_echo_sends_every_byte_back_until_the_client_closes() {
    let server = server(|_| {});
    let mut stream = tcp(&server, Listener::Echo);
    // Round trips, one write at a time.
    for chunk in [&b"hello\r\n"[..], b"x", &binary()] {
        stream.write_all(chunk).unwrap();
        assert_eq!(read_n(&mut stream, chunk.len()), chunk);
    }
    // Then writes faster than they come back, the large one among them:
    // a writer thread, so that neither side waits on a full buffer.
    let writes = [b"first ".to_vec(), large(), binary(), b"last".to_vec()];
    let sent: Vec<u8> = writes.concat();
    let mut writer = stream.try_clone().unwrap();
    let writing = std::thread::spawn(move || {
        for w in writes {
            writer.write_all(&w).unwrap();
        }
        writer.shutdown(Shutdown::Write).unwrap();
    });
    let mut got = Vec::new();
    stream
        .read_to_end(&mut got)
        .expect("the echo, then the end");
    writing.join().unwrap();
    assert_eq!(got.len(), sent.len());
    assert!(got == sent, "the echo differs from what was sent");
}

/// Daytime over TCP: one line that names a time near now, then the end
/// of the stream; what the client sends is thrown away.
#[test]
fn tcp_daytime_is_one_line_near_now_then_the_end() {
    let server = server(|_| {});
    for says in [&b""[..], b"what time is it?\r\n"] {
        let mut stream = tcp(&server, Listener::Daytime);
        stream.write_all(says).unwrap();
        let got = String::from_utf8(read_to_end(&mut stream)).expect("text");
        let line = got.strip_suffix("\r\n").expect("one line ending in CRLF");
        assert!(!line.contains(['\r', '\n']), "{got:?}");
        assert_near_now(parse_daytime(line));
    }
}

/// Echo over UDP: each datagram comes back as it came, from the service's
/// address; an empty one too.
#[test]
fn udp_echo_returns_each_datagram_as_it_came() {
    let server = server(|_| {});
    let to = addr(&server, Listener::EchoUdp);
    let socket = udp_from(HERE);
    for request in [b"hello".to_vec(), binary(), vec![7; 9000], Vec::new()] {
        let reply = ask_udp(&socket, to, &request).expect("an echo");
        assert!(
            reply == request,
            "{} bytes back for {}",
            reply.len(),
            request.len()
        );
    }
    // From a privileged port (another server's service): no reply, so two
    // services cannot bounce datagrams between them forever.
    // Binding one needs root: under CI the test fails without it.
    match (600..1024).find_map(|port| UdpSocket::bind(SocketAddr::new(HERE, port)).ok()) {
        Some(privileged) => assert_eq!(ask_udp(&privileged, to, b"ping"), None),
        None if std::env::var_os("CI").is_none() => {
            eprintln!("skipped the privileged-port check: cannot bind one (needs root)")
        }
        None => panic!("cannot bind a privileged port under CI"),
    }
}

/// Daytime over UDP: a request as long as the line gets the whole line,
/// near now; a shorter one at most its own length, the line's start.
#[test]
fn udp_daytime_replies_are_cut_to_the_request() {
    let server = server(|_| {});
    let to = addr(&server, Listener::DaytimeUdp);
    let socket = udp_from(HERE);
    let reply = ask_udp(&socket, to, &[b'?'; 64]).expect("the date");
    let text = String::from_utf8(reply).unwrap();
    let line = text.strip_suffix("\r\n").expect("the whole line");
    assert_near_now(parse_daytime(line));
    let short = ask_udp(&socket, to, b"abc").expect("a reply");
    assert!(short.len() <= 3, "{short:?}");
    assert!(
        ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
            .iter()
            .any(|d| d.as_bytes().starts_with(&short)),
        "{short:?}"
    );
    let one = ask_udp(&socket, to, b"\n").expect("a reply");
    assert!(one.len() <= 1, "{one:?}");
}

/// TCP echo connections count under `[connections] per_host` together
/// with chat clients: past the limit either kind is refused, another
/// address is not, and a closed connection frees its slot.
#[test]
fn tcp_echo_shares_the_per_address_limit_with_chat() {
    let server = server(|c| {
        protected(c);
        c.connections.per_host = 2;
        c.listen.metrics = vec!["127.0.0.1:0".parse().unwrap()];
    });
    let _chat = server.client("chat");
    let mut first = tcp(&server, Listener::Echo);
    assert!(echoes(&mut first));
    let mut refused = tcp(&server, Listener::Echo);
    assert!(!echoes(&mut refused), "a third connection from one address");
    let mut daytime = tcp(&server, Listener::Daytime);
    assert!(
        read_to_end(&mut daytime).is_empty(),
        "daytime is refused too"
    );
    assert_eq!(
        server.connect().read_until_closed(),
        ["ERROR :Closing Link: 127.0.0.1 (Too many connections from your address)"]
    );
    let mut other = tcp_from(&server, Listener::Echo, OTHER);
    assert!(echoes(&mut other), "another address has its own limit");

    let metrics = scrape(&server);
    assert_eq!(
        figure(
            &metrics,
            "natter_service_connections",
            &[("service", "echo")]
        ),
        2.0
    );
    let refused_echo = [
        ("service", "echo"),
        ("transport", "tcp"),
        ("result", "refused"),
    ];
    assert_eq!(
        figure(&metrics, "natter_service_requests_total", &refused_echo),
        1.0
    );

    // Closing an echo connection frees its slot once the server saw it.
    first.shutdown(Shutdown::Write).unwrap();
    assert!(read_to_end(&mut first).is_empty());
    drop(first);
    let mut again = None;
    for _ in 0..50 {
        let mut c = tcp(&server, Listener::Echo);
        if echoes(&mut c) {
            again = Some(c);
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(again.is_some(), "the freed slot was never given again");
}

/// A D-lined address gets nothing: its TCP connections are closed at
/// once and its datagrams get no reply, while other addresses are served;
/// UNDLINE serves it again.
#[test]
fn dlined_addresses_get_nothing_over_tcp_or_udp() {
    let server = server_with_root(with_services);
    let mut op = server.client("op");
    oper_up(&mut op);
    op.ask("DLINE 127.0.0.2 :no echoes");
    let mut echo = tcp_from(&server, Listener::Echo, OTHER);
    assert!(!echoes(&mut echo));
    let mut daytime = tcp_from(&server, Listener::Daytime, OTHER);
    assert!(read_to_end(&mut daytime).is_empty());
    let banned = udp_from(OTHER);
    let here = udp_from(HERE);
    for kind in [Listener::EchoUdp, Listener::DaytimeUdp] {
        let to = addr(&server, kind);
        assert_eq!(ask_udp(&banned, to, &[b'x'; 60]), None, "{kind:?}");
        assert!(ask_udp(&here, to, &[b'x'; 60]).is_some(), "{kind:?}");
    }
    op.ask("UNDLINE 127.0.0.2");
    let mut echo = tcp_from(&server, Listener::Echo, OTHER);
    assert!(echoes(&mut echo));
    let to = addr(&server, Listener::EchoUdp);
    assert_eq!(ask_udp(&banned, to, b"back").as_deref(), Some(&b"back"[..]));
}

/// Each datagram counts as a connection start: past `per_window` within
/// the window an address gets no reply, from either UDP service, while
/// another address still does.
#[test]
fn udp_requests_past_the_rate_window_get_no_reply() {
    let server = server(|c| {
        protected(c);
        c.connections.per_window = 3;
        c.connections.window = 3600;
    });
    let echo = addr(&server, Listener::EchoUdp);
    let daytime = addr(&server, Listener::DaytimeUdp);
    let socket = udp_from(HERE);
    for i in 0..3u8 {
        assert_eq!(ask_udp(&socket, echo, &[i]), Some(vec![i]));
    }
    assert_eq!(ask_udp(&socket, echo, b"4"), None);
    assert_eq!(ask_udp(&socket, daytime, &[0; 60]), None);
    let other = udp_from(OTHER);
    assert_eq!(ask_udp(&other, echo, b"ok").as_deref(), Some(&b"ok"[..]));
}

/// Shutting the server down closes an open echo connection.
#[test]
fn shutdown_closes_open_echo_connections() {
    let mut server = server(|_| {});
    let mut stream = tcp(&server, Listener::Echo);
    assert!(echoes(&mut stream));
    server.stop();
    assert!(read_to_end(&mut stream).is_empty());
}

/// The text of a scrape of `server`'s metrics listener.
fn scrape(server: &TestServer) -> String {
    let mut stream = TcpStream::connect(server.addrs(Listener::Metrics)[0]).unwrap();
    stream.set_read_timeout(Some(TIMEOUT)).unwrap();
    stream
        .write_all(b"GET /metrics HTTP/1.1\r\nHost: natter\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut text = String::new();
    stream.read_to_string(&mut text).unwrap();
    text
}

/// The value of the sample `name` with exactly `labels` in `text`.
fn figure(text: &str, name: &str, labels: &[(&str, &str)]) -> f64 {
    let want: Vec<String> = labels.iter().map(|(k, v)| format!("{k}=\"{v}\"")).collect();
    text.lines()
        .filter_map(|l| l.strip_prefix(name)?.strip_prefix('{'))
        .filter_map(|l| l.split_once("} "))
        .find(|(set, _)| {
            let have: Vec<&str> = set.split(',').collect();
            have.len() == want.len() && want.iter().all(|w| have.contains(&w.as_str()))
        })
        .map(|(_, value)| value.trim().parse().unwrap())
        .unwrap_or_else(|| panic!("no {name}{labels:?} in the scrape"))
}
