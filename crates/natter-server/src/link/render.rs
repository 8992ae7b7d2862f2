//! Events as server-to-server lines (RFC 2813 §4, RFC 2812 for relayed
//! messages), for a plain RFC 2813 peer such as ngIRCd or for a natter
//! peer, which also gets IRCv3 tags (`msgid`, `time`, client-only tags)
//! and timestamps (`ts`) and the commands RFC 2813 has no room for
//! (TAGMSG, SETNAME, CHGHOST, KNOCK).
//!
//! Users are named by nick (RFC 2813 prefixes), servers by name; a server
//! is given a token, its id + 1, in the SERVER line that introduces it and
//! in the NICK lines of its users.

use natter_model::{Event, MessageKind, MessageTarget, ModeChange, Server, Source, User};
use natter_proto::link::{JoinChannel, LinkMessage};
use natter_proto::message::escape_tag_value;

use super::Extensions;
use crate::World;

/// The token this server gives server `id` on its links.
pub fn token(id: natter_model::ServerId) -> u32 {
    id + 1
}

/// `event` as one line (with CR LF) for a peer with `natter` extensions
/// (`None`: a plain RFC 2813 peer); `None` when such a peer is not told.
/// A plain peer gets two lines for a JOIN that created a channel: the JOIN
/// and the channel's modes (`join_plain`).
pub fn render(world: &World, event: &Event, natter: Option<Extensions>) -> Option<String> {
    let net = &world.net;
    let me = world.server_name().to_string();
    let source = |s: &Source| -> String {
        match s {
            // Services are not sent to neighbours (each server has its
            // own): what they do comes from this server.
            Source::User(u)
                if net
                    .user(u.id)
                    .is_some_and(|u| u.frontend == natter_model::Frontend::Service) =>
            {
                world.server_name().to_string()
            }
            Source::User(u) => u.nick.clone(),
            Source::Server(id) => net.server_name(*id).to_string(),
        }
    };
    let mut tags = String::new();
    let message = match event {
        Event::ServerIntroduced(server) => server_line(world, server),
        // A plain peer gets one SQUIT for every server that left (RFC 2813
        // §4.1.6: "on behalf of all other servers which are behind that
        // link"), farthest first: ngIRCd removes only the server a SQUIT
        // names. A natter peer removes everything behind with the first.
        Event::ServerSplit {
            name,
            behind,
            reason,
            ..
        } => {
            let mut out = String::new();
            let behind = if natter.is_some() {
                &[][..]
            } else {
                &behind[..]
            };
            for server in behind.iter().rev().chain(std::iter::once(name)) {
                LinkMessage::Squit {
                    source: Some(me.clone()),
                    server: server.clone(),
                    comment: reason.clone(),
                }
                .write(&mut out);
            }
            return Some(out);
        }
        Event::UserIntroduced(user) => return introduction(world, user, natter),
        // Each server's ChanServ registers channels in its own store.
        Event::ChannelRegistered { .. } => return None,
        // Accounts travel between natter servers only (natter's extension).
        Event::AccountRegistered {
            account,
            created_at,
            ..
        }
        | Event::AccountDropped {
            account,
            created_at,
        } => {
            natter?;
            let created_at = created_at.to_string();
            let mut params = vec![account.as_str(), created_at.as_str()];
            let command = match event {
                Event::AccountRegistered { secret, .. } => {
                    params.push(secret);
                    "ACCOUNTREG"
                }
                _ => "ACCOUNTDROP",
            };
            return Some(other("", world.server_name(), command, &params));
        }
        // Server bans travel between natter servers only (natter's
        // extension): `BANADD <K|D> <mask> <set_at> <expires_at or 0>
        // <set_by> :<reason>` and `BANDEL <K|D> <mask> :<by>`.
        Event::ServerBanSet { ban } => {
            natter?;
            let kind = ban.kind.letter().to_string();
            let set_at = ban.set_at.to_string();
            let expires_at = ban.expires_at.unwrap_or(0).to_string();
            let params = [
                kind.as_str(),
                &ban.mask,
                &set_at,
                &expires_at,
                &ban.set_by,
                &ban.reason,
            ];
            return Some(other("", world.server_name(), "BANADD", &params));
        }
        Event::ServerBanLifted { kind, mask, by } => {
            natter?;
            let kind = kind.letter().to_string();
            let params = [kind.as_str(), mask, by];
            return Some(other("", world.server_name(), "BANDEL", &params));
        }
        Event::NickChanged { user, new_nick, at } => {
            if natter.is_some_and(|n| n.ts) {
                push_tag(&mut tags, "ts", &at.to_string());
            }
            LinkMessage::NickChange {
                source: Some(user.nick.clone()),
                nick: new_nick.clone(),
            }
        }
        Event::Joined {
            user, channel, op, ..
        } => {
            if natter.is_some_and(|n| n.ts) {
                if let Some(chan) = net.channel(channel) {
                    push_tag(&mut tags, "ts", &chan.created_at.to_string());
                }
            }
            let join = LinkMessage::Join {
                source: Some(user.nick.clone()),
                channels: vec![JoinChannel {
                    name: channel.clone(),
                    modes: if *op { "o".into() } else { String::new() },
                }],
            };
            if natter.is_none() {
                return Some(join_plain(world, &join, channel));
            }
            join
        }
        Event::Parted {
            user,
            channel,
            reason,
        } => LinkMessage::Part {
            source: Some(user.nick.clone()),
            channels: vec![channel.clone()],
            reason: reason.clone(),
        },
        Event::Kicked {
            by,
            channel,
            target_nick,
            reason,
            ..
        } => LinkMessage::Kick {
            source: Some(source(by)),
            channel: channel.clone(),
            nick: target_nick.clone(),
            reason: Some(reason.clone()),
        },
        Event::Quit { user, reason, .. } => LinkMessage::Quit {
            source: Some(user.nick.clone()),
            reason: Some(reason.clone()),
        },
        Event::Killed {
            by, user, comment, ..
        } => LinkMessage::Kill {
            source: Some(source(by)),
            nick: user.nick.clone(),
            comment: comment.clone(),
        },
        Event::TopicChanged { by, channel, topic } => LinkMessage::Topic {
            source: Some(source(by)),
            channel: channel.clone(),
            topic: topic.as_ref().map(|t| t.text.clone()).unwrap_or_default(),
        },
        Event::ChannelModeChanged {
            by,
            channel,
            changes,
            ..
        } => {
            let changes: Vec<ModeChange> = changes
                .iter()
                .filter(|c| super::channel_mode_crosses(c.mode, natter.is_some()))
                .cloned()
                .collect();
            if changes.is_empty() {
                return None;
            }
            let (modes, args) = ModeChange::mode_string(&changes);
            let args = args.into_iter().map(String::from).collect();
            LinkMessage::Mode {
                source: Some(source(by)),
                target: channel.clone(),
                modes,
                args,
            }
        }
        Event::UserModeChanged { nick, changes, .. } => {
            // A plain peer (ngIRCd) keeps the cloak it was given as the
            // host (see `user_mode_crosses`).
            let changes: Vec<ModeChange> = changes
                .iter()
                .filter(|c| super::user_mode_crosses(c.mode, natter.is_some()))
                .cloned()
                .collect();
            if changes.is_empty() {
                return None;
            }
            let (modes, args) = ModeChange::mode_string(&changes);
            let args = args.into_iter().map(String::from).collect();
            LinkMessage::Mode {
                source: Some(nick.clone()),
                target: nick.clone(),
                modes,
                args,
            }
        }
        Event::Message {
            from,
            kind,
            target,
            text,
            tags: client_tags,
            msgid,
            at_ms,
        } => {
            let target = match target {
                MessageTarget::User(to) => net.user(*to)?.nick.clone(),
                MessageTarget::Channel { name, status } => match status {
                    Some(s) => format!("{s}{name}"),
                    None => name.clone(),
                },
            };
            if natter.is_some_and(|n| n.tags) {
                // The same msgid and time on every server: history agrees.
                push_tag(&mut tags, "msgid", msgid);
                push_tag(&mut tags, "time", &crate::clock::format_time_ms(*at_ms));
                if !client_tags.is_empty() {
                    tags.push(';');
                    tags.push_str(client_tags);
                }
            }
            let source = Some(from.nick.clone());
            match kind {
                MessageKind::Privmsg => LinkMessage::Privmsg {
                    source,
                    target,
                    text: text.clone(),
                },
                MessageKind::Notice => LinkMessage::Notice {
                    source,
                    target,
                    text: text.clone(),
                },
                MessageKind::Tagmsg if natter.is_some_and(|n| n.tags) => {
                    return Some(other(&tags, &from.nick, "TAGMSG", &[&target]));
                }
                MessageKind::Tagmsg => return None,
            }
        }
        Event::Invited {
            by,
            target_nick,
            channel,
            ..
        } => LinkMessage::Invite {
            source: Some(by.nick.clone()),
            nick: target_nick.clone(),
            channel: channel.clone(),
        },
        Event::AwayChanged { user, message } => away_line(&user.nick, message.as_deref(), natter),
        Event::AccountChanged { user, account } => {
            // natter's extension between natter servers (RFC 2813 has no
            // accounts): `:nick ACCOUNT name`, `*` for a logout.
            natter?;
            let name = account.as_deref().unwrap_or("*");
            return Some(other("", &user.nick, "ACCOUNT", &[name]));
        }
        Event::RealnameChanged { user, realname } => {
            natter?;
            return Some(other("", &user.nick, "SETNAME", &[realname]));
        }
        Event::HostChanged {
            user,
            username,
            host,
        } => {
            natter?;
            return Some(other("", &user.nick, "CHGHOST", &[username, host]));
        }
        Event::Knocked {
            user,
            channel,
            text,
        } => {
            natter?;
            return Some(other("", &user.nick, "KNOCK", &[channel, text]));
        }
        Event::Wallops { by, text } => LinkMessage::Wallops {
            source: Some(source(by)),
            text: text.clone(),
        },
    };
    let mut out = String::new();
    message.write_with_tags((!tags.is_empty()).then_some(tags.as_str()), &mut out);
    Some(out)
}

