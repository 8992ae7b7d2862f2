//! One client connection, served by one task: it frames input lines and
//! hands them to their front end (`crate::frontends::handle_frame`),
//! enforces the registration and ping timeouts, and drains the client's
//! [`Outbound`] queue into the socket with non-blocking writes, every
//! queued line coalesced into one write. While
//! the task waits with nothing of its own to write, its event loop's
//! flusher may write deliveries to the socket instead (`crate::flusher`).
//! `admit` decides, before anything else, whether it is served at all;
//! `input` handles the lines it reads.
//!
//! The task of every idle client is the future [`serve`] returns, so its
//! size is memory per client: rare paths that wait (a refusal, a
//! handler's slow work) are boxed, and nothing is kept across the wait
//! that can be read again when needed.

mod admit;
mod input;

use admit::{admit, refuse};
use input::{handle_deferred, handle_input, Handled, Lines};

use std::collections::VecDeque;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use bytes::Bytes;
use natter_model::{Event, Frontend};
use natter_proto::{write_line, Framer};
use tokio::time::{Instant, Sleep};

use crate::flood::{Limiter, EXCESS_FLOOD};
use crate::outbound::{Backlog, Closed, Outbound};
use crate::server::Shared;
use crate::session::Client;
use crate::transport::{Input, Socket, Transport};
use crate::world::now;

/// Longest line accepted: 8191 bytes of tags plus 512 of message
/// (IRCv3 message-tags; RFC 1459 2.3).
pub(crate) const MAX_LINE: usize = 8191 + 512;

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
    // The client's state is made here rather than in the task, so that
    // its address is kept once (in the client), not also as the task's
    // argument. And an `async move` block rather than an `async fn`: the
    // arguments are then kept once in the task, not twice (an async fn
    // copies them into locals), and so is `admitted` below. The task of
    // every idle client is this future, so its size is memory per client.
    let id = shared.next_id.fetch_add(1, Ordering::Relaxed);
    let mut client = Client::new(id, addr, frontend);
    async move {
        shared.metrics.accepted(client.frontend, stream.kind());
        // Matched as it is made: a named result would be kept for the
        // connection's life.
        let (needs_pass, out, policy, rates) =
            match admit(&shared, &stream, client.addr, client.frontend, client.id) {
                Ok(admitted) => admitted,
                // Boxed, as every rare path that waits: a task is as large as
                // its largest wait, and that is memory per idle client.
                Err(reason) => {
                    let refusal = refuse(&shared, stream, client.addr, client.frontend, &reason);
                    return Box::pin(refusal).await;
                }
            };
        // The IM protocol has no PASS: the server password guards IRC only.
        client.pass_ok = !(needs_pass && client.frontend == Frontend::Irc);
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

        let (rest, grace) = wind_down(&shared, &client, &out, &mut pending, reason);
        // Boxed: a connection closes once, and its task must not be
        // sized for it.
        Box::pin(stream.finish(rest, grace)).await;
    }
}

/// Ends a connection's part in the world (its user quits, its nick and
/// address are released) and returns what is left to send, with how long
/// a slow reader may take it: the lines still queued and the closing line
/// (only the closing line, best effort, for a client cut off for not
/// reading).
fn wind_down(
    shared: &Shared,
    client: &Client,
    out: &Outbound,
    pending: &mut VecDeque<Bytes>,
    reason: String,
) -> (Vec<u8>, Duration) {
    let id = client.id;
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
        w.admission.release(client.addr.ip(), &config.connections);
    }
    // An IM client's GOODBYE needs no answer; anything else is explained.
    let last = (client.frontend == Frontend::Irc || reason != "Goodbye")
        .then(|| crate::frontends::closing_line(client.frontend, &client.host, &reason));
    // Send what is still queued, then the closing line, then close. A client
    // cut off for not reading gets only a best-effort try at the ERROR line.
    let closed_by = out.closed();
    let class =
        crate::metrics::Disconnect::classify(closed_by.as_ref(), client.quit.is_some(), &reason);
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
    (rest, grace)
}

