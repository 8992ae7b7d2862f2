//! HELP and HELPOP (Modern IRC "HELP message"): a few lines on every
//! command natter implements, and on its modes and WHOX.
//!
//! `HELP <subject>` answers with RPL_HELPSTART (the subject's syntax as a
//! title), an empty RPL_HELPTXT, the text as RPL_HELPTXT lines and
//! RPL_ENDOFHELP; an unknown subject gets a single ERR_HELPNOTFOUND.
//! Without a subject the reply is an index of every subject. Subjects
//! compare case-insensitively and are echoed as the client spelled them
//! (or as `*` when that could not be a middle parameter).
//!
//! Both commands are accepted before registration too: the text is static,
//! costs no more than a PING, and tells someone typing at a raw connection
//! how to register (HELP NICK, HELP USER, HELP CAP).
//!
//! The texts live in [`ENTRIES`]; a unit test reads the command table
//! ([`super::COMMANDS`]) and requires an entry for every command in it,
//! marked with the right [`Kind`], so a new command cannot ship without help.

use natter_proto::numeric::*;
use natter_proto::Message;

use super::registration::middle;
use super::Ctx;

/// What a help subject documents, which decides where the index lists it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A command accepted at any time, before registration too.
    Anytime,
    /// A command accepted only once the client is registered.
    Registered,
    /// Not a command: background for several commands (modes, WHOX).
    Topic,
}

/// One help subject.
#[derive(Debug)]
pub struct Entry {
    /// The subject, upper case: a command name or a topic name.
    pub name: &'static str,
    /// Command or topic, and when a command is accepted.
    pub kind: Kind,
    /// The title line (RPL_HELPSTART): the command's syntax, or the topic's
    /// heading.
    pub title: &'static str,
    /// The body, one RPL_HELPTXT each.
    pub text: &'static [&'static str],
}

pub use entries::ENTRIES;

/// The entry for `subject`, compared case-insensitively.
pub fn lookup(subject: &str) -> Option<&'static Entry> {
    ENTRIES
        .iter()
        .find(|e| e.name.eq_ignore_ascii_case(subject))
}

/// Longest index line of subject names, in bytes (names and spaces).
const INDEX_WIDTH: usize = 60;

/// The index HELP without a subject shows: every subject, by kind.
pub fn index() -> Vec<String> {
    let names = |kinds: &[Kind]| -> Vec<&'static str> {
        ENTRIES
            .iter()
            .filter(|e| kinds.contains(&e.kind))
            .map(|e| e.name)
            .collect()
    };
    let mut lines = vec![
        "HELP <subject> shows the syntax and use of a command or topic.".to_string(),
        String::new(),
        "Commands:".to_string(),
    ];
    lines.extend(wrap(&names(&[Kind::Anytime, Kind::Registered])));
    lines.push(String::new());
    lines.push("Before registration only these are accepted:".to_string());
    lines.extend(wrap(&names(&[Kind::Anytime])));
    lines.push(String::new());
    lines.push("Other topics:".to_string());
    lines.extend(wrap(&names(&[Kind::Topic])));
    lines
}

/// `names` as lines of at most [`INDEX_WIDTH`] bytes, each indented by two
/// spaces.
fn wrap(names: &[&str]) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for name in names {
        if !line.is_empty() && line.len() + 1 + name.len() > INDEX_WIDTH {
            lines.push(format!("  {line}"));
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(name);
    }
    if !line.is_empty() {
        lines.push(format!("  {line}"));
    }
    lines
}

/// The text of ERR_HELPNOTFOUND.
const NOT_FOUND: &str = "No help available on this topic";

/// `HELP [<subject>]` and `HELPOP [<subject>]` (the same command): the index,
/// the entry for `<subject>`, or ERR_HELPNOTFOUND.
pub fn help(ctx: &mut Ctx<'_>, msg: &Message) {
    let subject = msg.param(0).filter(|s| !s.is_empty());
    let (shown, title, text): (&str, &str, Vec<String>) = match subject {
        None => ("*", "natter help", index()),
        Some(s) => match lookup(s) {
            Some(e) => (s, e.title, e.text.iter().map(|l| l.to_string()).collect()),
            None => {
                let shown = not_found_subject(ctx, s);
                return ctx.numeric(ERR_HELPNOTFOUND, &[shown, NOT_FOUND]);
            }
        },
    };
    // A subject found is a short name, so these lines fit in 512 bytes.
    ctx.numeric(RPL_HELPSTART, &[shown, title]);
    ctx.numeric(RPL_HELPTXT, &[shown, ""]);
    for line in &text {
        ctx.numeric(RPL_HELPTXT, &[shown, line]);
    }
    ctx.numeric(RPL_ENDOFHELP, &[shown, "End of /HELP"]);
}

/// How ERR_HELPNOTFOUND names an unknown `subject`: as given, unless it
/// could not be a middle parameter or would push the reply over 512 bytes
/// (RFC 1459 2.3), then `*` (Modern IRC ERR_HELPNOTFOUND).
fn not_found_subject<'s>(ctx: &Ctx<'_>, subject: &'s str) -> &'s str {
    let subject = middle(subject);
    // ':' server ' 524 ' nick ' ' subject ' :' text CR LF
    let len = 1
        + ctx.world.config.server.name.len()
        + 5
        + ctx.nick().len()
        + 1
        + subject.len()
        + 2
        + NOT_FOUND.len()
        + 2;
    if len > 512 {
        "*"
    } else {
        subject
    }
}

#[cfg(test)]
mod tests;

mod entries;
