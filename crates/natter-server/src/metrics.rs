//! Prometheus metrics and the listener that serves them (`/metrics`).

/// Serves one connection accepted on a metrics listener.
pub(crate) async fn accept(
    shared: std::sync::Arc<crate::server::Shared>,
    stream: tokio::net::TcpStream,
    addr: std::net::SocketAddr,
) {
    let _ = (shared, stream, addr);
}
