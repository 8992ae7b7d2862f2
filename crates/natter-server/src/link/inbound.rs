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

use std::sync::atomic::{AtomicU64, Ordering};

use natter_model::{
    Event, Frontend, Identity, MessageKind, MessageTarget, ModeArg, ModeChange, Server, ServerId,
    Source, Topic, User, UserId, LOCAL_SERVER,
};
use natter_proto::link::{LinkMessage, NjoinMember};
use natter_proto::validate::{is_channel_name, is_valid_nick};
use natter_proto::Message;

use crate::world::{now, Origin, World};

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
    let mut link = Inbound {
        world,
        next_id,
        peer,
        tags: &msg.tags,
    };
    link.handle(parsed)
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
    fn tag(&self, key: &str) -> Option<&str> {
        self.tags
            .iter()
            .find(|t| t.key == key)
            .map(|t| t.value.as_deref().unwrap_or(""))
    }

    /// The `ts` tag of a natter neighbour.
    fn ts(&self) -> Option<u64> {
        self.tag("ts").and_then(|t| t.parse().ok())
    }

    fn peer_name(&self) -> String {
        self.world.net.server_name(self.peer).to_string()
    }

    /// Whether server `id` lies behind this link.
    fn behind(&self, id: ServerId) -> bool {
        self.world
            .net
            .server(id)
            .is_some_and(|s| s.via == Some(self.peer))
    }

    /// The source of a line, if it is known and lies behind this link
    /// (no source: the neighbour itself). Logs and returns `None` otherwise.
    fn source(&self, source: Option<&str>, command: &str) -> Option<From> {
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
    fn user_source(&self, source: Option<&str>, command: &str) -> Option<UserId> {
        match self.source(source, command)? {
            From::User(id) => Some(id),
            From::Server(_) => {
                tracing::warn!(peer = %self.peer_name(), command, "a server sent a user's command, dropped");
                None
            }
        }
    }

    fn event_source(&self, from: From) -> Source {
        match from {
            From::User(id) => Source::User(self.world.net.user(id).expect("resolved").snapshot()),
            From::Server(id) => Source::Server(id),
        }
    }

    fn emit(&mut self, event: Event) {
        self.world.emit_from(&event, Origin::Link(self.peer), None);
    }

    fn handle(&mut self, message: LinkMessage) -> Verdict {
        let command = message_name(&message);
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
            LinkMessage::Quit { source, reason } => {
                let Some(id) = self.user_source(source.as_deref(), command) else {
                    return Verdict::Continue;
                };
                let user = self.world.net.user(id).expect("resolved").snapshot();
                self.emit(Event::Quit {
                    user,
                    reason: reason.unwrap_or_default(),
                    at: now(),
                });
            }
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
            LinkMessage::Join { source, channels } => {
                let Some(id) = self.user_source(source.as_deref(), command) else {
                    return Verdict::Continue;
                };
                for c in channels {
                    let op = c.modes.contains('o') || c.modes.contains('O');
                    self.join(
                        id,
                        &c.name,
                        op,
                        c.modes.contains('v'),
                        From::Server(self.peer),
                    );
                }
            }
            LinkMessage::Part {
                source,
                channels,
                reason,
            } => {
                let Some(id) = self.user_source(source.as_deref(), command) else {
                    return Verdict::Continue;
                };
                for channel in channels {
                    let user = self.world.net.user(id).expect("resolved").snapshot();
                    let member = self.world.net.channel(&channel).and_then(|c| c.member(id));
                    if member.is_some() {
                        let channel = self
                            .world
                            .net
                            .channel(&channel)
                            .expect("member")
                            .name
                            .clone();
                        self.emit(Event::Parted {
                            user,
                            channel,
                            reason: reason.clone(),
                        });
                    }
                }
            }
            LinkMessage::Kick {
                source,
                channel,
                nick,
                reason,
            } => {
                let Some(from) = self.source(source.as_deref(), command) else {
                    return Verdict::Continue;
                };
                let net = &self.world.net;
                let (Some(chan), Some(target)) = (net.channel(&channel), net.user_by_nick(&nick))
                else {
                    return Verdict::Continue;
                };
                if chan.member(target.id).is_none() {
                    return Verdict::Continue;
                }
                let event = Event::Kicked {
                    by: self.event_source(from),
                    channel: chan.name.clone(),
                    target: target.id,
                    target_nick: target.nick.clone(),
                    reason: reason.unwrap_or_default(),
                };
                self.emit(event);
            }
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
            } => {
                let Some(from) = self.source(source.as_deref(), command) else {
                    return Verdict::Continue;
                };
                let Some(chan) = self.world.net.channel(&channel) else {
                    return Verdict::Continue;
                };
                let channel = chan.name.clone();
                let by = self.event_source(from);
                let setter = match &by {
                    Source::User(u) => u.mask(),
                    Source::Server(id) => self.world.net.server_name(*id).to_string(),
                };
                let topic = (!topic.is_empty()).then(|| Topic {
                    text: topic,
                    setter,
                    set_at: now(),
                });
                self.emit(Event::TopicChanged { by, channel, topic });
            }
            LinkMessage::Invite {
                source,
                nick,
                channel,
            } => {
                let Some(id) = self.user_source(source.as_deref(), command) else {
                    return Verdict::Continue;
                };
                let net = &self.world.net;
                let (Some(target), Some(chan)) = (net.user_by_nick(&nick), net.channel(&channel))
                else {
                    return Verdict::Continue;
                };
                let event = Event::Invited {
                    by: net.user(id).expect("resolved").snapshot(),
                    target: target.id,
                    target_nick: target.nick.clone(),
                    channel: chan.name.clone(),
                };
                self.emit(event);
            }
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
            } => {
                let Some(from) = self.source(source.as_deref(), command) else {
                    return Verdict::Continue;
                };
                let Some(target) = self.world.net.user_by_nick(&nick) else {
                    return Verdict::Continue;
                };
                let user = target.snapshot();
                let by = self.event_source(from);
                let killer = match &by {
                    Source::User(u) => u.nick.clone(),
                    Source::Server(id) => self.world.net.server_name(*id).to_string(),
                };
                self.emit(Event::Killed {
                    by,
                    user,
                    reason: format!("Killed ({killer} ({comment}))"),
                    comment,
                    at: now(),
                });
            }
            LinkMessage::Wallops { source, text } => {
                let Some(from) = self.source(source.as_deref(), command) else {
                    return Verdict::Continue;
                };
                let by = self.event_source(from);
                self.emit(Event::Wallops { by, text });
            }
            LinkMessage::Away { source, message } => {
                let Some(id) = self.user_source(source.as_deref(), command) else {
                    return Verdict::Continue;
                };
                let message = message.filter(|m| !m.is_empty());
                self.away(id, message);
            }
            LinkMessage::Ping { origin, .. } => {
                let me = self.world.server_name().to_string();
                let pong = LinkMessage::Pong {
                    source: Some(me.clone()),
                    origin: me,
                    target: Some(origin),
                };
                if let Some(link) = self.world.links.get(&self.peer) {
                    link.out.push(bytes::Bytes::from(pong.to_line()));
                }
            }
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

    /// `:<uplink> SERVER <name> <hopcount> <token> :<info>`: a server behind
    /// the neighbour. A name already known is a loop: the link closes.
    fn server(
        &mut self,
        source: Option<&str>,
        name: String,
        hopcount: Option<u32>,
        token: Option<u32>,
        info: String,
    ) -> Verdict {
        let Some(From::Server(uplink)) = self.source(source, "SERVER") else {
            return Verdict::Continue;
        };
        if self.world.net.server_by_name(&name).is_some() {
            tracing::error!(peer = %self.peer_name(), server = name, "SERVER for a known server: a loop");
            return Verdict::Close(format!("Server {name} already exists (loop)"));
        }
        let id = self.world.net.new_server_id();
        if let (Some(token), Some(link)) = (token, self.world.links.get_mut(&self.peer)) {
            link.tokens.insert(token, id);
        }
        let server = Server {
            id,
            name: name.as_str().into(),
            description: info,
            hopcount: hopcount.unwrap_or(2).max(2),
            uplink: Some(uplink),
            via: Some(self.peer),
        };
        self.emit(Event::ServerIntroduced(Box::new(server)));
        Verdict::Continue
    }

    /// NICK in its introduction form: a new user behind the neighbour.
    #[allow(clippy::too_many_arguments)]
    fn introduce(
        &mut self,
        source: Option<&str>,
        nick: String,
        username: String,
        host: String,
        token: u32,
        umodes: String,
        realname: String,
    ) {
        let Some(From::Server(_)) = self.source(source, "NICK") else {
            return;
        };
        let server = self
            .world
            .links
            .get(&self.peer)
            .and_then(|l| l.tokens.get(&token).copied())
            .filter(|s| self.behind(*s));
        let Some(server) = server else {
            tracing::warn!(peer = %self.peer_name(), nick, token, "NICK for an unknown server token, dropped");
            return;
        };
        if !is_valid_nick(&nick, 64) {
            tracing::warn!(peer = %self.peer_name(), nick, "NICK with an invalid nickname, dropped");
            return;
        }
        let ts = self.ts();
        let mut nick = nick;
        if let Some(existing) = self.world.net.user_by_nick(&nick) {
            let existing = existing.id;
            match self.collide(existing, &nick, server, ts) {
                Some(renamed) => nick = renamed,
                None => return,
            }
        }
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let mut user = User::new(
            Identity {
                id,
                nick,
                user: username,
                host,
                realname,
                server,
                frontend: Frontend::Irc,
            },
            now(),
        );
        if let Some(ts) = ts {
            user.nick_ts = ts;
        }
        for c in umodes.chars().filter(|c| "iowB".contains(*c)) {
            user.modes.set(c, true);
        }
        let away = umodes.contains('a');
        self.emit(Event::UserIntroduced(Box::new(user)));
        if away {
            self.away(id, Some("Away".into()));
        }
    }

    /// A nick collision between `existing` and a newcomer on `server` with
    /// nick timestamp `ts` (RFC 2813 §5.2). Returns the nick the newcomer
    /// gets, or `None` when it must not be introduced.
    fn collide(
        &mut self,
        existing: UserId,
        nick: &str,
        server: ServerId,
        ts: Option<u64>,
    ) -> Option<String> {
        let net = &self.world.net;
        let old = net.user(existing).expect("exists");
        let (Some(ts), true) = (ts, self.natter_peer()) else {
            // No timestamps: both go (RFC 2813 §5.2), here and on the peer.
            tracing::warn!(nick, peer = %self.peer_name(), "nick collision without timestamps: both killed");
            let me = self.world.server_name().to_string();
            let kill = LinkMessage::Kill {
                source: Some(me.clone()),
                nick: nick.to_string(),
                comment: "Nick collision".into(),
            };
            if let Some(link) = self.world.links.get(&self.peer) {
                link.out.push(bytes::Bytes::from(kill.to_line()));
            }
            let user = old.snapshot();
            self.world.emit_from(
                &Event::Killed {
                    by: Source::Server(LOCAL_SERVER),
                    user,
                    reason: format!("Killed ({me} (Nick collision))"),
                    comment: "Nick collision".into(),
                    at: now(),
                },
                Origin::Link(self.peer),
                None,
            );
            return None;
        };
        // The older nick keeps it; on a tie, the user of the server whose
        // name sorts first. Every server decides the same way.
        let old_key = (
            old.nick_ts,
            net.server_name(old.server).to_ascii_lowercase(),
        );
        let new_key = (ts, net.server_name(server).to_ascii_lowercase());
        if new_key < old_key {
            let renamed = collision_nick(&old.nick, &old_key.1, old.nick_ts);
            tracing::info!(
                nick,
                renamed,
                "nick collision: the existing user is newer and renamed"
            );
            let user = old.snapshot();
            // Every server renames it the same way: no line goes out.
            self.world.emit_from(
                &Event::NickChanged {
                    user,
                    new_nick: renamed,
                    at: old_key.0,
                },
                Origin::Split,
                None,
            );
            Some(nick.to_string())
        } else {
            let renamed = collision_nick(nick, &new_key.1, ts);
            tracing::info!(
                nick,
                renamed,
                "nick collision: the newcomer is newer and renamed"
            );
            Some(renamed)
        }
    }

    fn natter_peer(&self) -> bool {
        self.world
            .links
            .get(&self.peer)
            .is_some_and(|l| l.natter.is_some_and(|n| n.ts))
    }

    /// `:<old> NICK <new>`.
    fn nick_change(&mut self, source: Option<&str>, nick: String) {
        let Some(id) = self.user_source(source, "NICK") else {
            return;
        };
        if !is_valid_nick(&nick, 64) {
            return;
        }
        let ts = self.ts();
        let user = self.world.net.user(id).expect("resolved");
        let (snapshot, server) = (user.snapshot(), user.server);
        let mut nick = nick;
        if let Some(other) = self.world.net.user_by_nick(&nick).filter(|u| u.id != id) {
            let other = other.id;
            match self.collide(other, &nick, server, ts) {
                Some(renamed) => nick = renamed,
                None => {
                    // The changing user is killed on both sides too.
                    self.emit(Event::Quit {
                        user: snapshot,
                        reason: "Killed (Nick collision)".into(),
                        at: now(),
                    });
                    return;
                }
            }
        }
        self.emit(Event::NickChanged {
            user: snapshot,
            new_nick: nick,
            at: ts.unwrap_or_else(now),
        });
    }

    /// `SQUIT <server> :<comment>`: a server behind this link left.
    fn squit(&mut self, source: Option<&str>, server: &str, comment: &str) -> Verdict {
        self.source(source, "SQUIT");
        let Some(far) = self.world.net.server_by_name(server).map(|s| s.id) else {
            return Verdict::Continue;
        };
        if far == self.peer || far == LOCAL_SERVER {
            return Verdict::Close(format!("SQUIT: {comment}"));
        }
        if !self.behind(far) {
            tracing::warn!(peer = %self.peer_name(), server, "SQUIT for a server in another direction, dropped");
            return Verdict::Continue;
        }
        let near = self
            .world
            .net
            .server(far)
            .and_then(|s| s.uplink)
            .map(|u| self.world.net.server_name(u).to_string())
            .unwrap_or_default();
        split(
            self.world,
            far,
            &format!("{near} {server}"),
            Origin::Link(self.peer),
        );
        Verdict::Continue
    }

    /// `NJOIN <channel> :<members>`: members of a channel in a burst.
    fn njoin(&mut self, source: Option<&str>, channel: &str, members: &[NjoinMember]) {
        let Some(from) = self.source(source, "NJOIN") else {
            return;
        };
        if !is_channel_name(channel) || channel.starts_with('&') {
            return;
        }
        for m in members {
            let Some(user) = self.world.net.user_by_nick(&m.nick) else {
                continue;
            };
            if !self.behind(user.server) {
                tracing::warn!(peer = %self.peer_name(), nick = m.nick, "NJOIN of a user in another direction, dropped");
                continue;
            }
            let id = user.id;
            self.join(id, channel, m.op || m.creator, m.voice, from);
        }
    }

    /// `id` joins `channel`; on a channel that exists, a status comes as a
    /// MODE from `by`, so local members see it.
    fn join(&mut self, id: UserId, channel: &str, op: bool, voice: bool, by: From) {
        if !is_channel_name(channel) || channel.starts_with('&') {
            return;
        }
        let net = &self.world.net;
        let exists = net.channel(channel);
        if exists.is_some_and(|c| c.member(id).is_some()) {
            return;
        }
        let creates = exists.is_none();
        let at = match exists {
            Some(c) => c.created_at,
            None => self.ts().unwrap_or_else(now),
        };
        let user = net.user(id).expect("resolved").snapshot();
        let nick = user.nick.clone();
        self.emit(Event::Joined {
            user,
            channel: channel.to_string(),
            at,
            op: op && creates,
        });
        let name = match self.world.net.channel(channel) {
            Some(c) => c.name.clone(),
            None => return,
        };
        let mut changes = Vec::new();
        for (wanted, letter) in [(op && !creates, 'o'), (voice, 'v')] {
            if wanted {
                changes.push(ModeChange {
                    add: true,
                    mode: letter,
                    arg: Some(ModeArg::Member(id, nick.clone())),
                });
            }
        }
        if !changes.is_empty() {
            let by = self.event_source(by);
            self.emit(Event::ChannelModeChanged {
                by,
                channel: name,
                changes,
                at: now(),
            });
        }
    }

    /// MODE on a channel or on a user of the neighbour.
    fn mode(&mut self, source: Option<&str>, target: &str, modes: &str, args: &[String]) {
        let Some(from) = self.source(source, "MODE") else {
            return;
        };
        if !is_channel_name(target) {
            // A user's own modes (ngIRCd's +a/-a is away).
            let From::User(id) = from else {
                return;
            };
            if self
                .world
                .net
                .user(id)
                .is_none_or(|u| !u.nick.eq_ignore_ascii_case(target))
            {
                return;
            }
            let mut add = true;
            let mut changes = Vec::new();
            for c in modes.chars() {
                match c {
                    '+' | '-' => add = c == '+',
                    'a' => self.away(id, add.then(|| "Away".to_string())),
                    'i' | 'o' | 'w' | 'B' => changes.push(ModeChange {
                        add,
                        mode: c,
                        arg: None,
                    }),
                    _ => {}
                }
            }
            if !changes.is_empty() {
                let nick = self.world.net.user(id).expect("resolved").nick.clone();
                self.emit(Event::UserModeChanged { id, nick, changes });
            }
            return;
        }
        let Some(chan) = self.world.net.channel(target) else {
            return;
        };
        let channel = chan.name.clone();
        let changes = channel_changes(&self.world.net, modes, args);
        if changes.is_empty() {
            return;
        }
        let by = self.event_source(from);
        self.emit(Event::ChannelModeChanged {
            by,
            channel,
            changes,
            at: now(),
        });
    }

    /// ngIRCd's CHANINFO: a channel's modes and topic in its burst.
    fn chaninfo(
        &mut self,
        source: Option<&str>,
        channel: &str,
        modes: &str,
        key: Option<String>,
        limit: Option<u64>,
        topic: Option<String>,
    ) {
        let Some(from) = self.source(source, "CHANINFO") else {
            return;
        };
        let Some(chan) = self.world.net.channel(channel) else {
            return;
        };
        let name = chan.name.clone();
        let had_topic = chan.topic.is_some();
        let mut changes = Vec::new();
        for c in modes.chars().filter(|c| "Cimnst".contains(*c)) {
            changes.push(ModeChange {
                add: true,
                mode: c,
                arg: None,
            });
        }
        if let Some(key) = key {
            changes.push(ModeChange {
                add: true,
                mode: 'k',
                arg: Some(ModeArg::Text(key)),
            });
        }
        if let Some(limit) = limit {
            changes.push(ModeChange {
                add: true,
                mode: 'l',
                arg: Some(ModeArg::Text(limit.to_string())),
            });
        }
        let by = self.event_source(from);
        if !changes.is_empty() {
            self.emit(Event::ChannelModeChanged {
                by: by.clone(),
                channel: name.clone(),
                changes,
                at: now(),
            });
        }
        if let (Some(text), false) = (topic, had_topic) {
            let setter = self.world.net.server_name(self.peer).to_string();
            self.emit(Event::TopicChanged {
                by,
                channel: name,
                topic: Some(Topic {
                    text,
                    setter,
                    set_at: now(),
                }),
            });
        }
    }

    /// PRIVMSG or NOTICE from a user behind the link.
    fn message(&mut self, source: Option<&str>, kind: MessageKind, target: &str, text: String) {
        let Some(id) = self.user_source(source, kind.command()) else {
            return;
        };
        self.deliver(id, kind, target, text);
    }

    fn deliver(&mut self, id: UserId, kind: MessageKind, target: &str, text: String) {
        let net = &self.world.net;
        let (status, bare) = match target.chars().next() {
            Some(s @ ('@' | '+')) if is_channel_name(&target[1..]) => (Some(s), &target[1..]),
            _ => (None, target),
        };
        let to = if is_channel_name(bare) {
            match net.channel(bare) {
                Some(c) => MessageTarget::Channel {
                    name: c.name.clone(),
                    status,
                },
                None => return,
            }
        } else {
            // `nick` or `nick@server` (RFC 2812 §3.3.1).
            let nick = bare.split('@').next().unwrap_or(bare);
            match net.user_by_nick(nick) {
                Some(u) => MessageTarget::User(u.id),
                None => return,
            }
        };
        let msgid = match self.tag("msgid") {
            Some(m) if !m.is_empty() => m.to_string(),
            _ => self.world.next_msgid(),
        };
        let client_tags = self.client_tags();
        let from = self.world.net.user(id).expect("resolved").snapshot();
        self.emit(Event::Message {
            from,
            kind,
            target: to,
            text,
            tags: client_tags,
            msgid,
            at: now(),
        });
    }

    /// The client-only tags (`+name[=value]`) a natter neighbour relayed.
    fn client_tags(&self) -> String {
        let mut out = String::new();
        for tag in self.tags.iter().filter(|t| t.key.starts_with('+')) {
            if !out.is_empty() {
                out.push(';');
            }
            out.push_str(&tag.key);
            if let Some(v) = &tag.value {
                out.push('=');
                natter_proto::message::escape_tag_value(v, &mut out);
            }
        }
        out
    }

    fn away(&mut self, id: UserId, message: Option<String>) {
        let user = self.world.net.user(id).expect("resolved");
        if user.away == message {
            return;
        }
        let user = user.snapshot();
        self.emit(Event::AwayChanged { user, message });
    }

    /// Commands the link grammar leaves as they are: natter's extensions
    /// (TAGMSG, SETNAME, CHGHOST, KNOCK); ngIRCd's numerics and METADATA
    /// are ignored.
    fn other(&mut self, m: &Message) {
        let source = m.source.as_deref();
        match m.command.as_str() {
            "TAGMSG" => {
                let (Some(id), Some(target)) = (self.user_source(source, "TAGMSG"), m.param(0))
                else {
                    return;
                };
                self.deliver(id, MessageKind::Tagmsg, target, String::new());
            }
            "SETNAME" => {
                let (Some(id), Some(realname)) = (self.user_source(source, "SETNAME"), m.param(0))
                else {
                    return;
                };
                let user = self.world.net.user(id).expect("resolved").snapshot();
                self.emit(Event::RealnameChanged {
                    user,
                    realname: realname.to_string(),
                });
            }
            "CHGHOST" => {
                let (Some(id), Some(username), Some(host)) =
                    (self.user_source(source, "CHGHOST"), m.param(0), m.param(1))
                else {
                    return;
                };
                let user = self.world.net.user(id).expect("resolved").snapshot();
                self.emit(Event::HostChanged {
                    user,
                    username: username.to_string(),
                    host: host.to_string(),
                });
            }
            "KNOCK" => {
                let (Some(id), Some(channel)) = (self.user_source(source, "KNOCK"), m.param(0))
                else {
                    return;
                };
                let Some(chan) = self.world.net.channel(channel) else {
                    return;
                };
                let channel = chan.name.clone();
                let user = self.world.net.user(id).expect("resolved").snapshot();
                let text = m.param(1).unwrap_or("").to_string();
                self.emit(Event::Knocked {
                    user,
                    channel,
                    text,
                });
            }
            _ => {}
        }
    }
}

