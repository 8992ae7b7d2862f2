//! The network state and its queries; [`Network::apply`], the single
//! place it changes, is in `apply.rs` (one method per event).

use std::collections::{HashMap, VecDeque};

use natter_proto::casemap::fold;

use crate::channel::Channel;
use crate::event::Source;
use crate::server::{Server, ServerId, LOCAL_SERVER};
use crate::user::{User, UserId, UserMap};

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
    /// Service users ([`crate::Frontend::Service`]), left out of the counts.
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

    /// Who `source` is, as a mask: `nick!user@host` for a user, the name
    /// for a server (Modern IRC "Source"); what topics and KILLs record.
    pub fn source_mask(&self, source: &Source) -> String {
        match source {
            Source::User(u) => u.mask(),
            Source::Server(id) => self.server_name(*id).to_string(),
        }
    }

    /// Who `source` is, by name: a user's nick or a server's name; what
    /// list modes record as their setter.
    pub fn source_name(&self, source: &Source) -> String {
        match source {
            Source::User(u) => u.nick.clone(),
            Source::Server(id) => self.server_name(*id).to_string(),
        }
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
}

mod apply;

/// What WHOWAS keeps of `user`, who stopped using `nick` at Unix time `at`.
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
