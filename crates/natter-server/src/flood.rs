//! Flood control of a client's input: the connect class that applies to a
//! client ([`Policy::for_client`]) and its token bucket ([`Fakelag`]).
//!
//! A client's lines are handled while its bucket has tokens; the bucket
//! holds `burst` tokens and refills at `per_second`. Past the burst, the
//! connection task stops handling lines until a token is back (the lines
//! wait, they are not dropped) but keeps reading, so that input sent
//! faster than it is handled piles up where it is counted: past `recvq`
//! bytes the client is disconnected with "Excess Flood" (InspIRCd's and
//! Solanum's RecvQ, Ergo's fakelag).
//!
//! Used by the connection task (`conn`); it reads the configuration and
//! nothing else.

use std::net::IpAddr;
use std::time::{Duration, Instant};

use crate::cidr::Cidr;
use crate::config::{Config, ConnectClass};

/// The reason a client past its RecvQ is disconnected with (InspIRCd,
/// Solanum and Ergo say the same).
pub const EXCESS_FLOOD: &str = "Excess Flood";

/// The input limits that apply to one client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// The class's name (`default` when no `[[class]]` matched).
    pub class: String,
    /// No fakelag and no RecvQ (an exempt class, or an operator).
    pub exempt: bool,
    /// Tokens in a full bucket (lines).
    pub burst: usize,
    /// Tokens added per second.
    pub per_second: usize,
    /// Unhandled input allowed, in bytes.
    pub recvq: usize,
    /// The output queue's limit, in bytes.
    pub sendq: usize,
}

impl Policy {
    /// The limits of a client at `addr`, logged in to `account` (if any),
    /// an operator or not: the first `[[class]]` that matches, over
    /// `[flood]` and `[limits] sendq`. Operators are always exempt.
    pub fn for_client(config: &Config, addr: IpAddr, account: Option<&str>, oper: bool) -> Policy {
        let class = config.classes.iter().find(|c| matches(c, addr, account));
        let f = &config.flood;
        Policy {
            class: class.map_or("default", |c| c.name.as_str()).to_string(),
            exempt: oper || class.is_some_and(|c| c.exempt),
            burst: class.and_then(|c| c.burst).unwrap_or(f.burst),
            per_second: class.and_then(|c| c.per_second).unwrap_or(f.per_second),
            recvq: class.and_then(|c| c.recvq).unwrap_or(f.recvq),
            sendq: class.and_then(|c| c.sendq).unwrap_or(config.limits.sendq),
        }
    }
}

/// Whether `class` applies to a client at `addr` logged in to `account`.
fn matches(class: &ConnectClass, addr: IpAddr, account: Option<&str>) -> bool {
    class.hosts.iter().any(|h| host_matches(h, addr))
        || account.is_some_and(|a| {
            class
                .accounts
                .iter()
                .any(|mask| natter_proto::mask::matches(mask, a))
        })
}

/// Whether `pattern` (`*`, an address or a CIDR block) covers `addr`.
pub fn host_matches(pattern: &str, addr: IpAddr) -> bool {
    pattern == "*" || Cidr::parse(pattern).is_some_and(|c| c.contains(addr))
}

/// One client's token bucket; `None` in the connection task for an
/// exempt client. Every connection's task holds one (and two more in its
/// [`ChangeRates`]), so the counts are u32: 32 bytes, not 40.
#[derive(Debug)]
pub struct Fakelag {
    /// Tokens now, in thousandths of a line.
    tokens: u32,
    /// A full bucket, in thousandths.
    burst: u32,
    /// Thousandths added per second.
    per_second: u32,
    /// When `tokens` was last brought up to date.
    at: Instant,
}

/// Thousandths of a line per token.
const MILLI: u32 = 1000;

/// `n` lines in thousandths, as a bucket counts them: up to about four
/// million lines (`u32::MAX` thousandths), more is counted as that.
fn thousandths(n: u64) -> u32 {
    u32::try_from(n.saturating_mul(MILLI.into())).unwrap_or(u32::MAX)
}

