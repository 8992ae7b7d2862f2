//! Every IM error is one ERROR, and the connection goes on; join refusals
//! follow the channel modes.

use super::*;

// ---- errors: each one ERROR, and the connection goes on ----

#[test]
fn protocol_errors_keep_the_connection() {
    let server = start();
    let mut alice = Im::connect(&server, "alice");
    // Before REGISTER: parse errors first, then "not registered".
    assert_eq!(alice.error_of("HELLO"), "unknown command HELLO");
    assert_eq!(
        alice.error_of(r#"register ["alice", "online"]"#),
        "unknown command register"
    );
    assert_eq!(
        alice.error_of(&format!("{} [1]", "X".repeat(100))),
        format!("unknown command {}", "X".repeat(32))
    );
    let json = alice.error_of(r#"REGISTER ["alice", "online""#);
    assert!(json.starts_with("invalid JSON argument: "), "{json}");
    assert_eq!(
        alice.error_of(r#"REGISTER ["alice"]"#),
        r#"REGISTER takes ["username", "status"] or ["username", "status", "password"]"#
    );
    for line in [
        "LIST_CONVERSATIONS",
        r#"STATUS ["away"]"#,
        r#"INVITE ["bob"]"#,
        "JOIN [1]",
        r#"SEND_MESSAGE [1, "x"]"#,
        "LEAVE [1]",
    ] {
        assert_eq!(
            alice.error_of(line),
            r#"not registered: send REGISTER ["username", "status"] first"#,
            "{line}"
        );
    }
    alice.send(r#"REGISTER ["alice", "online"]"#);
    alice.online();
    assert_eq!(
        alice.error_of(r#"REGISTER ["alice2", "online"]"#),
        "already registered"
    );

    // Malformed JSON.
    for line in [
        "JOIN [1",
        "JOIN 1 2",
        "JOIN [1]]",
        "GOODBYE now",
        "SEND_MESSAGE [1, 'single quotes']",
        "STATUS [\"unterminated]",
    ] {
        let e = alice.error_of(line);
        assert!(e.starts_with("invalid JSON argument: "), "{line}: {e}");
    }
    // Valid JSON of the wrong shape.
    let join = "JOIN takes [convID] (a positive integer)";
    for (line, expected) in [
        ("JOIN", join),
        ("JOIN 1", join),
        ("JOIN []", join),
        ("JOIN [0]", join),
        ("JOIN [-1]", join),
        ("JOIN [1.5]", join),
        (r#"JOIN ["1"]"#, join),
        ("JOIN [1, 2]", join),
        ("LEAVE {}", "LEAVE takes [convID] (a positive integer)"),
        (r#"STATUS "away""#, r#"STATUS takes ["status"]"#),
        ("STATUS [1]", r#"STATUS takes ["status"]"#),
        (
            "INVITE []",
            r#"INVITE takes ["username", ...] (at least one)"#,
        ),
        (
            r#"INVITE ["bob", 7]"#,
            r#"INVITE takes ["username", ...] (at least one)"#,
        ),
        (
            "SEND_MESSAGE [1]",
            r#"SEND_MESSAGE takes [convID, "message"]"#,
        ),
        (
            r#"SEND_MESSAGE ["1", "x"]"#,
            r#"SEND_MESSAGE takes [convID, "message"]"#,
        ),
        (
            r#"SEND_MESSAGE {"1": "x"}"#,
            r#"SEND_MESSAGE takes [convID, "message"]"#,
        ),
        (
            "LIST_CONVERSATIONS []",
            "LIST_CONVERSATIONS takes no argument",
        ),
        ("GOODBYE null", "GOODBYE takes no argument"),
    ] {
        assert_eq!(alice.error_of(line), expected, "{line}");
    }
    // Not UTF-8.
    alice.send_raw(b"SEND_MESSAGE [1, \"\xff\xfe\"]\n");
    assert_eq!(alice.sync(), [error("invalid UTF-8")]);

    // Still registered and working.
    let id = alice.invite(&["alice"]);
    alice.join(id);
    assert_eq!(
        alice.say(id, "still here"),
        [message(id, "alice", "still here")]
    );
}

#[test]
fn conversation_errors_keep_the_connection() {
    let server = start();
    let mut alice = Im::register(&server, "alice", "online");
    let mut bob = Im::register(&server, "bob", "online");
    alice.sync();
    for line in ["JOIN [99]", r#"SEND_MESSAGE [99, "x"]"#, "LEAVE [99]"] {
        assert_eq!(alice.error_of(line), "no such conversation 99", "{line}");
    }
    // INVITE of someone unknown: an ERROR, and the conversation still made.
    assert_eq!(
        alice.ask(r#"INVITE ["bob", "zed"]"#),
        [
            error(r#"no such user "zed""#),
            Reply::Invitation(1, "alice".into())
        ]
    );
    assert_eq!(bob.sync(), [Reply::Invitation(1, "alice".into())]);
    // Invited, not joined: not a member.
    assert_eq!(
        bob.error_of(r#"SEND_MESSAGE [1, "x"]"#),
        "not in conversation 1"
    );
    assert_eq!(bob.error_of("LEAVE [1]"), "not in conversation 1");
    alice.join(1);
    assert_eq!(
        alice.error_of("JOIN [1]"),
        "cannot join conversation 1: you are already in it"
    );
    for text in ["", "   ", "\\n\\r\\n"] {
        assert_eq!(
            alice.error_of(&format!("SEND_MESSAGE [1, \"{text}\"]")),
            "empty message"
        );
    }
    // Over the size limit: one ERROR, the rest of the line dropped.
    let long = format!("SEND_MESSAGE [1, \"{}\"]\n", "x".repeat(MAX_LINE));
    alice.send_raw(long.as_bytes());
    assert_eq!(alice.sync(), [error("line too long")]);
    // Exactly at the limit: accepted.
    let head = "SEND_MESSAGE [1, \"";
    let at_limit = format!("{head}{}\"]", "y".repeat(MAX_LINE - head.len() - 2));
    assert_eq!(at_limit.len(), MAX_LINE);
    let got = alice.ask(&at_limit);
    assert!(
        matches!(got.as_slice(), [Reply::Message(1, from, text)] if from == "alice" && text.starts_with("yyy")),
        "{got:?}"
    );
    let over = format!("{head}{}\"]", "y".repeat(MAX_LINE - head.len() - 1));
    assert_eq!(over.len(), MAX_LINE + 1);
    alice.send(&over);
    assert_eq!(alice.sync(), [error("line too long")]);

    // Everything still works.
    bob.join(1);
    assert_eq!(alice.say(1, "ok"), [message(1, "alice", "ok")]);
    bob.expect("MESSAGE", |r| *r == message(1, "alice", "ok"));
}

#[test]
fn username_errors_keep_the_connection() {
    let server = start();
    let _carol = server.client("carol");
    let _alice = Im::register(&server, "alice", "online");
    let mut c = Im::connect(&server, "new");
    assert_eq!(
        c.error_of(r#"REGISTER ["carol", "online"]"#),
        r#"username "carol" is taken"#
    );
    assert_eq!(
        c.error_of(r#"REGISTER ["ALICE", "online"]"#),
        r#"username "ALICE" is taken"#
    );
    assert_eq!(
        c.error_of(r#"REGISTER ["1abc", "online"]"#),
        "invalid username \"1abc\": 1 to 30 letters, digits or []\\`_^{|}-, not starting with a digit or '-'"
    );
    for bad in ["", "-x", "a b", "é", "a,b", "a\\nb", &"n".repeat(31)] {
        let e = c.error_of(&format!("REGISTER [\"{bad}\", \"online\"]"));
        assert!(e.starts_with("invalid username "), "{bad}: {e}");
    }
    // None of that registered anything; a good name still works.
    c.send(&format!("REGISTER [\"{}\", \"online\"]", "n".repeat(30)));
    assert!(c.online().contains_key(&"n".repeat(30)));
}

#[test]
fn join_refusals_follow_the_channel_modes() {
    let server = TestServer::with_config(|c| {
        c.im.online_users_interval = 3600;
        c.limits.channels_per_user = 3;
    });
    let mut carol = server.client("carol");
    let mut alice = Im::register(&server, "alice", "online");
    let mut bob = Im::register(&server, "bob", "online");
    carol.send("JOIN #room");
    carol.expect("366");
    carol.send("INVITE alice #room");
    let Reply::Invitation(id, _) =
        alice.expect("INVITATION", |r| matches!(r, Reply::Invitation(..)))
    else {
        unreachable!()
    };
    // bob learns the ID from the list, and is held by the channel's modes.
    assert_eq!(bob.conversations(), convs(&[(id, &["carol"])]));
    let mode = |carol: &mut Client, modes: &str| {
        carol.send(&format!("MODE #room {modes}"));
        carol.expect("MODE");
    };
    for (set, why, unset) in [
        ("+i", "it is invite-only", "-i"),
        ("+k key", "it needs a key", "-k key"),
        ("+l 1", "it is full", "-l"),
        ("+b bob!*@*", "you are banned", "-b bob!*@*"),
        ("+R", "it needs you to be logged in to an account", "-R"),
    ] {
        mode(&mut carol, set);
        assert_eq!(
            bob.error_of(&format!("JOIN [{id}]")),
            format!("cannot join conversation {id}: {why}")
        );
        mode(&mut carol, unset);
    }
    mode(&mut carol, "+m");
    bob.join(id);
    assert_eq!(
        bob.error_of(&format!("SEND_MESSAGE [{id}, \"x\"]")),
        format!("cannot send to conversation {id}: it is moderated and you have no voice")
    );
    mode(&mut carol, "-m+M");
    assert_eq!(
        bob.error_of(&format!("SEND_MESSAGE [{id}, \"x\"]")),
        format!("cannot send to conversation {id}: it needs you to be logged in to an account")
    );
    mode(&mut carol, "+v bob");
    assert_eq!(bob.say(id, "voiced"), [message(id, "bob", "voiced")]);

    // The same CHANLIMIT as IRC's JOIN (3 here; bob is in one).
    let a = bob.invite(&["bob"]);
    let b = bob.invite(&["bob"]);
    let c = bob.invite(&["bob"]);
    bob.join(a);
    bob.join(b);
    assert_eq!(
        bob.error_of(&format!("JOIN [{c}]")),
        format!("cannot join conversation {c}: you are in too many conversations")
    );
    bob.ask(&format!("LEAVE [{a}]"));
    bob.join(c);
}

#[test]
fn joins_past_the_burst_are_refused_as_on_irc() {
    // IRC's JOIN/PART cycling limit ([flood] join_burst), for IM's JOIN.
    let server = TestServer::with_config(|c| {
        protected(c);
        c.im.online_users_interval = 3600;
        c.flood.join_burst = 3;
    });
    let mut carol = server.client("carol");
    carol.send("JOIN #room");
    carol.expect("366");
    let mut alice = Im::register(&server, "alice", "online");
    carol.send("INVITE alice #room");
    let id = alice.expect_invitation("carol");
    for _ in 0..3 {
        alice.join(id);
        alice.ask(&format!("LEAVE [{id}]"));
    }
    let refused = alice.error_of(&format!("JOIN [{id}]"));
    let want = format!("cannot join conversation {id}: too many join requests, please wait ");
    assert!(refused.starts_with(&want), "{refused}");
    // Refused, not joined: carol's channel still has only carol, and
    // alice's connection goes on.
    carol.send("NAMES #room");
    let names = carol.expect("353");
    assert_eq!(names.params[3], "@carol");
    assert_eq!(
        alice.error_of(&format!("SEND_MESSAGE [{id}, \"x\"]")),
        format!("not in conversation {id}")
    );
}
