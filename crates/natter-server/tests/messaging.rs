//! PRIVMSG, NOTICE and AWAY end to end (RFC 2812 3.3, 4.1; Modern IRC):
//! delivery to nicks and channels and to several targets at once, STATUSMSG
//! (`@#chan`, `+#chan`), the channel rules that refuse a message (+n, +m,
//! bans) with 404, NOTICE never causing an error reply, 401/407/411/412,
//! away replies (301 for PRIVMSG only), ordering, casemapped targets, and
//! user mode +R (private messages only from accounts, else 477).

mod common;
use common::*;

// ---- delivery ----

#[test]
fn privmsg_to_a_nick() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    let mut bob = server.client("bob");
    let mut carol = server.client("carol");
    assert!(alice.ask("PRIVMSG bob :hello there, bob").is_empty());
    assert_got(&mut bob, "alice", "PRIVMSG", &["bob", "hello there, bob"]);
    carol.assert_quiet();
}

#[test]
fn notice_to_a_nick() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    let mut bob = server.client("bob");
    assert!(alice.ask("NOTICE bob :psst").is_empty());
    assert_got(&mut bob, "alice", "NOTICE", &["bob", "psst"]);
}

#[test]
fn text_is_relayed_verbatim() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    let mut bob = server.client("bob");
    // A leading ':' in the text, several spaces, CTCP, a one-word text
    // sent as a middle parameter, UTF-8.
    for (line, text) in [
        ("PRIVMSG bob ::-) hi", ":-) hi"),
        ("PRIVMSG bob :a  b   c ", "a  b   c "),
        (
            "PRIVMSG bob :\u{1}ACTION waves\u{1}",
            "\u{1}ACTION waves\u{1}",
        ),
        ("PRIVMSG bob word", "word"),
        ("PRIVMSG bob :héllo wörld ✓", "héllo wörld ✓"),
    ] {
        assert!(alice.ask(line).is_empty(), "{line}");
        assert_got(&mut bob, "alice", "PRIVMSG", &["bob", text]);
    }
}

#[test]
fn privmsg_and_notice_to_a_channel_reach_members_but_not_the_sender() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    let mut bob = server.client("bob");
    let mut carol = server.client("carol");
    let mut dave = server.client("dave");
    join_all("#room", &mut [&mut alice, &mut bob, &mut carol]);
    for cmd in ["PRIVMSG", "NOTICE"] {
        assert!(alice.ask(&format!("{cmd} #room :hi all")).is_empty());
        assert_got(&mut bob, "alice", cmd, &["#room", "hi all"]);
        assert_got(&mut carol, "alice", cmd, &["#room", "hi all"]);
        dave.assert_quiet();
    }
}

#[test]
fn several_targets_in_one_command() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    let mut bob = server.client("bob");
    let mut carol = server.client("carol");
    let mut dave = server.client("dave");
    join_all("#b", &mut [&mut carol, &mut bob]);
    // A member sends to a nick and a channel at once.
    assert!(carol.ask("PRIVMSG dave,#b :to both").is_empty());
    assert_got(&mut dave, "carol", "PRIVMSG", &["dave", "to both"]);
    assert_got(&mut bob, "carol", "PRIVMSG", &["#b", "to both"]);
    // Bob is addressed both directly and through the channel: one each.
    assert!(carol.ask("NOTICE bob,#b :twice").is_empty());
    let got = bob.sync();
    assert_eq!(got.len(), 2, "{got:#?}");
    assert_msg(&got[0], &src("carol"), "NOTICE", &["bob", "twice"]);
    assert_msg(&got[1], &src("carol"), "NOTICE", &["#b", "twice"]);
    // Errors for some targets do not stop the others.
    let r = alice.ask("PRIVMSG nobody,dave,#b :mixed");
    let errs: Vec<(&str, Vec<&str>)> = r.iter().map(|m| (m.command.as_str(), params(m))).collect();
    assert_eq!(
        errs,
        [
            ("401", vec!["alice", "nobody", "No such nick/channel"]),
            (
                "404",
                vec![
                    "alice",
                    "#b",
                    "Cannot send to channel (+n: no external messages, join it first)"
                ]
            ),
        ]
    );
    assert_got(&mut dave, "alice", "PRIVMSG", &["dave", "mixed"]);
    bob.assert_quiet();
}

