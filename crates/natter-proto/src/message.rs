//! IRC messages: the [`Message`] model, its parser ([`Message::parse`],
//! [`Message::parse_bytes`]), its serializer ([`Message::write_to`],
//! [`Message::to_line`]), the allocation-free output fast path [`write_line`]
//! and IRCv3 tag value escaping ([`escape_tag_value`], [`unescape_tag_value`]).
//!
//! Grammar (Modern IRC, "Message Format"; RFC 1459 2.3.1; RFC 2812 2.3.1):
//!
//! ```text
//! message ::= ['@' <tags> SPACE] [':' <source> SPACE] <command> <parameters> <crlf>
//! SPACE   ::= %x20 *( %x20 )
//! command ::= letter* / 3digit
//! parameter ::= *( SPACE middle ) [ SPACE ":" trailing ]
//! ```
//!
//! Size limits: the tag section (from `@` up to and including the space that
//! ends it) may be at most [`MAX_TAGS_LEN`] bytes (IRCv3 `message-tags`), and
//! the rest of the line (source, command and parameters, without CRLF) at most
//! [`MAX_BODY_LEN`] bytes (RFC 1459 2.3: 512 bytes including CRLF).

use std::fmt;

/// Longest accepted tag section in bytes, counted from the leading `@` up to
/// and including the space that ends it (IRCv3 `message-tags`: 8191 bytes).
pub const MAX_TAGS_LEN: usize = 8191;

/// Longest accepted message body in bytes: source, command and parameters,
/// excluding tags and the CRLF terminator (RFC 1459 2.3: 512 bytes with CRLF).
pub const MAX_BODY_LEN: usize = 510;

/// One IRCv3 message tag (IRCv3 `message-tags`).
///
/// `key` is stored verbatim (including any `+` client prefix and `vendor/`
/// part). `value` is the *unescaped* value; it is `None` both when the tag had
/// no `=` and when its value was empty (the spec treats these the same).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    /// Tag key, e.g. `time`, `+draft/reply`, `example.com/foo`.
    pub key: String,
    /// Unescaped value; `None` when absent or empty.
    pub value: Option<String>,
}

impl Tag {
    /// Builds a tag from a key and an optional (unescaped) value. An empty
    /// value is normalised to `None` (IRCv3 `message-tags`).
    pub fn new(key: &str, value: Option<&str>) -> Tag {
        Tag {
            key: key.to_owned(),
            value: value.filter(|v| !v.is_empty()).map(str::to_owned),
        }
    }
}

/// One IRC message (Modern IRC "Message Format"; RFC 2812 2.3.1).
///
/// Invariants produced by [`Message::parse`]: `command` is ASCII-uppercased and
/// is either letters only or exactly three digits; `params` holds every
/// parameter in order, with the trailing parameter (after ` :`) as the last
/// element without its `:`. No `\r`, `\n` appear anywhere.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Message {
    /// IRCv3 message tags in the order they appeared.
    pub tags: Vec<Tag>,
    /// Message source (prefix) without the leading `:`.
    pub source: Option<String>,
    /// Command name or three-digit numeric; ASCII-uppercased by `parse()`.
    pub command: String,
    /// Parameters; the trailing parameter is the last element, without `:`.
    pub params: Vec<String>,
}

/// Why a line could not be parsed into a [`Message`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParseError {
    /// The line is empty or contains nothing but spaces.
    Empty,
    /// The line has tags and/or a source but no command.
    NoCommand,
    /// The command is neither letters only nor exactly three digits
    /// (Modern IRC: `command ::= letter* / 3digit`).
    InvalidCommand,
    /// The tag section (from `@` up to and including the space after it) is
    /// over [`MAX_TAGS_LEN`] (8191) bytes (IRCv3 `message-tags`).
    TagsTooLong,
    /// The rest of the line (source, command, params) is over
    /// [`MAX_BODY_LEN`] (510) bytes (RFC 1459 2.3: 512 including CRLF).
    BodyTooLong,
    /// The line is not valid UTF-8 (only returned by [`Message::parse_bytes`]).
    InvalidUtf8,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ParseError::Empty => "empty line",
            ParseError::NoCommand => "no command",
            ParseError::InvalidCommand => "invalid command",
            ParseError::TagsTooLong => "tag section too long",
            ParseError::BodyTooLong => "line too long",
            ParseError::InvalidUtf8 => "invalid UTF-8",
        })
    }
}

impl std::error::Error for ParseError {}

/// Byte offsets of a line's sections, all at ASCII boundaries.
struct Sections {
    /// Tag content without `@` and without the terminating space.
    tags: Option<(usize, usize)>,
    /// Start of the body (source, command, params).
    body: usize,
}

