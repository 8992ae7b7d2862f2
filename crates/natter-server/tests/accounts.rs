//! Accounts end to end: registration by REGISTER and NickServ, login by
//! SASL PLAIN, SASL SCRAM-SHA-256 (with `scram-2`'s client, an independent
//! implementation), NickServ IDENTIFY; failures and throttling; accounts
//! seen by others (account-notify, extended-join, account-tag, WHOIS 330);
//! accounts surviving a restart; a damaged or too-new database refused.

mod common;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use common::*;
use natter_proto::Message;

/// A client that negotiated `caps` (space-separated, with `sasl` among
/// them) and sent NICK/USER but not CAP END: registration waits.
fn negotiating(server: &TestServer, nick: &str, caps: &str) -> Client {
    let mut c = server.connect();
    c.send(&format!("CAP REQ :{caps}"));
    let ack = c.expect("CAP");
    assert_eq!(params(&ack), ["*", "ACK", caps], "{ack:#?}");
    c.send(&format!("NICK {nick}"));
    c.send(&format!("USER {nick} 0 * :Real {nick}"));
    c.nick = nick.to_string();
    c
}

/// Finishes registration after CAP END.
fn finish(c: &mut Client) {
    c.send("CAP END");
    c.expect("001");
    c.expect_any(&["376", "422"]);
}

/// Registers `nick` with NickServ as a fresh client, then quits.
fn ns_register(server: &TestServer, nick: &str, password: &str) {
    let mut c = server.client(nick);
    let got = c.ask(&format!("PRIVMSG NickServ :REGISTER {password}"));
    let notices: Vec<&str> = with_command(&got, "NOTICE")
        .iter()
        .map(|m| m.params[1].as_str())
        .collect();
    assert_eq!(notices, ["Account created"], "{got:#?}");
    assert_numeric(
        one(&got, "900"),
        "900",
        &[
            nick,
            &format!("{nick}!~{nick}@127.0.0.1"),
            nick,
            &format!("You are now logged in as {nick}"),
        ],
    );
    c.send("QUIT");
}

#[test]
fn register_before_connect_then_sasl_plain_after_a_restart() {
    let data = tempfile::tempdir().unwrap();
    let dir = data.path().to_path_buf();
    {
        let server = TestServer::with_config(|c| c.server.data_dir = dir.clone());
        let mut c = negotiating(&server, "alice", "draft/account-registration sasl");
        let got = c.ask("REGISTER * * hunter2hunter2");
        let reg = one(&got, "REGISTER");
        assert_eq!(
            params(reg),
            ["SUCCESS", "alice", "Account created, you are logged in"]
        );
        assert_numeric(
            one(&got, "900"),
            "900",
            &[
                "alice",
                "alice!~alice@127.0.0.1",
                "alice",
                "You are now logged in as alice",
            ],
        );
        finish(&mut c);
        // The account holds: a second registration is refused.
        let mut d = server.client("bob");
        let again = d.ask("REGISTER alice * whatever12345");
        let fail = one(&again, "FAIL");
        assert_eq!(
            params(fail)[..3],
            ["REGISTER", "ACCOUNT_NAME_MUST_BE_NICK", "alice"]
        );
        d.send("NICK alice2");
        d.sync();
        let weak = d.ask("REGISTER * * short");
        assert_eq!(
            params(one(&weak, "FAIL"))[..2],
            ["REGISTER", "WEAK_PASSWORD"]
        );
    }
    // Same data directory, new process state: the account is in natter.db.
    let server = TestServer::with_config(|c| c.server.data_dir = dir.clone());
    let mut c = negotiating(&server, "alice", "sasl");
    let got = authenticate_plain(&mut c, "alice", "hunter2hunter2");
    assert_eq!(cmds(&got), ["900", "903"], "{got:#?}");
    finish(&mut c);
    let whois = c.ask("WHOIS alice");
    assert_numeric(
        one(&whois, "330"),
        "330",
        &["alice", "alice", "alice", "is logged in as"],
    );
}

