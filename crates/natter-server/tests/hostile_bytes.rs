//! Bytes no client may send (issue 13): a NUL anywhere in an IRC line,
//! which Modern IRC's grammar forbids, is answered with an error and never
//! relayed; in the IM protocol a raw NUL is not JSON, and JSON's `\u0000`
//! becomes a space (docs/im-protocol.md), so no NUL reaches IRC.

mod common;
use common::*;

#[test]
fn an_irc_line_with_a_nul_is_refused_and_not_relayed() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    let mut bob = server.client("bob");
    join_all("#nul", &mut [&mut alice, &mut bob]);
    alice.ask("TOPIC #nul :clean topic");
    bob.sync();

    alice.send_raw(b"PRIVMSG #nul :hello\0world\r\n");
    let got = alice.sync();
    assert_eq!(got.len(), 1, "{got:?}");
    assert_numeric(
        &got[0],
        "400",
        &["alice", "PRIVMSG", "Message contains a NUL byte"],
    );
    alice.send_raw(b"TOPIC #nul :bad\0topic\r\n");
    assert_eq!(params(&alice.sync()[0])[1], "TOPIC");
    alice.send_raw(b"PRIVMSG bob :private\0text\r\n");
    alice.sync();
    // bob saw none of it, and the topic is unchanged.
    assert!(bob.sync().is_empty());
    let topic = bob.ask("TOPIC #nul");
    assert_eq!(params(one(&topic, "332"))[2], "clean topic");
    // The connection goes on.
    alice.send("PRIVMSG #nul :fine");
    assert_eq!(bob.expect("PRIVMSG").params, ["#nul", "fine"]);
}

#[test]
fn no_nul_from_an_im_client_reaches_irc() {
    let server = TestServer::start();
    let mut ann = Im::register(&server, "ann", "online");
    let mut bob = server.client("bob");
    let id = ann.invite(&["ann"]);
    ann.join(id);
    bob.send(&format!("JOIN #conv-{id}"));
    bob.expect("366");
    ann.sync();
    ann.send_raw(format!("SEND_MESSAGE [{id}, \"raw\0nul\"]\n").as_bytes());
    let got = ann.sync();
    assert!(
        matches!(got.as_slice(), [natter_proto::im::Reply::Error(e)] if e.starts_with("invalid JSON")),
        "{got:?}"
    );
    ann.say(id, "a\u{0}b");
    assert_eq!(
        bob.expect("PRIVMSG").params,
        [format!("#conv-{id}"), "a b".into()]
    );
    assert!(bob.sync().is_empty());
    ann.say(id, "clean");
    assert_eq!(
        bob.expect("PRIVMSG").params,
        [format!("#conv-{id}"), "clean".into()]
    );
}
