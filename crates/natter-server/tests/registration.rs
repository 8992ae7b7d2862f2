//! Connection registration end to end (Modern IRC "Connection Registration";
//! RFC 2812 3.1): NICK and USER in either order, the welcome burst (001-005
//! with the ISUPPORT tokens, LUSERS, MOTD), PASS, IRCv3 CAP negotiation
//! holding registration until CAP END, nick collisions under rfc1459
//! casemapping, erroneous nicks, nick changes and who sees them, commands
//! before registration, the registration timeout, PING/PONG and QUIT.

mod common;
use common::*;

use natter_proto::Message;

/// Reads every message up to and including the end of the MOTD (376/422).
fn read_burst(c: &mut Client) -> Vec<Message> {
    let mut seen = Vec::new();
    loop {
        let m = c.recv();
        let end = m.command == "376" || m.command == "422";
        seen.push(m);
        if end {
            return seen;
        }
    }
}

/// Sends NICK then USER and returns the welcome burst.
fn register_burst(c: &mut Client, nick: &str) -> Vec<Message> {
    c.send(&format!("NICK {nick}"));
    c.send(&format!("USER {nick} 0 * :Real {nick}"));
    let burst = read_burst(c);
    c.nick = nick.to_string();
    burst
}

/// Reads until the server closes `c` and asserts that all it got was
/// `ERROR :Closing Link: 127.0.0.1 (<why>)`.
fn assert_closed_with(c: &mut Client, why: &str) {
    let lines = until_closed(c);
    assert_eq!(cmds(&lines), ["ERROR"], "{lines:#?}");
    assert_eq!(params(&lines[0]), [format!("Closing Link: {HOST} ({why})")]);
}

/// Asserts that registered `c`'s `NICK <nick>` is refused with exactly one
/// numeric `code` saying `text`, and that WHOIS still finds `c` under its
/// old nick.
fn assert_nick_refused(c: &mut Client, nick: &str, code: &str, text: &str) {
    let r = c.ask(&format!("NICK {nick}"));
    only(&r, SERVER, code, &[&c.nick, nick, text]);
    let r = c.ask(&format!("WHOIS {}", c.nick));
    assert_eq!(one(&r, "311").params[1], c.nick);
}

/// The ISUPPORT tokens of every 005 line in `msgs`, checking each line's
/// shape (`<nick> <token>... :are supported by this server`).
fn isupport_tokens(msgs: &[Message], nick: &str) -> Vec<String> {
    let lines = with_command(msgs, "005");
    assert!(!lines.is_empty(), "no RPL_ISUPPORT in {msgs:#?}");
    let mut tokens = Vec::new();
    for m in lines {
        assert_eq!(m.source.as_deref(), Some(SERVER));
        assert!(m.params.len() >= 3, "005 without tokens: {m:?}");
        assert_eq!(m.params[0], nick);
        assert_eq!(m.params.last().unwrap(), "are supported by this server");
        tokens.extend(m.params[1..m.params.len() - 1].iter().cloned());
    }
    tokens
}

/// The value of ISUPPORT token `name` (`Some("")` for a token without one).
fn token<'a>(tokens: &'a [String], name: &str) -> Option<&'a str> {
    tokens.iter().find_map(|t| match t.split_once('=') {
        Some((k, v)) if k == name => Some(v),
        None if t == name => Some(""),
        _ => None,
    })
}

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

// ---- the welcome burst ----

#[test]
fn welcome_burst_advertises_isupport_tokens() {
    let server = TestServer::start();
    let mut c = server.connect();
    let burst = register_burst(&mut c, "alice");
    let tokens = isupport_tokens(&burst, "alice");
    let expect = [
        ("AWAYLEN", "390"),
        ("CASEMAPPING", "rfc1459"),
        ("CHANLIMIT", "#&:50"),
        ("CHANMODES", "beI,k,l,CUimnst"),
        ("CHANNELLEN", "50"),
        ("CHANTYPES", "#&"),
        ("HOSTLEN", "64"),
        ("KICKLEN", "390"),
        ("MAXLIST", "beI:100"),
        ("MODES", "4"),
        ("NETWORK", "NatterNet"),
        ("NICKLEN", "30"),
        ("PREFIX", "(ov)@+"),
        ("STATUSMSG", "@+"),
        ("TOPICLEN", "390"),
        ("USERLEN", "16"),
    ];
    for (name, value) in expect {
        assert_eq!(token(&tokens, name), Some(value), "{name} in {tokens:?}");
    }
    // ELIST is advertised (its value lists the LIST extensions).
    assert!(token(&tokens, "ELIST").is_some(), "ELIST in {tokens:?}");
    let targmax = token(&tokens, "TARGMAX").expect("TARGMAX");
    let targmax: Vec<&str> = targmax.split(',').collect();
    assert!(targmax.contains(&"PRIVMSG:4"), "{targmax:?}");
    assert!(targmax.contains(&"NOTICE:4"), "{targmax:?}");
    // Each token at most once.
    let mut names: Vec<&str> = tokens
        .iter()
        .map(|t| t.split('=').next().unwrap())
        .collect();
    names.sort_unstable();
    let before = names.len();
    names.dedup();
    assert_eq!(before, names.len(), "duplicate tokens in {tokens:?}");
}

