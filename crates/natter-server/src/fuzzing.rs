//! The checks behind natter's fuzz targets (`fuzz/`, cargo-fuzz; see
//! `docs/robustness.md`), one function per target.
//!
//! This module exists for the fuzz targets and is not part of natter's
//! API: it is public (and hidden from the documentation) only so that the
//! targets in `fuzz/fuzz_targets/`, each a one-line call, and the
//! regression test `tests/fuzz_seeds.rs`, which feeds every committed seed
//! and past crash input through the same checks on stable Rust, can reach
//! the pure parts of the server they exercise.
//!
//! Each check takes arbitrary bytes. Any input at all may be refused by the
//! code under test, but none may make it panic, loop or grow without
//! bound; where a parsed value can be written back, the check asserts that
//! it parses again to the same value, and where the input is split into
//! lines, that the lines are those of the grammar. A failed assertion is a
//! bug in natter.

use std::sync::OnceLock;

use bytes::BytesMut;
use natter_proto::im::{self, Reply};
use natter_proto::link::LinkMessage;
use natter_proto::message::MAX_BODY_LEN;
use natter_proto::{Frame, Framer, Message, ParseError, Tag};
use natter_store::ScramKeys;
use tokio_tungstenite::tungstenite::Message as WsMessage;

use crate::accounts::scram;
use crate::config::Config;
use crate::conn::MAX_LINE;
use crate::http::websocket::{self, Framing};
use crate::irc::sasl::{self, Piece};

/// A check: panics when natter misbehaves on the input.
pub type Check = fn(&[u8]);

/// Every target: its name (the directory of its seeds in `fuzz/seeds/`,
/// its past crash inputs in `fuzz/regressions/` and its binary in
/// `fuzz/fuzz_targets/`) and its check.
pub const TARGETS: &[(&str, Check)] = &[
    ("irc_line", irc_line),
    ("framer", framer),
    ("im_frame", im_frame),
    ("link_line", link_line),
    ("sasl", sasl),
    ("websocket", websocket),
    ("config", config),
];

/// `true` for the line terminators the [`Framer`] splits at.
fn is_terminator(b: &u8) -> bool {
    *b == b'\r' || *b == b'\n'
}

/// One IRC line, as a client sends it ([`Message::parse_bytes`], as
/// `conn.rs` calls it on each frame).
///
/// A line that parses serializes ([`Message::to_line`]) to one line that
/// parses to the same message; this holds for lines as the framer hands
/// them over, without CR or LF (for other bytes, only that nothing
/// panics). A line refused for invalid UTF-8 or a NUL is read again from
/// a lossy copy, as `conn.rs` does to name the command in its answer.
pub fn irc_line(data: &[u8]) {
    match Message::parse_bytes(data) {
        Ok(m) if !data.iter().any(is_terminator) => assert_message_round_trip(&m),
        Ok(_) | Err(ParseError::Empty | ParseError::NoCommand | ParseError::InvalidCommand) => {}
        Err(ParseError::TagsTooLong | ParseError::BodyTooLong) => {}
        Err(ParseError::InvalidUtf8 | ParseError::NulByte) => {
            let clean: Vec<u8> = data.iter().copied().filter(|&b| b != 0).collect();
            let _ = Message::parse(&String::from_utf8_lossy(&clean));
        }
    }
}

/// `m` written as a line parses back to `m`.
fn assert_message_round_trip(m: &Message) {
    let line = m.to_line();
    let text = line.strip_suffix("\r\n").expect("a line ends with CR LF");
    assert!(
        !text.contains(['\r', '\n', '\0']),
        "{m:?} written as more than one line: {line:?}"
    );
    assert_eq!(Message::parse(text).as_ref(), Ok(m), "written as {line:?}");
}

