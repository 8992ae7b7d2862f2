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

mod common;

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

// ---- the tests ----

/// ngIRCd connects to natter's link listener. Users on both sides share
/// `#chat` and every command of the issue crosses in both directions;
/// killing ngIRCd splits, starting it again rejoins.
#[test]
fn ngircd_connects_users_talk_and_commands_cross() {
    let Some(bin) = ngircd_or_skip() else { return };
    let natter = natter(None);
    // alice is there before the link: she and #chat come in natter's burst.
    let mut alice = natter.client("alice");
    join(&mut alice, "#chat");
    alice.sync();
    let mut ng = Ngircd::start(&bin, Dial::NgircdConnects(natter.link_addr.unwrap()));
    ng.wait_synced(0);

    // bob registers after the link: a live NICK introduction.
    let mut bob = ng.client("bob");
    assert_eq!(names(&mut bob, "#chat"), ["@alice"]);
    // natter's default modes for a new channel reached ngIRCd with it.
    assert_eq!(channel_modes(&mut bob, "#chat"), "+nt");
    let got = join(&mut bob, "#chat");
    assert_eq!(names(&mut bob, "#chat"), ["@alice", "bob"], "{got:#?}");
    assert_relayed(&mut bob, &mut alice, &[":bob!~bob@127.0.0.1 JOIN #chat"]);

    // Talk both ways, in the channel and in private.
    alice.send("PRIVMSG #chat :hello from natter");
    alice.send("NOTICE #chat :a notice from natter");
    alice.send("PRIVMSG bob :psst, bob");
    assert_relayed(
        &mut alice,
        &mut bob,
        &[
            ":alice!~alice@127.0.0.1 PRIVMSG #chat :hello from natter",
            ":alice!~alice@127.0.0.1 NOTICE #chat :a notice from natter",
            ":alice!~alice@127.0.0.1 PRIVMSG bob :psst, bob",
        ],
    );
    bob.send("PRIVMSG #chat :hello from ngircd");
    bob.send("NOTICE #chat :a notice from ngircd");
    bob.send("PRIVMSG alice :psst, alice");
    assert_relayed(
        &mut bob,
        &mut alice,
        &[
            ":bob!~bob@127.0.0.1 PRIVMSG #chat :hello from ngircd",
            ":bob!~bob@127.0.0.1 NOTICE #chat :a notice from ngircd",
            ":bob!~bob@127.0.0.1 PRIVMSG alice :psst, alice",
        ],
    );

    // TOPIC and MODE from natter.
    echoed(
        &mut alice,
        "TOPIC #chat :set on natter",
        "TOPIC #chat :set on natter",
    );
    echoed(&mut alice, "MODE #chat +o bob", "MODE #chat +o bob");
    echoed(&mut alice, "MODE #chat +m", "MODE #chat +m");
    echoed(
        &mut alice,
        "MODE #chat +b *!*@bad.example",
        "MODE #chat +b *!*@bad.example",
    );
    assert_relayed(
        &mut alice,
        &mut bob,
        &[
            ":alice!~alice@127.0.0.1 TOPIC #chat :set on natter",
            ":alice!~alice@127.0.0.1 MODE #chat +o bob",
            ":alice!~alice@127.0.0.1 MODE #chat +m",
            ":alice!~alice@127.0.0.1 MODE #chat +b *!*@bad.example",
        ],
    );
    assert_eq!(topic(&mut bob, "#chat").as_deref(), Some("set on natter"));
    assert_eq!(channel_modes(&mut bob, "#chat"), "+mnt");

    // TOPIC and MODE from ngIRCd (bob is an op now).
    bob.send("TOPIC #chat :set on ngircd");
    bob.send("MODE #chat +v alice");
    bob.send("MODE #chat -m");
    bob.send("MODE #chat -b *!*@bad.example");
    bob.send("MODE #chat +l 42");
    assert_relayed(
        &mut bob,
        &mut alice,
        &[
            ":bob!~bob@127.0.0.1 TOPIC #chat :set on ngircd",
            ":bob!~bob@127.0.0.1 MODE #chat +v alice",
            ":bob!~bob@127.0.0.1 MODE #chat -m",
            ":bob!~bob@127.0.0.1 MODE #chat -b *!*@bad.example",
            ":bob!~bob@127.0.0.1 MODE #chat +l 42",
        ],
    );
    assert_eq!(topic(&mut alice, "#chat").as_deref(), Some("set on ngircd"));
    assert_eq!(channel_modes(&mut alice, "#chat"), "+lnt 42");
    assert_eq!(names(&mut alice, "#chat"), ["@alice", "@bob"]);
    assert_eq!(names(&mut bob, "#chat"), ["@alice", "@bob"]);
    bob.sync();

    // AWAY: ngIRCd carries only "away or not" (user mode +a), so each side
    // shows its stand-in text for a user of the other.
    alice.ask("AWAY :gone fishing");
    assert_relayed(&mut alice, &mut bob, &[]);
    assert_eq!(whois_away(&mut bob, "alice").as_deref(), Some("Away"));
    bob.ask("AWAY :out to lunch");
    assert_relayed(&mut bob, &mut alice, &[]);
    assert_eq!(whois_away(&mut alice, "bob").as_deref(), Some("Away"));
    let got = alice.ask("PRIVMSG bob :are you there?");
    assert_eq!(
        got,
        ms(&[":natter.local 301 alice bob :Away"]),
        "RPL_AWAY for a remote away user"
    );
    // Back again, each told to the other server before the other asks.
    // (ngIRCd answered bob's relay PRIVMSG to alice with its RPL_AWAY.)
    alice.ask("AWAY");
    assert_relayed(
        &mut alice,
        &mut bob,
        &[
            ":ngircd.test 301 bob alice :Away",
            ":alice!~alice@127.0.0.1 PRIVMSG bob :are you there?",
        ],
    );
    bob.ask("AWAY");
    assert_relayed(&mut bob, &mut alice, &[":natter.local 301 alice bob :Away"]);
    assert_eq!(whois_away(&mut alice, "bob"), None);
    assert_eq!(whois_away(&mut bob, "alice"), None);

    // NICK both ways.
    echoed(&mut alice, "NICK alicia", "NICK alicia");
    alice.nick = "alicia".into();
    assert_relayed(
        &mut alice,
        &mut bob,
        &[":alice!~alice@127.0.0.1 NICK alicia"],
    );
    bob.send("NICK bobby");
    bob.expect("NICK");
    bob.nick = "bobby".into();
    assert_relayed(&mut bob, &mut alice, &[":bob!~bob@127.0.0.1 NICK bobby"]);
    assert_eq!(names(&mut alice, "#chat"), ["@alicia", "@bobby"]);
    assert_eq!(names(&mut bob, "#chat"), ["@alicia", "@bobby"]);

    // KICK both ways, each rejoining after.
    echoed(
        &mut alice,
        "KICK #chat bobby :out you go",
        "KICK #chat bobby :out you go",
    );
    assert_relayed(
        &mut alice,
        &mut bob,
        &[":alicia!~alice@127.0.0.1 KICK #chat bobby :out you go"],
    );
    join(&mut bob, "#chat");
    assert_relayed(&mut bob, &mut alice, &[":bobby!~bob@127.0.0.1 JOIN #chat"]);
    echoed(&mut alice, "MODE #chat +o bobby", "MODE #chat +o bobby");
    assert_relayed(
        &mut alice,
        &mut bob,
        &[":alicia!~alice@127.0.0.1 MODE #chat +o bobby"],
    );
    bob.send("KICK #chat alicia :your turn");
    bob.expect("KICK");
    assert_relayed(
        &mut bob,
        &mut alice,
        &[":bobby!~bob@127.0.0.1 KICK #chat alicia :your turn"],
    );
    assert_eq!(names(&mut bob, "#chat"), ["@bobby"]);
    join(&mut alice, "#chat");
    assert_relayed(
        &mut alice,
        &mut bob,
        &[":alicia!~alice@127.0.0.1 JOIN #chat"],
    );

    // PART both ways (carol on natter, dave on ngIRCd).
    let mut carol = natter.client("carol");
    join(&mut carol, "#chat");
    assert_eq!(alice.sync(), ms(&[":carol!~carol@127.0.0.1 JOIN #chat"]));
    assert_relayed(
        &mut carol,
        &mut bob,
        &[":carol!~carol@127.0.0.1 JOIN #chat"],
    );
    let mut dave = ng.client("dave");
    join(&mut dave, "#chat");
    assert_eq!(bob.sync(), ms(&[":dave!~dave@127.0.0.1 JOIN :#chat"]));
    assert_relayed(&mut dave, &mut alice, &[":dave!~dave@127.0.0.1 JOIN #chat"]);
    assert_relayed(&mut dave, &mut carol, &[":dave!~dave@127.0.0.1 JOIN #chat"]);
    echoed(
        &mut carol,
        "PART #chat :bye from natter",
        "PART #chat :bye from natter",
    );
    assert_eq!(
        alice.sync(),
        ms(&[":carol!~carol@127.0.0.1 PART #chat :bye from natter"])
    );
    assert_relayed(
        &mut carol,
        &mut dave,
        &[":carol!~carol@127.0.0.1 PART #chat :bye from natter"],
    );
    dave.send("PART #chat :bye from ngircd");
    dave.expect("PART");
    assert_relayed(
        &mut dave,
        &mut alice,
        &[":dave!~dave@127.0.0.1 PART #chat :bye from ngircd"],
    );
    bob.sync();

    // QUIT both ways. ngIRCd puts a user's own reason in quotes, natter
    // prefixes it with "Quit: "; each side passes on the other's as is.
    join(&mut carol, "#chat");
    assert_eq!(alice.sync(), ms(&[":carol!~carol@127.0.0.1 JOIN #chat"]));
    assert_relayed(
        &mut carol,
        &mut bob,
        &[":carol!~carol@127.0.0.1 JOIN #chat"],
    );
    join(&mut dave, "#chat");
    assert_eq!(bob.sync(), ms(&[":dave!~dave@127.0.0.1 JOIN :#chat"]));
    assert_relayed(&mut dave, &mut alice, &[":dave!~dave@127.0.0.1 JOIN #chat"]);
    carol.send("QUIT :natter says bye");
    carol.read_until_closed();
    let quit = ":carol!~carol@127.0.0.1 QUIT :Quit: natter says bye";
    assert_eq!(alice.sync(), ms(&[quit]));
    assert_relayed(&mut alice, &mut bob, &[quit]);
    dave.send("QUIT :ngircd says bye");
    dave.read_until_closed();
    let quit = ":dave!~dave@127.0.0.1 QUIT :\"ngircd says bye\"";
    assert_eq!(bob.sync(), ms(&[quit]));
    assert_relayed(&mut bob, &mut alice, &[quit]);

    // A split: ngIRCd dies. Its users quit on natter's side with the
    // netsplit reason, and the server is gone.
    let mut erin = ng.client("erin");
    join(&mut erin, "#chat");
    assert_relayed(&mut erin, &mut alice, &[":erin!~erin@127.0.0.1 JOIN #chat"]);
    ng.kill();
    let reason = split_reason();
    let mut quits = vec![alice.expect("QUIT"), alice.expect("QUIT")];
    quits.sort_by(|a, b| a.source.cmp(&b.source));
    assert_eq!(
        quits,
        ms(&[
            &format!(":bobby!~bob@127.0.0.1 QUIT :{reason}"),
            &format!(":erin!~erin@127.0.0.1 QUIT :{reason}"),
        ])
    );
    assert_eq!(alice.sync(), Vec::<Message>::new());
    let links = alice.ask("LINKS");
    assert_eq!(cmds(&links), ["364", "365"], "{links:#?}");
    assert_eq!(names(&mut alice, "#chat"), ["alicia"]);

    // The rejoin: ngIRCd starts again and reconnects; natter's burst
    // brings back alicia and #chat with its topic and modes.
    let mark = ng.mark();
    ng.spawn();
    ng.wait_synced(mark);
    let mut bob = ng.client("bob");
    assert_eq!(names(&mut bob, "#chat"), ["alicia"]);
    join(&mut bob, "#chat");
    assert_eq!(topic(&mut bob, "#chat").as_deref(), Some("set on ngircd"));
    assert_eq!(channel_modes(&mut bob, "#chat"), "+lnt 42");
    assert_relayed(&mut bob, &mut alice, &[":bob!~bob@127.0.0.1 JOIN #chat"]);
    alice.send("PRIVMSG #chat :welcome back");
    assert_relayed(
        &mut alice,
        &mut bob,
        &[":alicia!~alice@127.0.0.1 PRIVMSG #chat :welcome back"],
    );
    bob.send("PRIVMSG #chat :glad to be back");
    assert_relayed(
        &mut bob,
        &mut alice,
        &[":bob!~bob@127.0.0.1 PRIVMSG #chat :glad to be back"],
    );
}

