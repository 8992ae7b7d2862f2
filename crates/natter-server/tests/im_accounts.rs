//! Accounts and history for IM clients (extensions of the lectures'
//! protocol): REGISTER with a password logs in to an account shared with
//! IRC, a registered username needs its password, and JOIN brings the
//! conversation's recent history; IRC's join playback and the `+U` mode.

mod common;

use common::*;
use natter_proto::im::Reply;

/// `REGISTER ["ann", "online", "<password>"]`: ann's IM login.
fn login_line(password: &str) -> String {
    format!("REGISTER [\"ann\", \"online\", {}]", q(password))
}

#[test]
fn im_register_with_a_password_shares_the_account_with_irc() {
    let server = TestServer::start();
    // A new account, created by the IM REGISTER.
    let mut ann = Im::connect(&server, "ann");
    ann.send(&login_line("ann-password"));
    assert!(ann.online().contains_key("ann"));
    let mut irc = server.client("watcher");
    let got = irc.ask("WHOIS ann");
    assert_numeric(
        one(&got, "330"),
        "330",
        &["watcher", "ann", "ann", "is logged in as"],
    );
    ann.send("GOODBYE");
    ann.read_until_closed();
    // Without the password the registered username is refused; with a
    // wrong one too.
    let mut other = Im::connect(&server, "ann");
    let err = other.error_of("REGISTER [\"ann\", \"online\"]");
    assert!(err.contains("is a registered account"), "{err}");
    let err = other.error_of(&login_line("wrong-password"));
    assert_eq!(err, "wrong password for that account");
    let mut again = Im::connect(&server, "ann");
    again.send(&login_line("ann-password"));
    assert!(again.online().contains_key("ann"));
    // The same account logs in with SASL from IRC.
    let mut c = server.connect();
    c.send("CAP REQ sasl");
    c.expect("CAP");
    let got = authenticate_plain(&mut c, "ann", "ann-password");
    assert_eq!(cmds(&got), ["900", "903"]);
}

#[test]
fn joining_a_conversation_brings_its_history() {
    let server = TestServer::start();
    let mut ann = Im::register(&server, "ann", "online");
    let mut ben = Im::register(&server, "ben", "online");
    let id = ann.invite(&["ben"]);
    ben.expect_invitation("ann");
    ann.join(id);
    for i in 0..3 {
        ann.say(id, &format!("earlier {i}"));
    }
    ben.send(&format!("JOIN [{id}]"));
    let history = ben.expect("HISTORY", |r| matches!(r, Reply::History(..)));
    let Reply::History(got_id, lines) = history else {
        unreachable!()
    };
    assert_eq!(got_id, id);
    let texts: Vec<(&str, &str)> = lines
        .iter()
        .map(|(f, t, _)| (f.as_str(), t.as_str()))
        .collect();
    assert_eq!(
        texts,
        [
            ("ann", "earlier 0"),
            ("ann", "earlier 1"),
            ("ann", "earlier 2")
        ]
    );
    assert!(lines
        .iter()
        .all(|(_, _, time)| time.ends_with('Z') && time.len() == 24));
}

/// The texts of the PRIVMSGs among `got`.
fn privmsg_texts(got: &[natter_proto::Message]) -> Vec<&str> {
    got.iter()
        .filter(|m| m.command == "PRIVMSG")
        .map(|m| m.params[1].as_str())
        .collect()
}

#[test]
fn irc_join_playback_and_the_no_history_mode() {
    let server = TestServer::with_config(|c| c.history.join_playback = 2);
    let mut a = client_with(&server, "speaker", "echo-message");
    a.ask("JOIN #p");
    for i in 0..3 {
        a.send(&format!("PRIVMSG #p :line {i}"));
        a.expect("PRIVMSG");
    }
    // A client without draft/chathistory gets the last two after NAMES.
    let mut b = server.client("late");
    let got = b.ask("JOIN #p");
    let cmds_seen = cmds(&got);
    let end = cmds_seen.iter().position(|c| *c == "366").unwrap();
    let played = privmsg_texts(&got[end + 1..]);
    assert_eq!(played, ["line 1", "line 2"]);
    // +U: nothing more is kept.
    a.ask("MODE #p +U");
    a.send("PRIVMSG #p :off the record");
    a.expect("PRIVMSG");
    b.ask("PART #p");
    let got = b.ask("JOIN #p");
    let played = privmsg_texts(&got);
    assert!(played.is_empty(), "+U: no playback at all: {played:?}");
    a.ask("MODE #p -U");
    b.ask("PART #p");
    let got = b.ask("JOIN #p");
    let played = privmsg_texts(&got);
    assert_eq!(
        played,
        ["line 1", "line 2"],
        "the +U message was never stored"
    );
}

/// Wrong IM passwords are failed logins, as IRC's are: they count against
/// the address and the account, and after six both are refused for a
/// while, over IM and over IRC (NickServ).
#[test]
fn failed_im_logins_count_against_the_address_and_the_account() {
    let server = TestServer::start();
    let mut ann = Im::connect(&server, "ann");
    ann.send(&login_line("ann-password"));
    assert!(ann.online().contains_key("ann"));
    ann.send("GOODBYE");
    ann.read_until_closed();
    // Six wrong passwords, the last three answered late (as IRC's are:
    // 1 s after the fourth failure, 2 s after the fifth and sixth; a lower
    // bound, which a busy machine cannot break) ...
    let mut other = Im::connect(&server, "ann");
    for attempt in 1..=6 {
        let asked = std::time::Instant::now();
        let err = other.error_of(&login_line("wrong-password"));
        assert_eq!(err, "wrong password for that account");
        if attempt == 5 {
            let took = asked.elapsed();
            assert!(
                took >= std::time::Duration::from_millis(1900),
                "answered after {took:?}"
            );
        }
    }
    // ... and now even the right one is refused, with how long to wait.
    let err = other.error_of(&login_line("ann-password"));
    assert!(
        err.starts_with("too many failed logins, try again in"),
        "{err}"
    );
    // The same throttle holds NickServ's IDENTIFY from that address.
    let mut c = server.client("ann_");
    let got = c.ask("PRIVMSG NickServ :IDENTIFY ann ann-password");
    let notice = &with_command(&got, "NOTICE")[0].params[1];
    assert!(notice.starts_with("Too many failed attempts"), "{notice}");
}
