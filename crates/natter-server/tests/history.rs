//! Message history end to end: CHATHISTORY in every direction with both
//! kinds of reference, private conversations between accounts, TARGETS,
//! access refused, and history surviving a restart.

mod common;

use common::*;
use natter_proto::Message;

const CAPS: &str = "batch echo-message message-tags server-time draft/chathistory sasl";

/// A client with the history capabilities, logged in to a fresh account
/// `nick` (registered through NickServ first).
fn logged_in(server: &TestServer, nick: &str) -> Client {
    let mut r = server.client(nick);
    r.ask(&format!("NS REGISTER {nick}-password"));
    r.send("QUIT");
    until_closed(&mut r);
    let mut c = server.connect();
    c.send(&format!("CAP REQ :{CAPS}"));
    c.expect("CAP");
    c.send(&format!("NICK {nick}"));
    c.send(&format!("USER {nick} 0 * :Real {nick}"));
    let got = authenticate_plain(&mut c, nick, &format!("{nick}-password"));
    assert_eq!(cmds(&got), ["900", "903"], "{got:#?}");
    c.send("CAP END");
    c.expect("001");
    c.expect_any(&["376", "422"]);
    c.nick = nick.to_string();
    c
}

/// (msgid, time, text) of a line.
fn key(m: &Message) -> (String, String, String) {
    let tag = |k: &str| {
        m.tags
            .iter()
            .find(|t| t.key == k)
            .and_then(|t| t.value.clone())
            .unwrap_or_default()
    };
    (tag("msgid"), tag("time"), m.params[1].clone())
}

/// Sends `count` messages to `target` and returns their echoes' keys.
fn send_many(c: &mut Client, target: &str, count: usize) -> Vec<(String, String, String)> {
    (0..count)
        .map(|i| {
            c.send(&format!("PRIVMSG {target} :message {i}"));
            let echo = c.expect("PRIVMSG");
            // Distinct milliseconds, so timestamps order them unambiguously.
            std::thread::sleep(std::time::Duration::from_millis(3));
            key(&echo)
        })
        .collect()
}

/// The messages of the one chathistory batch answering `query`.
fn history(c: &mut Client, query: &str, target: &str) -> Vec<(String, String, String)> {
    let got = c.ask(query);
    let start = &got[0];
    assert_eq!(start.command, "BATCH", "{got:#?}");
    assert_eq!(params(start)[1..], ["chathistory", target]);
    let id = &start.params[0][1..];
    let end = got.last().unwrap();
    assert_eq!(params(end), [format!("-{id}").as_str()]);
    got[1..got.len() - 1]
        .iter()
        .map(|m| {
            assert!(m
                .tags
                .iter()
                .any(|t| t.key == "batch" && t.value.as_deref() == Some(id)));
            key(m)
        })
        .collect()
}

#[test]
fn chathistory_of_a_channel_in_every_direction() {
    let server = TestServer::start();
    let mut a = logged_in(&server, "anna");
    a.ask("JOIN #h");
    let sent = send_many(&mut a, "#h", 10);
    let q = |sub: &str| format!("CHATHISTORY {sub}");
    let msgid = |i: usize| format!("msgid={}", sent[i].0);
    let ts = |i: usize| format!("timestamp={}", sent[i].1);
    assert_eq!(history(&mut a, &q("LATEST #h * 100"), "#h"), sent);
    assert_eq!(history(&mut a, &q("LATEST #h * 3"), "#h"), sent[7..]);
    assert_eq!(
        history(&mut a, &q(&format!("LATEST #h {} 100", msgid(6))), "#h"),
        sent[7..]
    );
    for r in [msgid(5), ts(5)] {
        assert_eq!(
            history(&mut a, &q(&format!("BEFORE #h {r} 2")), "#h"),
            sent[3..5]
        );
        assert_eq!(
            history(&mut a, &q(&format!("AFTER #h {r} 2")), "#h"),
            sent[6..8]
        );
    }
    assert_eq!(
        history(&mut a, &q(&format!("AROUND #h {} 1", msgid(7))), "#h"),
        sent[7..8]
    );
    assert_eq!(
        history(&mut a, &q(&format!("AROUND #h {} 3", msgid(7))), "#h"),
        sent[6..9]
    );
    for (x, y) in [(msgid(0), msgid(9)), (ts(0), ts(9))] {
        assert_eq!(
            history(&mut a, &q(&format!("BETWEEN #h {x} {y} 100")), "#h"),
            sent[1..9]
        );
        assert_eq!(
            history(&mut a, &q(&format!("BETWEEN #h {x} {y} 3")), "#h"),
            sent[1..4]
        );
        assert_eq!(
            history(&mut a, &q(&format!("BETWEEN #h {y} {x} 3")), "#h"),
            sent[6..9]
        );
    }
    // An unknown msgid matches nothing.
    assert!(history(&mut a, &q("AFTER #h msgid=nope 10"), "#h").is_empty());
    // Bad parameters and a channel one is not in.
    let got = a.ask("CHATHISTORY BEFORE #h yesterday 10");
    assert_eq!(
        params(one(&got, "FAIL"))[..3],
        ["CHATHISTORY", "INVALID_PARAMS", "BEFORE"]
    );
    let mut b = server.client("outsider");
    b.ask("JOIN #other");
    let got = b.ask("CHATHISTORY LATEST #h * 10");
    assert_eq!(
        params(one(&got, "FAIL"))[..4],
        ["CHATHISTORY", "INVALID_TARGET", "LATEST", "#h"]
    );
}

