//! Behaviours the irctest conformance suite checks that natter first got
//! wrong, pinned here so they cannot regress unnoticed between irctest runs:
//! WHO for an exact nick shows an invisible user, USER with an empty real
//! name is refused, and an unparsable command's 421 still carries the label.

mod common;
use common::*;

#[test]
fn who_exact_nick_shows_an_invisible_user_but_masks_do_not() {
    let server = TestServer::start();
    let mut evan = server.client("evan");
    evan.ask("MODE evan +i");
    let mut alice = server.client("alice");
    let r = alice.ask("WHO evan");
    let cmds: Vec<&str> = r.iter().map(|m| m.command.as_str()).collect();
    assert_eq!(cmds, ["352", "315"], "{r:#?}");
    assert_eq!(r[0].params[5], "evan");
    let r = alice.ask("WHO eva*");
    let cmds: Vec<&str> = r.iter().map(|m| m.command.as_str()).collect();
    assert_eq!(cmds, ["315"], "{r:#?}");
}

#[test]
fn user_with_an_empty_realname_gets_461() {
    let server = TestServer::start();
    let mut c = server.connect();
    c.send("NICK foo");
    let r = c.ask("USER username * * :");
    assert_eq!(r.len(), 1, "{r:#?}");
    assert_eq!(r[0].command, "461");
    assert_eq!(r[0].params[1], "USER");
    // A proper USER still registers.
    c.send("USER username * * :Real Name");
    c.expect("001");
}

#[test]
fn unparsable_command_gets_a_labeled_421() {
    let server = TestServer::start();
    let mut c = server.connect();
    c.send("CAP REQ :labeled-response batch");
    c.send("CAP END");
    c.register("bar");
    let r = c.ask("@label=deadbeef NONEXISTENT_COMMAND");
    assert_eq!(r.len(), 1, "{r:#?}");
    assert_eq!(r[0].command, "421");
    assert_eq!(r[0].params[1], "NONEXISTENT_COMMAND");
    assert!(
        r[0].tags
            .iter()
            .any(|t| t.key == "label" && t.value.as_deref() == Some("deadbeef")),
        "{r:#?}"
    );
}
