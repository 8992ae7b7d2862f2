//! Each event loop's flusher: deliveries to the loop's idle connections
//! are written by one task per loop, not by a wake-up of each recipient's
//! task.
//!
//! In a channel of ten a message is nine deliveries. Waking nine
//! connection tasks to write one line each cost more user-space CPU than
//! the writes' bookkeeping itself (scheduling, polling each task's
//! future, its readiness checks): in the rooms benchmark natter spent
//! more per delivery there than InspIRCd and ircd-hybrid, which append to
//! the recipient's buffer and write it from their one loop
//! (docs/performance.md). So a delivery ([`deliver`]) to a connection on
//! the delivering thread's own loop whose task waits with nothing of its
//! own to write ([`Outbound::is_direct`]) does not ring its doorbell: the
//! queue is noted in the loop's dirty list, and the loop's flusher, woken
//! once for the whole list, later writes each noted queue to its socket
//! by descriptor, through the same write path as the task
//! ([`crate::transport::write_plain`]). Lines queued by several messages
//! before the flusher runs share one write, as they did when the tasks
//! ran after their senders.
//!
//! Why writing by descriptor is safe: the flusher and the connection's
//! task run on one thread, so the task cannot wake (and close its socket)
//! while the flusher writes; the flusher writes only while the task waits
//! idle, a state the task leaves, on this thread, before it does anything
//! else. When the socket does not take everything (or fails), the rest
//! goes back to the front of the queue and the doorbell rings: the task
//! writes it, and waits for the socket as always. TLS connections, whose
//! bytes must go through their session, and deliveries from another loop
//! ring the doorbell as before.
//!
//! Only the event loops (`crate::event_loops`) run a flusher; a thread
//! that is not a loop never takes this path. Nothing here touches the
//! world.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::future::poll_fn;
use std::io::{self, IoSlice};
use std::os::fd::{BorrowedFd, RawFd};
use std::sync::Arc;
use std::task::{Poll, Waker};

use bytes::Bytes;

use crate::outbound::{Outbound, Pushed};
use crate::transport::{write_plain, SocketWrite};

/// No event loop: a thread that is not one, or a connection no flusher
/// may write.
pub(crate) const NO_LOOP: u8 = u8::MAX;

/// An event loop's dirty list and its flusher's waker.
#[derive(Default)]
struct Dirty {
    /// Queues to write, each with its socket's descriptor.
    queues: Vec<(Arc<Outbound>, RawFd)>,
    /// The flusher, while it waits for a list.
    waker: Option<Waker>,
    /// Whether this loop's flusher runs: until it starts, and if it ever
    /// ended, deliveries ring the doorbell as before.
    running: bool,
}

/// Scratch capacity kept between lists; more is given back (one stalled
/// client with a large SendQ must not leave the loop holding its size).
const KEEP: usize = 1024;

thread_local! {
    /// This thread's event loop (from 0), or [`NO_LOOP`].
    static LOOP: Cell<u8> = const { Cell::new(NO_LOOP) };
    /// This loop's dirty list.
    static DIRTY: RefCell<Dirty> = RefCell::default();
}

/// Marks this thread as event loop `index` (the loop's thread calls it
/// once, before it runs anything). Loops past 254 are never given a
/// queue: their deliveries ring the doorbell as before.
pub(crate) fn enter_loop(index: usize) {
    LOOP.set(u8::try_from(index).unwrap_or(NO_LOOP));
}

/// This thread's event loop, or [`NO_LOOP`]: a connection admitted here
/// records it as its home.
pub(crate) fn current_loop() -> u8 {
    LOOP.get()
}

/// Queues `line` (one line, with its CRLF) for a connection whose socket
/// the flusher may write by descriptor `fd` when it is idle on its `home`
/// loop (`fd` is -1 for TLS). Returns false when the queue refused it,
/// as [`Outbound::push`] does.
pub(crate) fn deliver(out: &Arc<Outbound>, home: u8, fd: RawFd, line: Bytes) -> bool {
    let pushed = out.push_quiet(line, 1);
    if pushed == Pushed::First {
        let ours = fd >= 0 && home != NO_LOOP && home == LOOP.get() && out.is_direct();
        if !(ours && list(out, fd)) {
            out.ring();
        }
    }
    pushed != Pushed::Refused
}