#[test]
fn isupport_follows_the_configured_limits() {
    let server = TestServer::with_config(|c| {
        c.limits.nicklen = 9;
        c.limits.channellen = 20;
        c.limits.topiclen = 100;
        c.limits.max_targets = 2;
        c.server.network = "TestNet".into();
    });
    let mut c = server.connect();
    let burst = register_burst(&mut c, "alice");
    assert_numeric(
        &burst[0],
        "001",
        &[
            "alice",
            "Welcome to the TestNet IRC Network alice!~alice@127.0.0.1",
        ],
    );
    let tokens = isupport_tokens(&burst, "alice");
    assert_eq!(token(&tokens, "NICKLEN"), Some("9"));
    assert_eq!(token(&tokens, "CHANNELLEN"), Some("20"));
    assert_eq!(token(&tokens, "TOPICLEN"), Some("100"));
    assert_eq!(token(&tokens, "NETWORK"), Some("TestNet"));
    let targmax = token(&tokens, "TARGMAX").unwrap();
    assert!(targmax.split(',').any(|t| t == "PRIVMSG:2"), "{targmax}");
}

#[test]
fn welcome_burst_includes_lusers_then_motd() {
    let server = TestServer::start();
    let mut c = server.connect();
    let burst = register_burst(&mut c, "alice");
    let codes = cmds(&burst);
    let pos = |code: &str| {
        codes
            .iter()
            .position(|c| *c == code)
            .unwrap_or_else(|| panic!("{code} missing from {codes:?}"))
    };
    assert_numeric(
        &burst[pos("251")],
        "251",
        &["alice", "There are 1 users and 0 invisible on 1 servers"],
    );
    assert_numeric(
        &burst[pos("254")],
        "254",
        &["alice", "0", "channels formed"],
    );
    assert_numeric(
        &burst[pos("255")],
        "255",
        &["alice", "I have 1 clients and 0 servers"],
    );
    assert!(pos("005") < pos("251"));
    assert!(pos("251") < pos("254") && pos("254") < pos("255"));
    // MOTD: start, the built-in lines, end; nothing after 376.
    assert!(pos("255") < pos("375"));
    assert_numeric(
        &burst[pos("375")],
        "375",
        &["alice", "- natter.local Message of the day - "],
    );
    let motd: Vec<&str> = with_command(&burst, "372")
        .iter()
        .map(|m| {
            assert_eq!(m.params[0], "alice");
            m.params[1].as_str()
        })
        .collect();
    assert_eq!(
        motd,
        [
            "- Welcome to NatterNet, a natter server.",
            "- Be kind. Type /join #natter to meet people."
        ]
    );
    assert_eq!(codes.last(), Some(&"376"));
    assert_numeric(
        burst.last().unwrap(),
        "376",
        &["alice", "End of /MOTD command."],
    );
    // And nothing else trails the burst.
    c.assert_quiet();
}

#[test]
fn welcome_burst_uses_the_motd_file() {
    let motd_dir = tempfile::tempdir().unwrap();
    let path = motd_dir.path().join("motd.txt");
    std::fs::write(&path, "First line\n\nThird line   \n").unwrap();
    let server = TestServer::with_config(|c| c.server.motd_file = Some(path.clone()));
    let mut c = server.connect();
    let burst = register_burst(&mut c, "alice");
    let motd: Vec<&str> = with_command(&burst, "372")
        .iter()
        .map(|m| m.params[1].as_str())
        .collect();
    assert_eq!(motd, ["- First line", "- ", "- Third line"]);
}

