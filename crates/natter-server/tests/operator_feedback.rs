//! What operators and users are told (issue 9): server notices for
//! operators (user mode +s with a server notice mask: connections, quits,
//! kills, OPER; REHASH's is in operators.rs), STATS (u, o, l, m, ?), KNOCK with its numerics,
//! SILENCE, and VERSION without a placeholder.

mod common;
use common::*;

/// The text of a server notice `m` (`*** Notice -- ...`), checking its
/// source and target.
fn notice_text(m: &natter_proto::Message, to: &str) -> String {
    assert_eq!(
        (m.source.as_deref(), m.command.as_str()),
        (Some(SERVER), "NOTICE"),
        "{m:?}"
    );
    assert_eq!(m.params[0], to, "{m:?}");
    m.params[1].clone()
}

#[test]
fn operators_get_server_notices_of_the_kinds_they_chose() {
    let server = server_with_root(|_| {});
    let mut alice = server.client("alice");
    assert_eq!(
        alice.ask("OPER root hunter2"),
        ms(&[
            ":alice MODE alice +os",
            ":natter.local 008 alice +ackoq :Server notice mask",
            ":natter.local 381 alice :You are now an IRC operator",
        ])
    );
    // A connection and its quit.
    let mut bob = server.client("bob");
    let got = alice.sync();
    assert_eq!(got.len(), 1, "{got:#?}");
    assert_eq!(
        notice_text(&got[0], "alice"),
        "*** Notice -- Client connecting: bob (~bob@127.0.0.1) [127.0.0.1] {IRC} [Real bob]"
    );
    bob.send("QUIT :gone home");
    until_closed(&mut bob);
    let got = alice.sync();
    assert_eq!(
        notice_text(&got[0], "alice"),
        "*** Notice -- Client exiting: bob (~bob@127.0.0.1) [Quit: gone home] [127.0.0.1]"
    );
    // Another operator coming up.
    let mut carol = server.client("carol");
    alice.sync();
    carol.ask("OPER root hunter2");
    let got = alice.sync();
    assert_eq!(
        notice_text(&got[0], "alice"),
        "*** Notice -- carol (~carol@127.0.0.1) is now an operator (OPER root)"
    );
    // A kill: carol is told it worked; alice sees the kill and the quit.
    let mut dave = server.client("dave");
    alice.sync();
    carol.send("MODE carol -s");
    carol.sync();
    assert_eq!(
        carol.ask("KILL dave :flooding"),
        ms(&[":natter.local NOTICE carol :*** Killed dave (flooding)"])
    );
    until_closed(&mut dave);
    let texts: Vec<String> = alice
        .sync()
        .iter()
        .map(|m| notice_text(m, "alice"))
        .collect();
    assert_eq!(
        texts,
        [
            "*** Notice -- Client exiting: dave (~dave@127.0.0.1) [Killed (carol (flooding))] [127.0.0.1]",
            "*** Notice -- Received KILL message for dave!~dave@127.0.0.1. From carol (flooding)",
        ]
    );
    // Only quits now: connections and kills are no longer shown.
    assert_eq!(
        alice.ask("MODE alice +s -ck"),
        ms(&[":natter.local 008 alice +aoq :Server notice mask"])
    );
    let mut erin = server.client("erin");
    alice.assert_quiet();
    erin.send("QUIT");
    until_closed(&mut erin);
    let got = alice.sync();
    assert_eq!(got.len(), 1, "{got:#?}");
    assert!(notice_text(&got[0], "alice").contains("Client exiting: erin"));
    // -s: nothing at all.
    assert_eq!(alice.ask("MODE alice -s"), ms(&[":alice MODE alice -s"]));
    let _frank = server.client("frank");
    alice.assert_quiet();
    // A bare +s turns every kind back on.
    assert_eq!(
        alice.ask("MODE alice +s"),
        ms(&[
            ":natter.local 008 alice +ackoq :Server notice mask",
            ":alice MODE alice +s",
        ])
    );
}

#[test]
fn only_operators_may_have_server_notices() {
    let server = server_with_root(|_| {});
    let mut bob = server.client("bob");
    assert_eq!(
        bob.ask("MODE bob +s"),
        ms(&[":natter.local 481 bob :Permission Denied- only IRC operators may set user mode s"])
    );
    assert_eq!(bob.ask("MODE bob"), ms(&[":natter.local 221 bob +"]));
    let _carol = server.client("carol");
    bob.assert_quiet();
}

#[test]
fn stats_answers_uptime_operators_traffic_and_commands() {
    let server = server_with_root(|_| {});
    let mut bob = server.client("bob");
    // u: the uptime, then the end.
    let r = bob.ask("STATS u");
    assert_eq!(cmds(&r), ["242", "219"], "{r:#?}");
    assert!(
        r[0].params[1].starts_with("Server Up 0 days 0:00:"),
        "{r:#?}"
    );
    assert_numeric(&r[1], "219", &["bob", "u", "End of /STATS report"]);
    // o: operators only.
    assert_eq!(
        bob.ask("STATS o"),
        ms(&[
            ":natter.local 481 bob :Permission Denied- You're not an IRC operator",
            ":natter.local 219 bob o :End of /STATS report",
        ])
    );
    oper_up(&mut bob);
    assert_eq!(
        bob.ask("STATS o"),
        ms(&[
            ":natter.local 243 bob O *@* * root",
            ":natter.local 219 bob o :End of /STATS report",
        ])
    );
    // m: every command used so far, with its count (this STATS included).
    let r = bob.ask("STATS m");
    let counts: Vec<(&str, &str)> = r
        .iter()
        .filter(|m| m.command == "212")
        .map(|m| (m.params[1].as_str(), m.params[2].as_str()))
        .collect();
    for expected in [("STATS", "4"), ("OPER", "1"), ("USER", "1")] {
        assert!(counts.contains(&expected), "{expected:?} in {counts:?}");
    }
    assert_eq!(r.last().unwrap().command, "219");
    // l: this connection, named nick[ip], with its traffic.
    let r = bob.ask("STATS l");
    assert_eq!(cmds(&r), ["211", "219"], "{r:#?}");
    let p = params(&r[0]);
    assert_eq!(p[1], "bob[127.0.0.1]");
    let received: u64 = p[5].parse().unwrap();
    assert!(received >= 8, "{p:?}");
    let sent: u64 = p[3].parse().unwrap();
    assert!(sent > 20, "{p:?}");
    // ?: what the queries are; an unknown query only ends.
    let r = bob.ask("STATS ?");
    assert!(r.len() > 4 && r.iter().any(|m| m.params[1].starts_with("STATS u")));
    assert_eq!(
        bob.ask("STATS x"),
        ms(&[":natter.local 219 bob x :End of /STATS report"])
    );
}

