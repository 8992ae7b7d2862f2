//! Connection deadlines: when a client that has not registered is
//! dropped, when a quiet client is sent a PING, and when one that does not
//! answer it is dropped. One task for the whole server ([`keeper`]) keeps
//! them in one ordered set, rather than a tokio `Sleep` in every
//! connection's task: a `Sleep` is 112 bytes, and the task of every idle
//! client is memory per client (docs/performance.md, "Memory per idle
//! client"); a set entry is 32 bytes. It also spares every wake-up of a
//! connection a poll of its timer.
//!
//! A connection arms at most one deadline at a time: [`Deadlines::arm`]
//! replaces the one it had, and the connection disarms it when it ends.
//! When a deadline passes, the keeper takes it out of the set and rings
//! the connection's queue ([`Outbound::ring_due`]); the connection then
//! reads its own clock and timeouts, so a deadline that fired early (input
//! moved the real one on) only arms the next.
//!
//! What may touch what: neutral (no front end); `conn` arms and disarms,
//! `server` runs the keeper.
//!
//! [`Outbound::ring_due`]: crate::outbound::Outbound::ring_due

use std::collections::BTreeSet;
use std::sync::Arc;

use parking_lot::Mutex;
use tokio::sync::Notify;
use tokio::time::Instant;

use crate::server::Shared;

/// The armed deadlines, earliest first: `(when, connection id)`.
#[derive(Debug, Default)]
pub(crate) struct Deadlines {
    set: Mutex<BTreeSet<(Instant, u64)>>,
    /// Told when a deadline earlier than every other was armed, so that the
    /// keeper sleeps until it instead.
    earlier: Notify,
}

impl Deadlines {
    /// Arms connection `id`'s deadline at `at`, replacing `old` (the one
    /// it armed before, if it is still armed). Returns `at`, for the
    /// connection to keep as its armed deadline.
    pub fn arm(&self, id: u64, old: Option<Instant>, at: Instant) -> Instant {
        let first = {
            let mut set = self.set.lock();
            if let Some(old) = old {
                set.remove(&(old, id));
            }
            set.insert((at, id));
            set.first() == Some(&(at, id))
        };
        if first {
            self.earlier.notify_one();
        }
        at
    }

    /// Disarms connection `id`'s deadline `at` (it ends).
    pub fn disarm(&self, id: u64, at: Option<Instant>) {
        if let Some(at) = at {
            self.set.lock().remove(&(at, id));
        }
    }

    /// Takes out every deadline that passed by `now` (appending their
    /// connection ids to `due`) and returns the next one.
    fn take_due(&self, now: Instant, due: &mut Vec<u64>) -> Option<Instant> {
        let mut set = self.set.lock();
        while let Some(&(at, id)) = set.first() {
            if at > now {
                return Some(at);
            }
            set.pop_first();
            due.push(id);
        }
        None
    }

    /// How many deadlines are armed (tests).
    #[cfg(test)]
    fn len(&self) -> usize {
        self.set.lock().len()
    }
}

/// Rings each connection whose deadline passed, until the server shuts
/// down. Runs on the first event loop.
pub(crate) async fn keeper(shared: Arc<Shared>) {
    let mut due = Vec::new();
    loop {
        let next = shared.deadlines.take_due(Instant::now(), &mut due);
        if !due.is_empty() {
            let world = shared.world.lock();
            for id in due.drain(..) {
                // A connection that ended disarmed its deadline; one that is
                // ending right now is past needing it.
                if let Some(conn) = world.conns.get(&id) {
                    conn.out.ring_due();
                }
            }
        }
        // A day stands for "nothing armed": an armed deadline notifies.
        let until = next.unwrap_or_else(|| Instant::now() + std::time::Duration::from_secs(86_400));
        tokio::select! {
            _ = shared.shutdown.cancelled() => return,
            _ = tokio::time::sleep_until(until) => {}
            _ = shared.deadlines.earlier.notified() => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn deadlines_come_due_in_order_and_rearming_replaces() {
        let d = Deadlines::default();
        let t0 = Instant::now();
        let a = d.arm(1, None, t0 + Duration::from_secs(5));
        let b = d.arm(2, None, t0 + Duration::from_secs(1));
        // Connection 1 moves its deadline: the old one goes.
        let a = d.arm(1, Some(a), t0 + Duration::from_secs(2));
        assert_eq!(d.len(), 2);
        let mut due = Vec::new();
        assert_eq!(d.take_due(t0, &mut due), Some(b));
        assert!(due.is_empty());
        assert_eq!(d.take_due(t0 + Duration::from_secs(3), &mut due), None);
        assert_eq!(due, [2, 1]);
        // Disarming one already taken out is harmless.
        d.disarm(1, Some(a));
        d.arm(3, None, t0 + Duration::from_secs(9));
        d.disarm(3, Some(t0 + Duration::from_secs(9)));
        assert_eq!(d.len(), 0);
    }
}
