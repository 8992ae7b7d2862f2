//! PRIVMSG, NOTICE, TAGMSG and AWAY (RFC 2812 3.3 and 4.1; Modern IRC;
//! IRCv3 message-tags).
//!
//! A NOTICE never produces an error reply (RFC 2812 3.3.2): errors are
//! only sent for PRIVMSG and TAGMSG. Every message gets a `msgid`
//! (IRCv3 message-ids); client-only tags (`+name`) from clients that
//! negotiated message-tags are relayed to recipients that did too.

use bytes::Bytes;
use natter_model::{Event, MessageKind, MessageTarget};
use natter_proto::numeric::*;
use natter_proto::validate::is_channel_name;
use natter_proto::Message;

use super::caps::Cap;
use super::Ctx;
use crate::rules::{
    check_channel_send, check_private_send, fit_message, PrivateDenied, SendDenied,
};
use crate::text::truncate;

/// `PRIVMSG <target>{,<target>} <text>` (and `NOTICE`), or `TAGMSG <target>{,<target>}`.
/// A target is a nick, a channel, or `@#chan`/`+#chan` (STATUSMSG) for its
/// ops or voiced members.
pub fn message(ctx: &mut Ctx<'_>, msg: &Message) {
    let kind = match msg.command.as_str() {
        "NOTICE" => MessageKind::Notice,
        "TAGMSG" => MessageKind::Tagmsg,
        _ => MessageKind::Privmsg,
    };
    let notice = kind == MessageKind::Notice;
    let Some(targets) = super::target_list(msg) else {
        if !notice {
            ctx.numeric(
                ERR_NORECIPIENT,
                &[&format!("No recipient given ({})", msg.command)],
            );
        }
        return;
    };
    let text = match (kind, msg.param(1).filter(|t| !t.is_empty())) {
        (MessageKind::Tagmsg, _) => "",
        (_, Some(text)) => text,
        (_, None) => {
            if !notice {
                ctx.numeric(ERR_NOTEXTTOSEND, &["No text to send"]);
            }
            return;
        }
    };
    let tags = client_tags(ctx, msg);
    if kind == MessageKind::Tagmsg && tags.is_empty() {
        // Nothing to relay (no client-only tags, or not negotiated).
        return;
    }
    let max_targets = ctx.world.config.limits.max_targets;
    for (i, target) in targets.split(',').filter(|t| !t.is_empty()).enumerate() {
        if i >= max_targets {
            if !notice {
                ctx.numeric(ERR_TOOMANYTARGETS, &[target, "Too many targets"]);
            }
            break;
        }
        deliver(ctx, kind, target, text, &tags);
    }
}

/// The client-only tags (`+name[=value]`) of `msg`, re-serialized, when the
/// sender negotiated message-tags; empty otherwise or when over the limit.
fn client_tags(ctx: &Ctx<'_>, msg: &Message) -> String {
    if !ctx.caps().has(Cap::MessageTags) {
        return String::new();
    }
    let deny = &ctx.world.config.limits.client_tag_deny;
    let allowed = msg.tags.iter().filter(|t| {
        t.key
            .strip_prefix('+')
            .is_some_and(|name| !tag_denied(name, deny))
    });
    let mut out = natter_proto::message::client_only_tags(allowed);
    if out.len() > super::input::MAX_CLIENT_TAG_DATA {
        out.clear();
    }
    out
}

/// Whether client tag `name` (without `+`) is in the CLIENTTAGDENY list
/// `deny`: named there, or covered by `*` and not exempted with `-name`.
fn tag_denied(name: &str, deny: &[String]) -> bool {
    let listed = |n: &str| deny.iter().any(|d| d == n);
    listed(name) || (listed("*") && !deny.iter().any(|d| d.strip_prefix('-') == Some(name)))
}

