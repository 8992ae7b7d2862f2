//! End-to-end tests of channel features irctest checks beyond the basics:
//! `+C` (no CTCP but ACTION), `+R` and `+M` (joining and speaking need an
//! account), KICK and NAMES with several targets (TARGMAX
//! KICK and NAMES), INVITE without parameters (RPL_INVITELIST 336 and
//! RPL_ENDOFINVITELIST 337) and the LIST filters of ELIST=CMNTU.

mod common;

use std::time::Duration;

use common::*;

/// The value of ISUPPORT token `name`.
fn token(tokens: &[String], name: &str) -> Option<String> {
    tokens.iter().find_map(|t| match t.split_once('=') {
        Some((k, v)) if k == name => Some(v.to_string()),
        _ => None,
    })
}

/// The channel names of a LIST reply, checking its start and end.
fn rows(got: &[natter_proto::Message]) -> Vec<String> {
    assert_eq!(got.first().map(|m| m.command.as_str()), Some("321"));
    assert_eq!(got.last().map(|m| m.command.as_str()), Some("323"));
    got[1..got.len() - 1]
        .iter()
        .map(|m| {
            assert_eq!(m.command, "322", "{m:#?}");
            m.params[1].clone()
        })
        .collect()
}

#[test]
fn isupport_announces_targmax_and_elist() {
    let server = TestServer::with_config(|c| c.limits.max_targets = 3);
    let tokens = isupport(&server);
    assert_eq!(token(&tokens, "ELIST").as_deref(), Some("CMNTU"));
    let targmax = token(&tokens, "TARGMAX").unwrap();
    let targmax: Vec<&str> = targmax.split(',').collect();
    assert!(targmax.contains(&"KICK:3"), "{targmax:?}");
    assert!(targmax.contains(&"NAMES:3"), "{targmax:?}");
}

// ---- +C ----

#[test]
fn no_ctcp_mode_refuses_ctcp_but_action() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    let mut bob = server.client("bob");
    join_all("#c", &mut [&mut alice, &mut bob]);
    // Without +C a CTCP goes through.
    assert!(bob.ask("PRIVMSG #c :\x01PING 1\x01").is_empty());
    assert_got(&mut alice, "bob", "PRIVMSG", &["#c", "\x01PING 1\x01"]);

    assert_eq!(
        alice.ask("MODE #c +C"),
        ms(&[&format!(":{} MODE #c +C", src("alice"))])
    );
    bob.sync();
    let got = alice.ask("MODE #c");
    assert_numeric(&got[0], "324", &["alice", "#c", "+Cnt"]);

    // ACTION, with or without text, and plain text still go through.
    for text in ["\x01ACTION waves\x01", "\x01ACTION\x01", "plain"] {
        assert!(bob.ask(&format!("PRIVMSG #c :{text}")).is_empty());
        assert_got(&mut alice, "bob", "PRIVMSG", &["#c", text]);
    }
    // Any other CTCP is refused with ERR_CANNOTSENDTOCHAN...
    only(
        &bob.ask("PRIVMSG #c :\x01PING 2\x01"),
        SERVER,
        "404",
        &["bob", "#c", "Cannot send to channel (+C)"],
    );
    only(
        &bob.ask("PRIVMSG #c :\x01VERSION\x01"),
        SERVER,
        "404",
        &["bob", "#c", "Cannot send to channel (+C)"],
    );
    // ...channel operators included, and a NOTICE silently.
    assert_eq!(cmds(&alice.ask("PRIVMSG #c :\x01TIME\x01")), ["404"]);
    assert!(bob.ask("NOTICE #c :\x01PING 3\x01").is_empty());
    alice.assert_quiet();

    // LIST shows the mode; -C lifts it.
    let got = bob.ask("LIST #c");
    assert_eq!(got[1].params[3], "[+Cnt] ");
    alice.ask("MODE #c -C");
    bob.sync();
    assert!(bob.ask("PRIVMSG #c :\x01PING 4\x01").is_empty());
    assert_got(&mut alice, "bob", "PRIVMSG", &["#c", "\x01PING 4\x01"]);
}

