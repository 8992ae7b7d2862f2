//! Connection registration and keepalive: PASS, NICK, USER, PING, QUIT,
//! and the welcome burst (Modern IRC "Connection Registration"; RFC 2812 3.1).

use natter_model::{Event, Frontend, Identity, User, UserModes};
use natter_proto::numeric::*;
use natter_proto::validate::{is_valid_nick, is_valid_user};
use natter_proto::Message;

use super::{queries, Ctx};
use crate::rules::MAX_LINE;
use crate::session::PreRegistration;
use crate::text::truncate;
use crate::world::now;

/// The version string in RPL_YOURHOST, RPL_MYINFO and VERSION.
pub const VERSION: &str = concat!("natter-", env!("CARGO_PKG_VERSION"));

/// Longest real name kept from USER, in bytes. The real name is repeated
/// in WHO, WHOIS and WHOWAS replies next to nicks, channel and host names;
/// cutting it here keeps those replies within 512 bytes (RFC 1459 2.3).
pub const REALLEN: usize = 128;

/// `p` as a non-final parameter of a reply. Only the last parameter may
/// be empty, contain a space or start with ':' (Modern IRC "Parameters";
/// RFC 1459 2.3.1), so a client-supplied value that cannot be a middle
/// parameter (e.g. from `NICK :a b`) is echoed as `*` rather than
/// splitting the reply into different parameters.
pub(super) fn middle(p: &str) -> &str {
    if p.is_empty() || p.starts_with(':') || p.contains(' ') {
        "*"
    } else {
        p
    }
}

/// `PASS <password>`: must come before NICK/USER when the server has one.
pub fn pass(ctx: &mut Ctx<'_>, msg: &Message) {
    if ctx.client.registered {
        return ctx.numeric(ERR_ALREADYREGISTERED, &["You may not reregister"]);
    }
    let Some(given) = msg.param(0) else {
        return ctx.need_more_params("PASS");
    };
    ctx.client.pass_ok = match &ctx.world.config.server.password {
        Some(pw) => pw == given,
        None => true,
    };
}

/// `NICK <nickname>`: sets the nick before registration, changes it after.
pub fn nick(ctx: &mut Ctx<'_>, msg: &Message) {
    let Some(nick) = msg.param(0).filter(|n| !n.is_empty()) else {
        return ctx.numeric(ERR_NONICKNAMEGIVEN, &["No nickname given"]);
    };
    if !is_valid_nick(nick, ctx.world.config.limits.nicklen) {
        return ctx.numeric(ERR_ERRONEUSNICKNAME, &[middle(nick), "Erroneous nickname"]);
    }
    let id = ctx.client.id;
    if !ctx.client.registered {
        if ctx.world.net.reserve_nick(id, nick).is_err() {
            return ctx.numeric(ERR_NICKNAMEINUSE, &[nick, "Nickname is already in use"]);
        }
        ctx.client.pre().nick = Some(nick.to_string());
        return try_register(ctx);
    }
    let me = ctx.me();
    if me.nick == nick {
        return;
    }
    let oper = me.modes.oper;
    if !ctx.world.net.nick_available(id, nick) {
        return ctx.numeric(ERR_NICKNAMEINUSE, &[nick, "Nickname is already in use"]);
    }
    // Nick changes are limited per user (operators are exempt).
    if let Some(Err(wait)) = ctx.client.change_rates.as_mut().map(|r| r.nick()) {
        if !oper {
            let text = format!("Nick change too fast. Please wait {wait} seconds.");
            return ctx.numeric(ERR_NICKTOOFAST, &[nick, &text]);
        }
    }
    let user = ctx.me().snapshot();
    ctx.emit(Event::NickChanged {
        user,
        new_nick: nick.to_string(),
        at: now(),
    });
}

