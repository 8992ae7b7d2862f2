//! The HTTP front end: the listeners of `[listen] http` and `http_tls`
//! serve, over HTTP/1.1 (hyper), the web client's files at `/`
//! (`assets`), `/healthz`, and IRC over WebSocket (IRCv3 `websocket`)
//! on any path (`websocket`); `proxy` holds the rules on who is asking
//! (`X-Forwarded-For` from `[http] trusted_proxies`, `Origin` against
//! `[http] allowed_origins`).
//!
//! A WebSocket client becomes an ordinary IRC client: its lines reach
//! `conn::serve` through a Unix socket pair like a TCP client's
//! through its socket, so nothing outside this module knows HTTP. The
//! server's accept loop calls `accept` for each connection, and
//! `config` uses [`Cidr`]; nothing else touches this module.
//!
//! Each HTTP connection moves to the next event loop at once, and the
//! WebSocket bridge and the IRC connection it leads to run there too:
//! their wake-ups stay on one loop.
//!
//! Responses:
//!
//! | request | answer |
//! | --- | --- |
//! | WebSocket upgrade, any path | 101 (403: origin refused; 400/426: bad handshake) |
//! | `GET /healthz` | 200 `ok` (503 once the server is shutting down) |
//! | `GET` a file of `assets::FILES` (`/`, `/app.js` and its modules, `/style.css`) | 200, the file |
//! | any other `GET` | 404 |
//! | another method | 405 |
//!
//! Every response carries `X-Content-Type-Options: nosniff`, a
//! `Content-Security-Policy` (`assets::CSP`), `Referrer-Policy:
//! no-referrer` and `X-Frame-Options: DENY`; files are `Cache-Control:
//! no-cache` (a new natter serves its new files at once).

mod assets;
pub(crate) mod auth;
mod files;
mod proxy;
pub(crate) mod websocket;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full};
use hyper::header::{self, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use natter_model::Frontend;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::protocol::Role;
use tokio_tungstenite::WebSocketStream;
use tokio_util::task::TaskTracker;

pub use proxy::Cidr;

use crate::event_loops::EventLoops;
use crate::server::Shared;
use crate::transport::{Kind, Transport};

/// The body of every response: whole (`full`) or streamed from a file.
pub(crate) type Body = UnsyncBoxBody<Bytes, std::io::Error>;

/// A whole body.
pub(crate) fn full(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into())
        .map_err(|never| match never {})
        .boxed_unsync()
}

/// How long an HTTPS client may take over its TLS handshake.
const TLS_HANDSHAKE: Duration = Duration::from_secs(10);

/// How long a client may take to send a request's headers.
const HEADER_READ: Duration = Duration::from_secs(30);

/// How long open HTTP requests get to finish at shutdown.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Serves one connection accepted on an HTTP listener (`tls`: HTTPS, with
/// the certificate of [`crate::tls::Tls::https_config`]; a listener
/// without one closes the connection). `peer` is the TCP peer. The
/// connection moves to the next of `loops`, and every task it leads to is
/// tracked by `tasks`. Errors are the client's and only end its
/// connection (logged at debug level).
pub(crate) async fn accept(
    shared: Arc<Shared>,
    stream: TcpStream,
    peer: SocketAddr,
    tls: bool,
    loops: Arc<EventLoops>,
    tasks: TaskTracker,
) {
    let (index, handle) = loops.next();
    if index == 0 {
        return serve(shared, stream, peer, tls, tasks).await;
    }
    // Off this loop's epoll, onto the other loop's (as server::spawn_client
    // does for IRC clients).
    let stream = match stream.into_std() {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!(error = %e, "cannot hand an HTTP connection over");
            return;
        }
    };
    let t = tasks.clone();
    tasks.spawn_on(
        async move {
            match TcpStream::from_std(stream) {
                Ok(stream) => serve(shared, stream, peer, tls, t).await,
                Err(e) => tracing::warn!(error = %e, "cannot watch an HTTP connection"),
            }
        },
        handle,
    );
}

/// [`accept`] on the connection's own loop: the TLS handshake, if any,
/// then HTTP.
async fn serve(
    shared: Arc<Shared>,
    stream: TcpStream,
    peer: SocketAddr,
    tls: bool,
    tasks: TaskTracker,
) {
    if !tls {
        return serve_http(shared, stream, peer, false, tasks).await;
    }
    let Some(config) = shared.tls.https_config() else {
        return;
    };
    let acceptor = tokio_rustls::TlsAcceptor::from(config);
    match tokio::time::timeout(TLS_HANDSHAKE, acceptor.accept(stream)).await {
        Ok(Ok(stream)) => serve_http(shared, stream, peer, true, tasks).await,
        Ok(Err(e)) => tracing::debug!(%peer, error = %e, "HTTPS handshake failed"),
        Err(_) => tracing::debug!(%peer, "HTTPS handshake timed out"),
    }
}