/// Finds the tag section and the body and enforces the length limits.
/// Works on bytes so [`Message::parse_bytes`] can report length errors before
/// UTF-8 errors.
fn sections(b: &[u8]) -> Result<Sections, ParseError> {
    let start = b.iter().position(|&c| c != b' ').ok_or(ParseError::Empty)?;
    let mut tags = None;
    let mut body = start;
    if b[start] == b'@' {
        let (content_end, section_len, body_start) =
            match b[start..].iter().position(|&c| c == b' ') {
                Some(i) => (start + i, i + 1, start + i + 1),
                None => (b.len(), b.len() - start, b.len()),
            };
        if section_len > MAX_TAGS_LEN {
            return Err(ParseError::TagsTooLong);
        }
        tags = Some((start + 1, content_end));
        body = body_start;
    }
    if b.len() - body > MAX_BODY_LEN {
        return Err(ParseError::BodyTooLong);
    }
    Ok(Sections { tags, body })
}

/// Splits at the first space: `(before, after_the_space)`; `after` is empty
/// when there is no space.
fn split_space(s: &str) -> (&str, &str) {
    match s.find(' ') {
        Some(i) => (&s[..i], &s[i + 1..]),
        None => (s, ""),
    }
}

/// Modern IRC: `command ::= letter* / 3digit` (non-empty).
fn is_valid_command(c: &str) -> bool {
    let b = c.as_bytes();
    !b.is_empty()
        && (b.iter().all(u8::is_ascii_alphabetic)
            || (b.len() == 3 && b.iter().all(u8::is_ascii_digit)))
}

/// Parses a tag section (without `@` and the space after it; IRCv3
/// message-tags). Empty entries (`;;`) and entries with an empty key are
/// skipped; duplicate keys are kept in order; values are unescaped. Used
/// by [`Message::parse`], and by servers that want the tags (e.g. a
/// `label`) of a line whose command did not parse.
pub fn parse_tags(s: &str) -> Vec<Tag> {
    let mut tags = Vec::with_capacity(s.bytes().filter(|&b| b == b';').count() + 1);
    for part in s.split(';') {
        let (key, raw) = match part.find('=') {
            Some(i) => (&part[..i], &part[i + 1..]),
            None => (part, ""),
        };
        if key.is_empty() {
            continue;
        }
        let value = if raw.is_empty() {
            None
        } else {
            Some(unescape_tag_value(raw)).filter(|v| !v.is_empty())
        };
        tags.push(Tag {
            key: key.to_owned(),
            value,
        });
    }
    tags
}

fn parse_with(line: &str, s: Sections) -> Result<Message, ParseError> {
    let mut rest = line[s.body..].trim_start_matches(' ');
    if rest.is_empty() {
        return Err(ParseError::NoCommand);
    }
    let mut source = None;
    if let Some(r) = rest.strip_prefix(':') {
        let (src, after) = split_space(r);
        rest = after.trim_start_matches(' ');
        if rest.is_empty() {
            return Err(ParseError::NoCommand);
        }
        source = Some(src);
    }
    let (command, mut rest) = split_space(rest);
    if !is_valid_command(command) {
        return Err(ParseError::InvalidCommand);
    }
    let mut params = Vec::new();
    loop {
        rest = rest.trim_start_matches(' ');
        if rest.is_empty() {
            break;
        }
        if let Some(trailing) = rest.strip_prefix(':') {
            params.push(trailing.to_owned());
            break;
        }
        let (p, after) = split_space(rest);
        params.push(p.to_owned());
        rest = after;
    }
    Ok(Message {
        tags: s
            .tags
            .map_or_else(Vec::new, |(a, e)| parse_tags(&line[a..e])),
        source: source.map(str::to_owned),
        command: command.to_ascii_uppercase(),
        params,
    })
}

/// `true` when the final parameter must be written with a `:` prefix
/// (Modern IRC "Parameters": empty, contains a space, or starts with `:`).
#[inline]
fn needs_colon(p: &str) -> bool {
    p.is_empty() || p.as_bytes()[0] == b':' || p.as_bytes().contains(&b' ')
}

/// Writes `[':' source ' '] command params CRLF`. Shared by [`write_line`] and
/// [`Message::write_to`].
#[inline]
fn write_body<S: AsRef<str>>(
    out: &mut String,
    source: Option<&str>,
    command: &str,
    params: &[S],
    force_trailing: bool,
) {
    if let Some(src) = source {
        out.push(':');
        out.push_str(src);
        out.push(' ');
    }
    out.push_str(command);
    if let Some((last, init)) = params.split_last() {
        for p in init {
            out.push(' ');
            out.push_str(p.as_ref());
        }
        let last = last.as_ref();
        out.push_str(if force_trailing || needs_colon(last) {
            " :"
        } else {
            " "
        });
        out.push_str(last);
    }
    out.push_str("\r\n");
}

