//! NICK and USER, nick collisions and validity (rfc1459 casemapping), and
//! nick changes and who sees them.

use super::*;

// ---- NICK and USER ----

#[test]
fn nick_then_user_registers_with_welcome() {
    let server = TestServer::start();
    let mut c = server.connect();
    let burst = register_burst(&mut c, "alice");
    assert_numeric(
        &burst[0],
        "001",
        &[
            "alice",
            "Welcome to the NatterNet IRC Network alice!~alice@127.0.0.1",
        ],
    );
    // 001..004 come first and in order, then ISUPPORT.
    assert_eq!(cmds(&burst)[..5], ["001", "002", "003", "004", "005"]);
    for m in &burst {
        assert_eq!(m.source.as_deref(), Some(SERVER), "{m:?}");
        assert_eq!(m.params[0], "alice", "{m:?}");
    }
    let yourhost = &burst[1];
    assert!(
        yourhost.params[1].starts_with("Your host is natter.local, running version natter-"),
        "{yourhost:?}"
    );
    assert!(burst[2].params[1].starts_with("This server was created "));
    // RPL_MYINFO: <client> <servername> <version> <user modes> <channel modes> [<channel modes with a parameter>]
    let myinfo = &burst[3];
    assert_eq!(myinfo.params[1], SERVER);
    assert!(myinfo.params[2].starts_with("natter-"), "{myinfo:?}");
    assert!(myinfo.params[3].contains('i') && myinfo.params[3].contains('o'));
    for mode in "biklmnostv".chars() {
        assert!(myinfo.params[4].contains(mode), "{myinfo:?} lacks {mode}");
    }
    // Registered: commands needing registration now work.
    let r = c.ask("LUSERS");
    assert!(with_command(&r, "451").is_empty(), "{r:#?}");
}

#[test]
fn user_then_nick_registers() {
    let server = TestServer::start();
    let mut c = server.connect();
    c.send("USER bob 0 * :Bob Builder");
    assert!(
        c.sync().is_empty(),
        "USER alone must not complete registration"
    );
    c.send("NICK bob");
    let burst = read_burst(&mut c);
    assert_numeric(
        &burst[0],
        "001",
        &[
            "bob",
            "Welcome to the NatterNet IRC Network bob!~bob@127.0.0.1",
        ],
    );
    c.nick = "bob".into();
    // The real name came from USER.
    let whois = c.ask("WHOIS bob");
    assert_numeric(
        one(&whois, "311"),
        "311",
        &["bob", "bob", "~bob", HOST, "*", "Bob Builder"],
    );
}

#[test]
fn nick_alone_does_not_register() {
    let server = TestServer::start();
    let mut c = server.connect();
    c.send("NICK carol");
    assert!(c.sync().is_empty());
    let r = c.ask("JOIN #x");
    assert_numeric(one(&r, "451"), "451", &["carol", "You have not registered"]);
}

#[test]
fn username_is_prefixed_with_tilde_and_cut_to_userlen() {
    let server = TestServer::with_config(|c| c.limits.userlen = 6);
    let mut c = server.connect();
    c.send("NICK dave");
    c.send("USER abcdefghijkl 0 * :Dave");
    let burst = read_burst(&mut c);
    // '~' plus five characters: the whole username fits USERLEN=6.
    assert_numeric(
        &burst[0],
        "001",
        &[
            "dave",
            "Welcome to the NatterNet IRC Network dave!~abcde@127.0.0.1",
        ],
    );
}

// ---- nick collisions and validity ----

#[test]
fn nick_in_use_gets_433() {
    let server = TestServer::start();
    let _bob = server.client("bob");
    let mut c = server.connect();
    let r = c.ask("NICK bob");
    only(
        &r,
        SERVER,
        "433",
        &["*", "bob", "Nickname is already in use"],
    );
    // A different nick then registers.
    assert_eq!(register_burst(&mut c, "bob2")[0].command, "001");
}

#[test]
fn nick_in_use_is_case_insensitive_rfc1459() {
    let server = TestServer::start();
    let _a = server.client("Nick[1]");
    let mut c = server.connect();
    for taken in ["nick{1}", "NICK[1]", "nICK{1]"] {
        let r = c.ask(&format!("NICK {taken}"));
        only(
            &r,
            SERVER,
            "433",
            &["*", taken, "Nickname is already in use"],
        );
    }
    let _b = server.client("pipe\\x^");
    for taken in ["PIPE|x^", "pipe|X^"] {
        let r = c.ask(&format!("NICK {taken}"));
        assert_numeric(&r[0], "433", &["*", taken, "Nickname is already in use"]);
    }
}

#[test]
fn nick_reserved_by_unregistered_client_is_in_use() {
    let server = TestServer::start();
    let mut first = server.connect();
    assert!(first.ask("NICK carol").is_empty());
    let mut second = server.connect();
    let r = second.ask("NICK Carol");
    assert_numeric(&r[0], "433", &["*", "Carol", "Nickname is already in use"]);
    first.send("USER carol 0 * :Carol");
    assert_eq!(read_burst(&mut first)[0].params[0], "carol");
}

