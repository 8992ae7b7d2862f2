//! The `natter` command: `natter serve` runs the chat server, `natter
//! passwd` makes the argon2 hash an `[[oper]]` block needs, `natter
//! account` and `natter backup` work on the store.

use std::io::{BufRead, IsTerminal, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod admin;
mod bench;
mod im_client;
use natter_server::{Config, Listener, Overrides};

/// mimalloc instead of glibc's malloc: registration and rendering allocate
/// many short-lived strings, and glibc's allocator was a tenth of the
/// server's CPU time in the churn benchmark (docs/performance.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "natter", version, about = "An IRC-compatible chat server")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (embedded defaults unless --config is given).
    Serve {
        /// TOML configuration file (see natter.example.toml).
        #[arg(long, short)]
        config: Option<PathBuf>,
        /// IRC listener address, IP:PORT or HOST:PORT, e.g. 127.0.0.1:6667;
        /// repeatable; replaces listen.irc.
        #[arg(long, value_name = "ADDR", value_parser = listen_addrs)]
        listen: Vec<ListenAddrs>,
        /// IM protocol listener address, IP:PORT or HOST:PORT, e.g.
        /// 127.0.0.1:6666; repeatable; replaces listen.im.
        #[arg(long, value_name = "ADDR", value_parser = listen_addrs)]
        im_listen: Vec<ListenAddrs>,
        /// Server link listener address (RFC 2813 links from other natter
        /// servers or ngIRCd), IP:PORT or HOST:PORT; repeatable; replaces
        /// listen.link.
        #[arg(long, value_name = "ADDR", value_parser = listen_addrs)]
        link_listen: Vec<ListenAddrs>,
        /// IRC over TLS listener address, e.g. 127.0.0.1:6697; repeatable;
        /// replaces listen.irc_tls.
        #[arg(long, value_name = "ADDR", value_parser = listen_addrs)]
        tls_listen: Vec<ListenAddrs>,
        /// HTTP listener address (web client, IRC over WebSocket,
        /// /healthz), e.g. 127.0.0.1:8080; repeatable; replaces listen.http.
        #[arg(long, value_name = "ADDR", value_parser = listen_addrs)]
        http_listen: Vec<ListenAddrs>,
        /// Prometheus metrics listener address, e.g. 127.0.0.1:9667;
        /// repeatable; replaces listen.metrics.
        #[arg(long, value_name = "ADDR", value_parser = listen_addrs)]
        metrics_listen: Vec<ListenAddrs>,
        /// Directory for persistent data; replaces server.data_dir.
        #[arg(long, value_name = "DIR")]
        data_dir: Option<PathBuf>,
        /// This server's name; replaces server.name.
        #[arg(long, value_name = "NAME")]
        server_name: Option<String>,
    },
    /// Drive an IRC server with load and measure it: connect, fanout, rooms,
    /// churn; and a network of linked servers: burst, rejoin, hops.
    ///
    /// Drives any IRC server (natter or another) at --addr with one of the
    /// scenarios below; --addr given several times spreads the clients
    /// over the servers of one network. Each is bounded in count and time
    /// and stops by itself, prints a summary (rates, latency, loss, errors,
    /// CPU) and, with --json FILE, writes its figures as JSON. `natter
    /// bench SCENARIO --help` lists a scenario's options.
    #[command(subcommand)]
    Bench(bench::Scenario),
    /// Read a password (twice and not shown on a terminal, else one line of
    /// standard input) and print its argon2 hash for an `[[oper]]` block's
    /// `password` key.
    Passwd,
    /// Manage accounts in the data directory's natter.db: create, list,
    /// set-password, delete.
    #[command(subcommand)]
    Account(admin::Account),
    /// Copy the database (natter.db) into FILE while the server runs (an
    /// online SQLite backup; FILE must not exist).
    Backup {
        /// Where the copy goes.
        file: PathBuf,
        #[command(flatten)]
        dir: admin::DataDir,
    },
    /// Chat in the terminal over the IM protocol (see /help once connected).
    Im {
        /// The server's IM address (its --im-listen), HOST:PORT; port 6666 if omitted.
        addr: String,
        /// Username (asked for if not given).
        #[arg(long)]
        user: Option<String>,
        /// Initial status, e.g. online, away, busy.
        #[arg(long, default_value = "online")]
        status: String,
        /// Log in to the account named like the user (created if it does
        /// not exist): the password is asked for without echo, or read
        /// from the NATTER_IM_PASSWORD environment variable.
        #[arg(long)]
        login: bool,
    },
}

