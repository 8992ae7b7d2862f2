//! Commands before registration, USER twice or short of parameters, the
//! registration timeout, PING/PONG, QUIT, and the length of what
//! registration and QUIT send.

use super::*;

// ---- before registration, USER twice ----

#[test]
fn commands_before_registration_get_451() {
    let server = TestServer::start();
    let mut c = server.connect();
    for line in [
        "JOIN #chan",
        "PRIVMSG bob :hi",
        "WHOIS bob",
        "MODE x +i",
        "LUSERS",
        "AWAY :x",
        "FROBNICATE",
    ] {
        let r = c.ask(line);
        assert_eq!(r.len(), 1, "{line}: {r:#?}");
        assert_numeric(&r[0], "451", &["*", "You have not registered"]);
    }
    // Nothing happened behind the refusal: the channel does not exist.
    let mut alice = server.client("alice");
    let r = alice.ask("LUSERS");
    assert_eq!(one(&r, "254").params[1], "0");
}

#[test]
fn user_twice_gets_462() {
    let server = TestServer::start();
    let mut c = server.connect();
    c.send("USER one 0 * :One");
    let r = c.ask("USER two 0 * :Two");
    only(&r, SERVER, "462", &["*", "You may not reregister"]);
    c.send("NICK alice");
    let burst = read_burst(&mut c);
    // The first USER counted.
    assert!(burst[0].params[1].ends_with("alice!~one@127.0.0.1"));
    let r = c.ask("USER three 0 * :Three");
    only(&r, SERVER, "462", &["alice", "You may not reregister"]);
}

#[test]
fn user_with_too_few_params_gets_461() {
    let server = TestServer::start();
    let mut c = server.connect();
    for line in ["USER", "USER a", "USER a 0 *"] {
        let r = c.ask(line);
        assert_eq!(r.len(), 1, "{line}: {r:#?}");
        assert_numeric(&r[0], "461", &["*", "USER", "Not enough parameters"]);
    }
    // None of those counted as USER.
    assert_eq!(register_burst(&mut c, "alice")[0].command, "001");
}

// ---- registration timeout ----

#[test]
fn registration_timeout_sends_error_and_closes() {
    let server = TestServer::with_config(|c| c.timeouts.registration = 1);
    let mut idle = server.connect();
    let mut half = server.connect();
    half.send("NICK half");
    for c in [&mut idle, &mut half] {
        assert_closed_with(c, "Registration timed out");
    }
    // The timed-out reservation is released.
    let mut c = server.connect();
    assert_eq!(register_burst(&mut c, "half")[0].command, "001");
}

#[test]
fn registered_clients_are_not_subject_to_registration_timeout() {
    let server = TestServer::with_config(|c| c.timeouts.registration = 1);
    let mut alice = server.client("alice");
    // Outlive the registration timeout by waiting for an unregistered
    // connection to be dropped by it, then check alice is still here.
    let mut idle = server.connect();
    let lines = idle.read_until_closed();
    assert!(lines.last().unwrap().starts_with("ERROR"), "{lines:?}");
    alice.send("PING :still-here");
    assert_msg(&alice.recv(), SERVER, "PONG", &[SERVER, "still-here"]);
}

// ---- PING/PONG ----

#[test]
fn ping_gets_pong_with_the_token() {
    let server = TestServer::start();
    let mut c = server.connect();
    // Before registration too.
    c.send("PING :hello world");
    let pong = c.recv();
    assert_msg(&pong, SERVER, "PONG", &[SERVER, "hello world"]);
    let mut alice = server.client("alice");
    alice.send("PING token123");
    assert_msg(&alice.recv(), SERVER, "PONG", &[SERVER, "token123"]);
}

#[test]
fn ping_without_parameter_gets_461() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    let r = alice.ask("PING");
    only(
        &r,
        SERVER,
        "461",
        &["alice", "PING", "Not enough parameters"],
    );
}

#[test]
fn pong_from_client_is_silent() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    assert!(alice.ask("PONG :natter.local").is_empty());
    assert!(alice.ask("PONG").is_empty());
}

// ---- QUIT ----

#[test]
fn quit_with_reason_errors_the_quitter_and_tells_peers() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    let mut bob = server.client("bob");
    let mut carol = server.client("carol");
    join_all("#c", &mut [&mut alice, &mut bob]);
    alice.send("QUIT :going home");
    assert_closed_with(&mut alice, "Quit: going home");
    assert_got(&mut bob, "alice", "QUIT", &["Quit: going home"]);
    carol.assert_quiet();
    // Her nick is free again and the channel kept bob only.
    let r = bob.ask("NAMES #c");
    assert_eq!(one(&r, "353").params[3], "bob");
    let mut again = server.connect();
    assert_eq!(register_burst(&mut again, "alice")[0].params[0], "alice");
}

