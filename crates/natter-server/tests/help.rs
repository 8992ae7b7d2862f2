//! HELP, HELPOP and LINKS end to end (Modern IRC "HELP message" and
//! "LINKS message"): the RPL_HELPSTART / RPL_HELPTXT / RPL_ENDOFHELP shape
//! irctest's help.py checks, ERR_HELPNOTFOUND, case-insensitive subjects,
//! HELP before registration, an index that names exactly the commands the
//! server accepts (and, of them, exactly those it accepts before
//! registration), and LINKS listing this one server.

mod common;
use common::*;

use natter_proto::Message;

/// The description the LINKS tests give the server.
const DESCRIPTION: &str = "test server";

/// Asserts `reply` is a complete HELP answer about `subject` for `nick`:
/// RPL_HELPSTART with `title`, an empty RPL_HELPTXT, at least one more
/// RPL_HELPTXT, then RPL_ENDOFHELP. Returns the text lines.
fn assert_help(reply: &[Message], nick: &str, subject: &str, title: &str) -> Vec<String> {
    assert_help_from(SERVER, reply, nick, subject, title)
}

/// [`assert_help`] for a server named `server`.
fn assert_help_from(
    server: &str,
    reply: &[Message],
    nick: &str,
    subject: &str,
    title: &str,
) -> Vec<String> {
    assert!(reply.len() >= 4, "short HELP reply {reply:#?}");
    assert_msg(&reply[0], server, "704", &[nick, subject, title]);
    assert_msg(&reply[1], server, "705", &[nick, subject, ""]);
    let last = reply.len() - 1;
    assert_msg(
        &reply[last],
        server,
        "706",
        &[nick, subject, "End of /HELP"],
    );
    reply[2..last]
        .iter()
        .map(|m| {
            assert_eq!(m.source.as_deref(), Some(server), "{m:?}");
            assert_eq!(m.command, "705", "{m:?}");
            assert_eq!(params(m)[..2], [nick, subject], "{m:?}");
            m.params[2].clone()
        })
        .collect()
}

/// The names listed in the index section that follows the line `heading`
/// (indented lines, up to the next empty line).
fn section(index: &[String], heading: &str) -> Vec<String> {
    let start = index
        .iter()
        .position(|l| l == heading)
        .unwrap_or_else(|| panic!("no {heading:?} in the index {index:#?}"));
    index[start + 1..]
        .iter()
        .take_while(|l| !l.is_empty())
        .flat_map(|l| {
            assert!(l.starts_with("  "), "unindented index line {l:?}");
            l.split_whitespace().map(String::from)
        })
        .collect()
}

/// The HELP index as `c` gets it, checked for shape.
fn index(c: &mut Client) -> Vec<String> {
    index_from(SERVER, c)
}

/// [`index`] from a server named `server`.
fn index_from(server: &str, c: &mut Client) -> Vec<String> {
    let nick = c.nick.clone();
    let reply = c.ask("HELP");
    assert_help_from(server, &reply, &nick, "*", "natter help")
}

#[test]
fn help_on_a_command_is_start_text_end() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    let text = assert_help(
        &alice.ask("HELP PRIVMSG"),
        "alice",
        "PRIVMSG",
        "PRIVMSG <target>{,<target>} <text>",
    );
    assert!(
        text.iter().any(|l| l.contains("@<channel>")),
        "PRIVMSG help without STATUSMSG: {text:#?}"
    );
    // Nothing follows the RPL_ENDOFHELP.
    alice.assert_quiet();
}

#[test]
fn subjects_are_case_insensitive_and_echoed_as_given() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    let upper = assert_help(&alice.ask("HELP JOIN"), "alice", "JOIN", JOIN_TITLE);
    let mixed = assert_help(&alice.ask("HELP jOiN"), "alice", "jOiN", JOIN_TITLE);
    assert_eq!(upper, mixed);
    assert_help(
        &alice.ask("HELP whox"),
        "alice",
        "whox",
        "WHOX: WHO <mask> [<flags>]%<fields>[,<token>]",
    );
}

/// JOIN's help title.
const JOIN_TITLE: &str = "JOIN <channel>{,<channel>} [<key>{,<key>}] | JOIN 0";

