//! Channel membership and information: JOIN, PART, TOPIC, NAMES, LIST,
//! KICK, INVITE (RFC 2812 3.2; Modern IRC "Channel Operations").

use natter_model::{Channel, Event, Topic};
use natter_proto::numeric::*;
use natter_proto::validate::{is_channel_name, is_valid_channel};
use natter_proto::{casemap, Message};

use super::registration::middle;
use super::Ctx;
use crate::world::now;

/// JOIN <channel>{,<channel>} [<key>{,<key>}], or JOIN 0 to leave all.
pub fn join(ctx: &mut Ctx<'_>, msg: &Message) {
    let Some(list) = msg.param(0) else {
        return ctx.need_more_params("JOIN");
    };
    if list == "0" {
        let names: Vec<String> = ctx
            .world
            .net
            .channels_of(ctx.client.id)
            .map(|c| c.name.clone())
            .collect();
        let prefix = ctx.me().prefix();
        for name in names {
            ctx.emit(Event::Parted {
                id: ctx.client.id,
                prefix: prefix.clone(),
                channel: name,
                reason: None,
            });
        }
        return;
    }
    let mut keys = msg.param(1).unwrap_or("").split(',');
    for name in list.split(',').filter(|n| !n.is_empty()) {
        let key = keys.next().filter(|k| !k.is_empty());
        join_one(ctx, name, key);
    }
}

fn join_one(ctx: &mut Ctx<'_>, name: &str, key: Option<&str>) {
    let limits = &ctx.world.config.limits;
    if !is_valid_channel(name, limits.channellen) {
        return ctx.numeric(ERR_NOSUCHCHANNEL, &[middle(name), "No such channel"]);
    }
    let id = ctx.client.id;
    let me = ctx.me();
    if me.channels.contains(&casemap::fold(name)) {
        return;
    }
    if me.channels.len() >= limits.channels_per_user {
        return ctx.numeric(
            ERR_TOOMANYCHANNELS,
            &[name, "You have joined too many channels"],
        );
    }
    if let Some(chan) = ctx.world.net.channel(name) {
        let invited = chan.invited.contains(&id);
        let refusal = if chan.is_banned(me) {
            Some((ERR_BANNEDFROMCHAN, "Cannot join channel (+b)"))
        } else if chan.modes.invite_only && !invited && !chan.is_invex(me) {
            Some((ERR_INVITEONLYCHAN, "Cannot join channel (+i)"))
        } else if chan.modes.key.is_some() && chan.modes.key.as_deref() != key && !invited {
            Some((ERR_BADCHANNELKEY, "Cannot join channel (+k)"))
        } else if chan.modes.limit.is_some_and(|l| chan.members.len() >= l) && !invited {
            Some((ERR_CHANNELISFULL, "Cannot join channel (+l)"))
        } else {
            None
        };
        if let Some((numeric, text)) = refusal {
            let name = chan.name.clone();
            return ctx.numeric(numeric, &[&name, text]);
        }
    }
    let prefix = me.prefix();
    ctx.emit(Event::Joined {
        id,
        prefix,
        channel: name.to_string(),
        at: now(),
    });
    let chan = ctx.world.net.channel(name).expect("just joined").clone();
    if chan.topic.is_some() {
        send_topic(ctx, &chan);
    }
    send_names(ctx, &chan);
}

/// PART <channel>{,<channel>} [<reason>].
pub fn part(ctx: &mut Ctx<'_>, msg: &Message) {
    let Some(list) = msg.param(0) else {
        return ctx.need_more_params("PART");
    };
    let reason = msg.param(1).filter(|r| !r.is_empty()).map(String::from);
    for name in list.split(',').filter(|n| !n.is_empty()) {
        let Some(chan) = ctx.world.net.channel(name) else {
            ctx.numeric(ERR_NOSUCHCHANNEL, &[middle(name), "No such channel"]);
            continue;
        };
        if chan.member(ctx.client.id).is_none() {
            let name = chan.name.clone();
            ctx.numeric(ERR_NOTONCHANNEL, &[&name, "You're not on that channel"]);
            continue;
        }
        let channel = chan.name.clone();
        let prefix = ctx.me().prefix();
        let reason = reason
            .as_deref()
            .map(|r| super::fit_trailing(r, &prefix, "PART", &[&channel]).to_string());
        ctx.emit(Event::Parted {
            id: ctx.client.id,
            prefix,
            channel,
            reason,
        });
    }
}

