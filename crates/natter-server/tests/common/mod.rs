//! Shared by the end-to-end tests: a real natter server on an ephemeral
//! loopback port, a blocking line-oriented IRC client to talk to it over
//! TCP, builders for expected messages, assertions on what was received,
//! IRC setup steps (capabilities, channels, operators) and a blocking IM
//! client.
//!
//! `Client::sync` sends a PING with a unique token and collects every line
//! that arrives before the PONG: the server handles a client's lines in
//! order, so this proves what was (and was not) sent in between, without
//! sleeping. [`Im::sync`] does the same for the IM protocol.
//!
//! Each test file compiles this module on its own and uses a part of it.

#![allow(dead_code)]

pub mod http;
mod im;
pub mod links;
pub mod tls;

// Not every test file talks IM.
#[allow(unused_imports)]
pub use im::*;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use natter_proto::im::{ConvId, Reply};
use natter_proto::Message;
use natter_server::config::Oper;
use natter_server::{Config, Overrides, Running};

// ---- server and client harness ----

/// How long any single expected line may take before a test fails.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// A running server, stopped when dropped.
pub struct TestServer {
    /// The IRC listener.
    pub addr: SocketAddr,
    /// The IM listener, unless the test turned it off.
    pub im_addr: Option<SocketAddr>,
    /// The server link listener, if the test turned one on.
    pub link_addr: Option<SocketAddr>,
    running: Option<Running>,
    runtime: Option<tokio::runtime::Runtime>,
    /// The temporary directory holding the server's data directory.
    pub dir: tempfile::TempDir,
}

impl TestServer {
    /// A server on embedded defaults (but an ephemeral port and a temp data dir).
    pub fn start() -> TestServer {
        Self::with_config(|_| {})
    }

    /// A server whose default configuration `tweak` adjusts first.
    pub fn with_config(tweak: impl FnOnce(&mut Config)) -> TestServer {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut config = Config::default();
        config.listen.irc = vec!["127.0.0.1:0".parse().unwrap()];
        config.listen.im = vec!["127.0.0.1:0".parse().unwrap()];
        // The TLS, HTTP and metrics listeners are on by default on fixed
        // ports; a test that wants one asks for it on port 0.
        config.listen.irc_tls.clear();
        config.listen.http.clear();
        config.listen.metrics.clear();
        config.server.data_dir = dir.path().join("data");
        // The tests connect many clients from 127.0.0.1 and send quickly:
        // flood control and per-address limits are off unless a test turns
        // them on again (tests/protections.rs).
        config.lift_protections();
        // Host cloaking (on by default) is off here: most tests compare
        // sources with `nick!~nick@127.0.0.1` (see [`src`]). tests/cloak.rs
        // and the tests that ask for it turn it back on.
        config.privacy.cloak = false;
        tweak(&mut config);
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        // REHASH without a file goes back to the embedded defaults; the
        // override keeps the data directory in the test's temporary one.
        let overrides = Overrides {
            data_dir: Some(config.server.data_dir.clone()),
            ..Overrides::default()
        };
        let running = runtime
            .block_on(natter_server::start(config, overrides))
            .expect("server starts");
        TestServer {
            addr: running.irc_addrs[0],
            im_addr: running.im_addrs.first().copied(),
            link_addr: running.link_addrs.first().copied(),
            running: Some(running),
            runtime: Some(runtime),
            dir,
        }
    }

    /// A raw connection, not registered.
    pub fn connect(&self) -> Client {
        Client::connect(self.addr)
    }

    /// A connection registered as `nick` (welcome burst consumed).
    pub fn client(&self, nick: &str) -> Client {
        let mut c = self.connect();
        c.register(nick);
        c
    }

    /// The bound addresses of listeners of `kind`.
    pub fn addrs(&self, kind: natter_server::Listener) -> Vec<SocketAddr> {
        self.running.as_ref().expect("running").addrs(kind)
    }

    /// The SHA-256 fingerprint of the server's TLS certificate.
    pub fn tls_fingerprint(&self) -> Option<String> {
        self.running.as_ref()?.tls_fingerprint.clone()
    }

    /// Stops the server (as SIGTERM would) and waits for it.
    pub fn stop(&mut self) {
        if let (Some(running), Some(rt)) = (self.running.take(), self.runtime.as_ref()) {
            running.shutdown();
            rt.block_on(running.wait());
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.stop();
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_timeout(Duration::from_secs(2));
        }
    }
}

/// A blocking IRC client.
pub struct Client {
    /// The nick it registered as (`*` before), for replies and messages.
    pub nick: String,
    reader: BufReader<Box<dyn Read + Send>>,
    writer: Box<dyn Write + Send>,
    sync_counter: u32,
}

