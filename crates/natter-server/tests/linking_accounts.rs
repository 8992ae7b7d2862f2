//! Accounts and history across server links: an account registered on one
//! natter server logs in on another (registered before the link, in the
//! burst, or after it), a password change travels too, a login is seen
//! network wide (WHOIS 330, account-notify), a channel's history is the
//! same on every natter server, members there or not, and the modes that
//! ask for an account (user `+R`, channel `+R`) hold on every server.

mod common;

use common::links::*;
use common::*;
use std::time::{Duration, Instant};

/// SASL PLAIN on a fresh connection to `server`: the final numeric.
fn sasl(server: &TestServer, account: &str, password: &str) -> String {
    let mut c = server.connect();
    c.send("CAP REQ sasl");
    c.expect("CAP");
    let got = authenticate_plain(&mut c, account, password);
    got.last().map(|m| m.command.clone()).unwrap_or_default()
}

/// Waits until SASL as `account` succeeds on `server`.
fn wait_login(server: &TestServer, account: &str, password: &str) {
    let deadline = Instant::now() + TIMEOUT;
    while sasl(server, account, password) != "903" {
        assert!(Instant::now() < deadline, "{account} never logged in");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn accounts_travel_between_natter_servers() {
    let a = node("a.test", 0, &[("b.test", None)]);
    // Registered before the link exists: it goes in the burst.
    let mut early = a.client("early");
    early.ask("NS REGISTER early-password");
    let b = node("b.test", 0, &[("a.test", a.link_addr)]);
    let mut watcher = client_with(&b, "watcher", "account-notify");
    wait_servers(&mut watcher, 2);
    wait_login(&b, "early", "early-password");

    // Registered while linked, changed, logged in on the other server.
    let mut late = a.client("late");
    late.ask("NS REGISTER late-password");
    wait_login(&b, "late", "late-password");
    late.ask("NS SET PASSWORD changed-password");
    wait_login(&b, "late", "changed-password");
    assert_eq!(sasl(&b, "late", "late-password"), "904");

    // A login on a is seen from b.
    watcher.ask("JOIN #x");
    let mut user = a.client("user");
    user.ask("JOIN #x");
    wait_user(&mut watcher, "user");
    user.ask("NS REGISTER user-password");
    let account = watcher.expect("ACCOUNT");
    assert_eq!(params(&account), ["user"]);
    let got = watcher.ask("WHOIS user");
    assert_eq!(params(one(&got, "330"))[2], "user");
}

#[test]
fn a_channels_history_is_the_same_on_every_natter_server() {
    let a = node("a.test", 0, &[("b.test", None)]);
    let b = node("b.test", 0, &[("a.test", a.link_addr)]);
    let caps = "batch echo-message message-tags server-time draft/chathistory";
    let mut speaker = client_with(&a, "speaker", caps);
    wait_servers(&mut speaker, 2);
    speaker.ask("JOIN #h");
    // Nobody on b is in #h while these are said.
    let sent: Vec<(String, String)> = (0..3)
        .map(|i| {
            speaker.send(&format!("PRIVMSG #h :said {i}"));
            let echo = speaker.expect("PRIVMSG");
            let tag = |k: &str| {
                echo.tags
                    .iter()
                    .find(|t| t.key == k)
                    .and_then(|t| t.value.clone())
            };
            (tag("msgid").unwrap(), tag("time").unwrap())
        })
        .collect();
    let mut late = client_with(&b, "late", caps);
    late.ask("JOIN #h");
    let deadline = Instant::now() + TIMEOUT;
    loop {
        let got = late.ask("CHATHISTORY LATEST #h * 10");
        let seen: Vec<(String, String)> = with_command(&got, "PRIVMSG")
            .iter()
            .map(|m| {
                let tag = |k: &str| {
                    m.tags
                        .iter()
                        .find(|t| t.key == k)
                        .and_then(|t| t.value.clone())
                };
                (tag("msgid").unwrap(), tag("time").unwrap())
            })
            .collect();
        if seen == sent {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "b's history {seen:?}, a's messages {sent:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A user's `+R` (messages only from accounts) and a channel's `+R` (joins
/// only with an account) travel between natter servers, and the other
/// server refuses as the user's or the channel's own would.
#[test]
fn modes_that_ask_for_an_account_hold_across_a_link() {
    let a = node("a.test", 0, &[("b.test", None)]);
    let b = node("b.test", 0, &[("a.test", a.link_addr)]);
    let mut alice = a.client("alice");
    alice.ask("NS REGISTER alice-password");
    alice.send("JOIN #acct");
    alice.expect("366");
    alice.ask("MODE #acct +R");
    alice.ask("MODE alice +R");
    let mut bob = b.client("bob");
    wait_servers(&mut bob, 2);
    // The burst brings alice, then the channel: wait until b has both
    // modes (a JOIN before the channel arrived would make a new one).
    let deadline = Instant::now() + TIMEOUT;
    loop {
        let got = bob.ask("MODE #acct");
        if got
            .first()
            .is_some_and(|m| m.command == "324" && m.params[2].contains('R'))
        {
            break;
        }
        assert!(Instant::now() < deadline, "b never had #acct +R: {got:#?}");
        std::thread::sleep(Duration::from_millis(20));
    }
    let deadline = Instant::now() + TIMEOUT;
    loop {
        let got = bob.ask("PRIVMSG alice :hi");
        if cmds(&got) == ["477"] {
            assert_eq!(
                params(&got[0]),
                [
                    "bob",
                    "alice",
                    "You need to be logged in to an account to message this user"
                ]
            );
            break;
        }
        assert!(
            Instant::now() < deadline,
            "b never applied alice's +R: {got:#?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let got = bob.ask("JOIN #acct");
    assert_eq!(cmds(&got), ["477"], "{got:#?}");
    // Logged in on b, bob gets through both.
    bob.ask("NS REGISTER bob-password");
    bob.send("JOIN #acct");
    bob.expect("366");
    assert!(bob.ask("PRIVMSG alice :now with an account").is_empty());
    let deadline = Instant::now() + TIMEOUT;
    loop {
        let got = alice.sync();
        if got
            .iter()
            .any(|m| m.command == "PRIVMSG" && m.params[1] == "now with an account")
        {
            break;
        }
        assert!(Instant::now() < deadline, "alice never got bob's message");
        std::thread::sleep(Duration::from_millis(20));
    }
}
