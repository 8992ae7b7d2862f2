//! One link's life: the handshake (RFC 2813 §4.1.1-4.1.2, PASS then
//! SERVER from each side), registering the neighbour and sending the
//! burst, then reading its lines into [`super::inbound`] and writing what
//! [`super::forward`] queued, with a PING when the link is quiet; when the
//! link ends (closed, ERROR, SQUIT, ping timeout, SendQ), the netsplit.
//!
//! The side that connects sends PASS and SERVER first; the side that
//! accepts checks them and answers with its own. Each side checks the
//! other's name against its `[[link]]` blocks and the password against the
//! block's argon2 hash (off the event loop, compared in constant time by
//! argon2), and refuses a name the network already knows.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use natter_model::{Event, Server, ServerId, LOCAL_SERVER};
use natter_proto::framer::{Frame, Framer};
use natter_proto::link::{LinkMessage, PassFlags, CAP_TAGS, CAP_TS, IRC_PLUS_VERSION};
use natter_proto::Message;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

use super::inbound::{self, Verdict};
use super::{Extensions, LinkEntry};
use crate::config::LinkBlock;
use crate::outbound::{Closed, Outbound};
use crate::server::Shared;
use crate::world::{now, Origin};

/// Longest line read from a link: 512 bytes and an IRCv3 tag section.
const MAX_LINE: usize = 8191 + 512;

/// Time the peer has for its PASS and SERVER.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(30);

/// The PASS and SERVER a peer sent.
struct Hello {
    password: String,
    flags: PassFlags,
    name: String,
    info: String,
}

/// A link's byte stream: TCP, or TLS over TCP.
trait LinkStream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<S: AsyncRead + AsyncWrite + Unpin + Send> LinkStream for S {}

/// How the peer proved itself at the TLS layer: the SHA-256 fingerprint
/// of the certificate it presented (`None`: plain TCP, or no certificate).
type PeerCert = Option<String>;

/// Serves a connection accepted on a link listener (`tls`: `link_tls`,
/// which starts with a TLS handshake).
pub(crate) async fn accept(shared: Arc<Shared>, stream: TcpStream, addr: SocketAddr, tls: bool) {
    tracing::info!(%addr, tls, "link connection accepted");
    let result = if tls {
        match accept_tls(&shared, stream).await {
            Ok((stream, cert)) => run(&shared, stream, None, cert).await,
            Err(reason) => Err(reason),
        }
    } else {
        run(&shared, stream, None, None).await
    };
    if let Err(reason) = result {
        tracing::warn!(%addr, reason, "link ended");
    }
}

/// The server side of a link's TLS handshake.
async fn accept_tls(
    shared: &Shared,
    stream: TcpStream,
) -> Result<(tokio_rustls::server::TlsStream<TcpStream>, PeerCert), String> {
    let config = shared
        .tls
        .server_config()
        .ok_or("no TLS certificate is loaded")?;
    let stream = tokio::time::timeout(
        HANDSHAKE_TIMEOUT,
        tokio_rustls::TlsAcceptor::from(config).accept(stream),
    )
    .await
    .map_err(|_| "TLS handshake timed out".to_string())?
    .map_err(|e| format!("TLS handshake failed: {e}"))?;
    let cert = stream
        .get_ref()
        .1
        .peer_certificates()
        .and_then(|c| c.first())
        .map(|leaf| crate::tls::fingerprint(leaf));
    Ok((stream, cert))
}

/// Connects to the server of `block` and runs the link until it ends.
///
/// Errors: why the link could not be made or why it ended.
pub(crate) async fn connect(shared: &Arc<Shared>, block: LinkBlock) -> Result<(), String> {
    let address = block
        .address
        .clone()
        .ok_or("the link block has no address")?;
    let stream = tokio::time::timeout(HANDSHAKE_TIMEOUT, TcpStream::connect(&address))
        .await
        .map_err(|_| format!("connecting to {address} timed out"))?
        .map_err(|e| format!("cannot connect to {address}: {e}"))?;
    let _ = stream.set_nodelay(true);
    tracing::info!(
        peer = block.name,
        address,
        tls = block.tls,
        "link connected"
    );
    if !block.tls {
        return run(shared, stream, Some(block), None).await;
    }
    // The peer is accepted by its pinned fingerprint only (the verifier);
    // the name in the handshake is not checked.
    let pinned = crate::tls::normalize(block.fingerprint.as_deref().unwrap_or_default());
    let identity = shared
        .tls
        .identity()
        .ok_or("no TLS certificate is loaded")?;
    let config = identity.link_client(&pinned).map_err(|e| e.to_string())?;
    let name = rustls::pki_types::ServerName::try_from(block.name.clone()).unwrap_or_else(|_| {
        rustls::pki_types::ServerName::try_from("natter.link").expect("a valid name")
    });
    let stream = tokio::time::timeout(
        HANDSHAKE_TIMEOUT,
        tokio_rustls::TlsConnector::from(config).connect(name, stream),
    )
    .await
    .map_err(|_| format!("TLS handshake with {address} timed out"))?
    .map_err(|e| format!("TLS handshake with {address} failed: {e}"))?;
    run(shared, stream, Some(block), Some(pinned)).await
}

