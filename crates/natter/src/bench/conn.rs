//! Client connections for the scenarios: registration, simple request and
//! reply, many connections at once, idle clients that answer PING, and a
//! stop signal.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};

use super::transport::{Dialer, Reader, Writer};

/// The longest any single protocol step may take before it counts as an error.
pub const STEP_TIMEOUT: Duration = Duration::from_secs(30);

/// A registered client connection.
pub struct Conn {
    pub reader: BufReader<Reader>,
    pub writer: Writer,
    /// The name the server gave itself (the source of its 001).
    pub server: String,
    /// The TLS version, cipher suite and key exchange (over TLS).
    pub tls: Option<String>,
}

impl Conn {
    /// Connects and registers as `nick`, answering PINGs, until the end of
    /// the welcome burst (376 or 422).
    pub async fn register(dialer: &Dialer, addr: SocketAddr, nick: &str) -> Result<Conn, String> {
        let (r, w, tls) = dialer.dial(addr).await?;
        let mut c = Conn {
            reader: BufReader::new(r),
            writer: w,
            server: String::new(),
            tls,
        };
        c.send(&format!("NICK {nick}\r\nUSER {nick} 0 * :natter bench\r\n"))
            .await?;
        let welcome = c.until(|l| has_command(l, "001")).await?;
        c.server = welcome
            .split(' ')
            .find(|w| w.starts_with(':'))
            .map(|w| w[1..].to_string())
            .unwrap_or_default();
        c.until(|l| has_command(l, "376") || has_command(l, "422"))
            .await?;
        Ok(c)
    }

    pub async fn send(&mut self, text: &str) -> Result<(), String> {
        self.writer
            .send_all(text.as_bytes())
            .await
            .map_err(|e| format!("write: {e}"))
    }

    /// Reads lines (answering PING) until `done` accepts one, within one
    /// [`STEP_TIMEOUT`] for the whole wait (one timer per step, not one per
    /// line: the generator's own cost is part of what churn measures).
    pub async fn until(&mut self, done: impl Fn(&str) -> bool) -> Result<String, String> {
        self.read_until(done, |_| {}).await
    }

    /// A PING round trip: sends `PING <token>` and reads until its PONG,
    /// so everything the server sent this connection before has been read
    /// (and everything sent before on it handled).
    pub async fn round_trip(&mut self, token: &str) -> Result<(), String> {
        self.send(&format!("PING {token}\r\n")).await?;
        self.until(|l| has_command(l, "PONG") && l.ends_with(token))
            .await
            .map(drop)
    }

    /// Sends `request` and returns every line up to and including the first
    /// one with command `end`.
    pub async fn ask(&mut self, request: &str, end: &str) -> Result<Vec<String>, String> {
        self.send(request).await?;
        let mut lines = Vec::new();
        self.read_until(|l| has_command(l, end), |l| lines.push(l.to_string()))
            .await?;
        Ok(lines)
    }

