//! Configuration: the TOML file, its embedded defaults, and errors that name
//! the file, line and key.
//!
//! Every key is optional; `natter.example.toml` at the repository root
//! documents each one. [`Config::default`] is what `natter serve` runs with
//! when given no file.
//!
//! Here: the sections and their defaults, the command-line overrides and
//! listen-address resolution. `load` reads a file and finds every problem,
//! `errors` says where they are, `words` phrases type errors for people.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

mod errors;
mod files;
mod load;
mod protect;
#[cfg(test)]
mod tests;
mod words;

pub use errors::{ConfigError, ConfigErrors, Problem};
pub use files::FilesSection;
pub use protect::{ConnectClass, ConnectionsSection, FloodSection, LIFT_PROTECTIONS_TOML};

/// The whole configuration.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// `[server]`: identity and files.
    pub server: ServerSection,
    /// `[listen]`: the addresses to accept clients on.
    pub listen: ListenSection,
    /// `[im]`: the IM front end.
    pub im: ImSection,
    /// `[tls]`: the certificate of the TLS listeners, and STS.
    pub tls: TlsSection,
    /// `[http]`: the HTTP listener's WebSocket rules.
    pub http: HttpSection,
    /// `[accounts]`: account registration and login.
    pub accounts: AccountsSection,
    /// `[history]`: message history (IRCv3 chathistory).
    pub history: HistorySection,
    /// `[files]`: shared files.
    pub files: FilesSection,
    /// `[privacy]`: what other users may learn of a user's address.
    pub privacy: PrivacySection,
    /// `[limits]`: lengths and counts advertised in ISUPPORT and enforced.
    pub limits: Limits,
    /// `[timeouts]`: registration and keepalive, in seconds.
    pub timeouts: Timeouts,
    /// `[flood]`: fakelag and RecvQ of every client connection.
    pub flood: FloodSection,
    /// `[[class]]`: connect classes that change `[flood]` and the SendQ
    /// for some clients, matched by address or account.
    #[serde(rename = "class")]
    #[serde(deserialize_with = "words::classes")]
    pub classes: Vec<ConnectClass>,
    /// `[connections]`: connection limits per address block and in total.
    pub connections: ConnectionsSection,
    /// `[admin]`: what ADMIN answers.
    pub admin: Admin,
    /// `[[oper]]`: operator credentials for OPER.
    #[serde(rename = "oper")]
    #[serde(deserialize_with = "words::opers")]
    pub opers: Vec<Oper>,
    /// `[[link]]`: the servers this one links with (RFC 2813).
    #[serde(rename = "link")]
    #[serde(deserialize_with = "words::links")]
    pub links: Vec<LinkBlock>,
    /// Where this configuration was read from (`None`: embedded defaults).
    #[serde(skip)]
    pub path: Option<PathBuf>,
}

/// `[server]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default, expecting = "a [server] table")]
pub struct ServerSection {
    /// This server's name (RPL_WELCOME, message sources); must contain a dot.
    pub name: String,
    /// The network's name (ISUPPORT NETWORK).
    pub network: String,
    /// One line about the server (WHOIS 312, INFO).
    pub description: String,
    /// Directory for persistent data; created at start-up.
    #[serde(deserialize_with = "words::path")]
    pub data_dir: PathBuf,
    /// A file whose lines are the MOTD; relative paths are resolved against
    /// the configuration file's directory. Unset: a built-in MOTD.
    #[serde(deserialize_with = "words::some_path")]
    pub motd_file: Option<PathBuf>,
    /// Connection password clients must give with PASS; unset: none.
    pub password: Option<String>,
    /// Whether DIE may shut the server down (operators only).
    #[serde(deserialize_with = "words::flag")]
    pub allow_die: bool,
    /// Event-loop threads that serve connections; 0 means one per CPU
    /// core. Read at start-up only (REHASH keeps the running loops).
    #[serde(deserialize_with = "words::count")]
    pub threads: usize,
}

impl Default for ServerSection {
    fn default() -> Self {
        ServerSection {
            name: "natter.local".into(),
            network: "NatterNet".into(),
            description: "natter IRC server".into(),
            data_dir: PathBuf::from("natter-data"),
            motd_file: None,
            password: None,
            allow_die: false,
            threads: 0,
        }
    }
}

