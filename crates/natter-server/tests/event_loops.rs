//! Connections spread over several event loops (`server.threads`) behave as
//! one server: deliveries cross loops in order, and shutdown reaches
//! everyone. A loop's flusher writes deliveries to its idle connections
//! and hands what a full socket does not take back to the connection.

mod common;
use common::*;

/// Clients are handed to the loops in turn, so seven clients on three loops
/// put senders and receivers on every pairing of loops.
#[test]
fn messages_cross_loops_complete_and_in_order() {
    let server = TestServer::with_config(|c| c.server.threads = 3);
    let mut clients: Vec<Client> = (0..7).map(|i| server.client(&format!("u{i}"))).collect();
    {
        let mut refs: Vec<&mut Client> = clients.iter_mut().collect();
        join_all("#loops", &mut refs);
    }
    const EACH: usize = 40;
    for round in 0..EACH {
        for (i, c) in clients.iter_mut().enumerate() {
            c.send(&format!("PRIVMSG #loops :{i} {round}"));
        }
    }
    for (me, c) in clients.iter_mut().enumerate() {
        let mut next = [0usize; 7];
        for _ in 0..(6 * EACH) {
            let m = c.expect("PRIVMSG");
            let text = &m.params[1];
            let (from, seq) = text.split_once(' ').expect("sender and sequence");
            let (from, seq): (usize, usize) = (from.parse().unwrap(), seq.parse().unwrap());
            assert_ne!(from, me, "u{me} got its own message back");
            assert_eq!(seq, next[from], "u{me}: u{from}'s messages out of order");
            next[from] += 1;
        }
        c.assert_quiet();
    }
}

#[test]
fn shutdown_reaches_clients_on_every_loop() {
    let mut server = TestServer::with_config(|c| c.server.threads = 3);
    let mut clients: Vec<Client> = (0..6).map(|i| server.client(&format!("s{i}"))).collect();
    server.stop();
    for c in clients.iter_mut() {
        let lines = c.read_until_closed();
        let last = lines.last().expect("a closing line");
        assert!(
            last.starts_with("ERROR ") && last.contains("Server shutting down"),
            "{lines:?}"
        );
    }
}

/// On one loop, deliveries to an idle client are written by the loop's
/// flusher. A client that stops reading fills its socket: what the
/// flusher could not write goes back to the front of the queue and the
/// client's own task writes it, after the part already written and
/// before what came later (here, the PONG to its own PING).
#[test]
fn a_client_that_stalls_then_reads_gets_every_line_in_order() {
    let server = TestServer::with_config(|c| {
        c.server.threads = 1;
        c.limits.sendq = 64 * 1024 * 1024;
    });
    let mut sender = server.client("sender");
    let mut stalled = server.client("stalled");
    for c in [&mut sender, &mut stalled] {
        c.send("JOIN #stall");
        c.expect("366");
    }
    // Far more than loopback's socket buffers hold while nobody reads:
    // the writes stop part-way through a line.
    const COUNT: usize = 12_000;
    let body = "y".repeat(397);
    for n in 0..COUNT {
        sender.send(&format!("PRIVMSG #stall :{n} {body}"));
    }
    // Every message was handled once the sender's PONG comes back.
    sender.send("PING :sent");
    let pong = sender.expect("PONG");
    assert_eq!(pong.params.last().map(String::as_str), Some("sent"));
    stalled.send("PING :mine");
    for n in 0..COUNT {
        let m = stalled.expect("PRIVMSG");
        assert_eq!(m.params[1], format!("{n} {body}"), "line {n}");
    }
    let pong = stalled.expect("PONG");
    assert_eq!(pong.params.last().map(String::as_str), Some("mine"));
    stalled.assert_quiet();
}

/// A large reply (LIST bigger than the SendQ) is fed to the client as it
/// reads. A delivery from the same loop that lands first in the queue is
/// the flusher's to write, and the reply's pieces queued behind it ring
/// nobody: the task must not count itself idle while pieces of its own
/// reply wait, or the rest would wait for its next deadline (minutes).
#[test]
fn a_large_reply_is_fed_while_the_loop_flushes_deliveries() {
    let server = TestServer::with_config(|c| {
        c.server.threads = 1;
        c.limits.sendq = 32 * 1024;
        c.limits.channels_per_user = 2000;
    });
    let mut owner = server.client("owner");
    const CHANNELS: usize = 1500;
    let joins: String = (0..CHANNELS)
        .map(|i| format!("JOIN #room{i}\r\n"))
        .collect();
    owner.send_raw(joins.as_bytes());
    owner.sync();
    let mut talker = server.client("talker");
    let mut lister = server.client("lister");
    for c in [&mut talker, &mut lister] {
        c.send("JOIN #chat");
        c.expect("366");
    }
    let burst: String = (0..50).map(|i| format!("PRIVMSG #chat :{i}\r\n")).collect();
    for _ in 0..5 {
        // The deliveries and the LIST reach the loop together.
        talker.send_raw(burst.as_bytes());
        lister.send("LIST");
        let mut rooms = 0;
        loop {
            let m = lister.expect_any(&["322", "323"]);
            if m.command == "323" {
                break;
            }
            rooms += 1;
        }
        assert!(rooms > CHANNELS, "every channel listed: {rooms}");
        lister.sync();
    }
}