#[test]
fn no_ctcp_mode_leaves_private_ctcp_alone() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    let mut bob = server.client("bob");
    join_all("#c", &mut [&mut alice, &mut bob]);
    alice.ask("MODE #c +C");
    bob.sync();
    assert!(bob.ask("PRIVMSG alice :\x01VERSION\x01").is_empty());
    assert_got(&mut alice, "bob", "PRIVMSG", &["alice", "\x01VERSION\x01"]);
}

// ---- KICK with several targets ----

#[test]
fn kick_several_users_from_one_channel() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    let mut bob = server.client("bob");
    let mut carol = server.client("carol");
    let mut dave = server.client("dave");
    join_all("#k", &mut [&mut alice, &mut bob, &mut carol, &mut dave]);
    let kick = |nick: &str| format!(":{} KICK #k {nick} :bye", src("alice"));
    let expected = ms(&[&kick("bob"), &kick("carol")]);
    // Each user gets a KICK line of its own (RFC 2812 3.2.8).
    assert_eq!(alice.ask("KICK #k bob,carol :bye"), expected);
    assert_eq!(dave.sync(), expected);
    // bob is gone before carol is kicked.
    assert_eq!(bob.sync(), expected[..1]);
    assert_eq!(carol.sync(), expected);
    let got = alice.ask("NAMES #k");
    assert_eq!(got[0].params[3], "@alice dave");

    // An unknown nick or a non-member is reported, the others are kicked.
    let got = alice.ask("KICK #k ghost,bob,dave");
    assert_eq!(cmds(&got), ["401", "441", "KICK"], "{got:#?}");
    assert_eq!(params(&got[2]), ["#k", "dave", "alice"]);
}

#[test]
fn kick_pairs_channels_with_users() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    let mut bob = server.client("bob");
    let mut carol = server.client("carol");
    join_all("#a", &mut [&mut alice, &mut bob]);
    join_all("#b", &mut [&mut alice, &mut carol]);
    bob.ask("JOIN #b");
    alice.sync();
    carol.sync();
    // #a,#b with bob,carol: bob leaves #a, carol #b; bob stays in #b.
    let got = alice.ask("KICK #a,#b bob,carol :out");
    assert_eq!(
        got,
        ms(&[
            &format!(":{} KICK #a bob :out", src("alice")),
            &format!(":{} KICK #b carol :out", src("alice")),
        ])
    );
    let got = alice.ask("NAMES #b");
    assert_eq!(got[0].params[3], "@alice bob");
    // Neither one channel nor as many channels as users.
    only(
        &alice.ask("KICK #a,#b bob"),
        SERVER,
        "461",
        &["alice", "KICK", "Not enough parameters"],
    );
}

#[test]
fn kick_refusals_are_told_once_per_channel() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    let mut bob = server.client("bob");
    let mut carol = server.client("carol");
    join_all("#k", &mut [&mut alice, &mut bob, &mut carol]);
    only(
        &bob.ask("KICK #k,#k alice,carol"),
        SERVER,
        "482",
        &["bob", "#k", "You're not channel operator"],
    );
    let got = bob.ask("KICK #nope,#nope alice,carol");
    assert_eq!(cmds(&got), ["403"], "{got:#?}");
    alice.assert_quiet();
}

#[test]
fn kick_drops_targets_past_targmax() {
    let server = TestServer::with_config(|c| c.limits.max_targets = 2);
    let mut alice = server.client("alice");
    let mut bob = server.client("bob");
    let mut carol = server.client("carol");
    let mut dave = server.client("dave");
    join_all("#k", &mut [&mut alice, &mut bob, &mut carol, &mut dave]);
    let got = alice.ask("KICK #k bob,carol,dave");
    assert_eq!(cmds(&got), ["KICK", "KICK"], "{got:#?}");
    let got = alice.ask("NAMES #k");
    assert_eq!(got[0].params[3], "@alice dave");
}

