//! Server bans (K-lines and D-lines, as Solanum and InspIRCd call them):
//! what an operator set, as the network passes it around. Matching a
//! connection against a ban is the server's job; the model only carries
//! the ban in [`crate::Event::ServerBanSet`] and
//! [`crate::Event::ServerBanLifted`].

/// Which kind of server ban.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BanKind {
    /// A K-line: a `user@host` mask, checked when a client registers.
    Kline,
    /// A D-line: an IP address or CIDR block, checked when a connection
    /// is accepted.
    Dline,
}

impl BanKind {
    /// The kind's letter: `K` or `D` (STATS queries, the store, links).
    pub fn letter(self) -> char {
        match self {
            BanKind::Kline => 'K',
            BanKind::Dline => 'D',
        }
    }

    /// The kind for letter `K` or `D` (either case).
    pub fn from_letter(letter: &str) -> Option<BanKind> {
        match letter {
            "K" | "k" => Some(BanKind::Kline),
            "D" | "d" => Some(BanKind::Dline),
            _ => None,
        }
    }

    /// How a user refused by it is told: `K-Lined` or `D-Lined`.
    pub fn label(self) -> &'static str {
        match self {
            BanKind::Kline => "K-Lined",
            BanKind::Dline => "D-Lined",
        }
    }
}

/// One server ban.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerBan {
    /// K-line or D-line.
    pub kind: BanKind,
    /// What it matches, normalized by the server that set it: `user@host`
    /// (lower case) for a K-line, an address or `address/prefix` for a
    /// D-line.
    pub mask: String,
    /// Why, as the operator gave it; shown to the banned user.
    pub reason: String,
    /// Who set it: the operator's `nick!user@host`.
    pub set_by: String,
    /// When it was set, Unix seconds.
    pub set_at: u64,
    /// When it stops matching, Unix seconds; `None` for a permanent ban.
    pub expires_at: Option<u64>,
}

impl ServerBan {
    /// Whether it still matches at `now` (Unix seconds).
    pub fn active(&self, now: u64) -> bool {
        self.expires_at.is_none_or(|t| now < t)
    }
}
