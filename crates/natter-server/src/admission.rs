//! Connection limits (`[connections]`): concurrent client connections per
//! address block and in total, and new connections per block within a
//! time window, as InspIRCd's `<connect localmax>`, Solanum's
//! `number_per_ip`/`number_per_cidr` and Ergo's IP limits have them.
//!
//! A block is an address with its host bits cleared: by default each IPv4
//! address (/32) and each IPv6 /64, so that one IPv6 host cannot take a
//! fresh address per connection. The total defaults to the process's
//! open-files limit less a reserve, so that the server refuses cleanly
//! (with an ERROR line) before `accept` would start failing.
//!
//! Kept in the world (`World::admission`) and used by the connection task
//! when a client connection starts and ends, and by the echo and daytime
//! services ([`crate::services`]) for their TCP connections and UDP
//! datagrams; it reads only the configuration.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use crate::config::ConnectionsSection;
use crate::flood::host_matches;

/// Why a connection was refused; its `Display` is the reason the ERROR
/// line gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// `per_host` connections from the block are open.
    PerHost,
    /// `per_window` connections from the block started within `window`.
    Rate,
    /// The server holds `max_clients` connections.
    Full,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Refusal::PerHost => "Too many connections from your address",
            Refusal::Rate => "Connecting too fast from your address; try again later",
            Refusal::Full => "The server is full; try again later",
        })
    }
}

/// The counts behind the limits.
#[derive(Debug, Default)]
pub struct Admission {
    /// Open client connections by block.
    open: HashMap<IpAddr, u32>,
    /// Connections started per block in the current window.
    recent: RateWindow,
    /// Datagrams to the UDP services per block in the current window
    /// ([`Admission::admit_datagram`]).
    datagrams: RateWindow,
    /// Open client connections in all.
    total: usize,
}

/// Most address blocks a [`RateWindow`] of datagrams keeps at once: UDP
/// source addresses can be forged, and each new one would otherwise cost
/// an entry until its window ends.
const MAX_DATAGRAM_BLOCKS: usize = 65_536;

/// Starts per address block within a fixed window per block: the window's
/// start and the count, swept of ended windows at most once a window.
#[derive(Debug, Default)]
struct RateWindow {
    recent: HashMap<IpAddr, (Instant, u32)>,
    /// When `recent` was last swept of ended windows.
    swept: Option<Instant>,
}

impl RateWindow {
    /// Counts one start for `key` at `now` if fewer than `per_window`
    /// started within `window`; `false` (nothing counted) if not, or if
    /// `key` is new and `max_keys` blocks are counted already.
    fn hit(
        &mut self,
        key: IpAddr,
        per_window: usize,
        window: Duration,
        now: Instant,
        max_keys: usize,
    ) -> bool {
        self.sweep(now, window);
        if self.recent.len() >= max_keys && !self.recent.contains_key(&key) {
            return false;
        }
        let entry = self.recent.entry(key).or_insert((now, 0));
        if now.saturating_duration_since(entry.0) >= window {
            *entry = (now, 0);
        }
        if entry.1 as usize >= per_window {
            return false;
        }
        entry.1 += 1;
        true
    }

    /// Drops the counts of ended windows, at most once a window, so that
    /// addresses seen once do not stay forever.
    fn sweep(&mut self, now: Instant, window: Duration) {
        if self
            .swept
            .is_some_and(|at| now.saturating_duration_since(at) < window)
        {
            return;
        }
        self.swept = Some(now);
        self.recent
            .retain(|_, (start, _)| now.saturating_duration_since(*start) < window);
    }
}