/// `USER <username> <mode> <unused> <realname>`.
pub fn user(ctx: &mut Ctx<'_>, msg: &Message) {
    if ctx.client.registered || ctx.client.pre_ref().is_some_and(|p| p.user.is_some()) {
        return ctx.numeric(ERR_ALREADYREGISTERED, &["You may not reregister"]);
    }
    // An empty real name is refused too (Modern IRC USER: ERR_NEEDMOREPARAMS).
    if msg.params.len() < 4 || msg.params[0].is_empty() || msg.params[3].is_empty() {
        return ctx.need_more_params("USER");
    }
    let userlen = ctx.world.config.limits.userlen;
    // Keep what is valid of the username, cut to USERLEN with room for '~'.
    let mut username: String = msg.params[0]
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, ' ' | '@' | '!' | ':'))
        .collect();
    while username.len() > userlen.saturating_sub(1).max(1) {
        username.pop();
    }
    if !is_valid_user(&username, userlen) {
        return ctx.need_more_params("USER");
    }
    let realname = truncate(&msg.params[3], REALLEN).to_string();
    ctx.client.pre().user = Some((format!("~{username}"), realname));
    try_register(ctx);
}

/// `PING <token>`: answered with PONG at any time.
pub fn ping(ctx: &mut Ctx<'_>, msg: &Message) {
    let Some(token) = msg.param(0) else {
        return ctx.need_more_params("PING");
    };
    let server = ctx.world.config.server.name.clone();
    // The token comes back behind our name: cut it to fit 512 bytes.
    let token = super::fit_trailing(token, &server, "PONG", &[&server]);
    ctx.server_line("PONG", &[&server, token]);
}

