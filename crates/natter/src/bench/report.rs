//! A run's figures, their summary, and the CPU and memory readings from
//! /proc they rest on.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

/// One run's results. Rates are per second, latencies and times in
/// milliseconds, memory in KiB, CPU in seconds.
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
    /// Complete connect, register, join, part, quit cycles (churn), or
    /// complete handshakes (handshakes).
    pub cycles: u64,
    /// Registrations (connect), cycles (churn) or handshakes (handshakes)
    /// per second.
    pub per_second: f64,
    /// How the clients connected: `tcp`, `tls`, `ws` or `wss`.
    pub transport: String,
    /// Over TLS: what the (first) connection negotiated, protocol version,
    /// cipher suite and key exchange group.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls: Option<String>,
    /// Sampled idle clients that answered PING (connect).
    pub ping_ok: u64,
    /// Sampled idle clients asked (connect).
    pub ping_sampled: u64,
    /// With `--hold`: the clients still registered when the hold ended
    /// (each answered the server's PINGs meanwhile).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub held_to_end: Option<u64>,
    /// Server RSS growth per connected client, KiB (connect, with --server-pid).
    pub rss_per_client_kib: Option<f64>,
    /// Messages sent (fanout, rooms, hops).
    pub messages_sent: u64,
    /// Deliveries expected: every message × its recipients.
    pub deliveries_expected: u64,
    /// Deliveries counted at the receivers.
    pub deliveries: u64,
    /// Deliveries missing after the drain period.
    pub lost: u64,
    /// Deliveries per second over the sending period.
    pub deliveries_per_second: f64,
    /// Latency percentiles, ms (handshakes: from the connect until the
    /// handshake is done, or until 001 with --register).
    pub latency_p50_ms: f64,
    /// p99, ms.
    pub latency_p99_ms: f64,
    /// Maximum, ms.
    pub latency_max_ms: f64,
    /// Per round (burst, rejoin): from the operator's command (CONNECT;
    /// SQUIT with autoconnect) until an observer saw the link up, ms.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub link_up_ms: Vec<f64>,
    /// Per round (burst, rejoin): from the link being up (bounded below
    /// by the sending of the last poll that did not show it yet) until
    /// every observed server showed the whole network in LUSERS and LINKS,
    /// ms.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub converged_ms: Vec<f64>,
    /// Per round (burst, rejoin): from the operator's command (CONNECT;
    /// SQUIT with autoconnect) until every observed server showed the
    /// whole network, ms.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub total_ms: Vec<f64>,
    /// Median of `converged_ms`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub converged_p50_ms: Option<f64>,
    /// Largest of `converged_ms`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub converged_max_ms: Option<f64>,
    /// The network once converged (burst, rejoin): its servers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub network_servers: Option<u64>,
    /// Global users once converged (LUSERS).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub network_users: Option<u64>,
    /// Channels once converged (LUSERS).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub network_channels: Option<u64>,
    /// Protocol errors, timeouts, refused connections.
    pub errors: u64,
    /// The generator's own CPU seconds.
    pub bench_cpu_s: f64,
    /// The servers' CPU seconds during the measurement (with --server-pid).
    pub server_cpu_s: Option<f64>,
    /// Server CPU seconds per million deliveries (with --server-pid).
    pub server_cpu_s_per_million: Option<f64>,
    /// The user-space part of `server_cpu_s` (utime), seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server_user_s: Option<f64>,
    /// The kernel's part of `server_cpu_s` (stime), seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server_sys_s: Option<f64>,
    /// `server_user_s` per million deliveries.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server_user_s_per_million: Option<f64>,
    /// `server_sys_s` per million deliveries.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server_sys_s_per_million: Option<f64>,
    /// Wall-clock seconds of the measured period.
    pub seconds: f64,
    /// `server_cpu_s` by thread name (`/proc/<pid>/task/*/stat`), summed
    /// over the threads of one name and over the servers: which part of a
    /// server's CPU is its event loops and which its helpers (natter's
    /// `natter-history` writer, for one): over the measured window in
    /// fan-out and rooms, over the whole run in connect, churn and
    /// handshakes; not in the linked-network scenarios, whose windows read
    /// only the total. Threads that ended during the measurement are
    /// missing, so the parts may add up to less; each thread's time is
    /// rounded to 10 ms ticks on its own and read a moment after the total,
    /// so they may also add up to a few ticks more.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub server_threads: BTreeMap<String, ThreadCpu>,
    /// The servers' CPU over the scenario's measured window, when it
    /// records one (else the whole run counts).
    #[serde(skip)]
    pub window_server_cpu: Option<Cpu>,
    /// The same window's CPU by thread name, when the scenario reads it.
    #[serde(skip)]
    pub window_server_threads: Option<BTreeMap<String, Cpu>>,
}

