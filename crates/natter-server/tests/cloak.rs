//! Host cloaking end to end (issue 13, "Privacy"): with `[privacy] cloak`
//! on (the default; the harness turns it off, these tests back on), other
//! users see a keyed cloak of a user's address in message sources, WHOIS
//! and WHO; the user and operators see the real address (WHOIS 378); the
//! key in the data directory keeps cloaks stable across restarts; bans on
//! the real address still match; `MODE nick -x` / `+x` show and hide it;
//! linked natter servers carry the real address to their operators.

mod common;
use common::links::*;
use common::*;

use std::net::SocketAddr;
use std::path::Path;

use natter_proto::Message;

/// A server with cloaking on (its default) and oper `root`/`hunter2`.
fn cloaking() -> TestServer {
    server_with_root(|c| c.privacy.cloak = true)
}

/// A server with cloaking on whose data directory is `dir`.
fn cloaking_in(dir: &Path) -> TestServer {
    TestServer::with_config(|c| {
        c.privacy.cloak = true;
        c.server.data_dir = dir.to_path_buf();
    })
}

/// The host in `nick`'s WHOIS 311, as `asker` sees it.
fn whois_host(asker: &mut Client, nick: &str) -> String {
    let r = asker.ask(&format!("WHOIS {nick}"));
    params(one(&r, "311"))[3].to_string()
}

/// The 378 (RPL_WHOISHOST) lines of `asker`'s WHOIS of `nick`.
fn whois_real(asker: &mut Client, nick: &str) -> Vec<Message> {
    let r = asker.ask(&format!("WHOIS {nick}"));
    with_command(&r, "378").into_iter().cloned().collect()
}

/// Whether `host` looks like an IPv4 cloak: three 8-character base32
/// parts and the `IP` suffix.
fn is_cloak(host: &str) -> bool {
    let parts: Vec<&str> = host.split('.').collect();
    parts.len() == 4
        && parts[3] == "IP"
        && parts[..3].iter().all(|p| {
            p.len() == 8
                && p.bytes()
                    .all(|b| b.is_ascii_lowercase() || (b'2'..=b'7').contains(&b))
        })
}

#[test]
fn registration_tells_the_user_its_cloak_and_lists_mode_x() {
    let server = cloaking();
    let mut c = server.connect();
    c.send("NICK alice");
    c.send("USER alice 0 * :Alice");
    let welcome = c.expect("001");
    let myinfo = c.expect("004");
    assert!(params(&myinfo)[3].contains('x'), "{myinfo:?}");
    let visible = c.expect("396");
    let cloak = params(&visible)[1].to_string();
    assert!(is_cloak(&cloak), "{visible:?}");
    assert_eq!(params(&visible)[2], "is now your displayed host");
    assert!(
        params(&welcome)[1].ends_with(&format!("alice!~alice@{cloak}")),
        "{welcome:?}"
    );
    c.expect_any(&["376", "422"]);
    c.nick = "alice".into();
    let modes = c.ask("MODE alice");
    assert_eq!(params(one(&modes, "221")), ["alice", "+x"]);
}

#[test]
fn others_see_the_cloak_in_sources_whois_and_who() {
    let server = cloaking();
    let mut alice = server.client("alice");
    let mut bob = server.client("bob");
    join_all("#c", &mut [&mut alice, &mut bob]);
    let cloak = whois_host(&mut bob, "alice");
    assert!(is_cloak(&cloak), "{cloak}");

    alice.send("PRIVMSG #c :hello");
    let said = bob.expect("PRIVMSG");
    assert_eq!(
        said.source.as_deref(),
        Some(&*format!("alice!~alice@{cloak}"))
    );

    // No 378 for another user; the address is nowhere in the WHOIS.
    let r = bob.ask("WHOIS alice");
    assert!(with_command(&r, "378").is_empty(), "{r:#?}");
    assert!(!format!("{r:?}").contains("127.0.0.1"), "{r:#?}");

    let who = bob.ask("WHO #c");
    let row = who
        .iter()
        .find(|m| m.command == "352" && params(m)[5] == "alice")
        .expect("alice's WHO row");
    assert_eq!(params(row)[3], cloak);
    // WHOX: the IP field is hidden, the host is the cloak.
    let whox = bob.ask("WHO alice %tnih,7");
    assert_eq!(
        params(one(&whox, "354")),
        ["bob", "7", "255.255.255.255", &*cloak, "alice"]
    );
    // A WHO search by the address finds no one.
    let search = bob.ask("WHO 127.0.0.*");
    assert!(with_command(&search, "352").is_empty(), "{search:#?}");
    // USERHOST shows the cloak too.
    let uh = bob.ask("USERHOST alice");
    assert_eq!(params(one(&uh, "302"))[1], format!("alice=+~alice@{cloak}"));
    // NAMES with userhost-in-names.
    let mut carol = client_with(&server, "carol", "userhost-in-names");
    let names = carol.ask("NAMES #c");
    assert!(
        params(one(&names, "353"))[3].contains(&format!("alice!~alice@{cloak}")),
        "{names:#?}"
    );
}

