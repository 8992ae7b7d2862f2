//! Presence: ONLINE_USERS on every change and periodically, status
//! cutting, and PRESENCE_CHANGED naming only who changed.

use super::*;

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

#[test]
fn lists_for_changes_are_bounded_per_second() {
    use natter_server::im::presence::LISTS_PER_TICK;
    let server = start();
    let mut watcher = Im::register(&server, "watcher", "online");
    watcher.sync();
    // 200 arrivals, each a change; without a bound the watcher would get
    // 200 lists of up to 201 users.
    let started = std::time::Instant::now();
    let clients: Vec<Client> = (0..200).map(|i| server.client(&format!("c{i}"))).collect();
    let seconds = started.elapsed().as_secs() as u32;
    // Every change is told: the lists go on until one shows everyone (at
    // the latest, the list the next tick owes).
    let mut lists = 0;
    while watcher.online().len() < 201 {
        lists += 1;
    }
    lists += 1;
    let ticks = seconds + 2;
    assert!(
        lists <= ticks * (LISTS_PER_TICK + 1) && lists < 200,
        "{lists} lists for 200 arrivals in {seconds} s"
    );
    drop(clients);
}