/// Keeps the link of block `name` up while it has `autoconnect`: connects,
/// and after the link ends or fails waits 1, 2, 4 ... 60 seconds (back to
/// 1 after a link that lasted a minute). Ends at shutdown or when REHASH
/// removed the block.
pub(crate) async fn autoconnect(shared: Arc<Shared>, name: String) {
    let mut wait = Duration::from_secs(1);
    if !shared
        .world
        .lock()
        .front
        .link
        .autoconnecting
        .insert(name.clone())
    {
        return;
    }
    // Whatever ends the loop, the block may get a new one later (REHASH).
    struct Done<'a>(&'a Shared, &'a str);
    impl Drop for Done<'_> {
        fn drop(&mut self) {
            self.0.world.lock().front.link.autoconnecting.remove(self.1);
        }
    }
    let _done = Done(&shared, &name);
    loop {
        let block = {
            let w = shared.world.lock();
            let linked = w.net.server_by_name(&name).is_some();
            let block = w.config.links.iter().find(|l| l.name == name).cloned();
            match block {
                Some(b) if b.autoconnect && b.address.is_some() => (!linked).then_some(b),
                _ => return,
            }
        };
        if let Some(block) = block {
            let started = Instant::now();
            if let Err(reason) = connect(&shared, block).await {
                tracing::warn!(peer = name, reason, "link down");
            }
            if started.elapsed() > Duration::from_secs(60) {
                wait = Duration::from_secs(1);
            }
        }
        tokio::select! {
            _ = shared.shutdown.cancelled() => return,
            _ = tokio::time::sleep(wait) => {}
        }
        wait = (wait * 2).min(Duration::from_secs(60));
    }
}

/// Starts the autoconnect loop of every `[[link]]` block that has
/// `autoconnect` and an address and no loop yet (at start-up and after
/// REHASH added blocks).
pub(crate) fn start_autoconnects(shared: &Arc<Shared>) {
    let names: Vec<String> = {
        let w = shared.world.lock();
        w.config
            .links
            .iter()
            .filter(|l| l.autoconnect && l.address.is_some())
            .filter(|l| !w.front.link.autoconnecting.contains(&l.name))
            .map(|l| l.name.clone())
            .collect()
    };
    for name in names {
        tokio::spawn(autoconnect(shared.clone(), name));
    }
}

/// The IRC+ server flags natter announces after the `:` of its PASS
/// `<flags>` (ngIRCd doc/Protocol.txt II.1). ngIRCd reads them as one
/// letter each (irc-login.c `IRC_PASS`, `Client_HasFlag`) and only for a
/// peer whose version says `-IRC+`:
/// - `C`: ngIRCd sends `CHANINFO <chan> +<modes> [<key> <limit>] :<topic>`
///   before each NJOIN of its burst (numeric.c `IRC_Num_ENDOFMOTD`).
///   Without it ngIRCd's burst has no channel modes, key, limit or topic
///   at all.
/// - `L`: ngIRCd ends its burst with its ban, exception and invite lists as
///   `MODE <chan> +b <mask>` lines (numeric.c `Synchronize_Lists`), and its
///   G-lines (`GLINE`, ignored here). Without it they stay behind.
///
/// Not announced: `H` (ngIRCd would wait for our 005 and 376 before its
/// burst), `M` (METADATA), `S` (SERVICE), `X` (`~&%` member prefixes for
/// modes natter lacks), `Z` (zlib: ngIRCd would compress the link).
/// natter peers ignore the flags.
const IRC_PLUS_FLAGS: &str = "CL";

