//! Server bans for operators, as Solanum and InspIRCd have them:
//!
//! - `KLINE [<duration>] <user@host> [:<reason>]`: bans a `user@host` mask
//!   (a host alone means `*@host`; the host may be a glob or an
//!   `address/prefix` block), checked when a client registers.
//! - `DLINE [<duration>] <address or CIDR> [:<reason>]`: bans an address
//!   or block, checked when a connection is accepted.
//! - `UNKLINE <user@host>`, `UNDLINE <address or CIDR>`: lift them.
//! - `STATS k` / `STATS d` list them (RPL_STATSKLINE 216, RPL_STATSDLINE
//!   225; `k`/`d` in the reply marks a temporary one, as Solanum does).
//!
//! A duration is a bare number of minutes (Solanum) or `<n><unit>` runs
//! with units s, m, h, d, w (InspIRCd: `30s`, `1h30m`); absent or 0 is
//! permanent. Setting a ban on a mask that has one replaces it.
//!
//! The ban is committed to the store off the lock first (through the
//! history writer, in order with bans from links), then emitted as
//! [`Event::ServerBanSet`] (the world's registry, server links and this
//! module's hook follow), then confirmed to the operator: nothing
//! acknowledged is lost. Other operators get a `k` server notice.
//!
//! Users a new ban matches are disconnected ([`after_event`], for bans
//! set here or on a linked server): they get ERR_YOUREBANNEDCREEP with the
//! reason and `ERROR :Closing Link: <host> (K-Lined: <reason>)`; the QUIT
//! others see says only `K-Lined` (or `D-Lined`), as Solanum shows the
//! reason to the banned user alone.

use bytes::Bytes;
use natter_model::{BanKind, Event, Frontend, ServerBan, UserId};
use natter_proto::numeric::*;
use natter_proto::{write_line_trailing, Message};
use natter_store::StoreError;

use super::{Ctx, SlowJob};
use crate::server_bans::{
    cut_reason, looks_like_duration, normalize_dline, normalize_kline, parse_duration, real_host,
    sweep, to_record, write_in_order,
};
use crate::world::{now, Origin};
use crate::World;

/// The reason of a ban set without one.
const NO_REASON: &str = "No reason";

/// `KLINE [<duration>] <user@host> [:<reason>]`.
pub fn kline(ctx: &mut Ctx<'_>, msg: &Message) {
    set(ctx, msg, BanKind::Kline);
}

/// `DLINE [<duration>] <address or CIDR> [:<reason>]`.
pub fn dline(ctx: &mut Ctx<'_>, msg: &Message) {
    set(ctx, msg, BanKind::Dline);
}

/// `UNKLINE <user@host>`.
pub fn unkline(ctx: &mut Ctx<'_>, msg: &Message) {
    lift(ctx, msg, BanKind::Kline);
}

/// `UNDLINE <address or CIDR>`.
pub fn undline(ctx: &mut Ctx<'_>, msg: &Message) {
    lift(ctx, msg, BanKind::Dline);
}

/// The command that sets bans of `kind`.
fn command(kind: BanKind) -> &'static str {
    match kind {
        BanKind::Kline => "KLINE",
        BanKind::Dline => "DLINE",
    }
}

/// `mask` normalized for `kind`, or why not.
fn normalize(kind: BanKind, mask: &str) -> Result<String, &'static str> {
    match kind {
        BanKind::Kline => normalize_kline(mask),
        BanKind::Dline => normalize_dline(mask),
    }
}

/// `FAIL <command> <code> :<text>` (IRCv3 standard replies).
fn fail(ctx: &mut Ctx<'_>, command: &str, code: &str, text: &str) {
    ctx.server_line("FAIL", &[command, code, text]);
}

/// `secs` as an operator reads it (`10m`, `1h 30m`).
fn duration_text(secs: u64) -> String {
    humantime::format_duration(std::time::Duration::from_secs(secs)).to_string()
}

