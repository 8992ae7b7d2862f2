//! Spreading the `connect` scenario's clients over several processes
//! (`--procs N`), so that one run can hold more clients than one
//! process's open-files limit allows.
//!
//! The parent starts N copies of itself (`natter bench connect ... --worker
//! I/N`) and speaks a line protocol with them over their standard input
//! and output:
//!
//! - a worker connects its share of the clients (client `j` of worker `I`
//!   is nick `<prefix>I_j`, on `addrs[j % len]`) and prints
//!   `registered <n> <errors>`;
//! - once every worker has, the parent idles, reads the servers' RSS, and
//!   writes `ping`; each worker PINGs its share of the sample and prints
//!   `pinged <sampled> <ok> <errors>`;
//! - the workers then hold their clients until their standard input
//!   closes, QUIT them and exit. The parent closes it at once, or with
//!   `--hold` when its own standard input closes.
//!
//! What may touch what: the bench only; it drives servers from outside.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use super::report::{rss_kib, rss_per_client, Report};
use super::Common;

/// `--worker I/N`: this process is worker I (from 0) of N.
#[derive(Debug, Clone, Copy)]
pub struct Worker {
    /// This worker's index, `0..of`.
    pub index: usize,
    /// How many workers share the clients.
    pub of: usize,
}

impl std::str::FromStr for Worker {
    type Err = String;

    fn from_str(s: &str) -> Result<Worker, String> {
        let (i, n) = s.split_once('/').ok_or("expected I/N")?;
        let index: usize = i.parse().map_err(|_| "I is not a number")?;
        let of: usize = n.parse().map_err(|_| "N is not a number")?;
        if index >= of {
            return Err("I must be below N".into());
        }
        Ok(Worker { index, of })
    }
}

impl Worker {
    /// This worker's share of `total` (the first `total % of` get one more).
    pub fn share(&self, total: usize) -> usize {
        total / self.of + usize::from(self.index < total % self.of)
    }
}

/// The arguments of this process minus the ones only the parent acts on
/// (`--procs`, `--hold`, `--json`, `--server-pid`), for its workers.
fn worker_args() -> Vec<std::ffi::OsString> {
    const WITH_VALUE: [&str; 3] = ["--procs", "--json", "--server-pid"];
    let mut out = Vec::new();
    let mut args = std::env::args_os().skip(1);
    while let Some(a) = args.next() {
        let text = a.to_string_lossy();
        if WITH_VALUE.contains(&text.as_ref()) {
            args.next();
            continue;
        }
        let flag = text.split('=').next().unwrap_or_default();
        if WITH_VALUE.contains(&flag) || text == "--hold" {
            continue;
        }
        out.push(a);
    }
    out
}

struct WorkerProc {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
}

impl WorkerProc {
    /// The numbers on the worker's next line, which must start with
    /// `word` (0 for any missing).
    fn expect(&mut self, word: &str) -> Result<[u64; 3], String> {
        let mut line = String::new();
        let n = self
            .stdout
            .read_line(&mut line)
            .map_err(|e| format!("reading a worker: {e}"))?;
        let mut words = line.split_whitespace();
        if n == 0 || words.next() != Some(word) {
            return Err(format!("a worker exited or said {line:?}, not {word}"));
        }
        let mut numbers = [0; 3];
        for (n, w) in numbers.iter_mut().zip(words) {
            *n = w.parse().unwrap_or(0);
        }
        Ok(numbers)
    }
}

/// What a `--procs` run does: the `connect` arguments the parent acts on.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    /// Worker processes.
    pub procs: usize,
    /// Clients in all.
    pub clients: usize,
    /// Registrations in flight at once, in all.
    pub concurrency: usize,
    /// Servers (`--addr`) the clients are spread over.
    pub servers: usize,
    /// Seconds to idle before the RSS reading and the PING sample.
    pub idle: u64,
    /// `--hold`: keep the clients until standard input closes.
    pub hold: bool,
}

