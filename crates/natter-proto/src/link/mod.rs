//! The server-to-server grammar: what a server sends on a link (RFC 2813),
//! as typed data. [`LinkMessage::parse`] reads an already parsed
//! [`Message`]; [`LinkMessage::write`] appends it back as one line.
//!
//! Sources: RFC 2813 (server protocol, 2.10) for PASS, SERVER, NICK, QUIT,
//! SQUIT, JOIN, NJOIN and MODE; RFC 2812 for the messages servers relay
//! unchanged; ngIRCd's doc/Protocol.txt ("IRC+") and source for PASS
//! `<flags>`, CHANINFO and the exact lines ngIRCd (26 to 28) sends.
//!
//! A link to ngIRCd starts like this (`irc.a` connects to `irc.b`; ngIRCd's
//! conn.c `server_login` and irc-server.c `IRC_SERVER`):
//!
//! ```text
//! a → b   PASS secret 0210-IRC+ ngIRCd|26.1:CHLMSXZ PZ
//! a → b   SERVER irc.a :Server A                       (no prefix, no hopcount)
//! b → a   :irc.b PASS secret 0210-IRC+ ngIRCd|26.1:CHLMSXZ PZ
//! b → a   :irc.b SERVER irc.b 1 :Server B              (hopcount, no token)
//! b → a   :irc.b 005 irc.a NICKLEN=9 ... / :irc.b 376 irc.a :End of MOTD command
//! ```
//!
//! ngIRCd takes only this two- or three-parameter SERVER to register a
//! peer (the four-parameter form of RFC 2813 §4.1.2 gets 461), and the
//! peer's own token is then 1. When the peer's flags have the IRC+ `H`,
//! ngIRCd sends 005 and 376 (these stay [`LinkMessage::Other`]) and waits
//! for the peer's 376; without `H` it goes on at once. Then each side sends
//! its burst, prefixed by its own name: `SERVER` for the servers behind it
//! (hopcount and token), `NICK` for every user (7-parameter form),
//! `CHANINFO` (to peers with `C`) and `NJOIN` per channel, `MODE #c
//! +b/+e/+I` lists (with `L`), then `PING :irc.b`, answered by `PONG`.
//! A `Z` in the peer's flags makes ngIRCd compress the link with zlib after
//! SERVER, so a peer must not announce `Z` without speaking it; `M` brings
//! `METADATA <nick> <key> :<value>` lines, left as [`LinkMessage::Other`].
//!
//! Sources (prefixes) stay the raw string sent, a nick or a server name:
//! resolving them is the caller's job, as is everything beyond the grammar
//! (which peer may send what, hopcount consistency, nick collisions).

mod parse;
mod parts;
#[cfg(test)]
mod tests;
mod write;

pub use parts::{
    JoinChannel, NjoinMember, PassFlags, CAP_ACCOUNT, CAP_TAGS, CAP_TS, IRC_PLUS_VERSION,
    NATTER_IMPLEMENTATION,
};

use std::fmt;

use crate::message::Message;

