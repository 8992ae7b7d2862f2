//! IRCv3 capabilities that change what clients are told about others, end
//! to end: `multi-prefix` (NAMES and WHO), `userhost-in-names`,
//! `away-notify`, `extended-join`, `account-tag` (no accounts: no tag),
//! `invite-notify` (channel operators only: plain members never see other
//! people's invites, RFC 2812 3.2.7), `setname` and `chghost`.

mod common;
use common::*;

use natter_proto::Message;

/// The names of a channel from `c`'s NAMES, sorted by nick.
fn names(c: &mut Client, chan: &str) -> Vec<String> {
    let r = c.ask(&format!("NAMES {chan}"));
    names_of(&r)
}

/// The names in the 353 lines of `msgs`, sorted by nick (ignoring prefixes).
fn names_of(msgs: &[Message]) -> Vec<String> {
    let mut v: Vec<String> = with_command(msgs, "353")
        .iter()
        .flat_map(|m| m.params[3].split(' ').map(String::from).collect::<Vec<_>>())
        .collect();
    v.sort_by_key(|n| n.trim_start_matches(['@', '+']).to_string());
    v
}

/// WHO flags by nick from `c`'s `WHO <mask>`, sorted by nick.
fn who_flags(c: &mut Client, mask: &str) -> Vec<(String, String)> {
    let r = c.ask(&format!("WHO {mask}"));
    let mut v: Vec<(String, String)> = with_command(&r, "352")
        .iter()
        .map(|m| (m.params[5].clone(), m.params[6].clone()))
        .collect();
    v.sort();
    v
}

fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
    v.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

// ---- multi-prefix, userhost-in-names ----

#[test]
fn multi_prefix_shows_every_prefix_in_names_and_who() {
    let server = TestServer::start();
    let mut alice = client_with(&server, "alice", "multi-prefix");
    let mut bob = server.client("bob");
    join_all("#c", &mut [&mut alice, &mut bob]);
    alice.ask("MODE #c +v alice");
    bob.sync();
    // Highest rank first.
    assert_eq!(names(&mut alice, "#c"), ["@+alice", "bob"]);
    assert_eq!(names(&mut bob, "#c"), ["@alice", "bob"]);
    assert_eq!(
        who_flags(&mut alice, "#c"),
        pairs(&[("alice", "H@+"), ("bob", "H")])
    );
    assert_eq!(
        who_flags(&mut bob, "#c"),
        pairs(&[("alice", "H@"), ("bob", "H")])
    );
    // Voice alone is shown alike.
    alice.ask("MODE #c +v bob");
    assert_eq!(names(&mut alice, "#c"), ["@+alice", "+bob"]);
    // The NAMES on joining follows it as well.
    let mut carol = client_with(&server, "carol", "multi-prefix");
    let r = carol.ask("JOIN #c");
    assert_eq!(names_of(&r), ["@+alice", "+bob", "carol"]);
}

#[test]
fn userhost_in_names_gives_full_prefixes() {
    let server = TestServer::start();
    let mut alice = client_with(&server, "alice", "userhost-in-names");
    let mut bob = client_with(&server, "bob", "userhost-in-names multi-prefix");
    let mut carol = server.client("carol");
    join_all("#c", &mut [&mut alice, &mut bob, &mut carol]);
    alice.ask("MODE #c +v alice");
    let full = |p: &str, n: &str| format!("{p}{}", src(n));
    assert_eq!(
        names(&mut alice, "#c"),
        [full("@", "alice"), full("", "bob"), full("", "carol")]
    );
    assert_eq!(
        names(&mut bob, "#c"),
        [full("@+", "alice"), full("", "bob"), full("", "carol")]
    );
    assert_eq!(names(&mut carol, "#c"), ["@alice", "bob", "carol"]);
    // On joining too.
    let mut dave = client_with(&server, "dave", "userhost-in-names");
    let r = dave.ask("JOIN #c");
    assert_eq!(
        names_of(&r),
        [
            full("@", "alice"),
            full("", "bob"),
            full("", "carol"),
            full("", "dave")
        ]
    );
}

// ---- away-notify ----

