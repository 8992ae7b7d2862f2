//! The network state and [`Network::apply`], the single place it changes.

use std::collections::{HashMap, VecDeque};

use natter_proto::casemap::fold;

use crate::channel::{Channel, ListEntry, Membership};
use crate::event::{Event, MessageTarget, ModeArg, ModeChange, Source};
use crate::server::{Server, ServerId, LOCAL_SERVER};
use crate::user::{Frontend, User, UserId, UserMap};

/// A nick that another user already holds or has reserved (ERR_NICKNAMEINUSE).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NickInUse;

/// A former user, kept for WHOWAS (RFC 2812 3.6.3).
#[derive(Debug, Clone)]
pub struct WhowasEntry {
    /// The nick they had.
    pub nick: String,
    /// Username.
    pub user: String,
    /// Host, as others saw it (the cloak of a cloaked user).
    pub host: String,
    /// The real address, shown to operators only (see [`User::real_host`]).
    pub real_host: String,
    /// Real name.
    pub realname: String,
    /// Their server's name.
    pub server: std::sync::Arc<str>,
    /// Unix time (seconds) they stopped using the nick.
    pub at: u64,
}

/// Everything the network knows: users, nicks and channels.
#[derive(Debug)]
pub struct Network {
    /// Boxed: a hash table keeps room for up to twice its entries (it
    /// doubles), and a User is 248 bytes; a slot is then 16 (the id and a
    /// pointer).
    users: UserMap<Box<User>>,
    /// Folded nick -> holder. Also holds reservations by clients that have
    /// sent NICK but not finished registering, so two of them cannot race
    /// to the same nick.
    nicks: HashMap<String, UserId>,
    /// Unregistered id -> the folded nick it reserved.
    reserved: UserMap<String>,
    /// Users with +i and with +o, kept for LUSERS without a scan.
    invisible: usize,
    opers: usize,
    channels: HashMap<String, Channel>,
    whowas: VecDeque<WhowasEntry>,
    whowas_len: usize,
    max_users_seen: usize,
    servers: HashMap<ServerId, Server>,
    next_server: ServerId,
    /// Users of this server, kept for LUSERS without a scan.
    local_users: usize,
    max_local_users_seen: usize,
    /// Service users ([`Frontend::Service`]), left out of the counts.
    services: usize,
}

impl Default for Network {
    fn default() -> Self {
        Network::new(Server::local("natter.local", "natter"), 1000)
    }
}

impl Network {
    /// A network of one server, `local` (this server, whose id must be
    /// [`LOCAL_SERVER`]), with no users, remembering up to `whowas_len`
    /// former nicks.
    pub fn new(local: Server, whowas_len: usize) -> Network {
        debug_assert_eq!(local.id, LOCAL_SERVER);
        Network {
            servers: HashMap::from([(LOCAL_SERVER, local)]),
            next_server: LOCAL_SERVER + 1,
            local_users: 0,
            max_local_users_seen: 0,
            services: 0,
            users: UserMap::default(),
            nicks: HashMap::new(),
            channels: HashMap::new(),
            whowas: VecDeque::new(),
            whowas_len,
            max_users_seen: 0,
            reserved: UserMap::default(),
            invisible: 0,
            opers: 0,
        }
    }

    // ---- nick reservations (before registration) ----

    /// Reserves `nick` for the unregistered client `id`, dropping any nick it
    /// reserved before. Fails with [`NickInUse`] when someone else holds it.
    pub fn reserve_nick(&mut self, id: UserId, nick: &str) -> Result<(), NickInUse> {
        let key = fold(nick);
        match self.nicks.get(&key) {
            Some(&holder) if holder != id => return Err(NickInUse),
            _ => {}
        }
        self.drop_reservation(id);
        self.nicks.insert(key.clone(), id);
        self.reserved.insert(id, key);
        Ok(())
    }

