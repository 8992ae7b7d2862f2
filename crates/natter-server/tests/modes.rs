//! MODE end to end (RFC 2811 4, RFC 2812 3.1.5 and 3.2.3, Modern IRC "MODE
//! message"): channel mode queries (324/329, the key hidden from
//! non-members), several changes announced as one line to every member,
//! operator checks (482), unknown modes (472), +o/+v targets (401/441), the
//! MODES limit, keys (+k/-k, 525), limits (+l/-l), the ban list
//! (+b/-b/367/368/478), and user modes (221, +i, +w, -o, +o ignored, 501,
//! 502).

mod common;
use common::*;

/// alice (op), bob and carol in `chan`, every join consumed.
fn three_in(server: &TestServer, chan: &str) -> (Client, Client, Client) {
    let mut alice = server.client("alice");
    let mut bob = server.client("bob");
    let mut carol = server.client("carol");
    join_all(chan, &mut [&mut alice, &mut bob, &mut carol]);
    (alice, bob, carol)
}

// ---- channel modes ----

#[test]
fn channel_mode_query_shows_defaults_and_creation_time() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    let mut dave = server.client("dave");
    let before = unix_now();
    alice.ask("JOIN #c");
    let after = unix_now();
    let got = alice.ask("MODE #c");
    assert_eq!(cmds(&got), vec!["324", "329"]);
    assert_eq!(got[0], m(":natter.local 324 alice #c +nt"));
    assert_eq!(got[1].params[..2], ["alice", "#c"]);
    let at: u64 = got[1].params[2].parse().expect("numeric time");
    assert!(
        (before..=after).contains(&at),
        "{at} not in {before}..={after}"
    );
    // A non-member may ask too.
    let got = dave.ask("MODE #C");
    assert_eq!(got[0], m(":natter.local 324 dave #c +nt"));
    assert_eq!(
        dave.ask("MODE #none"),
        ms(&[":natter.local 403 dave #none :No such channel"])
    );
    assert_eq!(
        dave.ask("MODE"),
        ms(&[":natter.local 461 dave MODE :Not enough parameters"])
    );
}

#[test]
fn channel_key_is_shown_to_members_only() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    let mut dave = server.client("dave");
    alice.ask("JOIN #c");
    assert_eq!(
        alice.ask("MODE #c +kl sesame 5"),
        ms(&[&format!(":{} MODE #c +kl sesame 5", src("alice"))])
    );
    assert_eq!(
        alice.ask("MODE #c")[0],
        m(":natter.local 324 alice #c +klnt sesame 5")
    );
    assert_eq!(
        dave.ask("MODE #c")[0],
        m(":natter.local 324 dave #c +klnt * 5")
    );
}

#[test]
fn several_changes_are_one_line_to_every_member() {
    let server = TestServer::start();
    let (mut alice, mut bob, mut carol) = three_in(&server, "#c");
    assert_echoed(
        &mut alice,
        "MODE #c +imk-t key",
        "MODE #c +imk-t key",
        &mut [&mut bob, &mut carol],
    );
    assert_eq!(
        alice.ask("MODE #c")[0],
        m(":natter.local 324 alice #c +ikmn key")
    );

    assert_echoed(
        &mut alice,
        "MODE #c +ov bob carol",
        "MODE #c +ov bob carol",
        &mut [&mut bob, &mut carol],
    );
    assert_eq!(
        carol.ask("NAMES #c")[0],
        m(":natter.local 353 carol = #c :+carol @alice @bob")
    );

    // Arguments follow their modes across sign changes.
    alice.ask("MODE #c +l 5");
    bob.sync();
    carol.sync();
    assert_echoed(
        &mut alice,
        "MODE #c -l+k newkey",
        "MODE #c -l+k newkey",
        &mut [&mut bob, &mut carol],
    );

    // Changes that change nothing are not announced.
    assert!(alice.ask("MODE #c +imn").is_empty());
    assert!(alice.ask("MODE #c -s+v carol").is_empty());
    bob.assert_quiet();
    carol.assert_quiet();
}