#[test]
fn helpop_answers_as_help_does() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    assert_eq!(alice.ask("HELPOP KICK"), alice.ask("HELP KICK"));
    assert_eq!(alice.ask("HELPOP"), alice.ask("HELP"));
    assert_eq!(alice.ask("helpop nosuch"), alice.ask("HELP nosuch"));
    assert_help(&alice.ask("HELPOP KICK"), "alice", "KICK", KICK_TITLE);
}

/// KICK's help title.
const KICK_TITLE: &str = "KICK <channel> <nick>{,<nick>} [<reason>]";

#[test]
fn an_unknown_subject_gets_one_err_helpnotfound() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    for command in ["HELP", "HELPOP"] {
        let reply = alice.ask(&format!("{command} THISISNOTACOMMAND"));
        only(
            &reply,
            SERVER,
            "524",
            &[
                "alice",
                "THISISNOTACOMMAND",
                "No help available on this topic",
            ],
        );
    }
    // A subject that cannot be a middle parameter is named `*`.
    only(
        &alice.ask("HELP :no such subject"),
        SERVER,
        "524",
        &["alice", "*", "No help available on this topic"],
    );
    // So is one that would push the reply over 512 bytes.
    let long = "X".repeat(480);
    only(
        &alice.ask(&format!("HELP {long}")),
        SERVER,
        "524",
        &["alice", "*", "No help available on this topic"],
    );
    // An empty subject is no subject: the index.
    assert_help(&alice.ask("HELP :"), "alice", "*", "natter help");
}

#[test]
fn help_works_before_registration() {
    let server = TestServer::start();
    let mut c = server.connect();
    assert_help(&c.ask("HELP"), "*", "*", "natter help");
    assert_help(&c.ask("HELP USER"), "*", "USER", USER_TITLE);
    // With a nick chosen but registration not complete, numerics name it.
    c.send("NICK early");
    assert_help(&c.ask("HELPOP user"), "early", "user", USER_TITLE);
    c.send("USER early 0 * :Early Bird");
    c.expect("001");
}

/// USER's help title.
const USER_TITLE: &str = "USER <username> <mode> <unused> <realname>";

#[test]
fn every_help_line_fits_in_512_bytes() {
    // A long server name and nick, for the longest prefixes.
    let name = format!("{}.example.org", "s".repeat(40));
    let server = TestServer::with_config(|c| c.server.name = name.clone());
    let mut c = server.connect();
    c.register(&"n".repeat(30));
    let index = index_from(&name, &mut c);
    let mut subjects = section(&index, "Commands:");
    subjects.extend(section(&index, "Other topics:"));
    // The index itself too (an empty subject).
    subjects.push(String::new());
    for subject in subjects {
        let lines = c.ask_raw(format!("HELP {subject}").trim_end());
        assert!(lines.len() >= 4, "HELP {subject}: {lines:#?}");
        for line in lines {
            assert!(line.len() + 2 <= 512, "{} bytes: {line}", line.len() + 2);
        }
    }
}

