//! IRCv3 extended-monitor end to end
//! (<https://ircv3.net/specs/extensions/extended-monitor>): a client with
//! `extended-monitor` that MONITORs a nick gets that user's AWAY (with
//! `away-notify`), SETNAME (with `setname`) and CHGHOST (with `chghost`)
//! without sharing a channel; each still needs its own capability, the
//! watch follows the nick (not the user), and a watcher that also shares a
//! channel, or watches itself, gets each line once.

mod common;
use common::*;

/// `c` MONITORs `nick`, which is online, and drains the RPL_MONONLINE.
fn monitor(c: &mut Client, nick: &str) {
    let r = c.ask(&format!("MONITOR + {nick}"));
    assert_eq!(r.len(), 1, "{r:#?}");
    assert_eq!(r[0].command, "730", "{r:#?}");
}

#[test]
fn the_capability_is_offered() {
    let server = TestServer::start();
    let mut c = server.connect();
    let r = c.ask("CAP LS 302");
    let ls = one(&r, "CAP");
    assert!(
        ls.params[2].split(' ').any(|c| c == "extended-monitor"),
        "{ls:#?}"
    );
}

#[test]
fn away_of_a_monitored_nick_reaches_a_watcher_sharing_no_channel() {
    let server = TestServer::start();
    let mut watcher = client_with(&server, "watcher", "extended-monitor away-notify");
    let mut bob = server.client("bob");
    monitor(&mut watcher, "bob");

    bob.ask("AWAY :gone fishing");
    only_untagged(&watcher.sync(), &src("bob"), "AWAY", &["gone fishing"]);
    bob.ask("AWAY");
    only_untagged(&watcher.sync(), &src("bob"), "AWAY", &[]);
}

#[test]
fn monitoring_before_the_nick_signs_on_works_too() {
    let server = TestServer::start();
    let mut watcher = client_with(&server, "watcher", "extended-monitor away-notify setname");
    only(
        &watcher.ask("MONITOR + bob"),
        SERVER,
        "731",
        &["watcher", "bob"],
    );
    let mut bob = server.client("bob");
    only(&watcher.sync(), SERVER, "730", &["watcher", &src("bob")]);

    bob.ask("AWAY :afk");
    only_untagged(&watcher.sync(), &src("bob"), "AWAY", &["afk"]);
    bob.ask("SETNAME :Robert");
    only_untagged(&watcher.sync(), &src("bob"), "SETNAME", &["Robert"]);
}

#[test]
fn each_notification_still_needs_its_own_capability() {
    let server = server_with_root(|_| {});
    // extended-monitor alone: nothing beyond online/offline.
    let mut bare = client_with(&server, "bare", "extended-monitor");
    // The notification capabilities without extended-monitor: nothing
    // either, as no channel is shared.
    let mut plain = client_with(&server, "plain", "away-notify setname chghost");
    let mut full = client_with(
        &server,
        "full",
        "extended-monitor away-notify setname chghost",
    );
    let mut bob = server.client("bob");
    let mut oper = server.client("oper");
    oper_up(&mut oper);
    for c in [&mut bare, &mut plain, &mut full] {
        monitor(c, "bob");
    }

    bob.ask("AWAY :afk");
    only_untagged(&full.sync(), &src("bob"), "AWAY", &["afk"]);
    bob.ask("SETNAME :Robert");
    only_untagged(&full.sync(), &src("bob"), "SETNAME", &["Robert"]);
    assert!(oper.ask("CHGHOST bob newuser new.example").is_empty());
    only_untagged(
        &full.sync(),
        &src("bob"),
        "CHGHOST",
        &["newuser", "new.example"],
    );
    // The next one comes from the new prefix.
    bob.ask("AWAY");
    only_untagged(&full.sync(), "bob!newuser@new.example", "AWAY", &[]);
    bare.assert_quiet();
    plain.assert_quiet();
}

#[test]
fn a_watcher_sharing_a_channel_gets_each_line_once() {
    let server = TestServer::start();
    let mut watcher = client_with(&server, "watcher", "extended-monitor away-notify setname");
    let mut bob = server.client("bob");
    join_all("#c", &mut [&mut watcher, &mut bob]);
    monitor(&mut watcher, "bob");

    bob.ask("AWAY :afk");
    only_untagged(&watcher.sync(), &src("bob"), "AWAY", &["afk"]);
    bob.ask("SETNAME :Robert");
    only_untagged(&watcher.sync(), &src("bob"), "SETNAME", &["Robert"]);
}

#[test]
fn a_user_monitoring_itself_gets_its_own_changes_once() {
    let server = TestServer::start();
    let mut bob = client_with(&server, "bob", "extended-monitor away-notify setname");
    monitor(&mut bob, "bob");
    // Its own AWAY is answered by the numeric alone, as without MONITOR.
    only(
        &bob.ask("AWAY :afk"),
        SERVER,
        "306",
        &["bob", "You have been marked as being away"],
    );
    only_untagged(
        &bob.ask("SETNAME :Robert"),
        &src("bob"),
        "SETNAME",
        &["Robert"],
    );
}

#[test]
fn the_watch_follows_the_nick_and_ends_with_monitor_minus() {
    let server = TestServer::start();
    let mut watcher = client_with(&server, "watcher", "extended-monitor away-notify");
    let mut bob = server.client("bob");
    monitor(&mut watcher, "bob");

    // bob becomes rob: the watcher learns bob is gone, and rob is nobody
    // it monitors.
    bob.ask("NICK rob");
    bob.nick = "rob".into();
    only(&watcher.sync(), SERVER, "731", &["watcher", "bob"]);
    bob.ask("AWAY :afk");
    watcher.assert_quiet();

    // Watching rob (case-insensitively) brings the notifications back.
    monitor(&mut watcher, "ROB");
    bob.ask("AWAY");
    only_untagged(&watcher.sync(), &src_as("rob", "bob"), "AWAY", &[]);

    watcher.ask("MONITOR - rob");
    bob.ask("AWAY :afk again");
    watcher.assert_quiet();
}

#[test]
fn server_time_applies_to_monitor_notifications_as_to_any_other() {
    let server = TestServer::start();
    let mut timed = client_with(&server, "timed", "extended-monitor away-notify server-time");
    let mut untimed = client_with(&server, "untimed", "extended-monitor away-notify");
    let mut bob = server.client("bob");
    monitor(&mut timed, "bob");
    monitor(&mut untimed, "bob");

    bob.ask("AWAY :afk");
    only_untagged(&untimed.sync(), &src("bob"), "AWAY", &["afk"]);
    let r = timed.sync();
    let away = only(&r, &src("bob"), "AWAY", &["afk"]);
    let keys: Vec<&str> = away.tags.iter().map(|t| t.key.as_str()).collect();
    assert_eq!(keys, ["time"], "{away:#?}");
}

/// The source of a test client registered as `registered` and now called
/// `nick` (its username keeps the registration nick).
fn src_as(nick: &str, registered: &str) -> String {
    format!("{nick}!~{registered}@{HOST}")
}