impl Fakelag {
    /// A full bucket for `policy`; `None` when it is exempt.
    pub fn new(policy: &Policy, now: Instant) -> Option<Fakelag> {
        (!policy.exempt).then(|| Fakelag {
            tokens: thousandths(policy.burst as u64),
            burst: thousandths(policy.burst as u64),
            per_second: thousandths((policy.per_second as u64).max(1)),
            at: now,
        })
    }

    /// A full bucket of `burst` tokens that refills `per_minute` a
    /// minute.
    pub fn per_minute(burst: u64, per_minute: u64, now: Instant) -> Fakelag {
        let per_second = (thousandths(per_minute) / 60).max(1);
        Fakelag {
            tokens: thousandths(burst),
            burst: thousandths(burst),
            per_second,
            at: now,
        }
    }

    /// Takes the token for one line. Errors: the bucket is empty; the
    /// value is when the next token will be there.
    pub fn take(&mut self, now: Instant) -> Result<(), Instant> {
        let per_second = u64::from(self.per_second);
        let elapsed = now.saturating_duration_since(self.at);
        let refill = (elapsed.as_micros() as u64).saturating_mul(per_second) / 1_000_000;
        if refill > 0 {
            // At most the burst, so within u32.
            self.tokens = (u64::from(self.tokens) + refill).min(u64::from(self.burst)) as u32;
            // Only the time the refill accounted for is consumed, so that
            // frequent calls do not lose fractions.
            let used = Duration::from_micros(refill.saturating_mul(1_000_000) / per_second);
            self.at = if self.tokens == self.burst {
                now
            } else {
                self.at + used
            };
        }
        if self.tokens >= MILLI {
            self.tokens -= MILLI;
            return Ok(());
        }
        let missing = u64::from(MILLI - self.tokens);
        let wait = Duration::from_micros(missing * 1_000_000 / per_second + 1);
        Err(self.at + wait)
    }
}

/// A connection's flood control: what it needs of its [`Policy`] and,
/// unless exempt, its bucket. Kept by every connection's task for its
/// life, so it keeps no more.
#[derive(Debug)]
pub struct Limiter {
    /// The policy's SendQ, in bytes.
    pub sendq: usize,
    /// The policy's RecvQ, in bytes.
    recvq: usize,
    /// `None` when the policy is exempt (no bucket, no RecvQ).
    bucket: Option<Fakelag>,
}

impl Limiter {
    /// Flood control under `policy`, with a full bucket.
    pub fn new(policy: Policy, now: Instant) -> Limiter {
        Limiter {
            sendq: policy.sendq,
            recvq: policy.recvq,
            bucket: Fakelag::new(&policy, now),
        }
    }

    /// What tells two limiters' policies apart, buckets' fill aside.
    fn shape(&self) -> (usize, usize, Option<(u32, u32)>) {
        let bucket = self.bucket.as_ref().map(|b| (b.burst, b.per_second));
        (self.sendq, self.recvq, bucket)
    }

    /// Whether the policy is exempt: no fakelag and no RecvQ.
    pub fn exempt(&self) -> bool {
        self.bucket.is_none()
    }

    /// Takes the token for one line. Errors: the line must wait until the
    /// instant given.
    #[inline]
    pub fn take(&mut self) -> Result<(), Instant> {
        match &mut self.bucket {
            None => Ok(()),
            Some(b) => b.take(Instant::now()),
        }
    }

    /// Whether `unhandled` bytes of input are past the RecvQ.
    pub fn over_recvq(&self, unhandled: usize) -> bool {
        self.bucket.is_some() && unhandled > self.recvq
    }

    /// Changes to `policy` (the client logged in or became an operator);
    /// changed limits start with a full bucket.
    pub fn reclass(&mut self, policy: Policy) {
        let fresh = Limiter::new(policy, Instant::now());
        if fresh.shape() != self.shape() {
            *self = fresh;
        }
    }
}

