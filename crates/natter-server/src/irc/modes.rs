//! MODE for channels and users (RFC 2811 4, RFC 2812 3.1.5 and 3.2.3;
//! Modern IRC "MODE message").

use natter_model::channel::{ACCOUNT_EXTBAN, MUTE_EXTBAN};
use natter_model::{Channel, ChannelModes, Event, ListEntry, ModeArg, ModeChange, Source};
use natter_proto::numeric::*;
use natter_proto::validate::is_channel_name;
use natter_proto::{mask, Message};

use super::registration::middle;
use super::Ctx;
use crate::world::now;

/// `MODE <target> [<modestring> [<mode arguments>...]]`.
pub fn mode(ctx: &mut Ctx<'_>, msg: &Message) {
    let Some(target) = msg.param(0) else {
        return ctx.need_more_params("MODE");
    };
    if is_channel_name(target) {
        channel_mode(ctx, target, &msg.params[1..]);
    } else {
        user_mode(ctx, target, msg.param(1), msg.param(2));
    }
}

/// MODE on a channel. Without a modestring: RPL_CHANNELMODEIS (the key
/// shown to members only, else `*`) and RPL_CREATIONTIME. With one, each
/// letter in turn against the would-be state: ERR_UNKNOWNMODE for a letter
/// natter does not know, a list (`b`, `e`, `I`) without a mask shown once
/// (the exception lists to operators only), at most
/// `limits.modes_per_command` letters with a parameter, one
/// ERR_CHANOPRIVSNEEDED for whatever a non-operator tried, and one
/// [`Event::ChannelModeChanged`] with every change that took.
fn channel_mode(ctx: &mut Ctx<'_>, name: &str, params: &[String]) {
    let Some(chan) = ctx.world.net.channel(name) else {
        return ctx.numeric(ERR_NOSUCHCHANNEL, &[middle(name), "No such channel"]);
    };
    let chan = chan.clone();
    let me = ctx.client.id;
    let Some(modestring) = params.first() else {
        let (flags, args) = chan.modes.render(chan.member(me).is_some());
        let mut p: Vec<&str> = vec![&chan.name, &flags];
        p.extend(args.iter().map(String::as_str));
        ctx.numeric(RPL_CHANNELMODEIS, &p);
        return ctx.numeric(
            RPL_CREATIONTIME,
            &[&chan.name, &chan.created_at.to_string()],
        );
    };
    let is_op = chan.is_op(me);
    let max_param_modes = ctx.world.config.limits.modes_per_command;
    let max_bans = ctx.world.config.limits.max_bans;
    let mut args = params[1..].iter();
    let mut add = true;
    let mut changes: Vec<ModeChange> = Vec::new();
    let mut param_modes = 0;
    let mut denied = false;
    // The list modes (b, e, I) already shown by this command.
    let mut listed = String::new();
    // Track the would-be state so "+i+i" or "+o x -o x" stay consistent.
    let mut state = chan.clone();
    for c in modestring.chars() {
        let takes_arg = match c {
            '+' | '-' => {
                add = c == '+';
                continue;
            }
            'o' | 'v' | 'b' | 'e' | 'I' => true,
            'k' => true,
            'l' => add,
            c if ChannelModes::is_flag(c) => false,
            _ => {
                ctx.numeric(
                    ERR_UNKNOWNMODE,
                    &[middle(&c.to_string()), "is unknown mode char to me"],
                );
                continue;
            }
        };
        let arg = if takes_arg {
            args.next().cloned()
        } else {
            None
        };
        if matches!(c, 'b' | 'e' | 'I') && arg.is_none() {
            if !listed.contains(c) {
                listed.push(c);
                // As on Solanum, only operators see the exception lists.
                if c != 'b' && !is_op {
                    denied = true;
                } else {
                    send_list(ctx, &chan, c);
                }
            }
            continue;
        }
        if takes_arg && arg.is_none() {
            // -k without a key is accepted (RFC 2811: the key is not checked).
            if c == 'k' && !add {
                if !is_op {
                    denied = true;
                } else {
                    changes.extend(remove_key(&mut state));
                }
            }
            continue;
        }
        if !is_op {
            denied = true;
            continue;
        }
        if takes_arg {
            if param_modes >= max_param_modes {
                continue;
            }
            param_modes += 1;
        }
        let change = match (c, arg) {
            ('o' | 'v', Some(nick)) => member_status(ctx, &mut state, c, add, &nick),
            ('b' | 'e' | 'I', Some(mask)) => list_entry(ctx, &mut state, c, add, &mask, max_bans),
            ('k', Some(key)) => channel_key(ctx, &mut state, add, key),
            ('l', arg) => user_limit(&mut state, add, arg),
            (flag, _) => simple_flag(&mut state, flag, add),
        };
        changes.extend(change);
    }
    if denied {
        ctx.numeric(
            ERR_CHANOPRIVSNEEDED,
            &[&chan.name, "You're not channel operator"],
        );
    }
    if !changes.is_empty() {
        let by = Source::User(ctx.me().snapshot());
        ctx.emit(Event::ChannelModeChanged {
            by,
            channel: chan.name.clone(),
            changes,
            at: now(),
        });
    }
}

