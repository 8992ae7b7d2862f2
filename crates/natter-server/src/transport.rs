//! The bytes of one client connection: its socket (TCP, or the Unix
//! socket a WebSocket bridge hands over) and, on a TLS listener, the
//! rustls session that encrypts them.
//!
//! Everything here is non-blocking and polled by the connection's task
//! (`conn`): reads feed the line framer, writes drain the lines taken from
//! the client's queue. Plain TCP writes every queued line in one `send`
//! (small lines gathered into one buffer first) or, for a run of long
//! ones, one vectored write straight from the shared buffers; TLS gathers
//! them into records of up to 16 KiB and writes those. The TLS handshake
//! runs in the same loop, under the registration timeout, so a client
//! that never finishes it is dropped like one that never registers.

use std::collections::VecDeque;
use std::io::{self, IoSlice, Read, Write};
use std::os::fd::{AsRawFd, RawFd};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::{Buf, Bytes};
use natter_proto::Framer;
use tokio::io::Interest;

use crate::outbound::Outbound;

/// Most lines handed to one vectored write (Linux's IOV_MAX is 1024; a
/// few dozen lines already fill a socket buffer's worth).
const MAX_IOV: usize = 64;

/// Plaintext gathered into one TLS write: one full record.
const TLS_CHUNK: usize = 16 * 1024;

/// Most ciphertext read in one wake-up, so a fast sender cannot keep its
/// loop to itself (the socket stays readable; the next wake-up goes on).
const TLS_READ_BUDGET: usize = 64 * 1024;

/// How a client reached the server, for WHOIS (RPL_WHOISSECURE) and metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// Plain TCP.
    Tcp,
    /// TCP with TLS.
    Tls,
    /// IRC over WebSocket on the HTTP listener; `secure`: over HTTPS.
    WebSocket {
        /// Whether the HTTP connection was TLS.
        secure: bool,
    },
}

impl Kind {
    /// Whether the bytes are encrypted between the client and natter.
    pub fn secure(self) -> bool {
        matches!(self, Kind::Tls | Kind::WebSocket { secure: true })
    }

    /// The transport's name as metrics label it: `tcp`, `tls`, `ws`, `wss`.
    pub fn label(self) -> &'static str {
        match self {
            Kind::Tcp => "tcp",
            Kind::Tls => "tls",
            Kind::WebSocket { secure: false } => "ws",
            Kind::WebSocket { secure: true } => "wss",
        }
    }
}

/// The write half of a non-blocking stream socket: what the plain write
/// path needs, from a socket tokio watches ([`Socket`]) or from an event
/// loop's flusher writing an idle connection's socket by its descriptor
/// (`crate::flusher`).
pub(crate) trait SocketWrite {
    /// A non-blocking `send`: the bytes the kernel took, or WouldBlock.
    fn try_write(&self, buf: &[u8]) -> io::Result<usize>;
    /// A non-blocking vectored write, as [`SocketWrite::try_write`].
    fn try_write_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize>;
}

/// A non-blocking stream socket tokio watches: TCP, or a Unix socket.
pub(crate) trait Socket: SocketWrite + Send + Sync + Unpin + 'static {
    /// tokio's `poll_read_ready`.
    fn poll_read_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>>;
    /// tokio's `poll_write_ready`.
    fn poll_write_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>>;
    /// tokio's `try_read`.
    fn try_read(&self, buf: &mut [u8]) -> io::Result<usize>;
    /// tokio's `try_io`.
    fn try_io<R>(&self, interest: Interest, f: impl FnOnce() -> io::Result<R>) -> io::Result<R>;
    /// The socket's file descriptor.
    fn raw_fd(&self) -> RawFd;
}

macro_rules! socket {
    ($t:ty) => {
        impl Socket for $t {
            fn poll_read_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                <$t>::poll_read_ready(self, cx)
            }
            fn poll_write_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                <$t>::poll_write_ready(self, cx)
            }
            fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
                <$t>::try_read(self, buf)
            }
            fn try_io<R>(
                &self,
                interest: Interest,
                f: impl FnOnce() -> io::Result<R>,
            ) -> io::Result<R> {
                <$t>::try_io(self, interest, f)
            }
            fn raw_fd(&self) -> RawFd {
                self.as_raw_fd()
            }
        }
        impl SocketWrite for $t {
            fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
                <$t>::try_write(self, buf)
            }
            fn try_write_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
                <$t>::try_write_vectored(self, bufs)
            }
        }
    };
}
socket!(tokio::net::TcpStream);
socket!(tokio::net::UnixStream);