/// Per-user limits on changes that others see: nick changes and channel
/// joins (JOIN/PART cycling), as Solanum's `anti_nick_flood` and
/// UnrealIRCd's join-flood have them, from `[flood]`. An exempt class has
/// none (`None` in the client); operators are let through by the
/// handlers.
#[derive(Debug)]
pub struct ChangeRates {
    nick: Fakelag,
    join: Fakelag,
}

impl ChangeRates {
    /// Full buckets under `config`'s `[flood]`, or `None` for a client
    /// whose `policy` is exempt.
    pub fn new(config: &Config, policy: &Policy) -> Option<ChangeRates> {
        let f = &config.flood;
        let now = Instant::now();
        (!policy.exempt).then(|| ChangeRates {
            nick: Fakelag::per_minute(f.nick_burst as u64, f.nicks_per_minute as u64, now),
            join: Fakelag::per_minute(f.join_burst as u64, f.joins_per_minute as u64, now),
        })
    }

    /// Takes a nick change. Errors: whole seconds to wait (at least 1).
    pub fn nick(&mut self) -> Result<(), u64> {
        wait_secs(self.nick.take(Instant::now()))
    }

    /// Takes a channel join. Errors: whole seconds to wait (at least 1).
    pub fn join(&mut self) -> Result<(), u64> {
        wait_secs(self.join.take(Instant::now()))
    }
}

fn wait_secs(taken: Result<(), Instant>) -> Result<(), u64> {
    taken.map_err(|at| {
        at.saturating_duration_since(Instant::now())
            .as_secs_f64()
            .ceil()
            .max(1.0) as u64
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(burst: usize, per_second: usize) -> Policy {
        Policy {
            class: "t".into(),
            exempt: false,
            burst,
            per_second,
            recvq: 1 << 16,
            sendq: 1 << 16,
        }
    }

    #[test]
    fn burst_then_steady_rate() {
        let t0 = Instant::now();
        let mut b = Fakelag::new(&policy(10, 4), t0).unwrap();
        for _ in 0..10 {
            assert_eq!(b.take(t0), Ok(()));
        }
        let resume = b.take(t0).unwrap_err();
        assert!(
            resume > t0 + Duration::from_millis(240) && resume < t0 + Duration::from_millis(260)
        );
        assert_eq!(b.take(resume), Ok(()));
        assert!(b.take(resume).is_err());
        // Over ten seconds at four per second: forty lines, never more.
        let mut now = resume;
        let mut taken = 0;
        while now < resume + Duration::from_secs(10) {
            now += Duration::from_millis(7);
            while b.take(now).is_ok() {
                taken += 1;
            }
        }
        assert!((39..=41).contains(&taken), "{taken}");
        // Idle refills to the burst and no further.
        let later = now + Duration::from_secs(60);
        let mut burst = 0;
        while b.take(later).is_ok() {
            burst += 1;
        }
        assert_eq!(burst, 10);
    }

    #[test]
    fn classes_match_by_host_then_account_and_opers_are_exempt() {
        let mut config = Config::default();
        config.classes.push(ConnectClass {
            name: "bots".into(),
            hosts: vec!["192.0.2.0/24".into()],
            accounts: vec!["bot*".into()],
            exempt: false,
            burst: Some(50),
            per_second: None,
            recvq: None,
            sendq: Some(1 << 20),
        });
        let inside: IpAddr = "192.0.2.9".parse().unwrap();
        let outside: IpAddr = "198.51.100.1".parse().unwrap();
        let p = Policy::for_client(&config, inside, None, false);
        assert_eq!((p.class.as_str(), p.burst, p.sendq), ("bots", 50, 1 << 20));
        assert_eq!(p.per_second, config.flood.per_second);
        let p = Policy::for_client(&config, outside, None, false);
        assert_eq!((p.class.as_str(), p.burst), ("default", config.flood.burst));
        assert!(!p.exempt);
        assert_eq!(
            Policy::for_client(&config, outside, Some("BotOne"), false).class,
            "bots"
        );
        assert!(Policy::for_client(&config, outside, None, true).exempt);
        assert!(Fakelag::new(
            &Policy::for_client(&config, outside, None, true),
            Instant::now()
        )
        .is_none());
    }
}
