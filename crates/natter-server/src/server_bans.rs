//! Server bans in force: K-lines (`user@host` masks, checked when a client
//! registers) and D-lines (addresses or CIDR blocks, checked when a
//! connection is accepted), as Solanum and InspIRCd have them.
//!
//! The bans live in the store (`natter-store`, the `server_bans` table)
//! and, for matching under the world lock, in [`ServerBans`]
//! ([`crate::World::bans`]), loaded at start. Every change is an
//! [`Event::ServerBanSet`] or [`Event::ServerBanLifted`]: a local one is
//! committed to the store first (the IRC front end's KLINE handler, off the
//! lock) and then emitted; one from a server link is queued to the store
//! by [`after_event`]. Either way [`after_event`] brings the registry up to
//! date, and the IRC front end's hook disconnects the local users a new
//! ban matches.
//!
//! Matching is against a connection's real address (never a displayed or
//! cloaked host). An expired ban stops matching at once ([`ServerBan::active`]);
//! [`sweep`] drops expired bans from memory and the store, lazily, whenever
//! bans are checked or listed.
//!
//! What may touch what: neutral (no front end); the IRC and IM front ends
//! and `conn::serve` call it.

use std::net::IpAddr;

use natter_model::{BanKind, Event, ServerBan, UserId};
use natter_proto::mask;
use natter_store::ServerBanRecord;

use crate::cidr::Cidr;
use crate::world::{now, Origin};
use crate::World;

/// Longest ban mask accepted, in bytes.
pub const MAX_MASK: usize = 128;

/// Longest reason kept, in bytes (longer ones are cut).
pub const MAX_REASON: usize = 300;

/// `reason` cut to [`MAX_REASON`] bytes, on a character boundary.
pub fn cut_reason(reason: &str) -> &str {
    let mut end = reason.len().min(MAX_REASON);
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    &reason[..end]
}

/// A K-line's host part, ready to match.
#[derive(Debug, Clone)]
enum HostPattern {
    /// An address or CIDR block, matched against the address.
    Block(Cidr),
    /// A glob (`*.example.org`, `10.0.*`), matched against the host
    /// string (today the address as text).
    Glob(String),
}

/// One ban with what matching needs.
#[derive(Debug, Clone)]
struct Entry {
    ban: ServerBan,
    /// K-line: the user part glob; unused for a D-line.
    user: String,
    /// K-line: the host part; D-line: its block.
    host: HostPattern,
}

impl Entry {
    fn new(ban: ServerBan) -> Option<Entry> {
        let (user, host) = match ban.kind {
            BanKind::Kline => {
                let (user, host) = ban.mask.split_once('@')?;
                let host = match Cidr::parse(host) {
                    Some(block) => HostPattern::Block(block),
                    None => HostPattern::Glob(host.to_string()),
                };
                (user.to_string(), host)
            }
            BanKind::Dline => (String::new(), HostPattern::Block(Cidr::parse(&ban.mask)?)),
        };
        Some(Entry { ban, user, host })
    }

    /// K-line matching: the user part against `user` with or without a
    /// leading `~`, the host part against `ip` or `host`.
    fn matches_user(&self, user: &str, ip: IpAddr, host: &str) -> bool {
        let bare = user.strip_prefix('~').unwrap_or(user);
        (mask::matches(&self.user, user) || mask::matches(&self.user, bare))
            && self.matches_host(ip, host)
    }

    fn matches_host(&self, ip: IpAddr, host: &str) -> bool {
        match &self.host {
            HostPattern::Block(block) => block.contains(ip),
            HostPattern::Glob(glob) => mask::matches(glob, host),
        }
    }
}

/// The server bans in force, in the order they were set.
#[derive(Debug, Default)]
pub struct ServerBans {
    entries: Vec<Entry>,
}