/// One thread name's CPU in [`Report::server_threads`], seconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct ThreadCpu {
    /// In user space (utime).
    pub user_s: f64,
    /// In the kernel on the threads' behalf (stime).
    pub sys_s: f64,
}

impl From<Cpu> for ThreadCpu {
    fn from(c: Cpu) -> ThreadCpu {
        ThreadCpu {
            user_s: c.user,
            sys_s: c.sys,
        }
    }
}

/// The values of `v` with one decimal, joined by ", ".
fn list_ms(v: &[f64]) -> String {
    v.iter()
        .map(|x| format!("{x:.1}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The median of `v` (the mean of the middle two for an even count).
pub fn median(v: &[f64]) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let n = s.len();
    Some(if n % 2 == 1 {
        s[n / 2]
    } else {
        (s[n / 2 - 1] + s[n / 2]) / 2.0
    })
}

impl Report {
    /// Fills the medians and maxima of the per-round times.
    pub fn finish_rounds(&mut self) {
        self.converged_p50_ms = median(&self.converged_ms);
        self.converged_max_ms = self.converged_ms.iter().copied().reduce(f64::max);
    }

    pub fn summary(&self) -> String {
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
                if let Some(h) = self.held_to_end {
                    s += &format!("  held:         {h} still registered when the hold ended\n");
                }
            }
            "churn" => {
                s += &format!(
                    "  cycles:       {} ({:.0}/s), {} registered\n",
                    self.cycles, self.per_second, self.registered
                );
            }
            "handshakes" => {
                s += &format!(
                    "  handshakes:   {} ({:.0}/s), {} registered\n",
                    self.cycles, self.per_second, self.registered
                );
                s += &format!(
                    "  time each:    p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms\n",
                    self.latency_p50_ms, self.latency_p99_ms, self.latency_max_ms
                );
                if self.cycles > 0 {
                    let us = |cpu: f64| cpu / self.cycles as f64 * 1e6;
                    s += &format!("  per handshake: bench CPU {:.0} µs", us(self.bench_cpu_s));
                    if let Some(c) = self.server_cpu_s {
                        s += &format!(", server CPU {:.0} µs", us(c));
                    }
                    s += "\n";
                }
            }
            "burst" | "rejoin" => {
                s += &format!("  registered:   {}\n", self.registered);
                if let (Some(sv), Some(u), Some(c)) = (
                    self.network_servers,
                    self.network_users,
                    self.network_channels,
                ) {
                    s += &format!("  network:      {sv} servers, {u} users, {c} channels\n");
                }
                let command = match (self.scenario.as_str(), self.params.get("connect")) {
                    ("burst", _) | (_, Some(1)) => "CONNECT",
                    _ => "SQUIT",
                };
                s += &format!("  {command} to link up: {} ms\n", list_ms(&self.link_up_ms));
                s += &format!(
                    "  link up to converged: {} ms\n",
                    list_ms(&self.converged_ms)
                );
                s += &format!("  {command} to converged: {} ms\n", list_ms(&self.total_ms));
                if let (Some(p50), Some(max)) = (self.converged_p50_ms, self.converged_max_ms) {
                    s += &format!("  converged:    median {p50:.1} ms, max {max:.1} ms\n");
                }
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
        if self.transport != "tcp" {
            s += &format!("  transport:    {}\n", self.transport);
        }
        if let Some(tls) = &self.tls {
            s += &format!("  TLS:          {tls}\n");
        }
        s += &format!("  errors:       {}\n", self.errors);
        s += &format!(
            "  bench CPU:    {:.2} s over {:.2} s\n",
            self.bench_cpu_s, self.seconds
        );
        if let Some(c) = self.server_cpu_s {
            s += &format!("  server CPU:   {c:.2} s");
            if let (Some(u), Some(k)) = (self.server_user_s, self.server_sys_s) {
                s += &format!(" (user {u:.2}, system {k:.2})");
            }
            if let Some(m) = self.server_cpu_s_per_million {
                s += &format!(", {m:.3} s per million deliveries");
                if let (Some(u), Some(k)) = (
                    self.server_user_s_per_million,
                    self.server_sys_s_per_million,
                ) {
                    s += &format!(" (user {u:.3}, system {k:.3})");
                }
            }
            s += "\n";
        }
        if !self.server_threads.is_empty() {
            let mut threads: Vec<_> = self.server_threads.iter().collect();
            threads.sort_by(|a, b| (b.1.user_s + b.1.sys_s).total_cmp(&(a.1.user_s + a.1.sys_s)));
            let parts: Vec<String> = threads
                .iter()
                .map(|(name, c)| {
                    format!(
                        "{name} {:.2} (user {:.2}, system {:.2})",
                        c.user_s + c.sys_s,
                        c.user_s,
                        c.sys_s
                    )
                })
                .collect();
            s += &format!("  by thread:    {}\n", parts.join(", "));
        }
        s
    }
}

/// CPU times read from /proc (Linux).
pub struct Usage {
    pub self_cpu: f64,
    /// Summed over the servers' PIDs.
    pub server_cpu: Option<Cpu>,
    /// The same, by thread name.
    pub server_threads: Option<BTreeMap<String, Cpu>>,
}

impl Usage {
    pub fn now(servers: &[u32]) -> Usage {
        Usage {
            self_cpu: self_cpu_with_workers(),
            server_cpu: super::servers_cpu(servers),
            server_threads: servers_threads(servers),
        }
    }
}

/// The CPU of the threads of the processes `pids` now, by thread name
/// (the `comm` of `/proc/<pid>/task/<tid>/stat`), summed over the threads
/// of one name and over the processes; None without PIDs or if one is gone.
pub fn servers_threads(pids: &[u32]) -> Option<BTreeMap<String, Cpu>> {
    if pids.is_empty() {
        return None;
    }
    let mut by_name: BTreeMap<String, Cpu> = BTreeMap::new();
    for pid in pids {
        let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).ok()?;
        for task in tasks.flatten() {
            let path = task.path().join("stat");
            // A thread that ended since the listing is skipped.
            let Ok(stat) = std::fs::read_to_string(&path) else {
                continue;
            };
            if let Some((name, cpu)) = parse_stat(&stat) {
                let sum = by_name.entry(name.to_string()).or_default();
                *sum = *sum + cpu;
            }
        }
    }
    Some(by_name)
}

/// The change from `before` to `after` by thread name; a name that was not
/// there before counts from zero.
pub fn threads_delta(
    after: BTreeMap<String, Cpu>,
    before: &BTreeMap<String, Cpu>,
) -> BTreeMap<String, Cpu> {
    after
        .into_iter()
        .map(|(name, cpu)| {
            let was = before.get(&name).copied().unwrap_or_default();
            (name, cpu - was)
        })
        .collect()
}

/// The command name and the CPU of one `stat` line of /proc (a process's
/// or a thread's): the name between the parentheses, utime and stime the
/// 14th and 15th fields overall, in 10 ms ticks (USER_HZ is 100 on Linux).
fn parse_stat(stat: &str) -> Option<(&str, Cpu)> {
    let open = stat.find('(')?;
    let close = stat.rfind(')')?;
    let name = stat.get(open + 1..close)?;
    let fields: Vec<&str> = stat.get(close + 2..)?.split(' ').collect();
    let ticks = |i: usize| fields.get(i)?.parse::<f64>().ok();
    Some((
        name,
        Cpu {
            user: ticks(11)? / 100.0,
            sys: ticks(12)? / 100.0,
        },
    ))
}

/// A process's CPU time, seconds, split as the kernel accounts it: in
/// user space (utime) and in the kernel on its behalf (stime), every
/// thread included.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Cpu {
    /// Seconds in user space (utime).
    pub user: f64,
    /// Seconds in the kernel on the process's behalf (stime).
    pub sys: f64,
}

