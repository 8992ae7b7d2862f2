//! Server links between natter servers end to end (RFC 2813; issue 10):
//! real servers on ephemeral loopback ports linked into a tree, clients on
//! different servers. The burst, chat across hops in both directions and
//! in order, every propagated command with the right source, netsplits by
//! SQUIT and by a dying server and the rejoin, a nick collision made
//! during a split, a loop refused, a forged source dropped, `&` channels
//! kept local, a five-server star and a burst of 10,000 users.
//!
//! Links carry lines in order along the tree, so "a line from X reached Y"
//! proves everything X sent before reached Y too: the tests wait for a
//! marker line instead of sleeping.

mod common;
use common::links::*;
use common::*;

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use natter_proto::im::Reply;
use natter_proto::Message;
use natter_server::config::LinkBlock;

/// Reads until a message `pred` accepts, returning it.
fn wait_for(c: &mut Client, what: &str, pred: impl Fn(&Message) -> bool) -> Message {
    let mut skipped = Vec::new();
    loop {
        let Some(line) = c.recv_line() else {
            panic!(
                "[{}] closed while waiting for {what}; skipped {skipped:#?}",
                c.nick
            );
        };
        let m = Message::parse(&line).expect("parsable");
        if pred(&m) {
            return m;
        }
        skipped.push(line);
    }
}

/// Reads until `from` sends `text` (a PRIVMSG), returning what came before.
fn until_said(c: &mut Client, from: &str, text: &str) -> Vec<Message> {
    let mut before = Vec::new();
    loop {
        let m = c.recv();
        let done = m.command == "PRIVMSG"
            && m.source
                .as_deref()
                .is_some_and(|s| s.starts_with(&format!("{from}!")))
            && m.params.last().map(String::as_str) == Some(text);
        if done {
            return before;
        }
        before.push(m);
    }
}

/// Makes sure everything `from` sent so far reached `to` (on another
/// server): a private marker message travels behind it along the tree.
/// `to` must be known on `from`'s server first (what `from` receives
/// meanwhile is dropped).
fn settle(from: &mut Client, to: &mut Client) {
    let to_nick = to.nick.clone();
    wait_user(from, &to_nick);
    let marker = format!("settle-{}", from.nick);
    from.send(&format!("PRIVMSG {} :{marker}", to.nick));
    let nick = from.nick.clone();
    until_said(to, &nick, &marker);
}

/// Three servers in a chain, a - b - c, b and c connecting up.
fn chain() -> (TestServer, TestServer, TestServer) {
    let a = node("a.test", 0, &[("b.test", None)]);
    let b = node("b.test", 0, &[("a.test", a.link_addr), ("c.test", None)]);
    let c = node("c.test", 0, &[("b.test", b.link_addr)]);
    (a, b, c)
}