/// The changes of a channel MODE from a link: `o`/`v` name members by nick,
/// list modes, `k` and `+l` take arguments; letters natter does not know
/// are left out.
fn channel_changes(net: &natter_model::Network, modes: &str, args: &[String]) -> Vec<ModeChange> {
    let mut args = args.iter();
    let mut add = true;
    let mut changes = Vec::new();
    for c in modes.chars() {
        match c {
            '+' | '-' => add = c == '+',
            'o' | 'v' => {
                let Some(nick) = args.next() else { break };
                if let Some(u) = net.user_by_nick(nick) {
                    changes.push(ModeChange {
                        add,
                        mode: c,
                        arg: Some(ModeArg::Member(u.id, u.nick.clone())),
                    });
                }
            }
            'b' | 'e' | 'I' | 'k' => {
                let Some(arg) = args.next() else { break };
                changes.push(ModeChange {
                    add,
                    mode: c,
                    arg: Some(ModeArg::Text(arg.clone())),
                });
            }
            'l' if add => {
                let Some(arg) = args.next() else { break };
                changes.push(ModeChange {
                    add,
                    mode: c,
                    arg: Some(ModeArg::Text(arg.clone())),
                });
            }
            'C' | 'i' | 'l' | 'm' | 'n' | 's' | 't' => changes.push(ModeChange {
                add,
                mode: c,
                arg: None,
            }),
            // Other servers' modes with an argument would shift the rest.
            'h' | 'q' | 'a' | 'O' => {
                args.next();
            }
            _ => {}
        }
    }
    changes
}

