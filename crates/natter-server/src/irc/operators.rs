//! Operator commands: OPER, KILL, WALLOPS, REHASH, DIE (RFC 2812 3.1.4,
//! 3.7, 4.2, 4.3, 4.7).
//!
//! OPER's password check (argon2, deliberately slow) and REHASH's file
//! reads must not run under the world lock, so those handlers only record
//! a [`Deferred`] job; the connection task runs it off the lock and calls
//! back into [`oper_checked`] or [`rehashed`].

use std::sync::Arc;

use bytes::Bytes;
use natter_model::{Event, ModeChange, Source, UserRef};
use natter_proto::numeric::*;
use natter_proto::{mask, write_line_trailing, Message};

use super::{Ctx, Deferred};
use crate::world::now;
use crate::World;

/// `OPER <name> <password>`.
pub fn oper(ctx: &mut Ctx<'_>, msg: &Message) {
    let (Some(name), Some(password)) = (msg.param(0), msg.param(1)) else {
        return ctx.need_more_params("OPER");
    };
    let me = ctx.me();
    // The block's mask may name the real address or the cloak.
    let shown = format!("{}@{}", me.user, me.host);
    let real = format!("{}@{}", me.user, me.real_host);
    let block = ctx.world.config.opers.iter().find(|o| o.name == name);
    match block {
        Some(o) if mask::matches(&o.host, &shown) || mask::matches(&o.host, &real) => {
            let name = name.to_string();
            ctx.client.defer(Deferred::Verify {
                password: password.to_string(),
                hash: o.password.clone(),
                login: None,
                then: Box::new(move |ctx, ok| oper_checked(ctx, &name, ok)),
            });
        }
        Some(_) => ctx.numeric(ERR_NOOPERHOST, &["No O-lines for your host"]),
        None => {
            let text = format!("No operator block named {}", super::truncate(name, 64));
            ctx.numeric(ERR_NOOPERHOST, &[&text]);
        }
    }
}

/// Finishes OPER once the password was checked.
pub fn oper_checked(ctx: &mut Ctx<'_>, name: &str, ok: bool) {
    if !ok {
        tracing::warn!(oper = name, client = ctx.client.id, "failed OPER attempt");
        return ctx.numeric(ERR_PASSWDMISMATCH, &["Password incorrect"]);
    }
    let me = ctx.me();
    let (nick, user, host) = (me.nick.clone(), me.user.clone(), me.real_host.clone());
    if !me.modes.oper {
        // Operators get server notices of every kind (InspIRCd, Solanum).
        let mut changes = vec![ModeChange {
            add: true,
            mode: 'o',
            arg: None,
        }];
        if !me.modes.server_notices {
            changes.push(ModeChange {
                add: true,
                mode: 's',
                arg: None,
            });
        }
        ctx.emit(Event::UserModeChanged {
            id: ctx.client.id,
            nick: nick.clone(),
            changes,
        });
        // The other operators hear of it; the new one is answered below.
        let text = format!("{nick} ({user}@{host}) is now an operator (OPER {name})");
        super::snomask::notify(ctx.world, 'o', &text);
        super::snomask::change_mask(ctx, "*");
        super::snomask::settle(ctx.world, ctx.client.id, true);
    }
    tracing::info!(oper = name, nick = ctx.nick(), "OPER");
    ctx.numeric(RPL_YOUREOPER, &["You are now an IRC operator"]);
}

/// `KILL <nick> <reason>`: removes a user from the network, wherever it is.
///
/// As Modern IRC describes it: the target receives the KILL (from the
/// operator), its own QUIT with `Killed (<killer> (<reason>))`, then ERROR,
/// and is closed; everyone sharing a channel with it sees that QUIT. The
/// kill is an event, so it reaches the user's own server across links.
pub fn kill(ctx: &mut Ctx<'_>, msg: &Message) {
    let (Some(nick), Some(reason)) = (msg.param(0), msg.param(1)) else {
        return ctx.need_more_params("KILL");
    };
    let Some(target) = ctx.world.net.user_by_nick(nick) else {
        return ctx.numeric(ERR_NOSUCHNICK, &[nick, "No such nick/channel"]);
    };
    let user = target.snapshot();
    let (tid, prefix, target_nick) = (target.id, target.prefix(), target.nick.clone());
    let me = ctx.me();
    let (killer, by) = (me.nick.clone(), me.snapshot());
    // Fit the reason so that the QUIT peers see stays within 512 bytes.
    let reason = super::fit_trailing(reason, &prefix, "QUIT", &[&format!("Killed ({killer} ())")]);
    let why = format!("Killed ({killer} ({reason}))");
    ctx.emit(Event::Killed {
        by: Source::User(by),
        user,
        reason: why,
        comment: reason.to_string(),
        at: now(),
    });
    // The operator is told it worked (unless it killed itself), as
    // InspIRCd and Solanum do; other operators see a kill notice.
    if tid != ctx.client.id {
        ctx.server_notice(&format!("*** Killed {target_nick} ({reason})"));
    }
    let text = format!("Received KILL message for {prefix}. From {killer} ({reason})");
    super::snomask::notify(ctx.world, 'k', &text);
}