/// HTTP/1.1 with keep-alive and upgrades on `io`, until the client closes
/// it, an upgrade takes it over, or the server shuts down (the request in
/// progress finishes first).
async fn serve_http<I>(shared: Arc<Shared>, io: I, peer: SocketAddr, tls: bool, tasks: TaskTracker)
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let stopping = shared.shutdown.clone();
    let service = hyper::service::service_fn(move |req: Request<hyper::body::Incoming>| {
        let shared = shared.clone();
        let tasks = tasks.clone();
        async move {
            let mut response = if files::is_files_path(req.uri().path()) {
                files::respond(&shared, req, peer, tls).await
            } else {
                respond(&shared, req, peer, tls, &tasks)
            };
            secure(&mut response);
            Ok::<_, Infallible>(response)
        }
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ)
        .serve_connection(TokioIo::new(io), service)
        .with_upgrades();
    tokio::pin!(conn);
    let result = tokio::select! {
        r = conn.as_mut() => r,
        _ = stopping.cancelled() => {
            conn.as_mut().graceful_shutdown();
            tokio::time::timeout(SHUTDOWN_GRACE, conn).await.unwrap_or(Ok(()))
        }
    };
    if let Err(e) = result {
        tracing::debug!(%peer, error = %e, "HTTP connection ended");
    }
}

/// The answer to one request (see the module's table).
fn respond(
    shared: &Arc<Shared>,
    req: Request<hyper::body::Incoming>,
    peer: SocketAddr,
    tls: bool,
    tasks: &TaskTracker,
) -> Response<Body> {
    if websocket::is_upgrade(req.headers()) {
        upgrade(shared, req, peer, tls, tasks)
    } else if req.method() != Method::GET && req.method() != Method::HEAD {
        let mut r = plain(StatusCode::METHOD_NOT_ALLOWED, "method not allowed\n");
        r.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        r
    } else if req.uri().path() == "/healthz" {
        let mut r = if shared.shutdown.is_cancelled() {
            plain(StatusCode::SERVICE_UNAVAILABLE, "shutting down\n")
        } else {
            plain(StatusCode::OK, "ok")
        };
        r.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        r
    } else if let Some(file) = assets::find(req.uri().path()) {
        let mut r = Response::new(full(Bytes::from_static(file.body)));
        let h = r.headers_mut();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(file.content_type),
        );
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        r
    } else {
        plain(StatusCode::NOT_FOUND, "not found\n")
    }
}

/// The headers every response carries (a response that set its own
/// `Content-Security-Policy`, a shared file's, keeps it).
fn secure(response: &mut Response<Body>) {
    let h = response.headers_mut();
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.entry(header::CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static(assets::CSP));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
}

/// A `text/plain` response with `status` and `text`.
pub(crate) fn plain(status: StatusCode, text: &'static str) -> Response<Body> {
    let mut r = Response::new(full(Bytes::from_static(text.as_bytes())));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

/// A WebSocket upgrade: checks the origin and the handshake, answers 101,
/// and once hyper hands the connection over, starts the IRC connection
/// and the bridge to it on this loop. The client's address is the one
/// [`proxy::client_addr`] finds; the page's own scheme is this listener's,
/// or what a trusted proxy's `X-Forwarded-Proto` says (a proxy that ends
/// TLS in front of an HTTP listener).
fn upgrade(
    shared: &Arc<Shared>,
    mut req: Request<hyper::body::Incoming>,
    peer: SocketAddr,
    tls: bool,
    tasks: &TaskTracker,
) -> Response<Body> {
    let config = shared.world.lock().config.clone();
    let trusted = proxy::trusted(&config.http.trusted_proxies);
    let headers = req.headers();
    let forwarded: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    let client = proxy::client_addr(peer, &forwarded, &trusted);
    let mut scheme = if tls { "https" } else { "http" };
    if proxy::is_trusted(peer.ip(), &trusted) {
        let proto = headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .map(str::trim);
        if let Some(p @ ("http" | "https")) = proto {
            scheme = p;
        }
    }
    // An Origin that is not text matches nothing but "*".
    let origin = headers
        .get(header::ORIGIN)
        .map(|v| v.to_str().unwrap_or("\u{fffd}"));
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    if !proxy::origin_allowed(origin, scheme, host, &config.http.allowed_origins) {
        tracing::debug!(%client, origin = origin.unwrap_or(""), "WebSocket origin refused");
        return plain(StatusCode::FORBIDDEN, "origin not allowed\n");
    }
    let (response, framing) = match websocket::handshake(&req) {
        Ok(ok) => ok,
        Err(refused) => return refused,
    };
    let on_upgrade = hyper::upgrade::on(&mut req);
    let shared = shared.clone();
    let t = tasks.clone();
    tasks.spawn(async move {
        let upgraded = match on_upgrade.await {
            Ok(u) => u,
            Err(e) => {
                tracing::debug!(%client, error = %e, "WebSocket upgrade failed");
                return;
            }
        };
        let ws = WebSocketStream::from_raw_socket(
            TokioIo::new(upgraded),
            Role::Server,
            Some(websocket::config()),
        )
        .await;
        let (irc_end, bridge_end) = match tokio::net::UnixStream::pair() {
            Ok(pair) => pair,
            Err(e) => {
                tracing::warn!(error = %e, "cannot make a socket pair for a WebSocket");
                return;
            }
        };
        tracing::debug!(%client, ?framing, "WebSocket client");
        let transport = Transport::new(irc_end, None, Kind::WebSocket { secure: tls });
        let (done, conn_done) = tokio::sync::oneshot::channel::<()>();
        t.spawn(async move {
            let _done = done;
            crate::conn::serve(shared, transport, client, Frontend::Irc).await;
        });
        websocket::bridge(ws, bridge_end, framing, conn_done).await;
    });
    response
}