/// The masks of `channel`'s ban list (RPL_BANLIST), sorted.
fn bans(c: &mut Client, channel: &str) -> Vec<String> {
    let got = c.ask(&format!("MODE {channel} +b"));
    let mut masks: Vec<String> = with_command(&got, "367")
        .iter()
        .map(|m| m.params[2].clone())
        .collect();
    masks.sort();
    masks
}

/// natter connects to ngIRCd ([[link]] with `address` and `autoconnect`).
/// ngIRCd's burst brings its users and channels with their modes, limit,
/// ban list and topic, and away status; channels created after the link
/// have the same modes on both sides. Killing ngIRCd splits; natter
/// reconnects once it is back, and its burst restores natter's users and
/// channels there, modes, bans and topic included.
#[test]
fn natter_connects_bursts_carry_channel_state_both_ways() {
    let Some(bin) = ngircd_or_skip() else { return };
    let mut ng = Ngircd::start(&bin, Dial::NatterConnects);
    let mut bob = ng.client("bob");
    join(&mut bob, "#ng");
    bob.send("TOPIC #ng :ngircd's own topic");
    bob.send("MODE #ng +m");
    bob.send("MODE #ng +l 50");
    bob.send("MODE #ng +b *!*@banned.example");
    bob.send("AWAY :brb");
    bob.sync();
    let mut bea = ng.client("bea");
    join(&mut bea, "#ng");
    bob.send("MODE #ng +v bea");
    bob.sync();
    bea.sync();

    let mark = ng.mark();
    let natter = natter(Some(ng.port));
    ng.wait_synced(mark);
    let mut alice = natter.client("alice");
    assert_eq!(names(&mut alice, "#ng"), ["+bea", "@bob"]);
    // ngIRCd's channel has no +n or +t: natter shows its modes, not its own
    // defaults for a new channel.
    assert_eq!(channel_modes(&mut alice, "#ng"), "+lm 50");
    assert_eq!(bans(&mut alice, "#ng"), ["*!*@banned.example"]);
    assert_eq!(whois_away(&mut alice, "bob").as_deref(), Some("Away"));
    bob.ask("AWAY");
    assert_relayed(&mut bob, &mut alice, &[]);
    assert_eq!(whois_away(&mut alice, "bob"), None);
    let got = join(&mut alice, "#ng");
    let got_topic = one(&got, "332");
    assert_eq!(got_topic.params[2], "ngircd's own topic", "{got:#?}");
    assert_relayed(&mut alice, &mut bob, &[":alice!~alice@127.0.0.1 JOIN :#ng"]);
    bea.sync();

    // #ng is moderated: alice needs a voice, which bob gives.
    let got = alice.ask("PRIVMSG #ng :may I?");
    assert_eq!(cmds(&got), ["404"], "{got:#?}");
    bob.send("MODE #ng +v alice");
    assert_relayed(
        &mut bob,
        &mut alice,
        &[":bob!~bob@127.0.0.1 MODE #ng +v alice"],
    );
    alice.send("PRIVMSG #ng :thanks, bob");
    assert_relayed(
        &mut alice,
        &mut bob,
        &[
            ":bob!~bob@127.0.0.1 MODE #ng +v alice",
            ":alice!~alice@127.0.0.1 PRIVMSG #ng :thanks, bob",
        ],
    );
    bea.send("PRIVMSG #ng :hi alice");
    assert_relayed(
        &mut bea,
        &mut alice,
        &[":bea!~bea@127.0.0.1 PRIVMSG #ng :hi alice"],
    );
    assert_eq!(
        bob.sync(),
        ms(&[":bea!~bea@127.0.0.1 PRIVMSG #ng :hi alice"])
    );

    // New channels after the link: the same modes on both sides.
    join(&mut alice, "#fresh");
    assert_relayed(&mut alice, &mut bob, &[]);
    assert_eq!(channel_modes(&mut bob, "#fresh"), "+nt");
    assert_eq!(names(&mut bob, "#fresh"), ["@alice"]);
    join(&mut bob, "#new");
    assert_relayed(&mut bob, &mut alice, &[]);
    assert_eq!(channel_modes(&mut alice, "#new"), "+");
    assert_eq!(names(&mut alice, "#new"), ["@bob"]);
    bea.sync();

    // A nick as long as natter allows crosses both ways (ngIRCd is set
    // to natter's NICKLEN).
    let long = "alice_in_wonderland_1234567890";
    assert_eq!(long.len(), natter_server::Config::default().limits.nicklen);
    echoed(&mut alice, &format!("NICK {long}"), &format!("NICK {long}"));
    alice.nick = long.into();
    assert_relayed(
        &mut alice,
        &mut bob,
        &[&format!(":alice!~alice@127.0.0.1 NICK :{long}")],
    );
    assert_eq!(names(&mut bob, "#fresh"), [format!("@{long}")]);
    echoed(&mut alice, "NICK alice", "NICK alice");
    alice.nick = "alice".into();
    assert_relayed(
        &mut alice,
        &mut bob,
        &[&format!(":{long}!~alice@127.0.0.1 NICK :alice")],
    );
    bea.sync();

    // Split: ngIRCd dies, bob and bea quit on natter's side.
    ng.kill();
    let reason = split_reason();
    let mut quits = vec![alice.expect("QUIT"), alice.expect("QUIT")];
    quits.sort_by(|a, b| a.source.cmp(&b.source));
    assert_eq!(
        quits,
        ms(&[
            &format!(":bea!~bea@127.0.0.1 QUIT :{reason}"),
            &format!(":bob!~bob@127.0.0.1 QUIT :{reason}"),
        ])
    );
    assert_eq!(names(&mut alice, "#ng"), ["+alice"]);

    // Rejoin: natter reconnects, and its burst gives the new ngIRCd #ng
    // and #fresh as natter kept them.
    let mark = ng.mark();
    ng.spawn();
    ng.wait_synced(mark);
    let mut bob = ng.client("bob");
    assert_eq!(names(&mut bob, "#ng"), ["+alice"]);
    assert_eq!(names(&mut bob, "#fresh"), ["@alice"]);
    let got = join(&mut bob, "#ng");
    assert_eq!(one(&got, "332").params[2], "ngircd's own topic", "{got:#?}");
    assert_eq!(channel_modes(&mut bob, "#ng"), "+lm 50");
    assert_eq!(bans(&mut bob, "#ng"), ["*!*@banned.example"]);
    assert_relayed(&mut bob, &mut alice, &[":bob!~bob@127.0.0.1 JOIN #ng"]);
    // Still moderated: bob has no voice now.
    let got = bob.ask("PRIVMSG #ng :hello?");
    assert_eq!(cmds(&got), ["404"], "{got:#?}");
    alice.send("PRIVMSG #ng :welcome back, bob");
    assert_relayed(
        &mut alice,
        &mut bob,
        &[":alice!~alice@127.0.0.1 PRIVMSG #ng :welcome back, bob"],
    );
    assert_eq!(channel_modes(&mut bob, "#fresh"), "+nt");
}

