//! Lines from a neighbour become events: each parsed line is checked
//! ("each server must assume neighbour server is correct. Bad guys could
//! mess things up", seed 000), turned into the event it stands for and
//! emitted with [`Origin::Link`], the same path a local change takes.
//!
//! The checks: a line whose source is unknown, or lies in another
//! direction of the tree than the link it came on, is dropped and logged;
//! a neighbour may introduce only servers and users behind itself; a
//! SERVER for a name already known (a loop) closes the link; an unparsable
//! line is logged and ignored. Nick collisions (RFC 2813 §5.2): between
//! natter servers, which send nick timestamps, the newer nick is renamed
//! the same way on every server and nobody is killed; with a peer that
//! sends none, both users are killed, as RFC 2813 says.

mod channels;
mod messages;
mod servers;
mod users;

pub use channels::ChanInfo;
pub use servers::split;
pub use users::collision_nick;

use std::sync::atomic::{AtomicU64, Ordering};

use natter_model::{
    Event, Frontend, Identity, MessageKind, MessageTarget, ModeArg, ModeChange, Server, ServerId,
    Source, Topic, User, UserId, LOCAL_SERVER,
};
use natter_proto::casemap::fold;
use natter_proto::link::{LinkMessage, NjoinMember};
use natter_proto::validate::{is_channel_name, is_valid_nick};
use natter_proto::Message;

use crate::world::{now, Origin};
use crate::World;

/// What the session does after a line.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Read on.
    Continue,
    /// Close the link, with this reason (sent as ERROR, logged).
    Close(String),
    /// The neighbour answered the PING that ends a burst.
    Pong,
}

/// Handles one line `msg` from neighbour `peer`. `next_id` hands out user
/// ids for the users it introduces.
pub fn handle(world: &mut World, next_id: &AtomicU64, peer: ServerId, msg: &Message) -> Verdict {
    let parsed = match LinkMessage::parse(msg) {
        Ok(m) => m,
        Err(e) => {
            tracing::warn!(peer = world.net.server_name(peer), error = %e, "bad line from link, ignored");
            return Verdict::Continue;
        }
    };
    // The joins of the neighbour's burst come in its netjoin batch; the
    // PING that ends the burst ends the batch.
    let netjoin = world
        .front
        .link
        .links
        .get_mut(&peer)
        .and_then(|l| l.netjoin.take());
    let outer = std::mem::replace(&mut world.batch, netjoin);
    let burst_over = matches!(parsed, LinkMessage::Ping { .. });
    let mut link = Inbound {
        world,
        next_id,
        peer,
        tags: &msg.tags,
    };
    let verdict = link.handle(parsed);
    if let Some(batch) = std::mem::replace(&mut world.batch, outer) {
        match world.front.link.links.get_mut(&peer) {
            Some(l) if !burst_over => l.netjoin = Some(batch),
            _ => world.close_batch(batch),
        }
    }
    verdict
}

/// A resolved source: a user or a server, behind the link.
#[derive(Debug, Clone, Copy)]
enum From {
    User(UserId),
    Server(ServerId),
}

struct Inbound<'a> {
    world: &'a mut World,
    next_id: &'a AtomicU64,
    peer: ServerId,
    tags: &'a [natter_proto::Tag],
}

