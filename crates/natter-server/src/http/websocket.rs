//! IRC over WebSocket (IRCv3 `websocket`,
//! <https://ircv3.net/specs/extensions/websocket>): the opening handshake's
//! checks and answer (RFC 6455 section 4.2), and the bridge that makes a
//! WebSocket client an ordinary IRC client.
//!
//! The bridge: a Unix socket pair joins the WebSocket to a connection task
//! ([`crate::conn::serve`]) exactly like a TCP client's, so nothing else in
//! natter knows a WebSocket client from any other (`Kind::WebSocket` tells
//! WHOIS and metrics how it came). Each WebSocket message becomes one line
//! plus CR LF on natter's side; each line natter writes becomes one
//! WebSocket message. Only [`super`] calls into this module.

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{FutureExt, SinkExt, StreamExt};
use hyper::header::{self, HeaderMap, HeaderValue};
use hyper::{Request, Response, StatusCode};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::net::unix::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::UnixStream;
use tokio_tungstenite::tungstenite::error::{CapacityError, Error as WsError};
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, WebSocketConfig};
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};
use tokio_tungstenite::WebSocketStream;

use super::{plain, Body};

/// The subprotocol for text messages (UTF-8 only).
pub(crate) const TEXT: &str = "text.ircv3.net";
/// The subprotocol for binary messages (any bytes).
pub(crate) const BINARY: &str = "binary.ircv3.net";

/// Largest WebSocket message (and frame) accepted from a client: more than
/// an IRC line can be (8191 bytes of tags and 512 of message), so that an
/// over-long line still reaches natter and gets ERR_INPUTTOOLONG like on
/// TCP; a bigger message fails the connection (close code 1009). The
/// spec's security considerations ask for a limit.
const MAX_MESSAGE: usize = 64 * 1024;

/// Input gathered before one write into natter's side: messages that are
/// already there go in one write.
const BATCH: usize = 16 * 1024;

/// How long the bridge may still take once one side has gone: the other
/// side's close (a client that does not answer our close frame, or does
/// not read what is left).
const LINGER: Duration = Duration::from_secs(5);

/// How long the client's answer to natter's close frame is awaited before
/// the connection is dropped anyway (RFC 6455 7.1.1 wants the server to
/// close TCP after the closing handshake; a client that does not answer,
/// or a server shutting down, waits no longer than this).
const CLOSE_ANSWER: Duration = Duration::from_secs(1);

/// How messages are framed on one socket, after the subprotocol
/// negotiation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Framing {
    /// `text.ircv3.net`, or none negotiated: text messages out, lines that
    /// are not UTF-8 with U+FFFD for what is not.
    Text,
    /// `binary.ircv3.net`: binary messages out, the bytes as they are.
    Binary,
}

/// Whether `headers` ask for a WebSocket (`Connection: upgrade` and
/// `Upgrade: websocket`, case-insensitive, among other tokens).
pub(crate) fn is_upgrade(headers: &HeaderMap) -> bool {
    has_token(headers, header::CONNECTION, "upgrade")
        && has_token(headers, header::UPGRADE, "websocket")
}

/// Whether a comma-separated header (any of its lines) has `token`.
fn has_token(headers: &HeaderMap, name: header::HeaderName, token: &str) -> bool {
    headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| t.trim().eq_ignore_ascii_case(token))
}