#[test]
fn empty_motd_file_gives_422() {
    let motd_dir = tempfile::tempdir().unwrap();
    let path = motd_dir.path().join("motd.txt");
    std::fs::write(&path, "").unwrap();
    let server = TestServer::with_config(|c| c.server.motd_file = Some(path.clone()));
    let mut c = server.connect();
    let burst = register_burst(&mut c, "alice");
    assert_numeric(
        burst.last().unwrap(),
        "422",
        &["alice", "MOTD File is missing"],
    );
    assert!(with_command(&burst, "375").is_empty());
    assert!(with_command(&burst, "372").is_empty());
}

// ---- PASS ----

fn with_password() -> TestServer {
    TestServer::with_config(|c| c.server.password = Some("sesame".into()))
}

#[test]
fn pass_right_registers() {
    let server = with_password();
    let mut c = server.connect();
    c.send("PASS sesame");
    let burst = register_burst(&mut c, "alice");
    assert_eq!(burst[0].command, "001");
}

#[test]
fn pass_wrong_gets_464_then_error_and_close() {
    let server = with_password();
    let mut c = server.connect();
    c.send("PASS open");
    c.send("NICK alice");
    c.send("USER alice 0 * :Alice");
    let lines = until_closed(&mut c);
    assert_eq!(cmds(&lines), ["464", "ERROR"], "{lines:#?}");
    assert_numeric(&lines[0], "464", &["alice", "Password incorrect"]);
    assert_eq!(lines[1].source, None);
    assert_eq!(
        params(&lines[1]),
        ["Closing Link: 127.0.0.1 (Bad password)"]
    );
    // The nick was not taken by the refused connection.
    let mut ok = server.connect();
    ok.send("PASS sesame");
    assert_eq!(register_burst(&mut ok, "alice")[0].command, "001");
}

#[test]
fn pass_missing_gets_464_then_error_and_close() {
    let server = with_password();
    let mut c = server.connect();
    c.send("NICK alice");
    c.send("USER alice 0 * :Alice");
    let lines = until_closed(&mut c);
    assert_eq!(cmds(&lines), ["464", "ERROR"], "{lines:#?}");
    assert_numeric(&lines[0], "464", &["alice", "Password incorrect"]);
}

#[test]
fn pass_is_ignored_without_a_server_password() {
    let server = TestServer::start();
    let mut c = server.connect();
    c.send("PASS whatever");
    assert_eq!(register_burst(&mut c, "alice")[0].command, "001");
}

#[test]
fn pass_without_parameter_gets_461() {
    let server = with_password();
    let mut c = server.connect();
    let r = c.ask("PASS");
    only(&r, SERVER, "461", &["*", "PASS", "Not enough parameters"]);
}

#[test]
fn pass_after_registration_gets_462() {
    let server = with_password();
    let mut c = server.connect();
    c.send("PASS sesame");
    register_burst(&mut c, "alice");
    let r = c.ask("PASS sesame");
    only(&r, SERVER, "462", &["alice", "You may not reregister"]);
}

// ---- CAP ----

fn cap_names(list: &str) -> Vec<&str> {
    let mut v: Vec<&str> = list.split_ascii_whitespace().collect();
    v.sort_unstable();
    v
}

#[test]
fn cap_ls_302_holds_registration_until_cap_end() {
    let server = TestServer::start();
    let mut c = server.connect();
    let r = c.ask("CAP LS 302");
    assert_eq!(r.len(), 1, "{r:#?}");
    assert_eq!(r[0].source.as_deref(), Some(SERVER));
    assert_eq!(r[0].command, "CAP");
    assert_eq!(params(&r[0])[..2], ["*", "LS"]);
    assert_eq!(
        cap_names(&r[0].params[2]),
        [
            "account-notify",
            "account-tag",
            "away-notify",
            "batch",
            "cap-notify",
            "chghost",
            "draft/account-registration=before-connect",
            "draft/chathistory",
            "draft/read-marker",
            "echo-message",
            "extended-join",
            "extended-monitor",
            "invite-notify",
            "labeled-response",
            "message-tags",
            "multi-prefix",
            "sasl=PLAIN,SCRAM-SHA-256,EXTERNAL",
            "server-time",
            "setname",
            "userhost-in-names"
        ]
    );
    c.send("NICK alice");
    c.send("USER alice 0 * :Alice");
    // Negotiation is under way: no welcome yet.
    assert!(c.sync().is_empty());
    c.send("CAP END");
    let burst = read_burst(&mut c);
    assert_eq!(burst[0].command, "001");
    assert_eq!(burst[0].params[0], "alice");
}

