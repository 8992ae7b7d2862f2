//! SASL over IRC: the `sasl` capability and AUTHENTICATE (IRCv3 sasl-3.1
//! and 3.2, <https://ircv3.net/specs/extensions/sasl-3.1>), with the
//! mechanisms PLAIN (RFC 4616), SCRAM-SHA-256 (RFC 5802, RFC 7677) and
//! EXTERNAL (RFC 4422 appendix A: the TLS client certificate, see
//! [`super::certfp`]).
//!
//! A client payload is base64, sent in pieces of 400 bytes; a piece of
//! exactly 400 bytes means more follows, and `+` is an empty piece.
//! `AUTHENTICATE *` aborts (906). The numerics are RPL_LOGGEDIN (900),
//! RPL_SASLSUCCESS (903), ERR_SASLFAIL (904), ERR_SASLTOOLONG (905),
//! ERR_SASLABORTED (906), ERR_SASLALREADY (907) and RPL_SASLMECHS (908).
//!
//! PLAIN's password check (argon2id) is deferred off the world lock; SCRAM
//! needs only HMACs and runs under it.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use natter_proto::numeric::*;
use natter_proto::Message;

use super::account::{self, Via};
use super::Ctx;
use crate::accounts::scram;

/// The mechanisms offered, as the `sasl` capability's value and in 908.
pub const MECHANISMS: &str = "PLAIN,SCRAM-SHA-256,EXTERNAL";

/// The longest payload accepted, decoded pieces together (bytes of base64).
pub(crate) const MAX_PAYLOAD: usize = 4096;

/// One AUTHENTICATE exchange in progress. Its Debug leaves out the
/// payload received so far and the SCRAM state: a PLAIN payload holds the
/// password.
#[derive(Clone)]
pub struct Session {
    step: Step,
    /// Base64 pieces of the payload being received.
    buffer: String,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let step = match self.step {
            Step::Plain => "PLAIN",
            Step::External => "EXTERNAL",
            Step::ScramFirst => "SCRAM client-first",
            Step::ScramFinal(_) => "SCRAM client-final",
            Step::ScramDone(_) => "SCRAM done",
        };
        f.debug_struct("Session")
            .field("step", &step)
            .field("buffered", &self.buffer.len())
            .finish()
    }
}

#[derive(Clone)]
enum Step {
    /// PLAIN: waiting for `authzid NUL authcid NUL passwd`.
    Plain,
    /// EXTERNAL: waiting for the authorization identity (may be empty).
    External,
    /// SCRAM: waiting for the client-first message.
    ScramFirst,
    /// SCRAM: server-first sent, waiting for the client-final message.
    ScramFinal(Box<scram::Exchange>),
    /// SCRAM: server-final sent, waiting for the client's empty answer.
    ScramDone(String),
}

/// `AUTHENTICATE <mechanism | payload | *>`.
pub fn authenticate(ctx: &mut Ctx<'_>, msg: &Message) {
    let Some(arg) = msg.param(0) else {
        return ctx.need_more_params("AUTHENTICATE");
    };
    if arg == "*" {
        ctx.irc().sasl = None;
        return ctx.numeric(ERR_SASLABORTED, &["SASL authentication aborted"]);
    }
    let Some(mut session) = ctx.irc().sasl.take() else {
        return start(ctx, arg);
    };
    match add_piece(&mut session.buffer, arg) {
        Piece::TooLong => ctx.numeric(ERR_SASLTOOLONG, &["SASL message too long"]),
        Piece::Invalid => failed(ctx),
        Piece::More => ctx.irc().sasl = Some(session),
        Piece::Payload(payload) => step(ctx, session.step, payload),
    }
}

/// What one AUTHENTICATE piece does to the payload being received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Piece {
    /// The piece is over 400 bytes (ERR_SASLTOOLONG); the exchange ends.
    TooLong,
    /// The payload is over [`MAX_PAYLOAD`] in total, or not base64: a
    /// failure.
    Invalid,
    /// A piece of exactly 400 bytes: more follows.
    More,
    /// The last piece: the whole payload, decoded.
    Payload(Vec<u8>),
}

/// Adds one AUTHENTICATE piece (`+` for an empty one) to `buffer`, the
/// base64 received so far. Pure, so the fuzz target `sasl` can feed it
/// pieces (see [`crate::fuzzing`]).
pub(crate) fn add_piece(buffer: &mut String, arg: &str) -> Piece {
    if arg.len() > 400 {
        return Piece::TooLong;
    }
    if arg != "+" {
        buffer.push_str(arg);
    }
    if buffer.len() > MAX_PAYLOAD {
        // ERR_SASLTOOLONG is for one piece over 400 bytes; a payload too
        // long in total is a failure.
        return Piece::Invalid;
    }
    if arg.len() == 400 {
        return Piece::More;
    }
    match B64.decode(std::mem::take(buffer)) {
        Ok(payload) => Piece::Payload(payload),
        Err(_) => Piece::Invalid,
    }
}

/// The first AUTHENTICATE: a mechanism name.
fn start(ctx: &mut Ctx<'_>, mechanism: &str) {
    if account::current(ctx).is_some() {
        return ctx.numeric(
            ERR_SASLALREADY,
            &["You have already authenticated using SASL"],
        );
    }
    let step = match mechanism.to_ascii_uppercase().as_str() {
        "PLAIN" => Step::Plain,
        "SCRAM-SHA-256" => Step::ScramFirst,
        "EXTERNAL" => Step::External,
        _ => {
            ctx.numeric(
                RPL_SASLMECHS,
                &[MECHANISMS, "are available SASL mechanisms"],
            );
            return failed(ctx);
        }
    };
    ctx.irc().sasl = Some(Box::new(Session {
        step,
        buffer: String::new(),
    }));
    ctx.server_line("AUTHENTICATE", &["+"]);
}

