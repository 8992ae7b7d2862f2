//! Operator commands end to end (RFC 2812 3.1.4, 3.7, 4.2, 4.3, 4.7;
//! Modern IRC): OPER (381 and +o, 464 wrong password, 491 unknown name or
//! host), KILL (the target sees KILL, QUIT and ERROR and is closed, peers see
//! QUIT "Killed (...)", 481 for non-operators), WALLOPS (only +w users),
//! REHASH (configuration and MOTD reloaded from the file without dropping
//! anyone, 382; a broken file keeps the old configuration and says why; a
//! `[[link]]` block it adds with autoconnect connects),
//! and DIE (refused unless server.allow_die; otherwise every client gets
//! ERROR and the server stops).

mod common;
use std::path::{Path, PathBuf};

use common::*;
use natter_proto::Message;
use natter_server::Config;

/// Registers `nick` and makes it an operator as `root`, checking that the
/// answer is exactly MODE +os, RPL_SNOMASKIS and 381, then turns its server
/// notices off so they do not mix with what a test looks for.
fn oper_client(server: &TestServer, nick: &str) -> Client {
    let mut c = server.client(nick);
    let got = c.ask("OPER root hunter2");
    assert_eq!(cmds(&got), vec!["MODE", "008", "381"], "{got:#?}");
    assert_eq!(c.ask(&format!("MODE {nick} -s")).len(), 1);
    c
}

const DENIED: &str = "Permission Denied- You're not an IRC operator";

// ---- OPER ----

#[test]
fn oper_with_right_password() {
    let server = server_with_root(|_| {});
    let mut alice = server.client("alice");
    assert_eq!(
        alice.ask("OPER root hunter2"),
        ms(&[
            ":alice MODE alice +os",
            ":natter.local 008 alice +ackoq :Server notice mask",
            ":natter.local 381 alice :You are now an IRC operator",
        ])
    );
    assert_eq!(
        alice.ask("MODE alice"),
        ms(&[":natter.local 221 alice +os"])
    );
    // Again: already +o, so only the numeric.
    assert_eq!(
        alice.ask("OPER root hunter2"),
        ms(&[":natter.local 381 alice :You are now an IRC operator"])
    );
}

#[test]
fn oper_with_wrong_password_is_464() {
    let server = server_with_root(|_| {});
    let mut alice = server.client("alice");
    assert_eq!(
        alice.ask("OPER root hunter3"),
        ms(&[":natter.local 464 alice :Password incorrect"])
    );
    assert_eq!(alice.ask("MODE alice"), ms(&[":natter.local 221 alice +"]));
    // The name is case sensitive, like the password.
    assert_eq!(
        alice.ask("OPER ROOT hunter2"),
        ms(&[":natter.local 491 alice :No operator block named ROOT"])
    );
    assert_eq!(
        alice.ask("OPER root"),
        ms(&[":natter.local 461 alice OPER :Not enough parameters"])
    );
}

#[test]
fn oper_unknown_name_or_host_is_491() {
    let server = TestServer::with_config(|c| {
        c.opers.push(oper("remote", "pw", "*@10.0.0.1"));
        c.opers.push(oper("alices", "pw", "~alice@127.0.0.*"));
    });
    let mut alice = server.client("alice");
    let mut bob = server.client("bob");
    assert_eq!(
        alice.ask("OPER nobody pw"),
        ms(&[":natter.local 491 alice :No operator block named nobody"])
    );
    assert_eq!(
        alice.ask("OPER remote pw"),
        ms(&[":natter.local 491 alice :No O-lines for your host"])
    );
    assert_eq!(
        bob.ask("OPER alices pw"),
        ms(&[":natter.local 491 bob :No O-lines for your host"])
    );
    assert_eq!(
        cmds(&alice.ask("OPER alices pw")),
        vec!["MODE", "008", "381"]
    );
}

// ---- KILL ----