fn set(ctx: &mut Ctx<'_>, msg: &Message, kind: BanKind) {
    let name = command(kind);
    let Some(first) = msg.param(0) else {
        return ctx.need_more_params(name);
    };
    let (duration, rest) = if looks_like_duration(first) {
        let Some(duration) = parse_duration(first) else {
            let text = format!(
                "Invalid duration {}: minutes, or e.g. 30s, 10m, 1h30m, 2d, 1w (0 is permanent)",
                super::truncate(first, 32)
            );
            return fail(ctx, name, "INVALID_DURATION", &text);
        };
        (duration, 1)
    } else {
        (None, 0)
    };
    let Some(mask) = msg.param(rest) else {
        return ctx.need_more_params(name);
    };
    let mask = match normalize(kind, mask) {
        Ok(mask) => mask,
        Err(why) => return fail(ctx, name, "INVALID_MASK", why),
    };
    let reason = msg
        .param(rest + 1)
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .unwrap_or(NO_REASON);
    let set_at = now();
    let ban = ServerBan {
        kind,
        mask,
        reason: cut_reason(reason).to_string(),
        set_by: ctx.me().snapshot().mask(),
        set_at,
        expires_at: duration.map(|d| set_at.saturating_add(d)),
    };
    let history = ctx.world.history.clone();
    ctx.defer(SlowJob::new(move || {
        let record = to_record(&ban);
        let result = write_in_order(&history, move |store| store.put_server_ban(&record));
        Box::new(move |ctx| stored(ctx, ban, result))
    }));
}

/// Finishes KLINE or DLINE once the store committed the ban (or failed).
fn stored(ctx: &mut Ctx<'_>, ban: ServerBan, result: Result<(), StoreError>) {
    let label = format!("{}-Line", ban.kind.letter());
    if let Err(e) = result {
        tracing::error!(error = %e, mask = ban.mask, "storing a server ban failed");
        let text = format!(
            "*** Could not store the {label} for [{}], not set: try again later",
            ban.mask
        );
        return ctx.server_notice(&text);
    }
    tracing::info!(by = ban.set_by, kind = %ban.kind.letter(), mask = ban.mask, "server ban set");
    let text = match ban.expires_at {
        Some(t) => format!(
            "*** Added temporary {label} for [{}] ({}): {}",
            ban.mask,
            duration_text(t.saturating_sub(ban.set_at)),
            ban.reason
        ),
        None => format!("*** Added {label} for [{}]: {}", ban.mask, ban.reason),
    };
    // Confirmed first: the ban may disconnect the operator itself.
    ctx.server_notice(&text);
    ctx.emit(Event::ServerBanSet { ban });
}

fn lift(ctx: &mut Ctx<'_>, msg: &Message, kind: BanKind) {
    let name = format!("UN{}", command(kind));
    let Some(mask) = msg.param(0) else {
        return ctx.need_more_params(&name);
    };
    let mask = match normalize(kind, mask) {
        Ok(mask) => mask,
        Err(why) => return fail(ctx, &name, "INVALID_MASK", why),
    };
    sweep(ctx.world);
    if ctx.world.bans.get(kind, &mask, now()).is_none() {
        let text = format!("*** No {}-Line for [{mask}]", kind.letter());
        return ctx.server_notice(&text);
    }
    let history = ctx.world.history.clone();
    ctx.defer(SlowJob::new(move || {
        let (letter, key) = (kind.letter().to_string(), mask.clone());
        let result = write_in_order(&history, move |store| {
            store.delete_server_ban(&letter, &key)
        });
        Box::new(move |ctx| lifted(ctx, kind, mask, result))
    }));
}

/// Finishes UNKLINE or UNDLINE once the store deleted the ban (or failed).
fn lifted(ctx: &mut Ctx<'_>, kind: BanKind, mask: String, result: Result<bool, StoreError>) {
    let label = format!("{}-Line", kind.letter());
    if let Err(e) = result {
        tracing::error!(error = %e, mask, "deleting a server ban failed");
        let text = format!("*** Could not remove the {label} for [{mask}]: try again later");
        return ctx.server_notice(&text);
    }
    let by = ctx.me().snapshot().mask();
    tracing::info!(by, kind = %kind.letter(), mask, "server ban lifted");
    ctx.server_notice(&format!("*** Removed {label} for [{mask}]"));
    ctx.emit(Event::ServerBanLifted { kind, mask, by });
}