/// One message a server sends on a link. Every variant but
/// [`Other`](LinkMessage::Other) keeps the line's source in `source`
/// (without the `:`; `None` when the line had none, which ngIRCd reads as
/// the sending server itself).
///
/// Free-text fields (info, realname, reasons, message text, topics) may
/// contain spaces; every other field is one word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkMessage {
    /// `PASS <password> <version> <flags> [<options>]` (RFC 2813 §4.1.1;
    /// ngIRCd doc/Protocol.txt II.1), the first line of a link. The old
    /// one-parameter form (RFC 1459) is an error: it carries no version.
    Pass {
        /// Source; ngIRCd prefixes the PASS it answers with (`:irc.b PASS`).
        source: Option<String>,
        /// The link password.
        password: String,
        /// Protocol version, e.g. `0210-IRC+` ([`IRC_PLUS_VERSION`]) or
        /// `0210010000`; see [`LinkMessage::is_irc_plus`].
        version: String,
        /// Implementation, version, capabilities and IRC+ flags.
        flags: PassFlags,
        /// Link options (RFC 2813 §4.1.1: `Z` compression, `P` abuse
        /// protection), e.g. `PZ`; empty when absent.
        options: String,
    },
    /// `SERVER <servername> [<hopcount> [<token>]] <info>` (RFC 2813 §4.1.2).
    /// A server registering itself sends it after PASS; ngIRCd sends
    /// `SERVER name :info` when it connects and `:name SERVER name 1 :info`
    /// when it answers, and accepts only these two shapes there.
    /// Introductions of servers behind a peer have all four parameters and
    /// the introducing server as source.
    Server {
        /// Source: the server that introduces this one.
        source: Option<String>,
        /// The server's name.
        name: String,
        /// Hops from the sender (1 for the sender itself); `None` when absent.
        hopcount: Option<u32>,
        /// The server's token on this link (RFC 2813 §4.1.2), referred to by
        /// NICK's `servertoken`; `None` when absent. Written only with a
        /// hopcount (a missing hopcount is then written as 1).
        token: Option<u32>,
        /// Free-text description.
        info: String,
    },
    /// `NICK <nickname> <hopcount> <username> <host> <servertoken> <umode>
    /// <realname>`: a user introduced to the network (RFC 2813 §4.1.3).
    /// ngIRCd: `:irc.b NICK bob 1 ~bob host.example 1 +i :Bob`.
    Nick {
        /// Source: the server sending the introduction.
        source: Option<String>,
        /// The nickname.
        nick: String,
        /// Hops from the sender to the user's server (1: on the sender).
        hopcount: u32,
        /// The username (ident), e.g. `~bob`.
        username: String,
        /// The user's host.
        host: String,
        /// Token of the user's server, as given in its SERVER line; 1 is the
        /// sending server itself (ngIRCd).
        token: u32,
        /// User mode letters without the leading `+` (`i`, or empty for `+`).
        umodes: String,
        /// Free-text real name.
        realname: String,
    },
    /// `:<old> NICK <new>`: a user changes nick (RFC 2812 §3.1.2; ngIRCd
    /// sends `:old NICK :new`).
    NickChange {
        /// Source: the old nickname.
        source: Option<String>,
        /// The new nickname.
        nick: String,
    },
    /// `QUIT [<reason>]`: a user leaves the network (RFC 2813 §4.1.5).
    Quit {
        /// Source: the quitting user.
        source: Option<String>,
        /// Free-text reason; `None` when absent.
        reason: Option<String>,
    },
    /// `SQUIT <server> <comment>`: a server leaves the network
    /// (RFC 2813 §4.1.6).
    Squit {
        /// Source: the server or operator that removed it.
        source: Option<String>,
        /// The server's name.
        server: String,
        /// Free-text comment (ngIRCd may send it empty).
        comment: String,
    },
    /// `NJOIN <channel> <members>`: channel members in the burst
    /// (RFC 2813 §4.2.2). ngIRCd: `:irc.b NJOIN #chan :@alice,+bob,carol`,
    /// several lines for a big channel. Empty list entries are skipped.
    Njoin {
        /// Source: the sending server.
        source: Option<String>,
        /// The channel.
        channel: String,
        /// The members, in the order sent.
        members: Vec<NjoinMember>,
    },
    /// `MODE <target> <modestring> [<args>...]`: user or channel modes
    /// (RFC 2813 §4.2.3; RFC 2812 §3.1.5, §3.2.3). ngIRCd sends user mode
    /// changes, including away as `+a`/`-a`, as `:bob MODE bob :+a`.
    Mode {
        /// Source: the user or server that set the modes.
        source: Option<String>,
        /// Channel or nickname.
        target: String,
        /// The mode string, e.g. `+o-v` or `+b`.
        modes: String,
        /// The mode arguments, in order.
        args: Vec<String>,
    },
    /// `TOPIC <channel> <topic>`: a topic change (RFC 2812 §3.2.4).
    Topic {
        /// Source: who set it.
        source: Option<String>,
        /// The channel.
        channel: String,
        /// Free-text topic; empty clears it.
        topic: String,
    },
    /// `JOIN <channel>[\x07<modes>]{,...}` (RFC 2813 §4.2.1); keys are not
    /// relayed between servers and are dropped. `JOIN 0` is one channel
    /// named `0`.
    Join {
        /// Source: the joining user.
        source: Option<String>,
        /// The channels, in order (empty list entries skipped).
        channels: Vec<JoinChannel>,
    },
    /// `PART <channel>{,<channel>} [<reason>]` (RFC 2812 §3.2.2).
    Part {
        /// Source: the leaving user.
        source: Option<String>,
        /// The channels, in order (empty list entries skipped).
        channels: Vec<String>,
        /// Free-text reason; `None` when absent.
        reason: Option<String>,
    },
    /// `KICK <channel> <nick> [<reason>]` (RFC 2812 §3.2.8); ngIRCd sends one
    /// channel and one nick per line, and so does [`LinkMessage::write`].
    Kick {
        /// Source: who kicked.
        source: Option<String>,
        /// The channel, as sent.
        channel: String,
        /// The kicked nickname, as sent.
        nick: String,
        /// Free-text reason; `None` when absent.
        reason: Option<String>,
    },
    /// `INVITE <nick> <channel>` (RFC 2812 §3.2.7).
    Invite {
        /// Source: who invited.
        source: Option<String>,
        /// The invited nickname.
        nick: String,
        /// The channel.
        channel: String,
    },
    /// `PRIVMSG <target> <text>` (RFC 2812 §3.3.1).
    Privmsg {
        /// Source: the sender.
        source: Option<String>,
        /// Nickname, channel or mask, as sent.
        target: String,
        /// The text.
        text: String,
    },
    /// `NOTICE <target> <text>` (RFC 2812 §3.3.2).
    Notice {
        /// Source: the sender.
        source: Option<String>,
        /// Nickname, channel or mask, as sent.
        target: String,
        /// The text.
        text: String,
    },
    /// `KILL <nick> <comment>` (RFC 2812 §3.7.1).
    Kill {
        /// Source: the operator or server that killed.
        source: Option<String>,
        /// The killed nickname.
        nick: String,
        /// Free-text comment.
        comment: String,
    },
    /// `WALLOPS <text>` (RFC 2812 §4.7).
    Wallops {
        /// Source: the sender.
        source: Option<String>,
        /// The text.
        text: String,
    },
    /// `AWAY [<message>]` (RFC 2812 §4.1). ngIRCd never sends it on links
    /// (it sends `MODE nick :+a`, without the message) and rejects it.
    Away {
        /// Source: the user.
        source: Option<String>,
        /// Away message; `None` (or empty) when back.
        message: Option<String>,
    },
    /// `PING <origin> [<target>]` (RFC 2812 §3.7.2); ngIRCd ends its burst
    /// with `:irc.b PING :irc.b`.
    Ping {
        /// Source: the pinging server.
        source: Option<String>,
        /// First parameter: the pinging server.
        origin: String,
        /// Second parameter: the server to forward to; `None` when absent.
        target: Option<String>,
    },
    /// `PONG <origin> [<target>]` (RFC 2812 §3.7.3); ngIRCd answers
    /// `:irc.b PONG irc.b :irc.a`.
    Pong {
        /// Source: the answering server.
        source: Option<String>,
        /// First parameter: the answering server.
        origin: String,
        /// Second parameter: the server the answer is for; `None` when absent.
        target: Option<String>,
    },
    /// `ERROR <message>`: the peer is closing the link (RFC 2812 §3.7.4).
    Error {
        /// Source, usually none.
        source: Option<String>,
        /// Free-text message; empty when absent.
        message: String,
    },
    /// `CHANINFO <channel> +<modes> [[<key> <limit>] <topic>]` (ngIRCd
    /// doc/Protocol.txt II.3, irc-channel.c `IRC_CHANINFO`): a channel's
    /// modes and topic in the burst, sent before its NJOIN to peers with the
    /// IRC+ `C` flag. ngIRCd uses the five-parameter form whenever the
    /// channel has `k` or `l`, with `*` for no key and `0` for no limit.
    ChanInfo {
        /// Source: the sending server.
        source: Option<String>,
        /// The channel.
        channel: String,
        /// Channel mode letters without the `+` (`nt`), possibly empty.
        modes: String,
        /// The key; `None` on the wire as `*`.
        key: Option<String>,
        /// The user limit; `None` on the wire as `0`.
        limit: Option<u64>,
        /// Free-text topic; `None` when absent or empty (ngIRCd ignores an
        /// empty topic).
        topic: Option<String>,
    },
    /// Any other command, numeric (005 and 376 in ngIRCd's handshake) or
    /// ngIRCd extension (`METADATA`, `SERVICE`, `GLINE`, `SVSNICK`), as is.
    Other(Message),
}

