//! The welcome burst: ISUPPORT, LUSERS and the MOTD.

use super::*;

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
        ("CHANMODES", "beI,k,l,CMRUimnst"),
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
