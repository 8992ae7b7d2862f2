//! Robustness of the connection layer end to end: framing whatever the TCP
//! boundaries (a byte at a time, many lines per write, LF-only and bare CR
//! terminators, empty lines), line length limits (512-byte body, 4094 bytes
//! of client tag data, ERR_INPUTTOOLONG 417) with the connection surviving, invalid UTF-8
//! (`FAIL <cmd> INVALID_UTF8`), unknown commands (421), missing parameters
//! (461), clients vanishing mid-line, random garbage, keepalive (server
//! PING and ping timeout), and 100 clients registering at once.

mod common;
use common::*;

use std::sync::{Arc, Barrier};

use natter_proto::Message;

/// `text` cut so that `:<from's prefix> PRIVMSG <target> :<text>\r\n` fits
/// in 512 bytes (RFC 1459 2.3), as the server must relay it.
fn fitted<'a>(text: &'a str, from: &str, target: &str) -> &'a str {
    let overhead = format!(":{} PRIVMSG {target} :\r\n", src(from)).len();
    let mut end = text.len().min(512 - overhead);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// Sends `bytes` one byte per write.
fn trickle(c: &mut Client, bytes: &[u8]) {
    for b in bytes {
        c.send_raw(std::slice::from_ref(b));
    }
}

/// Reads the next message and asserts it is `PONG natter.local <token>`.
fn expect_pong(c: &mut Client, token: &str) {
    let m = c.recv();
    assert_msg(&m, SERVER, "PONG", &[SERVER, token]);
}

/// Deterministic pseudo-random bytes (xorshift64*), so failures reproduce.
fn garbage(len: usize, mut seed: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(len);
    while out.len() < len {
        seed ^= seed >> 12;
        seed ^= seed << 25;
        seed ^= seed >> 27;
        let v = seed.wrapping_mul(0x2545_F491_4F6C_DD1D);
        out.extend_from_slice(&v.to_le_bytes());
    }
    out.truncate(len);
    out
}

// ---- framing ----

#[test]
fn a_line_delivered_one_byte_at_a_time() {
    let server = TestServer::start();
    let mut bob = server.client("bob");
    let mut alice = server.connect();
    trickle(
        &mut alice,
        b"NICK alice\r\nUSER alice 0 * :Alice Liddell\r\n",
    );
    let welcome = alice.expect("001");
    assert_numeric(
        &welcome,
        "001",
        &[
            "alice",
            "Welcome to the NatterNet IRC Network alice!~alice@127.0.0.1",
        ],
    );
    alice.expect("376");
    alice.nick = "alice".into();
    trickle(&mut alice, b"PRIVMSG bob :one byte at a time\r\n");
    alice.sync();
    assert_got(&mut bob, "alice", "PRIVMSG", &["bob", "one byte at a time"]);
}

#[test]
fn several_lines_in_one_write() {
    let server = TestServer::start();
    let mut bob = server.client("bob");
    let mut alice = server.connect();
    // Registration, a query and messages all in one write.
    alice.send_raw(
        b"NICK alice\r\nUSER alice 0 * :Alice\r\nPING :a\r\nPRIVMSG bob :first\r\n\
          PING :b\r\nPRIVMSG bob :second\r\nPING :c\r\n",
    );
    alice.expect("376");
    alice.nick = "alice".into();
    expect_pong(&mut alice, "a");
    expect_pong(&mut alice, "b");
    expect_pong(&mut alice, "c");
    let got = bob.sync();
    assert_eq!(got.len(), 2, "{got:#?}");
    assert_msg(&got[0], &src("alice"), "PRIVMSG", &["bob", "first"]);
    assert_msg(&got[1], &src("alice"), "PRIVMSG", &["bob", "second"]);
}

#[test]
fn lf_only_and_bare_cr_terminate_lines() {
    let server = TestServer::start();
    let mut bob = server.client("bob");
    let mut alice = server.connect();
    alice.send_raw(b"NICK alice\nUSER alice 0 * :Alice\n");
    alice.expect("376");
    alice.nick = "alice".into();
    alice.send_raw(b"PING :lf\n");
    expect_pong(&mut alice, "lf");
    alice.send_raw(b"PING :cr\r");
    expect_pong(&mut alice, "cr");
    // Mixed in one write, and a CR LF split across writes.
    alice.send_raw(b"PRIVMSG bob :x\rPRIVMSG bob :y\nPRIVMSG bob :z\r");
    alice.send_raw(b"\nPING :mixed\r\n");
    expect_pong(&mut alice, "mixed");
    let got = bob.sync();
    let texts: Vec<&str> = got.iter().map(|m| m.params[1].as_str()).collect();
    assert_eq!(texts, ["x", "y", "z"], "{got:#?}");
}

