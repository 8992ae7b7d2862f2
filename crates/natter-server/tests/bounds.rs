//! Nothing fed by a client grows without bound (issue 13): each
//! collection a client can add to, at its bound. Nick changes and joins
//! are limited per user (with the defaults of `[flood]`, which the harness
//! lifts and these servers put back); invitations, read markers, MONITOR
//! lists, ban lists and WHOWAS stop at their limits (flood control lifted
//! where a test sends hundreds of lines to get there). (IM conversations
//! nobody joined yet are bounded in tests/im/conversations.rs; tag data in
//! tests/message_tags.rs.)

mod common;

use common::*;

#[test]
fn nick_changes_past_the_burst_get_err_nicktoofast() {
    let server = TestServer::with_config(protected);
    let mut c = server.client("n0");
    for i in 1..=5 {
        let r = c.ask(&format!("NICK n{i}"));
        assert_eq!(cmds(&r), ["NICK"], "{r:#?}");
    }
    let r = c.ask("NICK n6");
    let refused = one(&r, "438");
    assert_eq!(refused.params[1], "n6");
    assert!(refused.params[2].starts_with("Nick change too fast. Please wait "));
    // Still n5.
    assert_eq!(one(&c.ask("WHOIS n5"), "311").params[1], "n5");
}

#[test]
fn operators_change_nicks_freely() {
    let server = server_with_root(protected);
    let mut c = server.client("root");
    oper_up(&mut c);
    for i in 1..=20 {
        let r = c.ask(&format!("NICK root{i}"));
        assert_eq!(cmds(&r), ["NICK"], "{r:#?}");
    }
}

#[test]
fn joins_past_the_burst_get_err_toomanyjoins() {
    let server = TestServer::with_config(|c| {
        protected(c);
        c.limits.channels_per_user = 500;
    });
    let mut c = server.client("joiner");
    // An autojoin list of fifty channels in one line passes.
    let list: Vec<String> = (0..50).map(|i| format!("#j{i}")).collect();
    c.send(&format!("JOIN {}", list.join(",")));
    let r = c.sync();
    assert_eq!(with_command(&r, "JOIN").len(), 50);
    // Parting and joining again is cycling: the next join waits.
    c.ask("PART #j0");
    let r = c.ask("JOIN #j0");
    let refused = one(&r, "500");
    assert_eq!(refused.params[1], "#j0");
    assert!(refused.params[2].starts_with("Too many join requests. Please wait "));
}

#[test]
fn invitations_are_bounded_and_the_oldest_goes() {
    // Flood control off: the operator sends 120 lines at once.
    let server = TestServer::with_config(|c| c.limits.channels_per_user = 500);
    let mut op = server.client("op");
    let mut guest = server.client("guest");
    // Sixty invite-only channels, the guest invited to each in turn.
    let list: Vec<String> = (0..60).map(|i| format!("#i{i}")).collect();
    op.send(&format!("JOIN {}", list.join(",")));
    op.sync();
    for name in &list {
        op.send(&format!("MODE {name} +i"));
        op.send(&format!("INVITE guest {name}"));
    }
    op.sync();
    guest.sync();
    // The ten oldest invitations went; the fifty newest still admit.
    let r = guest.ask("JOIN #i0");
    assert_eq!(one(&r, "473").params[1], "#i0", "{r:#?}");
    let r = guest.ask("JOIN #i9");
    assert_eq!(one(&r, "473").params[1], "#i9", "{r:#?}");
    let r = guest.ask("JOIN #i10");
    assert_eq!(cmds(&r)[0], "JOIN", "{r:#?}");
    let r = guest.ask("JOIN #i59");
    assert_eq!(cmds(&r)[0], "JOIN", "{r:#?}");
}

#[test]
fn read_markers_keep_the_newest_thousand() {
    // Flood control off: the client sends 1,001 lines at once.
    let server = TestServer::start();
    let mut c = client_with(&server, "reader", "draft/read-marker");
    // 1,001 buffers, each read a second later than the one before.
    let mut batch = String::new();
    for i in 0..=1000u32 {
        let (m, s) = (i / 60, i % 60);
        batch += &format!("MARKREAD #r{i} timestamp=2026-01-01T00:{m:02}:{s:02}.000Z\r\n");
    }
    c.send_raw(batch.as_bytes());
    c.sync();
    // The oldest went; the newest and the one after the oldest stay.
    let gone = c.ask("MARKREAD #r0");
    assert_eq!(params(one(&gone, "MARKREAD")), ["#r0", "*"]);
    let kept = c.ask("MARKREAD #r1");
    assert_eq!(
        params(one(&kept, "MARKREAD")),
        ["#r1", "timestamp=2026-01-01T00:00:01.000Z"]
    );
    let newest = c.ask("MARKREAD #r1000");
    assert_eq!(
        params(one(&newest, "MARKREAD")),
        ["#r1000", "timestamp=2026-01-01T00:16:40.000Z"]
    );
}

#[test]
fn monitor_lists_stop_at_their_limit() {
    let server = TestServer::with_config(|c| {
        protected(c);
        c.limits.monitor = 5;
    });
    let mut c = server.client("watcher");
    c.ask("MONITOR + a1,a2,a3,a4,a5");
    let r = c.ask("MONITOR + a6");
    assert_eq!(one(&r, "734").params[1], "5", "{r:#?}");
    let list = c.ask("MONITOR L");
    let listed: usize = with_command(&list, "732")
        .iter()
        .map(|m| m.params[1].split(',').count())
        .sum();
    assert_eq!(listed, 5);
}

#[test]
fn ban_lists_stop_at_their_limit() {
    let server = TestServer::with_config(|c| {
        protected(c);
        c.limits.max_bans = 3;
    });
    let mut op = server.client("op");
    op.ask("JOIN #b");
    op.ask("MODE #b +bbb a!*@* b!*@* c!*@*");
    let r = op.ask("MODE #b +b d!*@*");
    assert_eq!(one(&r, "478").params[1], "#b", "{r:#?}");
    let list = op.ask("MODE #b +b");
    assert_eq!(with_command(&list, "367").len(), 3);
}

#[test]
fn whowas_keeps_at_most_its_limit() {
    let server = TestServer::with_config(|c| {
        protected(c);
        c.limits.whowas = 3;
    });
    let mut asker = server.client("asker");
    for i in 0..5 {
        let mut gone = server.client(&format!("gone{i}"));
        gone.send("QUIT");
        gone.read_until_closed();
    }
    asker.sync();
    // The two oldest were forgotten.
    assert_eq!(cmds(&asker.ask("WHOWAS gone0"))[0], "406");
    assert_eq!(cmds(&asker.ask("WHOWAS gone1"))[0], "406");
    assert_eq!(cmds(&asker.ask("WHOWAS gone4"))[0], "314");
}