fn deliver(ctx: &mut Ctx<'_>, kind: MessageKind, target: &str, text: &str, tags: &str) {
    let notice = kind == MessageKind::Notice;
    let me = ctx.me();
    let (status, bare) = match target.chars().next() {
        Some(s @ ('@' | '+')) if is_channel_name(&target[1..]) => (Some(s), &target[1..]),
        _ => (None, target),
    };
    let sender = me.snapshot();
    let from = me.id;
    let to = if is_channel_name(bare) {
        let Some(chan) = ctx.world.net.channel(bare) else {
            if !notice {
                ctx.numeric(ERR_NOSUCHNICK, &[target, "No such nick/channel"]);
            }
            return;
        };
        if let Err(denied) = check_channel_send(chan, me, text) {
            if !notice {
                // +C refuses notices silently too (Solanum, InspIRCd;
                // irctest's no_ctcp test wants 404 for a PRIVMSG).
                let why = match denied {
                    SendDenied::Refused(refusal) => refusal.text(),
                    SendDenied::Ctcp => "Cannot send to channel (+C)",
                };
                let name = chan.name.clone();
                ctx.numeric(ERR_CANNOTSENDTOCHAN, &[&name, why]);
            }
            return;
        }
        MessageTarget::Channel {
            name: chan.name.clone(),
            status,
        }
    } else {
        let Some(user) = ctx.world.net.user_by_nick(bare) else {
            if !notice {
                ctx.numeric(ERR_NOSUCHNICK, &[target, "No such nick/channel"]);
            }
            return;
        };
        let (uid, nick, away) = (user.id, user.nick.clone(), user.away.clone());
        if user.frontend == natter_model::Frontend::Service {
            // A service answers here, through its own command handler;
            // the message is not relayed (nor kept).
            if kind == MessageKind::Privmsg {
                match nick.as_str() {
                    super::chanserv::NICK => super::chanserv::handle(ctx, text),
                    _ => super::nickserv::handle(ctx, text),
                }
            }
            return;
        }
        if let Err(PrivateDenied::NeedsAccount) = check_private_send(me, user) {
            // NOTICE and TAGMSG are dropped without a word.
            if kind == MessageKind::Privmsg {
                let text = "You need to be logged in to an account to message this user";
                ctx.numeric(ERR_NEEDREGGEDNICK, &[&nick, text]);
            }
            return;
        }
        if let (Some(away), MessageKind::Privmsg) = (away, kind) {
            ctx.numeric(RPL_AWAY, &[&nick, &away]);
        }
        MessageTarget::User(uid)
    };
    // The source we prepend makes the relayed line longer than what the
    // client sent: cut the text so that it fits in 512 bytes.
    let shown_target = match &to {
        MessageTarget::Channel { name, status } => name.len() + usize::from(status.is_some()),
        MessageTarget::User(uid) => ctx.world.net.user(*uid).map_or(0, |u| u.nick.len()),
    };
    let text = fit_message(&sender, kind, shown_target, text);
    let msgid = ctx.world.next_msgid();
    let to_self = to == MessageTarget::User(from);
    let before = ctx.out.len();
    ctx.emit(Event::Message {
        from: sender,
        kind,
        target: to,
        text: text.to_string(),
        tags: tags.to_string(),
        msgid,
        at_ms: crate::world::now_ms(),
    });
    if to_self {
        received_by_self(ctx, before);
    }
}

/// A message to oneself is both sent and received, so it is shown twice
/// with echo-message (once as the echo, once as received). IRCv3
/// labeled-response: "When a client sends a message to itself, the server
/// MUST NOT include the label tag, except for any acknowledgment sent with
/// the echo-message mechanism": for a labeled command the received copy
/// goes straight to the queue, out of the labeled reply, which keeps only
/// the echo (or becomes an `ACK` without echo-message). `before` is where
/// the line `emit` wrote for this client starts in `ctx.out`.
fn received_by_self(ctx: &mut Ctx<'_>, before: usize) {
    let line = ctx.out[before..].to_string();
    if line.is_empty() {
        return;
    }
    let echo = ctx.caps().has(Cap::EchoMessage);
    if ctx.irc().label.is_some() {
        if !echo {
            ctx.out.truncate(before);
        }
        if let Some(conn) = ctx.world.conns.get(&ctx.client.id) {
            conn.out.push(Bytes::from(line));
        }
    } else if echo {
        ctx.out.push_str(&line);
    }
}

/// `AWAY [<text>]`: sets (RPL_NOWAWAY) or clears (RPL_UNAWAY) the away message.
pub fn away(ctx: &mut Ctx<'_>, msg: &Message) {
    let message = msg
        .param(0)
        .filter(|t| !t.is_empty())
        .map(|t| truncate(t, ctx.world.config.limits.awaylen).to_string());
    let me = ctx.me();
    let back = message.is_none();
    // Repeating the same AWAY changes nothing: no event, so peers (and every
    // IM client's ONLINE_USERS) are not sent it again.
    if me.away != message {
        let user = me.snapshot();
        ctx.emit(Event::AwayChanged { user, message });
    }
    if back {
        ctx.numeric(RPL_UNAWAY, &["You are no longer marked as being away"]);
    } else {
        ctx.numeric(RPL_NOWAWAY, &["You have been marked as being away"]);
    }
}
