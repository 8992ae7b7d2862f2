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
    /// The line contains a NUL byte, which Modern IRC's grammar forbids
    /// anywhere in a message ("Message format": no NUL, CR or LF).
    NulByte,
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
            ParseError::NulByte => "NUL byte in the line",
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
    if line.as_bytes().contains(&0) {
        return Err(ParseError::NulByte);
    }
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
mod tests;
