//! KICK, and INVITE with +i.

use super::*;

// ---- KICK ----

#[test]
fn kick_by_op_removes_target() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    let mut bob = server.client("bob");
    let mut carol = server.client("carol");
    join_all("#k", &mut [&mut alice, &mut bob, &mut carol]);

    assert_echoed(
        &mut alice,
        "KICK #k bob :behave yourself",
        "KICK #k bob :behave yourself",
        &mut [&mut bob, &mut carol],
    );
    assert_eq!(
        carol.ask("NAMES #k"),
        ms(&[
            ":natter.local 353 carol = #k :@alice carol",
            ":natter.local 366 carol #k :End of /NAMES list",
        ])
    );
    // bob is out: he gets nothing more from the channel.
    carol.ask("PRIVMSG #k :still here");
    alice.expect("PRIVMSG");
    bob.assert_quiet();
    assert_eq!(
        bob.ask("PART #k"),
        ms(&[":natter.local 442 bob #k :You're not on that channel"])
    );

    // Without a reason, the kicker's nick is the reason.
    assert_echoed(
        &mut alice,
        "KICK #K carol",
        "KICK #k carol alice",
        &mut [&mut carol],
    );
}

#[test]
fn kick_errors() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    let mut bob = server.client("bob");
    let mut dave = server.client("dave");
    join_all("#k", &mut [&mut alice, &mut bob]);
    assert_eq!(
        bob.ask("KICK #k alice :no"),
        ms(&[":natter.local 482 bob #k :You're not channel operator"])
    );
    alice.assert_quiet();
    assert_eq!(
        alice.ask("KICK #k dave"),
        ms(&[":natter.local 441 alice dave #k :They aren't on that channel"])
    );
    assert_eq!(
        alice.ask("KICK #k ghost"),
        ms(&[":natter.local 401 alice ghost :No such nick/channel"])
    );
    assert_eq!(
        alice.ask("KICK #nope bob"),
        ms(&[":natter.local 403 alice #nope :No such channel"])
    );
    assert_eq!(
        dave.ask("KICK #k bob"),
        ms(&[":natter.local 442 dave #k :You're not on that channel"])
    );
    assert_eq!(
        alice.ask("KICK #k"),
        ms(&[":natter.local 461 alice KICK :Not enough parameters"])
    );
    bob.assert_quiet();
}

#[test]
fn kick_reason_is_cut_to_kicklen() {
    let server = TestServer::with_config(|c| c.limits.kicklen = 5);
    let mut alice = server.client("alice");
    let mut bob = server.client("bob");
    join_all("#k", &mut [&mut alice, &mut bob]);
    assert_echoed(
        &mut alice,
        "KICK #k bob :too long a reason",
        "KICK #k bob :too l",
        &mut [&mut bob],
    );
}

// ---- INVITE and +i ----

#[test]
fn invite_lets_past_invite_only_once() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    let mut bob = server.client("bob");
    alice.ask("JOIN #inv");
    alice.ask("MODE #inv +i");
    assert_eq!(
        bob.ask("JOIN #inv"),
        ms(&[":natter.local 473 bob #inv :Cannot join channel (+i)"])
    );
    assert_eq!(
        alice.ask("INVITE bob #inv"),
        ms(&[":natter.local 341 alice bob #inv"])
    );
    assert_eq!(
        bob.sync(),
        ms(&[&format!(":{} INVITE bob #inv", src("alice"))])
    );
    let got = bob.ask("JOIN #inv");
    assert_eq!(cmds(&got), vec!["JOIN", "353", "366"]);
    // Already there.
    alice.sync();
    assert_eq!(
        alice.ask("INVITE bob #inv"),
        ms(&[":natter.local 443 alice bob #inv :is already on channel"])
    );
    // The invitation was used up by the join.
    bob.ask("PART #inv");
    assert_eq!(
        bob.ask("JOIN #inv"),
        ms(&[":natter.local 473 bob #inv :Cannot join channel (+i)"])
    );
}

#[test]
fn invite_errors() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    let mut bob = server.client("bob");
    let mut carol = server.client("carol");
    let mut dave = server.client("dave");
    join_all("#inv", &mut [&mut alice, &mut bob]);
    // Without +i any member may invite.
    assert_eq!(
        bob.ask("INVITE dave #inv"),
        ms(&[":natter.local 341 bob dave #inv"])
    );
    assert_eq!(
        dave.sync(),
        ms(&[&format!(":{} INVITE dave #inv", src("bob"))])
    );
    // With +i only operators may.
    alice.ask("MODE #inv +i");
    bob.sync();
    assert_eq!(
        bob.ask("INVITE carol #inv"),
        ms(&[":natter.local 482 bob #inv :You're not channel operator"])
    );
    carol.assert_quiet();
    // The inviter must be on the channel.
    assert_eq!(
        carol.ask("INVITE dave #inv"),
        ms(&[":natter.local 442 carol #inv :You're not on that channel"])
    );
    assert_eq!(
        alice.ask("INVITE ghost #inv"),
        ms(&[":natter.local 401 alice ghost :No such nick/channel"])
    );
    assert_eq!(
        alice.ask("INVITE carol #nope"),
        ms(&[":natter.local 403 alice #nope :No such channel"])
    );
    assert_eq!(
        alice.ask("INVITE carol"),
        ms(&[":natter.local 461 alice INVITE :Not enough parameters"])
    );
    carol.assert_quiet();
    dave.assert_quiet();
}
