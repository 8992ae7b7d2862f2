//! MONITOR (IRCv3 monitor, <https://ircv3.net/specs/extensions/monitor>):
//! clients keep a list of nicks and are told when each comes online or
//! goes offline. The notifications are a hook of the fan-out: [`after`]
//! runs after every event [`crate::world::World::emit_from`] applies (the
//! world no longer builds MONITOR numerics itself), and
//! [`add_extended_watchers`] adds IRCv3 extended-monitor watchers to the
//! recipients of AWAY, SETNAME and CHGHOST.

use bytes::Bytes;
use natter_model::{Event, UserId};
use natter_proto::numeric::*;
use natter_proto::{casemap, write_line_trailing, Message};

use super::caps::Cap;
use super::Ctx;
use crate::world::Origin;
use crate::World;

/// MONITOR + targets | - targets | C | L | S.
pub fn monitor(ctx: &mut Ctx<'_>, msg: &Message) {
    let Some(sub) = msg.param(0) else {
        return ctx.need_more_params("MONITOR");
    };
    let id = ctx.client.id;
    let targets: Vec<&str> = msg
        .param(1)
        .unwrap_or("")
        .split(',')
        .filter(|t| !t.is_empty())
        .collect();
    match sub {
        "+" => {
            if targets.is_empty() {
                return ctx.need_more_params("MONITOR");
            }
            let limit = ctx.world.config.limits.monitor;
            let mut online = Vec::new();
            let mut offline = Vec::new();
            for (i, nick) in targets.iter().enumerate() {
                let key = casemap::fold(nick);
                let count = ctx
                    .world
                    .conns
                    .get(&id)
                    .map_or(0, |c| c.front.monitoring().len());
                let already = ctx
                    .world
                    .conns
                    .get(&id)
                    .is_some_and(|c| c.front.monitoring().contains(&key));
                if !already && count >= limit {
                    let rest = targets[i..].join(",");
                    ctx.numeric(
                        ERR_MONLISTFULL,
                        &[&limit.to_string(), &rest, "Monitor list is full"],
                    );
                    break;
                }
                if let Some(conn) = ctx.world.conns.get_mut(&id).filter(|_| !already) {
                    conn.front.lists().monitoring.push(key.clone());
                }
                ctx.world
                    .front
                    .irc
                    .monitors
                    .entry(key)
                    .or_default()
                    .insert(id);
                match ctx.world.net.user_by_nick(nick) {
                    Some(u) => online.push(u.prefix()),
                    None => offline.push(nick.to_string()),
                }
            }
            send_list(ctx, RPL_MONONLINE, &online);
            send_list(ctx, RPL_MONOFFLINE, &offline);
        }
        "-" => {
            for nick in targets {
                let key = casemap::fold(nick);
                if let Some(lists) = ctx
                    .world
                    .conns
                    .get_mut(&id)
                    .and_then(|c| c.front.lists.as_mut())
                {
                    lists.monitoring.retain(|k| *k != key);
                }
                forget(ctx, &key, id);
            }
        }
        "C" | "c" => {
            let keys: Vec<String> = ctx
                .world
                .conns
                .get_mut(&id)
                .and_then(|c| c.front.lists.as_mut())
                .map(|l| std::mem::take(&mut l.monitoring))
                .unwrap_or_default();
            for key in keys {
                forget(ctx, &key, id);
            }
        }
        "L" | "l" => {
            let list = watched(ctx);
            send_list(ctx, RPL_MONLIST, &list);
            ctx.numeric(RPL_ENDOFMONLIST, &["End of MONITOR list"]);
        }
        "S" | "s" => {
            let mut online = Vec::new();
            let mut offline = Vec::new();
            for nick in watched(ctx) {
                match ctx.world.net.user_by_nick(&nick) {
                    Some(u) => online.push(u.prefix()),
                    None => offline.push(nick),
                }
            }
            send_list(ctx, RPL_MONONLINE, &online);
            send_list(ctx, RPL_MONOFFLINE, &offline);
        }
        _ => ctx.numeric(
            ERR_UNKNOWNCOMMAND,
            &["MONITOR", "Unknown MONITOR subcommand"],
        ),
    }
}

/// The nicks this client monitors, as it spelled them is not kept, so the
/// folded forms, sorted.
fn watched(ctx: &Ctx<'_>) -> Vec<String> {
    let mut list: Vec<String> = ctx
        .world
        .conns
        .get(&ctx.client.id)
        .map(|c| c.front.monitoring().to_vec())
        .unwrap_or_default();
    list.sort();
    list
}