impl ServerBans {
    /// The bans in `records` (read from the store) that are well formed;
    /// expired ones are kept until [`sweep`] drops them.
    pub fn load(records: Vec<ServerBanRecord>) -> ServerBans {
        let mut bans = ServerBans::default();
        for r in records {
            match from_record(&r) {
                Some(ban) => {
                    bans.set(ban);
                }
                None => tracing::warn!(
                    kind = r.kind,
                    mask = r.mask,
                    "unreadable server ban skipped"
                ),
            }
        }
        bans
    }

    /// Adds `ban`, replacing one of the same kind and mask. A ban whose
    /// mask does not parse is ignored (false).
    pub fn set(&mut self, ban: ServerBan) -> bool {
        let Some(entry) = Entry::new(ban) else {
            return false;
        };
        self.lift(entry.ban.kind, &entry.ban.mask);
        self.entries.push(entry);
        true
    }

    /// Removes the ban of `kind` on `mask` and returns it.
    pub fn lift(&mut self, kind: BanKind, mask: &str) -> Option<ServerBan> {
        let i = self
            .entries
            .iter()
            .position(|e| e.ban.kind == kind && e.ban.mask == mask)?;
        Some(self.entries.remove(i).ban)
    }

    /// The ban of `kind` on `mask`, if it is in force at `now`.
    pub fn get(&self, kind: BanKind, mask: &str, now: u64) -> Option<&ServerBan> {
        self.active(now).find(|b| b.kind == kind && b.mask == mask)
    }

    /// Every ban in force at `now` (Unix seconds), oldest first.
    pub fn active(&self, now: u64) -> impl Iterator<Item = &ServerBan> {
        self.entries
            .iter()
            .map(|e| &e.ban)
            .filter(move |b| b.active(now))
    }

    /// The D-line in force at `now` that matches address `ip`.
    pub fn dline_for(&self, ip: IpAddr, now: u64) -> Option<&ServerBan> {
        self.entries
            .iter()
            .filter(|e| e.ban.kind == BanKind::Dline && e.ban.active(now))
            .find(|e| e.matches_host(ip, ""))
            .map(|e| &e.ban)
    }

    /// The K-line in force at `now` that matches a client with username
    /// `user` (as shown, `~` included for one without ident; a mask's
    /// user part matches it with or without the `~`), address `ip` and
    /// real host `host`.
    pub fn kline_for(&self, user: &str, ip: IpAddr, host: &str, now: u64) -> Option<&ServerBan> {
        self.entries
            .iter()
            .filter(|e| e.ban.kind == BanKind::Kline && e.ban.active(now))
            .find(|e| e.matches_user(user, ip, host))
            .map(|e| &e.ban)
    }

    /// The ban (of either kind) in force at `now` that matches a user;
    /// D-lines first.
    pub fn ban_for(&self, user: &str, ip: IpAddr, host: &str, now: u64) -> Option<&ServerBan> {
        self.dline_for(ip, now)
            .or_else(|| self.kline_for(user, ip, host, now))
    }

    /// Drops the bans expired at `now`; returns how many.
    fn drop_expired(&mut self, now: u64) -> usize {
        let before = self.entries.len();
        self.entries.retain(|e| e.ban.active(now));
        before - self.entries.len()
    }
}

/// Drops expired bans from [`crate::World::bans`] and, when there were
/// any, from the store (queued on the history writer, in order with other
/// writes).
pub fn sweep(world: &mut World) {
    let now = now();
    if world.bans.drop_expired(now) == 0 {
        return;
    }
    world.history.write(move |store| {
        if let Err(e) = store.delete_expired_server_bans(now as i64) {
            tracing::error!(error = %e, "deleting expired server bans failed");
        }
    });
}

/// The D-line that refuses a connection from `ip` now, as the closing
/// reason (`D-Lined: <reason>`): `conn::serve` asks before anything else.
pub fn refused_at_accept(world: &mut World, ip: IpAddr) -> Option<String> {
    sweep(world);
    let ban = world.bans.dline_for(ip, now())?;
    Some(format!("{}: {}", ban.kind.label(), ban.reason))
}

