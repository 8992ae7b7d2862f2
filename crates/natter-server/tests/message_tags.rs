//! IRCv3 message tags end to end: `message-tags` (client-only `+tags`
//! relayed on PRIVMSG, NOTICE and TAGMSG to clients that negotiated it,
//! TAGMSG never delivered to others, other client tags dropped),
//! `message-ids` (`msgid` the same for every copy of a message, the echo
//! included, and different for every message), `server-time` (`time` in
//! `YYYY-MM-DDThh:mm:ss.sssZ`, the same for every recipient),
//! `echo-message` (with and without `labeled-response`) and bot mode
//! (`MODE me +B`, the `bot` tag, 335 in WHOIS, `B` in WHO, `BOT=B`).

mod common;
use common::*;

use natter_proto::Message;

/// The tags of `m` as `(key, value)` pairs, in order.
fn tags(m: &Message) -> Vec<(&str, Option<&str>)> {
    m.tags
        .iter()
        .map(|t| (t.key.as_str(), t.value.as_deref()))
        .collect()
}

/// The value of tag `key` on `m`, panicking when it is absent or empty.
fn tag<'a>(m: &'a Message, key: &str) -> &'a str {
    m.tags
        .iter()
        .find(|t| t.key == key)
        .and_then(|t| t.value.as_deref())
        .unwrap_or_else(|| panic!("no {key} tag on {m:#?}"))
}

/// Asserts `t` is a server-time value: `YYYY-MM-DDThh:mm:ss.sssZ`, UTC.
fn assert_time_format(t: &str) {
    let b = t.as_bytes();
    let digits = |r: std::ops::Range<usize>| r.into_iter().all(|i| b[i].is_ascii_digit());
    assert!(
        b.len() == 24
            && digits(0..4)
            && b[4] == b'-'
            && digits(5..7)
            && b[7] == b'-'
            && digits(8..10)
            && b[10] == b'T'
            && digits(11..13)
            && b[13] == b':'
            && digits(14..16)
            && b[16] == b':'
            && digits(17..19)
            && b[19] == b'.'
            && digits(20..23)
            && b[23] == b'Z',
        "not YYYY-MM-DDThh:mm:ss.sssZ: {t:?}"
    );
    let (month, day, hour, min, sec) = (&t[5..7], &t[8..10], &t[11..13], &t[14..16], &t[17..19]);
    assert!(("01"..="12").contains(&month), "{t}");
    assert!(("01"..="31").contains(&day), "{t}");
    assert!(hour < "24" && min < "60" && sec < "61", "{t}");
}

// ---- client-only tags ----

#[test]
fn client_only_tags_are_relayed_on_privmsg_and_notice_to_message_tags_clients() {
    let server = TestServer::start();
    let mut alice = client_with(&server, "alice", "message-tags");
    let mut bob = client_with(&server, "bob", "message-tags");
    let mut carol = server.client("carol");
    join_all("#c", &mut [&mut alice, &mut bob, &mut carol]);
    // The message-tags spec's own example value, escaped on the wire:
    // raw `raw+:=,escaped; \`.
    for cmd in ["PRIVMSG", "NOTICE"] {
        let sent =
            format!("@+example=raw+:=,escaped\\:\\s\\\\;+example.com/reply=123 {cmd} #c :tagged");
        assert!(alice.ask(&sent).is_empty());
        let r = bob.sync();
        let m = only(&r, &src("alice"), cmd, &["#c", "tagged"]);
        let id = tag(m, "msgid");
        assert_eq!(
            tags(m),
            [
                ("msgid", Some(id)),
                ("+example", Some("raw+:=,escaped; \\")),
                ("+example.com/reply", Some("123")),
            ],
            "server tags come first, client tags as sent: {m:#?}"
        );
        // Without the capability: the plain line, no tags at all.
        let r = carol.sync();
        only_untagged(&r, &src("alice"), cmd, &["#c", "tagged"]);
    }
    // The same to a nick.
    assert!(alice.ask("@+x=1 PRIVMSG bob :direct").is_empty());
    let r = bob.sync();
    let m = only(&r, &src("alice"), "PRIVMSG", &["bob", "direct"]);
    assert_eq!(tags(m)[1..], [("+x", Some("1"))]);
    assert!(alice.ask("@+x=1 PRIVMSG carol :direct").is_empty());
    let r = carol.sync();
    only_untagged(&r, &src("alice"), "PRIVMSG", &["carol", "direct"]);
}

