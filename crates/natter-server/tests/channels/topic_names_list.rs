//! TOPIC, NAMES and LIST.

use super::*;

// ---- TOPIC ----

#[test]
fn topic_set_query_and_whotime() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    let mut bob = server.client("bob");
    join_all("#t", &mut [&mut alice, &mut bob]);
    assert_eq!(
        alice.ask("TOPIC #t"),
        ms(&[":natter.local 331 alice #t :No topic is set"])
    );

    let before = unix_now();
    assert_echoed(
        &mut alice,
        "TOPIC #t :Hello world",
        "TOPIC #t :Hello world",
        &mut [&mut bob],
    );
    let after = unix_now();

    let got = bob.ask("TOPIC #t");
    assert_eq!(cmds(&got), vec!["332", "333"]);
    assert_eq!(got[0], m(":natter.local 332 bob #t :Hello world"));
    // The setter is the full prefix, so clients can show "set by nick [user@host]".
    assert_eq!(got[1].params[..3], ["bob", "#t", &src("alice")]);
    let at: u64 = got[1].params[3].parse().expect("numeric time");
    assert!(
        (before..=after).contains(&at),
        "{at} not in {before}..={after}"
    );

    // A non-member may read the topic of a channel that is not secret.
    let mut carol = server.client("carol");
    let got = carol.ask("TOPIC #t");
    assert_eq!(got[0], m(":natter.local 332 carol #t :Hello world"));
    // ...but not set it.
    assert_eq!(
        carol.ask("TOPIC #t :mine now"),
        ms(&[":natter.local 442 carol #t :You're not on that channel"])
    );
    assert_eq!(
        carol.ask("TOPIC #nope"),
        ms(&[":natter.local 403 carol #nope :No such channel"])
    );
    alice.assert_quiet();
}

#[test]
fn topic_lock_requires_op_and_minus_t_lets_anyone() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    let mut bob = server.client("bob");
    join_all("#t", &mut [&mut alice, &mut bob]);
    // +t is on by default.
    assert_eq!(
        bob.ask("TOPIC #t :bob was here"),
        ms(&[":natter.local 482 bob #t :You're not channel operator"])
    );
    alice.assert_quiet();
    assert_eq!(
        bob.ask("TOPIC #t"),
        ms(&[":natter.local 331 bob #t :No topic is set"])
    );

    alice.ask("MODE #t -t");
    bob.sync();
    assert_echoed(
        &mut bob,
        "TOPIC #t :bob was here",
        "TOPIC #t :bob was here",
        &mut [&mut alice],
    );
    let got = alice.ask("TOPIC #t");
    assert_eq!(got[1].params[..3], ["alice", "#t", &src("bob")]);
}

#[test]
fn empty_topic_clears_it() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    let mut bob = server.client("bob");
    join_all("#t", &mut [&mut alice, &mut bob]);
    alice.ask("TOPIC #t :something");
    bob.sync();
    assert_echoed(&mut alice, "TOPIC #t :", "TOPIC #t :", &mut [&mut bob]);
    assert_eq!(
        bob.ask("TOPIC #t"),
        ms(&[":natter.local 331 bob #t :No topic is set"])
    );
    // A joiner gets no 332 now.
    let mut carol = server.client("carol");
    assert_eq!(cmds(&carol.ask("JOIN #t")), vec!["JOIN", "353", "366"]);
}

#[test]
fn topic_is_shown_on_join_and_cut_to_topiclen() {
    let server = TestServer::with_config(|c| c.limits.topiclen = 10);
    let mut alice = server.client("alice");
    alice.ask("JOIN #t");
    let got = alice.ask("TOPIC #t :0123456789abcdef");
    assert_eq!(
        got,
        ms(&[&format!(":{} TOPIC #t 0123456789", src("alice"))])
    );

    let mut bob = server.client("bob");
    let got = bob.ask("JOIN #t");
    assert_eq!(cmds(&got), vec!["JOIN", "332", "333", "353", "366"]);
    assert_eq!(got[1], m(":natter.local 332 bob #t 0123456789"));
    assert_eq!(got[2].params[..3], ["bob", "#t", &src("alice")]);
    assert_eq!(got[3], m(":natter.local 353 bob = #t :@alice bob"));
}

// ---- NAMES ----

#[test]
fn names_for_members_and_non_members() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    let mut bob = server.client("bob");
    let mut carol = server.client("carol");
    let mut dave = server.client("dave");
    carol.ask("MODE carol +i");
    alice.ask("JOIN #n");
    bob.ask("JOIN #n");
    carol.ask("JOIN #n");
    alice.ask("MODE #n +v bob");

    // A member sees everyone, invisible or not.
    assert_eq!(
        alice.ask("NAMES #n"),
        ms(&[
            ":natter.local 353 alice = #n :+bob @alice carol",
            ":natter.local 366 alice #n :End of /NAMES list",
        ])
    );
    // A non-member does not see invisible carol.
    assert_eq!(
        dave.ask("NAMES #n"),
        ms(&[
            ":natter.local 353 dave = #n :+bob @alice",
            ":natter.local 366 dave #n :End of /NAMES list",
        ])
    );
    // Unknown channel: just the end.
    assert_eq!(
        dave.ask("NAMES #none"),
        ms(&[":natter.local 366 dave #none :End of /NAMES list"])
    );
    // Several channels, each answered, then one end naming the list.
    alice.ask("JOIN #m");
    let got = dave.ask("NAMES #n,#m");
    assert_eq!(cmds(&got), vec!["353", "353", "366"]);
    assert_eq!(got[1], m(":natter.local 353 dave = #m :@alice"));
    assert_eq!(
        got[2],
        m(":natter.local 366 dave #n,#m :End of /NAMES list")
    );
}

