//! The small grammars inside link parameters: the `<flags>` of PASS
//! ([`PassFlags`], RFC 2813 §4.1.1 and ngIRCd's doc/Protocol.txt II.1), one
//! member of an NJOIN list ([`NjoinMember`], RFC 2813 §4.2.2) and one target
//! of a server's JOIN ([`JoinChannel`], RFC 2813 §4.2.1).

use std::fmt;

/// The `<version>` natter sends in PASS: IRC protocol 2.10 with ngIRCd's
/// IRC+ extensions (RFC 2813 §4.1.1: four digits of protocol version, then
/// up to 10 implementation-dependent bytes; ngIRCd doc/Protocol.txt II.1:
/// `-IRC+`). ngIRCd reads the `<flags>` of a peer as IRC+ only after this.
pub const IRC_PLUS_VERSION: &str = "0210-IRC+";

/// The implementation name natter writes before the `|` of PASS `<flags>`.
/// The capability list ([`PassFlags::capabilities`]) is parsed only after
/// this name (compared ASCII-case-insensitively).
pub const NATTER_IMPLEMENTATION: &str = "natter";

/// Capability `TS`: the peer keeps nick and channel timestamps. A name
/// reserved for natter-to-natter links; no timestamp fields are parsed yet.
pub const CAP_TS: &str = "TS";

/// Capability `TAGS`: the peer accepts IRCv3 message tags on link lines. A
/// name reserved for natter-to-natter links; see
/// [`LinkMessage::write_with_tags`](super::LinkMessage::write_with_tags).
pub const CAP_TAGS: &str = "TAGS";

/// Capability `ACCOUNT`: the peer propagates users' account names. A name
/// reserved for natter-to-natter links; no account fields are parsed yet.
pub const CAP_ACCOUNT: &str = "ACCOUNT";

/// The `<flags>` parameter of a server's PASS, split into its parts.
///
/// Wire form (RFC 2813 §4.1.1: `<implementation>|<implementation-dependent>`,
/// at most 100 bytes; ngIRCd doc/Protocol.txt II.1 fills the second part as
/// `<serverversion>[:<serverflags>]`), with natter's capability list after
/// its version:
///
/// ```text
/// flags   = implementation "|" version ["/" capability *("," capability)] [":" serverflags]
/// ngIRCd|26.1:CHLMSXZ      natter|0.1/TS,TAGS,ACCOUNT:CHLMSX      IRC|aBgH$
/// ```
///
/// The capabilities sit in the version part because ngIRCd only logs that
/// part, whereas it reads every byte after the `:` as a one-letter flag
/// (`Client_HasFlag` is a `strchr`), so a capability there would switch on
/// ngIRCd features (`S`, `C`, `Z`, ...) by accident.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PassFlags {
    /// Implementation name before the `|`: `ngIRCd`, `natter`, `IRC`.
    /// The whole parameter when it has no `|`.
    pub implementation: String,
    /// Server version after the `|` (`26.1`), without capabilities and
    /// server flags. For peers not using the ngIRCd syntax, everything after
    /// the `|` up to a `:`.
    pub version: String,
    /// natter capability names (e.g. [`CAP_TS`], [`CAP_TAGS`],
    /// [`CAP_ACCOUNT`]), in the order sent; empty for other implementations.
    pub capabilities: Vec<String>,
    /// IRC+ server flag letters after the `:` (ngIRCd doc/Protocol.txt II.1:
    /// `C` CHANINFO, `H` enhanced handshake, `L` list sync, `M` METADATA,
    /// `S` SERVICE, `X` XOP modes, `Z` compression, `o` oper modes); empty
    /// when there is no `:`.
    pub server_flags: String,
}

impl PassFlags {
    /// Splits a PASS `<flags>` parameter; never fails. The first `|` ends
    /// the implementation name, the first `:` after it starts the server
    /// flags, and for [`NATTER_IMPLEMENTATION`] the first `/` in the version
    /// starts the comma-separated capability list (empty names are dropped).
    pub fn parse(s: &str) -> PassFlags {
        let (implementation, rest) = s.split_once('|').unwrap_or((s, ""));
        let (version, server_flags) = rest.split_once(':').unwrap_or((rest, ""));
        let natter = implementation.eq_ignore_ascii_case(NATTER_IMPLEMENTATION);
        let (version, capabilities) = match version.split_once('/') {
            Some((v, caps)) if natter => (
                v,
                caps.split(',')
                    .filter(|c| !c.is_empty())
                    .map(str::to_owned)
                    .collect(),
            ),
            _ => (version, Vec::new()),
        };
        PassFlags {
            implementation: implementation.to_owned(),
            version: version.to_owned(),
            capabilities,
            server_flags: server_flags.to_owned(),
        }
    }

    /// `true` if the IRC+ server flags contain `flag` (case-sensitive: `o`
    /// and `O` differ), as ngIRCd's `Client_HasFlag` checks them.
    pub fn has_flag(&self, flag: char) -> bool {
        self.server_flags.contains(flag)
    }