/// `+o`/`-o` or `+v`/`-v` on `nick` in `state`: ERR_NOSUCHNICK or
/// ERR_USERNOTINCHANNEL when it cannot apply; `None` as well when the
/// member already has (or lacks) the status.
fn member_status(
    ctx: &mut Ctx<'_>,
    state: &mut Channel,
    mode: char,
    add: bool,
    nick: &str,
) -> Option<ModeChange> {
    let Some(user) = ctx.world.net.user_by_nick(nick) else {
        ctx.numeric(ERR_NOSUCHNICK, &[middle(nick), "No such nick/channel"]);
        return None;
    };
    let (uid, unick) = (user.id, user.nick.clone());
    let Some(m) = state.members.get_mut(&uid) else {
        ctx.numeric(
            ERR_USERNOTINCHANNEL,
            &[&unick, &state.name, "They aren't on that channel"],
        );
        return None;
    };
    let slot = if mode == 'o' { &mut m.op } else { &mut m.voice };
    if *slot == add {
        return None;
    }
    *slot = add;
    Some(ModeChange {
        add,
        mode,
        arg: Some(ModeArg::Member(uid, unick)),
    })
}

/// Adding `arg` to, or removing it from, list mode `mode` (`b`, `e` or
/// `I`) of `state`, as [`normalize_list_mask`] completes it. Nothing when
/// the mask could not be shown in a reply, is already there (or not there
/// to remove), or the lists hold `max_bans` (ERR_BANLISTFULL). A removal
/// shows the mask as it was stored.
fn list_entry(
    ctx: &mut Ctx<'_>,
    state: &mut Channel,
    mode: char,
    add: bool,
    arg: &str,
    max_bans: usize,
) -> Option<ModeChange> {
    let m = normalize_list_mask(mode, arg);
    // The list replies show the mask as a middle parameter.
    if middle(&m) != m {
        return None;
    }
    let total = state.bans.len() + state.excepts.len() + state.invexes.len();
    let channel = state.name.clone();
    let list = state.list_mut(mode);
    let exists = list
        .iter()
        .position(|b| natter_proto::casemap::eq(&b.mask, &m));
    let mask = match (add, exists) {
        (true, Some(_)) | (false, None) => return None,
        (true, None) if total >= max_bans => {
            // ERR_BANLISTFULL names the list's mode letter (RFC 2812 5.2;
            // Modern IRC), not the mask; the three lists share
            // MAXLIST=beI:<max_bans>.
            ctx.numeric(
                "478",
                &[&channel, &mode.to_string(), "Channel list is full"],
            );
            return None;
        }
        (true, None) => {
            list.push(ListEntry {
                mask: m.clone(),
                setter: String::new(),
                set_at: 0,
            });
            m
        }
        (false, Some(i)) => list.remove(i).mask,
    };
    Some(ModeChange {
        add,
        mode,
        arg: Some(ModeArg::Text(mask)),
    })
}

