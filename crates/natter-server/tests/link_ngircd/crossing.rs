//! ngIRCd connects to natter: users talk and commands cross both ways, and
//! killing ngIRCd is a netsplit.

use super::*;

/// ngIRCd connects to natter's link listener. Users on both sides share
/// `#chat` and every command of the issue crosses in both directions;
/// killing ngIRCd splits, starting it again rejoins.
#[test]
fn ngircd_connects_users_talk_and_commands_cross() {
    let Some(bin) = ngircd_or_skip() else { return };
    let natter = natter(None);
    // alice is there before the link: she and #chat come in natter's burst.
    let mut alice = natter.client("alice");
    join(&mut alice, "#chat");
    alice.sync();
    let mut ng = Ngircd::start(&bin, Dial::NgircdConnects(natter.link_addr.unwrap()));
    ng.wait_synced(0);

    // bob registers after the link: a live NICK introduction.
    let mut bob = ng.client("bob");
    assert_eq!(names(&mut bob, "#chat"), ["@alice"]);
    // natter's default modes for a new channel reached ngIRCd with it.
    assert_eq!(channel_modes(&mut bob, "#chat"), "+nt");
    let got = join(&mut bob, "#chat");
    assert_eq!(names(&mut bob, "#chat"), ["@alice", "bob"], "{got:#?}");
    assert_relayed(&mut bob, &mut alice, &[":bob!~bob@127.0.0.1 JOIN #chat"]);

    // Talk both ways, in the channel and in private.
    alice.send("PRIVMSG #chat :hello from natter");
    alice.send("NOTICE #chat :a notice from natter");
    alice.send("PRIVMSG bob :psst, bob");
    assert_relayed(
        &mut alice,
        &mut bob,
        &[
            ":alice!~alice@127.0.0.1 PRIVMSG #chat :hello from natter",
            ":alice!~alice@127.0.0.1 NOTICE #chat :a notice from natter",
            ":alice!~alice@127.0.0.1 PRIVMSG bob :psst, bob",
        ],
    );
    bob.send("PRIVMSG #chat :hello from ngircd");
    bob.send("NOTICE #chat :a notice from ngircd");
    bob.send("PRIVMSG alice :psst, alice");
    assert_relayed(
        &mut bob,
        &mut alice,
        &[
            ":bob!~bob@127.0.0.1 PRIVMSG #chat :hello from ngircd",
            ":bob!~bob@127.0.0.1 NOTICE #chat :a notice from ngircd",
            ":bob!~bob@127.0.0.1 PRIVMSG alice :psst, alice",
        ],
    );

    // TOPIC and MODE from natter.
    echoed(
        &mut alice,
        "TOPIC #chat :set on natter",
        "TOPIC #chat :set on natter",
    );
    echoed(&mut alice, "MODE #chat +o bob", "MODE #chat +o bob");
    echoed(&mut alice, "MODE #chat +m", "MODE #chat +m");
    // ngIRCd has natter's +R (an account to join); its +M means
    // "registered with services" and is left out.
    echoed(&mut alice, "MODE #chat +MR", "MODE #chat +MR");
    echoed(
        &mut alice,
        "MODE #chat +b *!*@bad.example",
        "MODE #chat +b *!*@bad.example",
    );
    assert_relayed(
        &mut alice,
        &mut bob,
        &[
            ":alice!~alice@127.0.0.1 TOPIC #chat :set on natter",
            ":alice!~alice@127.0.0.1 MODE #chat +o bob",
            ":alice!~alice@127.0.0.1 MODE #chat +m",
            ":alice!~alice@127.0.0.1 MODE #chat +R",
            ":alice!~alice@127.0.0.1 MODE #chat +b *!*@bad.example",
        ],
    );
    assert_eq!(topic(&mut bob, "#chat").as_deref(), Some("set on natter"));
    assert_eq!(channel_modes(&mut bob, "#chat"), "+Rmnt");
    echoed(&mut alice, "MODE #chat -M", "MODE #chat -M");

    // TOPIC and MODE from ngIRCd (bob is an op now).
    bob.send("TOPIC #chat :set on ngircd");
    bob.send("MODE #chat +v alice");
    bob.send("MODE #chat -m");
    // ngIRCd's +M is not natter's: ignored (its -M too).
    bob.send("MODE #chat +M-R");
    bob.send("MODE #chat -M");
    bob.send("MODE #chat -b *!*@bad.example");
    bob.send("MODE #chat +l 42");
    assert_relayed(
        &mut bob,
        &mut alice,
        &[
            ":bob!~bob@127.0.0.1 TOPIC #chat :set on ngircd",
            ":bob!~bob@127.0.0.1 MODE #chat +v alice",
            ":bob!~bob@127.0.0.1 MODE #chat -m",
            ":bob!~bob@127.0.0.1 MODE #chat -R",
            ":bob!~bob@127.0.0.1 MODE #chat -b *!*@bad.example",
            ":bob!~bob@127.0.0.1 MODE #chat +l 42",
        ],
    );
    assert_eq!(topic(&mut alice, "#chat").as_deref(), Some("set on ngircd"));
    assert_eq!(channel_modes(&mut alice, "#chat"), "+lnt 42");
    assert_eq!(names(&mut alice, "#chat"), ["@alice", "@bob"]);
    assert_eq!(names(&mut bob, "#chat"), ["@alice", "@bob"]);
    bob.sync();

    // A natter user's +R holds for ngIRCd's users, which never learn it:
    // natter drops their private messages (they have no account here).
    alice.ask("MODE alice +R");
    bob.send("PRIVMSG alice :dropped by +R");
    bob.send("PRIVMSG #chat :after the dropped one");
    let mut got = Vec::new();
    while !got
        .iter()
        .any(|m: &Message| m.params.last().map(String::as_str) == Some("after the dropped one"))
    {
        got.push(alice.recv());
    }
    assert_eq!(
        got,
        ms(&[":bob!~bob@127.0.0.1 PRIVMSG #chat :after the dropped one"]),
        "{got:#?}"
    );
    alice.ask("MODE alice -R");

    // AWAY: ngIRCd carries only "away or not" (user mode +a), so each side
    // shows its stand-in text for a user of the other.
    alice.ask("AWAY :gone fishing");
    assert_relayed(&mut alice, &mut bob, &[]);
    assert_eq!(whois_away(&mut bob, "alice").as_deref(), Some("Away"));
    bob.ask("AWAY :out to lunch");
    assert_relayed(&mut bob, &mut alice, &[]);
    assert_eq!(whois_away(&mut alice, "bob").as_deref(), Some("Away"));
    let got = alice.ask("PRIVMSG bob :are you there?");
    assert_eq!(
        got,
        ms(&[":natter.local 301 alice bob :Away"]),
        "RPL_AWAY for a remote away user"
    );
    // Back again, each told to the other server before the other asks.
    // (ngIRCd answered bob's relay PRIVMSG to alice with its RPL_AWAY.)
    alice.ask("AWAY");
    assert_relayed(
        &mut alice,
        &mut bob,
        &[
            ":ngircd.test 301 bob alice :Away",
            ":alice!~alice@127.0.0.1 PRIVMSG bob :are you there?",
        ],
    );
    bob.ask("AWAY");
    assert_relayed(&mut bob, &mut alice, &[":natter.local 301 alice bob :Away"]);
    assert_eq!(whois_away(&mut alice, "bob"), None);
    assert_eq!(whois_away(&mut bob, "alice"), None);

    // NICK both ways.
    echoed(&mut alice, "NICK alicia", "NICK alicia");
    alice.nick = "alicia".into();
    assert_relayed(
        &mut alice,
        &mut bob,
        &[":alice!~alice@127.0.0.1 NICK alicia"],
    );
    bob.send("NICK bobby");
    bob.expect("NICK");
    bob.nick = "bobby".into();
    assert_relayed(&mut bob, &mut alice, &[":bob!~bob@127.0.0.1 NICK bobby"]);
    assert_eq!(names(&mut alice, "#chat"), ["@alicia", "@bobby"]);
    assert_eq!(names(&mut bob, "#chat"), ["@alicia", "@bobby"]);

    // KICK both ways, each rejoining after.
    echoed(
        &mut alice,
        "KICK #chat bobby :out you go",
        "KICK #chat bobby :out you go",
    );
    assert_relayed(
        &mut alice,
        &mut bob,
        &[":alicia!~alice@127.0.0.1 KICK #chat bobby :out you go"],
    );
    join(&mut bob, "#chat");
    assert_relayed(&mut bob, &mut alice, &[":bobby!~bob@127.0.0.1 JOIN #chat"]);
    echoed(&mut alice, "MODE #chat +o bobby", "MODE #chat +o bobby");
    assert_relayed(
        &mut alice,
        &mut bob,
        &[":alicia!~alice@127.0.0.1 MODE #chat +o bobby"],
    );
    bob.send("KICK #chat alicia :your turn");
    bob.expect("KICK");
    assert_relayed(
        &mut bob,
        &mut alice,
        &[":bobby!~bob@127.0.0.1 KICK #chat alicia :your turn"],
    );
    assert_eq!(names(&mut bob, "#chat"), ["@bobby"]);
    join(&mut alice, "#chat");
    assert_relayed(
        &mut alice,
        &mut bob,
        &[":alicia!~alice@127.0.0.1 JOIN #chat"],
    );

    // PART both ways (carol on natter, dave on ngIRCd).
    let mut carol = natter.client("carol");
    join(&mut carol, "#chat");
    assert_eq!(alice.sync(), ms(&[":carol!~carol@127.0.0.1 JOIN #chat"]));
    assert_relayed(
        &mut carol,
        &mut bob,
        &[":carol!~carol@127.0.0.1 JOIN #chat"],
    );
    let mut dave = ng.client("dave");
    join(&mut dave, "#chat");
    assert_eq!(bob.sync(), ms(&[":dave!~dave@127.0.0.1 JOIN :#chat"]));
    assert_relayed(&mut dave, &mut alice, &[":dave!~dave@127.0.0.1 JOIN #chat"]);
    assert_relayed(&mut dave, &mut carol, &[":dave!~dave@127.0.0.1 JOIN #chat"]);
    echoed(
        &mut carol,
        "PART #chat :bye from natter",
        "PART #chat :bye from natter",
    );
    assert_eq!(
        alice.sync(),
        ms(&[":carol!~carol@127.0.0.1 PART #chat :bye from natter"])
    );
    assert_relayed(
        &mut carol,
        &mut dave,
        &[":carol!~carol@127.0.0.1 PART #chat :bye from natter"],
    );
    dave.send("PART #chat :bye from ngircd");
    dave.expect("PART");
    assert_relayed(
        &mut dave,
        &mut alice,
        &[":dave!~dave@127.0.0.1 PART #chat :bye from ngircd"],
    );
    bob.sync();

    // QUIT both ways. ngIRCd puts a user's own reason in quotes, natter
    // prefixes it with "Quit: "; each side passes on the other's as is.
    join(&mut carol, "#chat");
    assert_eq!(alice.sync(), ms(&[":carol!~carol@127.0.0.1 JOIN #chat"]));
    assert_relayed(
        &mut carol,
        &mut bob,
        &[":carol!~carol@127.0.0.1 JOIN #chat"],
    );
    join(&mut dave, "#chat");
    assert_eq!(bob.sync(), ms(&[":dave!~dave@127.0.0.1 JOIN :#chat"]));
    assert_relayed(&mut dave, &mut alice, &[":dave!~dave@127.0.0.1 JOIN #chat"]);
    carol.send("QUIT :natter says bye");
    carol.read_until_closed();
    let quit = ":carol!~carol@127.0.0.1 QUIT :Quit: natter says bye";
    assert_eq!(alice.sync(), ms(&[quit]));
    assert_relayed(&mut alice, &mut bob, &[quit]);
    dave.send("QUIT :ngircd says bye");
    dave.read_until_closed();
    let quit = ":dave!~dave@127.0.0.1 QUIT :\"ngircd says bye\"";
    assert_eq!(bob.sync(), ms(&[quit]));
    assert_relayed(&mut bob, &mut alice, &[quit]);

    // A split: ngIRCd dies. Its users quit on natter's side with the
    // netsplit reason, and the server is gone.
    let mut erin = ng.client("erin");
    join(&mut erin, "#chat");
    assert_relayed(&mut erin, &mut alice, &[":erin!~erin@127.0.0.1 JOIN #chat"]);
    ng.kill();
    let reason = split_reason();
    let mut quits = vec![alice.expect("QUIT"), alice.expect("QUIT")];
    quits.sort_by(|a, b| a.source.cmp(&b.source));
    assert_eq!(
        quits,
        ms(&[
            &format!(":bobby!~bob@127.0.0.1 QUIT :{reason}"),
            &format!(":erin!~erin@127.0.0.1 QUIT :{reason}"),
        ])
    );
    assert_eq!(alice.sync(), Vec::<Message>::new());
    let links = alice.ask("LINKS");
    assert_eq!(cmds(&links), ["364", "365"], "{links:#?}");
    assert_eq!(names(&mut alice, "#chat"), ["alicia"]);

    // The rejoin: ngIRCd starts again and reconnects; natter's burst
    // brings back alicia and #chat with its topic and modes.
    let mark = ng.mark();
    ng.spawn();
    ng.wait_synced(mark);
    let mut bob = ng.client("bob");
    assert_eq!(names(&mut bob, "#chat"), ["alicia"]);
    join(&mut bob, "#chat");
    assert_eq!(topic(&mut bob, "#chat").as_deref(), Some("set on ngircd"));
    assert_eq!(channel_modes(&mut bob, "#chat"), "+lnt 42");
    assert_relayed(&mut bob, &mut alice, &[":bob!~bob@127.0.0.1 JOIN #chat"]);
    alice.send("PRIVMSG #chat :welcome back");
    assert_relayed(
        &mut alice,
        &mut bob,
        &[":alicia!~alice@127.0.0.1 PRIVMSG #chat :welcome back"],
    );
    bob.send("PRIVMSG #chat :glad to be back");
    assert_relayed(
        &mut bob,
        &mut alice,
        &[":bob!~bob@127.0.0.1 PRIVMSG #chat :glad to be back"],
    );
}