#[test]
fn kill_disconnects_target_and_tells_peers() {
    let server = server_with_root(|_| {});
    let mut alice = oper_client(&server, "alice");
    let mut bob = server.client("bob");
    let mut carol = server.client("carol");
    join_all("#k", &mut [&mut bob, &mut carol]);

    // The killer shares no channel with bob: only the confirmation.
    assert_eq!(
        alice.ask("KILL Bob :spamming"),
        ms(&[":natter.local NOTICE alice :*** Killed bob (spamming)"])
    );
    let why = "Killed (alice (spamming))";
    let lines = until_closed(&mut bob);
    assert_eq!(
        lines,
        ms(&[
            &format!(":{} KILL bob :{why}", src("alice")),
            &format!(":{} QUIT :{why}", src("bob")),
            &format!("ERROR :Closing Link: natter.local ({why})"),
        ])
    );
    assert_eq!(carol.sync(), ms(&[&format!(":{} QUIT :{why}", src("bob"))]));
    assert_eq!(
        carol.ask("NAMES #k")[0],
        m(":natter.local 353 carol = #k carol")
    );
    // The nick is free again.
    let mut bob2 = server.client("bob");
    bob2.assert_quiet();
    alice.assert_quiet();
}

#[test]
fn kill_self_closes_own_connection() {
    let server = server_with_root(|_| {});
    let mut alice = oper_client(&server, "alice");
    let mut bob = server.client("bob");
    join_all("#k", &mut [&mut alice, &mut bob]);
    alice.send("KILL alice :oops");
    let lines = until_closed(&mut alice);
    let why = "Killed (alice (oops))";
    assert_eq!(
        lines[..2],
        ms(&[
            &format!(":{} KILL alice :{why}", src("alice")),
            &format!(":{} QUIT :{why}", src("alice")),
        ])
    );
    // Then exactly one ERROR.
    assert_eq!(cmds(&lines[2..]), vec!["ERROR"], "{lines:#?}");
    assert_eq!(bob.sync(), ms(&[&format!(":{} QUIT :{why}", src("alice"))]));
}

#[test]
fn kill_errors() {
    let server = server_with_root(|_| {});
    let mut alice = oper_client(&server, "alice");
    let mut bob = server.client("bob");
    assert_eq!(
        bob.ask("KILL alice :bye"),
        ms(&[&format!(":natter.local 481 bob :{DENIED}")])
    );
    alice.assert_quiet();
    assert_eq!(
        alice.ask("KILL ghost :bye"),
        ms(&[":natter.local 401 alice ghost :No such nick/channel"])
    );
    assert_eq!(
        alice.ask("KILL bob"),
        ms(&[":natter.local 461 alice KILL :Not enough parameters"])
    );
    bob.assert_quiet();
}

// ---- WALLOPS ----

#[test]
fn wallops_reaches_plus_w_users_only() {
    let server = server_with_root(|_| {});
    let mut alice = oper_client(&server, "alice");
    let mut carol = server.client("carol");
    let mut dave = server.client("dave");
    carol.ask("MODE carol +w");
    let line = format!(":{} WALLOPS :maintenance at noon", src("alice"));
    // alice is not +w herself.
    assert!(alice.ask("WALLOPS :maintenance at noon").is_empty());
    assert_eq!(carol.sync(), ms(&[&line]));
    dave.assert_quiet();

    alice.ask("MODE alice +w");
    assert_echoed(
        &mut alice,
        "WALLOPS :again",
        "WALLOPS :again",
        &mut [&mut carol],
    );
    dave.assert_quiet();
}

#[test]
fn wallops_needs_an_operator() {
    let server = server_with_root(|_| {});
    let mut carol = server.client("carol");
    let mut dave = server.client("dave");
    carol.ask("MODE carol +w");
    assert_eq!(
        dave.ask("WALLOPS :hi all"),
        ms(&[&format!(":natter.local 481 dave :{DENIED}")])
    );
    carol.assert_quiet();
    let mut alice = oper_client(&server, "alice");
    assert_eq!(
        alice.ask("WALLOPS"),
        ms(&[":natter.local 461 alice WALLOPS :Not enough parameters"])
    );
}

// ---- REHASH ----

