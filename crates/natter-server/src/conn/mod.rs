//! One client connection, served by one task: it frames, parses and
//! handles input lines, enforces the registration and ping timeouts, and
//! drains the client's [`Outbound`] queue into the socket with
//! non-blocking writes, every queued line coalesced into one write.
//! `admit` decides, before anything else, whether it is served at all.

mod admit;

use admit::{admit, refuse};

use std::collections::VecDeque;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use bytes::Bytes;
use natter_model::{Event, Frontend};
use natter_proto::numeric::ERR_INPUTTOOLONG;
use natter_proto::{write_line, write_line_trailing, Frame, Framer, Message, ParseError};
use tokio::time::Instant;

use crate::flood::{ChangeRates, Limiter, Policy, EXCESS_FLOOD};
use crate::irc::{self, operators, Client, Ctx, Deferred};
use crate::outbound::{Backlog, Closed, Outbound};
use crate::server::Shared;
use crate::transport::{Input, Socket, Transport};
use crate::world::now;

/// Longest line accepted: 8191 bytes of tags plus 512 of message
/// (IRCv3 message-tags; RFC 1459 2.3).
pub(crate) const MAX_LINE: usize = 8191 + 512;

/// Most tag data a client may send, in bytes, without the `@` and the
/// space (IRCv3 message-tags: 4094; 8191 is for tags the server adds).
const MAX_CLIENT_TAG_DATA: usize = 4094;

/// Length of a raw line's tag data (between `@` and the first space).
fn client_tags_len(line: &[u8]) -> usize {
    let line = &line[line.iter().position(|&b| b != b' ').unwrap_or(0)..];
    if line.first() != Some(&b'@') {
        return 0;
    }
    line.iter().position(|&b| b == b' ').unwrap_or(line.len()) - 1
}

/// Serves one accepted connection until it ends.
///
/// `addr` is the client's address as bans and WHOIS see it (for a
/// WebSocket behind a trusted proxy, the one the proxy names).
#[allow(clippy::manual_async_fn)] // see the comment in the body
pub(crate) fn serve<S: Socket>(
    shared: Arc<Shared>,
    mut stream: Transport<S>,
    addr: SocketAddr,
    frontend: Frontend,
) -> impl Future<Output = ()> + Send {
    // An `async move` block rather than an `async fn`: the arguments are
    // then kept once in the task, not twice (an async fn copies them into
    // locals), and so is `admitted` below; the task of every idle client
    // is this future, so its size is memory per client.
    async move {
        let id = shared.next_id.fetch_add(1, Ordering::Relaxed);
        shared.metrics.accepted(frontend, stream.kind());
        let (needs_pass, out, policy, rates) = match admit(&shared, &stream, addr, frontend, id) {
            Ok(admitted) => admitted,
            Err(reason) => return refuse(&shared, stream, addr, frontend, &reason).await,
        };
        // The IM protocol has no PASS: the server password guards IRC only.
        let mut client = Client::new(id, addr, needs_pass && frontend == Frontend::Irc, frontend);
        client.change_rates = rates;
        let mut pending: VecDeque<Bytes> = VecDeque::new();
        let mut limiter = Limiter::new(policy, std::time::Instant::now());
        let reason = drive(
            &shared,
            &mut client,
            &mut stream,
            &out,
            &mut pending,
            &mut limiter,
        )
        .await;

        {
            let mut w = shared.world.lock();
            if let Some(user) = w
                .net
                .user(id)
                .filter(|_| client.registered)
                .map(|u| u.snapshot())
            {
                w.emit(
                    &Event::Quit {
                        user,
                        reason: reason.clone(),
                        at: now(),
                    },
                    None,
                );
            }
            w.net.release_nick(id);
            w.remove_conn(id);
            let config = w.config.clone();
            w.admission.release(addr.ip(), &config.connections);
        }
        // An IM client's GOODBYE needs no answer; anything else is explained.
        let last = (frontend == Frontend::Irc || reason != "Goodbye")
            .then(|| closing_line(frontend, &client.host, &reason));
        // Send what is still queued, then the closing line, then close. A client
        // cut off for not reading gets only a best-effort try at the ERROR line.
        let closed_by = out.closed();
        let class = crate::metrics::Disconnect::classify(
            closed_by.as_ref(),
            client.quit.is_some(),
            &reason,
        );
        shared.metrics.disconnected(class);
        let aborted = matches!(closed_by, Some(Closed::Abort(_)));
        let mut rest: Vec<u8> = Vec::new();
        if !aborted {
            for line in pending.drain(..) {
                rest.extend_from_slice(&line);
            }
            out.drain_into(&mut rest);
        }
        // A graceful close by someone else (KILL) queued its own last lines.
        if closed_by != Some(Closed::Graceful) {
            if let Some(line) = last {
                rest.extend_from_slice(line.as_bytes());
            }
        }
        let grace = if aborted {
            Duration::from_millis(200)
        } else {
            Duration::from_secs(5)
        };
        stream.finish(rest, grace).await;
    }
}