/// The index names every command the server accepts and nothing else, and
/// says which work before registration: each command listed is sent bare,
/// and none may get ERR_UNKNOWNCOMMAND (421) while a made-up one does;
/// before registration the listed ones must not get ERR_NOTREGISTERED
/// (451) and every other command must.
#[test]
fn the_index_names_exactly_the_commands_the_server_accepts() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    let index = index(&mut alice);
    let commands = section(&index, "Commands:");
    let anytime = section(&index, "Before registration only these are accepted:");
    let topics = section(&index, "Other topics:");
    for expected in [
        "PRIVMSG", "JOIN", "CAP", "MONITOR", "SETNAME", "CHGHOST", "TAGMSG",
    ] {
        assert!(
            commands.iter().any(|c| c == expected),
            "{expected}: {index:#?}"
        );
    }
    for expected in ["HELP", "HELPOP", "LINKS", "NICK", "USER", "WHO"] {
        assert!(
            commands.iter().any(|c| c == expected),
            "{expected}: {index:#?}"
        );
    }
    assert!(topics.iter().any(|t| t == "WHOX"), "{index:#?}");
    for a in &anytime {
        assert!(commands.contains(a), "{a} is no command: {index:#?}");
    }

    // Each listed subject has help of its own.
    for subject in commands.iter().chain(&topics) {
        let reply = alice.ask(&format!("HELP {subject}"));
        assert_eq!(reply[0].command, "704", "HELP {subject}: {reply:#?}");
        assert_eq!(reply.last().unwrap().command, "706", "{reply:#?}");
    }

    // Registered: every command listed is known. Sent bare, each is
    // harmless (the operator ones are refused to a non-operator); QUIT
    // would close the connection and gets one of its own.
    let reply = alice.ask("NOSUCHCOMMAND");
    only(
        &reply,
        SERVER,
        "421",
        &["alice", "NOSUCHCOMMAND", "Unknown command"],
    );
    for command in commands.iter().filter(|c| *c != "QUIT") {
        let reply = alice.ask(command);
        assert!(
            reply.iter().all(|m| m.command != "421"),
            "{command} is listed but unknown: {reply:#?}"
        );
    }
    let mut quitter = server.client("quitter");
    quitter.send("QUIT");
    let closing = until_closed(&mut quitter);
    assert_eq!(cmds(&closing), ["ERROR"], "{closing:#?}");

    // Before registration: exactly the listed commands are accepted.
    let mut early = server.connect();
    for command in commands.iter().filter(|c| *c != "QUIT") {
        let reply = early.ask(command);
        let refused = reply.iter().any(|m| m.command == "451");
        if anytime.contains(command) {
            assert!(
                !refused,
                "{command} refused before registration: {reply:#?}"
            );
        } else {
            only(&reply, SERVER, "451", &["*", "You have not registered"]);
        }
    }
    let mut early_quitter = server.connect();
    early_quitter.send("QUIT");
    assert_eq!(cmds(&until_closed(&mut early_quitter)), ["ERROR"]);
}

fn links_server() -> TestServer {
    TestServer::with_config(|c| c.server.description = DESCRIPTION.into())
}

#[test]
fn links_lists_this_server_alone() {
    let server = links_server();
    let mut alice = server.client("alice");
    let info = format!("0 {DESCRIPTION}");
    let reply = alice.ask("LINKS");
    assert_eq!(reply.len(), 2, "{reply:#?}");
    assert_numeric(&reply[0], "364", &["alice", SERVER, SERVER, &info]);
    assert_numeric(&reply[1], "365", &["alice", "*", "End of /LINKS list"]);
}

#[test]
fn links_filters_by_mask() {
    let server = links_server();
    let mut alice = server.client("alice");
    let info = format!("0 {DESCRIPTION}");
    // Wildcards, compared case-insensitively.
    for mask in ["*", "*.local", "NATTER.*", "natter.l?cal", SERVER] {
        let reply = alice.ask(&format!("LINKS {mask}"));
        assert_eq!(reply.len(), 2, "LINKS {mask}: {reply:#?}");
        assert_numeric(&reply[0], "364", &["alice", SERVER, SERVER, &info]);
        assert_numeric(&reply[1], "365", &["alice", mask, "End of /LINKS list"]);
    }
    // No match: the end of the list alone.
    only(
        &alice.ask("LINKS *.example.org"),
        SERVER,
        "365",
        &["alice", "*.example.org", "End of /LINKS list"],
    );
}

#[test]
fn links_with_a_remote_server() {
    let server = links_server();
    let mut alice = server.client("alice");
    let info = format!("0 {DESCRIPTION}");
    // A remote naming this server answers as without it.
    let reply = alice.ask(&format!("LINKS {SERVER} *"));
    assert_eq!(reply.len(), 2, "{reply:#?}");
    assert_numeric(&reply[0], "364", &["alice", SERVER, SERVER, &info]);
    assert_numeric(&reply[1], "365", &["alice", "*", "End of /LINKS list"]);
    let reply = alice.ask("LINKS natter.* nomatch.*");
    only(
        &reply,
        SERVER,
        "365",
        &["alice", "nomatch.*", "End of /LINKS list"],
    );
    // Any other is unknown.
    only(
        &alice.ask("LINKS other.example.org *"),
        SERVER,
        "402",
        &["alice", "other.example.org", "No such server"],
    );
}

#[test]
fn links_needs_registration() {
    let server = links_server();
    let mut c = server.connect();
    only(
        &c.ask("LINKS"),
        SERVER,
        "451",
        &["*", "You have not registered"],
    );
}