#[test]
fn sasl_plain_failures_abort_and_mechanisms() {
    let server = TestServer::start();
    ns_register(&server, "carol", "correct-horse");
    let mut c = negotiating(&server, "someone", "sasl");
    let got = authenticate_plain(&mut c, "carol", "wrong-password");
    assert_eq!(cmds(&got), ["904"], "{got:#?}");
    let got = authenticate_plain(&mut c, "nobody", "whatever-at-all");
    assert_eq!(cmds(&got), ["904"], "{got:#?}");
    // An unknown mechanism: the list (908), then 904.
    let got = c.ask("AUTHENTICATE CRAM-MD5");
    assert_eq!(cmds(&got), ["908", "904"]);
    assert_eq!(params(&got[0])[1], "PLAIN,SCRAM-SHA-256,EXTERNAL");
    // Abort.
    c.ask("AUTHENTICATE PLAIN");
    let got = c.ask("AUTHENTICATE *");
    assert_eq!(cmds(&got), ["906"]);
    // A piece over 400 bytes.
    c.ask("AUTHENTICATE PLAIN");
    let got = c.ask(&format!("AUTHENTICATE {}", "A".repeat(401)));
    assert_eq!(cmds(&got), ["905"]);
    // Success, then a second attempt is refused (907).
    let got = authenticate_plain(&mut c, "carol", "correct-horse");
    assert_eq!(cmds(&got), ["900", "903"], "{got:#?}");
    let got = c.ask("AUTHENTICATE PLAIN");
    assert_eq!(cmds(&got), ["907"]);
    finish(&mut c);
}

#[test]
fn sasl_plain_in_400_byte_pieces() {
    let server = TestServer::start();
    // 295 bytes of password make a 408-byte payload: a 400-byte piece and
    // the rest. 290 make exactly 400: the piece, then `+` to end it.
    for (nick, length) in [("dave", 295), ("dora", 290)] {
        let password = "p".repeat(length);
        ns_register(&server, nick, &password);
        let mut c = negotiating(&server, nick, "sasl");
        c.ask("AUTHENTICATE PLAIN");
        let payload = B64.encode(format!("{nick}\0{nick}\0{password}"));
        assert!(payload.len() >= 400);
        let (first, rest) = payload.split_at(400);
        assert!(c.ask(&format!("AUTHENTICATE {first}")).is_empty());
        let rest = if rest.is_empty() { "+" } else { rest };
        let got = c.ask(&format!("AUTHENTICATE {rest}"));
        assert_eq!(cmds(&got), ["900", "903"], "{got:#?}");
    }
}

#[test]
fn sasl_scram_sha_256_with_an_independent_client() {
    let server = TestServer::start();
    ns_register(&server, "erin", "sesame-sesame");
    for (password, ok) in [("wrong-sesame", false), ("sesame-sesame", true)] {
        let mut c = negotiating(&server, "erin", "sasl");
        let plus = c.ask("AUTHENTICATE SCRAM-SHA-256");
        assert_eq!(params(one(&plus, "AUTHENTICATE")), ["+"]);
        let scram = scram_2::ScramClient::new("erin", password, None);
        let (scram, client_first) = scram.client_first();
        let got = c.ask(&format!("AUTHENTICATE {}", B64.encode(client_first)));
        let server_first = B64.decode(params(one(&got, "AUTHENTICATE"))[0]).unwrap();
        let scram = scram
            .handle_server_first(std::str::from_utf8(&server_first).unwrap())
            .unwrap();
        let (scram, client_final) = scram.client_final();
        let got = c.ask(&format!("AUTHENTICATE {}", B64.encode(client_final)));
        if !ok {
            assert_eq!(cmds(&got), ["904"], "{got:#?}");
            // Gone before the next try takes the nick: a connection only
            // dropped may still hold it while the next one sends NICK.
            c.send("QUIT");
            c.read_until_closed();
            continue;
        }
        // The server proves it knows the credentials too.
        let server_final = B64.decode(params(one(&got, "AUTHENTICATE"))[0]).unwrap();
        scram
            .handle_server_final(std::str::from_utf8(&server_final).unwrap())
            .expect("the server's signature verifies");
        let got = c.ask("AUTHENTICATE +");
        assert_eq!(cmds(&got), ["900", "903"], "{got:#?}");
        finish(&mut c);
    }
}