/// The last line a closing connection gets, in its own protocol: IRC's
/// `ERROR :Closing Link: <link> (<reason>)` or the IM protocol's
/// `ERROR "closing: <reason>"`.
pub(crate) fn closing_line(frontend: Frontend, link: &str, reason: &str) -> String {
    match frontend {
        Frontend::Irc | Frontend::Service => {
            let mut line = String::new();
            write_line_trailing(
                &mut line,
                None,
                None,
                "ERROR",
                &[&format!("Closing Link: {link} ({reason})")],
            );
            line
        }
        Frontend::Im => natter_proto::im::Reply::Error(format!("closing: {reason}")).to_line(),
    }
}

/// Runs the connection until it should end and returns the quit reason.
///
/// One task does everything, with non-blocking reads and writes: it waits
/// for input, for the queue's doorbell (lines are taken into `pending`, so
/// one vectored write carries every queued line straight from the shared
/// buffers, with no copy), for the socket to take more of `pending`, and
/// for the registration/ping deadline. A client that does not read only
/// stops its own writes; its queue overflows and aborts it.
async fn drive<S: Socket>(
    shared: &Arc<Shared>,
    client: &mut Client,
    stream: &mut Transport<S>,
    out: &Outbound,
    pending: &mut VecDeque<Bytes>,
    limiter: &mut Limiter,
) -> String {
    let mut framer = Framer::new(MAX_LINE);
    let connected = Instant::now();
    let mut last_rx = connected;
    let mut ping_sent: Option<Instant> = None;
    // Read once and again only when the deadline fires (so REHASH applies
    // from the next deadline on): taking the world lock on every wake-up of
    // every connection would make the busiest path contend for it.
    let mut timeouts = shared.world.lock().config.timeouts.clone();
    // One timer for the connection's life. Input moves the real deadline
    // but not the timer: when it fires early, it is set again, so a busy
    // connection touches the timer wheel once per ping interval, not once
    // per line. Fakelag sets it earlier, to when the next line may go.
    let timer = tokio::time::sleep_until(connected + timeouts.registration());
    tokio::pin!(timer);
    // Registration ends the registration deadline; the ping interval,
    // possibly shorter, starts from there.
    let mut timing_registered = false;
    // Lines wait in the framer for the flood bucket until then.
    let mut resume: Option<Instant> = None;
    // The peer finished sending; lines may still wait for the bucket.
    let mut input_closed = false;
    // A large reply of the client's own, fed as it reads; input waits.
    let mut backlog = Backlog::default();
    loop {
        // The IM protocol has no keepalive: once registered, an IM client
        // has no deadline (the periodic ONLINE_USERS writes find dead peers).
        let keepalive = client.frontend == Frontend::Irc || !client.registered;
        let timed = keepalive || resume.is_some();
        // While a reply is fed, input stays in the socket: the client
        // reads before it is heard again.
        let reading = !input_closed && backlog.is_empty();
        // Polled by hand rather than with select!: the socket's own reader
        // and writer waker slots and the doorbell cost an atomic each per
        // wake-up, where select! would build and tear down a readiness
        // future (a waiter-list entry under a lock) for every branch.
        let wake = std::future::poll_fn(|cx| {
            // One unit of tokio's task budget per wake-up handled: the
            // doorbell and the try_* calls below use none, so without this
            // a connection that always has something to do (a member of a
            // channel flooded from another loop) would never yield its loop.
            let coop = std::task::ready!(tokio::task::coop::poll_proceed(cx));
            let wake = poll_wake(cx, out, stream, pending, timer.as_mut(), timed, reading);
            if wake.is_ready() {
                coop.made_progress();
            }
            wake
        })
        .await;
        // Awake now: lines this task queues itself must not schedule it
        // again; it flushes them below before it waits.
        out.mute();
        let mut read = false;
        match wake {
            Wake::Rung => {
                if let Err(reason) = flush_queue(client, stream, out, pending) {
                    return reason;
                }
            }
            Wake::Writable(ready) => {
                if ready.is_err() {
                    return "Connection closed".into();
                }
                if let Err(reason) = stream.write_pending(out, pending) {
                    return reason;
                }
            }
            Wake::Readable(ready) => {
                if ready.is_err() {
                    return "Connection closed".into();
                }
                // A TLS read may bring the last lines and the close
                // together: the lines are handled first.
                input_closed = match stream.read_some(&mut framer) {
                    Ok(Input::Closed) => true,
                    Ok(Input::Data) => false,
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
                    Err(e) if e.kind() == std::io::ErrorKind::InvalidData => {
                        return format!("TLS error: {e}")
                    }
                    Err(e) => return format!("Read error: {e}"),
                };
                if let Some(certfp) = stream.handshake_done() {
                    if let Some(conn) = shared.world.lock().conns.get_mut(&client.id) {
                        conn.certfp = certfp;
                    }
                }
                last_rx = Instant::now();
                ping_sent = None;
                read = true;
            }
            Wake::Deadline => {
                // Whatever REHASH set applies from here on.
                timeouts = shared.world.lock().config.timeouts.clone();
                let mut deadline = if !client.registered {
                    connected + timeouts.registration()
                } else if let Some(sent) = ping_sent {
                    sent + timeouts.ping_timeout()
                } else {
                    last_rx + timeouts.ping_interval()
                };
                let now = Instant::now();
                if keepalive && deadline <= now {
                    if !client.registered {
                        return "Registration timed out".into();
                    }
                    if let Some(sent) = ping_sent {
                        return format!(
                            "Ping timeout: {} seconds",
                            (now - sent + timeouts.ping_interval()).as_secs()
                        );
                    }
                    let mut line = String::new();
                    let server = shared.world.lock().config.server.name.clone();
                    write_line(&mut line, None, None, "PING", &[&server]);
                    out.push(Bytes::from(line));
                    ping_sent = Some(now);
                    deadline = now + timeouts.ping_timeout();
                }
                let at = resume
                    .filter(|r| *r > now)
                    .map_or(deadline, |r| r.min(deadline));
                timer.as_mut().reset(at);
            }
        }
        // Feed a large reply as the socket takes it.
        if !backlog.is_empty() {
            if let Err(reason) = feed_backlog(client, stream, out, pending, &mut backlog) {
                return reason;
            }
        }
        // Lines wait for the flood bucket (until `resume`) and for a large
        // reply to be fed; then they are handled.
        if resume.is_some_and(|at| at <= Instant::now()) {
            resume = None;
        }
        if resume.is_none() && backlog.is_empty() && framer.has_frame() {
            let lines = Lines {
                framer: &mut framer,
                limiter,
                backlog: &mut backlog,
            };
            match handle_input(shared, client, stream, out, pending, lines).await {
                Ok(wait) => resume = wait.map(Instant::from_std),
                Err(reason) => return reason,
            }
            if let Some(at) = resume {
                if at < timer.deadline() {
                    timer.as_mut().reset(at);
                }
            }
        }
        if limiter.over_recvq(framer.buffered()) {
            return EXCESS_FLOOD.into();
        }
        // A client that stopped sending still gets the rest of its lines
        // handled and its large reply fed before the connection ends.
        if input_closed && !framer.has_frame() && backlog.is_empty() {
            return "Connection closed".into();
        }
        if read {
            framer.shrink();
        }
        if client.registered && !timing_registered {
            timing_registered = true;
            let at = last_rx + timeouts.ping_interval();
            timer.as_mut().reset(resume.map_or(at, |r| r.min(at)));
        }
    }
}

