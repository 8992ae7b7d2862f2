//! Admitting a connection, or refusing it with one closing line: a
//! D-lined address, then one past a connection limit (`crate::admission`),
//! decided under one world lock before anything else happens.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use natter_model::Frontend;

use crate::flood::{ChangeRates, Policy};
use crate::frontends::closing_line;
use crate::outbound::Outbound;
use crate::server::Shared;
use crate::transport::{Socket, Transport};
use crate::ConnEntry;

/// What admitting a connection gives: whether it needs PASS, its queue,
/// its flood policy and its change rates.
pub(super) type Admitted = (bool, Arc<Outbound>, Policy, Option<ChangeRates>);

/// Admits connection `id` from `addr` under one lock: a D-lined address,
/// then one past a connection limit, is refused (`Err`: the reason, for
/// one closing line); otherwise it is registered in the world's `conns`.
pub(super) fn admit<S: Socket>(
    shared: &Shared,
    stream: &Transport<S>,
    addr: SocketAddr,
    frontend: Frontend,
    id: u64,
) -> Result<Admitted, String> {
    let mut w = shared.world.lock();
    let config = w.config.clone();
    let now = std::time::Instant::now();
    if let Some(why) = crate::server_bans::refused_at_accept(&mut w, addr.ip()) {
        return Err(why);
    }
    if let Err(refusal) = w.admission.admit(addr.ip(), &config.connections, now) {
        return Err(refusal.to_string());
    }
    let policy = Policy::for_client(&config, addr.ip(), None, false);
    let out = Arc::new(Outbound::new(policy.sendq));
    let mut entry = ConnEntry::new(out.clone(), frontend, addr);
    entry.transport = stream.kind();
    // Admitted on the loop the task runs on, for good.
    entry.home = crate::flusher::current_loop();
    entry.fd = stream.direct_fd().unwrap_or(-1);
    w.conns.insert(id, Box::new(entry));
    // Shutdown closes the queues it finds under this lock; one that
    // arrives later closes itself.
    if shared.shutdown.is_cancelled() {
        out.shut_down();
    }
    let rates = ChangeRates::new(&config, &policy);
    Ok((config.server.password.is_some(), out, policy, rates))
}

/// Refuses a connection (a D-line, a connection limit) with `reason`: the
/// closing line (IRC's ERROR, the IM protocol's ERROR) and a close. A TLS
/// connection is closed before its handshake, without a line: a refused
/// client gets no handshake's worth of the server's CPU.
pub(super) async fn refuse<S: Socket>(
    shared: &Shared,
    stream: Transport<S>,
    addr: SocketAddr,
    frontend: Frontend,
    reason: &str,
) {
    shared
        .metrics
        .disconnected(crate::metrics::Disconnect::Refused);
    tracing::debug!(%addr, reason, "connection refused");
    let host = crate::server_bans::real_host(addr.ip());
    let line = closing_line(frontend, &host, reason);
    stream
        .finish(line.into_bytes(), Duration::from_secs(1))
        .await;
}