/// Closes the connection of a killed user if it is local: it gets the
/// KILL (from `by`), its own QUIT with `why`, then the closing ERROR (an IM
/// client only its IM ERROR). Called by the world for every
/// [`Event::Killed`], local or from a link.
pub fn close_killed(world: &World, by: &Source, user: &UserRef, why: &str) {
    let Some(conn) = world.conns.get(&user.id) else {
        return;
    };
    let killer = world.net.source_mask(by);
    let closing = crate::frontends::closing_line(conn.frontend, world.server_name(), why);
    let last = match conn.frontend {
        natter_model::Frontend::Irc | natter_model::Frontend::Service => {
            let mut line = String::new();
            write_line_trailing(&mut line, None, Some(&killer), "KILL", &[&user.nick, why]);
            write_line_trailing(&mut line, None, Some(&user.mask()), "QUIT", &[why]);
            line + &closing
        }
        natter_model::Frontend::Im => closing,
    };
    conn.out.close(Some(Bytes::from(last)));
}

/// `WALLOPS <text>`: to every user with +w.
pub fn wallops(ctx: &mut Ctx<'_>, msg: &Message) {
    let Some(text) = msg.param(0).filter(|t| !t.is_empty()) else {
        return ctx.need_more_params("WALLOPS");
    };
    let by = ctx.me().snapshot();
    let text = super::fit_trailing(text, &by.mask(), "WALLOPS", &[]).to_string();
    ctx.emit(Event::Wallops {
        by: Source::User(by),
        text,
    });
}

/// REHASH: reloads the configuration file and MOTD without dropping anyone.
pub fn rehash(ctx: &mut Ctx<'_>, _msg: &Message) {
    ctx.client.defer(Deferred::Rehash(rehashed));
}

/// Finishes REHASH with the newly loaded configuration, or reports why it
/// was refused (the old configuration stays in force).
pub fn rehashed(ctx: &mut Ctx<'_>, result: crate::server::Reloaded) {
    match result {
        Ok((mut config, motd)) => {
            // Listeners and the server's name cannot change while running.
            config.server.name = ctx.world.config.server.name.clone();
            config.listen = ctx.world.config.listen.clone();
            let file = rehash_file_param(config.path.as_deref());
            ctx.world.reconfigure(Arc::new(config), motd);
            tracing::info!(by = ctx.nick(), "configuration reloaded");
            ctx.numeric(RPL_REHASHING, &[&file, "Rehashing"]);
            let text = format!(
                "{} is rehashing the server configuration ({file})",
                ctx.nick()
            );
            super::snomask::notify(ctx.world, 'a', &text);
        }
        Err(e) => {
            tracing::warn!(error = %e, "REHASH failed");
            // One line whatever the error text holds: a CR or LF in it would
            // end the NOTICE and inject the rest as a line of its own.
            let text = format!("*** REHASH failed, configuration unchanged: {e}")
                .replace(['\r', '\n', '\0'], " ");
            ctx.server_notice(&text);
            let text = format!(
                "{} tried to rehash; the configuration has errors",
                ctx.nick()
            );
            super::snomask::notify(ctx.world, 'a', &text);
        }
    }
}

/// RPL_REHASHING's `<config file>`: a middle parameter, so the whole path
/// when it can be one, else the file's name, else `*` (also for the
/// built-in defaults, which have no file).
fn rehash_file_param(path: Option<&std::path::Path>) -> String {
    fn is_middle(s: &str) -> bool {
        !s.is_empty()
            && !s.starts_with(':')
            && !s.contains(|c: char| c == ' ' || c.is_ascii_control())
    }
    let Some(path) = path else {
        return "*".into();
    };
    let full = path.display().to_string();
    if is_middle(&full) {
        return full;
    }
    match path.file_name().map(|n| n.to_string_lossy()) {
        Some(name) if is_middle(&name) => name.into_owned(),
        _ => "*".into(),
    }
}

/// DIE: shuts the server down, if `server.allow_die` is set.
pub fn die(ctx: &mut Ctx<'_>, _msg: &Message) {
    if !ctx.world.config.server.allow_die {
        return ctx.numeric(
            ERR_NOPRIVILEGES,
            &["Permission Denied- DIE is disabled (server.allow_die)"],
        );
    }
    tracing::warn!(by = ctx.nick(), "DIE");
    ctx.world.shutdown.cancel();
}

/// `CHGHOST <nick> <user> <host>`: an operator changes a user's displayed
/// username and host (as Ergo and InspIRCd offer); clients with IRCv3
/// chghost see `CHGHOST`.
pub fn chghost(ctx: &mut Ctx<'_>, msg: &Message) {
    let (Some(nick), Some(user), Some(host)) = (msg.param(0), msg.param(1), msg.param(2)) else {
        return ctx.need_more_params("CHGHOST");
    };
    let userlen = ctx.world.config.limits.userlen;
    let valid = |s: &str, max: usize| {
        !s.is_empty()
            && s.len() <= max
            && !s.starts_with(':')
            && s.bytes().all(|b| b > b' ' && b != b'!' && b != b'@')
    };
    if !valid(user, userlen) || !valid(host, 64) {
        return ctx.server_line(
            "FAIL",
            &["CHGHOST", "INVALID_PARAMS", "Invalid username or host"],
        );
    }
    let Some(target) = ctx.world.net.user_by_nick(nick) else {
        return ctx.numeric(
            ERR_NOSUCHNICK,
            &[super::registration::middle(nick), "No such nick/channel"],
        );
    };
    let old = target.snapshot();
    ctx.emit(Event::HostChanged {
        user: old,
        username: user.to_string(),
        host: host.to_string(),
    });
}
