//! The IM front end end to end over TCP (docs/im-protocol.md; the lectures'
//! IM server protocol with JSON in place of pickles): the worked session of
//! the document, IM and IRC users in one conversation (both directions, in
//! order), IRC private messages as direct conversations, WHOIS and INVITE
//! across the two protocols, presence (ONLINE_USERS on every change and
//! periodically), every ERROR and that the connection survives it,
//! conversation IDs never reused, and the shape of CONVERSATIONS. The IM
//! side is driven by the blocking [`Im`] client of the common module.

mod common;
use common::*;

use std::collections::BTreeMap;

use natter_proto::im::{ConvId, Reply};
use natter_proto::Message;

/// The longest line the server accepts, without its terminator.
const MAX_LINE: usize = 8191 + 512;

/// A server whose periodic ONLINE_USERS is far off, so that only the
/// presence changes a test makes show up (the periodic test sets its own).
fn start() -> TestServer {
    TestServer::with_config(|c| c.im.online_users_interval = 3600)
}

/// The IRC prefix of IM user `name` (user name `im`).
fn im_prefix(name: &str) -> String {
    format!("{name}!im@{HOST}")
}

/// A MESSAGE reply.
fn message(id: ConvId, from: &str, text: &str) -> Reply {
    Reply::Message(id, from.into(), text.into())
}

/// An ERROR reply.
fn error(text: &str) -> Reply {
    Reply::Error(text.into())
}

/// The users of an ONLINE_USERS map, for comparison.
fn users(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(u, s)| (u.to_string(), s.to_string()))
        .collect()
}

/// `{id: [members]}`, for comparison with LIST_CONVERSATIONS.
fn convs(list: &[(ConvId, &[&str])]) -> BTreeMap<ConvId, Vec<String>> {
    list.iter()
        .map(|(id, m)| (*id, m.iter().map(|s| s.to_string()).collect()))
        .collect()
}

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

// ---- IM and IRC in one conversation ----

