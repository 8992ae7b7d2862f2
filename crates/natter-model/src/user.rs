//! Users: one per registered client anywhere on the network.

use crate::server::ServerId;
use std::collections::BTreeSet;

/// A network-unique, never reused identifier of a user (and of the local
/// connection that carries it, for local users).
pub type UserId = u64;

/// A map keyed by [`UserId`]. Ids are assigned by servers, never chosen by
/// clients, so a fast non-cryptographic hash is safe here (the fan-out path
/// looks one up per recipient); maps keyed by client-chosen strings keep
/// the standard, DoS-resistant hasher.
pub type UserMap<V> = rustc_hash::FxHashMap<UserId, V>;

/// A set of [`UserId`]s (see [`UserMap`]).
pub type UserSet = rustc_hash::FxHashSet<UserId>;

/// Which protocol a local user speaks; renderers use it to pick the output
/// format for an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Frontend {
    /// The IRC client protocol (RFC 2812, Modern IRC).
    Irc,
    /// The lectures' line-and-JSON instant messaging protocol.
    Im,
    /// A service of this server (NickServ, ChanServ): a user without a
    /// connection, whose messages the server answers itself. Not counted
    /// in LUSERS and not sent to server links (each server has its own).
    Service,
}

/// User modes (RFC 2812 3.1.5; `B` from the IRCv3 bot-mode spec; `x`
/// as InspIRCd's cloak module and Solanum's ip_cloaking have it; `R` as
/// Ergo, InspIRCd and UnrealIRCd have it).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UserModes {
    /// `i`: hidden from WHO/NAMES for users who share no channel.
    pub invisible: bool,
    /// `o`: an IRC operator (set only through OPER).
    pub oper: bool,
    /// `w`: receives WALLOPS.
    pub wallops: bool,
    /// `B`: marks the user as a bot.
    pub bot: bool,
    /// `R`: takes private messages only from users logged in to an
    /// account (and from operators); others get ERR_NEEDREGGEDNICK.
    pub registered_only: bool,
    /// `s`: receives server notices (RFC 2812 3.1.5); which ones is the
    /// server notice mask its local connection keeps. Operators only.
    pub server_notices: bool,
    /// `x`: the user's address is hidden behind a cloak ([`User::host`]
    /// is the cloak, [`User::real_host`] the address).
    pub cloaked: bool,
}

impl UserModes {
    /// The mode letters natter knows, in display order.
    pub const LETTERS: &'static str = "BRioswx";

    /// Whether mode `c` is set; `None` for a letter natter does not know.
    pub fn get(&self, c: char) -> Option<bool> {
        Some(match c {
            'i' => self.invisible,
            'o' => self.oper,
            'w' => self.wallops,
            'B' => self.bot,
            'R' => self.registered_only,
            's' => self.server_notices,
            'x' => self.cloaked,
            _ => return None,
        })
    }

    /// Sets mode `c`; returns false (and changes nothing) for an unknown letter.
    pub fn set(&mut self, c: char, on: bool) -> bool {
        match c {
            'i' => self.invisible = on,
            'o' => self.oper = on,
            'w' => self.wallops = on,
            'B' => self.bot = on,
            'R' => self.registered_only = on,
            's' => self.server_notices = on,
            'x' => self.cloaked = on,
            _ => return false,
        }
        true
    }

    /// The modes as RPL_UMODEIS shows them, e.g. `+iw` (just `+` when none).
    pub fn render(&self) -> String {
        let mut s = String::from("+");
        for c in Self::LETTERS.chars() {
            if self.get(c) == Some(true) {
                s.push(c);
            }
        }
        s
    }
}

/// A user as an event names it: its id, and the nick, username and host
/// it had when the event happened (before the NICK or CHGHOST the event
/// itself makes), so a front end can show the event after the state has
/// changed. IRC renders it as `nick!user@host`, the IM protocol as the nick.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRef {
    /// The user.
    pub id: UserId,
    /// Its nick at the time.
    pub nick: String,
    /// Its username at the time.
    pub user: String,
    /// Its host at the time.
    pub host: String,
}

/// `nick!user@host` in one allocation of its length: sources are made on
/// every message's path.
fn source(nick: &str, user: &str, host: &str) -> String {
    let mut source = String::with_capacity(nick.len() + user.len() + host.len() + 2);
    for part in [nick, "!", user, "@", host] {
        source.push_str(part);
    }
    source
}

impl UserRef {
    /// `nick!user@host` (Modern IRC "Source"), as bans and SILENCE match it.
    pub fn mask(&self) -> String {
        source(&self.nick, &self.user, &self.host)
    }

    /// The length of [`UserRef::mask`] in bytes, without making it.
    pub fn mask_len(&self) -> usize {
        self.nick.len() + 1 + self.user.len() + 1 + self.host.len()
    }
}

