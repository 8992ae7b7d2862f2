//! Connection registration end to end (Modern IRC "Connection Registration";
//! RFC 2812 3.1): NICK and USER in either order, the welcome burst (001-005
//! with the ISUPPORT tokens, LUSERS, MOTD), PASS, IRCv3 CAP negotiation
//! holding registration until CAP END, nick collisions under rfc1459
//! casemapping, erroneous nicks, nick changes and who sees them, commands
//! before registration, the registration timeout, PING/PONG and QUIT.

#[path = "../common/mod.rs"]
mod common;
mod lifecycle;
mod nick_user;
mod pass_cap;
mod welcome;

use common::*;

use natter_proto::Message;

/// Reads every message up to and including the end of the MOTD (376/422).
fn read_burst(c: &mut Client) -> Vec<Message> {
    let mut seen = Vec::new();
    loop {
        let m = c.recv();
        let end = m.command == "376" || m.command == "422";
        seen.push(m);
        if end {
            return seen;
        }
    }
}

/// Sends NICK then USER and returns the welcome burst.
fn register_burst(c: &mut Client, nick: &str) -> Vec<Message> {
    c.send(&format!("NICK {nick}"));
    c.send(&format!("USER {nick} 0 * :Real {nick}"));
    let burst = read_burst(c);
    c.nick = nick.to_string();
    burst
}

/// Reads until the server closes `c` and asserts that all it got was
/// `ERROR :Closing Link: 127.0.0.1 (<why>)`.
fn assert_closed_with(c: &mut Client, why: &str) {
    let lines = until_closed(c);
    assert_eq!(cmds(&lines), ["ERROR"], "{lines:#?}");
    assert_eq!(params(&lines[0]), [format!("Closing Link: {HOST} ({why})")]);
}

/// Asserts that registered `c`'s `NICK <nick>` is refused with exactly one
/// numeric `code` saying `text`, and that WHOIS still finds `c` under its
/// old nick.
fn assert_nick_refused(c: &mut Client, nick: &str, code: &str, text: &str) {
    let r = c.ask(&format!("NICK {nick}"));
    only(&r, SERVER, code, &[&c.nick, nick, text]);
    let r = c.ask(&format!("WHOIS {}", c.nick));
    assert_eq!(one(&r, "311").params[1], c.nick);
}

/// The ISUPPORT tokens of every 005 line in `msgs`, checking each line's
/// shape (`<nick> <token>... :are supported by this server`).
fn isupport_tokens(msgs: &[Message], nick: &str) -> Vec<String> {
    let lines = with_command(msgs, "005");
    assert!(!lines.is_empty(), "no RPL_ISUPPORT in {msgs:#?}");
    let mut tokens = Vec::new();
    for m in lines {
        assert_eq!(m.source.as_deref(), Some(SERVER));
        assert!(m.params.len() >= 3, "005 without tokens: {m:?}");
        assert_eq!(m.params[0], nick);
        assert_eq!(m.params.last().unwrap(), "are supported by this server");
        tokens.extend(m.params[1..m.params.len() - 1].iter().cloned());
    }
    tokens
}

/// The value of ISUPPORT token `name` (`Some("")` for a token without one).
fn token<'a>(tokens: &'a [String], name: &str) -> Option<&'a str> {
    tokens.iter().find_map(|t| match t.split_once('=') {
        Some((k, v)) if k == name => Some(v),
        None if t == name => Some(""),
        _ => None,
    })
}
