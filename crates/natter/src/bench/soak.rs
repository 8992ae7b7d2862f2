//! `natter bench soak`: a bounded soak test of one server with its
//! protections on (issue 13; docs/robustness.md has a run's figures).
//!
//! Well-behaved clients chat in channels for `--duration` seconds while
//! other clients attack: flooders send as fast as they can (and connect
//! again when cut off), churners connect, join, part and quit in a loop,
//! and half-open clients connect, send half a registration and wait to be
//! dropped. Each client comes from its own loopback address (127.1/16 for
//! the chatters, five to an address, below the default per-address limit;
//! 127.2, 127.3 and 127.4 for the attackers), so the server's per-address
//! limits apply to the attackers and not to the chatters.
//!
//! Checked at the end: every chatter saw every message of every other
//! member of its channel, in order; the latency of those deliveries
//! (p50/p99/max, from a timestamp in each message); what the attackers
//! achieved; and, with `--server-pid`, the server's RSS before, at the
//! peak, and after everyone left.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use std::sync::Mutex;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpSocket, TcpStream};

use super::report::rss_kib;
use super::traffic::latency_histogram;

/// `natter bench soak`'s options.
#[derive(Debug, Clone, clap::Args)]
pub struct SoakArgs {
    /// The server, HOST:PORT (IPv4 loopback: clients bind 127.x.y.z).
    #[arg(long, default_value = "127.0.0.1:6667")]
    pub addr: SocketAddr,
    /// The server's PID, for its RSS before, at the peak and after.
    #[arg(long, value_name = "PID")]
    pub server_pid: Option<u32>,
    /// Well-behaved clients.
    #[arg(long, default_value_t = 2000)]
    pub clients: usize,
    /// Channels they are spread over.
    #[arg(long, default_value_t = 20)]
    pub channels: usize,
    /// Seconds between two messages of one well-behaved client.
    #[arg(long, default_value_t = 5.0)]
    pub interval: f64,
    /// Clients that flood.
    #[arg(long, default_value_t = 100)]
    pub flooders: usize,
    /// Clients that connect, join, part and quit in a loop.
    #[arg(long, default_value_t = 200)]
    pub churners: usize,
    /// Clients that hold half-open connections (half a registration).
    #[arg(long, default_value_t = 50)]
    pub half_open: usize,
    /// Seconds of chat.
    #[arg(long, default_value_t = 300)]
    pub duration: u64,
}

/// What the attackers and the chatters did, counted as they go.
#[derive(Default)]
struct Counts {
    sent: AtomicU64,
    received: AtomicU64,
    out_of_order: AtomicU64,
    flood_lines: AtomicU64,
    excess_flood: AtomicU64,
    refused: AtomicU64,
    churn_cycles: AtomicU64,
    half_open_dropped: AtomicU64,
    errors: AtomicU64,
}

/// Microseconds since the Unix epoch.
fn now_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0)
}

/// A TCP connection to `server` from `from`.
async fn dial(from: Ipv4Addr, server: SocketAddr) -> std::io::Result<TcpStream> {
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddr::new(IpAddr::V4(from), 0))?;
    socket.connect(server).await
}

/// The `i`-th address of the 127.`net`/16 block.
fn address(net: u8, i: usize) -> Ipv4Addr {
    Ipv4Addr::new(127, net, (i / 250) as u8, (i % 250 + 1) as u8)
}

type Lines = tokio::io::Lines<BufReader<tokio::net::tcp::OwnedReadHalf>>;

