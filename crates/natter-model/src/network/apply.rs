//! [`Network::apply`]: the one path by which every change a user or a link
//! makes reaches the network state, one method per event, and the
//! bookkeeping those share (mode counters, membership, invitations,
//! WHOWAS).
//!
//! Only `apply` here is public, so every such change reaches the fan-out.
//! The other public methods that change the state are set-up and
//! bookkeeping outside any event (`mod.rs`): nick reservations before
//! registration, server ids, restoring stored channels at start-up.

use natter_proto::casemap::fold;

use super::{whowas_entry, Network, WhowasEntry};
use crate::channel::{Channel, ListEntry, Membership};
use crate::event::{Event, MessageTarget, ModeArg, ModeChange};
use crate::server::LOCAL_SERVER;
use crate::user::{Frontend, User, UserId};

impl Network {
    /// Applies `event` to the state and returns this server's users it
    /// must be shown to (each once; remote users are reached through their
    /// servers' links, and the fan-out delivers only to local ones). Events
    /// are expected to be valid: the front end has already checked
    /// permissions and existence; an event naming a user or channel that is
    /// gone changes nothing and is shown to no one.
    pub fn apply(&mut self, event: &Event) -> Vec<UserId> {
        match event {
            Event::ServerIntroduced(server) => {
                self.servers.insert(server.id, (**server).clone());
                Vec::new()
            }
            Event::ServerSplit { server, .. } => {
                for id in self.servers_behind(*server) {
                    if id != LOCAL_SERVER {
                        self.servers.remove(&id);
                    }
                }
                Vec::new()
            }
            Event::UserIntroduced(user) => {
                self.user_introduced(user);
                Vec::new()
            }
            Event::NickChanged { user, new_nick, at } => self.nick_changed(user.id, new_nick, *at),
            Event::Joined {
                user,
                channel,
                at,
                op,
            } => self.joined(user.id, channel, *at, *op),
            Event::Parted { user, channel, .. } => {
                let to = self.members_of(channel);
                self.remove_member(&fold(channel), user.id);
                to
            }
            Event::Kicked {
                channel, target, ..
            } => {
                let to = self.members_of(channel);
                self.remove_member(&fold(channel), *target);
                to
            }
            Event::Quit { user, at, .. } | Event::Killed { user, at, .. } => {
                self.user_left(user.id, *at)
            }
            Event::TopicChanged { channel, topic, .. } => {
                let Some(chan) = self.channels.get_mut(&fold(channel)) else {
                    return Vec::new();
                };
                chan.topic = topic.clone();
                chan.local.iter().copied().collect()
            }
            Event::ChannelModeChanged {
                by,
                channel,
                changes,
                at,
            } => {
                let key = fold(channel);
                let setter = self.source_name(by);
                for change in changes {
                    self.apply_channel_mode(&key, &setter, change, *at);
                }
                self.members_of(channel)
            }
            Event::UserModeChanged { id, changes, .. } => {
                let Some(user) = self.users.get_mut(id) else {
                    return Vec::new();
                };
                let before = user.modes;
                for c in changes {
                    user.modes.set(c.mode, c.add);
                }
                let after = user.modes;
                self.count_modes(&before, -1);
                self.count_modes(&after, 1);
                vec![*id]
            }
            Event::Message {
                from,
                target,
                at_ms,
                ..
            } => self.message(from.id, target, *at_ms),
            Event::Invited {
                target, channel, ..
            } => {
                let mut to = vec![*target];
                let key = fold(channel);
                if let Some(chan) = self.channels.get_mut(&key) {
                    chan.invited.insert(*target);
                    to.extend(chan.members.iter().filter(|(_, m)| m.op).map(|(&id, _)| id));
                    self.note_invite(*target, key);
                }
                to
            }
            Event::RealnameChanged { user, realname } => {
                self.user_changed(user.id, true, |u| u.realname = realname.clone())
            }
            Event::HostChanged {
                user,
                username,
                host,
            } => self.user_changed(user.id, true, |u| {
                u.user = username.clone();
                u.host = host.clone();
            }),
            Event::AwayChanged { user, message } => {
                self.user_changed(user.id, false, |u| u.away = message.clone())
            }
            Event::AccountChanged { user, account } => {
                self.user_changed(user.id, false, |u| u.account = account.clone())
            }
            Event::AccountRegistered { .. }
            | Event::AccountDropped { .. }
            | Event::ServerBanSet { .. }
            | Event::ServerBanLifted { .. } => Vec::new(),
            Event::ChannelRegistered {
                channel,
                registered,
                at,
            } => {
                self.channel_registered(channel, *registered, *at);
                Vec::new()
            }
            Event::Knocked { channel, .. } => self
                .channels
                .get(&fold(channel))
                .map(|chan| {
                    let ops = chan.members.iter().filter(|(_, m)| m.op);
                    ops.map(|(&id, _)| id).collect()
                })
                .unwrap_or_default(),
            Event::Wallops { .. } => self
                .users
                .values()
                .filter(|u| u.modes.wallops)
                .map(|u| u.id)
                .collect(),
        }
    }