impl Admission {
    /// Admits a new connection from `addr` under `limits`, counting it, or
    /// says why not (nothing is counted then). Every admitted connection
    /// must be [`Admission::release`]d when it ends.
    pub fn admit(
        &mut self,
        addr: IpAddr,
        limits: &ConnectionsSection,
        now: Instant,
    ) -> Result<(), Refusal> {
        if self.total >= max_clients(limits) {
            return Err(Refusal::Full);
        }
        let exempt = limits.exempt.iter().any(|e| host_matches(e, addr));
        let key = block(addr, limits);
        if !exempt {
            if limits.per_host > 0
                && self.open.get(&key).copied().unwrap_or(0) as usize >= limits.per_host
            {
                return Err(Refusal::PerHost);
            }
            if limits.per_window > 0 {
                let window = Duration::from_secs(limits.window);
                if !self
                    .recent
                    .hit(key, limits.per_window, window, now, usize::MAX)
                {
                    return Err(Refusal::Rate);
                }
            }
        }
        *self.open.entry(key).or_insert(0) += 1;
        self.total += 1;
        Ok(())
    }

    /// Forgets an admitted connection from `addr` that ended.
    pub fn release(&mut self, addr: IpAddr, limits: &ConnectionsSection) {
        self.total = self.total.saturating_sub(1);
        let key = block(addr, limits);
        if let Some(n) = self.open.get_mut(&key) {
            *n -= 1;
            if *n == 0 {
                self.open.remove(&key);
            }
        }
    }

    /// Open client connections in all.
    pub fn total(&self) -> usize {
        self.total
    }

    /// Whether a datagram from `addr` to a UDP service may be answered
    /// under `limits` at `now`: each datagram counts as a connection
    /// start against `per_window` within `window` (kept apart from the
    /// connections' counts), and `exempt` addresses are not limited.
    /// Datagrams hold nothing open, so `per_host` and `max_clients` do not
    /// apply. At most 65,536 blocks are counted at once; past that,
    /// datagrams from blocks not counted yet are refused until windows end
    /// (forged sources cannot grow the table).
    pub fn admit_datagram(
        &mut self,
        addr: IpAddr,
        limits: &ConnectionsSection,
        now: Instant,
    ) -> Result<(), Refusal> {
        if limits.per_window == 0 || limits.exempt.iter().any(|e| host_matches(e, addr)) {
            return Ok(());
        }
        let window = Duration::from_secs(limits.window);
        let key = block(addr, limits);
        let per_window = limits.per_window;
        if self
            .datagrams
            .hit(key, per_window, window, now, MAX_DATAGRAM_BLOCKS)
        {
            Ok(())
        } else {
            Err(Refusal::Rate)
        }
    }
}

/// `addr`'s block: its first `ipv4_prefix` or `ipv6_prefix` bits (an
/// IPv4-mapped IPv6 address counts as IPv4).
///
/// The prefix is read when the connection starts and again when it ends:
/// a REHASH that changes it in between leaves that connection counted
/// under its old block until the counts meet zero again (a short
/// over-count, never an under-count below zero).
fn block(addr: IpAddr, limits: &ConnectionsSection) -> IpAddr {
    match addr.to_canonical() {
        IpAddr::V4(a) => {
            let prefix = limits.ipv4_prefix.clamp(1, 32) as u32;
            IpAddr::V4((u32::from(a) & (u32::MAX << (32 - prefix))).into())
        }
        IpAddr::V6(a) => {
            let prefix = limits.ipv6_prefix.clamp(1, 128) as u32;
            IpAddr::V6((u128::from(a) & (u128::MAX << (128 - prefix))).into())
        }
    }
}

/// The total limit: `max_clients`, or the open-files limit less
/// `reserved_files` (at least 1).
pub fn max_clients(limits: &ConnectionsSection) -> usize {
    if limits.max_clients > 0 {
        return limits.max_clients;
    }
    open_files_limit()
        .saturating_sub(limits.reserved_files as u64)
        .max(1) as usize
}

