//! The connection scenarios: `connect` (register and idle) and `churn`
//! (connect, join, part, quit cycles).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::conn::{connect_many, has_command, Conn};
use super::report::{rss_kib, Report};
use super::Common;

pub async fn connect(
    addrs: &[SocketAddr],
    common: &Common,
    clients: usize,
    concurrency: usize,
    ping_sample: usize,
    idle: u64,
) -> Result<Report, String> {
    let rss_before = rss_kib(&common.server_pid);
    let start = Instant::now();
    let (mut conns, errors) = connect_many(addrs, &common.prefix, clients, concurrency).await;
    let seconds = start.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_secs(idle)).await;
    let rss_after = rss_kib(&common.server_pid);
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
    if addrs.len() > 1 {
        report.params.insert("servers".into(), addrs.len() as u64);
    }
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

pub async fn churn(
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
    if addrs.len() > 1 {
        r.params.insert("servers".into(), addrs.len() as u64);
    }
    Ok(r)
}