#[test]
fn away_notify_tells_peers_with_the_capability() {
    let server = TestServer::start();
    let mut alice = client_with(&server, "alice", "away-notify");
    let mut bob = client_with(&server, "bob", "away-notify");
    let mut carol = server.client("carol");
    let mut dave = client_with(&server, "dave", "away-notify");
    join_all("#c", &mut [&mut alice, &mut bob, &mut carol]);
    let r = bob.ask("AWAY :out to lunch");
    // Bob himself gets only the numeric.
    only_untagged(
        &r,
        SERVER,
        "306",
        &["bob", "You have been marked as being away"],
    );
    let r = alice.sync();
    only_untagged(&r, &src("bob"), "AWAY", &["out to lunch"]);
    // Without the capability, or without a shared channel: nothing.
    carol.assert_quiet();
    dave.assert_quiet();
    // Changing the message is told too.
    bob.ask("AWAY :back soon");
    let r = alice.sync();
    only_untagged(&r, &src("bob"), "AWAY", &["back soon"]);
    // Coming back: AWAY without parameters.
    let r = bob.ask("AWAY");
    only_untagged(
        &r,
        SERVER,
        "305",
        &["bob", "You are no longer marked as being away"],
    );
    let r = alice.sync();
    only_untagged(&r, &src("bob"), "AWAY", &[]);
    carol.assert_quiet();
    dave.assert_quiet();
}

#[test]
fn away_notify_tells_a_channel_when_an_away_user_joins() {
    // away-notify: clients are sent AWAY "when a user joins and has an
    // away message set" (not for joining users without one).
    let server = TestServer::start();
    let mut alice = client_with(&server, "alice", "away-notify");
    let mut carol = server.client("carol");
    let mut bob = client_with(&server, "bob", "away-notify");
    join_all("#c", &mut [&mut alice, &mut carol]);
    bob.ask("AWAY :gone fishing");
    alice.assert_quiet();
    // Bob's own JOIN reply has no AWAY about himself.
    let r = bob.ask("JOIN #c");
    assert_eq!(cmds(&r), ["JOIN", "353", "366"], "{r:#?}");
    let r = alice.sync();
    assert_eq!(r.len(), 2, "JOIN then AWAY: {r:#?}");
    assert_msg(&r[0], &src("bob"), "JOIN", &["#c"]);
    assert_msg(&r[1], &src("bob"), "AWAY", &["gone fishing"]);
    let r = carol.sync();
    only_untagged(&r, &src("bob"), "JOIN", &["#c"]);
    // A user who is not away joins: just the JOIN.
    let mut dave = server.client("dave");
    dave.ask("JOIN #c");
    let r = alice.sync();
    only_untagged(&r, &src("dave"), "JOIN", &["#c"]);
}

// ---- extended-join, account-tag ----

#[test]
fn extended_join_adds_account_and_realname() {
    let server = TestServer::start();
    let mut alice = client_with(&server, "alice", "extended-join");
    let mut carol = server.client("carol");
    join_all("#c", &mut [&mut alice, &mut carol]);
    let mut bob = client_with(&server, "bob", "extended-join");
    let r = bob.ask("JOIN #c");
    // The joiner's own JOIN is extended too; no account: `*`.
    assert_msg(&r[0], &src("bob"), "JOIN", &["#c", "*", "Real bob"]);
    let r = alice.sync();
    only_untagged(&r, &src("bob"), "JOIN", &["#c", "*", "Real bob"]);
    let r = carol.sync();
    only_untagged(&r, &src("bob"), "JOIN", &["#c"]);
}

#[test]
fn account_tag_is_absent_for_users_without_account() {
    let server = TestServer::start();
    let mut alice = client_with(&server, "alice", "account-tag");
    let mut bob = server.client("bob");
    join_all("#c", &mut [&mut alice]);
    let r = bob.ask("JOIN #c");
    assert_eq!(r[0].command, "JOIN");
    let r = alice.sync();
    only_untagged(&r, &src("bob"), "JOIN", &["#c"]);
    bob.ask("PRIVMSG #c :hi");
    let r = alice.sync();
    only_untagged(&r, &src("bob"), "PRIVMSG", &["#c", "hi"]);
    bob.ask("NOTICE alice :hi");
    let r = alice.sync();
    only_untagged(&r, &src("bob"), "NOTICE", &["alice", "hi"]);
}