/// Moves the pieces of a large reply into the queue and writes them, for
/// as long as the socket takes everything. Errors: the reason to end the
/// connection with.
fn feed_backlog<S: Socket>(
    client: &Client,
    stream: &mut Transport<S>,
    out: &Outbound,
    pending: &mut VecDeque<Bytes>,
    backlog: &mut Backlog,
) -> Result<(), String> {
    while pending.is_empty() && backlog.top_up(out) {
        flush_queue(client, stream, out, pending)?;
    }
    Ok(())
}

/// What [`handle_input`] works through: the framed lines, the flood
/// bucket they wait for, and the large reply they wait behind.
struct Lines<'a> {
    framer: &'a mut Framer,
    limiter: &'a mut Limiter,
    backlog: &'a mut Backlog,
}

/// Handles the framed lines the client's flood bucket lets through, then
/// sends the replies. Returns when the lines run out (`Ok(None)`), or when
/// the bucket is empty with the instant the next line may go
/// (`Ok(Some(_))`). Errors: the reason to end the connection with (the
/// client quit, or the queue closed).
async fn handle_input<S: Socket>(
    shared: &Arc<Shared>,
    client: &mut Client,
    stream: &mut Transport<S>,
    out: &Outbound,
    pending: &mut VecDeque<Bytes>,
    lines: Lines<'_>,
) -> Result<Option<std::time::Instant>, String> {
    let Lines {
        framer,
        limiter,
        backlog,
    } = lines;
    let mut wait = None;
    while framer.has_frame() && backlog.is_empty() {
        // Closed meanwhile (KILL, SendQ): the doorbell ends the
        // connection; the rest is not handled.
        if out.is_closed() {
            break;
        }
        // IM file data is charged after it is handled, unless it moved bytes.
        let data = framer
            .peek()
            .is_some_and(|f| crate::im::files::is_data(client, f));
        if let Some(Err(at)) = (!data).then(|| limiter.take()) {
            wait = Some(at);
            break;
        }
        let frame = framer.next_frame().expect("has a frame");
        handle_frame(shared, client, out, backlog, frame);
        if let Some(job) = client.deferred.take() {
            // Boxed: the rare slow path must not grow every connection's
            // task.
            Box::pin(run_deferred(shared, client, out, backlog, *job)).await;
        }
        if let Some(reason) = &client.quit {
            return Err(reason.clone());
        }
        if std::mem::take(&mut client.reclass) {
            reclass(shared, client, out, limiter);
        }
        let charge = data && !std::mem::take(&mut client.moved_data);
        if let Some(Err(at)) = charge.then(|| limiter.take()) {
            wait = Some(at);
            break;
        }
    }
    // The replies go out now, in the same wake-up as the input.
    if out.take_ring() {
        flush_queue(client, stream, out, pending)?;
    }
    feed_backlog(client, stream, out, pending, backlog)?;
    Ok(wait)
}

