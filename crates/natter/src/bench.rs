//! `natter bench`: a load generator for any IRC server.
//!
//! Every scenario is bounded in count and time and stops by itself:
//!
//! - `connect`: N clients register and idle; registrations per second, RSS
//!   per connected client (given the server's PID), and PING answered by a
//!   sample of the idle clients.
//! - `fanout`: N members in one channel, S of them sending at an offered
//!   rate; deliveries per second (messages × recipients), latency p50/p99/max
//!   from timestamps carried in the messages, and loss (every message is
//!   accounted for at every receiver after a drain period).
//! - `rooms`: C channels × K members with channel traffic, plus private
//!   messages between random pairs.
//! - `churn`: connect, register, join, part, quit cycles per second, and
//!   errors.
//!
//! The generator reports its own CPU time, and, given the server's PID, the
//! server's CPU seconds per million deliveries, so a run shows which side
//! was the bottleneck. Output: a readable summary, and JSON with `--json`.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use serde::Serialize;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;

/// Options shared by every scenario.
#[derive(Debug, Clone, clap::Args)]
pub struct Common {
    /// The server, HOST:PORT.
    #[arg(long, default_value = "127.0.0.1:6667")]
    pub addr: String,
    /// The server's PID, to report its RSS and CPU time.
    #[arg(long)]
    pub server_pid: Option<u32>,
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

/// The scenarios.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum Scenario {
    /// N clients register and idle.
    Connect {
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
    },
    /// One channel of N members, S of them sending.
    Fanout {
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
    /// Connect, join, part, quit cycles.
    Churn {
        #[command(flatten)]
        common: Common,
        /// Concurrent workers, each cycling one connection after another.
        #[arg(long, default_value_t = 50)]
        workers: usize,
        /// Seconds of cycling.
        #[arg(long, default_value_t = 5)]
        duration: u64,
    },
}

/// How long to wait for late messages after sending stops.
const DRAIN: Duration = Duration::from_secs(3);
/// The longest any single protocol step may take before it counts as an error.
const STEP_TIMEOUT: Duration = Duration::from_secs(30);

/// Runs a scenario and prints/writes its report. Returns false on failure.
pub fn run(scenario: Scenario) -> bool {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let common = match &scenario {
        Scenario::Connect { common, .. }
        | Scenario::Fanout { common, .. }
        | Scenario::Rooms { common, .. }
        | Scenario::Churn { common, .. } => common.clone(),
    };
    let addr: SocketAddr = match common.addr.parse() {
        Ok(a) => a,
        Err(_) => match std::net::ToSocketAddrs::to_socket_addrs(&common.addr)
            .ok()
            .and_then(|mut a| a.next())
        {
            Some(a) => a,
            None => {
                eprintln!("natter bench: cannot resolve {}", common.addr);
                return false;
            }
        },
    };
    let before = Usage::now(common.server_pid);
    let result = runtime.block_on(async {
        match scenario {
            Scenario::Connect {
                clients,
                concurrency,
                ping_sample,
                idle,
                ..
            } => connect(addr, &common, clients, concurrency, ping_sample, idle).await,
            Scenario::Fanout {
                members,
                senders,
                rate,
                duration,
                size,
                concurrency,
                ..
            } => {
                let shape = Traffic {
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
                traffic("fanout", addr, &common, shape, &params).await
            }
            Scenario::Rooms {
                channels,
                members,
                rate,
                private_rate,
                duration,
                concurrency,
                ..
            } => {
                let shape = Traffic {
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
                traffic("rooms", addr, &common, shape, &params).await
            }
            Scenario::Churn {
                workers, duration, ..
            } => churn(addr, &common, workers, duration).await,
        }
    });
    let mut report = match result {
        Ok(r) => r,
        Err(e) => {
            eprintln!("natter bench: {e}");
            return false;
        }
    };
    let after = Usage::now(common.server_pid);
    report.bench_cpu_s = after.self_cpu - before.self_cpu;
    if let (Some(a), Some(b)) = (after.server_cpu, before.server_cpu) {
        // CPU over the measured window when the scenario recorded one,
        // else over the whole run.
        let cpu = report.window_server_cpu_s.unwrap_or(a - b);
        report.server_cpu_s = Some(cpu);
        if report.deliveries > 0 {
            report.server_cpu_s_per_million = Some(cpu / report.deliveries as f64 * 1e6);
        }
    }
    report.label = common.label.clone();
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

/// One run's results. Rates are per second, latencies in milliseconds,
/// memory in KiB, CPU in seconds.
#[derive(Debug, Default, Serialize)]
pub struct Report {
    /// The scenario's name.
    pub scenario: String,
    /// `--label`.
    pub label: String,
    /// The scenario's parameters.
    pub params: HashMap<String, u64>,
    /// Clients that completed registration (every scenario; in churn, one
    /// per cycle that got that far).
    pub registered: u64,
    /// Complete connect, register, join, part, quit cycles (churn).
    pub cycles: u64,
    /// Registrations (connect) or cycles (churn) per second.
    pub per_second: f64,
    /// Sampled idle clients that answered PING (connect).
    pub ping_ok: u64,
    /// Sampled idle clients asked (connect).
    pub ping_sampled: u64,
    /// Server RSS growth per connected client, KiB (connect, with --server-pid).
    pub rss_per_client_kib: Option<f64>,
    /// Messages sent (fanout, rooms).
    pub messages_sent: u64,
    /// Deliveries expected: every message × its recipients.
    pub deliveries_expected: u64,
    /// Deliveries counted at the receivers.
    pub deliveries: u64,
    /// Deliveries missing after the drain period.
    pub lost: u64,
    /// Deliveries per second over the sending period.
    pub deliveries_per_second: f64,
    /// Latency percentiles, ms.
    pub latency_p50_ms: f64,
    /// p99, ms.
    pub latency_p99_ms: f64,
    /// Maximum, ms.
    pub latency_max_ms: f64,
    /// Protocol errors, timeouts, refused connections.
    pub errors: u64,
    /// The generator's own CPU seconds.
    pub bench_cpu_s: f64,
    /// The server's CPU seconds during the measurement (with --server-pid).
    pub server_cpu_s: Option<f64>,
    /// Server CPU seconds per million deliveries (with --server-pid).
    pub server_cpu_s_per_million: Option<f64>,
    /// Wall-clock seconds of the measured period.
    pub seconds: f64,
    #[serde(skip)]
    window_server_cpu_s: Option<f64>,
}

impl Report {
    fn summary(&self) -> String {
        let mut s = format!("natter bench {} against {}\n", self.scenario, self.label);
        let mut params: Vec<_> = self.params.iter().collect();
        params.sort();
        s += &format!(
            "  params:       {}\n",
            params
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(" ")
        );
        match self.scenario.as_str() {
            "connect" => {
                s += &format!(
                    "  registered:   {} ({:.0}/s)\n",
                    self.registered, self.per_second
                );
                s += &format!(
                    "  ping sample:  {}/{} answered\n",
                    self.ping_ok, self.ping_sampled
                );
                if let Some(r) = self.rss_per_client_kib {
                    s += &format!("  server RSS:   {r:.2} KiB per client\n");
                }
            }
            "churn" => {
                s += &format!(
                    "  cycles:       {} ({:.0}/s), {} registered\n",
                    self.cycles, self.per_second, self.registered
                );
            }
            _ => {
                s += &format!("  registered:   {}\n", self.registered);
                s += &format!(
                    "  deliveries:   {} of {} ({} lost), {:.0}/s\n",
                    self.deliveries,
                    self.deliveries_expected,
                    self.lost,
                    self.deliveries_per_second
                );
                s += &format!(
                    "  latency:      p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms\n",
                    self.latency_p50_ms, self.latency_p99_ms, self.latency_max_ms
                );
            }
        }
        s += &format!("  errors:       {}\n", self.errors);
        s += &format!(
            "  bench CPU:    {:.2} s over {:.2} s\n",
            self.bench_cpu_s, self.seconds
        );
        if let Some(c) = self.server_cpu_s {
            s += &format!("  server CPU:   {c:.2} s");
            if let Some(m) = self.server_cpu_s_per_million {
                s += &format!(" ({m:.3} s per million deliveries)");
            }
            s += "\n";
        }
        s
    }
}

/// CPU times read from /proc (Linux).
struct Usage {
    self_cpu: f64,
    server_cpu: Option<f64>,
}

impl Usage {
    fn now(server: Option<u32>) -> Usage {
        Usage {
            self_cpu: proc_cpu("self").unwrap_or(0.0),
            server_cpu: server.and_then(|p| proc_cpu(&p.to_string())),
        }
    }
}

/// utime + stime of /proc/<pid>/stat, in seconds.
fn proc_cpu(pid: &str) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the parenthesised command name; utime and stime are the
    // 14th and 15th fields overall.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split(' ').collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

/// VmRSS of a process, KiB.
fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// A registered client connection.
struct Conn {
    reader: BufReader<OwnedReadHalf>,
    writer: OwnedWriteHalf,
}

impl Conn {
    /// Connects and registers as `nick`, answering PINGs, until the end of
    /// the welcome burst (376 or 422).
    async fn register(addr: SocketAddr, nick: &str) -> Result<Conn, String> {
        let stream = tokio::time::timeout(STEP_TIMEOUT, TcpStream::connect(addr))
            .await
            .map_err(|_| "connect timed out".to_string())?
            .map_err(|e| format!("connect: {e}"))?;
        let _ = stream.set_nodelay(true);
        let (r, w) = stream.into_split();
        let mut c = Conn {
            reader: BufReader::new(r),
            writer: w,
        };
        c.send(&format!("NICK {nick}\r\nUSER {nick} 0 * :natter bench\r\n"))
            .await?;
        c.until(|l| has_command(l, "376") || has_command(l, "422"))
            .await?;
        Ok(c)
    }

    async fn send(&mut self, text: &str) -> Result<(), String> {
        self.writer
            .write_all(text.as_bytes())
            .await
            .map_err(|e| format!("write: {e}"))
    }

    /// Reads lines (answering PING) until `done` accepts one, within one
    /// [`STEP_TIMEOUT`] for the whole wait (one timer per step, not one per
    /// line: the generator's own cost is part of what churn measures).
    async fn until(&mut self, done: impl Fn(&str) -> bool) -> Result<String, String> {
        tokio::time::timeout(STEP_TIMEOUT, async {
            let mut line = String::new();
            loop {
                line.clear();
                let n = self
                    .reader
                    .read_line(&mut line)
                    .await
                    .map_err(|e| format!("read: {e}"))?;
                if n == 0 {
                    return Err("server closed the connection".into());
                }
                let l = line.trim_end();
                if let Some(token) = l.strip_prefix("PING ") {
                    self.send(&format!("PONG {token}\r\n")).await?;
                    continue;
                }
                if done(l) {
                    return Ok(l.to_string());
                }
                if l.starts_with("ERROR") || has_command(l, "433") || has_command(l, "432") {
                    return Err(format!("server said: {l}"));
                }
            }
        })
        .await
        .map_err(|_| "timed out waiting for the server".to_string())?
    }

    /// Joins `channel` and waits for the end of NAMES.
    async fn join(&mut self, channel: &str) -> Result<(), String> {
        self.send(&format!("JOIN {channel}\r\n")).await?;
        self.until(|l| has_command(l, "366")).await.map(|_| ())
    }
}

/// Whether `line` (with or without tags/source) has `command`.
fn has_command(line: &str, command: &str) -> bool {
    let mut words = line.split(' ').filter(|w| !w.is_empty());
    let mut w = words.next();
    if w.is_some_and(|w| w.starts_with('@')) {
        w = words.next();
    }
    if w.is_some_and(|w| w.starts_with(':')) {
        w = words.next();
    }
    w == Some(command)
}

/// Opens `n` registered connections, `concurrency` at a time.
async fn connect_many(
    addr: SocketAddr,
    prefix: &str,
    n: usize,
    concurrency: usize,
) -> (Vec<Conn>, u64) {
    let sem = Arc::new(tokio::sync::Semaphore::new(concurrency.max(1)));
    let mut tasks = Vec::with_capacity(n);
    for i in 0..n {
        let sem = sem.clone();
        let nick = format!("{prefix}{i}");
        tasks.push(tokio::spawn(async move {
            let _permit = sem.acquire_owned().await;
            Conn::register(addr, &nick).await
        }));
    }
    let mut conns = Vec::with_capacity(n);
    let mut errors = 0;
    for t in tasks {
        match t.await {
            Ok(Ok(c)) => conns.push(c),
            Ok(Err(e)) => {
                errors += 1;
                if errors <= 3 {
                    eprintln!("natter bench: registration failed: {e}");
                }
            }
            Err(_) => errors += 1,
        }
    }
    (conns, errors)
}

async fn connect(
    addr: SocketAddr,
    common: &Common,
    clients: usize,
    concurrency: usize,
    ping_sample: usize,
    idle: u64,
) -> Result<Report, String> {
    let rss_before = common.server_pid.and_then(rss_kib);
    let start = Instant::now();
    let (mut conns, errors) = connect_many(addr, &common.prefix, clients, concurrency).await;
    let seconds = start.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_secs(idle)).await;
    let rss_after = common.server_pid.and_then(rss_kib);
    let mut report = Report {
        scenario: "connect".into(),
        registered: conns.len() as u64,
        per_second: conns.len() as f64 / seconds,
        errors,
        seconds,
        ..Report::default()
    };
    report.params.insert("clients".into(), clients as u64);
    report
        .params
        .insert("concurrency".into(), concurrency as u64);
    if let (Some(b), Some(a)) = (rss_before, rss_after) {
        if !conns.is_empty() {
            report.rss_per_client_kib = Some(a.saturating_sub(b) as f64 / conns.len() as f64);
        }
    }
    // A PING round trip from an evenly spread sample of idle clients.
    let step = (conns.len() / ping_sample.max(1)).max(1);
    for (i, c) in conns
        .iter_mut()
        .enumerate()
        .filter(|(i, _)| i % step == 0)
        .take(ping_sample)
    {
        report.ping_sampled += 1;
        let token = format!("bench{i}");
        let ok = async {
            c.send(&format!("PING {token}\r\n")).await?;
            c.until(|l| has_command(l, "PONG") && l.ends_with(&token))
                .await
        }
        .await;
        match ok {
            Ok(_) => report.ping_ok += 1,
            Err(_) => report.errors += 1,
        }
    }
    for mut c in conns {
        let _ = c.send("QUIT :bench done\r\n").await;
    }
    Ok(report)
}

/// Latency and delivery accounting shared by receiver tasks.
struct Tally {
    received: AtomicU64,
    /// Readers that have started (sending waits for all of them).
    started: AtomicU64,
    hist: Mutex<Histogram<u64>>,
}

/// A latency histogram in µs: 1 µs to 10 minutes, 3 significant digits.
fn latency_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 600_000_000, 3).expect("histogram bounds")
}

impl Tally {
    fn new() -> Arc<Tally> {
        Arc::new(Tally {
            received: AtomicU64::new(0),
            started: AtomicU64::new(0),
            hist: Mutex::new(latency_histogram()),
        })
    }
}

/// A tiny broadcast stop signal.
mod tokio_util_stop {
    use std::sync::Arc;
    use tokio::sync::watch;