/// A configuration file in `dir`: MOTD from motd.txt, oper `root`/`hunter2`,
/// the given topiclen and any `extra` TOML appended.
fn write_config(dir: &Path, topiclen: usize, extra: &str) -> PathBuf {
    let path = dir.join("natter.toml");
    let text = format!(
        "[server]\n\
         data_dir = '{data}'\n\
         motd_file = \"motd.txt\"\n\
         \n\
         [limits]\n\
         topiclen = {topiclen}\n\
         \n\
         [[oper]]\n\
         name = \"root\"\n\
         password = \"{hash}\"\n\
         {extra}",
        data = dir.join("data").display(),
        hash = cheap_hash("hunter2"),
    );
    std::fs::write(&path, text).unwrap();
    path
}

/// A server started from the configuration file at `path` (on an ephemeral port).
fn server_from_file(path: &Path) -> TestServer {
    TestServer::with_config(|c| {
        *c = Config::load(path).expect("test config loads");
        // As in the harness: sources are compared with 127.0.0.1.
        c.privacy.cloak = false;
        c.listen.irc = vec!["127.0.0.1:0".parse().unwrap()];
        // Not the default 6666 (nor 6697, 8080, 9667): parallel tests
        // would fight over them.
        c.listen.im = vec!["127.0.0.1:0".parse().unwrap()];
        c.listen.irc_tls.clear();
        c.listen.http.clear();
        c.listen.metrics.clear();
    })
}

/// The text of the MOTD lines (372) in `msgs`.
fn motd_lines(msgs: &[Message]) -> Vec<String> {
    assert_eq!(msgs.first().map(|m| m.command.as_str()), Some("375"));
    assert_eq!(msgs.last().map(|m| m.command.as_str()), Some("376"));
    with_command(msgs, "372")
        .iter()
        .map(|m| m.params[1].clone())
        .collect()
}

#[test]
fn rehash_reloads_config_and_motd_without_dropping_anyone() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("motd.txt"), "first version\n").unwrap();
    let path = write_config(dir.path(), 390, "");
    let server = server_from_file(&path);
    let mut alice = oper_client(&server, "alice");
    let mut bob = server.client("bob");
    join_all("#stay", &mut [&mut alice, &mut bob]);
    assert_eq!(motd_lines(&alice.ask("MOTD")), vec!["- first version"]);

    std::fs::write(dir.path().join("motd.txt"), "second version\nline two\n").unwrap();
    let extra = format!(
        "\n[[oper]]\nname = \"second\"\npassword = \"{}\"\n",
        cheap_hash("pw2")
    );
    write_config(dir.path(), 10, &extra);
    assert_eq!(
        alice.ask("REHASH"),
        ms(&[&format!(
            ":natter.local 382 alice {} :Rehashing",
            path.display()
        )])
    );
    assert_eq!(
        motd_lines(&bob.ask("MOTD")),
        vec!["- second version", "- line two"]
    );
    // Nobody was dropped or told anything, alice is still an operator...
    bob.assert_quiet();
    assert_eq!(alice.ask("MODE alice"), ms(&[":natter.local 221 alice +o"]));
    // ...and the new settings are in force.
    assert_echoed(
        &mut alice,
        "TOPIC #stay :0123456789abcdef",
        "TOPIC #stay 0123456789",
        &mut [&mut bob],
    );
    assert_eq!(
        cmds(&bob.ask("OPER second pw2")),
        vec!["MODE", "008", "381"]
    );
}

/// A `[[link]]` block that REHASH adds with `autoconnect` connects: the
/// autoconnects start once the new configuration is in place, not from
/// the old one.
#[test]
fn rehash_that_adds_an_autoconnect_link_connects_it() {
    let hub = common::links::node("hub.test", 0, &[("natter.local", None)]);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("motd.txt"), "hello\n").unwrap();
    let path = write_config(dir.path(), 390, "");
    let leaf = server_from_file(&path);
    let mut alice = oper_client(&leaf, "alice");
    common::links::wait_servers(&mut alice, 1);

    let block = format!(
        "\n[[link]]\nname = \"hub.test\"\naddress = \"{}\"\n\
         send_password = \"{}\"\nreceive_password = \"{}\"\nautoconnect = true\n",
        hub.link_addr.expect("the hub listens for links"),
        common::links::PW,
        cheap_hash(common::links::PW),
    );
    write_config(dir.path(), 390, &block);
    let reply = alice.ask("REHASH");
    assert_eq!(cmds(&reply), vec!["382"], "{reply:#?}");
    common::links::wait_servers(&mut alice, 2);
    let mut bob = hub.client("bob");
    common::links::wait_user(&mut bob, "alice");
}

