//! IRCv3 MONITOR end to end (<https://ircv3.net/specs/extensions/monitor>):
//! `MONITOR +` answers at once with 730 (online, with user@host) and 731
//! (offline); watchers are told when a monitored nick registers, changes
//! nick away or to it, and quits; `-` and `C` stop that silently; `L` lists
//! (732, 733); `S` reports status; the list limit (ISUPPORT `MONITOR=`)
//! refuses the rest with 734.

mod common;
use common::*;

use natter_proto::Message;

/// The replies as `(numeric, params)` pairs, each checked to come from
/// the server.
fn replies(msgs: &[Message]) -> Vec<(&str, Vec<&str>)> {
    msgs.iter()
        .map(|m| {
            assert_eq!(m.source.as_deref(), Some(SERVER), "{m:#?}");
            (m.command.as_str(), params(m))
        })
        .collect()
}

#[test]
fn adding_targets_reports_their_status_at_once() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    let _bob = server.client("bob");
    let _carol = server.client("carol");
    let r = alice.ask("MONITOR + bob,dave,carol,erin");
    let got = replies(&r);
    let bob = src("bob");
    let carol = src("carol");
    let online = format!("{bob},{carol}");
    assert_eq!(got.len(), 2, "{r:#?}");
    assert_eq!(got[0].0, "730");
    assert_eq!(got[0].1[0], "alice");
    // Online targets with their user@host; order within a line is free.
    let mut on: Vec<&str> = got[0].1[1].split(',').collect();
    on.sort();
    assert_eq!(on.join(","), online);
    assert_eq!(got[1], ("731", vec!["alice", "dave,erin"]));
    // Adding what is already there reports it again but adds nothing.
    let r = alice.ask("MONITOR + bob");
    assert_eq!(replies(&r), [("730", vec!["alice", bob.as_str()])]);
    let r = alice.ask("MONITOR L");
    assert_eq!(
        replies(&r)[1..],
        [("733", vec!["alice", "End of MONITOR list"])]
    );
    let mut listed: Vec<&str> = r[0].params[1].split(',').collect();
    listed.sort();
    assert_eq!(listed, ["bob", "carol", "dave", "erin"]);
}

#[test]
fn watchers_are_told_when_a_nick_signs_on_changes_and_quits() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    let mut watcher2 = server.client("zed");
    let mut bystander = server.client("bystander");
    alice.ask("MONITOR + dave,dan");
    watcher2.ask("MONITOR + dave");
    // NICK alone reserves the nick but is not online yet: registration is.
    let mut dave = server.connect();
    dave.send("NICK dave");
    assert!(dave.sync().is_empty());
    alice.assert_quiet();
    dave.send("USER dave 0 * :Real dave");
    dave.expect("376");
    dave.nick = "dave".into();
    for c in [&mut alice, &mut watcher2] {
        let r = c.sync();
        assert_eq!(
            replies(&r),
            [("730", vec![c.nick.as_str(), src("dave").as_str()])],
            "[{}]",
            c.nick
        );
    }
    bystander.assert_quiet();

    // dave -> dan: dave went offline, dan came online (same user@host).
    dave.ask("NICK dan");
    let r = alice.sync();
    assert_eq!(
        replies(&r),
        [
            ("731", vec!["alice", "dave"]),
            ("730", vec!["alice", "dan!~dave@127.0.0.1"])
        ]
    );
    let r = watcher2.sync();
    assert_eq!(replies(&r), [("731", vec!["zed", "dave"])]);
    // A case-only change: the same nick, nothing to tell.
    dave.ask("NICK DAN");
    alice.assert_quiet();
    // dan -> someone unmonitored: offline only.
    dave.ask("NICK other");
    let r = alice.sync();
    assert_eq!(replies(&r), [("731", vec!["alice", "DAN"])]);
    // Back to a monitored nick, then quit.
    dave.ask("NICK dave");
    let r = alice.sync();
    assert_eq!(replies(&r), [("730", vec!["alice", src("dave").as_str()])]);
    watcher2.sync();
    dave.send("QUIT :bye");
    dave.read_until_closed();
    for c in [&mut alice, &mut watcher2] {
        let r = c.sync();
        assert_eq!(
            replies(&r),
            [("731", vec![c.nick.as_str(), "dave"])],
            "[{}]",
            c.nick
        );
    }
    bystander.assert_quiet();
}