/// Looks up the client's connect class again: it logged in, or became
/// or stopped being an operator.
fn reclass(shared: &Shared, client: &mut Client, out: &Outbound, limiter: &mut Limiter) {
    let policy = {
        let w = shared.world.lock();
        let user = w.net.user(client.id);
        Policy::for_client(
            &w.config,
            client.addr.ip(),
            user.and_then(|u| u.account.as_deref()),
            user.is_some_and(|u| u.modes.oper),
        )
    };
    if policy.sendq != limiter.policy.sendq {
        out.set_limit(policy.sendq);
    }
    if policy.exempt != limiter.policy.exempt {
        client.change_rates = ChangeRates::new(&shared.world.lock().config, &policy);
    }
    limiter.reclass(policy);
}

/// Takes the queued lines into `pending` and writes what the socket takes
/// now (usually all, in one vectored write). Errors: the reason to end the
/// connection with, when the queue was closed or the write failed.
fn flush_queue<S: Socket>(
    client: &Client,
    stream: &mut Transport<S>,
    out: &Outbound,
    pending: &mut VecDeque<Bytes>,
) -> Result<(), String> {
    match out.take_lines(pending) {
        None => {}
        Some(Closed::Abort(reason)) => return Err(reason),
        Some(Closed::Shutdown) => return Err("Server shutting down".into()),
        Some(Closed::Graceful) => {
            return Err(client
                .quit
                .clone()
                .unwrap_or_else(|| "Connection closed".into()))
        }
    }
    stream.write_pending(out, pending)
}