/// Runs the connection until it should end and returns the quit reason.
///
/// One task does everything, with non-blocking reads and writes: it waits
/// for input, for the queue's doorbell (lines are taken into `pending`,
/// and one write carries every queued line: see `transport`), for the
/// socket to take more of `pending`, and for its registration or
/// keepalive deadline (armed in the queue, where the server's one keeper
/// of deadlines, `crate::deadlines`, finds it and rings when it passes).
/// While it waits idle, deliveries from its own loop are written by the
/// loop's flusher, which rings the doorbell for what the socket does not
/// take (`crate::flusher`). A client that does not read only stops its
/// own writes; its queue overflows and aborts it.
///
/// Like [`serve`], a function returning an `async move` block: an async
/// fn would keep its six references twice. What lives across the wait
/// below is memory per idle client, so the timeouts are read from the
/// configuration when they are needed (at a deadline and at
/// registration, so REHASH applies from then on) rather than kept.
#[allow(clippy::manual_async_fn)]
fn drive<'a, S: Socket>(
    shared: &'a Arc<Shared>,
    client: &'a mut Client,
    stream: &'a mut Transport<S>,
    out: &'a Outbound,
    pending: &'a mut VecDeque<Bytes>,
    limiter: &'a mut Limiter,
) -> impl Future<Output = String> + Send + 'a {
    async move {
        let mut framer = Framer::new(MAX_LINE);
        let mut last_rx = Instant::now();
        // A PING went out (when the ping interval after `last_rx` ended)
        // and nothing was read since.
        let mut ping_sent = false;
        // The deadline armed in the queue (`crate::deadlines`): the
        // registration deadline, then the next PING's or the ping timeout.
        // Input moves the real deadline but not the armed one: when that
        // fires early it is armed again, once per ping interval at most.
        let registration = shared.world.lock().config.timeouts.registration();
        shared
            .deadlines
            .arm(out, registration_deadline(client, registration));
        // Registration ends the registration deadline; the ping interval,
        // possibly shorter, starts from there.
        let mut timing_registered = false;
        // Lines wait in the framer for the flood bucket until this fires: a
        // timer of its own, boxed and made only while the client is held
        // back (fakelag), so that an idle client's task has none.
        let mut resume: Option<Pin<Box<Sleep>>> = None;
        // The peer finished sending; lines may still wait for the bucket.
        let mut input_closed = false;
        // A large reply of the client's own, fed as it reads; input waits.
        let mut backlog = Backlog::default();
        'conn: loop {
            // The IM protocol has no keepalive: once registered, an IM client
            // has no deadline (the periodic ONLINE_USERS writes find dead peers).
            let keepalive = client.frontend == Frontend::Irc || !client.registered;
            // While a reply is fed, input stays in the socket: the client
            // reads before it is heard again.
            let reading = !input_closed && backlog.is_empty();
            // The loop's flusher may write deliveries to the socket while
            // the task waits with nothing of its own to write: a large
            // reply still being fed is its own, and the flusher, which
            // rings nobody when the socket takes everything, would leave
            // the rest of it waiting for the next deadline.
            // Not on TLS, whose bytes go through the session.
            let may_flush = backlog.is_empty() && stream.direct_fd().is_some();
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
                let resume = resume.as_mut().map(|sleep| sleep.as_mut());
                let wake = poll_wake(cx, out, stream, pending, resume, reading);
                if wake.is_ready() {
                    coop.made_progress();
                    // Awake now: lines this task queues itself must not
                    // schedule it again; it flushes them below before it
                    // waits. The loop's flusher leaves its socket alone.
                    out.mute();
                } else {
                    out.park(may_flush && pending.is_empty());
                }
                wake
            });
            let mut read = false;
            // Matched as it is awaited, so that it is not kept across the
            // wait for a deferred line below.
            match wake.await {
                Wake::Rung => {
                    if let Err(reason) = flush_queue(client, stream, out, pending) {
                        break 'conn reason;
                    }
                }
                Wake::Writable(ready) => {
                    if ready.is_err() {
                        break 'conn "Connection closed".into();
                    }
                    if let Err(reason) = stream.write_pending(out, pending) {
                        break 'conn reason;
                    }
                }
                Wake::Readable(ready) => {
                    if ready.is_err() {
                        break 'conn "Connection closed".into();
                    }
                    // A TLS read may bring the last lines and the close
                    // together: the lines are handled first.
                    input_closed = match stream.read_some(&mut framer) {
                        Ok(Input::Closed) => true,
                        Ok(Input::Data) => false,
                        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
                        Err(e) if e.kind() == std::io::ErrorKind::InvalidData => {
                            break 'conn format!("TLS error: {e}")
                        }
                        Err(e) => break 'conn format!("Read error: {e}"),
                    };
                    if let Some(certfp) = stream.handshake_done() {
                        if let Some(conn) = shared.world.lock().conns.get_mut(&client.id) {
                            conn.certfp = certfp.map(Box::from);
                        }
                    }
                    last_rx = Instant::now();
                    ping_sent = false;
                    read = true;
                }
                Wake::Resume => resume = None,
                Wake::Due => {
                    // Whatever REHASH set applies from here on.
                    let timeouts = shared.world.lock().config.timeouts.clone();
                    let deadline = if !client.registered {
                        registration_deadline(client, timeouts.registration())
                    } else if ping_sent {
                        last_rx + timeouts.ping_interval() + timeouts.ping_timeout()
                    } else {
                        last_rx + timeouts.ping_interval()
                    };
                    let now = Instant::now();
                    let mut next = deadline;
                    if keepalive && deadline <= now {
                        if !client.registered {
                            break 'conn "Registration timed out".into();
                        }
                        if ping_sent {
                            break 'conn format!(
                                "Ping timeout: {} seconds",
                                (now - last_rx).as_secs()
                            );
                        }
                        let mut line = String::new();
                        let server = shared.world.lock().config.server.name.clone();
                        write_line(&mut line, None, None, "PING", &[&server]);
                        out.push(Bytes::from(line));
                        ping_sent = true;
                        next = now + timeouts.ping_timeout();
                        // Quiet for a ping interval: the PING goes out
                        // now, and the buffers it leaves are given back.
                        if let Err(reason) = flush_queue(client, stream, out, pending) {
                            break 'conn reason;
                        }
                        give_back(out, pending);
                    }
                    // The deadline that fired was disarmed; an IM client
                    // that registered needs no other.
                    if keepalive {
                        shared.deadlines.arm(out, next);
                    }
                }
            }
            // Feed a large reply as the socket takes it.
            if !backlog.is_empty() {
                if let Err(reason) = feed_backlog(client, stream, out, pending, &mut backlog) {
                    break 'conn reason;
                }
            }
            // Lines wait for the flood bucket (until `resume`) and for a large
            // reply to be fed; then they are handled.
            if resume
                .as_ref()
                .is_some_and(|sleep| sleep.deadline() <= Instant::now())
            {
                resume = None;
            }
            if resume.is_none() && backlog.is_empty() && framer.has_frame() {
                let mut lines = Lines {
                    framer: &mut framer,
                    limiter,
                    backlog: &mut backlog,
                };
                // Only the line with slow work is kept across its wait.
                let deferred = match handle_input(shared, client, stream, out, pending, &mut lines)
                {
                    Ok(Handled::Paused(wait)) => {
                        resume = wait.map(pause);
                        None
                    }
                    Ok(Handled::Deferred(line)) => Some(line),
                    Err(reason) => break 'conn reason,
                };
                if let Some(line) = deferred {
                    // Boxed, and made before it is awaited: the rare slow
                    // path must not grow every connection's task.
                    let job = Box::pin(handle_deferred(
                        shared, client, stream, out, pending, lines, line,
                    ));
                    match job.await {
                        Ok(wait) => resume = wait.map(pause),
                        Err(reason) => break 'conn reason,
                    }
                }
            }
            if limiter.over_recvq(framer.buffered()) {
                break 'conn EXCESS_FLOOD.into();
            }
            // A client that stopped sending still gets the rest of its lines
            // handled and its large reply fed before the connection ends.
            if input_closed && !framer.has_frame() && backlog.is_empty() {
                break 'conn "Connection closed".into();
            }
            if read {
                framer.shrink();
            }
            if client.registered && !timing_registered {
                timing_registered = true;
                // The registration burst is sent: most clients now idle.
                give_back(out, pending);
                if client.frontend == Frontend::Irc {
                    // A ping interval shorter than what was left of the
                    // registration timeout: the first PING is due sooner.
                    let at = last_rx + shared.world.lock().config.timeouts.ping_interval();
                    shared.deadlines.arm_earlier(out, at);
                } else {
                    out.disarm();
                }
            }
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

