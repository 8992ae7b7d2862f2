//! `natter im` end to end: real `natter serve` processes and `natter im`
//! processes driven through their standard input and output, asserting the
//! exact lines people see: presence (printed only when it changes, though
//! the server repeats it every second here), invitations, joining, talking,
//! leaving, status, errors; files sent with `/send` and fetched with
//! `/get`, resumed after a Ctrl-C; and the exit codes and messages when the
//! server cannot be reached, is not an IM server, refuses the username, or
//! goes away.

mod common;
use common::*;

use std::io::Write;
use std::path::Path;
use std::process::{Child, ChildStdin, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// A `natter serve` whose ONLINE_USERS refresh comes every second, with
/// its listeners' addresses as `natter im` takes them.
struct Server {
    serve: Serve,
    /// The IRC listener.
    irc: String,
    /// The IM listener.
    im: String,
    /// The configuration file and, in `data`, the data directory.
    dir: tempfile::TempDir,
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
            dir,
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
        Im::spawn(addr, args, natter())
    }

    /// Starts `natter im ADDR ARGS` from `command` (with its environment
    /// and working directory).
    fn spawn(addr: &str, args: &[&str], mut command: std::process::Command) -> Im {
        let mut child = command
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
        "/send", "/get",
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

// Files: `/send` and `/get`.

/// Bytes that differ at every offset (xorshift), so a piece put in the
/// wrong place shows.
fn content(len: usize, seed: u32) -> Vec<u8> {
    let mut x = seed.wrapping_mul(2_654_435_761).max(1);
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}

impl Im {
    /// Starts `natter im ADDR --user NAME --login` in `dir`, logged in to
    /// the account NAME (created by the first login), and checks its
    /// greeting and the online line that follows.
    fn login(addr: &str, name: &str, online: &str, dir: &Path) -> Im {
        let mut command = natter();
        command
            .env("NATTER_IM_PASSWORD", format!("pw-{name}-123"))
            .current_dir(dir);
        let im = Im::spawn(addr, &["--user", name, "--login"], command);
        im.expect(&format!(
            "connected to {addr} as {name}; /help lists the commands"
        ));
        im.expect(online);
        im
    }

    /// The next line that is not a progress line (`… NAME: 45% ...`, which
    /// a slow transfer prints every 10 seconds when not at a terminal).
    fn said(&self) -> String {
        loop {
            let line = self.line();
            if !line.starts_with("… ") {
                return line;
            }
        }
    }

    /// Reads up to `expected`, passing over the history of a conversation
    /// (`[1] (10:00) ann: hi`) that comes on joining.
    fn expect_after_history(&self, expected: &str) {
        loop {
            let line = self.said();
            if line == expected {
                return;
            }
            assert!(line.starts_with("[1] ("), "{}: {line:?}", self.name);
        }
    }

    /// The next `n` lines as [`Im::said`] gives them, sorted: lines printed
    /// by different threads (a transfer's and the server's) come in either
    /// order.
    fn said_sorted(&self, n: usize) -> Vec<String> {
        let mut lines: Vec<String> = (0..n).map(|_| self.said()).collect();
        lines.sort();
        lines
    }

    fn pid(&self) -> rustix::process::Pid {
        rustix::process::Pid::from_child(&self.child)
    }
}

/// `line` without `prefix`, or a failure naming both.
fn after<'a>(line: &'a str, prefix: &str) -> &'a str {
    line.strip_prefix(prefix)
        .unwrap_or_else(|| panic!("expected {prefix:?}..., got {line:?}"))
}