/// Registers `nick` on `stream`; returns the line reader and the writer.
async fn register(
    stream: TcpStream,
    nick: &str,
) -> Result<(Lines, tokio::net::tcp::OwnedWriteHalf), String> {
    let (r, mut w) = stream.into_split();
    let mut lines = BufReader::new(r).lines();
    w.write_all(format!("NICK {nick}\r\nUSER {nick} 0 * :soak\r\n").as_bytes())
        .await
        .map_err(|e| e.to_string())?;
    loop {
        let line = tokio::time::timeout(Duration::from_secs(60), lines.next_line())
            .await
            .map_err(|_| "registration timed out".to_string())?
            .map_err(|e| e.to_string())?
            .ok_or_else(|| "closed while registering".to_string())?;
        if line.starts_with("ERROR") {
            return Err(line);
        }
        if line.starts_with("PING") {
            let pong = line.replacen("PING", "PONG", 1) + "\r\n";
            w.write_all(pong.as_bytes())
                .await
                .map_err(|e| e.to_string())?;
        }
        if line.split(' ').nth(1) == Some("376") || line.split(' ').nth(1) == Some("422") {
            return Ok((lines, w));
        }
    }
}

/// One well-behaved client's view: per sender, the last sequence number
/// seen.
type Seen = HashMap<usize, u64>;