#[test]
fn rehash_is_announced_to_operators_with_server_notices() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("motd.txt"), "hello\n").unwrap();
    let path = write_config(dir.path(), 390, "");
    let server = server_from_file(&path);
    let mut alice = oper_client(&server, "alice");
    let mut bob = server.client("bob");
    bob.ask("OPER root hunter2");
    alice.ask("REHASH");
    let got = bob.sync();
    assert_eq!(
        got,
        ms(&[&format!(
            ":natter.local NOTICE bob :*** Notice -- alice is rehashing the server configuration ({})",
            path.display()
        )])
    );
}

#[test]
fn rehash_with_broken_config_keeps_the_old_one() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("motd.txt"), "original\n").unwrap();
    let path = write_config(dir.path(), 10, "");
    let server = server_from_file(&path);
    let mut alice = oper_client(&server, "alice");
    alice.ask("JOIN #t");

    // An unknown key on line 5.
    std::fs::write(dir.path().join("motd.txt"), "replaced\n").unwrap();
    std::fs::write(
        &path,
        "[server]\nname = \"x.y\"\n\n[limits]\nnicklenn = 5\n",
    )
    .unwrap();
    let got = alice.ask("REHASH");
    assert_eq!(cmds(&got), vec!["NOTICE"], "{got:#?}");
    assert_eq!(got[0].source.as_deref(), Some("natter.local"));
    assert_eq!(got[0].params[0], "alice");
    let want = format!(
        "*** REHASH failed, configuration unchanged: {}:5: key `limits.nicklenn`: unknown field",
        path.display()
    );
    assert!(
        got[0].params[1].starts_with(&want),
        "{:?}",
        got[0].params[1]
    );

    // A value out of range.
    std::fs::write(&path, "[limits]\nnicklen = 0\n").unwrap();
    let got = alice.ask("REHASH");
    let want = format!(
        "*** REHASH failed, configuration unchanged: {}:2: key `limits.nicklen`: 0 is out of range 1..=200",
        path.display()
    );
    assert_eq!(
        got,
        vec![Message {
            params: vec!["alice".into(), want],
            ..got[0].clone()
        }]
    );

    // Several problems: the first, and a count of the others (the server
    // log has them all).
    std::fs::write(&path, "[limits]\nnicklen = 0\ntopiclen = 0\nkicklen = 0\n").unwrap();
    let got = alice.ask("REHASH");
    let want = format!(
        "*** REHASH failed, configuration unchanged: {}:2: key `limits.nicklen`: 0 is out of range 1..=200 (and 2 more problems)",
        path.display()
    );
    assert_eq!(got.len(), 1, "{got:#?}");
    assert_eq!(got[0].params, vec!["alice".to_string(), want]);

    // A MOTD file that is gone.
    write_config(dir.path(), 20, "");
    std::fs::remove_file(dir.path().join("motd.txt")).unwrap();
    let got = alice.ask("REHASH");
    assert_eq!(cmds(&got), vec!["NOTICE"], "{got:#?}");
    assert!(
        got[0].params[1].contains("key `server.motd_file`: cannot read MOTD file"),
        "{:?}",
        got[0].params[1]
    );

    // Still the old MOTD and the old topiclen of 10.
    assert_eq!(motd_lines(&alice.ask("MOTD")), vec!["- original"]);
    let got = alice.ask("TOPIC #t :0123456789abcdef");
    assert_eq!(got[0].params, vec!["#t", "0123456789"]);
}

