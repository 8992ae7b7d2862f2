//! Interop with a real ngIRCd (Debian's package; `.ci/run` installs it):
//! natter runs in-process and an `ngircd --nodaemon` process runs beside
//! it on a free loopback port with a generated configuration, the two
//! linked by RFC 2813 in one direction or the other. IRC clients on each
//! side join one channel and talk both ways; NICK, PART, QUIT, TOPIC,
//! MODE, KICK and AWAY cross in both directions; killing ngIRCd is a
//! netsplit, and starting it again a rejoin.
//!
//! Nothing waits a fixed time:
//! - ngIRCd's own log (its standard output) says when it is ready and
//!   when a link is synchronized: it logs `Synchronization with "<peer>"
//!   done` when the peer answers the PING that ends ngIRCd's burst. natter
//!   queues its own burst before that answer, so by then each side has read
//!   the other's whole burst.
//! - [`relay`] proves that a line crossed: a PRIVMSG sent after it on the
//!   same server takes the same link, in order, so everything the far
//!   client gets before that PRIVMSG is exactly what crossed in between.
//!
//! Without ngIRCd the tests print `ngircd not installed: skipped` and pass,
//! unless the environment variable CI is set: then they fail, since CI
//! must run them.

mod bursts;
mod collisions;
#[path = "../common/mod.rs"]
mod common;
mod crossing;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use common::*;
use natter_proto::Message;
use natter_server::config::LinkBlock;

/// ngIRCd's server name in these tests.
const NGIRCD: &str = "ngircd.test";

/// The password natter sends in its PASS (ngIRCd's `MyPassword`).
const TO_NGIRCD: &str = "natter-to-ngircd";

/// The password ngIRCd sends in its PASS (ngIRCd's `PeerPassword`).
const TO_NATTER: &str = "ngircd-to-natter";

/// The QUIT reason of a netsplit as natter's clients see it: `<near
/// server> <far server>`.
fn split_reason() -> String {
    format!("{SERVER} {NGIRCD}")
}

// ---- finding ngIRCd ----

/// The ngircd binary: the first `ngircd` on PATH, then in /usr/sbin and
/// /usr/local/sbin, where Debian puts daemons and which a non-root PATH
/// often lacks.
fn ngircd_binary() -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/usr/local/sbin"].map(PathBuf::from))
        .map(|dir| dir.join("ngircd"))
        .find(|p| p.is_file())
}

/// The ngircd binary, or `None` when the test is to be skipped: ngircd is
/// missing and CI is not set. With CI set, a missing ngircd fails the test.
fn ngircd_or_skip() -> Option<PathBuf> {
    if let Some(bin) = ngircd_binary() {
        return Some(bin);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "ngircd is not installed, and CI is set: .ci/run must install it (apt-get install ngircd)"
    );
    // Straight to stderr: the test harness captures println! and
    // eprintln! of passing tests, and a skip must be seen.
    let _ = writeln!(std::io::stderr(), "ngircd not installed: skipped");
    None
}

// ---- an ngIRCd process ----

/// Who opens the link.
#[derive(Clone, Copy)]
enum Dial {
    /// ngIRCd connects to natter's link listener at this address.
    NgircdConnects(SocketAddr),
    /// natter connects to ngIRCd (ngIRCd's `[Server]` block has no port).
    NatterConnects,
}

/// What ngIRCd printed so far, with a condition variable to wait on.
#[derive(Default)]
struct Log {
    lines: Mutex<Vec<String>>,
    grew: Condvar,
}

impl Log {
    fn push(&self, line: String) {
        self.lines.lock().unwrap().push(line);
        self.grew.notify_all();
    }

    fn len(&self) -> usize {
        self.lines.lock().unwrap().len()
    }

    /// Waits for a line from index `from` on that contains `needle`;
    /// returns the index after it. Panics with the log after [`TIMEOUT`]
    /// (twice that for link events, which include a reconnect back-off).
    fn wait(&self, from: usize, needle: &str, timeout: Duration) -> usize {
        let deadline = Instant::now() + timeout;
        let mut lines = self.lines.lock().unwrap();
        loop {
            if let Some(i) = lines[from.min(lines.len())..]
                .iter()
                .position(|l| l.contains(needle))
            {
                return from + i + 1;
            }
            let now = Instant::now();
            assert!(
                now < deadline,
                "ngIRCd did not log {needle:?} within {timeout:?}; its log:\n{}",
                lines.join("\n")
            );
            lines = self.grew.wait_timeout(lines, deadline - now).unwrap().0;
        }
    }
}

/// An ngIRCd on a free loopback port with a configuration in a temporary
/// directory; killed when dropped (its log printed if the test failed).
struct Ngircd {
    bin: PathBuf,
    /// The generated configuration file.
    config: PathBuf,
    /// Its client port on 127.0.0.1.
    port: u16,
    child: Option<Child>,
    log: Arc<Log>,
    _dir: tempfile::TempDir,
}