/// The timer of a fakelag pause until `at`, boxed: only a client held
/// back has one.
fn pause(at: std::time::Instant) -> Pin<Box<Sleep>> {
    Box::pin(tokio::time::sleep_until(at.into()))
}

/// When a client that has not registered within `timeout` is dropped.
fn registration_deadline(client: &Client, timeout: Duration) -> Instant {
    Instant::from_std(client.connected_at) + timeout
}

/// Frees the buffers of `pending` and of the queue if both are empty:
/// memory per idle client.
fn give_back(out: &Outbound, pending: &mut VecDeque<Bytes>) {
    if pending.is_empty() {
        *pending = VecDeque::new();
        out.give_back();
    }
}

/// Takes the queued lines into `pending` and writes what the socket takes
/// now (usually all, in one write). Errors: the reason to end the
/// connection with, when the queue was closed or the write failed.
fn flush_queue<S: Socket>(
    client: &Client,
    stream: &mut Transport<S>,
    out: &Outbound,
    pending: &mut VecDeque<Bytes>,
) -> Result<(), String> {
    match out.take_lines(pending) {
        None => {}
        Some(Closed::Abort(reason)) => return Err(*reason),
        Some(Closed::Shutdown) => return Err("Server shutting down".into()),
        Some(Closed::Graceful) => {
            return Err(client
                .quit
                .as_deref()
                .map_or_else(|| "Connection closed".into(), String::from))
        }
    }
    stream.write_pending(out, pending)
}

