//! Events: the only way the network state changes.
//!
//! A front end validates a command, builds the event(s) it stands for and
//! passes each to [`crate::Network::apply`]. Events name users and servers
//! by id; where a renderer needs a user as it was before the change (the
//! nick before a NICK, a user who quit), the event carries a [`UserRef`]
//! snapshot. Events hold no wire syntax: rendering a prefix, a numeric or
//! an IM reply is each front end's job.

use crate::ban::{BanKind, ServerBan};
use crate::channel::Topic;
use crate::server::ServerId;
use crate::user::{User, UserId, UserRef};

/// Who an event comes from: a user, or a server (a link's burst, a
/// netsplit, a service acting as the server).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A user, as it was at the time.
    User(UserRef),
    /// A server.
    Server(ServerId),
}

impl Source {
    /// The user behind the source, if it is one.
    pub fn user(&self) -> Option<&UserRef> {
        match self {
            Source::User(u) => Some(u),
            Source::Server(_) => None,
        }
    }
}

/// PRIVMSG or NOTICE (RFC 2812 3.3), or TAGMSG (IRCv3 message-tags). A
/// NOTICE never triggers automatic replies; a TAGMSG carries only tags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageKind {
    /// PRIVMSG.
    Privmsg,
    /// NOTICE.
    Notice,
    /// TAGMSG: no text, only client-only tags.
    Tagmsg,
}

impl MessageKind {
    /// The IRC command word.
    pub fn command(self) -> &'static str {
        match self {
            MessageKind::Privmsg => "PRIVMSG",
            MessageKind::Notice => "NOTICE",
            MessageKind::Tagmsg => "TAGMSG",
        }
    }
}

/// Where a message goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MessageTarget {
    /// One user.
    User(UserId),
    /// A channel's members; with `status` (`@` or `+`, STATUSMSG) only the
    /// members holding at least that status.
    Channel {
        /// The channel's display name.
        name: String,
        /// The STATUSMSG prefix, if any.
        status: Option<char>,
    },
}

/// One mode letter set or unset, with its argument (RFC 2811 4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModeChange {
    /// `+` (true) or `-` (false).
    pub add: bool,
    /// The mode letter.
    pub mode: char,
    /// The argument: the member for `o`/`v`, a mask for `b`, the key for
    /// `k`, the limit for `+l`.
    pub arg: Option<ModeArg>,
}

impl ModeChange {
    /// `changes` as a mode string (`+ov-k`, a sign wherever it changes)
    /// and their arguments in order: what a MODE line carries, to clients
    /// (RFC 2812 §3.2.3) and between servers (RFC 2813 §4.2.3) alike.
    pub fn mode_string(changes: &[ModeChange]) -> (String, Vec<&str>) {
        let mut flags = String::new();
        let mut sign = None;
        for c in changes {
            if sign != Some(c.add) {
                flags.push(if c.add { '+' } else { '-' });
                sign = Some(c.add);
            }
            flags.push(c.mode);
        }
        let args = changes
            .iter()
            .filter_map(|c| c.arg.as_ref())
            .map(ModeArg::as_str);
        (flags, args.collect())
    }
}

/// A mode change's argument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModeArg {
    /// `o`/`v`: the member it applies to, by id, and its nick as shown.
    Member(UserId, String),
    /// Any other argument: a mask, a key, a limit.
    Text(String),
}

impl ModeArg {
    /// The argument as a MODE line shows it (the member's nick).
    pub fn as_str(&self) -> &str {
        match self {
            ModeArg::Member(_, nick) => nick,
            ModeArg::Text(text) => text,
        }
    }
}