/// A TLS client stream shared by a [`Client`]'s reader and writer (the
/// tests read and write from one thread, so the lock is never contended).
#[derive(Clone)]
pub struct TlsStream(
    pub std::sync::Arc<std::sync::Mutex<rustls::StreamOwned<rustls::ClientConnection, TcpStream>>>,
);

impl Read for TlsStream {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().read(buf)
    }
}

impl Write for TlsStream {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut s = self.0.lock().unwrap();
        let n = s.write(buf)?;
        s.flush()?;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.0.lock().unwrap().flush()
    }
}

impl Client {
    /// Connects to `addr`.
    pub fn connect(addr: SocketAddr) -> Client {
        Client::over_tcp(TcpStream::connect(addr).expect("connect"))
    }

    /// Connects to `addr` from the local address `from` (another loopback
    /// address, 127.0.0.2, stands for another host).
    pub fn connect_from(addr: SocketAddr, from: std::net::IpAddr) -> Client {
        let socket = socket2::Socket::new(
            socket2::Domain::for_address(addr),
            socket2::Type::STREAM,
            None,
        )
        .expect("socket");
        socket
            .bind(&SocketAddr::new(from, 0).into())
            .expect("bind the source address");
        socket.connect(&addr.into()).expect("connect");
        Client::over_tcp(socket.into())
    }

    /// A client over a connected TCP stream.
    pub fn over_tcp(stream: TcpStream) -> Client {
        stream.set_read_timeout(Some(TIMEOUT)).unwrap();
        stream.set_nodelay(true).unwrap();
        Client {
            nick: "*".into(),
            writer: Box::new(stream.try_clone().unwrap()),
            reader: BufReader::new(Box::new(stream)),
            sync_counter: 0,
        }
    }

    /// A client over `tls` (handshake done or not: the first read or
    /// write runs it).
    pub fn over(tls: TlsStream) -> Client {
        Client {
            nick: "*".into(),
            writer: Box::new(tls.clone()),
            reader: BufReader::new(Box::new(tls)),
            sync_counter: 0,
        }
    }

    /// Registers with NICK/USER and reads through the end of the welcome
    /// burst (RPL_ENDOFMOTD or ERR_NOMOTD).
    pub fn register(&mut self, nick: &str) {
        self.send(&format!("NICK {nick}"));
        self.send(&format!("USER {nick} 0 * :Real {nick}"));
        self.expect("001");
        self.expect_any(&["376", "422"]);
        self.nick = nick.to_string();
    }

    /// Sends one line (CRLF appended).
    pub fn send(&mut self, line: &str) {
        self.send_raw(format!("{line}\r\n").as_bytes());
    }

    /// Sends bytes as they are.
    pub fn send_raw(&mut self, bytes: &[u8]) {
        self.writer.write_all(bytes).expect("write");
    }

    /// Sends bytes as they are; the server may close meanwhile.
    pub fn try_send_raw(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.writer.write_all(bytes)
    }

    /// The next raw line (without CR LF); `None` when the server closed the
    /// connection. Panics on timeout.
    pub fn recv_line(&mut self) -> Option<String> {
        let mut buf = Vec::new();
        match self.reader.read_until(b'\n', &mut buf) {
            Ok(0) => None,
            Ok(_) => {
                while matches!(buf.last(), Some(b'\n' | b'\r')) {
                    buf.pop();
                }
                Some(String::from_utf8_lossy(&buf).into_owned())
            }
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => None,
            Err(e) => panic!(
                "[{}] no line from server within {:?}: {e}",
                self.nick, TIMEOUT
            ),
        }
    }

    /// The next message. Panics on timeout or close.
    pub fn recv(&mut self) -> Message {
        let line = self
            .recv_line()
            .unwrap_or_else(|| panic!("[{}] connection closed", self.nick));
        Message::parse(&line)
            .unwrap_or_else(|e| panic!("[{}] unparsable line {line:?}: {e:?}", self.nick))
    }

    /// Reads until a message with `command` arrives and returns it; panics
    /// (showing what was skipped) on timeout or close.
    pub fn expect(&mut self, command: &str) -> Message {
        self.expect_any(&[command])
    }

    /// Reads until a message with one of `commands` arrives.
    pub fn expect_any(&mut self, commands: &[&str]) -> Message {
        let mut skipped = Vec::new();
        loop {
            let Some(line) = self.recv_line() else {
                panic!(
                    "[{}] closed while waiting for {commands:?}; skipped {skipped:#?}",
                    self.nick
                );
            };
            let msg = Message::parse(&line).expect("parsable");
            if commands.contains(&msg.command.as_str()) {
                return msg;
            }
            skipped.push(line);
        }
    }

    /// Sends a PING with a fresh token and returns every message received
    /// before its PONG.
    pub fn sync(&mut self) -> Vec<Message> {
        self.sync_raw()
            .iter()
            .map(|l| {
                Message::parse(l)
                    .unwrap_or_else(|e| panic!("[{}] unparsable line {l:?}: {e:?}", self.nick))
            })
            .collect()
    }

