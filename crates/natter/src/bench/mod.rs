//! `natter bench`: a load generator for any IRC server, and for a network
//! of linked servers.
//!
//! Every scenario is bounded in count and time and stops by itself:
//!
//! - `connect`: N clients register and idle; registrations per second, RSS
//!   per connected client (given the server's PID), and PING answered by a
//!   sample of the idle clients. `--procs` spreads the clients over
//!   several processes (procs.rs), `--hold` keeps them while another
//!   scenario runs.
//! - `fanout`: N members in one channel, S of them sending at an offered
//!   rate; deliveries per second (messages × recipients), latency p50/p99/max
//!   from timestamps carried in the messages, and loss (every message is
//!   accounted for at every receiver after a drain period).
//! - `rooms`: C channels × K members with channel traffic, plus private
//!   messages between random pairs.
//! - `churn`: connect, register, join, part, quit cycles per second, and
//!   errors.
//! - `handshakes`: TLS handshakes per second (connect, handshake, QUIT,
//!   the server closes; or register to 001 first), `--concurrency` at a
//!   time, and the time each took.
//! - `burst` (linked servers): N users in C channels on one server; an
//!   operator on another server CONNECTs to it; the time from the link
//!   coming up until the second server counts every user and channel.
//! - `rejoin` (linked servers): an operator SQUITs a link of a tree of
//!   servers, the link comes back (autoconnect, or CONNECT); the time from
//!   the link being up again until every server's LUSERS and LINKS agree.
//! - `hops` (linked servers): private messages at a fixed rate from a user
//!   on one server to a user on another; latency p50/p99/max and loss.
//!
//! - `soak`: one server with its protections on, under chat and attack at
//!   once for minutes (`soak.rs`).
//! - `relay`: not a scenario but the floor for them: a trivial relay that
//!   the scenarios can run against (`relay.rs`).
//!
//! `--tls` (every scenario) connects over TLS, accepting any server
//! certificate (benchmarks against self-signed certificates); `--ws` with
//! IRC over WebSocket (to an HTTP listener; over HTTPS with `--tls`).
//!
//! `--addr` may be given several times (servers of one network): clients
//! are spread over the servers round-robin, and fanout and rooms wait until
//! every server sees every member before sending.
//!
//! The generator reports its own CPU time, and, given the servers' PIDs,
//! the servers' CPU seconds per million deliveries, so a run shows which
//! side was the bottleneck. Output: a readable summary, and JSON with
//! `--json`.

mod conn;
mod hops;
mod link;
mod load;
mod procs;
mod relay;
mod report;
mod soak;
mod traffic;
mod transport;

use std::net::SocketAddr;

use report::{proc_cpu, Report, Usage};
use transport::{Dialer, Transport};

/// Options shared by every scenario.
#[derive(Debug, Clone, clap::Args)]
pub struct Common {
    /// A server's PID, to report its RSS and CPU time; repeatable (one per
    /// server of a network: the figures are summed).
    #[arg(long, value_name = "PID")]
    pub server_pid: Vec<u32>,
    /// Write the result as JSON to this file.
    #[arg(long)]
    pub json: Option<std::path::PathBuf>,
    /// Label for this run in the JSON (e.g. the server's name).
    #[arg(long, default_value = "server")]
    pub label: String,
    /// Nick prefix, so concurrent runs do not collide.
    #[arg(long, default_value = "b")]
    pub prefix: String,
}

/// The servers a scenario drives.
#[derive(Debug, Clone, clap::Args)]
pub struct Servers {
    /// A server, HOST:PORT; repeatable (servers of one network): clients
    /// are spread over them round-robin.
    #[arg(long = "addr", value_name = "ADDR", default_value = "127.0.0.1:6667")]
    pub addr: Vec<String>,
    #[command(flatten)]
    pub transport: Transport,
}