#[test]
fn tagmsg_reaches_only_message_tags_clients() {
    let server = TestServer::start();
    let mut alice = client_with(&server, "alice", "message-tags");
    let mut bob = client_with(&server, "bob", "message-tags");
    let mut carol = server.client("carol");
    join_all("#c", &mut [&mut alice, &mut bob, &mut carol]);
    assert!(alice.ask("@+typing=active TAGMSG #c").is_empty());
    let r = bob.sync();
    let m = only(&r, &src("alice"), "TAGMSG", &["#c"]);
    assert_eq!(
        tags(m),
        [
            ("msgid", Some(tag(m, "msgid"))),
            ("+typing", Some("active"))
        ]
    );
    // "Servers MUST NOT deliver TAGMSG to clients that haven't negotiated
    // the message tags capability."
    carol.assert_quiet();
    // To nicks: delivered to bob, silently not to carol (no error either).
    assert!(alice.ask("@+typing=paused TAGMSG bob,carol").is_empty());
    let r = bob.sync();
    let m = only(&r, &src("alice"), "TAGMSG", &["bob"]);
    assert_eq!(tags(m)[1..], [("+typing", Some("paused"))]);
    carol.assert_quiet();
    // TAGMSG follows PRIVMSG's rules: errors for missing targets.
    let r = alice.ask("@+typing=done TAGMSG nobody");
    only(
        &r,
        SERVER,
        "401",
        &["alice", "nobody", "No such nick/channel"],
    );
}

#[test]
fn tags_without_the_client_only_prefix_are_not_relayed() {
    let server = TestServer::start();
    let mut alice = client_with(&server, "alice", "message-tags");
    let mut bob = client_with(&server, "bob", "message-tags server-time");
    // Unknown vendor tags, and attempts to forge server tags: all dropped
    // ("Tags without the client-only prefix MUST be removed by the server
    // before being relayed"); the server's own msgid and time are used.
    let sent = "@example.com/foo=bar;msgid=forged;time=2000-01-01T00:00:00.000Z;\
                account=mallory;bot;+ok=yes PRIVMSG bob :hi";
    assert!(alice.ask(sent).is_empty());
    let r = bob.sync();
    let m = only(&r, &src("alice"), "PRIVMSG", &["bob", "hi"]);
    let keys: Vec<&str> = m.tags.iter().map(|t| t.key.as_str()).collect();
    assert_eq!(keys, ["time", "msgid", "+ok"], "{m:#?}");
    assert_ne!(tag(m, "msgid"), "forged");
    assert_ne!(tag(m, "time"), "2000-01-01T00:00:00.000Z");
    assert_eq!(tag(m, "+ok"), "yes");
}

#[test]
fn client_only_tags_from_a_client_without_message_tags_are_dropped() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    let mut bob = client_with(&server, "bob", "message-tags");
    assert!(alice.ask("@+sneaky=1 PRIVMSG bob :hi").is_empty());
    let r = bob.sync();
    let m = only(&r, &src("alice"), "PRIVMSG", &["bob", "hi"]);
    let keys: Vec<&str> = m.tags.iter().map(|t| t.key.as_str()).collect();
    assert_eq!(keys, ["msgid"], "{m:#?}");
}

// ---- msgid ----

