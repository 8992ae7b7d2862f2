//! A client's outbound queue (its SendQ): lines waiting to be written,
//! bounded in bytes.
//!
//! Anyone may push (under the world lock, never awaiting); only the
//! connection's task drains. Lines are [`Bytes`], so a channel message
//! rendered once is shared by every recipient's queue without copying.
//! Past the byte limit the queue is discarded and the client is cut off
//! with "SendQ exceeded": one stalled reader never holds up anyone else.

use std::collections::VecDeque;

use bytes::Bytes;
use parking_lot::Mutex;
use tokio::sync::Notify;

/// Why a queue stopped taking lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Closed {
    /// Orderly close: the writer sends what is queued, then closes.
    Graceful,
    /// Drop everything now, with this reason (e.g. "SendQ exceeded").
    Abort(String),
}

#[derive(Debug, Default)]
struct Inner {
    lines: VecDeque<Bytes>,
    bytes: usize,
    closed: Option<Closed>,
}

/// The queue. Shared as `Arc<Outbound>` by the connection's task and the world.
#[derive(Debug)]
pub struct Outbound {
    inner: Mutex<Inner>,
    limit: usize,
    data: Notify,
    /// Woken when the connection must end (abort or graceful close). A
    /// plain Notify, not a CancellationToken: it costs no allocation, and
    /// idle connections are many.
    ended: Notify,
}

impl Outbound {
    /// A queue holding at most `limit` bytes.
    pub fn new(limit: usize) -> Outbound {
        Outbound {
            inner: Mutex::new(Inner::default()),
            limit,
            data: Notify::new(),
            ended: Notify::new(),
        }
    }

    /// Queues a line (with its CRLF). Returns false when the queue is closed
    /// or this push overflowed it (which aborts the connection).
    pub fn push(&self, line: Bytes) -> bool {
        let mut inner = self.inner.lock();
        if inner.closed.is_some() {
            return false;
        }
        if inner.bytes + line.len() > self.limit {
            inner.lines = VecDeque::new();
            inner.bytes = 0;
            inner.closed = Some(Closed::Abort("SendQ exceeded".into()));
            drop(inner);
            self.ended.notify_one();
            self.data.notify_one();
            return false;
        }
        inner.bytes += line.len();
        inner.lines.push_back(line);
        let first = inner.lines.len() == 1;
        drop(inner);
        if first {
            self.data.notify_one();
        }
        true
    }

    /// Queues a final line (if any) and closes: the writer sends everything
    /// queued, then shuts the socket. Later pushes are ignored.
    pub fn close(&self, last: Option<Bytes>) {
        let mut inner = self.inner.lock();
        if inner.closed.is_some() {
            return;
        }
        if let Some(line) = last {
            inner.bytes += line.len();
            inner.lines.push_back(line);
        }
        inner.closed = Some(Closed::Graceful);
        drop(inner);
        self.ended.notify_one();
        self.data.notify_one();
    }

    /// Aborts: drops the queue and ends the connection with `reason`.
    pub fn abort(&self, reason: &str) {
        let mut inner = self.inner.lock();
        if matches!(inner.closed, Some(Closed::Abort(_))) {
            return;
        }
        inner.lines = VecDeque::new();
        inner.bytes = 0;
        inner.closed = Some(Closed::Abort(reason.to_string()));
        drop(inner);
        self.ended.notify_one();
        self.data.notify_one();
    }

    /// Whether the queue is closed (the connection must end).
    pub fn is_closed(&self) -> bool {
        self.inner.lock().closed.is_some()
    }

    /// Resolves once the queue is closed (only the connection's task waits).
    pub async fn wait_closed(&self) {
        loop {
            if self.is_closed() {
                return;
            }
            self.ended.notified().await;
        }
    }

    /// Why the queue is closed, if it is.
    pub fn closed(&self) -> Option<Closed> {
        self.inner.lock().closed.clone()
    }

    /// Bytes waiting.
    pub fn queued_bytes(&self) -> usize {
        self.inner.lock().bytes
    }

    /// Moves every queued line into `out` (appending), returning whether the
    /// queue is closed. Used by the connection's task only. The bytes stay
    /// counted against the limit until [`Outbound::wrote`] says they left,
    /// so lines taken out but not yet written still count as SendQ.
    pub fn drain_into(&self, out: &mut Vec<u8>) -> Option<Closed> {
        let mut inner = self.inner.lock();
        for line in inner.lines.drain(..) {
            out.extend_from_slice(&line);
        }
        // Emptied: free the ring too, idle connections are many.
        inner.lines = VecDeque::new();
        inner.closed.clone()
    }

    /// The queued lines themselves (tests check that recipients share one
    /// rendered buffer).
    #[cfg(test)]
    pub(crate) fn queued_lines(&self) -> Vec<Bytes> {
        self.inner.lock().lines.iter().cloned().collect()
    }

    /// Moves every queued line into `into` (which must be empty) by swapping
    /// the two rings, so neither side reallocates on the hot path; returns
    /// whether the queue is closed. The bytes stay counted until
    /// [`Outbound::wrote`].
    pub fn take_lines(&self, into: &mut VecDeque<Bytes>) -> Option<Closed> {
        debug_assert!(into.is_empty());
        let mut inner = self.inner.lock();
        std::mem::swap(&mut inner.lines, into);
        inner.closed.clone()
    }

    /// Records that `n` drained bytes were written to the socket.
    ///
    /// Between the write and this call the bytes are still counted, so a
    /// push racing with a write can see the queue fuller than it is by up
    /// to one write's worth (at most 64 lines): SendQ limits should leave
    /// that much room above what a client is expected to lag.
    pub fn wrote(&self, n: usize) {
        let mut inner = self.inner.lock();
        inner.bytes = inner.bytes.saturating_sub(n);
    }

    /// Waits until lines were pushed or the queue was closed since the last
    /// drain (a permit is kept if that happened while nobody waited).
    pub async fn wait(&self) {
        self.data.notified().await
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
        assert_eq!(q.closed(), Some(Closed::Abort("SendQ exceeded".into())));
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