/// The scenarios.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum Scenario {
    /// A bounded soak test of one server with its protections on:
    /// chatters, flooders, churners and half-open connections at once
    /// (docs/robustness.md).
    Soak(soak::SoakArgs),
    /// Serves as the benchmarks' floor: a trivial single-threaded relay
    /// that speaks just enough IRC for the scenarios (relay.rs).
    Relay(relay::RelayArgs),
    /// N clients register and idle.
    Connect {
        #[command(flatten)]
        servers: Servers,
        #[command(flatten)]
        common: Common,
        /// Clients to connect.
        #[arg(long, default_value_t = 1000)]
        clients: usize,
        /// Registrations in flight at once.
        #[arg(long, default_value_t = 200)]
        concurrency: usize,
        /// Idle clients that must answer a PING round trip afterwards.
        #[arg(long, default_value_t = 100)]
        ping_sample: usize,
        /// Seconds to idle before the PING sample.
        #[arg(long, default_value_t = 2)]
        idle: u64,
        /// Spread the clients over this many processes (this one starts
        /// them), so that a run can hold more clients than one process's
        /// open-files limit allows; figures are summed (procs.rs).
        #[arg(long, default_value_t = 1)]
        procs: usize,
        /// After the PING sample, keep the clients registered until
        /// standard input closes (it says so on standard output), so that
        /// another scenario can run beside them.
        #[arg(long)]
        hold: bool,
        /// Internal: run as worker I of N of a `--procs` parent.
        #[arg(long, value_name = "I/N", hide = true)]
        worker: Option<procs::Worker>,
    },
    /// One channel of N members, S of them sending.
    Fanout {
        #[command(flatten)]
        servers: Servers,
        #[command(flatten)]
        common: Common,
        /// Channel members (senders included).
        #[arg(long, default_value_t = 200)]
        members: usize,
        /// Members that send.
        #[arg(long, default_value_t = 4)]
        senders: usize,
        /// Offered messages per second, all senders together.
        #[arg(long, default_value_t = 1000)]
        rate: u64,
        /// Seconds of sending.
        #[arg(long, default_value_t = 5)]
        duration: u64,
        /// Bytes of padding per message.
        #[arg(long, default_value_t = 64)]
        size: usize,
        /// Registrations in flight at once while setting up (keep it below
        /// the server's listen backlog: ngIRCd's is 10).
        #[arg(long, default_value_t = 200)]
        concurrency: usize,
    },
    /// C channels of K members with traffic, plus private messages.
    Rooms {
        #[command(flatten)]
        servers: Servers,
        #[command(flatten)]
        common: Common,
        /// Channels.
        #[arg(long, default_value_t = 50)]
        channels: usize,
        /// Members per channel (distinct clients).
        #[arg(long, default_value_t = 10)]
        members: usize,
        /// Offered channel messages per second, all channels together.
        #[arg(long, default_value_t = 1000)]
        rate: u64,
        /// Offered private messages per second between random pairs.
        #[arg(long, default_value_t = 200)]
        private_rate: u64,
        /// Seconds of sending.
        #[arg(long, default_value_t = 5)]
        duration: u64,
        /// Registrations in flight at once while setting up (keep it below
        /// the server's listen backlog: ngIRCd's is 10).
        #[arg(long, default_value_t = 200)]
        concurrency: usize,
    },
    /// TLS handshakes per second: connect, handshake, QUIT, until the
    /// server closes (with --register: NICK/USER to 001 before the QUIT).
    ///
    /// Without --tls it measures plain TCP connections, a baseline. Each
    /// handshake is a full one (the generator never resumes a session).
    Handshakes {
        #[command(flatten)]
        servers: Servers,
        #[command(flatten)]
        common: Common,
        /// Connections in flight at once (keep it below the server's
        /// listen backlog).
        #[arg(long, default_value_t = 16)]
        concurrency: usize,
        /// Seconds of handshaking.
        #[arg(long, default_value_t = 5)]
        duration: u64,
        /// Register (to 001) on each connection before the QUIT.
        #[arg(long)]
        register: bool,
    },
    /// Connect, join, part, quit cycles.
    Churn {
        #[command(flatten)]
        servers: Servers,
        #[command(flatten)]
        common: Common,
        /// Concurrent workers, each cycling one connection after another.
        #[arg(long, default_value_t = 50)]
        workers: usize,
        /// Seconds of cycling.
        #[arg(long, default_value_t = 5)]
        duration: u64,
    },
    /// Linked servers: the burst of N users in C channels (on --addr) to
    /// the server at --observe, which an operator there CONNECTs.
    ///
    /// The --observe server needs a [[link]] block (with an address) for
    /// the --addr server, and the two must not be linked yet. Each round
    /// CONNECTs, measures, and SQUITs again.
    Burst {
        #[command(flatten)]
        servers: Servers,
        #[command(flatten)]
        common: Common,
        /// The server that links to --addr and must see every user.
        #[arg(long, value_name = "ADDR")]
        observe: String,
        /// Operator name and password on the --observe server, NAME:PASSWORD.
        #[arg(long, value_name = "NAME:PASSWORD")]
        oper: String,
        /// The --addr server's name in the --observe server's [[link]]
        /// block (default: the name it gives itself at registration).
        #[arg(long, value_name = "NAME")]
        peer: Option<String>,
        /// Users to register on the --addr server(s).
        #[arg(long, default_value_t = 10_000)]
        users: usize,
        /// Channels the users are spread over (each user joins one).
        #[arg(long, default_value_t = 1000)]
        channels: usize,
        /// CONNECT, measure, SQUIT this many times.
        #[arg(long, default_value_t = 3)]
        rounds: usize,
        /// Milliseconds between two LUSERS/LINKS polls of one observer.
        #[arg(long, default_value_t = 2)]
        poll_ms: u64,
        /// Seconds one round may take before the run fails.
        #[arg(long, default_value_t = 60)]
        timeout: u64,
        /// Registrations in flight at once while setting up.
        #[arg(long, default_value_t = 200)]
        concurrency: usize,
    },
    /// Linked servers: SQUIT a link, let it come back, and time until every
    /// server (one --addr each) agrees on LUSERS and LINKS again.
    ///
    /// The operator is on the first --addr, and the link broken is the one
    /// from that server to --squit (a neighbour of it).
    Rejoin {
        #[command(flatten)]
        servers: Servers,
        #[command(flatten)]
        common: Common,
        /// Operator name and password on the first --addr, NAME:PASSWORD.
        #[arg(long, value_name = "NAME:PASSWORD")]
        oper: String,
        /// The neighbour to split from (default: the first, by name, that
        /// LINKS on the first --addr shows at hop count 1).
        #[arg(long, value_name = "NAME")]
        squit: Option<String>,
        /// How the link comes back: `auto` (the servers' autoconnect, with
        /// its back-off) or `connect` (the operator CONNECTs as soon as the
        /// split is seen; the first --addr needs the link's address).
        #[arg(long, default_value = "auto", value_parser = ["auto", "connect"])]
        reconnect: String,
        /// Users spread over the servers, so the rejoin has a burst to carry.
        #[arg(long, default_value_t = 1000)]
        users: usize,
        /// Channels the users are spread over (each with members on every
        /// server).
        #[arg(long, default_value_t = 100)]
        channels: usize,
        /// SQUIT, rejoin and measure this many times.
        #[arg(long, default_value_t = 3)]
        rounds: usize,
        /// Milliseconds between two LUSERS/LINKS polls of one observer.
        #[arg(long, default_value_t = 2)]
        poll_ms: u64,
        /// Seconds one round may take (autoconnect back-off included)
        /// before the run fails.
        #[arg(long, default_value_t = 90)]
        timeout: u64,
        /// Registrations in flight at once while setting up.
        #[arg(long, default_value_t = 200)]
        concurrency: usize,
    },
    /// Linked servers: private messages at a fixed rate from a user on
    /// --from to a user on --to; latency and loss.
    Hops {
        #[command(flatten)]
        common: Common,
        #[command(flatten)]
        transport: Transport,
        /// The sender's server, HOST:PORT.
        #[arg(long, value_name = "ADDR")]
        from: String,
        /// The receiver's server, HOST:PORT.
        #[arg(long, value_name = "ADDR")]
        to: String,
        /// Messages per second.
        #[arg(long, default_value_t = 200)]
        rate: u64,
        /// Messages to send.
        #[arg(long, default_value_t = 2000)]
        count: u64,
        /// Bytes of padding per message.
        #[arg(long, default_value_t = 64)]
        size: usize,
    },
}

