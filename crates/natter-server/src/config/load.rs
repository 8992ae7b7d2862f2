//! Reading a configuration: the TOML text is parsed, every problem found
//! is located (line and dotted key) and blanked so the rest can still be
//! read, and the result is validated; all problems are reported at once.

use std::path::Path;

use serde::Deserialize;

use super::*;

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
        // The configuration read, with the statements of the text it was
        // read from (to place what `validate` finds).
        let mut config = None;
        // The dotted key and line of each key/value blanked so far.
        let mut dropped: Vec<(String, usize)> = Vec::new();
        for _ in 0..rounds {
            // One parse a round: the document gives both the statements
            // (to locate and blank a problem) and the values.
            let doc = match toml_edit::ImDocument::parse(text.as_str()) {
                Ok(doc) => doc,
                Err(e) => {
                    // A syntax error: the first is reported, and reading stops.
                    let (line, key) = match e.span() {
                        Some(span) => locate_span(&text, span.start),
                        None => (None, None),
                    };
                    errors.push(ConfigError {
                        file: None,
                        line,
                        key,
                        message: one_line(e.message()),
                    });
                    break;
                }
            };
            let statements = Statements::of(&text, &doc);
            let e = match Config::deserialize(toml_edit::de::Deserializer::from(doc)) {
                Ok(c) => {
                    config = Some((c, statements));
                    break;
                }
                Err(e) => e,
            };
            let at = e.span().map(|span| span.start);
            let message = one_line(e.message());
            let (line, key) = match at {
                Some(at) => statements.locate(&text, at),
                None => (None, None),
            };
            let is_value = at.is_some_and(|at| statements.value_at(at).is_some());
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
        if let Some((c, statements)) = &config {
            if let Err(problems) = c.validate() {
                for p in problems {
                    let line = statements.key_line(p.key, p.block.unwrap_or(0));
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
            Some((c, _)) if errors.is_empty() => Ok(c),
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
        let checks: [(&'static str, usize, usize, usize); 12] = [
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
            (
                "history.max_messages",
                self.history.max_messages,
                1,
                10_000_000,
            ),
            (
                "accounts.min_password_length",
                self.accounts.min_password_length,
                1,
                300,
            ),
        ];
        check_ranges(&mut problems, &checks);
        let t = &self.timeouts;
        for (key, v) in [
            ("im.online_users_interval", self.im.online_users_interval),
            ("history.max_age", self.history.max_age),
            ("files.retention", self.files.retention),
            ("files.upload_expiry", self.files.upload_expiry),
            ("timeouts.registration", t.registration),
            ("timeouts.ping_interval", t.ping_interval),
            ("timeouts.ping_timeout", t.ping_timeout),
        ] {
            if v == 0 {
                problems.push(Problem::new(key, "must be at least 1 second"));
            }
        }
        if let Some(url) = &self.files.public_url {
            if !(url.starts_with("http://") || url.starts_with("https://"))
                || url.ends_with('/')
                || url.contains(char::is_whitespace)
            {
                problems.push(Problem::new(
                    "files.public_url",
                    format!(
                        "{url:?} is not an http:// or https:// address without a trailing slash"
                    ),
                ));
            }
        }
        if self.files.max_size == 0 {
            problems.push(Problem::new("files.max_size", "must be at least 1 byte"));
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
        for (i, link) in self.links.iter().enumerate() {
            let pinned = link.fingerprint.as_deref().map(crate::tls::normalize);
            if pinned
                .as_ref()
                .is_some_and(|f| f.len() != 64 || !f.bytes().all(|b| b.is_ascii_hexdigit()))
            {
                problems.push(Problem {
                    key: "link.fingerprint",
                    block: Some(i),
                    message: format!(
                        "the fingerprint of link {:?} is not a SHA-256 fingerprint (64 hex digits)",
                        link.name
                    ),
                });
            } else if link.tls && pinned.is_none() {
                problems.push(Problem {
                    key: "link.fingerprint",
                    block: Some(i),
                    message: format!(
                        "link {:?} has tls = true and needs the peer's certificate fingerprint",
                        link.name
                    ),
                });
            }
        }
        if self.tls.cert.is_some() != self.tls.key.is_some() {
            let key = if self.tls.cert.is_some() {
                "tls.key"
            } else {
                "tls.cert"
            };
            problems.push(Problem::new(
                key,
                "tls.cert and tls.key go together: set both, or neither for a generated self-signed certificate",
            ));
        }
        self.validate_protections(&mut problems);
        if !crate::cloak::valid_suffix(&self.privacy.cloak_suffix) {
            problems.push(Problem::new(
                "privacy.cloak_suffix",
                format!(
                    "{:?} cannot end a host name (1 to 32 letters, digits, '-' and '.')",
                    self.privacy.cloak_suffix
                ),
            ));
        }
        for proxy in &self.http.trusted_proxies {
            if crate::cidr::Cidr::parse(proxy).is_none() {
                problems.push(Problem::new(
                    "http.trusted_proxies",
                    format!("{proxy:?} is not an address or CIDR block (10.0.0.0/8, ::1)"),
                ));
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }

    /// Range and syntax checks of `[flood]`, `[[class]]` and
    /// `[connections]`.
    fn validate_protections(&self, problems: &mut Vec<Problem>) {
        let f = &self.flood;
        let c = &self.connections;
        let ranges: [(&'static str, usize, usize, usize); 9] = [
            ("flood.burst", f.burst, 1, 100_000),
            ("flood.per_second", f.per_second, 1, 100_000),
            ("flood.nick_burst", f.nick_burst, 1, 100_000),
            ("flood.nicks_per_minute", f.nicks_per_minute, 1, 100_000),
            ("flood.join_burst", f.join_burst, 1, 100_000),
            ("flood.joins_per_minute", f.joins_per_minute, 1, 100_000),
            ("flood.recvq", f.recvq, MIN_RECVQ, 1 << 30),
            ("connections.ipv4_prefix", c.ipv4_prefix, 1, 32),
            ("connections.ipv6_prefix", c.ipv6_prefix, 1, 128),
        ];
        check_ranges(problems, &ranges);
        if c.window == 0 {
            problems.push(Problem::new(
                "connections.window",
                "must be at least 1 second",
            ));
        }
        let block = |text: &str| text == "*" || crate::cidr::Cidr::parse(text).is_some();
        for exempt in &c.exempt {
            if !block(exempt) {
                problems.push(Problem::new(
                    "connections.exempt",
                    format!("{exempt:?} is not an address or CIDR block (10.0.0.0/8, ::1)"),
                ));
            }
        }
        for class in &self.classes {
            if class.hosts.is_empty() && class.accounts.is_empty() {
                problems.push(Problem::new(
                    "class.hosts",
                    format!(
                        "class {:?} matches nobody: give hosts or accounts",
                        class.name
                    ),
                ));
            }
            for host in &class.hosts {
                if !block(host) {
                    problems.push(Problem::new(
                        "class.hosts",
                        format!(
                            "{host:?} is not \"*\", an address or a CIDR block (10.0.0.0/8, ::1)"
                        ),
                    ));
                }
            }
            let checks = [
                ("class.burst", class.burst, 1),
                ("class.per_second", class.per_second, 1),
                ("class.recvq", class.recvq, MIN_RECVQ),
                ("class.sendq", class.sendq, 4096),
            ];
            for (key, v, lo) in checks {
                if let Some(v) = v.filter(|v| *v < lo) {
                    problems.push(Problem::new(key, format!("{v} is below {lo}")));
                }
            }
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
        let resolved = self.resolve(file);
        let text = std::fs::read_to_string(&resolved).map_err(|e| {
            self.error_at(
                "server.motd_file",
                format!("cannot read MOTD file {}: {e}", resolved.display()),
            )
        })?;
        Ok(text.lines().map(|l| l.trim_end().to_string()).collect())
    }
}

/// Adds a problem for each `(key, value, lowest, highest)` whose value is
/// out of its range.
fn check_ranges(problems: &mut Vec<Problem>, ranges: &[(&'static str, usize, usize, usize)]) {
    for &(key, v, lo, hi) in ranges {
        if v < lo || v > hi {
            problems.push(Problem::new(
                key,
                format!("{v} is out of range {lo}..={hi}"),
            ));
        }
    }
}

/// The smallest RecvQ: one longest line (8191 bytes of tags, 512 of
/// message) and its terminator.
const MIN_RECVQ: usize = 8191 + 512 + 2;

impl Config {
    /// `file` as named in the configuration: a relative path is resolved
    /// against the configuration file's directory.
    pub fn resolve(&self, file: &Path) -> PathBuf {
        match (&self.path, file.is_relative()) {
            (Some(cfg), true) => cfg.parent().unwrap_or(Path::new(".")).join(file),
            _ => file.to_path_buf(),
        }
    }

    /// An error about the value of dotted `key` (`tls.cert`) found after
    /// reading, such as a file it names that cannot be read: it names the
    /// configuration file and the key's line when there is a file.
    pub fn error_at(&self, key: &str, message: String) -> ConfigError {
        ConfigError {
            file: self.path.clone(),
            line: self
                .path
                .as_ref()
                .and_then(|p| std::fs::read_to_string(p).ok())
                .and_then(|t| {
                    let doc = toml_edit::ImDocument::parse(t.as_str()).ok()?;
                    Statements::of(&t, &doc).key_line(key, 0)
                }),
            key: Some(key.into()),
            message,
        }
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
pub(super) struct Statements {
    /// Dotted key, first and last 0-based line of each key/value, in the
    /// order of the document.
    values: Vec<(String, usize, usize)>,
    /// Dotted name and 0-based line of each table header (`[a]`, `[[a]]`),
    /// in the order of the text.
    headers: Vec<(String, usize)>,
    /// Byte offset of each `\n` in the text, ascending: line lookups by
    /// binary search (blanking keeps every newline where it was).
    newlines: Vec<usize>,
}

impl Statements {
    /// The statements of `doc`, which was parsed from `text`.
    pub(super) fn of(text: &str, doc: &toml_edit::ImDocument<&str>) -> Statements {
        let mut s = Statements {
            values: Vec::new(),
            headers: Vec::new(),
            newlines: newline_offsets(text),
        };
        s.walk(doc.as_table(), "");
        s.headers.sort_by_key(|(_, line)| *line);
        s
    }

    fn walk(&mut self, table: &toml_edit::Table, path: &str) {
        use toml_edit::Item;
        let header = |s: &mut Statements, t: &toml_edit::Table, name: &str| {
            if let Some(span) = t.span().filter(|_| !t.is_implicit() && !t.is_dotted()) {
                let line = s.line(span.start);
                s.headers.push((name.to_string(), line));
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
                        let (first, last) = (self.line(span.start), self.line(span.end));
                        self.values.push((name, first, last));
                    }
                }
                Item::Table(t) => {
                    header(self, t, &name);
                    self.walk(t, &name);
                }
                Item::ArrayOfTables(a) => {
                    for t in a.iter() {
                        header(self, t, &name);
                        self.walk(t, &name);
                    }
                }
                Item::None => {}
            }
        }
    }

    /// The 0-based line of byte offset `at` in the text: the number of
    /// newlines before it.
    fn line(&self, at: usize) -> usize {
        self.newlines.partition_point(|&nl| nl < at)
    }

    /// The key/value whose lines hold byte `at`: its dotted key and lines.
    fn value_at(&self, at: usize) -> Option<&(String, usize, usize)> {
        let line = self.line(at);
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
        let line = self.line(at);
        if let Some((key, _, _)) = self.value_at(at) {
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
    pub(super) fn blank(&self, text: &mut String, at: usize) -> bool {
        let line = self.line(at);
        let header = self.headers.iter().find(|(_, l)| *l == line);
        let (first, last) = match (self.value_at(at), header) {
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

/// The byte offset of each `\n` in `text`, ascending.
fn newline_offsets(text: &str) -> Vec<usize> {
    text.bytes()
        .enumerate()
        .filter_map(|(i, b)| (b == b'\n').then_some(i))
        .collect()
}