/// Exact length `write_body` will append.
#[inline]
fn body_len<S: AsRef<str>>(source: Option<&str>, command: &str, params: &[S]) -> usize {
    let mut n = source.map_or(0, |s| s.len() + 2) + command.len() + 2;
    for p in params {
        n += p.as_ref().len() + 1;
    }
    n + 1 // possible ':' on the last param
}

impl Message {
    /// Builds a message with no tags and no source. `command` is stored as
    /// given (not uppercased, not validated).
    pub fn new(command: &str, params: Vec<String>) -> Message {
        Message {
            tags: Vec::new(),
            source: None,
            command: command.to_owned(),
            params,
        }
    }

    /// Parses one line (without CR/LF) per Modern IRC "Message Format",
    /// RFC 1459 2.3.1 and IRCv3 `message-tags`.
    ///
    /// Leading spaces before tags/source/command are skipped; runs of spaces
    /// between parts are one separator; trailing spaces after the last middle
    /// parameter are ignored; a parameter starting with `:` is the trailing
    /// parameter and takes the rest of the line (spaces included). Any number
    /// of parameters is accepted (the 15-param limit is not enforced). Tag
    /// values are unescaped; empty tag entries and tags with empty keys are
    /// dropped. The command is ASCII-uppercased.
    ///
    /// Errors, in the order they are checked: [`ParseError::Empty`],
    /// [`ParseError::TagsTooLong`], [`ParseError::BodyTooLong`],
    /// [`ParseError::NoCommand`], [`ParseError::InvalidCommand`].
    pub fn parse(line: &str) -> Result<Message, ParseError> {
        let s = sections(line.as_bytes())?;
        parse_with(line, s)
    }

    /// Like [`Message::parse`], but from raw bytes (e.g. a
    /// [`Frame::Line`](crate::Frame::Line)). Emptiness and length checks come
    /// first, so an over-long line with invalid UTF-8 reports the length
    /// error; otherwise invalid UTF-8 yields [`ParseError::InvalidUtf8`].
    pub fn parse_bytes(line: &[u8]) -> Result<Message, ParseError> {
        let s = sections(line)?;
        let line = std::str::from_utf8(line).map_err(|_| ParseError::InvalidUtf8)?;
        parse_with(line, s)
    }

    /// Appends the serialized message plus CRLF to `out`.
    ///
    /// Tags are written as `@key[=escaped value];... ` (IRCv3 `message-tags`
    /// escaping; a `None` or empty value writes the key only). The source gets
    /// a `:` prefix. Parameters are separated by single spaces; the last one
    /// gets a `:` prefix when it is empty, contains a space or starts with `:`
    /// (Modern IRC "Parameters"). Other parameters are written as is: a
    /// non-final parameter that is empty, contains a space or starts with `:`
    /// cannot be represented and will not round-trip.
    pub fn write_to(&self, out: &mut String) {
        out.reserve(
            self.tags_len_hint() + body_len(self.source.as_deref(), &self.command, &self.params),
        );
        if !self.tags.is_empty() {
            out.push('@');
            for (i, tag) in self.tags.iter().enumerate() {
                if i > 0 {
                    out.push(';');
                }
                out.push_str(&tag.key);
                if let Some(v) = tag.value.as_deref().filter(|v| !v.is_empty()) {
                    out.push('=');
                    escape_tag_value(v, out);
                }
            }
            out.push(' ');
        }
        write_body(
            out,
            self.source.as_deref(),
            &self.command,
            &self.params,
            false,
        );
    }

    /// Rough (unescaped) size of the tag section, for capacity reservation.
    fn tags_len_hint(&self) -> usize {
        if self.tags.is_empty() {
            return 0;
        }
        self.tags
            .iter()
            .map(|t| t.key.len() + 2 + t.value.as_ref().map_or(0, String::len))
            .sum::<usize>()
            + 1
    }

    /// The serialized message with CRLF, as produced by [`Message::write_to`].
    pub fn to_line(&self) -> String {
        let mut s = String::new();
        self.write_to(&mut s);
        s
    }

    /// The `i`th parameter (0-based), if present.
    pub fn param(&self, i: usize) -> Option<&str> {
        self.params.get(i).map(String::as_str)
    }
}