/// A JOIN for a plain RFC 2813 peer (ngIRCd). When it created the channel
/// (the joiner is its only member), the channel's modes follow from this
/// server: natter gives a new channel `+nt`, but ngIRCd creates a channel
/// that a JOIN names without any modes (channel.c `Channel_Join`), and
/// the two sides would disagree about who may set the topic or speak from
/// outside. Between natter servers each side applies the same defaults.
fn join_plain(world: &World, join: &LinkMessage, channel: &str) -> String {
    let mut out = join.to_line();
    let Some(chan) = world.net.channel(channel) else {
        return out;
    };
    let (modes, args) = super::modes_for_peer(&chan.modes, false);
    if chan.members.len() == 1 && modes.len() > 1 {
        LinkMessage::Mode {
            source: Some(world.server_name().to_string()),
            target: chan.name.clone(),
            modes,
            args,
        }
        .write(&mut out);
    }
    out
}

/// `:<uplink> SERVER <name> <hopcount> <token> :<info>`: `server` as its
/// uplink introduces it (hop count as seen from the receiving peer).
pub fn server_line(world: &World, server: &Server) -> LinkMessage {
    let net = &world.net;
    let uplink = server.uplink.unwrap_or(natter_model::LOCAL_SERVER);
    LinkMessage::Server {
        source: Some(net.server_name(uplink).to_string()),
        name: server.name.to_string(),
        hopcount: Some(server.hopcount + 1),
        token: Some(token(server.id)),
        info: server.description.clone(),
    }
}