#[test]
fn rehash_failure_is_one_notice_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("motd.txt"), "original\n").unwrap();
    let path = write_config(dir.path(), 10, "");
    let server = server_from_file(&path);
    let mut alice = oper_client(&server, "alice");
    // A TOML syntax error, whose parser message spans several lines.
    std::fs::write(&path, "[server\nname = \"a.b\"\n").unwrap();
    let got = alice.ask("REHASH");
    assert_eq!(cmds(&got), vec!["NOTICE"], "{got:#?}");
    let want = format!(
        "*** REHASH failed, configuration unchanged: {}:1: key `server`: invalid table header",
        path.display()
    );
    assert!(
        got[0].params[1].starts_with(&want),
        "{:?}",
        got[0].params[1]
    );
}

#[test]
fn rehash_file_parameter_is_one_middle_parameter() {
    // RPL_REHASHING is "<client> <config file> :Rehashing": a path with a
    // space cannot be a middle parameter, so the file name stands in.
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("my conf");
    std::fs::create_dir(&conf).unwrap();
    std::fs::write(conf.join("motd.txt"), "hi\n").unwrap();
    let path = write_config(&conf, 390, "");
    let server = server_from_file(&path);
    let mut alice = oper_client(&server, "alice");
    assert_eq!(
        alice.ask("REHASH"),
        ms(&[":natter.local 382 alice natter.toml :Rehashing"])
    );

    // Without a file (built-in defaults) there is no name to give.
    let server = server_with_root(|_| {});
    let mut bob = oper_client(&server, "bob");
    assert_eq!(
        bob.ask("REHASH"),
        ms(&[":natter.local 382 bob * :Rehashing"])
    );
    bob.assert_quiet();
}

#[test]
fn rehash_needs_an_operator() {
    let server = server_with_root(|_| {});
    let mut bob = server.client("bob");
    assert_eq!(
        bob.ask("REHASH"),
        ms(&[&format!(":natter.local 481 bob :{DENIED}")])
    );
}

// ---- DIE ----

#[test]
fn die_is_refused_unless_allowed() {
    let server = server_with_root(|c| c.server.allow_die = false);
    let mut bob = server.client("bob");
    assert_eq!(
        bob.ask("DIE"),
        ms(&[&format!(":natter.local 481 bob :{DENIED}")])
    );
    let mut alice = oper_client(&server, "alice");
    assert_eq!(
        alice.ask("DIE"),
        ms(&[":natter.local 481 alice :Permission Denied- DIE is disabled (server.allow_die)"])
    );
    // Still running.
    server.client("carol").assert_quiet();
    bob.assert_quiet();
}

#[test]
fn die_stops_the_server_when_allowed() {
    let server = server_with_root(|c| c.server.allow_die = true);
    let mut alice = oper_client(&server, "alice");
    let mut bob = server.client("bob");
    alice.send("DIE");
    for c in [&mut alice, &mut bob] {
        let lines = c.read_until_closed();
        let last = m(lines.last().expect("an ERROR before closing"));
        assert_eq!(last.command, "ERROR", "{lines:#?}");
        assert!(
            last.params[0].ends_with("(Server shutting down)"),
            "{lines:#?}"
        );
    }
}

#[test]
fn kill_while_target_has_lines_queued_leaves_no_ghost() {
    // The target's reader may still be working through lines it had
    // already read when the KILL removed its user. Handling them must not
    // act for a user who is gone (that panics the connection task and
    // leaves its connection counted forever), so LUSERS comes back to the
    // real local count once the target's connection has wound down.
    let server = server_with_root(|_| {});
    let mut alice = oper_client(&server, "alice");
    for round in 0..20 {
        let mut bob = server.client("bob");
        let burst = "JOIN #x\r\nPART #x\r\n".repeat(2000);
        bob.send_raw(burst.as_bytes());
        alice.send("KILL bob :flood");
        bob.read_until_closed();
        // The connection's own clean-up runs after its socket closed:
        // wait (bounded) for it instead of racing it.
        let deadline = std::time::Instant::now() + TIMEOUT;
        loop {
            let got = alice.ask("LUSERS");
            if one(&got, "265").params[1] == "1" {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "round {round}: the killed connection is still counted: {got:#?}"
            );
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
    }
}