#[test]
fn nickserv_identify_logout_info_set_password_and_drop() {
    let server = TestServer::start();
    ns_register(&server, "frank", "first-password");
    let mut c = server.client("frank");
    assert_eq!(cmds(&c.sync()), ["NOTICE"]);
    let notices = |got: &[Message]| -> Vec<String> {
        with_command(got, "NOTICE")
            .iter()
            .map(|m| {
                assert_eq!(
                    m.source.as_deref().unwrap_or("").split('!').next(),
                    Some("NickServ")
                );
                m.params[1].clone()
            })
            .collect()
    };
    let got = c.ask("NS IDENTIFY wrong-password");
    assert_eq!(notices(&got), ["Invalid account or password"]);
    let got = c.ask("PRIVMSG NickServ :IDENTIFY first-password");
    assert_eq!(notices(&got), ["You are now logged in as frank"]);
    assert_eq!(cmds(&got), ["900", "NOTICE"]);
    let got = c.ask("NS INFO");
    assert_eq!(notices(&got)[0], "Account: frank");
    let got = c.ask("NICKSERV SET PASSWORD second-password");
    assert_eq!(notices(&got), ["Password changed"]);
    let got = c.ask("NS LOGOUT");
    assert_eq!(cmds(&got), ["NOTICE", "901", "NOTICE"]);
    assert_eq!(notices(&got)[0], "You are now logged out");
    // Logged out while holding the registered nick: warned again.
    assert!(notices(&got)[1].starts_with("frank is a registered nick"));
    let got = c.ask("NS IDENTIFY frank first-password");
    assert_eq!(notices(&got), ["Invalid account or password"]);
    let got = c.ask("NS IDENTIFY frank second-password");
    assert_eq!(notices(&got), ["You are now logged in as frank"]);
    let got = c.ask("NS DROP");
    assert_eq!(notices(&got), ["To confirm, send: DROP frank"]);
    let got = c.ask("NS DROP frank");
    assert_eq!(cmds(&got), ["901", "NOTICE"]);
    assert_eq!(notices(&got), ["Account frank dropped"]);
    let got = c.ask("NS INFO frank");
    assert_eq!(notices(&got), ["frank is not registered"]);
    // NickServ is a user: WHOIS shows it, and it is not counted as one.
    let got = c.ask("WHOIS NickServ");
    assert_eq!(
        params(one(&got, "311"))[1..4],
        ["NickServ", "NickServ", "natter.local"]
    );
    let got = c.ask("LUSERS");
    assert_eq!(
        params(one(&got, "251"))[1],
        "There are 1 users and 0 invisible on 1 servers"
    );
}

#[test]
fn ghost_and_regain_free_the_nick_for_its_owner() {
    let server = TestServer::start();
    ns_register(&server, "gina", "gina-password");
    let mut squatter = server.client("gina");
    let mut owner = server.client("gina_");
    let got = owner.ask("NS GHOST gina");
    assert!(
        with_command(&got, "NOTICE")[0].params[1].contains("logged in"),
        "{got:#?}"
    );
    owner.ask("NS IDENTIFY gina gina-password");
    let got = owner.ask("NS REGAIN gina");
    assert!(
        got.iter()
            .any(|m| m.command == "NICK" && m.params[0] == "gina"),
        "{got:#?}"
    );
    let closed = until_closed(&mut squatter);
    assert!(
        closed
            .iter()
            .any(|m| m.command == "ERROR" && m.params[0].contains("REGAIN command used by gina_")),
        "{closed:#?}"
    );
}

