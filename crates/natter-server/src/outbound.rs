//! A client's outbound queue (its SendQ): lines waiting to be written,
//! bounded in bytes.
//!
//! Anyone may push (under the world lock, never awaiting); only the
//! connection's task drains, or, while the task waits with nothing of its
//! own to write, its event loop's flusher (`crate::flusher`). The task
//! waits on one doorbell that rings when the first line lands in an empty
//! queue (unless the flusher takes it: then the flusher rings for what
//! the socket does not take), or the queue closes: a single-waiter
//! [`AtomicWaker`], so that waking a connection for a delivery costs an
//! atomic swap, not a waiter list under a lock. Lines are [`Bytes`], so a
//! channel message rendered once is shared by every recipient's queue
//! without copying.
//! Past the byte limit the queue is discarded and the client is cut off
//! with "SendQ exceeded": one stalled reader never holds up anyone else.
//!
//! The queue's lock is a spin lock: it is taken once per delivery, and
//! every holder keeps it only for a push, a swap or a count (lines and
//! buffers a holder lets go are dropped after it releases the lock), so
//! it is released with a plain store rather than parking_lot's
//! compare-exchange. In the fan-out benchmark's profile that halved
//! `push_lines` (docs/performance.md). A waiter that finds it held
//! yields its thread rather than spin: a holder on another event loop
//! may have been preempted.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::task::{Context, Poll};

use atomic_waker::AtomicWaker;
use bytes::Bytes;
/// The queue's lock (see the module's doc).
type Mutex<T> = spin::mutex::SpinMutex<T, spin::relax::Yield>;

/// Why a queue stopped taking lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Closed {
    /// Orderly close: the writer sends what is queued, then closes.
    Graceful,
    /// Drop everything now, with this reason (e.g. "SendQ exceeded").
    /// A `Box<String>` is one pointer, so that an `Option<Closed>` is 16
    /// bytes: every connection's queue holds one.
    #[allow(clippy::box_collection)]
    Abort(Box<String>),
    /// The server is shutting down: the writer sends what is queued and
    /// its own ERROR line, then closes.
    Shutdown,
}

/// Every connection has a queue, so its fields are as small as they can
/// be: the byte counts are u32 (a SendQ is capped at 4 GiB, see
/// [`bytes32`]) and `closed` is 16 bytes, so that an [`Outbound`] is 112
/// bytes, 128 in its `Arc` (an allocator size class; 136 would take 160).
#[derive(Debug, Default)]
struct Inner {
    lines: VecDeque<Bytes>,
    closed: Option<Closed>,
    /// Lines queued since the connection opened (STATS l).
    lines_queued: u64,
    /// Bytes written to the socket since the connection opened (STATS l).
    written: u64,
    /// Bytes queued (and taken but not yet written).
    bytes: u32,
    /// The SendQ: most bytes queued at once.
    limit: u32,
}

impl Inner {
    /// Closes with `reason` and returns every queued line, to be dropped
    /// once the lock is released.
    #[must_use = "the lines are dropped after the lock is released"]
    fn abort(&mut self, reason: &str) -> VecDeque<Bytes> {
        self.bytes = 0;
        self.closed = Some(Closed::Abort(Box::new(reason.into())));
        std::mem::take(&mut self.lines)
    }
}

/// `n` bytes as a queue counts them: up to 4 GiB (`u32::MAX`), more is
/// counted as that.
fn bytes32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// What [`Outbound::push_quiet`] did with a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pushed {
    /// The queue is closed, or the line overflowed it (which aborted it).
    Refused,
    /// Queued behind other lines: the task or the flusher already knows.
    Queued,
    /// Queued as the only line, and nobody told yet.
    First,
}

/// The queue. Shared as `Arc<Outbound>` by the connection's task and the world.
#[derive(Debug)]
pub struct Outbound {
    inner: Mutex<Inner>,
    /// Set with the doorbell's ring; cleared by the one waiter.
    rung: AtomicBool,
    /// Set when the connection's deadline passed ([`crate::deadlines`]),
    /// with a ring of the doorbell's waker; cleared by the one waiter.
    due: AtomicBool,
    /// The connection's deadline, in the keeper's ticks (0: none). Four
    /// bytes that were padding: the queue is still 112 bytes.
    deadline: AtomicU32,
    /// Set while the connection's task waits with nothing of its own to
    /// write, on a socket its event loop's flusher may write to
    /// (`crate::flusher`); cleared when the task wakes. Padding too.
    direct: AtomicBool,
    /// The connection task's waker.
    bell: AtomicWaker,
}