/// The lines that introduce `user` to a peer: its NICK (with its nick
/// timestamp for a natter peer), then its away state if it is away.
pub fn introduction(world: &World, user: &User, natter: Option<Extensions>) -> Option<String> {
    let mut tags = String::new();
    if natter.is_some_and(|n| n.ts) {
        push_tag(&mut tags, "ts", &user.nick_ts.to_string());
    }
    // A natter peer learns the real address behind a cloak (natter's
    // `realhost` tag), so that operators everywhere see it; a plain peer
    // (ngIRCd) gets the cloak as the host, and no `x` mode.
    if natter.is_some() && user.real_host != user.host {
        push_tag(&mut tags, "realhost", &user.real_host);
    }
    let mut out = String::new();
    let nick = nick_line(world, user, natter.is_some())?;
    nick.write_with_tags((!tags.is_empty()).then_some(tags.as_str()), &mut out);
    if let Some(away) = &user.away {
        away_line(&user.nick, Some(away), natter).write(&mut out);
    }
    if let (Some(account), Some(_)) = (&user.account, natter) {
        out.push_str(&other("", &user.nick, "ACCOUNT", &[account]));
    }
    Some(out)
}

/// `:<nick> AWAY [:<message>]`; ngIRCd takes away as user mode `+a`/`-a`
/// instead, without the message.
pub fn away_line(nick: &str, message: Option<&str>, natter: Option<Extensions>) -> LinkMessage {
    match natter {
        Some(_) => LinkMessage::Away {
            source: Some(nick.to_string()),
            message: message.map(String::from),
        },
        None => LinkMessage::Mode {
            source: Some(nick.to_string()),
            target: nick.to_string(),
            modes: if message.is_some() { "+a" } else { "-a" }.into(),
            args: Vec::new(),
        },
    }
}

/// `NICK <nick> <hopcount> <user> <host> <token> +<modes> :<realname>`
/// (RFC 2813 §4.1.3), from this server, for a natter peer (`natter`) or
/// a plain one: with the user modes that cross to it
/// (`link::user_mode_crosses`).
pub fn nick_line(world: &World, user: &User, natter: bool) -> Option<LinkMessage> {
    let server = world.net.server(user.server)?;
    let mut umodes: String = user.modes.render().trim_start_matches('+').to_string();
    umodes.retain(|c| super::user_mode_crosses(c, natter));
    Some(LinkMessage::Nick {
        source: Some(world.server_name().to_string()),
        nick: user.nick.clone(),
        hopcount: server.hopcount + 1,
        username: user.user.clone(),
        host: user.host.clone(),
        token: token(server.id),
        umodes,
        realname: user.realname.clone(),
    })
}

/// Appends `key=value` (escaped) to a tag section.
fn push_tag(tags: &mut String, key: &str, value: &str) {
    if !tags.is_empty() {
        tags.push(';');
    }
    tags.push_str(key);
    tags.push('=');
    escape_tag_value(value, tags);
}

/// A command the link grammar leaves as is (natter's extensions), with its
/// last parameter as trailing.
fn other(tags: &str, source: &str, command: &str, params: &[&str]) -> String {
    let mut out = String::new();
    let tags = (!tags.is_empty()).then_some(tags);
    natter_proto::write_line_trailing(&mut out, tags, Some(source), command, params);
    out
}