#[test]
fn a_chain_of_three_bursts_and_chats_both_ways_in_order() {
    // a and b first, with a channel that has state; c joins later and
    // learns it from the burst.
    let a = node("a.test", 0, &[("b.test", None)]);
    let mut alice = a.client("alice");
    alice.ask("JOIN #t");
    alice.ask("TOPIC #t :the topic");
    alice.ask("MODE #t +k sesame");
    let b = node("b.test", 0, &[("a.test", a.link_addr), ("c.test", None)]);
    let mut bob = b.client("bob");
    wait_servers(&mut bob, 2);
    let c = node("c.test", 0, &[("b.test", b.link_addr)]);
    let mut carol = c.client("carol");
    wait_servers(&mut carol, 3);
    wait_servers(&mut alice, 3);
    wait_user(&mut carol, "alice");
    // The burst carried the channel: its key, topic and operator.
    let r = carol.ask("JOIN #t");
    assert_eq!(cmds(&r), ["475"], "{r:#?}");
    carol.send("JOIN #t sesame");
    carol.expect("366");
    let r = carol.ask("NAMES #t");
    assert_eq!(one(&r, "353").params[3], "@alice carol");
    let r = carol.ask("TOPIC #t");
    assert_eq!(one(&r, "332").params[2], "the topic");
    wait_for(&mut alice, "carol's JOIN", |m| m.command == "JOIN");
    // LINKS and LUSERS see the tree and every user.
    let r = carol.ask("LUSERS");
    assert_eq!(
        one(&r, "251").params[1],
        "There are 3 users and 0 invisible on 3 servers"
    );
    assert_eq!(one(&r, "255").params[1], "I have 1 clients and 1 servers");
    let r = carol.ask("WHOIS alice");
    assert_eq!(one(&r, "312").params[2..], ["a.test", "server a.test"]);
    // 200 lines each way, across two hops, in order and none lost.
    for i in 0..200 {
        alice.send(&format!("PRIVMSG #t :a{i}"));
        carol.send(&format!("PRIVMSG #t :c{i}"));
    }
    alice.send("PRIVMSG #t :a-end");
    carol.send("PRIVMSG #t :c-end");
    let got: Vec<String> = until_said(&mut carol, "alice", "a-end")
        .into_iter()
        .filter(|m| m.command == "PRIVMSG")
        .map(|m| m.params[1].clone())
        .collect();
    assert_eq!(got, (0..200).map(|i| format!("a{i}")).collect::<Vec<_>>());
    let got: Vec<String> = until_said(&mut alice, "carol", "c-end")
        .into_iter()
        .filter(|m| m.command == "PRIVMSG")
        .map(|m| m.params[1].clone())
        .collect();
    assert_eq!(got, (0..200).map(|i| format!("c{i}")).collect::<Vec<_>>());
    // A private message takes the path, both ways.
    alice.send("PRIVMSG carol :psst");
    let m = wait_for(&mut carol, "the private message", |m| {
        m.command == "PRIVMSG"
    });
    assert_eq!(m.source.as_deref(), Some(src("alice").as_str()));
    assert_eq!(m.params, ["carol", "psst"]);
    // bob on the middle server is in no channel and heard nothing.
    bob.assert_quiet();
    drop((a, b, c));
}

#[test]
fn propagated_commands_arrive_with_the_right_source() {
    let (a, _b, c) = chain();
    let mut alice = client_with(&a, "alice", "away-notify setname");
    let mut carol = client_with(&c, "carol", "away-notify setname");
    wait_servers(&mut alice, 3);
    alice.ask("JOIN #p");
    wait_user(&mut carol, "alice");
    settle(&mut alice, &mut carol);
    carol.send("JOIN #p");
    carol.expect("366");
    wait_for(&mut alice, "carol's JOIN", |m| m.command == "JOIN");
    let from = |m: &Message| m.source.clone().unwrap_or_default();
    // Each command from one side reaches the other with its source.
    alice.send("MODE #p +v carol");
    let m = wait_for(&mut carol, "MODE", |m| m.command == "MODE");
    assert_eq!(
        (from(&m), m.params.clone()),
        (src("alice"), vec!["#p".into(), "+v".into(), "carol".into()])
    );
    alice.send("TOPIC #p :hello all");
    let m = wait_for(&mut carol, "TOPIC", |m| m.command == "TOPIC");
    assert_eq!(
        (from(&m), m.params[1].as_str()),
        (src("alice"), "hello all")
    );
    carol.send("AWAY :lunch");
    let m = wait_for(&mut alice, "AWAY", |m| m.command == "AWAY");
    assert_eq!(
        (from(&m), m.params.clone()),
        (src("carol"), vec!["lunch".into()])
    );
    let r = alice.ask("WHOIS carol");
    assert_eq!(one(&r, "301").params[2], "lunch");
    carol.send("SETNAME :Carol C.");
    let m = wait_for(&mut alice, "SETNAME", |m| m.command == "SETNAME");
    assert_eq!(
        (from(&m), m.params.clone()),
        (src("carol"), vec!["Carol C.".into()])
    );
    carol.send("NICK caroline");
    let m = wait_for(&mut alice, "NICK", |m| m.command == "NICK");
    assert_eq!(
        (from(&m), m.params.clone()),
        (src("carol"), vec!["caroline".into()])
    );
    carol.nick = "caroline".into();
    carol.ask("PART #p :later");
    let m = wait_for(&mut alice, "PART", |m| m.command == "PART");
    assert_eq!(
        (m.source.unwrap(), m.params),
        (
            "caroline!~carol@127.0.0.1".into(),
            vec!["#p".into(), "later".into()]
        )
    );
    alice.send("INVITE caroline #p");
    let m = wait_for(&mut carol, "INVITE", |m| m.command == "INVITE");
    assert_eq!(
        (from(&m), m.params.clone()),
        (src("alice"), vec!["caroline".into(), "#p".into()])
    );
    carol.send("JOIN #p");
    wait_for(&mut alice, "the JOIN", |m| m.command == "JOIN");
    alice.send("KICK #p caroline :out");
    let m = wait_for(&mut carol, "KICK", |m| m.command == "KICK");
    assert_eq!(
        (from(&m), m.params.clone()),
        (
            src("alice"),
            vec!["#p".into(), "caroline".into(), "out".into()]
        )
    );
    // KILL from an operator on a reaches the user on c.
    carol.send("JOIN #p");
    wait_for(&mut alice, "the JOIN", |m| m.command == "JOIN");
    oper_up(&mut alice);
    alice.send("KILL caroline :enough");
    let lines = until_closed(&mut carol);
    assert!(
        lines
            .iter()
            .any(|m| m.command == "KILL" && from(m) == src("alice")),
        "{lines:#?}"
    );
    let m = wait_for(&mut alice, "QUIT", |m| m.command == "QUIT");
    assert_eq!(m.params, ["Killed (alice (enough))"]);
    let r = alice.ask("WHOIS caroline");
    assert!(cmds(&r).contains(&"401"), "{r:#?}");
}