#[test]
fn msgid_is_shared_by_every_copy_and_unique_per_message() {
    let server = TestServer::start();
    let mut alice = client_with(&server, "alice", "message-tags echo-message");
    let mut bob = client_with(&server, "bob", "message-tags");
    let mut carol = client_with(&server, "carol", "message-tags server-time");
    let mut dave = server.client("dave");
    join_all("#c", &mut [&mut alice, &mut bob, &mut carol, &mut dave]);
    let mut seen = Vec::new();
    for (line, cmd, expected) in [
        ("PRIVMSG #c :one", "PRIVMSG", vec!["#c", "one"]),
        ("NOTICE #c :two", "NOTICE", vec!["#c", "two"]),
        ("@+react=1 TAGMSG #c", "TAGMSG", vec!["#c"]),
        ("PRIVMSG #c :one", "PRIVMSG", vec!["#c", "one"]),
    ] {
        // The echo is alice's only reply.
        let echo = alice.ask(line);
        let id = tag(only(&echo, &src("alice"), cmd, &expected), "msgid").to_string();
        for c in [&mut bob, &mut carol] {
            let r = c.sync();
            let m = only(&r, &src("alice"), cmd, &expected);
            assert_eq!(tag(m, "msgid"), id, "[{}] {line}", c.nick);
        }
        if cmd == "TAGMSG" {
            dave.assert_quiet();
        } else {
            // msgid is a message tag: only for message-tags clients.
            let r = dave.sync();
            only_untagged(&r, &src("alice"), cmd, &expected);
        }
        assert!(
            !id.is_empty() && !seen.contains(&id),
            "{id} repeats {seen:?}"
        );
        seen.push(id);
    }
    // Private messages get one too, and differ from the channel's.
    let echo = alice.ask("PRIVMSG bob :private");
    let id = tag(
        only(&echo, &src("alice"), "PRIVMSG", &["bob", "private"]),
        "msgid",
    );
    let r = bob.sync();
    assert_eq!(
        tag(
            only(&r, &src("alice"), "PRIVMSG", &["bob", "private"]),
            "msgid"
        ),
        id
    );
    assert!(!seen.iter().any(|s| s == id));
}

// ---- server-time ----

#[test]
fn server_time_tags_every_copy_with_the_same_utc_millisecond_time() {
    let server = TestServer::start();
    let mut alice = client_with(&server, "alice", "server-time echo-message");
    let mut bob = client_with(&server, "bob", "server-time");
    let mut carol = client_with(&server, "carol", "server-time message-tags");
    let mut dave = server.client("dave");
    join_all("#c", &mut [&mut alice, &mut bob, &mut carol, &mut dave]);
    let echo = alice.ask("PRIVMSG #c :when?");
    let m = only(&echo, &src("alice"), "PRIVMSG", &["#c", "when?"]);
    assert_eq!(m.tags[0].key, "time", "{m:#?}");
    let time = tag(m, "time").to_string();
    assert_time_format(&time);
    let r = bob.sync();
    let m = only(&r, &src("alice"), "PRIVMSG", &["#c", "when?"]);
    assert_eq!(tags(m), [("time", Some(time.as_str()))]);
    let r = carol.sync();
    let m = only(&r, &src("alice"), "PRIVMSG", &["#c", "when?"]);
    assert_eq!(tag(m, "time"), time);
    let r = dave.sync();
    only_untagged(&r, &src("alice"), "PRIVMSG", &["#c", "when?"]);

    // Not only messages: a JOIN is stamped too (for the joiner as well).
    let mut eve = client_with(&server, "eve", "server-time");
    let r = eve.ask("JOIN #c");
    let join = &r[0];
    assert_eq!((join.command.as_str(), params(join)), ("JOIN", vec!["#c"]));
    let t = tag(join, "time").to_string();
    assert_time_format(&t);
    let r = bob.sync();
    let m = only(&r, &src("eve"), "JOIN", &["#c"]);
    assert_eq!(tag(m, "time"), t);
    let r = dave.sync();
    only_untagged(&r, &src("eve"), "JOIN", &["#c"]);
}

// ---- echo-message ----