/// The [`Framer`] on a byte stream cut at arbitrary points.
///
/// The first byte chooses the longest line (bit 7: the server's
/// `MAX_LINE`; otherwise 0 to 63 bytes, so short inputs reach
/// [`Frame::TooLong`]), the second how many cut lengths follow (0 to 15, one
/// byte each, used in turn and again until the stream is fed; a length may
/// be 0); the rest is the stream. The frames must be the same whole or cut,
/// drained after each piece or not, and equal to a model of the grammar:
/// split at CR and LF, empty lines skipped, a line over the limit one
/// [`Frame::TooLong`], the unterminated tail held back (at most the limit,
/// as [`Framer::buffered`] says).
pub fn framer(data: &[u8]) {
    let [head, cuts, rest @ ..] = data else {
        return;
    };
    let max_line = if head & 0x80 != 0 {
        MAX_LINE
    } else {
        usize::from(head & 0x3f)
    };
    let n = usize::from(cuts & 0x0f).min(rest.len());
    let (cuts, stream) = rest.split_at(n);

    let (expected, tail) = model_frames(stream, max_line);

    let mut whole = Framer::new(max_line);
    whole.feed(stream);
    assert_eq!(drain(&mut whole), expected, "fed whole");
    assert_eq!(whole.buffered(), tail);

    let mut cut = Framer::new(max_line);
    let mut frames = Vec::new();
    let mut at = 0;
    let mut pieces = cuts.iter().cycle();
    while at < stream.len() {
        let len = match pieces.next() {
            Some(&c) if c != 0 || cuts.iter().any(|&c| c != 0) => usize::from(c),
            _ => stream.len(),
        };
        let end = (at + len).min(stream.len());
        cut.feed(&stream[at..end]);
        at = end;
        if len % 2 == 1 {
            frames.extend(drain(&mut cut));
            assert!(cut.buffered() <= max_line, "tail over the limit");
            cut.shrink();
        }
    }
    frames.extend(drain(&mut cut));
    assert_eq!(frames, expected, "fed in pieces of {cuts:?}");
    assert_eq!(cut.buffered(), tail);
}

fn drain(f: &mut Framer) -> Vec<Frame> {
    std::iter::from_fn(|| f.next_frame()).collect()
}

/// The frames of `stream` by the grammar, and the length of the
/// unterminated tail kept.
fn model_frames(stream: &[u8], max_line: usize) -> (Vec<Frame>, usize) {
    let segments: Vec<&[u8]> = stream.split(is_terminator).collect();
    let (last, lines) = segments.split_last().expect("split yields one at least");
    let mut frames: Vec<Frame> = lines
        .iter()
        .filter(|l| !l.is_empty())
        .map(|l| {
            if l.len() > max_line {
                Frame::TooLong
            } else {
                Frame::Line(l.to_vec())
            }
        })
        .collect();
    if last.len() > max_line {
        frames.push(Frame::TooLong);
        (frames, 0)
    } else {
        (frames, last.len())
    }
}

