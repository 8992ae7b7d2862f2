//! `hops`: private messages at a fixed rate from a user on one server to a
//! user on another server of the same network, timed by the send time each
//! message carries; the hop count between the two servers comes from LINKS.

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use super::conn::{has_command, words, Conn, Stop, STEP_TIMEOUT};
use super::report::Report;
use super::traffic::{paced, spawn_reader, Tally};
use super::transport::Dialer;
use super::{servers_cpu, Common};

pub async fn hops(
    dialer: &Dialer,
    from: SocketAddr,
    to: SocketAddr,
    common: &Common,
    rate: u64,
    count: u64,
    size: usize,
) -> Result<Report, String> {
    if rate == 0 || count == 0 {
        return Err("--rate and --count must be at least 1".into());
    }
    let (send_nick, recv_nick) = (
        format!("{}hs", common.prefix),
        format!("{}hr", common.prefix),
    );
    let mut sender = Conn::register(dialer, from, &send_nick).await?;
    let mut receiver = Conn::register(dialer, to, &recv_nick).await?;
    // The receiver's NICK travels to the sender's server first.
    let deadline = Instant::now() + STEP_TIMEOUT;
    let server = loop {
        let whois = sender.ask(&format!("WHOIS {recv_nick}\r\n"), "318").await?;
        let at = whois
            .iter()
            .map(|l| words(l))
            .find(|w| w.first() == Some(&"312") && w.len() >= 4)
            .map(|w| w[3].to_string());
        if let Some(server) = at {
            break server;
        }
        if Instant::now() > deadline {
            return Err(format!("{recv_nick} never became visible from {from}"));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let links = sender.ask("LINKS\r\n", "365").await?;
    let hops = links
        .iter()
        .map(|l| words(l))
        .find(|w| w.first() == Some(&"364") && w.len() >= 5 && w[2] == server)
        .and_then(|w| w[4].trim_start_matches(':').parse::<u64>().ok());
    // One message end to end before timing: the path is open.
    sender
        .send(&format!("PRIVMSG {recv_nick} :warm-up\r\n"))
        .await?;
    receiver
        .until(|l| has_command(l, "PRIVMSG") && l.ends_with("warm-up"))
        .await?;

    let epoch = Instant::now();
    let tally = Tally::new();
    let stop = Stop::new();
    let reader = spawn_reader(receiver.reader, epoch, tally.clone(), stop.clone());
    while tally.started.load(Ordering::Relaxed) < 1 {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let pad = "x".repeat(size);
    let cpu_start = servers_cpu(&common.server_pid);
    let send_start = Instant::now();
    let mut writers = [sender.writer];
    let sent = paced(
        rate,
        count,
        |seq| {
            let t = epoch.elapsed().as_micros();
            format!("PRIVMSG {recv_nick} :{t} {seq} {pad}\r\n")
        },
        &mut writers,
        |_| 0,
    )
    .await;
    let send_seconds = send_start.elapsed().as_secs_f64();
    tally.drain(sent).await;
    let cpu_end = servers_cpu(&common.server_pid);
    stop.fire();
    let _ = reader.await;
    let [mut w] = writers;
    let _ = w.send_all(b"QUIT :bench done\r\n").await;
    let _ = receiver.writer.send_all(b"QUIT :bench done\r\n").await;

    let mut report = Report {
        scenario: "hops".into(),
        registered: 2,
        messages_sent: sent,
        tls: sender.tls.clone(),
        ..Report::default()
    };
    tally.fill(&mut report, sent, send_seconds);
    if let (Some(a), Some(b)) = (cpu_end, cpu_start) {
        report.window_server_cpu = Some(a - b);
    }
    report.params.insert("rate".into(), rate);
    report.params.insert("count".into(), count);
    report.params.insert("size".into(), size as u64);
    match hops {
        Some(h) => {
            report.params.insert("hops".into(), h);
        }
        None => eprintln!("natter bench: {server} not in LINKS of {from}: hop count unknown"),
    }
    Ok(report)
}
