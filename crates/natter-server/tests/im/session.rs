//! The worked session of docs/im-protocol.md, line framing, and message text
//! (escapes, Unicode, cutting to fit an IRC line).

use super::*;

// ---- the worked session of docs/im-protocol.md ----

#[test]
fn worked_session_from_the_document() {
    let server = start();
    let mut carol = server.client("carol");

    // REGISTER: ONLINE_USERS right away, to everyone.
    let mut alice = Im::connect(&server, "alice");
    alice.send(r#"REGISTER ["alice", "online"]"#);
    assert_eq!(
        alice.sync_lines(),
        [r#"ONLINE_USERS {"alice":"online","carol":"online"}"#]
    );
    let mut bob = Im::connect(&server, "bob");
    bob.send(r#"REGISTER ["bob", "out to lunch"]"#);
    let everyone_lunch = r#"ONLINE_USERS {"alice":"online","bob":"out to lunch","carol":"online"}"#;
    assert_eq!(bob.sync_lines(), [everyone_lunch]);
    assert_eq!(alice.sync_lines(), [everyone_lunch]);

    bob.send(r#"STATUS ["online"]"#);
    let everyone_online = r#"ONLINE_USERS {"alice":"online","bob":"online","carol":"online"}"#;
    assert_eq!(bob.sync_lines(), [everyone_online]);
    assert_eq!(alice.sync_lines(), [everyone_online]);
    assert!(carol.sync().is_empty());

    // INVITE: an INVITATION to every invited IM user, the inviter included;
    // an IRC INVITE for the IRC user.
    alice.send(r#"INVITE ["bob", "carol"]"#);
    assert_eq!(alice.sync_lines(), [r#"INVITATION [1,"alice"]"#]);
    assert_eq!(bob.sync_lines(), [r#"INVITATION [1,"alice"]"#]);
    only(
        &carol.sync(),
        &im_prefix("alice"),
        "INVITE",
        &["carol", "#conv-1"],
    );

    alice.join(1);
    bob.join(1);
    carol.send("JOIN #conv-1");
    let names = carol.expect("353");
    assert_eq!(
        params(&names),
        ["carol", "=", "#conv-1", "@alice bob carol"]
    );
    carol.expect("366");
    assert!(alice.sync().is_empty());
    assert!(bob.sync().is_empty());

    // SEND_MESSAGE: MESSAGE to every member, the sender included.
    alice.send(r#"SEND_MESSAGE [1, "hi both"]"#);
    assert_eq!(alice.sync_lines(), [r#"MESSAGE [1,"alice","hi both"]"#]);
    assert_eq!(bob.sync_lines(), [r#"MESSAGE [1,"alice","hi both"]"#]);
    only(
        &carol.sync(),
        &im_prefix("alice"),
        "PRIVMSG",
        &["#conv-1", "hi both"],
    );

    assert!(carol.ask("PRIVMSG #conv-1 :hello from IRC").is_empty());
    assert_eq!(
        alice.sync_lines(),
        [r#"MESSAGE [1,"carol","hello from IRC"]"#]
    );
    assert_eq!(
        bob.sync_lines(),
        [r#"MESSAGE [1,"carol","hello from IRC"]"#]
    );

    // An IRC private message: a direct conversation.
    assert!(carol.ask("PRIVMSG bob :psst, bob").is_empty());
    assert_eq!(bob.sync_lines(), [r#"MESSAGE [2,"carol","psst, bob"]"#]);
    assert!(alice.sync().is_empty());
    bob.send(r#"SEND_MESSAGE [2, "hi carol"]"#);
    assert_eq!(bob.sync_lines(), [r#"MESSAGE [2,"bob","hi carol"]"#]);
    only(
        &carol.sync(),
        &im_prefix("bob"),
        "PRIVMSG",
        &["carol", "hi carol"],
    );

    assert_eq!(
        bob.conversations_line(),
        r#"CONVERSATIONS {"1":["alice","bob","carol"],"2":["bob","carol"]}"#
    );
    assert_eq!(
        alice.conversations_line(),
        r#"CONVERSATIONS {"1":["alice","bob","carol"]}"#
    );
    alice.send("JOIN [2]");
    assert_eq!(alice.sync_lines(), [r#"ERROR "conversation 2 is private""#]);

    // An IRC AWAY is a status.
    carol.send("AWAY :in a meeting");
    carol.expect("306");
    let carol_away = r#"ONLINE_USERS {"alice":"online","bob":"online","carol":"in a meeting"}"#;
    assert_eq!(alice.sync_lines(), [carol_away]);
    assert_eq!(bob.sync_lines(), [carol_away]);

    // IM users are IRC users.
    let whois = carol.ask("WHOIS bob");
    assert_msg(
        one(&whois, "311"),
        "natter.local",
        "311",
        &["carol", "bob", "im", "127.0.0.1", "*", "bob (IM)"],
    );
    assert_eq!(params(one(&whois, "319")), ["carol", "bob", "#conv-1"]);

    assert!(bob.ask("LEAVE [2]").is_empty());
    bob.send("GOODBYE");
    assert_eq!(bob.read_until_closed(), Vec::<String>::new());
    assert_eq!(
        alice.sync_lines(),
        [r#"ONLINE_USERS {"alice":"online","carol":"in a meeting"}"#]
    );
    only(&carol.sync(), &im_prefix("bob"), "QUIT", &["Goodbye"]);

    assert_eq!(
        alice.conversations_line(),
        r#"CONVERSATIONS {"1":["alice","carol"]}"#
    );
    alice.send(r#"SEND_MESSAGE [2, "carol?"]"#);
    assert_eq!(alice.sync_lines(), [r#"ERROR "no such conversation 2""#]);
    alice.send("GOODBYE");
    assert_eq!(alice.read_until_closed(), Vec::<String>::new());
    only(&carol.sync(), &im_prefix("alice"), "QUIT", &["Goodbye"]);
}

// ---- framing ----

#[test]
fn lf_crlf_and_split_or_batched_writes_all_frame() {
    let server = start();
    let mut alice = Im::connect(&server, "alice");
    // CR LF, and a line split across writes.
    alice.send_raw(b"REGISTER [\"al");
    alice.send_raw(b"ice\", \"online\"]\r\n");
    assert_eq!(alice.online(), users(&[("alice", "online")]));
    // Several lines in one write, mixed terminators; empty and blank lines
    // are ignored.
    alice.send_raw(b"INVITE [\"alice\"]\n\r\n   \nJOIN [1]\r\nSEND_MESSAGE [1, \"one\"]\nSEND_MESSAGE [1, \"two\"]\r\n");
    assert_eq!(
        alice.sync(),
        [
            Reply::Invitation(1, "alice".into()),
            message(1, "alice", "one"),
            message(1, "alice", "two"),
        ]
    );
    // Extra spaces around the argument are tolerated.
    assert_eq!(
        alice.ask("SEND_MESSAGE    [1,\"three\"]   "),
        [message(1, "alice", "three")]
    );
}

#[test]
fn message_text_round_trips_unicode_quotes_and_escapes() {
    let server = start();
    let mut carol = server.client("carol");
    let mut alice = Im::register(&server, "alice", "online");
    let id = alice.invite(&["carol"]);
    carol.expect("INVITE");
    alice.join(id);
    carol.send(&format!("JOIN #conv-{id}"));
    carol.expect("366");
    carol.sync();
    let text = "héllo \"wörld\" \\ 🎉 {\"not\": \"json\"} [1, 2]";
    assert_eq!(alice.say(id, text), [message(id, "alice", text)]);
    only(
        &carol.sync(),
        &im_prefix("alice"),
        "PRIVMSG",
        &[&format!("#conv-{id}"), text],
    );
    // Line breaks and NUL cannot travel in an IRC line: they become spaces.
    assert_eq!(
        alice.ask(&format!(
            "SEND_MESSAGE [{id}, \"two\\nlines\\r\\nand a \\u0000 nul\"]"
        )),
        [message(id, "alice", "two lines  and a   nul")]
    );
    let got = carol.sync();
    assert_eq!(params(one(&got, "PRIVMSG"))[1], "two lines  and a   nul");
}

#[test]
fn long_messages_are_cut_to_fit_an_irc_line_and_everyone_sees_the_same_text() {
    let server = start();
    let mut carol = server.client("carol");
    let mut alice = Im::register(&server, "alice", "online");
    carol.send("JOIN #room");
    carol.expect("366");
    carol.send("INVITE alice #room");
    let id = alice.expect_invitation("carol");
    alice.join(id);
    carol.sync();
    let long = "é".repeat(400); // 800 bytes
    let got = alice.say(id, &long);
    let [Reply::Message(got_id, from, text)] = got.as_slice() else {
        panic!("expected one MESSAGE, got {got:?}");
    };
    assert_eq!((*got_id, from.as_str()), (id, "alice"));
    assert!(text.len() < long.len() && long.starts_with(text.as_str()));
    carol.send("PING cut");
    let line = carol.recv_line().expect("open");
    assert!(line.len() + 2 <= 512, "{} bytes: {line}", line.len());
    let m = Message::parse(&line).unwrap();
    assert_msg(&m, &im_prefix("alice"), "PRIVMSG", &["#room", text]);
}