/// The subprotocol to answer with: the client's most preferred one that
/// natter speaks (the spec: "respecting the client's order of
/// preference"), from every `Sec-WebSocket-Protocol` line in order.
/// `None`: the client offered none of them (or nothing); the handshake
/// then goes on without the header and natter sends text.
pub(crate) fn negotiate(headers: &HeaderMap) -> Option<Framing> {
    headers
        .get_all(header::SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .find_map(|p| match p.trim() {
            TEXT => Some(Framing::Text),
            BINARY => Some(Framing::Binary),
            _ => None,
        })
}

/// Checks a WebSocket opening handshake (RFC 6455 section 4.2.1) and
/// builds the `101 Switching Protocols` answer with the negotiated
/// subprotocol. Errors: the response to send instead: 400 for a request
/// that is not GET or lacks `Sec-WebSocket-Key`, 426 (naming version 13)
/// for another protocol version.
pub(crate) fn handshake<B>(req: &Request<B>) -> Result<(Response<Body>, Framing), Response<Body>> {
    let headers = req.headers();
    if req.method() != hyper::Method::GET || req.version() < hyper::Version::HTTP_11 {
        return Err(plain(
            StatusCode::BAD_REQUEST,
            "a WebSocket handshake is a GET over HTTP/1.1\n",
        ));
    }
    if headers
        .get(header::SEC_WEBSOCKET_VERSION)
        .is_none_or(|v| v.as_bytes() != b"13")
    {
        let mut r = plain(StatusCode::UPGRADE_REQUIRED, "WebSocket version 13 only\n");
        r.headers_mut().insert(
            header::SEC_WEBSOCKET_VERSION,
            HeaderValue::from_static("13"),
        );
        return Err(r);
    }
    let Some(key) = headers.get(header::SEC_WEBSOCKET_KEY) else {
        return Err(plain(
            StatusCode::BAD_REQUEST,
            "Sec-WebSocket-Key is missing\n",
        ));
    };
    let accept = derive_accept_key(key.as_bytes());
    let chosen = negotiate(headers);
    let mut r = Response::new(super::full(Bytes::new()));
    *r.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let h = r.headers_mut();
    h.insert(header::CONNECTION, HeaderValue::from_static("Upgrade"));
    h.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
    h.insert(
        header::SEC_WEBSOCKET_ACCEPT,
        HeaderValue::from_str(&accept).expect("base64 is a valid header value"),
    );
    if let Some(framing) = chosen {
        let name = match framing {
            Framing::Text => TEXT,
            Framing::Binary => BINARY,
        };
        h.insert(
            header::SEC_WEBSOCKET_PROTOCOL,
            HeaderValue::from_static(name),
        );
    }
    Ok((r, chosen.unwrap_or(Framing::Text)))
}

/// tungstenite's settings for a server socket: small buffers (idle
/// clients are many), [`MAX_MESSAGE`].
pub(crate) fn config() -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(4096)
        .write_buffer_size(16 * 1024)
        .max_message_size(Some(MAX_MESSAGE))
        .max_frame_size(Some(MAX_MESSAGE))
}

/// Moves lines between the WebSocket `ws` and `irc`, the bridge's end of
/// the Unix socket pair whose other end a connection task serves, until
/// both are done. `conn_done` resolves when that task has ended.
///
/// Client to natter: each text or binary message (both are taken whatever
/// was negotiated) becomes its bytes plus CR LF; a trailing CR LF the
/// client added anyway is dropped, and a line break inside a message
/// splits it into lines as on TCP. Messages already received go in one
/// write. A close from the client, or the end of its stream, shuts
/// natter's side down for writing: natter sees the end of the connection
/// and the user quits ("Connection closed"). Invalid UTF-8 in a text
/// message fails the connection with close code 1007 (RFC 6455 section
/// 8.1), a message over [`MAX_MESSAGE`] with 1009, a protocol violation
/// with 1002.
///
/// Natter to client: the bytes natter writes are cut at each LF (CR LF
/// removed) into one message per line, every line of one read sent before
/// one flush. When natter closes its side (QUIT, KILL, timeouts,
/// shutdown), the last lines go out, then a close frame (1000, or the
/// failure's code).
///
/// Once the connection task, the client, or natter's side has ended, the
/// bridge ends within 2 × [`LINGER`] (plus [`CLOSE_ANSWER`]): a client
/// that stopped reading, or does not answer the close frame, holds
/// nothing for longer.
pub(crate) async fn bridge<S>(
    ws: WebSocketStream<S>,
    irc: UnixStream,
    framing: Framing,
    conn_done: tokio::sync::oneshot::Receiver<()>,
) where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let (mut sink, mut stream) = ws.split();
    let (from_irc, mut to_irc) = irc.into_split();
    let failure = parking_lot::Mutex::new(None::<CloseFrame>);
    {
        let up = async {
            let reason = client_to_irc(&mut stream, &mut to_irc).await;
            *failure.lock() = reason;
            let _ = to_irc.shutdown().await;
        };
        let down = async {
            let _ = irc_to_client(from_irc, &mut sink, framing).await;
            let frame = failure.lock().take().unwrap_or(CloseFrame {
                code: CloseCode::Normal,
                reason: Utf8Bytes::from_static(""),
            });
            let close = async {
                // Refused when the client closed first: then the flush sends
                // the answer to its close that tungstenite queued.
                if sink.send(Message::Close(Some(frame))).await.is_err() {
                    let _ = sink.flush().await;
                }
            };
            let _ = tokio::time::timeout(LINGER, close).await;
        };
        tokio::pin!(up, down, conn_done);
        tokio::select! {
            // The client went: natter sees its input end and closes its side.
            _ = &mut up => {
                let _ = tokio::time::timeout(LINGER * 2, down).await;
            }
            // Natter closed (and the close frame went out): the client
            // answers it, or is dropped.
            _ = &mut down => {
                let _ = tokio::time::timeout(CLOSE_ANSWER, up).await;
            }
            // The connection task ended while the bridge was still sending:
            // what is left gets LINGER to go out, then the client's answer to
            // the close frame is awaited as above.
            _ = &mut conn_done => {
                if tokio::time::timeout(LINGER, down).await.is_ok() {
                    let _ = tokio::time::timeout(CLOSE_ANSWER, up).await;
                }
            }
        }
    }
    // Then the stream itself is closed: over HTTPS with TLS close_notify
    // (over plain TCP, a FIN), so the client sees a clean end.
    if let Ok(mut ws) = sink.reunite(stream) {
        let _ = tokio::time::timeout(LINGER, ws.get_mut().shutdown()).await;
    }
}

