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
    #[serde(deserialize_with = "words::opers")]
    pub opers: Vec<Oper>,
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
    ///
    /// Errors: every problem [`Config::validate`] finds.
    pub fn apply(&self, config: &mut Config) -> Result<(), ConfigErrors> {
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

/// Every problem found in one configuration, in the order of the file
/// (problems without a line last); never empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl ConfigErrors {
    /// One error that stands for all of them, for a message that must be one
    /// line (REHASH's NOTICE): the first, with a count of the others.
    pub fn summary(&self) -> ConfigError {
        let mut first = self.0.first().cloned().unwrap_or_else(|| ConfigError {
            file: None,
            line: None,
            key: None,
            message: "unusable".into(),
        });
        match self.0.len() {
            0 | 1 => {}
            2 => first.message += " (and 1 more problem)",
            n => first.message += &format!(" (and {} more problems)", n - 1),
        }
        first
    }
}

impl From<ConfigError> for ConfigErrors {
    fn from(e: ConfigError) -> Self {
        ConfigErrors(vec![e])
    }
}

impl std::fmt::Display for ConfigErrors {
    /// One line per problem.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

/// One problem [`Config::validate`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The dotted key, e.g. `limits.nicklen`.
    pub key: &'static str,
    /// For a key of an `[[oper]]` block: which block, counting from 0.
    pub block: Option<usize>,
    /// What is wrong.
    pub message: String,
}

impl Problem {
    fn new(key: &'static str, message: impl Into<String>) -> Problem {
        Problem {
            key,
            block: None,
            message: message.into(),
        }
    }
}