#[test]
fn non_op_gets_482_and_nothing_changes() {
    let server = TestServer::start();
    let (mut alice, mut bob, _carol) = three_in(&server, "#c");
    assert_eq!(
        bob.ask("MODE #c +m"),
        ms(&[":natter.local 482 bob #c :You're not channel operator"])
    );
    assert_eq!(
        bob.ask("MODE #c +o bob"),
        ms(&[":natter.local 482 bob #c :You're not channel operator"])
    );
    assert_eq!(
        bob.ask("MODE #c -k"),
        ms(&[":natter.local 482 bob #c :You're not channel operator"])
    );
    // One 482 for a whole command.
    assert_eq!(
        bob.ask("MODE #c +mi-t"),
        ms(&[":natter.local 482 bob #c :You're not channel operator"])
    );
    alice.assert_quiet();
    assert_eq!(alice.ask("MODE #c")[0], m(":natter.local 324 alice #c +nt"));
    // Outsiders are refused the same way.
    let mut dave = server.client("dave");
    assert_eq!(
        dave.ask("MODE #c +s"),
        ms(&[":natter.local 482 dave #c :You're not channel operator"])
    );
    // An op who gives up +o loses the right.
    assert_echoed(
        &mut alice,
        "MODE #c -o alice",
        "MODE #c -o alice",
        &mut [&mut bob],
    );
    assert_eq!(
        alice.ask("MODE #c +m"),
        ms(&[":natter.local 482 alice #c :You're not channel operator"])
    );
}

#[test]
fn unknown_mode_char_is_472() {
    let server = TestServer::start();
    let (mut alice, mut bob, _carol) = three_in(&server, "#c");
    assert_eq!(
        alice.ask("MODE #c +x"),
        ms(&[":natter.local 472 alice x :is unknown mode char to me"])
    );
    bob.assert_quiet();
    // Known modes in the same command still apply.
    let line = format!(":{} MODE #c +m", src("alice"));
    assert_eq!(
        alice.ask("MODE #c +xm"),
        ms(&[
            ":natter.local 472 alice x :is unknown mode char to me",
            &line
        ])
    );
    assert_eq!(bob.sync(), ms(&[&line]));
}

#[test]
fn op_and_voice_need_a_member() {
    let server = TestServer::start();
    let (mut alice, mut bob, _carol) = three_in(&server, "#c");
    let _dave = server.client("dave");
    assert_eq!(
        alice.ask("MODE #c +o dave"),
        ms(&[":natter.local 441 alice dave #c :They aren't on that channel"])
    );
    assert_eq!(
        alice.ask("MODE #c +v ghost"),
        ms(&[":natter.local 401 alice ghost :No such nick/channel"])
    );
    bob.assert_quiet();
    // Nicks are casemapped and shown as the user spells theirs.
    assert_echoed(
        &mut alice,
        "MODE #c +v BOB",
        "MODE #c +v bob",
        &mut [&mut bob],
    );
}

#[test]
fn modes_limit_caps_parameter_modes_per_command() {
    let server = TestServer::with_config(|c| c.limits.modes_per_command = 2);
    let (mut alice, mut bob, mut carol) = three_in(&server, "#c");
    let mut dave = server.client("dave");
    dave.ask("JOIN #c");
    alice.sync();
    bob.sync();
    carol.sync();
    // Flags without a parameter do not count.
    assert_echoed(
        &mut alice,
        "MODE #c +mvvv bob carol dave",
        "MODE #c +mvv bob carol",
        &mut [&mut dave],
    );
    assert_eq!(
        dave.ask("NAMES #c")[0],
        m(":natter.local 353 dave = #c :+bob +carol @alice dave")
    );
}

#[test]
fn key_set_and_removed() {
    let server = TestServer::start();
    let (mut alice, mut bob, _carol) = three_in(&server, "#c");
    alice.ask("MODE #c +k one");
    bob.sync();
    // -k needs no (or any) argument and shows '*'.
    assert_echoed(&mut alice, "MODE #c -k", "MODE #c -k *", &mut [&mut bob]);
    assert_eq!(alice.ask("MODE #c")[0], m(":natter.local 324 alice #c +nt"));
    alice.ask("MODE #c +k two");
    bob.sync();
    assert_echoed(
        &mut alice,
        "MODE #c -k whatever",
        "MODE #c -k *",
        &mut [&mut bob],
    );
    // No key, nothing to remove.
    assert!(alice.ask("MODE #c -k").is_empty());
    // A key with a comma could never be given to JOIN.
    assert_eq!(
        alice.ask("MODE #c +k a,b"),
        ms(&[":natter.local 525 alice #c :Key is not well-formed"])
    );
    bob.assert_quiet();
}