impl Outbound {
    /// A queue holding at most `limit` bytes.
    pub fn new(limit: usize) -> Outbound {
        Outbound {
            inner: Mutex::new(Inner {
                limit: bytes32(limit),
                ..Inner::default()
            }),
            rung: AtomicBool::new(false),
            due: AtomicBool::new(false),
            deadline: AtomicU32::new(0),
            direct: AtomicBool::new(false),
            bell: AtomicWaker::new(),
        }
    }

    /// Sets the SendQ to `limit` bytes from now on (a connect class that
    /// applies once the client logged in); what is queued stays.
    pub fn set_limit(&self, limit: usize) {
        self.inner.lock().limit = bytes32(limit);
    }

    /// Frees the queue's buffer if nothing is queued. The queue and the
    /// connection's `pending` swap buffers at every write and keep their
    /// capacity, so a connection that once had a burst (its registration
    /// replies, a long WHO) would hold both for good; the connection calls
    /// this when it is likely idle (see `conn::drive`).
    pub fn give_back(&self) {
        let mut inner = self.inner.lock();
        if inner.lines.is_empty() {
            // Freed after the lock is released.
            let buffer = std::mem::take(&mut inner.lines);
            drop(inner);
            drop(buffer);
        }
    }

    /// Wakes the connection's task: lines arrived, the queue closed, or
    /// the flusher left lines for it (`crate::flusher`).
    pub(crate) fn ring(&self) {
        self.rung.store(true, Ordering::Release);
        self.bell.wake();
    }

    /// Ready once the doorbell rang since the last time this returned
    /// ready: lines were pushed into an empty queue (or left by the
    /// flusher), or the queue closed.
    /// Only the connection's task may poll it (one waker is kept).
    pub fn poll_rung(&self, cx: &mut Context<'_>) -> Poll<()> {
        if self.rung.swap(false, Ordering::AcqRel) {
            return Poll::Ready(());
        }
        self.bell.register(cx.waker());
        // A ring between the check and the registration would be lost
        // without this second look.
        if self.rung.swap(false, Ordering::AcqRel) {
            return Poll::Ready(());
        }
        Poll::Pending
    }

    /// Whether the doorbell rang since the last look; clears it.
    pub fn take_ring(&self) -> bool {
        self.rung.swap(false, Ordering::AcqRel)
    }

    /// Arms the connection's deadline at keeper tick `tick` (from 1),
    /// replacing the one it had (`crate::deadlines`).
    pub fn arm(&self, tick: u32) {
        self.deadline.store(tick, Ordering::Relaxed);
    }

    /// Disarms the connection's deadline: it has none.
    pub fn disarm(&self) {
        self.deadline.store(0, Ordering::Relaxed);
    }

    /// The armed deadline's tick, if one is armed.
    pub fn armed(&self) -> Option<u32> {
        Some(self.deadline.load(Ordering::Relaxed)).filter(|&t| t != 0)
    }

    /// If the armed deadline is at or before tick `now`: disarms it and
    /// wakes the connection's task to look at its clock (without ringing
    /// for lines). Returns whether it fired.
    pub fn fire_due(&self, now: u32) -> bool {
        let tick = self.deadline.load(Ordering::Relaxed);
        if tick == 0 || tick > now {
            return false;
        }
        // The task may arm another meanwhile: only this one is cleared.
        if self
            .deadline
            .compare_exchange(tick, 0, Ordering::Relaxed, Ordering::Relaxed)
            .is_err()
        {
            return false;
        }
        self.due.store(true, Ordering::Release);
        self.bell.wake();
        true
    }

    /// Whether the deadline passed since the last look; clears it. The
    /// task looks after [`Outbound::poll_rung`] registered its waker, so a
    /// deadline passing in between still wakes it.
    pub fn take_due(&self) -> bool {
        // A plain load first: this is looked at on every wake-up.
        self.due.load(Ordering::Relaxed) && self.due.swap(false, Ordering::AcqRel)
    }

    /// Forgets the waiting waker until the next [`Outbound::poll_rung`]:
    /// rings then only set the flag. The connection's task calls this when
    /// it wakes, so that the replies it queues itself do not schedule it
    /// again; it looks at [`Outbound::take_ring`] before it waits. The
    /// task is awake from here, so the flusher leaves its socket alone.
    pub fn mute(&self) {
        self.direct.store(false, Ordering::Relaxed);
        drop(self.bell.take());
    }

    /// The connection's task is about to wait; `direct`: with nothing of
    /// its own left to write, on a socket the flusher may write to
    /// (`crate::flusher`).
    pub(crate) fn park(&self, direct: bool) {
        self.direct.store(direct, Ordering::Relaxed);
    }

