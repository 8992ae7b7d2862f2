//! An IRC client's framed line, parsed and handed to the command table
//! (`commands.rs`), or answered when it cannot be parsed (RFC 1459 2.3's
//! 512 bytes, IRCv3 message-tags' 4094 bytes of client tags, UTF8ONLY).
//! Called for every IRC line by the connection task, through
//! [`crate::frontends::handle_frame`].

use natter_proto::numeric::ERR_INPUTTOOLONG;
use natter_proto::{Frame, Message, ParseError};

use super::Ctx;

/// Most tag data a client may send, in bytes, without the `@` and the
/// space (IRCv3 message-tags: 4094; 8191 is for tags the server adds).
pub(super) const MAX_CLIENT_TAG_DATA: usize = 4094;

/// Length of a raw line's tag data (between `@` and the first space).
fn client_tags_len(line: &[u8]) -> usize {
    let line = &line[line.iter().position(|&b| b != b' ').unwrap_or(0)..];
    if line.first() != Some(&b'@') {
        return 0;
    }
    line.iter().position(|&b| b == b' ').unwrap_or(line.len()) - 1
}

/// Parses an IRC frame and dispatches it, answering what cannot be
/// parsed: ERR_INPUTTOOLONG (417) for a line or tag section over its
/// limit, ERR_UNKNOWNERROR (400) for a NUL byte, `FAIL <command> INVALID_UTF8`
/// (IRCv3 UTF8ONLY), ERR_UNKNOWNCOMMAND (421) for a line without a
/// command. A labeled line's answer keeps its label.
pub fn handle_frame(ctx: &mut Ctx<'_>, frame: Frame) {
    match frame {
        Frame::TooLong => ctx.numeric(ERR_INPUTTOOLONG, &["Input line was too long"]),
        Frame::Line(bytes) => match Message::parse_bytes(&bytes) {
            Ok(msg) => {
                ctx.take_label(&msg.tags);
                if client_tags_len(&bytes) > MAX_CLIENT_TAG_DATA {
                    ctx.numeric(ERR_INPUTTOOLONG, &["Input line was too long"])
                } else {
                    super::dispatch(ctx, &msg)
                }
            }
            Err(ParseError::Empty) => {}
            Err(ParseError::TagsTooLong | ParseError::BodyTooLong) => {
                ctx.numeric(ERR_INPUTTOOLONG, &["Input line was too long"])
            }
            Err(ParseError::NulByte) => {
                // Never relayed: answered with the command it came with.
                let clean: Vec<u8> = bytes.iter().copied().filter(|&b| b != 0).collect();
                let lossy = String::from_utf8_lossy(&clean);
                let parsed = Message::parse(&lossy).ok();
                if let Some(m) = &parsed {
                    ctx.take_label(&m.tags);
                }
                let cmd = parsed.map(|m| m.command).unwrap_or_else(|| "*".into());
                ctx.numeric(
                    natter_proto::numeric::ERR_UNKNOWNERROR,
                    &[&cmd, "Message contains a NUL byte"],
                );
            }
            Err(ParseError::InvalidUtf8) => {
                let lossy = String::from_utf8_lossy(&bytes);
                let cmd = Message::parse(&lossy)
                    .map(|m| m.command)
                    .unwrap_or_else(|_| "*".into());
                ctx.server_line(
                    "FAIL",
                    &[
                        &cmd,
                        "INVALID_UTF8",
                        "Message rejected, it contained invalid UTF-8",
                    ],
                );
            }
            Err(ParseError::NoCommand | ParseError::InvalidCommand) => {
                let lossy = String::from_utf8_lossy(&bytes);
                // Still answer a labeled line with its label.
                if let Some((section, _)) = lossy
                    .trim_start()
                    .strip_prefix('@')
                    .and_then(|r| r.split_once(' '))
                {
                    ctx.take_label(&natter_proto::message::parse_tags(section));
                }
                let word = lossy
                    .split_ascii_whitespace()
                    .find(|w| !w.starts_with('@') && !w.starts_with(':'))
                    .unwrap_or("*")
                    .to_string();
                ctx.numeric(
                    natter_proto::numeric::ERR_UNKNOWNCOMMAND,
                    &[&word, "Unknown command"],
                );
            }
        },
    }
}