/// Fast path for the server's output side: appends one line plus CRLF to
/// `out`, allocating nothing except by growing `out` (at most once).
///
/// `tags` is an already-serialized, already-escaped tag string without the
/// `@` (`None` or `""` means no tags); `source` is without the `:`. Every
/// parameter but the last is written as is; the last gets a `:` prefix when it
/// is empty, contains a space or starts with `:` (Modern IRC "Parameters").
/// Nothing is validated: callers must not pass CR, LF or NUL.
pub fn write_line(
    out: &mut String,
    tags: Option<&str>,
    source: Option<&str>,
    command: &str,
    params: &[&str],
) {
    write_tagged(out, tags, source, command, params, false);
}

/// The tag section, then [`write_body`]; shared by both output fast paths.
#[inline]
fn write_tagged(
    out: &mut String,
    tags: Option<&str>,
    source: Option<&str>,
    command: &str,
    params: &[&str],
    force_trailing: bool,
) {
    let tags = tags.filter(|t| !t.is_empty());
    out.reserve(tags.map_or(0, |t| t.len() + 2) + body_len(source, command, params));
    if let Some(t) = tags {
        out.push('@');
        out.push_str(t);
        out.push(' ');
    }
    write_body(out, source, command, params, force_trailing);
}

/// Like [`write_line`], but the last parameter always gets the `:` prefix.
/// Used for free text (message bodies, reasons, numeric descriptions),
/// which many clients and bots expect as a trailing parameter even when it
/// is one word.
pub fn write_line_trailing(
    out: &mut String,
    tags: Option<&str>,
    source: Option<&str>,
    command: &str,
    params: &[&str],
) {
    write_tagged(out, tags, source, command, params, true);
}

/// The client-only tags (`+name[=value]`, IRCv3 message-tags) among
/// `tags`, serialized as a tag section without the leading `@` (e.g.
/// `+typing=active;+draft/react=lol`; values escaped); empty when there
/// are none.
pub fn client_only_tags<'a>(tags: impl IntoIterator<Item = &'a Tag>) -> String {
    let mut out = String::new();
    for tag in tags.into_iter().filter(|t| t.key.starts_with('+')) {
        if !out.is_empty() {
            out.push(';');
        }
        out.push_str(&tag.key);
        if let Some(v) = &tag.value {
            out.push('=');
            escape_tag_value(v, &mut out);
        }
    }
    out
}

/// Appends `v` escaped per IRCv3 `message-tags` ("Escaping values") to `out`:
/// `;` → `\:`, space → `\s`, `\` → `\\`, CR → `\r`, LF → `\n`; every other
/// character is copied unchanged.
pub fn escape_tag_value(v: &str, out: &mut String) {
    let mut run = 0;
    for (i, b) in v.bytes().enumerate() {
        let esc = match b {
            b';' => "\\:",
            b' ' => "\\s",
            b'\\' => "\\\\",
            b'\r' => "\\r",
            b'\n' => "\\n",
            _ => continue,
        };
        out.push_str(&v[run..i]);
        out.push_str(esc);
        run = i + 1;
    }
    out.push_str(&v[run..]);
}