/// Runs the soak and prints its figures. Returns false when a
/// well-behaved client missed a message or saw one out of order.
pub async fn run(args: SoakArgs) -> bool {
    let counts = Arc::new(Counts::default());
    let latency = Arc::new(Mutex::new(latency_histogram()));
    let rss_before = args.server_pid.and_then(|p| rss_kib(&[p]));
    let stop = Arc::new(AtomicBool::new(false));
    let chat_over = Arc::new(AtomicBool::new(false));

    // The chatters register and join first.
    println!(
        "soak: {} clients joining {} channels",
        args.clients, args.channels
    );
    let mut chatters = Vec::new();
    for i in 0..args.clients {
        let from = address(1, i / 5);
        let stream = match dial(from, args.addr).await {
            Ok(s) => s,
            Err(e) => {
                eprintln!("soak: client {i}: {e}");
                return false;
            }
        };
        let (lines, mut w) = match register(stream, &format!("s{i}")).await {
            Ok(c) => c,
            Err(e) => {
                eprintln!("soak: client {i}: {e}");
                return false;
            }
        };
        let channel = i % args.channels;
        if w.write_all(format!("JOIN #soak{channel}\r\n").as_bytes())
            .await
            .is_err()
        {
            return false;
        }
        chatters.push((i, channel, lines, w));
    }
    // Let every JOIN land before anyone speaks.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let members: Vec<Vec<usize>> = (0..args.channels)
        .map(|c| {
            (0..args.clients)
                .filter(|i| i % args.channels == c)
                .collect()
        })
        .collect();
    let sent_by: Arc<Vec<AtomicU64>> =
        Arc::new((0..args.clients).map(|_| AtomicU64::new(0)).collect());

    let started = Instant::now();
    // Set at the end of the chat: senders stop, then read until `drained`.
    let drained: Arc<Mutex<Option<tokio::time::Instant>>> = Arc::new(Mutex::new(None));
    let mut tasks = Vec::new();
    for (i, channel, lines, w) in chatters {
        let chatter = Chatter {
            i,
            channel,
            interval: Duration::from_secs_f64(args.interval),
            counts: counts.clone(),
            latency: latency.clone(),
            sent_by: sent_by.clone(),
            chat_over: chat_over.clone(),
            drained: drained.clone(),
        };
        tasks.push(tokio::spawn(chatter.run(lines, w)));
    }

    // The attackers.
    let mut attackers = Vec::new();
    let (c, st) = (&counts, &stop);
    for k in 0..args.flooders {
        attackers.push(tokio::spawn(flooder(
            args.addr,
            k,
            args.channels,
            c.clone(),
            st.clone(),
        )));
    }
    for k in 0..args.churners {
        attackers.push(tokio::spawn(churner(
            args.addr,
            k,
            args.channels,
            c.clone(),
            st.clone(),
        )));
    }
    for k in 0..args.half_open {
        attackers.push(tokio::spawn(half_open(args.addr, k, c.clone(), st.clone())));
    }

    let mut peak = rss_before.unwrap_or(0);
    while started.elapsed() < Duration::from_secs(args.duration) {
        tokio::time::sleep(Duration::from_secs(5)).await;
        if let Some(rss) = args.server_pid.and_then(|p| rss_kib(&[p])) {
            peak = peak.max(rss);
        }
        println!(
            "soak: {:>4}s sent {} received {} out-of-order {} | flood lines {} excess-flood {} refused {} churn cycles {} half-open dropped {}",
            started.elapsed().as_secs(),
            counts.sent.load(Ordering::Relaxed),
            counts.received.load(Ordering::Relaxed),
            counts.out_of_order.load(Ordering::Relaxed),
            counts.flood_lines.load(Ordering::Relaxed),
            counts.excess_flood.load(Ordering::Relaxed),
            counts.refused.load(Ordering::Relaxed),
            counts.churn_cycles.load(Ordering::Relaxed),
            counts.half_open_dropped.load(Ordering::Relaxed),
        );
    }
    // Drain: every message sent is delivered within five seconds.
    *drained.lock().expect("not poisoned") =
        Some(tokio::time::Instant::now() + Duration::from_secs(5));
    chat_over.store(true, Ordering::Relaxed);
    stop.store(true, Ordering::Relaxed);
    for a in attackers {
        let _ = a.await;
    }
    let mut lost = 0u64;
    let mut expected = 0u64;
    for (i, t) in tasks.into_iter().enumerate() {
        let seen = t.await.unwrap_or_default();
        for &j in &members[i % args.channels] {
            if j == i {
                continue;
            }
            let sent = sent_by[j].load(Ordering::Relaxed);
            expected += sent;
            lost += sent.saturating_sub(seen.get(&j).copied().unwrap_or(0));
        }
    }
    // Everyone left: the server's memory after it settles.
    tokio::time::sleep(Duration::from_secs(10)).await;
    let rss_after = args.server_pid.and_then(|p| rss_kib(&[p]));
    let h = latency.lock().expect("not poisoned");
    let ms = |us: u64| us as f64 / 1000.0;
    println!("soak: done after {} s of chat", args.duration);
    println!(
        "  chat: {} clients in {} channels, {} messages, {} deliveries expected, {} received, {} lost, {} out of order",
        args.clients,
        args.channels,
        counts.sent.load(Ordering::Relaxed),
        expected,
        counts.received.load(Ordering::Relaxed),
        lost,
        counts.out_of_order.load(Ordering::Relaxed)
    );
    println!(
        "  latency: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        ms(h.value_at_quantile(0.5)),
        ms(h.value_at_quantile(0.99)),
        ms(h.max())
    );
    println!(
        "  flooders: {} lines taken by their sockets (kernel buffers included), {} cut off with Excess Flood; {} connections refused by the limits",
        counts.flood_lines.load(Ordering::Relaxed),
        counts.excess_flood.load(Ordering::Relaxed),
        counts.refused.load(Ordering::Relaxed)
    );
    println!(
        "  churners: {} cycles; half-open: {} dropped at the registration timeout; {} errors",
        counts.churn_cycles.load(Ordering::Relaxed),
        counts.half_open_dropped.load(Ordering::Relaxed),
        counts.errors.load(Ordering::Relaxed)
    );
    if let (Some(b), Some(a)) = (rss_before, rss_after) {
        println!("  server RSS: {b} KiB before, {peak} KiB at the peak, {a} KiB after");
    }
    lost == 0 && counts.out_of_order.load(Ordering::Relaxed) == 0
}

/// One well-behaved client: sends a numbered, timestamped message every
/// `interval`, answers PING, and checks what its channel's other members
/// send.
struct Chatter {
    i: usize,
    channel: usize,
    interval: Duration,
    counts: Arc<Counts>,
    latency: Arc<Mutex<hdrhistogram::Histogram<u64>>>,
    sent_by: Arc<Vec<AtomicU64>>,
    chat_over: Arc<AtomicBool>,
    drained: Arc<Mutex<Option<tokio::time::Instant>>>,
}