    /// [`Client::sync`] as raw lines, for checks byte for byte.
    pub fn sync_raw(&mut self) -> Vec<String> {
        self.sync_counter += 1;
        let token = format!("sync-{}", self.sync_counter);
        self.send(&format!("PING {token}"));
        let mut lines = Vec::new();
        loop {
            let l = self
                .recv_line()
                .unwrap_or_else(|| panic!("[{}] closed; got {lines:#?}", self.nick));
            let is_pong = Message::parse(&l).is_ok_and(|m| {
                m.command == "PONG" && m.params.last().map(String::as_str) == Some(token.as_str())
            });
            if is_pong {
                return lines;
            }
            lines.push(l);
        }
    }

    /// Sends `line` and returns everything the server answered (via sync).
    pub fn ask(&mut self, line: &str) -> Vec<Message> {
        self.send(line);
        self.sync()
    }

    /// Sends `line` and returns the raw lines answered before the sync
    /// PONG, for checks byte for byte (labels, batches, line lengths).
    pub fn ask_raw(&mut self, line: &str) -> Vec<String> {
        self.send(line);
        self.sync_raw()
    }

    /// Asserts nothing but the sync PONG arrives.
    pub fn assert_quiet(&mut self) {
        let seen = self.sync();
        assert!(
            seen.is_empty(),
            "[{}] expected nothing, got {seen:#?}",
            self.nick
        );
    }

    /// Reads until the server closes the connection, returning the lines.
    pub fn read_until_closed(&mut self) -> Vec<String> {
        let mut lines = Vec::new();
        while let Some(l) = self.recv_line() {
            lines.push(l);
        }
        lines
    }
}

/// Reads until the server closes `c`'s connection, parsing each line.
pub fn until_closed(c: &mut Client) -> Vec<Message> {
    c.read_until_closed().iter().map(|l| m(l)).collect()
}

/// Unix time now, to bound timestamps the server reports.
pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

// ---- message builders ----

/// The server's name (the source of its replies) on embedded defaults.
pub const SERVER: &str = "natter.local";

/// The host every test client connects from.
pub const HOST: &str = "127.0.0.1";

/// The source a test client `nick` gets (username `~nick`, host 127.0.0.1).
pub fn src(nick: &str) -> String {
    format!("{nick}!~{nick}@{HOST}")
}

/// Parses a line (an expected one, or one received raw).
pub fn m(line: &str) -> Message {
    Message::parse(line).unwrap_or_else(|e| panic!("unparsable line {line:?}: {e:?}"))
}

/// Parses expected lines.
pub fn ms(lines: &[&str]) -> Vec<Message> {
    lines.iter().map(|l| m(l)).collect()
}

/// The parameters of `m` as `&str`s.
pub fn params(m: &Message) -> Vec<&str> {
    m.params.iter().map(String::as_str).collect()
}

/// The commands of `msgs`, in order.
pub fn cmds(msgs: &[Message]) -> Vec<&str> {
    msgs.iter().map(|m| m.command.as_str()).collect()
}

// ---- assertions ----

/// The messages with `command` in `msgs`.
pub fn with_command<'a>(msgs: &'a [Message], command: &str) -> Vec<&'a Message> {
    msgs.iter().filter(|m| m.command == command).collect()
}

/// Asserts `msgs` holds exactly one message with `command` and returns it.
pub fn one<'a>(msgs: &'a [Message], command: &str) -> &'a Message {
    let found = with_command(msgs, command);
    assert_eq!(found.len(), 1, "expected one {command} in {msgs:#?}");
    found[0]
}

/// Asserts `m` is exactly `:source command params...`.
pub fn assert_msg(m: &Message, source: &str, command: &str, expected: &[&str]) {
    assert_eq!(
        (m.source.as_deref(), m.command.as_str(), params(m)),
        (Some(source), command, expected.to_vec()),
        "unexpected message {m:#?}"
    );
}

/// Asserts `m` is the numeric `code` from the server with `expected` params.
pub fn assert_numeric(m: &Message, code: &str, expected: &[&str]) {
    assert_msg(m, SERVER, code, expected);
}

/// Asserts `msgs` is exactly one message `:source command params...` and
/// returns it.
pub fn only<'a>(
    msgs: &'a [Message],
    source: &str,
    command: &str,
    expected: &[&str],
) -> &'a Message {
    assert_eq!(msgs.len(), 1, "expected one {command}, got {msgs:#?}");
    assert_msg(&msgs[0], source, command, expected);
    &msgs[0]
}