// ---- NAMES with several channels ----

#[test]
fn names_of_several_channels_ends_once() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    let mut bob = server.client("bob");
    alice.ask("JOIN #a");
    alice.ask("JOIN #s");
    alice.ask("MODE #s +s");
    bob.ask("JOIN #b");
    // Unknown and (to non-members) secret channels are left out; the one
    // end names the list as asked.
    assert_eq!(
        bob.ask("NAMES #a,#none,#s,#B"),
        ms(&[
            ":natter.local 353 bob = #a :@alice",
            ":natter.local 353 bob = #b :@bob",
            ":natter.local 366 bob #a,#none,#s,#B :End of /NAMES list",
        ])
    );
    // A member sees its secret channel.
    let got = alice.ask("NAMES #s,#a");
    assert_eq!(cmds(&got), ["353", "353", "366"]);
    assert_eq!(params(&got[0]), ["alice", "@", "#s", "@alice"]);
}

#[test]
fn names_answers_at_most_targmax_channels() {
    let server = TestServer::with_config(|c| c.limits.max_targets = 2);
    let mut alice = server.client("alice");
    for c in ["#a", "#b", "#c"] {
        alice.ask(&format!("JOIN {c}"));
    }
    let got = alice.ask("NAMES #a,#b,#c");
    assert_eq!(cmds(&got), ["353", "353", "366"], "{got:#?}");
    assert_eq!(got[1].params[2], "#b");
    assert_eq!(got[2].params[1], "#a,#b,#c");
}

// ---- INVITE without parameters ----

#[test]
fn invite_alone_lists_pending_invitations() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    let mut bob = server.client("bob");
    only(
        &bob.ask("INVITE"),
        SERVER,
        "337",
        &["bob", "End of /INVITE list"],
    );
    for c in ["#y", "#x"] {
        alice.ask(&format!("JOIN {c}"));
        alice.ask(&format!("INVITE bob {c}"));
    }
    bob.sync();
    assert_eq!(
        bob.ask("INVITE"),
        ms(&[
            ":natter.local 336 bob #x",
            ":natter.local 336 bob #y",
            ":natter.local 337 bob :End of /INVITE list",
        ])
    );
    // Joining uses the invitation up.
    bob.ask("JOIN #x");
    assert_eq!(
        bob.ask("INVITE"),
        ms(&[
            ":natter.local 336 bob #y",
            ":natter.local 337 bob :End of /INVITE list",
        ])
    );
    // alice has none.
    alice.sync();
    assert_eq!(cmds(&alice.ask("INVITE")), ["337"]);
}

// ---- LIST filters (ELIST=CMNTU) ----

#[test]
fn list_filters_by_mask_and_non_matching_mask() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    let mut bob = server.client("bob");
    alice.ask("JOIN #chan1");
    alice.ask("JOIN #chan2");
    alice.ask("JOIN #other");
    let list = |c: &mut Client, q: &str| rows(&c.ask(&format!("LIST {q}")));
    assert_eq!(list(&mut bob, "*an1"), ["#chan1"]);
    assert_eq!(list(&mut bob, "#c*n2"), ["#chan2"]);
    assert_eq!(list(&mut bob, "#CH*"), ["#chan1", "#chan2"]);
    assert!(list(&mut bob, "*an3").is_empty());
    // Plain names are masks without wildcards; several masks add up.
    assert_eq!(list(&mut bob, "#OTHER,#chan1"), ["#chan1", "#other"]);
    // N: `!mask` removes what it matches.
    assert_eq!(list(&mut bob, "!*an1"), ["#chan2", "#other"]);
    assert!(list(&mut bob, "!#*").is_empty());
    // Both: matching #ch* but not *2.
    assert_eq!(list(&mut bob, "#ch*,!*2"), ["#chan1"]);
    // With a member count condition (U).
    bob.ask("JOIN #chan2");
    assert_eq!(list(&mut bob, "#ch*,>1"), ["#chan2"]);
}