/// A nick collision when the link is made: `zed` on both servers. ngIRCd
/// sends no nick timestamps, so both users are killed, as RFC 2813 §5.2
/// says, on both servers, and neither leaves a ghost behind.
#[test]
fn a_nick_collision_with_ngircd_kills_both_users() {
    let Some(bin) = ngircd_or_skip() else { return };
    let ng = Ngircd::start(&bin, Dial::NatterConnects);
    let natter = server_with_root(|c| link_to_ngircd(c, Some(ng.port), false));
    let mut zed_here = natter.client("zed");
    let mut zed_there = ng.client("zed");
    let mut alice = natter.client("alice");
    oper_up(&mut alice);
    let mut bob = ng.client("bob");

    let mark = ng.mark();
    alice.send(&format!("CONNECT {NGIRCD}"));
    ng.wait_synced(mark);
    let here = until_closed(&mut zed_here);
    assert!(
        here.iter().any(|m| m.command == "ERROR"),
        "natter's zed: {here:#?}"
    );
    let there = until_closed(&mut zed_there);
    assert!(
        there.iter().any(|m| m.command == "ERROR"),
        "ngIRCd's zed: {there:#?}"
    );
    // Whatever either side still had to say about zed has crossed.
    relay(&mut alice, &mut bob);
    relay(&mut bob, &mut alice);
    for c in [&mut alice, &mut bob] {
        let got = c.ask("WHOIS zed");
        assert_eq!(cmds(&got)[0], "401", "[{}] {got:#?}", c.nick);
    }
    // The link survived the collision: bob and alice still talk.
    bob.send("PRIVMSG alice :still here");
    assert_eq!(
        relay(&mut bob, &mut alice),
        ms(&[":bob!~bob@127.0.0.1 PRIVMSG alice :still here"])
    );
}