#[test]
fn cap_req_acks_and_holds_registration() {
    let server = TestServer::start();
    let mut c = server.connect();
    c.send("CAP REQ :multi-prefix");
    c.send("NICK alice");
    c.send("USER alice 0 * :Alice");
    let r = c.sync();
    assert_eq!(r.len(), 1, "REQ alone must hold registration: {r:#?}");
    assert_msg(&r[0], SERVER, "CAP", &["*", "ACK", "multi-prefix"]);
    let r = c.ask("CAP LIST");
    assert_msg(&r[0], SERVER, "CAP", &["alice", "LIST", "multi-prefix"]);
    c.send("CAP END");
    assert_eq!(read_burst(&mut c)[0].command, "001");
}

#[test]
fn cap_req_is_all_or_nothing() {
    let server = TestServer::start();
    let mut c = server.connect();
    c.ask("CAP LS");
    let r = c.ask("CAP REQ :multi-prefix no-such-cap");
    only(&r, SERVER, "CAP", &["*", "NAK", "multi-prefix no-such-cap"]);
    // Nothing of the refused request was enabled.
    let r = c.ask("CAP LIST");
    assert_msg(&r[0], SERVER, "CAP", &["*", "LIST", ""]);
    let r = c.ask("CAP REQ :multi-prefix userhost-in-names");
    assert_msg(
        &r[0],
        SERVER,
        "CAP",
        &["*", "ACK", "multi-prefix userhost-in-names"],
    );
    let r = c.ask("CAP REQ :-multi-prefix bogus");
    assert_msg(&r[0], SERVER, "CAP", &["*", "NAK", "-multi-prefix bogus"]);
    let r = c.ask("CAP LIST");
    assert_eq!(
        cap_names(&r[0].params[2]),
        ["multi-prefix", "userhost-in-names"]
    );
    let r = c.ask("CAP REQ -multi-prefix");
    assert_msg(&r[0], SERVER, "CAP", &["*", "ACK", "-multi-prefix"]);
    let r = c.ask("CAP LIST");
    assert_msg(&r[0], SERVER, "CAP", &["*", "LIST", "userhost-in-names"]);
}

#[test]
fn cap_after_registration() {
    let server = TestServer::start();
    let mut c = server.client("alice");
    let r = c.ask("CAP LS 302");
    assert_eq!(r.len(), 1, "{r:#?}");
    assert_eq!(params(&r[0])[..2], ["alice", "LS"]);
    let r = c.ask("CAP REQ :userhost-in-names");
    assert_msg(&r[0], SERVER, "CAP", &["alice", "ACK", "userhost-in-names"]);
    let r = c.ask("CAP LIST");
    assert_eq!(r.len(), 1);
    assert!(
        cap_names(&r[0].params[2]).contains(&"userhost-in-names"),
        "{r:#?}"
    );
    // CAP END after registration does nothing; the client stays usable.
    c.assert_quiet();
    assert!(c.ask("CAP END").is_empty());
    let r = c.ask("JOIN #after");
    assert_eq!(r[0].command, "JOIN");
    // userhost-in-names is in effect for NAMES.
    let names = one(&r, "353");
    assert_eq!(names.params[3], "@alice!~alice@127.0.0.1");
}

#[test]
fn cap_unknown_subcommand_gets_410() {
    let server = TestServer::start();
    let mut c = server.connect();
    let r = c.ask("CAP FROB");
    only(&r, SERVER, "410", &["*", "FROB", "Invalid CAP command"]);
    // A subcommand that cannot be a middle parameter is echoed as `*`.
    let r = c.ask("CAP :FROB NICATE");
    only(&r, SERVER, "410", &["*", "*", "Invalid CAP command"]);
}

#[test]
fn cap_end_without_negotiation_is_harmless() {
    let server = TestServer::start();
    let mut c = server.connect();
    assert!(c.ask("CAP END").is_empty());
    assert_eq!(register_burst(&mut c, "alice")[0].command, "001");
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
