//! The IM front end across linked servers (issue 10): IM users on one
//! server and IRC or IM users on another share a conversation, and
//! ONLINE_USERS lists the whole network.

mod common;
use common::*;

use std::net::SocketAddr;

use natter_proto::im::Reply;
use natter_server::config::LinkBlock;

/// A server named `name` with a link listener and an IM listener, linked
/// to `peer` (connecting to `address` when given).
fn node(name: &str, peer: &str, address: Option<SocketAddr>) -> TestServer {
    TestServer::with_config(|c| {
        c.server.name = name.into();
        c.listen.link = vec!["127.0.0.1:0".parse().unwrap()];
        c.links.push(LinkBlock {
            name: peer.into(),
            address: address.map(|a| a.to_string()),
            send_password: "pw".into(),
            receive_password: cheap_hash("pw"),
            autoconnect: address.is_some(),
            tls: false,
            fingerprint: None,
        });
    })
}

/// Reads `im`'s ONLINE_USERS (one comes with every change) until one
/// lists every `(user, status)` of `want`.
fn wait_online(im: &mut Im, want: &[(&str, &str)]) {
    loop {
        let online = im.online();
        let all = want
            .iter()
            .all(|(u, s)| online.get(*u).map(String::as_str) == Some(*s));
        if all {
            return;
        }
    }
}

#[test]
fn im_users_on_two_servers_and_an_irc_user_share_a_conversation() {
    let a = node("a.test", "b.test", None);
    let b = node("b.test", "a.test", a.link_addr);
    let mut ann = Im::register(&a, "ann", "online");
    let mut ben = Im::register(&b, "ben", "busy");
    let mut carl = b.client("carl");
    // Presence covers the whole network, statuses included.
    wait_online(&mut ann, &[("ben", "busy"), ("carl", "online")]);
    wait_online(&mut ben, &[("ann", "online")]);
    // ann (on a) starts a conversation with ben (IM) and carl (IRC), both
    // on b: the invitations cross the link and both join.
    let conv = ann.invite(&["ben", "carl"]);
    ann.join(conv);
    let bens = ben.expect_invitation("ann");
    ben.join(bens);
    // The conversation is a channel named after a's server (two servers
    // apart during a split cannot pick the same one): carl, on IRC, is
    // invited to it.
    let channel = format!("#conv-a-{conv}");
    let invite = carl.expect("INVITE");
    assert_eq!(invite.params[1], channel);
    carl.send(&format!("JOIN {channel}"));
    carl.expect("366");
    // Their joins have crossed to a once ann's list shows them.
    let deadline = std::time::Instant::now() + TIMEOUT;
    while ann.conversations().get(&conv).map(Vec::len) != Some(3) {
        assert!(
            std::time::Instant::now() < deadline,
            "ben and carl never joined on a"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    // Everyone hears everyone, across the link.
    ann.send(&format!("SEND_MESSAGE [{conv}, \"hello from a\"]"));
    let m = ben.expect("MESSAGE", |r| matches!(r, Reply::Message(..)));
    assert_eq!(m, Reply::Message(bens, "ann".into(), "hello from a".into()));
    let m = carl.expect("PRIVMSG");
    assert_eq!(m.params, [channel.clone(), "hello from a".into()]);
    carl.send(&format!("PRIVMSG {channel} :and from IRC"));
    let m = ann.expect(
        "MESSAGE",
        |r| matches!(r, Reply::Message(_, from, _) if from == "carl"),
    );
    assert_eq!(
        m,
        Reply::Message(conv, "carl".into(), "and from IRC".into())
    );
    let m = ben.expect(
        "MESSAGE",
        |r| matches!(r, Reply::Message(_, from, _) if from == "carl"),
    );
    assert_eq!(
        m,
        Reply::Message(bens, "carl".into(), "and from IRC".into())
    );
}

#[test]
fn an_invitation_from_another_server_waits_for_a_join_and_ends_with_its_inviter() {
    let a = node("a.test", "b.test", None);
    let b = node("b.test", "a.test", a.link_addr);
    let mut ann = Im::register(&a, "ann", "online");
    let mut ben = Im::register(&b, "ben", "online");
    let mut carl = b.client("carl");
    wait_online(&mut ann, &[("ben", "online"), ("carl", "online")]);
    wait_online(&mut ben, &[("ann", "online")]);
    // Two invitations from ann on a; on b nobody has joined their channels.
    ann.invite(&["ben"]);
    let first = ben.expect_invitation("ann");
    ann.invite(&["ben"]);
    let second = ben.expect_invitation("ann");
    // Joins and parts of other channels on b leave them alone.
    carl.send("JOIN #elsewhere");
    carl.expect("366");
    carl.send("PART #elsewhere");
    carl.expect("PART");
    ben.join(first);
    // ann goes: the invitation nobody joined goes with her on b too; the
    // one ben joined stays.
    ann.send("GOODBYE");
    ann.read_until_closed();
    while ben.online().contains_key("ann") {}
    assert_eq!(
        ben.error_of(&format!("JOIN [{second}]")),
        format!("no such conversation {second}")
    );
    assert_eq!(ben.conversations().get(&first).map(Vec::len), Some(1));
}