/// Why a link line could not be read as a [`LinkMessage`]. `Display` gives
/// one sentence for a log; a link can log it and drop the line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkError {
    /// A required parameter is missing, e.g. SERVER without `info`.
    MissingParam {
        /// The command, uppercase.
        command: &'static str,
        /// The parameter's name, as in the RFC grammar.
        param: &'static str,
    },
    /// A parameter that must be a decimal number (hopcount, token, limit) is
    /// not one, or does not fit (`u32` for counts and tokens, `u64` for
    /// limits).
    NotANumber {
        /// The command, uppercase.
        command: &'static str,
        /// The parameter's name.
        param: &'static str,
        /// The value received.
        value: String,
    },
    /// A parameter has the wrong shape: CHANINFO modes without the leading
    /// `+`, an NJOIN member that is prefixes only, a JOIN entry with modes
    /// but no channel name, a PART channel starting with `:`, a JOIN or
    /// PART with no channel.
    Malformed {
        /// The command, uppercase.
        command: &'static str,
        /// The parameter's name.
        param: &'static str,
        /// The value received.
        value: String,
        /// What was expected, in words.
        expected: &'static str,
    },
}

impl fmt::Display for LinkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LinkError::MissingParam { command, param } => {
                write!(f, "{command}: missing parameter <{param}>")
            }
            LinkError::NotANumber {
                command,
                param,
                value,
            } => write!(f, "{command}: <{param}> is not a number: {value:?}"),
            LinkError::Malformed {
                command,
                param,
                value,
                expected,
            } => write!(f, "{command}: bad <{param}> {value:?}: {expected}"),
        }
    }
}