#[test]
fn too_many_targets_gets_407() {
    let server = TestServer::with_config(|c| c.limits.max_targets = 2);
    let mut alice = server.client("alice");
    let mut bob = server.client("bob");
    let mut carol = server.client("carol");
    let mut dave = server.client("dave");
    let r = alice.ask("PRIVMSG bob,carol,dave :hi");
    only(&r, SERVER, "407", &["alice", "dave", "Too many targets"]);
    assert_got(&mut bob, "alice", "PRIVMSG", &["bob", "hi"]);
    assert_got(&mut carol, "alice", "PRIVMSG", &["carol", "hi"]);
    dave.assert_quiet();
    // NOTICE: the extra target is dropped silently.
    assert!(alice.ask("NOTICE bob,carol,dave :hi").is_empty());
    dave.assert_quiet();
}

// ---- STATUSMSG ----

#[test]
fn statusmsg_reaches_only_ops_or_voiced() {
    let server = TestServer::start();
    let mut op = server.client("op");
    let mut op2 = server.client("op2");
    let mut voiced = server.client("voiced");
    let mut plain = server.client("plain");
    let mut sender = server.client("sender");
    join_all(
        "#s",
        &mut [&mut op, &mut op2, &mut voiced, &mut plain, &mut sender],
    );
    op.ask("MODE #s +ov op2 voiced");
    for c in [&mut op2, &mut voiced, &mut plain, &mut sender] {
        c.sync();
    }

    assert!(sender.ask("PRIVMSG @#s :ops only").is_empty());
    assert_got(&mut op, "sender", "PRIVMSG", &["@#s", "ops only"]);
    assert_got(&mut op2, "sender", "PRIVMSG", &["@#s", "ops only"]);
    voiced.assert_quiet();
    plain.assert_quiet();

    assert!(sender.ask("NOTICE +#s :voice and up").is_empty());
    assert_got(&mut op, "sender", "NOTICE", &["+#s", "voice and up"]);
    assert_got(&mut op2, "sender", "NOTICE", &["+#s", "voice and up"]);
    assert_got(&mut voiced, "sender", "NOTICE", &["+#s", "voice and up"]);
    plain.assert_quiet();

    // A STATUSMSG to a missing channel is an unknown target.
    let r = sender.ask("PRIVMSG @#missing :x");
    assert_numeric(
        &r[0],
        "401",
        &["sender", "@#missing", "No such nick/channel"],
    );
}

#[test]
fn statusmsg_obeys_the_channel_rules() {
    let server = TestServer::start();
    let mut op = server.client("op");
    let mut outsider = server.client("outsider");
    join_all("#s", &mut [&mut op]);
    let r = outsider.ask("PRIVMSG @#s :let me in");
    only(
        &r,
        SERVER,
        "404",
        &[
            "outsider",
            "#s",
            "Cannot send to channel (+n: no external messages, join it first)",
        ],
    );
    op.assert_quiet();
}

// ---- channel rules: +n, +m, bans ----

#[test]
fn no_external_messages_blocks_outsiders_with_404() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    let mut bob = server.client("bob");
    let mut outsider = server.client("outsider");
    join_all("#n", &mut [&mut alice, &mut bob]);
    // New channels are +n.
    let r = outsider.ask("PRIVMSG #n :hello?");
    only(
        &r,
        SERVER,
        "404",
        &[
            "outsider",
            "#n",
            "Cannot send to channel (+n: no external messages, join it first)",
        ],
    );
    alice.assert_quiet();
    bob.assert_quiet();
    // Without +n an outsider may speak.
    alice.ask("MODE #n -n");
    bob.sync();
    assert!(outsider.ask("PRIVMSG #n :now?").is_empty());
    assert_got(&mut alice, "outsider", "PRIVMSG", &["#n", "now?"]);
    assert_got(&mut bob, "outsider", "PRIVMSG", &["#n", "now?"]);
}