impl Ngircd {
    /// Writes the configuration and starts ngIRCd; returns once it listens.
    fn start(bin: &Path, dial: Dial) -> Ngircd {
        let dir = tempfile::tempdir().expect("temp dir");
        let port = free_port();
        let config = dir.path().join("ngircd.conf");
        std::fs::write(&config, ngircd_config(port, dial)).expect("write ngircd.conf");
        let mut ng = Ngircd {
            bin: bin.to_path_buf(),
            config,
            port,
            child: None,
            log: Arc::default(),
            _dir: dir,
        };
        ng.spawn();
        ng
    }

    /// Starts the process and waits for ngIRCd's "ready" line.
    fn spawn(&mut self) {
        let from = self.log.len();
        let mut child = Command::new(&self.bin)
            .arg("--nodaemon")
            .arg("--config")
            .arg(&self.config)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start ngircd");
        fn pump(log: Arc<Log>, out: impl Read + Send + 'static) {
            std::thread::spawn(move || {
                for line in BufReader::new(out).lines() {
                    let Ok(line) = line else { return };
                    log.push(line);
                }
            });
        }
        pump(self.log.clone(), child.stdout.take().expect("stdout"));
        pump(self.log.clone(), child.stderr.take().expect("stderr"));
        self.child = Some(child);
        self.log
            .wait(from, &format!("Server \"{NGIRCD}\""), TIMEOUT);
        self.log.wait(from, "ready.", TIMEOUT);
    }

    /// Kills ngIRCd with SIGKILL (no QUITs, no SQUIT: the link just
    /// breaks) and reaps it.
    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Where the log is now, for [`Ngircd::wait_synced`].
    fn mark(&self) -> usize {
        self.log.len()
    }

    /// Waits until ngIRCd logged, after `mark`, that its link with natter
    /// is synchronized: both bursts have been read by both sides.
    fn wait_synced(&self, mark: usize) {
        self.log.wait(
            mark,
            &format!("Synchronization with \"{SERVER}\" done"),
            TIMEOUT * 2,
        );
    }

    /// An IRC client registered on ngIRCd as `nick`.
    fn client(&self, nick: &str) -> Client {
        let mut c = Client::connect(SocketAddr::from(([127, 0, 0, 1], self.port)));
        c.register(nick);
        c
    }
}

impl Drop for Ngircd {
    fn drop(&mut self) {
        self.kill();
        if std::thread::panicking() {
            let lines = self.log.lines.lock().map(|l| l.join("\n"));
            eprintln!("---- ngIRCd's log ----\n{}", lines.unwrap_or_default());
        }
    }
}

/// A loopback port nobody listens on right now.
fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

/// ngIRCd's configuration (ngircd.conf(5)). Notes:
/// - `MaxPenaltyTime = 0` turns off ngIRCd's flood penalties, which would
///   otherwise delay the test clients' commands by seconds.
/// - `MaxNickLength` is natter's NICKLEN (`limits.nicklen`, 30): ngIRCd
///   takes a longer nick in a NICK introduction, but silently refuses a
///   nick change to it (432 to the server, the old nick stays), and the
///   two sides then disagree about the user's nick. ngIRCd's default is 9.
/// - `PAM`, `Ident` and `DNS` are off: no look-ups, usernames `~nick`,
///   hosts `127.0.0.1`, as natter's test clients get.
/// - Run as root, ngIRCd switches to user `nobody` after reading this file
///   (it refuses to keep uid 0); it reads nothing else afterwards.
/// - In `[Server]`, `MyPassword` is the password ngIRCd expects from the
///   peer, `PeerPassword` the one it sends (conf.c: `pwd_in` and
///   `pwd_out`), despite what their names suggest. With `Port` ngIRCd
///   connects to the peer (first one second after start, then every
///   `ConnectRetry` seconds, 5 at least); without it, it waits.
fn ngircd_config(port: u16, dial: Dial) -> String {
    let connect = match dial {
        Dial::NgircdConnects(addr) => format!("Host = {}\nPort = {}\n", addr.ip(), addr.port()),
        Dial::NatterConnects => String::new(),
    };
    let nicklen = natter_server::Config::default().limits.nicklen;
    format!(
        "[Global]
Name = {NGIRCD}
Info = ngIRCd interop test
Listen = 127.0.0.1
Ports = {port}
MotdPhrase = \"ngIRCd interop test\"
AdminInfo1 = natter tests
AdminInfo2 = loopback
AdminEMail = root@localhost

[Limits]
ConnectRetry = 5
MaxPenaltyTime = 0
MaxNickLength = {nicklen}

[Options]
PAM = no
Ident = no
DNS = no

[Server]
Name = {SERVER}
{connect}MyPassword = {TO_NGIRCD}
PeerPassword = {TO_NATTER}
"
    )
}

// ---- natter ----

/// natter with a link listener and a `[[link]]` block for ngIRCd; with
/// `ngircd_port`, natter connects to ngIRCd there (autoconnect).
fn natter(ngircd_port: Option<u16>) -> TestServer {
    TestServer::with_config(|c| link_to_ngircd(c, ngircd_port, ngircd_port.is_some()))
}