/// `[listen]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default, expecting = "a [listen] table")]
pub struct ListenSection {
    /// IRC listeners, `ip:port` or `host:port` (resolved when the file is
    /// read, to every address of the host).
    #[serde(deserialize_with = "words::addresses")]
    pub irc: Vec<SocketAddr>,
    /// IM protocol listeners, like `irc`; empty turns the IM front end off.
    #[serde(deserialize_with = "words::addresses")]
    pub im: Vec<SocketAddr>,
    /// Server link listeners (RFC 2813), like `irc`; empty (the default):
    /// this server only connects out to its `[[link]]` peers.
    #[serde(deserialize_with = "words::addresses")]
    pub link: Vec<SocketAddr>,
    /// IRC over TLS listeners (the certificate is `[tls]`'s); empty turns
    /// IRC over TLS off.
    #[serde(deserialize_with = "words::addresses")]
    pub irc_tls: Vec<SocketAddr>,
    /// IM protocol over TLS listeners; empty (the default): none.
    #[serde(deserialize_with = "words::addresses")]
    pub im_tls: Vec<SocketAddr>,
    /// Server link over TLS listeners; empty (the default): none.
    #[serde(deserialize_with = "words::addresses")]
    pub link_tls: Vec<SocketAddr>,
    /// HTTP listeners: the web client at `/`, IRC over WebSocket, and
    /// `/healthz`; empty turns them off.
    #[serde(deserialize_with = "words::addresses")]
    pub http: Vec<SocketAddr>,
    /// HTTPS listeners (the same as `http`, over TLS); empty (the default): none.
    #[serde(deserialize_with = "words::addresses")]
    pub http_tls: Vec<SocketAddr>,
    /// Prometheus metrics listeners (`/metrics`); keep them off the
    /// internet. Empty turns metrics off.
    #[serde(deserialize_with = "words::addresses")]
    pub metrics: Vec<SocketAddr>,
    /// The echo service over TCP (RFC 862, section "TCP Based Echo
    /// Service": every byte sent back until the client closes); its
    /// connections count under `[connections]` like chat clients'. Empty
    /// (the default): off.
    #[serde(deserialize_with = "words::addresses")]
    pub echo: Vec<SocketAddr>,
    /// The echo service over UDP (RFC 862, "UDP Based Echo Service": each
    /// datagram sent back as it came). Empty (the default): off.
    #[serde(deserialize_with = "words::addresses")]
    pub echo_udp: Vec<SocketAddr>,
    /// The daytime service over TCP (RFC 867, "TCP Based Daytime
    /// Service": one line with the date and time, then the server
    /// closes); its connections count under `[connections]`. Empty (the
    /// default): off.
    #[serde(deserialize_with = "words::addresses")]
    pub daytime: Vec<SocketAddr>,
    /// The daytime service over UDP (RFC 867, "UDP Based Daytime
    /// Service": any datagram is answered with the date and time, cut to
    /// the request's length so that no answer is larger than its
    /// request). Empty (the default): off.
    #[serde(deserialize_with = "words::addresses")]
    pub daytime_udp: Vec<SocketAddr>,
}

impl Default for ListenSection {
    fn default() -> Self {
        ListenSection {
            irc: vec!["127.0.0.1:6667".parse().expect("valid address")],
            im: vec!["127.0.0.1:6666".parse().expect("valid address")],
            link: Vec::new(),
            irc_tls: vec!["127.0.0.1:6697".parse().expect("valid address")],
            im_tls: Vec::new(),
            link_tls: Vec::new(),
            http: vec!["127.0.0.1:8080".parse().expect("valid address")],
            http_tls: Vec::new(),
            metrics: vec!["127.0.0.1:9667".parse().expect("valid address")],
            echo: Vec::new(),
            echo_udp: Vec::new(),
            daytime: Vec::new(),
            daytime_udp: Vec::new(),
        }
    }
}

