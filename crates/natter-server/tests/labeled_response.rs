//! IRCv3 labeled-response end to end
//! (<https://ircv3.net/specs/extensions/labeled-response>): a labeled
//! command's single reply line carries the label, a command with no reply
//! gets a labeled `ACK`, several reply lines come in a labeled
//! `labeled-response` batch whose every line has the `batch` tag; label
//! values round-trip through tag escaping; nothing of this without the
//! capability; and OPER, whose password check runs off the world lock,
//! still answers with its label.

mod common;
use common::*;

use natter_proto::Message;

/// The caps a labeled-response client negotiates (labeled-response
/// depends on batch).
const LR: &str = "labeled-response batch";

/// Checks `lines` is one labeled `labeled-response` batch: the opening
/// `BATCH +id labeled-response` with exactly the label tag (`label_tag`
/// as escaped on the wire), inner lines each tagged `batch=id`, then
/// `BATCH -id`. Returns the batch id and the inner messages.
fn unbatch(lines: &[String], label_tag: &str) -> (String, Vec<Message>) {
    assert!(lines.len() >= 3, "not a batch: {lines:#?}");
    let open = &lines[0];
    let prefix = format!("@{label_tag} :{SERVER} BATCH +");
    let id = open
        .strip_prefix(&prefix)
        .and_then(|rest| rest.strip_suffix(" labeled-response"))
        .unwrap_or_else(|| panic!("bad batch start {open:?}"))
        .to_string();
    assert!(!id.is_empty() && !id.contains(' '), "{open:?}");
    assert_eq!(
        lines.last().unwrap(),
        &format!(":{SERVER} BATCH -{id}"),
        "{lines:#?}"
    );
    let inner = lines[1..lines.len() - 1]
        .iter()
        .map(|l| {
            let mut msg = m(l);
            assert_eq!(msg.tags[0].key, "batch", "{l:?}");
            assert_eq!(msg.tags[0].value.as_deref(), Some(id.as_str()), "{l:?}");
            assert!(msg.tags.iter().all(|t| t.key != "label"), "{l:?}");
            msg.tags.remove(0);
            msg
        })
        .collect();
    (id, inner)
}

// ---- single line, ACK ----

#[test]
fn a_single_reply_line_carries_the_label() {
    let server = TestServer::start();
    let mut alice = client_with(&server, "alice", LR);
    assert_eq!(
        alice.ask_raw("@label=l1 PRIVMSG nobody :hi"),
        ["@label=l1 :natter.local 401 alice nobody :No such nick/channel"]
    );
    assert_eq!(
        alice.ask_raw("@label=l2 PING tok"),
        ["@label=l2 :natter.local PONG natter.local tok"]
    );
    // Other tags of the command do not get in the way.
    assert_eq!(
        alice.ask_raw("@+x=1;label=l3;example.com/y AWAY :gone"),
        ["@label=l3 :natter.local 306 alice :You have been marked as being away"]
    );
    // An unlabeled command from the same client gets a plain reply.
    assert_eq!(
        alice.ask_raw("AWAY"),
        [":natter.local 305 alice :You are no longer marked as being away"]
    );
}

#[test]
fn a_command_without_reply_gets_a_labeled_ack() {
    let server = TestServer::start();
    let mut alice = client_with(&server, "alice", LR);
    let mut bob = server.client("bob");
    for (line, label) in [
        ("@label=a1 PONG whatever", "a1"),
        ("@label=a2 PRIVMSG bob :hi", "a2"),
        ("@label=a3 MONITOR - bob", "a3"),
        ("@label=a4 CAP END", "a4"),
        ("@label=a5 NICK alice", "a5"),
    ] {
        assert_eq!(
            alice.ask_raw(line),
            [format!("@label={label} :natter.local ACK")],
            "{line}"
        );
    }
    // The PRIVMSG itself reached bob, unlabeled.
    let r = bob.sync();
    assert_eq!(r.len(), 1, "{r:#?}");
    assert!(r[0].tags.is_empty(), "{r:#?}");
    assert_eq!(params(&r[0]), ["bob", "hi"]);
    // Unlabeled, a command without reply stays silent.
    assert!(alice.ask_raw("PONG whatever").is_empty());
}

// ---- batches ----

#[test]
fn several_reply_lines_come_in_a_labeled_batch() {
    let server = TestServer::start();
    let mut alice = client_with(&server, "alice", LR);
    let _bob = server.client("bob");
    let lines = alice.ask_raw("@label=w1 WHOIS bob");
    let (id1, inner) = unbatch(&lines, "label=w1");
    assert_eq!(cmds(&inner), ["311", "312", "317", "318"], "{lines:#?}");
    for m in &inner {
        assert_eq!(m.source.as_deref(), Some(SERVER));
        assert_eq!(params(m)[..2], ["alice", "bob"]);
    }
    assert_eq!(
        params(&inner[0]),
        ["alice", "bob", "~bob", "127.0.0.1", "*", "Real bob"]
    );
    // A second batch gets a new reference.
    let lines = alice.ask_raw("@label=w2 WHOIS nobody");
    let (id2, inner) = unbatch(&lines, "label=w2");
    assert_ne!(id1, id2);
    assert_eq!(cmds(&inner), ["401", "318"]);
}