#[test]
fn moderated_blocks_unvoiced_members_with_404() {
    let server = TestServer::start();
    let mut op = server.client("op");
    let mut voiced = server.client("voiced");
    let mut plain = server.client("plain");
    join_all("#m", &mut [&mut op, &mut voiced, &mut plain]);
    op.ask("MODE #m +mv voiced");
    voiced.sync();
    plain.sync();

    let r = plain.ask("PRIVMSG #m :can I talk?");
    only(
        &r,
        SERVER,
        "404",
        &[
            "plain",
            "#m",
            "Cannot send to channel (+m: moderated, you need voice)",
        ],
    );
    op.assert_quiet();
    voiced.assert_quiet();

    assert!(voiced.ask("PRIVMSG #m :I can").is_empty());
    assert_got(&mut op, "voiced", "PRIVMSG", &["#m", "I can"]);
    assert_got(&mut plain, "voiced", "PRIVMSG", &["#m", "I can"]);

    assert!(op.ask("PRIVMSG #m :so can I").is_empty());
    assert_got(&mut voiced, "op", "PRIVMSG", &["#m", "so can I"]);
    assert_got(&mut plain, "op", "PRIVMSG", &["#m", "so can I"]);

    // Voice taken away: refused again.
    op.ask("MODE #m -v voiced");
    voiced.sync();
    plain.sync();
    let r = voiced.ask("PRIVMSG #m :still?");
    assert_numeric(
        &r[0],
        "404",
        &[
            "voiced",
            "#m",
            "Cannot send to channel (+m: moderated, you need voice)",
        ],
    );
    plain.assert_quiet();
}

#[test]
fn bans_block_members_with_404() {
    let server = TestServer::start();
    let mut op = server.client("op");
    let mut bob = server.client("bob");
    let mut carol = server.client("carol");
    join_all("#b", &mut [&mut op, &mut bob, &mut carol]);
    op.ask("MODE #b +b bob!*@*");
    bob.sync();
    carol.sync();

    let r = bob.ask("PRIVMSG #b :am I banned?");
    only(
        &r,
        SERVER,
        "404",
        &["bob", "#b", "Cannot send to channel (+b: you are banned)"],
    );
    op.assert_quiet();
    carol.assert_quiet();
    // The ban matches case-insensitively.
    op.ask("MODE #b -b bob!*@*");
    op.ask("MODE #b +b CAROL!*@*");
    bob.sync();
    carol.sync();
    let r = carol.ask("PRIVMSG #b :me?");
    assert_numeric(
        &r[0],
        "404",
        &["carol", "#b", "Cannot send to channel (+b: you are banned)"],
    );
    // Unbanned bob can speak again.
    assert!(bob.ask("PRIVMSG #b :free").is_empty());
    assert_got(&mut op, "bob", "PRIVMSG", &["#b", "free"]);
    // A voiced member is not held back by a ban.
    op.ask("MODE #b +v carol");
    bob.sync();
    carol.sync();
    assert!(carol.ask("PRIVMSG #b :voiced").is_empty());
    assert_got(&mut bob, "carol", "PRIVMSG", &["#b", "voiced"]);
}

// ---- NOTICE never replies with an error ----

#[test]
fn notice_errors_never_produce_a_reply() {
    let server = TestServer::start();
    let mut op = server.client("op");
    let mut plain = server.client("plain");
    let mut outsider = server.client("outsider");
    join_all("#q", &mut [&mut op, &mut plain]);
    op.ask("MODE #q +m");
    plain.sync();
    for line in [
        "NOTICE nobody :hi",
        "NOTICE #nowhere :hi",
        "NOTICE @#nowhere :hi",
        "NOTICE #q :outsider on +n",
        "NOTICE",
        "NOTICE op",
        "NOTICE op :",
    ] {
        let r = outsider.ask(line);
        assert!(r.is_empty(), "{line}: {r:#?}");
    }
    // Unvoiced on +m.
    assert!(plain.ask("NOTICE #q :moderated").is_empty());
    op.assert_quiet();
    plain.assert_quiet();
}

// ---- PRIVMSG errors ----

#[test]
fn privmsg_to_unknown_targets_gets_401() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    let r = alice.ask("PRIVMSG nobody :hi");
    only(
        &r,
        SERVER,
        "401",
        &["alice", "nobody", "No such nick/channel"],
    );
    let r = alice.ask("PRIVMSG #nowhere :hi");
    only(
        &r,
        SERVER,
        "401",
        &["alice", "#nowhere", "No such nick/channel"],
    );
}

#[test]
fn privmsg_without_recipient_gets_411() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    for line in ["PRIVMSG", "PRIVMSG :"] {
        let r = alice.ask(line);
        assert_eq!(r.len(), 1, "{line}: {r:#?}");
        assert_numeric(&r[0], "411", &["alice", "No recipient given (PRIVMSG)"]);
    }
}

