//! Configuration: the TOML file, its embedded defaults, and errors that name
//! the file, line and key.
//!
//! Every key is optional; `natter.example.toml` at the repository root
//! documents each one. [`Config::default`] is what `natter serve` runs with
//! when given no file.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

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
    /// `[limits]`: lengths and counts advertised in ISUPPORT and enforced.
    pub limits: Limits,
    /// `[timeouts]`: registration and keepalive, in seconds.
    pub timeouts: Timeouts,
    /// `[admin]`: what ADMIN answers.
    pub admin: Admin,
    /// `[[oper]]`: operator credentials for OPER.
    #[serde(rename = "oper")]
    pub opers: Vec<Oper>,
    /// Where this configuration was read from (`None`: embedded defaults).
    #[serde(skip)]
    pub path: Option<PathBuf>,
}

/// `[server]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerSection {
    /// This server's name (RPL_WELCOME, message sources); must contain a dot.
    pub name: String,
    /// The network's name (ISUPPORT NETWORK).
    pub network: String,
    /// One line about the server (WHOIS 312, INFO).
    pub description: String,
    /// Directory for persistent data; created at start-up.
    pub data_dir: PathBuf,
    /// A file whose lines are the MOTD; relative paths are resolved against
    /// the configuration file's directory. Unset: a built-in MOTD.
    pub motd_file: Option<PathBuf>,
    /// Connection password clients must give with PASS; unset: none.
    pub password: Option<String>,
    /// Whether DIE may shut the server down (operators only).
    pub allow_die: bool,
    /// Event-loop threads that serve connections; 0 means one per CPU
    /// core. Read at start-up only (REHASH keeps the running loops).
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
#[serde(deny_unknown_fields, default)]
pub struct ListenSection {
    /// IRC listeners, `ip:port`.
    pub irc: Vec<SocketAddr>,
    /// IM protocol listeners, `ip:port`; empty turns the IM front end off.
    pub im: Vec<SocketAddr>,
}

impl Default for ListenSection {
    fn default() -> Self {
        ListenSection {
            irc: vec!["127.0.0.1:6667".parse().expect("valid address")],
            im: vec!["127.0.0.1:6666".parse().expect("valid address")],
        }
    }
}

/// `[im]`: the IM front end.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ImSection {
    /// Seconds between the ONLINE_USERS every IM client gets regardless of
    /// changes (the lecture's periodic presence update).
    pub online_users_interval: u64,
}

impl Default for ImSection {
    fn default() -> Self {
        ImSection {
            online_users_interval: 30,
        }
    }
}

/// `[limits]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// NICKLEN, bytes.
    pub nicklen: usize,
    /// CHANNELLEN, bytes.
    pub channellen: usize,
    /// TOPICLEN, bytes; longer topics are cut.
    pub topiclen: usize,
    /// KICKLEN, bytes; longer reasons are cut.
    pub kicklen: usize,
    /// AWAYLEN, bytes; longer messages are cut.
    pub awaylen: usize,
    /// USERLEN, bytes; longer usernames are cut.
    pub userlen: usize,
    /// CHANLIMIT: channels one user may be in.
    pub channels_per_user: usize,
    /// MAXLIST: entries in a channel's ban list.
    pub max_bans: usize,
    /// MODES: mode changes with a parameter in one MODE command.
    pub modes_per_command: usize,
    /// TARGMAX for PRIVMSG/NOTICE: targets in one command.
    pub max_targets: usize,
    /// Bytes queued for one client before it is dropped with "SendQ exceeded".
    pub sendq: usize,
    /// Former nicks remembered for WHOWAS.
    pub whowas: usize,
    /// Nicks one client may MONITOR (ISUPPORT MONITOR).
    pub monitor: usize,
    /// Client-only tags not relayed (ISUPPORT CLIENTTAGDENY, IRCv3
    /// message-tags): names without the `+`, `*` for all, `-name` to
    /// exempt one from `*`. Empty: every client tag is relayed.
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
            whowas: 1000,
            monitor: 100,
            client_tag_deny: Vec::new(),
        }
    }
}

/// `[timeouts]`, all in seconds.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Timeouts {
    /// Time a connection has to complete registration.
    pub registration: u64,
    /// Idle time after which the server sends PING.
    pub ping_interval: u64,
    /// Time after that PING within which the client must send something.
    pub ping_timeout: u64,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            registration: 60,
            ping_interval: 120,
            ping_timeout: 60,
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
}

/// `[admin]`: RPL_ADMINLOC1, RPL_ADMINLOC2 and RPL_ADMINEMAIL.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
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
#[serde(deny_unknown_fields)]
pub struct Oper {
    /// The name given to OPER.
    pub name: String,
    /// An argon2 PHC hash, as `natter passwd` prints it.
    pub password: String,
    /// `user@host` glob the operator must connect from (default `*@*`).
    #[serde(default = "any_host")]
    pub host: String,
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
    /// Replaces `server.data_dir`.
    pub data_dir: Option<PathBuf>,
    /// Replaces `server.name`.
    pub server_name: Option<String>,
}