#[test]
fn limit_set_and_removed() {
    let server = TestServer::start();
    let (mut alice, mut bob, _carol) = three_in(&server, "#c");
    assert_echoed(
        &mut alice,
        "MODE #c +l 10",
        "MODE #c +l 10",
        &mut [&mut bob],
    );
    assert_eq!(
        alice.ask("MODE #c")[0],
        m(":natter.local 324 alice #c +lnt 10")
    );
    assert!(alice.ask("MODE #c +l 10").is_empty());
    // Nonsense limits are ignored.
    assert!(alice.ask("MODE #c +l 0").is_empty());
    assert!(alice.ask("MODE #c +l many").is_empty());
    bob.assert_quiet();
    assert_echoed(&mut alice, "MODE #c -l", "MODE #c -l", &mut [&mut bob]);
    assert_eq!(alice.ask("MODE #c")[0], m(":natter.local 324 alice #c +nt"));
}

#[test]
fn ban_list_add_remove_and_list() {
    let server = TestServer::start();
    let (mut alice, mut bob, _carol) = three_in(&server, "#c");
    let before = unix_now();
    assert_echoed(
        &mut alice,
        "MODE #c +b bob",
        "MODE #c +b bob!*@*",
        &mut [&mut bob],
    );
    let after = unix_now();
    // The same mask again (casemapped) changes nothing.
    assert!(alice.ask("MODE #c +b BOB!*@*").is_empty());
    bob.assert_quiet();

    // Anyone may list bans.
    for (who, c) in [("alice", &mut alice), ("bob", &mut bob)] {
        let got = c.ask("MODE #c b");
        assert_eq!(cmds(&got), vec!["367", "368"], "{got:#?}");
        assert_eq!(got[0].params[..4], [who, "#c", "bob!*@*", "alice"]);
        let at: u64 = got[0].params[4].parse().expect("numeric time");
        assert!((before..=after).contains(&at));
        assert_eq!(
            got[1],
            m(&format!(
                ":natter.local 368 {who} #c :End of channel ban list"
            ))
        );
    }
    // ...but only operators change them.
    assert_eq!(
        bob.ask("MODE #c -b bob!*@*"),
        ms(&[":natter.local 482 bob #c :You're not channel operator"])
    );
    // Removal matches casemapped and shows the stored mask.
    assert_echoed(
        &mut alice,
        "MODE #c -b BOB!*@*",
        "MODE #c -b bob!*@*",
        &mut [&mut bob],
    );
    assert_eq!(
        alice.ask("MODE #c +b"),
        ms(&[":natter.local 368 alice #c :End of channel ban list"])
    );
    assert!(alice.ask("MODE #c -b nobody").is_empty());
}

#[test]
fn ban_list_is_limited_by_maxlist() {
    let server = TestServer::with_config(|c| c.limits.max_bans = 2);
    let mut alice = server.client("alice");
    alice.ask("JOIN #c");
    assert_echoed(
        &mut alice,
        "MODE #c +bb a b",
        "MODE #c +bb a!*@* b!*@*",
        &mut [],
    );
    assert_eq!(
        alice.ask("MODE #c +b c"),
        ms(&[":natter.local 478 alice #c b :Channel list is full"])
    );
    let got = alice.ask("MODE #c +b");
    assert_eq!(cmds(&got), vec!["367", "367", "368"]);
}

// ---- user modes ----

#[test]
fn user_mode_query_and_changes() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    assert_eq!(alice.ask("MODE alice"), ms(&[":natter.local 221 alice +"]));
    assert_eq!(alice.ask("MODE alice +i"), ms(&[":alice MODE alice +i"]));
    assert_eq!(alice.ask("MODE ALICE"), ms(&[":natter.local 221 alice +i"]));
    assert_eq!(alice.ask("MODE alice +w"), ms(&[":alice MODE alice +w"]));
    assert_eq!(
        alice.ask("MODE alice"),
        ms(&[":natter.local 221 alice +iw"])
    );
    // Setting what is set: nothing.
    assert!(alice.ask("MODE alice +iw").is_empty());
    assert_eq!(alice.ask("MODE alice -iw"), ms(&[":alice MODE alice -iw"]));
    assert_eq!(
        alice.ask("MODE alice +i-w+w"),
        ms(&[":alice MODE alice +iw"])
    );
    assert_eq!(
        alice.ask("MODE alice"),
        ms(&[":natter.local 221 alice +iw"])
    );
}

