//! What a connection does with the lines it reads: each framed line
//! waits for the client's flood bucket, then goes to its front end
//! ([`crate::frontends::handle_frame`]) under the world lock, its replies
//! queued as one buffer; slow work a handler leaves ([`Deferred`]) runs
//! off the lock before the next line. Called by the connection task in
//! `conn/mod.rs` only.

use std::collections::VecDeque;
use std::sync::Arc;

use bytes::Bytes;
use natter_proto::{Frame, Framer};

use super::{feed_backlog, flush_queue};
use crate::flood::{ChangeRates, Limiter, Policy};
use crate::outbound::{Backlog, Outbound};
use crate::server::Shared;
use crate::session::{Client, Ctx, Deferred, Finish, SlowJob};
use crate::transport::{Socket, Transport};

/// What [`handle_input`] works through: the framed lines, the flood
/// bucket they wait for, and the large reply they wait behind.
pub(super) struct Lines<'a> {
    pub(super) framer: &'a mut Framer,
    pub(super) limiter: &'a mut Limiter,
    pub(super) backlog: &'a mut Backlog,
}

/// How far [`handle_input`] got.
pub(super) enum Handled {
    /// The lines ran out (`None`), or the flood bucket is empty until the
    /// instant given; the replies are sent.
    Paused(Option<std::time::Instant>),
    /// A line left slow work to run off the world lock; the lines after it
    /// wait for it ([`handle_deferred`]).
    Deferred(DeferredLine),
}

/// A handled line whose slow work is still to run.
pub(super) struct DeferredLine {
    job: Box<Deferred>,
    /// The line was IM file data, charged to the flood bucket after it is
    /// handled (unless it moved bytes).
    data: bool,
}

/// Handles the framed lines the client's flood bucket lets through, then
/// sends the replies, until the lines run out, the bucket is empty, or a
/// line leaves slow work (see [`Handled`]). Not async, so that what it
/// keeps is not part of every idle connection's task. Errors: the reason
/// to end the connection with (the client quit, or the queue closed).
pub(super) fn handle_input<S: Socket>(
    shared: &Arc<Shared>,
    client: &mut Client,
    stream: &mut Transport<S>,
    out: &Outbound,
    pending: &mut VecDeque<Bytes>,
    lines: &mut Lines<'_>,
) -> Result<Handled, String> {
    let mut wait = None;
    while lines.framer.has_frame() && lines.backlog.is_empty() {
        // Closed meanwhile (KILL, SendQ): the doorbell ends the
        // connection; the rest is not handled.
        if out.is_closed() {
            break;
        }
        // IM file data is charged after it is handled, unless it moved bytes.
        let data = lines
            .framer
            .peek()
            .is_some_and(|f| crate::frontends::is_data(client, f));
        if let Some(Err(at)) = (!data).then(|| lines.limiter.take()) {
            wait = Some(at);
            break;
        }
        let frame = lines.framer.next_frame().expect("has a frame");
        handle_frame(shared, client, out, lines.backlog, frame);
        if let Some(job) = client.deferred.take() {
            return Ok(Handled::Deferred(DeferredLine { job, data }));
        }
        wait = after_line(shared, client, out, lines.limiter, data)?;
        if wait.is_some() {
            break;
        }
    }
    send_replies(client, stream, out, pending, lines.backlog)?;
    Ok(Handled::Paused(wait))
}

/// Runs a line's slow work, then handles the lines after it as
/// [`handle_input`] does, and any slow work they leave likewise.
pub(super) async fn handle_deferred<S: Socket>(
    shared: &Arc<Shared>,
    client: &mut Client,
    stream: &mut Transport<S>,
    out: &Outbound,
    pending: &mut VecDeque<Bytes>,
    mut lines: Lines<'_>,
    mut line: DeferredLine,
) -> Result<Option<std::time::Instant>, String> {
    loop {
        run_deferred(shared, client, out, lines.backlog, *line.job).await;
        if let Some(at) = after_line(shared, client, out, lines.limiter, line.data)? {
            send_replies(client, stream, out, pending, lines.backlog)?;
            return Ok(Some(at));
        }
        match handle_input(shared, client, stream, out, pending, &mut lines)? {
            Handled::Paused(wait) => return Ok(wait),
            Handled::Deferred(next) => line = next,
        }
    }
}