/// Ann and Ben logged in, in conversation 1, each in a directory of their
/// own (their working directories) under the returned one.
fn ann_and_ben(server: &Server) -> (Im, Im, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    for who in ["ann", "ben"] {
        std::fs::create_dir(dir.path().join(who)).unwrap();
    }
    let addr = server.im.as_str();
    let mut ann = Im::login(addr, "ann", "online: ann (online)", &dir.path().join("ann"));
    let mut ben = Im::login(
        addr,
        "ben",
        "online: ann (online), ben (online)",
        &dir.path().join("ben"),
    );
    ann.expect("online: ann (online), ben (online)");
    ann.say("/invite ben");
    ann.expect("started conversation 1 and invited ben");
    ben.expect("ann invites you to conversation 1 — type /join 1");
    ben.say("/join 1");
    ben.expect("joined conversation 1 with ann");
    (ann, ben, dir)
}

/// Has `ann` send `name` (in her directory) to conversation 1, and returns
/// the file's ID and its link from Ben's announcement.
fn share(ann: &mut Im, ben: &Im, name: &str, human: &str) -> (String, String) {
    ann.say(&format!("/send {name}"));
    let start = ann.said();
    let id = after(
        &start,
        &format!("sending {name} ({human}) to conversation 1 as file "),
    )
    .to_string();
    assert_eq!(id.len(), 22, "{start}");
    let told = ben.said();
    let url = after(&told, &format!("[1] ann: shared {name} ({human}, "))
        .split_once("): ")
        .unwrap_or_else(|| panic!("no link in {told:?}"))
        .1
        .to_string();
    assert!(
        url.starts_with("http://127.0.0.1:") && url.ends_with(&format!("/files/{id}/{name}")),
        "{url}"
    );
    assert_eq!(
        ann.said_sorted(2),
        [
            told.clone(),
            format!("sent {name} ({human}) as file {id}: {url}")
        ]
    );
    (id, url)
}

#[test]
fn send_a_file_and_get_it() {
    let server = Server::start();
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("ann")).unwrap();
    let mut ann = Im::login(
        &server.im,
        "ann",
        "online: ann (online)",
        &dir.path().join("ann"),
    );
    ann.say("/send report.bin");
    ann.expect("no current conversation to send to: /join ID or /msg ID TEXT first");
    drop(ann);
    let (mut ann, mut ben, dir) = ann_and_ben(&server);
    let (a, b) = (dir.path().join("ann"), dir.path().join("ben"));
    let data = content(100_000, 1);
    std::fs::write(a.join("report.bin"), &data).unwrap();

    ann.say("/send nothere.bin");
    ann.expect("cannot send nothere.bin: No such file or directory (os error 2)");
    ann.say("/send");
    ann.expect("usage: /send PATH (a file, to the current conversation)");

    let (id, url) = share(&mut ann, &ben, "report.bin", "97.7 KiB");
    // The server keeps it as it was sent.
    let blobs = server.dir.path().join("data/files/blobs");
    let kept: Vec<_> = std::fs::read_dir(&blobs).unwrap().collect();
    assert_eq!(kept.len(), 1, "{kept:?}");

    // Ben pastes the link; the file lands under its own name in his
    // directory, whole.
    ben.say(&format!("/get {url}"));
    ben.expect("getting report.bin (97.7 KiB) into report.bin");
    ben.expect("got report.bin (97.7 KiB) into report.bin; SHA-256 checked");
    assert!(std::fs::read(b.join("report.bin")).unwrap() == data);
    assert!(!b.join("report.bin.part").exists());

    // Again: nothing to do. Into a different file of that name: refused,
    // and the file is left alone. Into a directory: under its name there.
    ben.say(&format!("/get {id}"));
    ben.expect("report.bin is already here (same SHA-256)");
    std::fs::write(b.join("mine.bin"), b"mine").unwrap();
    ben.say(&format!("/get {id} mine.bin"));
    ben.expect(&format!(
        "cannot get report.bin: mine.bin already exists and is a different file; it is left \
         as it is (/get {id} OTHER-NAME saves it under another name)"
    ));
    assert_eq!(std::fs::read(b.join("mine.bin")).unwrap(), b"mine");
    std::fs::create_dir(b.join("in")).unwrap();
    ben.say(&format!("/get {id} in"));
    ben.expect("getting report.bin (97.7 KiB) into in/report.bin");
    ben.expect("got report.bin (97.7 KiB) into in/report.bin; SHA-256 checked");
    assert!(std::fs::read(b.join("in/report.bin")).unwrap() == data);

    // Files that do not exist, and what is not an ID.
    ben.say("/get AAAAAAAAAAAAAAAAAAAAAA");
    ben.expect("cannot get AAAAAAAAAAAAAAAAAAAAAA: no such file");
    ben.say("/get report.bin");
    ben.expect("usage: /get ID [FILE] (ID: the file's id or its link)");

    let (status, out, err) = ann.finish();
    assert_eq!(status.code(), Some(0), "{out:?} {err:?}");
    assert!(out.is_empty() && err.is_empty(), "{out:?} {err:?}");
    ben.expect("online: ben (online)");
    let (status, out, err) = ben.finish();
    assert_eq!(status.code(), Some(0), "{out:?} {err:?}");
    assert!(out.is_empty() && err.is_empty(), "{out:?} {err:?}");
}

