//! Connection deadlines: when a client that has not registered is
//! dropped, when a quiet client is sent a PING, and when one that does not
//! answer it is dropped.
//!
//! A connection's one deadline is a count of [`TICK`]s in its queue
//! ([`Outbound::arm`]: four bytes that were padding), and one task for the
//! whole server ([`keeper`]) looks at every connection's once a tick and
//! rings the queue of each whose deadline passed ([`Outbound::fire_due`]).
//! The connection then reads its own clock and timeouts, so a deadline
//! that fired early (input moved the real one on) only arms the next.
//!
//! Not a tokio `Sleep` in every connection's task: a `Sleep` is 112 bytes,
//! and the task of every idle client is memory per client
//! (docs/performance.md, "Memory per idle client"); nor a set of
//! deadlines beside the connections, which costs as much again. The price
//! is a tick's precision (a deadline fires up to a tick late, as in IRC
//! servers that check pings from a once-a-second timer) and a look at
//! every connection's queue once a tick, under the world lock: about 50
//! µs per thousand connections (with 19,000 idle clients the server used
//! 11 ms of CPU in 10 s, `perf stat -e task-clock`).
//!
//! What may touch what: neutral (no front end); `conn` arms, `server` runs
//! the keeper.

use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use crate::outbound::Outbound;
use crate::server::Shared;

/// How often the keeper looks, and so how late a deadline may fire.
pub const TICK: Duration = Duration::from_secs(1);

/// The clock deadlines are counted on: ticks since the server started,
/// from 1 (0 is "not armed" in a queue).
#[derive(Debug)]
pub(crate) struct Deadlines {
    epoch: Instant,
}

impl Default for Deadlines {
    fn default() -> Self {
        Deadlines {
            epoch: Instant::now(),
        }
    }
}

impl Deadlines {
    /// The first tick at or after `at` (a deadline never fires early).
    fn tick_at_or_after(&self, at: Instant) -> u32 {
        self.tick(at, u128::div_ceil)
    }

    /// The tick `now` is in.
    fn tick_now(&self, now: Instant) -> u32 {
        self.tick(now, |nanos, tick| nanos / tick)
    }

    /// Whole ticks from the epoch to `at`, counted by `round` (up or
    /// down) and from 1; `u32::MAX` past that (136 years of seconds).
    fn tick(&self, at: Instant, round: fn(u128, u128) -> u128) -> u32 {
        let since = at.saturating_duration_since(self.epoch).as_nanos();
        u32::try_from(round(since, TICK.as_nanos()) + 1).unwrap_or(u32::MAX)
    }

    /// Arms `out`'s deadline at `at`, replacing the one it had.
    pub fn arm(&self, out: &Outbound, at: Instant) {
        out.arm(self.tick_at_or_after(at));
    }

    /// Arms `out`'s deadline at `at` if it has none or a later one.
    pub fn arm_earlier(&self, out: &Outbound, at: Instant) {
        let tick = self.tick_at_or_after(at);
        if out.armed().is_none_or(|armed| tick < armed) {
            out.arm(tick);
        }
    }
}

/// Once a tick, until the server shuts down, rings each connection whose
/// deadline passed. Runs on the first event loop.
pub(crate) async fn keeper(shared: Arc<Shared>) {
    // Ticks on the deadlines' own clock, so that a deadline fires within
    // a tick of its time; a tick missed (the loop was busy) is skipped,
    // not made up for.
    let epoch = shared.deadlines.epoch;
    let mut ticks = tokio::time::interval_at(epoch + TICK, TICK);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        tokio::select! {
            _ = shared.shutdown.cancelled() => return,
            _ = ticks.tick() => {}
        }
        let now = shared.deadlines.tick_now(Instant::now());
        let world = shared.world.lock();
        for conn in world.conns.values() {
            conn.out.fire_due(now);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_deadline_fires_at_its_tick_never_before() {
        let d = Deadlines::default();
        let out = Outbound::new(100);
        let at = d.epoch + TICK * 3 + Duration::from_millis(1);
        d.arm(&out, at);
        assert_eq!(out.armed(), Some(5));
        // Still in the tick `at` is in: not yet.
        assert!(!out.fire_due(d.tick_now(at)));
        assert!(!out.take_due());
        assert!(out.fire_due(d.tick_now(d.epoch + TICK * 4)));
        assert!(out.take_due());
        // Fired once: disarmed.
        assert_eq!(out.armed(), None);
        assert!(!out.fire_due(u32::MAX));
        // Only an earlier deadline replaces an armed one.
        d.arm(&out, d.epoch + TICK * 10);
        d.arm_earlier(&out, d.epoch + TICK * 20);
        assert_eq!(out.armed(), Some(11));
        d.arm_earlier(&out, d.epoch + TICK * 2);
        assert_eq!(out.armed(), Some(3));
    }
}