fn forget(ctx: &mut Ctx<'_>, key: &str, id: natter_model::UserId) {
    if let Some(watchers) = ctx.world.front.irc.monitors.get_mut(key) {
        watchers.remove(&id);
        if watchers.is_empty() {
            ctx.world.front.irc.monitors.remove(key);
        }
    }
}

/// Sends `numeric` with comma-joined `items`, split to stay under 512 bytes.
fn send_list(ctx: &mut Ctx<'_>, numeric: &str, items: &[String]) {
    let budget = 400usize.saturating_sub(ctx.nick().len());
    let mut line = String::new();
    for item in items {
        if !line.is_empty() && line.len() + 1 + item.len() > budget {
            ctx.numeric(numeric, &[&line]);
            line.clear();
        }
        if !line.is_empty() {
            line.push(',');
        }
        line.push_str(item);
    }
    if !line.is_empty() {
        ctx.numeric(numeric, &[&line]);
    }
}

/// MONITOR's hook on the fan-out ([`crate::frontends`]): [`after`].
pub fn after_event(world: &mut World, event: &Event, _: Origin, _: Option<(UserId, &mut String)>) {
    after(world, event);
}

/// MONITOR (IRCv3 monitor): tells watchers when a nick they monitor
/// comes online (RPL_MONONLINE) or goes offline (RPL_MONOFFLINE).
pub fn after(world: &World, event: &Event) {
    if world.front.irc.monitors.is_empty() {
        return;
    }
    let (online, offline): (Option<String>, Option<String>) = match event {
        Event::UserIntroduced(u) => (Some(u.prefix()), None),
        Event::NickChanged { user, .. } => {
            let old_nick = user.nick.clone();
            let new = world.net.user(user.id).map(|u| u.prefix());
            // A case-only change leaves the monitored key the same.
            match new {
                Some(p) if casemap::eq(p.split('!').next().unwrap_or(""), &old_nick) => {
                    (None, None)
                }
                new => (new, Some(old_nick)),
            }
        }
        Event::Quit { user, .. } | Event::Killed { user, .. } => (None, Some(user.nick.clone())),
        _ => (None, None),
    };
    let server = world.config.server.name.clone();
    for (numeric, who) in [(RPL_MONOFFLINE, offline), (RPL_MONONLINE, online)] {
        let Some(who) = who else { continue };
        let nick = who.split('!').next().unwrap_or("");
        let Some(watchers) = world.front.irc.monitors.get(&casemap::fold(nick)) else {
            continue;
        };
        for w in watchers {
            let (Some(conn), Some(user)) = (world.conns.get(w), world.net.user(*w)) else {
                continue;
            };
            let mut line = String::new();
            write_line_trailing(&mut line, None, Some(&server), numeric, &[&user.nick, &who]);
            conn.out.push(Bytes::from(line));
        }
    }
}

/// IRCv3 extended-monitor: adds to `recipients` of an AWAY, SETNAME or
/// CHGHOST event the local clients with `extended-monitor` that MONITOR
/// the user it is about (by its current nick). Those sharing a channel
/// with the user (or that are the user) already are recipients, so no
/// one gets a line twice. Whether a watcher is shown the event is still
/// up to [`super::render::visible`]: `away-notify`, `setname`, `chghost`
/// or `account-notify`
/// (<https://ircv3.net/specs/extensions/extended-monitor>).
pub fn add_extended_watchers(world: &World, event: &Event, recipients: &mut Vec<UserId>) {
    if world.front.irc.monitors.is_empty() {
        return;
    }
    let id = match event {
        Event::AwayChanged { user, .. }
        | Event::RealnameChanged { user, .. }
        | Event::HostChanged { user, .. }
        | Event::AccountChanged { user, .. } => user.id,
        _ => return,
    };
    let Some(user) = world.net.user(id) else {
        return;
    };
    let Some(watchers) = world.front.irc.monitors.get(&casemap::fold(&user.nick)) else {
        return;
    };
    for &w in watchers {
        let wants = world
            .conns
            .get(&w)
            .is_some_and(|c| c.front.caps.has(Cap::ExtendedMonitor));
        if wants && w != id && !world.net.share_channel(id, w) {
            recipients.push(w);
        }
    }
}
