//! JOIN (keys, `0`, `&` channels, bad names and counts), channel lifetime,
//! and PART.

use super::*;

// ---- JOIN ----

#[test]
fn join_creates_channel_and_creator_is_op() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    let got = alice.ask("JOIN #new");
    assert_eq!(
        got,
        ms(&[
            &format!(":{} JOIN #new", src("alice")),
            ":natter.local 353 alice = #new :@alice",
            ":natter.local 366 alice #new :End of /NAMES list",
        ])
    );

    let mut bob = server.client("bob");
    let got = bob.ask("JOIN #new");
    assert_eq!(
        got,
        ms(&[
            &format!(":{} JOIN #new", src("bob")),
            ":natter.local 353 bob = #new :@alice bob",
            ":natter.local 366 bob #new :End of /NAMES list",
        ])
    );
    assert_eq!(alice.sync(), ms(&[&format!(":{} JOIN #new", src("bob"))]));
    // Joining a channel one is already in does nothing.
    bob.assert_quiet();
    assert!(bob.ask("JOIN #NEW").is_empty());
    alice.assert_quiet();
}

#[test]
fn join_several_channels_with_keys() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    alice.ask("JOIN #a,#b");
    let got = alice.ask("MODE #a +k k1");
    assert_eq!(got, ms(&[&format!(":{} MODE #a +k k1", src("alice"))]));

    let mut bob = server.client("bob");
    // The first key goes with the first channel; #b needs none.
    let got = bob.ask("JOIN #a,#b k1");
    assert_eq!(
        cmds(&got),
        vec!["JOIN", "353", "366", "JOIN", "353", "366"],
        "{got:#?}"
    );
    assert_eq!(got[0].params, vec!["#a"]);
    assert_eq!(got[3].params, vec!["#b"]);

    // Keys are matched by position: a key for #c does not open #a.
    alice.ask("JOIN #c");
    alice.ask("MODE #c +k k3");
    let mut carol = server.client("carol");
    let got = carol.ask("JOIN #c,#a k3,wrong");
    assert_eq!(cmds(&got), vec!["JOIN", "353", "366", "475"], "{got:#?}");
    assert_eq!(got[0].params, vec!["#c"]);
    assert_eq!(
        got[3],
        m(":natter.local 475 carol #a :Cannot join channel (+k)")
    );
}

#[test]
fn join_zero_parts_every_channel() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    let mut bob = server.client("bob");
    alice.ask("JOIN #one,#two");
    bob.ask("JOIN #one");
    alice.sync();

    let got = alice.ask("JOIN 0");
    let mut parts: Vec<Message> = got.clone();
    parts.sort_by(|a, b| a.params.cmp(&b.params));
    assert_eq!(
        parts,
        ms(&[
            &format!(":{} PART #one", src("alice")),
            &format!(":{} PART #two", src("alice")),
        ])
    );
    assert_eq!(bob.sync(), ms(&[&format!(":{} PART #one", src("alice"))]));
    // #two emptied and is gone; #one has only bob.
    let got = alice.ask("LIST");
    assert_eq!(
        got,
        ms(&[
            ":natter.local 321 alice Channel :Users  Name",
            ":natter.local 322 alice #one 1 :[+nt] ",
            ":natter.local 323 alice :End of /LIST",
        ])
    );
}

#[test]
fn local_ampersand_channels_work() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    let mut bob = server.client("bob");
    let got = alice.ask("JOIN &local");
    assert_eq!(
        got,
        ms(&[
            &format!(":{} JOIN &local", src("alice")),
            ":natter.local 353 alice = &local :@alice",
            ":natter.local 366 alice &local :End of /NAMES list",
        ])
    );
    bob.ask("JOIN &local");
    alice.sync();
    bob.send("PRIVMSG &local :hi there");
    let got = alice.expect("PRIVMSG");
    assert_eq!(got, m(&format!(":{} PRIVMSG &local :hi there", src("bob"))));
    let got = bob.ask("PART &local :later");
    assert_eq!(got, ms(&[&format!(":{} PART &local :later", src("bob"))]));
}

