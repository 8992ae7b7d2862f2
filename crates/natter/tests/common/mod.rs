//! Shared by the `natter` binary's end-to-end tests: running the binary,
//! forwarding a child's output lines, waiting for it to exit, and a real
//! `natter serve` on ephemeral ports whose listening lines have been read.
//!
//! Each test file compiles this module on its own and uses a part of it.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// How long any single expected event may take before a test fails.
pub const TIMEOUT: Duration = Duration::from_secs(30);

/// The `natter` binary under test, as a command to add arguments to.
pub fn natter() -> Command {
    Command::new(env!("CARGO_BIN_EXE_natter"))
}

/// Forwards `from`'s lines to a channel, from a thread (so a child never
/// blocks on a full pipe, and reads can time out).
pub fn lines_of(from: impl Read + Send + 'static) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(from).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// Waits up to [`TIMEOUT`] for `child` to exit by itself.
pub fn wait_exit(child: &mut Child) -> ExitStatus {
    let deadline = Instant::now() + TIMEOUT;
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return status;
        }
        assert!(Instant::now() < deadline, "the process did not exit");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A running `natter serve`, killed (SIGKILL) if still running when
/// dropped.
pub struct Serve {
    /// The `natter serve` process.
    pub child: Child,
    /// The IRC listener, from the first line on stdout.
    pub irc: SocketAddr,
    /// The stdout lines after the first.
    pub stdout: mpsc::Receiver<String>,
    /// The configuration file written for a server started without one.
    _config: Option<tempfile::NamedTempFile>,
}

/// The listeners on by default on fixed ports besides IRC and IM (TLS,
/// HTTP, metrics), moved to ephemeral ports so that tests in parallel do
/// not compete for them.
pub const EPHEMERAL_EXTRAS: [&str; 6] = [
    "--tls-listen",
    "127.0.0.1:0",
    "--http-listen",
    "127.0.0.1:0",
    "--metrics-listen",
    "127.0.0.1:0",
];

impl Serve {
    /// Starts `natter serve --im-listen 127.0.0.1:0 <args>` and waits for
    /// its "IRC listening" line. The ephemeral IM port keeps servers in
    /// parallel tests from competing for the default 6666.
    ///
    /// Without a `--config` in `args`, it gets one that only lifts flood
    /// control and the per-address connection limits
    /// ([`natter_server::config::LIFT_PROTECTIONS_TOML`]): the tests
    /// connect many clients from 127.0.0.1 and send quickly.
    pub fn start(args: &[&str]) -> Serve {
        let config = (!args.contains(&"--config")).then(|| {
            let file = tempfile::Builder::new()
                .suffix(".toml")
                .tempfile()
                .expect("temp config");
            std::fs::write(file.path(), natter_server::config::LIFT_PROTECTIONS_TOML)
                .expect("write config");
            file
        });
        let config_args: Vec<&str> = match &config {
            Some(f) => vec!["--config", f.path().to_str().unwrap()],
            None => Vec::new(),
        };
        let mut child = natter()
            .arg("serve")
            .args(["--im-listen", "127.0.0.1:0"])
            .args(EPHEMERAL_EXTRAS)
            .args(&config_args)
            .args(args)
            .env("NATTER_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn natter serve");
        let stdout = lines_of(child.stdout.take().unwrap());
        // Built before the line is read, so that a failure kills the child.
        let mut serve = Serve {
            child,
            irc: "0.0.0.0:0".parse().unwrap(),
            stdout,
            _config: config,
        };
        serve.irc = serve.listening("IRC");
        serve
    }

    /// Starts `natter serve` on an ephemeral IRC port with its data
    /// directory at `data`, and `args` after those.
    pub fn with_data_dir(data: &Path, args: &[&str]) -> Serve {
        let mut all = vec![
            "--listen",
            "127.0.0.1:0",
            "--data-dir",
            data.to_str().unwrap(),
        ];
        all.extend_from_slice(args);
        Serve::start(&all)
    }

    /// Starts `natter serve` on an ephemeral IRC port with `toml` as its
    /// configuration file (`dir`/natter.toml) and its data under `dir`/data.
    /// Flood control and the per-address limits are lifted as in
    /// [`Serve::start`] (`toml` must not have a `[connections]` table).
    pub fn with_config(dir: &Path, toml: &str) -> Serve {
        let config = dir.join("natter.toml");
        let toml = format!("{toml}\n{}", natter_server::config::LIFT_PROTECTIONS_TOML);
        std::fs::write(&config, toml).unwrap();
        Serve::with_data_dir(&dir.join("data"), &["--config", config.to_str().unwrap()])
    }

    /// Reads the next stdout line, which must be `natter: <kind> listening
    /// on <address>`, and returns the address.
    pub fn listening(&self, kind: &str) -> SocketAddr {
        let line = self
            .stdout
            .recv_timeout(TIMEOUT)
            .expect("natter serve prints its listeners on stdout");
        line.strip_prefix(&format!("natter: {kind} listening on "))
            .unwrap_or_else(|| panic!("expected the {kind} listener, got {line:?}"))
            .parse()
            .expect("an ip:port")
    }

    /// Reads the IM line and then the IRC over TLS line, `natter: IRC over
    /// TLS listening on <address> (certificate SHA-256 <fingerprint>)`, and
    /// returns the TLS address (the server must listen on both).
    pub fn tls_listening(&self) -> SocketAddr {
        self.listening("IM");
        let line = self
            .stdout
            .recv_timeout(TIMEOUT)
            .expect("natter serve prints its listeners on stdout");
        line.strip_prefix("natter: IRC over TLS listening on ")
            .and_then(|rest| rest.split(" (").next())
            .unwrap_or_else(|| panic!("expected the IRC over TLS listener, got {line:?}"))
            .parse()
            .expect("an ip:port")
    }

    /// Reads the next stdout line, which must be `natter: web client at
    /// http://<address>/` (the HTTP listener: also IRC over WebSocket),
    /// and returns the address.
    pub fn web_listening(&self) -> SocketAddr {
        let line = self
            .stdout
            .recv_timeout(TIMEOUT)
            .expect("natter serve prints its listeners on stdout");
        line.strip_prefix("natter: web client at http://")
            .and_then(|rest| rest.strip_suffix('/'))
            .unwrap_or_else(|| panic!("expected the web client's address, got {line:?}"))
            .parse()
            .expect("an ip:port")
    }

    /// Sends SIGTERM with the `kill` command (a clean shutdown: clients get
    /// an ERROR first).
    pub fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success());
    }

    /// Waits for the process to exit by itself.
    pub fn wait_exit(&mut self) -> ExitStatus {
        wait_exit(&mut self.child)
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