/// What, if anything, should wake the connection's task now, in order of
/// priority: the doorbell, the socket taking more of `pending`, input
/// (only while `reading`), the timer (only when `timed`). Registers the task's waker with every
/// source it checks.
fn poll_wake<S: Socket>(
    cx: &mut std::task::Context<'_>,
    out: &Outbound,
    stream: &Transport<S>,
    pending: &VecDeque<Bytes>,
    timer: std::pin::Pin<&mut tokio::time::Sleep>,
    timed: bool,
    reading: bool,
) -> Poll<Wake> {
    if out.poll_rung(cx).is_ready() {
        return Poll::Ready(Wake::Rung);
    }
    if let Poll::Ready(r) = stream.poll_writable(cx, pending) {
        return Poll::Ready(Wake::Writable(r));
    }
    if reading {
        if let Poll::Ready(r) = stream.poll_readable(cx) {
            return Poll::Ready(Wake::Readable(r));
        }
    }
    if timed && timer.poll(cx).is_ready() {
        return Poll::Ready(Wake::Deadline);
    }
    Poll::Pending
}

/// What woke a connection's task.
enum Wake {
    /// The doorbell: lines were queued, or the queue was closed.
    Rung,
    /// The socket can take more of what is pending.
    Writable(std::io::Result<()>),
    /// The socket has input (or an error or end of stream).
    Readable(std::io::Result<()>),
    /// The registration or ping deadline timer fired.
    Deadline,
}

/// Parses and handles one frame under the world lock, then queues the
/// client's replies as one buffer.
fn handle_frame(
    shared: &Shared,
    client: &mut Client,
    out: &Outbound,
    backlog: &mut Backlog,
    frame: Frame,
) {
    client.lines_in += 1;
    if let Frame::Line(bytes) = &frame {
        client.bytes_in += bytes.len() as u64 + 2;
    }
    let mut world = shared.world.lock();
    let locked = std::time::Instant::now();
    // A registered client whose user is gone was KILLed while lines it had
    // already sent were waiting here: it may no longer act (handlers rely on
    // the user existing), its connection is closing.
    if client.registered && world.net.user(client.id).is_none() {
        return;
    }
    let mut ctx = Ctx {
        world: &mut world,
        client,
        out: String::new(),
    };
    if ctx.client.frontend == Frontend::Im {
        match frame {
            Frame::TooLong => {
                natter_proto::im::Reply::Error("line too long".into()).write_to(&mut ctx.out)
            }
            Frame::Line(bytes) => crate::im::dispatch(&mut ctx, &bytes),
        }
    } else {
        handle_irc_frame(&mut ctx, frame);
    }
    queue_reply(out, backlog, ctx.take_reply());
    note_status(&world, client);
    drop(world);
    shared.metrics.world_held(locked.elapsed());
}