#[test]
fn privmsg_without_text_gets_412() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    let mut bob = server.client("bob");
    for line in ["PRIVMSG bob", "PRIVMSG bob :"] {
        let r = alice.ask(line);
        assert_eq!(r.len(), 1, "{line}: {r:#?}");
        assert_numeric(&r[0], "412", &["alice", "No text to send"]);
    }
    bob.assert_quiet();
}

// ---- AWAY ----

#[test]
fn away_sets_and_clears_with_306_and_305() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    let r = alice.ask("AWAY :out to lunch");
    only(
        &r,
        SERVER,
        "306",
        &["alice", "You have been marked as being away"],
    );
    let r = alice.ask("AWAY");
    only(
        &r,
        SERVER,
        "305",
        &["alice", "You are no longer marked as being away"],
    );
    // An empty message also clears.
    alice.ask("AWAY :brb");
    let r = alice.ask("AWAY :");
    assert_numeric(
        &r[0],
        "305",
        &["alice", "You are no longer marked as being away"],
    );
}

#[test]
fn privmsg_to_away_user_gets_301_but_notice_does_not() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    let mut bob = server.client("bob");
    alice.ask("AWAY :out to lunch");
    let r = bob.ask("PRIVMSG alice :you there?");
    only(&r, SERVER, "301", &["bob", "alice", "out to lunch"]);
    // The message is still delivered.
    assert_got(&mut alice, "bob", "PRIVMSG", &["alice", "you there?"]);

    assert!(bob.ask("NOTICE alice :fyi").is_empty());
    assert_got(&mut alice, "bob", "NOTICE", &["alice", "fyi"]);

    // Channel messages do not trigger RPL_AWAY.
    join_all("#c", &mut [&mut alice, &mut bob]);
    assert!(bob.ask("PRIVMSG #c :all").is_empty());
    alice.sync();

    alice.ask("AWAY");
    assert!(bob.ask("PRIVMSG alice :back?").is_empty());
    assert_got(&mut alice, "bob", "PRIVMSG", &["alice", "back?"]);
}

#[test]
fn away_message_is_cut_to_awaylen() {
    let server = TestServer::with_config(|c| c.limits.awaylen = 5);
    let mut alice = server.client("alice");
    let mut bob = server.client("bob");
    alice.ask("AWAY :abcdefghij");
    let r = bob.ask("PRIVMSG alice :x");
    assert_numeric(&r[0], "301", &["bob", "alice", "abcde"]);
}

// ---- order and casemapping ----

#[test]
fn messages_from_one_sender_keep_their_order() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    let mut bob = server.client("bob");
    let mut carol = server.client("carol");
    join_all("#order", &mut [&mut alice, &mut bob]);
    // One write with 200 lines, alternating a direct and a channel target.
    let mut batch = String::new();
    for i in 0..200 {
        let target = if i % 2 == 0 { "bob" } else { "#order" };
        batch.push_str(&format!("PRIVMSG {target} :line {i}\r\n"));
    }
    alice.send_raw(batch.as_bytes());
    alice.sync();
    let got = bob.sync();
    assert_eq!(got.len(), 200, "{got:#?}");
    for (i, m) in got.iter().enumerate() {
        let target = if i % 2 == 0 { "bob" } else { "#order" };
        assert_msg(m, &src("alice"), "PRIVMSG", &[target, &format!("line {i}")]);
    }
    // And 200 separate writes to another user.
    for i in 0..200 {
        alice.send(&format!("NOTICE carol :n{i}"));
    }
    alice.sync();
    let got = carol.sync();
    let texts: Vec<&str> = got.iter().map(|m| m.params[1].as_str()).collect();
    let want: Vec<String> = (0..200).map(|i| format!("n{i}")).collect();
    assert_eq!(texts, want);
}

#[test]
fn channel_targets_are_casemapped() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    let mut bob = server.client("bob");
    join_all("#chan", &mut [&mut alice, &mut bob]);
    assert!(alice.ask("PRIVMSG #CHAN :upper").is_empty());
    // Delivered under the channel's own name.
    assert_got(&mut bob, "alice", "PRIVMSG", &["#chan", "upper"]);

    join_all("#room[1]", &mut [&mut alice, &mut bob]);
    assert!(alice.ask("PRIVMSG #ROOM{1} :braces").is_empty());
    assert_got(&mut bob, "alice", "PRIVMSG", &["#room[1]", "braces"]);
    assert!(alice.ask("PRIVMSG @#Room{1} :ops").is_empty());
    bob.assert_quiet();
}