impl Overrides {
    /// Applies the overrides to `config`, then validates the result (a
    /// server name from the command line is checked like one from a file).
    pub fn apply(&self, config: &mut Config) -> Result<(), ConfigError> {
        if !self.listen.is_empty() {
            config.listen.irc = self.listen.clone();
        }
        if !self.im_listen.is_empty() {
            config.listen.im = self.im_listen.clone();
        }
        if let Some(d) = &self.data_dir {
            config.server.data_dir = d.clone();
        }
        if let Some(n) = &self.server_name {
            config.server.name = n.clone();
        }
        config.validate().map_err(|(key, message)| ConfigError {
            file: None,
            line: None,
            key: Some(key.to_string()),
            message,
        })
    }
}

/// A configuration that could not be used, with where the problem is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The file, when there is one.
    pub file: Option<PathBuf>,
    /// 1-based line of the offending key, when known.
    pub line: Option<usize>,
    /// Dotted key, e.g. `limits.nicklen`, when known.
    pub key: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.file {
            Some(p) => write!(f, "{}", p.display())?,
            None => write!(f, "configuration")?,
        }
        if let Some(l) = self.line {
            write!(f, ":{l}")?;
        }
        if let Some(k) = &self.key {
            write!(f, ": key `{k}`")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for ConfigError {}

impl Config {
    /// Reads and validates the TOML file at `path`.
    ///
    /// Errors: the file cannot be read; TOML syntax; an unknown key; a value
    /// of the wrong type or out of range; a MOTD file that cannot be read.
    /// Each names the file and, where it applies, the line and key.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
            file: Some(path.to_path_buf()),
            line: None,
            key: None,
            message: format!("cannot read: {e}"),
        })?;
        let mut config = Config::parse(&text).map_err(|mut e| {
            e.file = Some(path.to_path_buf());
            e
        })?;
        config.path = Some(path.to_path_buf());
        Ok(config)
    }

    /// Parses and validates configuration text (no file involved).
    pub fn parse(text: &str) -> Result<Config, ConfigError> {
        let config: Config = toml::from_str(text).map_err(|e| {
            let (line, key) = match e.span() {
                Some(span) => locate_span(text, span.start),
                None => (None, None),
            };
            ConfigError {
                file: None,
                line,
                key,
                // The parser's message may span lines; keep it to one.
                message: one_line(e.message()),
            }
        })?;
        config.validate().map_err(|(key, message)| ConfigError {
            file: None,
            line: find_key_line(text, key),
            key: Some(key.to_string()),
            message,
        })?;
        Ok(config)
    }

    /// Range checks that serde's types cannot express. Returns the dotted key
    /// and the problem.
    pub fn validate(&self) -> Result<(), (&'static str, String)> {
        let name = &self.server.name;
        if !name.contains('.')
            || name.contains([' ', '!', '@', '*', '?', ','])
            || name.starts_with(':')
        {
            return Err((
                "server.name",
                format!("{name:?} is not a server name (it needs a dot and no spaces, '!', '@', '*', '?' or ',')"),
            ));
        }
        if self.server.network.is_empty() || self.server.network.contains(' ') {
            return Err(("server.network", "must be one word".into()));
        }
        let l = &self.limits;
        let checks: [(&'static str, usize, usize, usize); 10] = [
            ("limits.nicklen", l.nicklen, 1, 200),
            ("limits.channellen", l.channellen, 2, 200),
            ("limits.topiclen", l.topiclen, 1, 400),
            ("limits.kicklen", l.kicklen, 1, 400),
            ("limits.awaylen", l.awaylen, 1, 400),
            ("limits.userlen", l.userlen, 1, 64),
            ("limits.channels_per_user", l.channels_per_user, 1, 10_000),
            ("limits.modes_per_command", l.modes_per_command, 1, 100),
            ("limits.max_targets", l.max_targets, 1, 100),
            ("limits.sendq", l.sendq, 4096, 1 << 30),
        ];
        for (key, v, lo, hi) in checks {
            if v < lo || v > hi {
                return Err((key, format!("{v} is out of range {lo}..={hi}")));
            }
        }
        let t = &self.timeouts;
        for (key, v) in [
            ("im.online_users_interval", self.im.online_users_interval),
            ("timeouts.registration", t.registration),
            ("timeouts.ping_interval", t.ping_interval),
            ("timeouts.ping_timeout", t.ping_timeout),
        ] {
            if v == 0 {
                return Err((key, "must be at least 1 second".into()));
            }
        }
        for oper in &self.opers {
            if argon2::PasswordHash::new(&oper.password).is_err() {
                return Err((
                    "oper.password",
                    format!("the password of oper {:?} is not an argon2 hash; make one with `natter passwd`", oper.name),
                ));
            }
        }
        Ok(())
    }

    /// The MOTD lines: the configured file's, or a built-in greeting.
    ///
    /// Errors: the configured file cannot be read (names `server.motd_file`).
    pub fn load_motd(&self) -> Result<Vec<String>, ConfigError> {
        let Some(file) = &self.server.motd_file else {
            return Ok(vec![
                format!("Welcome to {}, a natter server.", self.server.network),
                "Be kind. Type /join #natter to meet people.".to_string(),
            ]);
        };
        let resolved = match (&self.path, file.is_relative()) {
            (Some(cfg), true) => cfg.parent().unwrap_or(Path::new(".")).join(file),
            _ => file.clone(),
        };
        let text = std::fs::read_to_string(&resolved).map_err(|e| ConfigError {
            file: self.path.clone(),
            line: self
                .path
                .as_ref()
                .and_then(|p| std::fs::read_to_string(p).ok())
                .and_then(|t| find_key_line(&t, "server.motd_file")),
            key: Some("server.motd_file".into()),
            message: format!("cannot read MOTD file {}: {e}", resolved.display()),
        })?;
        Ok(text.lines().map(|l| l.trim_end().to_string()).collect())
    }
}

