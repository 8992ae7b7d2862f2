//! How the generator's clients reach a server: plain TCP, TCP with TLS
//! (`--tls`), IRC over WebSocket (`--ws`, over TLS too with both), and the
//! read and write halves every scenario holds.
//!
//! The halves are enums rather than boxed trait objects, so the plain path
//! is the tokio TCP halves it always was behind one match. A TLS stream is
//! split with `tokio::io::split` (a mutex held for one poll): the readers
//! and the pacing writer run in different tasks.
//!
//! Over WebSocket (IRCv3 `websocket`, subprotocol `text.ircv3.net`, path
//! `/`) each IRC line is one text message: the reader hands the scenarios
//! each message as a line with CR LF, the writer sends each line it is
//! given as a message, every line of one call before one flush.
//!
//! TLS accepts any server certificate: the generator measures servers with
//! self-signed certificates. It still checks the handshake's signature
//! with the certificate's key, as a real client would, so the handshake
//! costs what a verifying client's costs bar the chain check.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::WebSocketStream;

use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;

use super::conn::STEP_TIMEOUT;

/// How the clients connect (flattened into every scenario's options).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct Transport {
    /// Connect over TLS (IRC over TLS, e.g. natter's `irc_tls` port 6697;
    /// give that port with --addr). ANY server certificate is accepted
    /// without verification (the handshake signature is still checked):
    /// this is for benchmarking servers with self-signed certificates,
    /// never for reaching a server you need to trust.
    #[arg(long)]
    pub tls: bool,
    /// With --tls: offer only this key exchange group (e.g. X25519,
    /// secp256r1, X25519MLKEM768); default: rustls's (aws-lc-rs) list,
    /// X25519MLKEM768 first.
    #[arg(long, value_name = "GROUP", requires = "tls")]
    pub tls_group: Option<String>,
    /// Connect with IRC over WebSocket (IRCv3 websocket, subprotocol
    /// text.ircv3.net, one IRC line per message, path /) to an HTTP
    /// listener at --addr (natter's `[listen] http`); with --tls, over
    /// HTTPS (wss).
    #[arg(long)]
    pub ws: bool,
}

impl Transport {
    /// `tcp`, `tls`, `ws` or `wss`.
    pub fn name(&self) -> &'static str {
        match (self.tls, self.ws) {
            (false, false) => "tcp",
            (true, false) => "tls",
            (false, true) => "ws",
            (true, true) => "wss",
        }
    }
}

/// The WebSocket subprotocol: IRC lines as text messages.
const SUBPROTOCOL: &str = "text.ircv3.net";

/// Opens connections as [`Transport`] says; cheap to clone.
#[derive(Clone)]
pub struct Dialer {
    tls: Option<tokio_rustls::TlsConnector>,
    ws: bool,
}

/// What TLS a connection negotiated, e.g. `TLSv1_3 TLS13_AES_256_GCM_SHA384
/// X25519MLKEM768`.
pub type Negotiated = Option<String>;