impl Inbound<'_> {
    pub(super) fn tag(&self, key: &str) -> Option<&str> {
        self.tags
            .iter()
            .find(|t| t.key == key)
            .map(|t| t.value.as_deref().unwrap_or(""))
    }

    /// The `ts` tag of a natter neighbour.
    pub(super) fn ts(&self) -> Option<u64> {
        self.tag("ts").and_then(|t| t.parse().ok())
    }

    pub(super) fn peer_name(&self) -> String {
        self.world.net.server_name(self.peer).to_string()
    }

    /// Whether server `id` lies behind this link.
    pub(super) fn behind(&self, id: ServerId) -> bool {
        self.world
            .net
            .server(id)
            .is_some_and(|s| s.via == Some(self.peer))
    }

    /// The source of a line, if it is known and lies behind this link
    /// (no source: the neighbour itself). Logs and returns `None` otherwise.
    pub(super) fn source(&self, source: Option<&str>, command: &str) -> Option<From> {
        let Some(name) = source else {
            return Some(From::Server(self.peer));
        };
        let net = &self.world.net;
        let found = match net.user_by_nick(name) {
            Some(u) if self.behind(u.server) => Some(From::User(u.id)),
            Some(_) => None,
            None => match net.server_by_name(name) {
                Some(s) if s.id == self.peer || self.behind(s.id) => Some(From::Server(s.id)),
                _ => None,
            },
        };
        if found.is_none() {
            tracing::warn!(
                peer = %self.peer_name(),
                source = name,
                command,
                "line from an unknown source or from another direction, dropped"
            );
        }
        found
    }

    /// The source as a user behind this link.
    pub(super) fn user_source(&self, source: Option<&str>, command: &str) -> Option<UserId> {
        match self.source(source, command)? {
            From::User(id) => Some(id),
            From::Server(_) => {
                tracing::warn!(peer = %self.peer_name(), command, "a server sent a user's command, dropped");
                None
            }
        }
    }

    pub(super) fn event_source(&self, from: From) -> Source {
        match from {
            From::User(id) => Source::User(self.world.net.user(id).expect("resolved").snapshot()),
            From::Server(id) => Source::Server(id),
        }
    }

    pub(super) fn emit(&mut self, event: Event) {
        self.world.emit_from(&event, Origin::Link(self.peer), None);
    }

    pub(super) fn handle(&mut self, message: LinkMessage) -> Verdict {
        match message {
            LinkMessage::Server {
                source,
                name,
                hopcount,
                token,
                info,
            } => return self.server(source.as_deref(), name, hopcount, token, info),
            LinkMessage::Nick {
                source,
                nick,
                hopcount: _,
                username,
                host,
                token,
                umodes,
                realname,
            } => self.introduce(
                source.as_deref(),
                nick,
                username,
                host,
                token,
                umodes,
                realname,
            ),
            LinkMessage::NickChange { source, nick } => self.nick_change(source.as_deref(), nick),
            LinkMessage::Quit { source, reason } => self.quit(source.as_deref(), reason),
            LinkMessage::Squit {
                source,
                server,
                comment,
            } => return self.squit(source.as_deref(), &server, &comment),
            LinkMessage::Njoin {
                source,
                channel,
                members,
            } => self.njoin(source.as_deref(), &channel, &members),
            LinkMessage::Join { source, channels } => self.joins(source.as_deref(), channels),
            LinkMessage::Part {
                source,
                channels,
                reason,
            } => self.part(source.as_deref(), channels, reason),
            LinkMessage::Kick {
                source,
                channel,
                nick,
                reason,
            } => self.kick(source.as_deref(), &channel, &nick, reason),
            LinkMessage::Mode {
                source,
                target,
                modes,
                args,
            } => self.mode(source.as_deref(), &target, &modes, &args),
            LinkMessage::Topic {
                source,
                channel,
                topic,
            } => self.topic(source.as_deref(), &channel, topic),
            LinkMessage::Invite {
                source,
                nick,
                channel,
            } => self.invite(source.as_deref(), &nick, channel),
            LinkMessage::Privmsg {
                source,
                target,
                text,
            } => self.message(source.as_deref(), MessageKind::Privmsg, &target, text),
            LinkMessage::Notice {
                source,
                target,
                text,
            } => self.message(source.as_deref(), MessageKind::Notice, &target, text),
            LinkMessage::Kill {
                source,
                nick,
                comment,
            } => self.kill(source.as_deref(), &nick, comment),
            LinkMessage::Wallops { source, text } => self.wallops(source.as_deref(), text),
            LinkMessage::Away { source, message } => self.away_from(source.as_deref(), message),
            LinkMessage::Ping { origin, .. } => self.ping(origin),
            LinkMessage::Pong { .. } => return Verdict::Pong,
            LinkMessage::Error { message, .. } => {
                return Verdict::Close(format!("ERROR from the peer: {message}"));
            }
            LinkMessage::ChanInfo {
                source,
                channel,
                modes,
                key,
                limit,
                topic,
            } => self.chaninfo(source.as_deref(), &channel, &modes, key, limit, topic),
            LinkMessage::Pass { .. } => {}
            LinkMessage::Other(m) => self.other(&m),
        }
        Verdict::Continue
    }
}