impl Chatter {
    /// Chats until the chat is over and the drain time has passed, then
    /// quits; returns the last sequence number seen from each sender.
    async fn run(self, mut lines: Lines, mut w: tokio::net::tcp::OwnedWriteHalf) -> Seen {
        let mut seen: Seen = HashMap::new();
        // Spread the first messages over one interval.
        let first =
            tokio::time::Instant::now() + self.interval.mul_f64((self.i % 1000) as f64 / 1000.0);
        let mut tick = tokio::time::interval_at(first, self.interval);
        let mut n = 0u64;
        let mut check = tokio::time::interval(Duration::from_millis(500));
        loop {
            let over = self.chat_over.load(Ordering::Relaxed);
            tokio::select! {
                _ = tick.tick(), if !over => {
                    n += 1;
                    let line = format!("PRIVMSG #soak{} :seq {} {n} {}\r\n", self.channel, self.i, now_us());
                    if w.write_all(line.as_bytes()).await.is_err() {
                        self.counts.errors.fetch_add(1, Ordering::Relaxed);
                        break;
                    }
                    self.sent_by[self.i].store(n, Ordering::Relaxed);
                    self.counts.sent.fetch_add(1, Ordering::Relaxed);
                }
                line = lines.next_line() => {
                    let Ok(Some(line)) = line else {
                        self.counts.errors.fetch_add(1, Ordering::Relaxed);
                        break;
                    };
                    if line.starts_with("PING") {
                        let pong = line.replacen("PING", "PONG", 1) + "\r\n";
                        let _ = w.write_all(pong.as_bytes()).await;
                        continue;
                    }
                    self.message(&line, &mut seen);
                }
                _ = check.tick() => {
                    let until = *self.drained.lock().expect("not poisoned");
                    if until.is_some_and(|t| tokio::time::Instant::now() >= t) {
                        break;
                    }
                }
            }
        }
        let _ = w.write_all(b"QUIT :soak over\r\n").await;
        seen
    }

    /// Checks one line: a soak message from another member is counted,
    /// its order checked and its latency recorded.
    fn message(&self, line: &str, seen: &mut Seen) {
        if line.split(' ').nth(1) != Some("PRIVMSG") {
            return;
        }
        // :s<j>!... PRIVMSG #soakN :seq <j> <n> <sent_us>
        let text = line.split(" :").nth(1).unwrap_or("");
        let mut t = text.split(' ');
        if t.next() != Some("seq") {
            return;
        }
        let (Some(j), Some(n), Some(at)) = (
            t.next().and_then(|x| x.parse::<usize>().ok()),
            t.next().and_then(|x| x.parse::<u64>().ok()),
            t.next().and_then(|x| x.parse::<u64>().ok()),
        ) else {
            return;
        };
        let last = seen.entry(j).or_insert(0);
        if n != *last + 1 {
            self.counts.out_of_order.fetch_add(1, Ordering::Relaxed);
        }
        *last = n;
        self.counts.received.fetch_add(1, Ordering::Relaxed);
        let _ = self
            .latency
            .lock()
            .expect("not poisoned")
            .record(now_us().saturating_sub(at).max(1));
    }
}

/// Reads what the server says until it closes, counting refusals and
/// Excess Flood.
async fn watch(mut lines: Lines, counts: Arc<Counts>) {
    while let Ok(Some(line)) = lines.next_line().await {
        if line.starts_with("ERROR") {
            if line.contains("Excess Flood") {
                counts.excess_flood.fetch_add(1, Ordering::Relaxed);
            }
            return;
        }
    }
}

/// Counts an ERROR line at registration as a refusal by the limits.
fn refused(e: &str, counts: &Counts) {
    if e.starts_with("ERROR") {
        counts.refused.fetch_add(1, Ordering::Relaxed);
    } else {
        counts.errors.fetch_add(1, Ordering::Relaxed);
    }
}