/// `std::io` over a non-blocking socket (it never blocks: the name says
/// what rustls expects) (WouldBlock when it would wait),
/// for rustls's `read_tls` and `write_tls`.
struct Blocking<'a, S>(&'a S);

impl<S: Socket> Read for Blocking<'_, S> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.try_read(buf)
    }
}

impl<S: SocketWrite> Write for Blocking<'_, S> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.try_write(buf)
    }
    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        self.0.try_write_vectored(bufs)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// One connection's byte stream.
pub(crate) struct Transport<S> {
    socket: S,
    tls: Option<Box<rustls::ServerConnection>>,
    /// Set once the TLS handshake finished and [`Transport::handshake_done`]
    /// reported it.
    reported: bool,
    kind: Kind,
}

/// What [`Transport::read_some`] found.
pub(crate) enum Input {
    /// Input was read (it may all still be inside a TLS record).
    Data,
    /// The peer closed the stream (or sent TLS close_notify).
    Closed,
}

impl<S: Socket> Transport<S> {
    /// A plain stream, or a TLS one when `tls` is given (its handshake not
    /// yet started).
    pub fn new(socket: S, tls: Option<Box<rustls::ServerConnection>>, kind: Kind) -> Self {
        Transport {
            socket,
            tls,
            reported: false,
            kind,
        }
    }

    /// How the client connected.
    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// The socket's descriptor when what is queued may be written to it as
    /// it is (no TLS): an event loop's flusher then writes deliveries to
    /// the idle connection itself (`crate::flusher`).
    pub fn direct_fd(&self) -> Option<RawFd> {
        self.tls.is_none().then(|| self.socket.raw_fd())
    }

    /// Once, when the TLS handshake has just finished: the SHA-256
    /// fingerprint of the client's certificate, if it sent one.
    pub fn handshake_done(&mut self) -> Option<Option<String>> {
        let tls = self.tls.as_ref()?;
        if self.reported || tls.is_handshaking() {
            return None;
        }
        self.reported = true;
        Some(
            tls.peer_certificates()
                .and_then(|certs| certs.first())
                .map(|leaf| crate::tls::fingerprint(leaf)),
        )
    }

    /// Whether there is something to write: lines in `pending`, or TLS
    /// records (handshake, alerts) rustls holds.
    fn wants_write(&self, pending: &VecDeque<Bytes>) -> bool {
        match &self.tls {
            None => !pending.is_empty(),
            // Lines wait for the handshake (see `write_tls`).
            Some(t) => t.wants_write() || (!pending.is_empty() && !t.is_handshaking()),
        }
    }

    /// Ready when the socket can take what [`Transport::wants_write`] says
    /// is waiting; pending when nothing waits.
    pub fn poll_writable(
        &self,
        cx: &mut Context<'_>,
        pending: &VecDeque<Bytes>,
    ) -> Poll<io::Result<()>> {
        if !self.wants_write(pending) {
            return Poll::Pending;
        }
        self.socket.poll_write_ready(cx)
    }

    /// tokio's `poll_read_ready` on the socket.
    pub fn poll_readable(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.socket.poll_read_ready(cx)
    }

    /// Reads what the socket has into `framer` (decrypting on TLS).
    /// Errors: WouldBlock when nothing was there; a TLS error (the peer is
    /// not speaking TLS, or broke it) as InvalidData.
    pub fn read_some(&mut self, framer: &mut Framer) -> io::Result<Input> {
        match &mut self.tls {
            None => match read_plain(&self.socket, framer)? {
                0 => Ok(Input::Closed),
                _ => Ok(Input::Data),
            },
            Some(tls) => read_tls(&self.socket, tls, framer),
        }
    }

    /// Writes as much of `pending` as the socket takes and tells `out`
    /// what left. Stops when `pending` is empty or the socket is full (the
    /// writable wake-up resumes). Errors: the reason to close with.
    pub fn write_pending(
        &mut self,
        out: &Outbound,
        pending: &mut VecDeque<Bytes>,
    ) -> Result<(), String> {
        let result = match &mut self.tls {
            None => write_plain(&self.socket, out, pending),
            Some(tls) => write_tls(&self.socket, tls, out, pending),
        };
        if pending.is_empty() && pending.capacity() > 16 {
            // After a burst, give the ring back: idle connections are many.
            *pending = VecDeque::new();
        }
        result
    }

