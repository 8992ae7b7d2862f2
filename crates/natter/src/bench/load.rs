//! The connection scenarios: `connect` (register and idle) and `churn`
//! (connect, join, part, quit cycles).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::conn::{connect_many, has_command, idle, Conn, Stop};
use super::procs::{self, Worker};
use super::report::{rss_kib, rss_per_client, Report};
use super::transport::Dialer;
use super::Common;

/// `connect` in this process, or as worker `worker` of a `--procs` run
/// (procs.rs): registers its share of `clients`, idles, PINGs its share of
/// `ping_sample`, and with `hold` keeps the clients until standard input
/// closes.
#[allow(clippy::too_many_arguments)]
pub async fn connect(
    dialer: &Dialer,
    addrs: &[SocketAddr],
    common: &Common,
    clients: usize,
    concurrency: usize,
    ping_sample: usize,
    idle: u64,
    worker: Option<Worker>,
    hold: bool,
) -> Result<Report, String> {
    let (prefix, clients, concurrency, ping_sample) = match worker {
        Some(w) => (
            format!("{}{}_", common.prefix, w.index),
            w.share(clients),
            w.share(concurrency).max(1),
            w.share(ping_sample),
        ),
        None => (common.prefix.clone(), clients, concurrency, ping_sample),
    };
    let rss_before = rss_kib(&common.server_pid);
    let start = Instant::now();
    let (mut conns, errors) = connect_many(dialer, addrs, &prefix, clients, concurrency).await;
    let seconds = start.elapsed().as_secs_f64();
    let mut report = Report {
        scenario: "connect".into(),
        registered: conns.len() as u64,
        per_second: conns.len() as f64 / seconds,
        errors,
        seconds,
        tls: conns.first().and_then(|c| c.tls.clone()),
        ..Report::default()
    };
    if worker.is_some() {
        procs::tell_parent(&format!("registered {} {errors}", conns.len()));
        let go = tokio::task::spawn_blocking(procs::wait_for_parent).await;
        if go.unwrap_or(false) {
            ping_sample_of(&mut conns, ping_sample, &mut report).await;
            procs::tell_parent(&format!(
                "pinged {} {} {}",
                report.ping_sampled,
                report.ping_ok,
                report.errors - errors
            ));
            let held = hold_until(conns, procs::wait_for_parent_to_close).await;
            procs::tell_parent(&format!("held {held}"));
        } else {
            quit_all(conns).await;
        }
        return Ok(report);
    }
    tokio::time::sleep(Duration::from_secs(idle)).await;
    let rss_after = rss_kib(&common.server_pid);
    connect_params(&mut report, clients, concurrency, addrs.len());
    report.rss_per_client_kib = rss_per_client(rss_before, rss_after, report.registered);
    ping_sample_of(&mut conns, ping_sample, &mut report).await;
    if hold {
        let registered = report.registered;
        let wait = move || procs::hold_until_stdin_closes(registered);
        report.held_to_end = Some(hold_until(conns, wait).await);
    } else {
        quit_all(conns).await;
    }
    Ok(report)
}

/// The parameters a `connect` report records (one process or several).
pub fn connect_params(report: &mut Report, clients: usize, concurrency: usize, servers: usize) {
    report.params.insert("clients".into(), clients as u64);
    report
        .params
        .insert("concurrency".into(), concurrency as u64);
    if servers > 1 {
        report.params.insert("servers".into(), servers as u64);
    }
}

/// Keeps `conns` registered (reading what they are sent and answering
/// the server's PINGs, so no ping timeout ends them) until `wait`
/// returns, then QUITs them; how many were still connected then.
async fn hold_until(conns: Vec<Conn>, wait: impl FnOnce() + Send + 'static) -> u64 {
    let stop = Stop::new();
    let idlers: Vec<_> = conns.into_iter().map(|c| idle(c, stop.clone())).collect();
    let _ = tokio::task::spawn_blocking(wait).await;
    stop.fire();
    let mut held = 0;
    for t in idlers {
        held += u64::from(t.await.unwrap_or(false));
    }
    held
}

/// A PING round trip from `sample` idle clients spread evenly over
/// `conns`, counted in `report` (`ping_sampled`, `ping_ok`, `errors`).
async fn ping_sample_of(conns: &mut [Conn], sample: usize, report: &mut Report) {
    let step = (conns.len() / sample.max(1)).max(1);
    for (i, c) in conns
        .iter_mut()
        .enumerate()
        .filter(|(i, _)| i % step == 0)
        .take(sample)
    {
        report.ping_sampled += 1;
        match c.round_trip(&format!("bench{i}")).await {
            Ok(_) => report.ping_ok += 1,
            Err(_) => report.errors += 1,
        }
    }
}

async fn quit_all(conns: Vec<Conn>) {
    for mut c in conns {
        let _ = c.send("QUIT :bench done\r\n").await;
    }
}