/// A registered user.
#[derive(Debug, Clone)]
pub struct User {
    /// Stable identifier.
    pub id: UserId,
    /// Current nickname, as the user spelled it.
    pub nick: String,
    /// Username (ident) from USER, prefixed with `~` as no ident check is made.
    pub user: String,
    /// Host shown to other users in the user's prefix: the client's IP
    /// address, or its cloak when the user has mode `x`.
    pub host: String,
    /// The client's real address (its IP address), whatever `host` shows;
    /// only the user and operators see it (WHOIS 378). Equal to `host` for
    /// a user without a cloak.
    pub real_host: String,
    /// Real name (gecos) from USER.
    pub realname: String,
    /// The server the user is connected to.
    pub server: ServerId,
    /// Unix time (seconds) the user took its current nick (RFC 2813 nick
    /// timestamps: the older nick wins a collision).
    pub nick_ts: u64,
    /// Modes.
    pub modes: UserModes,
    /// Away message, if away (RFC 2812 4.1).
    pub away: Option<String>,
    /// Account name when logged in; `None` for users without an account.
    pub account: Option<String>,
    /// Folded names of the channels the user is in.
    pub channels: BTreeSet<String>,
    /// Folded names of the channels the user was invited to and has not
    /// joined since, oldest first; at most [`MAX_INVITES`]. Quitting
    /// clears them from the channels. Boxed, and `None` until the first
    /// invitation: most users have none, and a User is kept for every user
    /// of the network (at 248 bytes it fits a 256-byte allocation).
    pub invited_to: Option<Box<std::collections::VecDeque<String>>>,
    /// Unix time (seconds) of registration.
    pub signon: u64,
    /// Unix time (seconds) of the last PRIVMSG/NOTICE sent, for WHOIS idle.
    pub last_active: u64,
    /// The protocol of the user's connection.
    pub frontend: Frontend,
}

/// Most channels one user holds an invitation to; a further INVITE
/// replaces the oldest (InspIRCd and Solanum bound them too).
pub const MAX_INVITES: usize = 50;

/// Who a new user is, as registration learns it; see [`User::new`].
#[derive(Debug, Clone)]
pub struct Identity {
    /// Stable identifier.
    pub id: UserId,
    /// Nickname.
    pub nick: String,
    /// Username (ident).
    pub user: String,
    /// Host shown in the prefix.
    pub host: String,
    /// Real name.
    pub realname: String,
    /// The server the user is on.
    pub server: ServerId,
    /// The protocol of the user's connection.
    pub frontend: Frontend,
}

impl User {
    /// A freshly registered user: no modes, not away, no account, in no
    /// channel, signed on (and last active) at `now` (Unix seconds). Its
    /// real host is the identity's host; a front end that cloaks it sets
    /// `host` and mode `x` afterwards.
    pub fn new(identity: Identity, now: u64) -> User {
        let Identity {
            id,
            nick,
            user,
            host,
            realname,
            server,
            frontend,
        } = identity;
        User {
            id,
            nick,
            user,
            real_host: host.clone(),
            host,
            realname,
            server,
            nick_ts: now,
            modes: UserModes::default(),
            away: None,
            account: None,
            channels: BTreeSet::new(),
            invited_to: Default::default(),
            signon: now,
            last_active: now,
            frontend,
        }
    }

    /// The user's message source, `nick!user@host` (Modern IRC "Source").
    pub fn prefix(&self) -> String {
        source(&self.nick, &self.user, &self.host)
    }

    /// The user as an event names it, as it is now.
    pub fn snapshot(&self) -> UserRef {
        UserRef {
            id: self.id,
            nick: self.nick.clone(),
            user: self.user.clone(),
            host: self.host.clone(),
        }
    }

    /// `nick!user@real_host`, when the user is shown with another host
    /// (a cloak); `None` when [`User::prefix`] already shows the address.
    pub fn real_prefix(&self) -> Option<String> {
        (self.real_host != self.host).then(|| source(&self.nick, &self.user, &self.real_host))
    }

    /// Whether the glob `mask` (nick!user@host form) matches this user,
    /// with its displayed host or its real one: a ban on an address still
    /// catches a cloaked user, as on Solanum and InspIRCd.
    pub fn matches_mask(&self, mask: &str) -> bool {
        natter_proto::mask::matches(mask, &self.prefix())
            || self
                .real_prefix()
                .is_some_and(|p| natter_proto::mask::matches(mask, &p))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mask_len_is_the_length_of_the_mask_it_does_not_build() {
        let who = UserRef {
            id: 7,
            nick: "ann".into(),
            user: "~ann".into(),
            host: "héte.example".into(),
        };
        assert_eq!(who.mask(), "ann!~ann@héte.example");
        assert_eq!(who.mask_len(), who.mask().len());
    }
}