/// One IM protocol line, read as a request (by the server, as
/// `im::dispatch` does: UTF-8 only) and as a reply (by `natter im`).
/// What parses is written as one line that parses to the same request or
/// reply.
pub fn im_frame(data: &[u8]) {
    let Ok(line) = std::str::from_utf8(data) else {
        return;
    };
    match im::parse_request(line) {
        Ok(request) => {
            let out = request.to_line();
            let text = out.strip_suffix('\n').expect("a request ends with LF");
            assert!(!text.contains(['\r', '\n']), "more than one line: {out:?}");
            assert_eq!(im::parse_request(text), Ok(request), "written as {out:?}");
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
    if let Ok(reply) = Reply::parse(line) {
        let out = reply.to_line();
        let text = out.strip_suffix('\n').expect("a reply ends with LF");
        assert!(!text.contains(['\r', '\n']), "more than one line: {out:?}");
        assert_eq!(Reply::parse(text), Ok(reply), "written as {out:?}");
    }
}

/// One line from a linked server: [`Message::parse_bytes`], then
/// [`LinkMessage::parse`], as `link/session.rs` reads them.
///
/// A link message read from a line (without CR or LF, as framed) is
/// written ([`LinkMessage::write_with_tags`], without and with tags) as
/// one line that reads back as the same link message (and, with tags
/// given, carries them). [`LinkMessage::write`] does not enforce the
/// 512-byte limit (free text always gets its `:`, user modes their `+`),
/// so a line it makes longer than that may be refused as too long.
pub fn link_line(data: &[u8]) {
    let Ok(m) = Message::parse_bytes(data) else {
        return;
    };
    let link = match LinkMessage::parse(&m) {
        Ok(link) => link,
        Err(e) => {
            let _ = e.to_string();
            return;
        }
    };
    let _ = (link.source(), link.is_irc_plus());
    if data.iter().any(is_terminator) {
        return;
    }
    for tags in [None, Some("natter.test/fuzz=a\\sb")] {
        let mut line = String::new();
        link.write_with_tags(tags, &mut line);
        let text = line.strip_suffix("\r\n").expect("a line ends with CR LF");
        assert!(
            !text.contains(['\r', '\n', '\0']),
            "{link:?} written as more than one line: {line:?}"
        );
        let again = match Message::parse(text) {
            Ok(again) => again,
            Err(ParseError::BodyTooLong) => {
                let body = match text.strip_prefix('@') {
                    Some(tagged) => tagged.split_once(' ').map_or("", |(_, b)| b),
                    None => text,
                };
                assert!(
                    body.len() <= MAX_BODY_LEN + 8,
                    "{link:?} from a line of at most {MAX_BODY_LEN} bytes written as {line:?}"
                );
                continue;
            }
            Err(e) => panic!("{link:?} written as {line:?}, which does not parse: {e}"),
        };
        if tags.is_some() {
            assert_eq!(
                again.tags,
                [Tag::new("natter.test/fuzz", Some("a b"))],
                "tags of {line:?}"
            );
        }
        let read = LinkMessage::parse(&again);
        match (&link, read) {
            // An Other keeps the tags of its line: the ones given, here.
            (LinkMessage::Other(a), Ok(LinkMessage::Other(b))) if tags.is_some() => {
                assert_eq!(
                    (&a.source, &a.command, &a.params),
                    (&b.source, &b.command, &b.params),
                    "written as {line:?}"
                );
            }
            (_, read) => assert_eq!(read.as_ref(), Ok(&link), "written as {line:?}"),
        }
    }
}

/// The server's part of the nonce in the `sasl` target's SCRAM exchanges
/// (RFC 7677's example).
const SERVER_NONCE: &str = "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
/// RFC 7677's example: the client-first message.
const RFC_CLIENT_FIRST: &str = "n,,n=user,r=rOprNGfwEbeRWgbNEkqO";
/// RFC 7677's example: the client-final message (password `pencil`).
const RFC_CLIENT_FINAL: &str = "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
/// RFC 7677's example: the server-final message.
const RFC_SERVER_FINAL: &str = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";

/// RFC 7677's credentials (`pencil`, its salt, 4096 rounds), computed once.
fn rfc_keys() -> &'static ScramKeys {
    static KEYS: OnceLock<ScramKeys> = OnceLock::new();
    KEYS.get_or_init(|| {
        use base64::Engine;
        let salt = base64::engine::general_purpose::STANDARD
            .decode("W22ZaJ0SNY7soEsUEjb6gQ==")
            .expect("RFC 7677's salt");
        scram::keys_with("pencil", &salt, 4096)
    })
}

/// RFC 7677's exchange after the server-first message.
fn rfc_exchange() -> &'static scram::Exchange {
    static EXCHANGE: OnceLock<scram::Exchange> = OnceLock::new();
    EXCHANGE.get_or_init(|| {
        let first = scram::client_first(RFC_CLIENT_FIRST).expect("RFC 7677's client-first");
        scram::Exchange::with_server_nonce(first, rfc_keys().clone(), SERVER_NONCE).0
    })
}

/// SASL: PLAIN (RFC 4616) and SCRAM-SHA-256 (RFC 5802, RFC 7677) client
/// messages, and the AUTHENTICATE pieces they come in (IRCv3 sasl-3.1).
///
/// An even first byte: the rest is one decoded payload. An odd one: the
/// rest is UTF-8 AUTHENTICATE arguments, one per line (`+` an empty
/// piece, `*` an abort), reassembled as `irc/sasl.rs` does, each whole
/// payload then checked as above. A payload is read as PLAIN's three
/// fields, as a client-first message (answered, then its own bytes taken
/// as the client-final message) and as the client-final message of RFC
/// 7677's exchange, which only RFC 7677's own client-final may pass.
pub fn sasl(data: &[u8]) {
    let [mode, rest @ ..] = data else {
        return;
    };
    if mode & 1 == 0 {
        return sasl_payload(rest);
    }
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let mut buffer = String::new();
    for arg in text.split('\n') {
        if arg == "*" {
            buffer.clear();
            continue;
        }
        match sasl::add_piece(&mut buffer, arg) {
            Piece::More => {
                assert_eq!(arg.len(), 400);
                assert!(buffer.len() <= sasl::MAX_PAYLOAD);
            }
            Piece::Payload(payload) => {
                assert!(buffer.is_empty());
                sasl_payload(&payload);
            }
            // The exchange is over.
            Piece::TooLong | Piece::Invalid => buffer.clear(),
        }
    }
}