/// TOPIC <channel> [<topic>]: query, set, or (empty) clear.
pub fn topic(ctx: &mut Ctx<'_>, msg: &Message) {
    let Some(name) = msg.param(0) else {
        return ctx.need_more_params("TOPIC");
    };
    let Some(chan) = ctx.world.net.channel(name) else {
        return ctx.numeric(ERR_NOSUCHCHANNEL, &[middle(name), "No such channel"]);
    };
    let member = chan.member(ctx.client.id);
    let chan = chan.clone();
    let Some(text) = msg.param(1) else {
        if member.is_none() && chan.modes.secret {
            return ctx.numeric(
                ERR_NOTONCHANNEL,
                &[&chan.name, "You're not on that channel"],
            );
        }
        if chan.topic.is_none() {
            return ctx.numeric(RPL_NOTOPIC, &[&chan.name, "No topic is set"]);
        }
        return send_topic(ctx, &chan);
    };
    let Some(member) = member else {
        return ctx.numeric(
            ERR_NOTONCHANNEL,
            &[&chan.name, "You're not on that channel"],
        );
    };
    if chan.modes.topic_lock && !member.op {
        return ctx.numeric(
            ERR_CHANOPRIVSNEEDED,
            &[&chan.name, "You're not channel operator"],
        );
    }
    let me = ctx.me();
    let by_prefix = me.prefix();
    let text = truncate(text, ctx.world.config.limits.topiclen);
    let text = super::fit_trailing(text, &by_prefix, "TOPIC", &[&chan.name]);
    let topic = (!text.is_empty()).then(|| Topic {
        text: text.to_string(),
        // The full prefix, as clients show it in "Topic set by" (RPL_TOPICWHOTIME).
        setter: me.prefix(),
        set_at: now(),
    });
    ctx.emit(Event::TopicChanged {
        by_prefix,
        channel: chan.name.clone(),
        topic,
    });
}

/// NAMES [<channel>{,<channel>}].
pub fn names(ctx: &mut Ctx<'_>, msg: &Message) {
    let Some(list) = msg.param(0) else {
        return ctx.numeric(RPL_ENDOFNAMES, &["*", "End of /NAMES list"]);
    };
    for name in list.split(',').filter(|n| !n.is_empty()) {
        match ctx.world.net.channel(name) {
            Some(chan) if !chan.modes.secret || chan.member(ctx.client.id).is_some() => {
                let chan = chan.clone();
                send_names(ctx, &chan);
            }
            _ => ctx.numeric(RPL_ENDOFNAMES, &[middle(name), "End of /NAMES list"]),
        }
    }
}

/// LIST [<channel>{,<channel>}] [<elistcond>{,...}]: channels with member
/// counts and topics; secret channels only to their members. ELIST=U
/// conditions `>n` and `<n` filter by member count.
pub fn list(ctx: &mut Ctx<'_>, msg: &Message) {
    let mut names: Option<Vec<String>> = None;
    let mut min = 0usize;
    let mut max = usize::MAX;
    for param in msg.params.iter().take(2) {
        for item in param.split(',').filter(|s| !s.is_empty()) {
            if let Some(n) = item.strip_prefix('>').and_then(|n| n.parse::<usize>().ok()) {
                min = min.max(n + 1);
            } else if let Some(n) = item.strip_prefix('<').and_then(|n| n.parse::<usize>().ok()) {
                max = max.min(n.saturating_sub(1));
            } else if is_channel_name(item) {
                names.get_or_insert_with(Vec::new).push(item.to_string());
            }
        }
    }
    let id = ctx.client.id;
    let mut rows: Vec<(String, usize, String)> = ctx
        .world
        .net
        .channels()
        .filter(|c| !c.modes.secret || c.member(id).is_some())
        .filter(|c| (min..=max).contains(&c.members.len()))
        .filter(|c| {
            names
                .as_ref()
                .is_none_or(|ns| ns.iter().any(|n| casemap::eq(n, &c.name)))
        })
        .map(|c| {
            let (modes, _) = c.modes.render(false);
            let topic = c.topic.as_ref().map(|t| t.text.as_str()).unwrap_or("");
            (
                c.name.clone(),
                c.members.len(),
                format!("[{modes}] {topic}"),
            )
        })
        .collect();
    rows.sort();
    ctx.numeric(RPL_LISTSTART, &["Channel", "Users  Name"]);
    for (name, count, topic) in rows {
        ctx.numeric(RPL_LIST, &[&name, &count.to_string(), &topic]);
    }
    ctx.numeric(RPL_LISTEND, &["End of /LIST"]);
}

/// KICK <channel> <user>{,<user>} [<reason>].
pub fn kick(ctx: &mut Ctx<'_>, msg: &Message) {
    let (Some(name), Some(targets)) = (msg.param(0), msg.param(1)) else {
        return ctx.need_more_params("KICK");
    };
    let Some(chan) = ctx.world.net.channel(name) else {
        return ctx.numeric(ERR_NOSUCHCHANNEL, &[middle(name), "No such channel"]);
    };
    let chan_name = chan.name.clone();
    match chan.member(ctx.client.id) {
        None => {
            return ctx.numeric(
                ERR_NOTONCHANNEL,
                &[&chan_name, "You're not on that channel"],
            )
        }
        Some(m) if !m.op => {
            return ctx.numeric(
                ERR_CHANOPRIVSNEEDED,
                &[&chan_name, "You're not channel operator"],
            )
        }
        Some(_) => {}
    }
    let me = ctx.me();
    let by_prefix = me.prefix();
    let reason = match msg.param(2).filter(|r| !r.is_empty()) {
        Some(r) => truncate(r, ctx.world.config.limits.kicklen).to_string(),
        None => me.nick.clone(),
    };
    for nick in targets.split(',').filter(|n| !n.is_empty()) {
        let Some(target) = ctx.world.net.user_by_nick(nick) else {
            ctx.numeric(ERR_NOSUCHNICK, &[middle(nick), "No such nick/channel"]);
            continue;
        };
        let (target, target_nick) = (target.id, target.nick.clone());
        let on_channel = ctx
            .world
            .net
            .channel(&chan_name)
            .is_some_and(|c| c.member(target).is_some());
        if !on_channel {
            ctx.numeric(
                ERR_USERNOTINCHANNEL,
                &[&target_nick, &chan_name, "They aren't on that channel"],
            );
            continue;
        }
        let reason = super::fit_trailing(&reason, &by_prefix, "KICK", &[&chan_name, &target_nick])
            .to_string();
        ctx.emit(Event::Kicked {
            by_prefix: by_prefix.clone(),
            channel: chan_name.clone(),
            target,
            target_nick,
            reason,
        });
    }
}