#[test]
fn empty_lines_are_ignored() {
    let server = TestServer::start();
    let mut alice = server.connect();
    // Before registration...
    alice.send_raw(b"\r\n\r\n\n\r   \r\n");
    alice.assert_quiet();
    alice.register("alice");
    // ...and after: no 421, 461 or anything else.
    alice.send_raw(b"\r\n\n\r\r\n  \n");
    alice.assert_quiet();
    assert_eq!(alice.ask("PING :fine").len(), 1);
}

// ---- length limits ----

#[test]
fn line_over_512_bytes_gets_417_and_connection_keeps_working() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    let mut bob = server.client("bob");
    // 510 bytes of body (512 with CR LF) is the most allowed.
    let head = "PRIVMSG bob :";
    let ok_text = "x".repeat(510 - head.len());
    assert!(alice.ask(&format!("{head}{ok_text}")).is_empty());
    // Relayed with alice's source the line would be longer than 512 bytes,
    // so the text is cut to fit.
    assert_got(
        &mut bob,
        "alice",
        "PRIVMSG",
        &["bob", fitted(&ok_text, "alice", "bob")],
    );
    // One byte more is too long, and is not delivered.
    let r = alice.ask(&format!("{head}{ok_text}y"));
    only(&r, SERVER, "417", &["alice", "Input line was too long"]);
    bob.assert_quiet();
    // Far beyond any buffer: still exactly one 417.
    let r = alice.ask(&format!("{head}{}", "z".repeat(20_000)));
    only(&r, SERVER, "417", &["alice", "Input line was too long"]);
    bob.assert_quiet();
    // The connection is fine afterwards.
    assert!(alice.ask("PRIVMSG bob :still here").is_empty());
    assert_got(&mut bob, "alice", "PRIVMSG", &["bob", "still here"]);
}

#[test]
fn long_line_before_registration_gets_417() {
    let server = TestServer::start();
    let mut c = server.connect();
    let r = c.ask(&format!("USER {} 0 * :x", "u".repeat(600)));
    only(&r, SERVER, "417", &["*", "Input line was too long"]);
    c.register("alice");
}

/// A tag section (`@` ... space) of exactly `len` bytes.
fn tags_of_len(len: usize) -> String {
    // "@a=" + value + " "
    format!("@a={} ", "v".repeat(len - 4))
}

#[test]
fn client_tags_up_to_4094_bytes_are_accepted_and_more_get_417() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    let mut bob = server.client("bob");
    // IRCv3 message-tags: a client's tag data (without '@' and the space)
    // is at most 4094 bytes; 8191 is the limit for what servers send.
    let at_limit = tags_of_len(4096);
    assert_eq!(at_limit.len(), 4096);
    alice.send(&format!("{at_limit}PING :tagged"));
    expect_pong(&mut alice, "tagged");
    // Maximal tags plus a maximal body together.
    let head = "PRIVMSG bob :";
    let text = "x".repeat(510 - head.len());
    assert!(alice.ask(&format!("{at_limit}{head}{text}")).is_empty());
    assert_got(
        &mut bob,
        "alice",
        "PRIVMSG",
        &["bob", fitted(&text, "alice", "bob")],
    );
    // One byte more of tags is refused.
    let r = alice.ask(&format!("{}PRIVMSG bob :hi", tags_of_len(4097)));
    only(&r, SERVER, "417", &["alice", "Input line was too long"]);
    bob.assert_quiet();
    // Several tags.
    alice.send("@a;b=1;+c=x\\sy PING :many");
    expect_pong(&mut alice, "many");
}

// ---- bad input ----

#[test]
fn invalid_utf8_gets_fail_and_connection_survives() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    let mut bob = server.client("bob");
    alice.send_raw(b"PRIVMSG bob :caf\xe9 \xff\xfe\r\n");
    let r = alice.sync();
    only(
        &r,
        SERVER,
        "FAIL",
        &[
            "PRIVMSG",
            "INVALID_UTF8",
            "Message rejected, it contained invalid UTF-8",
        ],
    );
    bob.assert_quiet();
    // A bad byte in the command word itself.
    alice.send_raw(b"\xc3\x28 x\r\n");
    let r = alice.sync();
    assert_eq!(r.len(), 1, "{r:#?}");
    assert_eq!(r[0].command, "FAIL");
    assert_eq!(r[0].params[1], "INVALID_UTF8");
    // The connection is intact.
    assert!(alice.ask("PRIVMSG bob :café ok").is_empty());
    assert_got(&mut bob, "alice", "PRIVMSG", &["bob", "café ok"]);
}