/// PONG: the answer to our keepalive PING; the connection task already
/// counted the line as activity, so there is nothing more to do.
pub fn pong(_ctx: &mut Ctx<'_>, _msg: &Message) {}

/// `QUIT [<reason>]`: ends the connection; peers see "Quit: reason".
pub fn quit(ctx: &mut Ctx<'_>, msg: &Message) {
    let reason = match msg.param(0).filter(|r| !r.is_empty()) {
        Some(r) => format!("Quit: {r}"),
        None => "Client Quit".to_string(),
    };
    // The reason goes out as `:prefix QUIT :reason` to peers and as
    // `ERROR :Closing Link: host (reason)` to the quitter; neither may
    // exceed 512 bytes with CR LF (RFC 1459 2.3), so cut it to fit both.
    let error_overhead = "ERROR :Closing Link:  ()\r\n".len() + ctx.client.host.len();
    let quit_overhead = ctx
        .world
        .net
        .user(ctx.client.id)
        .map_or(0, |u| ":".len() + u.prefix().len() + " QUIT :\r\n".len());
    let max = MAX_LINE.saturating_sub(error_overhead.max(quit_overhead));
    ctx.client.quit = Some(truncate(&reason, max).into());
}

/// Completes registration once NICK and USER are in and CAP negotiation is
/// over: checks PASS and the server bans (a K-line on the `user@host`),
/// introduces the user, sends the welcome burst.
pub(super) fn try_register(ctx: &mut Ctx<'_>) {
    if ctx.client.registered || ctx.irc().cap_negotiating {
        return;
    }
    let c = &ctx.client;
    let Some(PreRegistration {
        nick: Some(nick),
        user: Some((username, realname)),
        ..
    }) = c.pre_ref()
    else {
        return;
    };
    let (nick, username, realname) = (nick.clone(), username.clone(), realname.clone());
    if !c.pass_ok {
        ctx.numeric(ERR_PASSWDMISMATCH, &["Password incorrect"]);
        ctx.client.quit = Some("Bad password".into());
        return;
    }
    let (ip, host) = (c.addr.ip(), c.host.clone());
    if let Some(ban) = crate::server_bans::refused_at_registration(ctx.world, &username, ip, &host)
    {
        let (text, why) = super::server_bans::refusal(&ban);
        ctx.numeric(ERR_YOUREBANNEDCREEP, &[&text]);
        ctx.client.quit = Some(why.into());
        return;
    }
    let c = &ctx.client;
    let user = User::new(
        Identity {
            id: c.id,
            nick,
            user: username,
            host: c.host.to_string(),
            realname,
            server: natter_model::LOCAL_SERVER,
            frontend: Frontend::Irc,
        },
        now(),
    );
    if ctx.irc().sasl.take().is_some() {
        // sasl-3.1: registration ends an unfinished exchange.
        ctx.numeric(ERR_SASLABORTED, &["SASL authentication aborted"]);
    }
    let mut user = user;
    ctx.ready_user(&mut user);
    let cloaked = user.modes.cloaked.then(|| user.host.clone());
    let prefix = user.prefix();
    ctx.emit(Event::UserIntroduced(Box::new(user)));
    ctx.mark_registered();
    welcome(ctx, &prefix, cloaked.as_deref());
    super::nickserv::check_new_user(ctx);
}

/// The welcome burst: 001 to 005, RPL_VISIBLEHOST for a user registered
/// with a cloak (`cloak`), LUSERS and the MOTD.
fn welcome(ctx: &mut Ctx<'_>, prefix: &str, cloak: Option<&str>) {
    let cfg = ctx.world.config.clone();
    let server = cfg.server.name.as_str();
    ctx.numeric(
        RPL_WELCOME,
        &[&format!(
            "Welcome to the {} IRC Network {prefix}",
            cfg.server.network
        )],
    );
    ctx.numeric(
        RPL_YOURHOST,
        &[&format!("Your host is {server}, running version {VERSION}")],
    );
    let created = humantime::format_rfc3339_seconds(
        std::time::UNIX_EPOCH + std::time::Duration::from_secs(ctx.world.started),
    );
    ctx.numeric(
        RPL_CREATED,
        &[&format!("This server was created {created}")],
    );
    ctx.numeric(
        RPL_MYINFO,
        // Every mode in CHANMODES and PREFIX, then those taking a parameter.
        &[
            server,
            VERSION,
            UserModes::LETTERS,
            &super::render::myinfo_channel_modes(),
            super::render::CHANNEL_MODES_WITH_PARAM,
        ],
    );
    send_isupport(ctx);
    if let Some(host) = cloak {
        // Solanum and InspIRCd tell a user its cloak this way; its user
        // modes (`+x`) are for MODE <nick> to show.
        ctx.numeric(RPL_VISIBLEHOST, &[host, "is now your displayed host"]);
    }
    queries::send_lusers(ctx);
    queries::send_motd(ctx);
}

/// RPL_ISUPPORT, at most 13 tokens a line.
pub(super) fn send_isupport(ctx: &mut Ctx<'_>) {
    let tokens = ctx.world.front.irc.isupport.clone();
    for chunk in tokens.chunks(13) {
        let mut params: Vec<&str> = chunk.iter().map(String::as_str).collect();
        params.push("are supported by this server");
        ctx.numeric(RPL_ISUPPORT, &params);
    }
}

/// `SETNAME <realname>` (IRCv3 setname): changes the real name; the user and
/// peers with the capability see `SETNAME`. A real name that is empty or
/// longer than [`REALLEN`] gets `FAIL SETNAME INVALID_REALNAME`.
pub fn setname(ctx: &mut Ctx<'_>, msg: &Message) {
    let Some(realname) = msg.param(0) else {
        return ctx.need_more_params("SETNAME");
    };
    if realname.is_empty() || realname.len() > REALLEN {
        return ctx.server_line(
            "FAIL",
            &[
                "SETNAME",
                "INVALID_REALNAME",
                "Real name is empty or too long",
            ],
        );
    }
    let user = ctx.me().snapshot();
    ctx.emit(Event::RealnameChanged {
        user,
        realname: realname.to_string(),
    });
}
