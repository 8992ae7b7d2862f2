//! The `natter` binary end to end: `natter serve` announces its listener on
//! stdout and serves real IRC clients; command-line overrides
//! (`--listen`, `--data-dir`, `--server-name`); configuration errors that
//! name the file, line and key and exit with status 2; the shipped
//! `natter.example.toml` is valid; SIGTERM and DIE stop the server cleanly
//! (clients get ERROR, exit status 0); `natter passwd` prints an argon2 hash
//! that verifies and that OPER accepts, and on a terminal asks twice without
//! echoing.

mod common;
use common::*;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};

/// The shipped example configuration.
fn example_config() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../natter.example.toml")
}

/// A minimal blocking IRC client.
struct Client {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl Client {
    fn connect(addr: SocketAddr) -> Client {
        let stream = TcpStream::connect(addr).expect("connect");
        stream.set_read_timeout(Some(TIMEOUT)).unwrap();
        Client {
            writer: stream.try_clone().unwrap(),
            reader: BufReader::new(stream),
        }
    }

    fn send(&mut self, line: &str) {
        self.writer
            .write_all(format!("{line}\r\n").as_bytes())
            .expect("write");
    }

    /// The next line without CR LF, or `None` once the server closed.
    fn line(&mut self) -> Option<String> {
        let mut s = String::new();
        match self.reader.read_line(&mut s) {
            Ok(0) => None,
            Ok(_) => Some(s.trim_end_matches(['\r', '\n']).to_string()),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => None,
            Err(e) => panic!("no line from natter: {e}"),
        }
    }

    /// Reads up to and including the first line whose command (the word
    /// after the source) is one of `commands`; returns all lines read.
    fn until(&mut self, commands: &[&str]) -> Vec<String> {
        let mut lines = Vec::new();
        loop {
            let l = self
                .line()
                .unwrap_or_else(|| panic!("closed while waiting for {commands:?}: {lines:#?}"));
            let done = commands.contains(&command_of(&l));
            lines.push(l);
            if done {
                return lines;
            }
        }
    }

    /// Registers as `nick`; returns the welcome burst through the MOTD.
    fn register(&mut self, nick: &str) -> Vec<String> {
        self.send(&format!("NICK {nick}"));
        self.send(&format!("USER {nick} 0 * :{nick}"));
        self.until(&["376", "422"])
    }