/// The parent of `--procs N`: runs the workers, sums their figures into
/// one report (`seconds`: until every worker had registered its share).
pub fn connect(common: &Common, plan: Plan) -> Result<Report, String> {
    let Plan { procs, hold, .. } = plan;
    let exe = std::env::current_exe().map_err(|e| format!("cannot find natter itself: {e}"))?;
    let args = worker_args();
    let rss_before = rss_kib(&common.server_pid);
    let start = Instant::now();
    let mut workers = Vec::with_capacity(procs);
    let mut result = Ok(());
    for index in 0..procs {
        let spawned = Command::new(&exe)
            .args(&args)
            .arg("--worker")
            .arg(format!("{index}/{procs}"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn();
        match spawned {
            Ok(mut child) => {
                let stdin = child.stdin.take();
                let stdout = BufReader::new(child.stdout.take().expect("piped"));
                workers.push(WorkerProc {
                    child,
                    stdin,
                    stdout,
                });
            }
            Err(e) => {
                result = Err(format!("cannot start worker {index}: {e}"));
                break;
            }
        }
    }
    let result = result.and_then(|()| drive(&mut workers, common, plan, rss_before, start));
    // Closing a worker's input makes it QUIT its clients, say how many it
    // still held, and exit; the workers started are waited for on every
    // path.
    let mut held = 0;
    for w in &mut workers {
        w.stdin.take();
    }
    for w in &mut workers {
        if let Ok([n, ..]) = w.expect("held") {
            held += n;
        }
        let _ = w.child.wait();
    }
    let mut report = result?;
    report.params.insert("procs".into(), procs as u64);
    if hold {
        report.held_to_end = Some(held);
    }
    Ok(report)
}

fn drive(
    workers: &mut [WorkerProc],
    common: &Common,
    plan: Plan,
    rss_before: Option<u64>,
    start: Instant,
) -> Result<Report, String> {
    let Plan {
        clients,
        concurrency,
        servers,
        idle,
        hold,
        ..
    } = plan;
    let mut report = Report {
        scenario: "connect".into(),
        ..Report::default()
    };
    for w in workers.iter_mut() {
        let [registered, errors, _] = w.expect("registered")?;
        report.registered += registered;
        report.errors += errors;
    }
    report.seconds = start.elapsed().as_secs_f64();
    report.per_second = report.registered as f64 / report.seconds;
    std::thread::sleep(Duration::from_secs(idle));
    report.rss_per_client_kib =
        rss_per_client(rss_before, rss_kib(&common.server_pid), report.registered);
    for w in workers.iter_mut() {
        let stdin = w.stdin.as_mut().expect("open until the end");
        writeln!(stdin, "ping").map_err(|e| format!("writing to a worker: {e}"))?;
    }
    for w in workers.iter_mut() {
        let [sampled, ok, errors] = w.expect("pinged")?;
        report.ping_sampled += sampled;
        report.ping_ok += ok;
        report.errors += errors;
    }
    super::load::connect_params(&mut report, clients, concurrency, servers);
    if hold {
        hold_until_stdin_closes(report.registered);
    }
    Ok(report)
}

/// `--hold`: says so on standard output, then blocks until standard input
/// closes.
pub fn hold_until_stdin_closes(clients: u64) {
    tell_parent(&format!(
        "natter bench: holding {clients} clients until standard input closes"
    ));
    wait_for_parent_to_close();
}

/// Blocks until the parent writes a line (`ping`), or false when it has
/// closed the pipe.
pub fn wait_for_parent() -> bool {
    let mut line = String::new();
    matches!(std::io::stdin().lock().read_line(&mut line), Ok(n) if n > 0)
}

/// Blocks until the parent closes the pipe.
pub fn wait_for_parent_to_close() {
    let _ = std::io::copy(&mut std::io::stdin().lock(), &mut std::io::sink());
}

/// Prints one line of the protocol to the parent.
pub fn tell_parent(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}
