//! Queries about users and the server: WHO, WHOIS, WHOWAS, ISON, USERHOST,
//! VERSION, TIME, ADMIN, INFO, MOTD, LUSERS, LINKS (RFC 2812 3.4 and 3.6;
//! Modern IRC).

use natter_model::{User, UserId};
use natter_proto::numeric::*;
use natter_proto::validate::is_channel_name;
use natter_proto::{mask, Message};

use super::caps::Cap;
use super::registration::{middle, send_isupport, VERSION};
use super::Ctx;
use crate::world::now;

/// Whether `viewer` may see `user` in WHO/NAMES: not invisible, themselves,
/// or sharing a channel.
fn visible(ctx: &Ctx<'_>, viewer: UserId, user: &User) -> bool {
    !user.modes.invisible || user.id == viewer || ctx.world.net.share_channel(viewer, user.id)
}

/// A WHO row for a user found by nick or mask rather than by channel: the
/// first non-secret channel they are in (or `*`) and their status there.
fn row_outside_channel(
    net: &natter_model::Network,
    u: &User,
    multi: bool,
) -> (User, String, &'static str) {
    let chan = net.channels_of(u.id).find(|c| !c.modes.secret);
    let name = chan.map(|c| c.name.clone()).unwrap_or_else(|| "*".into());
    let status = chan
        .and_then(|c| c.member(u.id))
        .map(|m| m.prefixes(multi))
        .unwrap_or("");
    (u.clone(), name, status)
}

