//! Channel operations end to end (RFC 2811, RFC 2812 3.2, Modern IRC
//! "Channel Operations"): JOIN (creation, keys, several at once, `JOIN 0`,
//! `&` channels, limits on names and counts), channel lifetime, PART, TOPIC
//! (+t, RPL_TOPICWHOTIME, clearing, shown on join), NAMES (invisible users,
//! secret channels, line splitting), LIST (ELIST `>n`/`<n`, secret
//! channels), KICK, INVITE, the join restrictions +i/+k/+l/+b, and rfc1459
//! casemapping of channel names.

mod common;
use common::*;
use natter_proto::Message;

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

// ---- KICK ----

#[test]
fn kick_by_op_removes_target() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    let mut bob = server.client("bob");
    let mut carol = server.client("carol");
    join_all("#k", &mut [&mut alice, &mut bob, &mut carol]);

    assert_echoed(
        &mut alice,
        "KICK #k bob :behave yourself",
        "KICK #k bob :behave yourself",
        &mut [&mut bob, &mut carol],
    );
    assert_eq!(
        carol.ask("NAMES #k"),
        ms(&[
            ":natter.local 353 carol = #k :@alice carol",
            ":natter.local 366 carol #k :End of /NAMES list",
        ])
    );
    // bob is out: he gets nothing more from the channel.
    carol.ask("PRIVMSG #k :still here");
    alice.expect("PRIVMSG");
    bob.assert_quiet();
    assert_eq!(
        bob.ask("PART #k"),
        ms(&[":natter.local 442 bob #k :You're not on that channel"])
    );

    // Without a reason, the kicker's nick is the reason.
    assert_echoed(
        &mut alice,
        "KICK #K carol",
        "KICK #k carol alice",
        &mut [&mut carol],
    );
}

#[test]
fn kick_errors() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    let mut bob = server.client("bob");
    let mut dave = server.client("dave");
    join_all("#k", &mut [&mut alice, &mut bob]);
    assert_eq!(
        bob.ask("KICK #k alice :no"),
        ms(&[":natter.local 482 bob #k :You're not channel operator"])
    );
    alice.assert_quiet();
    assert_eq!(
        alice.ask("KICK #k dave"),
        ms(&[":natter.local 441 alice dave #k :They aren't on that channel"])
    );
    assert_eq!(
        alice.ask("KICK #k ghost"),
        ms(&[":natter.local 401 alice ghost :No such nick/channel"])
    );
    assert_eq!(
        alice.ask("KICK #nope bob"),
        ms(&[":natter.local 403 alice #nope :No such channel"])
    );
    assert_eq!(
        dave.ask("KICK #k bob"),
        ms(&[":natter.local 442 dave #k :You're not on that channel"])
    );
    assert_eq!(
        alice.ask("KICK #k"),
        ms(&[":natter.local 461 alice KICK :Not enough parameters"])
    );
    bob.assert_quiet();
}

#[test]
fn kick_reason_is_cut_to_kicklen() {
    let server = TestServer::with_config(|c| c.limits.kicklen = 5);
    let mut alice = server.client("alice");
    let mut bob = server.client("bob");
    join_all("#k", &mut [&mut alice, &mut bob]);
    assert_echoed(
        &mut alice,
        "KICK #k bob :too long a reason",
        "KICK #k bob :too l",
        &mut [&mut bob],
    );
}

// ---- INVITE and +i ----

#[test]
fn invite_lets_past_invite_only_once() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    let mut bob = server.client("bob");
    alice.ask("JOIN #inv");
    alice.ask("MODE #inv +i");
    assert_eq!(
        bob.ask("JOIN #inv"),
        ms(&[":natter.local 473 bob #inv :Cannot join channel (+i)"])
    );
    assert_eq!(
        alice.ask("INVITE bob #inv"),
        ms(&[":natter.local 341 alice bob #inv"])
    );
    assert_eq!(
        bob.sync(),
        ms(&[&format!(":{} INVITE bob #inv", src("alice"))])
    );
    let got = bob.ask("JOIN #inv");
    assert_eq!(cmds(&got), vec!["JOIN", "353", "366"]);
    // Already there.
    alice.sync();
    assert_eq!(
        alice.ask("INVITE bob #inv"),
        ms(&[":natter.local 443 alice bob #inv :is already on channel"])
    );
    // The invitation was used up by the join.
    bob.ask("PART #inv");
    assert_eq!(
        bob.ask("JOIN #inv"),
        ms(&[":natter.local 473 bob #inv :Cannot join channel (+i)"])
    );
}

#[test]
fn invite_errors() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    let mut bob = server.client("bob");
    let mut carol = server.client("carol");
    let mut dave = server.client("dave");
    join_all("#inv", &mut [&mut alice, &mut bob]);
    // Without +i any member may invite.
    assert_eq!(
        bob.ask("INVITE dave #inv"),
        ms(&[":natter.local 341 bob dave #inv"])
    );
    assert_eq!(
        dave.sync(),
        ms(&[&format!(":{} INVITE dave #inv", src("bob"))])
    );
    // With +i only operators may.
    alice.ask("MODE #inv +i");
    bob.sync();
    assert_eq!(
        bob.ask("INVITE carol #inv"),
        ms(&[":natter.local 482 bob #inv :You're not channel operator"])
    );
    carol.assert_quiet();
    // The inviter must be on the channel.
    assert_eq!(
        carol.ask("INVITE dave #inv"),
        ms(&[":natter.local 442 carol #inv :You're not on that channel"])
    );
    assert_eq!(
        alice.ask("INVITE ghost #inv"),
        ms(&[":natter.local 401 alice ghost :No such nick/channel"])
    );
    assert_eq!(
        alice.ask("INVITE carol #nope"),
        ms(&[":natter.local 403 alice #nope :No such channel"])
    );
    assert_eq!(
        alice.ask("INVITE carol"),
        ms(&[":natter.local 461 alice INVITE :Not enough parameters"])
    );
    carol.assert_quiet();
    dave.assert_quiet();
}

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