#[test]
fn the_user_itself_sees_its_real_address() {
    let server = cloaking();
    let mut alice = server.client("alice");
    let cloak = whois_host(&mut alice, "alice");
    assert!(is_cloak(&cloak), "{cloak}");
    let real = whois_real(&mut alice, "alice");
    assert_eq!(real.len(), 1, "{real:#?}");
    assert_eq!(
        params(&real[0]),
        ["alice", "alice", "is connecting from *@127.0.0.1 127.0.0.1"]
    );
    let uh = alice.ask("USERHOST alice");
    assert_eq!(params(one(&uh, "302"))[1], "alice=+~alice@127.0.0.1");
    let whox = alice.ask("WHO alice %tni,1");
    assert_eq!(
        params(one(&whox, "354")),
        ["alice", "1", "127.0.0.1", "alice"]
    );
}

#[test]
fn operators_see_the_real_address() {
    let server = cloaking();
    let mut alice = server.client("alice");
    let mut oper = server.client("oper");
    oper_up(&mut oper);
    let cloak = whois_host(&mut oper, "alice");
    assert!(is_cloak(&cloak), "{cloak}");
    let real = whois_real(&mut oper, "alice");
    assert_eq!(
        params(&real[0]),
        ["oper", "alice", "is connecting from *@127.0.0.1 127.0.0.1"]
    );
    // An operator's WHO may search by address and sees the IP field.
    let search = oper.ask("WHO 127.0.0.1");
    assert!(
        with_command(&search, "352")
            .iter()
            .any(|m| params(m)[5] == "alice"),
        "{search:#?}"
    );
    let whox = oper.ask("WHO alice %tni,2");
    assert_eq!(
        params(one(&whox, "354")),
        ["oper", "2", "127.0.0.1", "alice"]
    );
    // WHOWAS tells operators the address behind the cloak.
    alice.send("QUIT");
    alice.read_until_closed();
    let was = oper.ask("WHOWAS alice");
    assert_eq!(params(one(&was, "314"))[3], cloak);
    assert_eq!(params(one(&was, "338"))[2], "127.0.0.1");
}

#[test]
fn the_key_is_kept_across_a_restart_and_another_key_cloaks_differently() {
    let dirs = tempfile::tempdir().unwrap();
    let (one_dir, other_dir) = (dirs.path().join("one"), dirs.path().join("other"));
    let mut server = cloaking_in(&one_dir);
    let first = whois_host(&mut server.client("alice"), "alice");
    server.stop();
    drop(server);
    let key = one_dir.join("cloak.key");
    assert_eq!(std::fs::read(&key).unwrap().len(), 32);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    }
    let again = cloaking_in(&one_dir);
    assert_eq!(whois_host(&mut again.client("alice"), "alice"), first);
    let other = cloaking_in(&other_dir);
    let different = whois_host(&mut other.client("alice"), "alice");
    assert!(is_cloak(&different), "{different}");
    assert_ne!(different, first);
}

#[test]
fn bans_match_the_real_address_and_the_cloak() {
    let server = cloaking();
    let mut op = server.client("op");
    let mut alice = server.client("alice");
    op.ask("JOIN #c");
    op.ask("MODE #c +b *!*@127.0.0.1");
    let r = alice.ask("JOIN #c");
    assert_eq!(cmds(&r), ["474"], "{r:#?}");

    // A ban on the cloak of the /24 (its last two parts) matches too.
    let cloak = whois_host(&mut op, "alice");
    let (_, block) = cloak.split_once('.').unwrap();
    op.ask("MODE #c -b *!*@127.0.0.1");
    op.ask(&format!("MODE #c +b *!*@*.{block}"));
    let r = alice.ask("JOIN #c");
    assert_eq!(cmds(&r), ["474"], "{r:#?}");
    op.ask(&format!("MODE #c -b *!*@*.{block}"));
    let r = alice.ask("JOIN #c");
    assert!(cmds(&r).contains(&"JOIN"), "{r:#?}");

    // SILENCE on the address silences the cloaked sender.
    op.ask("SILENCE +*!*@127.0.0.1");
    alice.ask("PRIVMSG op :psst");
    op.assert_quiet();
}