/// `[tls]`: the certificate and key every TLS listener presents.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default, expecting = "a [tls] table")]
pub struct TlsSection {
    /// PEM file with the certificate chain, leaf first; relative paths are
    /// resolved against the configuration file's directory. Unset (with
    /// `key` unset): a self-signed certificate for `server.name`,
    /// `localhost` and `127.0.0.1`, generated into `<data_dir>/tls/` on
    /// first start and kept.
    #[serde(deserialize_with = "words::some_path")]
    pub cert: Option<PathBuf>,
    /// PEM file with the certificate's private key (PKCS#8, PKCS#1 or SEC1).
    #[serde(deserialize_with = "words::some_path")]
    pub key: Option<PathBuf>,
    /// IRCv3 `sts`: the TLS port clients should upgrade to. Unset (the
    /// default): no `sts` capability. Set it only with a certificate
    /// clients can verify: a client that saw the policy refuses plain
    /// text for `sts_duration`.
    pub sts_port: Option<u16>,
    /// IRCv3 `sts` `duration`, in seconds, for which clients keep the
    /// policy.
    #[serde(deserialize_with = "words::seconds")]
    pub sts_duration: u64,
    /// IRCv3 `sts` `preload`: whether the policy may be put in clients'
    /// preload lists.
    #[serde(deserialize_with = "words::flag")]
    pub sts_preload: bool,
}

impl Default for TlsSection {
    fn default() -> Self {
        TlsSection {
            cert: None,
            key: None,
            sts_port: None,
            // 30 days, as Ergo's example configuration has it.
            sts_duration: 30 * 24 * 3600,
            sts_preload: false,
        }
    }
}

/// `[http]`: who may open IRC over WebSocket on the HTTP listeners.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default, expecting = "a [http] table")]
pub struct HttpSection {
    /// Origins (`https://chat.example.org`) whose pages may open a
    /// WebSocket; `"*"` allows any. A request without an Origin header
    /// (not a browser) and a page served by this listener itself are
    /// always allowed.
    #[serde(deserialize_with = "words::strings")]
    pub allowed_origins: Vec<String>,
    /// Reverse proxies, as addresses or CIDR blocks (`127.0.0.1`,
    /// `10.0.0.0/8`), whose `X-Forwarded-For` header names the client's
    /// real address. Empty (the default): the header is ignored.
    #[serde(deserialize_with = "words::strings")]
    pub trusted_proxies: Vec<String>,
}

/// `[im]`: the IM front end.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default, expecting = "an [im] table")]
pub struct ImSection {
    /// Seconds between the ONLINE_USERS every IM client gets regardless of
    /// changes (the lecture's periodic presence update).
    #[serde(deserialize_with = "words::seconds")]
    pub online_users_interval: u64,
}

impl Default for ImSection {
    fn default() -> Self {
        ImSection {
            online_users_interval: 30,
        }
    }
}

/// `[accounts]`: account registration and login.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default, expecting = "an [accounts] table")]
pub struct AccountsSection {
    /// Shortest password accepted by REGISTER and NickServ, in bytes.
    #[serde(deserialize_with = "words::count")]
    pub min_password_length: usize,
    /// Whether REGISTER is accepted before connection registration
    /// completes (the `before-connect` value of
    /// `draft/account-registration`).
    #[serde(deserialize_with = "words::flag")]
    pub register_before_connect: bool,
    /// Whether a registered nick is protected: someone using it without
    /// being logged in to its account is warned, then renamed.
    #[serde(deserialize_with = "words::flag")]
    pub enforce_nicks: bool,
    /// Seconds such a user has to log in before being renamed.
    #[serde(deserialize_with = "words::seconds")]
    pub nick_grace: u64,
}

impl Default for AccountsSection {
    fn default() -> Self {
        AccountsSection {
            min_password_length: 8,
            register_before_connect: true,
            enforce_nicks: true,
            nick_grace: 30,
        }
    }
}