/// `text`'s non-empty lines, trimmed and joined with "; ".
fn one_line(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("; ")
}

/// The 1-based line of byte offset `at`, and the dotted key written on it.
fn locate_span(text: &str, at: usize) -> (Option<usize>, Option<String>) {
    let at = at.min(text.len());
    let line_no = text[..at].matches('\n').count() + 1;
    let mut section = String::new();
    let mut key = None;
    for (i, line) in text.lines().enumerate() {
        let t = line.trim();
        if t.starts_with('[') {
            section = t.trim_matches(|c| c == '[' || c == ']').trim().to_string();
        }
        if i + 1 == line_no {
            if let Some((k, _)) = t.split_once('=') {
                let k = k.trim().trim_matches('"');
                key = Some(if section.is_empty() {
                    k.to_string()
                } else {
                    format!("{section}.{k}")
                });
            } else if t.starts_with('[') {
                key = Some(section.clone());
            } else if !t.is_empty() && !t.starts_with('#') {
                key = Some(format!("{section}.{t}"));
            }
            break;
        }
    }
    (Some(line_no), key)
}

/// The 1-based line on which dotted `key` (e.g. `limits.nicklen`) is set.
fn find_key_line(text: &str, key: &str) -> Option<usize> {
    let (want_section, want_key) = key.rsplit_once('.').unwrap_or(("", key));
    let mut section = String::new();
    for (i, line) in text.lines().enumerate() {
        let t = line.trim();
        if t.starts_with('[') {
            section = t.trim_matches(|c| c == '[' || c == ']').trim().to_string();
        } else if let Some((k, _)) = t.split_once('=') {
            if section == want_section && k.trim() == want_key {
                return Some(i + 1);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_file_is_the_defaults() {
        let c = Config::parse("").unwrap();
        assert_eq!(c.server.name, "natter.local");
        assert_eq!(
            c.listen.irc,
            vec!["127.0.0.1:6667".parse::<SocketAddr>().unwrap()]
        );
    }

    #[test]
    fn unknown_key_names_line_and_key() {
        let e = Config::parse("[server]\nname = \"a.b\"\n\n[limits]\nnicklenn = 5\n").unwrap_err();
        assert_eq!(e.line, Some(5));
        assert_eq!(e.key.as_deref(), Some("limits.nicklenn"));
        assert!(e.message.contains("unknown field"), "{}", e.message);
    }

    #[test]
    fn bad_value_names_line_and_key() {
        let e = Config::parse("[listen]\nirc = [\"nonsense\"]\n").unwrap_err();
        assert_eq!(e.line, Some(2));
        assert_eq!(e.key.as_deref(), Some("listen.irc"));
        let e = Config::parse("[limits]\n# c\nnicklen = 0\n").unwrap_err();
        assert_eq!(
            (e.line, e.key.as_deref()),
            (Some(3), Some("limits.nicklen"))
        );
        let e = Config::parse("[server]\nname = \"nodot\"\n").unwrap_err();
        assert_eq!((e.line, e.key.as_deref()), (Some(2), Some("server.name")));
    }

    #[test]
    fn example_config_is_valid_and_complete() {
        let text = include_str!("../../../natter.example.toml");
        let c = Config::parse(text).unwrap();
        assert_eq!(c.opers.len(), 1);
    }
}