#[test]
fn plus_o_is_ignored_and_unknown_flags_are_501() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    assert!(alice.ask("MODE alice +o").is_empty());
    assert_eq!(alice.ask("MODE alice"), ms(&[":natter.local 221 alice +"]));
    // -o without being an operator changes nothing either.
    assert!(alice.ask("MODE alice -o").is_empty());
    assert_eq!(
        alice.ask("MODE alice +Z"),
        ms(&[":natter.local 501 alice :Unknown MODE flag"])
    );
    // The known flags of the same command still apply.
    assert_eq!(
        alice.ask("MODE alice +Zi"),
        ms(&[
            ":natter.local 501 alice :Unknown MODE flag",
            ":alice MODE alice +i",
        ])
    );
}

#[test]
fn another_users_modes_are_502() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    let mut bob = server.client("bob");
    assert_eq!(
        alice.ask("MODE bob"),
        ms(&[":natter.local 502 alice :Can't change mode for other users"])
    );
    assert_eq!(
        alice.ask("MODE bob +i"),
        ms(&[":natter.local 502 alice :Can't change mode for other users"])
    );
    bob.assert_quiet();
    assert_eq!(bob.ask("MODE bob"), ms(&[":natter.local 221 bob +"]));
    assert_eq!(
        alice.ask("MODE ghost"),
        ms(&[":natter.local 401 alice ghost :No such nick/channel"])
    );
}

#[test]
fn operator_may_drop_plus_o() {
    let server = server_with_root(|_| {});
    let mut alice = server.client("alice");
    let got = alice.ask("OPER root hunter2");
    assert_eq!(cmds(&got), vec!["MODE", "008", "381"], "{got:#?}");
    assert_eq!(
        alice.ask("MODE alice"),
        ms(&[":natter.local 221 alice +os"])
    );
    // +o again: nothing (already set, and never through MODE anyway).
    assert!(alice.ask("MODE alice +o").is_empty());
    // Server notices go with it.
    assert_eq!(alice.ask("MODE alice -o"), ms(&[":alice MODE alice -os"]));
    assert_eq!(alice.ask("MODE alice"), ms(&[":natter.local 221 alice +"]));
    // And the privileges are gone with it.
    assert_eq!(
        alice.ask("WALLOPS :still here?"),
        ms(&[":natter.local 481 alice :Permission Denied- You're not an IRC operator"])
    );
}

// ---- replies stay well-formed ----

#[test]
fn unrepresentable_arguments_are_echoed_as_star_or_refused() {
    let server = TestServer::start();
    let (mut alice, mut bob, _carol) = three_in(&server, "#c");
    assert_eq!(
        alice.ask("MODE :#a b"),
        ms(&[":natter.local 403 alice * :No such channel"])
    );
    assert_eq!(
        alice.ask("MODE :a b"),
        ms(&[":natter.local 401 alice * :No such nick/channel"])
    );
    assert_eq!(
        alice.ask("MODE #c +o :a b"),
        ms(&[":natter.local 401 alice * :No such nick/channel"])
    );
    // A space in a trailing modestring is no mode character.
    let line = format!(":{} MODE #c +i", src("alice"));
    assert_eq!(
        alice.ask("MODE #c :+i x"),
        ms(&[
            ":natter.local 472 alice * :is unknown mode char to me",
            ":natter.local 472 alice x :is unknown mode char to me",
            &line,
        ])
    );
    assert_eq!(bob.sync(), ms(&[&line]));
    // A ban mask or key that could not be shown as a parameter is refused.
    assert!(alice.ask("MODE #c +b :a b").is_empty());
    assert!(alice.ask("MODE #c +b ::x").is_empty());
    assert_eq!(
        alice.ask("MODE #c +k ::x"),
        ms(&[":natter.local 525 alice #c :Key is not well-formed"])
    );
    assert_eq!(
        alice.ask("MODE #c +b"),
        ms(&[":natter.local 368 alice #c :End of channel ban list"])
    );
    bob.assert_quiet();
}