#[test]
fn private_history_between_accounts_and_targets() {
    let server = TestServer::start();
    let mut a = logged_in(&server, "bea");
    let mut b = logged_in(&server, "cai");
    let sent = send_many(&mut a, "cai", 3);
    for m in &sent {
        let got = b.expect("PRIVMSG");
        assert_eq!(key(&got), *m);
    }
    // Each side asks by the other's nick.
    assert_eq!(history(&mut a, "CHATHISTORY LATEST cai * 10", "cai"), sent);
    assert_eq!(history(&mut b, "CHATHISTORY LATEST bea * 10", "bea"), sent);
    a.ask("JOIN #t");
    send_many(&mut a, "#t", 1);
    let got = a.ask("CHATHISTORY TARGETS timestamp=2000-01-01T00:00:00.000Z timestamp=2100-01-01T00:00:00.000Z 10");
    let targets: Vec<&str> = with_command(&got, "CHATHISTORY")
        .iter()
        .map(|m| m.params[1].as_str())
        .collect();
    assert_eq!(targets, ["cai", "#t"]);
    // Someone not logged in has no private history.
    let mut c = server.client("drifter");
    let got = c.ask("CHATHISTORY LATEST bea * 10");
    assert_eq!(params(one(&got, "FAIL"))[1], "INVALID_TARGET");
}

#[test]
fn history_survives_a_restart() {
    let data = tempfile::tempdir().unwrap();
    let dir = data.path().to_path_buf();
    let sent = {
        let server = TestServer::with_config(|c| c.server.data_dir = dir.clone());
        let mut a = logged_in(&server, "dana");
        a.ask("JOIN #keep");
        send_many(&mut a, "#keep", 5)
        // The server stops here, committing what is queued.
    };
    let server = TestServer::with_config(|c| c.server.data_dir = dir.clone());
    let mut a = server.connect();
    a.send(&format!("CAP REQ :{CAPS}"));
    a.expect("CAP");
    a.send("CAP END");
    a.register("dana");
    a.ask("JOIN #keep");
    assert_eq!(
        history(&mut a, "CHATHISTORY LATEST #keep * 10", "#keep"),
        sent
    );
}

#[test]
fn history_can_be_turned_off() {
    let server = TestServer::with_config(|c| c.history.enabled = false);
    let isupport = isupport(&server);
    assert!(
        !isupport.iter().any(|t| t.starts_with("CHATHISTORY")),
        "{isupport:?}"
    );
    let mut a = server.client("erik");
    a.ask("JOIN #x");
    let got = a.ask("CHATHISTORY LATEST #x * 10");
    assert_eq!(params(one(&got, "FAIL"))[1], "MESSAGE_ERROR");
}

#[test]
fn read_markers_of_an_account_survive_a_restart() {
    let data = tempfile::tempdir().unwrap();
    let dir = data.path().to_path_buf();
    let ts = "2025-01-02T03:04:05.678Z";
    {
        let server = TestServer::with_config(|c| c.server.data_dir = dir.clone());
        let mut a = logged_in(&server, "fred");
        a.ask("CAP REQ draft/read-marker");
        a.ask("JOIN #rm");
        let got = a.ask(&format!("MARKREAD #rm timestamp={ts}"));
        assert_eq!(
            params(one(&got, "MARKREAD")),
            ["#rm", &format!("timestamp={ts}")]
        );
        // Without an account, a marker is the nick's and goes with it.
        let mut b = server.client("gus");
        b.ask("CAP REQ draft/read-marker");
        b.ask(&format!("MARKREAD #rm timestamp={ts}"));
    }
    let server = TestServer::with_config(|c| c.server.data_dir = dir.clone());
    let mut a = logged_in(&server, "fred2");
    // fred2 is another account: nothing stored for it.
    a.ask("CAP REQ draft/read-marker");
    let got = a.ask("MARKREAD #rm");
    assert_eq!(params(one(&got, "MARKREAD")), ["#rm", "*"]);
    let mut c = server.connect();
    c.send(&format!("CAP REQ :{CAPS} draft/read-marker"));
    c.expect("CAP");
    c.send("NICK fred");
    c.send("USER fred 0 * :fred");
    let got = authenticate_plain(&mut c, "fred", "fred-password");
    assert_eq!(cmds(&got), ["900", "903"]);
    c.send("CAP END");
    c.expect_any(&["376", "422"]);
    c.nick = "fred".into();
    let got = c.ask("MARKREAD #rm");
    assert_eq!(
        params(one(&got, "MARKREAD")),
        ["#rm", &format!("timestamp={ts}")]
    );
    let mut b = server.client("gus");
    b.ask("CAP REQ draft/read-marker");
    let got = b.ask("MARKREAD #rm");
    assert_eq!(params(one(&got, "MARKREAD")), ["#rm", "*"]);
}