    fn read_until_closed(&mut self) -> Vec<String> {
        let mut lines = Vec::new();
        while let Some(l) = self.line() {
            lines.push(l);
        }
        lines
    }
}

/// The command of a raw line (skipping a `:source`).
fn command_of(line: &str) -> &str {
    let mut words = line.split(' ');
    let first = words.next().unwrap_or("");
    if first.starts_with(':') {
        words.next().unwrap_or("")
    } else {
        first
    }
}

/// Runs `natter serve <args>` expecting it to fail at start-up.
fn serve_fails(args: &[&str]) -> Output {
    let out = natter()
        .arg("serve")
        .args(["--im-listen", "127.0.0.1:0"])
        .args(common::EPHEMERAL_EXTRAS)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run natter");
    assert!(!out.status.success(), "natter serve {args:?} started");
    assert!(
        out.stdout.is_empty(),
        "nothing on stdout: {:?}",
        String::from_utf8_lossy(&out.stdout)
    );
    out
}

fn stderr_of(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Runs `natter serve --config <config>`, which must refuse to start with
/// exit status 2 (a configuration error); returns its stderr.
fn config_refused(config: &std::path::Path) -> String {
    let out = serve_fails(&["--config", config.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    stderr_of(&out)
}

/// An argon2id hash of `password` with cheap parameters, for `[[oper]]`.
fn cheap_hash(password: &str) -> String {
    use argon2::password_hash::{PasswordHasher, SaltString};
    let params = argon2::Params::new(8, 1, 1, None).unwrap();
    let argon = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let salt = SaltString::encode_b64(b"natter-cli-salt").unwrap();
    argon
        .hash_password(password.as_bytes(), &salt)
        .unwrap()
        .to_string()
}

// ---- serve ----

#[test]
fn serve_prints_listener_and_serves_clients() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("nested/data");
    let server = Serve::with_data_dir(&data, &[]);
    assert_eq!(server.irc.ip().to_string(), "127.0.0.1");
    assert_ne!(server.irc.port(), 0);
    // The data directory was created before the listener was announced.
    assert!(data.is_dir(), "{} was not created", data.display());

    let mut c = Client::connect(server.irc);
    let burst = c.register("alice");
    // Cloaking is on by default: the address is hidden even in 001.
    let welcome = burst[0]
        .strip_prefix(":natter.local 001 alice :Welcome to the NatterNet IRC Network alice!~alice@")
        .unwrap_or_else(|| panic!("{}", burst[0]));
    assert!(
        welcome.ends_with(".IP") && !welcome.contains("127"),
        "{welcome}"
    );
    c.send("PING :are-you-there");
    assert_eq!(
        c.until(&["PONG"]),
        vec![":natter.local PONG natter.local are-you-there"]
    );
    // One line per listener (IRC, IM, IRC over TLS with the certificate's
    // fingerprint, web client, metrics), and nothing else on stdout.
    let im = server.stdout.recv_timeout(TIMEOUT).unwrap();
    assert!(im.starts_with("natter: IM listening on 127.0.0.1:"), "{im}");
    let tls = server.stdout.recv_timeout(TIMEOUT).unwrap();
    assert!(
        tls.starts_with("natter: IRC over TLS listening on 127.0.0.1:"),
        "{tls}"
    );
    let fingerprint = tls.split("SHA-256 ").nth(1).unwrap().trim_end_matches(')');
    assert_eq!(fingerprint.len(), 32 * 3 - 1, "{tls}");
    // The certificate was generated into the data directory.
    assert!(data.join("tls/cert.pem").is_file());
    let web = server.stdout.recv_timeout(TIMEOUT).unwrap();
    assert!(
        web.starts_with("natter: web client at http://127.0.0.1:"),
        "{web}"
    );
    let metrics = server.stdout.recv_timeout(TIMEOUT).unwrap();
    assert!(
        metrics.starts_with("natter: metrics at http://127.0.0.1:"),
        "{metrics}"
    );
    assert!(metrics.ends_with("/metrics"), "{metrics}");
    assert!(server.stdout.try_recv().is_err());
}

#[test]
fn listen_addresses_may_be_host_names() {
    // On the command line and in the file: resolved at start-up.
    let dir = tempfile::tempdir().unwrap();
    let server = Serve::with_data_dir(dir.path(), &["--listen", "localhost:0"]);
    assert!(server.irc.ip().is_loopback(), "{}", server.irc);
    let mut c = Client::connect(server.irc);
    assert!(c.register("hana")[0].contains(" 001 hana "));
    drop(server);

    let config = dir.path().join("natter.toml");
    std::fs::write(
        &config,
        "[listen]\nirc = [\"localhost:0\"]\nim = []\nirc_tls = []\nhttp = []\nmetrics = []\n",
    )
    .unwrap();
    let mut child = natter()
        .args(["serve", "--config", config.to_str().unwrap(), "--data-dir"])
        .arg(dir.path().join("data"))
        .env("NATTER_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = lines_of(child.stdout.take().unwrap());
    let line = stdout.recv_timeout(TIMEOUT).expect("a listening line");
    let _ = child.kill();
    let _ = child.wait();
    let addr: SocketAddr = line
        .strip_prefix("natter: IRC listening on ")
        .unwrap_or_else(|| panic!("{line:?}"))
        .parse()
        .unwrap();
    assert!(addr.ip().is_loopback(), "{addr}");
}

#[test]
fn server_name_override_is_the_source() {
    let dir = tempfile::tempdir().unwrap();
    let server = Serve::with_data_dir(dir.path(), &["--server-name", "irc.example.org"]);
    let mut c = Client::connect(server.irc);
    let burst = c.register("bob");
    assert!(
        burst[0].starts_with(":irc.example.org 001 bob "),
        "{:?}",
        burst[0]
    );
}

#[test]
fn example_config_is_valid_and_starts() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let example = example_config();
    let server = Serve::with_data_dir(&data, &["--config", example.to_str().unwrap()]);
    assert!(data.is_dir());
    let mut c = Client::connect(server.irc);
    let burst = c.register("carol");
    assert!(burst[0].starts_with(":natter.local 001 carol "));
    // The example's oper block, password "change-me", from 127.0.0.1.
    c.send("OPER admin change-me");
    let got = c.until(&["381", "464", "491"]);
    assert_eq!(
        got.last().map(String::as_str),
        Some(":natter.local 381 carol :You are now an IRC operator"),
        "{got:#?}"
    );
}

#[test]
fn sigterm_sends_error_and_exits_zero() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Serve::with_data_dir(dir.path(), &[]);
    let mut c = Client::connect(server.irc);
    c.register("dave");
    server.terminate();
    let lines = c.read_until_closed();
    assert_eq!(
        lines.last().map(String::as_str),
        Some("ERROR :Closing Link: 127.0.0.1 (Server shutting down)"),
        "{lines:#?}"
    );
    let status = server.wait_exit();
    assert_eq!(status.code(), Some(0), "{status:?}");
}

#[test]
fn sigterm_right_after_the_listening_line_exits_zero() {
    // A script may signal as soon as it has read the line: the handler must
    // already be in place, or the default action kills the process.
    let dir = tempfile::tempdir().unwrap();
    let mut server = Serve::with_data_dir(dir.path(), &[]);
    server.terminate();
    let status = server.wait_exit();
    assert_eq!(status.code(), Some(0), "{status:?}");
}

#[test]
fn die_from_an_operator_exits_zero() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Serve::with_config(
        dir.path(),
        &format!(
            "[server]\nallow_die = true\n\n[[oper]]\nname = \"root\"\npassword = \"{}\"\n",
            cheap_hash("pw")
        ),
    );
    let mut bystander = Client::connect(server.irc);
    bystander.register("erin");
    let mut c = Client::connect(server.irc);
    c.register("frank");
    c.send("OPER root pw");
    c.until(&["381"]);
    c.send("DIE");
    for client in [&mut c, &mut bystander] {
        let lines = client.read_until_closed();
        assert_eq!(
            lines.last().map(String::as_str),
            Some("ERROR :Closing Link: 127.0.0.1 (Server shutting down)"),
            "{lines:#?}"
        );
    }
    assert_eq!(server.wait_exit().code(), Some(0));
}

// ---- configuration errors ----

#[test]
fn unknown_key_names_file_line_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("natter.toml");
    std::fs::write(
        &config,
        "[server]\nname = \"irc.test\"\n\n[limits]\nnicklenn = 5\n",
    )
    .unwrap();
    let err = config_refused(&config);
    let want = format!(
        "natter: {}:5: key `limits.nicklenn`: unknown field `nicklenn`",
        config.display()
    );
    assert!(err.starts_with(&want), "stderr: {err}");
}