/// ngIRCd gets natter's cloaks as the hosts of natter's users (it has no
/// way to learn the real address), and no `x` mode; a later `MODE -x` on
/// natter does not reach it (RFC 2813 has no host change), so ngIRCd keeps
/// showing the cloak.
#[test]
fn ngircd_sees_natters_cloaks() {
    let Some(bin) = ngircd_or_skip() else { return };
    let natter = TestServer::with_config(|c| {
        c.privacy.cloak = true;
        link_to_ngircd(c, None, false);
    });
    let mut alice = natter.client("alice");
    let cloak = {
        let r = alice.ask("WHOIS alice");
        params(one(&r, "311"))[3].to_string()
    };
    assert!(cloak.ends_with(".IP"), "{cloak}");
    let ng = Ngircd::start(&bin, Dial::NgircdConnects(natter.link_addr.unwrap()));
    ng.wait_synced(0);
    let mut bob = ng.client("bob");
    common::links::wait_user(&mut alice, "bob");
    alice.send("PRIVMSG bob :hi");
    assert_eq!(
        relay(&mut alice, &mut bob),
        ms(&[&format!(":alice!~alice@{cloak} PRIVMSG bob :hi")])
    );
    let r = bob.ask("WHOIS alice");
    assert_eq!(params(one(&r, "311"))[3], cloak, "{r:#?}");
    assert!(!format!("{r:?}").contains("127.0.0.1"), "{r:#?}");
    alice.ask("MODE alice -x");
    alice.send("PRIVMSG bob :still cloaked there");
    assert_eq!(
        relay(&mut alice, &mut bob),
        ms(&[&format!(
            ":alice!~alice@{cloak} PRIVMSG bob :still cloaked there"
        )])
    );
}