/// Removes server `far` and everything behind it: each of their users
/// quits with `reason` (shown only to this server's clients, every server
/// makes its own), then the servers go, passed on as SQUIT per `origin`.
pub fn split(world: &mut World, far: ServerId, reason: &str, origin: Origin) {
    let servers = world.net.servers_behind(far);
    let users: Vec<natter_model::UserRef> = world
        .net
        .users()
        .filter(|u| servers.contains(&u.server))
        .map(|u| u.snapshot())
        .collect();
    let at = now();
    for user in users {
        world.emit_from(
            &Event::Quit {
                user,
                reason: reason.to_string(),
                at,
            },
            Origin::Split,
            None,
        );
    }
    world.emit_from(
        &Event::ServerSplit {
            server: far,
            reason: reason.to_string(),
        },
        origin,
        None,
    );
}

/// The nick a collision's loser gets: its nick (shortened) and a short
/// hash of its nick, server and timestamp, the same on every server
/// (FNV-1a, stable across builds).
pub fn collision_nick(nick: &str, server: &str, ts: u64) -> String {
    let mut hash: u64 = 0xcbf29ce484222325;
    for b in nick
        .to_ascii_lowercase()
        .bytes()
        .chain(server.bytes())
        .chain(ts.to_le_bytes())
    {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x100000001b3);
    }
    let short: String = nick.chars().take(20).collect();
    format!("{short}-{:05x}", hash & 0xfffff)
}