#[test]
fn bad_values_name_file_line_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("natter.toml");
    for (text, want) in [
        (
            "# listeners\n[listen]\nirc = [\"nonsense\"]\n",
            ":3: key `listen.irc`: ",
        ),
        (
            "[limits]\nnicklen = 0\n",
            ":2: key `limits.nicklen`: 0 is out of range 1..=200",
        ),
        (
            "[server]\nname = \"nodot\"\n",
            ":2: key `server.name`: \"nodot\" is not a server name",
        ),
        (
            "[timeouts]\nping_interval = \"soon\"\n",
            ":2: key `timeouts.ping_interval`: ",
        ),
        (
            "[server\nname = \"a.b\"\n",
            ":1: key `server`: invalid table header; expected",
        ),
        (
            "[[oper]]\nname = \"x\"\npassword = \"plain\"\n",
            ":3: key `oper.password`: ",
        ),
    ] {
        std::fs::write(&config, text).unwrap();
        let err = config_refused(&config);
        let want = format!("natter: {}{want}", config.display());
        assert!(
            err.starts_with(&want),
            "for {text:?}\nwant: {want}\nstderr: {err}"
        );
        assert_eq!(err.lines().count(), 1, "one line: {err:?}");
    }
}

#[test]
fn every_config_error_is_reported_in_one_run() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("natter.toml");
    std::fs::write(
        &config,
        "[server]\nname = \"nodot\"\n\n[limits]\nnicklenn = 5\n\n[timeouts]\nping_interval = \"soon\"\n",
    )
    .unwrap();
    let err = config_refused(&config);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 3, "one line per error: {err}");
    let file = config.display();
    for (line, want) in lines.iter().zip([
        format!("natter: {file}:2: key `server.name`: \"nodot\" is not a server name"),
        format!("natter: {file}:5: key `limits.nicklenn`: unknown field `nicklenn`"),
        format!("natter: {file}:8: key `timeouts.ping_interval`: invalid type: string \"soon\""),
    ]) {
        assert!(line.starts_with(&want), "want: {want}\ngot:  {line}");
    }
}