    /// Forgets what `id` reserved before registering (O(1): registration of
    /// thousands of clients must not scan every nick).
    fn drop_reservation(&mut self, id: UserId) {
        if let Some(key) = self.reserved.remove(&id) {
            if self.nicks.get(&key) == Some(&id) {
                self.nicks.remove(&key);
            }
        }
    }

    /// Drops the reservation of an unregistered client that went away.
    pub fn release_nick(&mut self, id: UserId) {
        if !self.users.contains_key(&id) {
            self.drop_reservation(id);
        }
    }

    /// Whether `nick` is free for `id` (free, or already held by `id`).
    pub fn nick_available(&self, id: UserId, nick: &str) -> bool {
        self.nicks.get(&fold(nick)).is_none_or(|&h| h == id)
    }

    // ---- queries ----

    /// A registered user by id.
    pub fn user(&self, id: UserId) -> Option<&User> {
        self.users.get(&id).map(|u| &**u)
    }

    /// A registered user by nick (casemapped).
    pub fn user_by_nick(&self, nick: &str) -> Option<&User> {
        self.nicks
            .get(&fold(nick))
            .and_then(|id| self.users.get(id))
            .map(|u| &**u)
    }

    /// All registered users, in no particular order.
    pub fn users(&self) -> impl Iterator<Item = &User> {
        self.users.values().map(|u| &**u)
    }

    /// Number of registered users.
    pub fn user_count(&self) -> usize {
        self.users.len() - self.services
    }

    /// Users with mode +i (LUSERS), kept up to date without a scan.
    pub fn invisible_count(&self) -> usize {
        self.invisible
    }

    /// Users with mode +o (LUSERS), kept up to date without a scan.
    pub fn oper_count(&self) -> usize {
        self.opers
    }

    /// The most users registered at once since start.
    pub fn max_users_seen(&self) -> usize {
        self.max_users_seen
    }

    /// Puts `channel` (a registered channel read from the store at start,
    /// with no members) into the network, replacing any of that name.
    pub fn restore_channel(&mut self, channel: Channel) {
        self.channels.insert(fold(&channel.name), channel);
    }

    /// Users of this server (LUSERS RPL_LOCALUSERS), without a scan.
    pub fn local_user_count(&self) -> usize {
        self.local_users
    }

    /// The most users this server had at once since start.
    pub fn max_local_users_seen(&self) -> usize {
        self.max_local_users_seen
    }

    // ---- servers ----

    /// A server by id.
    pub fn server(&self, id: ServerId) -> Option<&Server> {
        self.servers.get(&id)
    }

    /// This server.
    pub fn local_server(&self) -> &Server {
        &self.servers[&LOCAL_SERVER]
    }

    /// A fresh id for a server about to be introduced.
    pub fn new_server_id(&mut self) -> ServerId {
        let id = self.next_server;
        self.next_server += 1;
        id
    }

    /// Changes this server's description (REHASH).
    pub fn set_local_description(&mut self, description: &str) {
        if let Some(me) = self.servers.get_mut(&LOCAL_SERVER) {
            me.description = description.to_string();
        }
    }

    /// Every server, this one included, in no particular order.
    pub fn servers(&self) -> impl Iterator<Item = &Server> {
        self.servers.values()
    }

    /// Server `id` and every server behind it (those that reach this server
    /// through it), `id` first.
    pub fn servers_behind(&self, id: ServerId) -> Vec<ServerId> {
        let mut found = vec![id];
        let mut i = 0;
        while i < found.len() {
            let parent = found[i];
            found.extend(
                self.servers
                    .values()
                    .filter(|s| s.uplink == Some(parent))
                    .map(|s| s.id),
            );
            i += 1;
        }
        found
    }

    /// A server by name (case-insensitive, RFC 2813 server names).
    pub fn server_by_name(&self, name: &str) -> Option<&Server> {
        self.servers
            .values()
            .find(|s| s.name.eq_ignore_ascii_case(name))
    }

    /// The users of server `id`.
    pub fn users_of(&self, id: ServerId) -> impl Iterator<Item = &User> {
        self.users
            .values()
            .map(|u| &**u)
            .filter(move |u| u.server == id)
    }