/// What follows a handled line: the connection ends if the client quit,
/// its connect class is looked up again if it changed, and IM file data
/// that moved nothing takes its token. Returns when the next line may go
/// if the bucket is now empty. Errors: the quit reason.
fn after_line(
    shared: &Shared,
    client: &mut Client,
    out: &Outbound,
    limiter: &mut Limiter,
    data: bool,
) -> Result<Option<std::time::Instant>, String> {
    if let Some(reason) = &client.quit {
        return Err(reason.to_string());
    }
    if std::mem::take(&mut client.reclass) {
        reclass(shared, client, out, limiter);
    }
    let charge = data && !std::mem::take(&mut client.moved_data);
    Ok(charge.then(|| limiter.take()).and_then(Result::err))
}

/// Sends the replies in the same wake-up as the input that caused them,
/// and feeds a large reply as far as the socket takes it.
fn send_replies<S: Socket>(
    client: &Client,
    stream: &mut Transport<S>,
    out: &Outbound,
    pending: &mut VecDeque<Bytes>,
    backlog: &mut Backlog,
) -> Result<(), String> {
    if out.take_ring() {
        flush_queue(client, stream, out, pending)?;
    }
    feed_backlog(client, stream, out, pending, backlog)
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
    if policy.sendq != limiter.sendq {
        out.set_limit(policy.sendq);
    }
    if policy.exempt != limiter.exempt() {
        client.change_rates = ChangeRates::new(&shared.world.lock().config, &policy);
    }
    limiter.reclass(policy);
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
    crate::frontends::handle_frame(&mut ctx, frame);
    queue_reply(out, backlog, crate::frontends::take_reply(&mut ctx));
    note_status(&world, client);
    drop(world);
    shared.metrics.world_held(locked.elapsed());
}

/// Marks the client for a new look at its connect class when it logged
/// in or out or opered up or down since the last look.
fn note_status(world: &crate::World, client: &mut Client) {
    if let Some(u) = world.net.user(client.id) {
        if u.modes.oper != client.seen_oper
            || u.account.as_deref() != client.seen_account.as_deref()
        {
            client.seen_oper = u.modes.oper;
            client.seen_account = u.account.as_deref().map(Box::from);
            client.reclass = true;
        }
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

/// Checks `password` against the argon2 `hash` on the slow pool.
async fn verify_password(shared: &Shared, password: String, hash: String) -> bool {
    shared
        .run_slow(move || crate::accounts::verify_password(&password, &hash))
        .await
}

/// Runs slow work off the world lock, then finishes it under the lock.
async fn run_deferred(
    shared: &Arc<Shared>,
    client: &mut Client,
    out: &Outbound,
    backlog: &mut Backlog,
    job: Deferred,
) {
    let mut rehash = false;
    let finish: Finish = match job {
        Deferred::Verify {
            password,
            hash,
            login,
            then,
        } => {
            let ok = verify_password(shared, password, hash).await;
            if let (false, Some(account)) = (ok, &login) {
                // Slowed down: the answer to a repeated failure waits.
                let delay = shared.world.lock().login_failures.login_failed(
                    client.addr.ip(),
                    account,
                    crate::world::now(),
                );
                if !delay.is_zero() {
                    tokio::time::sleep(delay).await;
                }
            }
            Box::new(move |ctx| then(ctx, ok))
        }
        Deferred::Rehash(then) => {
            let rehashed = shared.rehash().await;
            rehash = rehashed.config.is_ok();
            Box::new(move |ctx| {
                let config = rehashed.apply(ctx.world);
                then(ctx, config)
            })
        }
        Deferred::Slow(jobs) => {
            let finishes = shared
                .run_slow(move || jobs.into_iter().map(SlowJob::run).collect::<Vec<_>>())
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
            shared.connect_link(block);
            Box::new(|_ctx| {})
        }
    };
    let mut world = shared.world.lock();
    // Killed meanwhile: its user is gone, and handlers rely on it. (An
    // unregistered client is always still here: its world entry lasts
    // until this task ends.) Known gap: what the slow work already wrote
    // to the store stays, and the world learns of it only at a REHASH or
    // a restart (a finish would need a world effect that runs anyway).
    if client.registered && world.net.user(client.id).is_none() {
        return;
    }
    let mut ctx = Ctx {
        world: &mut world,
        client,
        out: String::new(),
    };
    finish(&mut ctx);
    queue_reply(out, backlog, crate::frontends::take_reply(&mut ctx));
    note_status(&world, client);
    drop(world);
    // Autoconnects read the configuration the finish installed (a new
    // `[[link]]` block with `autoconnect` starts now).
    if rehash {
        shared.start_autoconnects();
    }
}