#[test]
fn a_partial_download_resumes_and_a_wrong_one_is_deleted() {
    let server = Server::start();
    let (mut ann, mut ben, dir) = ann_and_ben(&server);
    let (a, b) = (dir.path().join("ann"), dir.path().join("ben"));
    let data = content(100_000, 2);
    std::fs::write(a.join("report.bin"), &data).unwrap();
    let (id, _) = share(&mut ann, &ben, "report.bin", "97.7 KiB");

    // The first 40000 bytes are here already (not a whole number of
    // chunks): only the rest is fetched, and the whole checks out.
    std::fs::write(b.join("copy.bin.part"), &data[..40_000]).unwrap();
    ben.say(&format!("/get {id} copy.bin"));
    ben.expect("resuming report.bin into copy.bin at byte 40000 of 100000 (40%)");
    ben.expect("got report.bin (97.7 KiB) into copy.bin; SHA-256 checked");
    assert!(std::fs::read(b.join("copy.bin")).unwrap() == data);
    assert!(!b.join("copy.bin.part").exists());

    // A .part that is not the start of this file: the digest does not
    // match, and nothing is kept.
    std::fs::write(b.join("bad.bin.part"), content(40_000, 3)).unwrap();
    ben.say(&format!("/get {id} bad.bin"));
    ben.expect("resuming report.bin into bad.bin at byte 40000 of 100000 (40%)");
    let refused = ben.said();
    assert!(
        refused.starts_with("cannot get report.bin: what arrived does not have the file's SHA-256")
            && refused.ends_with("bad.bin.part is deleted, and /get starts over"),
        "{refused}"
    );
    assert!(!b.join("bad.bin").exists() && !b.join("bad.bin.part").exists());

    // One longer than the file is not touched.
    std::fs::write(b.join("long.bin.part"), content(100_001, 4)).unwrap();
    ben.say(&format!("/get {id} long.bin"));
    ben.expect(
        "cannot get report.bin: long.bin.part is longer than the file (100001 > 100000 bytes), \
         so it is not a part of it; remove it or give another name",
    );
    assert_eq!(
        std::fs::metadata(b.join("long.bin.part")).unwrap().len(),
        100_001
    );
    ben.finish();
    ann.finish();
}

/// Waits until `path` (or, if it is a directory, a file in it) holds some
/// bytes, then interrupts `im` as Ctrl-C would and waits for it to die.
///
/// The signal is SIGTERM, not SIGINT: `natter im` handles neither, and both
/// end it at once, but a test run started in the background by a shell
/// without job control inherits SIGINT ignored (POSIX, "Signals" under
/// the shell's asynchronous lists), and the client with it.
fn interrupt_when_started(im: Im, path: &Path) {
    let deadline = Instant::now() + TIMEOUT;
    let started = || {
        let len = |p: &Path| std::fs::metadata(p).map_or(0, |m| m.len());
        if path.is_dir() {
            std::fs::read_dir(path)
                .unwrap()
                .any(|e| len(&e.unwrap().path()) > 0)
        } else {
            len(path) > 0
        }
    };
    while !started() {
        assert!(Instant::now() < deadline, "{path:?} stayed empty");
        std::thread::sleep(Duration::from_millis(1));
    }
    rustix::process::kill_process(im.pid(), rustix::process::Signal::TERM).unwrap();
    let (status, _, _) = im.wait();
    assert_eq!(status.code(), None, "killed by the signal");
}