/// `+k <key>` (ERR_INVALIDKEY unless JOIN could give it back as a middle
/// parameter without a comma) or `-k <anything>`, shown as `*`.
fn channel_key(
    ctx: &mut Ctx<'_>,
    state: &mut Channel,
    add: bool,
    key: String,
) -> Option<ModeChange> {
    if !add {
        return remove_key(state);
    }
    if middle(&key) != key || key.contains(',') {
        ctx.numeric(ERR_INVALIDKEY, &[&state.name, "Key is not well-formed"]);
        return None;
    }
    state.modes.key = Some(key.clone());
    Some(ModeChange {
        add,
        mode: 'k',
        arg: Some(ModeArg::Text(key)),
    })
}

/// `-k`, with or without a key (RFC 2811: the key is not checked); nothing
/// when there was none.
fn remove_key(state: &mut Channel) -> Option<ModeChange> {
    state.modes.key.take()?;
    Some(ModeChange {
        add: false,
        mode: 'k',
        arg: Some(ModeArg::Text("*".into())),
    })
}

/// `+l <limit>` (a positive number, else ignored) or `-l`; nothing when
/// it changes nothing.
fn user_limit(state: &mut Channel, add: bool, arg: Option<String>) -> Option<ModeChange> {
    if !add {
        state.modes.limit.take()?;
        return Some(ModeChange {
            add,
            mode: 'l',
            arg: None,
        });
    }
    let limit = arg
        .and_then(|a| a.parse::<usize>().ok())
        .filter(|&l| l > 0)?;
    if state.modes.limit == Some(limit) {
        return None;
    }
    state.modes.limit = Some(limit);
    Some(ModeChange {
        add,
        mode: 'l',
        arg: Some(ModeArg::Text(limit.to_string())),
    })
}

/// A flag without a parameter (`C`, `U`, `i`, `m`, `n`, `s`, `t`); nothing
/// when it is already so.
fn simple_flag(state: &mut Channel, flag: char, add: bool) -> Option<ModeChange> {
    if state.modes.flag(flag) == Some(add) {
        return None;
    }
    state.modes.set_flag(flag, add);
    Some(ModeChange {
        add,
        mode: flag,
        arg: None,
    })
}

/// A list mode's argument as stored: `nick!user@host` completed from a
/// partial mask; for `b` and `e` a mute extban keeps its `m:` prefix in
/// front of the completed mask (`m:bar` -> `m:bar!*@*`); an account extban
/// (`a:<account>`, or Solanum's `$a:<account>`) is kept as `a:<account>`.
fn normalize_list_mask(mode: char, arg: &str) -> String {
    // `$a:` is how Solanum and Atheme users write the account extban.
    let arg = arg
        .strip_prefix('$')
        .filter(|a| a.starts_with(ACCOUNT_EXTBAN))
        .unwrap_or(arg);
    if let Some(account) = arg.strip_prefix(ACCOUNT_EXTBAN) {
        // An account glob, kept as given (an account is no hostmask).
        return format!("{ACCOUNT_EXTBAN}{account}");
    }
    match arg.strip_prefix(MUTE_EXTBAN) {
        Some(rest) if mode != 'I' => format!("{MUTE_EXTBAN}{}", mask::normalize_hostmask(rest)),
        _ => mask::normalize_hostmask(arg),
    }
}

/// The entries of list mode `mode` (`b`, `e` or `I`) with their end line:
/// RPL_BANLIST/RPL_ENDOFBANLIST, RPL_EXCEPTLIST/RPL_ENDOFEXCEPTLIST or
/// RPL_INVEXLIST/RPL_ENDOFINVEXLIST, each entry as `<channel> <mask>
/// <setter> <set-at>` (Modern IRC; the setter and time as RPL_BANLIST has
/// them).
fn send_list(ctx: &mut Ctx<'_>, chan: &Channel, mode: char) {
    let (entry, end, text) = match mode {
        'b' => (RPL_BANLIST, RPL_ENDOFBANLIST, "End of channel ban list"),
        'e' => (
            RPL_EXCEPTLIST,
            RPL_ENDOFEXCEPTLIST,
            "End of channel exception list",
        ),
        _ => (
            RPL_INVEXLIST,
            RPL_ENDOFINVEXLIST,
            "End of channel invite exception list",
        ),
    };
    for e in chan.list(mode) {
        ctx.numeric(
            entry,
            &[&chan.name, &e.mask, &e.setter, &e.set_at.to_string()],
        );
    }
    ctx.numeric(end, &[&chan.name, text]);
}

