//! IM and IRC users in one conversation, IRC private messages as direct
//! conversations, WHOIS and INVITE across the protocols, one namespace for
//! names, conversation IDs never reused, and LIST_CONVERSATIONS.

use super::*;

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

    // With user mode +R, carol takes messages only from accounts: alice
    // has none, and is told so.
    carol.ask("MODE carol +R");
    assert_eq!(
        alice.error_of(r#"SEND_MESSAGE [1, "x"]"#),
        "carol takes messages only from users logged in to an account"
    );
    carol.assert_quiet();
    carol.ask("MODE carol -R");

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

#[test]
fn a_conversation_on_an_irc_channel_ends_with_the_channel() {
    let server = start();
    let mut carol = server.client("carol");
    let mut dan = server.client("dan");
    let mut alice = Im::register(&server, "alice", "online");
    alice.sync();
    // carol's #talk becomes a conversation when she invites alice; carol
    // was in it before that, and quitting takes the channel with her.
    carol.send("JOIN #talk");
    carol.expect("366");
    carol.send("INVITE alice #talk");
    let talk = alice.expect_invitation("carol");
    carol.send("QUIT :bye");
    carol.read_until_closed();
    alice.online();
    assert_eq!(
        alice.error_of(&format!("JOIN [{talk}]")),
        format!("no such conversation {talk}")
    );

    // The last member kicked out of a channel ends it too (dan kicks
    // alice, then parts).
    dan.send("JOIN #den");
    dan.expect("366");
    dan.send("INVITE alice #den");
    let den = alice.expect_invitation("dan");
    alice.join(den);
    dan.send("KICK #den alice");
    dan.expect("KICK");
    dan.send("PART #den");
    dan.expect("PART");
    assert_eq!(
        alice.error_of(&format!("JOIN [{den}]")),
        format!("no such conversation {den}")
    );
    assert_eq!(alice.conversations(), convs(&[]));
}