/// Client to natter: see [`bridge`]. Returns the close frame to send the
/// client when it broke the protocol (`None`: it closed or went away).
async fn client_to_irc<S>(
    stream: &mut SplitStream<WebSocketStream<S>>,
    to: &mut OwnedWriteHalf,
) -> Option<CloseFrame>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut out: Vec<u8> = Vec::new();
    loop {
        let mut item = Some(stream.next().await);
        let mut end = None;
        while let Some(next) = item.take() {
            match next {
                Some(Ok(Message::Text(text))) => push_line(&mut out, text.as_bytes()),
                Some(Ok(Message::Binary(bytes))) => push_line(&mut out, &bytes),
                // Pings are answered by tungstenite itself.
                Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => {}
                Some(Ok(Message::Close(_))) | None => {
                    end = Some(None);
                    break;
                }
                Some(Err(e)) => {
                    end = Some(failure(e));
                    break;
                }
            }
            if out.len() < BATCH {
                // What is already here goes in the same write.
                item = stream.next().now_or_never();
            }
        }
        if !out.is_empty() {
            if to.write_all(&out).await.is_err() {
                // Natter's side is gone: the connection is over.
                return None;
            }
            out.clear();
            if out.capacity() > BATCH {
                out = Vec::new();
            }
        }
        if let Some(reason) = end {
            return reason;
        }
    }
}

/// Appends one client message to `out` as a line: its bytes without a
/// trailing CR LF, then CR LF. An empty message adds nothing.
pub(crate) fn push_line(out: &mut Vec<u8>, mut line: &[u8]) {
    while let [rest @ .., b'\r' | b'\n'] = line {
        line = rest;
    }
    if line.is_empty() {
        return;
    }
    out.extend_from_slice(line);
    out.extend_from_slice(b"\r\n");
}

/// The close frame for a client's stream error, if the connection can
/// still carry one.
fn failure(e: WsError) -> Option<CloseFrame> {
    let (code, reason) = match e {
        WsError::Utf8(_) => (CloseCode::Invalid, "text message is not UTF-8"),
        WsError::Capacity(CapacityError::MessageTooLong { .. }) => {
            (CloseCode::Size, "message too long")
        }
        WsError::Capacity(_) => (CloseCode::Size, "frame too long"),
        WsError::Protocol(_) => (CloseCode::Protocol, "protocol error"),
        _ => return None,
    };
    Some(CloseFrame {
        code,
        reason: Utf8Bytes::from_static(reason),
    })
}

