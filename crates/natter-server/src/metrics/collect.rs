//! A scrape: sets the gauges and scrape-time totals of [`Metrics`] from
//! the world (under its lock, one pass over the local connections) and
//! from `/proc/self`, then renders the registry as text.
//!
//! What may touch what: the one part of `metrics` that reads the
//! assembled world ([`crate::World`]: connections, the network, server
//! links, the history writer); called only by `serve`.

use std::collections::HashMap;

use prometheus_client::encoding::{prometheus_text, text};

use super::{frontend_index, transport_index, Metrics, FRONTENDS, TRANSPORTS};
use crate::World;

/// The `Content-Type` of the OpenMetrics text format.
pub(super) const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The `Content-Type` of the Prometheus text format, version 0.0.4.
pub(super) const PROMETHEUS: &str = prometheus_text::CONTENT_TYPE;

impl Metrics {
    /// Reads the world's figures into the gauges, then renders every
    /// metric: in the OpenMetrics text format when `openmetrics`, else in
    /// the Prometheus text format 0.0.4.
    pub(crate) fn scrape(
        &self,
        world: &parking_lot::Mutex<World>,
        openmetrics: bool,
    ) -> Result<String, std::fmt::Error> {
        let _one_at_a_time = self.scrape.lock();
        self.collect_world(&world.lock());
        self.collect_process();
        let mut out = String::with_capacity(16 * 1024);
        if openmetrics {
            text::encode(&mut out, &self.registry)?;
        } else {
            prometheus_text::encode(&mut out, &self.registry)?;
        }
        Ok(out)
    }

    /// The figures the world keeps; runs under the world lock, so it only
    /// counts and copies.
    fn collect_world(&self, world: &World) {
        let mut conns = [[0i64; 4]; 2];
        let (mut queued, mut written) = (0u64, 0u64);
        for conn in world.conns.values() {
            if let Some(f) = frontend_index(conn.frontend) {
                conns[f][transport_index(conn.transport)] += 1;
            }
            let (lines, bytes) = conn.out.traffic();
            queued += lines;
            written += bytes;
        }
        for (f, frontend) in FRONTENDS.iter().enumerate() {
            for (t, transport) in TRANSPORTS.iter().enumerate() {
                self.connections
                    .get_or_create(&[("frontend", frontend), ("transport", transport)])
                    .set(conns[f][t]);
            }
        }
        use std::sync::atomic::Ordering::Relaxed;
        self.queued.set(queued + self.retired_queued.load(Relaxed));
        self.written
            .set(written + self.retired_written.load(Relaxed));

        let net = &world.net;
        let count = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
        self.users
            .get_or_create(&[("scope", "local")])
            .set(count(net.local_user_count()));
        self.users
            .get_or_create(&[("scope", "network")])
            .set(count(net.user_count()));
        self.channels.set(count(net.channel_count()));
        self.servers.set(count(net.servers().count()));
        self.history_queue
            .set(i64::try_from(world.history.pending()).unwrap_or(i64::MAX));

        // Every configured neighbour has a series, down until linked;
        // neighbours gone from both the configuration and the network
        // lose theirs.
        let mut peers: HashMap<String, Option<Option<u64>>> = world
            .config
            .links
            .iter()
            .map(|l| (l.name.clone(), None))
            .collect();
        for (id, link) in &world.front.link.links {
            peers.insert(net.server_name(*id).to_string(), Some(link.lag_ms));
        }
        self.link_up.clear();
        self.link_lag.clear();
        for (peer, state) in peers {
            let labels = [("peer", peer)];
            self.link_up
                .get_or_create(&labels)
                .set(i64::from(state.is_some()));
            if let Some(Some(ms)) = state {
                self.link_lag.get_or_create(&labels).set(ms as f64 / 1000.0);
            }
        }
    }

    /// Resident memory, open descriptors and CPU time from `/proc/self`
    /// (Linux); left as they were where it cannot be read.
    fn collect_process(&self) {
        if let Ok(fds) = std::fs::read_dir("/proc/self/fd") {
            self.open_fds.set(fds.count() as i64);
        }
        if let Ok(status) = std::fs::read_to_string("/proc/self/status") {
            let rss_kb = status
                .lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.split_whitespace().next())
                .and_then(|kb| kb.parse::<i64>().ok());
            if let Some(kb) = rss_kb {
                self.rss.set(kb * 1024);
            }
        }
        if let Ok(stat) = std::fs::read_to_string("/proc/self/stat") {
            if let Some(seconds) = cpu_seconds(&stat) {
                let more = seconds - self.cpu.get();
                if more > 0.0 {
                    self.cpu.inc_by(more);
                }
            }
        }
    }
}

/// User plus system CPU time from the text of `/proc/self/stat`, in
/// seconds (its fields 14 and 15, in clock ticks of 1/100 s, the value
/// of `USER_HZ` on every Linux architecture natter runs on).
fn cpu_seconds(stat: &str) -> Option<f64> {
    // The command name (field 2) may hold spaces; it ends at the last ')'.
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace().skip(11);
    let utime: f64 = fields.next()?.parse().ok()?;
    let stime: f64 = fields.next()?.parse().ok()?;
    Some((utime + stime) / 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_time_comes_from_fields_14_and_15() {
        let stat = "1234 (natter (x) y) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 50 0 0 20 0";
        assert_eq!(cpu_seconds(stat), Some(3.0));
    }
}