impl Cpu {
    /// User and system time together, seconds.
    pub fn total(self) -> f64 {
        self.user + self.sys
    }
}

impl std::ops::Add for Cpu {
    type Output = Cpu;
    fn add(self, o: Cpu) -> Cpu {
        Cpu {
            user: self.user + o.user,
            sys: self.sys + o.sys,
        }
    }
}

impl std::ops::Sub for Cpu {
    type Output = Cpu;
    fn sub(self, o: Cpu) -> Cpu {
        Cpu {
            user: self.user - o.user,
            sys: self.sys - o.sys,
        }
    }
}

/// utime and stime of `/proc/<pid>/stat` (10 ms ticks: USER_HZ is 100 on
/// Linux), in seconds.
pub fn proc_cpu(pid: &str) -> Option<Cpu> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    parse_stat(&stat).map(|(_, cpu)| cpu)
}

/// This process's CPU seconds plus those of its children that have
/// exited and been waited for (cutime and cstime: `--procs` workers).
fn self_cpu_with_workers() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    let Some(rest) = stat.rfind(')').map(|i| &stat[i + 2..]) else {
        return 0.0;
    };
    rest.split(' ')
        .skip(11)
        .take(4)
        .filter_map(|t| t.parse::<f64>().ok())
        .sum::<f64>()
        / 100.0
}

/// Server RSS growth per client, KiB: from `before` to `after` (VmRSS
/// KiB, as [`rss_kib`] reads them) over `clients`; None without both
/// readings or without clients.
pub fn rss_per_client(before: Option<u64>, after: Option<u64>, clients: u64) -> Option<f64> {
    match (before, after) {
        (Some(b), Some(a)) if clients > 0 => Some(a.saturating_sub(b) as f64 / clients as f64),
        _ => None,
    }
}

/// VmRSS of the processes `pids`, summed, KiB (None if one is gone).
pub fn rss_kib(pids: &[u32]) -> Option<u64> {
    if pids.is_empty() {
        return None;
    }
    pids.iter().map(|p| rss_of(*p)).sum()
}

fn rss_of(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}
