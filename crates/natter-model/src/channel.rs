//! Channels: their members, topic, modes and lists.

use crate::user::{User, UserId, UserMap, UserSet};

/// A member's channel privileges (PREFIX=(ov)@+).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Membership {
    /// `+o`, shown as `@`.
    pub op: bool,
    /// `+v`, shown as `+`.
    pub voice: bool,
}

impl Membership {
    /// The highest prefix (`"@"`, `"+"` or `""`); with `all` (IRCv3
    /// multi-prefix) every prefix in rank order.
    pub fn prefixes(&self, all: bool) -> &'static str {
        match (self.op, self.voice, all) {
            (true, true, true) => "@+",
            (true, _, _) => "@",
            (false, true, _) => "+",
            _ => "",
        }
    }

    /// Whether the member holds at least the status of prefix `status`
    /// (`@` or `+`), as a STATUSMSG target `@#chan` requires.
    pub fn has_status(&self, status: char) -> bool {
        match status {
            '@' => self.op,
            '+' => self.op || self.voice,
            _ => true,
        }
    }
}

/// A channel topic (RPL_TOPIC, RPL_TOPICWHOTIME).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Topic {
    /// The text; never empty (an empty TOPIC clears it).
    pub text: String,
    /// Nick (or prefix) of whoever set it.
    pub setter: String,
    /// Unix time (seconds) it was set.
    pub set_at: u64,
}

/// An entry of a list mode such as bans (`+b`): RPL_BANLIST.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListEntry {
    /// The normalised `nick!user@host` glob.
    pub mask: String,
    /// Who added it.
    pub setter: String,
    /// Unix time (seconds) it was added.
    pub set_at: u64,
}

/// Channel modes other than lists and member status (RFC 2811 4.2).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChannelModes {
    /// `i`: joining needs an INVITE.
    pub invite_only: bool,
    /// `m`: only voiced members and operators may speak.
    pub moderated: bool,
    /// `n`: no messages from outside the channel.
    pub no_external: bool,
    /// `s`: hidden from LIST, WHOIS and NAMES for non-members.
    pub secret: bool,
    /// `t`: only channel operators may set the topic.
    pub topic_lock: bool,
    /// `k`: the key JOIN must give.
    pub key: Option<String>,
    /// `l`: the most members the channel takes.
    pub limit: Option<usize>,
}

impl ChannelModes {
    /// The modes as RPL_CHANNELMODEIS shows them: the flag string (e.g.
    /// `+klnt`) and its arguments in order. The key is shown only when
    /// `show_key` (to members), else as `*`.
    pub fn render(&self, show_key: bool) -> (String, Vec<String>) {
        let mut flags = String::from("+");
        let mut args = Vec::new();
        for (on, c) in [
            (self.invite_only, 'i'),
            (self.key.is_some(), 'k'),
            (self.limit.is_some(), 'l'),
            (self.moderated, 'm'),
            (self.no_external, 'n'),
            (self.secret, 's'),
            (self.topic_lock, 't'),
        ] {
            if on {
                flags.push(c);
            }
        }
        if let Some(k) = &self.key {
            args.push(if show_key { k.clone() } else { "*".into() });
        }
        if let Some(l) = self.limit {
            args.push(l.to_string());
        }
        (flags, args)
    }
}

/// A channel: `#name` network-wide or `&name` local to one server.
#[derive(Debug, Clone)]
pub struct Channel {
    /// The name as first created (display form).
    pub name: String,
    /// Unix time (seconds) of creation (RPL_CREATIONTIME).
    pub created_at: u64,
    /// The topic, if any.
    pub topic: Option<Topic>,
    /// Flag and parameter modes.
    pub modes: ChannelModes,
    /// Ban masks (`+b`).
    pub bans: Vec<ListEntry>,
    /// Members and their status.
    pub members: UserMap<Membership>,
    /// Users invited since the last time they joined; lets them past `+i`.
    pub invited: UserSet,
}

impl Channel {
    /// A new, empty channel with the default modes `+nt`.
    pub fn new(name: &str, now: u64) -> Channel {
        Channel {
            name: name.to_string(),
            created_at: now,
            topic: None,
            modes: ChannelModes {
                no_external: true,
                topic_lock: true,
                ..ChannelModes::default()
            },
            bans: Vec::new(),
            members: UserMap::default(),
            invited: UserSet::default(),
        }
    }

    /// The member's status, or `None` when `id` is not a member.
    pub fn member(&self, id: UserId) -> Option<Membership> {
        self.members.get(&id).copied()
    }

    /// Whether `id` is a channel operator here.
    pub fn is_op(&self, id: UserId) -> bool {
        self.member(id).is_some_and(|m| m.op)
    }

    /// Whether any ban mask matches `user`.
    pub fn is_banned(&self, user: &User) -> bool {
        let prefix = user.prefix();
        self.bans
            .iter()
            .any(|b| natter_proto::mask::matches(&b.mask, &prefix))
    }

    /// Whether `user` may speak here (RFC 2812 3.3.1): +n keeps outsiders
    /// out, +m needs voice or op, and bans silence non-voiced members.
    pub fn can_send(&self, user: &User) -> bool {
        match self.member(user.id) {
            None => !self.modes.no_external && !self.modes.moderated && !self.is_banned(user),
            Some(m) if m.op || m.voice => true,
            Some(_) => !self.modes.moderated && !self.is_banned(user),
        }
    }
}
