//! Metric types prometheus-client lacks, for natter's hot paths: a
//! lock-free [`Histogram`] of durations (prometheus-client's takes a mutex
//! on every observation) and a [`Total`], a counter whose value is worked
//! out at scrape time.
//!
//! What may touch what: used by the rest of `metrics` and by the history
//! writer ([`crate::history`]), which observes its commit latency into a
//! [`Histogram`] it owns; no knowledge of the world.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use prometheus_client::encoding::{EncodeMetric, MetricEncoder, NoLabelSet};
use prometheus_client::metrics::MetricType;

/// Upper bounds, in seconds, for the time a command holds the world lock:
/// 1 µs to 100 ms.
pub const WORLD_HOLD_BUCKETS: &[f64] = &[
    0.000_001,
    0.000_002_5,
    0.000_005,
    0.000_01,
    0.000_025,
    0.000_05,
    0.000_1,
    0.000_25,
    0.000_5,
    0.001,
    0.002_5,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
];

/// Upper bounds, in seconds, for the time from recording a message to its
/// commit in the history store: 100 µs to 10 s.
pub const COMMIT_BUCKETS: &[f64] = &[
    0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    5.0, 10.0,
];

/// A histogram of durations, in seconds, with fixed buckets; observing
/// costs two relaxed atomic adds and no lock. Clones share the same
/// counts.
///
/// The count is the sum of the buckets, so a scrape sees a count that
/// matches its buckets; the sum may be one observation ahead or behind.
#[derive(Clone, Debug)]
pub struct Histogram(Arc<Inner>);

#[derive(Debug)]
struct Inner {
    /// Upper bounds in nanoseconds, ascending.
    bounds_ns: Box<[u64]>,
    /// The same in seconds, as they are shown.
    bounds: Box<[f64]>,
    /// Observations per bucket (not cumulative); the last is `+Inf`.
    counts: Box<[AtomicU64]>,
    /// Sum of the observations, in nanoseconds.
    sum_ns: AtomicU64,
}

impl Histogram {
    /// A histogram with `bounds` (seconds, ascending) as bucket upper
    /// bounds, plus `+Inf`.
    pub fn new(bounds: &[f64]) -> Histogram {
        Histogram(Arc::new(Inner {
            bounds_ns: bounds.iter().map(|b| (b * 1e9).round() as u64).collect(),
            bounds: bounds.to_vec().into_boxed_slice(),
            counts: (0..=bounds.len()).map(|_| AtomicU64::new(0)).collect(),
            sum_ns: AtomicU64::new(0),
        }))
    }

    /// Records one duration.
    pub fn observe(&self, d: Duration) {
        let ns = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        let i = self.0.bounds_ns.partition_point(|&b| b < ns);
        self.0.counts[i].fetch_add(1, Ordering::Relaxed);
        self.0.sum_ns.fetch_add(ns, Ordering::Relaxed);
    }

    /// Observations so far.
    pub fn count(&self) -> u64 {
        self.0
            .counts
            .iter()
            .map(|c| c.load(Ordering::Relaxed))
            .sum()
    }
}

impl EncodeMetric for Histogram {
    fn encode(&self, mut encoder: MetricEncoder) -> Result<(), std::fmt::Error> {
        let inner = &self.0;
        let buckets: Vec<(f64, u64)> = inner
            .bounds
            .iter()
            .copied()
            // Written `+Inf` by both text formats.
            .chain(std::iter::once(f64::INFINITY))
            .zip(inner.counts.iter().map(|c| c.load(Ordering::Relaxed)))
            .collect();
        let count = buckets.iter().map(|(_, c)| c).sum();
        let sum = inner.sum_ns.load(Ordering::Relaxed) as f64 / 1e9;
        encoder.encode_histogram::<NoLabelSet>(sum, count, &buckets, None)
    }

    fn metric_type(&self) -> MetricType {
        MetricType::Histogram
    }
}

/// A counter whose value is set at scrape time from figures that only
/// grow (bytes written by live connections plus those that closed).
/// Clones share the value.
#[derive(Clone, Debug, Default)]
pub struct Total(Arc<AtomicU64>);

impl Total {
    /// Sets the value; one lower than the last is ignored, so the counter
    /// never goes back.
    pub fn set(&self, v: u64) {
        self.0.fetch_max(v, Ordering::Relaxed);
    }

    /// The value.
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

impl EncodeMetric for Total {
    fn encode(&self, mut encoder: MetricEncoder) -> Result<(), std::fmt::Error> {
        encoder.encode_counter::<NoLabelSet, _, u64>(&self.get(), None)
    }

    fn metric_type(&self) -> MetricType {
        MetricType::Counter
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn observations_land_in_the_first_bucket_that_holds_them() {
        let h = Histogram::new(&[0.000_001, 0.001]);
        h.observe(Duration::from_nanos(1_000)); // on the bound: first
        h.observe(Duration::from_nanos(1_001)); // second
        h.observe(Duration::from_secs(1)); // +Inf
        let counts: Vec<u64> =
            h.0.counts
                .iter()
                .map(|c| c.load(Ordering::Relaxed))
                .collect();
        assert_eq!(counts, [1, 1, 1]);
        assert_eq!(h.count(), 3);
        assert_eq!(h.0.sum_ns.load(Ordering::Relaxed), 1_000_002_001);
    }

    #[test]
    fn totals_never_go_back() {
        let t = Total::default();
        t.set(10);
        t.set(7);
        assert_eq!(t.get(), 10);
    }
}