fn sasl_payload(payload: &[u8]) {
    if let Some((authcid, password)) = sasl::plain_fields(payload) {
        let tail = [authcid.as_bytes(), b"\0", password.as_bytes()].concat();
        assert!(payload.ends_with(&tail), "PLAIN fields of {payload:?}");
    }
    let text = std::str::from_utf8(payload).unwrap_or("");
    if let Ok(first) = scram::client_first(text) {
        let (exchange, server_first) =
            scram::Exchange::with_server_nonce(first, rfc_keys().clone(), SERVER_NONCE);
        assert!(server_first.starts_with("r="), "{server_first:?}");
        let _ = exchange.finish(text);
    }
    if let Ok(server_final) = rfc_exchange().finish(text) {
        assert_eq!(text, RFC_CLIENT_FINAL, "a forged proof passed");
        assert_eq!(server_final, RFC_SERVER_FINAL);
    }
}

/// IRC over WebSocket, the client's messages on their way to natter.
///
/// The input is a sequence of messages, each a kind byte (bit 0 set:
/// binary, else text), a length (two bytes, little-endian) and that many
/// bytes (fewer at the end). A text message that is not UTF-8 ends the
/// connection there (tungstenite fails it with close code 1007). Each
/// message goes through `push_line` into the bytes natter's side reads,
/// which its [`Framer`] then splits: the frames must be the lines of each
/// message on its own (no line runs into the next message's), each line
/// checked as by [`irc_line`]. The way back: those bytes, written by natter,
/// are cut into WebSocket messages (`next_line`, `message`): never empty,
/// never with a line break.
pub fn websocket(data: &[u8]) {
    let mut rest = data;
    let mut to_natter = Vec::new();
    let mut expected = Vec::new();
    while let [kind, a, b, tail @ ..] = rest {
        let len = usize::from(u16::from_le_bytes([*a, *b])).min(tail.len());
        let (message, after) = tail.split_at(len);
        rest = after;
        if kind & 1 == 0 && std::str::from_utf8(message).is_err() {
            break;
        }
        let before = to_natter.len();
        websocket::push_line(&mut to_natter, message);
        let mut line = message;
        while let [init @ .., b'\r' | b'\n'] = line {
            line = init;
        }
        let added = &to_natter[before..];
        if line.is_empty() {
            assert!(added.is_empty(), "an empty message made {added:?}");
        } else {
            assert_eq!(added, [line, b"\r\n"].concat());
            expected.extend(model_frames(added, MAX_LINE).0);
        }
    }
    let mut framer = Framer::new(MAX_LINE);
    framer.feed(&to_natter);
    let frames = drain(&mut framer);
    assert_eq!(frames, expected);
    assert_eq!(framer.buffered(), 0, "a message's line was held back");
    for frame in &frames {
        if let Frame::Line(line) = frame {
            irc_line(line);
        }
    }

    for framing in [Framing::Text, Framing::Binary] {
        let mut from_natter = BytesMut::from(&to_natter[..]);
        while let Some(line) = websocket::next_line(&mut from_natter) {
            if line.is_empty() {
                continue;
            }
            let payload = match websocket::message(line, framing) {
                WsMessage::Text(text) if framing == Framing::Text => text.as_bytes().to_vec(),
                WsMessage::Binary(bytes) if framing == Framing::Binary => bytes.to_vec(),
                other => panic!("{framing:?} framing sent {other:?}"),
            };
            assert!(!payload.is_empty());
            assert!(!payload.contains(&b'\n'), "{payload:?}");
            assert!(!payload.ends_with(b"\r"), "{payload:?}");
        }
        assert!(from_natter.is_empty(), "natter's lines end with LF");
    }
}

/// The configuration loader on arbitrary text ([`Config::parse`], which
/// [`Config::load`] calls on the file's UTF-8 text). Errors are expected;
/// a configuration it accepts passes [`Config::validate`], and every
/// error it reports names a line of the text, if any.
pub fn config(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match Config::parse(text) {
        Ok(config) => assert!(config.validate().is_ok()),
        Err(errors) => {
            assert!(!errors.0.is_empty(), "no error given");
            let lines = text.matches('\n').count() + 1;
            for e in &errors.0 {
                assert!(
                    e.line.is_none_or(|l| (1..=lines).contains(&l)),
                    "line {:?} of {lines}: {e}",
                    e.line
                );
            }
            let _ = errors.to_string();
        }
    }
}