/// `[history]`: message history in the store (IRCv3 chathistory).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default, expecting = "a [history] table")]
pub struct HistorySection {
    /// Whether messages are kept at all.
    #[serde(deserialize_with = "words::flag")]
    pub enabled: bool,
    /// Seconds a message is kept. Retention takes messages in the order
    /// they were stored and stops at the first younger one
    /// (`natter_store::Store::prune_messages`; docs/accounts.md).
    #[serde(deserialize_with = "words::seconds")]
    pub max_age: u64,
    /// Messages kept per conversation (the newest).
    #[serde(deserialize_with = "words::count")]
    pub max_messages: usize,
    /// Messages played back to an IRC client without `draft/chathistory`
    /// when it joins a channel; 0: none.
    #[serde(deserialize_with = "words::count")]
    pub join_playback: usize,
    /// Messages an IM client gets of a conversation when it joins it.
    #[serde(deserialize_with = "words::count")]
    pub im_playback: usize,
}

impl Default for HistorySection {
    fn default() -> Self {
        HistorySection {
            enabled: true,
            max_age: 30 * 24 * 3600,
            max_messages: 10_000,
            join_playback: 0,
            im_playback: 20,
        }
    }
}

/// `[privacy]`: host cloaking (see [`crate::cloak`]).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default, expecting = "a [privacy] table")]
pub struct PrivacySection {
    /// Whether users get user mode `x` at registration: other users see a
    /// keyed cloak of their address instead of the address (the key is
    /// `<data_dir>/cloak.key`, generated on first start). Only the user
    /// and operators see the real address (WHOIS 378). A user may drop the
    /// cloak with `MODE nick -x`.
    #[serde(deserialize_with = "words::flag")]
    pub cloak: bool,
    /// The last label of every cloak (`IP` by default): letters, digits,
    /// `-` and `.`.
    pub cloak_suffix: String,
}

impl Default for PrivacySection {
    fn default() -> Self {
        PrivacySection {
            cloak: true,
            cloak_suffix: "IP".into(),
        }
    }
}

/// `[limits]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default, expecting = "a [limits] table")]
pub struct Limits {
    /// NICKLEN, bytes.
    #[serde(deserialize_with = "words::count")]
    pub nicklen: usize,
    /// CHANNELLEN, bytes.
    #[serde(deserialize_with = "words::count")]
    pub channellen: usize,
    /// TOPICLEN, bytes; longer topics are cut.
    #[serde(deserialize_with = "words::count")]
    pub topiclen: usize,
    /// KICKLEN, bytes; longer reasons are cut.
    #[serde(deserialize_with = "words::count")]
    pub kicklen: usize,
    /// AWAYLEN, bytes; longer messages are cut.
    #[serde(deserialize_with = "words::count")]
    pub awaylen: usize,
    /// USERLEN, bytes; longer usernames are cut.
    #[serde(deserialize_with = "words::count")]
    pub userlen: usize,
    /// CHANLIMIT: channels one user may be in.
    #[serde(deserialize_with = "words::count")]
    pub channels_per_user: usize,
    /// MAXLIST: entries in a channel's ban list.
    #[serde(deserialize_with = "words::count")]
    pub max_bans: usize,
    /// MODES: mode changes with a parameter in one MODE command.
    #[serde(deserialize_with = "words::count")]
    pub modes_per_command: usize,
    /// TARGMAX for PRIVMSG/NOTICE: targets in one command.
    #[serde(deserialize_with = "words::count")]
    pub max_targets: usize,
    /// Bytes queued for one client before it is dropped with "SendQ exceeded".
    #[serde(deserialize_with = "words::count")]
    pub sendq: usize,
    /// Bytes queued for one server link before it is split with "SendQ
    /// exceeded": larger than a client's, a burst must fit.
    #[serde(deserialize_with = "words::count")]
    pub link_sendq: usize,
    /// Former nicks remembered for WHOWAS.
    #[serde(deserialize_with = "words::count")]
    pub whowas: usize,
    /// Nicks one client may MONITOR (ISUPPORT MONITOR).
    #[serde(deserialize_with = "words::count")]
    pub monitor: usize,
    /// Client-only tags not relayed (ISUPPORT CLIENTTAGDENY, IRCv3
    /// message-tags): names without the `+`, `*` for all, `-name` to
    /// exempt one from `*`. Empty: every client tag is relayed.
    #[serde(deserialize_with = "words::strings")]
    pub client_tag_deny: Vec<String>,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            nicklen: 30,
            channellen: 50,
            topiclen: 390,
            kicklen: 390,
            awaylen: 390,
            userlen: 16,
            channels_per_user: 50,
            max_bans: 100,
            modes_per_command: 4,
            max_targets: 4,
            sendq: 1 << 20,
            link_sendq: 64 << 20,
            whowas: 1000,
            monitor: 100,
            client_tag_deny: Vec::new(),
        }
    }
}