/// Asserts `msgs` is exactly one message `:source command params...`
/// without tags, and returns it.
pub fn only_untagged<'a>(
    msgs: &'a [Message],
    source: &str,
    command: &str,
    expected: &[&str],
) -> &'a Message {
    let m = only(msgs, source, command, expected);
    assert!(m.tags.is_empty(), "{m:#?}");
    m
}

/// Asserts the only thing `c` got since its last sync is `command params`
/// from test client `from`.
pub fn assert_got(c: &mut Client, from: &str, command: &str, expected: &[&str]) {
    let got = c.sync();
    assert_eq!(
        got.len(),
        1,
        "[{}] expected one message, got {got:#?}",
        c.nick
    );
    assert_msg(&got[0], &src(from), command, expected);
}

/// Sends `command` from `from` and asserts that `from` and each of `peers`
/// get exactly one line back: `echo`, with `from` as its source.
pub fn assert_echoed(from: &mut Client, command: &str, echo: &str, peers: &mut [&mut Client]) {
    let line = format!(":{} {echo}", src(&from.nick));
    assert_eq!(from.ask(command), ms(&[&line]));
    for c in peers.iter_mut() {
        assert_eq!(c.sync(), ms(&[&line]), "[{}]", c.nick);
    }
}

// ---- IRC-specific setup ----

/// A client registered as `nick` with `caps` (space-separated) enabled.
pub fn client_with(server: &TestServer, nick: &str, caps: &str) -> Client {
    let mut c = server.connect();
    if !caps.is_empty() {
        c.send(&format!("CAP REQ :{caps}"));
        let ack = c.expect("CAP");
        assert_eq!(params(&ack), ["*", "ACK", caps], "{ack:#?}");
        c.send("CAP END");
    }
    c.register(nick);
    c
}

/// SASL PLAIN as `account` with `password` on `c`, which negotiated
/// `sasl`: asserts the server's `AUTHENTICATE +` and returns its answers
/// to the payload (900 and 903 on success, 904 on failure).
pub fn authenticate_plain(c: &mut Client, account: &str, password: &str) -> Vec<Message> {
    use base64::Engine;
    let plus = c.ask("AUTHENTICATE PLAIN");
    assert_eq!(cmds(&plus), ["AUTHENTICATE"], "{plus:#?}");
    assert_eq!(params(&plus[0]), ["+"]);
    let payload = base64::engine::general_purpose::STANDARD
        .encode(format!("{account}\0{account}\0{password}"));
    c.ask(&format!("AUTHENTICATE {payload}"))
}

/// Makes everyone in `clients` join `chan`, in order, and drains the joins.
pub fn join_all(chan: &str, clients: &mut [&mut Client]) {
    for c in clients.iter_mut() {
        c.send(&format!("JOIN {chan}"));
        c.expect("366");
    }
    for c in clients.iter_mut() {
        c.sync();
    }
}

/// The RPL_ISUPPORT tokens of a fresh registration.
pub fn isupport(server: &TestServer) -> Vec<String> {
    let mut c = server.connect();
    c.send("NICK probe");
    c.send("USER probe 0 * :Real probe");
    let mut tokens = Vec::new();
    loop {
        let m = c.recv();
        if m.command == "005" {
            tokens.extend(m.params[1..m.params.len() - 1].iter().cloned());
        }
        if m.command == "376" || m.command == "422" {
            return tokens;
        }
    }
}

/// An argon2id PHC hash of `password` with deliberately cheap parameters
/// (the verifier takes them from the hash), for `[[oper]]` blocks.
pub fn cheap_hash(password: &str) -> String {
    use argon2::password_hash::{PasswordHasher, SaltString};
    let params = argon2::Params::new(8, 1, 1, None).unwrap();
    let argon = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let salt = SaltString::encode_b64(b"natter-test-salt").unwrap();
    argon
        .hash_password(password.as_bytes(), &salt)
        .unwrap()
        .to_string()
}

/// An `[[oper]]` block: `name` with `password` (cheaply hashed) from `host`.
pub fn oper(name: &str, password: &str, host: &str) -> Oper {
    Oper {
        name: name.into(),
        password: cheap_hash(password),
        host: host.into(),
    }
}

/// A server with oper `root`/`hunter2` from any host, adjusted by `tweak`.
pub fn server_with_root(tweak: impl FnOnce(&mut Config)) -> TestServer {
    TestServer::with_config(|c| {
        c.opers.push(oper("root", "hunter2", "*@*"));
        tweak(c);
    })
}

/// Makes `c` an IRC operator as `root`/`hunter2` (see [`server_with_root`])
/// without server notices (`-s`), and drains what that told it.
pub fn oper_up(c: &mut Client) {
    c.send("OPER root hunter2");
    let m = c.expect_any(&["381", "464", "491"]);
    assert_eq!(m.command, "381", "OPER failed: {m:?}");
    let nick = c.nick.clone();
    c.send(&format!("MODE {nick} -s"));
    c.sync();
}
