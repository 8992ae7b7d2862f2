//! ChanServ end to end: registering a channel, a takeover attempt refused,
//! ops and voice by the access list, the topic lock, state kept while
//! empty and across a restart, and dropping.

mod common;

use common::*;
use natter_proto::Message;

/// A client registered as `nick` and logged in to a fresh account of that
/// name (registered through NickServ on this connection).
fn owner(server: &TestServer, nick: &str) -> Client {
    let mut c = server.client(nick);
    let got = c.ask(&format!("NS REGISTER {nick}-password"));
    assert!(got.iter().any(|m| m.command == "900"), "{got:#?}");
    c
}

/// Logs `c` in to its nick's account.
fn identify(c: &mut Client) {
    let nick = c.nick.clone();
    let got = c.ask(&format!("NS IDENTIFY {nick}-password"));
    assert!(got.iter().any(|m| m.command == "900"), "{got:#?}");
}

/// ChanServ's NOTICE texts among `got`.
fn cs(got: &[Message]) -> Vec<String> {
    got.iter()
        .filter(|m| {
            m.command == "NOTICE"
                && m.source
                    .as_deref()
                    .is_some_and(|s| s.starts_with("ChanServ!"))
        })
        .map(|m| m.params[1].clone())
        .collect()
}

/// The NAMES line of a JOIN's replies.
fn names(got: &[Message]) -> String {
    one(got, "353").params[3].clone()
}

#[test]
fn a_registered_channel_resists_takeover_and_keeps_its_state() {
    let data = tempfile::tempdir().unwrap();
    let dir = data.path().to_path_buf();
    {
        let server = TestServer::with_config(|c| c.server.data_dir = dir.clone());
        let mut alice = owner(&server, "alice");
        alice.ask("JOIN #reg");
        // Only a logged-in operator of the channel may register it.
        let mut bob = owner(&server, "bob");
        bob.ask("JOIN #reg");
        assert_eq!(
            cs(&bob.ask("CS REGISTER #reg")),
            ["You must be an operator of #reg to register it"]
        );
        assert_eq!(
            cs(&alice.ask("PRIVMSG ChanServ :REGISTER #reg")),
            ["#reg is registered to you"]
        );
        assert_eq!(
            cs(&bob.ask("CS REGISTER #reg")),
            ["#reg is already registered"]
        );
        alice.ask("TOPIC #reg :kept across restarts");
        alice.ask("MODE #reg +m");
        alice.ask("MODE #reg +b *!*@bad.example");
        // The founder gives bob voice on the list; on his next join
        // ChanServ voices him.
        assert_eq!(
            cs(&alice.ask("CS ACCESS #reg ADD bob voice")),
            ["bob now has voice access to #reg"]
        );
        bob.ask("PART #reg");
        bob.send("JOIN #reg");
        let mode = bob.expect("MODE");
        assert_eq!(
            mode.source.as_deref(),
            Some("ChanServ!ChanServ@natter.local")
        );
        assert_eq!(params(&mode), ["#reg", "+v", "bob"]);
        bob.sync();
        // Everyone leaves: the channel stays.
        alice.ask("PART #reg");
        bob.ask("PART #reg");
        let mut mallory = server.client("mallory");
        let got = mallory.ask("JOIN #reg");
        assert_eq!(names(&got), "mallory", "no op for whoever joins first");
        assert_eq!(params(one(&got, "332"))[2], "kept across restarts");
        let got = mallory.ask("MODE #reg -m");
        assert_eq!(one(&got, "482").command, "482");
        let got = mallory.ask("CS OP #reg");
        assert_eq!(cs(&got), ["You need op access to #reg for that"]);
    }
    // A restart: the channel is there before anyone joins, with its state.
    let server = TestServer::with_config(|c| c.server.data_dir = dir.clone());
    let mut alice = server.client("alice");
    alice.sync();
    identify(&mut alice);
    let got = alice.ask("LIST #reg");
    assert_eq!(params(one(&got, "322"))[1..3], ["#reg", "0"]);
    let got = alice.ask("JOIN #reg");
    assert_eq!(names(&got), "@alice", "the founder is op on join");
    assert_msg(
        one(&got, "MODE"),
        "ChanServ!ChanServ@natter.local",
        "MODE",
        &["#reg", "+o", "alice"],
    );
    assert_eq!(params(one(&got, "332"))[2], "kept across restarts");
    let got = alice.ask("MODE #reg");
    assert_eq!(params(one(&got, "324"))[2], "+mnt");
    let got = alice.ask("MODE #reg b");
    assert_eq!(params(one(&got, "367"))[2], "*!*@bad.example");
    let got = alice.ask("CS INFO #reg");
    assert_eq!(cs(&got)[..2], ["Channel: #reg", "Founder: alice"]);
    // Bob's voice survived too.
    let mut bob = server.client("bob");
    bob.sync();
    identify(&mut bob);
    bob.send("JOIN #reg");
    assert_eq!(params(&bob.expect("MODE")), ["#reg", "+v", "bob"]);
}

#[test]
fn access_ops_topic_lock_and_drop() {
    let server = TestServer::start();
    let mut alice = owner(&server, "alice");
    let mut carl = owner(&server, "carl");
    alice.ask("JOIN #t");
    alice.ask("CS REGISTER #t");
    carl.ask("JOIN #t");
    // An op without access cannot change a locked topic.
    alice.ask("MODE #t +o carl");
    carl.sync();
    assert_eq!(
        cs(&alice.ask("CS SET #t TOPICLOCK ON")),
        ["Topic lock of #t is now on"]
    );
    let got = carl.ask("TOPIC #t :mine now");
    assert_eq!(
        params(one(&got, "482"))[2],
        "The topic is locked by ChanServ"
    );
    // Op access: ChanServ OP works, and op on join.
    assert_eq!(
        cs(&carl.ask("CS OP #t")),
        ["You need op access to #t for that"]
    );
    alice.ask("CS ACCESS #t ADD carl op");
    carl.ask("TOPIC #t :allowed now");
    let got = carl.ask("CS DEOP #t alice");
    assert_msg(
        one(&got, "MODE"),
        "ChanServ!ChanServ@natter.local",
        "MODE",
        &["#t", "-o", "alice"],
    );
    carl.ask("PART #t");
    let got = carl.ask("JOIN #t");
    assert_eq!(
        names(&got).split(' ').find(|n| n.ends_with("carl")),
        Some("@carl")
    );
    let got = alice.ask("CS ACCESS #t LIST");
    assert_eq!(
        cs(&got),
        ["Access list of #t:", "  alice founder", "  carl op"]
    );
    // SET MODES through ChanServ.
    alice.ask("CS SET #t MODES +s-n");
    let got = alice.ask("MODE #t");
    assert_eq!(params(one(&got, "324"))[2], "+st");
    // Only the founder drops; then the empty channel goes.
    assert_eq!(
        cs(&carl.ask("CS DROP #t")),
        ["Only the founder can drop a channel"]
    );
    assert_eq!(cs(&alice.ask("CS DROP #t")), ["#t is no longer registered"]);
    alice.ask("PART #t");
    carl.ask("PART #t");
    let got = alice.ask("LIST #t");
    assert!(with_command(&got, "322").is_empty(), "{got:#?}");
}
