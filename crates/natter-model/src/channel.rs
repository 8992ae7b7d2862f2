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

/// The prefix of a mute extban (`+b m:<mask>`): a user matching `<mask>`
/// may join but not speak (Ergo, InspIRCd; advertised as `EXTBAN=,m`,
/// <https://defs.ircdocs.horse/defs/isupport.html#extban>). A ban exception
/// `+e m:<mask>` exempts from mutes only.
pub const MUTE_EXTBAN: &str = "m:";

/// The prefix of an account extban (`+b a:<account>`, IRCv3
/// account-extban, advertised as `ACCOUNTEXTBAN=a`): it matches users
/// logged in to an account matching the glob, whatever their nick. It
/// works in bans, ban exceptions and invite exceptions.
pub const ACCOUNT_EXTBAN: &str = "a:";

/// A user's `nick!user@host` with its displayed host, and with its real
/// host when that differs (a cloaked user): list entries match either, so
/// a ban on an address still catches a cloaked user (Solanum, InspIRCd).
struct Prefixes(String, Option<String>);

impl Prefixes {
    fn of(user: &User) -> Prefixes {
        Prefixes(user.prefix(), user.real_prefix())
    }

    /// Whether the glob `mask` matches either prefix.
    fn matched_by(&self, mask: &str) -> bool {
        natter_proto::mask::matches(mask, &self.0)
            || self
                .1
                .as_deref()
                .is_some_and(|p| natter_proto::mask::matches(mask, p))
    }
}

/// Whether list entry `mask` (a `nick!user@host` glob or an `a:` account
/// extban) matches `user`, whose prefixes are `prefix`.
fn entry_matches(mask: &str, user: &User, prefix: &Prefixes) -> bool {
    match mask.strip_prefix(ACCOUNT_EXTBAN) {
        Some(glob) => user
            .account
            .as_deref()
            .is_some_and(|a| natter_proto::mask::matches(glob, a)),
        None => prefix.matched_by(mask),
    }
}

/// An entry of a list mode: bans (`+b`, RPL_BANLIST), ban exceptions (`+e`,
/// RPL_EXCEPTLIST) or invite exceptions (`+I`, RPL_INVEXLIST).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListEntry {
    /// The normalised `nick!user@host` glob, or for an extban its prefix
    /// and such a glob (`m:nick!user@host`, see [`MUTE_EXTBAN`]).
    pub mask: String,
    /// Who added it.
    pub setter: String,
    /// Unix time (seconds) it was added.
    pub set_at: u64,
}

/// Channel modes other than lists and member status (RFC 2811 4.2).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChannelModes {
    /// `C`: no CTCP to the channel except ACTION (Solanum, InspIRCd; Modern
    /// IRC "No CTCP" mode): refused with ERR_CANNOTSENDTOCHAN.
    pub no_ctcp: bool,
    /// `M`: only members logged in to an account, or with voice or op,
    /// may speak (ngIRCd, UnrealIRCd, Ergo): refused with
    /// ERR_CANNOTSENDTOCHAN.
    pub registered_speak: bool,
    /// `R`: only users logged in to an account may join, unless invited
    /// (ngIRCd, UnrealIRCd, Ergo): refused with ERR_NEEDREGGEDNICK.
    pub registered_only: bool,
    /// `i`: joining needs an INVITE (or a matching `+I` entry).
    pub invite_only: bool,
    /// `m`: only voiced members and operators may speak.
    pub moderated: bool,
    /// `n`: no messages from outside the channel.
    pub no_external: bool,
    /// `s`: hidden from LIST, WHOIS and NAMES for non-members.
    pub secret: bool,
    /// `t`: only channel operators may set the topic.
    pub topic_lock: bool,
    /// `U`: no history is kept of the channel (natter; unlogged).
    pub no_history: bool,
    /// `k`: the key JOIN must give.
    pub key: Option<String>,
    /// `l`: the most members the channel takes.
    pub limit: Option<usize>,
}

impl ChannelModes {
    /// The flag modes, in the order they are shown (ISUPPORT CHANMODES'
    /// fourth group): every place that parses or lists modes without an
    /// argument takes them from here.
    pub const FLAGS: [char; 9] = ['C', 'M', 'R', 'U', 'i', 'm', 'n', 's', 't'];

    /// Whether `c` is one of the flag modes ([`ChannelModes::FLAGS`]).
    pub fn is_flag(c: char) -> bool {
        Self::FLAGS.contains(&c)
    }

    fn flag_mut(&mut self, c: char) -> Option<&mut bool> {
        Some(match c {
            'C' => &mut self.no_ctcp,
            'M' => &mut self.registered_speak,
            'R' => &mut self.registered_only,
            'U' => &mut self.no_history,
            'i' => &mut self.invite_only,
            'm' => &mut self.moderated,
            'n' => &mut self.no_external,
            's' => &mut self.secret,
            't' => &mut self.topic_lock,
            _ => return None,
        })
    }