    /// Whether the flusher may write queued lines to the socket itself:
    /// the task waits with nothing of its own to write. Only meaningful on
    /// the connection's own event loop, where the task cannot wake while
    /// the flusher runs.
    pub(crate) fn is_direct(&self) -> bool {
        self.direct.load(Ordering::Relaxed)
    }

    /// Queues a line (with its CRLF). Returns false when the queue is closed
    /// or this push overflowed it (which aborts the connection).
    pub fn push(&self, line: Bytes) -> bool {
        self.push_lines(line, 1)
    }

    /// Queues `count` lines in one buffer, as [`Outbound::push`] queues one.
    pub fn push_lines(&self, line: Bytes, count: u64) -> bool {
        let pushed = self.push_quiet(line, count);
        if pushed == Pushed::First {
            self.ring();
        }
        pushed != Pushed::Refused
    }

    /// Queues `count` lines as [`Outbound::push_lines`] does, but does not
    /// ring the doorbell for the first line in an empty queue: the caller
    /// rings it, or has the flusher write the line (`crate::flusher`).
    pub(crate) fn push_quiet(&self, line: Bytes, count: u64) -> Pushed {
        let mut inner = self.inner.lock();
        if inner.closed.is_some() {
            return Pushed::Refused;
        }
        if inner.bytes as usize + line.len() > inner.limit as usize {
            let dropped = inner.abort("SendQ exceeded");
            drop(inner);
            drop(dropped);
            self.ring();
            return Pushed::Refused;
        }
        // Within the limit, so within u32.
        inner.bytes += line.len() as u32;
        inner.lines_queued += count;
        inner.lines.push_back(line);
        let first = inner.lines.len() == 1;
        drop(inner);
        if first {
            Pushed::First
        } else {
            Pushed::Queued
        }
    }

    /// Queues a final line (if any) and closes: the writer sends everything
    /// queued, then shuts the socket. Later pushes are ignored.
    pub fn close(&self, last: Option<Bytes>) {
        let mut inner = self.inner.lock();
        if inner.closed.is_some() {
            return;
        }
        if let Some(line) = last {
            inner.bytes = inner.bytes.saturating_add(bytes32(line.len()));
            inner.lines.push_back(line);
        }
        inner.closed = Some(Closed::Graceful);
        drop(inner);
        self.ring();
    }

    /// Closes for a server shutdown: the writer sends what is queued and
    /// its ERROR line. A queue already closed keeps its reason.
    pub fn shut_down(&self) {
        let mut inner = self.inner.lock();
        if inner.closed.is_some() {
            return;
        }
        inner.closed = Some(Closed::Shutdown);
        drop(inner);
        self.ring();
    }

    /// Aborts: drops the queue and ends the connection with `reason`.
    pub fn abort(&self, reason: &str) {
        let mut inner = self.inner.lock();
        if matches!(inner.closed, Some(Closed::Abort(_))) {
            return;
        }
        let dropped = inner.abort(reason);
        drop(inner);
        drop(dropped);
        self.ring();
    }

    /// Whether the queue is closed (the connection must end).
    pub fn is_closed(&self) -> bool {
        self.inner.lock().closed.is_some()
    }

    /// Why the queue is closed, if it is.
    pub fn closed(&self) -> Option<Closed> {
        self.inner.lock().closed.clone()
    }

    /// Bytes waiting.
    pub fn queued_bytes(&self) -> usize {
        self.inner.lock().bytes as usize
    }

    /// The SendQ, in bytes.
    pub fn limit(&self) -> usize {
        self.inner.lock().limit as usize
    }

    /// Moves every queued line into `out` (appending), returning whether the
    /// queue is closed. Used by the connection's task only. The bytes stay
    /// counted against the limit until [`Outbound::wrote`] says they left,
    /// so lines taken out but not yet written still count as SendQ.
    pub fn drain_into(&self, out: &mut Vec<u8>) -> Option<Closed> {
        // Taken out under the lock (which leaves no buffer behind: idle
        // connections are many), copied after it.
        let (lines, closed) = {
            let mut inner = self.inner.lock();
            (std::mem::take(&mut inner.lines), inner.closed.clone())
        };
        for line in &lines {
            out.extend_from_slice(line);
        }
        closed
    }

    /// The queued lines themselves (tests check that recipients share one
    /// rendered buffer).
    #[cfg(test)]
    pub(crate) fn queued_lines(&self) -> Vec<Bytes> {
        self.inner.lock().lines.iter().cloned().collect()
    }

