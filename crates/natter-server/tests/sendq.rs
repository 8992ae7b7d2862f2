//! Bounded output queues: a client that stops reading is cut off with
//! "SendQ exceeded" while everyone else keeps receiving every message.

mod common;
use common::*;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

#[test]
fn slow_reader_is_dropped_and_others_get_everything() {
    // 128 KiB: the live reader may lag by WINDOW lines (~45 KB), and a push
    // racing with one of its writes can count up to one write batch more
    // (64 lines, ~29 KB; see Outbound::wrote).
    let server = TestServer::with_config(|c| c.limits.sendq = 128 * 1024);
    let mut sender = server.client("sender");
    let mut reader = server.client("reader");
    let mut stalled = server.client("stalled");
    for c in [&mut sender, &mut reader, &mut stalled] {
        c.send("JOIN #busy");
        c.expect("366");
    }
    // From here on the stalled client reads nothing. The sender keeps at most
    // `WINDOW` messages ahead of the live reader (well under its SendQ), and
    // goes on until the stalled client's kernel buffers and SendQ overflow.
    const WINDOW: usize = 100;
    const MAX: usize = 100_000;
    let seen = Arc::new(AtomicUsize::new(0));
    let quit_seen = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicBool::new(false));
    let reader_thread = {
        let (seen, quit_seen, done) = (seen.clone(), quit_seen.clone(), done.clone());
        std::thread::spawn(move || {
            let mut quit_reason = None;
            loop {
                let msg = reader.recv();
                match msg.command.as_str() {
                    "PRIVMSG" if msg.params[1] == "end" => break,
                    "PRIVMSG" => {
                        let n: usize = msg.params[1].split(' ').next().unwrap().parse().unwrap();
                        assert_eq!(n, seen.load(Ordering::SeqCst), "in order, none lost");
                        seen.fetch_add(1, Ordering::SeqCst);
                    }
                    "QUIT" if msg.source.as_deref().unwrap_or("").starts_with("stalled!") => {
                        quit_reason = Some(msg.params[0].clone());
                        quit_seen.store(true, Ordering::SeqCst);
                    }
                    "PING" | "JOIN" => {}
                    other => panic!("unexpected {other}: {msg:?}"),
                }
            }
            done.store(true, Ordering::SeqCst);
            (reader, quit_reason)
        })
    };
    let body = "x".repeat(400);
    let mut sent = 0;
    while sent < MAX && !quit_seen.load(Ordering::SeqCst) {
        while sent >= seen.load(Ordering::SeqCst) + WINDOW {
            assert!(!reader_thread.is_finished(), "the reader stopped early");
            std::thread::sleep(std::time::Duration::from_micros(200));
        }
        sender.send(&format!("PRIVMSG #busy :{sent} {body}"));
        sent += 1;
    }
    sender.send("PRIVMSG #busy :end");
    let (mut reader, quit_reason) = reader_thread.join().unwrap();
    assert_eq!(
        seen.load(Ordering::SeqCst),
        sent,
        "the live reader got every message"
    );
    assert_eq!(quit_reason.as_deref(), Some("SendQ exceeded"));
    // The server is still healthy for the others.
    sender.send("PRIVMSG #busy :after");
    assert_eq!(reader.expect("PRIVMSG").params[1], "after");
    let members = reader.ask("NAMES #busy");
    let names = &one(&members, "353").params[3];
    assert!(!names.contains("stalled"), "{names}");
    assert!(done.load(Ordering::SeqCst));
}