    async fn read_until(
        &mut self,
        done: impl Fn(&str) -> bool,
        mut seen: impl FnMut(&str),
    ) -> Result<String, String> {
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
                seen(l);
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
    pub async fn join(&mut self, channel: &str) -> Result<(), String> {
        self.send(&format!("JOIN {channel}\r\n")).await?;
        self.until(|l| has_command(l, "366")).await.map(|_| ())
    }

    /// Becomes an operator with `(name, password)`.
    pub async fn oper(&mut self, (name, password): &(String, String)) -> Result<(), String> {
        self.send(&format!("OPER {name} :{password}\r\n")).await?;
        let reply = self
            .until(|l| ["381", "464", "491"].iter().any(|c| has_command(l, c)))
            .await?;
        if has_command(&reply, "381") {
            Ok(())
        } else {
            Err(format!("OPER {name} refused: {reply}"))
        }
    }
}

/// The words of `line` after its tags and source: command first.
pub fn words(line: &str) -> Vec<&str> {
    let mut words: Vec<&str> = line.split(' ').filter(|w| !w.is_empty()).collect();
    if words.first().is_some_and(|w| w.starts_with('@')) {
        words.remove(0);
    }
    if words.first().is_some_and(|w| w.starts_with(':')) {
        words.remove(0);
    }
    words
}

/// Whether `line` (with or without tags/source) has `command`.
pub fn has_command(line: &str, command: &str) -> bool {
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

/// Opens `n` registered connections, `concurrency` at a time; client `i`
/// goes to `addrs[i % addrs.len()]`. Returns them in order, and the
/// number that failed.
pub async fn connect_many(
    dialer: &Dialer,
    addrs: &[SocketAddr],
    prefix: &str,
    n: usize,
    concurrency: usize,
) -> (Vec<Conn>, u64) {
    let sem = Arc::new(tokio::sync::Semaphore::new(concurrency.max(1)));
    let mut tasks = Vec::with_capacity(n);
    for i in 0..n {
        let sem = sem.clone();
        let nick = format!("{prefix}{i}");
        let addr = addrs[i % addrs.len()];
        let dialer = dialer.clone();
        tasks.push(tokio::spawn(async move {
            let _permit = sem.acquire_owned().await;
            Conn::register(&dialer, addr, &nick).await
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

/// Joins connection `i` to `channel(i)`, `concurrency` at a time; returns
/// the connections in the same order.
pub async fn join_many(
    conns: Vec<Conn>,
    channel: impl Fn(usize) -> String,
    concurrency: usize,
) -> Result<Vec<Conn>, String> {
    each(conns, concurrency, |i, mut c| {
        let chan = channel(i);
        async move { c.join(&chan).await.map(|_| c) }
    })
    .await
}

/// Runs `step(i, conn)` on every connection, `concurrency` at a time, and
/// returns them in the same order; on the first failure the steps still
/// running are aborted and that error returned.
pub async fn each<F, Fut>(
    conns: Vec<Conn>,
    concurrency: usize,
    step: F,
) -> Result<Vec<Conn>, String>
where
    F: Fn(usize, Conn) -> Fut,
    Fut: std::future::Future<Output = Result<Conn, String>> + Send + 'static,
{
    let sem = Arc::new(tokio::sync::Semaphore::new(concurrency.max(1)));
    let tasks: Vec<_> = conns
        .into_iter()
        .enumerate()
        .map(|(i, c)| {
            let sem = sem.clone();
            let run = step(i, c);
            tokio::spawn(async move {
                let _permit = sem.acquire_owned().await;
                run.await
            })
        })
        .collect();
    let mut out = Vec::with_capacity(tasks.len());
    let mut failed = None;
    for t in tasks {
        if failed.is_some() {
            t.abort();
            continue;
        }
        match t.await {
            Ok(Ok(c)) => out.push(c),
            Ok(Err(e)) => failed = Some(e),
            Err(e) => failed = Some(format!("task: {e}")),
        }
    }
    failed.map_or(Ok(out), Err)
}

/// Keeps `c` registered while it idles: reads and drops what it is sent,
/// answers PING, and QUITs when `stop` fires. Yields whether it was still
/// connected then (false: the server closed it first).
pub fn idle(mut c: Conn, stop: Stop) -> tokio::task::JoinHandle<bool> {
    tokio::spawn(async move {
        let mut line = String::new();
        loop {
            line.clear();
            tokio::select! {
                r = c.reader.read_line(&mut line) => match r {
                    Ok(0) | Err(_) => return false,
                    Ok(_) => {
                        if let Some(token) = line.trim_end().strip_prefix("PING ") {
                            let pong = format!("PONG {token}\r\n");
                            if c.send(&pong).await.is_err() {
                                return false;
                            }
                        }
                    }
                },
                _ = stop.wait() => break,
            }
        }
        let _ = c.send("QUIT :bench done\r\n").await;
        true
    })
}

/// A tiny broadcast stop signal.
#[derive(Clone)]
pub struct Stop(
    Arc<tokio::sync::watch::Sender<bool>>,
    tokio::sync::watch::Receiver<bool>,
);

impl Stop {
    pub fn new() -> Stop {
        let (tx, rx) = tokio::sync::watch::channel(false);
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