/// The ban (D-line, else K-line) in force that matches a client
/// registering as `user` from `ip` with real host `host`.
pub fn refused_at_registration(
    world: &mut World,
    user: &str,
    ip: IpAddr,
    host: &str,
) -> Option<ServerBan> {
    sweep(world);
    world.bans.ban_for(user, ip, host, now()).cloned()
}

/// The local connections `ban` matches, registered or not (a K-line
/// matches registered users only: the username is known from
/// registration on).
pub fn local_matches(world: &World, ban: &ServerBan) -> Vec<UserId> {
    let Some(entry) = Entry::new(ban.clone()) else {
        return Vec::new();
    };
    let mut ids: Vec<UserId> = world
        .conns
        .iter()
        .filter(|(id, conn)| {
            let ip = conn.addr.ip();
            match ban.kind {
                BanKind::Dline => entry.matches_host(ip, ""),
                BanKind::Kline => world
                    .net
                    .user(**id)
                    .filter(|_| conn.registered)
                    .is_some_and(|u| entry.matches_user(&u.user, ip, &real_host(ip))),
            }
        })
        .map(|(id, _)| *id)
        .collect();
    ids.sort_unstable();
    ids
}

/// The real host of a connection from `ip`, as the IRC front end names
/// it before any change (CHGHOST, a cloak): the address as text, with a
/// `0` before a leading `:` so that it stays one IRC parameter.
pub fn real_host(ip: IpAddr) -> String {
    let ip = ip.to_canonical().to_string();
    if ip.starts_with(':') {
        format!("0{ip}")
    } else {
        ip
    }
}

/// Parses an operator's duration: a bare number is minutes (Solanum), a
/// run of `<number><unit>` with units `s`, `m`, `h`, `d`, `w` (InspIRCd:
/// `30s`, `1h30m`) is summed. `Some(None)` is permanent (0); `None` if it
/// is not a duration.
pub fn parse_duration(text: &str) -> Option<Option<u64>> {
    if text.is_empty() {
        return None;
    }
    let secs = if text.bytes().all(|b| b.is_ascii_digit()) {
        text.parse::<u64>().ok()?.checked_mul(60)?
    } else {
        let mut total: u64 = 0;
        let mut number = String::new();
        for c in text.chars() {
            if c.is_ascii_digit() {
                number.push(c);
                continue;
            }
            let unit: u64 = match c.to_ascii_lowercase() {
                's' => 1,
                'm' => 60,
                'h' => 3_600,
                'd' => 86_400,
                'w' => 604_800,
                _ => return None,
            };
            let n: u64 = number.parse().ok()?;
            total = total.checked_add(n.checked_mul(unit)?)?;
            number.clear();
        }
        if !number.is_empty() {
            return None;
        }
        total
    };
    Some((secs > 0).then_some(secs))
}

/// Whether an operator's first parameter was meant as a duration (it
/// starts with a digit and cannot be a mask or an address): one that
/// [`parse_duration`] refuses is then an error, not a mask.
pub fn looks_like_duration(text: &str) -> bool {
    text.starts_with(|c: char| c.is_ascii_digit()) && !text.contains(['@', '.', ':', '/', '*', '?'])
}

/// A K-line mask as kept: `user@host`, lower case (`host` alone means
/// `*@host`). Refuses a mask with spaces, `!`, empty parts, or a host of
/// wildcards only (it would ban everyone).
pub fn normalize_kline(text: &str) -> Result<String, &'static str> {
    let (user, host) = text.split_once('@').unwrap_or(("*", text));
    if text.len() > MAX_MASK
        || user.is_empty()
        || host.is_empty()
        || host.contains('@')
        || text.contains(|c: char| c == '!' || c == ',' || c.is_whitespace() || c.is_control())
        || text.starts_with(':')
    {
        return Err("a K-line mask is user@host (host alone means *@host)");
    }
    if host.chars().all(|c| matches!(c, '*' | '?' | '.' | ':')) {
        return Err("that host mask would match everyone");
    }
    if host.contains('/') {
        let Some(block) = Cidr::parse(host) else {
            return Err("the host is not a valid address/prefix block");
        };
        return Ok(format!("{}@{block}", user.to_ascii_lowercase()));
    }
    Ok(format!("{user}@{host}").to_ascii_lowercase())
}