/// Puts `out` on this loop's dirty list and wakes the flusher. Returns
/// false when the loop's flusher does not run (the caller rings instead).
fn list(out: &Arc<Outbound>, fd: RawFd) -> bool {
    DIRTY.with_borrow_mut(|dirty| {
        if !dirty.running {
            return false;
        }
        dirty.queues.push((out.clone(), fd));
        if let Some(waker) = dirty.waker.take() {
            waker.wake();
        }
        true
    })
}

/// The flusher of the loop it runs on: waits for a dirty list and writes
/// it, forever. Spawned once on each event loop.
pub(crate) async fn run() {
    let _running = Running::start();
    let mut batch: Vec<(Arc<Outbound>, RawFd)> = Vec::new();
    let mut lines: VecDeque<Bytes> = VecDeque::new();
    loop {
        poll_fn(|cx| {
            DIRTY.with_borrow_mut(|dirty| {
                if dirty.queues.is_empty() {
                    dirty.waker = Some(cx.waker().clone());
                    Poll::Pending
                } else {
                    std::mem::swap(&mut dirty.queues, &mut batch);
                    Poll::Ready(())
                }
            })
        })
        .await;
        for (out, fd) in batch.drain(..) {
            flush(&out, fd, &mut lines);
        }
        if batch.capacity() > KEEP {
            batch = Vec::new();
        }
        if lines.capacity() > KEEP {
            lines = VecDeque::new();
        }
    }
}

/// Marks the loop's flusher as running while it lives. Should it ever
/// end (the runtime dropping it at shutdown, or a bug's panic), the
/// queues it was given ring their tasks and later deliveries ring too, so
/// that nothing waits for a flusher that is gone.
struct Running;

impl Running {
    fn start() -> Running {
        DIRTY.with_borrow_mut(|dirty| dirty.running = true);
        Running
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        // At thread exit the list may already be gone: nothing to ring then.
        let left = DIRTY
            .try_with(|dirty| {
                let mut dirty = dirty.borrow_mut();
                dirty.running = false;
                std::mem::take(&mut dirty.queues)
            })
            .unwrap_or_default();
        for (out, _) in left {
            out.ring();
        }
    }
}

/// Writes what `out` holds to descriptor `fd` if its task still waits
/// idle; otherwise, or for whatever the socket does not take, rings the
/// task's doorbell. `lines` is scratch, empty before and after.
fn flush(out: &Outbound, fd: RawFd, lines: &mut VecDeque<Bytes>) {
    // The task woke since the line was queued (input, a deadline), or has
    // its own to write: it takes the queue itself once rung.
    if !out.is_direct() {
        out.ring();
        return;
    }
    if out.drain_lines(lines).is_some() {
        // Closed: the task ends the connection and sends what is left.
        out.put_back(lines);
        out.ring();
        return;
    }
    if lines.is_empty() {
        return;
    }
    // SAFETY: the descriptor is open: the task that owns its socket waits
    // (see the module doc) and closes it only after it woke, on this
    // thread, which then is not in here.
    let socket = Descriptor(unsafe { BorrowedFd::borrow_raw(fd) });
    let result = write_plain(&socket, out, lines);
    if result.is_err() || !lines.is_empty() {
        // The task writes the rest, or meets the error, and waits for the
        // socket as usual.
        out.put_back(lines);
        out.ring();
    }
}

/// An idle connection's socket, written by descriptor.
struct Descriptor<'a>(BorrowedFd<'a>);

impl SocketWrite for Descriptor<'_> {
    fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        socket2::SockRef::from(&self.0).send(buf)
    }
    fn try_write_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        socket2::SockRef::from(&self.0).send_vectored(bufs)
    }
}