    /// Whether flag mode `c` (one of [`ChannelModes::FLAGS`]) is set;
    /// `None` for a letter that is no flag mode.
    pub fn flag(&self, c: char) -> Option<bool> {
        self.clone().flag_mut(c).map(|f| *f)
    }

    /// Sets flag mode `c` on or off; `false` for a letter that is no flag
    /// mode.
    pub fn set_flag(&mut self, c: char, on: bool) -> bool {
        match self.flag_mut(c) {
            Some(flag) => {
                *flag = on;
                true
            }
            None => false,
        }
    }

    /// The modes as RPL_CHANNELMODEIS shows them: the flag string (e.g.
    /// `+Cklnt`, in ASCII order) and its arguments in order. The key is shown only when
    /// `show_key` (to members), else as `*`.
    pub fn render(&self, show_key: bool) -> (String, Vec<String>) {
        let mut flags = String::from("+");
        let mut args = Vec::new();
        for (on, c) in [
            (self.no_ctcp, 'C'),
            (self.registered_speak, 'M'),
            (self.registered_only, 'R'),
            (self.no_history, 'U'),
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

/// Why a user may not join a channel (RFC 2812 3.2.1), in the order the
/// checks are made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JoinRefusal {
    /// A ban matches and no exception does (ERR_BANNEDFROMCHAN).
    Banned,
    /// `+i` without an invitation or invite exception (ERR_INVITEONLYCHAN).
    InviteOnly,
    /// `+R` and not logged in to an account, without an invitation
    /// (ERR_NEEDREGGEDNICK).
    NeedsAccount,
    /// `+k` and the wrong key, without an invitation (ERR_BADCHANNELKEY).
    BadKey,
    /// `+l` reached, without an invitation (ERR_CHANNELISFULL).
    Full,
}

/// Why a user may not send to a channel (RFC 2812 3.3.1; the reason
/// ERR_CANNOTSENDTOCHAN's text gives), in the order the checks are made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendRefusal {
    /// `+n` and the sender is not a member.
    NoExternal,
    /// `+m` and the sender has neither voice nor op.
    Moderated,
    /// `+M` and the sender is logged in to no account and has neither
    /// voice nor op.
    NeedsAccount,
    /// A ban matches the sender and no exception does.
    Banned,
    /// An `m:` mute extban matches the sender and no `m:` exception does.
    Muted,
}

impl SendRefusal {
    /// ERR_CANNOTSENDTOCHAN's text with the mode and the reason in words,
    /// worded like the join refusals (`Cannot join channel (+b)`).
    pub fn text(self) -> &'static str {
        match self {
            SendRefusal::NoExternal => {
                "Cannot send to channel (+n: no external messages, join it first)"
            }
            SendRefusal::Moderated => "Cannot send to channel (+m: moderated, you need voice)",
            SendRefusal::NeedsAccount => {
                "Cannot send to channel (+M: you need to be logged in to an account)"
            }
            SendRefusal::Banned => "Cannot send to channel (+b: you are banned)",
            SendRefusal::Muted => "Cannot send to channel (+b m: you are muted)",
        }
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
    /// Ban masks (`+b`), mute extbans (`m:` masks) among them.
    pub bans: Vec<ListEntry>,
    /// Ban exception masks (`+e`, Modern IRC "Exception Channel Mode"): a
    /// user matching one is not banned; `m:` entries exempt from mutes.
    pub excepts: Vec<ListEntry>,
    /// Invite exception masks (`+I`, Modern IRC "Invite-Exception Channel
    /// Mode"): a user matching one may join a `+i` channel uninvited.
    pub invexes: Vec<ListEntry>,
    /// Members and their status.
    pub members: UserMap<Membership>,
    /// The members that are this server's own users: those the channel's
    /// events are delivered to here (remote members are reached through
    /// their servers' links). Kept by `Network::apply`.
    pub local: UserSet,
    /// Users invited since the last time they joined; lets them past `+i`.
    pub invited: UserSet,
    /// Registered with ChanServ: the channel stays while empty.
    pub registered: bool,
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
            excepts: Vec::new(),
            invexes: Vec::new(),
            members: UserMap::default(),
            local: UserSet::default(),
            invited: UserSet::default(),
            registered: false,
        }
    }

    /// The member's status, or `None` when `id` is not a member.
    pub fn member(&self, id: UserId) -> Option<Membership> {
        self.members.get(&id).copied()
    }

    /// The entries of list mode `mode`: `b` bans, `e` ban exceptions, any
    /// other letter (`I`) invite exceptions.
    pub fn list(&self, mode: char) -> &[ListEntry] {
        match mode {
            'b' => &self.bans,
            'e' => &self.excepts,
            _ => &self.invexes,
        }
    }

    /// [`Channel::list`], to change.
    pub fn list_mut(&mut self, mode: char) -> &mut Vec<ListEntry> {
        match mode {
            'b' => &mut self.bans,
            'e' => &mut self.excepts,
            _ => &mut self.invexes,
        }
    }

    /// Whether `id` is a channel operator here.
    pub fn is_op(&self, id: UserId) -> bool {
        self.member(id).is_some_and(|m| m.op)
    }

    /// Whether `user` is banned: a plain ban mask matches them and no plain
    /// ban exception does (Modern IRC "Ban Channel Mode", "Exception Channel
    /// Mode"). Mute extbans do not ban; see [`Channel::is_muted`].
    pub fn is_banned(&self, user: &User) -> bool {
        // Most channels have no bans: no prefix to build on the message path.
        if self.bans.is_empty() {
            return false;
        }
        let prefix = Prefixes::of(user);
        let plain = |e: &&ListEntry| !e.mask.starts_with(MUTE_EXTBAN);
        let hit = |e: &ListEntry| entry_matches(&e.mask, user, &prefix);
        self.bans.iter().filter(plain).any(hit) && !self.excepts.iter().filter(plain).any(hit)
    }

    /// Whether `user` is muted: a mute extban `m:<mask>` matches them and
    /// no ban exception, plain or `m:`, does. A muted member may stay and
    /// join but not speak unless voiced (as on Ergo and InspIRCd).
    pub fn is_muted(&self, user: &User) -> bool {
        if self.bans.is_empty() {
            return false;
        }
        let prefix = Prefixes::of(user);
        let muting = |e: &ListEntry| {
            e.mask
                .strip_prefix(MUTE_EXTBAN)
                .is_some_and(|m| prefix.matched_by(m))
        };
        let exempting = |e: &ListEntry| {
            let m = e.mask.strip_prefix(MUTE_EXTBAN).unwrap_or(&e.mask);
            entry_matches(m, user, &prefix)
        };
        self.bans.iter().any(muting) && !self.excepts.iter().any(exempting)
    }

    /// Whether an invite exception (`+I`) matches `user`, letting them past
    /// `+i` without an INVITE.
    pub fn is_invex(&self, user: &User) -> bool {
        if self.invexes.is_empty() {
            return false;
        }
        let prefix = Prefixes::of(user);
        self.invexes
            .iter()
            .any(|e| entry_matches(&e.mask, user, &prefix))
    }

    /// Whether only the channel's operators may invite to it: an
    /// invitation gets past `+i` and `+R` ([`Channel::join_refusal`]), so
    /// on such a channel it is theirs to give (RFC 2812 3.2.7 for `+i`).
    pub fn invitation_needs_op(&self) -> bool {
        self.modes.invite_only || self.modes.registered_only
    }

    /// Whether `user` may join with `key`; the one rule IRC's JOIN and the
    /// IM protocol's JOIN share. An invitation lets a user past `+i`, `+R`,
    /// `+k` and `+l`, an invite exception past `+i`; nothing but an
    /// exception gets past a ban.
    pub fn join_refusal(&self, user: &User, key: Option<&str>) -> Option<JoinRefusal> {
        let invited = self.invited.contains(&user.id);
        if self.is_banned(user) {
            Some(JoinRefusal::Banned)
        } else if self.modes.invite_only && !invited && !self.is_invex(user) {
            Some(JoinRefusal::InviteOnly)
        } else if self.modes.registered_only && user.account.is_none() && !invited {
            Some(JoinRefusal::NeedsAccount)
        } else if self.modes.key.is_some() && self.modes.key.as_deref() != key && !invited {
            Some(JoinRefusal::BadKey)
        } else if self.modes.limit.is_some_and(|l| self.members.len() >= l) && !invited {
            Some(JoinRefusal::Full)
        } else {
            None
        }
    }

    /// Why `user` may not speak here (RFC 2812 3.3.1), or `None` if it may:
    /// +n keeps outsiders out, +m needs voice or op, +M an account (or
    /// voice or op), and bans and mutes silence members without voice or
    /// op (and outsiders).
    pub fn send_refusal(&self, user: &User) -> Option<SendRefusal> {
        let member = self.member(user.id);
        if member.is_some_and(|m| m.op || m.voice) {
            return None;
        }
        if member.is_none() && self.modes.no_external {
            Some(SendRefusal::NoExternal)
        } else if self.modes.moderated {
            Some(SendRefusal::Moderated)
        } else if self.modes.registered_speak && user.account.is_none() {
            Some(SendRefusal::NeedsAccount)
        } else if self.is_banned(user) {
            Some(SendRefusal::Banned)
        } else if self.is_muted(user) {
            Some(SendRefusal::Muted)
        } else {
            None
        }
    }

    /// Whether `+C` refuses `text`: a CTCP other than ACTION (a text that
    /// starts with `\x01` whose command is not `ACTION`).
    pub fn blocks_ctcp(&self, text: &str) -> bool {
        self.modes.no_ctcp && is_ctcp_other_than_action(text)
    }
}