fn user_mode(ctx: &mut Ctx<'_>, target: &str, modestring: Option<&str>, snomask: Option<&str>) {
    let Some(user) = ctx.world.net.user_by_nick(target) else {
        return ctx.numeric(ERR_NOSUCHNICK, &[middle(target), "No such nick/channel"]);
    };
    if user.id != ctx.client.id {
        return ctx.numeric(ERR_USERSDONTMATCH, &["Can't change mode for other users"]);
    }
    let mut modes = user.modes;
    let nick = user.nick.clone();
    let Some(modestring) = modestring else {
        return ctx.numeric(RPL_UMODEIS, &[&modes.render()]);
    };
    let mut add = true;
    let mut changes = Vec::new();
    let mut unknown = false;
    let mut snomask_change = None;
    for c in modestring.chars() {
        match c {
            '+' | '-' => add = c == '+',
            // +o only through OPER; -o is allowed.
            'o' if add => {}
            // Server notices are for operators (InspIRCd, Solanum); +s
            // takes the mask change as its argument, every kind without one.
            's' if add && !modes.oper => {
                ctx.numeric(
                    ERR_NOPRIVILEGES,
                    &["Permission Denied- only IRC operators may set user mode s"],
                );
            }
            's' if add => snomask_change = Some(snomask.unwrap_or("*")),
            // The cloak needs the key; without one `+x` changes nothing.
            'x' if add && ctx.world.cloak.is_none() => {}
            'x' => {
                if modes.cloaked != add {
                    modes.cloaked = add;
                    changes.push(ModeChange {
                        add,
                        mode: 'x',
                        arg: None,
                    });
                }
            }
            'i' | 'w' | 'B' | 'R' | 'o' | 's' => {
                if modes.get(c) != Some(add) {
                    modes.set(c, add);
                    changes.push(ModeChange {
                        add,
                        mode: c,
                        arg: None,
                    });
                }
                // A user who is no longer an operator gets no notices.
                if c == 'o' && !add && modes.server_notices {
                    modes.set('s', false);
                    changes.push(ModeChange {
                        add,
                        mode: 's',
                        arg: None,
                    });
                }
            }
            _ => unknown = true,
        }
    }
    if unknown {
        ctx.numeric(ERR_UMODEUNKNOWNFLAG, &["Unknown MODE flag"]);
    }
    if let Some(change) = snomask_change {
        let on = !super::snomask::change_mask(ctx, change).is_empty();
        if modes.server_notices != on {
            modes.set('s', on);
            changes.push(ModeChange {
                add: on,
                mode: 's',
                arg: None,
            });
        }
    }
    let host_change = changes.iter().rfind(|c| c.mode == 'x').map(|c| c.add);
    if !changes.is_empty() {
        ctx.emit(Event::UserModeChanged {
            id: ctx.client.id,
            nick,
            changes,
        });
    }
    if let Some(cloaked) = host_change {
        change_cloak(ctx, cloaked);
    }
    super::snomask::settle(ctx.world, ctx.client.id, modes.server_notices);
}

/// After `MODE <nick> +x` or `-x`: shows the user with its cloak or its
/// real address (InspIRCd's cloak module), CHGHOST to peers with the
/// `chghost` capability (and to server links), and RPL_VISIBLEHOST to the
/// user.
fn change_cloak(ctx: &mut Ctx<'_>, cloaked: bool) {
    let me = ctx.me();
    let host = match (cloaked, &ctx.world.cloak) {
        (true, Some(cloak)) => cloak.cloak(&me.real_host, &ctx.world.config.privacy.cloak_suffix),
        _ => me.real_host.clone(),
    };
    if host != me.host {
        let (user, username) = (me.snapshot(), me.user.clone());
        ctx.emit(Event::HostChanged {
            user,
            username,
            host: host.clone(),
        });
    }
    ctx.numeric(RPL_VISIBLEHOST, &[&host, "is now your displayed host"]);
}