impl Dialer {
    pub fn new(t: &Transport) -> Result<Dialer, String> {
        if !t.tls {
            return Ok(Dialer {
                tls: None,
                ws: t.ws,
            });
        }
        let mut provider = rustls::crypto::aws_lc_rs::default_provider();
        if let Some(name) = &t.tls_group {
            let all: Vec<String> = provider
                .kx_groups
                .iter()
                .map(|g| format!("{:?}", g.name()))
                .collect();
            provider
                .kx_groups
                .retain(|g| format!("{:?}", g.name()).eq_ignore_ascii_case(name));
            if provider.kx_groups.is_empty() {
                return Err(format!("--tls-group {name}: not one of {}", all.join(", ")));
            }
        }
        // Self-signed servers: any certificate, the handshake's signature
        // still checked.
        let verifier = natter_server::tls::ServerCertificate::any();
        let mut config = rustls::ClientConfig::builder_with_provider(Arc::new(provider))
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("TLS: {e}"))?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(verifier))
            .with_no_client_auth();
        // Every handshake a full one: a benchmark of handshakes must not
        // measure session resumption by accident.
        config.resumption = rustls::client::Resumption::disabled();
        Ok(Dialer {
            tls: Some(tokio_rustls::TlsConnector::from(Arc::new(config))),
            ws: t.ws,
        })
    }

    pub fn is_tls(&self) -> bool {
        self.tls.is_some()
    }

    /// Connects to `addr` (and completes the TLS handshake) within
    /// [`STEP_TIMEOUT`].
    pub async fn dial(&self, addr: SocketAddr) -> Result<(Reader, Writer, Negotiated), String> {
        tokio::time::timeout(STEP_TIMEOUT, self.dial_now(addr))
            .await
            .map_err(|_| "connect timed out".to_string())?
    }

    async fn dial_now(&self, addr: SocketAddr) -> Result<(Reader, Writer, Negotiated), String> {
        let stream = TcpStream::connect(addr)
            .await
            .map_err(|e| format!("connect: {e}"))?;
        let _ = stream.set_nodelay(true);
        let (socket, negotiated) = match &self.tls {
            None => (Socket::Plain(stream), None),
            Some(connector) => {
                let name = ServerName::IpAddress(addr.ip().into());
                let tls = connector
                    .connect(name, stream)
                    .await
                    .map_err(|e| format!("TLS handshake: {e}"))?;
                let negotiated = describe(tls.get_ref().1);
                (Socket::Tls(Box::new(tls)), Some(negotiated))
            }
        };
        if self.ws {
            let (r, w) = websocket(addr, socket).await?;
            return Ok((Reader::Ws(r), Writer::Ws(w), negotiated));
        }
        match socket {
            Socket::Plain(stream) => {
                let (r, w) = stream.into_split();
                Ok((Reader::Plain(r), Writer::Plain(w), negotiated))
            }
            Socket::Tls(tls) => {
                let (r, w) = tokio::io::split(*tls);
                Ok((Reader::Tls(r), Writer::Tls(w), negotiated))
            }
        }
    }
}

/// The WebSocket upgrade of `socket` (GET / with the IRC subprotocol and
/// no Origin: not a browser) and its two halves.
async fn websocket(addr: SocketAddr, socket: Socket) -> Result<(WsReader, WsWriter), String> {
    let mut request = format!("ws://{addr}/")
        .into_client_request()
        .map_err(|e| format!("WebSocket request: {e}"))?;
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        tungstenite::http::HeaderValue::from_static(SUBPROTOCOL),
    );
    let (ws, response) = tokio_tungstenite::client_async(request, socket)
        .await
        .map_err(|e| format!("WebSocket upgrade: {e}"))?;
    let chosen = response
        .headers()
        .get("Sec-WebSocket-Protocol")
        .and_then(|v| v.to_str().ok());
    if chosen != Some(SUBPROTOCOL) {
        return Err(format!(
            "WebSocket upgrade: the server chose subprotocol {chosen:?}, not {SUBPROTOCOL}"
        ));
    }
    let (sink, stream) = ws.split();
    Ok((
        WsReader {
            stream,
            pending: Vec::new(),
            at: 0,
        },
        WsWriter {
            sink,
            partial: Vec::new(),
        },
    ))
}