/// A change to the network, or a message travelling through it.
#[derive(Debug, Clone)]
pub enum Event {
    /// A server joined the network behind `uplink` (RFC 2813 §4.1.2
    /// SERVER). Shown to no user; links pass it on.
    ServerIntroduced(Box<crate::server::Server>),
    /// A server and every server behind it left the network (RFC 2813
    /// §4.1.6 SQUIT, or a link that broke). Their users must have quit
    /// before (one [`Event::Quit`] each, with the netsplit reason); this
    /// removes the servers. Shown to no user.
    ServerSplit {
        /// The server that left (the far side of the broken link).
        server: ServerId,
        /// Its name (it is gone once the event is applied).
        name: String,
        /// The names of the servers behind it, which leave with it,
        /// nearest first.
        behind: Vec<String>,
        /// Why, e.g. `near.example far.example`.
        reason: String,
    },
    /// A client finished registration and now exists network-wide.
    UserIntroduced(Box<User>),
    /// A user changed nick. Shown to the user and everyone sharing a channel.
    NickChanged {
        /// Who, under the old nick.
        user: UserRef,
        /// The new nick.
        new_nick: String,
        /// Unix time (seconds), for WHOWAS.
        at: u64,
    },
    /// A user joined a channel, creating it (with the joiner as operator) if
    /// it did not exist. Shown to every member, the joiner included.
    Joined {
        /// Who.
        user: UserRef,
        /// Channel name as given (used as the display name when created).
        channel: String,
        /// Unix time (seconds), the creation time if this creates the channel.
        at: u64,
        /// Whether the joiner is a channel operator from the start. The
        /// front end decides: whoever creates a channel gets it; a server
        /// link's burst says who has it.
        op: bool,
    },
    /// A user left a channel; the channel is destroyed when it empties.
    /// Shown to every member, the leaver included.
    Parted {
        /// Who.
        user: UserRef,
        /// Channel display name.
        channel: String,
        /// The PART message, if any.
        reason: Option<String>,
    },
    /// A channel operator removed a member. Shown to every member, the
    /// kicked one included.
    Kicked {
        /// The kicker.
        by: Source,
        /// Channel display name.
        channel: String,
        /// Who was kicked.
        target: UserId,
        /// Their nick.
        target_nick: String,
        /// The reason.
        reason: String,
    },
    /// A user left the network (QUIT, KILL, a dropped connection, SendQ).
    /// Shown to everyone sharing a channel, not to the user.
    Quit {
        /// Who.
        user: UserRef,
        /// The quit message.
        reason: String,
        /// Unix time (seconds), for WHOWAS.
        at: u64,
    },
    /// An operator or a server removed a user from the network (KILL,
    /// RFC 2812 §3.7.1). Applied like [`Event::Quit`]; shown to everyone
    /// sharing a channel with the user as its quit, and passed on to every
    /// server link as KILL so the user's own server drops it too.
    Killed {
        /// Who killed.
        by: Source,
        /// The user removed.
        user: UserRef,
        /// The quit message peers see: `Killed (<killer> (<reason>))`.
        reason: String,
        /// The reason the killer gave.
        comment: String,
        /// Unix time (seconds), for WHOWAS.
        at: u64,
    },
    /// A channel's topic was set (`Some`) or cleared (`None`). Shown to members.
    TopicChanged {
        /// The setter.
        by: Source,
        /// Channel display name.
        channel: String,
        /// The new topic.
        topic: Option<Topic>,
    },
    /// Channel modes changed. Shown to members as one MODE line.
    ChannelModeChanged {
        /// Whoever changed them.
        by: Source,
        /// Channel display name.
        channel: String,
        /// The changes, in order; `o`/`v` args are nicks of members.
        changes: Vec<ModeChange>,
        /// Unix time (seconds), for list entries.
        at: u64,
    },
    /// A user's own modes changed. Shown to the user.
    UserModeChanged {
        /// Who.
        id: UserId,
        /// Their nick.
        nick: String,
        /// The changes.
        changes: Vec<ModeChange>,
    },
    /// A PRIVMSG, NOTICE or TAGMSG. Shown to the target user, or to the
    /// channel's (status-filtered) members; the sender is among the
    /// recipients too, and front ends decide whether to echo it
    /// (IRCv3 echo-message; the IM protocol always echoes).
    Message {
        /// The sender.
        from: UserRef,
        /// PRIVMSG, NOTICE or TAGMSG.
        kind: MessageKind,
        /// Where it goes.
        target: MessageTarget,
        /// The text; empty only for TAGMSG.
        text: String,
        /// Client-only tags (IRCv3 message-tags), serialized without the
        /// leading '@' (e.g. `+draft/react=lol;+typing=active`); may be empty.
        tags: String,
        /// The network-unique message ID (IRCv3 message-ids).
        msgid: String,
        /// Unix time in milliseconds: the `time` every client is shown
        /// (IRCv3 server-time) and history keeps.
        at_ms: u64,
    },
    /// A user changed their real name (IRCv3 setname). Shown to the user
    /// and channel peers.
    RealnameChanged {
        /// Who.
        user: UserRef,
        /// The new real name.
        realname: String,
    },
    /// A user's username and/or host changed (IRCv3 chghost). Shown to the
    /// user and channel peers.
    HostChanged {
        /// Who, before the change.
        user: UserRef,
        /// The new username.
        username: String,
        /// The new host.
        host: String,
    },
    /// A user was invited to a channel; lets them past `+i` once. Shown to
    /// the invited user and to the channel's operators (who see it only
    /// with IRCv3 invite-notify).
    Invited {
        /// The inviter.
        by: UserRef,
        /// Who is invited.
        target: UserId,
        /// Their nick.
        target_nick: String,
        /// Channel display name.
        channel: String,
    },
    /// A user went away (`Some(message)`) or came back (`None`). Shown to
    /// channel peers, whose renderers decide whether their client wants it.
    AwayChanged {
        /// Who.
        user: UserRef,
        /// The away message.
        message: Option<String>,
    },
    /// A user logged in to an account (`Some(name)`) or out (`None`)
    /// (IRCv3 account-notify). Shown to channel peers.
    AccountChanged {
        /// Who.
        user: UserRef,
        /// The account name, as registered.
        account: Option<String>,
    },
    /// A channel was registered with ChanServ (kept while empty) or its
    /// registration dropped. Shown to no client; registering creates the
    /// channel if it does not exist, dropping removes it if empty.
    ChannelRegistered {
        /// Channel display name.
        channel: String,
        /// Registered (true) or dropped (false).
        registered: bool,
        /// Unix time (seconds).
        at: u64,
    },
    /// An account was registered, or its credentials changed, somewhere on
    /// the network. Shown to no client; server links between natter
    /// servers carry it so a user can log in on any server. `secret` is
    /// the account's credentials, opaque to the model.
    AccountRegistered {
        /// The account name, as registered.
        account: String,
        /// When it was registered, Unix seconds (the older registration
        /// of a name wins a conflict).
        created_at: i64,
        /// Its credentials, serialized by the server.
        secret: String,
    },
    /// An account was dropped. Shown to no client.
    AccountDropped {
        /// The account name.
        account: String,
        /// When the dropped account was registered, Unix seconds.
        created_at: i64,
    },
    /// A KNOCK: a user asks a channel's operators for an invitation
    /// (Modern IRC RPL_KNOCK). Shown to the channel's operators.
    Knocked {
        /// The user knocking.
        user: UserRef,
        /// The channel's name, as created.
        channel: String,
        /// Why it wants in.
        text: String,
    },
    /// A WALLOPS message. Shown to users with `+w`.
    Wallops {
        /// The sender.
        by: Source,
        /// The text.
        text: String,
    },
    /// An operator set a server ban (KLINE, DLINE), here or on a linked
    /// server; it replaces a ban of the same kind and mask. Shown to no
    /// client as such: each server disconnects the local users it
    /// matches, keeps it in its store, and natter links carry it.
    ServerBanSet {
        /// The ban.
        ban: ServerBan,
    },
    /// An operator lifted a server ban (UNKLINE, UNDLINE). Shown to no
    /// client.
    ServerBanLifted {
        /// K-line or D-line.
        kind: BanKind,
        /// The ban's mask, as [`ServerBan::mask`].
        mask: String,
        /// Who lifted it: the operator's `nick!user@host`.
        by: String,
    },
}