#[test]
fn mode_minus_x_shows_the_address_and_plus_x_hides_it_again() {
    let server = cloaking();
    let mut alice = client_with(&server, "alice", "chghost");
    let mut bob = client_with(&server, "bob", "chghost");
    join_all("#c", &mut [&mut alice, &mut bob]);
    let cloak = whois_host(&mut bob, "alice");

    let r = alice.ask("MODE alice -x");
    assert_msg(one(&r, "MODE"), "alice", "MODE", &["alice", "-x"]);
    assert_numeric(
        one(&r, "396"),
        "396",
        &["alice", "127.0.0.1", "is now your displayed host"],
    );
    assert_msg(
        one(&r, "CHGHOST"),
        &format!("alice!~alice@{cloak}"),
        "CHGHOST",
        &["~alice", "127.0.0.1"],
    );
    let seen = bob.sync();
    assert_msg(
        one(&seen, "CHGHOST"),
        &format!("alice!~alice@{cloak}"),
        "CHGHOST",
        &["~alice", "127.0.0.1"],
    );
    assert_eq!(whois_host(&mut bob, "alice"), "127.0.0.1");
    // Without the cloak there is nothing to take off again.
    assert!(alice.ask("MODE alice -x").is_empty());

    let r = alice.ask("MODE alice +x");
    assert_msg(one(&r, "MODE"), "alice", "MODE", &["alice", "+x"]);
    assert_numeric(
        one(&r, "396"),
        "396",
        &["alice", &cloak, "is now your displayed host"],
    );
    let seen = bob.sync();
    assert_msg(
        one(&seen, "CHGHOST"),
        "alice!~alice@127.0.0.1",
        "CHGHOST",
        &["~alice", &cloak],
    );
    assert_eq!(whois_host(&mut bob, "alice"), cloak);
}

#[test]
fn off_in_the_config_means_real_addresses_and_no_mode_x() {
    let server = server_with_root(|c| c.privacy.cloak = false);
    let mut alice = server.client("alice");
    let mut bob = server.client("bob");
    assert_eq!(whois_host(&mut bob, "alice"), "127.0.0.1");
    let modes = alice.ask("MODE alice");
    assert_eq!(params(one(&modes, "221")), ["alice", "+"]);
}

/// A linked natter server with cloaking on.
fn cloaking_node(name: &str, peers: &[(&str, Option<SocketAddr>)]) -> TestServer {
    TestServer::with_config(|c| {
        c.server.name = name.into();
        c.listen.link = vec![SocketAddr::from(([127, 0, 0, 1], 0))];
        c.opers.push(oper("root", "hunter2", "*@*"));
        c.privacy.cloak = true;
        for (peer, address) in peers {
            c.links.push(block(peer, *address));
        }
    })
}

#[test]
fn linked_servers_show_the_cloak_and_tell_operators_the_address() {
    let a = cloaking_node("a.test", &[("b.test", None)]);
    let b = cloaking_node("b.test", &[("a.test", a.link_addr)]);
    let mut alice = a.client("alice");
    let mut bob = b.client("bob");
    let mut oper = b.client("oper");
    oper_up(&mut oper);
    wait_servers(&mut bob, 2);
    wait_user(&mut bob, "alice");
    let local = whois_host(&mut a.client("carol"), "alice");
    assert!(is_cloak(&local), "{local}");
    // Everyone sees the cloak of alice's server; only the operator the
    // address.
    assert_eq!(whois_host(&mut bob, "alice"), local);
    assert!(whois_real(&mut bob, "alice").is_empty());
    let real = whois_real(&mut oper, "alice");
    assert_eq!(
        params(&real[0]),
        ["oper", "alice", "is connecting from *@127.0.0.1 127.0.0.1"]
    );
    // -x travels as a host change.
    alice.ask("MODE alice -x");
    wait_for_host(&mut bob, "alice", "127.0.0.1");
    alice.ask("MODE alice +x");
    wait_for_host(&mut bob, "alice", &local);
}

/// Waits until `c` sees `nick` with `host` in WHOIS.
fn wait_for_host(c: &mut Client, nick: &str, host: &str) {
    let deadline = std::time::Instant::now() + TIMEOUT;
    while whois_host(c, nick) != host {
        assert!(
            std::time::Instant::now() < deadline,
            "{nick} never had host {host}"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}