#[test]
fn missing_config_file_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("nope.toml");
    let err = config_refused(&config);
    let want = format!("natter: {}: cannot read: ", config.display());
    assert!(err.starts_with(&want), "stderr: {err}");
}

#[test]
fn missing_motd_file_names_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("natter.toml");
    std::fs::write(&config, "[server]\nmotd_file = \"motd.txt\"\n").unwrap();
    let out = serve_fails(&[
        "--config",
        config.to_str().unwrap(),
        "--listen",
        "127.0.0.1:0",
        "--data-dir",
        dir.path().join("data").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr_of(&out);
    let want = format!(
        "natter: {}:2: key `server.motd_file`: cannot read MOTD file {}",
        config.display(),
        dir.path().join("motd.txt").display()
    );
    assert!(err.starts_with(&want), "stderr: {err}");
}

#[test]
fn bad_command_line_values_fail() {
    let out = serve_fails(&["--server-name", "no dot here"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr_of(&out).contains("key `server.name`"),
        "{}",
        stderr_of(&out)
    );

    let out = serve_fails(&["--listen", "nonsense"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr_of(&out);
    assert!(err.contains("--listen"), "{err}");
    assert!(
        err.contains("an IP address or host name and a port are needed, such as 127.0.0.1:6667"),
        "{err}"
    );
}

#[test]
fn busy_port_and_bad_data_dir_fail() {
    let dir = tempfile::tempdir().unwrap();
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = busy.local_addr().unwrap().to_string();
    let out = serve_fails(&[
        "--listen",
        &addr,
        "--data-dir",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr_of(&out);
    assert!(
        err.starts_with(&format!(
            "natter: cannot listen for IRC clients on {addr}: "
        )),
        "{err}"
    );
    assert!(
        err.trim_end().ends_with(
            "; move it with --listen ADDR or [listen] irc = [\"ADDR\"] in the config file"
        ),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "one line: {err:?}");

    // The IM listener, which a second `natter serve --listen ...` still
    // has on its default address: the message names it and how to move or
    // turn it off.
    let out = serve_fails(&[
        "--listen",
        "127.0.0.1:0",
        "--im-listen",
        &addr,
        "--data-dir",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr_of(&out);
    assert!(
        err.starts_with(&format!("natter: cannot listen for IM clients on {addr}: ")),
        "{err}"
    );
    assert!(
        err.trim_end().ends_with(
            "; move it with --im-listen ADDR or [listen] im = [\"ADDR\"] in the config file, \
             or turn the IM front end off with [listen] im = []"
        ),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "one line: {err:?}");

    let file = dir.path().join("a-file");
    std::fs::write(&file, "").unwrap();
    let data = file.join("data");
    let out = serve_fails(&[
        "--listen",
        "127.0.0.1:0",
        "--data-dir",
        data.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr_of(&out).starts_with(&format!(
            "natter: cannot create data directory {}: ",
            data.display()
        )),
        "{}",
        stderr_of(&out)
    );
}

// ---- passwd ----

fn passwd(stdin: &str) -> Output {
    let mut child = natter()
        .arg("passwd")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn natter passwd");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().expect("natter passwd runs")
}

#[test]
fn passwd_prints_a_verifiable_argon2_hash() {
    use argon2::PasswordVerifier;
    let out = passwd("correct horse\n");
    assert!(out.status.success(), "{}", stderr_of(&out));
    // From a pipe: one line, no prompt; a note on how to send a password
    // with spaces, without the password.
    let err = stderr_of(&out);
    assert!(!err.contains("assword:"), "{err}");
    assert!(err.contains("/quote OPER NAME :PASSWORD"), "{err}");
    assert!(!err.contains("horse"), "{err}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    let mut lines = stdout.lines();
    let hash = lines.next().expect("a hash line");
    assert_eq!(lines.next(), None, "one line only: {stdout:?}");
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    let parsed = argon2::PasswordHash::new(hash).expect("a PHC string");
    let argon = argon2::Argon2::default();
    assert!(argon.verify_password(b"correct horse", &parsed).is_ok());
    assert!(argon.verify_password(b"correct horse\n", &parsed).is_err());
    assert!(argon.verify_password(b"wrong", &parsed).is_err());

    // And OPER accepts it.
    let dir = tempfile::tempdir().unwrap();
    let server = Serve::with_config(
        dir.path(),
        &format!("[[oper]]\nname = \"me\"\npassword = \"{hash}\"\n"),
    );
    let mut c = Client::connect(server.irc);
    c.register("gina");
    c.send("OPER me :correct horse");
    let got = c.until(&["381", "464", "491"]);
    assert_eq!(
        got.last().map(String::as_str),
        Some(":natter.local 381 gina :You are now an IRC operator")
    );
}

#[test]
fn passwd_accepts_crlf_and_refuses_empty() {
    use argon2::PasswordVerifier;
    let out = passwd("pw\r\n");
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).unwrap();
    let parsed = argon2::PasswordHash::new(stdout.trim_end()).unwrap();
    assert!(argon2::Argon2::default()
        .verify_password(b"pw", &parsed)
        .is_ok());

    for input in ["\n", ""] {
        let out = passwd(input);
        assert!(!out.status.success(), "{input:?} accepted");
        assert!(out.stdout.is_empty());
        assert!(
            stderr_of(&out).contains("natter passwd: the password is empty"),
            "{}",
            stderr_of(&out)
        );
    }
}

/// Runs `natter passwd` with a new pseudo-terminal as its standard input,
/// output, error and controlling terminal (where rpassword prompts and
/// reads), and types each of `typed` once a prompt for it is shown and the
/// terminal's echo is off. Returns the exit status and everything the
/// terminal showed.
fn passwd_on_a_terminal(typed: &[&str]) -> (std::process::ExitStatus, String) {
    use rustix::pty::{grantpt, openpt, ptsname, unlockpt, OpenptFlags};
    use std::os::unix::fs::OpenOptionsExt;
    use std::os::unix::process::CommandExt;

    let master = openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY | OpenptFlags::CLOEXEC).unwrap();
    grantpt(&master).unwrap();
    unlockpt(&master).unwrap();
    let name = ptsname(&master, Vec::new()).unwrap();
    let terminal = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(rustix::fs::OFlags::NOCTTY.bits() as i32)
        .open(name.to_str().unwrap())
        .unwrap();
    let mut command = natter();
    command
        .arg("passwd")
        .stdin(terminal.try_clone().unwrap())
        .stdout(terminal.try_clone().unwrap())
        .stderr(terminal);
    // SAFETY: between fork and exec the child only makes two system calls
    // (no allocation, no locks): a new session, and the terminal on its
    // standard input as the session's controlling terminal, which is what
    // /dev/tty opens.
    unsafe {
        command.pre_exec(|| {
            rustix::process::setsid()?;
            let stdin = std::os::fd::BorrowedFd::borrow_raw(0);
            rustix::process::ioctl_tiocsctty(stdin)?;
            Ok(())
        });
    }
    let mut child = command.spawn().expect("spawn natter passwd");
    // The parent's copies of the terminal side close here: once the child
    // exits, reading the master side ends.
    drop(command);

    let mut master = std::fs::File::from(master);
    let mut reader = master.try_clone().unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<Vec<u8>>();
    std::thread::spawn(move || {
        let mut buf = [0u8; 1024];
        // Linux answers EIO, not 0, once the terminal side is closed.
        while let Ok(n @ 1..) = reader.read(&mut buf) {
            if tx.send(buf[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    let mut shown = String::new();
    let deadline = std::time::Instant::now() + TIMEOUT;
    for (i, text) in typed.iter().enumerate() {
        // Prompt i+1 is on the terminal, and rpassword has turned echo off.
        loop {
            let echo = rustix::termios::tcgetattr(&master)
                .unwrap()
                .local_modes
                .contains(rustix::termios::LocalModes::ECHO);
            if shown.matches(": ").count() > i && !echo {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "no prompt {} without echo: {shown:?}",
                i + 1
            );
            if let Ok(chunk) = rx.recv_timeout(std::time::Duration::from_millis(10)) {
                shown.push_str(&String::from_utf8_lossy(&chunk));
            }
        }
        // The Enter key sends a carriage return.
        master.write_all(format!("{text}\r").as_bytes()).unwrap();
    }
    let status = wait_exit(&mut child);
    while let Ok(chunk) = rx.recv_timeout(std::time::Duration::from_secs(5)) {
        shown.push_str(&String::from_utf8_lossy(&chunk));
    }
    (status, shown)
}

#[test]
fn passwd_on_a_terminal_asks_twice_without_echo() {
    use argon2::PasswordVerifier;
    let (status, shown) = passwd_on_a_terminal(&["tr0ub4dor-3", "tr0ub4dor-3"]);
    assert!(status.success(), "{status:?}: {shown:?}");
    assert!(
        !shown.contains("tr0ub4dor"),
        "the password was shown: {shown:?}"
    );
    let lines: Vec<&str> = shown.lines().map(str::trim).collect();
    let prompts: Vec<&&str> = lines.iter().filter(|l| l.ends_with(':')).collect();
    assert_eq!(prompts.len(), 2, "two prompts: {shown:?}");
    let hashes: Vec<&&str> = lines
        .iter()
        .filter(|l| l.starts_with("$argon2id$"))
        .collect();
    assert_eq!(hashes.len(), 1, "one hash: {shown:?}");
    let parsed = argon2::PasswordHash::new(hashes[0]).expect("a PHC string");
    let argon = argon2::Argon2::default();
    assert!(argon.verify_password(b"tr0ub4dor-3", &parsed).is_ok());
    assert!(argon.verify_password(b"tr0ub4dor-", &parsed).is_err());
}

#[test]
fn passwd_on_a_terminal_refuses_two_different_passwords() {
    let (status, shown) = passwd_on_a_terminal(&["first-secret", "second-secret"]);
    assert!(!status.success(), "{shown:?}");
    assert!(!shown.contains("secret"), "a password was shown: {shown:?}");
    assert!(!shown.contains("$argon2"), "a hash was printed: {shown:?}");
    assert!(
        shown.contains("natter passwd: the two passwords differ"),
        "{shown:?}"
    );
}

#[test]
fn help_and_version() {
    let out = natter().arg("--version").output().unwrap();
    assert!(out.status.success());
    let mut s = String::new();
    out.stdout.as_slice().read_to_string(&mut s).unwrap();
    assert_eq!(s.trim(), format!("natter {}", env!("CARGO_PKG_VERSION")));
    let out = natter().output().unwrap();
    assert!(!out.status.success(), "a subcommand is required");
}