/// Unescapes a tag value per IRCv3 `message-tags` ("Escaping values"):
/// `\:` → `;`, `\s` → space, `\\` → `\`, `\r` → CR, `\n` → LF; a backslash
/// before any other character is dropped (`\b` → `b`), and a trailing lone
/// backslash is dropped.
pub fn unescape_tag_value(v: &str) -> String {
    if !v.contains('\\') {
        return v.to_owned();
    }
    let mut out = String::with_capacity(v.len());
    let mut chars = v.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some(':') => out.push(';'),
            Some('s') => out.push(' '),
            Some('r') => out.push('\r'),
            Some('n') => out.push('\n'),
            Some(other) => out.push(other), // includes "\\" -> '\'
            None => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(line: &str) -> Message {
        Message::parse(line).unwrap_or_else(|e| panic!("parse {line:?}: {e:?}"))
    }

    fn strs(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn basic_examples_from_modern_irc() {
        let m = p(":irc.example.com CAP LS * :multi-prefix extended-join sasl");
        assert_eq!(m.source.as_deref(), Some("irc.example.com"));
        assert_eq!(m.command, "CAP");
        assert_eq!(
            m.params,
            strs(&["LS", "*", "multi-prefix extended-join sasl"])
        );

        let m = p("@id=234AB :dan!d@localhost PRIVMSG #chan :Hey what's up!");
        assert_eq!(m.tags, vec![Tag::new("id", Some("234AB"))]);
        assert_eq!(m.source.as_deref(), Some("dan!d@localhost"));
        assert_eq!(m.params, strs(&["#chan", "Hey what's up!"]));

        assert_eq!(
            p(":irc.example.com CAP * LIST :").params,
            strs(&["*", "LIST", ""])
        );
        assert_eq!(
            p("CAP REQ :sasl message-tags foo").params,
            strs(&["REQ", "sasl message-tags foo"])
        );
        assert_eq!(
            p(":dan!d@localhost PRIVMSG #chan Hey!").params,
            strs(&["#chan", "Hey!"])
        );
        assert_eq!(
            p(":dan!d@localhost PRIVMSG #chan ::-)").params,
            strs(&["#chan", ":-)"])
        );
    }

    #[test]
    fn empty_and_spaces() {
        assert_eq!(Message::parse(""), Err(ParseError::Empty));
        assert_eq!(Message::parse(" "), Err(ParseError::Empty));
        assert_eq!(Message::parse("      "), Err(ParseError::Empty));
        assert_eq!(Message::parse_bytes(b""), Err(ParseError::Empty));
        assert_eq!(Message::parse_bytes(b"   "), Err(ParseError::Empty));
    }

    #[test]
    fn no_command() {
        assert_eq!(Message::parse(":nick!u@h"), Err(ParseError::NoCommand));
        assert_eq!(Message::parse(":nick!u@h    "), Err(ParseError::NoCommand));
        assert_eq!(Message::parse("@a=b"), Err(ParseError::NoCommand));
        assert_eq!(Message::parse("@a=b   "), Err(ParseError::NoCommand));
        assert_eq!(Message::parse("@a=b :src"), Err(ParseError::NoCommand));
        assert_eq!(Message::parse("@a=b :src "), Err(ParseError::NoCommand));
        assert_eq!(Message::parse(":"), Err(ParseError::NoCommand));
        assert_eq!(Message::parse("@"), Err(ParseError::NoCommand));
    }

    #[test]
    fn invalid_command() {
        for l in [
            "12 a",
            "1234",
            "PRIV1MSG x",
            "PRIV-MSG",
            "0x1",
            "ÄB",
            ":s 12",
            "@t :s 1a2",
        ] {
            assert_eq!(Message::parse(l), Err(ParseError::InvalidCommand), "{l:?}");
        }
        // A line starting with ':' only after leading spaces is still a source.
        assert_eq!(p("  :src PING x").source.as_deref(), Some("src"));
    }

    #[test]
    fn lowercase_and_numeric_commands() {
        assert_eq!(p("privmsg #a :hi").command, "PRIVMSG");
        assert_eq!(p("PrIvMsG #a :hi").command, "PRIVMSG");
        let m = p(":srv 001 nick :Welcome");
        assert_eq!(m.command, "001");
        assert_eq!(m.params, strs(&["nick", "Welcome"]));
    }

    #[test]
    fn spaces_handling() {
        let m = p("   PRIVMSG    #a     b    :  hello  world  ");
        assert_eq!(m.command, "PRIVMSG");
        assert_eq!(m.params, strs(&["#a", "b", "  hello  world  "]));
        // Trailing spaces after middle params are ignored.
        assert_eq!(p("JOIN #a   ").params, strs(&["#a"]));
        assert_eq!(p("QUIT").params, Vec::<String>::new());
        assert_eq!(p("QUIT ").params, Vec::<String>::new());
        // Empty trailing.
        assert_eq!(p("TOPIC #a :").params, strs(&["#a", ""]));
        // Trailing that is only spaces.
        assert_eq!(p("TOPIC #a :   ").params, strs(&["#a", "   "]));
        // Colon inside a middle param is part of it.
        assert_eq!(p("X a:b c").params, strs(&["a:b", "c"]));
        // Multiple spaces after tags and source.
        let m = p("@a=1    :src     CMD    x");
        assert_eq!(m.tags, vec![Tag::new("a", Some("1"))]);
        assert_eq!(m.source.as_deref(), Some("src"));
        assert_eq!(m.params, strs(&["x"]));
    }

    #[test]
    fn many_params_kept() {
        let line = format!(
            "CMD {}",
            (0..20)
                .map(|i| format!("p{i}"))
                .collect::<Vec<_>>()
                .join(" ")
        );
        let m = p(&format!("{line} :last one"));
        assert_eq!(m.params.len(), 21);
        assert_eq!(m.params[14], "p14");
        assert_eq!(m.params[19], "p19");
        assert_eq!(m.params[20], "last one");
        // A 16th param starting with ':' is still trailing; without ':' it is
        // still a single middle param (no RFC 1459 15-param folding).
        let m = p(&format!("{line} a b"));
        assert_eq!(m.params.len(), 22);
        assert_eq!(m.param(21), Some("b"));
        assert_eq!(m.param(22), None);
    }

    #[test]
    fn tags_parsing_and_escapes() {
        let m = p(r"@a=x\:y\sz\\w\r\n;b;c=;d=tail\;e=\q;+vendor.example/k-1=v CMD");
        assert_eq!(
            m.tags,
            vec![
                Tag {
                    key: "a".into(),
                    value: Some("x;y z\\w\r\n".into())
                },
                Tag {
                    key: "b".into(),
                    value: None
                },
                Tag {
                    key: "c".into(),
                    value: None
                },
                Tag {
                    key: "d".into(),
                    value: Some("tail".into())
                },
                Tag {
                    key: "e".into(),
                    value: Some("q".into())
                },
                Tag {
                    key: "+vendor.example/k-1".into(),
                    value: Some("v".into())
                },
            ]
        );
        assert_eq!(m.command, "CMD");
        // Value that unescapes to empty is None.
        assert_eq!(
            p(r"@a=\ CMD").tags,
            vec![Tag {
                key: "a".into(),
                value: None
            }]
        );
        // Empty entries and empty keys are dropped.
        assert_eq!(
            p("@;;=v;k CMD").tags,
            vec![Tag {
                key: "k".into(),
                value: None
            }]
        );
        // '=' inside a value is kept.
        assert_eq!(p("@k=a=b CMD").tags[0].value.as_deref(), Some("a=b"));
        // Duplicates are kept in order.
        assert_eq!(p("@k=1;k=2 CMD").tags.len(), 2);
    }

    #[test]
    fn unescape_cases() {
        assert_eq!(unescape_tag_value(""), "");
        assert_eq!(unescape_tag_value("plain"), "plain");
        assert_eq!(unescape_tag_value(r"\:"), ";");
        assert_eq!(unescape_tag_value(r"\s"), " ");
        assert_eq!(unescape_tag_value(r"\\"), "\\");
        assert_eq!(unescape_tag_value(r"\r"), "\r");
        assert_eq!(unescape_tag_value(r"\n"), "\n");
        assert_eq!(unescape_tag_value(r"a\"), "a");
        assert_eq!(unescape_tag_value(r"\"), "");
        assert_eq!(unescape_tag_value(r"a\\\"), "a\\");
        assert_eq!(unescape_tag_value(r"\b\é"), "bé");
        assert_eq!(unescape_tag_value(r"\\s"), "\\s");
    }

    #[test]
    fn escape_cases() {
        let mut s = String::new();
        escape_tag_value("a; b\\c\r\nd", &mut s);
        assert_eq!(s, r"a\:\sb\\c\r\nd");
        s.clear();
        escape_tag_value("", &mut s);
        assert_eq!(s, "");
        s.clear();
        escape_tag_value("héllo=", &mut s);
        assert_eq!(s, "héllo=");
        for v in ["", "x", "; \\\r\n", "\\s", "a\\", "ünï ;code"] {
            let mut e = String::new();
            escape_tag_value(v, &mut e);
            assert_eq!(unescape_tag_value(&e), v);
        }
    }

    #[test]
    fn length_limits() {
        // Body: exactly 510 bytes is OK, 511 is not.
        let ok = format!("PRIVMSG #a :{}", "x".repeat(510 - 12));
        assert_eq!(ok.len(), 510);
        assert!(Message::parse(&ok).is_ok());
        let long = format!("{ok}x");
        assert_eq!(Message::parse(&long), Err(ParseError::BodyTooLong));
        // Leading spaces are not counted.
        assert!(Message::parse(&format!("   {ok}")).is_ok());
        // Tags: the section including '@' and the space may be 8191 bytes.
        let tag = format!("@k={}", "v".repeat(8191 - 4));
        assert_eq!(tag.len() + 1, 8191);
        let m = p(&format!("{tag} {ok}"));
        assert_eq!(m.tags[0].value.as_ref().map(String::len), Some(8187));
        assert_eq!(
            Message::parse(&format!("{tag}v {ok}")),
            Err(ParseError::TagsTooLong)
        );
        // Without a space the section is the whole rest: 8191 bytes is fine.
        assert_eq!(
            Message::parse(&format!("{tag}v")),
            Err(ParseError::NoCommand)
        );
        assert_eq!(
            Message::parse(&format!("{tag}vv")),
            Err(ParseError::TagsTooLong)
        );
        assert_eq!(
            Message::parse(&format!("{tag} {long}")),
            Err(ParseError::BodyTooLong)
        );
        assert_eq!(
            Message::parse(&format!("{tag}vv {long}")),
            Err(ParseError::TagsTooLong)
        );
    }

    #[test]
    fn parse_bytes_utf8() {
        assert_eq!(
            Message::parse_bytes(b"PRIVMSG #a :\xff\xfe").unwrap_err(),
            ParseError::InvalidUtf8
        );
        assert_eq!(
            Message::parse_bytes(b"\xffPING").unwrap_err(),
            ParseError::InvalidUtf8
        );
        // Truncated multibyte sequence.
        assert_eq!(
            Message::parse_bytes(b"PING :\xc3").unwrap_err(),
            ParseError::InvalidUtf8
        );
        // Length errors win over UTF-8 errors.
        let mut long = b"PRIVMSG #a :".to_vec();
        long.extend_from_slice(&[0xffu8; 600]);
        assert_eq!(Message::parse_bytes(&long), Err(ParseError::BodyTooLong));
        let mut tags = b"@k=".to_vec();
        tags.extend_from_slice(&[0xffu8; 9000]);
        tags.extend(b" PING");
        assert_eq!(Message::parse_bytes(&tags), Err(ParseError::TagsTooLong));
        // Valid UTF-8 passes.
        let m = Message::parse_bytes("PRIVMSG #ä :héllo wörld".as_bytes()).unwrap();
        assert_eq!(m.params, strs(&["#ä", "héllo wörld"]));
        assert_eq!(Message::parse_bytes(b"  "), Err(ParseError::Empty));
    }

    #[test]
    fn serialize() {
        let m = Message::new("PRIVMSG", strs(&["#a", "hello world"]));
        assert_eq!(m.to_line(), "PRIVMSG #a :hello world\r\n");
        assert_eq!(Message::new("PING", strs(&["x"])).to_line(), "PING x\r\n");
        assert_eq!(Message::new("QUIT", vec![]).to_line(), "QUIT\r\n");
        assert_eq!(
            Message::new("TOPIC", strs(&["#a", ""])).to_line(),
            "TOPIC #a :\r\n"
        );
        assert_eq!(Message::new("X", strs(&[":-)"])).to_line(), "X ::-)\r\n");
        assert_eq!(Message::new("X", strs(&["a:b"])).to_line(), "X a:b\r\n");
        let m = Message {
            tags: vec![
                Tag::new("a", Some("x; y")),
                Tag::new("b", None),
                Tag::new("c", Some("")),
            ],
            source: Some("n!u@h".into()),
            command: "PRIVMSG".into(),
            params: strs(&["#a", "hi"]),
        };
        assert_eq!(m.to_line(), "@a=x\\:\\sy;b;c :n!u@h PRIVMSG #a hi\r\n");
        // Tag with Some("") written directly (not via Tag::new) is key only.
        let m2 = Message {
            tags: vec![Tag {
                key: "k".into(),
                value: Some(String::new()),
            }],
            ..Message::new("PING", vec![])
        };
        assert_eq!(m2.to_line(), "@k PING\r\n");
        let mut out = String::from("prefix|");
        m.write_to(&mut out);
        assert_eq!(out, "prefix|@a=x\\:\\sy;b;c :n!u@h PRIVMSG #a hi\r\n");
    }

    #[test]
    fn write_line_matches_write_to() {
        let mut out = String::new();
        write_line(
            &mut out,
            None,
            Some("srv"),
            "001",
            &["nick", "Welcome to IRC"],
        );
        assert_eq!(out, ":srv 001 nick :Welcome to IRC\r\n");
        out.clear();
        write_line(&mut out, Some(""), None, "PING", &[]);
        assert_eq!(out, "PING\r\n");
        out.clear();
        write_line(
            &mut out,
            Some("time=2020-01-01T00:00:00.000Z"),
            Some("a!b@c"),
            "PRIVMSG",
            &["#x", ""],
        );
        assert_eq!(
            out,
            "@time=2020-01-01T00:00:00.000Z :a!b@c PRIVMSG #x :\r\n"
        );
        let m = p(&out[..out.len() - 2]);
        assert_eq!(m.to_line(), out);
        out.clear();
        write_line(&mut out, None, None, "MODE", &["#a", "+o", "nick"]);
        assert_eq!(out, "MODE #a +o nick\r\n");
        // Exact reservation: one growth at most, no reallocation when reserved.
        let mut out = String::with_capacity(64);
        let cap = out.capacity();
        write_line(&mut out, None, Some("s"), "X", &["a", "b c"]);
        assert_eq!(out.capacity(), cap);
    }

    #[test]
    fn param_accessor() {
        let m = p("KICK #a bob :bye now");
        assert_eq!(m.param(0), Some("#a"));
        assert_eq!(m.param(2), Some("bye now"));
        assert_eq!(m.param(3), None);
    }

    #[test]
    fn parse_serialize_canonical() {
        for (input, canon) in [
            ("privmsg   #a   :hi there", "PRIVMSG #a :hi there\r\n"),
            ("privmsg #a :hi", "PRIVMSG #a hi\r\n"),
            ("@a;b=\\s :s  NOTICE  x :", "@a;b=\\s :s NOTICE x :\r\n"),
            ("@a=\\ PING", "@a PING\r\n"),
        ] {
            assert_eq!(p(input).to_line(), canon);
        }
    }

    /// xorshift64* PRNG, enough for property-style tests without crates.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            let mut x = self.0;
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            self.0 = x;
            x.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
        fn pick(&mut self, set: &[char]) -> char {
            set[self.below(set.len())]
        }
        fn string(&mut self, set: &[char], min: usize, max: usize) -> String {
            let n = min + self.below(max - min + 1);
            (0..n).map(|_| self.pick(set)).collect()
        }
    }

    fn random_message(r: &mut Rng) -> Message {
        const KEY: &[char] = &['a', 'b', 'z', 'A', '0', '9', '-', '.', '/'];
        const VAL: &[char] = &[
            'a', 'Z', '0', ';', ' ', '\\', '\r', '\n', '=', ':', '@', 'é', '☃', 's',
        ];
        const WORD: &[char] = &[
            'a', 'B', '0', '#', '!', '@', '.', ':', '-', '[', ']', '\\', 'é', '☃',
        ];
        const WORD_START: &[char] = &['a', 'B', '0', '#', '!', '@', '.', '-', '[', 'é'];
        const TRAIL: &[char] = &['a', ' ', ':', '#', 'é', '\u{1}', '\\', '☃'];
        let mut m = Message::default();
        for _ in 0..r.below(5) {
            let mut key = String::new();
            if r.below(3) == 0 {
                key.push('+');
            }
            key.push(r.pick(&['a', 'q', 'x']));
            key.push_str(&r.string(KEY, 0, 12));
            let value = if r.below(3) == 0 {
                None
            } else {
                Some(r.string(VAL, 1, 20))
            };
            m.tags.push(Tag { key, value });
        }
        if r.below(2) == 0 {
            let mut s = String::new();
            s.push(r.pick(WORD_START));
            s.push_str(&r.string(WORD, 0, 30));
            m.source = Some(s);
        }
        m.command = if r.below(3) == 0 {
            format!("{:03}", r.below(1000))
        } else {
            r.string(&['A', 'B', 'P', 'R', 'I', 'V', 'M', 'S', 'G', 'Z'], 1, 10)
        };
        let n = r.below(20);
        for i in 0..n {
            if i + 1 == n && r.below(2) == 0 {
                m.params.push(r.string(TRAIL, 0, 30));
            } else {
                let mut s = String::new();
                s.push(r.pick(WORD_START));
                s.push_str(&r.string(WORD, 0, 15));
                m.params.push(s);
            }
        }
        m
    }

    #[test]
    fn randomized_garbage_never_panics_and_reparses() {
        const BYTES: &[u8] = b"   ::@;=\\aZbYcXdW19#!.\xff\xc3\xa9";
        let mut r = Rng(0xDEAD_BEEF_CAFE_F00D);
        let mut accepted = 0;
        for _ in 0..50_000 {
            let n = r.below(40);
            let line: Vec<u8> = (0..n).map(|_| BYTES[r.below(BYTES.len())]).collect();
            if let Ok(m) = Message::parse_bytes(&line) {
                accepted += 1;
                // Anything we accept re-serializes into a line that parses back
                // to the same message.
                let out = m.to_line();
                assert_eq!(
                    Message::parse(&out[..out.len() - 2]),
                    Ok(m.clone()),
                    "{line:?}"
                );
            }
        }
        assert!(accepted > 1000, "accepted={accepted}");
    }

    #[test]
    fn randomized_round_trip() {
        let mut r = Rng(0x9E37_79B9_7F4A_7C15);
        let (mut ok, mut too_long) = (0, 0);
        for _ in 0..20_000 {
            let m = random_message(&mut r);
            let line = m.to_line();
            assert!(line.ends_with("\r\n"));
            let body = &line[..line.len() - 2];
            let tag_section = if m.tags.is_empty() {
                0
            } else {
                body.find(' ').unwrap() + 1
            };
            let parsed = Message::parse(body);
            if body.len() - tag_section > MAX_BODY_LEN {
                assert_eq!(parsed, Err(ParseError::BodyTooLong), "{body:?}");
                too_long += 1;
                continue;
            }
            assert_eq!(parsed.as_ref(), Ok(&m), "{body:?}");
            assert_eq!(Message::parse_bytes(body.as_bytes()).as_ref(), Ok(&m));
            if m.tags.is_empty() {
                let params: Vec<&str> = m.params.iter().map(String::as_str).collect();
                let mut out = String::new();
                write_line(&mut out, None, m.source.as_deref(), &m.command, &params);
                assert_eq!(out, line);
            }
            ok += 1;
        }
        assert!(ok > 15_000, "ok={ok} too_long={too_long}");
    }
}