#[test]
fn names_of_secret_channel() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    let mut dave = server.client("dave");
    alice.ask("JOIN #s");
    alice.ask("MODE #s +s");
    // Members see the secret symbol '@'.
    assert_eq!(
        alice.ask("NAMES #s"),
        ms(&[
            ":natter.local 353 alice @ #s :@alice",
            ":natter.local 366 alice #s :End of /NAMES list",
        ])
    );
    // Non-members learn nothing, not even the topic.
    assert_eq!(
        dave.ask("NAMES #s"),
        ms(&[":natter.local 366 dave #s :End of /NAMES list"])
    );
    alice.ask("TOPIC #s :hush");
    assert_eq!(
        dave.ask("TOPIC #s"),
        ms(&[":natter.local 442 dave #s :You're not on that channel"])
    );
}

#[test]
fn long_names_replies_are_split_under_512_bytes() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    alice.ask("JOIN #big");
    let mut others = Vec::new();
    let mut expected = vec!["@alice".to_string()];
    for i in 0..20 {
        let nick = format!("member{i:02}{}", "x".repeat(21));
        let mut c = server.client(&nick);
        c.ask("JOIN #big");
        expected.push(nick);
        others.push(c);
    }
    assert_eq!(alice.sync().len(), 20, "the members' JOINs");
    let lines = alice.ask_raw("NAMES #big");
    let mut seen = Vec::new();
    let (last, names) = lines.split_last().expect("some lines");
    assert_eq!(
        m(last),
        m(":natter.local 366 alice #big :End of /NAMES list")
    );
    assert!(names.len() >= 2, "expected a split reply: {lines:#?}");
    for l in names {
        assert!(l.len() + 2 <= 512, "{} bytes: {l}", l.len() + 2);
        let msg = m(l);
        assert_eq!(msg.command, "353");
        assert_eq!(msg.params[..3], ["alice", "=", "#big"]);
        seen.extend(msg.params[3].split(' ').map(String::from));
    }
    seen.sort();
    expected.sort();
    assert_eq!(seen, expected);
}

// ---- LIST ----

#[test]
fn list_with_elist_filters() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    let mut bob = server.client("bob");
    let mut carol = server.client("carol");
    for c in [&mut alice, &mut bob, &mut carol] {
        c.ask("JOIN #big");
    }
    bob.ask("JOIN #mid");
    carol.ask("JOIN #mid");
    alice.ask("JOIN #small");
    alice.ask("TOPIC #small :tiny place");
    let mut dave = server.client("dave");

    assert_eq!(
        dave.ask("LIST"),
        ms(&[
            ":natter.local 321 dave Channel :Users  Name",
            ":natter.local 322 dave #big 3 :[+nt] ",
            ":natter.local 322 dave #mid 2 :[+nt] ",
            ":natter.local 322 dave #small 1 :[+nt] tiny place",
            ":natter.local 323 dave :End of /LIST",
        ])
    );
    let rows = |got: Vec<Message>| -> Vec<String> {
        assert_eq!(got.first().map(|m| m.command.as_str()), Some("321"));
        assert_eq!(got.last().map(|m| m.command.as_str()), Some("323"));
        got.iter()
            .filter(|m| m.command == "322")
            .map(|m| m.params[1].clone())
            .collect()
    };
    assert_eq!(rows(dave.ask("LIST >2")), vec!["#big"]);
    assert_eq!(rows(dave.ask("LIST >1")), vec!["#big", "#mid"]);
    assert_eq!(rows(dave.ask("LIST <2")), vec!["#small"]);
    assert_eq!(rows(dave.ask("LIST <3")), vec!["#mid", "#small"]);
    assert_eq!(rows(dave.ask("LIST >1,<3")), vec!["#mid"]);
    assert_eq!(rows(dave.ask("LIST #small,#BIG")), vec!["#big", "#small"]);
    assert!(rows(dave.ask("LIST #nothing")).is_empty());
}

#[test]
fn list_hides_secret_channels_from_non_members() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    let mut dave = server.client("dave");
    alice.ask("JOIN #hidden,#open");
    alice.ask("MODE #hidden +s");
    assert_eq!(
        dave.ask("LIST"),
        ms(&[
            ":natter.local 321 dave Channel :Users  Name",
            ":natter.local 322 dave #open 1 :[+nt] ",
            ":natter.local 323 dave :End of /LIST",
        ])
    );
    assert_eq!(dave.ask("LIST #hidden").len(), 2);
    let got = alice.ask("LIST");
    assert_eq!(got[1], m(":natter.local 322 alice #hidden 1 :[+nst] "));
}