// ---- invite-notify ----

#[test]
fn invite_notify_reaches_channel_operators_with_the_capability_only() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    let mut op = client_with(&server, "op", "invite-notify");
    let mut plainop = server.client("plainop");
    let mut member = client_with(&server, "member", "invite-notify");
    let mut outsider = client_with(&server, "outsider", "invite-notify");
    let mut eve = server.client("eve");
    join_all("#c", &mut [&mut alice, &mut op, &mut plainop, &mut member]);
    alice.ask("MODE #c +oo op plainop");
    for c in [&mut op, &mut plainop, &mut member] {
        c.sync();
    }
    let r = alice.ask("INVITE eve #c");
    only_untagged(&r, SERVER, "341", &["alice", "eve", "#c"]);
    let r = eve.sync();
    only_untagged(&r, &src("alice"), "INVITE", &["eve", "#c"]);
    let r = op.sync();
    only_untagged(&r, &src("alice"), "INVITE", &["eve", "#c"]);
    // Operators without the capability, plain members with it, and
    // non-members see nothing.
    plainop.assert_quiet();
    member.assert_quiet();
    outsider.assert_quiet();

    // The same when a plain member invites (the channel is not +i).
    let r = member.ask("INVITE outsider #c");
    only_untagged(&r, SERVER, "341", &["member", "outsider", "#c"]);
    let r = outsider.sync();
    only_untagged(&r, &src("member"), "INVITE", &["outsider", "#c"]);
    let r = op.sync();
    only_untagged(&r, &src("member"), "INVITE", &["outsider", "#c"]);
    plainop.assert_quiet();
    alice.assert_quiet();
    eve.assert_quiet();

    // An operator with the capability who invites gets RPL_INVITING, not
    // its own INVITE echoed back.
    let mut late = server.client("late");
    let r = op.ask("INVITE late #c");
    only_untagged(&r, SERVER, "341", &["op", "late", "#c"]);
    let r = late.sync();
    only_untagged(&r, &src("op"), "INVITE", &["late", "#c"]);
}

#[test]
fn invited_user_with_invite_notify_gets_the_invite_once() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    let mut bob = client_with(&server, "bob", "invite-notify");
    alice.ask("JOIN #c");
    alice.ask("MODE #c +i");
    alice.ask("INVITE bob #c");
    let r = bob.sync();
    only_untagged(&r, &src("alice"), "INVITE", &["bob", "#c"]);
    let r = bob.ask("JOIN #c");
    assert_eq!(r[0].command, "JOIN", "{r:#?}");
}

// ---- setname ----

#[test]
fn setname_changes_the_realname_for_self_and_peers_with_the_capability() {
    let server = TestServer::start();
    let mut alice = client_with(&server, "alice", "setname");
    let mut bob = client_with(&server, "bob", "setname");
    let mut carol = server.client("carol");
    let mut dave = client_with(&server, "dave", "setname");
    join_all("#c", &mut [&mut alice, &mut bob, &mut carol]);
    let r = alice.ask("SETNAME :Alice Liddell <alice@example.org>");
    only_untagged(
        &r,
        &src("alice"),
        "SETNAME",
        &["Alice Liddell <alice@example.org>"],
    );
    let r = bob.sync();
    only_untagged(
        &r,
        &src("alice"),
        "SETNAME",
        &["Alice Liddell <alice@example.org>"],
    );
    // "The SETNAME message MUST NOT be sent to clients which do not have
    // the setname capability negotiated"; dave shares no channel.
    carol.assert_quiet();
    dave.assert_quiet();
    // Everyone sees the new real name in WHOIS and WHO.
    let r = carol.ask("WHOIS alice");
    assert_eq!(
        params(one(&r, "311")),
        [
            "carol",
            "alice",
            "~alice",
            "127.0.0.1",
            "*",
            "Alice Liddell <alice@example.org>"
        ]
    );
    let r = carol.ask("WHO alice");
    assert_eq!(
        one(&r, "352").params[7],
        "0 Alice Liddell <alice@example.org>"
    );
    // One word works without ':'.
    let r = alice.ask("SETNAME Alice");
    only_untagged(&r, &src("alice"), "SETNAME", &["Alice"]);
}

