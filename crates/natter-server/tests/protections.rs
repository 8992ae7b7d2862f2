//! The protections of a public server with their defaults on (issue 13):
//! flood control (fakelag, RecvQ, connect classes, operators exempt),
//! connection limits (per address, per window, in total, exempt masks),
//! the registration timeout against a slow sender, and a login flood that
//! does not stall chat.
//!
//! `TestServer` lifts flood control and the per-address limits for every
//! other test; the servers here put the defaults back first.

mod common;

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use common::*;
use natter_server::config::ConnectClass;

fn class(name: &str, hosts: &[&str]) -> ConnectClass {
    ConnectClass {
        name: name.into(),
        hosts: hosts.iter().map(|h| h.to_string()).collect(),
        accounts: Vec::new(),
        exempt: false,
        burst: None,
        per_second: None,
        recvq: None,
        sendq: None,
    }
}

/// Reads PRIVMSGs until the one whose text is `last`, returning the texts
/// and when each arrived.
fn privmsgs_until(c: &mut Client, last: &str) -> Vec<(String, Instant)> {
    let mut got = Vec::new();
    loop {
        let m = c.expect("PRIVMSG");
        let text = m.params[1].clone();
        got.push((text.clone(), Instant::now()));
        if text == last {
            return got;
        }
    }
}

/// Two registered clients in `#c`: the sender and the observer.
fn pair(server: &TestServer) -> (Client, Client) {
    let mut sender = server.client("sender");
    let mut observer = server.client("observer");
    join_all("#c", &mut [&mut sender, &mut observer]);
    (sender, observer)
}

/// A block of ten lines pasted at once, with the default limits, arrives
/// at once: in less time than the steady rate gives one line (250 ms).
#[test]
fn a_pasted_block_of_ten_lines_arrives_at_once() {
    let server = TestServer::with_config(protected);
    let (mut sender, mut observer) = pair(&server);
    let block: String = (1..=10)
        .map(|i| format!("PRIVMSG #c :line {i}\r\n"))
        .collect();
    sender.send_raw(block.as_bytes());
    let got = privmsgs_until(&mut observer, "line 10");
    let texts: Vec<&str> = got.iter().map(|(t, _)| t.as_str()).collect();
    let want: Vec<String> = (1..=10).map(|i| format!("line {i}")).collect();
    assert_eq!(texts, want);
    let spread = got[9].1 - got[0].1;
    assert!(
        spread < Duration::from_millis(250),
        "the block was slowed: {spread:?} between its first and last line"
    );
}

/// Past the burst, lines are handled at the steady rate: none dropped,
/// all in order, and the rest no faster than `per_second`.
#[test]
fn past_the_burst_lines_wait_and_none_is_dropped() {
    let server = TestServer::with_config(|c| {
        protected(c);
        c.classes.push(ConnectClass {
            burst: Some(5),
            per_second: Some(10),
            ..class("slow", &["*"])
        });
    });
    let (mut sender, mut observer) = pair(&server);
    // Let the bucket fill again after registering and joining.
    std::thread::sleep(Duration::from_millis(600));
    let block: String = (1..=25).map(|i| format!("PRIVMSG #c :n{i}\r\n")).collect();
    let sent = Instant::now();
    sender.send_raw(block.as_bytes());
    let got = privmsgs_until(&mut observer, "n25");
    let texts: Vec<&str> = got.iter().map(|(t, _)| t.as_str()).collect();
    let want: Vec<String> = (1..=25).map(|i| format!("n{i}")).collect();
    assert_eq!(texts, want, "every line, in order");
    // Twenty lines past a burst of five at ten a second: at least two
    // seconds (a loaded machine only makes it slower).
    let took = got[24].1 - sent;
    assert!(took >= Duration::from_millis(1900), "not slowed: {took:?}");
    // The sender is still connected and answered.
    sender.sync();
}