/// Marks the client for a new look at its connect class when it logged
/// in or out or opered up or down since the last look.
fn note_status(world: &crate::World, client: &mut Client) {
    if let Some(u) = world.net.user(client.id) {
        let (oper, account) = &client.class_seen;
        if u.modes.oper != *oper || u.account.as_deref() != account.as_deref() {
            client.class_seen = (u.modes.oper, u.account.clone());
            client.reclass = true;
        }
    }
}

/// Parses an IRC frame and dispatches it, answering what cannot be parsed.
fn handle_irc_frame(ctx: &mut Ctx<'_>, frame: Frame) {
    match frame {
        Frame::TooLong => ctx.numeric(ERR_INPUTTOOLONG, &["Input line was too long"]),
        Frame::Line(bytes) => match Message::parse_bytes(&bytes) {
            Ok(msg) => {
                ctx.take_label(&msg.tags);
                if client_tags_len(&bytes) > MAX_CLIENT_TAG_DATA {
                    ctx.numeric(ERR_INPUTTOOLONG, &["Input line was too long"])
                } else {
                    irc::dispatch(ctx, &msg)
                }
            }
            Err(ParseError::Empty) => {}
            Err(ParseError::TagsTooLong | ParseError::BodyTooLong) => {
                ctx.numeric(ERR_INPUTTOOLONG, &["Input line was too long"])
            }
            Err(ParseError::NulByte) => {
                // Never relayed: answered with the command it came with.
                let clean: Vec<u8> = bytes.iter().copied().filter(|&b| b != 0).collect();
                let lossy = String::from_utf8_lossy(&clean);
                let parsed = Message::parse(&lossy).ok();
                if let Some(m) = &parsed {
                    ctx.take_label(&m.tags);
                }
                let cmd = parsed.map(|m| m.command).unwrap_or_else(|| "*".into());
                ctx.numeric(
                    natter_proto::numeric::ERR_UNKNOWNERROR,
                    &[&cmd, "Message contains a NUL byte"],
                );
            }
            Err(ParseError::InvalidUtf8) => {
                let lossy = String::from_utf8_lossy(&bytes);
                let cmd = Message::parse(&lossy)
                    .map(|m| m.command)
                    .unwrap_or_else(|_| "*".into());
                ctx.server_line(
                    "FAIL",
                    &[
                        &cmd,
                        "INVALID_UTF8",
                        "Message rejected, it contained invalid UTF-8",
                    ],
                );
            }
            Err(ParseError::NoCommand | ParseError::InvalidCommand) => {
                let lossy = String::from_utf8_lossy(&bytes);
                // Still answer a labeled line with its label.
                if let Some((section, _)) = lossy
                    .trim_start()
                    .strip_prefix('@')
                    .and_then(|r| r.split_once(' '))
                {
                    ctx.take_label(&natter_proto::message::parse_tags(section));
                }
                let word = lossy
                    .split_ascii_whitespace()
                    .find(|w| !w.starts_with('@') && !w.starts_with(':'))
                    .unwrap_or("*")
                    .to_string();
                ctx.numeric(
                    natter_proto::numeric::ERR_UNKNOWNCOMMAND,
                    &[&word, "Unknown command"],
                );
            }
        },
    }
}