    fn user_introduced(&mut self, user: &User) {
        self.drop_reservation(user.id);
        self.nicks.insert(fold(&user.nick), user.id);
        self.count_modes(&user.modes, 1);
        self.users.insert(user.id, Box::new(user.clone()));
        if user.frontend == Frontend::Service {
            self.services += 1;
            return;
        }
        self.max_users_seen = self.max_users_seen.max(self.users.len() - self.services);
        if user.server == LOCAL_SERVER {
            self.local_users += 1;
            self.max_local_users_seen = self.max_local_users_seen.max(self.local_users);
        }
    }

    /// `id` is now `new_nick` (at Unix time `at`); shown to it and its peers.
    fn nick_changed(&mut self, id: UserId, new_nick: &str, at: u64) -> Vec<UserId> {
        let Some(user) = self.users.get_mut(&id) else {
            return Vec::new();
        };
        let old = std::mem::replace(&mut user.nick, new_nick.to_string());
        // A change of case only keeps the nick's age.
        if fold(&old) != fold(new_nick) {
            user.nick_ts = at;
        }
        let entry = whowas_entry(&self.servers, user, &old, at);
        self.nicks.remove(&fold(&old));
        self.nicks.insert(fold(new_nick), id);
        self.remember(entry);
        let mut to = self.peers(id);
        to.push(id);
        to
    }

    /// `id` joins `channel` (made at `at` if new; a channel keeps the
    /// oldest creation time it hears of), as an operator with `op`.
    fn joined(&mut self, id: UserId, channel: &str, at: u64, op: bool) -> Vec<UserId> {
        let key = fold(channel);
        let Some(user) = self.users.get_mut(&id) else {
            return Vec::new();
        };
        user.channels.insert(key.clone());
        let local = user.server == LOCAL_SERVER;
        if let Some(invites) = user.invited_to.as_mut() {
            invites.retain(|k| *k != key);
            if invites.is_empty() {
                user.invited_to = None;
            }
        }
        let chan = self
            .channels
            .entry(key)
            .or_insert_with(|| Channel::new(channel, at));
        // A join from a link may carry an older creation time (a
        // timestamp merge): the channel takes the oldest.
        chan.created_at = chan.created_at.min(at);
        chan.members.insert(id, Membership { op, voice: false });
        if local {
            chan.local.insert(id);
        }
        chan.invited.remove(&id);
        chan.local.iter().copied().collect()
    }

    /// `id` quit or was killed at `at`: it leaves every channel and
    /// invitation, and WHOWAS remembers it; shown to its peers.
    fn user_left(&mut self, id: UserId, at: u64) -> Vec<UserId> {
        let to = self.peers(id);
        let Some(user) = self.users.remove(&id) else {
            return Vec::new();
        };
        self.count_modes(&user.modes, -1);
        for key in &user.channels {
            self.remove_member(key, id);
        }
        for key in user.invited_to.iter().flat_map(|i| i.iter()) {
            if let Some(chan) = self.channels.get_mut(key) {
                chan.invited.remove(&id);
            }
        }
        self.nicks.remove(&fold(&user.nick));
        if user.frontend == Frontend::Service {
            self.services -= 1;
        } else if user.server == LOCAL_SERVER {
            self.local_users -= 1;
        }
        self.remember(whowas_entry(&self.servers, &user, &user.nick, at));
        to
    }

    /// A message from `from` (sent at `at_ms`, Unix milliseconds): its
    /// recipients (the channel's members with the status it names, or the
    /// user), and the sender itself for echo-message.
    fn message(&mut self, from: UserId, target: &MessageTarget, at_ms: u64) -> Vec<UserId> {
        if let Some(u) = self.users.get_mut(&from) {
            u.last_active = at_ms / 1000;
        }
        let mut to: Vec<UserId> = match target {
            MessageTarget::User(to) if self.users.contains_key(to) => vec![*to],
            MessageTarget::User(_) => return Vec::new(),
            MessageTarget::Channel { name, status } => {
                let Some(chan) = self.channels.get(&fold(name)) else {
                    return Vec::new();
                };
                chan.members
                    .iter()
                    .filter(|(&m, ms)| m != from && status.is_none_or(|s| ms.has_status(s)))
                    .map(|(&m, _)| m)
                    .collect()
            }
        };
        if !to.contains(&from) {
            to.push(from);
        }
        to
    }