#[test]
fn nick_change_to_nick_in_use_gets_433_and_keeps_nick() {
    let server = TestServer::start();
    let _bob = server.client("bob");
    let mut alice = server.client("alice");
    assert_nick_refused(&mut alice, "BOB", "433", "Nickname is already in use");
}

#[test]
fn erroneous_nicks_get_432() {
    let server = TestServer::start();
    let mut c = server.connect();
    let too_long = "a".repeat(31);
    for (line, nick) in [
        ("NICK 1abc", "1abc"),
        // Not representable as a middle parameter: echoed as `*`.
        ("NICK :a b", "*"),
        ("NICK ::colon", "*"),
        ("NICK -dash", "-dash"),
        ("NICK #chan", "#chan"),
        ("NICK a!b", "a!b"),
        ("NICK a@b", "a@b"),
        ("NICK a,b", "a,b"),
        ("NICK a*", "a*"),
        (&format!("NICK {too_long}"), &too_long),
    ] {
        let r = c.ask(line);
        assert_eq!(r.len(), 1, "{line}: {r:#?}");
        assert_numeric(&r[0], "432", &["*", nick, "Erroneous nickname"]);
    }
    // Exactly NICKLEN (30) is fine.
    let max = "b".repeat(30);
    assert_eq!(register_burst(&mut c, &max)[0].params[0], max);
}

#[test]
fn nicklen_is_enforced_as_configured() {
    let server = TestServer::with_config(|c| c.limits.nicklen = 9);
    let mut c = server.connect();
    let r = c.ask("NICK abcdefghij");
    assert_numeric(&r[0], "432", &["*", "abcdefghij", "Erroneous nickname"]);
    assert_eq!(
        register_burst(&mut c, "abcdefghi")[0].params[0],
        "abcdefghi"
    );
    let r = c.ask("NICK abcdefghiX");
    assert_numeric(
        &r[0],
        "432",
        &["abcdefghi", "abcdefghiX", "Erroneous nickname"],
    );
}

#[test]
fn erroneous_nick_change_after_registration_keeps_nick() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    assert_nick_refused(&mut alice, "9lives", "432", "Erroneous nickname");
}

#[test]
fn nick_without_parameter_gets_431() {
    let server = TestServer::start();
    let mut c = server.connect();
    for line in ["NICK", "NICK :"] {
        let r = c.ask(line);
        assert_eq!(r.len(), 1, "{line}: {r:#?}");
        assert_numeric(&r[0], "431", &["*", "No nickname given"]);
    }
    let mut alice = server.client("alice");
    let r = alice.ask("NICK");
    assert_numeric(&r[0], "431", &["alice", "No nickname given"]);
}

// ---- nick changes ----

#[test]
fn nick_change_is_seen_by_self_and_peers_only() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    let mut bob = server.client("bob");
    let mut carol = server.client("carol");
    alice.ask("JOIN #one");
    alice.ask("JOIN #two");
    bob.ask("JOIN #one");
    bob.ask("JOIN #two");
    carol.ask("JOIN #elsewhere");
    alice.sync();

    only(
        &alice.ask("NICK alicia"),
        &src("alice"),
        "NICK",
        &["alicia"],
    );
    // Bob shares two channels but sees the change once.
    assert_got(&mut bob, "alice", "NICK", &["alicia"]);
    carol.assert_quiet();

    // The old nick is free, the new one reaches her.
    let r = bob.ask("PRIVMSG alice :hi");
    assert_numeric(&r[0], "401", &["bob", "alice", "No such nick/channel"]);
    assert!(bob.ask("PRIVMSG alicia :hi").is_empty());
    let r = alice.sync();
    assert_msg(&r[0], &src("bob"), "PRIVMSG", &["alicia", "hi"]);
    let mut again = server.connect();
    assert_eq!(register_burst(&mut again, "alice")[0].params[0], "alice");
}

#[test]
fn case_only_nick_change_is_allowed() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    let mut bob = server.client("bob");
    join_all("#c", &mut [&mut alice, &mut bob]);
    only(&alice.ask("NICK ALICE"), &src("alice"), "NICK", &["ALICE"]);
    let r = bob.sync();
    assert_msg(&r[0], &src("alice"), "NICK", &["ALICE"]);
    let r = bob.ask("WHOIS alice");
    assert_eq!(one(&r, "311").params[1], "ALICE");
    // The same nick again changes nothing.
    alice.assert_quiet();
    assert!(alice.ask("NICK ALICE").is_empty());
    bob.assert_quiet();
}

#[test]
fn nick_can_change_before_registration() {
    let server = TestServer::start();
    let mut c = server.connect();
    c.send("NICK first");
    c.send("NICK second");
    c.send("USER x 0 * :X");
    let burst = read_burst(&mut c);
    assert_eq!(burst[0].params[0], "second");
    // "first" was released when the reservation moved.
    let mut d = server.connect();
    assert_eq!(register_burst(&mut d, "first")[0].params[0], "first");
}