/// Joins a soak channel and sends lines as fast as the socket takes them;
/// connects again when cut off.
async fn flooder(
    server: SocketAddr,
    k: usize,
    channels: usize,
    counts: Arc<Counts>,
    stop: Arc<AtomicBool>,
) {
    let from = address(2, k);
    let block: String = (0..100)
        .map(|n| {
            format!(
                "PRIVMSG #soak{} :flood {k} {n} padding padding padding\r\n",
                k % channels
            )
        })
        .collect();
    while !stop.load(Ordering::Relaxed) {
        let Ok(stream) = dial(from, server).await else {
            tokio::time::sleep(Duration::from_secs(1)).await;
            continue;
        };
        match register(stream, &format!("f{k}")).await {
            Err(e) => {
                refused(&e, &counts);
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            Ok((lines, mut w)) => {
                let watcher = tokio::spawn(watch(lines, counts.clone()));
                let _ = w
                    .write_all(format!("JOIN #soak{}\r\n", k % channels).as_bytes())
                    .await;
                while !stop.load(Ordering::Relaxed) && !watcher.is_finished() {
                    match tokio::time::timeout(
                        Duration::from_secs(1),
                        w.write_all(block.as_bytes()),
                    )
                    .await
                    {
                        Ok(Ok(())) => {
                            counts.flood_lines.fetch_add(100, Ordering::Relaxed);
                        }
                        Ok(Err(_)) => break,
                        Err(_) => {}
                    }
                }
                drop(w);
                let _ = watcher.await;
            }
        }
    }
}

/// Connects, joins, parts and quits, again and again.
async fn churner(
    server: SocketAddr,
    k: usize,
    channels: usize,
    counts: Arc<Counts>,
    stop: Arc<AtomicBool>,
) {
    let from = address(3, k);
    while !stop.load(Ordering::Relaxed) {
        let Ok(stream) = dial(from, server).await else {
            tokio::time::sleep(Duration::from_secs(1)).await;
            continue;
        };
        match register(stream, &format!("c{k}")).await {
            Err(e) => {
                refused(&e, &counts);
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            Ok((lines, mut w)) => {
                let chan = format!("#soak{}", k % channels);
                let cycle = format!("JOIN {chan}\r\nPART {chan}\r\nQUIT :churn\r\n");
                if w.write_all(cycle.as_bytes()).await.is_ok() {
                    watch(lines, counts.clone()).await;
                    counts.churn_cycles.fetch_add(1, Ordering::Relaxed);
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

/// Sends half a registration and waits to be dropped; again.
async fn half_open(server: SocketAddr, k: usize, counts: Arc<Counts>, stop: Arc<AtomicBool>) {
    let from = address(4, k);
    while !stop.load(Ordering::Relaxed) {
        let Ok(stream) = dial(from, server).await else {
            tokio::time::sleep(Duration::from_secs(1)).await;
            continue;
        };
        let (r, mut w) = stream.into_split();
        if w.write_all(format!("NICK h{k}\r\nUSER h").as_bytes())
            .await
            .is_err()
        {
            continue;
        }
        let mut lines = BufReader::new(r).lines();
        loop {
            if stop.load(Ordering::Relaxed) {
                return;
            }
            match tokio::time::timeout(Duration::from_secs(1), lines.next_line()).await {
                Err(_) => continue,
                Ok(Ok(Some(line))) if line.contains("Registration timed out") => {
                    counts.half_open_dropped.fetch_add(1, Ordering::Relaxed);
                }
                Ok(Ok(Some(line))) if line.starts_with("ERROR") => {
                    counts.refused.fetch_add(1, Ordering::Relaxed);
                }
                Ok(Ok(Some(_))) => continue,
                _ => break,
            }
        }
    }
}
