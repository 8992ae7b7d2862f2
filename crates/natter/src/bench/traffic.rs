//! The message scenarios `fanout` and `rooms`, and what `hops` shares with
//! them: paced sending, receivers that time every message by the
//! timestamp it carries, and the tally of deliveries.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use tokio::io::BufReader;

use super::conn::{connect_many, each, words, Conn, Stop};
use super::report::{servers_threads, threads_delta, Report};
use super::transport::{Dialer, Reader, Writer};
use super::{servers_cpu, Common};

/// How long to wait for late messages after sending stops.
pub const DRAIN: Duration = Duration::from_secs(3);

/// Latency and delivery accounting shared by receiver tasks.
pub struct Tally {
    pub received: AtomicU64,
    /// Readers that have started (sending waits for all of them).
    pub started: AtomicU64,
    pub hist: Mutex<Histogram<u64>>,
}

/// A latency histogram in µs: 1 µs to 10 minutes, 3 significant digits.
pub fn latency_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 600_000_000, 3).expect("histogram bounds")
}

impl Tally {
    pub fn new() -> Arc<Tally> {
        Arc::new(Tally {
            received: AtomicU64::new(0),
            started: AtomicU64::new(0),
            hist: Mutex::new(latency_histogram()),
        })
    }

    /// Fills the delivery and latency figures of `report`.
    pub fn fill(&self, report: &mut Report, expected: u64, send_seconds: f64) {
        let delivered = self.received.load(Ordering::Relaxed);
        let hist = self.hist.lock().expect("not poisoned");
        let ms = |v: u64| v as f64 / 1000.0;
        report.deliveries_expected = expected;
        report.deliveries = delivered;
        report.lost = expected.saturating_sub(delivered);
        report.deliveries_per_second = delivered as f64 / send_seconds;
        report.latency_p50_ms = ms(hist.value_at_quantile(0.50));
        report.latency_p99_ms = ms(hist.value_at_quantile(0.99));
        report.latency_max_ms = ms(hist.max());
        report.seconds = send_seconds;
    }