#[test]
fn nick_targets_are_casemapped() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    let mut bob = server.client("Bob");
    let mut weird = server.client("w[x]");
    assert!(alice.ask("PRIVMSG bob :lower").is_empty());
    assert_got(&mut bob, "alice", "PRIVMSG", &["Bob", "lower"]);
    assert!(alice.ask("PRIVMSG BOB :upper").is_empty());
    assert_got(&mut bob, "alice", "PRIVMSG", &["Bob", "upper"]);
    assert!(alice.ask("PRIVMSG W{X} :braces").is_empty());
    assert_got(&mut weird, "alice", "PRIVMSG", &["w[x]", "braces"]);
}

// ---- line length ----

#[test]
fn relayed_lines_are_cut_to_512_bytes() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    let mut bob = server.client("bob");
    join_all("#oddx", &mut [&mut alice, &mut bob]);
    // 480 bytes of two-byte characters: the client's line is within 510
    // bytes, but with alice's source prepended it would not be.
    let text = "é".repeat(240);
    for (cmd, target) in [
        ("PRIVMSG", "#oddx"),
        ("NOTICE", "bob"),
        ("PRIVMSG", "@#oddx"),
    ] {
        assert!(alice.ask(&format!("{cmd} {target} :{text}")).is_empty());
        let got = bob.sync();
        if target.starts_with('@') {
            // bob is no op: nothing for him.
            assert!(got.is_empty(), "{got:#?}");
            continue;
        }
        assert_eq!(got.len(), 1, "{got:#?}");
        let m = &got[0];
        assert_eq!(params(m)[0], target);
        let relayed = &m.params[1];
        let line_len = format!(":{} {cmd} {target} :{relayed}\r\n", src("alice")).len();
        // Cut on a character boundary, as little as possible.
        assert!(line_len <= 512, "{line_len} bytes");
        assert!(line_len >= 511, "cut more than needed: {line_len} bytes");
        assert!(text.starts_with(relayed.as_str()));
    }
    // Exactly as many whole characters as fit.
    alice.ask(&format!("PRIVMSG #oddx :{text}"));
    let got = bob.sync();
    let room = 512 - format!(":{} PRIVMSG #oddx :\r\n", src("alice")).len();
    // An odd number of bytes: the cut must not split a character.
    assert_eq!(room % 2, 1);
    assert_eq!(got[0].params[1], "é".repeat(room / 2));
}

/// User mode `+R`: private messages only from users logged in to an
/// account, and from operators. A PRIVMSG from anyone else gets 477 and
/// is dropped; a NOTICE is dropped without a word.
#[test]
fn registered_only_user_mode_takes_messages_from_accounts_only() {
    let server = server_with_root(|_| {});
    // alice takes TAGMSG (message-tags): a dropped one would show.
    let mut alice = client_with(&server, "alice", "message-tags");
    assert_eq!(alice.ask("MODE alice +R"), ms(&[":alice MODE alice +R"]));
    let mut bob = client_with(&server, "bob", "message-tags");
    only(
        &bob.ask("PRIVMSG alice :hi"),
        SERVER,
        "477",
        &[
            "bob",
            "alice",
            "You need to be logged in to an account to message this user",
        ],
    );
    assert!(bob.ask("NOTICE alice :hi").is_empty());
    assert!(bob.ask("@+typing=active TAGMSG alice").is_empty());
    alice.assert_quiet();

    let mut carol = client_with(&server, "carol", "message-tags");
    carol.ask("PRIVMSG NickServ :REGISTER carol-password");
    assert!(carol.ask("PRIVMSG alice :from an account").is_empty());
    assert_got(
        &mut alice,
        "carol",
        "PRIVMSG",
        &["alice", "from an account"],
    );
    // From an account, a TAGMSG arrives too.
    assert!(carol.ask("@+typing=active TAGMSG alice").is_empty());
    let tagmsg = alice.expect("TAGMSG");
    assert_eq!(params(&tagmsg), ["alice"]);
    oper_up(&mut bob);
    assert!(bob.ask("PRIVMSG alice :from an operator").is_empty());
    assert_got(&mut alice, "bob", "PRIVMSG", &["alice", "from an operator"]);
    assert_eq!(alice.ask("MODE alice -R"), ms(&[":alice MODE alice -R"]));
    let mut dave = server.client("dave");
    assert!(dave.ask("PRIVMSG alice :open again").is_empty());
    assert_got(&mut alice, "dave", "PRIVMSG", &["alice", "open again"]);
}
