//! Test harness: a real natter server on an ephemeral loopback port, and a
//! blocking line-oriented IRC client to talk to it over TCP.
//!
//! `Client::sync` sends a PING with a unique token and collects every line
//! that arrives before the PONG: the server handles a client's lines in
//! order, so this proves what was (and was not) sent in between, without
//! sleeping.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use natter_proto::Message;
use natter_server::{Config, Overrides, Running};

/// How long any single expected line may take before a test fails.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// A running server, stopped when dropped.
pub struct TestServer {
    /// The IRC listener.
    pub addr: SocketAddr,
    /// The IM listener, unless the test turned it off.
    pub im_addr: Option<SocketAddr>,
    running: Option<Running>,
    runtime: Option<tokio::runtime::Runtime>,
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
        config.server.data_dir = dir.path().join("data");
        tweak(&mut config);
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let running = runtime
            .block_on(natter_server::start(config, Overrides::default()))
            .expect("server starts");
        TestServer {
            addr: running.irc_addrs[0],
            im_addr: running.im_addrs.first().copied(),
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
    pub nick: String,
    reader: BufReader<TcpStream>,
    writer: TcpStream,
    sync_counter: u32,
}

impl Client {
    /// Connects to `addr`.
    pub fn connect(addr: SocketAddr) -> Client {
        let stream = TcpStream::connect(addr).expect("connect");
        stream.set_read_timeout(Some(TIMEOUT)).unwrap();
        stream.set_nodelay(true).unwrap();
        Client {
            nick: "*".into(),
            writer: stream.try_clone().unwrap(),
            reader: BufReader::new(stream),
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
        self.sync_counter += 1;
        let token = format!("sync-{}", self.sync_counter);
        self.send(&format!("PING {token}"));
        let mut seen = Vec::new();
        loop {
            let msg = self.recv();
            if msg.command == "PONG"
                && msg.params.last().map(String::as_str) == Some(token.as_str())
            {
                return seen;
            }
            seen.push(msg);
        }
    }

    /// Sends `line` and returns everything the server answered (via sync).
    pub fn ask(&mut self, line: &str) -> Vec<Message> {
        self.send(line);
        self.sync()
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