/// The process's soft limit on open files (RLIMIT_NOFILE); effectively
/// unlimited where it cannot be read.
pub fn open_files_limit() -> u64 {
    let mut rlim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes one rlimit into the struct it is given.
    let ok = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut rlim) } == 0;
    if ok && rlim.rlim_cur != libc::RLIM_INFINITY {
        rlim.rlim_cur
    } else {
        u64::MAX
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> ConnectionsSection {
        ConnectionsSection {
            per_host: 2,
            per_window: 3,
            window: 10,
            max_clients: 100,
            ..ConnectionsSection::default()
        }
    }

    #[test]
    fn per_block_rate_and_total() {
        let l = limits();
        let mut a = Admission::default();
        let t = Instant::now();
        let one: IpAddr = "192.0.2.1".parse().unwrap();
        let v6a: IpAddr = "2001:db8::1".parse().unwrap();
        let v6b: IpAddr = "2001:db8::2".parse().unwrap();
        assert_eq!(a.admit(one, &l, t), Ok(()));
        assert_eq!(a.admit(one, &l, t), Ok(()));
        assert_eq!(a.admit(one, &l, t), Err(Refusal::PerHost));
        a.release(one, &l);
        // The third start within the window is allowed, the fourth not.
        assert_eq!(a.admit(one, &l, t), Ok(()));
        a.release(one, &l);
        assert_eq!(a.admit(one, &l, t), Err(Refusal::Rate));
        assert_eq!(a.admit(one, &l, t + Duration::from_secs(10)), Ok(()));
        // Two addresses of one IPv6 /64 are one block.
        assert_eq!(a.admit(v6a, &l, t), Ok(()));
        assert_eq!(a.admit(v6b, &l, t), Ok(()));
        assert_eq!(a.admit(v6b, &l, t), Err(Refusal::PerHost));
        assert_eq!(a.total(), 4);
        let full = ConnectionsSection {
            max_clients: 4,
            ..limits()
        };
        let other: IpAddr = "198.51.100.7".parse().unwrap();
        assert_eq!(a.admit(other, &full, t), Err(Refusal::Full));
        // Exempt addresses skip the per-block limits, not the total.
        let exempt = ConnectionsSection {
            exempt: vec!["192.0.2.0/24".into()],
            ..limits()
        };
        for _ in 0..10 {
            assert_eq!(a.admit(one, &exempt, t), Ok(()));
        }
    }

    #[test]
    fn datagrams_have_their_own_rate_window() {
        let l = limits();
        let mut a = Admission::default();
        let t = Instant::now();
        let one: IpAddr = "192.0.2.1".parse().unwrap();
        for _ in 0..3 {
            assert_eq!(a.admit_datagram(one, &l, t), Ok(()));
        }
        assert_eq!(a.admit_datagram(one, &l, t), Err(Refusal::Rate));
        // Connections are counted apart, and nothing stays open.
        assert_eq!(a.admit(one, &l, t), Ok(()));
        assert_eq!(a.total(), 1);
        assert_eq!(
            a.admit_datagram(one, &l, t + Duration::from_secs(10)),
            Ok(())
        );
        let exempt = ConnectionsSection {
            exempt: vec!["192.0.2.1".into()],
            ..limits()
        };
        assert_eq!(a.admit_datagram(one, &exempt, t), Ok(()));
        // A table full of forged sources refuses new ones, not known ones.
        let mut w = RateWindow::default();
        let window = Duration::from_secs(10);
        let other: IpAddr = "198.51.100.7".parse().unwrap();
        assert!(w.hit(one, 3, window, t, 1));
        assert!(!w.hit(other, 3, window, t, 1));
        assert!(w.hit(one, 3, window, t, 1));
        assert!(w.hit(other, 3, window, t + window, 1));
    }

    #[test]
    fn the_default_total_keeps_files_in_reserve() {
        let l = ConnectionsSection::default();
        let limit = open_files_limit();
        if limit < u64::MAX {
            assert_eq!(max_clients(&l) as u64, limit.saturating_sub(64).max(1));
        }
    }
}