#[test]
fn others_see_accounts_join_notify_and_tag() {
    let server = TestServer::start();
    ns_register(&server, "hank", "hank-password");
    let mut watcher = client_with(
        &server,
        "watcher",
        "account-notify extended-join account-tag",
    );
    let mut hank = server.client("hank");
    join_all("#acc", &mut [&mut watcher, &mut hank]);
    hank.ask("NS IDENTIFY hank-password");
    let got = watcher.sync();
    assert_msg(
        one(&got, "ACCOUNT"),
        "hank!~hank@127.0.0.1",
        "ACCOUNT",
        &["hank"],
    );
    hank.send("PRIVMSG #acc :hi");
    let got = watcher.expect("PRIVMSG");
    let account_tag = got.tags.iter().find(|t| t.key == "account");
    assert_eq!(account_tag.and_then(|t| t.value.as_deref()), Some("hank"));
    hank.ask("PART #acc");
    watcher.sync();
    hank.send("JOIN #acc");
    let join = watcher.expect("JOIN");
    assert_eq!(params(&join), ["#acc", "hank", "Real hank"]);
    hank.ask("NS LOGOUT");
    let got = watcher.sync();
    assert_msg(
        one(&got, "ACCOUNT"),
        "hank!~hank@127.0.0.1",
        "ACCOUNT",
        &["*"],
    );
}

#[test]
fn repeated_failures_are_refused_for_a_while() {
    let server = TestServer::start();
    ns_register(&server, "ivan", "ivan-password");
    let mut c = server.client("guesser");
    // The answers slow down after three failures (1 s, then 2 s) and the
    // sixth failure from one address refuses it.
    let mut refused = false;
    for i in 0..11 {
        let got = c.ask(&format!("NS IDENTIFY ivan guess-{i}"));
        let text = &with_command(&got, "NOTICE")[0].params[1];
        if text.starts_with("Too many failed attempts") {
            refused = true;
            break;
        }
        assert_eq!(text, "Invalid account or password");
    }
    assert!(refused, "no refusal after eleven tries");
    // Even the right password is refused now, from this address.
    let got = c.ask("NS IDENTIFY ivan ivan-password");
    assert!(with_command(&got, "NOTICE")[0].params[1].starts_with("Too many failed attempts"));
}

#[test]
fn a_damaged_or_newer_database_stops_start_up_and_is_left_alone() {
    let data = tempfile::tempdir().unwrap();
    let db = data.path().join("natter.db");
    std::fs::write(&db, vec![b'x'; 4096]).unwrap();
    let mut config = natter_server::Config::default();
    config.listen.irc = vec!["127.0.0.1:0".parse().unwrap()];
    config.listen.im = vec![];
    config.server.data_dir = data.path().to_path_buf();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let err = match rt.block_on(natter_server::start(config.clone(), Default::default())) {
        Err(e) => e.to_string(),
        Ok(_) => panic!("started on a damaged database"),
    };
    assert!(
        err.contains("natter.db") && err.contains("damaged"),
        "{err}"
    );
    assert_eq!(std::fs::read(&db).unwrap(), vec![b'x'; 4096]);

    std::fs::remove_file(&db).unwrap();
    drop(natter_store::Store::open(&db).unwrap());
    {
        let c = rusqlite::Connection::open(&db).unwrap();
        c.pragma_update(None, "user_version", 999).unwrap();
    }
    let err = match rt.block_on(natter_server::start(config, Default::default())) {
        Err(e) => e.to_string(),
        Ok(_) => panic!("started on a newer database"),
    };
    assert!(err.contains("newer natter"), "{err}");
}