#[test]
fn join_rejects_bad_names_and_too_many_channels() {
    let server = TestServer::with_config(|c| c.limits.channels_per_user = 2);
    let mut alice = server.client("alice");
    assert_eq!(
        alice.ask("JOIN"),
        ms(&[":natter.local 461 alice JOIN :Not enough parameters"])
    );
    assert_eq!(
        alice.ask("JOIN nochan"),
        ms(&[":natter.local 403 alice nochan :No such channel"])
    );
    let long = format!("#{}", "x".repeat(50));
    assert_eq!(
        alice.ask(&format!("JOIN {long}")),
        ms(&[&format!(":natter.local 403 alice {long} :No such channel")])
    );
    let got = alice.ask("JOIN #a,#b,#c");
    assert_eq!(
        cmds(&got),
        vec!["JOIN", "353", "366", "JOIN", "353", "366", "405"],
        "{got:#?}"
    );
    assert_eq!(
        got[6],
        m(":natter.local 405 alice #c :You have joined too many channels")
    );
}

#[test]
fn channel_is_destroyed_after_last_part() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    let mut bob = server.client("bob");
    alice.ask("JOIN #tmp");
    alice.ask("TOPIC #tmp :old topic");
    alice.ask("MODE #tmp +s");
    let got = alice.ask("LIST");
    assert_eq!(cmds(&got), vec!["321", "322", "323"]);
    assert_eq!(
        got[1].params,
        vec!["alice", "#tmp", "1", "[+nst] old topic"]
    );

    assert_eq!(
        alice.ask("PART #tmp"),
        ms(&[&format!(":{} PART #tmp", src("alice"))])
    );
    assert_eq!(
        alice.ask("LIST"),
        ms(&[
            ":natter.local 321 alice Channel :Users  Name",
            ":natter.local 323 alice :End of /LIST",
        ])
    );
    // A new channel of that name: bob is its op, no topic, default modes.
    let got = bob.ask("JOIN #tmp");
    assert_eq!(
        got,
        ms(&[
            &format!(":{} JOIN #tmp", src("bob")),
            ":natter.local 353 bob = #tmp :@bob",
            ":natter.local 366 bob #tmp :End of /NAMES list",
        ])
    );
    let got = bob.ask("MODE #tmp");
    assert_eq!(got[0], m(":natter.local 324 bob #tmp +nt"));
}

// ---- PART ----

#[test]
fn part_with_reason_is_seen_by_peers() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    let mut bob = server.client("bob");
    join_all("#c", &mut [&mut alice, &mut bob]);
    assert_echoed(
        &mut bob,
        "PART #c :off to lunch",
        "PART #c :off to lunch",
        &mut [&mut alice],
    );
    // Without a reason, no reason parameter.
    bob.ask("JOIN #c");
    alice.sync();
    assert_echoed(&mut bob, "PART #C", "PART #c", &mut [&mut alice]);
    let got = alice.ask("NAMES #c");
    assert_eq!(got[0], m(":natter.local 353 alice = #c :@alice"));
}

#[test]
fn part_errors() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    let mut bob = server.client("bob");
    alice.ask("JOIN #here");
    assert_eq!(
        bob.ask("PART #nowhere"),
        ms(&[":natter.local 403 bob #nowhere :No such channel"])
    );
    assert_eq!(
        bob.ask("PART #here"),
        ms(&[":natter.local 442 bob #here :You're not on that channel"])
    );
    assert_eq!(
        bob.ask("PART"),
        ms(&[":natter.local 461 bob PART :Not enough parameters"])
    );
    alice.assert_quiet();
    // A list: each channel answered on its own.
    bob.ask("JOIN #mine");
    let got = bob.ask("PART #here,#mine");
    assert_eq!(
        got,
        ms(&[
            ":natter.local 442 bob #here :You're not on that channel",
            &format!(":{} PART #mine", src("bob")),
        ])
    );
}
