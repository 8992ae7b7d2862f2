//! Channels from a link: NJOIN and JOIN (with the channel timestamp
//! merge between natter servers), MODE and ngIRCd's CHANINFO.

use super::*;
use natter_model::ChannelModes;

/// A channel's modes and topic from an ngIRCd CHANINFO, kept on the link
/// ([`crate::link::LinkEntry::chaninfo`]) when the channel is not known yet.
#[derive(Debug, Clone)]
pub struct ChanInfo {
    /// The server that sent it.
    by: ServerId,
    /// Mode letters without `+`.
    modes: String,
    key: Option<String>,
    limit: Option<u64>,
    topic: Option<String>,
}

impl ChanInfo {
    /// No modes and no topic: a channel ngIRCd created without any.
    fn none(by: ServerId) -> ChanInfo {
        ChanInfo {
            by,
            modes: String::new(),
            key: None,
            limit: None,
            topic: None,
        }
    }
}

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
        if creates && self.plain_peer() {
            // natter gave the new channel its defaults (+nt), but ngIRCd
            // creates channels without modes and, with the IRC+ `C` flag,
            // sent their modes and topic in a CHANINFO just before this
            // NJOIN: the channel gets those, or none, as on ngIRCd.
            let info = self
                .world
                .front
                .link
                .links
                .get_mut(&self.peer)
                .and_then(|l| l.chaninfo.remove(&fold(channel)));
            let peer = self.peer;
            let info = info.unwrap_or_else(|| ChanInfo::none(peer));
            self.apply_chaninfo(&name, info, true);
        }
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
            // `x` (a cloak) only from natter; its host change comes as CHGHOST.
            let natter = self.is_natter();
            for c in modes.chars() {
                match c {
                    '+' | '-' => add = c == '+',
                    'a' => self.away(id, add.then(|| "Away".to_string())),
                    c if crate::link::user_mode_crosses(c, natter) => changes.push(ModeChange {
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
        // A rejoin's burst restates modes both sides have: only what
        // changes something is shown.
        let natter = self.is_natter();
        let mut changes = channel_changes(&self.world.net, modes, args, natter);
        changes.retain(|c| changes_something(chan, c));
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

    /// ngIRCd's CHANINFO: a channel's modes and topic in its burst, sent
    /// to peers with the IRC+ `C` flag *before* the channel's NJOIN
    /// (numeric.c `IRC_Num_ENDOFMOTD`). For a channel natter does not know
    /// yet it is kept on the link until that NJOIN creates the channel
    /// ([`Inbound::join`]); on a known channel it is merged at once.
    pub(super) fn chaninfo(
        &mut self,
        source: Option<&str>,
        channel: &str,
        modes: &str,
        key: Option<String>,
        limit: Option<u64>,
        topic: Option<String>,
    ) {
        // ngIRCd takes CHANINFO from servers only (parse.c).
        let Some(From::Server(by)) = self.source(source, "CHANINFO") else {
            return;
        };
        let info = ChanInfo {
            by,
            modes: modes.to_string(),
            key,
            limit,
            topic,
        };
        if self.world.net.channel(channel).is_some() {
            self.apply_chaninfo(channel, info, false);
        } else if let Some(link) = self.world.front.link.links.get_mut(&self.peer) {
            link.chaninfo.insert(fold(channel), info);
        }
    }

    /// Applies a CHANINFO to `channel`, which exists. On a channel the
    /// peer has just `created` here, its modes become exactly the
    /// CHANINFO's (natter's defaults for a new channel go); on a channel
    /// both sides had, modes natter lacks are added and the topic is taken
    /// only if natter has none, as ngIRCd's `IRC_CHANINFO` does on its
    /// side. Changes already in effect are not repeated to local members.
    fn apply_chaninfo(&mut self, channel: &str, info: ChanInfo, created: bool) {
        let Some(chan) = self.world.net.channel(channel) else {
            return;
        };
        let name = chan.name.clone();
        let had_topic = chan.topic.is_some();
        let current = chan.modes.render(true).0;
        let natter = self.is_natter();
        let wanted: String = info
            .modes
            .chars()
            .filter(|c| ChannelModes::is_flag(*c) && crate::link::channel_mode_crosses(*c, natter))
            .collect();
        let change = |add, mode, arg| ModeChange { add, mode, arg };
        let mut changes = Vec::new();
        if created {
            for c in current.chars().filter(|c| ChannelModes::is_flag(*c)) {
                if !wanted.contains(c) {
                    changes.push(change(false, c, None));
                }
            }
        }
        for c in wanted.chars().filter(|c| !current.contains(*c)) {
            changes.push(change(true, c, None));
        }
        if let Some(key) = info.key.filter(|k| chan.modes.key.as_ref() != Some(k)) {
            changes.push(change(true, 'k', Some(ModeArg::Text(key))));
        }
        let limit = info
            .limit
            .filter(|&l| chan.modes.limit.map(|c| c as u64) != Some(l));
        if let Some(limit) = limit {
            changes.push(change(true, 'l', Some(ModeArg::Text(limit.to_string()))));
        }
        let by = if self.world.net.server(info.by).is_some() {
            Source::Server(info.by)
        } else {
            Source::Server(self.peer)
        };
        if !changes.is_empty() {
            self.emit(Event::ChannelModeChanged {
                by: by.clone(),
                channel: name.clone(),
                changes,
                at: now(),
            });
        }
        if let (Some(text), false) = (info.topic, had_topic) {
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

    /// Whether the neighbour is a plain RFC 2813 server (ngIRCd), not
    /// natter.
    fn plain_peer(&self) -> bool {
        self.world
            .front
            .link
            .links
            .get(&self.peer)
            .is_some_and(|l| l.natter.is_none())
    }

    /// JOIN: the user joins each channel, as an operator with `O` or `o`
    /// and voiced with `v` after its BEL (RFC 2813 4.2.1).
    pub(super) fn joins(
        &mut self,
        source: Option<&str>,
        channels: Vec<natter_proto::link::JoinChannel>,
    ) {
        let Some(id) = self.user_source(source, "JOIN") else {
            return;
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

    /// PART: the user leaves each channel it is in.
    pub(super) fn part(
        &mut self,
        source: Option<&str>,
        channels: Vec<String>,
        reason: Option<String>,
    ) {
        let Some(id) = self.user_source(source, "PART") else {
            return;
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

    /// KICK: `nick` is put out of `channel`, if a member.
    pub(super) fn kick(
        &mut self,
        source: Option<&str>,
        channel: &str,
        nick: &str,
        reason: Option<String>,
    ) {
        let Some(from) = self.source(source, "KICK") else {
            return;
        };
        let net = &self.world.net;
        let (Some(chan), Some(target)) = (net.channel(channel), net.user_by_nick(nick)) else {
            return;
        };
        if chan.member(target.id).is_none() {
            return;
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

    /// TOPIC: a user's change, or a server's restatement in a burst (which
    /// a younger channel, or the same topic, does not take).
    pub(super) fn topic(&mut self, source: Option<&str>, channel: &str, topic: String) {
        let Some(from) = self.source(source, "TOPIC") else {
            return;
        };
        let Some(chan) = self.world.net.channel(channel) else {
            return;
        };
        if matches!(from, From::Server(_)) && self.younger(channel) {
            return;
        }
        // A rejoin's burst restates the topic both sides have.
        let current = chan.topic.as_ref().map_or("", |t| t.text.as_str());
        if matches!(from, From::Server(_)) && current == topic {
            return;
        }
        let channel = chan.name.clone();
        let by = self.event_source(from);
        let setter = self.world.net.source_mask(&by);
        let topic = (!topic.is_empty()).then(|| Topic {
            text: topic,
            setter,
            set_at: now(),
        });
        self.emit(Event::TopicChanged { by, channel, topic });
    }

    /// INVITE: `nick` is invited to `channel`.
    pub(super) fn invite(&mut self, source: Option<&str>, nick: &str, channel: String) {
        let Some(id) = self.user_source(source, "INVITE") else {
            return;
        };
        let net = &self.world.net;
        let Some(target) = net.user_by_nick(nick) else {
            return;
        };
        // An IM conversation's channel exists only once someone
        // joined it: the invitation may name one not made yet.
        let chan = net.channel(&channel);
        // A natter peer checked; ngIRCd asks for an operator on +i only.
        if chan.is_some_and(|c| c.invitation_needs_op() && !c.member(id).is_some_and(|m| m.op)) {
            return;
        }
        let channel = chan.map_or(channel, |c| c.name.clone());
        let event = Event::Invited {
            by: net.user(id).expect("resolved").snapshot(),
            target: target.id,
            target_nick: target.nick.clone(),
            channel,
        };
        self.emit(event);
    }
}

/// The changes of a channel MODE from a link: `o`/`v` name members by nick,
/// list modes, `k` and `+l` take arguments; letters natter does not know
/// are left out.
pub(super) fn channel_changes(
    net: &natter_model::Network,
    modes: &str,
    args: &[String],
    natter: bool,
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
            c if !crate::link::channel_mode_crosses(c, natter) => {}
            c if c == 'l' || ChannelModes::is_flag(c) => changes.push(ModeChange {
                add,
                mode: c,
                arg: None,
            }),
            // Other servers' member statuses take a nick: skipped, it
            // would shift the rest (ngIRCd's `O`, opers only, is a flag).
            'h' | 'q' | 'a' => {
                args.next();
            }
            _ => {}
        }
    }
    changes
}

/// Whether `change` would change `chan` (a mode not set yet, a list entry
/// not there, a status the member lacks, and the reverse for removals).
fn changes_something(chan: &natter_model::Channel, change: &ModeChange) -> bool {
    let m = &chan.modes;
    let set = match (change.mode, &change.arg) {
        ('o' | 'v', Some(ModeArg::Member(id, _))) => match chan.member(*id) {
            Some(member) if change.mode == 'o' => member.op,
            Some(member) => member.voice,
            None => return false,
        },
        ('b' | 'e' | 'I', Some(arg)) => chan
            .list(change.mode)
            .iter()
            .any(|e| natter_proto::casemap::eq(&e.mask, arg.as_str())),
        ('k', arg) if change.add => m.key.as_deref() == arg.as_ref().map(ModeArg::as_str),
        ('k', _) => m.key.is_some(),
        ('l', arg) if change.add => {
            m.limit.map(|l| l.to_string()).as_deref() == arg.as_ref().map(ModeArg::as_str)
        }
        ('l', _) => m.limit.is_some(),
        (flag, _) => match m.flag(flag) {
            Some(on) => on,
            None => return true,
        },
    };
    // Adding what is set (the same key or limit), or removing what is
    // not, changes nothing.
    set != change.add
}