#[test]
fn monitoring_is_case_insensitive() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    let r = alice.ask("MONITOR + Bob[1]");
    assert_eq!(replies(&r), [("731", vec!["alice", "Bob[1]"])]);
    // rfc1459 casemapping: [ and { are the same.
    let _bob = server.client("bob{1}");
    let r = alice.sync();
    assert_eq!(
        replies(&r),
        [("730", vec!["alice", src("bob{1}").as_str()])]
    );
}

#[test]
fn removing_and_clearing_stop_notifications_silently() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    alice.ask("MONITOR + bob,carol,dave");
    assert!(alice.ask("MONITOR - bob,nobody").is_empty());
    let _bob = server.client("bob");
    alice.assert_quiet();
    let _carol = server.client("carol");
    let r = alice.sync();
    assert_eq!(replies(&r), [("730", vec!["alice", src("carol").as_str()])]);
    assert!(alice.ask("MONITOR C").is_empty());
    let r = alice.ask("MONITOR L");
    assert_eq!(replies(&r), [("733", vec!["alice", "End of MONITOR list"])]);
    let _dave = server.client("dave");
    alice.assert_quiet();
    // Nothing to report on S either.
    assert!(alice.ask("MONITOR S").is_empty());
}

#[test]
fn status_reports_every_target() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    alice.ask("MONITOR + bob,carol");
    let mut bob = server.client("bob");
    alice.sync();
    let r = alice.ask("MONITOR S");
    assert_eq!(
        replies(&r),
        [
            ("730", vec!["alice", src("bob").as_str()]),
            ("731", vec!["alice", "carol"])
        ]
    );
    bob.send("QUIT");
    bob.read_until_closed();
    alice.sync();
    let r = alice.ask("MONITOR S");
    let got = replies(&r);
    assert_eq!(got.len(), 1, "{r:#?}");
    assert_eq!(got[0].0, "731");
    let mut off: Vec<&str> = got[0].1[1].split(',').collect();
    off.sort();
    assert_eq!(off, ["bob", "carol"]);
}

#[test]
fn the_list_limit_refuses_the_rest_with_734() {
    let server = TestServer::with_config(|c| c.limits.monitor = 3);
    assert!(
        isupport(&server).iter().any(|t| t == "MONITOR=3"),
        "{:?}",
        isupport(&server)
    );
    let mut alice = server.client("alice");
    let r = alice.ask("MONITOR + a1,a2,a3,a4,a5");
    // The targets that did not fit, as the client sent them.
    assert_eq!(
        replies(&r),
        [
            ("734", vec!["alice", "3", "a4,a5", "Monitor list is full"]),
            ("731", vec!["alice", "a1,a2,a3"])
        ]
    );
    // Full: a new target is refused, one already listed is not.
    let r = alice.ask("MONITOR + A2,b1");
    assert_eq!(
        replies(&r),
        [
            ("734", vec!["alice", "3", "b1", "Monitor list is full"]),
            ("731", vec!["alice", "A2"])
        ]
    );
    // Removing makes room.
    alice.ask("MONITOR - a1");
    let r = alice.ask("MONITOR + b1");
    assert_eq!(replies(&r), [("731", vec!["alice", "b1"])]);
    // Only the listed ones are watched.
    let _a5 = server.client("a5");
    alice.assert_quiet();
    let _b1 = server.client("b1");
    let r = alice.sync();
    assert_eq!(replies(&r), [("730", vec!["alice", src("b1").as_str()])]);
}

#[test]
fn isupport_advertises_monitor_100_by_default() {
    let server = TestServer::start();
    let tokens = isupport(&server);
    assert!(tokens.iter().any(|t| t == "MONITOR=100"), "{tokens:?}");
}

#[test]
fn monitor_errors() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    let r = alice.ask("MONITOR");
    assert_eq!(
        replies(&r),
        [("461", vec!["alice", "MONITOR", "Not enough parameters"])]
    );
    let r = alice.ask("MONITOR +");
    assert_eq!(
        replies(&r),
        [("461", vec!["alice", "MONITOR", "Not enough parameters"])]
    );
}
