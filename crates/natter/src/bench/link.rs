//! The linked-network scenarios: `burst` (how long a new link takes to
//! carry N users and C channels) and `rejoin` (how long a tree of servers
//! takes to agree again after a link was split and came back).
//!
//! Both watch the network the way an operator would: one client per server
//! polls `LUSERS` and `LINKS` every few milliseconds, and a server counts
//! as converged at the first reply showing the whole network (the set of
//! servers, the global user count and the channel count).
//!
//! The times are bounds that can only overstate. A reply shows the state
//! at some moment between its poll being sent and its arrival, so the link
//! came up at an end after the *sending* of the last poll there that did
//! not show it yet, and the network had converged by the *arrival* of the
//! last reply needed. Convergence is timed between those two, so it is
//! late by at most one poll interval and one round trip; and a server busy
//! taking in a burst, which answers no poll meanwhile, cannot hide the
//! burst. `NATTER_BENCH_DEBUG=1` prints every reply.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use super::conn::{connect_many, has_command, idle, join_many, words, Conn, Stop};
use super::report::Report;
use super::transport::Dialer;
use super::Common;

/// `NAME:PASSWORD` as (name, password).
pub fn parse_oper(text: &str) -> Result<(String, String), String> {
    match text.split_once(':') {
        Some((n, p)) if !n.is_empty() && !p.is_empty() => Ok((n.into(), p.into())),
        _ => Err(format!("--oper wants NAME:PASSWORD, not {text:?}")),
    }
}

/// What one server says about the network.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct State {
    /// Server names from LINKS, sorted.
    servers: Vec<String>,
    /// Users and invisible users (LUSERS 251).
    users: u64,
    /// Channels formed (LUSERS 254).
    channels: u64,
}

/// Asks `c`'s server for LUSERS and LINKS.
async fn poll_state(c: &mut Conn) -> Result<State, String> {
    let lines = c.ask("LUSERS\r\nLINKS\r\n", "365").await?;
    let mut state = State::default();
    for l in &lines {
        let w = words(l);
        match w.first().copied() {
            // "There are X users and Y invisible on S servers"
            Some("251") => {
                let n: Vec<u64> = w.iter().skip(2).filter_map(|x| x.parse().ok()).collect();
                state.users = n.first().copied().unwrap_or(0) + n.get(1).copied().unwrap_or(0);
            }
            Some("254") => state.channels = w.get(2).and_then(|n| n.parse().ok()).unwrap_or(0),
            Some("364") if w.len() > 2 => state.servers.push(w[2].to_string()),
            _ => {}
        }
    }
    state.servers.sort();
    Ok(state)
}

/// One poll's reply: from which observer, when the poll was sent and when
/// the reply arrived.
#[derive(Debug, Clone, Copy)]
struct Reply {
    i: usize,
    sent: Instant,
    at: Instant,
}