#[test]
fn im_and_irc_users_share_a_conversation_in_order_both_ways() {
    const N: usize = 200;
    let server = start();
    let mut carol = server.client("carol");
    let mut alice = Im::register(&server, "alice", "online");
    let id = alice.invite(&["carol"]);
    let chan = format!("#conv-{id}");
    only(
        &carol.sync(),
        &im_prefix("alice"),
        "INVITE",
        &["carol", &chan],
    );
    alice.join(id);
    carol.send(&format!("JOIN {chan}"));
    carol.expect("366");
    carol.sync();
    alice.sync();

    // Both write everything before either reads.
    let mut batch = String::new();
    for i in 0..N {
        batch.push_str(&format!("SEND_MESSAGE [{id}, \"from IM {i}\"]\n"));
    }
    alice.send_raw(batch.as_bytes());
    let mut batch = String::new();
    for i in 0..N {
        batch.push_str(&format!("PRIVMSG {chan} :from IRC {i}\r\n"));
    }
    carol.send_raw(batch.as_bytes());

    // IRC sees PRIVMSG #conv-N from the IM user, in order.
    for i in 0..N {
        let m = carol.expect("PRIVMSG");
        assert_msg(
            &m,
            &im_prefix("alice"),
            "PRIVMSG",
            &[&chan, &format!("from IM {i}")],
        );
    }
    assert!(carol.sync().is_empty());

    // IM sees MESSAGE [N, sender, text] for both (its own as confirmation),
    // each sender's in order.
    let (mut mine, mut theirs) = (0, 0);
    while mine < N || theirs < N {
        match alice.recv() {
            Reply::Message(got, from, text) if got == id && from == "alice" => {
                assert_eq!(text, format!("from IM {mine}"));
                mine += 1;
            }
            Reply::Message(got, from, text) if got == id && from == "carol" => {
                assert_eq!(text, format!("from IRC {theirs}"));
                theirs += 1;
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!(alice.sync().is_empty());
}

#[test]
fn irc_privmsg_to_an_im_user_is_a_direct_conversation_it_can_answer() {
    let server = start();
    let mut carol = server.client("carol");
    let mut dave = server.client("dave");
    let mut alice = Im::register(&server, "alice", "online");
    let mut bob = Im::register(&server, "bob", "online");
    alice.sync();

    assert!(carol.ask("PRIVMSG alice :hi alice").is_empty());
    assert_eq!(alice.sync(), [message(1, "carol", "hi alice")]);
    // The same pair keeps its conversation; NOTICE arrives as MESSAGE too.
    assert!(carol.ask("NOTICE alice :a notice").is_empty());
    assert_eq!(alice.sync(), [message(1, "carol", "a notice")]);
    // Another IRC user: another conversation.
    assert!(dave.ask("PRIVMSG alice :dave here").is_empty());
    assert_eq!(alice.sync(), [message(2, "dave", "dave here")]);
    assert!(bob.sync().is_empty());

    assert_eq!(alice.say(1, "hi carol"), [message(1, "alice", "hi carol")]);
    only(
        &carol.sync(),
        &im_prefix("alice"),
        "PRIVMSG",
        &["carol", "hi carol"],
    );
    assert!(dave.sync().is_empty());
    assert_eq!(alice.say(2, "hi dave"), [message(2, "alice", "hi dave")]);
    only(
        &dave.sync(),
        &im_prefix("alice"),
        "PRIVMSG",
        &["dave", "hi dave"],
    );

    // Listed for its member only; closed to everyone else.
    assert_eq!(
        alice.conversations(),
        convs(&[(1, &["alice", "carol"]), (2, &["alice", "dave"])])
    );
    assert_eq!(bob.conversations(), convs(&[]));
    assert_eq!(bob.error_of("JOIN [1]"), "conversation 1 is private");
    assert_eq!(
        bob.error_of(r#"SEND_MESSAGE [1, "x"]"#),
        "not in conversation 1"
    );
    assert_eq!(bob.error_of("LEAVE [1]"), "not in conversation 1");
    assert_eq!(alice.error_of("JOIN [1]"), "already in conversation 1");

    // An away IM user's status comes back to the IRC sender as 301.
    assert!(alice.ask(r#"STATUS ["on the phone"]"#).len() == 1);
    let got = carol.ask("PRIVMSG alice :still there?");
    assert_eq!(params(one(&got, "301")), ["carol", "alice", "on the phone"]);
    assert_eq!(alice.sync(), [message(1, "carol", "still there?")]);

    // The IRC user leaving ends the conversation.
    carol.send("QUIT :bye");
    alice.online();
    assert_eq!(
        alice.error_of(r#"SEND_MESSAGE [1, "x"]"#),
        "no such conversation 1"
    );
    assert_eq!(alice.conversations(), convs(&[(2, &["alice", "dave"])]));
}

#[test]
fn irc_whois_shows_an_im_user() {
    let server = start();
    let mut carol = server.client("carol");
    let mut alice = Im::register(&server, "alice", "busy writing");
    let id = alice.invite(&["alice"]);
    alice.join(id);
    let whois = carol.ask("WHOIS alice");
    assert_msg(
        one(&whois, "311"),
        "natter.local",
        "311",
        &["carol", "alice", "im", "127.0.0.1", "*", "alice (IM)"],
    );
    assert_eq!(
        params(one(&whois, "319")),
        ["carol", "alice", &format!("@#conv-{id}")]
    );
    assert_eq!(
        params(one(&whois, "301")),
        ["carol", "alice", "busy writing"]
    );
    one(&whois, "318");
    // Once online, no 301.
    alice.ask(r#"STATUS ["online"]"#);
    let whois = carol.ask("WHOIS alice");
    assert!(with_command(&whois, "301").is_empty(), "{whois:#?}");
    // ISON and USERHOST see the IM user too.
    let ison = carol.ask("ISON alice nobody");
    assert_eq!(params(one(&ison, "303")), ["carol", "alice"]);
}

#[test]
fn irc_user_invited_by_im_invite_gets_invite_and_can_join() {
    let server = start();
    let mut carol = server.client("carol");
    let mut alice = Im::register(&server, "alice", "online");
    let mut bob = Im::register(&server, "bob", "online");
    alice.sync();

    let id = alice.invite(&["bob", "carol", "alice", "BOB"]);
    // Every invited user once; the inviter's own name adds nothing.
    assert_eq!(bob.sync(), [Reply::Invitation(id, "alice".into())]);
    assert!(alice.sync().is_empty());
    let chan = format!("#conv-{id}");
    only(
        &carol.sync(),
        &im_prefix("alice"),
        "INVITE",
        &["carol", &chan],
    );

    // The IRC user joins first: the channel starts with it.
    carol.send(&format!("JOIN {chan}"));
    let join = carol.expect("JOIN");
    assert_eq!(params(&join), [chan.as_str()]);
    carol.expect("366");
    alice.join(id);
    bob.join(id);
    let got = carol.sync();
    assert_eq!(with_command(&got, "JOIN").len(), 2, "{got:#?}");
    assert_eq!(
        alice.conversations(),
        convs(&[(id, &["alice", "bob", "carol"])])
    );
    assert!(carol.ask(&format!("PRIVMSG {chan} :hi")).is_empty());
    assert_eq!(alice.sync(), [message(id, "carol", "hi")]);
    assert_eq!(bob.sync(), [message(id, "carol", "hi")]);

    // LEAVE is a PART for IRC.
    assert!(bob.ask(&format!("LEAVE [{id}]")).is_empty());
    only(&carol.sync(), &im_prefix("bob"), "PART", &[&chan]);
    assert_eq!(
        bob.error_of(&format!("LEAVE [{id}]")),
        format!("not in conversation {id}")
    );
    assert_eq!(
        bob.error_of(&format!("SEND_MESSAGE [{id}, \"x\"]")),
        format!("not in conversation {id}")
    );
    // It can come back by ID.
    bob.join(id);
    carol.expect("JOIN");
}

#[test]
fn irc_invite_of_an_im_user_is_an_invitation_to_the_channel() {
    let server = start();
    let mut carol = server.client("carol");
    let mut alice = Im::register(&server, "alice", "online");
    carol.send("JOIN #room");
    carol.expect("366");
    carol.send("MODE #room +i");
    carol.expect("MODE");
    carol.send("INVITE alice #room");
    carol.expect("341");
    let id = alice.expect_invitation("carol");
    // The invitation lets the IM user into the +i channel.
    alice.join(id);
    let join = carol.expect("JOIN");
    assert_eq!(join.source.as_deref(), Some(im_prefix("alice").as_str()));
    assert_eq!(alice.conversations(), convs(&[(id, &["alice", "carol"])]));
    assert_eq!(
        alice.say(id, "hello room"),
        [message(id, "alice", "hello room")]
    );
    only(
        &carol.sync(),
        &im_prefix("alice"),
        "PRIVMSG",
        &["#room", "hello room"],
    );
}

#[test]
fn one_namespace_for_usernames_and_nicks() {
    let server = start();
    let mut carol = server.client("carol");
    let _alice = Im::register(&server, "alice", "online");
    // An IRC client can't take an IM username, in any case.
    let got = carol.ask("NICK ALICE");
    assert_eq!(params(one(&got, "433"))[1], "ALICE");
    let mut late = server.connect();
    late.send("NICK alice");
    late.send("USER x 0 * :x");
    late.expect("433");
    // Nor an IM client an IRC nick.
    let mut im = Im::connect(&server, "x");
    assert_eq!(
        im.error_of(r#"REGISTER ["Carol", "online"]"#),
        r#"username "Carol" is taken"#
    );
    // A nick change shows in ONLINE_USERS.
    let mut bob = Im::register(&server, "bob", "online");
    carol.send("NICK carol2");
    carol.expect("NICK");
    assert_eq!(
        bob.online(),
        users(&[("alice", "online"), ("bob", "online"), ("carol2", "online")])
    );
}

// ---- presence ----

#[test]
fn online_users_follows_status_away_goodbye_and_dropped_connections() {
    let server = start();
    let mut carol = server.client("carol");
    let mut alice = Im::register(&server, "alice", "online");
    let mut bob = Im::register(&server, "bob", "Online");
    assert_eq!(
        alice.online(),
        users(&[("alice", "online"), ("bob", "online"), ("carol", "online")])
    );
    assert!(alice.sync().is_empty());

    // STATUS: to everyone, the sender included.
    bob.send(r#"STATUS ["  busy  "]"#);
    let expected = users(&[("alice", "online"), ("bob", "busy"), ("carol", "online")]);
    assert_eq!(bob.online(), expected);
    assert_eq!(alice.online(), expected);
    // The same status again changes nothing and sends nothing.
    assert!(bob.ask(r#"STATUS ["busy"]"#).is_empty());
    assert!(alice.sync().is_empty());
    // The status is the IM user's AWAY message on IRC.
    let whois = carol.ask("WHOIS bob");
    assert_eq!(params(one(&whois, "301")), ["carol", "bob", "busy"]);
    bob.send(r#"STATUS ["ONLINE"]"#);
    assert_eq!(bob.online()["bob"], "online");
    assert_eq!(alice.online()["bob"], "online");

    // IRC AWAY and back.
    carol.send("AWAY :lunch");
    carol.expect("306");
    assert_eq!(alice.online()["carol"], "lunch");
    assert_eq!(bob.online()["carol"], "lunch");
    carol.send("AWAY");
    carol.expect("305");
    assert_eq!(alice.online()["carol"], "online");
    assert_eq!(bob.online()["carol"], "online");

    // Members of a conversation.
    let mut dave = Im::register(&server, "dave", "online");
    let id = alice.invite(&["bob", "dave"]);
    for c in [&mut alice, &mut bob, &mut dave] {
        c.sync();
        c.join(id);
    }
    assert_eq!(
        alice.conversations(),
        convs(&[(id, &["alice", "bob", "dave"])])
    );

    // GOODBYE: no answer, the connection closes, everyone else is told.
    bob.send("GOODBYE");
    assert!(bob.read_until_closed().is_empty());
    let expected = users(&[("alice", "online"), ("carol", "online"), ("dave", "online")]);
    assert_eq!(alice.online(), expected);
    assert_eq!(dave.online(), expected);
    assert_eq!(alice.conversations(), convs(&[(id, &["alice", "dave"])]));

    // A dropped connection: the same.
    drop(dave);
    assert_eq!(
        alice.online(),
        users(&[("alice", "online"), ("carol", "online")])
    );
    assert_eq!(alice.conversations(), convs(&[(id, &["alice"])]));
    // An IRC user quitting too.
    carol.send("QUIT");
    assert_eq!(alice.online(), users(&[("alice", "online")]));
    assert!(alice.sync().is_empty());
}

#[test]
fn online_users_arrives_periodically() {
    let server = TestServer::with_config(|c| c.im.online_users_interval = 1);
    let _carol = server.client("carol");
    let mut alice = Im::register(&server, "alice", "online");
    // Nothing happens; it comes anyway (twice, to be sure it repeats).
    for _ in 0..2 {
        match alice.recv() {
            Reply::OnlineUsers(u) => {
                assert_eq!(u, users(&[("alice", "online"), ("carol", "online")]))
            }
            other => panic!("expected ONLINE_USERS, got {other:?}"),
        }
    }
}

#[test]
fn long_statuses_are_cut_to_awaylen_and_control_characters_become_spaces() {
    let server = TestServer::with_config(|c| {
        c.im.online_users_interval = 3600;
        c.limits.awaylen = 10;
    });
    let mut alice = Im::register(&server, "alice", "a\tb");
    assert!(alice.sync().is_empty());
    alice.send(r#"STATUS ["0123456789abcdef"]"#);
    assert_eq!(alice.online()["alice"], "0123456789");
    alice.send(r#"STATUS ["x\ny"]"#);
    assert_eq!(alice.online()["alice"], "x y");
}

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

// ---- conversation IDs and LIST_CONVERSATIONS ----

#[test]
fn conversation_ids_are_never_reused() {
    let server = start();
    let mut carol = server.client("carol");
    let mut alice = Im::register(&server, "alice", "online");
    let mut bob = Im::register(&server, "bob", "online");
    alice.sync();

    // A group ends when its last member leaves.
    assert_eq!(alice.invite(&["bob"]), 1);
    bob.sync();
    alice.join(1);
    bob.join(1);
    assert!(alice.ask("LEAVE [1]").is_empty());
    assert_eq!(bob.conversations(), convs(&[(1, &["bob"])]));
    assert!(bob.ask("LEAVE [1]").is_empty());
    assert_eq!(alice.conversations(), convs(&[]));
    assert_eq!(alice.error_of("JOIN [1]"), "no such conversation 1");
    assert_eq!(alice.invite(&["bob"]), 2);

    // A direct conversation ends when its IM member leaves it.
    assert!(carol.ask("PRIVMSG alice :one").is_empty());
    assert_eq!(alice.sync(), [message(3, "carol", "one")]);
    assert!(alice.ask("LEAVE [3]").is_empty());
    assert_eq!(
        alice.error_of(r#"SEND_MESSAGE [3, "x"]"#),
        "no such conversation 3"
    );
    assert!(carol.ask("PRIVMSG alice :two").is_empty());
    assert_eq!(alice.sync(), [message(4, "carol", "two")]);

    // An IRC user cannot take #conv-5 before its conversation exists.
    let got = carol.ask("JOIN #conv-5");
    assert_eq!(params(one(&got, "403"))[1], "#conv-5");
    assert_eq!(alice.invite(&["carol"]), 5);
    let got = carol.sync();
    assert_eq!(params(one(&got, "INVITE")), ["carol", "#conv-5"]);

    // A conversation nobody joined ends with its creator.
    let mut dave = Im::register(&server, "dave", "online");
    let pending = dave.invite(&["bob"]);
    assert_eq!(pending, 6);
    bob.expect("INVITATION", |r| *r == Reply::Invitation(6, "dave".into()));
    dave.send("GOODBYE");
    dave.read_until_closed();
    bob.online();
    assert_eq!(bob.error_of("JOIN [6]"), "no such conversation 6");
    assert_eq!(bob.invite(&["bob"]), 7);
}

#[test]
fn list_conversations_shape() {
    let server = start();
    let mut carol = server.client("carol");
    let mut alice = Im::register(&server, "alice", "online");
    let mut bob = Im::register(&server, "bob", "online");
    alice.sync();
    assert_eq!(alice.conversations_line(), "CONVERSATIONS {}");

    // Keys are decimal strings; members sorted; a conversation nobody has
    // joined yet lists no one; every group is listed to everyone.
    for _ in 0..10 {
        alice.invite(&["alice"]);
    }
    alice.join(2);
    bob.join(2);
    alice.join(10);
    assert_eq!(
        bob.conversations_line(),
        r#"CONVERSATIONS {"1":[],"10":["alice"],"2":["alice","bob"],"3":[],"4":[],"5":[],"6":[],"7":[],"8":[],"9":[]}"#
    );
    assert_eq!(bob.conversations()[&2], ["alice", "bob"]);

    // A secret IRC channel is listed to its members only (not even to the
    // invited, until they join).
    carol.send("JOIN #hidden");
    carol.expect("366");
    carol.send("MODE #hidden +s");
    carol.expect("MODE");
    carol.send("INVITE bob #hidden");
    let Reply::Invitation(hidden, _) =
        bob.expect("INVITATION", |r| matches!(r, Reply::Invitation(..)))
    else {
        unreachable!()
    };
    assert_eq!(hidden, 11);
    assert!(!alice.conversations().contains_key(&hidden));
    assert!(!bob.conversations().contains_key(&hidden));
    bob.join(hidden);
    assert_eq!(bob.conversations()[&hidden], ["bob", "carol"]);
    assert!(!alice.conversations().contains_key(&hidden));
}

// ---- how connections end ----

#[test]
fn goodbye_before_register_just_closes() {
    let server = start();
    let mut c = Im::connect(&server, "anon");
    c.send("GOODBYE");
    assert!(c.read_until_closed().is_empty());
}

#[test]
fn registration_timeout_and_shutdown_close_with_an_error() {
    let mut server = TestServer::with_config(|c| {
        c.im.online_users_interval = 3600;
        c.timeouts.registration = 1;
    });
    let mut lazy = Im::connect(&server, "lazy");
    assert_eq!(
        lazy.read_until_closed(),
        [r#"ERROR "closing: Registration timed out""#]
    );
    let mut alice = Im::register(&server, "alice", "online");
    server.stop();
    assert_eq!(
        alice.read_until_closed(),
        [r#"ERROR "closing: Server shutting down""#]
    );
}

#[test]
fn kill_of_an_im_user_ends_with_an_im_error() {
    let server = server_with_root(|c| c.im.online_users_interval = 3600);
    let mut root = server.client("root");
    oper_up(&mut root);
    let mut alice = Im::register(&server, "alice", "online");
    root.send("KILL alice :spam");
    let lines = alice.read_until_closed();
    for l in &lines {
        assert!(
            Reply::parse(l).is_ok(),
            "not an IM line: {l:?} in {lines:#?}"
        );
    }
    assert!(
        lines
            .last()
            .is_some_and(|l| l.starts_with("ERROR \"closing: Killed")),
        "{lines:#?}"
    );
}

/// The next PRESENCE_CHANGED `im` gets (reading through anything else).
fn changed(im: &mut Im) -> BTreeMap<String, Option<String>> {
    match im.expect("PRESENCE_CHANGED", |r| {
        matches!(r, Reply::PresenceChanged(_))
    }) {
        Reply::PresenceChanged(c) => c,
        _ => unreachable!(),
    }
}

#[test]
fn presence_as_changes_names_only_who_changed() {
    let server = TestServer::with_config(|c| c.im.online_users_interval = 3600);
    let mut ann = Im::register(&server, "ann", "online");
    // PRESENCE ["changes"] is answered with the whole list to start from.
    ann.send(r#"PRESENCE ["changes"]"#);
    let start = ann.online();
    assert_eq!(start.keys().collect::<Vec<_>>(), ["ann"]);
    // A client that did not ask keeps getting whole lists.
    let mut dora = Im::register(&server, "dora", "online");
    let some = |s: &str| Some(s.to_string());
    assert_eq!(changed(&mut ann), [("dora".into(), some("online"))].into());
    let mut ben = Im::register(&server, "ben", "busy");
    assert_eq!(changed(&mut ann), [("ben".into(), some("busy"))].into());
    assert_eq!(dora.online().len(), 3);
    ben.send(r#"STATUS ["online"]"#);
    assert_eq!(changed(&mut ann), [("ben".into(), some("online"))].into());
    // IRC users are in it too: a nick change is one gone and one new.
    let mut carl = server.client("carl");
    assert_eq!(changed(&mut ann), [("carl".into(), some("online"))].into());
    carl.send("NICK karl");
    assert_eq!(
        changed(&mut ann),
        [("carl".into(), None), ("karl".into(), some("online"))].into()
    );
    carl.send("QUIT");
    assert_eq!(changed(&mut ann), [("karl".into(), None)].into());
    // And back to lists.
    ann.send(r#"PRESENCE ["lists"]"#);
    ann.online();
    ben.send(r#"STATUS ["away"]"#);
    assert_eq!(ann.online().get("ben").map(String::as_str), Some("away"));
    assert_eq!(
        ann.error_of(r#"PRESENCE ["deltas"]"#),
        r#"PRESENCE takes ["changes"] or ["lists"]"#
    );
}