#[test]
fn quit_without_reason() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    let mut bob = server.client("bob");
    join_all("#c", &mut [&mut alice, &mut bob]);
    alice.send("QUIT");
    assert_closed_with(&mut alice, "Client Quit");
    let r = bob.sync();
    assert_msg(&r[0], &src("alice"), "QUIT", &["Client Quit"]);
}

#[test]
fn quit_before_registration_closes_and_frees_the_nick() {
    let server = TestServer::start();
    let mut c = server.connect();
    c.send("NICK early");
    c.send("QUIT :never mind");
    assert_closed_with(&mut c, "Quit: never mind");
    let mut d = server.connect();
    assert_eq!(register_burst(&mut d, "early")[0].params[0], "early");
}

#[test]
fn lines_after_quit_are_not_processed() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    let mut bob = server.client("bob");
    alice.send_raw(b"PRIVMSG bob :before\r\nQUIT :bye\r\nPRIVMSG bob :after\r\n");
    let lines = until_closed(&mut alice);
    assert_eq!(cmds(&lines), ["ERROR"], "{lines:#?}");
    assert_got(&mut bob, "alice", "PRIVMSG", &["bob", "before"]);
}

#[test]
fn server_does_not_wait_on_registration_forever_with_cap() {
    // CAP negotiation does not escape the registration timeout.
    let server = TestServer::with_config(|c| c.timeouts.registration = 1);
    let mut c = server.connect();
    c.send("CAP LS 302");
    c.send("NICK alice");
    c.send("USER alice 0 * :Alice");
    let lines = until_closed(&mut c);
    assert_eq!(cmds(&lines), ["CAP", "ERROR"], "{lines:#?}");
    assert_eq!(
        params(&lines[1]),
        ["Closing Link: 127.0.0.1 (Registration timed out)"]
    );
}

// ---- line length of what registration and QUIT send ----

#[test]
fn long_quit_reason_is_cut_to_fit_512_bytes() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    let mut bob = server.client("bob");
    join_all("#c", &mut [&mut alice, &mut bob]);
    // A 510-byte QUIT line: "Quit: " and the source make the relayed
    // lines longer than the client's.
    let reason = "r".repeat(510 - "QUIT :".len());
    alice.send(&format!("QUIT :{reason}"));
    // The harness refuses lines over 512 bytes, so parsing is the check.
    let lines = until_closed(&mut alice);
    assert_eq!(cmds(&lines), ["ERROR"]);
    let error_text = &lines[0].params[0];
    assert!(error_text.starts_with("Closing Link: 127.0.0.1 (Quit: rrr"));
    let r = bob.sync();
    assert_eq!(r.len(), 1, "{r:#?}");
    assert_eq!(r[0].command, "QUIT");
    let relayed = &r[0].params[0];
    assert!(relayed.starts_with("Quit: rrr"), "{relayed}");
    // Cut, but no more than the longer of the two lines needs.
    assert!(relayed.len() > 400, "{} bytes", relayed.len());
    assert!(format!("Quit: {reason}").starts_with(relayed.as_str()));
}

#[test]
fn long_realname_is_cut_so_replies_fit_512_bytes() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    let long = "R".repeat(400);
    let mut c = server.connect();
    c.send(&format!("NICK {}", "n".repeat(30)));
    c.send(&format!("USER {} 0 * :{long}", "u".repeat(16)));
    c.expect("376");
    c.send("JOIN #a-channel-with-a-rather-long-name-for-this-test");
    c.expect("366");
    // WHO and WHOIS repeat the real name next to the longest names; every
    // line must still parse (the harness rejects lines over 512 bytes).
    let r = alice.ask("WHO #a-channel-with-a-rather-long-name-for-this-test");
    let real = &one(&r, "352").params[7];
    let shown = real.strip_prefix("0 ").expect("hopcount");
    assert!(long.starts_with(shown) && shown.len() >= 50, "{shown}");
    assert!(shown.len() < long.len(), "the real name was not cut");
    let r = alice.ask(&format!("WHOIS {}", "n".repeat(30)));
    assert_eq!(one(&r, "311").params[5], shown);
}