/// One `--listen` or `--im-listen` value: the addresses it resolves to.
#[derive(Debug, Clone)]
struct ListenAddrs(Vec<SocketAddr>);

/// Parses a `--listen` or `--im-listen` value, resolving a host name.
fn listen_addrs(text: &str) -> Result<ListenAddrs, String> {
    natter_server::resolve_listen(text).map(ListenAddrs)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve {
            config,
            listen,
            im_listen,
            link_listen,
            tls_listen,
            http_listen,
            metrics_listen,
            data_dir,
            server_name,
        } => serve(
            config,
            Overrides {
                listen: listen.into_iter().flat_map(|a| a.0).collect(),
                im_listen: im_listen.into_iter().flat_map(|a| a.0).collect(),
                link_listen: link_listen.into_iter().flat_map(|a| a.0).collect(),
                tls_listen: tls_listen.into_iter().flat_map(|a| a.0).collect(),
                http_listen: http_listen.into_iter().flat_map(|a| a.0).collect(),
                metrics_listen: metrics_listen.into_iter().flat_map(|a| a.0).collect(),
                data_dir,
                server_name,
            },
        ),
        Command::Passwd => passwd(),
        Command::Account(command) => admin::account(command),
        Command::Backup { file, dir } => admin::backup(&file, &dir),
        Command::Im {
            addr,
            user,
            status,
            login,
        } => {
            let password = match (login, std::env::var("NATTER_IM_PASSWORD")) {
                (false, _) => None,
                (true, Ok(p)) => Some(p),
                (true, Err(_)) => match rpassword::prompt_password("Password (not shown): ") {
                    Ok(p) => Some(p),
                    Err(e) => {
                        eprintln!("natter im: cannot read the password: {e}");
                        return ExitCode::FAILURE;
                    }
                },
            };
            im_client::run(&addr, user, &status, password)
        }
        Command::Bench(scenario) => {
            if bench::run(scenario) {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

fn serve(path: Option<PathBuf>, overrides: Overrides) -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("NATTER_LOG")
                .unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        // Colours only on a terminal; and a closed stderr (a pipe whose
        // reader died, as with `natter serve | tee` and Ctrl-C) must not
        // turn a log line into a panic that skips the clean shutdown.
        .with_ansi(std::io::stderr().is_terminal())
        .log_internal_errors(false)
        .init();
    // Every problem, one line each, before giving up.
    let report = |errors: natter_server::ConfigErrors| {
        for e in &errors.0 {
            eprintln!("natter: {e}");
        }
        ExitCode::from(2)
    };
    let mut config = match &path {
        Some(p) => match Config::load(p) {
            Ok(c) => c,
            Err(errors) => return report(errors),
        },
        None => Config::default(),
    };
    if let Err(errors) = overrides.apply(&mut config) {
        return report(errors);
    }
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("natter: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async move {
        let running = match natter_server::start(config, overrides).await {
            Ok(r) => r,
            Err(e) => {
                eprintln!("natter: {e}");
                return ExitCode::from(2);
            }
        };
        // Install the signal handlers before announcing the listeners: a
        // script may send SIGTERM as soon as it has read that line, and a
        // signal arriving before then would kill the process outright.
        let signal = shutdown_signal();
        for addr in &running.irc_addrs {
            // One line per listener on stdout, for scripts that start natter.
            // A closed stdout must not bring the server down.
            let _ = writeln!(std::io::stdout(), "natter: IRC listening on {addr}");
        }
        for addr in &running.im_addrs {
            let _ = writeln!(std::io::stdout(), "natter: IM listening on {addr}");
        }
        for addr in &running.link_addrs {
            let _ = writeln!(std::io::stdout(), "natter: link listening on {addr}");
        }
        let fingerprint = running
            .tls_fingerprint
            .as_deref()
            .map(natter_server::tls::colons)
            .unwrap_or_default();
        for (kind, what) in [
            (Listener::IrcTls, "IRC over TLS"),
            (Listener::ImTls, "IM over TLS"),
            (Listener::LinkTls, "link over TLS"),
        ] {
            for addr in running.addrs(kind) {
                let _ = writeln!(
                    std::io::stdout(),
                    "natter: {what} listening on {addr} (certificate SHA-256 {fingerprint})"
                );
            }
        }
        for addr in running.addrs(Listener::Http) {
            let _ = writeln!(std::io::stdout(), "natter: web client at http://{addr}/");
        }
        for addr in running.addrs(Listener::HttpTls) {
            let _ = writeln!(std::io::stdout(), "natter: web client at https://{addr}/");
        }
        for addr in running.addrs(Listener::Metrics) {
            let _ = writeln!(
                std::io::stdout(),
                "natter: metrics at http://{addr}/metrics"
            );
        }
        for kind in [
            Listener::Echo,
            Listener::EchoUdp,
            Listener::Daytime,
            Listener::DaytimeUdp,
        ] {
            for addr in running.addrs(kind) {
                let what = kind.serves();
                let _ = writeln!(std::io::stdout(), "natter: {what} listening on {addr}");
            }
        }
        let _ = std::io::stdout().flush();
        tokio::select! {
            _ = signal => tracing::info!("signal received, shutting down"),
            _ = running.stopping() => tracing::info!("DIE received, shutting down"),
        }
        running.shutdown();
        running.wait().await;
        tracing::info!("stopped");
        ExitCode::SUCCESS
    })
}

/// Registers for SIGTERM and SIGINT (Ctrl-C) right away, inside the
/// runtime, and returns a future that resolves on the first of them.
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, Signal, SignalKind};
        let term = signal(SignalKind::terminate()).ok();
        let int = signal(SignalKind::interrupt()).ok();
        async fn recv(s: Option<Signal>) {
            match s {
                Some(mut s) => {
                    s.recv().await;
                }
                None => std::future::pending().await,
            }
        }
        async move {
            tokio::select! {
                _ = recv(term) => {}
                _ = recv(int) => {}
            }
        }
    }
    #[cfg(not(unix))]
    {
        let ctrl_c = tokio::signal::ctrl_c();
        async move {
            let _ = ctrl_c.await;
        }
    }
}