/// A flood of hundreds of lines is slowed, then cut off at the RecvQ with
/// "Excess Flood"; a normal client in the same channel chats on.
#[test]
fn a_flooding_client_is_slowed_then_disconnected_and_others_chat_on() {
    let server = TestServer::with_config(protected);
    let mut flooder = server.client("flooder");
    let mut observer = server.client("observer");
    let mut normal = server.client("normal");
    join_all("#c", &mut [&mut flooder, &mut observer, &mut normal]);
    let flood: String = (1..=1000)
        .map(|i| format!("PRIVMSG #c :flood line number {i} with some padding to be long\r\n"))
        .collect();
    // The server may close while the flood is still being written.
    let _ = flooder.try_send_raw(flood.as_bytes());
    let closing = flooder.read_until_closed();
    let error = closing.last().expect("an ERROR line");
    assert!(
        error.starts_with("ERROR ") && error.contains("Excess Flood"),
        "{closing:?}"
    );
    // The observer saw the flooder's burst at most (the defaults' sixteen
    // lines, less what registering took), then its QUIT.
    let mut floods = 0;
    loop {
        let m = observer.recv();
        match m.command.as_str() {
            "PRIVMSG" => floods += 1,
            "QUIT" => {
                assert!(m.params[0].contains("Excess Flood"), "{m:?}");
                break;
            }
            _ => {}
        }
    }
    assert!(floods <= 16, "{floods} flood lines got through");
    normal.send("PRIVMSG #c :still here");
    assert_msg(
        &observer.expect("PRIVMSG"),
        &src("normal"),
        "PRIVMSG",
        &["#c", "still here"],
    );
}

/// Operators and exempt classes are not slowed, whatever they send.
#[test]
fn operators_and_exempt_classes_are_not_slowed() {
    let server = server_with_root(|c| {
        protected(c);
        c.classes.push(ConnectClass {
            exempt: true,
            ..class("trusted", &["127.0.0.2"])
        });
    });
    let mut observer = server.client("observer");
    observer.send("JOIN #c");
    observer.sync();
    let mut oper = server.client("root");
    oper_up(&mut oper);
    let mut trusted = Client::connect_from(server.addr, "127.0.0.2".parse().unwrap());
    trusted.register("trusted");
    for c in [&mut oper, &mut trusted] {
        c.send("JOIN #c");
        c.sync();
        let block: String = (1..=300)
            .map(|i| format!("PRIVMSG #c :{} {i}\r\n", c.nick))
            .collect();
        c.send_raw(block.as_bytes());
        let last = format!("{} 300", c.nick);
        let got = privmsgs_until(&mut observer, &last);
        assert_eq!(got.len(), 300, "every line of {}", c.nick);
        // Three hundred lines at four a second would take over a minute;
        // unslowed, they take a moment.
        assert!(got[299].1 - got[0].1 < Duration::from_secs(10));
        c.sync();
    }
}

/// Per-address limit: past `per_host` connections from one address the
/// next is refused with an ERROR line; another address still connects,
/// and a freed slot is usable again.
#[test]
fn connections_per_address_are_limited() {
    let server = TestServer::with_config(|c| {
        protected(c);
        c.connections.per_host = 3;
    });
    let mut held: Vec<Client> = (0..3).map(|_| server.connect()).collect();
    for (i, c) in held.iter_mut().enumerate() {
        c.register(&format!("held{i}"));
    }
    let mut refused = server.connect();
    let lines = refused.read_until_closed();
    assert_eq!(
        lines,
        ["ERROR :Closing Link: 127.0.0.1 (Too many connections from your address)"]
    );
    let mut other = Client::connect_from(server.addr, "127.0.0.2".parse().unwrap());
    other.register("other");
    held.pop().unwrap().send("QUIT");
    // The slot frees when the server has seen the close.
    let mut again = retry_connect(server.addr);
    again.register("again");
}