#[test]
fn account_extbans_ban_and_except_by_account_not_nick() {
    let server = TestServer::start();
    ns_register(&server, "jack", "jack-password");
    let mut op = server.client("op");
    op.ask("JOIN #ab");
    op.ask("MODE #ab +b a:jack");
    // Not logged in, the nick alone does not match.
    let mut jack = server.client("jack");
    // NickServ's warning about the registered nick.
    assert_eq!(cmds(&jack.sync()), ["NOTICE"]);
    let got = jack.ask("JOIN #ab");
    assert_eq!(cmds(&got)[0], "JOIN", "{got:#?}");
    jack.ask("PART #ab");
    jack.ask("NS IDENTIFY jack-password");
    let got = jack.ask("JOIN #ab");
    assert_numeric(
        one(&got, "474"),
        "474",
        &["jack", "#ab", "Cannot join channel (+b)"],
    );
    // The glob matches account names; an exception by account lets in.
    op.ask("MODE #ab -b $a:jack");
    op.ask("MODE #ab +b *!*@*");
    op.ask("MODE #ab +e a:ja*");
    let got = jack.ask("JOIN #ab");
    assert_eq!(cmds(&got)[0], "JOIN", "{got:#?}");
    let list = op.ask("MODE #ab e");
    assert_eq!(params(one(&list, "348"))[2], "a:ja*");
}

#[test]
fn rehash_reads_accounts_changed_behind_the_servers_back() {
    let data = tempfile::tempdir().unwrap();
    let dir = data.path().to_path_buf();
    let server = server_with_root(|c| c.server.data_dir = dir.clone());
    // What `natter account create` does while the server runs.
    let store = natter_store::Store::open(&dir.join("natter.db")).unwrap();
    let record = natter_server::accounts::record(
        "kira",
        natter_server::accounts::credentials("kira-password"),
    );
    store.create_account(&record).unwrap();
    let mut c = negotiating(&server, "kira", "sasl");
    assert_eq!(
        cmds(&authenticate_plain(&mut c, "kira", "kira-password")),
        ["904"]
    );
    let mut op = server.client("op");
    oper_up(&mut op);
    op.send("REHASH");
    op.expect("382");
    assert_eq!(
        cmds(&authenticate_plain(&mut c, "kira", "kira-password")),
        ["900", "903"]
    );
}

#[test]
fn a_registered_nick_is_taken_back_from_whoever_does_not_log_in() {
    let server = TestServer::with_config(|c| c.accounts.nick_grace = 1);
    ns_register(&server, "lena", "lena-password");
    let mut watcher = server.client("watcher");
    watcher.ask("JOIN #n");
    let mut squatter = server.connect();
    squatter.send("NICK lena");
    squatter.send("USER x 0 * :x");
    let warning = squatter.expect("NOTICE");
    assert_eq!(
        warning.source.as_deref(),
        Some("NickServ!NickServ@natter.local")
    );
    assert!(
        warning.params[1].starts_with("lena is a registered nick"),
        "{warning:?}"
    );
    squatter.nick = "lena".into();
    squatter.ask("JOIN #n");
    watcher.sync();
    // Renamed once the grace period is over; the channel sees it.
    let renamed = squatter.expect("NICK");
    assert_msg(&renamed, "lena!~x@127.0.0.1", "NICK", &["Guest1"]);
    let why = squatter.expect("NOTICE");
    assert!(
        why.params[1].starts_with("You did not log in to lena in time"),
        "{why:?}"
    );
    let seen = watcher.expect("NICK");
    assert_eq!(params(&seen), ["Guest1"]);
    // Replies now address the new nick.
    let got = squatter.ask("MOTD");
    assert_eq!(got[0].params[0], "Guest1");

    // Logging in within the grace period keeps the nick.
    let mut owner = server.client("lena");
    let warning = owner.sync();
    assert_eq!(cmds(&warning), ["NOTICE"]);
    owner.ask("NS IDENTIFY lena-password");
    std::thread::sleep(std::time::Duration::from_millis(2500));
    let got = owner.ask("MOTD");
    assert_eq!(got[0].params[0], "lena", "{got:#?}");
    assert!(with_command(&got, "NICK").is_empty());
}