impl Config {
    /// Reads and validates the TOML file at `path`.
    ///
    /// Errors: the file cannot be read; TOML syntax (only the first such
    /// error: what follows it cannot be read reliably); then every unknown
    /// key, value of the wrong type or out of range, and failed check of
    /// [`Config::validate`]. Each names the file and, where it applies, the
    /// line and key.
    pub fn load(path: &Path) -> Result<Config, ConfigErrors> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
            file: Some(path.to_path_buf()),
            line: None,
            key: None,
            message: format!("cannot read: {e}"),
        })?;
        let mut config = Config::parse(&text).map_err(|mut errors| {
            for e in &mut errors.0 {
                e.file = Some(path.to_path_buf());
            }
            errors
        })?;
        config.path = Some(path.to_path_buf());
        Ok(config)
    }

    /// Parses and validates configuration text (no file involved), finding
    /// all its problems in one go: each key whose value cannot be used is
    /// reported, then blanked out (spaces in place of its text, so lines
    /// and offsets stay) and the text read again, until it reads; then
    /// [`Config::validate`] adds its problems.
    ///
    /// Errors: as [`Config::load`], without a file name.
    pub fn parse(text: &str) -> Result<Config, ConfigErrors> {
        let mut errors: Vec<ConfigError> = Vec::new();
        let mut text = text.to_string();
        // Each round blanks at least one line, so this many always suffice.
        let rounds = text.lines().count() + 1;
        let mut config = None;
        // The dotted key and line of each key/value blanked so far.
        let mut dropped: Vec<(String, usize)> = Vec::new();
        for _ in 0..rounds {
            let e = match toml::from_str::<Config>(&text) {
                Ok(c) => {
                    config = Some(c);
                    break;
                }
                Err(e) => e,
            };
            let at = e.span().map(|span| span.start);
            let message = one_line(e.message());
            let Ok(doc) = toml_edit::ImDocument::parse(text.as_str()) else {
                // A syntax error: the first is reported, and reading stops.
                let (line, key) = match at {
                    Some(at) => locate_span(&text, at),
                    None => (None, None),
                };
                errors.push(ConfigError {
                    file: None,
                    line,
                    key,
                    message,
                });
                break;
            };
            let statements = Statements::of(&text, &doc);
            let (line, key) = match at {
                Some(at) => statements.locate(&text, at),
                None => (None, None),
            };
            let is_value = at.is_some_and(|at| statements.value_at(&text, at).is_some());
            // A required key blanked for its value is not missing as well.
            let consequence = message
                .strip_prefix("missing field `")
                .and_then(|m| m.strip_suffix('`'))
                .zip(key.as_ref().zip(line))
                .is_some_and(|(field, (table, header))| {
                    let field = format!("{table}.{field}");
                    dropped
                        .iter()
                        .any(|(k, l)| *k == field && statements.same_table(header - 1, l - 1))
                });
            let blanked = at.is_some_and(|at| statements.blank(&mut text, at));
            if let (true, Some(key), Some(line)) = (is_value, &key, line) {
                dropped.push((key.clone(), line));
            }
            let error = ConfigError {
                file: None,
                line,
                key,
                message,
            };
            // One unknown section with two sub-tables is one problem.
            let repeated = errors
                .iter()
                .any(|old| old.key == error.key && old.message == error.message);
            if !repeated && !consequence {
                errors.push(error);
            }
            if !blanked {
                break;
            }
        }
        if let Some(c) = &config {
            if let Err(problems) = c.validate() {
                let doc = toml_edit::ImDocument::parse(text.as_str()).ok();
                let statements = doc.as_ref().map(|d| Statements::of(&text, d));
                for p in problems {
                    let line = statements
                        .as_ref()
                        .and_then(|s| s.key_line(p.key, p.block.unwrap_or(0)));
                    errors.push(ConfigError {
                        file: None,
                        line,
                        key: Some(p.key.to_string()),
                        message: p.message,
                    });
                }
            }
        }
        match config {
            Some(c) if errors.is_empty() => Ok(c),
            _ => {
                errors.sort_by_key(|e| e.line.unwrap_or(usize::MAX));
                Err(ConfigErrors(errors))
            }
        }
    }

    /// Range checks that serde's types cannot express. Returns every
    /// problem, each with its dotted key.
    pub fn validate(&self) -> Result<(), Vec<Problem>> {
        let mut problems = Vec::new();
        let name = &self.server.name;
        if !name.contains('.')
            || name.contains([' ', '!', '@', '*', '?', ','])
            || name.starts_with(':')
        {
            problems.push(Problem::new(
                "server.name",
                format!("{name:?} is not a server name (it needs a dot and no spaces, '!', '@', '*', '?' or ',')"),
            ));
        }
        if self.server.network.is_empty() || self.server.network.contains(' ') {
            problems.push(Problem::new("server.network", "must be one word"));
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
                problems.push(Problem::new(
                    key,
                    format!("{v} is out of range {lo}..={hi}"),
                ));
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
                problems.push(Problem::new(key, "must be at least 1 second"));
            }
        }
        for (i, oper) in self.opers.iter().enumerate() {
            if argon2::PasswordHash::new(&oper.password).is_err() {
                problems.push(Problem {
                    key: "oper.password",
                    block: Some(i),
                    message: format!("the password of oper {:?} is not an argon2 hash; make one with `natter passwd`", oper.name),
                });
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
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
                .and_then(|t| {
                    let doc = toml_edit::ImDocument::parse(t.as_str()).ok()?;
                    Statements::of(&t, &doc).key_line("server.motd_file", 0)
                }),
            key: Some("server.motd_file".into()),
            message: format!("cannot read MOTD file {}: {e}", resolved.display()),
        })?;
        Ok(text.lines().map(|l| l.trim_end().to_string()).collect())
    }
}

/// A listener address: `IP:PORT` (`[::1]:6667` for IPv6), or
/// `HOST:PORT` with a host name resolved now to every address it has
/// (`localhost:6667` may be both 127.0.0.1:6667 and [::1]:6667).
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

/// Deserializers that say what a key needs in words ("a whole number of
/// seconds", "true or false") where serde would name a Rust type (`u64`,
/// "a boolean", "a sequence"). The fields keep their types.
mod words {
    use std::fmt;
    use std::marker::PhantomData;
    use std::net::SocketAddr;
    use std::path::PathBuf;

    use serde::de::{self, Deserializer, SeqAccess, Unexpected, Visitor};
    use serde::Deserialize;