/// Handles one whole client payload.
fn step(ctx: &mut Ctx<'_>, step: Step, payload: Vec<u8>) {
    match step {
        Step::Plain => plain(ctx, &payload),
        Step::External => match super::certfp::external(ctx, &payload) {
            Some(account) => succeeded(ctx, &account),
            None => failed(ctx),
        },
        Step::ScramFirst => {
            let Ok(text) = std::str::from_utf8(&payload) else {
                return failed(ctx);
            };
            let Ok(first) = scram::client_first(text) else {
                return failed(ctx);
            };
            let Some(keys) = ctx
                .world
                .accounts
                .get(&first.username)
                .map(|a| a.credentials.scram.clone())
            else {
                return failed(ctx);
            };
            if let Err(wait) = crate::accounts::login::refused(ctx, &first.username) {
                return refused(ctx, wait);
            }
            let (exchange, server_first) = scram::Exchange::start(first, keys);
            send(ctx, server_first.as_bytes());
            ctx.irc().sasl = Some(Box::new(Session {
                step: Step::ScramFinal(Box::new(exchange)),
                buffer: String::new(),
            }));
        }
        Step::ScramFinal(exchange) => {
            let text = std::str::from_utf8(&payload).unwrap_or("");
            match exchange.finish(text) {
                Ok(server_final) => {
                    let name = exchange.username().to_string();
                    send(ctx, server_final.as_bytes());
                    ctx.irc().sasl = Some(Box::new(Session {
                        step: Step::ScramDone(name),
                        buffer: String::new(),
                    }));
                }
                Err(_) => {
                    let name = exchange.username().to_string();
                    let _delay = crate::accounts::login::login_failed(ctx, &name);
                    failed(ctx);
                }
            }
        }
        Step::ScramDone(name) => {
            if !payload.is_empty() {
                return failed(ctx);
            }
            succeeded(ctx, &name);
        }
    }
}

/// PLAIN: `authzid NUL authcid NUL passwd`; the check is deferred.
fn plain(ctx: &mut Ctx<'_>, payload: &[u8]) {
    let Some((authcid, password)) = plain_fields(payload) else {
        return failed(ctx);
    };
    if let Err(wait) = crate::accounts::login::refused(ctx, authcid) {
        return refused(ctx, wait);
    }
    let Some(account) = ctx.world.accounts.get(authcid) else {
        let _delay = crate::accounts::login::login_failed(ctx, authcid);
        return failed(ctx);
    };
    super::account::check_password(
        ctx,
        account.name.clone(),
        account.credentials.password.clone(),
        password,
        Via::Sasl,
    );
}

/// PLAIN's payload (RFC 4616): `authzid NUL authcid NUL passwd`, each
/// UTF-8, as `(authcid, passwd)`; `None` when it has another shape, or an
/// authorization identity other than the authentication identity.
pub(crate) fn plain_fields(payload: &[u8]) -> Option<(&str, &str)> {
    let mut parts = payload.split(|b| *b == 0);
    let (Some(authzid), Some(authcid), Some(password), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    let (Ok(authzid), Ok(authcid), Ok(password)) = (
        std::str::from_utf8(authzid),
        std::str::from_utf8(authcid),
        std::str::from_utf8(password),
    ) else {
        return None;
    };
    if !authzid.is_empty() && authzid != authcid {
        return None;
    }
    Some((authcid, password))
}

/// `AUTHENTICATE <base64>` in pieces of at most 400 bytes (an empty
/// payload, or a last piece of exactly 400, followed by `+`).
fn send(ctx: &mut Ctx<'_>, payload: &[u8]) {
    let encoded = B64.encode(payload);
    let mut rest = encoded.as_str();
    loop {
        let (piece, tail) = rest.split_at(rest.len().min(400));
        ctx.server_line(
            "AUTHENTICATE",
            &[if piece.is_empty() { "+" } else { piece }],
        );
        if piece.len() < 400 {
            break;
        }
        rest = tail;
    }
}

/// ERR_SASLFAIL; the exchange is over.
pub fn failed(ctx: &mut Ctx<'_>) {
    ctx.irc().sasl = None;
    ctx.numeric(ERR_SASLFAIL, &["SASL authentication failed"]);
}

/// ERR_SASLFAIL for a client or account that failed too often.
fn refused(ctx: &mut Ctx<'_>, wait: u64) {
    ctx.irc().sasl = None;
    let text =
        format!("SASL authentication failed: too many failed attempts, try again in {wait} s");
    ctx.numeric(ERR_SASLFAIL, &[&text]);
}

/// Logged in by SASL: 900 then 903.
pub fn succeeded(ctx: &mut Ctx<'_>, account_name: &str) {
    ctx.irc().sasl = None;
    crate::accounts::login::login_succeeded(ctx, account_name);
    account::log_in(ctx, account_name);
    ctx.numeric(RPL_SASLSUCCESS, &["SASL authentication successful"]);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A PLAIN payload in progress holds the password in base64: Debug
    /// (a log line, a panic message) must not show it.
    #[test]
    fn a_session_debug_leaves_the_payload_out() {
        let payload = B64.encode(b"alice\0alice\0hunter2");
        let session = Session {
            step: Step::Plain,
            buffer: payload.clone(),
        };
        let shown = format!("{session:?}");
        assert!(!shown.contains(&payload), "{shown}");
        assert_eq!(
            shown,
            format!("Session {{ step: \"PLAIN\", buffered: {} }}", payload.len())
        );
    }
}