    #[derive(Clone)]
    pub struct Stop(Arc<watch::Sender<bool>>, watch::Receiver<bool>);

    impl Stop {
        pub fn new() -> Stop {
            let (tx, rx) = watch::channel(false);
            Stop(Arc::new(tx), rx)
        }
        pub fn fire(&self) {
            let _ = self.0.send(true);
        }
        pub async fn wait(&self) {
            let mut rx = self.1.clone();
            let _ = rx.wait_for(|v| *v).await;
        }
    }
}

/// Sends `count` messages over `duration` through `send`, paced in 1 ms
/// steps; returns how many were sent.
async fn paced(
    rate: u64,
    duration: Duration,
    mut send: impl FnMut(u64) -> String,
    writers: &mut [OwnedWriteHalf],
    pick: impl Fn(u64) -> usize,
) -> u64 {
    let total = rate * duration.as_secs();
    let start = Instant::now();
    let mut sent = 0u64;
    let mut batches: Vec<String> = vec![String::new(); writers.len()];
    // Only the writers with something to send are visited: with thousands
    // of clients, scanning them all every millisecond would make the
    // generator itself the source of latency.
    let mut dirty: Vec<usize> = Vec::new();
    let mut tick = tokio::time::interval(Duration::from_millis(1));
    while sent < total {
        tick.tick().await;
        let due = ((start.elapsed().as_secs_f64() * rate as f64) as u64).min(total);
        while sent < due {
            let line = send(sent);
            let w = pick(sent);
            if batches[w].is_empty() {
                dirty.push(w);
            }
            batches[w].push_str(&line);
            sent += 1;
        }
        for w in dirty.drain(..) {
            let _ = writers[w].write_all(batches[w].as_bytes()).await;
            batches[w].clear();
        }
    }
    sent
}

/// The shape of a traffic run (fanout is one group, rooms many).
struct Traffic {
    /// Channels, each `#bench<N>`.
    groups: usize,
    /// Clients per channel (each in one channel).
    members: usize,
    /// Members of each channel that send.
    senders_per_group: usize,
    /// Channel messages per second, all channels together.
    rate: u64,
    /// Private messages per second between random clients.
    private_rate: u64,
    /// Seconds of sending.
    duration: u64,
    /// Padding bytes per message.
    size: usize,
    /// Registrations in flight while setting up.
    concurrency: usize,
}

/// Runs `shape`, then records `params` in the report.
async fn traffic(
    scenario: &str,
    addr: SocketAddr,
    common: &Common,
    shape: Traffic,
    params: &[(&str, u64)],
) -> Result<Report, String> {
    let Traffic {
        groups,
        members,
        senders_per_group,
        rate,
        private_rate,
        duration,
        size,
        concurrency,
    } = shape;
    let total = groups * members;
    let (conns, errors) = connect_many(addr, &common.prefix, total, concurrency).await;
    if errors > 0 || conns.len() != total {
        return Err(format!(
            "only {} of {total} clients registered",
            conns.len()
        ));
    }
    let mut conns = conns;
    for (i, c) in conns.iter_mut().enumerate() {
        c.join(&format!("#bench{}", i / members)).await?;
    }
    // Let JOIN echoes settle before measuring.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let epoch = Instant::now();
    let tally = Tally::new();
    let stop = tokio_util_stop::Stop::new();
    // Every client reads (senders too); the write halves stay here for
    // sending. Readers do not answer PING: runs are far shorter than any
    // server's ping interval.
    let mut writers = Vec::new();
    let mut handles = Vec::new();
    for c in conns {
        writers.push(c.writer);
        handles.push(spawn_reader(c.reader, epoch, tally.clone(), stop.clone()));
    }
    // Messages sent before every reader runs would measure task start-up,
    // not the server.
    while tally.started.load(Ordering::Relaxed) < handles.len() as u64 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let pad = "x".repeat(size);
    let server_cpu_start = common.server_pid.and_then(|p| proc_cpu(&p.to_string()));
    let send_start = Instant::now();
    let seconds = Duration::from_secs(duration);
    let senders = senders_per_group.min(members).max(1);
    let mut rng = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    // Each message: pick a group round-robin and a sender in it; private
    // messages interleave at their own share of the total rate.
    let chan_rate = rate;
    let all_rate = chan_rate + private_rate;
    let mut expected = 0u64;
    let msgs = all_rate * duration;
    let mut lines: Vec<(usize, String)> = Vec::with_capacity(msgs as usize);
    for seq in 0..msgs {
        let private = private_rate > 0 && (seq % all_rate) >= chan_rate;
        if private {
            let a = (next() as usize) % total;
            let mut b = (next() as usize) % total;
            if b == a {
                b = (a + 1) % total;
            }
            lines.push((a, format!("PRIVMSG {}{} :", common.prefix, b)));
            expected += 1;
        } else {
            let g = (seq as usize) % groups;
            let s = (seq as usize / groups) % senders;
            lines.push((g * members + s, format!("PRIVMSG #bench{g} :")));
            expected += members as u64 - 1;
        }
    }
    let sent = paced(
        all_rate,
        seconds,
        |seq| {
            let (_, head) = &lines[seq as usize];
            let t = epoch.elapsed().as_micros();
            format!("{head}{t} {seq} {pad}\r\n")
        },
        &mut writers,
        |seq| lines[seq as usize].0,
    )
    .await;
    let send_seconds = send_start.elapsed().as_secs_f64();
    // Drain: wait until every expected delivery arrived or the drain ends.
    let drain_start = Instant::now();
    while tally.received.load(Ordering::Relaxed) < expected && drain_start.elapsed() < DRAIN {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let server_cpu_end = common.server_pid.and_then(|p| proc_cpu(&p.to_string()));
    stop.fire();
    for h in handles {
        let _ = h.await;
    }
    for mut w in writers {
        let _ = w.write_all(b"QUIT :bench done\r\n").await;
    }
    let delivered = tally.received.load(Ordering::Relaxed);
    let hist = tally.hist.lock().expect("not poisoned");
    let ms = |v: u64| v as f64 / 1000.0;
    let mut report = Report {
        scenario: scenario.into(),
        registered: total as u64,
        messages_sent: sent,
        deliveries_expected: expected,
        deliveries: delivered,
        lost: expected.saturating_sub(delivered),
        deliveries_per_second: delivered as f64 / send_seconds,
        latency_p50_ms: ms(hist.value_at_quantile(0.50)),
        latency_p99_ms: ms(hist.value_at_quantile(0.99)),
        latency_max_ms: ms(hist.max()),
        seconds: send_seconds,
        ..Report::default()
    };
    if let (Some(a), Some(b)) = (server_cpu_end, server_cpu_start) {
        report.window_server_cpu_s = Some(a - b);
    }
    for (k, v) in params {
        report.params.insert((*k).into(), *v);
    }
    Ok(report)
}

/// Reads PRIVMSGs whose text starts with `<t_micros>` (µs since `epoch`)
/// until `stop`, recording latencies into a local histogram merged into
/// `tally` at the end. Reads 16 KiB at a time and parses just enough of
/// each line, so that the generator, not the server, is rarely the limit;
/// every line of one read is stamped with that read's arrival time.
fn spawn_reader(
    reader: BufReader<OwnedReadHalf>,
    epoch: Instant,
    tally: Arc<Tally>,
    stop: tokio_util_stop::Stop,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        use tokio::io::AsyncReadExt;
        // Whatever the BufReader already holds comes first.
        let mut buf: Vec<u8> = reader.buffer().to_vec();
        let mut reader = reader.into_inner();
        let mut local = latency_histogram();
        let mut unreported = 0u64;
        let mut chunk = vec![0u8; 16 * 1024];
        tally.started.fetch_add(1, Ordering::Relaxed);
        loop {
            let now = epoch.elapsed().as_micros() as u64;
            let mut start = 0;
            while let Some(nl) = buf[start..].iter().position(|&b| b == b'\n') {
                if let Some(t) = sent_at(&buf[start..start + nl]) {
                    let _ = local.record(now.saturating_sub(t).max(1));
                    unreported += 1;
                }
                start += nl + 1;
            }
            buf.drain(..start);
            if unreported >= 1024 {
                tally.received.fetch_add(unreported, Ordering::Relaxed);
                unreported = 0;
            }
            let n = tokio::select! {
                r = reader.read(&mut chunk) => match r {
                    Ok(0) | Err(_) => break,
                    Ok(n) => n,
                },
                _ = stop.wait() => break,
            };
            buf.extend_from_slice(&chunk[..n]);
        }
        tally.received.fetch_add(unreported, Ordering::Relaxed);
        let _ = tally.hist.lock().expect("not poisoned").add(&local);
    })
}