/// An invitation gets past natter's +R, and ngIRCd asks for channel
/// operator status to invite on +i only: natter takes an invitation from
/// ngIRCd into a +R channel only from one of its operators.
#[test]
fn ngircd_invitations_past_plus_r_need_an_operator() {
    let Some(bin) = ngircd_or_skip() else { return };
    let natter = natter(None);
    let mut alice = natter.client("alice");
    join(&mut alice, "#gate");
    let ng = Ngircd::start(&bin, Dial::NgircdConnects(natter.link_addr.unwrap()));
    ng.wait_synced(0);
    // bob joins first: ngIRCd holds its own users to +R (he has no
    // services registration).
    let mut bob = ng.client("bob");
    join(&mut bob, "#gate");
    assert_relayed(&mut bob, &mut alice, &[":bob!~bob@127.0.0.1 JOIN #gate"]);
    alice.ask("MODE #gate +R");
    assert_relayed(
        &mut alice,
        &mut bob,
        &[":alice!~alice@127.0.0.1 MODE #gate +R"],
    );
    assert_eq!(channel_modes(&mut bob, "#gate"), "+Rnt");
    let mut carl = natter.client("carl");
    // ngIRCd knows carl once his own message has crossed.
    assert_relayed(&mut carl, &mut bob, &[]);

    // bob is no operator: ngIRCd relays his INVITE, natter drops it.
    bob.send("INVITE carl #gate");
    assert_relayed(&mut bob, &mut carl, &[]);
    let got = carl.ask("JOIN #gate");
    assert_eq!(cmds(&got), ["477"], "{got:#?}");

    // As an operator he may.
    alice.ask("MODE #gate +o bob");
    assert_relayed(
        &mut alice,
        &mut bob,
        &[":alice!~alice@127.0.0.1 MODE #gate +o bob"],
    );
    bob.send("INVITE carl #gate");
    assert_relayed(
        &mut bob,
        &mut carl,
        &[":bob!~bob@127.0.0.1 INVITE carl #gate"],
    );
    let got = join(&mut carl, "#gate");
    assert_eq!(
        got.first().map(|m| m.command.as_str()),
        Some("JOIN"),
        "{got:#?}"
    );
}