impl std::error::Error for LinkError {}

impl LinkMessage {
    /// The line's source (prefix without `:`), whatever the variant.
    pub fn source(&self) -> Option<&str> {
        use LinkMessage as L;
        match self {
            L::Pass { source, .. }
            | L::Server { source, .. }
            | L::Nick { source, .. }
            | L::NickChange { source, .. }
            | L::Quit { source, .. }
            | L::Squit { source, .. }
            | L::Njoin { source, .. }
            | L::Mode { source, .. }
            | L::Topic { source, .. }
            | L::Join { source, .. }
            | L::Part { source, .. }
            | L::Kick { source, .. }
            | L::Invite { source, .. }
            | L::Privmsg { source, .. }
            | L::Notice { source, .. }
            | L::Kill { source, .. }
            | L::Wallops { source, .. }
            | L::Away { source, .. }
            | L::Ping { source, .. }
            | L::Pong { source, .. }
            | L::Error { source, .. }
            | L::ChanInfo { source, .. } => source.as_deref(),
            L::Other(m) => m.source.as_deref(),
        }
    }

    /// `true` for a PASS whose version names ngIRCd's IRC+ protocol (bytes
    /// 4.. are `-IRC+`, as ngIRCd's irc-login.c `IRC_PASS` checks): only
    /// then are the peer's [`PassFlags::server_flags`] meaningful.
    pub fn is_irc_plus(&self) -> bool {
        matches!(self, LinkMessage::Pass { version, .. } if version.get(4..) == Some("-IRC+"))
    }
}