/// Our PASS and SERVER lines for `block`.
fn hello_lines(shared: &Shared, block: &LinkBlock) -> String {
    let w = shared.world.lock();
    let mut out = String::new();
    LinkMessage::Pass {
        source: None,
        password: block.send_password.clone(),
        version: IRC_PLUS_VERSION.into(),
        flags: PassFlags {
            implementation: natter_proto::link::NATTER_IMPLEMENTATION.into(),
            version: env!("CARGO_PKG_VERSION").into(),
            capabilities: vec![CAP_TS.into(), CAP_TAGS.into()],
            server_flags: IRC_PLUS_FLAGS.into(),
        },
        options: "P".into(),
    }
    .write(&mut out);
    LinkMessage::Server {
        source: None,
        name: w.server_name().to_string(),
        hopcount: Some(1),
        token: None,
        info: w.net.local_server().description.clone(),
    }
    .write(&mut out);
    out
}

/// A link from handshake to netsplit. `outgoing` is the block we connected
/// for; `None` for an accepted link.
///
/// `cert`: the fingerprint of the certificate the peer presented over TLS;
/// a block with a `fingerprint` accepts the peer only with that one.
async fn run(
    shared: &Arc<Shared>,
    mut stream: impl LinkStream,
    outgoing: Option<LinkBlock>,
    cert: PeerCert,
) -> Result<(), String> {
    let mut framer = Framer::new(MAX_LINE);
    if let Some(block) = &outgoing {
        let hello = hello_lines(shared, block);
        stream
            .write_all(hello.as_bytes())
            .await
            .map_err(|e| e.to_string())?;
    }
    let hello = tokio::select! {
        hello = tokio::time::timeout(HANDSHAKE_TIMEOUT, read_hello(&mut stream, &mut framer)) => {
            hello.map_err(|_| "no PASS and SERVER in time".to_string())??
        }
        _ = shared.shutdown.cancelled() => return Err("Server shutting down".into()),
    };
    let block = match check_hello(shared, &hello, outgoing.as_ref(), cert.as_deref()).await {
        Ok(block) => block,
        Err(reason) => {
            let _ = stream.write_all(error_line(&reason).as_bytes()).await;
            return Err(reason);
        }
    };
    if outgoing.is_none() {
        let reply = hello_lines(shared, &block);
        stream
            .write_all(reply.as_bytes())
            .await
            .map_err(|e| e.to_string())?;
    }
    let natter = hello
        .flags
        .implementation
        .eq_ignore_ascii_case(natter_proto::link::NATTER_IMPLEMENTATION)
        .then(|| Extensions {
            tags: hello.flags.has_capability(CAP_TAGS),
            ts: hello.flags.has_capability(CAP_TS),
        });
    let (peer, out) = match register(shared, &hello, natter) {
        Ok(registered) => registered,
        Err(reason) => {
            let _ = stream.write_all(error_line(&reason).as_bytes()).await;
            return Err(reason);
        }
    };
    tracing::info!(
        peer = hello.name,
        natter = natter.is_some(),
        "link established, burst sent"
    );
    let reason = serve(shared, &mut stream, &mut framer, peer, &out).await;
    // Whatever is still queued (an ERROR we were asked to send) goes out.
    let mut rest = Vec::new();
    out.drain_into(&mut rest);
    // Then the stream is closed properly (TLS: close_notify after
    // whatever rustls still holds).
    let _ = tokio::time::timeout(Duration::from_secs(2), async {
        stream.write_all(&rest).await?;
        stream.flush().await?;
        stream.shutdown().await
    })
    .await;
    let mut w = shared.world.lock();
    if let Some(batch) = w.front.link.links.remove(&peer).and_then(|l| l.netjoin) {
        w.close_batch(batch);
    }
    let reason_text = format!("{} {}", w.server_name(), hello.name);
    tracing::warn!(peer = hello.name, why = reason, "netsplit");
    if w.net.server(peer).is_some() {
        inbound::split(&mut w, peer, &reason_text, Origin::Local);
    }
    w.end_of_link_batch();
    Err(reason)
}

/// Reads the peer's PASS and SERVER (anything else before them is an error).
async fn read_hello(stream: &mut impl LinkStream, framer: &mut Framer) -> Result<Hello, String> {
    let mut pass: Option<(String, PassFlags)> = None;
    let mut buf = vec![0u8; 4096];
    loop {
        while let Some(frame) = framer.next_frame() {
            let Frame::Line(line) = frame else {
                return Err("line too long in the handshake".into());
            };
            let Ok(msg) = Message::parse_bytes(&line) else {
                continue;
            };
            match LinkMessage::parse(&msg) {
                Ok(LinkMessage::Pass {
                    password, flags, ..
                }) => pass = Some((password, flags)),
                Ok(LinkMessage::Server { name, info, .. }) => {
                    let Some((password, flags)) = pass.take() else {
                        return Err("SERVER without PASS".into());
                    };
                    return Ok(Hello {
                        password,
                        flags,
                        name,
                        info,
                    });
                }
                Ok(LinkMessage::Error { message, .. }) => {
                    return Err(format!("ERROR from the peer: {message}"))
                }
                _ => return Err(format!("{} before PASS and SERVER", msg.command)),
            }
        }
        let n = stream.read(&mut buf).await.map_err(|e| e.to_string())?;
        if n == 0 {
            return Err("closed during the handshake".into());
        }
        framer.feed(&buf[..n]);
    }
}