    /// The name of server `id`, `*` for one not known.
    pub fn server_name(&self, id: ServerId) -> &str {
        self.servers.get(&id).map_or("*", |s| &s.name)
    }

    /// A channel by name (casemapped).
    pub fn channel(&self, name: &str) -> Option<&Channel> {
        self.channels.get(&fold(name))
    }

    /// All channels, in no particular order.
    pub fn channels(&self) -> impl Iterator<Item = &Channel> {
        self.channels.values()
    }

    /// Number of channels.
    pub fn channel_count(&self) -> usize {
        self.channels.len()
    }

    /// The channels `id` is in.
    pub fn channels_of(&self, id: UserId) -> impl Iterator<Item = &Channel> {
        self.users
            .get(&id)
            .into_iter()
            .flat_map(|u| u.channels.iter())
            .filter_map(|key| self.channels.get(key))
    }

    /// Whether users `a` and `b` share at least one channel.
    pub fn share_channel(&self, a: UserId, b: UserId) -> bool {
        self.channels_of(a).any(|c| c.members.contains_key(&b))
    }

    /// This server's users sharing a channel with `id`, without `id`,
    /// each once (remote users are reached through their servers).
    pub fn peers(&self, id: UserId) -> Vec<UserId> {
        let mut out: Vec<UserId> = self
            .channels_of(id)
            .flat_map(|c| c.local.iter().copied())
            .filter(|&m| m != id)
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    /// WHOWAS entries for `nick`, newest first.
    pub fn whowas(&self, nick: &str) -> impl Iterator<Item = &WhowasEntry> {
        let key = fold(nick);
        self.whowas
            .iter()
            .rev()
            .filter(move |e| fold(&e.nick) == key)
    }

    // ---- the one path for changes ----

    /// Applies `event` to the state and returns this server's users it
    /// must be shown to (each once; remote users are reached through their
    /// servers' links, and the fan-out delivers only to local ones). Events are expected to be valid: the front end has
    /// already checked permissions and existence; an event naming a user or
    /// channel that is gone changes nothing and is shown to no one.
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
                self.drop_reservation(user.id);
                self.nicks.insert(fold(&user.nick), user.id);
                self.count_modes(&user.modes, 1);
                self.users.insert(user.id, Box::new((**user).clone()));
                if user.frontend == Frontend::Service {
                    self.services += 1;
                    return Vec::new();
                }
                self.max_users_seen = self.max_users_seen.max(self.users.len() - self.services);
                if user.server == LOCAL_SERVER {
                    self.local_users += 1;
                    self.max_local_users_seen = self.max_local_users_seen.max(self.local_users);
                }
                Vec::new()
            }
            Event::NickChanged {
                user: who,
                new_nick,
                at,
            } => {
                let id = &who.id;
                let Some(user) = self.users.get_mut(id) else {
                    return Vec::new();
                };
                let old = std::mem::replace(&mut user.nick, new_nick.clone());
                // A change of case only keeps the nick's age.
                if fold(&old) != fold(new_nick) {
                    user.nick_ts = *at;
                }
                let entry = whowas_entry(&self.servers, user, &old, *at);
                self.nicks.remove(&fold(&old));
                self.nicks.insert(fold(new_nick), *id);
                self.remember(entry);
                let mut to = self.peers(*id);
                to.push(*id);
                to
            }
            Event::Joined {
                user: who,
                channel,
                at,
                op,
            } => {
                let id = &who.id;
                let key = fold(channel);
                let Some(user) = self.users.get_mut(id) else {
                    return Vec::new();
                };
                user.channels.insert(key.clone());
                let local = user.server == LOCAL_SERVER;
                let chan = self
                    .channels
                    .entry(key)
                    .or_insert_with(|| Channel::new(channel, *at));
                // A join from a link may carry an older creation time (a
                // timestamp merge): the channel takes the oldest.
                chan.created_at = chan.created_at.min(*at);
                chan.members.insert(
                    *id,
                    Membership {
                        op: *op,
                        voice: false,
                    },
                );
                if local {
                    chan.local.insert(*id);
                }
                chan.invited.remove(id);
                let to = chan.local.iter().copied().collect();
                if let Some(user) = self.users.get_mut(id) {
                    if let Some(invites) = user.invited_to.as_mut() {
                        invites.retain(|k| *k != fold(channel));
                        if invites.is_empty() {
                            user.invited_to = None;
                        }
                    }
                }
                to
            }
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
            Event::Quit { user: who, at, .. } | Event::Killed { user: who, at, .. } => {
                let id = &who.id;
                let to = self.peers(*id);
                let Some(user) = self.users.remove(id) else {
                    return Vec::new();
                };
                self.count_modes(&user.modes, -1);
                for key in &user.channels {
                    self.remove_member(key, *id);
                }
                for key in user.invited_to.iter().flat_map(|i| i.iter()) {
                    if let Some(chan) = self.channels.get_mut(key) {
                        chan.invited.remove(id);
                    }
                }
                self.nicks.remove(&fold(&user.nick));
                if user.frontend == Frontend::Service {
                    self.services -= 1;
                } else if user.server == LOCAL_SERVER {
                    self.local_users -= 1;
                }
                self.remember(whowas_entry(&self.servers, &user, &user.nick, *at));
                to
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
                let setter = match by {
                    Source::User(u) => u.nick.clone(),
                    Source::Server(id) => self.server_name(*id).to_string(),
                };
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
            } => {
                let from = &from.id;
                if let Some(u) = self.users.get_mut(from) {
                    u.last_active = *at_ms / 1000;
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
                            .filter(|(&m, ms)| {
                                m != *from && status.is_none_or(|s| ms.has_status(s))
                            })
                            .map(|(&m, _)| m)
                            .collect()
                    }
                };
                if !to.contains(from) {
                    to.push(*from);
                }
                to
            }
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
            Event::RealnameChanged {
                user: who,
                realname,
            } => {
                let id = &who.id;
                let Some(user) = self.users.get_mut(id) else {
                    return Vec::new();
                };
                user.realname = realname.clone();
                let mut to = self.peers(*id);
                to.push(*id);
                to
            }
            Event::HostChanged {
                user: who,
                username,
                host,
            } => {
                let id = &who.id;
                let Some(u) = self.users.get_mut(id) else {
                    return Vec::new();
                };
                u.user = username.clone();
                u.host = host.clone();
                let mut to = self.peers(*id);
                to.push(*id);
                to
            }
            Event::AwayChanged { user: who, message } => {
                let id = &who.id;
                let Some(user) = self.users.get_mut(id) else {
                    return Vec::new();
                };
                user.away = message.clone();
                self.peers(*id)
            }
            Event::AccountChanged { user: who, account } => {
                let id = &who.id;
                let Some(user) = self.users.get_mut(id) else {
                    return Vec::new();
                };
                user.account = account.clone();
                self.peers(*id)
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
                let key = fold(channel);
                if *registered {
                    self.channels
                        .entry(key)
                        .or_insert_with(|| Channel::new(channel, *at))
                        .registered = true;
                } else if let Some(chan) = self.channels.get_mut(&key) {
                    chan.registered = false;
                    if chan.members.is_empty() {
                        self.channels.remove(&key);
                    }
                }
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

fn whowas_entry(
    servers: &HashMap<ServerId, Server>,
    user: &User,
    nick: &str,
    at: u64,
) -> WhowasEntry {
    WhowasEntry {
        nick: nick.to_string(),
        user: user.user.clone(),
        host: user.host.clone(),
        real_host: user.real_host.clone(),
        realname: user.realname.clone(),
        server: servers
            .get(&user.server)
            .map_or_else(|| std::sync::Arc::from("*"), |s| s.name.clone()),
        at,
    }
}

#[cfg(test)]
mod tests;