#[test]
fn knock_asks_the_operators_of_an_invite_only_channel() {
    let server = TestServer::start();
    let mut op = server.client("op");
    let mut member = server.client("member");
    let mut bob = server.client("bob");
    join_all("#club", &mut [&mut op, &mut member]);
    // An open channel needs no knock; a member needs none either.
    assert_eq!(
        bob.ask("KNOCK #club"),
        ms(&[":natter.local 713 bob #club :Channel is open, you can join it"])
    );
    assert_eq!(
        member.ask("KNOCK #club"),
        ms(&[":natter.local 714 member #club :You are already on that channel"])
    );
    assert_eq!(
        bob.ask("KNOCK #nowhere"),
        ms(&[":natter.local 403 bob #nowhere :No such channel"])
    );
    op.ask("MODE #club +i");
    member.sync();
    assert_eq!(
        bob.ask("KNOCK #club let me in please"),
        ms(&[":natter.local 711 bob #club :Your KNOCK has been delivered"])
    );
    assert_eq!(
        op.sync(),
        ms(&[":natter.local 710 #club #club bob!~bob@127.0.0.1 :is KNOCKing: let me in please"])
    );
    member.assert_quiet();
    // Too soon again, from bob or from anyone for that channel.
    assert_eq!(
        bob.ask("KNOCK #club"),
        ms(&[":natter.local 712 bob #club :Too many KNOCKs (user)"])
    );
    let mut carol = server.client("carol");
    assert_eq!(
        carol.ask("KNOCK #club"),
        ms(&[":natter.local 712 carol #club :Too many KNOCKs (channel)"])
    );
    op.assert_quiet();
    // The operator lets bob in.
    op.ask("INVITE bob #club");
    bob.sync();
    assert_eq!(cmds(&bob.ask("JOIN #club"))[0], "JOIN");
    // A banned user may not knock.
    op.ask("MODE #club +b carol!*@*");
    assert_eq!(
        carol.ask("KNOCK #club"),
        ms(&[":natter.local 404 carol #club :Cannot knock on channel (+b: you are banned)"])
    );
    assert!(isupport(&server).iter().any(|t| t == "KNOCK"));
}

#[test]
fn silence_keeps_messages_and_invitations_away() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    let mut bob = server.client("bob");
    let mut carol = server.client("carol");
    join_all("#c", &mut [&mut alice, &mut bob, &mut carol]);
    assert_eq!(
        alice.ask("SILENCE +Bob"),
        ms(&[&format!(":{} SILENCE +Bob!*@*", src("alice"))])
    );
    assert_eq!(
        alice.ask("SILENCE"),
        ms(&[
            ":natter.local 271 alice alice Bob!*@*",
            ":natter.local 272 alice :End of Silence List",
        ])
    );
    // Bob's private and channel messages do not reach alice; carol's do.
    bob.ask("PRIVMSG alice :hello?");
    bob.ask("NOTICE alice :hello?");
    bob.ask("PRIVMSG #c :anyone?");
    assert_got(&mut carol, "bob", "PRIVMSG", &["#c", "anyone?"]);
    alice.assert_quiet();
    carol.ask("PRIVMSG alice :hi");
    assert_got(&mut alice, "carol", "PRIVMSG", &["alice", "hi"]);
    // Nor do his invitations.
    bob.ask("JOIN #b");
    bob.ask("INVITE alice #b");
    alice.assert_quiet();
    // Removed: bob is heard again. Adding twice or removing what is not
    // there changes nothing.
    assert!(alice.ask("SILENCE -nobody").is_empty());
    assert_eq!(
        alice.ask("SILENCE -bob!*@*"),
        ms(&[&format!(":{} SILENCE -Bob!*@*", src("alice"))])
    );
    bob.ask("PRIVMSG alice :now?");
    assert_got(&mut alice, "bob", "PRIVMSG", &["alice", "now?"]);
    assert_eq!(
        alice.ask("SILENCE"),
        ms(&[":natter.local 272 alice :End of Silence List"])
    );
    // The list is bounded.
    for i in 0..32 {
        alice.ask(&format!("SILENCE +spam{i}"));
    }
    assert_eq!(
        alice.ask("SILENCE +one-too-many"),
        ms(&[":natter.local 511 alice one-too-many!*@* :Your silence list is full"])
    );
    assert!(isupport(&server).iter().any(|t| t == "SILENCE=32"));
}

#[test]
fn version_has_no_placeholder() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    let r = alice.ask("VERSION");
    let comment = &r[0].params[3];
    assert_eq!(comment, "natter: an IRC and instant messaging server");
    assert!(!r
        .iter()
        .any(|m| m.params.iter().any(|p| p.contains("invalid"))));
}
