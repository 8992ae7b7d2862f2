//! `natter im` end to end: real `natter serve` processes and `natter im`
//! processes driven through their standard input and output, asserting the
//! exact lines people see: presence (printed only when it changes, though
//! the server repeats it every second here), invitations, joining, talking,
//! leaving, status, errors; and the exit codes and messages when the server
//! cannot be reached, is not an IM server, refuses the username, or goes
//! away.

mod common;
use common::*;

use std::io::Write;
use std::process::{Child, ChildStdin, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// A `natter serve` whose ONLINE_USERS refresh comes every second, with
/// its listeners' addresses as `natter im` takes them.
struct Server {
    serve: Serve,
    /// The IRC listener.
    irc: String,
    /// The IM listener.
    im: String,
    _dir: tempfile::TempDir,
}

impl Server {
    fn start() -> Server {
        let dir = tempfile::tempdir().unwrap();
        let serve = Serve::with_config(dir.path(), "[im]\nonline_users_interval = 1\n");
        let im = serve.listening("IM").to_string();
        Server {
            irc: serve.irc.to_string(),
            im,
            serve,
            _dir: dir,
        }
    }

    /// Sends SIGTERM (a clean shutdown: clients get an ERROR first).
    fn terminate(&self) {
        self.serve.terminate();
    }
}

/// Registers an IRC client at `irc` and returns `nick`'s away message
/// from WHOIS (RPL_AWAY's text).
fn irc_away_message(irc: &str, nick: &str) -> String {
    use std::io::{BufRead, BufReader};
    let stream = std::net::TcpStream::connect(irc).unwrap();
    stream.set_read_timeout(Some(TIMEOUT)).unwrap();
    let mut writer = stream.try_clone().unwrap();
    write!(writer, "NICK watcher\r\nUSER w 0 * :W\r\nWHOIS {nick}\r\n").unwrap();
    for line in BufReader::new(stream).lines() {
        let line = line.expect("a line before the timeout");
        let words: Vec<&str> = line.splitn(5, ' ').collect();
        match words.get(1) {
            Some(&"301") => return words[4].trim_start_matches(':').to_string(),
            Some(&"318") => panic!("{nick} is not away"),
            _ => {}
        }
    }
    panic!("connection closed before WHOIS ended")
}

/// A running `natter im`, fed through its standard input.
struct Im {
    name: String,
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: mpsc::Receiver<String>,
    stderr: mpsc::Receiver<String>,
}

impl Im {
    fn start(addr: &str, args: &[&str]) -> Im {
        let mut child = natter()
            .args(["im", addr])
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn natter im");
        Im {
            name: args.join(" "),
            stdin: child.stdin.take(),
            stdout: lines_of(child.stdout.take().unwrap()),
            stderr: lines_of(child.stderr.take().unwrap()),
            child,
        }
    }

    /// Starts `natter im ADDR --user NAME` and checks its greeting and the
    /// online line that follows.
    fn user(addr: &str, name: &str, online: &str) -> Im {
        let im = Im::start(addr, &["--user", name]);
        im.expect(&format!(
            "connected to {addr} as {name}; /help lists the commands"
        ));
        im.expect(online);
        im
    }

    /// Types `line`.
    fn say(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().expect("stdin still open");
        stdin
            .write_all(format!("{line}\n").as_bytes())
            .expect("write to natter im");
        stdin.flush().unwrap();
    }

    /// The next line on standard output.
    fn line(&self) -> String {
        self.stdout.recv_timeout(TIMEOUT).unwrap_or_else(|_| {
            panic!(
                "{}: no line within {TIMEOUT:?}; stderr: {:?}",
                self.name,
                self.stderr.try_iter().collect::<Vec<_>>()
            )
        })
    }

    fn expect(&self, expected: &str) {
        assert_eq!(self.line(), expected, "{}", self.name);
    }

    /// Asserts nothing more is printed for a while.
    fn quiet(&self, wait: Duration) {
        if let Ok(line) = self.stdout.recv_timeout(wait) {
            panic!("{}: unexpected line {line:?}", self.name);
        }
    }

    /// Closes standard input (end of input quits) and returns the exit
    /// status and what else was printed on stdout and stderr.
    fn finish(mut self) -> (ExitStatus, Vec<String>, Vec<String>) {
        self.stdin = None;
        self.wait()
    }

    /// Waits for the process to exit by itself; as for `finish`.
    fn wait(mut self) -> (ExitStatus, Vec<String>, Vec<String>) {
        let status = wait_exit(&mut self.child);
        // The forwarding threads end at end of file.
        let rest = |rx: &mpsc::Receiver<String>| {
            let mut lines = Vec::new();
            while let Ok(l) = rx.recv_timeout(TIMEOUT) {
                lines.push(l);
            }
            lines
        };
        let out = rest(&self.stdout);
        let err = rest(&self.stderr);
        (status, out, err)
    }
}

impl Drop for Im {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

#[test]
fn two_people_invite_join_talk_and_leave() {
    let server = Server::start();
    let addr = server.im.as_str();
    let mut ann = Im::user(addr, "ann", "online: ann (online)");
    let mut ben = Im::user(addr, "ben", "online: ann (online), ben (online)");
    ann.expect("online: ann (online), ben (online)");

    // Plain text needs a conversation.
    ann.say("hello?");
    ann.expect("no current conversation: /join ID or /msg ID text");

    // The inviter joins its new conversation at once; unknown names get
    // the server's error and are not reported as invited.
    ann.say("/invite ben zed");
    ann.expect("! server: no such user \"zed\"");
    ann.expect("started conversation 1 and invited ben");
    ben.expect("ann invites you to conversation 1 — type /join 1");

    ben.say("/join 1");
    ben.expect("joined conversation 1 with ann");
    ben.say("/join 1");
    ben.expect("! server: cannot join conversation 1: you are already in it");

    ann.say("hello ben");
    ann.expect("[1] ann: hello ben");
    ben.expect("[1] ann: hello ben");
    ben.say("hi ann, //not a command");
    ben.expect("[1] ben: hi ann, //not a command");
    ann.expect("[1] ben: hi ann, //not a command");
    ann.say("//slash at the start");
    ann.expect("[1] ann: /slash at the start");
    ben.expect("[1] ann: /slash at the start");
    ben.say("/msg 1 via /msg");
    ben.expect("[1] ben: via /msg");
    ann.expect("[1] ben: via /msg");

    ann.say("/list");
    ann.expect("conversations:");
    ann.expect("  [1] ann, ben (current)");

    // Status changes show up for everyone; the server's refresh every
    // second repeats the list, which is not printed again.
    ben.say("/away lunch");
    ben.expect("online: ann (online), ben (away: lunch)");
    ann.expect("online: ann (online), ben (away: lunch)");
    // An IRC user sees the away message "lunch", not "away: lunch"; the
    // IM users see it come and go.
    assert_eq!(irc_away_message(&server.irc, "ben"), "lunch");
    for im in [&mut ann, &mut ben] {
        im.expect("online: ann (online), ben (away: lunch), watcher (online)");
        im.expect("online: ann (online), ben (away: lunch)");
    }
    ann.quiet(Duration::from_millis(2500));
    ben.say("/who");
    ben.expect("online: ann (online), ben (away: lunch)");
    ben.say("/back");
    ben.expect("online: ann (online), ben (online)");
    ann.expect("online: ann (online), ben (online)");

    ben.say("/leave 1");
    ben.expect("left conversation 1");
    ben.say("still there?");
    ben.expect("no current conversation: /join ID or /msg ID text");
    ben.say("/leave 1");
    ben.expect("! server: not in conversation 1");
    ann.say("/list");
    ann.expect("conversations:");
    ann.expect("  [1] ann (current)");
    ann.say("anyone?");
    ann.expect("[1] ann: anyone?");
    ben.say("/join 7");
    ben.expect("! server: no such conversation 7");
    ben.say("/frob");
    ben.expect("unknown command /frob (/help lists them)");
    ben.say("/join one");
    ben.expect("usage: /join ID (a number from /list)");

    ben.say("/quit");
    let (status, out, err) = ben.wait();
    assert_eq!(status.code(), Some(0), "{out:?} {err:?}");
    assert!(out.is_empty() && err.is_empty(), "{out:?} {err:?}");
    ann.expect("online: ann (online)");

    // End of input quits like /quit.
    let (status, out, err) = ann.finish();
    assert_eq!(status.code(), Some(0), "{out:?} {err:?}");
    assert!(out.is_empty() && err.is_empty(), "{out:?} {err:?}");
}

#[test]
fn help_lists_the_commands() {
    let server = Server::start();
    let mut ann = Im::user(&server.im, "ann", "online: ann (online)");
    ann.say("/help");
    assert_eq!(ann.line(), "commands:");
    let mut help: Vec<String> = Vec::new();
    while !matches!(help.last(), Some(l) if l.contains("/quit")) {
        help.push(ann.line());
    }
    for command in [
        "/invite", "/join", "/leave", "/msg", "/list", "/who", "/status", "/away", "/back",
    ] {
        assert!(
            help.iter().any(|l| l.contains(command)),
            "{command}: {help:#?}"
        );
    }
    let (status, _, _) = ann.finish();
    assert_eq!(status.code(), Some(0));
}

#[test]
fn username_from_input_and_initial_status() {
    let server = Server::start();
    let mut cat = Im::start(&server.im, &["--status", "busy"]);
    // Not at a terminal: the first line of input is the username.
    cat.say("cat");
    cat.expect(&format!(
        "connected to {} as cat; /help lists the commands",
        server.im
    ));
    cat.expect("online: cat (away: busy)");
    let (status, _, _) = cat.finish();
    assert_eq!(status.code(), Some(0));

    let empty = Im::start(&server.im, &[]);
    let (status, out, err) = empty.finish();
    assert_eq!(status.code(), Some(1));
    assert!(out.is_empty(), "{out:?}");
    assert_eq!(err, ["natter im: no username given"]);
}

#[test]
fn taken_or_invalid_username_exits_1() {
    let server = Server::start();
    let ann = Im::user(&server.im, "ann", "online: ann (online)");
    for (name, why) in [
        ("ann", "username \"ann\" is taken".to_string()),
        ("9lives", "invalid username \"9lives\"".to_string()),
    ] {
        let im = Im::start(&server.im, &["--user", name]);
        let (status, out, err) = im.wait();
        assert_eq!(status.code(), Some(1), "{out:?} {err:?}");
        assert!(out.is_empty(), "{out:?}");
        assert_eq!(err.len(), 1, "{err:?}");
        let prefix = format!("natter im: cannot register as {name}: {why}");
        assert!(err[0].starts_with(&prefix), "{err:?}");
    }
    drop(ann);
}

#[test]
fn unreachable_server_exits_1() {
    // A port that was just free: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = format!("127.0.0.1:{port}");
    let im = Im::start(&addr, &["--user", "ann"]);
    let (status, out, err) = im.finish();
    assert_eq!(status.code(), Some(1), "{out:?} {err:?}");
    assert!(out.is_empty(), "{out:?}");
    assert_eq!(err.len(), 1, "{err:?}");
    assert!(
        err[0].starts_with(&format!("natter im: cannot connect to {addr}: ")),
        "{err:?}"
    );
}

#[test]
fn an_irc_port_is_not_an_im_server() {
    let server = Server::start();
    let im = Im::start(&server.irc, &["--user", "ann"]);
    let (status, out, err) = im.wait();
    assert_eq!(status.code(), Some(1), "{out:?} {err:?}");
    assert_eq!(err.len(), 1, "{err:?}");
    assert!(
        err[0].starts_with(&format!(
            "natter im: {} does not speak the IM protocol",
            server.irc
        )),
        "{err:?}"
    );
}

#[test]
fn server_going_away_exits_1() {
    let server = Server::start();
    let ann = Im::user(&server.im, "ann", "online: ann (online)");
    server.terminate();
    let (status, out, err) = ann.wait();
    assert_eq!(status.code(), Some(1), "{out:?} {err:?}");
    assert_eq!(out, ["! server: closing: Server shutting down"]);
    assert_eq!(err, ["natter im: the server closed the connection"]);
}
