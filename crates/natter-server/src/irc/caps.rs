//! IRCv3 capabilities (Capability Negotiation,
//! <https://ircv3.net/specs/extensions/capability-negotiation>): the set
//! natter offers and the per-client set a client has enabled.

/// One capability natter offers, spelled as IRCv3 spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
pub enum Cap {
    /// `account-notify`: ACCOUNT when a peer logs in or out.
    AccountNotify = 1 << 0,
    /// `account-tag`: an `account` tag on messages from logged-in users.
    AccountTag = 1 << 1,
    /// `away-notify`: AWAY lines when peers go away or come back.
    AwayNotify = 1 << 2,
    /// `batch`: BATCH framing of related lines.
    Batch = 1 << 3,
    /// `cap-notify`: CAP NEW/DEL (implied by CAP LS 302).
    CapNotify = 1 << 4,
    /// `chghost`: CHGHOST instead of a QUIT/JOIN cycle on host changes.
    Chghost = 1 << 5,
    /// `echo-message`: the sender gets its own PRIVMSG/NOTICE/TAGMSG back.
    EchoMessage = 1 << 6,
    /// `extended-join`: JOIN carries the account and real name.
    ExtendedJoin = 1 << 7,
    /// `invite-notify`: channel operators see INVITEs to their channel.
    InviteNotify = 1 << 8,
    /// `labeled-response`: replies carry the command's `label` tag.
    LabeledResponse = 1 << 9,
    /// `message-tags`: client-only tags, TAGMSG, `msgid`.
    MessageTags = 1 << 10,
    /// `multi-prefix`: NAMES, WHO and WHOIS show every member prefix.
    MultiPrefix = 1 << 11,
    /// `server-time`: a `time` tag on every message.
    ServerTime = 1 << 12,
    /// `setname`: SETNAME, and real-name changes of peers.
    Setname = 1 << 13,
    /// `userhost-in-names`: NAMES shows `nick!user@host`.
    UserhostInNames = 1 << 14,
    /// `extended-monitor` (<https://ircv3.net/specs/extensions/extended-monitor>):
    /// AWAY, CHGHOST, SETNAME (and ACCOUNT) of MONITORed nicks even without
    /// a shared channel, each still subject to its own capability.
    ExtendedMonitor = 1 << 15,
    /// `draft/read-marker` (<https://ircv3.net/specs/extensions/read-marker>):
    /// MARKREAD after JOIN and when the user's read timestamps change.
    ReadMarker = 1 << 16,
    /// `sasl` (<https://ircv3.net/specs/extensions/sasl-3.2>):
    /// AUTHENTICATE with the mechanisms in its value.
    Sasl = 1 << 17,
    /// `draft/account-registration`
    /// (<https://ircv3.net/specs/extensions/account-registration>):
    /// REGISTER, also before connection registration.
    AccountRegistration = 1 << 18,
    /// `draft/chathistory` (<https://ircv3.net/specs/extensions/chathistory>):
    /// CHATHISTORY queries of stored messages.
    Chathistory = 1 << 19,
}

impl Cap {
    /// Every capability natter offers, in CAP LS order (alphabetical).
    pub const ALL: [Cap; 20] = [
        Cap::AccountNotify,
        Cap::AccountTag,
        Cap::AwayNotify,
        Cap::Batch,
        Cap::CapNotify,
        Cap::Chghost,
        Cap::AccountRegistration,
        Cap::Chathistory,
        Cap::ReadMarker,
        Cap::EchoMessage,
        Cap::ExtendedJoin,
        Cap::ExtendedMonitor,
        Cap::InviteNotify,
        Cap::LabeledResponse,
        Cap::MessageTags,
        Cap::MultiPrefix,
        Cap::Sasl,
        Cap::ServerTime,
        Cap::Setname,
        Cap::UserhostInNames,
    ];

    /// The capability's name.
    pub fn name(self) -> &'static str {
        match self {
            Cap::AccountNotify => "account-notify",
            Cap::AccountTag => "account-tag",
            Cap::AwayNotify => "away-notify",
            Cap::Batch => "batch",
            Cap::CapNotify => "cap-notify",
            Cap::Chghost => "chghost",
            Cap::EchoMessage => "echo-message",
            Cap::ExtendedJoin => "extended-join",
            Cap::InviteNotify => "invite-notify",
            Cap::LabeledResponse => "labeled-response",
            Cap::MessageTags => "message-tags",
            Cap::MultiPrefix => "multi-prefix",
            Cap::ServerTime => "server-time",
            Cap::Setname => "setname",
            Cap::UserhostInNames => "userhost-in-names",
            Cap::ExtendedMonitor => "extended-monitor",
            Cap::ReadMarker => "draft/read-marker",
            Cap::Sasl => "sasl",
            Cap::AccountRegistration => "draft/account-registration",
            Cap::Chathistory => "draft/chathistory",
        }
    }

    /// The value shown after `=` in CAP LS 302 under `config`, if any.
    pub fn value(self, config: &crate::config::Config) -> Option<&'static str> {
        match self {
            Cap::Sasl => Some(super::sasl::MECHANISMS),
            // No e-mail verification: an account is usable at once; with
            // `accounts.register_before_connect` REGISTER works before
            // connection registration completes.
            Cap::AccountRegistration if config.accounts.register_before_connect => {
                Some("before-connect")
            }
            _ => None,
        }
    }

    /// The capability called `name`, if natter offers it.
    pub fn from_name(name: &str) -> Option<Cap> {
        Cap::ALL.into_iter().find(|c| c.name() == name)
    }
}

/// A set of capabilities, as a bit set.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct CapSet(pub u32);

impl CapSet {
    /// Whether `cap` is in the set.
    pub fn has(self, cap: Cap) -> bool {
        self.0 & cap as u32 != 0
    }
    /// Adds or removes `cap`.
    pub fn set(&mut self, cap: Cap, on: bool) {
        if on {
            self.0 |= cap as u32;
        } else {
            self.0 &= !(cap as u32);
        }
    }
    /// The set restricted to `caps`.
    pub fn only(self, caps: &[Cap]) -> CapSet {
        CapSet(self.0 & caps.iter().fold(0, |m, c| m | *c as u32))
    }
    /// The names of the capabilities in the set, space-separated.
    pub fn names(self) -> String {
        Cap::ALL
            .into_iter()
            .filter(|c| self.has(*c))
            .map(Cap::name)
            .collect::<Vec<_>>()
            .join(" ")
    }
}