/// `WHO <mask> [<flags>][%<fields>[,<token>]]`: users matching a channel or a
/// mask, as RPL_WHOREPLY, or as RPL_WHOSPCRPL with the requested fields
/// (IRCv3 WHOX). The flag `o` keeps only operators.
pub fn who(ctx: &mut Ctx<'_>, msg: &Message) {
    let target = msg.param(0).unwrap_or("*");
    let (flags, whox) = match msg.param(1) {
        Some(p) => match p.split_once('%') {
            Some((flags, fields)) => (flags, Some(fields)),
            None => (p, None),
        },
        None => ("", None),
    };
    let opers_only = flags.contains('o');
    let me = ctx.client.id;
    let sees_real = ctx.world.net.user(me).is_some_and(|m| m.modes.oper);
    let multi = ctx.caps().has(Cap::MultiPrefix);
    // (user, channel shown, status prefixes)
    let mut rows: Vec<(User, String, &'static str)> = Vec::new();
    if is_channel_name(target) {
        if let Some(chan) = ctx.world.net.channel(target) {
            let member = chan.member(me).is_some();
            if member || !chan.modes.secret {
                for (uid, m) in &chan.members {
                    let Some(u) = ctx.world.net.user(*uid) else {
                        continue;
                    };
                    if (!member && u.modes.invisible) || (opers_only && !u.modes.oper) {
                        continue;
                    }
                    rows.push((u.clone(), chan.name.clone(), m.prefixes(multi)));
                }
            }
        }
    } else if let Some(u) = ctx
        .world
        .net
        .user_by_nick(target)
        .filter(|_| !target.contains(['*', '?']))
    {
        // An exact nick names one user: +i hides users from mask searches,
        // not from someone who already knows the nick (Modern IRC WHO).
        if !opers_only || u.modes.oper {
            rows.push(row_outside_channel(&ctx.world.net, u, multi));
        }
    } else {
        let pattern = if target == "0" { "*" } else { target };
        for u in ctx.world.net.users() {
            // Services answer WHO by their exact nick only, like +i users.
            let service = u.frontend == natter_model::Frontend::Service;
            if opers_only && !u.modes.oper || service || !visible(ctx, me, u) {
                continue;
            }
            let server = ctx.world.net.server_name(u.server);
            // Operators may search by real address too; others only see
            // (and so may only match) the cloak.
            let real = if sees_real { &*u.real_host } else { &*u.host };
            let hit = [&*u.nick, &*u.user, &*u.host, real, &*u.realname, server]
                .iter()
                .any(|field| mask::matches(pattern, field));
            if hit {
                rows.push(row_outside_channel(&ctx.world.net, u, multi));
            }
        }
    }
    for (u, channel, status) in &rows {
        let (server, hopcount) = match ctx.world.net.server(u.server) {
            Some(s) => (s.name.clone(), s.hopcount),
            None => (std::sync::Arc::from("*"), 0),
        };
        let mut flags = String::from(if u.away.is_some() { "G" } else { "H" });
        if u.modes.oper {
            flags.push('*');
        }
        if u.modes.bot {
            flags.push('B');
        }
        flags.push_str(status);
        let hops = &hopcount.to_string();
        match whox {
            None => {
                let last = format!("{hops} {}", u.realname);
                ctx.numeric(
                    RPL_WHOREPLY,
                    &[channel, &u.user, &u.host, &server, &u.nick, &flags, &last],
                )
            }
            Some(fields) => {
                let (fields, token) = fields.split_once(',').unwrap_or((fields, ""));
                let idle = now().saturating_sub(u.last_active).to_string();
                let account = u.account.as_deref().unwrap_or("0");
                let mut params: Vec<&str> = Vec::new();
                // WHOX fields always come in this order, whatever the request's.
                for f in "tcuihsnfdlaor".chars().filter(|f| fields.contains(*f)) {
                    params.push(match f {
                        't' => middle(token),
                        'c' => channel,
                        'u' => &u.user,
                        // The IP address, or 255.255.255.255 when hidden
                        // (ircu WHOX): after CHGHOST or behind a cloak the
                        // host is no IP; the user and operators see the
                        // real one.
                        'i' if (sees_real || u.id == me)
                            && u.real_host.parse::<std::net::IpAddr>().is_ok() =>
                        {
                            &u.real_host
                        }
                        'i' if u.host.parse::<std::net::IpAddr>().is_ok() => &u.host,
                        'i' => "255.255.255.255",
                        'h' => &u.host,
                        's' => &server,
                        'n' => &u.nick,
                        'f' => &flags,
                        'd' => hops,
                        'l' => &idle,
                        'a' => account,
                        'o' => "n/a",
                        _ => &u.realname,
                    });
                }
                ctx.numeric(RPL_WHOSPCRPL, &params);
            }
        }
    }
    ctx.numeric(RPL_ENDOFWHO, &[middle(target), "End of WHO list"]);
}

/// `WHOIS [<server>] <nick>`: RPL_WHOISUSER, WHOISCHANNELS, WHOISSERVER,
/// AWAY, WHOISOPERATOR, WHOISIDLE, ENDOFWHOIS.
pub fn whois(ctx: &mut Ctx<'_>, msg: &Message) {
    let Some(first) = msg.param(0) else {
        return ctx.numeric(ERR_NONICKNAMEGIVEN, &["No nickname given"]);
    };
    let nicks = msg.param(1).unwrap_or(first);
    let nick = nicks.split(',').next().unwrap_or(nicks);
    let Some(u) = ctx.world.net.user_by_nick(nick) else {
        let nick = middle(nick);
        ctx.numeric(ERR_NOSUCHNICK, &[nick, "No such nick/channel"]);
        return ctx.numeric(RPL_ENDOFWHOIS, &[nick, "End of /WHOIS list"]);
    };
    let u = u.clone();
    let me = ctx.client.id;
    ctx.numeric(
        RPL_WHOISUSER,
        &[&u.nick, &u.user, &u.host, "*", &u.realname],
    );
    let chans: Vec<String> = ctx
        .world
        .net
        .channels_of(u.id)
        .filter(|c| !c.modes.secret || c.member(me).is_some())
        .map(|c| {
            format!(
                "{}{}",
                c.member(u.id).map(|m| m.prefixes(false)).unwrap_or(""),
                c.name
            )
        })
        .collect();
    // As many channels a line as fit in 512 bytes (RFC 1459 2.3):
    // ":server 319 me nick :chans\r\n".
    let budget = 512usize
        .saturating_sub(ctx.world.config.server.name.len() + ctx.nick().len() + u.nick.len() + 12);
    let mut line = String::new();
    for c in &chans {
        if !line.is_empty() && line.len() + 1 + c.len() > budget {
            ctx.numeric(RPL_WHOISCHANNELS, &[&u.nick, &line]);
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(c);
    }
    if !line.is_empty() {
        ctx.numeric(RPL_WHOISCHANNELS, &[&u.nick, &line]);
    }
    let (server, description) = match ctx.world.net.server(u.server) {
        Some(s) => (s.name.to_string(), s.description.clone()),
        None => ("*".to_string(), String::new()),
    };
    ctx.numeric(RPL_WHOISSERVER, &[&u.nick, &server, &description]);
    if let Some(away) = &u.away {
        ctx.numeric(RPL_AWAY, &[&u.nick, away]);
    }
    if u.modes.oper {
        ctx.numeric(RPL_WHOISOPERATOR, &[&u.nick, "is an IRC operator"]);
    }
    if let Some(account) = &u.account {
        ctx.numeric(RPL_WHOISACCOUNT, &[&u.nick, account, "is logged in as"]);
    }
    if let Some(conn) = ctx.world.conns.get(&u.id) {
        let (secure, certfp) = (conn.transport.secure(), conn.certfp.clone());
        if secure {
            ctx.numeric(RPL_WHOISSECURE, &[&u.nick, "is using a secure connection"]);
        }
        // The fingerprint identifies a person across networks: only they
        // and operators see it (as Solanum and InspIRCd do).
        let oper = ctx.world.net.user(me).is_some_and(|m| m.modes.oper);
        if let Some(fp) = certfp.filter(|_| u.id == me || oper) {
            let text = format!("has client certificate fingerprint {fp}");
            ctx.numeric(RPL_WHOISCERTFP, &[&u.nick, &text]);
        }
    }
    // The real address, behind any cloak: only the user and operators see
    // it (Solanum, InspIRCd).
    if u.id == me || ctx.world.net.user(me).is_some_and(|m| m.modes.oper) {
        let text = format!("is connecting from *@{0} {0}", u.real_host);
        ctx.numeric(RPL_WHOISHOST, &[&u.nick, &text]);
    }
    if u.modes.bot {
        let network = ctx.world.config.server.network.clone();
        ctx.numeric(RPL_WHOISBOT, &[&u.nick, &format!("is a bot on {network}")]);
    }
    let idle = now().saturating_sub(u.last_active).to_string();
    ctx.numeric(
        RPL_WHOISIDLE,
        &[
            &u.nick,
            &idle,
            &u.signon.to_string(),
            "seconds idle, signon time",
        ],
    );
    ctx.numeric(RPL_ENDOFWHOIS, &[&u.nick, "End of /WHOIS list"]);
}

/// `WHOWAS <nick> [<count>]`: former holders of a nick, newest first.
pub fn whowas(ctx: &mut Ctx<'_>, msg: &Message) {
    let Some(nick) = msg.param(0).filter(|n| !n.is_empty()) else {
        return ctx.numeric(ERR_NONICKNAMEGIVEN, &["No nickname given"]);
    };
    let count = msg
        .param(1)
        .and_then(|c| c.parse::<usize>().ok())
        .filter(|&c| c > 0)
        .unwrap_or(usize::MAX);
    let entries: Vec<_> = ctx.world.net.whowas(nick).take(count).cloned().collect();
    let oper = ctx
        .world
        .net
        .user(ctx.client.id)
        .is_some_and(|m| m.modes.oper);
    let nick = middle(nick);
    if entries.is_empty() {
        ctx.numeric(ERR_WASNOSUCHNICK, &[nick, "There was no such nickname"]);
    }
    for e in entries {
        ctx.numeric(
            RPL_WHOWASUSER,
            &[&e.nick, &e.user, &e.host, "*", &e.realname],
        );
        // Operators learn the address behind a cloak (Solanum's form).
        if oper && e.real_host != e.host {
            ctx.numeric(
                RPL_WHOISACTUALLY,
                &[&e.nick, &e.real_host, "actually using host"],
            );
        }
        let when = humantime::format_rfc3339_seconds(
            std::time::UNIX_EPOCH + std::time::Duration::from_secs(e.at),
        );
        ctx.numeric(RPL_WHOISSERVER, &[&e.nick, &e.server, &when.to_string()]);
    }
    ctx.numeric(RPL_ENDOFWHOWAS, &[nick, "End of WHOWAS"]);
}

/// `ISON <nick>{ <nick>}`: which of the nicks are online (RPL_ISON).
pub fn ison(ctx: &mut Ctx<'_>, msg: &Message) {
    if msg.params.is_empty() {
        return ctx.need_more_params("ISON");
    }
    // The reply may not exceed 512 bytes (RFC 1459 2.3) and its prefix is
    // longer than "ISON ": nicks that no longer fit are left out, as ircd
    // does (":server 303 me :nicks\r\n").
    let budget =
        512usize.saturating_sub(ctx.world.config.server.name.len() + ctx.nick().len() + 10);
    let mut online = String::new();
    for n in msg.params.iter().flat_map(|p| p.split(' ')) {
        let Some(u) = ctx.world.net.user_by_nick(n) else {
            continue;
        };
        let sep = usize::from(!online.is_empty());
        if online.len() + sep + u.nick.len() > budget {
            break;
        }
        if sep == 1 {
            online.push(' ');
        }
        online.push_str(&u.nick);
    }
    ctx.numeric(RPL_ISON, &[&online]);
}

/// `USERHOST <nick>{ <nick>}` (up to 5): `nick[*]=(+|-)user@host` (RPL_USERHOST).
/// The host is the cloak of a cloaked user, except for the user itself
/// (as on Solanum, for DCC) and for operators.
pub fn userhost(ctx: &mut Ctx<'_>, msg: &Message) {
    if msg.params.is_empty() {
        return ctx.need_more_params("USERHOST");
    }
    let me = ctx.client.id;
    let oper = ctx.world.net.user(me).is_some_and(|m| m.modes.oper);
    let replies: Vec<String> = msg
        .params
        .iter()
        .take(5)
        .filter_map(|n| ctx.world.net.user_by_nick(n))
        .map(|u| {
            format!(
                "{}{}={}{}@{}",
                u.nick,
                if u.modes.oper { "*" } else { "" },
                if u.away.is_some() { '-' } else { '+' },
                u.user,
                if oper || u.id == me {
                    &u.real_host
                } else {
                    &u.host
                }
            )
        })
        .collect();
    ctx.numeric(RPL_USERHOST, &[&replies.join(" ")]);
}

/// VERSION: RPL_VERSION, then the ISUPPORT lines (Modern IRC).
pub fn version(ctx: &mut Ctx<'_>, _msg: &Message) {
    let server = ctx.world.config.server.name.clone();
    ctx.numeric(
        RPL_VERSION,
        &[
            VERSION,
            &server,
            "natter: an IRC and instant messaging server",
        ],
    );
    send_isupport(ctx);
}

/// TIME: the server's time (RPL_TIME, Modern IRC: `<server> <timestamp>
/// <TS offset> :<human-readable time>`), the text in UTC as clients show it.
pub fn time(ctx: &mut Ctx<'_>, _msg: &Message) {
    let server = ctx.world.config.server.name.clone();
    let now = now();
    ctx.numeric(
        RPL_TIME,
        &[
            &server,
            &now.to_string(),
            "0",
            &crate::clock::format_human(now),
        ],
    );
}

/// ADMIN: RPL_ADMINME, ADMINLOC1, ADMINLOC2, ADMINEMAIL from `[admin]`.
pub fn admin(ctx: &mut Ctx<'_>, _msg: &Message) {
    let cfg = ctx.world.config.clone();
    ctx.numeric(RPL_ADMINME, &[&cfg.server.name, "Administrative info"]);
    ctx.numeric(RPL_ADMINLOC1, &[&cfg.admin.location]);
    ctx.numeric(RPL_ADMINLOC2, &[&cfg.admin.description]);
    ctx.numeric(RPL_ADMINEMAIL, &[&cfg.admin.email]);
}

/// INFO: a few lines about the software (RPL_INFO, RPL_ENDOFINFO).
pub fn info(ctx: &mut Ctx<'_>, _msg: &Message) {
    let started = humantime::format_rfc3339_seconds(
        std::time::UNIX_EPOCH + std::time::Duration::from_secs(ctx.world.started),
    )
    .to_string();
    for line in [
        format!("{VERSION}: an IRC and instant messaging server written in Rust."),
        format!("Server: {}", ctx.world.config.server.description),
        format!("Running since {started}"),
    ] {
        ctx.numeric(RPL_INFO, &[&line]);
    }
    ctx.numeric(RPL_ENDOFINFO, &["End of /INFO list"]);
}

/// `LINKS [[<remote>] <mask>]`: the servers whose names match `<mask>` (all
/// without one) as RPL_LINKS `<server> <uplink> :<hopcount> <description>`,
/// then RPL_ENDOFLINKS naming the mask (`*` without one). A `<remote>` must
/// match this server's name (ERR_NOSUCHSERVER otherwise).
///
/// natter runs as a single server for now, so the list is this server
/// alone, as its own uplink at hop count 0; linked servers come later.
pub fn links(ctx: &mut Ctx<'_>, msg: &Message) {
    let (remote, pattern) = match (msg.param(0), msg.param(1)) {
        (Some(remote), Some(pattern)) => (Some(remote), pattern),
        (Some(pattern), None) => (None, pattern),
        _ => (None, "*"),
    };
    let net = &ctx.world.net;
    if let Some(remote) = remote {
        if !net.servers().any(|s| mask::matches(remote, &s.name)) {
            return ctx.numeric(ERR_NOSUCHSERVER, &[middle(remote), "No such server"]);
        }
    }
    let pattern = if pattern.is_empty() { "*" } else { pattern };
    // `<server> <uplink> :<hopcount> <description>` (RFC 2812 5.1), this
    // server first, then by hop count.
    let mut rows: Vec<(u32, String, String, String)> = net
        .servers()
        .filter(|s| mask::matches(pattern, &s.name))
        .map(|s| {
            let uplink = s.uplink.map_or(&*s.name, |u| net.server_name(u));
            let info = format!("{} {}", s.hopcount, s.description);
            (s.hopcount, s.name.to_string(), uplink.to_string(), info)
        })
        .collect();
    rows.sort();
    for (_, name, uplink, info) in &rows {
        ctx.numeric(RPL_LINKS, &[name, uplink, info]);
    }
    ctx.numeric(RPL_ENDOFLINKS, &[middle(pattern), "End of /LINKS list"]);
}

/// MOTD.
pub fn motd(ctx: &mut Ctx<'_>, _msg: &Message) {
    send_motd(ctx);
}

/// LUSERS.
pub fn lusers(ctx: &mut Ctx<'_>, _msg: &Message) {
    send_lusers(ctx);
}

/// RPL_MOTDSTART, RPL_MOTD lines and RPL_ENDOFMOTD, or ERR_NOMOTD when empty.
pub(super) fn send_motd(ctx: &mut Ctx<'_>) {
    let motd = ctx.world.motd.clone();
    if motd.is_empty() {
        return ctx.numeric(ERR_NOMOTD, &["MOTD File is missing"]);
    }
    let server = ctx.world.config.server.name.clone();
    ctx.numeric(
        RPL_MOTDSTART,
        &[&format!("- {server} Message of the day - ")],
    );
    for line in motd.iter() {
        ctx.numeric(RPL_MOTD, &[&format!("- {line}")]);
    }
    ctx.numeric(RPL_ENDOFMOTD, &["End of /MOTD command."]);
}

/// RPL_LUSERCLIENT through RPL_GLOBALUSERS.
pub(super) fn send_lusers(ctx: &mut Ctx<'_>) {
    let net = &ctx.world.net;
    let total = net.user_count();
    let invisible = net.invisible_count();
    let opers = net.oper_count();
    let channels = net.channel_count();
    let max = net.max_users_seen();
    // Counters, not scans: the welcome burst runs LUSERS on every
    // registration.
    let local = net.local_user_count();
    let max_local = net.max_local_users_seen();
    let servers = net.servers().count();
    let neighbours = net
        .servers()
        .filter(|s| s.uplink == Some(natter_model::LOCAL_SERVER))
        .count();
    let unknown = ctx.world.conns.len().saturating_sub(local);
    ctx.numeric(
        RPL_LUSERCLIENT,
        &[&format!(
            "There are {} users and {invisible} invisible on {servers} servers",
            total - invisible
        )],
    );
    if opers > 0 {
        ctx.numeric(RPL_LUSEROP, &[&opers.to_string(), "operator(s) online"]);
    }
    if unknown > 0 {
        ctx.numeric(
            RPL_LUSERUNKNOWN,
            &[&unknown.to_string(), "unknown connection(s)"],
        );
    }
    ctx.numeric(
        RPL_LUSERCHANNELS,
        &[&channels.to_string(), "channels formed"],
    );
    ctx.numeric(
        RPL_LUSERME,
        &[&format!("I have {local} clients and {neighbours} servers")],
    );
    ctx.numeric(
        RPL_LOCALUSERS,
        &[
            &local.to_string(),
            &max_local.to_string(),
            &format!("Current local users {local}, max {max_local}"),
        ],
    );
    ctx.numeric(
        RPL_GLOBALUSERS,
        &[
            &total.to_string(),
            &max.to_string(),
            &format!("Current global users {total}, max {max}"),
        ],
    );
}

#[cfg(test)]
mod tests {
    #[test]
    fn human_time_names_weekday_and_month() {
        for (secs, text) in [
            (0, "Thursday January 1 1970 -- 00:00:00 +00:00"),
            (951_782_400, "Tuesday February 29 2000 -- 00:00:00 +00:00"),
            (1_796_569_800, "Sunday December 6 2026 -- 15:10:00 +00:00"),
        ] {
            assert_eq!(crate::clock::format_human(secs), text);
        }
    }
}