    /// Sends `rest` (the last queued lines and the closing line), then
    /// closes: waits up to `grace` for a slow reader. On TLS, only a
    /// finished handshake gets them, followed by close_notify.
    pub async fn finish(mut self, rest: Vec<u8>, grace: Duration) {
        let mut rest = rest;
        if let Some(tls) = &mut self.tls {
            if tls.is_handshaking() {
                rest.clear();
            } else {
                tls.set_buffer_limit(None);
                let _ = tls.writer().write_all(&rest);
                rest.clear();
            }
            tls.send_close_notify();
        }
        let deadline = tokio::time::Instant::now() + grace;
        // Usually the socket takes it all at once; only a slow reader gets
        // the timed wait. Dropping the socket then sends the FIN after the
        // data.
        let mut written = 0;
        loop {
            let done = match &mut self.tls {
                None => loop {
                    if written >= rest.len() {
                        break true;
                    }
                    match self.socket.try_write(&rest[written..]) {
                        Ok(n) => written += n,
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => break false,
                        Err(_) => break true,
                    }
                },
                Some(tls) => loop {
                    if !tls.wants_write() {
                        break true;
                    }
                    match tls.write_tls(&mut Blocking(&self.socket)) {
                        Ok(_) => {}
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => break false,
                        Err(_) => break true,
                    }
                },
            };
            if done {
                return;
            }
            let ready = std::future::poll_fn(|cx| self.socket.poll_write_ready(cx));
            match tokio::time::timeout_at(deadline, ready).await {
                Ok(Ok(())) => {}
                _ => return,
            }
        }
    }
}

/// Reads what a plain socket has (up to 4 KiB) into `framer`; returns the
/// bytes read (0 at end of stream).
///
/// A read that returns less than asked emptied the socket's receive queue,
/// so the socket is marked not readable right away instead of learning it
/// from one more read that fails with EAGAIN: one system call per input
/// burst instead of two. New data raises a new edge-triggered event, and
/// tokio keeps the read-closed state when readiness is cleared, so neither
/// input nor a hang-up is missed. One exception, accepted: Linux stops a
/// read at TCP urgent data (MSG_OOB, sent by telnet on an interrupt), so
/// what follows the urgent mark waits for the client's next packet.
fn read_plain<S: Socket>(socket: &S, framer: &mut Framer) -> io::Result<usize> {
    // A stack buffer: an idle connection holds no read buffer.
    let mut tmp = [0u8; 4096];
    let mut short = None;
    let r = socket.try_io(Interest::READABLE, || {
        let n = socket.try_read(&mut tmp)?;
        if n > 0 && n < tmp.len() {
            short = Some(n);
            // Tells try_io to clear the readiness it saw before this read.
            return Err(io::ErrorKind::WouldBlock.into());
        }
        Ok(n)
    });
    let n = match (r, short) {
        (_, Some(n)) => n,
        (r, None) => r?,
    };
    framer.feed(&tmp[..n]);
    Ok(n)
}

/// Reads TLS records, decrypts them into `framer`, and sends what the
/// handshake asks for.
fn read_tls<S: Socket>(
    socket: &S,
    tls: &mut rustls::ServerConnection,
    framer: &mut Framer,
) -> io::Result<Input> {
    let mut budget = TLS_READ_BUDGET;
    let mut read_any = false;
    let mut closed = false;
    loop {
        let n = match tls.read_tls(&mut Blocking(socket)) {
            Ok(n) => Some(n),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => None,
            // What an earlier pass of this loop decrypted is in the framer
            // and must still be handled (a client that sent its last lines
            // and reset the connection): a close, not an error, then.
            Err(_) if read_any => Some(0),
            Err(e) => return Err(e),
        };
        if n == Some(0) {
            closed = true;
        }
        let state = match tls.process_new_packets() {
            Ok(state) => state,
            Err(e) => {
                // The alert rustls queued tells the peer why, if it can
                // hear it (a plain-text client cannot).
                let _ = tls.write_tls(&mut Blocking(socket));
                return Err(io::Error::new(io::ErrorKind::InvalidData, e));
            }
        };
        let mut plain = state.plaintext_bytes_to_read();
        let mut tmp = [0u8; 4096];
        while plain > 0 {
            let n = tls.reader().read(&mut tmp[..plain.min(4096)])?;
            framer.feed(&tmp[..n]);
            plain -= n;
        }
        closed |= state.peer_has_closed();
        match n {
            Some(n) if n > 0 && !closed => {
                read_any = true;
                budget = budget.saturating_sub(n);
                if budget == 0 {
                    break;
                }
            }
            None if !read_any && !tls.wants_write() => return Err(io::ErrorKind::WouldBlock.into()),
            _ => break,
        }
    }
    // Handshake messages (and session tickets) go out at once. A failed
    // write is not this read's error: a client that sent its last lines
    // and closed may refuse our session tickets, and those lines must
    // still be handled (the write path reports a broken stream later).
    while tls.wants_write() {
        if tls.write_tls(&mut Blocking(socket)).is_err() {
            break;
        }
    }
    if closed {
        Ok(Input::Closed)
    } else {
        Ok(Input::Data)
    }
}