/// Whether `text` is a CTCP (starts with `\x01`) whose command is not
/// ACTION (CTCP spec: the command runs up to a space or the closing `\x01`).
fn is_ctcp_other_than_action(text: &str) -> bool {
    let Some(body) = text.strip_prefix('\u{1}') else {
        return false;
    };
    let command = body.split([' ', '\u{1}']).next().unwrap_or("");
    !command.eq_ignore_ascii_case("ACTION")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::user::{Frontend, Identity};

    fn user(id: UserId, nick: &str) -> User {
        User::new(
            Identity {
                id,
                nick: nick.into(),
                user: format!("~{nick}"),
                host: "10.0.0.1".into(),
                realname: "R".into(),
                server: crate::LOCAL_SERVER,
                frontend: Frontend::Irc,
            },
            0,
        )
    }

    fn entry(mask: &str) -> ListEntry {
        ListEntry {
            mask: mask.into(),
            setter: "op".into(),
            set_at: 0,
        }
    }

    #[test]
    fn exceptions_lift_bans_and_mutes() {
        let mut c = Channel::new("#c", 0);
        let (bob, bobby) = (user(1, "bob"), user(2, "bobby"));
        c.bans.push(entry("bob*!*@*"));
        assert!(c.is_banned(&bob) && c.is_banned(&bobby));
        c.excepts.push(entry("bob!*@*"));
        assert!(!c.is_banned(&bob) && c.is_banned(&bobby));
        // An m: exception does not lift a ban.
        c.excepts.push(entry("m:bobby!*@*"));
        assert!(c.is_banned(&bobby));

        let mut c = Channel::new("#c", 0);
        c.bans.push(entry("m:*!~bob*@*"));
        // A mute is not a ban.
        assert!(!c.is_banned(&bob) && c.is_muted(&bob) && c.is_muted(&bobby));
        c.excepts.push(entry("m:bob!*@*"));
        c.excepts.push(entry("bobby!*@*"));
        assert!(!c.is_muted(&bob) && !c.is_muted(&bobby));
    }

    #[test]
    fn can_send_honours_mutes_and_voice() {
        let mut c = Channel::new("#c", 0);
        let bob = user(1, "bob");
        c.bans.push(entry("m:bob!*@*"));
        // Outsider on a -n channel, then a plain member, then voiced.
        c.modes.no_external = false;
        assert_eq!(c.send_refusal(&bob), Some(SendRefusal::Muted));
        c.members.insert(1, Membership::default());
        assert_eq!(c.send_refusal(&bob), Some(SendRefusal::Muted));
        c.modes.no_external = true;
        c.members.remove(&1);
        assert_eq!(c.send_refusal(&bob), Some(SendRefusal::NoExternal));
        c.members.insert(1, Membership::default());
        c.modes.moderated = true;
        assert_eq!(c.send_refusal(&bob), Some(SendRefusal::Moderated));
        c.members.insert(
            1,
            Membership {
                op: false,
                voice: true,
            },
        );
        assert_eq!(c.send_refusal(&bob), None);
    }

    #[test]
    fn invite_exceptions_match_masks() {
        let mut c = Channel::new("#c", 0);
        assert!(!c.is_invex(&user(1, "carol")));
        c.invexes.push(entry("carol!*@10.0.0.*"));
        assert!(c.is_invex(&user(1, "CAROL")));
        assert!(!c.is_invex(&user(2, "dave")));
    }

    #[test]
    fn no_ctcp_blocks_all_ctcp_but_action() {
        let mut c = Channel::new("#c", 0);
        assert!(!c.blocks_ctcp("\u{1}PING 1\u{1}"));
        c.modes.no_ctcp = true;
        for blocked in [
            "\u{1}PING 1\u{1}",
            "\u{1}VERSION\u{1}",
            "\u{1}",
            "\u{1}ACTIONS\u{1}",
        ] {
            assert!(c.blocks_ctcp(blocked), "{blocked:?}");
        }
        for allowed in [
            "\u{1}ACTION waves\u{1}",
            "\u{1}ACTION\u{1}",
            "\u{1}action waves",
            "hi \u{1}PING\u{1}",
            "",
        ] {
            assert!(!c.blocks_ctcp(allowed), "{allowed:?}");
        }
        assert_eq!(c.modes.render(true).0, "+Cnt");
    }
}