    /// Moves every queued line to the end of `into`: when `into` is empty
    /// (the usual case) by swapping the two rings, so neither side
    /// reallocates on the hot path. Returns whether the queue is closed. The
    /// bytes stay counted until [`Outbound::wrote`].
    pub fn take_lines(&self, into: &mut VecDeque<Bytes>) -> Option<Closed> {
        let mut inner = self.inner.lock();
        if into.is_empty() {
            std::mem::swap(&mut inner.lines, into);
        } else {
            into.extend(inner.lines.drain(..));
        }
        inner.closed.clone()
    }

    /// Moves every queued line to the end of `into`, as
    /// [`Outbound::take_lines`] does, but leaves the queue its own buffer:
    /// the flusher's `into` serves every connection of its loop, and a
    /// swap would hand one connection's buffer on to the next.
    pub(crate) fn drain_lines(&self, into: &mut VecDeque<Bytes>) -> Option<Closed> {
        let mut inner = self.inner.lock();
        into.extend(inner.lines.drain(..));
        inner.closed.clone()
    }

    /// Puts lines taken and not written back at the front of the queue,
    /// before anything pushed since, and leaves `lines` empty. A queue
    /// aborted meanwhile drops them (it counts no bytes any more).
    pub(crate) fn put_back(&self, lines: &mut VecDeque<Bytes>) {
        let mut inner = self.inner.lock();
        if matches!(inner.closed, Some(Closed::Abort(_))) {
            drop(inner);
            lines.clear();
            return;
        }
        while let Some(line) = lines.pop_back() {
            inner.lines.push_front(line);
        }
    }

    /// Records that `n` drained bytes were written to the socket.
    ///
    /// Between the write and this call the bytes are still counted, so a
    /// push racing with a write can see the queue fuller than it is by up
    /// to one write's worth (at most 64 lines): SendQ limits should leave
    /// that much room above what a client is expected to lag.
    pub fn wrote(&self, n: usize) {
        let mut inner = self.inner.lock();
        inner.bytes = inner.bytes.saturating_sub(bytes32(n));
        inner.written += n as u64;
    }

    /// Traffic so far: `(lines queued, bytes written to the socket)`.
    pub fn traffic(&self) -> (u64, u64) {
        let inner = self.inner.lock();
        (inner.lines_queued, inner.written)
    }
}

/// A client's own reply that is larger than the room left in its SendQ,
/// fed into the queue in pieces as the client reads (LIST, WHO, NAMES,
/// LIST_CONVERSATIONS, history batches): a client is never cut off for
/// SendQ because of what it asked for itself.
///
/// Owned by the connection's task. While it holds anything, the task
/// handles no further input of the client (its next command waits, so
/// that replies stay in order and one client holds one large reply at a
/// time); deliveries from others still go straight into the queue, where
/// half of the SendQ is kept free for them.
#[derive(Debug, Default)]
pub struct Backlog {
    /// Pieces of whole lines, each with its line count, in order.
    pieces: VecDeque<(Bytes, u64)>,
}

/// Largest piece a reply is cut into, in bytes (whole lines; a single
/// longer line is one piece).
const PIECE: usize = 16 * 1024;

impl Backlog {
    /// Whether nothing is waiting.
    pub fn is_empty(&self) -> bool {
        self.pieces.is_empty()
    }

    /// Queues `reply` (`lines` lines) for `out`: at once when it fits in
    /// the room left and nothing is waiting, else in pieces of whole lines
    /// fed by [`Backlog::top_up`].
    pub fn queue(&mut self, out: &Outbound, reply: Bytes, lines: u64) {
        if self.pieces.is_empty() && out.queued_bytes() + reply.len() <= out.limit() {
            out.push_lines(reply, lines);
            return;
        }
        let piece = PIECE.min(out.limit() / 4).max(1);
        let mut start = 0;
        while start < reply.len() {
            let mut end = (start + piece).min(reply.len());
            // Back to the end of a line; a line longer than a piece is
            // one piece.
            if end < reply.len() {
                end = match reply[start..end].iter().rposition(|&b| b == b'\n') {
                    Some(i) => start + i + 1,
                    None => reply[end..]
                        .iter()
                        .position(|&b| b == b'\n')
                        .map_or(reply.len(), |i| end + i + 1),
                };
            }
            let chunk = reply.slice(start..end);
            let count = chunk.iter().filter(|&&b| b == b'\n').count() as u64;
            self.pieces.push_back((chunk, count));
            start = end;
        }
        self.top_up(out);
    }

