//! The metrics listener's connections: HTTP/1.1 (hyper) serving
//! `GET /metrics` (and HEAD) and 404 for any other path.
//!
//! The scraper chooses the format: one whose `Accept` names
//! `application/openmetrics-text` gets OpenMetrics text, any other the
//! Prometheus text format 0.0.4 (Prometheus asks for both and prefers
//! OpenMetrics).
//!
//! What may touch what: called by the server's accept loop for each
//! connection on `[listen] metrics`; reads only [`Shared`]'s world and
//! metrics.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{HeaderValue, ACCEPT, ALLOW, CONTENT_TYPE};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};

use super::collect::{OPENMETRICS, PROMETHEUS};
use crate::server::Shared;

/// How long a scraper may take to send its request headers.
const HEADER_TIMEOUT: Duration = Duration::from_secs(10);

/// Serves one connection accepted on a metrics listener until the peer
/// closes it or the server shuts down.
pub(crate) async fn accept(shared: Arc<Shared>, stream: tokio::net::TcpStream, addr: SocketAddr) {
    let service = {
        let shared = shared.clone();
        hyper::service::service_fn(move |req| {
            let response = respond(&shared, &req);
            async move { Ok::<_, Infallible>(response) }
        })
    };
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_TIMEOUT)
        .serve_connection(TokioIo::new(stream), service);
    tokio::pin!(conn);
    let result = tokio::select! {
        result = conn.as_mut() => result,
        _ = shared.shutdown.cancelled() => {
            // Finish a response under way, then close.
            conn.as_mut().graceful_shutdown();
            conn.await
        }
    };
    if let Err(e) = result {
        tracing::debug!(%addr, error = %e, "metrics connection ended");
    }
}

/// The answer to one request.
fn respond<B>(shared: &Shared, req: &Request<B>) -> Response<Full<Bytes>> {
    if req.uri().path() != "/metrics" {
        return plain(
            StatusCode::NOT_FOUND,
            "Not Found: metrics are at /metrics\n",
        );
    }
    if req.method() != Method::GET && req.method() != Method::HEAD {
        let mut response = plain(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed\n");
        response
            .headers_mut()
            .insert(ALLOW, HeaderValue::from_static("GET, HEAD"));
        return response;
    }
    let openmetrics = req
        .headers()
        .get_all(ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.contains("application/openmetrics-text"));
    let text = match shared.metrics.scrape(&shared.world, openmetrics) {
        Ok(text) => text,
        Err(_) => return plain(StatusCode::INTERNAL_SERVER_ERROR, "cannot render metrics\n"),
    };
    let content_type = if openmetrics { OPENMETRICS } else { PROMETHEUS };
    let mut response = Response::new(Full::new(Bytes::from(text)));
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

/// A plain-text response with `status`.
fn plain(status: StatusCode, body: &'static str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    *response.status_mut() = status;
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}
