//! The join restrictions +k, +l and +b, casemapping of channel names, and
//! names that cannot be echoed.

use super::*;

// ---- +k, +l, +b ----

#[test]
fn key_is_required_to_join() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    let mut bob = server.client("bob");
    alice.ask("JOIN #key");
    alice.ask("MODE #key +k sesame");
    assert_eq!(
        bob.ask("JOIN #key"),
        ms(&[":natter.local 475 bob #key :Cannot join channel (+k)"])
    );
    assert_eq!(
        bob.ask("JOIN #key wrong"),
        ms(&[":natter.local 475 bob #key :Cannot join channel (+k)"])
    );
    alice.assert_quiet();
    let got = bob.ask("JOIN #key sesame");
    assert_eq!(cmds(&got), vec!["JOIN", "353", "366"]);
    assert_eq!(alice.sync(), ms(&[&format!(":{} JOIN #key", src("bob"))]));
}

#[test]
fn limit_refuses_joins_when_full() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    let mut bob = server.client("bob");
    let mut carol = server.client("carol");
    alice.ask("JOIN #lim");
    alice.ask("MODE #lim +l 2");
    bob.ask("JOIN #lim");
    assert_eq!(
        carol.ask("JOIN #lim"),
        ms(&[":natter.local 471 carol #lim :Cannot join channel (+l)"])
    );
    bob.ask("PART #lim");
    assert_eq!(cmds(&carol.ask("JOIN #lim")), vec!["JOIN", "353", "366"]);
}

#[test]
fn bans_match_with_wildcards() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    let mut bob = server.client("bob");
    let mut bert = server.client("bert");
    let mut dave = server.client("dave");
    alice.ask("JOIN #ban");
    let got = alice.ask("MODE #ban +b b?b*");
    assert_eq!(
        got,
        ms(&[&format!(":{} MODE #ban +b b?b*!*@*", src("alice"))])
    );
    assert_eq!(
        bob.ask("JOIN #ban"),
        ms(&[":natter.local 474 bob #ban :Cannot join channel (+b)"])
    );
    // b?b* does not match bert...
    assert_eq!(cmds(&bert.ask("JOIN #ban")), vec!["JOIN", "353", "366"]);
    // ...but a host mask with a different case does.
    alice.ask("MODE #ban +b *!~DAVE@127.0.0.*");
    assert_eq!(
        dave.ask("JOIN #ban"),
        ms(&[":natter.local 474 dave #ban :Cannot join channel (+b)"])
    );

    let got = alice.ask("MODE #ban +b");
    assert_eq!(cmds(&got), vec!["367", "367", "368"], "{got:#?}");
    assert_eq!(got[0].params[..4], ["alice", "#ban", "b?b*!*@*", "alice"]);
    assert_eq!(
        got[1].params[..4],
        ["alice", "#ban", "*!~DAVE@127.0.0.*", "alice"]
    );
    assert_eq!(
        got[2],
        m(":natter.local 368 alice #ban :End of channel ban list")
    );

    // Lifting the ban lets bob in.
    alice.ask("MODE #ban -b b?b*!*@*");
    assert_eq!(cmds(&bob.ask("JOIN #ban")), vec!["JOIN", "353", "366"]);
}

// ---- casemapping ----

#[test]
fn channel_names_are_casemapped_rfc1459() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    let mut bob = server.client("bob");
    alice.ask("JOIN #Foo[1]");
    // {}|^ are the lower case of []\~.
    let got = bob.ask("JOIN #fOO{1}");
    assert_eq!(
        got,
        ms(&[
            &format!(":{} JOIN #Foo[1]", src("bob")),
            ":natter.local 353 bob = #Foo[1] :@alice bob",
            ":natter.local 366 bob #Foo[1] :End of /NAMES list",
        ])
    );
    assert_eq!(
        alice.sync(),
        ms(&[&format!(":{} JOIN #Foo[1]", src("bob"))])
    );
    alice.ask("JOIN #a~b\\c");
    let got = bob.ask("JOIN #A^B|C");
    assert_eq!(got[1], m(":natter.local 353 bob = #a~b\\c :@alice bob"));
    // Every command finds it under either spelling.
    let got = bob.ask("TOPIC #FOO[1]");
    assert_eq!(got, ms(&[":natter.local 331 bob #Foo[1] :No topic is set"]));
    alice.sync();
    assert_echoed(&mut bob, "PART #foo{1}", "PART #Foo[1]", &mut [&mut alice]);
}

// ---- replies stay well-formed ----

#[test]
fn unrepresentable_names_are_echoed_as_star() {
    // A trailing parameter may hold a space or start with ':', which no
    // middle parameter of a reply can; such names are echoed as '*' so the
    // reply keeps its parameters (Modern IRC "Parameters").
    let server = TestServer::start();
    let mut alice = server.client("alice");
    alice.ask("JOIN #c");
    assert_eq!(
        alice.ask("JOIN :#a b"),
        ms(&[":natter.local 403 alice * :No such channel"])
    );
    assert_eq!(
        alice.ask("JOIN ::x"),
        ms(&[":natter.local 403 alice * :No such channel"])
    );
    assert_eq!(
        alice.ask("PART :#a b"),
        ms(&[":natter.local 403 alice * :No such channel"])
    );
    assert_eq!(
        alice.ask("TOPIC :#a b"),
        ms(&[":natter.local 403 alice * :No such channel"])
    );
    assert_eq!(
        alice.ask("NAMES :#a b"),
        ms(&[":natter.local 366 alice * :End of /NAMES list"])
    );
    assert_eq!(
        alice.ask("KICK #c :x y"),
        ms(&[":natter.local 401 alice * :No such nick/channel"])
    );
    assert_eq!(
        alice.ask("INVITE :x y"),
        ms(&[":natter.local 461 alice INVITE :Not enough parameters"])
    );
    assert_eq!(
        alice.ask("INVITE alice :#a b"),
        ms(&[":natter.local 403 alice * :No such channel"])
    );
}