/// What, if anything, should wake the connection's task now, in order of
/// priority: the doorbell, the socket taking more of `pending`, input
/// (only while `reading`), the connection's deadline (fired by the
/// keeper, `crate::deadlines`), the end of a fakelag pause. Registers the task's
/// waker with every source it checks.
fn poll_wake<S: Socket>(
    cx: &mut std::task::Context<'_>,
    out: &Outbound,
    stream: &Transport<S>,
    pending: &VecDeque<Bytes>,
    resume: Option<Pin<&mut Sleep>>,
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
    // After `poll_rung` registered the waker: a deadline that passes from
    // here on wakes the task again.
    if out.take_due() {
        return Poll::Ready(Wake::Due);
    }
    if resume.is_some_and(|sleep| sleep.poll(cx).is_ready()) {
        return Poll::Ready(Wake::Resume);
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
    /// The registration or keepalive deadline armed in the queue passed.
    Due,
    /// A fakelag pause ended: the next line may be handled.
    Resume,
}

#[cfg(test)]
mod tests {
    /// Size of what `f` returns, without calling it.
    fn returned_size<A, B, C, D, R>(_: impl FnOnce(A, B, C, D) -> R) -> usize {
        std::mem::size_of::<R>()
    }

    /// The task of every idle client is this future in tokio's task cell
    /// (with its header, scheduler handle, id, task tracker and trailer,
    /// aligned to 128 bytes): up to 648 bytes of future the cell is 768
    /// bytes (`-Zprint-type-sizes`), and 896 from 649 to 776. mimalloc
    /// puts a 768-byte cell with 128-byte alignment in its 896-byte blocks
    /// and an 896-byte one in its 1,024-byte blocks, so one byte over 648
    /// costs 128 bytes per client. (It is 632 in release and 640 in debug,
    /// since the deadlines left the task for `crate::deadlines`.)
    #[test]
    fn an_idle_connection_task_stays_in_its_size_class() {
        let size = returned_size(super::serve::<tokio::net::TcpStream>);
        assert!(
            size <= 648,
            "the connection future is {size} bytes: see the comment above"
        );
    }
}