/// The observers: one polling task per server, and the latest state each
/// reported.
struct Watch {
    rx: mpsc::UnboundedReceiver<(Reply, Result<State, String>)>,
    latest: Vec<State>,
    stop: Stop,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Watch {
    /// Starts polling through `conns` (one per server), every `every`, and
    /// waits for the first state of each.
    async fn start(conns: Vec<Conn>, every: Duration) -> Result<Watch, String> {
        let (tx, rx) = mpsc::unbounded_channel();
        let stop = Stop::new();
        let n = conns.len();
        let tasks = conns
            .into_iter()
            .enumerate()
            .map(|(i, mut c)| {
                let (tx, stop) = (tx.clone(), stop.clone());
                tokio::spawn(async move {
                    loop {
                        let sent = Instant::now();
                        let r = tokio::select! {
                            r = poll_state(&mut c) => r,
                            _ = stop.wait() => break,
                        };
                        let failed = r.is_err();
                        let reply = Reply {
                            i,
                            sent,
                            at: Instant::now(),
                        };
                        if tx.send((reply, r)).is_err() || failed {
                            return;
                        }
                        tokio::select! {
                            _ = tokio::time::sleep(every) => {}
                            _ = stop.wait() => break,
                        }
                    }
                    let _ = c.send("QUIT :bench done\r\n").await;
                })
            })
            .collect();
        let mut watch = Watch {
            rx,
            latest: vec![State::default(); n],
            stop,
            tasks,
        };
        let mut seen = vec![false; n];
        let deadline = Instant::now() + super::conn::STEP_TIMEOUT;
        while !seen.iter().all(|s| *s) {
            let r = watch.next(deadline).await?;
            seen[r.i] = true;
        }
        Ok(watch)
    }

    /// The next reply (its state is in `latest`).
    async fn next(&mut self, deadline: Instant) -> Result<Reply, String> {
        let got = tokio::time::timeout_at(deadline.into(), self.rx.recv())
            .await
            .map_err(|_| "timed out".to_string())?;
        let (reply, state) = got.ok_or("every observer stopped")?;
        let i = reply.i;
        self.latest[i] = state.map_err(|e| format!("observer {i}: {e}"))?;
        if std::env::var_os("NATTER_BENCH_DEBUG").is_some() {
            let wall = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default();
            eprintln!("{:.6} {i}: {:?}", wall.as_secs_f64(), self.latest[i]);
        }
        Ok(reply)
    }

    /// Waits until every observer's next replies satisfy `want(i, state)`,
    /// and returns when the last of them did.
    async fn until_all(
        &mut self,
        deadline: Instant,
        want: impl Fn(usize, &State) -> bool,
    ) -> Result<Instant, String> {
        let mut done: Vec<Option<Instant>> = vec![None; self.latest.len()];
        loop {
            let Reply { i, at, .. } = self.next(deadline).await?;
            if done[i].is_none() && want(i, &self.latest[i]) {
                done[i] = Some(at);
            }
            if done.iter().all(Option::is_some) {
                return Ok(done.into_iter().flatten().max().expect("observers"));
            }
        }
    }

    async fn finish(self) {
        self.stop.fire();
        for t in self.tasks {
            let _ = t.await;
        }
    }
}

/// What `rejoin` and `burst` set up: `users` clients spread round-robin
/// over `addrs`, in `channels` channels each with members on every server,
/// idling (answering PING) until the returned stop fires.
async fn populate(
    dialer: &Dialer,
    addrs: &[SocketAddr],
    prefix: &str,
    users: usize,
    channels: usize,
    concurrency: usize,
) -> Result<(Stop, Vec<tokio::task::JoinHandle<bool>>), String> {
    let (conns, errors) = connect_many(dialer, addrs, prefix, users, concurrency).await;
    if errors > 0 {
        return Err(format!("only {} of {users} users registered", conns.len()));
    }
    let servers = addrs.len();
    let channels = channels.max(1);
    let conns = join_many(
        conns,
        |i| format!("#{prefix}-{}", (i / servers) % channels),
        concurrency,
    )
    .await?;
    let stop = Stop::new();
    let idlers = conns.into_iter().map(|c| idle(c, stop.clone())).collect();
    Ok((stop, idlers))
}

/// Ends a burst or rejoin run: the time and server CPU of the whole run,
/// the watchers, operator and idle clients stopped, and the network that
/// was measured (`network`) with the per-round figures in `report`.
#[allow(clippy::too_many_arguments)]
async fn wrap_up(
    report: &mut Report,
    common: &Common,
    start: Instant,
    cpu_start: Option<super::report::Cpu>,
    watch: Watch,
    mut oper: Conn,
    (idle_stop, idlers): (Stop, Vec<tokio::task::JoinHandle<bool>>),
    network: &State,
) {
    report.seconds = start.elapsed().as_secs_f64();
    if let (Some(a), Some(b)) = (super::servers_cpu(&common.server_pid), cpu_start) {
        report.window_server_cpu = Some(a - b);
    }
    watch.finish().await;
    let _ = oper.send("QUIT :bench done\r\n").await;
    idle_stop.fire();
    for t in idlers {
        let _ = t.await;
    }
    report.network_servers = Some(network.servers.len() as u64);
    report.network_users = Some(network.users);
    report.network_channels = Some(network.channels);
    report.finish_rounds();
}

/// One observer per address, named `<prefix>w<i>`.
async fn observers(
    dialer: &Dialer,
    addrs: &[SocketAddr],
    prefix: &str,
) -> Result<Vec<Conn>, String> {
    let mut out = Vec::new();
    for (i, a) in addrs.iter().enumerate() {
        out.push(Conn::register(dialer, *a, &format!("{prefix}w{i}")).await?);
    }
    Ok(out)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The parameters of a `burst` run.
pub struct BurstRun {
    pub dialer: Dialer,
    pub addrs: Vec<SocketAddr>,
    pub observe: SocketAddr,
    pub oper: (String, String),
    pub peer: Option<String>,
    pub users: usize,
    pub channels: usize,
    pub rounds: usize,
    pub poll: Duration,
    pub timeout: Duration,
    pub concurrency: usize,
}

pub async fn burst(run: BurstRun, common: &Common) -> Result<Report, String> {
    let prefix = &common.prefix;
    let (idle_stop, idlers) = populate(
        &run.dialer,
        &run.addrs,
        prefix,
        run.users,
        run.channels,
        run.concurrency,
    )
    .await?;
    // Observer 0 on the first --addr, observer 1 on --observe; the
    // operator on --observe too.
    let watched = [run.addrs[0], run.observe];
    let obs = observers(&run.dialer, &watched, prefix).await?;
    let peer = run.peer.clone().unwrap_or_else(|| obs[0].server.clone());
    let mut oper = Conn::register(&run.dialer, run.observe, &format!("{prefix}op")).await?;
    oper.oper(&run.oper).await?;
    let mut watch = Watch::start(obs, run.poll).await?;
    let apart = watch.latest.clone();
    if apart[1].servers.contains(&peer) {
        return Err(format!("{} is already linked to {peer}", oper.server));
    }
    let target = State {
        servers: {
            let mut s: Vec<String> = apart.iter().flat_map(|s| s.servers.clone()).collect();
            s.sort();
            s.dedup();
            s
        },
        users: apart[0].users + apart[1].users,
        channels: apart[0].channels + apart[1].channels,
    };
    let mut report = Report {
        scenario: "burst".into(),
        registered: run.users as u64,
        ..Report::default()
    };
    let cpu_start = super::servers_cpu(&common.server_pid);
    let start = Instant::now();
    for round in 0..run.rounds {
        let deadline = Instant::now() + run.timeout;
        let t0 = Instant::now();
        oper.send(&format!("CONNECT {peer}\r\n")).await?;
        let reply = oper
            .until(|l| l.contains("CONNECT:") || has_command(l, "402"))
            .await?;
        if !reply.contains("connecting to") {
            return Err(format!("CONNECT {peer}: {reply}"));
        }
        // The link is up when the observed server lists the peer (it is
        // the connecting end, the last to register the other); it came up
        // after the last poll there that did not show it was sent. Done
        // when both sides show the whole network.
        let mut up: Option<Instant> = None;
        let mut down_sent = t0;
        let mut done: [Option<Instant>; 2] = [None, None];
        while done.iter().any(Option::is_none) {
            let Reply { i, sent, at } = watch
                .next(deadline)
                .await
                .map_err(|e| format!("round {}: {e} waiting for the burst", round + 1))?;
            let s = &watch.latest[i];
            if i == 1 && up.is_none() {
                if s.servers.contains(&peer) {
                    up = Some(at);
                } else {
                    down_sent = sent;
                }
            }
            if *s == target && done[i].is_none() {
                done[i] = Some(at);
            }
        }
        let up = up.unwrap_or(t0);
        let end = done.iter().flatten().max().copied().unwrap_or(up);
        report.link_up_ms.push(ms(up - t0));
        report
            .converged_ms
            .push(ms(end.saturating_duration_since(down_sent)));
        report.total_ms.push(ms(end - t0));
        // Back apart for the next round (and as the network was found).
        oper.send(&format!("SQUIT {peer} :natter bench burst round done\r\n"))
            .await?;
        watch
            .until_all(deadline, |i, s| *s == apart[i])
            .await
            .map_err(|e| format!("round {}: {e} waiting for the SQUIT", round + 1))?;
    }
    let idle = (idle_stop, idlers);
    wrap_up(
        &mut report,
        common,
        start,
        cpu_start,
        watch,
        oper,
        idle,
        &target,
    )
    .await;
    for (k, v) in [
        ("users", run.users),
        ("channels", run.channels),
        ("rounds", run.rounds),
        ("poll_ms", run.poll.as_millis() as usize),
    ] {
        report.params.insert(k.into(), v as u64);
    }
    Ok(report)
}

/// The parameters of a `rejoin` run.
pub struct RejoinRun {
    pub dialer: Dialer,
    pub addrs: Vec<SocketAddr>,
    pub oper: (String, String),
    pub squit: Option<String>,
    pub connect: bool,
    pub users: usize,
    pub channels: usize,
    pub rounds: usize,
    pub poll: Duration,
    pub timeout: Duration,
    pub concurrency: usize,
}

pub async fn rejoin(run: RejoinRun, common: &Common) -> Result<Report, String> {
    let prefix = &common.prefix;
    let n = run.addrs.len();
    let (idle_stop, idlers) = populate(
        &run.dialer,
        &run.addrs,
        prefix,
        run.users,
        run.channels,
        run.concurrency,
    )
    .await?;
    let obs = observers(&run.dialer, &run.addrs, prefix).await?;
    let mut oper = Conn::register(&run.dialer, run.addrs[0], &format!("{prefix}op")).await?;
    oper.oper(&run.oper).await?;
    // The operator's server's neighbours (hop count 1 in its LINKS).
    let links = oper.ask("LINKS\r\n", "365").await?;
    let mut near: Vec<String> = links
        .iter()
        .map(|l| words(l))
        .filter(|w| w.first() == Some(&"364") && w.len() >= 5 && w[4] == ":1")
        .map(|w| w[2].to_string())
        .collect();
    near.sort();
    let squit = match &run.squit {
        Some(s) if near.iter().any(|n| n.eq_ignore_ascii_case(s)) => s.clone(),
        Some(s) => return Err(format!("{s} is not a neighbour of {}", oper.server)),
        None => near
            .into_iter()
            .next()
            .ok_or_else(|| format!("{} has no neighbour to split from", oper.server))?,
    };
    // The far end of the link, if it is observed (if not, the link counts
    // as up when the operator's server has taken it back).
    let far = obs
        .iter()
        .position(|c| c.server.eq_ignore_ascii_case(&squit));
    let mut watch = Watch::start(obs, run.poll).await?;
    // Whole: every server agrees, with every user we made (and the
    // observers and the operator) visible everywhere.
    let settle = Instant::now() + run.timeout;
    let whole = loop {
        let first = watch.latest[0].clone();
        let agreed = watch.latest.iter().all(|s| *s == first);
        // The users, an observer per server and the operator.
        let ours = run.users + n + 1;
        if agreed && first.users as usize >= ours && first.servers.len() >= n {
            break first;
        }
        watch
            .next(settle)
            .await
            .map_err(|e| format!("{e}: the servers never agreed before the first SQUIT"))?;
    };
    if !whole.servers.contains(&squit) {
        return Err(format!("{squit} is not in the network"));
    }
    let mut report = Report {
        scenario: "rejoin".into(),
        registered: run.users as u64,
        ..Report::default()
    };
    let cpu_start = super::servers_cpu(&common.server_pid);
    let start = Instant::now();
    for round in 0..run.rounds {
        let deadline = Instant::now() + run.timeout;
        let what = |e: String| format!("round {}: {e}", round + 1);
        let t0 = Instant::now();
        oper.send(&format!("SQUIT {squit} :natter bench rejoin\r\n"))
            .await?;
        // Once the operator's PING is answered its server has split: a
        // poll of it sent after that and showing the whole network means
        // the link is back, even if no poll caught it down (a CONNECT or
        // an autoconnect can take it back within milliseconds).
        oper.round_trip("split").await?;
        let split = Instant::now();
        // Each server's fewest servers since the SQUIT; an end of the link
        // has taken the other back when it sees more than that. The link
        // is up when both ends have (the accepting end registers the
        // connecting one first, then the connecting end checks the
        // accepting end's password and registers it).
        let mut fewest: Vec<usize> = vec![whole.servers.len(); n];
        let mut rose: Vec<Option<Instant>> = vec![None; n];
        // The sending of each server's last poll that showed no rise yet.
        let mut down_sent: Vec<Instant> = vec![t0; n];
        let mut connect_sent: Option<Instant> = None;
        let ends = [Some(0), far];
        let up = loop {
            let Reply { i, sent, at } = watch.next(deadline).await.map_err(what)?;
            let count = watch.latest[i].servers.len();
            if count < fewest[i] {
                fewest[i] = count;
                if i == 0 && run.connect && connect_sent.is_none() {
                    connect_sent = Some(Instant::now());
                    oper.send(&format!("CONNECT {squit}\r\n")).await?;
                    let reply = oper
                        .until(|l| l.contains("CONNECT:") || has_command(l, "402"))
                        .await?;
                    if !reply.contains("connecting to") {
                        return Err(what(format!("CONNECT {squit}: {reply}")));
                    }
                }
            } else if count > fewest[i] && rose[i].is_none() {
                rose[i] = Some(at);
            } else if rose[i].is_none() && fewest[i] == whole.servers.len() && count >= fewest[i] {
                // No poll of this server caught the split. The operator's
                // server is whole again after `split`; the far end once
                // the operator's end has taken it back (the accepting end
                // registers the link first, so both have by then).
                let since = if i == 0 { Some(split) } else { rose[0] };
                if since.is_some_and(|t| sent > t) {
                    rose[i] = Some(at);
                }
            }
            if rose[i].is_none() {
                down_sent[i] = sent;
            }
            if ends.iter().flatten().all(|e| rose[*e].is_some()) {
                break ends
                    .iter()
                    .flatten()
                    .filter_map(|e| rose[*e])
                    .max()
                    .expect("end");
            }
        };
        let done = watch
            .until_all(deadline, |_, s| *s == whole)
            .await
            .map_err(|e| what(format!("{e} waiting for the servers to agree")))?;
        // Both ends had taken each other back after this.
        let up_after = ends
            .iter()
            .flatten()
            .map(|e| down_sent[*e])
            .max()
            .expect("end");
        let command = connect_sent.unwrap_or(t0);
        report.link_up_ms.push(ms(up - command));
        report
            .converged_ms
            .push(ms(done.saturating_duration_since(up_after)));
        report.total_ms.push(ms(done - command));
    }
    let idle = (idle_stop, idlers);
    wrap_up(
        &mut report,
        common,
        start,
        cpu_start,
        watch,
        oper,
        idle,
        &whole,
    )
    .await;
    for (k, v) in [
        ("users", run.users),
        ("channels", run.channels),
        ("rounds", run.rounds),
        ("servers", n),
        ("connect", usize::from(run.connect)),
        ("poll_ms", run.poll.as_millis() as usize),
    ] {
        report.params.insert(k.into(), v as u64);
    }
    Ok(report)
}