#[test]
fn a_netsplit_by_squit_and_the_rejoin() {
    let (a, _b, c) = chain();
    let mut alice = a.client("alice");
    let mut carol = c.client("carol");
    wait_servers(&mut alice, 3);
    alice.ask("JOIN #s");
    alice.ask("TOPIC #s :kept");
    wait_user(&mut carol, "alice");
    settle(&mut alice, &mut carol);
    carol.send("JOIN #s");
    carol.expect("366");
    wait_for(&mut alice, "carol's JOIN", |m| m.command == "JOIN");
    let before = carol.ask("MODE #s");
    oper_up(&mut alice);
    // The a-b link breaks: carol is behind it.
    alice.send("SQUIT b.test :maintenance");
    let m = wait_for(&mut alice, "carol's QUIT", |m| m.command == "QUIT");
    assert_eq!(m.source.as_deref(), Some(src("carol").as_str()));
    assert_eq!(m.params, ["a.test b.test"]);
    let m = wait_for(&mut carol, "alice's QUIT", |m| m.command == "QUIT");
    assert_eq!(m.params, ["b.test a.test"]);
    // b connects again by itself (autoconnect); the burst restores both
    // sides, and each sees the other come back with a JOIN.
    wait_for(&mut alice, "carol's return", |m| m.command == "JOIN");
    wait_for(&mut carol, "alice's return", |m| m.command == "JOIN");
    // Nobody saw their own side leave, nor the modes and topic both sides
    // had restated: only alice's status comes back.
    alice.send("PRIVMSG #s :back");
    let seen = until_said(&mut carol, "alice", "back");
    assert_eq!(seen, ms(&[":a.test MODE #s +o alice"]));
    let r = carol.ask("NAMES #s");
    assert_eq!(one(&r, "353").params[3], "@alice carol");
    assert_eq!(carol.ask("MODE #s")[0].params[2], before[0].params[2]);
    assert_eq!(one(&carol.ask("TOPIC #s"), "332").params[2], "kept");
}

#[test]
fn a_dying_middle_server_splits_both_sides() {
    let (a, mut b, c) = chain();
    let mut alice = a.client("alice");
    let mut carol = c.client("carol");
    wait_servers(&mut alice, 3);
    alice.ask("JOIN #d");
    wait_user(&mut carol, "alice");
    settle(&mut alice, &mut carol);
    carol.send("JOIN #d");
    carol.expect("366");
    wait_for(&mut alice, "carol's JOIN", |m| m.command == "JOIN");
    b.stop();
    let m = wait_for(&mut alice, "carol's QUIT", |m| m.command == "QUIT");
    assert_eq!(m.params, ["a.test b.test"]);
    let m = wait_for(&mut carol, "alice's QUIT", |m| m.command == "QUIT");
    assert_eq!(m.params, ["c.test b.test"]);
    wait_servers(&mut alice, 1);
    wait_servers(&mut carol, 1);
    // Each side keeps talking on its own.
    assert_eq!(one(&alice.ask("NAMES #d"), "353").params[3], "@alice");
}

