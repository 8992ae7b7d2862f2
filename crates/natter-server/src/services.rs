//! The lectures' small services: echo (RFC 862) and daytime (RFC 867),
//! over TCP and UDP, each on its own `[listen]` list (`echo`, `echo_udp`,
//! `daytime`, `daytime_udp`; empty, the default: off).
//!
//! - **Echo over TCP** (RFC 862, "TCP Based Echo Service"): every byte
//!   received is sent back until the client closes its side; then the
//!   server closes. At most [`ECHO_BUFFER`] bytes are held at a time, and a
//!   connection with nothing to read or write for [`ECHO_IDLE`] is closed.
//! - **Echo over UDP** ("UDP Based Echo Service"): each datagram is sent
//!   back as it came, so a reply is never larger than its request.
//! - **Daytime over TCP** (RFC 867, "TCP Based Daytime Service"): one line,
//!   `Monday, December 7, 2026 00:31:10-UTC` and CRLF
//!   ([`crate::clock::format_daytime`]), then the server closes; anything
//!   the client sends is thrown away.
//! - **Daytime over UDP** ("UDP Based Daytime Service"): any datagram is
//!   answered with that line, cut to the request's length: a request of
//!   at least [`DAYTIME_LEN`] bytes gets the whole line, a shorter one the
//!   line's first bytes. RFC 867 sends the whole line; natter never sends
//!   more bytes than it received, so a forged source address cannot turn
//!   it into an amplifier.
//!
//! Protections are chat's. A TCP connection is admitted like a chat
//! client's (`conn::serve`): a D-lined address is refused, and it counts
//! against `[connections]` (`per_host`, `per_window`, `max_clients`,
//! `exempt`) from the moment it is admitted until it closes; a refused one
//! is closed without a byte. A UDP datagram from a D-lined address gets no
//! reply, and each datagram counts as one connection start against
//! `[connections] per_window` within `window` (its own counts, apart from
//! the connections'), past which datagrams from that block get no reply
//! until the window ends ([`crate::admission::Admission::admit_datagram`]).
//! A datagram from a port below 1024 gets no reply either: it is another
//! server's service answering, and replying would start a loop (echo to
//! echo, daytime to chargen). A D-line set while an echo connection is
//! open does not close it; the idle timeout does, or the client.
//!
//! Everything runs on the chat event loops: each TCP connection and each
//! UDP socket is one task on one loop, handed out in turn like chat
//! connections, and ends when the server shuts down.
//!
//! What may touch what: the server ([`crate::server`]) binds the
//! listeners and hands accepted connections and UDP sockets here; this
//! module takes the world lock only to admit and release (server bans,
//! [`crate::admission`]), and counts into [`crate::metrics`]. It knows no
//! front end, and nothing else calls it.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;

use crate::server::Shared;

/// Bytes an echo connection reads before it writes them back: the most it
/// holds at once.
pub const ECHO_BUFFER: usize = 16 * 1024;

/// How long an echo connection may go without input (or without the
/// client reading what it sent back) before the server closes it.
pub const ECHO_IDLE: Duration = Duration::from_secs(60);

/// How long a daytime connection may take to read its line.
pub const DAYTIME_WRITE: Duration = Duration::from_secs(10);

/// How long a daytime connection, its line sent, waits for the client to
/// close, reading and throwing away what it sends: closing a socket with
/// unread input makes the kernel send a reset, which can destroy the line
/// before the client reads it.
const DAYTIME_LINGER: Duration = Duration::from_secs(2);

/// The length of a daytime answer, CRLF included, for dates in years
/// 1000 to 9999: at most `Wednesday, September 30, 2026 00:00:00-UTC\r\n`
/// (44 bytes); a UDP request at least this long gets the whole line.
pub const DAYTIME_LEN: usize = 44;

/// The largest UDP datagram received whole (an IPv4 datagram's payload is
/// at most 65,507 bytes).
const MAX_DATAGRAM: usize = 65_535;

/// One of the small services.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    /// Echo, RFC 862: what comes in goes back.
    Echo,
    /// Daytime, RFC 867: the date and time as one line of text.
    Daytime,
}

impl Service {
    /// Every service, in label order.
    pub const ALL: [Service; 2] = [Service::Echo, Service::Daytime];