/// `[timeouts]`, all in seconds.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default, expecting = "a [timeouts] table")]
pub struct Timeouts {
    /// Time a connection has to complete registration.
    #[serde(deserialize_with = "words::seconds")]
    pub registration: u64,
    /// Idle time after which the server sends PING.
    #[serde(deserialize_with = "words::seconds")]
    pub ping_interval: u64,
    /// Time after that PING within which the client must send something.
    #[serde(deserialize_with = "words::seconds")]
    pub ping_timeout: u64,
    /// Idle time after which a server link is sent PING; a link that
    /// then answers nothing for as long again is split.
    #[serde(deserialize_with = "words::seconds")]
    pub link_ping: u64,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            registration: 60,
            ping_interval: 120,
            ping_timeout: 60,
            link_ping: 30,
        }
    }
}

impl Timeouts {
    /// `registration` as a Duration.
    pub fn registration(&self) -> Duration {
        Duration::from_secs(self.registration)
    }
    /// `ping_interval` as a Duration.
    pub fn ping_interval(&self) -> Duration {
        Duration::from_secs(self.ping_interval)
    }
    /// `ping_timeout` as a Duration.
    pub fn ping_timeout(&self) -> Duration {
        Duration::from_secs(self.ping_timeout)
    }
    /// `link_ping` as a Duration.
    pub fn link_ping(&self) -> Duration {
        Duration::from_secs(self.link_ping)
    }
}

/// `[admin]`: RPL_ADMINLOC1, RPL_ADMINLOC2 and RPL_ADMINEMAIL.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default, expecting = "an [admin] table")]
pub struct Admin {
    /// First location line.
    pub location: String,
    /// Second location line.
    pub description: String,
    /// Contact address.
    pub email: String,
}

impl Default for Admin {
    fn default() -> Self {
        Admin {
            location: "natter server".into(),
            description: "Administered by its operators".into(),
            email: "admin@natter.local".into(),
        }
    }
}

/// One `[[oper]]` block.
#[derive(Debug, Clone, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "an [[oper]] table with a name and a password"
)]
pub struct Oper {
    /// The name given to OPER.
    pub name: String,
    /// An argon2 PHC hash, as `natter passwd` prints it.
    pub password: String,
    /// `user@host` glob the operator must connect from (default `*@*`).
    #[serde(default = "any_host")]
    pub host: String,
}

/// One `[[link]]` block: a server this one links with (RFC 2813 §4.1).
#[derive(Debug, Clone, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a [[link]] table with a name and passwords"
)]
pub struct LinkBlock {
    /// The peer's server name; its SERVER line must give this name.
    pub name: String,
    /// Where to connect to it (`host:port`, its IRC or link port); unset:
    /// it connects to us.
    #[serde(default)]
    pub address: Option<String>,
    /// The password this server sends in PASS.
    pub send_password: String,
    /// An argon2 PHC hash (as `natter passwd` prints it) of the password
    /// the peer must send.
    pub receive_password: String,
    /// Whether to connect at start-up and again after the link breaks,
    /// waiting 1, 2, 4 ... up to 60 seconds between tries.
    #[serde(default, deserialize_with = "words::flag")]
    pub autoconnect: bool,
    /// Whether this server connects to the peer's `address` over TLS (the
    /// address is then the peer's `link_tls` listener).
    #[serde(default, deserialize_with = "words::flag")]
    pub tls: bool,
    /// The SHA-256 fingerprint of the peer's TLS certificate (hex, colons
    /// allowed), as the peer logs it at start-up. Required with `tls`; when
    /// set, a peer connecting in must also present this certificate (over
    /// a `link_tls` listener).
    #[serde(default)]
    pub fingerprint: Option<String>,
}

fn any_host() -> String {
    "*@*".into()
}

