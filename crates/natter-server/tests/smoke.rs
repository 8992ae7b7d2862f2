//! The shortest end-to-end path: two users register, meet in a channel and talk.

mod common;
use common::*;

#[test]
fn two_users_chat_in_a_channel() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    let mut bob = server.client("bob");
    alice.send("JOIN #natter");
    let join = alice.expect("JOIN");
    assert_eq!(join.source.as_deref(), Some("alice!~alice@127.0.0.1"));
    bob.send("JOIN #natter");
    bob.expect("366");
    alice.expect("JOIN");
    bob.send("PRIVMSG #natter :hello, alice");
    let msg = alice.expect("PRIVMSG");
    assert_eq!(msg.params, vec!["#natter", "hello, alice"]);
    assert_eq!(msg.source.as_deref(), Some("bob!~bob@127.0.0.1"));
    // The sender does not get its own message back.
    bob.assert_quiet();
}