/// A connection's stream under WebSocket: TCP, or TLS over TCP.
pub enum Socket {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

impl AsyncRead for Socket {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Socket::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Socket::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Socket {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Socket::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Socket::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Socket::Plain(s) => Pin::new(s).poll_flush(cx),
            Socket::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Socket::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Socket::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

/// The receiving half over WebSocket: messages as CR LF terminated lines.
pub struct WsReader {
    stream: SplitStream<WebSocketStream<Socket>>,
    /// A line (with CR LF) that did not fit the caller's buffer, from `at`.
    pending: Vec<u8>,
    at: usize,
}

impl WsReader {
    /// Copies messages into `buf` as lines: every message already received
    /// that fits, at least one (or the end: nothing copied).
    fn poll_lines(&mut self, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let mut copied = false;
        loop {
            if self.at < self.pending.len() {
                let n = buf.remaining().min(self.pending.len() - self.at);
                buf.put_slice(&self.pending[self.at..self.at + n]);
                self.at += n;
                copied = true;
                if self.at < self.pending.len() {
                    return Poll::Ready(Ok(()));
                }
            }
            let next = match self.stream.poll_next_unpin(cx) {
                // Pending after a copy: the waker is registered, and what
                // was copied goes to the caller now.
                Poll::Pending if copied => return Poll::Ready(Ok(())),
                Poll::Pending => return Poll::Pending,
                Poll::Ready(next) => next,
            };
            let bytes: &[u8] = match &next {
                Some(Ok(Message::Text(text))) => text.as_bytes(),
                Some(Ok(Message::Binary(bytes))) => bytes,
                // Pings are answered by tungstenite itself.
                Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => continue,
                Some(Ok(Message::Close(_))) | None => return Poll::Ready(Ok(())),
                Some(Err(
                    tungstenite::Error::ConnectionClosed | tungstenite::Error::AlreadyClosed,
                )) => return Poll::Ready(Ok(())),
                // Its kind kept: a TLS close without close_notify is
                // UnexpectedEof, which the handshakes scenario counts as a close.
                Some(Err(tungstenite::Error::Io(e))) => {
                    return Poll::Ready(Err(io::Error::new(e.kind(), e.to_string())))
                }
                Some(Err(e)) => return Poll::Ready(Err(io::Error::other(e.to_string()))),
            };
            if buf.remaining() >= bytes.len() + 2 {
                buf.put_slice(bytes);
                buf.put_slice(b"\r\n");
                copied = true;
            } else {
                self.pending.clear();
                self.pending.extend_from_slice(bytes);
                self.pending.extend_from_slice(b"\r\n");
                self.at = 0;
                if buf.remaining() == 0 {
                    return Poll::Ready(Ok(()));
                }
            }
        }
    }
}

/// The sending half over WebSocket.
pub struct WsWriter {
    sink: SplitSink<WebSocketStream<Socket>, Message>,
    /// The start of a line whose end has not been given yet.
    partial: Vec<u8>,
}

impl WsWriter {
    /// Sends each complete line of `bytes` (with what `partial` holds) as a
    /// text message, then flushes once.
    async fn send_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        let failed = |e: tungstenite::Error| io::Error::other(e.to_string());
        let mut rest = bytes;
        while let Some(nl) = rest.iter().position(|&b| b == b'\n') {
            let mut line = &rest[..nl];
            rest = &rest[nl + 1..];
            let joined;
            if !self.partial.is_empty() {
                self.partial.extend_from_slice(line);
                joined = std::mem::take(&mut self.partial);
                line = &joined;
            }
            while let [head @ .., b'\r'] = line {
                line = head;
            }
            if line.is_empty() {
                continue;
            }
            let text = String::from_utf8_lossy(line).into_owned();
            self.sink.feed(Message::text(text)).await.map_err(failed)?;
        }
        self.partial.extend_from_slice(rest);
        self.sink.flush().await.map_err(failed)
    }
}

/// Protocol version, cipher suite and key exchange group.
fn describe(c: &rustls::ClientConnection) -> String {
    let part = |s: Option<String>| s.unwrap_or_else(|| "?".into());
    format!(
        "{} {} {}",
        part(c.protocol_version().map(|v| format!("{v:?}"))),
        part(
            c.negotiated_cipher_suite()
                .map(|s| format!("{:?}", s.suite()))
        ),
        part(
            c.negotiated_key_exchange_group()
                .map(|g| format!("{:?}", g.name()))
        ),
    )
}

/// A connection's read half.
pub enum Reader {
    Plain(OwnedReadHalf),
    Tls(tokio::io::ReadHalf<TlsStream<TcpStream>>),
    Ws(WsReader),
}

/// A connection's write half.
pub enum Writer {
    Plain(OwnedWriteHalf),
    Tls(tokio::io::WriteHalf<TlsStream<TcpStream>>),
    Ws(WsWriter),
}

impl Writer {
    /// Writes all of `bytes` and, over TLS, flushes the records rustls
    /// still holds (a plain TCP write has nothing to flush).
    pub async fn send_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        match self {
            Writer::Plain(w) => w.write_all(bytes).await,
            Writer::Tls(w) => {
                w.write_all(bytes).await?;
                w.flush().await
            }
            Writer::Ws(w) => w.send_all(bytes).await,
        }
    }
}

impl AsyncRead for Reader {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Reader::Plain(r) => Pin::new(r).poll_read(cx, buf),
            Reader::Tls(r) => Pin::new(r).poll_read(cx, buf),
            Reader::Ws(r) => r.poll_lines(cx, buf),
        }
    }
}