/// The send time carried by a bench PRIVMSG line
/// (`[@tags] :src PRIVMSG target :<t_micros> ...`), if it is one.
fn sent_at(line: &[u8]) -> Option<u64> {
    fn word<'a>(rest: &mut &'a [u8]) -> Option<&'a [u8]> {
        let sp = rest.iter().position(|&b| b == b' ')?;
        let w = &rest[..sp];
        *rest = &rest[sp + 1..];
        Some(w)
    }
    let mut rest = line;
    let mut w = word(&mut rest)?;
    if w.first() == Some(&b'@') {
        w = word(&mut rest)?;
    }
    if w.first() == Some(&b':') {
        w = word(&mut rest)?;
    }
    if w != b"PRIVMSG" {
        return None;
    }
    word(&mut rest)?; // target
    let body = rest.strip_prefix(b":").unwrap_or(rest);
    let mut t: u64 = 0;
    let mut digits = 0;
    for &b in body {
        if !b.is_ascii_digit() {
            break;
        }
        t = t * 10 + u64::from(b - b'0');
        digits += 1;
    }
    (digits > 0).then_some(t)
}

async fn churn(
    addr: SocketAddr,
    common: &Common,
    workers: usize,
    duration: u64,
) -> Result<Report, String> {
    let cycles = Arc::new(AtomicU64::new(0));
    let registered = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(duration);
    let start = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..workers {
        let (cycles, registered, errors) = (cycles.clone(), registered.clone(), errors.clone());
        let prefix = common.prefix.clone();
        tasks.push(tokio::spawn(async move {
            let mut i = 0u64;
            while Instant::now() < deadline {
                let nick = format!("{prefix}c{w}x{i}");
                i += 1;
                let cycle = async {
                    let mut c = Conn::register(addr, &nick).await?;
                    registered.fetch_add(1, Ordering::Relaxed);
                    let chan = format!("#churn{}", w % 16);
                    c.join(&chan).await?;
                    c.send(&format!("PART {chan}\r\nQUIT :cycle\r\n")).await?;
                    c.until(|l| l.starts_with("ERROR")).await?;
                    Ok::<(), String>(())
                };
                match cycle.await {
                    Ok(()) => cycles.fetch_add(1, Ordering::Relaxed),
                    Err(e) => {
                        if errors.fetch_add(1, Ordering::Relaxed) < 3 {
                            eprintln!("natter bench: churn cycle failed: {e}");
                        }
                        0
                    }
                };
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    let seconds = start.elapsed().as_secs_f64();
    let n = cycles.load(Ordering::Relaxed);
    let mut r = Report {
        scenario: "churn".into(),
        registered: registered.load(Ordering::Relaxed),
        cycles: n,
        per_second: n as f64 / seconds,
        errors: errors.load(Ordering::Relaxed),
        seconds,
        ..Report::default()
    };
    r.params.insert("workers".into(), workers as u64);
    r.params.insert("duration".into(), duration);
    Ok(r)
}
