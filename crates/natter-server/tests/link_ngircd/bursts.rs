//! natter connects to ngIRCd: the bursts carry channel state both ways.

use super::*;

/// The masks of `channel`'s ban list (RPL_BANLIST), sorted.
fn bans(c: &mut Client, channel: &str) -> Vec<String> {
    let got = c.ask(&format!("MODE {channel} +b"));
    let mut masks: Vec<String> = with_command(&got, "367")
        .iter()
        .map(|m| m.params[2].clone())
        .collect();
    masks.sort();
    masks
}

/// natter connects to ngIRCd ([[link]] with `address` and `autoconnect`).
/// ngIRCd's burst brings its users and channels with their modes, limit,
/// ban list and topic, and away status; channels created after the link
/// have the same modes on both sides. Killing ngIRCd splits; natter
/// reconnects once it is back, and its burst restores natter's users and
/// channels there, modes, bans and topic included.
#[test]
fn natter_connects_bursts_carry_channel_state_both_ways() {
    let Some(bin) = ngircd_or_skip() else { return };
    let mut ng = Ngircd::start(&bin, Dial::NatterConnects);
    let mut bob = ng.client("bob");
    join(&mut bob, "#ng");
    bob.send("TOPIC #ng :ngircd's own topic");
    bob.send("MODE #ng +m");
    bob.send("MODE #ng +l 50");
    bob.send("MODE #ng +b *!*@banned.example");
    bob.send("AWAY :brb");
    bob.sync();
    let mut bea = ng.client("bea");
    join(&mut bea, "#ng");
    bob.send("MODE #ng +v bea");
    bob.sync();
    bea.sync();

    let mark = ng.mark();
    let natter = natter(Some(ng.port));
    ng.wait_synced(mark);
    let mut alice = natter.client("alice");
    assert_eq!(names(&mut alice, "#ng"), ["+bea", "@bob"]);
    // ngIRCd's channel has no +n or +t: natter shows its modes, not its own
    // defaults for a new channel.
    assert_eq!(channel_modes(&mut alice, "#ng"), "+lm 50");
    assert_eq!(bans(&mut alice, "#ng"), ["*!*@banned.example"]);
    assert_eq!(whois_away(&mut alice, "bob").as_deref(), Some("Away"));
    bob.ask("AWAY");
    assert_relayed(&mut bob, &mut alice, &[]);
    assert_eq!(whois_away(&mut alice, "bob"), None);
    let got = join(&mut alice, "#ng");
    let got_topic = one(&got, "332");
    assert_eq!(got_topic.params[2], "ngircd's own topic", "{got:#?}");
    assert_relayed(&mut alice, &mut bob, &[":alice!~alice@127.0.0.1 JOIN :#ng"]);
    bea.sync();

    // #ng is moderated: alice needs a voice, which bob gives.
    let got = alice.ask("PRIVMSG #ng :may I?");
    assert_eq!(cmds(&got), ["404"], "{got:#?}");
    bob.send("MODE #ng +v alice");
    assert_relayed(
        &mut bob,
        &mut alice,
        &[":bob!~bob@127.0.0.1 MODE #ng +v alice"],
    );
    alice.send("PRIVMSG #ng :thanks, bob");
    assert_relayed(
        &mut alice,
        &mut bob,
        &[
            ":bob!~bob@127.0.0.1 MODE #ng +v alice",
            ":alice!~alice@127.0.0.1 PRIVMSG #ng :thanks, bob",
        ],
    );
    bea.send("PRIVMSG #ng :hi alice");
    assert_relayed(
        &mut bea,
        &mut alice,
        &[":bea!~bea@127.0.0.1 PRIVMSG #ng :hi alice"],
    );
    assert_eq!(
        bob.sync(),
        ms(&[":bea!~bea@127.0.0.1 PRIVMSG #ng :hi alice"])
    );

    // New channels after the link: the same modes on both sides.
    join(&mut alice, "#fresh");
    assert_relayed(&mut alice, &mut bob, &[]);
    assert_eq!(channel_modes(&mut bob, "#fresh"), "+nt");
    assert_eq!(names(&mut bob, "#fresh"), ["@alice"]);
    // Of natter's C, U, M and R, ngIRCd gets R only (the same meaning).
    alice.ask("MODE #fresh +CUMR");
    assert_relayed(&mut alice, &mut bob, &[]);
    assert_eq!(channel_modes(&mut bob, "#fresh"), "+Rnt");
    join(&mut bob, "#new");
    assert_relayed(&mut bob, &mut alice, &[]);
    assert_eq!(channel_modes(&mut alice, "#new"), "+");
    assert_eq!(names(&mut alice, "#new"), ["@bob"]);
    bea.sync();

    // A nick as long as natter allows crosses both ways (ngIRCd is set
    // to natter's NICKLEN).
    let long = "alice_in_wonderland_1234567890";
    assert_eq!(long.len(), natter_server::Config::default().limits.nicklen);
    echoed(&mut alice, &format!("NICK {long}"), &format!("NICK {long}"));
    alice.nick = long.into();
    assert_relayed(
        &mut alice,
        &mut bob,
        &[&format!(":alice!~alice@127.0.0.1 NICK :{long}")],
    );
    assert_eq!(names(&mut bob, "#fresh"), [format!("@{long}")]);
    echoed(&mut alice, "NICK alice", "NICK alice");
    alice.nick = "alice".into();
    assert_relayed(
        &mut alice,
        &mut bob,
        &[&format!(":{long}!~alice@127.0.0.1 NICK :alice")],
    );
    bea.sync();

    // Split: ngIRCd dies, bob and bea quit on natter's side.
    ng.kill();
    let reason = split_reason();
    let mut quits = vec![alice.expect("QUIT"), alice.expect("QUIT")];
    quits.sort_by(|a, b| a.source.cmp(&b.source));
    assert_eq!(
        quits,
        ms(&[
            &format!(":bea!~bea@127.0.0.1 QUIT :{reason}"),
            &format!(":bob!~bob@127.0.0.1 QUIT :{reason}"),
        ])
    );
    assert_eq!(names(&mut alice, "#ng"), ["+alice"]);

    // Rejoin: natter reconnects, and its burst gives the new ngIRCd #ng
    // and #fresh as natter kept them.
    let mark = ng.mark();
    ng.spawn();
    ng.wait_synced(mark);
    let mut bob = ng.client("bob");
    assert_eq!(names(&mut bob, "#ng"), ["+alice"]);
    assert_eq!(names(&mut bob, "#fresh"), ["@alice"]);
    let got = join(&mut bob, "#ng");
    assert_eq!(one(&got, "332").params[2], "ngircd's own topic", "{got:#?}");
    assert_eq!(channel_modes(&mut bob, "#ng"), "+lm 50");
    assert_eq!(bans(&mut bob, "#ng"), ["*!*@banned.example"]);
    assert_relayed(&mut bob, &mut alice, &[":bob!~bob@127.0.0.1 JOIN #ng"]);
    // Still moderated: bob has no voice now.
    let got = bob.ask("PRIVMSG #ng :hello?");
    assert_eq!(cmds(&got), ["404"], "{got:#?}");
    alice.send("PRIVMSG #ng :welcome back, bob");
    assert_relayed(
        &mut alice,
        &mut bob,
        &[":alice!~alice@127.0.0.1 PRIVMSG #ng :welcome back, bob"],
    );
    // The burst leaves C, U and M out too.
    assert_eq!(channel_modes(&mut bob, "#fresh"), "+Rnt");
}