/// STATS k (K-lines) or d (D-lines): one RPL_STATSKLINE (`K <host> *
/// <user> :<reason> (...)`) or RPL_STATSDLINE (`D <mask> :<reason> (...)`)
/// per ban in force, the letter in lower case for a temporary one; the
/// reason is followed by who set it and when it expires.
pub(super) fn stats(ctx: &mut Ctx<'_>, kind: BanKind) {
    sweep(ctx.world);
    let now = now();
    let bans: Vec<ServerBan> = ctx
        .world
        .bans
        .active(now)
        .filter(|b| b.kind == kind)
        .cloned()
        .collect();
    for ban in bans {
        let letter = match ban.expires_at {
            Some(_) => ban.kind.letter().to_ascii_lowercase(),
            None => ban.kind.letter(),
        }
        .to_string();
        let expiry = match ban.expires_at {
            Some(t) => format!("expires in {}", duration_text(t.saturating_sub(now))),
            None => "permanent".into(),
        };
        let reason = format!("{} (set by {}, {expiry})", ban.reason, ban.set_by);
        match kind {
            BanKind::Kline => {
                let (user, host) = ban.mask.split_once('@').unwrap_or(("*", &ban.mask));
                ctx.numeric(RPL_STATSKLINE, &[&letter, host, "*", user, &reason]);
            }
            BanKind::Dline => ctx.numeric(RPL_STATSDLINE, &[&letter, &ban.mask, &reason]),
        }
    }
}

/// Server bans' hook on the fan-out, for bans set here or on a linked
/// server: local operators get a `k` server notice, and the local users a
/// new ban matches are disconnected.
pub fn after_event(
    world: &mut World,
    event: &Event,
    origin: Origin,
    _: Option<(UserId, &mut String)>,
) {
    // Every event passes here, most of them messages: the text is made
    // only for a ban.
    let from = |world: &World| match origin {
        Origin::Link(id) => format!(" (via {})", world.net.server_name(id)),
        _ => String::new(),
    };
    match event {
        Event::ServerBanSet { ban } if ban.active(now()) => {
            let how = match ban.expires_at {
                Some(t) => format!("temporary {} ", duration_text(t.saturating_sub(ban.set_at))),
                None => String::new(),
            };
            let text = format!(
                "{} added {how}{}-Line for [{}]{}: {}",
                ban.set_by,
                ban.kind.letter(),
                ban.mask,
                from(world),
                ban.reason
            );
            super::snomask::notify(world, 'k', &text);
            disconnect(world, ban);
        }
        Event::ServerBanLifted { kind, mask, by } => {
            let text = format!(
                "{by} removed {}-Line for [{mask}]{}",
                kind.letter(),
                from(world)
            );
            super::snomask::notify(world, 'k', &text);
        }
        _ => {}
    }
}

/// Disconnects every local connection `ban` matches: an IRC client gets
/// ERR_YOUREBANNEDCREEP with the reason, then the closing ERROR; a
/// registered user quits with the generic `K-Lined` / `D-Lined`.
fn disconnect(world: &mut World, ban: &ServerBan) {
    let (_, why) = refusal(ban);
    for id in crate::server_bans::local_matches(world, ban) {
        let Some(conn) = world.conns.get(&id) else {
            continue;
        };
        let (frontend, out) = (conn.frontend, conn.out.clone());
        let host = real_host(conn.addr.ip());
        let user = world
            .net
            .user(id)
            .filter(|_| conn.registered)
            .map(|u| u.snapshot());
        let mut last = String::new();
        if frontend == Frontend::Irc {
            let nick = user.as_ref().map_or("*", |u| u.nick.as_str());
            let (text, _) = refusal(ban);
            let server = world.server_name();
            write_line_trailing(
                &mut last,
                None,
                Some(server),
                ERR_YOUREBANNEDCREEP,
                &[nick, &text],
            );
        }
        last.push_str(&crate::frontends::closing_line(frontend, &host, &why));
        if let Some(user) = user {
            let quit = Event::Quit {
                user,
                reason: ban.kind.label().to_string(),
                at: now(),
            };
            world.emit(&quit, None);
        }
        out.close(Some(Bytes::from(last)));
    }
}

/// ERR_YOUREBANNEDCREEP's text for a client refused by `ban`, and the
/// quit reason its connection closes with (`K-Lined: <reason>`).
pub(super) fn refusal(ban: &ServerBan) -> (String, String) {
    (
        format!("You are banned from this server- {}", ban.reason),
        format!("{}: {}", ban.kind.label(), ban.reason),
    )
}