#[test]
fn transfers_interrupted_with_ctrl_c_resume() {
    let server = Server::start();
    let (mut ann, ben, dir) = ann_and_ben(&server);
    let (a, b) = (dir.path().join("ann"), dir.path().join("ben"));
    let size = 4 << 20;
    let data = content(size, 5);
    std::fs::write(a.join("big.bin"), &data).unwrap();

    // The chat goes on during a transfer: a line typed after /send reaches
    // Ben before the file's announcement.
    ann.say("/send big.bin");
    let start = ann.said();
    let id = after(
        &start,
        "sending big.bin (4.0 MiB) to conversation 1 as file ",
    )
    .to_string();
    ann.say("still here");
    ben.expect("[1] ann: still here");
    interrupt_when_started(ann, &server.dir.path().join("data/files/partial"));
    ben.expect("online: ben (online)");

    // Ann comes back and sends it again: it goes on from what the server
    // got.
    let mut ann = Im::login(&server.im, "ann", "online: ann (online), ben (online)", &a);
    ben.expect("online: ann (online), ben (online)");
    ann.say("/join 1");
    ann.expect_after_history("joined conversation 1 with ben");
    ann.say("/send big.bin");
    let resumed = ann.said();
    let rest = after(&resumed, "resuming big.bin at byte ");
    let (at, rest) = rest.split_once(' ').unwrap();
    let at: usize = at.parse().unwrap();
    assert!(at > 0 && at < size, "{resumed}");
    assert_eq!(at % 6144, 0, "whole chunks: {resumed}");
    assert!(
        rest.starts_with(&format!("of {size} ("))
            && rest.ends_with(&format!(" to conversation 1 as file {id}")),
        "{resumed}"
    );
    let told = ben.said();
    assert!(
        told.starts_with("[1] ann: shared big.bin (4.0 MiB, ") && told.contains(&id),
        "{told}"
    );
    let lines = ann.said_sorted(2);
    assert!(lines.contains(&told), "{lines:?}");
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with(&format!("sent big.bin (4.0 MiB) as file {id}: http://"))),
        "{lines:?}"
    );

    // Ben's download is cut by Ctrl-C; the next /get goes on from the
    // .part file.
    let mut ben = ben;
    ben.say(&format!("/get {id}"));
    ben.expect("getting big.bin (4.0 MiB) into big.bin");
    interrupt_when_started(ben, &b.join("big.bin.part"));
    ann.expect("online: ann (online)");
    let have = std::fs::metadata(b.join("big.bin.part")).unwrap().len() as usize;
    assert!(have > 0 && have < size, "{have}");
    assert!(!b.join("big.bin").exists());
    let mut ben = Im::login(&server.im, "ben", "online: ann (online), ben (online)", &b);
    ann.expect("online: ann (online), ben (online)");
    ben.say("/join 1");
    ben.expect_after_history("joined conversation 1 with ann");
    ben.say(&format!("/get {id}"));
    ben.expect(&format!(
        "resuming big.bin into big.bin at byte {have} of {size} ({}%)",
        have * 100 / size
    ));
    ben.expect("got big.bin (4.0 MiB) into big.bin; SHA-256 checked");
    assert!(std::fs::read(b.join("big.bin")).unwrap() == data);
    assert!(!b.join("big.bin.part").exists());
    ann.finish();
    ben.finish();
}