/// INVITE <nick> <channel>: lets the user past +i (and +k, +l) once.
pub fn invite(ctx: &mut Ctx<'_>, msg: &Message) {
    let (Some(nick), Some(name)) = (msg.param(0), msg.param(1)) else {
        return ctx.need_more_params("INVITE");
    };
    let Some(target) = ctx.world.net.user_by_nick(nick) else {
        return ctx.numeric(ERR_NOSUCHNICK, &[nick, "No such nick/channel"]);
    };
    let (target_id, target_nick, target_away) =
        (target.id, target.nick.clone(), target.away.clone());
    let Some(chan) = ctx.world.net.channel(name) else {
        return ctx.numeric(ERR_NOSUCHCHANNEL, &[middle(name), "No such channel"]);
    };
    let chan_name = chan.name.clone();
    match chan.member(ctx.client.id) {
        None => {
            return ctx.numeric(
                ERR_NOTONCHANNEL,
                &[&chan_name, "You're not on that channel"],
            )
        }
        Some(m) if chan.modes.invite_only && !m.op => {
            return ctx.numeric(
                ERR_CHANOPRIVSNEEDED,
                &[&chan_name, "You're not channel operator"],
            )
        }
        Some(_) => {}
    }
    if chan.member(target_id).is_some() {
        return ctx.numeric(
            ERR_USERONCHANNEL,
            &[&target_nick, &chan_name, "is already on channel"],
        );
    }
    ctx.numeric(RPL_INVITING, &[&target_nick, &chan_name]);
    if let Some(away) = target_away {
        ctx.numeric(RPL_AWAY, &[&target_nick, &away]);
    }
    let by_prefix = ctx.me().prefix();
    ctx.emit(Event::Invited {
        by: ctx.client.id,
        by_prefix,
        target: target_id,
        target_nick,
        channel: chan_name,
    });
}

/// RPL_TOPIC and RPL_TOPICWHOTIME for a channel with a topic.
pub(super) fn send_topic(ctx: &mut Ctx<'_>, chan: &Channel) {
    if let Some(t) = &chan.topic {
        ctx.numeric(RPL_TOPIC, &[&chan.name, &t.text]);
        ctx.numeric(
            RPL_TOPICWHOTIME,
            &[&chan.name, &t.setter, &t.set_at.to_string()],
        );
    }
}

/// RPL_NAMREPLY lines (kept under 512 bytes) and RPL_ENDOFNAMES. Invisible
/// users are left out for a requester who is not a member.
pub(super) fn send_names(ctx: &mut Ctx<'_>, chan: &Channel) {
    let id = ctx.client.id;
    let is_member = chan.member(id).is_some();
    let symbol = if chan.modes.secret { "@" } else { "=" };
    let (multi, uhnames) = ctx
        .world
        .conns
        .get(&id)
        .map(|c| {
            (
                c.caps.has(super::caps::Cap::MultiPrefix),
                c.caps.has(super::caps::Cap::UserhostInNames),
            )
        })
        .unwrap_or_default();
    let mut entries: Vec<String> = chan
        .members
        .iter()
        .filter_map(|(uid, m)| {
            let u = ctx.world.net.user(*uid)?;
            if !is_member && u.modes.invisible {
                return None;
            }
            let who = if uhnames { u.prefix() } else { u.nick.clone() };
            Some(format!("{}{}", m.prefixes(multi), who))
        })
        .collect();
    entries.sort();
    // ":server 353 nick = #chan :" plus names, under 510 bytes.
    let budget =
        510 - (ctx.world.config.server.name.len() + ctx.nick().len() + chan.name.len() + 12);
    let mut line = String::new();
    for e in entries {
        if !line.is_empty() && line.len() + 1 + e.len() > budget {
            ctx.numeric(RPL_NAMREPLY, &[symbol, &chan.name, &line]);
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(&e);
    }
    if !line.is_empty() {
        ctx.numeric(RPL_NAMREPLY, &[symbol, &chan.name, &line]);
    }
    ctx.numeric(RPL_ENDOFNAMES, &[&chan.name, "End of /NAMES list"]);
}

/// `s` cut to at most `max` bytes on a character boundary.
pub(crate) fn truncate(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}
