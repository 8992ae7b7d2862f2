//! Channel membership and information: JOIN, PART, TOPIC, NAMES, LIST,
//! KICK, INVITE (RFC 2812 3.2; Modern IRC "Channel Operations").
//!
//! NAMES and KICK take several targets (TARGMAX NAMES and KICK), LIST the
//! ELIST=CMNTU conditions, and INVITE without parameters lists the
//! channels the user is invited to (RPL_INVITELIST).

use crate::text::truncate;
use std::ops::RangeInclusive;

use natter_model::{Channel, Event, JoinRefusal, Source, Topic, UserId, UserRef};
use natter_proto::numeric::*;
use natter_proto::validate::is_valid_channel;
use natter_proto::{casemap, mask, Message};

use super::registration::middle;
use super::Ctx;
use crate::rules::{check_join, Join, JoinDenied};
use crate::world::now;

/// `JOIN <channel>{,<channel>} [<key>{,<key>}]`, or `JOIN 0` to leave all.
pub fn join(ctx: &mut Ctx<'_>, msg: &Message) {
    // A list of nothing but commas names no channel at all.
    let Some(list) = super::target_list(msg) else {
        return ctx.need_more_params("JOIN");
    };
    if list == "0" {
        let names: Vec<String> = ctx
            .world
            .net
            .channels_of(ctx.client.id)
            .map(|c| c.name.clone())
            .collect();
        let user = ctx.me().snapshot();
        for name in names {
            ctx.emit(Event::Parted {
                user: user.clone(),
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

/// Whether `name` has the prefix of IM conversations' channels, `#conv-`.
fn reserved_for_conversations(name: &str) -> bool {
    name.get(..6)
        .is_some_and(|p| p.eq_ignore_ascii_case("#conv-"))
}

fn join_one(ctx: &mut Ctx<'_>, name: &str, key: Option<&str>) {
    let limits = &ctx.world.config.limits;
    if !is_valid_channel(name, limits.channellen) {
        return ctx.numeric(ERR_NOSUCHCHANNEL, &[middle(name), "No such channel"]);
    }
    let me = ctx.world.net.user(ctx.client.id).expect("registered");
    let rates = ctx.client.change_rates.as_mut();
    match check_join(&ctx.world.net, limits, rates, me, name, key) {
        Ok(Join::AlreadyIn) => return,
        Ok(Join::Allowed) => {}
        Err(JoinDenied::Rate(wait)) => {
            let text = format!("Too many join requests. Please wait {wait} seconds.");
            return ctx.numeric(ERR_TOOMANYJOINS, &[middle(name), &text]);
        }
        Err(JoinDenied::TooManyChannels) => {
            let text = "You have joined too many channels";
            return ctx.numeric(ERR_TOOMANYCHANNELS, &[name, text]);
        }
        Err(JoinDenied::Channel(refusal)) => {
            let (numeric, text) = match refusal {
                JoinRefusal::Banned => (ERR_BANNEDFROMCHAN, "Cannot join channel (+b)"),
                JoinRefusal::InviteOnly => (ERR_INVITEONLYCHAN, "Cannot join channel (+i)"),
                JoinRefusal::NeedsAccount => (
                    ERR_NEEDREGGEDNICK,
                    "Cannot join channel (+R): you need to be logged in to an account",
                ),
                JoinRefusal::BadKey => (ERR_BADCHANNELKEY, "Cannot join channel (+k)"),
                JoinRefusal::Full => (ERR_CHANNELISFULL, "Cannot join channel (+l)"),
            };
            // The channel as its members know it.
            let shown = ctx
                .world
                .net
                .channel(name)
                .map_or(name, |c| &c.name)
                .to_string();
            return ctx.numeric(numeric, &[&shown, text]);
        }
    }
    if ctx.world.net.channel(name).is_none()
        && reserved_for_conversations(name)
        && !ctx.world.front.im.conversations.owns(name)
    {
        // `#conv-` names are the IM conversations' (docs/im-protocol.md):
        // an IRC user may join one, not squat a name before it exists.
        return ctx.numeric(
            ERR_NOSUCHCHANNEL,
            &[
                middle(name),
                "No such channel (#conv- names belong to IM conversations)",
            ],
        );
    }
    let me = ctx.me();
    let user = me.snapshot();
    // Whoever creates a channel is its operator (RFC 2811 4.2.1 "channel
    // creator"); a registered channel's access list decides instead.
    let op = crate::chanreg::op_on_join(&ctx.world.net, &ctx.world.channel_registry, name);
    ctx.emit(Event::Joined {
        user,
        channel: name.to_string(),
        at: now(),
        op,
    });
    super::read_marker::on_join(ctx, name);
    let chan = ctx.world.net.channel(name).expect("just joined").clone();
    if chan.topic.is_some() {
        send_topic(ctx, &chan);
    }
    send_names(ctx, &chan);
    super::chathistory::playback_on_join(ctx, name);
}

/// `PART <channel>{,<channel>} [<reason>]`.
pub fn part(ctx: &mut Ctx<'_>, msg: &Message) {
    let Some(list) = super::target_list(msg) else {
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
        let user = ctx.me().snapshot();
        let reason = reason
            .as_deref()
            .map(|r| super::fit_trailing(r, &user.mask(), "PART", &[&channel]).to_string());
        ctx.emit(Event::Parted {
            user,
            channel,
            reason,
        });
    }
}

/// `TOPIC <channel> [<topic>]`: query, set, or (empty) clear.
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
    // ChanServ's topic lock: only operators on the access list.
    let registry = &ctx.world.channel_registry;
    if registry.get(&chan.name).is_some_and(|r| r.topic_lock) {
        let account = ctx.me().account.as_deref();
        if registry.level(&chan.name, account) < Some(crate::chanreg::Level::Op) {
            return ctx.numeric(
                ERR_CHANOPRIVSNEEDED,
                &[&chan.name, "The topic is locked by ChanServ"],
            );
        }
    }
    let me = ctx.me();
    let by = me.snapshot();
    let by_prefix = by.mask();
    let text = truncate(text, ctx.world.config.limits.topiclen);
    let text = super::fit_trailing(text, &by_prefix, "TOPIC", &[&chan.name]);
    let topic = (!text.is_empty()).then(|| Topic {
        text: text.to_string(),
        // The full prefix, as clients show it in "Topic set by" (RPL_TOPICWHOTIME).
        setter: me.prefix(),
        set_at: now(),
    });
    ctx.emit(Event::TopicChanged {
        by: Source::User(by),
        channel: chan.name.clone(),
        topic,
    });
}

/// `NAMES [<channel>{,<channel>}]`: RPL_NAMREPLY for each visible channel
/// named (at most TARGMAX NAMES of them, more are ignored), then one
/// RPL_ENDOFNAMES naming the whole list as given (`366 nick #a,#b`, as
/// irctest's names tests and Ergo have it). Unknown and secret channels
/// (to non-members) get no RPL_NAMREPLY (Modern IRC "NAMES message").
pub fn names(ctx: &mut Ctx<'_>, msg: &Message) {
    let Some(list) = msg.param(0) else {
        return ctx.numeric(RPL_ENDOFNAMES, &["*", "End of /NAMES list"]);
    };
    let max = ctx.world.config.limits.max_targets;
    for name in list.split(',').filter(|n| !n.is_empty()).take(max) {
        match ctx.world.net.channel(name) {
            Some(chan) if !chan.modes.secret || chan.member(ctx.client.id).is_some() => {
                let chan = chan.clone();
                send_namreplies(ctx, &chan);
            }
            _ => {}
        }
    }
    ctx.numeric(RPL_ENDOFNAMES, &[middle(list), "End of /NAMES list"]);
}

/// The filters of one LIST command (Modern IRC "ELIST Parameter", with
/// the C and T meanings of <https://github.com/ircdocs/modern-irc/pull/171>,
/// as InspIRCd and Solanum have them).
#[derive(Debug)]
struct ListFilter {
    /// `M`: masks (or plain names) of which a channel must match one.
    masks: Vec<String>,
    /// `N`: `!mask`s no listed channel may match.
    not_masks: Vec<String>,
    /// `U`: the member count range (`>n`, `<n`).
    users: RangeInclusive<u64>,
    /// `C`: channel age range in seconds (`C>n`, `C<n`: created more, less
    /// than n minutes ago).
    created: RangeInclusive<u64>,
    /// `T`: topic age range in seconds (`T>n`, `T<n`: topic set more, less
    /// than n minutes ago); `None` without a T condition. A channel with no
    /// topic fails every T condition.
    topic: Option<RangeInclusive<u64>>,
}

impl ListFilter {
    /// The filters of LIST's comma-separated items: `>n`, `<n`, `C>n`,
    /// `C<n`, `T>n`, `T<n`, `!mask`, and anything else a mask. A condition
    /// whose number does not parse is ignored.
    fn parse<'a>(items: impl Iterator<Item = &'a str>) -> ListFilter {
        let mut f = ListFilter {
            masks: Vec::new(),
            not_masks: Vec::new(),
            users: 0..=u64::MAX,
            created: 0..=u64::MAX,
            topic: None,
        };
        // `range` narrowed by `>n` or `<n` (n in `unit`s); false when `n`
        // does not parse.
        fn narrow(range: &mut RangeInclusive<u64>, cond: &str, unit: u64) -> bool {
            let (op, n) = cond.split_at(cond.len().min(1));
            let Ok(n) = n.parse::<u64>() else {
                return false;
            };
            let n = n.saturating_mul(unit);
            let (lo, hi) = (*range.start(), *range.end());
            *range = match op {
                ">" => lo.max(n.saturating_add(1))..=hi,
                "<" => match n.checked_sub(1) {
                    Some(m) => lo..=hi.min(m),
                    // `<0`: nothing is below zero.
                    None => RangeInclusive::new(1, 0),
                },
                _ => return false,
            };
            true
        }
        for item in items.filter(|s| !s.is_empty()) {
            if item.starts_with(['>', '<']) {
                narrow(&mut f.users, item, 1);
            } else if let Some(cond) = item.strip_prefix('C').filter(|c| c.starts_with(['>', '<']))
            {
                narrow(&mut f.created, cond, 60);
            } else if let Some(cond) = item.strip_prefix('T').filter(|c| c.starts_with(['>', '<']))
            {
                let mut topic = f.topic.clone().unwrap_or(0..=u64::MAX);
                if narrow(&mut topic, cond, 60) {
                    f.topic = Some(topic);
                }
            } else if let Some(m) = item.strip_prefix('!') {
                f.not_masks.push(m.to_string());
            } else {
                f.masks.push(item.to_string());
            }
        }
        f
    }

    /// Whether `chan` passes every filter at Unix time `now`.
    fn accepts(&self, chan: &Channel, now: u64) -> bool {
        let name_ok = (self.masks.is_empty()
            || self.masks.iter().any(|m| mask::matches(m, &chan.name)))
            && !self.not_masks.iter().any(|m| mask::matches(m, &chan.name));
        let topic_ok = match (&self.topic, &chan.topic) {
            (None, _) => true,
            (Some(_), None) => false,
            (Some(range), Some(t)) => range.contains(&now.saturating_sub(t.set_at)),
        };
        name_ok
            && topic_ok
            && self.users.contains(&(chan.members.len() as u64))
            && self.created.contains(&now.saturating_sub(chan.created_at))
    }
}

/// `LIST [<elist item>{,<elist item>}]`: channels with member counts and
/// topics; secret channels only to their members. The items (ELIST=CMNTU)
/// are channel names or masks (`M`), `!mask` (`N`), `>n`/`<n` member counts
/// (`U`), `C>n`/`C<n` creation and `T>n`/`T<n` topic ages in minutes.
pub fn list(ctx: &mut Ctx<'_>, msg: &Message) {
    let filter = ListFilter::parse(msg.params.iter().take(2).flat_map(|p| p.split(',')));
    let id = ctx.client.id;
    let now = now();
    let mut rows: Vec<(String, usize, String)> = ctx
        .world
        .net
        .channels()
        .filter(|c| !c.modes.secret || c.member(id).is_some())
        .filter(|c| filter.accepts(c, now))
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

/// `KICK <channel>{,<channel>} <user>{,<user>} [<reason>]`: one channel and
/// any number of users, or as many channels as users, paired in order (RFC
/// 2812 3.2.8); other counts get ERR_NEEDMOREPARAMS. Targets past TARGMAX
/// KICK are dropped silently (Modern IRC "KICK message"). Each target gets
/// its own one-user KICK line.
pub fn kick(ctx: &mut Ctx<'_>, msg: &Message) {
    let (Some(chans), Some(targets)) = (msg.param(0), msg.param(1)) else {
        return ctx.need_more_params("KICK");
    };
    let chans: Vec<&str> = chans.split(',').filter(|n| !n.is_empty()).collect();
    let users: Vec<&str> = targets.split(',').filter(|n| !n.is_empty()).collect();
    let pairs: Vec<(&str, &str)> = match chans.len() {
        1 => users.iter().map(|u| (chans[0], *u)).collect(),
        n if n == users.len() => chans.iter().copied().zip(users.iter().copied()).collect(),
        _ => return ctx.need_more_params("KICK"),
    };
    let me = ctx.me();
    let by = me.snapshot();
    let reason = match msg.param(2).filter(|r| !r.is_empty()) {
        Some(r) => truncate(r, ctx.world.config.limits.kicklen).to_string(),
        None => me.nick.clone(),
    };
    // Channels already refused, so each refusal is told once.
    let mut refused: Vec<String> = Vec::new();
    let max = ctx.world.config.limits.max_targets;
    for (name, nick) in pairs.into_iter().take(max) {
        if refused.iter().any(|r| casemap::eq(r, name)) {
            continue;
        }
        match kick_check(ctx, name) {
            Ok(chan_name) => kick_one(ctx, &chan_name, nick, &by, &reason),
            Err(()) => refused.push(name.to_string()),
        }
    }
}

/// The display name of channel `name` when the client may kick there;
/// otherwise sends ERR_NOSUCHCHANNEL, ERR_NOTONCHANNEL or
/// ERR_CHANOPRIVSNEEDED.
fn kick_check(ctx: &mut Ctx<'_>, name: &str) -> Result<String, ()> {
    let Some(chan) = ctx.world.net.channel(name) else {
        ctx.numeric(ERR_NOSUCHCHANNEL, &[middle(name), "No such channel"]);
        return Err(());
    };
    let chan_name = chan.name.clone();
    match chan.member(ctx.client.id) {
        None => {
            ctx.numeric(
                ERR_NOTONCHANNEL,
                &[&chan_name, "You're not on that channel"],
            );
            Err(())
        }
        Some(m) if !m.op => {
            ctx.numeric(
                ERR_CHANOPRIVSNEEDED,
                &[&chan_name, "You're not channel operator"],
            );
            Err(())
        }
        Some(_) => Ok(chan_name),
    }
}

/// Kicks `nick` from `chan_name` (where the client may kick), or says why
/// not (ERR_NOSUCHNICK, ERR_USERNOTINCHANNEL).
fn kick_one(ctx: &mut Ctx<'_>, chan_name: &str, nick: &str, by: &UserRef, reason: &str) {
    let Some(target) = ctx.world.net.user_by_nick(nick) else {
        return ctx.numeric(ERR_NOSUCHNICK, &[middle(nick), "No such nick/channel"]);
    };
    let (target, target_nick): (UserId, String) = (target.id, target.nick.clone());
    let on_channel = ctx
        .world
        .net
        .channel(chan_name)
        .is_some_and(|c| c.member(target).is_some());
    if !on_channel {
        return ctx.numeric(
            ERR_USERNOTINCHANNEL,
            &[&target_nick, chan_name, "They aren't on that channel"],
        );
    }
    let reason =
        super::fit_trailing(reason, &by.mask(), "KICK", &[chan_name, &target_nick]).to_string();
    ctx.emit(Event::Kicked {
        by: Source::User(by.clone()),
        channel: chan_name.to_string(),
        target,
        target_nick,
        reason,
    });
}

/// `INVITE <nick> <channel>`: lets the user past +i and +R (and +k, +l)
/// once; on a +i or +R channel only its operators may invite.
/// INVITE alone lists the channels the client is invited to (Modern IRC
/// "INVITE message": RPL_INVITELIST, RPL_ENDOFINVITELIST).
pub fn invite(ctx: &mut Ctx<'_>, msg: &Message) {
    if msg.params.is_empty() {
        return invite_list(ctx);
    }
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
        Some(m) if chan.invitation_needs_op() && !m.op => {
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
    let by = ctx.me().snapshot();
    ctx.emit(Event::Invited {
        by,
        target: target_id,
        target_nick,
        channel: chan_name,
    });
}

/// RPL_INVITELIST for each channel with a pending invitation for the
/// client (in name order), then RPL_ENDOFINVITELIST.
fn invite_list(ctx: &mut Ctx<'_>) {
    let id = ctx.client.id;
    let mut names: Vec<String> = ctx
        .world
        .net
        .channels()
        .filter(|c| c.invited.contains(&id))
        .map(|c| c.name.clone())
        .collect();
    names.sort();
    for name in names {
        ctx.numeric(RPL_INVITELIST, &[&name]);
    }
    ctx.numeric(RPL_ENDOFINVITELIST, &["End of /INVITE list"]);
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
    send_namreplies(ctx, chan);
    ctx.numeric(RPL_ENDOFNAMES, &[&chan.name, "End of /NAMES list"]);
}

/// The RPL_NAMREPLY lines of [`send_names`], without the end.
fn send_namreplies(ctx: &mut Ctx<'_>, chan: &Channel) {
    let id = ctx.client.id;
    let is_member = chan.member(id).is_some();
    let symbol = if chan.modes.secret { "@" } else { "=" };
    let (multi, uhnames) = ctx
        .world
        .conns
        .get(&id)
        .map(|c| {
            (
                c.front.caps.has(super::caps::Cap::MultiPrefix),
                c.front.caps.has(super::caps::Cap::UserhostInNames),
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
    let budget = 510usize.saturating_sub(
        ctx.world.config.server.name.len() + ctx.nick().len() + chan.name.len() + 12,
    );
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
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Channel `name` created at `created`, topic set at `topic` (if any),
    /// with `members` members.
    fn chan(name: &str, created: u64, topic: Option<u64>, members: u64) -> Channel {
        let mut c = Channel::new(name, created);
        c.topic = topic.map(|set_at| Topic {
            text: "t".into(),
            setter: "s".into(),
            set_at,
        });
        for id in 0..members {
            c.members.insert(id, Default::default());
        }
        c
    }

    fn passing<'a>(query: &str, chans: &'a [Channel], now: u64) -> Vec<&'a str> {
        let f = ListFilter::parse(query.split(','));
        chans
            .iter()
            .filter(|c| f.accepts(c, now))
            .map(|c| c.name.as_str())
            .collect()
    }

    #[test]
    fn creation_and_topic_ages_are_in_minutes() {
        // At 1000: #a created 3 minutes ago (topic too), #b 1 minute ago
        // (topic 30 s ago), #c just now without topic.
        let now = 1000;
        let chans = [
            chan("#a", now - 180, Some(now - 180), 1),
            chan("#b", now - 60, Some(now - 30), 2),
            chan("#c", now, None, 3),
        ];
        assert_eq!(passing("C>2", &chans, now), ["#a"]);
        assert_eq!(passing("C<2", &chans, now), ["#b", "#c"]);
        assert_eq!(passing("C>0", &chans, now), ["#a", "#b"]);
        assert!(passing("C<0", &chans, now).is_empty());
        assert_eq!(passing("C>0,C<2", &chans, now), ["#b"]);
        assert_eq!(passing("T>2", &chans, now), ["#a"]);
        assert_eq!(passing("T<1", &chans, now), ["#b"]);
        assert_eq!(passing("T<10", &chans, now), ["#a", "#b"]);
        assert_eq!(passing("", &chans, now), ["#a", "#b", "#c"]);
    }

    #[test]
    fn user_counts_and_masks_combine() {
        let chans = [
            chan("#chan1", 0, None, 1),
            chan("#chan2", 0, None, 2),
            chan("#other", 0, None, 3),
        ];
        assert_eq!(passing(">1", &chans, 0), ["#chan2", "#other"]);
        assert_eq!(passing("<2", &chans, 0), ["#chan1"]);
        assert!(passing("<0", &chans, 0).is_empty());
        assert_eq!(passing("#c*,>1", &chans, 0), ["#chan2"]);
        assert_eq!(passing("!#c*", &chans, 0), ["#other"]);
        assert_eq!(passing("#CHAN1,#other,!*r", &chans, 0), ["#chan1"]);
        // Unparsable conditions are ignored rather than taken for masks.
        assert_eq!(passing(">x,C<y,T>", &chans, 0).len(), 3);
    }
}