/// Connects until the server admits the connection (a slot freed by a
/// QUIT is free once the server has closed that connection).
fn retry_connect(addr: SocketAddr) -> Client {
    for _ in 0..50 {
        let mut c = Client::connect(addr);
        c.send("PING x");
        let line = c.recv_line().unwrap_or_default();
        if !line.starts_with("ERROR") {
            return c;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("never admitted");
}

/// Rate window: past `per_window` new connections within the window, the
/// next is refused even though none is open.
#[test]
fn connection_rate_per_address_is_limited() {
    let server = TestServer::with_config(|c| {
        protected(c);
        c.connections.per_window = 3;
        c.connections.window = 3600;
    });
    for i in 0..3 {
        let mut c = server.client(&format!("quick{i}"));
        c.send("QUIT");
        c.read_until_closed();
    }
    let mut refused = server.connect();
    assert_eq!(
        refused.read_until_closed(),
        ["ERROR :Closing Link: 127.0.0.1 (Connecting too fast from your address; try again later)"]
    );
}

/// An exempt address skips the per-address limits but not the total; at
/// the total, every address is refused.
#[test]
fn exempt_masks_and_the_total_limit() {
    let server = TestServer::with_config(|c| {
        protected(c);
        c.connections.per_host = 1;
        c.connections.exempt = vec!["127.0.0.0/31".into()];
        c.connections.max_clients = 4;
    });
    let mut held: Vec<Client> = (0..4).map(|_| server.connect()).collect();
    for (i, c) in held.iter_mut().enumerate() {
        c.register(&format!("ex{i}"));
    }
    let mut full = Client::connect_from(server.addr, "127.0.0.5".parse().unwrap());
    assert_eq!(
        full.read_until_closed(),
        ["ERROR :Closing Link: 127.0.0.5 (The server is full; try again later)"]
    );
}

/// A client that sends its registration a byte at a time is dropped at
/// the registration timeout all the same: input does not move it.
#[test]
fn a_slowloris_client_is_dropped_at_the_registration_timeout() {
    let server = TestServer::with_config(|c| {
        protected(c);
        c.timeouts.registration = 2;
    });
    let mut slow = server.connect();
    let started = Instant::now();
    let mut closed = None;
    for b in b"NICK slowloris\r\nUSER s 0 * :s".iter().cycle().take(400) {
        // A write fails once the server has closed.
        if slow.try_send_raw(&[*b]).is_err() || started.elapsed() > Duration::from_secs(3) {
            closed = Some(slow.read_until_closed());
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let lines = closed.expect("dropped");
    assert!(
        lines
            .last()
            .is_some_and(|l| l.contains("Registration timed out")),
        "{lines:?}"
    );
}

/// Twenty clients guessing passwords at once do not stall chat: two
/// clients exchange messages while the guesses are being checked.
#[test]
fn a_login_flood_does_not_stall_chat() {
    let server = TestServer::with_config(protected);
    let mut owner = server.client("owner");
    let reg = owner.ask("REGISTER * * correct-horse-battery");
    assert_eq!(one(&reg, "REGISTER").params[0], "SUCCESS", "{reg:?}");
    let mut guessers: Vec<Client> = (0..20)
        .map(|i| {
            let mut c = Client::connect_from(server.addr, IpAddr::from([127, 0, 1, i as u8 + 1]));
            c.send("CAP REQ :sasl");
            c.send(&format!("NICK guess{i}"));
            c.send("USER g 0 * :g");
            c.expect("CAP");
            c
        })
        .collect();
    let (mut a, mut b) = pair(&server);
    for g in &mut guessers {
        g.send("AUTHENTICATE PLAIN");
    }
    for g in &mut guessers {
        g.expect("AUTHENTICATE");
        let wrong = natter_base64("owner\0owner\0wrong-password");
        g.send(&format!("AUTHENTICATE {wrong}"));
    }
    // Chat while the twenty checks queue on the password pool.
    for i in 0..5 {
        let text = format!("during {i}");
        a.send(&format!("PRIVMSG #c :{text}"));
        assert_msg(
            &b.expect("PRIVMSG"),
            &src("sender"),
            "PRIVMSG",
            &["#c", &text],
        );
    }
    for g in &mut guessers {
        g.expect("904");
    }
}

fn natter_base64(s: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(s)
}

/// A class matched by account applies once the client has logged in: the
/// bot's account is exempt, so its 300 lines are not slowed, while before
/// logging in the same connection was in the default class.
#[test]
fn a_class_matched_by_account_applies_after_login() {
    let server = TestServer::with_config(|c| {
        protected(c);
        c.classes.push(ConnectClass {
            accounts: vec!["bot*".into()],
            exempt: true,
            ..class("bots", &[])
        });
    });
    let mut reg = server.client("botone");
    let r = reg.ask("REGISTER * * correct-horse-battery");
    assert_eq!(one(&r, "REGISTER").params[0], "SUCCESS", "{r:#?}");
    reg.send("QUIT");
    reg.read_until_closed();

    let mut observer = server.client("observer");
    observer.send("JOIN #c");
    observer.sync();
    let mut bot = server.connect();
    bot.send("CAP REQ :sasl");
    bot.expect("CAP");
    let ok = authenticate_plain(&mut bot, "botone", "correct-horse-battery");
    assert!(ok.iter().any(|m| m.command == "903"), "{ok:#?}");
    bot.send("CAP END");
    bot.register("botone");
    bot.send("JOIN #c");
    bot.sync();
    let block: String = (1..=300)
        .map(|i| format!("PRIVMSG #c :bot {i}\r\n"))
        .collect();
    bot.send_raw(block.as_bytes());
    let got = privmsgs_until(&mut observer, "bot 300");
    assert_eq!(got.len(), 300);
    assert!(got[299].1 - got[0].1 < Duration::from_secs(10));
    bot.sync();
}
