//! The IRC line grammar for natter: parsing and serializing messages, framing a
//! byte stream into lines, casemapping, wildcard masks, name validation and
//! numeric reply codes.
//!
//! It also holds the frame grammar of the lectures' instant-messaging (IM)
//! protocol, in [`im`].
//!
//! Everything here is pure (no I/O, no global state); the only dependency
//! is serde_json, for the IM protocol's JSON arguments.
//!
//! Specification sources:
//! * Modern IRC client protocol (ircdocs, "Messages" / "Message Format" section),
//! * RFC 1459 and RFC 2812,
//! * RFC 2813 and ngIRCd's doc/Protocol.txt (server links, in [`link`]),
//! * IRCv3 `message-tags`.
//!
//! Modules:
//! * [`message`]: [`Message`] and [`Tag`], [`Message::parse`], serialization and
//!   the allocation-free output fast path [`write_line`].
//! * [`framer`]: [`Framer`] splits a TCP byte stream into [`Frame`]s (lines).
//! * [`casemap`]: `CASEMAPPING=rfc1459` folding and comparison.
//! * [`mask`]: glob matching (`*`, `?`) for bans, `WHO` and `LIST`, and hostmask
//!   normalisation.
//! * [`validate`]: nickname, channel name and username grammar checks.
//! * [`numeric`]: numeric reply codes as `&str` constants.
//! * [`im`]: IM protocol requests and replies (`COMMAND <json>` lines).
//! * [`link`]: the server-to-server grammar (RFC 2813, ngIRCd's IRC+) as
//!   typed [`link::LinkMessage`]s.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod casemap;
pub mod framer;
pub mod im;
pub mod link;
pub mod mask;
pub mod message;
pub mod numeric;
pub mod validate;

pub use framer::{Frame, Framer};
pub use message::{write_line, write_line_trailing, Message, ParseError, Tag};