/// Checks the peer's name and password; returns its link block.
async fn check_hello(
    shared: &Shared,
    hello: &Hello,
    outgoing: Option<&LinkBlock>,
    cert: Option<&str>,
) -> Result<LinkBlock, String> {
    let block = {
        let w = shared.world.lock();
        if hello.name.eq_ignore_ascii_case(w.server_name()) {
            return Err(format!("{} is my own name", hello.name));
        }
        w.config
            .links
            .iter()
            .find(|l| l.name.eq_ignore_ascii_case(&hello.name))
            .cloned()
    };
    let Some(block) = block else {
        return Err(format!("No link block for {}", hello.name));
    };
    if let Some(out) = outgoing {
        if !out.name.eq_ignore_ascii_case(&hello.name) {
            return Err(format!("Expected {}, got {}", out.name, hello.name));
        }
    }
    if let Some(pinned) = &block.fingerprint {
        let pinned = crate::tls::normalize(pinned);
        if cert != Some(pinned.as_str()) {
            tracing::warn!(
                peer = hello.name,
                presented = cert,
                "link certificate mismatch"
            );
            return Err(match cert {
                None => "This link needs TLS with the pinned certificate".into(),
                Some(_) => "Certificate fingerprint mismatch".into(),
            });
        }
    }
    let (password, hash) = (hello.password.clone(), block.receive_password.clone());
    let ok =
        tokio::task::spawn_blocking(move || crate::accounts::verify_password(&password, &hash))
            .await
            .unwrap_or(false);
    if !ok {
        tracing::warn!(peer = hello.name, "link password mismatch");
        return Err("Bad password".into());
    }
    Ok(block)
}

/// Makes the peer a server of the network and sends it the burst.
fn register(
    shared: &Shared,
    hello: &Hello,
    natter: Option<Extensions>,
) -> Result<(ServerId, Arc<Outbound>), String> {
    let mut w = shared.world.lock();
    if shared.shutdown.is_cancelled() {
        return Err("Server shutting down".into());
    }
    if w.net.server_by_name(&hello.name).is_some() {
        return Err(format!("Server {} already exists", hello.name));
    }
    let id = w.net.new_server_id();
    let server = Server {
        id,
        name: hello.name.as_str().into(),
        description: hello.info.clone(),
        hopcount: 1,
        uplink: Some(LOCAL_SERVER),
        via: Some(id),
    };
    w.emit_from(
        &Event::ServerIntroduced(Box::new(server)),
        Origin::Link(id),
        None,
    );
    let out = Arc::new(Outbound::new(w.config.limits.link_sendq));
    let me = w.server_name().to_string();
    let netjoin = w.new_batch("netjoin", &me, &hello.name);
    let burst = super::burst::burst(&w, id, natter);
    let lines = burst.matches('\n').count() as u64;
    out.push_lines(Bytes::from(burst), lines);
    w.front.link.links.insert(
        id,
        LinkEntry {
            out: out.clone(),
            natter,
            // The neighbour's own token is 1 (ngIRCd; RFC 2813 leaves it open).
            tokens: [(1, id)].into(),
            chaninfo: Default::default(),
            since: now(),
            received: (0, 0),
            lag_ms: None,
            netjoin: Some(netjoin),
        },
    );
    Ok((id, out))
}