/// Natter to client: see [`bridge`]. Ends when natter closes its side
/// (Ok) or the client cannot be written to (Err).
async fn irc_to_client<S>(
    from: OwnedReadHalf,
    sink: &mut SplitSink<WebSocketStream<S>, Message>,
    framing: Framing,
) -> Result<(), WsError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut buf = BytesMut::new();
    loop {
        // No buffer is held while natter has nothing to say.
        from.readable().await?;
        buf.reserve(BATCH);
        match from.try_read_buf(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
            Err(e) => return Err(e.into()),
        }
        while let Some(line) = next_line(&mut buf) {
            if !line.is_empty() {
                sink.feed(message(line, framing)).await?;
            }
        }
        sink.flush().await?;
        if buf.is_empty() {
            buf = BytesMut::new();
        }
    }
}

/// Takes the first LF-terminated line natter wrote off `buf`, without its
/// trailing CRs and LF (it may then be empty); `None` while `buf` holds no
/// LF.
pub(crate) fn next_line(buf: &mut BytesMut) -> Option<Bytes> {
    let end = buf.iter().position(|&b| b == b'\n')?;
    let mut line = buf.split_to(end + 1).freeze();
    while line.last().is_some_and(|&b| b == b'\n' || b == b'\r') {
        line.truncate(line.len() - 1);
    }
    Some(line)
}

/// One line as a message in `framing`: binary as it is; text as it is
/// when it is UTF-8, else with U+FFFD for each invalid sequence (the spec:
/// servers MUST NOT relay non-UTF-8 content in text messages, and MAY
/// replace it so).
pub(crate) fn message(line: Bytes, framing: Framing) -> Message {
    match framing {
        Framing::Binary => Message::Binary(line),
        // Bytes clone: a reference count, not a copy.
        Framing::Text => match Utf8Bytes::try_from(line.clone()) {
            Ok(text) => Message::Text(text),
            Err(_) => Message::Text(String::from_utf8_lossy(&line).into_owned().into()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(
                header::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        h
    }

    #[test]
    fn the_clients_first_choice_we_speak_wins() {
        let n = |offers: &[&str]| {
            let pairs: Vec<_> = offers
                .iter()
                .map(|o| ("sec-websocket-protocol", *o))
                .collect();
            negotiate(&headers(&pairs))
        };
        assert_eq!(n(&["binary.ircv3.net"]), Some(Framing::Binary));
        assert_eq!(n(&["text.ircv3.net"]), Some(Framing::Text));
        assert_eq!(
            n(&["binary.ircv3.net, text.ircv3.net"]),
            Some(Framing::Binary)
        );
        assert_eq!(
            n(&["text.ircv3.net", "binary.ircv3.net"]),
            Some(Framing::Text)
        );
        assert_eq!(n(&["chat, binary.ircv3.net"]), Some(Framing::Binary));
        assert_eq!(n(&["chat"]), None);
        assert_eq!(n(&[]), None);
    }

    #[test]
    fn upgrade_needs_both_headers() {
        assert!(is_upgrade(&headers(&[
            ("connection", "keep-alive, Upgrade"),
            ("upgrade", "WebSocket")
        ])));
        assert!(!is_upgrade(&headers(&[("upgrade", "websocket")])));
        assert!(!is_upgrade(&headers(&[
            ("connection", "upgrade"),
            ("upgrade", "h2c")
        ])));
    }

    #[test]
    fn a_message_becomes_one_crlf_line() {
        let mut out = Vec::new();
        push_line(&mut out, b"NICK a");
        push_line(&mut out, b"USER a 0 * :a\r\n");
        push_line(&mut out, b"");
        push_line(&mut out, b"\r\n");
        assert_eq!(out, b"NICK a\r\nUSER a 0 * :a\r\n");
    }

    #[test]
    fn text_framing_replaces_invalid_utf8() {
        match message(Bytes::from_static(b"PRIVMSG a :caf\xe9"), Framing::Text) {
            Message::Text(t) => assert_eq!(t.as_str(), "PRIVMSG a :caf\u{fffd}"),
            other => panic!("{other:?}"),
        }
        match message(Bytes::from_static(b"PRIVMSG a :caf\xe9"), Framing::Binary) {
            Message::Binary(b) => assert_eq!(&b[..], b"PRIVMSG a :caf\xe9"),
            other => panic!("{other:?}"),
        }
    }
}