/// Resolves HOST:PORT.
fn resolve(text: &str) -> Result<SocketAddr, String> {
    if let Ok(a) = text.parse() {
        return Ok(a);
    }
    std::net::ToSocketAddrs::to_socket_addrs(text)
        .ok()
        .and_then(|mut a| a.next())
        .ok_or_else(|| format!("cannot resolve {text}"))
}

fn resolve_all(servers: &Servers) -> Result<Vec<SocketAddr>, String> {
    servers.addr.iter().map(|a| resolve(a)).collect()
}

/// The addresses of `servers` and how to reach them.
fn targets(servers: &Servers) -> Result<(Dialer, Vec<SocketAddr>), String> {
    Ok((Dialer::new(&servers.transport)?, resolve_all(servers)?))
}

/// Runs a scenario and prints/writes its report. Returns false on failure.
pub fn run(scenario: Scenario) -> bool {
    if let Scenario::Relay(args) = scenario {
        return match relay::run(args) {
            Ok(()) => true,
            Err(e) => {
                eprintln!("natter bench relay: {e}");
                false
            }
        };
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    if let Scenario::Soak(args) = scenario {
        return runtime.block_on(soak::run(args));
    }
    let common = match &scenario {
        Scenario::Soak(_) | Scenario::Relay(_) => unreachable!("run above"),
        Scenario::Connect { common, .. }
        | Scenario::Fanout { common, .. }
        | Scenario::Rooms { common, .. }
        | Scenario::Churn { common, .. }
        | Scenario::Handshakes { common, .. }
        | Scenario::Burst { common, .. }
        | Scenario::Rejoin { common, .. }
        | Scenario::Hops { common, .. } => common.clone(),
    };
    let transport = match &scenario {
        Scenario::Soak(_) | Scenario::Relay(_) => unreachable!("run above"),
        Scenario::Connect { servers, .. }
        | Scenario::Fanout { servers, .. }
        | Scenario::Rooms { servers, .. }
        | Scenario::Churn { servers, .. }
        | Scenario::Handshakes { servers, .. }
        | Scenario::Burst { servers, .. }
        | Scenario::Rejoin { servers, .. } => servers.transport.name(),
        Scenario::Hops { transport, .. } => transport.name(),
    };
    let worker = matches!(
        scenario,
        Scenario::Connect {
            worker: Some(_),
            ..
        }
    );
    let before = Usage::now(&common.server_pid);
    let result = match scenario {
        Scenario::Connect {
            procs,
            clients,
            concurrency,
            idle,
            hold,
            ref servers,
            ..
        } if procs > 1 => procs::connect(
            &common,
            procs::Plan {
                procs,
                clients,
                concurrency,
                servers: servers.addr.len(),
                idle,
                hold,
            },
        ),
        scenario => runtime.block_on(dispatch(scenario, &common)),
    };
    let mut report = match result {
        Ok(r) => r,
        Err(e) => {
            eprintln!("natter bench: {e}");
            return false;
        }
    };
    if worker {
        // A worker's figures went to its parent (procs.rs).
        return report.errors == 0;
    }
    let after = Usage::now(&common.server_pid);
    report.bench_cpu_s = after.self_cpu - before.self_cpu;
    if let (Some(a), Some(b)) = (after.server_cpu, before.server_cpu) {
        // CPU over the measured window when the scenario recorded one,
        // else over the whole run.
        let cpu = report.window_server_cpu.unwrap_or(a - b);
        // By thread over the same window: the scenario's own readings, or
        // the whole run's when it has no window of its own.
        let whole_run = report.window_server_cpu.is_none();
        let threads = report.window_server_threads.take().or_else(|| {
            let (a, b) = after.server_threads.zip(before.server_threads.as_ref())?;
            whole_run.then(|| report::threads_delta(a, b))
        });
        report.server_threads = threads
            .unwrap_or_default()
            .into_iter()
            .map(|(name, c)| (name, c.into()))
            .collect();
        report.server_cpu_s = Some(cpu.total());
        report.server_user_s = Some(cpu.user);
        report.server_sys_s = Some(cpu.sys);
        if report.deliveries > 0 {
            let per_million = |s: f64| Some(s / report.deliveries as f64 * 1e6);
            report.server_cpu_s_per_million = per_million(cpu.total());
            report.server_user_s_per_million = per_million(cpu.user);
            report.server_sys_s_per_million = per_million(cpu.sys);
        }
    }
    report.label = common.label.clone();
    report.transport = transport.into();
    print!("{}", report.summary());
    if let Some(path) = &common.json {
        let json = serde_json::to_string_pretty(&report).expect("serializable");
        if let Err(e) = std::fs::write(path, json + "\n") {
            eprintln!("natter bench: cannot write {}: {e}", path.display());
            return false;
        }
    }
    report.errors == 0
}

/// Runs the scenario itself.
async fn dispatch(scenario: Scenario, common: &Common) -> Result<Report, String> {
    match scenario {
        Scenario::Soak(_) | Scenario::Relay(_) => unreachable!("run by `run`"),
        Scenario::Connect {
            servers,
            clients,
            concurrency,
            ping_sample,
            idle,
            worker,
            hold,
            ..
        } => {
            let (dialer, addrs) = targets(&servers)?;
            load::connect(
                &dialer,
                &addrs,
                common,
                clients,
                concurrency,
                ping_sample,
                idle,
                worker,
                hold,
            )
            .await
        }
        Scenario::Fanout {
            servers,
            members,
            senders,
            rate,
            duration,
            size,
            concurrency,
            ..
        } => {
            let (dialer, addrs) = targets(&servers)?;
            let shape = traffic::Traffic {
                groups: 1,
                members,
                senders_per_group: senders,
                rate,
                private_rate: 0,
                duration,
                size,
                concurrency,
            };
            let params = [
                ("members", members as u64),
                ("senders", senders as u64),
                ("rate", rate),
                ("duration", duration),
                ("size", size as u64),
            ];
            traffic::traffic("fanout", &dialer, &addrs, common, shape, &params).await
        }
        Scenario::Rooms {
            servers,
            channels,
            members,
            rate,
            private_rate,
            duration,
            concurrency,
            ..
        } => {
            let (dialer, addrs) = targets(&servers)?;
            let shape = traffic::Traffic {
                groups: channels,
                members,
                senders_per_group: members,
                rate,
                private_rate,
                duration,
                size: 32,
                concurrency,
            };
            let params = [
                ("channels", channels as u64),
                ("members", members as u64),
                ("rate", rate),
                ("private_rate", private_rate),
                ("duration", duration),
            ];
            traffic::traffic("rooms", &dialer, &addrs, common, shape, &params).await
        }
        Scenario::Churn {
            servers,
            workers,
            duration,
            ..
        } => {
            let (dialer, addrs) = targets(&servers)?;
            load::churn(&dialer, &addrs, common, workers, duration).await
        }
        Scenario::Handshakes {
            servers,
            concurrency,
            duration,
            register,
            ..
        } => {
            let (dialer, addrs) = targets(&servers)?;
            load::handshakes(&dialer, &addrs, common, concurrency, duration, register).await
        }
        Scenario::Burst {
            servers,
            observe,
            oper,
            peer,
            users,
            channels,
            rounds,
            poll_ms,
            timeout,
            concurrency,
            ..
        } => {
            let run = link::BurstRun {
                dialer: Dialer::new(&servers.transport)?,
                addrs: resolve_all(&servers)?,
                observe: resolve(&observe)?,
                oper: link::parse_oper(&oper)?,
                peer,
                users,
                channels,
                rounds,
                poll: std::time::Duration::from_millis(poll_ms),
                timeout: std::time::Duration::from_secs(timeout),
                concurrency,
            };
            link::burst(run, common).await
        }
        Scenario::Rejoin {
            servers,
            oper,
            squit,
            reconnect,
            users,
            channels,
            rounds,
            poll_ms,
            timeout,
            concurrency,
            ..
        } => {
            let run = link::RejoinRun {
                dialer: Dialer::new(&servers.transport)?,
                addrs: resolve_all(&servers)?,
                oper: link::parse_oper(&oper)?,
                squit,
                connect: reconnect == "connect",
                users,
                channels,
                rounds,
                poll: std::time::Duration::from_millis(poll_ms),
                timeout: std::time::Duration::from_secs(timeout),
                concurrency,
            };
            link::rejoin(run, common).await
        }
        Scenario::Hops {
            transport,
            from,
            to,
            rate,
            count,
            size,
            ..
        } => {
            let dialer = Dialer::new(&transport)?;
            hops::hops(
                &dialer,
                resolve(&from)?,
                resolve(&to)?,
                common,
                rate,
                count,
                size,
            )
            .await
        }
    }
}

/// The server CPU seconds now, summed over `pids` (None if one is gone).
fn servers_cpu(pids: &[u32]) -> Option<report::Cpu> {
    if pids.is_empty() {
        return None;
    }
    pids.iter()
        .map(|p| proc_cpu(&p.to_string()))
        .try_fold(report::Cpu::default(), |sum, c| Some(sum + c?))
}
