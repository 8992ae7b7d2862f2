//! Channels from a link: NJOIN and JOIN (with the channel timestamp
//! merge between natter servers), MODE and ngIRCd's CHANINFO.

use super::*;

impl Inbound<'_> {
    /// `NJOIN <channel> :<members>`: members of a channel in a burst.
    pub(super) fn njoin(&mut self, source: Option<&str>, channel: &str, members: &[NjoinMember]) {
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
    ///
    /// With a natter neighbour the line carries the channel's timestamp,
    /// and the older channel's state wins (as TS6 servers do): when theirs
    /// is older, this side's operators, voices and modes are removed and
    /// the channel takes their timestamp; when ours is older, their
    /// statuses are ignored; equal timestamps merge.
    pub(super) fn join(&mut self, id: UserId, channel: &str, op: bool, voice: bool, by: From) {
        if !is_channel_name(channel) || channel.starts_with('&') {
            return;
        }
        let net = &self.world.net;
        let exists = net.channel(channel);
        if exists.is_some_and(|c| c.member(id).is_some()) {
            return;
        }
        let creates = exists.is_none();
        let ours = exists.map(|c| c.created_at);
        let theirs = self.ts();
        let (mut op, mut voice) = (op, voice);
        match (theirs, ours) {
            (Some(t), Some(o)) if t < o => self.lose_channel(channel),
            (Some(t), Some(o)) if t > o => (op, voice) = (false, false),
            _ => {}
        }
        let at = match (theirs, ours) {
            (Some(t), Some(o)) => t.min(o),
            (None, Some(o)) => o,
            (t, None) => t.unwrap_or_else(now),
        };
        let net = &self.world.net;
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

    /// This side of `channel` lost a timestamp merge: its operators and
    /// voices (the members not behind this link) and its modes go. Every
    /// server of this side does the same when the join reaches it, so the
    /// change is not passed on.
    fn lose_channel(&mut self, channel: &str) {
        let net = &self.world.net;
        let Some(chan) = net.channel(channel) else {
            return;
        };
        let mut changes = Vec::new();
        for (id, m) in &chan.members {
            let Some(user) = net.user(*id).filter(|u| !self.behind(u.server)) else {
                continue;
            };
            for (on, letter) in [(m.op, 'o'), (m.voice, 'v')] {
                if on {
                    changes.push(ModeChange {
                        add: false,
                        mode: letter,
                        arg: Some(ModeArg::Member(*id, user.nick.clone())),
                    });
                }
            }
        }
        let (flags, _) = chan.modes.render(true);
        for letter in flags.chars().skip(1) {
            changes.push(ModeChange {
                add: false,
                mode: letter,
                arg: (letter == 'k').then(|| ModeArg::Text("*".into())),
            });
        }
        if changes.is_empty() {
            return;
        }
        tracing::info!(channel, peer = %self.peer_name(), "channel timestamp merge: the other side is older");
        let event = Event::ChannelModeChanged {
            by: Source::Server(LOCAL_SERVER),
            channel: chan.name.clone(),
            changes,
            at: now(),
        };
        self.world.emit_from(&event, Origin::Split, None);
    }

    /// Whether a server's burst line about `channel` comes from a younger
    /// channel (its `ts` tag is newer than ours): such modes and topics
    /// are ignored, the older channel's state wins.
    pub(super) fn younger(&self, channel: &str) -> bool {
        let ours = self.world.net.channel(channel).map(|c| c.created_at);
        matches!((self.ts(), ours), (Some(t), Some(o)) if t > o)
    }

    /// MODE on a channel or on a user of the neighbour.
    pub(super) fn mode(
        &mut self,
        source: Option<&str>,
        target: &str,
        modes: &str,
        args: &[String],
    ) {
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
        if matches!(from, From::Server(_)) && self.younger(target) {
            return;
        }
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
    pub(super) fn chaninfo(
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
}

/// The changes of a channel MODE from a link: `o`/`v` name members by nick,
/// list modes, `k` and `+l` take arguments; letters natter does not know
/// are left out.
pub(super) fn channel_changes(
    net: &natter_model::Network,
    modes: &str,
    args: &[String],
) -> Vec<ModeChange> {
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