/// Command-line settings that override the file (`--listen`,
/// `--data-dir`, `--server-name`); kept so REHASH can apply them again.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// Replaces `listen.irc` when not empty.
    pub listen: Vec<SocketAddr>,
    /// Replaces `listen.im` when not empty.
    pub im_listen: Vec<SocketAddr>,
    /// Replaces `listen.link` when not empty.
    pub link_listen: Vec<SocketAddr>,
    /// Replaces `listen.irc_tls` when not empty.
    pub tls_listen: Vec<SocketAddr>,
    /// Replaces `listen.http` when not empty.
    pub http_listen: Vec<SocketAddr>,
    /// Replaces `listen.metrics` when not empty.
    pub metrics_listen: Vec<SocketAddr>,
    /// Replaces `server.data_dir`.
    pub data_dir: Option<PathBuf>,
    /// Replaces `server.name`.
    pub server_name: Option<String>,
}

impl Overrides {
    /// Applies the overrides to `config`, then validates the result (a
    /// server name from the command line is checked like one from a file).
    ///
    /// Errors: every problem [`Config::validate`] finds.
    pub fn apply(&self, config: &mut Config) -> Result<(), ConfigErrors> {
        if !self.listen.is_empty() {
            config.listen.irc = self.listen.clone();
        }
        if !self.im_listen.is_empty() {
            config.listen.im = self.im_listen.clone();
        }
        if !self.link_listen.is_empty() {
            config.listen.link = self.link_listen.clone();
        }
        if !self.tls_listen.is_empty() {
            config.listen.irc_tls = self.tls_listen.clone();
        }
        if !self.http_listen.is_empty() {
            config.listen.http = self.http_listen.clone();
        }
        if !self.metrics_listen.is_empty() {
            config.listen.metrics = self.metrics_listen.clone();
        }
        if let Some(d) = &self.data_dir {
            config.server.data_dir = d.clone();
        }
        if let Some(n) = &self.server_name {
            config.server.name = n.clone();
        }
        config.validate().map_err(|problems| {
            ConfigErrors(
                problems
                    .into_iter()
                    .map(|p| ConfigError {
                        file: None,
                        line: None,
                        key: Some(p.key.to_string()),
                        message: p.message,
                    })
                    .collect(),
            )
        })
    }
}

/// A listener address: `IP:PORT` (`[::1]:6667` for IPv6), or
/// `HOST:PORT` with a host name resolved now to every address it has
/// (`localhost:6667` may be both `127.0.0.1:6667` and `[::1]:6667`).
///
/// Errors, in words: no port, a port that is not a number from 0 to
/// 65535, or a host name that does not resolve.
pub fn resolve_listen(text: &str) -> Result<Vec<SocketAddr>, String> {
    resolve_listen_with(text, |host, port| {
        std::net::ToSocketAddrs::to_socket_addrs(&(host, port)).map(Iterator::collect)
    })
}

/// [`resolve_listen`] with `lookup` for host names.
fn resolve_listen_with(
    text: &str,
    lookup: impl FnOnce(&str, u16) -> std::io::Result<Vec<SocketAddr>>,
) -> Result<Vec<SocketAddr>, String> {
    if let Ok(addr) = text.parse::<SocketAddr>() {
        return Ok(vec![addr]);
    }
    let needed = "an IP address or host name and a port are needed, such as 127.0.0.1:6667";
    let Some((host, port)) = text.rsplit_once(':').filter(|(h, _)| !h.is_empty()) else {
        return Err(format!("{text:?} is not an address: {needed}"));
    };
    let Ok(port) = port.parse::<u16>() else {
        return Err(format!(
            "{text:?} is not an address: {port:?} is not a port (0 to 65535); {needed}"
        ));
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let mut addrs = lookup(host, port).map_err(|e| format!("cannot resolve {host:?}: {e}"))?;
    // Keep the resolver's order (it puts the preferred address first).
    let mut seen = Vec::new();
    addrs.retain(|a| {
        let new = !seen.contains(a);
        seen.push(*a);
        new
    });
    if addrs.is_empty() {
        return Err(format!("{host:?} resolves to no address"));
    }
    Ok(addrs)
}