    /// Changes user `id` with `change`; shown to its peers, and to the user
    /// too with `and_self`.
    fn user_changed(
        &mut self,
        id: UserId,
        and_self: bool,
        change: impl FnOnce(&mut User),
    ) -> Vec<UserId> {
        let Some(user) = self.users.get_mut(&id) else {
            return Vec::new();
        };
        change(user);
        let mut to = self.peers(id);
        if and_self {
            to.push(id);
        }
        to
    }

    /// `channel` is registered (kept while empty) or no longer; a channel
    /// registered before anyone joined it is made at `at`.
    fn channel_registered(&mut self, channel: &str, registered: bool, at: u64) {
        let key = fold(channel);
        if registered {
            self.channels
                .entry(key)
                .or_insert_with(|| Channel::new(channel, at))
                .registered = true;
        } else if let Some(chan) = self.channels.get_mut(&key) {
            chan.registered = false;
            if chan.members.is_empty() {
                self.channels.remove(&key);
            }
        }
    }

    /// Adds (`sign` 1) or removes (-1) a user's modes from the counters.
    fn count_modes(&mut self, modes: &crate::user::UserModes, sign: isize) {
        if modes.invisible {
            self.invisible = self.invisible.saturating_add_signed(sign);
        }
        if modes.oper {
            self.opers = self.opers.saturating_add_signed(sign);
        }
    }

    fn members_of(&self, channel: &str) -> Vec<UserId> {
        self.channels
            .get(&fold(channel))
            .map(|c| c.local.iter().copied().collect())
            .unwrap_or_default()
    }

    /// Records that `id` was invited to channel `key`: its invitations
    /// stay at most [`MAX_INVITES`](crate::user::MAX_INVITES), the oldest
    /// going first.
    fn note_invite(&mut self, id: UserId, key: String) {
        let Some(user) = self.users.get_mut(&id) else {
            return;
        };
        let invites = user.invited_to.get_or_insert_default();
        invites.retain(|k| *k != key);
        invites.push_back(key);
        if invites.len() > crate::user::MAX_INVITES {
            if let Some(oldest) = invites.pop_front() {
                if let Some(chan) = self.channels.get_mut(&oldest) {
                    chan.invited.remove(&id);
                }
            }
        }
    }

    /// Removes `id` from the channel with folded name `key`, destroying the
    /// channel when it empties.
    fn remove_member(&mut self, key: &str, id: UserId) {
        if let Some(user) = self.users.get_mut(&id) {
            user.channels.remove(key);
        }
        if let Some(chan) = self.channels.get_mut(key) {
            chan.members.remove(&id);
            chan.local.remove(&id);
            if chan.members.is_empty() && !chan.registered {
                self.channels.remove(key);
            }
        }
    }

    /// Applies one change to channel `key`; `setter` is the nick (or server
    /// name) list entries record.
    fn apply_channel_mode(&mut self, key: &str, setter: &str, change: &ModeChange, at: u64) {
        let target = match &change.arg {
            Some(ModeArg::Member(id, _)) => Some(*id),
            _ => None,
        };
        let Some(chan) = self.channels.get_mut(key) else {
            return;
        };
        let arg = match &change.arg {
            Some(ModeArg::Text(text)) => Some(text.clone()),
            _ => None,
        };
        match change.mode {
            'o' | 'v' => {
                if let Some(m) = target.and_then(|t| chan.members.get_mut(&t)) {
                    if change.mode == 'o' {
                        m.op = change.add;
                    } else {
                        m.voice = change.add;
                    }
                }
            }
            'b' | 'e' | 'I' => {
                let Some(mask) = arg else { return };
                let list = chan.list_mut(change.mode);
                let folded = fold(&mask);
                list.retain(|b| fold(&b.mask) != folded);
                if change.add {
                    list.push(ListEntry {
                        mask,
                        setter: setter.to_string(),
                        set_at: at,
                    });
                }
            }
            'k' => chan.modes.key = if change.add { arg } else { None },
            'l' => {
                chan.modes.limit = if change.add {
                    arg.and_then(|a| a.parse().ok())
                } else {
                    None
                }
            }
            flag => {
                chan.modes.set_flag(flag, change.add);
            }
        }
    }

    fn remember(&mut self, entry: WhowasEntry) {
        if self.whowas_len == 0 {
            return;
        }
        if self.whowas.len() >= self.whowas_len {
            self.whowas.pop_front();
        }
        self.whowas.push_back(entry);
    }
}