    /// Waits until `expected` deliveries arrived or [`DRAIN`] ran out.
    pub async fn drain(&self, expected: u64) {
        let drain_start = Instant::now();
        while self.received.load(Ordering::Relaxed) < expected && drain_start.elapsed() < DRAIN {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// Sends `total` messages at `rate` per second through `send`, paced in
/// 1 ms steps; returns how many were sent.
pub async fn paced(
    rate: u64,
    total: u64,
    mut send: impl FnMut(u64) -> String,
    writers: &mut [Writer],
    pick: impl Fn(u64) -> usize,
) -> u64 {
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
            let _ = writers[w].send_all(batches[w].as_bytes()).await;
            batches[w].clear();
        }
    }
    sent
}

/// The shape of a traffic run (fanout is one group, rooms many).
pub struct Traffic {
    /// Channels, each `#bench<N>`.
    pub groups: usize,
    /// Clients per channel (each in one channel).
    pub members: usize,
    /// Members of each channel that send.
    pub senders_per_group: usize,
    /// Channel messages per second, all channels together.
    pub rate: u64,
    /// Private messages per second between random clients.
    pub private_rate: u64,
    /// Seconds of sending.
    pub duration: u64,
    /// Padding bytes per message.
    pub size: usize,
    /// Registrations in flight while setting up.
    pub concurrency: usize,
}

/// Waits until LIST on every server (through `conns[s]`, on `addrs[s]`)
/// shows each of the `groups` channels with `members` members: on a
/// network, JOINs reach the other servers a little later.
async fn settle(
    conns: &mut [Conn],
    servers: usize,
    groups: usize,
    members: usize,
) -> Result<(), String> {
    let deadline = Instant::now() + super::conn::STEP_TIMEOUT;
    for c in conns.iter_mut().take(servers) {
        loop {
            let lines = c.ask("LIST\r\n", "323").await?;
            let full = lines
                .iter()
                .map(|l| words(l))
                .filter(|w| w.first() == Some(&"322") && w.len() >= 4)
                .filter(|w| {
                    w[2].strip_prefix("#bench")
                        .and_then(|g| g.parse::<usize>().ok())
                        .is_some_and(|g| g < groups)
                        && w[3].parse::<usize>().ok() == Some(members)
                })
                .count();
            if full == groups {
                break;
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "{} of {groups} channels complete on {} after {:?}",
                    full,
                    c.server,
                    super::conn::STEP_TIMEOUT
                ));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    Ok(())
}

/// Has every client read what it was sent while the others joined (a JOIN
/// line per later member, which in a channel of N members is N²/2 lines
/// in all): a PING round trip each, all at once. Without it the first
/// messages measured queue behind that backlog (seconds at 5,000 members).
async fn read_backlogs(conns: Vec<Conn>) -> Result<Vec<Conn>, String> {
    let all = conns.len();
    each(conns, all, |i, mut c| async move {
        c.round_trip(&format!("settled{i}")).await.map(|()| c)
    })
    .await
    .map_err(|e| format!("a client did not read its join backlog: {e}"))
}

/// Runs `shape` with clients spread over `addrs`, then records `params`
/// in the report.
pub async fn traffic(
    scenario: &str,
    dialer: &Dialer,
    addrs: &[SocketAddr],
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
    let (conns, errors) = connect_many(dialer, addrs, &common.prefix, total, concurrency).await;
    if errors > 0 || conns.len() != total {
        return Err(format!(
            "only {} of {total} clients registered",
            conns.len()
        ));
    }
    let mut conns = conns;
    let tls = conns.first().and_then(|c| c.tls.clone());
    for (i, c) in conns.iter_mut().enumerate() {
        c.join(&format!("#bench{}", i / members)).await?;
    }
    if addrs.len() > 1 {
        settle(&mut conns, addrs.len(), groups, members).await?;
    }
    let conns = read_backlogs(conns).await?;
    let epoch = Instant::now();
    let tally = Tally::new();
    let stop = Stop::new();
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
    let server_cpu_start = servers_cpu(&common.server_pid);
    let threads_start = servers_threads(&common.server_pid);
    let send_start = Instant::now();
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
        msgs,
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
    tally.drain(expected).await;
    let server_cpu_end = servers_cpu(&common.server_pid);
    let threads_end = servers_threads(&common.server_pid);
    stop.fire();
    for h in handles {
        let _ = h.await;
    }
    for mut w in writers {
        let _ = w.send_all(b"QUIT :bench done\r\n").await;
    }
    let mut report = Report {
        scenario: scenario.into(),
        registered: total as u64,
        messages_sent: sent,
        tls,
        ..Report::default()
    };
    tally.fill(&mut report, expected, send_seconds);
    if let (Some(a), Some(b)) = (server_cpu_end, server_cpu_start) {
        report.window_server_cpu = Some(a - b);
    }
    if let (Some(a), Some(b)) = (threads_end, threads_start.as_ref()) {
        report.window_server_threads = Some(threads_delta(a, b));
    }
    for (k, v) in params {
        report.params.insert((*k).into(), *v);
    }
    if addrs.len() > 1 {
        report.params.insert("servers".into(), addrs.len() as u64);
    }
    Ok(report)
}

/// Reads PRIVMSGs whose text starts with `<t_micros>` (µs since `epoch`)
/// until `stop`, recording latencies into a local histogram merged into
/// `tally` at the end. Reads 16 KiB at a time and parses just enough of
/// each line, so that the generator, not the server, is rarely the limit;
/// every line of one read is stamped with that read's arrival time.
pub fn spawn_reader(
    reader: BufReader<Reader>,
    epoch: Instant,
    tally: Arc<Tally>,
    stop: Stop,
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