/// Queues a handler's replies as one buffer, or in pieces through
/// `backlog` when they are larger than the room left in the SendQ. Called
/// while the world lock is still held, so that nothing another handler
/// delivers can overtake the client's own replies (e.g. a channel message
/// arriving before the client's own JOIN).
fn queue_reply(out: &Outbound, backlog: &mut Backlog, reply: String) {
    if !reply.is_empty() {
        let lines = reply.bytes().filter(|b| *b == b'\n').count() as u64;
        backlog.queue(out, Bytes::from(reply), lines);
    }
}

/// Runs slow work off the world lock, then finishes it under the lock.
async fn run_deferred(
    shared: &Arc<Shared>,
    client: &mut Client,
    out: &Outbound,
    backlog: &mut Backlog,
    job: Deferred,
) {
    let finish: Box<dyn FnOnce(&mut Ctx<'_>) + Send> = match job {
        Deferred::OperCheck {
            name,
            password,
            hash,
        } => {
            let ok = shared
                .run_slow(move || crate::accounts::verify_password(&password, &hash))
                .await;
            Box::new(move |ctx| operators::oper_checked(ctx, &name, ok))
        }
        Deferred::Rehash => {
            let path = shared.world.lock().config.path.clone();
            let s = shared.clone();
            let result = tokio::task::spawn_blocking(move || s.reload(path))
                .await
                .unwrap_or_else(|e| {
                    Err(crate::config::ConfigError {
                        file: None,
                        line: None,
                        key: None,
                        message: format!("reload failed: {e}"),
                    })
                });
            if result.is_ok() {
                crate::link::session::start_autoconnects(shared);
            }
            // Accounts changed with `natter account` while running.
            let store = shared.world.lock().accounts.store();
            let accounts = shared.run_slow(move || store.accounts()).await;
            Box::new(move |ctx| {
                match accounts {
                    Ok(records) => ctx.world.accounts.reload(records),
                    Err(e) => tracing::warn!(error = %e, "REHASH: reading accounts failed"),
                }
                operators::rehashed(ctx, result)
            })
        }
        Deferred::CheckPassword {
            account,
            password,
            hash,
            via,
        } => {
            let ok = shared
                .run_slow(move || crate::accounts::verify_password(&password, &hash))
                .await;
            if !ok {
                // Slowed down: the answer to a repeated failure waits.
                let delay = {
                    let mut world = shared.world.lock();
                    let mut ctx = Ctx {
                        world: &mut world,
                        client,
                        out: String::new(),
                    };
                    irc::account::login_failed(&mut ctx, &account)
                };
                if !delay.is_zero() {
                    tokio::time::sleep(delay).await;
                }
            }
            Box::new(move |ctx| irc::account::password_checked(ctx, &account, ok, via))
        }
        Deferred::Slow(jobs) => {
            let finishes = shared
                .run_slow(move || jobs.into_iter().map(irc::SlowJob::run).collect::<Vec<_>>())
                .await;
            Box::new(move |ctx| {
                for finish in finishes {
                    finish(ctx);
                }
            })
        }
        Deferred::Disk(job) => tokio::task::spawn_blocking(move || job.run())
            .await
            .unwrap_or_else(|_| Box::new(|_ctx| {})),
        Deferred::Connect(block) => {
            let s = shared.clone();
            tokio::spawn(async move {
                let name = block.name.clone();
                if let Err(reason) = crate::link::session::connect(&s, block).await {
                    tracing::warn!(peer = name, reason, "CONNECT: link down");
                }
            });
            Box::new(|_ctx| {})
        }
    };
    let mut world = shared.world.lock();
    // Gone meanwhile (killed, or quit before registering).
    let gone = match client.registered {
        true => world.net.user(client.id).is_none(),
        false => !world.conns.contains_key(&client.id),
    };
    if gone {
        return;
    }
    let mut ctx = Ctx {
        world: &mut world,
        client,
        out: String::new(),
    };
    finish(&mut ctx);
    queue_reply(out, backlog, ctx.take_reply());
    note_status(&world, client);
}