pub async fn churn(
    dialer: &Dialer,
    addrs: &[SocketAddr],
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
        let addr = addrs[w % addrs.len()];
        let dialer = dialer.clone();
        tasks.push(tokio::spawn(async move {
            let mut i = 0u64;
            while Instant::now() < deadline {
                let nick = format!("{prefix}c{w}x{i}");
                i += 1;
                let cycle = async {
                    let mut c = Conn::register(&dialer, addr, &nick).await?;
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
    if addrs.len() > 1 {
        r.params.insert("servers".into(), addrs.len() as u64);
    }
    Ok(r)
}

/// One handshake: connect, TLS handshake (and registration to 001 with
/// `register`), QUIT, and the server's close. Returns the time to the
/// handshake (or to 001) and what TLS was negotiated.
async fn handshake_once(
    dialer: &Dialer,
    addr: SocketAddr,
    nick: &str,
    register: bool,
) -> Result<(Duration, Option<String>), String> {
    use tokio::io::{AsyncBufReadExt, BufReader};
    let t0 = Instant::now();
    let (r, mut w, tls) = dialer.dial(addr).await?;
    let mut reader = BufReader::new(r);
    let mut took = t0.elapsed();
    let mut line = String::new();
    let step = async {
        if register {
            w.send_all(format!("NICK {nick}\r\nUSER {nick} 0 * :natter bench\r\n").as_bytes())
                .await
                .map_err(|e| format!("write: {e}"))?;
            loop {
                line.clear();
                let n = reader
                    .read_line(&mut line)
                    .await
                    .map_err(|e| format!("read: {e}"))?;
                if n == 0 {
                    return Err("server closed the connection".to_string());
                }
                if let Some(token) = line.trim_end().strip_prefix("PING ") {
                    w.send_all(format!("PONG {token}\r\n").as_bytes())
                        .await
                        .map_err(|e| format!("write: {e}"))?;
                } else if has_command(line.trim_end(), "001") {
                    took = t0.elapsed();
                    break;
                }
            }
        }
        w.send_all(b"QUIT :handshake done\r\n")
            .await
            .map_err(|e| format!("write: {e}"))?;
        // Until the server closes (its ERROR and whatever else first). A
        // close without TLS close_notify counts as a close too.
        loop {
            line.clear();
            match reader.read_line(&mut line).await {
                Ok(0) => return Ok(()),
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(()),
                Err(e) => return Err(format!("read: {e}")),
            }
        }
    };
    tokio::time::timeout(super::conn::STEP_TIMEOUT, step)
        .await
        .map_err(|_| "timed out waiting for the server".to_string())??;
    Ok((took, tls))
}

pub async fn handshakes(
    dialer: &Dialer,
    addrs: &[SocketAddr],
    common: &Common,
    concurrency: usize,
    duration: u64,
    register: bool,
) -> Result<Report, String> {
    // One handshake before the clock starts: the server answers at all,
    // and what it negotiates is known.
    let (_, tls) = handshake_once(dialer, addrs[0], &format!("{}h", common.prefix), register)
        .await
        .map_err(|e| format!("the first handshake failed: {e}"))?;
    let done = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let hist = Arc::new(std::sync::Mutex::new(super::traffic::latency_histogram()));
    let start = Instant::now();
    let deadline = start + Duration::from_secs(duration);
    let mut tasks = Vec::new();
    for w in 0..concurrency.max(1) {
        let (done, errors, hist) = (done.clone(), errors.clone(), hist.clone());
        let prefix = common.prefix.clone();
        let addr = addrs[w % addrs.len()];
        let dialer = dialer.clone();
        tasks.push(tokio::spawn(async move {
            let mut local = super::traffic::latency_histogram();
            let mut i = 0u64;
            while Instant::now() < deadline {
                let nick = format!("{prefix}h{w}x{i}");
                i += 1;
                match handshake_once(&dialer, addr, &nick, register).await {
                    Ok((took, _)) => {
                        done.fetch_add(1, Ordering::Relaxed);
                        let _ = local.record((took.as_micros() as u64).max(1));
                    }
                    Err(e) => {
                        if errors.fetch_add(1, Ordering::Relaxed) < 3 {
                            eprintln!("natter bench: handshake failed: {e}");
                        }
                    }
                }
            }
            let _ = hist.lock().expect("not poisoned").add(&local);
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    let seconds = start.elapsed().as_secs_f64();
    let n = done.load(Ordering::Relaxed);
    let hist = hist.lock().expect("not poisoned");
    let ms = |v: u64| v as f64 / 1000.0;
    let mut r = Report {
        scenario: "handshakes".into(),
        registered: if register { n } else { 0 },
        cycles: n,
        per_second: n as f64 / seconds,
        tls,
        errors: errors.load(Ordering::Relaxed),
        latency_p50_ms: ms(hist.value_at_quantile(0.50)),
        latency_p99_ms: ms(hist.value_at_quantile(0.99)),
        latency_max_ms: ms(hist.max()),
        seconds,
        ..Report::default()
    };
    r.params.insert("concurrency".into(), concurrency as u64);
    r.params.insert("duration".into(), duration);
    r.params.insert("register".into(), u64::from(register));
    r.params.insert("tls".into(), u64::from(dialer.is_tls()));
    if addrs.len() > 1 {
        r.params.insert("servers".into(), addrs.len() as u64);
    }
    Ok(r)
}