/// A D-line mask as kept: an address, or a CIDR block with its host bits
/// cleared (`10.1.2.3/8` is kept as `10.0.0.0/8`). Refuses anything else,
/// and a block of every address (`/0`).
pub fn normalize_dline(text: &str) -> Result<String, &'static str> {
    let Some(block) = Cidr::parse(text).filter(|_| !text.contains(char::is_whitespace)) else {
        return Err("a D-line mask is an IP address or a CIDR block (address/prefix)");
    };
    if block.prefix == 0 {
        return Err("that block would match everyone");
    }
    Ok(block.to_string())
}

/// Runs `write` on the history writer, in order with every other server
/// ban write (those from links, the expiry sweep), and waits for its
/// result: blocking, so call it off the lock (a [`crate::session::SlowJob`]).
/// A ban set here and lifted from a link (or the other way round) is
/// then stored in the order the world saw it. The flush ends the writer's
/// gathering at once, so the operator's reply waits for one commit, not
/// for the rest of the batch window.
pub fn write_in_order<T: Send + 'static>(
    history: &crate::history::History,
    write: impl FnOnce(&natter_store::Store) -> Result<T, natter_store::StoreError> + Send + 'static,
) -> Result<T, natter_store::StoreError> {
    let (tx, rx) = std::sync::mpsc::sync_channel(1);
    history.write(move |store| {
        let _ = tx.send(write(store));
    });
    history.flush();
    rx.recv().unwrap_or_else(|_| {
        Err(natter_store::StoreError::Sqlite(
            "the store writer has stopped".into(),
        ))
    })
}

/// `ban` as the store keeps it.
pub fn to_record(ban: &ServerBan) -> ServerBanRecord {
    ServerBanRecord {
        kind: ban.kind.letter().to_string(),
        mask: ban.mask.clone(),
        reason: ban.reason.clone(),
        set_by: ban.set_by.clone(),
        set_at: ban.set_at as i64,
        expires_at: ban.expires_at.map(|t| t as i64),
    }
}

/// The ban a store record holds, if it is well formed.
pub fn from_record(r: &ServerBanRecord) -> Option<ServerBan> {
    let kind = BanKind::from_letter(&r.kind)?;
    let mask = match kind {
        BanKind::Kline => normalize_kline(&r.mask).ok()?,
        BanKind::Dline => normalize_dline(&r.mask).ok()?,
    };
    Some(ServerBan {
        kind,
        mask,
        reason: r.reason.clone(),
        set_by: r.set_by.clone(),
        set_at: u64::try_from(r.set_at).ok()?,
        expires_at: r.expires_at.and_then(|t| u64::try_from(t).ok()),
    })
}

