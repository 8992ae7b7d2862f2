//! Problems a code review found that no test covered: one client must not
//! be able to pile up IM conversations, IM users obey +C like IRC users,
//! server-built lines stay within 512 bytes even when they echo client
//! text, RPL_MYINFO lists every channel mode, and comma lists naming
//! nothing get ERR_NEEDMOREPARAMS.

mod common;
use common::*;

use natter_proto::im::Reply;

#[test]
fn im_invite_of_nobody_creates_no_conversation_and_pending_ones_are_capped() {
    let server = TestServer::start();
    let mut alice = Im::register(&server, "alice", "online");
    let got = alice.ask(r#"INVITE ["nobody"]"#);
    assert_eq!(got, [Reply::Error(r#"no such user "nobody""#.into())]);
    assert!(alice.conversations().is_empty());
    // Inviting oneself still starts a conversation, up to 16 unjoined ones.
    for _ in 0..16 {
        let got = alice.ask(r#"INVITE ["alice"]"#);
        assert!(
            matches!(got.as_slice(), [Reply::Invitation(_, by)] if by == "alice"),
            "{got:?}"
        );
    }
    let text = alice.error_of(r#"INVITE ["alice"]"#);
    assert!(
        text.starts_with("too many conversations nobody has joined yet"),
        "{text}"
    );
    assert_eq!(alice.conversations().len(), 16);
}

#[test]
fn an_im_invite_of_many_unknown_names_gets_one_short_error() {
    let server = TestServer::start();
    let mut alice = Im::register(&server, "alice", "online");
    let names: Vec<String> = (0..1000).map(|i| format!("\"g{i}\"")).collect();
    let request = format!("INVITE [\"alice\", {}]", names.join(", "));
    let got = alice.ask(&request);
    // One error naming the first ten, then the invitation to the inviter.
    let [Reply::Error(text), Reply::Invitation(_, by)] = got.as_slice() else {
        panic!("{got:?}");
    };
    assert_eq!(by, "alice");
    assert!(text.starts_with(r#"no such users "g0", "g1","#), "{text}");
    assert!(text.ends_with("(and 990 more)"), "{text}");
    assert!(text.len() < 200, "{text}");
    let got = alice.ask(r#"INVITE ["nobody", "noone"]"#);
    assert_eq!(
        got,
        [Reply::Error(r#"no such users "nobody", "noone""#.into())]
    );
}

#[test]
fn irc_users_cannot_squat_an_im_conversation_name() {
    let server = TestServer::start();
    let mut mallory = server.client("mallory");
    let got = mallory.ask("JOIN #conv-1");
    assert_numeric(
        one(&got, "403"),
        "403",
        &[
            "mallory",
            "#conv-1",
            "No such channel (#conv- names belong to IM conversations)",
        ],
    );
    assert!(with_command(&got, "JOIN").is_empty());
    // The conversation gets its own name, and an invited IRC user joins it.
    let mut ann = Im::register(&server, "ann", "online");
    let id = ann.invite(&["ann", "mallory"]);
    assert_eq!(id, 1);
    mallory.expect("INVITE");
    let got = mallory.ask("JOIN #conv-1");
    assert_eq!(one(&got, "JOIN").params, ["#conv-1"]);
}

#[test]
fn im_users_cannot_send_ctcp_into_a_plus_c_channel() {
    let server = TestServer::start();
    let mut op = server.client("op");
    op.ask("JOIN #quiet");
    op.ask("MODE #quiet +C");
    let mut ann = Im::register(&server, "ann", "online");
    op.ask("INVITE ann #quiet");
    let conv = ann.expect_invitation("op");
    assert!(ann.ask(&format!("JOIN [{conv}]")).is_empty());
    op.sync();
    let text = ann.error_of(&format!(r#"SEND_MESSAGE [{conv}, "\u0001VERSION\u0001"]"#));
    assert!(text.contains("+C"), "{text}");
    op.assert_quiet();
    // ACTION is still allowed.
    ann.send(&format!(
        r#"SEND_MESSAGE [{conv}, "\u0001ACTION waves\u0001"]"#
    ));
    assert_eq!(op.expect("PRIVMSG").params[1], "\u{1}ACTION waves\u{1}");
}

#[test]
fn echoed_client_text_is_cut_to_512_bytes() {
    let server = server_with_root(|_| {});
    let mut root = server.client("root");
    oper_up(&mut root);
    root.ask("MODE root +w");
    let mut victim = server.client("victim");
    let mut peer = server.client("peer");
    victim.ask("JOIN #k");
    peer.ask("JOIN #k");
    victim.sync();
    // PONG echoes the token behind the server's name.
    for line in root.ask_raw(&format!("PING :{}", "p".repeat(495))) {
        assert!(line.len() + 2 <= 512, "{} bytes: {line}", line.len() + 2);
    }
    // WALLOPS text behind the sender's prefix.
    root.send(&format!("WALLOPS :{}", "w".repeat(495)));
    let lines = root.ask_raw("PING :after-wallops");
    assert!(lines.iter().any(|l| l.contains(" WALLOPS ")), "{lines:#?}");
    for line in &lines {
        assert!(line.len() + 2 <= 512, "{} bytes: {line}", line.len() + 2);
    }
    // A KILL reason as long as a line allows: the QUIT peers see still fits.
    // (Synced: the KILL is handled before the peer's PING below.)
    root.ask(&format!("KILL victim :{}", "k".repeat(480)));
    let lines = peer.ask_raw("PING :after-kill");
    let quit = lines
        .iter()
        .find(|l| l.contains(" QUIT "))
        .expect("peer sees the QUIT");
    assert!(quit.len() + 2 <= 512, "{} bytes: {quit}", quit.len() + 2);
    assert!(quit.contains("Killed (root (kkk"), "{quit}");
}

#[test]
fn myinfo_lists_every_channel_mode() {
    let server = TestServer::start();
    let mut c = server.connect();
    c.send("NICK n");
    c.send("USER n 0 * :N");
    let myinfo = c.expect("004");
    assert_eq!(
        myinfo.params[3..],
        ["BRioswx", "CIMRUbeiklmnostv", "beIklov"]
    );
}

#[test]
fn comma_lists_that_name_nothing_get_461_or_411() {
    let server = TestServer::start();
    let mut c = server.client("c");
    for (line, cmd) in [("JOIN ,", "JOIN"), ("PART ,,", "PART")] {
        let got = c.ask(line);
        assert_eq!(cmds(&got), ["461"], "{line}: {got:#?}");
        assert_eq!(got[0].params[1], cmd);
    }
    let got = c.ask("PRIVMSG , :hi");
    assert_eq!(cmds(&got), ["411"], "{got:#?}");
}

#[test]
fn repeating_the_same_away_is_not_announced_again() {
    let server = TestServer::start();
    let mut bob = client_with(&server, "bob", "away-notify");
    let mut alice = server.client("alice");
    join_all("#a", &mut [&mut alice, &mut bob]);
    let got = alice.ask("AWAY :lunch");
    assert_eq!(cmds(&got), ["306"]);
    assert_eq!(cmds(&bob.sync()), ["AWAY"]);
    // Same message again: the numeric, but nothing for peers.
    let got = alice.ask("AWAY :lunch");
    assert_eq!(cmds(&got), ["306"]);
    bob.assert_quiet();
}