#[test]
fn a_nick_collision_made_during_a_split_renames_the_newer_nick() {
    let a = node("a.test", 0, &[("b.test", None)]);
    // b links only when an operator says CONNECT.
    let b = on_demand("b.test", "a.test", &a);
    let mut watcher = a.client("watcher");
    let mut boss = b.client("boss");
    oper_up(&mut boss);
    // During the split both sides get a user called the_one; b's is newer
    // (or, within the same second, loses the tie: a.test sorts first).
    let mut one_a = a.client("the_one");
    std::thread::sleep(Duration::from_millis(1100));
    let mut one_b = b.client("the_one");
    boss.send("CONNECT a.test");
    wait_servers(&mut watcher, 2);
    // b's the_one is renamed and told so; nobody is killed.
    let m = wait_for(&mut one_b, "the rename", |m| m.command == "NICK");
    let renamed = m.params[0].clone();
    assert!(renamed.starts_with("the_one-"), "{renamed}");
    one_b.nick = renamed.clone();
    wait_user(&mut watcher, &renamed);
    let r = watcher.ask("WHOIS the_one");
    assert_eq!(one(&r, "312").params[2], "a.test");
    let r = boss.ask("WHOIS the_one");
    assert_eq!(one(&r, "312").params[2], "a.test");
    one_a.assert_quiet();
    // Both are still connected and can talk to each other.
    one_b.send("PRIVMSG the_one :hi twin");
    let m = wait_for(&mut one_a, "the message", |m| m.command == "PRIVMSG");
    assert_eq!(m.source.unwrap(), format!("{renamed}!~the_one@127.0.0.1"));
}

#[test]
fn a_loop_is_refused_and_the_tree_stays_a_tree() {
    let a = node("a.test", 0, &[("b.test", None), ("c.test", None)]);
    let b = node("b.test", 0, &[("a.test", a.link_addr), ("c.test", None)]);
    let mut watcher = a.client("watcher");
    wait_servers(&mut watcher, 2);
    // c has blocks for both a and b and links on CONNECT, one at a time.
    let c = TestServer::with_config(|c| {
        c.server.name = "c.test".into();
        c.opers.push(oper("root", "hunter2", "*@*"));
        for (peer, to) in [("a.test", &a), ("b.test", &b)] {
            c.links.push(LinkBlock {
                autoconnect: false,
                tls: false,
                fingerprint: None,
                ..block(peer, to.link_addr)
            });
        }
    });
    let mut carol = c.client("carol");
    oper_up(&mut carol);
    carol.ask("CONNECT a.test");
    wait_servers(&mut carol, 3);
    wait_servers(&mut watcher, 3);
    // c - b would close a loop: b already knows c (through a) and refuses.
    let r = carol.ask("CONNECT b.test");
    assert_eq!(cmds(&r), ["NOTICE"], "{r:#?}");
    assert!(r[0].params[1].contains("already linked"), "{r:#?}");
    // Even asked by hand, over the wire, as a natter peer would: b closes
    // the link with an ERROR naming the loop.
    let stream = TcpStream::connect(b.link_addr.unwrap()).unwrap();
    stream.set_read_timeout(Some(TIMEOUT)).unwrap();
    let mut w = stream.try_clone().unwrap();
    w.write_all(
        format!("PASS {PW} 0210-IRC+ natter|0.1/TS,TAGS P\r\nSERVER c.test 1 :again\r\n")
            .as_bytes(),
    )
    .unwrap();
    let lines: Vec<String> = BufReader::new(stream)
        .lines()
        .map_while(Result::ok)
        .collect();
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("ERROR") && l.contains("already exists")),
        "{lines:#?}"
    );
    // The tree did not change, and chat goes through once.
    let map = carol.ask("MAP");
    assert_eq!(cmds(&map), ["006", "006", "006", "007"], "{map:#?}");
    watcher.ask("JOIN #l");
    wait_user(&mut carol, "watcher");
    settle(&mut watcher, &mut carol);
    carol.send("JOIN #l");
    carol.expect("366");
    watcher.expect("JOIN");
    carol.send("PRIVMSG #l :once");
    watcher.send("PRIVMSG #l :end");
    let seen = until_said(&mut carol, "watcher", "end");
    assert!(seen.is_empty(), "{seen:#?}");
    let got = until_said(&mut watcher, "carol", "once");
    assert!(got.is_empty(), "{got:#?}");
    watcher.assert_quiet();
}