    /// A whole number of at most `T::MAX`, described as `expecting`.
    struct Whole<T>(&'static str, PhantomData<T>);

    impl<T: TryFrom<u64>> Visitor<'_> for Whole<T> {
        type Value = T;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(self.0)
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<T, E> {
            T::try_from(v).map_err(|_| E::invalid_value(Unexpected::Unsigned(v), &self))
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<T, E> {
            match u64::try_from(v) {
                Ok(v) => self.visit_u64(v),
                Err(_) => Err(E::invalid_value(Unexpected::Signed(v), &self)),
            }
        }
    }

    /// Timeouts and intervals.
    pub fn seconds<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
        d.deserialize_u64(Whole("a whole number of seconds", PhantomData))
    }

    /// Counts and lengths.
    pub fn count<'de, D: Deserializer<'de>>(d: D) -> Result<usize, D::Error> {
        d.deserialize_u64(Whole("a whole number", PhantomData))
    }

    struct Flag;

    impl Visitor<'_> for Flag {
        type Value = bool;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("true or false")
        }
        fn visit_bool<E: de::Error>(self, v: bool) -> Result<bool, E> {
            Ok(v)
        }
    }

    /// Switches.
    pub fn flag<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
        d.deserialize_bool(Flag)
    }

    /// A string, described as `expecting`.
    struct Text(&'static str);

    impl Visitor<'_> for Text {
        type Value = String;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(self.0)
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
            Ok(v.to_string())
        }
    }

    const PATH: &str = "a path as a string, such as \"natter-data\"";

    /// A file or directory.
    pub fn path<'de, D: Deserializer<'de>>(d: D) -> Result<PathBuf, D::Error> {
        d.deserialize_str(Text(PATH)).map(PathBuf::from)
    }

    /// A file or directory that may be left out.
    pub fn some_path<'de, D: Deserializer<'de>>(d: D) -> Result<Option<PathBuf>, D::Error> {
        path(d).map(Some)
    }

    /// A list of `T`, described as `expecting`; each element says what it
    /// needs itself.
    struct List<T>(&'static str, PhantomData<T>);

    impl<'de, T: Deserialize<'de>> Visitor<'de> for List<T> {
        type Value = Vec<T>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(self.0)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
            let mut all = Vec::new();
            while let Some(one) = seq.next_element()? {
                all.push(one);
            }
            Ok(all)
        }
    }

    fn list<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
        d: D,
        expecting: &'static str,
    ) -> Result<Vec<T>, D::Error> {
        d.deserialize_seq(List(expecting, PhantomData))
    }

    /// `client_tag_deny`.
    pub fn strings<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
        list(d, "a list of strings, such as [\"typing\"]")
    }

    /// `[[oper]]` blocks.
    pub fn opers<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<super::Oper>, D::Error> {
        list(d, "[[oper]] tables")
    }

    /// One listener address: the addresses its host name resolves to.
    struct Address(Vec<SocketAddr>);

    impl<'de> Deserialize<'de> for Address {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Address, D::Error> {
            let text = d.deserialize_str(Text("an address such as 127.0.0.1:6667"))?;
            super::resolve_listen(&text)
                .map(Address)
                .map_err(de::Error::custom)
        }
    }

    /// Listener addresses, host names resolved.
    pub fn addresses<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<SocketAddr>, D::Error> {
        let all: Vec<Address> = list(d, "a list of addresses, such as [\"127.0.0.1:6667\"]")?;
        Ok(all.into_iter().flat_map(|a| a.0).collect())
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

/// The statements of a parsed TOML text, by line: each key/value (its
/// dotted key and the lines its value spans) and each table header.
struct Statements {
    /// Dotted key, first and last 0-based line of each key/value, in the
    /// order of the document.
    values: Vec<(String, usize, usize)>,
    /// Dotted name and 0-based line of each table header (`[a]`, `[[a]]`),
    /// in the order of the text.
    headers: Vec<(String, usize)>,
}

impl Statements {
    /// The statements of `doc`, which was parsed from `text`.
    fn of(text: &str, doc: &toml_edit::ImDocument<&str>) -> Statements {
        let mut s = Statements {
            values: Vec::new(),
            headers: Vec::new(),
        };
        s.walk(text, doc.as_table(), "");
        s.headers.sort_by_key(|(_, line)| *line);
        s
    }

    fn walk(&mut self, text: &str, table: &toml_edit::Table, path: &str) {
        use toml_edit::Item;
        let header = |s: &mut Statements, t: &toml_edit::Table, name: &str| {
            if let Some(span) = t.span().filter(|_| !t.is_implicit() && !t.is_dotted()) {
                s.headers
                    .push((name.to_string(), line_of(text, span.start)));
            }
        };
        for (key, item) in table.iter() {
            let name = if path.is_empty() {
                key.to_string()
            } else {
                format!("{path}.{key}")
            };
            match item {
                Item::Value(v) => {
                    if let Some(span) = v.span() {
                        let (first, last) = (line_of(text, span.start), line_of(text, span.end));
                        self.values.push((name, first, last));
                    }
                }
                Item::Table(t) => {
                    header(self, t, &name);
                    self.walk(text, t, &name);
                }
                Item::ArrayOfTables(a) => {
                    for t in a.iter() {
                        header(self, t, &name);
                        self.walk(text, t, &name);
                    }
                }
                Item::None => {}
            }
        }
    }

    /// The key/value whose lines hold byte `at`: its dotted key and lines.
    fn value_at(&self, text: &str, at: usize) -> Option<&(String, usize, usize)> {
        let line = line_of(text, at);
        self.values
            .iter()
            .find(|(_, first, last)| (*first..=*last).contains(&line))
    }

    /// Whether 0-based line `later` is in the table whose header is on
    /// line `header`: no other header comes between them.
    fn same_table(&self, header: usize, later: usize) -> bool {
        header < later && !self.headers.iter().any(|(_, l)| *l > header && *l <= later)
    }

    /// The 1-based line of byte `at` and the dotted key of the statement
    /// there.
    fn locate(&self, text: &str, at: usize) -> (Option<usize>, Option<String>) {
        let line = line_of(text, at);
        if let Some((key, _, _)) = self.value_at(text, at) {
            return (Some(line + 1), Some(key.clone()));
        }
        if let Some((name, _)) = self.headers.iter().find(|(_, l)| *l == line) {
            return (Some(line + 1), Some(name.clone()));
        }
        locate_span(text, at)
    }

    /// The 1-based line on which dotted `key` is set, in the `nth` (from 0)
    /// table where it is (`[[oper]]` blocks each set `oper.password`).
    fn key_line(&self, key: &str, nth: usize) -> Option<usize> {
        self.values
            .iter()
            .filter(|(k, _, _)| k == key)
            .nth(nth)
            .map(|(_, first, _)| first + 1)
    }

    /// Blanks the statement at byte `at` in `text`: the lines of the
    /// key/value there, or, for a table header, the table and its
    /// sub-tables up to the next other header. Newlines stay, so every
    /// other statement keeps its line and offset. Returns whether there was
    /// anything to blank.
    fn blank(&self, text: &mut String, at: usize) -> bool {
        let line = line_of(text, at);
        let header = self.headers.iter().find(|(_, l)| *l == line);
        let (first, last) = match (self.value_at(text, at), header) {
            (Some((_, first, last)), _) => (*first, *last),
            (None, Some((name, _))) => {
                let inside = format!("{name}.");
                let next = self
                    .headers
                    .iter()
                    .find(|(other, l)| *l > line && !other.starts_with(&inside));
                (line, next.map_or(usize::MAX, |(_, n)| n - 1))
            }
            (None, None) => (line, line),
        };
        let mut changed = false;
        let mut bytes = std::mem::take(text).into_bytes();
        let mut n = 0;
        for b in bytes.iter_mut() {
            if *b == b'\n' {
                n += 1;
            } else if (first..=last).contains(&n) && *b != b' ' {
                *b = b' ';
                changed = true;
            }
        }
        // Whole lines of ASCII spaces in place of whole lines: still UTF-8.
        *text = String::from_utf8(bytes).expect("blanked whole lines");
        changed
    }
}

/// The 0-based line of byte offset `at` in `text`.
fn line_of(text: &str, at: usize) -> usize {
    text.as_bytes()[..at.min(text.len())]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
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

    /// The one error `text` has.
    fn only_error(text: &str) -> ConfigError {
        let mut errors = Config::parse(text).unwrap_err().0;
        assert_eq!(errors.len(), 1, "{errors:#?}");
        errors.remove(0)
    }

    /// Each error of `text` as `(line, key, message)`.
    fn all_errors(text: &str) -> Vec<(Option<usize>, String, String)> {
        Config::parse(text)
            .unwrap_err()
            .0
            .into_iter()
            .map(|e| (e.line, e.key.unwrap_or_default(), e.message))
            .collect()
    }

    #[test]
    fn unknown_key_names_line_and_key() {
        let e = only_error("[server]\nname = \"a.b\"\n\n[limits]\nnicklenn = 5\n");
        assert_eq!(e.line, Some(5));
        assert_eq!(e.key.as_deref(), Some("limits.nicklenn"));
        assert!(e.message.contains("unknown field"), "{}", e.message);
    }

    #[test]
    fn bad_value_names_line_and_key() {
        let e = only_error("[listen]\nirc = [\"nonsense\"]\n");
        assert_eq!(e.line, Some(2));
        assert_eq!(e.key.as_deref(), Some("listen.irc"));
        let e = only_error("[limits]\n# c\nnicklen = 0\n");
        assert_eq!(
            (e.line, e.key.as_deref()),
            (Some(3), Some("limits.nicklen"))
        );
        let e = only_error("[server]\nname = \"nodot\"\n");
        assert_eq!((e.line, e.key.as_deref()), (Some(2), Some("server.name")));
    }

    #[test]
    fn every_error_of_a_file_is_reported_in_file_order() {
        let text = "\
[server]
name = \"nodot\"
allow_die = \"yes\"

[limits]
nicklenn = 5
nicklen = 0
topiclen = -3
client_tag_deny = [
  \"typing\",
  5,
]

[timeouts]
ping_interval = \"soon\"
registration = 0
";
        let got = all_errors(text);
        let lines: Vec<_> = got
            .iter()
            .map(|(l, k, _)| (l.unwrap(), k.as_str()))
            .collect();
        assert_eq!(
            lines,
            [
                (2, "server.name"),
                (3, "server.allow_die"),
                (6, "limits.nicklenn"),
                (7, "limits.nicklen"),
                (8, "limits.topiclen"),
                // The line of the bad element, in the key's multi-line value.
                (11, "limits.client_tag_deny"),
                (15, "timeouts.ping_interval"),
                (16, "timeouts.registration"),
            ],
            "{got:#?}"
        );
        assert!(got[2].2.starts_with("unknown field `nicklenn`"), "{got:#?}");
        assert!(got[3].2.contains("out of range"), "{got:#?}");
        assert!(got[7].2.contains("at least 1 second"), "{got:#?}");
    }

    #[test]
    fn an_unknown_section_is_one_error_and_the_rest_is_still_read() {
        let text = "\
[bogus]
a = 1

[bogus.deeper]
b = \"x\"

[limits]
nicklen = 0

[[oper]]
name = \"a\"

[[oper]]
name = \"b\"
password = \"plain\"
";
        let got = all_errors(text);
        let keys: Vec<_> = got
            .iter()
            .map(|(l, k, _)| (l.unwrap(), k.as_str()))
            .collect();
        assert_eq!(
            keys,
            [
                (1, "bogus"),
                (8, "limits.nicklen"),
                (10, "oper"),
                (15, "oper.password")
            ],
            "{got:#?}"
        );
        assert!(got[0].2.starts_with("unknown field `bogus`"), "{got:#?}");
        assert_eq!(got[2].2, "missing field `password`");
        assert!(got[3].2.contains("oper \"b\""), "{got:#?}");
    }

    #[test]
    fn each_oper_block_is_named_by_its_own_line() {
        let text = format!(
            "[[oper]]\nname = \"a\"\npassword = \"{}\"\n\n[[oper]]\nname = \"b\"\npassword = \"plain\"\n",
            "$argon2id$v=19$m=8,t=1,p=1$bmF0dGVyLWNsaS1zYWx0$l4DZI4mqTXHv3U/nZo5C8v5ULmfDKT4lCN1LeoZNAU0"
        );
        assert_eq!(
            all_errors(&text)
                .into_iter()
                .map(|(l, k, _)| (l, k))
                .collect::<Vec<_>>(),
            [(Some(7), "oper.password".to_string())]
        );
    }

    #[test]
    fn a_syntax_error_stops_at_the_first() {
        let e = only_error("[server\nname = \"a.b\"\n\n[limits]\nnicklen = 0\n");
        assert_eq!((e.line, e.key.as_deref()), (Some(1), Some("server")));
        assert!(e.message.contains("invalid table header"), "{}", e.message);
    }

    #[test]
    fn blanking_keeps_lines_offsets_and_utf8() {
        let text = "[a]\nx = \"é\"\ny = [\n  1,\n]\nz = 2\n";
        let doc = toml_edit::ImDocument::parse(text).unwrap();
        let statements = Statements::of(text, &doc);
        let mut blanked = text.to_string();
        assert!(statements.blank(&mut blanked, text.find("1,").unwrap()));
        assert_eq!(blanked.len(), text.len());
        assert_eq!(blanked, "[a]\nx = \"é\"\n     \n    \n \nz = 2\n");
        assert!(statements.blank(&mut blanked, text.find('é').unwrap()));
        assert!(blanked.starts_with("[a]\n        \n"), "{blanked:?}");
    }

    #[test]
    fn rehash_summary_is_one_line_with_a_count() {
        let errors =
            Config::parse("[limits]\nnicklen = 0\ntopiclen = 0\nkicklen = 0\n").unwrap_err();
        assert_eq!(errors.0.len(), 3);
        assert_eq!(errors.to_string().lines().count(), 3);
        let one = errors.summary();
        assert_eq!(one.key.as_deref(), Some("limits.nicklen"));
        assert!(
            one.message.ends_with("(and 2 more problems)"),
            "{}",
            one.message
        );
    }

    #[test]
    fn type_errors_say_what_is_expected_in_words() {
        for (text, want) in [
            (
                "[timeouts]\nping_interval = \"2m\"\n",
                "invalid type: string \"2m\", expected a whole number of seconds",
            ),
            (
                "[im]\nonline_users_interval = 1.5\n",
                "invalid type: floating point `1.5`, expected a whole number of seconds",
            ),
            (
                "[limits]\nnicklen = -3\n",
                "invalid value: integer `-3`, expected a whole number",
            ),
            (
                "[server]\nallow_die = \"yes\"\n",
                "invalid type: string \"yes\", expected true or false",
            ),
            (
                "[server]\nname = 5\n",
                "invalid type: integer `5`, expected a string",
            ),
            (
                "[server]\ndata_dir = 5\n",
                "invalid type: integer `5`, expected a path as a string, such as \"natter-data\"",
            ),
            (
                "[listen]\nirc = \"127.0.0.1:6667\"\n",
                "invalid type: string \"127.0.0.1:6667\", expected a list of addresses, such as [\"127.0.0.1:6667\"]",
            ),
            (
                "[listen]\nim = [\"nonsense\"]\n",
                "\"nonsense\" is not an address: an IP address or host name and a port are \
                 needed, such as 127.0.0.1:6667",
            ),
            (
                "[listen]\nim = [5]\n",
                "invalid type: integer `5`, expected an address such as 127.0.0.1:6667",
            ),
            (
                "[limits]\nclient_tag_deny = \"*\"\n",
                "invalid type: string \"*\", expected a list of strings, such as [\"typing\"]",
            ),
            (
                "limits = 3\n",
                "invalid type: integer `3`, expected a [limits] table",
            ),
            (
                "oper = 3\n",
                "invalid type: integer `3`, expected [[oper]] tables",
            ),
        ] {
            assert_eq!(only_error(text).message, want, "for {text:?}");
        }
    }

    #[test]
    fn listen_addresses_may_be_host_names() {
        let c =
            Config::parse("[listen]\nirc = [\"localhost:6667\", \"127.0.0.1:7000\"]\n").unwrap();
        assert!(c.listen.irc.len() >= 2, "{:?}", c.listen.irc);
        assert!(c.listen.irc[..c.listen.irc.len() - 1]
            .iter()
            .all(|a| a.ip().is_loopback() && a.port() == 6667));
        assert_eq!(c.listen.irc.last().unwrap().to_string(), "127.0.0.1:7000");
        assert_eq!(
            resolve_listen("[::1]:6667").unwrap(),
            ["[::1]:6667".parse::<SocketAddr>().unwrap()]
        );
    }

    #[test]
    fn listen_address_errors_say_what_is_needed() {
        let fail = |text: &str| {
            resolve_listen_with(text, |host, _| {
                Err(std::io::Error::other(format!("no such host {host}")))
            })
            .unwrap_err()
        };
        let needed = "an IP address or host name and a port are needed, such as 127.0.0.1:6667";
        assert_eq!(
            fail("localhost"),
            format!("\"localhost\" is not an address: {needed}")
        );
        assert_eq!(
            fail(":6667"),
            format!("\":6667\" is not an address: {needed}")
        );
        assert_eq!(
            fail("localhost:irc"),
            format!(
                "\"localhost:irc\" is not an address: \"irc\" is not a port (0 to 65535); {needed}"
            )
        );
        assert_eq!(
            fail("irc.example:6667"),
            "cannot resolve \"irc.example\": no such host irc.example"
        );
        let twice = resolve_listen_with("h:1", |_, port| {
            let a = SocketAddr::from(([127, 0, 0, 1], port));
            Ok(vec![a, a])
        });
        assert_eq!(twice.unwrap().len(), 1);
        assert_eq!(
            resolve_listen_with("h:1", |_, _| Ok(vec![])).unwrap_err(),
            "\"h\" resolves to no address"
        );
    }

    #[test]
    fn no_key_of_the_example_names_a_rust_type_in_its_errors() {
        // Every key of the example given a value of each wrong kind.
        let example = include_str!("../../../natter.example.toml");
        let doc = toml_edit::ImDocument::parse(example).unwrap();
        let hash = &Config::parse(example).unwrap().opers[0].password;
        let mut tried = 0;
        for (section, item) in doc.as_table().iter() {
            let table = match item {
                toml_edit::Item::Table(t) => t.clone(),
                toml_edit::Item::ArrayOfTables(a) => a.get(0).unwrap().clone(),
                _ => panic!("{section} is not a table"),
            };
            let header = if item.is_array_of_tables() {
                format!("[[{section}]]\nname = \"a\"\npassword = \"{hash}\"\n")
            } else {
                format!("[{section}]\n")
            };
            for (key, value) in table.iter() {
                let wrong: &[&str] = match value.as_value().unwrap() {
                    toml_edit::Value::Integer(_) => &["\"x\"", "-1", "1.5", "true", "[1]"],
                    toml_edit::Value::String(_) => &["5", "true", "[\"a\"]"],
                    toml_edit::Value::Boolean(_) => &["\"yes\"", "1"],
                    toml_edit::Value::Array(_) => &["\"x\"", "5", "[5]", "[[\"x\"]]"],
                    other => panic!("{section}.{key}: {other}"),
                };
                for w in wrong {
                    // A later key of the same name wins in no TOML: drop
                    // the header's own `name`/`password` when replacing it.
                    let header = header
                        .lines()
                        .filter(|l| !l.starts_with(&format!("{key} =")))
                        .collect::<Vec<_>>()
                        .join("\n");
                    let text = format!("{header}\n{key} = {w}\n");
                    let e = only_error(&text);
                    tried += 1;
                    assert_eq!(e.key.as_deref(), Some(format!("{section}.{key}").as_str()));
                    let (_, expected) = e
                        .message
                        .split_once("expected ")
                        .unwrap_or_else(|| panic!("{text:?}: {}", e.message));
                    for rust in [
                        "u64",
                        "usize",
                        "i64",
                        "boolean",
                        "sequence",
                        "path string",
                        "struct",
                        "map",
                    ] {
                        assert!(!expected.contains(rust), "{text:?}: {}", e.message);
                    }
                }
            }
        }
        assert!(tried > 80, "{tried}");
    }

    #[test]
    fn example_config_is_valid_and_complete() {
        let text = include_str!("../../../natter.example.toml");
        let c = Config::parse(text).unwrap();
        assert_eq!(c.opers.len(), 1);
    }
}