#[test]
fn setname_rejects_empty_and_too_long_realnames_with_fail() {
    let server = TestServer::start();
    let mut alice = client_with(&server, "alice", "setname");
    let mut bob = client_with(&server, "bob", "setname");
    join_all("#c", &mut [&mut alice, &mut bob]);
    let too_long = "x".repeat(129);
    for line in ["SETNAME :".to_string(), format!("SETNAME :{too_long}")] {
        let r = alice.ask(&line);
        only_untagged(
            &r,
            SERVER,
            "FAIL",
            &[
                "SETNAME",
                "INVALID_REALNAME",
                "Real name is empty or too long",
            ],
        );
        bob.assert_quiet();
    }
    let r = bob.ask("WHOIS alice");
    assert_eq!(one(&r, "311").params[5], "Real alice");
    // The longest accepted real name.
    let longest = "y".repeat(128);
    let r = alice.ask(&format!("SETNAME :{longest}"));
    only_untagged(&r, &src("alice"), "SETNAME", &[&longest]);
    let r = bob.sync();
    only_untagged(&r, &src("alice"), "SETNAME", &[&longest]);
}

#[test]
fn setname_without_the_capability_works_silently() {
    // "If a client sends a SETNAME command without having negotiated the
    // capability, the server SHOULD handle it silently."
    let server = TestServer::start();
    let mut alice = server.client("alice");
    let mut bob = client_with(&server, "bob", "setname");
    join_all("#c", &mut [&mut alice, &mut bob]);
    assert!(alice.ask("SETNAME :Quiet Alice").is_empty());
    let r = bob.sync();
    only_untagged(&r, &src("alice"), "SETNAME", &["Quiet Alice"]);
    let r = alice.ask("WHOIS alice");
    assert_eq!(one(&r, "311").params[5], "Quiet Alice");
}

// ---- chghost ----

#[test]
fn chghost_tells_self_and_peers_with_the_capability_and_the_new_prefix_sticks() {
    let server = server_with_root(|_| {});
    let mut oper = client_with(&server, "oper", "chghost");
    let mut bob = client_with(&server, "bob", "chghost");
    let mut alice = client_with(&server, "alice", "chghost");
    let mut carol = server.client("carol");
    join_all("#c", &mut [&mut alice, &mut bob, &mut carol]);
    // Only operators may.
    let r = bob.ask("CHGHOST bob evil evil.example");
    only_untagged(
        &r,
        SERVER,
        "481",
        &["bob", "Permission Denied- You're not an IRC operator"],
    );
    oper_up(&mut oper);

    // The oper shares no channel with bob: no CHGHOST for it.
    assert!(oper.ask("CHGHOST bob newuser new.example").is_empty());
    let r = bob.sync();
    only_untagged(&r, &src("bob"), "CHGHOST", &["newuser", "new.example"]);
    let r = alice.sync();
    only_untagged(&r, &src("bob"), "CHGHOST", &["newuser", "new.example"]);
    carol.assert_quiet();
    // From now on bob's lines carry the new user and host.
    bob.ask("PRIVMSG #c :who am I");
    for c in [&mut alice, &mut carol] {
        let r = c.sync();
        only_untagged(
            &r,
            "bob!newuser@new.example",
            "PRIVMSG",
            &["#c", "who am I"],
        );
    }
    let r = alice.ask("WHOIS bob");
    assert_eq!(
        params(one(&r, "311"))[1..4],
        ["bob", "newuser", "new.example"]
    );
    // A second change starts from the new prefix.
    assert!(oper.ask("CHGHOST bob u2 h2.example").is_empty());
    for c in [&mut alice, &mut bob] {
        let r = c.sync();
        only_untagged(
            &r,
            "bob!newuser@new.example",
            "CHGHOST",
            &["u2", "h2.example"],
        );
    }
    // Invalid user or host.
    let r = oper.ask("CHGHOST bob bad@user h");
    only_untagged(
        &r,
        SERVER,
        "FAIL",
        &["CHGHOST", "INVALID_PARAMS", "Invalid username or host"],
    );
    bob.assert_quiet();
}