#[test]
fn invalid_utf8_before_registration() {
    let server = TestServer::start();
    let mut c = server.connect();
    c.send_raw(b"NICK \xff\xfe\r\n");
    let r = c.sync();
    only(
        &r,
        SERVER,
        "FAIL",
        &[
            "NICK",
            "INVALID_UTF8",
            "Message rejected, it contained invalid UTF-8",
        ],
    );
    c.register("alice");
}

#[test]
fn unknown_command_gets_421() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    for (line, cmd) in [
        ("FROBNICATE x y", "FROBNICATE"),
        ("frobnicate", "FROBNICATE"),
        ("999", "999"),
        (":alice!x@y BLORP :z", "BLORP"),
        ("@tag=1 BLORP", "BLORP"),
    ] {
        let r = alice.ask(line);
        assert_eq!(r.len(), 1, "{line}: {r:#?}");
        assert_numeric(&r[0], "421", &["alice", cmd, "Unknown command"]);
    }
    // A source or tags without any command.
    for line in [":alice!x@y", "@a=b", "@a=b :src"] {
        let r = alice.ask(line);
        assert_eq!(r.len(), 1, "{line}: {r:#?}");
        assert_numeric(&r[0], "421", &["alice", "*", "Unknown command"]);
    }
    // A word that is not a command at all.
    let r = alice.ask("PRIV-MSG bob :x");
    only(&r, SERVER, "421", &["alice", "PRIV-MSG", "Unknown command"]);
}

#[test]
fn missing_parameters_get_461() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    let mut bob = server.client("bob");
    join_all("#c", &mut [&mut alice, &mut bob]);
    for (line, cmd) in [
        ("JOIN", "JOIN"),
        ("PART", "PART"),
        ("MODE", "MODE"),
        ("KICK", "KICK"),
        ("KICK #c", "KICK"),
        ("TOPIC", "TOPIC"),
        // (INVITE alone lists the client's invitations.)
        ("INVITE bob", "INVITE"),
        ("OPER", "OPER"),
        ("OPER name", "OPER"),
        ("KILL", "KILL"),
        ("KILL bob", "KILL"),
        ("ISON", "ISON"),
        ("USERHOST", "USERHOST"),
        ("CAP", "CAP"),
        ("CAP REQ", "CAP"),
        ("PING", "PING"),
    ] {
        let r = alice.ask(line);
        assert_eq!(r.len(), 1, "{line}: {r:#?}");
        assert_numeric(&r[0], "461", &["alice", cmd, "Not enough parameters"]);
    }
    // Nothing happened: bob is still in #c.
    bob.assert_quiet();
}

// ---- vanishing and hostile clients ----

#[test]
fn client_disconnecting_mid_line_does_not_disturb_others() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    let mut bob = server.client("bob");
    join_all("#c", &mut [&mut alice, &mut bob]);
    bob.send_raw(b"PRIVMSG #c :half a li");
    // Hang up without QUIT.
    drop(bob);
    // The half line is never delivered: the next thing alice sees is the QUIT.
    let quit = alice.recv();
    assert_msg(&quit, &src("bob"), "QUIT", &["Connection closed"]);
    alice.assert_quiet();
    // The server carries on, and bob's nick is free.
    let mut bob2 = server.client("bob");
    bob2.ask("JOIN #c");
    alice.expect("JOIN");
    assert!(alice.ask("PRIVMSG #c :welcome back").is_empty());
    assert_got(&mut bob2, "alice", "PRIVMSG", &["#c", "welcome back"]);
}

#[test]
fn garbage_bytes_do_not_crash_the_server() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    let mut bob = server.client("bob");
    join_all("#c", &mut [&mut alice, &mut bob]);

    // An unregistered connection sends 10 KB of random bytes (NULs
    // included), then a PING: it is still being served.
    let junk = garbage(10 * 1024, 0x9E37_79B9_7F4A_7C15);
    assert!(junk.contains(&0));
    let mut noisy = server.connect();
    noisy.send_raw(&junk);
    noisy.send_raw(b"\r\nPING :after-garbage\r\n");
    loop {
        let m = noisy.recv();
        if m.command == "PONG" {
            assert_eq!(params(&m), [SERVER, "after-garbage"]);
            break;
        }
        assert_ne!(m.command, "001", "garbage registered: {m:?}");
    }

    // A registered user does the same and then just hangs up.
    let mut rude = server.client("rude");
    rude.send_raw(&garbage(10 * 1024, 42));
    drop(rude);

    // Everyone else is unaffected; the server still accepts and serves.
    assert!(alice.ask("PRIVMSG #c :still up?").is_empty());
    assert_got(&mut bob, "alice", "PRIVMSG", &["#c", "still up?"]);
    let mut carol = server.client("carol");
    assert_eq!(carol.ask("PING :ok").len(), 1);
}