/// Server bans' hook on the fan-out: every ban set or lifted, here or on
/// a linked server, updates [`crate::World::bans`]; one from a link is
/// queued to the store too (a local one was committed before it was
/// emitted). A ban from a link that expired already is not kept.
pub fn after_event(
    world: &mut World,
    event: &Event,
    origin: Origin,
    _: Option<(UserId, &mut String)>,
) {
    let from_link = matches!(origin, Origin::Link(_));
    match event {
        Event::ServerBanSet { ban } => {
            if !ban.active(now()) || !world.bans.set(ban.clone()) {
                return;
            }
            if from_link {
                let record = to_record(ban);
                world.history.write(move |store| {
                    if let Err(e) = store.put_server_ban(&record) {
                        tracing::error!(error = %e, mask = record.mask, "storing a linked server ban failed");
                    }
                });
            }
        }
        Event::ServerBanLifted { kind, mask, .. } => {
            world.bans.lift(*kind, mask);
            if from_link {
                let (kind, mask) = (kind.letter().to_string(), mask.clone());
                world.history.write(move |store| {
                    if let Err(e) = store.delete_server_ban(&kind, &mask) {
                        tracing::error!(error = %e, mask, "deleting a linked server ban failed");
                    }
                });
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_in_minutes_or_with_units() {
        assert_eq!(parse_duration("0"), Some(None));
        assert_eq!(parse_duration("10"), Some(Some(600)));
        assert_eq!(parse_duration("30s"), Some(Some(30)));
        assert_eq!(parse_duration("1h30m"), Some(Some(5_400)));
        assert_eq!(parse_duration("2d"), Some(Some(172_800)));
        assert_eq!(parse_duration("1w"), Some(Some(604_800)));
        assert_eq!(parse_duration("5x"), None);
        assert_eq!(parse_duration("h"), None);
        assert_eq!(parse_duration("10m5"), None);
        assert_eq!(parse_duration(""), None);
        assert_eq!(parse_duration("99999999999999999999w"), None);
        assert!(looks_like_duration("5x"));
        assert!(!looks_like_duration("127.0.0.1"));
        assert!(!looks_like_duration("1*@host"));
    }

    #[test]
    fn masks_are_normalized_or_refused() {
        assert_eq!(normalize_kline("*@127.0.0.2").unwrap(), "*@127.0.0.2");
        assert_eq!(normalize_kline("10.0.0.1").unwrap(), "*@10.0.0.1");
        assert_eq!(
            normalize_kline("Bob@Host.Example").unwrap(),
            "bob@host.example"
        );
        assert_eq!(normalize_kline("*@1.2.3.4/24").unwrap(), "*@1.2.3.0/24");
        assert!(normalize_kline("*@*").is_err());
        assert!(normalize_kline("n!u@h").is_err());
        assert!(normalize_kline("@h").is_err());
        assert!(normalize_kline("*@1.2.3.4/40").is_err());
        assert_eq!(normalize_dline("10.1.2.3/8").unwrap(), "10.0.0.0/8");
        assert_eq!(normalize_dline("::1").unwrap(), "::1");
        assert!(normalize_dline("0.0.0.0/0").is_err());
        assert!(normalize_dline("host.example").is_err());
    }

    fn ban(kind: BanKind, mask: &str, expires_at: Option<u64>) -> ServerBan {
        ServerBan {
            kind,
            mask: mask.into(),
            reason: "r".into(),
            set_by: "op".into(),
            set_at: 1,
            expires_at,
        }
    }

    #[test]
    fn bans_match_users_and_addresses_until_they_expire() {
        let mut bans = ServerBans::default();
        bans.set(ban(BanKind::Kline, "bob@127.0.0.*", None));
        bans.set(ban(BanKind::Kline, "*@10.0.0.0/8", Some(100)));
        bans.set(ban(BanKind::Dline, "192.168.0.0/16", None));
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let k = |user: &str, addr: &str, now| {
            bans.kline_for(user, ip(addr), addr, now)
                .map(|b| b.mask.clone())
        };
        assert_eq!(k("~bob", "127.0.0.2", 0).as_deref(), Some("bob@127.0.0.*"));
        assert_eq!(k("~alice", "127.0.0.2", 0), None);
        assert_eq!(k("~x", "10.9.9.9", 99).as_deref(), Some("*@10.0.0.0/8"));
        assert_eq!(k("~x", "10.9.9.9", 100), None, "expired");
        assert!(bans.dline_for(ip("192.168.3.4"), 0).is_some());
        assert!(bans.dline_for(ip("::ffff:192.168.3.4"), 0).is_some());
        assert!(bans.dline_for(ip("192.169.3.4"), 0).is_none());
        assert_eq!(bans.active(100).count(), 2);
        assert!(bans.lift(BanKind::Dline, "192.168.0.0/16").is_some());
        assert!(bans.dline_for(ip("192.168.3.4"), 0).is_none());
        assert_eq!(bans.drop_expired(100), 1);
        assert_eq!(bans.active(0).count(), 1);
    }
}