/// The established link: reads, writes and pings until it ends; returns
/// why.
async fn serve(
    shared: &Arc<Shared>,
    stream: &mut impl LinkStream,
    framer: &mut Framer,
    peer: ServerId,
    out: &Outbound,
) -> String {
    let ping_every = shared
        .world
        .lock()
        .config
        .timeouts
        .link_ping()
        .max(Duration::from_secs(1));
    let mut last_rx = Instant::now();
    let mut ping_sent: Option<Instant> = None;
    let mut buf = vec![0u8; 16 * 1024];
    let mut pending: Vec<u8> = Vec::new();
    // Lines already read with the handshake come first.
    if let Some(reason) = handle_frames(shared, framer, peer, &mut ping_sent) {
        return reason;
    }
    // Written bytes of `pending`: a peer that stops reading only stops
    // our writes, and its queue overflows (SendQ) while reads go on.
    let mut written = 0;
    // Whether a write since the last flush may sit in a TLS buffer.
    let mut unflushed = false;
    loop {
        if written == pending.len() {
            pending.clear();
            written = 0;
            out.drain_into(&mut pending);
        }
        match out.closed() {
            Some(Closed::Abort(reason)) => return *reason,
            Some(Closed::Graceful) if pending.is_empty() => return "Closed".into(),
            Some(Closed::Shutdown) => {
                let _ = tokio::time::timeout(
                    Duration::from_secs(2),
                    stream.write_all(error_line("Server shutting down").as_bytes()),
                )
                .await;
                return "Server shutting down".into();
            }
            _ => {}
        }
        let deadline = match ping_sent {
            Some(sent) => sent + ping_every,
            None => last_rx + ping_every,
        };
        let (reader, mut writer) = tokio::io::split(&mut *stream);
        tokio::select! {
            read = async { let mut r = reader; r.read(&mut buf).await } => {
                match read {
                    Ok(0) => return "Connection closed".into(),
                    Ok(n) => {
                        last_rx = Instant::now();
                        framer.feed(&buf[..n]);
                        if let Some(reason) = handle_frames(shared, framer, peer, &mut ping_sent) {
                            return reason;
                        }
                    }
                    Err(e) => return format!("Read error: {e}"),
                }
            }
            // A write, or once `pending` is written a flush: TLS takes a
            // write into its own buffer before the socket takes it all,
            // and what it holds must go out without waiting for the next
            // line (plain TCP has nothing to flush).
            wrote = async {
                if written < pending.len() {
                    writer.write(&pending[written..]).await.map(Some)
                } else {
                    writer.flush().await.map(|()| None)
                }
            }, if written < pending.len() || unflushed => {
                match wrote {
                    Ok(Some(n)) => {
                        written += n;
                        out.wrote(n);
                        unflushed = true;
                    }
                    Ok(None) => unflushed = false,
                    Err(e) => return format!("Write error: {e}"),
                }
            }
            _ = std::future::poll_fn(|cx| out.poll_rung(cx)) => {}
            _ = tokio::time::sleep_until(deadline.into()) => {
                if ping_sent.is_some() {
                    return format!("Ping timeout: {} seconds", (ping_every * 2).as_secs());
                }
                let me = shared.world.lock().server_name().to_string();
                let ping = LinkMessage::Ping { source: Some(me.clone()), origin: me, target: None };
                out.push(Bytes::from(ping.to_line()));
                ping_sent = Some(Instant::now());
            }
        }
    }
}

/// Handles the complete lines in `framer`; `Some(reason)` ends the link.
fn handle_frames(
    shared: &Shared,
    framer: &mut Framer,
    peer: ServerId,
    ping_sent: &mut Option<Instant>,
) -> Option<String> {
    let mut w = shared.world.lock();
    while let Some(frame) = framer.next_frame() {
        let Frame::Line(line) = frame else {
            tracing::warn!(
                peer = w.net.server_name(peer),
                "over-long line from link, ignored"
            );
            continue;
        };
        if let Some(link) = w.front.link.links.get_mut(&peer) {
            link.received.0 += 1;
            link.received.1 += line.len() as u64 + 2;
        }
        let msg = match Message::parse_bytes(&line) {
            Ok(m) => m,
            Err(_) => {
                tracing::warn!(
                    peer = w.net.server_name(peer),
                    "unparsable line from link, ignored"
                );
                continue;
            }
        };
        match inbound::handle(&mut w, &shared.next_id, peer, &msg) {
            Verdict::Continue => {}
            Verdict::Pong => {
                if let Some(sent) = ping_sent.take() {
                    let lag = sent.elapsed().as_millis() as u64;
                    if let Some(link) = w.front.link.links.get_mut(&peer) {
                        link.lag_ms = Some(lag);
                    }
                }
            }
            Verdict::Close(reason) => {
                if let Some(link) = w.front.link.links.get(&peer) {
                    link.out.close(Some(Bytes::from(error_line(&reason))));
                }
                w.end_of_link_batch();
                return Some(reason);
            }
        }
    }
    framer.shrink();
    // While a neighbour's burst is still coming (its netjoin batch is
    // open) the batch's effects wait for the burst's end: a burst of
    // thousands of users then costs each IM client one ONLINE_USERS.
    if !w.front.link.links.values().any(|l| l.netjoin.is_some()) {
        w.end_of_link_batch();
    }
    None
}

/// `ERROR :<reason>`.
fn error_line(reason: &str) -> String {
    LinkMessage::Error {
        source: None,
        message: reason.to_string(),
    }
    .to_line()
}