#[test]
fn echo_message_returns_channel_and_private_messages_to_the_sender() {
    let server = TestServer::start();
    let mut alice = client_with(&server, "alice", "echo-message");
    let mut bob = server.client("bob");
    join_all("#c", &mut [&mut alice, &mut bob]);
    for (line, cmd, expected) in [
        ("PRIVMSG #c :hello", "PRIVMSG", vec!["#c", "hello"]),
        ("NOTICE #c :hello", "NOTICE", vec!["#c", "hello"]),
        ("PRIVMSG bob :psst", "PRIVMSG", vec!["bob", "psst"]),
        ("NOTICE BOB :psst", "NOTICE", vec!["bob", "psst"]),
    ] {
        let echo = alice.ask(line);
        only_untagged(&echo, &src("alice"), cmd, &expected);
        let r = bob.sync();
        only(&r, &src("alice"), cmd, &expected);
    }
    // Without echo-message, nothing comes back; refused messages are not
    // echoed either.
    assert!(bob.ask("PRIVMSG #c :hi").is_empty());
    let r = alice.sync();
    only(&r, &src("bob"), "PRIVMSG", &["#c", "hi"]);
    let r = alice.ask("PRIVMSG nobody :lost");
    only(
        &r,
        SERVER,
        "401",
        &["alice", "nobody", "No such nick/channel"],
    );
}

#[test]
fn echo_message_with_labeled_response_labels_only_the_echo() {
    let server = TestServer::start();
    let mut alice = client_with(
        &server,
        "alice",
        "echo-message labeled-response batch message-tags",
    );
    let mut bob = client_with(&server, "bob", "message-tags");
    join_all("#c", &mut [&mut alice, &mut bob]);
    for (line, cmd, expected) in [
        ("@label=c1 PRIVMSG #c :hi", "PRIVMSG", vec!["#c", "hi"]),
        ("@label=c2;+draft/react=x TAGMSG #c", "TAGMSG", vec!["#c"]),
        ("@label=p1 PRIVMSG bob :hi", "PRIVMSG", vec!["bob", "hi"]),
    ] {
        let label = &line[7..9];
        let echo = alice.ask(line);
        let m = only(&echo, &src("alice"), cmd, &expected);
        assert_eq!(m.tags[0].key, "label", "label comes first: {m:#?}");
        assert_eq!(tag(m, "label"), label);
        let id = tag(m, "msgid");
        let r = bob.sync();
        let got = only(&r, &src("alice"), cmd, &expected);
        assert_eq!(tag(got, "msgid"), id);
        assert!(got.tags.iter().all(|t| t.key != "label"), "{got:#?}");
    }
}

#[test]
fn labeled_message_without_echo_is_acknowledged() {
    let server = TestServer::start();
    let mut alice = client_with(&server, "alice", "labeled-response batch");
    let mut bob = server.client("bob");
    let r = alice.ask("@label=q PRIVMSG bob :hi");
    let ack = only(&r, SERVER, "ACK", &[]);
    assert_eq!(tags(ack), [("label", Some("q"))]);
    let r = bob.sync();
    only_untagged(&r, &src("alice"), "PRIVMSG", &["bob", "hi"]);
}

#[test]
fn message_to_oneself_is_delivered_and_only_the_echo_is_labeled() {
    // labeled-response: "When a client sends a message to itself, the
    // server MUST NOT include the label tag, except for any acknowledgment
    // sent with the echo-message mechanism."
    let server = TestServer::start();
    let mut plain = client_with(&server, "plain", "labeled-response batch");
    let r = plain.ask("@label=s1 PRIVMSG plain :note to self");
    assert_eq!(r.len(), 2, "the delivery and an ACK: {r:#?}");
    let delivered = r
        .iter()
        .find(|m| m.command == "PRIVMSG")
        .expect("delivered");
    assert_eq!(params(delivered), ["plain", "note to self"]);
    assert!(delivered.tags.is_empty(), "{delivered:#?}");
    let ack = r.iter().find(|m| m.command == "ACK").expect("ACK");
    assert_eq!(tags(ack), [("label", Some("s1"))]);

    let mut echo = client_with(&server, "echo", "labeled-response batch echo-message");
    let r = echo.ask("@label=s2 PRIVMSG echo :note to self");
    assert_eq!(r.len(), 2, "the delivery and the labeled echo: {r:#?}");
    for m in &r {
        assert_eq!(m.source.as_deref(), Some(src("echo").as_str()));
        assert_eq!(
            (m.command.as_str(), params(m)),
            ("PRIVMSG", vec!["echo", "note to self"])
        );
    }
    let labeled: Vec<_> = r.iter().filter(|m| !m.tags.is_empty()).collect();
    assert_eq!(labeled.len(), 1, "{r:#?}");
    assert_eq!(tags(labeled[0]), [("label", Some("s2"))]);

    // Unlabeled: once without echo-message, twice (sent and received) with.
    let r = plain.ask("PRIVMSG plain :again");
    only(&r, &src("plain"), "PRIVMSG", &["plain", "again"]);
    let r = echo.ask("PRIVMSG echo :again");
    assert_eq!(r.len(), 2, "{r:#?}");
}