    /// Its name as the metrics' `service` label has it.
    pub fn label(self) -> &'static str {
        match self {
            Service::Echo => "echo",
            Service::Daytime => "daytime",
        }
    }
}

/// What a service is served over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Over {
    /// A TCP connection per client.
    Tcp,
    /// UDP datagrams, one reply to each request.
    Udp,
}

impl Over {
    /// Every transport, in label order.
    pub const ALL: [Over; 2] = [Over::Tcp, Over::Udp];

    /// Its name as the metrics' `transport` label has it.
    pub fn label(self) -> &'static str {
        match self {
            Over::Tcp => "tcp",
            Over::Udp => "udp",
        }
    }
}

/// The daytime answer for now: [`crate::clock::format_daytime`] and CRLF.
pub fn daytime_line() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    format!("{}\r\n", crate::clock::format_daytime(secs))
}

/// The reply to a UDP request of `request` bytes: the request itself for
/// echo; for daytime the daytime line cut to the request's length (empty
/// for an empty request). Never longer than `request`.
pub fn udp_reply(service: Service, request: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    match service {
        Service::Echo => request.into(),
        Service::Daytime => {
            let mut line = daytime_line().into_bytes();
            line.truncate(request.len());
            line.into()
        }
    }
}

/// Binds a non-blocking UDP socket for a service on `addr`. Without
/// SO_REUSEADDR: on UDP it would let a second process share the port.
pub(crate) fn bind_udp(addr: SocketAddr) -> std::io::Result<std::net::UdpSocket> {
    use socket2::{Domain, Socket, Type};
    let socket = Socket::new(Domain::for_address(addr), Type::DGRAM, None)?;
    socket.bind(&addr.into())?;
    socket.set_nonblocking(true)?;
    Ok(socket.into())
}

/// An admitted TCP connection: counted under `[connections]` and in the
/// open-connections gauge until dropped, however its task ends.
struct Admitted {
    shared: Arc<Shared>,
    ip: IpAddr,
    service: Service,
}

impl Drop for Admitted {
    fn drop(&mut self) {
        {
            let mut w = self.shared.world.lock();
            let config = w.config.clone();
            w.admission.release(self.ip, &config.connections);
        }
        self.shared.metrics.service_closed(self.service);
    }
}

/// Admits a TCP connection from `addr` as `conn::serve` admits a chat
/// client (a D-line, then the connection limits, under one lock), or says
/// why not.
fn admit(shared: &Arc<Shared>, addr: SocketAddr, service: Service) -> Result<Admitted, String> {
    let ip = addr.ip();
    {
        let mut w = shared.world.lock();
        let config = w.config.clone();
        if let Some(why) = crate::server_bans::refused_at_accept(&mut w, ip) {
            return Err(why);
        }
        let now = Instant::now();
        w.admission
            .admit(ip, &config.connections, now)
            .map_err(|r| r.to_string())?;
    }
    shared.metrics.service_opened(service);
    Ok(Admitted {
        shared: shared.clone(),
        ip,
        service,
    })
}

/// Serves one accepted TCP connection of `service` from `addr` until it
/// ends or the server shuts down. A refused connection is closed at once,
/// without a byte.
pub(crate) async fn serve_tcp(
    shared: Arc<Shared>,
    stream: TcpStream,
    addr: SocketAddr,
    service: Service,
) {
    let _admitted = match admit(&shared, addr, service) {
        Ok(admitted) => admitted,
        Err(reason) => {
            shared.metrics.service_refused(service, Over::Tcp);
            tracing::debug!(%addr, service = service.label(), reason, "service connection refused");
            return;
        }
    };
    shared.metrics.service_served(service, Over::Tcp);
    let serve = async move {
        match service {
            Service::Echo => echo(stream).await,
            Service::Daytime => daytime(stream).await,
        }
    };
    tokio::select! {
        _ = shared.shutdown.cancelled() => {}
        _ = serve => {}
    }
}