#[test]
fn a_batch_holds_event_lines_too_and_others_see_them_plain() {
    let server = TestServer::start();
    let mut alice = client_with(&server, "alice", "labeled-response batch server-time");
    let mut bob = client_with(&server, "bob", "server-time");
    bob.ask("JOIN #x");
    let lines = alice.ask_raw("@label=j JOIN #x");
    let (_, inner) = unbatch(&lines, "label=j");
    assert_eq!(cmds(&inner), ["JOIN", "353", "366"], "{lines:#?}");
    let join = &inner[0];
    assert_eq!(join.source.as_deref(), Some("alice!~alice@127.0.0.1"));
    assert_eq!(params(join), ["#x"]);
    // The inner line keeps its own tags after the batch tag.
    let keys: Vec<&str> = join.tags.iter().map(|t| t.key.as_str()).collect();
    assert_eq!(keys, ["time"], "{lines:#?}");
    assert_eq!(params(&inner[1]), ["alice", "=", "#x", "@bob alice"]);
    // Bob's copy of the JOIN: no label, no batch.
    let r = bob.sync();
    assert_eq!(r.len(), 1, "{r:#?}");
    assert_eq!(r[0].command, "JOIN");
    let keys: Vec<&str> = r[0].tags.iter().map(|t| t.key.as_str()).collect();
    assert_eq!(keys, ["time"]);
}

// ---- escaping ----

#[test]
fn label_values_round_trip_through_escaping() {
    let server = TestServer::start();
    let mut alice = client_with(&server, "alice", LR);
    // `a;b c\d` on the wire: `a\:b\sc\\d`.
    let wire = r"a\:b\sc\\d";
    let lines = alice.ask_raw(&format!("@label={wire} PING t"));
    assert_eq!(
        lines,
        [format!("@label={wire} :natter.local PONG natter.local t")]
    );
    assert_eq!(m(&lines[0]).tags[0].value.as_deref(), Some(r"a;b c\d"));
    assert_eq!(
        alice.ask_raw(&format!("@label={wire} PONG t")),
        [format!("@label={wire} :natter.local ACK")]
    );
    let lines = alice.ask_raw(&format!("@label={wire} WHOIS nobody"));
    unbatch(&lines, &format!("label={wire}"));
    // Characters that need no escaping pass unchanged.
    assert_eq!(
        alice.ask_raw("@label=x+y=z,1 PONG t"),
        ["@label=x+y=z,1 :natter.local ACK"]
    );
}

// ---- without the capability ----

#[test]
fn labels_are_ignored_without_the_capability() {
    let server = TestServer::start();
    // Neither without any capability nor with batch alone.
    for caps in ["", "batch message-tags"] {
        let mut c = client_with(&server, "alice", caps);
        assert_eq!(
            c.ask_raw("@label=x PING t"),
            [":natter.local PONG natter.local t"],
            "caps {caps:?}"
        );
        assert!(c.ask_raw("@label=y PONG t").is_empty(), "caps {caps:?}");
        let lines = c.ask_raw("@label=z WHOIS nobody");
        assert_eq!(
            lines,
            [
                ":natter.local 401 alice nobody :No such nick/channel",
                ":natter.local 318 alice nobody :End of /WHOIS list"
            ],
            "caps {caps:?}"
        );
        c.send("QUIT");
        c.read_until_closed();
    }
}

// ---- deferred work (OPER) ----

#[test]
fn labeled_oper_is_answered_with_its_label_after_the_password_check() {
    let server = server_with_root(|_| {});
    let mut alice = client_with(&server, "alice", LR);
    // A wrong password: one labeled 464.
    assert_eq!(
        alice.ask_raw("@label=o1 OPER root wrong"),
        ["@label=o1 :natter.local 464 alice :Password incorrect"]
    );
    // The right one: MODE, RPL_SNOMASKIS and 381 in one labeled batch. A labeled command
    // pipelined right behind it keeps its own label.
    alice.send_raw(b"@label=o2 OPER root hunter2\r\n@label=o3 PING after\r\n");
    let lines = alice.ask_raw("PING flush");
    let pong = format!(":{SERVER} PONG {SERVER} flush");
    let lines: Vec<String> = lines.into_iter().filter(|l| *l != pong).collect();
    let n = lines.len();
    assert!(n >= 4, "{lines:#?}");
    let (_, inner) = unbatch(&lines[..n - 1], "label=o2");
    assert_eq!(cmds(&inner), ["MODE", "008", "381"], "{lines:#?}");
    assert_eq!(params(&inner[0]), ["alice", "+os"]);
    assert_eq!(
        lines[n - 1],
        "@label=o3 :natter.local PONG natter.local after"
    );
}