    /// Moves waiting pieces into `out` while its queue is under half its
    /// SendQ (a piece always goes into an empty queue). Returns whether
    /// any moved.
    pub fn top_up(&mut self, out: &Outbound) -> bool {
        let room = out.limit() / 2;
        let mut moved = false;
        while let Some((piece, _)) = self.pieces.front() {
            let queued = out.queued_bytes();
            if queued > 0 && queued + piece.len() > room {
                break;
            }
            let (piece, count) = self.pieces.pop_front().expect("a piece");
            out.push_lines(piece, count);
            moved = true;
        }
        moved
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overflow_aborts_and_drops_queue() {
        let q = Outbound::new(10);
        assert!(q.push(Bytes::from_static(b"12345\r\n")));
        assert!(!q.push(Bytes::from_static(b"12345\r\n")));
        assert_eq!(
            q.closed(),
            Some(Closed::Abort(Box::new("SendQ exceeded".into())))
        );
        assert!(q.is_closed());
        let mut out = Vec::new();
        q.drain_into(&mut out);
        assert!(out.is_empty());
    }

    #[test]
    fn drained_bytes_count_until_written() {
        let q = Outbound::new(10);
        assert!(q.push(Bytes::from_static(b"123456\r\n")));
        let mut out = Vec::new();
        q.drain_into(&mut out);
        // 8 bytes taken out but not written: 4 more would overflow.
        assert_eq!(q.queued_bytes(), 8);
        q.wrote(8);
        assert!(q.push(Bytes::from_static(b"123456\r\n")));
    }

    fn rung_now(q: &Outbound) -> bool {
        let mut cx = Context::from_waker(std::task::Waker::noop());
        q.poll_rung(&mut cx).is_ready()
    }

    #[test]
    fn doorbell_rings_for_the_first_line_and_for_closing() {
        let q = Outbound::new(100);
        assert!(!rung_now(&q));
        q.push(Bytes::from_static(b"a\r\n"));
        q.push(Bytes::from_static(b"b\r\n"));
        // One ring for both: the second line found the queue non-empty.
        assert!(rung_now(&q));
        assert!(!rung_now(&q));
        let mut taken = VecDeque::new();
        assert_eq!(q.take_lines(&mut taken), None);
        assert_eq!(taken.len(), 2);
        // Taken lines are appended after what is still pending.
        q.push(Bytes::from_static(b"c\r\n"));
        assert!(rung_now(&q));
        q.take_lines(&mut taken);
        assert_eq!(taken, [&b"a\r\n"[..], b"b\r\n", b"c\r\n"]);
        q.shut_down();
        assert!(rung_now(&q));
        assert_eq!(q.take_lines(&mut taken), Some(Closed::Shutdown));
    }

    /// Every connection has a queue: 112 bytes is 128 in its `Arc`, a
    /// size class of its own (see [`Inner`]).
    #[test]
    fn a_queue_stays_in_its_size_class() {
        assert!(std::mem::size_of::<Outbound>() <= 112);
    }

    #[test]
    fn lines_put_back_go_before_those_pushed_since() {
        let q = Outbound::new(100);
        assert_eq!(q.push_quiet(Bytes::from_static(b"a\r\n"), 1), Pushed::First);
        assert_eq!(
            q.push_quiet(Bytes::from_static(b"b\r\n"), 1),
            Pushed::Queued
        );
        // A quiet push does not ring: whoever pushed decides who writes.
        assert!(!rung_now(&q));
        let mut taken = VecDeque::new();
        assert_eq!(q.drain_lines(&mut taken), None);
        q.push(Bytes::from_static(b"c\r\n"));
        // "a" was written in part; the rest and "b" go back.
        taken[0] = Bytes::from_static(b"\r\n");
        q.put_back(&mut taken);
        assert!(taken.is_empty());
        assert_eq!(q.queued_lines(), [&b"\r\n"[..], b"b\r\n", b"c\r\n"]);
        // An aborted queue takes nothing back.
        q.abort("gone");
        taken.push_back(Bytes::from_static(b"d\r\n"));
        q.put_back(&mut taken);
        assert!(taken.is_empty() && q.queued_lines().is_empty());
    }

    #[test]
    fn graceful_close_keeps_queued_lines() {
        let q = Outbound::new(100);
        q.push(Bytes::from_static(b"a\r\n"));
        q.close(Some(Bytes::from_static(b"ERROR :bye\r\n")));
        assert!(!q.push(Bytes::from_static(b"late\r\n")));
        let mut out = Vec::new();
        assert_eq!(q.drain_into(&mut out), Some(Closed::Graceful));
        assert_eq!(out, b"a\r\nERROR :bye\r\n");
    }
}