/// RFC 862 over TCP: sends back what arrives until the client closes its
/// side (then closes too), or until nothing moved for [`ECHO_IDLE`].
async fn echo(mut stream: TcpStream) {
    let mut buf = vec![0u8; ECHO_BUFFER];
    loop {
        let n = match timeout(ECHO_IDLE, stream.read(&mut buf)).await {
            Ok(Ok(0)) => break,
            Ok(Ok(n)) => n,
            // A read error, or idle too long.
            Ok(Err(_)) | Err(_) => return,
        };
        // A client that sends and does not read stops here: the buffer
        // waits, and the connection is closed after ECHO_IDLE.
        if !matches!(
            timeout(ECHO_IDLE, stream.write_all(&buf[..n])).await,
            Ok(Ok(()))
        ) {
            return;
        }
    }
    let _ = timeout(ECHO_IDLE, stream.shutdown()).await;
}

/// RFC 867 over TCP: one line, then the server closes (after reading and
/// throwing away what the client sends, for [`DAYTIME_LINGER`] at most).
async fn daytime(mut stream: TcpStream) {
    let line = daytime_line();
    let sent = timeout(DAYTIME_WRITE, async {
        stream.write_all(line.as_bytes()).await?;
        stream.shutdown().await
    })
    .await;
    if !matches!(sent, Ok(Ok(()))) {
        return;
    }
    let mut sink = [0u8; 512];
    let _ = timeout(DAYTIME_LINGER, async {
        while let Ok(1..) = stream.read(&mut sink).await {}
    })
    .await;
}

/// Whether a datagram from `peer` is answered: not from a D-lined address,
/// and within `[connections] per_window` ([`crate::admission`]).
fn admit_datagram(shared: &Shared, peer: SocketAddr) -> bool {
    let ip = peer.ip();
    let mut w = shared.world.lock();
    if crate::server_bans::refused_at_accept(&mut w, ip).is_some() {
        return false;
    }
    let config = w.config.clone();
    w.admission
        .admit_datagram(ip, &config.connections, Instant::now())
        .is_ok()
}

/// Serves `service` on a bound UDP socket until the server shuts down:
/// each datagram admitted gets one reply, [`udp_reply`]; the others are
/// dropped without a word. A reply the socket cannot take at once is
/// dropped too (UDP promises no delivery), so one slow peer never holds
/// the loop.
pub(crate) async fn serve_udp(shared: Arc<Shared>, socket: std::net::UdpSocket, service: Service) {
    let socket = match tokio::net::UdpSocket::from_std(socket) {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(error = %e, "cannot watch a UDP socket");
            return;
        }
    };
    let mut buf = vec![0u8; MAX_DATAGRAM];
    loop {
        let received = tokio::select! {
            _ = shared.shutdown.cancelled() => return,
            received = socket.recv_from(&mut buf) => received,
        };
        let (n, peer) = match received {
            Ok(got) => got,
            Err(e) => {
                // An ICMP error from an earlier reply, or worse: never spin.
                tracing::debug!(error = %e, service = service.label(), "UDP receive failed");
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        // A datagram from a privileged port is another server's service
        // answering (echo, daytime, chargen...): replying would start a
        // loop between the two. Clients send from ephemeral ports.
        if peer.port() < 1024 || !admit_datagram(&shared, peer) {
            shared.metrics.service_refused(service, Over::Udp);
            continue;
        }
        let reply = udp_reply(service, &buf[..n]);
        match socket.try_send_to(&reply, peer) {
            Ok(_) => shared.metrics.service_served(service, Over::Udp),
            Err(e) => tracing::debug!(error = %e, %peer, "UDP reply dropped"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn udp_replies_are_never_larger_than_their_requests() {
        let line = daytime_line();
        assert!(
            line.ends_with("\r\n") && line.len() <= DAYTIME_LEN,
            "{line:?}"
        );
        assert_eq!(&*udp_reply(Service::Echo, b"\x00\xffhi"), b"\x00\xffhi");
        for n in [0, 1, 3, 20, DAYTIME_LEN, 1000] {
            let request = vec![b'x'; n];
            let reply = udp_reply(Service::Daytime, &request);
            assert_eq!(reply.len(), n.min(line.len()));
        }
        let full = udp_reply(Service::Daytime, &[0; DAYTIME_LEN]);
        assert!(full.ends_with(b"-UTC\r\n"), "{full:?}");
    }
}