/// A natter server `b.test` behind natter, linked to it, with a link
/// listener on `link_port` (0: any), for
/// [`servers_behind_a_split_leave_ngircd_one_squit_each`].
fn natter_behind(front: &TestServer, link_port: u16) -> TestServer {
    TestServer::with_config(|c| {
        c.server.name = "b.test".into();
        c.listen.link = vec![SocketAddr::from(([127, 0, 0, 1], link_port))];
        for (name, address) in [(SERVER, front.link_addr), ("c.test", None)] {
            c.links.push(LinkBlock {
                name: name.into(),
                address: address.map(|a| a.to_string()),
                send_password: "b-pw".into(),
                receive_password: cheap_hash("b-pw"),
                autoconnect: address.is_some(),
                tls: false,
                fingerprint: None,
            });
        }
    })
}

#[test]
fn servers_behind_a_split_leave_ngircd_one_squit_each() {
    let Some(bin) = ngircd_or_skip() else { return };
    let ng = Ngircd::start(&bin, Dial::NatterConnects);
    let front = TestServer::with_config(|c| {
        link_to_ngircd(c, Some(ng.port), true);
        c.links.push(LinkBlock {
            name: "b.test".into(),
            address: None,
            send_password: "b-pw".into(),
            receive_password: cheap_hash("b-pw"),
            autoconnect: false,
            tls: false,
            fingerprint: None,
        });
    });
    // ngIRCd - natter - b - c: c lies behind b.
    let mark = ng.mark();
    let mut b = natter_behind(&front, 0);
    let b_port = b.link_addr.unwrap().port();
    let _c = TestServer::with_config(|c| {
        c.server.name = "c.test".into();
        c.links.push(LinkBlock {
            name: "b.test".into(),
            address: b.link_addr.map(|a| a.to_string()),
            send_password: "b-pw".into(),
            receive_password: cheap_hash("b-pw"),
            autoconnect: true,
            tls: false,
            fingerprint: None,
        });
    });
    ng.log.wait(mark, "Server \"c.test\" registered", TIMEOUT);
    // b goes: c leaves with it. ngIRCd must forget both, or it refuses
    // their next introduction ("already registered") and drops the link.
    let mark = ng.mark();
    b.stop();
    ng.log.wait(mark, "Server \"c.test\" unregistered", TIMEOUT);
    let mark = ng.mark();
    let _b = natter_behind(&front, b_port);
    ng.log
        .wait(mark, "Server \"c.test\" registered", TIMEOUT * 2);
    let mut natter_user = front.client("alice");
    let mut ng_user = ng.client("bob");
    // alice's NICK must have reached ngIRCd before bob writes to her.
    let deadline = std::time::Instant::now() + TIMEOUT;
    while !ng_user
        .ask("WHOIS alice")
        .iter()
        .any(|m| m.command == "311")
    {
        assert!(
            std::time::Instant::now() < deadline,
            "ngIRCd never saw alice"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    ng_user.send("PRIVMSG alice :the link to natter is still up");
    let got = relay(&mut ng_user, &mut natter_user);
    assert_eq!(got.len(), 1, "{got:#?}");
    assert_eq!(got[0].params[1], "the link to natter is still up");
}