    /// `true` if the capability list contains `cap` (exact match).
    pub fn has_capability(&self, cap: &str) -> bool {
        self.capabilities.iter().any(|c| c == cap)
    }
}

/// The wire form, `implementation|version[/cap,cap][:serverflags]`; the `/`
/// part is written when there are capabilities and the `:` part when there
/// are server flags. Capabilities are written whatever the implementation,
/// but parsed back only for [`NATTER_IMPLEMENTATION`].
impl fmt::Display for PassFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}|{}", self.implementation, self.version)?;
        for (i, cap) in self.capabilities.iter().enumerate() {
            f.write_str(if i == 0 { "/" } else { "," })?;
            f.write_str(cap)?;
        }
        if !self.server_flags.is_empty() {
            write!(f, ":{}", self.server_flags)?;
        }
        Ok(())
    }
}

/// One entry of an NJOIN member list: a nickname and its channel status.
///
/// Wire form (RFC 2813 §4.2.2: `[ "@@" / "@" ] [ "+" ] <nickname>`; ngIRCd
/// adds `~`, `&` and `%` for peers with the IRC+ `X` flag, in the order
/// `~ & @ % +`). Prefixes are read in any order. `@@` marks the channel
/// creator (mode `O`), who is also an operator: parsing `@@` sets both
/// `creator` and `op`, and writing a creator writes `@@` (ngIRCd reads it as
/// `@`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NjoinMember {
    /// The nickname, without prefixes.
    pub nick: String,
    /// `@@`: channel creator (RFC 2813 §4.2.2; channel mode `O`).
    pub creator: bool,
    /// `~`: channel owner (ngIRCd, mode `q`).
    pub owner: bool,
    /// `&`: channel admin (ngIRCd, mode `a`).
    pub admin: bool,
    /// `@`: channel operator (mode `o`).
    pub op: bool,
    /// `%`: half-operator (ngIRCd, mode `h`).
    pub halfop: bool,
    /// `+`: voice (mode `v`).
    pub voice: bool,
}

impl NjoinMember {
    /// A member without any status.
    pub fn new(nick: &str) -> NjoinMember {
        NjoinMember {
            nick: nick.to_owned(),
            ..NjoinMember::default()
        }
    }

    /// Reads one list entry; `None` when nothing is left after the prefixes.
    pub(super) fn parse(mut s: &str) -> Option<NjoinMember> {
        let mut m = NjoinMember::default();
        loop {
            if let Some(rest) = s.strip_prefix("@@") {
                (m.creator, m.op, s) = (true, true, rest);
                continue;
            }
            let flag = match s.as_bytes().first() {
                Some(b'~') => &mut m.owner,
                Some(b'&') => &mut m.admin,
                Some(b'@') => &mut m.op,
                Some(b'%') => &mut m.halfop,
                Some(b'+') => &mut m.voice,
                _ => break,
            };
            *flag = true;
            s = &s[1..];
        }
        m.nick = s.to_owned();
        (!s.is_empty()).then_some(m)
    }

    /// Appends the entry: prefixes in ngIRCd's order (`~ & @@|@ % +`), then
    /// the nickname.
    pub(super) fn write(&self, out: &mut String) {
        for (on, p) in [
            (self.owner, "~"),
            (self.admin, "&"),
            (self.creator, "@@"),
            (self.op && !self.creator, "@"),
            (self.halfop, "%"),
            (self.voice, "+"),
        ] {
            if on {
                out.push_str(p);
            }
        }
        out.push_str(&self.nick);
    }
}

/// One channel of a server's JOIN, with the joining user's status.
///
/// Wire form (RFC 2813 §4.2.1): `<channel>[ %x7 <modes> ]`, e.g.
/// `#chan\x07ov`: the user joins `#chan` with modes `o` and `v` (RFC 2813
/// names `O`, `o` and `v`). ngIRCd sends this form to RFC 2813 peers.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct JoinChannel {
    /// The channel name, without the BEL and modes.
    pub name: String,
    /// Channel-user mode letters after the BEL; empty when there were none.
    pub modes: String,
}

impl JoinChannel {
    /// A channel joined without status.
    pub fn new(name: &str) -> JoinChannel {
        JoinChannel {
            name: name.to_owned(),
            modes: String::new(),
        }
    }

    /// Splits one comma-separated entry at its first BEL (0x07); `None` when
    /// the channel name before it is empty.
    pub(super) fn parse(s: &str) -> Option<JoinChannel> {
        let (name, modes) = s.split_once('\x07').unwrap_or((s, ""));
        (!name.is_empty()).then(|| JoinChannel {
            name: name.to_owned(),
            modes: modes.to_owned(),
        })
    }

    /// Appends `name[\x07modes]`.
    pub(super) fn write(&self, out: &mut String) {
        out.push_str(&self.name);
        if !self.modes.is_empty() {
            out.push('\x07');
            out.push_str(&self.modes);
        }
    }
}
