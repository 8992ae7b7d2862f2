//! Replies sized by the reader (issue 13): LIST, WHO and NAMES of 10,000
//! entries reach a client whose SendQ is a small fraction of the reply,
//! whole and in order, and the client stays connected. The entries are
//! users and channels of a fake linked server (a burst is the cheap way to
//! make 10,000 of them).

mod common;

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};

use common::links::*;
use common::*;
use natter_proto::Message;

const USERS: usize = 10_000;
/// Members of `#big` (every user).
const BIG: usize = USERS;

/// A server whose clients have a 16 KiB SendQ, with 10,000 users of
/// `fake.test`, all in `#big` and one each in `#c0` … `#c9999`; and a
/// client.
fn crowded() -> (TestServer, TcpStream, Client) {
    let server = TestServer::with_config(|c| {
        c.server.name = "a.test".into();
        c.listen.link = vec![SocketAddr::from(([127, 0, 0, 1], 0))];
        c.links.push(block("fake.test", None));
        c.limits.sendq = 16 * 1024;
    });
    let stream = TcpStream::connect(server.link_addr.unwrap()).unwrap();
    stream.set_read_timeout(Some(TIMEOUT)).unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut w = stream.try_clone().unwrap();
    let mut burst =
        format!("PASS {PW} 0210-IRC+ natter|0.1/TS,TAGS P\r\nSERVER fake.test 1 :fake\r\n");
    for i in 0..USERS {
        burst += &format!(":fake.test NICK u{i} 1 ~u{i} host{i}.example 1 + :User {i}\r\n");
    }
    for chunk in (0..BIG).collect::<Vec<_>>().chunks(40) {
        let nicks: Vec<String> = chunk.iter().map(|i| format!("u{i}")).collect();
        burst += &format!(":fake.test NJOIN #big :{}\r\n", nicks.join(","));
    }
    for i in 0..USERS {
        burst += &format!(":fake.test NJOIN #c{i} :u{i}\r\n");
    }
    // The server handles link lines in order: its answer to this PING
    // comes after all of the above is in.
    burst += ":fake.test PING fake.test a.test\r\n";
    w.write_all(burst.as_bytes()).unwrap();
    loop {
        let mut line = String::new();
        assert!(reader.read_line(&mut line).unwrap() > 0, "link closed");
        let m = Message::parse(line.trim_end()).unwrap();
        if m.command == "PING" {
            w.write_all(format!(":fake.test PONG fake.test :{}\r\n", m.params[0]).as_bytes())
                .unwrap();
        }
        if m.command == "PONG" {
            break;
        }
    }
    let client = server.client("reader");
    (server, stream, client)
}

/// Reads replies until `end`, returning those with `code`.
fn collect(c: &mut Client, code: &str, end: &str) -> Vec<Message> {
    let mut got = Vec::new();
    loop {
        let m = c.recv();
        if m.command == end {
            return got;
        }
        if m.command == code {
            got.push(m);
        }
    }
}

#[test]
fn list_who_and_names_of_ten_thousand_arrive_whole_through_a_small_sendq() {
    let (_server, _link, mut c) = crowded();
    c.send("WHO u*");
    let who = collect(&mut c, "352", "315");
    let nicks: BTreeSet<&str> = who.iter().map(|m| m.params[5].as_str()).collect();
    assert_eq!(who.len(), USERS);
    assert_eq!(nicks.len(), USERS, "every user once");
    assert!(nicks.contains("u0") && nicks.contains("u9999"));

    c.send("WHO #big");
    assert_eq!(collect(&mut c, "352", "315").len(), BIG);

    c.send("LIST");
    let list = collect(&mut c, "322", "323");
    let names: BTreeSet<&str> = list.iter().map(|m| m.params[1].as_str()).collect();
    assert_eq!(names.len(), USERS + 1, "#big and every #cN");
    assert!(names.contains("#c0") && names.contains("#c9999") && names.contains("#big"));

    c.send("NAMES #big");
    let names = collect(&mut c, "353", "366");
    let members: usize = names
        .iter()
        .map(|m| m.params.last().unwrap().split(' ').count())
        .sum();
    assert_eq!(members, BIG);

    // Replies of hundreds of kilobytes through a 16 KiB SendQ, and the
    // client is still here and answered in order.
    let after = c.ask("WHOIS u42");
    assert!(after.iter().any(|m| m.command == "311"), "{after:#?}");
}

/// While a large reply is fed, the client's next commands wait behind it
/// and are answered after it, in order.
#[test]
fn commands_after_a_large_reply_are_answered_after_it() {
    let (_server, _link, mut c) = crowded();
    c.send_raw(b"LIST\r\nPING after-list\r\n");
    let mut lists = 0;
    loop {
        let m = c.recv();
        match m.command.as_str() {
            "322" => lists += 1,
            "PONG" => {
                assert_eq!(m.params.last().unwrap(), "after-list");
                break;
            }
            _ => {}
        }
    }
    assert_eq!(lists, USERS + 1, "the whole LIST came before the PONG");
}

/// A client that sends its commands and then stops sending (a script's
/// `printf … | nc`) still gets its whole large reply before the close.
#[test]
fn a_large_reply_outlives_the_end_of_the_clients_input() {
    let (server, _link, _c) = crowded();
    let mut raw = TcpStream::connect(server.addr).unwrap();
    raw.set_read_timeout(Some(TIMEOUT)).unwrap();
    raw.write_all(b"NICK scripted\r\nUSER s 0 * :s\r\nLIST\r\n")
        .unwrap();
    raw.shutdown(std::net::Shutdown::Write).unwrap();
    let mut lists = 0;
    let mut ended = false;
    for line in BufReader::new(raw).lines() {
        let Ok(line) = line else { break };
        match line.split(' ').nth(1) {
            Some("322") => lists += 1,
            Some("323") => ended = true,
            _ => {}
        }
    }
    assert_eq!(lists, USERS + 1);
    assert!(ended, "RPL_LISTEND after every entry");
}