// ---- bot mode ----

#[test]
fn bot_mode_marks_messages_whois_and_who() {
    let server = TestServer::start();
    let mut alice = client_with(&server, "alice", "message-tags");
    let mut robo = server.client("robo");
    let mut carol = server.client("carol");
    // ISUPPORT advertises the mode letter.
    let tokens = isupport(&server);
    assert!(tokens.iter().any(|t| t == "BOT=B"), "{tokens:?}");

    join_all("#c", &mut [&mut alice, &mut robo, &mut carol]);
    let r = robo.ask("MODE robo +B");
    only(&r, "robo", "MODE", &["robo", "+B"]);
    assert!(robo.ask("PRIVMSG #c :beep").is_empty());
    let r = alice.sync();
    let m = only(&r, &src("robo"), "PRIVMSG", &["#c", "beep"]);
    assert_eq!(tags(m), [("msgid", Some(tag(m, "msgid"))), ("bot", None)]);
    // The tag is only for message-tags clients.
    let r = carol.sync();
    only_untagged(&r, &src("robo"), "PRIVMSG", &["#c", "beep"]);
    // On every message kind.
    assert!(robo.ask("NOTICE alice :boop").is_empty());
    let r = alice.sync();
    let m = only(&r, &src("robo"), "NOTICE", &["alice", "boop"]);
    assert!(m.tags.iter().any(|t| t.key == "bot" && t.value.is_none()));

    // WHOIS: RPL_WHOISBOT (335) <nick> <target> :<text>.
    let r = carol.ask("WHOIS robo");
    let bot = one(&r, "335");
    assert_eq!(params(bot)[..2], ["carol", "robo"]);
    assert_eq!(bot.params.len(), 3, "{bot:#?}");
    // WHO: the BOT letter among the flags.
    let r = carol.ask("WHO #c");
    let rows: Vec<(&str, &str)> = with_command(&r, "352")
        .iter()
        .map(|m| (m.params[5].as_str(), m.params[6].as_str()))
        .collect();
    assert!(rows.contains(&("robo", "HB")), "{rows:?}");
    assert!(rows.contains(&("carol", "H")), "{rows:?}");

    // And off again.
    let r = robo.ask("MODE robo -B");
    only(&r, "robo", "MODE", &["robo", "-B"]);
    assert!(robo.ask("PRIVMSG #c :human now").is_empty());
    let r = alice.sync();
    let m = only(&r, &src("robo"), "PRIVMSG", &["#c", "human now"]);
    assert!(m.tags.iter().all(|t| t.key != "bot"), "{m:#?}");
    assert!(with_command(&carol.ask("WHOIS robo"), "335").is_empty());
}

#[test]
fn clienttagdeny_drops_denied_client_tags_and_is_advertised() {
    let server = TestServer::with_config(|c| {
        c.limits.client_tag_deny = vec!["*".into(), "-typing".into()];
    });
    let mut alice = client_with(&server, "alice", "message-tags");
    let mut bob = client_with(&server, "bob", "message-tags");
    let tokens = isupport(&server);
    assert!(
        tokens.iter().any(|t| t == "CLIENTTAGDENY=*,-typing"),
        "{tokens:?}"
    );
    alice.ask("@+typing=active;+draft/react=lol PRIVMSG bob :hi");
    let got = bob.expect("PRIVMSG");
    let client_tags: Vec<&str> = got
        .tags
        .iter()
        .filter(|t| t.key.starts_with('+'))
        .map(|t| t.key.as_str())
        .collect();
    assert_eq!(client_tags, ["+typing"], "{got:?}");
    // Only denied tags: a TAGMSG has nothing left to carry.
    assert!(alice.ask("@+draft/react=lol TAGMSG bob").is_empty());
    bob.assert_quiet();
}
