//! The sections that protect a public server: `[flood]` (fakelag and
//! RecvQ), `[[class]]` (connect classes that change them for some
//! clients) and `[connections]` (connection limits per address block, per
//! time window and in total).
//!
//! Every protection is on by default with no exempt address, loopback
//! included (issue 13, "defaults protect"); the tests, the irctest
//! controller and the benchmarks turn off what they must in their own
//! configurations.

use serde::Deserialize;

use super::words;

/// `[flood]`: the default input limits of every client connection (IRC,
/// IM and WebSocket), as InspIRCd's `<connect>` and Ergo's fakelag have
/// them. A `[[class]]` may change them for some clients; operators are
/// exempt.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default, expecting = "a [flood] table")]
pub struct FloodSection {
    /// Lines a client may send at once before it is slowed (the token
    /// bucket's size). The default passes a pasted block of ten lines and
    /// the lines a client sends while registering.
    #[serde(deserialize_with = "words::count")]
    pub burst: usize,
    /// Lines per second handled after the burst (the bucket's refill
    /// rate); the excess waits, it is not dropped.
    #[serde(deserialize_with = "words::count")]
    pub per_second: usize,
    /// Bytes of input a client may have sent that are not handled yet
    /// (RecvQ); past it the client is disconnected with "Excess Flood".
    /// At least one longest line (8,703 bytes).
    #[serde(deserialize_with = "words::count")]
    pub recvq: usize,
    /// Nick changes a user may make at once (NICK), past which they are
    /// refused with ERR_NICKTOOFAST (438) until the bucket refills.
    #[serde(deserialize_with = "words::count")]
    pub nick_burst: usize,
    /// Nick changes a minute after the burst.
    #[serde(deserialize_with = "words::count")]
    pub nicks_per_minute: usize,
    /// Channels a user may join at once (an autojoin list), past which
    /// joins are refused with ERR_TOOMANYJOINS (500): JOIN/PART cycling.
    #[serde(deserialize_with = "words::count")]
    pub join_burst: usize,
    /// Channel joins a minute after the burst.
    #[serde(deserialize_with = "words::count")]
    pub joins_per_minute: usize,
}

impl Default for FloodSection {
    fn default() -> Self {
        FloodSection {
            burst: 16,
            per_second: 4,
            recvq: 16 * 1024,
            nick_burst: 5,
            nicks_per_minute: 6,
            join_burst: 50,
            joins_per_minute: 30,
        }
    }
}

/// One `[[class]]` block: a connect class (InspIRCd's `<connect>`,
/// Solanum's `class`). A client gets the first class whose `hosts` match
/// its address (before and after registration) or whose `accounts` match
/// the account it logged in to; unset values come from `[flood]` and
/// `[limits]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a [[class]] table with a name and hosts or accounts"
)]
pub struct ConnectClass {
    /// The class's name, shown in logs.
    pub name: String,
    /// Addresses or CIDR blocks (`192.0.2.7`, `10.0.0.0/8`, `::1`); `*`
    /// matches every address.
    #[serde(default, deserialize_with = "words::strings")]
    pub hosts: Vec<String>,
    /// Account names, `*` and `?` wildcards allowed; matched
    /// case-insensitively once the client has logged in.
    #[serde(default, deserialize_with = "words::strings")]
    pub accounts: Vec<String>,
    /// No fakelag and no RecvQ limit for this class.
    #[serde(default, deserialize_with = "words::flag")]
    pub exempt: bool,
    /// Replaces `[flood] burst`.
    #[serde(default, deserialize_with = "words::some_count")]
    pub burst: Option<usize>,
    /// Replaces `[flood] per_second`.
    #[serde(default, deserialize_with = "words::some_count")]
    pub per_second: Option<usize>,
    /// Replaces `[flood] recvq`, in bytes.
    #[serde(default, deserialize_with = "words::some_count")]
    pub recvq: Option<usize>,
    /// Replaces `[limits] sendq`, in bytes.
    #[serde(default, deserialize_with = "words::some_count")]
    pub sendq: Option<usize>,
}

/// `[connections]`: how many client connections (IRC, IM, WebSocket) are
/// accepted, per address block and in total.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default, expecting = "a [connections] table")]
pub struct ConnectionsSection {
    /// Concurrent connections per address block (0: no limit).
    #[serde(deserialize_with = "words::count")]
    pub per_host: usize,
    /// Prefix length of an IPv4 address block (32: each address).
    #[serde(deserialize_with = "words::count")]
    pub ipv4_prefix: usize,
    /// Prefix length of an IPv6 address block (64: one site's subnet).
    #[serde(deserialize_with = "words::count")]
    pub ipv6_prefix: usize,
    /// New connections per address block within `window` seconds (0: no
    /// limit).
    #[serde(deserialize_with = "words::count")]
    pub per_window: usize,
    /// The rate window, in seconds.
    #[serde(deserialize_with = "words::seconds")]
    pub window: u64,
    /// Concurrent client connections in total; 0 (the default): the
    /// process's open-files limit less `reserved_files`.
    #[serde(deserialize_with = "words::count")]
    pub max_clients: usize,
    /// Open files kept back from clients for listeners, links, the store
    /// and logs.
    #[serde(deserialize_with = "words::count")]
    pub reserved_files: usize,
    /// Addresses or CIDR blocks exempt from `per_host` and `per_window`
    /// (not from `max_clients`). Empty by default, loopback included.
    #[serde(deserialize_with = "words::strings")]
    pub exempt: Vec<String>,
}

impl Default for ConnectionsSection {
    fn default() -> Self {
        ConnectionsSection {
            per_host: 10,
            ipv4_prefix: 32,
            ipv6_prefix: 64,
            per_window: 20,
            window: 60,
            max_clients: 0,
            reserved_files: 64,
            exempt: Vec::new(),
        }
    }
}

impl super::Config {
    /// Turns off flood control (every client in an exempt class) and the
    /// per-address connection limits; the total stays. For the tests, the
    /// irctest controller and the benchmarks, which open many connections
    /// from one address and send as fast as they can on purpose.
    pub fn lift_protections(&mut self) {
        self.classes.insert(
            0,
            ConnectClass {
                name: "unprotected".into(),
                hosts: vec!["*".into()],
                accounts: Vec::new(),
                exempt: true,
                burst: None,
                per_second: None,
                recvq: None,
                sendq: None,
            },
        );
        self.connections.per_host = 0;
        self.connections.per_window = 0;
    }
}

/// The same as [`Config::lift_protections`](super::Config::lift_protections)
/// for a configuration file: appended to a TOML text that has no
/// `[connections]` table of its own.
pub const LIFT_PROTECTIONS_TOML: &str = "
# Tests and benchmarks open many connections from one address and send as
# fast as they can on purpose: no flood control, no per-address limits.
[connections]
per_host = 0
per_window = 0

[[class]]
name = \"unprotected\"
hosts = [\"*\"]
exempt = true
";