/// Adds a link listener and a `[[link]]` block for ngIRCd to `c` (with
/// ngIRCd's port as its address when given).
fn link_to_ngircd(c: &mut natter_server::Config, ngircd_port: Option<u16>, autoconnect: bool) {
    c.listen.link = vec!["127.0.0.1:0".parse().unwrap()];
    c.links.push(LinkBlock {
        name: NGIRCD.into(),
        address: ngircd_port.map(|p| format!("127.0.0.1:{p}")),
        send_password: TO_NGIRCD.into(),
        receive_password: cheap_hash(TO_NATTER),
        autoconnect,
        tls: false,
        fingerprint: None,
    });
}

// ---- crossing servers ----

/// Everything `to` received before a PRIVMSG that `from`, a user on the
/// other server, sends it now. Lines from one server to the other travel
/// in order on the link, so this is exactly what reached `to` from
/// `from`'s side until now (and anything `to`'s own server sent it
/// meanwhile).
fn relay(from: &mut Client, to: &mut Client) -> Vec<Message> {
    static N: AtomicU32 = AtomicU32::new(0);
    let token = format!("relay-{}", N.fetch_add(1, Ordering::Relaxed));
    from.send(&format!("PRIVMSG {} :{token}", to.nick));
    let mut got = Vec::new();
    loop {
        let msg = to.recv();
        if msg.command == "PRIVMSG" && msg.params.last() == Some(&token) {
            let nick = msg.source.as_deref().and_then(|s| s.split('!').next());
            assert_eq!(nick, Some(from.nick.as_str()), "{msg:?}");
            return got;
        }
        got.push(msg);
    }
}

/// Asserts that what `to` got from `from`'s side since the last relay is
/// exactly `expected` (lines as a client sees them).
fn assert_relayed(from: &mut Client, to: &mut Client, expected: &[&str]) {
    let got = relay(from, to);
    assert_eq!(got, ms(expected), "[{}] from [{}]", to.nick, from.nick);
}

/// `c` sends `line`, and gets `echo` back from itself, nothing else.
fn echoed(c: &mut Client, line: &str, echo: &str) {
    let got = c.ask(line);
    let expected = m(echo);
    assert_eq!(got.len(), 1, "[{}] {line}: {got:#?}", c.nick);
    let nick = got[0].source.as_deref().and_then(|s| s.split('!').next());
    assert_eq!(
        (nick, &got[0].command, &got[0].params),
        (Some(c.nick.as_str()), &expected.command, &expected.params),
        "[{}] {line}",
        c.nick
    );
}

/// The nicks (with prefixes) of `channel`'s NAMES, sorted.
fn names(c: &mut Client, channel: &str) -> Vec<String> {
    let got = c.ask(&format!("NAMES {channel}"));
    let mut nicks: Vec<String> = with_command(&got, "353")
        .iter()
        .flat_map(|m| m.params.last().unwrap().split(' '))
        .filter(|n| !n.is_empty())
        .map(str::to_string)
        .collect();
    nicks.sort();
    nicks
}

/// The modes of `channel` as RPL_CHANNELMODEIS gives them, letters
/// sorted (ngIRCd keeps them in the order set) and then the arguments,
/// e.g. `+lm 50`.
fn channel_modes(c: &mut Client, channel: &str) -> String {
    let got = c.ask(&format!("MODE {channel}"));
    let params = &one(&got, "324").params;
    let mut letters: Vec<char> = params[2].trim_start_matches('+').chars().collect();
    letters.sort_unstable();
    let mut out: String = std::iter::once('+').chain(letters).collect();
    for arg in &params[3..] {
        out.push(' ');
        out.push_str(arg);
    }
    out
}

/// The topic RPL_TOPIC gives for `channel`, `None` with RPL_NOTOPIC.
fn topic(c: &mut Client, channel: &str) -> Option<String> {
    let got = c.ask(&format!("TOPIC {channel}"));
    with_command(&got, "332")
        .first()
        .map(|m| m.params.last().unwrap().clone())
}

/// The away text WHOIS gives for `nick` (RPL_AWAY), `None` when present.
fn whois_away(c: &mut Client, nick: &str) -> Option<String> {
    let got = c.ask(&format!("WHOIS {nick}"));
    assert_eq!(with_command(&got, "311").len(), 1, "{got:#?}");
    with_command(&got, "301")
        .first()
        .map(|m| m.params.last().unwrap().clone())
}

/// `c` joins `channel` (with `key`) and reads through RPL_ENDOFNAMES;
/// returns what it got.
fn join(c: &mut Client, channel: &str) -> Vec<Message> {
    c.send(&format!("JOIN {channel}"));
    let mut got = Vec::new();
    loop {
        let msg = c.recv();
        let end = msg.command == "366";
        got.push(msg);
        if end {
            return got;
        }
    }
}