/// A test peer speaking the link protocol by hand over TCP.
struct FakePeer {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl FakePeer {
    /// Links to `addr` as `name` (natter's own extensions announced) and
    /// reads the burst up to its closing PING, which it answers.
    fn link(addr: SocketAddr, name: &str) -> (FakePeer, Vec<Message>) {
        let stream = TcpStream::connect(addr).unwrap();
        stream.set_read_timeout(Some(TIMEOUT)).unwrap();
        let mut peer = FakePeer {
            writer: stream.try_clone().unwrap(),
            reader: BufReader::new(stream),
        };
        peer.send(&format!("PASS {PW} 0210-IRC+ natter|0.1/TS,TAGS P"));
        peer.send(&format!("SERVER {name} 1 :fake"));
        let mut burst = Vec::new();
        loop {
            let m = peer.recv();
            if m.command == "PING" {
                peer.send(&format!(":{name} PONG {name} :{}", m.params[0]));
                return (peer, burst);
            }
            burst.push(m);
        }
    }

    fn send(&mut self, line: &str) {
        self.writer
            .write_all(format!("{line}\r\n").as_bytes())
            .unwrap();
    }

    fn send_raw(&mut self, bytes: &[u8]) {
        self.writer.write_all(bytes).unwrap();
    }

    fn recv(&mut self) -> Message {
        let mut line = String::new();
        let n = self.reader.read_line(&mut line).expect("a line in time");
        assert!(n > 0, "link closed");
        Message::parse(line.trim_end()).unwrap()
    }
}

#[test]
fn a_forged_source_is_dropped_and_the_link_survives_bad_lines() {
    let a = node("a.test", 0, &[("fake.test", None)]);
    let mut alice = a.client("alice");
    alice.ask("JOIN #f");
    let (mut fake, burst) = FakePeer::link(a.link_addr.unwrap(), "fake.test");
    assert!(
        burst
            .iter()
            .any(|m| m.command == "NICK" && m.params[0] == "alice"),
        "{burst:#?}"
    );
    fake.send(":fake.test NICK mallory 1 ~m evil.example 1 + :Mallory");
    fake.send(":fake.test NJOIN #f :mallory");
    wait_for(&mut alice, "mallory's JOIN", |m| m.command == "JOIN");
    // alice is a's own user: a line from "her" on the link is forged.
    fake.send(":alice PRIVMSG #f :I am alice, honest");
    // Unknown sources, garbage, an over-long line and a bad NICK.
    fake.send(":nobody PRIVMSG #f :who am I");
    fake.send(":fake.test NICK broken 1");
    fake.send_raw(&[b'x'; 20_000]);
    fake.send_raw(b"\r\n\xff\xfe\r\n");
    // The link is still up and still carries real lines.
    fake.send(":mallory PRIVMSG #f :still here");
    let seen = until_said(&mut alice, "mallory", "still here");
    assert!(
        seen.is_empty(),
        "forged or bad lines were delivered: {seen:#?}"
    );
}

#[test]
fn ampersand_channels_stay_on_their_server() {
    let a = node("a.test", 0, &[("b.test", None)]);
    let b = node("b.test", 0, &[("a.test", a.link_addr)]);
    let mut alice = a.client("alice");
    let mut bob = b.client("bob");
    wait_servers(&mut alice, 2);
    wait_user(&mut bob, "alice");
    alice.ask("JOIN &local");
    bob.ask("JOIN &local");
    assert_eq!(one(&bob.ask("NAMES &local"), "353").params[3], "@bob");
    alice.send("PRIVMSG &local :only here");
    alice.send("PRIVMSG bob :marker");
    let seen = until_said(&mut bob, "alice", "marker");
    assert!(seen.is_empty(), "{seen:#?}");
}

#[test]
fn a_star_of_five_delivers_each_message_once_everywhere() {
    let hub = node(
        "hub.test",
        0,
        &[
            ("l1.test", None),
            ("l2.test", None),
            ("l3.test", None),
            ("l4.test", None),
        ],
    );
    let leaves: Vec<TestServer> = (1..=4)
        .map(|i| node(&format!("l{i}.test"), 0, &[("hub.test", hub.link_addr)]))
        .collect();
    let mut users: Vec<Client> = leaves
        .iter()
        .enumerate()
        .map(|(i, s)| s.client(&format!("u{}", i + 1)))
        .collect();
    for u in &mut users {
        wait_servers(u, 5);
    }
    for i in 0..users.len() {
        users[i].ask("JOIN #star");
        let nick = format!("u{}", i + 1);
        for earlier in &mut users[..i] {
            wait_for(earlier, "a JOIN", |m| {
                m.command == "JOIN" && m.source.as_deref().is_some_and(|s| s.starts_with(&nick))
            });
        }
    }
    for (i, u) in users.iter_mut().enumerate() {
        u.send(&format!("PRIVMSG #star :from u{}", i + 1));
    }
    for (j, u) in users.iter_mut().enumerate() {
        let mut got: Vec<String> = Vec::new();
        while got.len() < 3 {
            let m = wait_for(u, "a message", |m| m.command == "PRIVMSG");
            got.push(m.params[1].clone());
        }
        got.sort();
        let want: Vec<String> = (1..=4)
            .filter(|i| *i != j + 1)
            .map(|i| format!("from u{i}"))
            .collect();
        assert_eq!(got, want);
        u.assert_quiet();
    }
}

#[test]
fn a_burst_of_ten_thousand_users_is_taken_in_and_given_out() {
    let a = node("a.test", 0, &[("fake.test", None), ("fake2.test", None)]);
    let mut alice = a.client("alice");
    let mut imy = Im::register(&a, "imy", "online");
    let mut imz = Im::register(&a, "imz", "online");
    imz.send(r#"PRESENCE ["changes"]"#);
    imz.online();
    let (mut fake, _) = FakePeer::link(a.link_addr.unwrap(), "fake.test");
    imy.sync_lines();
    let mut burst = String::new();
    for i in 0..10_000 {
        burst.push_str(&format!(
            ":fake.test NICK user{i} 1 ~u host{i}.example 1 + :User {i}\r\n"
        ));
    }
    burst.push_str(":fake.test NJOIN #big :");
    burst.push_str(
        &(0..40)
            .map(|i| format!("user{i}"))
            .collect::<Vec<_>>()
            .join(","),
    );
    // A burst ends with a PING, as natter's and ngIRCd's do.
    burst.push_str("\r\n:fake.test PING :fake.test\r\n");
    fake.send_raw(burst.as_bytes());
    // A local client is answered while the burst is taken in.
    alice.assert_quiet();
    wait_user(&mut alice, "user9999");
    let r = alice.ask("LUSERS");
    assert_eq!(
        one(&r, "251").params[1],
        "There are 10003 users and 0 invisible on 2 servers"
    );
    // The IM client hears of the burst once, at its end, not once per
    // user (that would be 10,000 lists of up to 10,002 names).
    let online = imy.online();
    assert_eq!(online.len(), 10_003, "the first list after the burst");
    // A client that asked for changes gets one PRESENCE_CHANGED naming
    // the 10,000 newcomers.
    match imz.expect("PRESENCE_CHANGED", |r| {
        matches!(r, Reply::PresenceChanged(_))
    }) {
        Reply::PresenceChanged(c) => assert_eq!(c.len(), 10_000),
        _ => unreachable!(),
    }
    assert!(!imz
        .sync_lines()
        .iter()
        .any(|l| l.starts_with("PRESENCE_CHANGED")));
    let more = imy.sync_lines();
    assert!(
        !more.iter().any(|l| l.starts_with("ONLINE_USERS")),
        "{} more lists",
        more.len()
    );
    // A second peer gets all of them in its burst.
    let (_fake2, burst2) = FakePeer::link(a.link_addr.unwrap(), "fake2.test");
    let nicks = burst2.iter().filter(|m| m.command == "NICK").count();
    assert_eq!(nicks, 10_003);
    assert!(burst2
        .iter()
        .any(|m| m.command == "SERVER" && m.params[0] == "fake.test"));
}

#[test]
fn channels_merge_by_timestamp_and_the_younger_side_loses_its_ops() {
    let a = node("a.test", 0, &[("b.test", None)]);
    let b = on_demand("b.test", "a.test", &a);
    // Apart, both sides make #m: a's first, b's a second later with a key.
    let mut alice = a.client("alice");
    alice.ask("JOIN #m");
    alice.ask("TOPIC #m :a's topic");
    std::thread::sleep(Duration::from_millis(1100));
    let mut bob = b.client("bob");
    bob.ask("JOIN #m");
    bob.ask("MODE #m +k bobkey");
    oper_up(&mut bob);
    bob.send("CONNECT a.test");
    // bob loses op and his key; the older channel's topic wins.
    let m = wait_for(&mut bob, "the MODE that removes bob's op", |m| {
        m.command == "MODE" && m.params.get(1).is_some_and(|f| f.starts_with('-'))
    });
    assert_eq!(m.source.as_deref(), Some("b.test"));
    assert!(
        m.params[1].contains('o') && m.params[1].contains('k'),
        "{m:?}"
    );
    wait_for(&mut bob, "alice's JOIN", |m| m.command == "JOIN");
    settle(&mut alice, &mut bob);
    let names = bob.ask("NAMES #m");
    assert_eq!(one(&names, "353").params[3], "@alice bob");
    assert_eq!(one(&bob.ask("TOPIC #m"), "332").params[2], "a's topic");
    let modes = bob.ask("MODE #m");
    assert!(!modes[0].params[2].contains('k'), "{modes:?}");
    // alice kept her op and saw nothing taken from her.
    let names = alice.ask("NAMES #m");
    assert_eq!(one(&names, "353").params[3], "@alice bob");
}

#[test]
fn a_peer_that_stops_reading_is_split_not_buffered_forever() {
    let a = TestServer::with_config(|c| {
        c.server.name = "a.test".into();
        c.listen.link = vec!["127.0.0.1:0".parse().unwrap()];
        c.limits.link_sendq = 64 * 1024;
        c.links.push(block("fake.test", None));
    });
    let mut alice = a.client("alice");
    alice.ask("JOIN #flood");
    let (mut fake, _) = FakePeer::link(a.link_addr.unwrap(), "fake.test");
    fake.send(":fake.test NICK sink 1 ~s sink.example 1 + :Sink");
    fake.send(":fake.test NJOIN #flood :sink");
    wait_for(&mut alice, "sink's JOIN", |m| m.command == "JOIN");
    // The fake peer reads nothing more; alice talks until a's queue for
    // the link overflows and the link is split.
    let text = "x".repeat(400);
    let mut sent = 0;
    loop {
        alice.send(&format!("PRIVMSG #flood :{sent} {text}"));
        sent += 1;
        if sent % 100 == 0 {
            let got = alice.sync();
            if let Some(quit) = got.iter().find(|m| m.command == "QUIT") {
                assert_eq!(quit.params, ["a.test fake.test"]);
                break;
            }
        }
        assert!(sent < 100_000, "the link was never split");
    }
    // a is fine.
    assert_eq!(one(&alice.ask("NAMES #flood"), "353").params[3], "@alice");
    drop(fake);
}

#[test]
fn clients_with_batch_see_the_netsplit_and_the_netjoin_as_batches() {
    let (a, _b, c) = chain();
    let mut alice = client_with(&a, "alice", "batch");
    let mut carol = c.client("carol");
    let mut cy = c.client("cy");
    wait_servers(&mut alice, 3);
    alice.ask("JOIN #b");
    wait_user(&mut carol, "alice");
    settle(&mut alice, &mut carol);
    for u in [&mut carol, &mut cy] {
        u.send("JOIN #b");
        u.expect("366");
    }
    settle(&mut cy, &mut alice);
    oper_up(&mut alice);
    alice.send("SQUIT b.test :batch test");
    // BATCH +id netsplit a.test b.test, both quits tagged, BATCH -id.
    let start = wait_for(&mut alice, "the netsplit batch", |m| m.command == "BATCH");
    assert_eq!(start.params[1..], ["netsplit", "a.test", "b.test"]);
    let id = start.params[0].trim_start_matches('+').to_string();
    for _ in 0..2 {
        let quit = alice.recv();
        assert_eq!(quit.command, "QUIT", "{quit:?}");
        assert_eq!(quit.tags[0].key, "batch");
        assert_eq!(quit.tags[0].value.as_deref(), Some(id.as_str()));
    }
    assert_eq!(alice.recv().params, [format!("-{id}")]);
    // The rejoin: the joins in a netjoin batch.
    let start = wait_for(&mut alice, "the netjoin batch", |m| m.command == "BATCH");
    assert_eq!(start.params[1..], ["netjoin", "a.test", "b.test"]);
    let id = start.params[0].trim_start_matches('+').to_string();
    let mut joined = Vec::new();
    loop {
        let m = alice.recv();
        if m.command == "BATCH" {
            assert_eq!(m.params, [format!("-{id}")]);
            break;
        }
        if m.command == "JOIN" {
            assert_eq!(m.tags[0].value.as_deref(), Some(id.as_str()));
            joined.push(m.source.unwrap());
        }
    }
    joined.sort();
    assert_eq!(joined, [src("carol"), src("cy")]);
}

#[test]
fn stats_l_shows_operators_the_links_with_their_traffic() {
    let a = node("a.test", 0, &[("b.test", None)]);
    let _b = node("b.test", 0, &[("a.test", a.link_addr)]);
    let mut alice = a.client("alice");
    wait_servers(&mut alice, 2);
    // Not an operator: only her own connection.
    let r = alice.ask("STATS l");
    assert_eq!(cmds(&r), ["211", "219"], "{r:#?}");
    oper_up(&mut alice);
    let r = alice.ask("STATS l");
    assert_eq!(cmds(&r), ["211", "211", "219"], "{r:#?}");
    let link = params(&r[1]);
    assert_eq!(link[1], "b.test");
    // The bursts went both ways: alice's NICK and a PING out, at least a
    // PING and the PONG to ours in.
    let (sent, received): (u64, u64) = (link[3].parse().unwrap(), link[5].parse().unwrap());
    assert!(sent >= 2 && received >= 2, "{link:?}");
}

#[test]
fn a_neighbour_introducing_a_known_server_is_cut_off() {
    let a = node("a.test", 0, &[("fake.test", None)]);
    let mut alice = a.client("alice");
    let (mut fake, _) = FakePeer::link(a.link_addr.unwrap(), "fake.test");
    fake.send(":fake.test NICK mallory 1 ~m evil.example 1 + :Mallory");
    wait_user(&mut alice, "mallory");
    // a.test behind fake.test would make a loop.
    fake.send(":fake.test SERVER a.test 2 5 :a loop");
    let mut lines = Vec::new();
    loop {
        let mut line = String::new();
        match fake.reader.read_line(&mut line) {
            Ok(0) | Err(_) => break,
            Ok(_) => lines.push(line),
        }
    }
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("ERROR") && l.contains("a.test already exists (loop)")),
        "{lines:#?}"
    );
    // The link is gone with everyone behind it; a is fine.
    let r = alice.ask("WHOIS mallory");
    assert_eq!(cmds(&r)[0], "401", "{r:#?}");
}

#[test]
fn the_loser_of_a_nick_collision_is_renamed_network_wide_by_its_own_server() {
    let a = node("a.test", 0, &[("fake.test", None)]);
    let mut ghosty = a.client("ghosty");
    let (mut fake, _) = FakePeer::link(a.link_addr.unwrap(), "fake.test");
    // The fake server's ghosty is older: a's own ghosty loses the nick,
    // and a says so on the link, for servers that never saw the collision.
    fake.send("@ts=1000 :fake.test NICK ghosty 1 ~g old.example 1 + :Older");
    let m = wait_for(&mut ghosty, "the rename", |m| m.command == "NICK");
    let renamed = m.params[0].clone();
    assert!(renamed.starts_with("ghosty-"), "{renamed}");
    loop {
        let line = fake.recv();
        if line.command == "NICK" {
            assert_eq!(line.source.as_deref(), Some("ghosty"));
            assert_eq!(line.params, [renamed]);
            break;
        }
    }
}