/// `natter passwd`: on a terminal, asks for the password twice without
/// echoing it and refuses when the two differ; from a pipe or file, reads
/// one line. Prints the argon2 hash on stdout, everything else on stderr
/// (or the terminal).
fn passwd() -> ExitCode {
    use argon2::password_hash::{rand_core::OsRng, PasswordHasher, SaltString};
    let password = match read_password() {
        Ok(p) => p,
        Err(message) => {
            eprintln!("natter passwd: {message}");
            return ExitCode::FAILURE;
        }
    };
    if password.contains(' ') {
        // Not the password itself: it is not to be shown.
        eprintln!(
            "natter passwd: note: this password has spaces; `/oper NAME PASSWORD` in irssi \
             or WeeChat sends only its first word, so send it raw: /quote OPER NAME :PASSWORD"
        );
    }
    let salt = SaltString::generate(&mut OsRng);
    match argon2::Argon2::default().hash_password(password.as_bytes(), &salt) {
        Ok(hash) => {
            println!("{hash}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("natter passwd: {e}");
            ExitCode::FAILURE
        }
    }
}

/// A password from the terminal (asked twice, not shown) or one line of
/// standard input.
fn read_password() -> Result<String, String> {
    if std::io::stdin().is_terminal() {
        read_password_twice()
    } else {
        read_password_line()
    }
}

/// Asks for the password on the terminal twice, not echoed.
///
/// Errors: the terminal cannot be read, the password is empty, or the two
/// answers differ.
fn read_password_twice() -> Result<String, String> {
    let ask = |prompt: &str| {
        rpassword::prompt_password(prompt).map_err(|e| format!("cannot read the password: {e}"))
    };
    let first = ask("Password (not shown): ")?;
    if first.is_empty() {
        return Err("the password is empty".into());
    }
    let again = ask("The same password again: ")?;
    if again != first {
        return Err("the two passwords differ; nothing was printed, try again".into());
    }
    Ok(first)
}

/// Reads one line of standard input (a pipe or a file), without its line
/// end.
///
/// Errors: standard input cannot be read, or the line is empty.
fn read_password_line() -> Result<String, String> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| format!("cannot read the password: {e}"))?;
    let password = line.trim_end_matches(['\r', '\n']);
    if password.is_empty() {
        return Err("the password is empty".into());
    }
    Ok(password.to_string())
}