fn message_name(m: &LinkMessage) -> &'static str {
    match m {
        LinkMessage::Pass { .. } => "PASS",
        LinkMessage::Server { .. } => "SERVER",
        LinkMessage::Nick { .. } | LinkMessage::NickChange { .. } => "NICK",
        LinkMessage::Quit { .. } => "QUIT",
        LinkMessage::Squit { .. } => "SQUIT",
        LinkMessage::Njoin { .. } => "NJOIN",
        LinkMessage::Mode { .. } => "MODE",
        LinkMessage::Topic { .. } => "TOPIC",
        LinkMessage::Join { .. } => "JOIN",
        LinkMessage::Part { .. } => "PART",
        LinkMessage::Kick { .. } => "KICK",
        LinkMessage::Invite { .. } => "INVITE",
        LinkMessage::Privmsg { .. } => "PRIVMSG",
        LinkMessage::Notice { .. } => "NOTICE",
        LinkMessage::Kill { .. } => "KILL",
        LinkMessage::Wallops { .. } => "WALLOPS",
        LinkMessage::Away { .. } => "AWAY",
        LinkMessage::Ping { .. } => "PING",
        LinkMessage::Pong { .. } => "PONG",
        LinkMessage::Error { .. } => "ERROR",
        LinkMessage::ChanInfo { .. } => "CHANINFO",
        LinkMessage::Other(_) => "other",
    }
}