#[test]
fn list_filters_by_creation_and_topic_time() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    alice.ask("JOIN #old");
    alice.ask("JOIN #new");
    alice.ask("TOPIC #new :hello");
    // Let the channels (and the topic) be at least a second old.
    std::thread::sleep(Duration::from_millis(1100));
    let list = |c: &mut Client, q: &str| rows(&c.ask(&format!("LIST {q}")));
    // C<n: created less than n minutes ago; C>n: more than n minutes ago.
    assert_eq!(list(&mut alice, "C<10"), ["#new", "#old"]);
    assert_eq!(list(&mut alice, "C>0"), ["#new", "#old"]);
    assert!(list(&mut alice, "C<0").is_empty());
    assert!(list(&mut alice, "C>5").is_empty());
    // T<n / T>n: the same for the topic; a channel without one never passes.
    assert_eq!(list(&mut alice, "T<10"), ["#new"]);
    assert_eq!(list(&mut alice, "T>0"), ["#new"]);
    assert!(list(&mut alice, "T<0").is_empty());
    assert!(list(&mut alice, "T>5").is_empty());
    // Conditions combine with masks; unparsable numbers are ignored.
    assert_eq!(list(&mut alice, "C<10,#o*"), ["#old"]);
    assert_eq!(list(&mut alice, "C<x,>abc"), ["#new", "#old"]);
}

/// `+R`: only users logged in to an account join (ERR_NEEDREGGEDNICK,
/// 477), unless invited. `+M`: only they speak, or voiced members and
/// operators (ERR_CANNOTSENDTOCHAN).
#[test]
fn registered_only_modes_need_an_account_to_join_and_to_speak() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    let got = alice.ask("PRIVMSG NickServ :REGISTER alice-password");
    assert_eq!(with_command(&got, "900").len(), 1, "{got:#?}");
    alice.send("JOIN #r");
    alice.expect("366");
    alice.sync();
    assert_eq!(
        alice.ask("MODE #r +R"),
        ms(&[&format!(":{} MODE #r +R", src("alice"))])
    );
    let mut bob = server.client("bob");
    only(
        &bob.ask("JOIN #r"),
        SERVER,
        "477",
        &[
            "bob",
            "#r",
            "Cannot join channel (+R): you need to be logged in to an account",
        ],
    );
    // Logged in, carol joins; invited, bob does too, but only an operator
    // invites past +R (as past +i).
    let mut carol = server.client("carol");
    carol.ask("PRIVMSG NickServ :REGISTER carol-password");
    carol.send("JOIN #r");
    carol.expect("366");
    alice.sync();
    only(
        &carol.ask("INVITE bob #r"),
        SERVER,
        "482",
        &["carol", "#r", "You're not channel operator"],
    );
    alice.ask("INVITE bob #r");
    bob.sync();
    bob.send("JOIN #r");
    bob.expect("366");
    for c in [&mut alice, &mut bob, &mut carol] {
        c.sync();
    }

    alice.ask("MODE #r -R+M");
    bob.sync();
    carol.sync();
    let got = alice.ask("MODE #r");
    assert_numeric(&got[0], "324", &["alice", "#r", "+Mnt"]);
    only(
        &bob.ask("PRIVMSG #r :hello"),
        SERVER,
        "404",
        &[
            "bob",
            "#r",
            "Cannot send to channel (+M: you need to be logged in to an account)",
        ],
    );
    alice.assert_quiet();
    assert!(carol.ask("PRIVMSG #r :from an account").is_empty());
    assert_got(&mut alice, "carol", "PRIVMSG", &["#r", "from an account"]);
    alice.ask("MODE #r +v bob");
    bob.sync();
    carol.sync();
    assert!(bob.ask("PRIVMSG #r :voiced").is_empty());
    assert_got(&mut alice, "bob", "PRIVMSG", &["#r", "voiced"]);
}
