//! Durability of history, against the real binary: messages that clients
//! saw relayed longer before a `kill -9` than the history writer gathers a
//! batch (1 s) and commits it are in the store after a restart, and after
//! a clean shutdown every message is.

mod common;
use common::*;

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

/// A raw IRC client with echo-message, server-time, batch and
/// draft/chathistory, registered as `nick` and in `#d`.
struct Client {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl Client {
    fn new(addr: SocketAddr, nick: &str) -> Client {
        let stream = TcpStream::connect(addr).unwrap();
        stream.set_read_timeout(Some(TIMEOUT)).unwrap();
        let mut c = Client {
            writer: stream.try_clone().unwrap(),
            reader: BufReader::new(stream),
        };
        c.send("CAP REQ :echo-message server-time batch message-tags draft/chathistory");
        c.send(&format!("NICK {nick}"));
        c.send(&format!("USER {nick} 0 * :{nick}"));
        c.send("CAP END");
        c.send("JOIN #d");
        c.until(|l| l.contains(" 366 "));
        c
    }

    fn send(&mut self, line: &str) {
        self.writer
            .write_all(format!("{line}\r\n").as_bytes())
            .unwrap();
    }

    fn line(&mut self) -> String {
        let mut s = String::new();
        assert!(self.reader.read_line(&mut s).unwrap() > 0, "closed");
        s.trim_end().to_string()
    }

    fn until(&mut self, done: impl Fn(&str) -> bool) -> Vec<String> {
        let mut lines = Vec::new();
        loop {
            let l = self.line();
            let stop = done(&l);
            lines.push(l);
            if stop {
                return lines;
            }
        }
    }

    /// The texts CHATHISTORY LATEST #d returns (up to 1000).
    fn history(&mut self) -> Vec<String> {
        self.send("CHATHISTORY LATEST #d * 1000");
        self.until(|l| l.contains(" BATCH -"))
            .iter()
            .filter(|l| l.contains(" PRIVMSG #d :"))
            .map(|l| l.split(" PRIVMSG #d :").nth(1).unwrap().to_string())
            .collect()
    }
}

#[test]
fn acknowledged_messages_survive_kill_9_and_every_message_a_clean_stop() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut server = Serve::with_data_dir(&data, &[]);
    let mut c = Client::new(server.irc, "writer");
    // Under load: 600 messages, each relayed back (echo-message) before
    // the next is counted as acknowledged.
    let mut acknowledged = Vec::new();
    for i in 0..600 {
        let text = format!("acked {i}");
        c.send(&format!("PRIVMSG #d :{text}"));
        c.until(|l| l.contains(" PRIVMSG #d :"));
        acknowledged.push(text);
    }
    // The writer's gather window (1 s), and time for its commit.
    std::thread::sleep(Duration::from_millis(1600));
    // More messages, still flowing when the process is killed.
    let started = Instant::now();
    for i in 0..300 {
        c.send(&format!("PRIVMSG #d :in flight {i}"));
    }
    let status = std::process::Command::new("kill")
        .args(["-KILL", &server.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    server.wait_exit();
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "the kill came late"
    );

    let mut server = Serve::with_data_dir(&data, &[]);
    let mut c = Client::new(server.irc, "reader");
    let stored = c.history();
    assert!(
        stored.len() >= acknowledged.len(),
        "{} of {} acknowledged messages stored",
        stored.len(),
        acknowledged.len()
    );
    assert_eq!(stored[..acknowledged.len()], acknowledged[..]);

    // A clean stop keeps everything, even what was sent just before.
    for i in 0..200 {
        c.send(&format!("PRIVMSG #d :last {i}"));
    }
    c.send("PING :done");
    c.until(|l| l.contains("PONG") && l.ends_with("done"));
    server.terminate();
    assert!(server.wait_exit().success());
    let server = Serve::with_data_dir(&data, &[]);
    let mut c = Client::new(server.irc, "checker");
    let stored = c.history();
    let last: Vec<&String> = stored.iter().filter(|t| t.starts_with("last ")).collect();
    assert_eq!(last.len(), 200);
}