#[test]
fn a_hundred_clients_register_concurrently() {
    const N: usize = 100;
    let server = TestServer::start();
    let addr = server.addr;
    let barrier = Arc::new(Barrier::new(N));
    let clients: Vec<Client> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..N)
            .map(|i| {
                let barrier = barrier.clone();
                s.spawn(move || {
                    let nick = format!("user{i}");
                    barrier.wait();
                    let mut c = Client::connect(addr);
                    c.send(&format!("NICK {nick}"));
                    c.send(&format!("USER {nick} 0 * :Real {nick}"));
                    let welcome = c.expect("001");
                    assert_eq!(welcome.params[0], nick);
                    c.expect("376");
                    c.nick = nick;
                    c
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(clients.len(), N);
    let mut observer = server.client("observer");
    let r = observer.ask("LUSERS");
    assert_numeric(
        one(&r, "251"),
        "251",
        &[
            "observer",
            "There are 101 users and 0 invisible on 1 servers",
        ],
    );
    // Every one of them is reachable by nick.
    let nicks: Vec<String> = (0..N).map(|i| format!("user{i}")).collect();
    for chunk in nicks.chunks(10) {
        let r = observer.ask(&format!("ISON {}", chunk.join(" ")));
        assert_numeric(&r[0], "303", &["observer", &chunk.join(" ")]);
    }
}

// ---- keepalive ----

#[test]
fn idle_client_is_pinged_and_dropped_on_ping_timeout() {
    let server = TestServer::with_config(|c| {
        c.timeouts.ping_interval = 1;
        c.timeouts.ping_timeout = 1;
    });
    let mut alice = server.client("alice");
    let mut bob = server.client("bob");
    alice.ask("JOIN #c");
    bob.ask("JOIN #c");
    bob.sync();
    let alice_thread = std::thread::spawn(move || loop {
        let m = alice.recv();
        match m.command.as_str() {
            "PING" => alice.send(&format!("PONG :{}", m.params[0])),
            "QUIT" => return m,
            _ => {}
        }
    });
    // Bob stays silent: the server PINGs him, then gives up.
    let ping = bob.expect("PING");
    assert_eq!(ping.params, [SERVER]);
    let lines = bob.read_until_closed();
    let last = Message::parse(lines.last().expect("ERROR")).unwrap();
    assert_eq!(last.command, "ERROR", "{lines:#?}");
    assert!(
        last.params[0].starts_with("Closing Link: 127.0.0.1 (Ping timeout"),
        "{last:?}"
    );
    // Alice answers her PINGs (on her own thread, as the test waited on
    // bob), so she is still here and sees bob go.
    let quit = alice_thread.join().unwrap();
    assert_eq!(quit.source.as_deref(), Some(src("bob").as_str()));
    assert_eq!(quit.command, "QUIT");
    assert!(quit.params[0].starts_with("Ping timeout"), "{quit:?}");
}

#[test]
fn answering_pings_keeps_the_connection() {
    let server = TestServer::with_config(|c| {
        c.timeouts.ping_interval = 1;
        c.timeouts.ping_timeout = 1;
    });
    let mut alice = server.client("alice");
    // Three rounds: each PING answered; a dropped connection would end
    // `expect` with a panic instead.
    for _ in 0..3 {
        let ping = alice.expect("PING");
        assert_eq!(ping.params, [SERVER]);
        alice.send(&format!("PONG :{}", ping.params[0]));
    }
}

#[test]
fn long_part_reason_is_cut_to_fit_512_bytes() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    let mut bob = server.client("bob");
    join_all("#c", &mut [&mut alice, &mut bob]);
    let reason = "p".repeat(510 - "PART #c :".len());
    alice.send(&format!("PART #c :{reason}"));
    // Parsing is the check: the harness rejects lines over 512 bytes.
    let part = bob.expect("PART");
    assert_eq!(part.params[0], "#c");
    assert!(reason.starts_with(part.params[1].as_str()));
}