/// Up to this many bytes of small lines are copied into one buffer and
/// sent with one `send`, rather than handed to `writev` where they lie.
const GATHER: usize = 8 * 1024;

thread_local! {
    /// The buffer lines are gathered into, one per event loop (it keeps
    /// its capacity: no allocation and no zeroing per write).
    static GATHERED: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// The plain path of [`Transport::write_pending`]. The kernel copies what
/// it is given either way, and its vectored path (`writev`: `vfs_writev`,
/// `fdget_pos`, the iovec import) costs more per call than `send`: in a
/// rooms benchmark profile, 6 % of the server's samples. So one line is
/// sent as it is, several small ones are gathered into one buffer and
/// sent, and only a run of large ones (a long reply) goes to `writev`,
/// straight from the shared buffers.
pub(crate) fn write_plain<S: SocketWrite>(
    socket: &S,
    out: &Outbound,
    pending: &mut VecDeque<Bytes>,
) -> Result<(), String> {
    while !pending.is_empty() {
        let written = if pending.len() == 1 {
            socket.try_write(&pending[0])
        } else if pending[0].len() + pending[1].len() <= GATHER {
            GATHERED.with_borrow_mut(|buf| {
                gather(pending, buf, GATHER);
                socket.try_write(buf)
            })
        } else {
            let mut slices = [IoSlice::new(&[]); MAX_IOV];
            let mut count = 0;
            for (slot, line) in slices.iter_mut().zip(pending.iter()) {
                *slot = IoSlice::new(line);
                count += 1;
            }
            socket.try_write_vectored(&slices[..count])
        };
        match written {
            Ok(n) => {
                out.wrote(n);
                consume(pending, n);
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
            Err(e) => return Err(format!("Write error: {e}")),
        }
    }
    Ok(())
}

/// Copies the first `limit` bytes of `pending` into `into` (cleared
/// first): whole lines, then the start of the one that does not fit.
fn gather(pending: &VecDeque<Bytes>, into: &mut Vec<u8>, limit: usize) {
    into.clear();
    for line in pending {
        let room = limit - into.len();
        if room == 0 {
            break;
        }
        into.extend_from_slice(&line[..line.len().min(room)]);
    }
}

/// Drops the first `n` bytes of `pending`.
fn consume(pending: &mut VecDeque<Bytes>, mut n: usize) {
    while n > 0 {
        let front = pending.front_mut().expect("n bytes came from pending");
        if n >= front.len() {
            n -= front.len();
            pending.pop_front();
        } else {
            front.advance(n);
            n = 0;
        }
    }
}

/// The TLS path of [`Transport::write_pending`]: lines gathered into
/// records of up to 16 KiB, which rustls encrypts into its own buffer
/// (bounded, 64 KiB by default), then written.
fn write_tls<S: Socket>(
    socket: &S,
    tls: &mut rustls::ServerConnection,
    out: &Outbound,
    pending: &mut VecDeque<Bytes>,
) -> Result<(), String> {
    let mut chunk = Vec::new();
    loop {
        // Application data waits for the handshake; rustls would buffer it
        // without bound meanwhile.
        while !pending.is_empty() && !tls.is_handshaking() {
            gather(pending, &mut chunk, TLS_CHUNK);
            let n = tls
                .writer()
                .write(&chunk)
                .map_err(|e| format!("Write error: {e}"))?;
            if n == 0 {
                break;
            }
            out.wrote(n);
            consume(pending, n);
        }
        if !tls.wants_write() {
            return Ok(());
        }
        match tls.write_tls(&mut Blocking(socket)) {
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
            Err(e) => return Err(format!("Write error: {e}")),
        }
    }
}
