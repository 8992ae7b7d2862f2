//! End-to-end tests of the channel list modes beyond bans: ban exceptions
//! (`+e`, RPL_EXCEPTLIST 348/349), invite exceptions (`+I`, RPL_INVEXLIST
//! 346/347), the mute extban `m:<mask>` (ISUPPORT `EXTBAN=,am`; the account extban `a:` is tested with accounts), and the
//! ISUPPORT tokens that announce them (EXCEPTS, INVEX, CHANMODES, MAXLIST).
//! irctest's chmodes/ban.py, invite_exception.py and mute_extban.py check
//! the same behaviour against the release binary.

mod common;

use common::*;

/// The value of ISUPPORT token `name` (`Some("")` for a bare token).
fn token(tokens: &[String], name: &str) -> Option<String> {
    tokens.iter().find_map(|t| match t.split_once('=') {
        Some((k, v)) if k == name => Some(v.to_string()),
        None if t == name => Some(String::new()),
        _ => None,
    })
}

/// `:alice!~alice@127.0.0.1 MODE <rest>` as a message.
fn mode_from(nick: &str, rest: &str) -> Vec<natter_proto::Message> {
    ms(&[&format!(":{} MODE {rest}", src(nick))])
}

#[test]
fn isupport_announces_the_list_modes_and_the_mute_extban() {
    let server = TestServer::start();
    let tokens = isupport(&server);
    assert_eq!(token(&tokens, "EXCEPTS").as_deref(), Some("e"));
    assert_eq!(token(&tokens, "INVEX").as_deref(), Some("I"));
    assert_eq!(token(&tokens, "EXTBAN").as_deref(), Some(",am"));
    assert_eq!(token(&tokens, "ACCOUNTEXTBAN").as_deref(), Some("a"));
    assert_eq!(
        token(&tokens, "CHANMODES").as_deref(),
        Some("beI,k,l,CMRUimnst")
    );
    assert_eq!(token(&tokens, "MAXLIST").as_deref(), Some("beI:100"));
}

// ---- +e ----

#[test]
fn ban_exception_lets_a_matching_user_join_and_is_listed() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    let mut bob = server.client("bob");
    let mut bobby = server.client("bobby");
    alice.ask("JOIN #c");
    alice.ask("MODE #c +b bob*!*@*");
    assert_eq!(
        cmds(&bob.ask("JOIN #c")),
        ["474"],
        "banned before the exception"
    );

    // A partial mask is completed, as for bans.
    assert_eq!(
        alice.ask("MODE #c +e bob"),
        mode_from("alice", "#c +e bob!*@*")
    );
    assert_eq!(cmds(&bob.ask("JOIN #c")), ["JOIN", "353", "366"]);
    // The exception covers bob only: bobby is still banned.
    only(
        &bobby.ask("JOIN #c"),
        SERVER,
        "474",
        &["bobby", "#c", "Cannot join channel (+b)"],
    );
    alice.sync();

    // RPL_EXCEPTLIST has the setter and time like RPL_BANLIST.
    let before = unix_now();
    let got = alice.ask("MODE #c +e");
    assert_eq!(cmds(&got), ["348", "349"], "{got:#?}");
    assert_eq!(params(&got[0])[..4], ["alice", "#c", "bob!*@*", "alice"]);
    let at: u64 = got[0].params[4].parse().unwrap();
    assert!(at <= unix_now() && at + 60 >= before, "{at}");
    assert_numeric(
        &got[1],
        "349",
        &["alice", "#c", "End of channel exception list"],
    );

    // Removing it (the mask is matched casemapped) bans bob again.
    assert_eq!(
        alice.ask("MODE #c -e BOB!*@*"),
        mode_from("alice", "#c -e bob!*@*")
    );
    bob.ask("PART #c");
    assert_eq!(cmds(&bob.ask("JOIN #c")), ["474"]);
    alice.sync();
    // Nothing left to list; removing it again changes nothing.
    let got = alice.ask("MODE #c +e");
    assert_eq!(cmds(&got), ["349"], "{got:#?}");
    alice.sync();
    assert!(alice.ask("MODE #c -e bob!*@*").is_empty());
}

#[test]
fn ban_exception_lets_a_banned_member_speak_again() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    let mut bob = server.client("bob");
    join_all("#c", &mut [&mut alice, &mut bob]);
    alice.ask("MODE #c +b bob!*@*");
    bob.sync();
    only(
        &bob.ask("PRIVMSG #c :hello"),
        SERVER,
        "404",
        &["bob", "#c", "Cannot send to channel (+b: you are banned)"],
    );
    alice.ask("MODE #c +e *!~bob@*");
    bob.sync();
    assert!(bob.ask("PRIVMSG #c :hello").is_empty());
    assert_got(&mut alice, "bob", "PRIVMSG", &["#c", "hello"]);
}

#[test]
fn only_operators_see_the_exception_lists_but_anyone_the_bans() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    let mut bob = server.client("bob");
    join_all("#c", &mut [&mut alice, &mut bob]);
    alice.ask("MODE #c +beI x!*@* y!*@* z!*@*");
    bob.sync();
    // As on Solanum: +e and +I lists are for channel operators.
    only(
        &bob.ask("MODE #c +e"),
        SERVER,
        "482",
        &["bob", "#c", "You're not channel operator"],
    );
    only(
        &bob.ask("MODE #c I"),
        SERVER,
        "482",
        &["bob", "#c", "You're not channel operator"],
    );
    let got = bob.ask("MODE #c +b");
    assert_eq!(cmds(&got), ["367", "368"], "{got:#?}");
    // An operator gets each list once, in the order asked.
    let got = alice.ask("MODE #c +Ieb");
    assert_eq!(
        cmds(&got),
        ["346", "347", "348", "349", "367", "368"],
        "{got:#?}"
    );
    assert_eq!(params(&got[0])[..3], ["alice", "#c", "z!*@*"]);
    assert_eq!(params(&got[2])[..3], ["alice", "#c", "y!*@*"]);
    assert_eq!(params(&got[4])[..3], ["alice", "#c", "x!*@*"]);
    // Non-operators may not change the lists either.
    only(
        &bob.ask("MODE #c +e bob"),
        SERVER,
        "482",
        &["bob", "#c", "You're not channel operator"],
    );
}

#[test]
fn the_three_lists_share_maxlist() {
    let server = TestServer::with_config(|c| c.limits.max_bans = 2);
    let tokens = isupport(&server);
    assert_eq!(token(&tokens, "MAXLIST").as_deref(), Some("beI:2"));
    let mut alice = server.client("alice");
    alice.ask("JOIN #c");
    alice.ask("MODE #c +b a!*@*");
    alice.ask("MODE #c +e b!*@*");
    // ERR_BANLISTFULL names the list that is full.
    only(
        &alice.ask("MODE #c +I c!*@*"),
        SERVER,
        "478",
        &["alice", "#c", "I", "Channel list is full"],
    );
    // Freeing an entry makes room in any list.
    alice.ask("MODE #c -b a!*@*");
    assert_eq!(
        alice.ask("MODE #c +I c!*@*"),
        mode_from("alice", "#c +I c!*@*")
    );
}

// ---- +I ----

#[test]
fn invite_exception_lets_a_matching_user_past_invite_only() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    let mut carol = server.client("carol");
    let mut dave = server.client("dave");
    alice.ask("JOIN #i");
    alice.ask("MODE #i +i");
    only(
        &carol.ask("JOIN #i"),
        SERVER,
        "473",
        &["carol", "#i", "Cannot join channel (+i)"],
    );
    assert_eq!(
        alice.ask("MODE #i +I carol"),
        mode_from("alice", "#i +I carol!*@*")
    );
    assert_eq!(cmds(&carol.ask("JOIN #i")), ["JOIN", "353", "366"]);
    // dave matches no exception.
    assert_eq!(cmds(&dave.ask("JOIN #i")), ["473"]);
    alice.sync();

    let got = alice.ask("MODE #i +I");
    assert_eq!(cmds(&got), ["346", "347"], "{got:#?}");
    assert_eq!(params(&got[0])[..4], ["alice", "#i", "carol!*@*", "alice"]);
    assert_numeric(
        &got[1],
        "347",
        &["alice", "#i", "End of channel invite exception list"],
    );

    // +I does not lift a ban, nor a key.
    carol.ask("PART #i");
    alice.ask("MODE #i +b carol!*@*");
    assert_eq!(cmds(&carol.ask("JOIN #i")), ["474"]);
    alice.ask("MODE #i -b+k carol!*@* sesame");
    assert_eq!(cmds(&carol.ask("JOIN #i")), ["475"]);
    alice.ask("MODE #i -k *");
    assert_eq!(cmds(&carol.ask("JOIN #i")), ["JOIN", "353", "366"]);

    // Once removed, carol needs an INVITE again.
    carol.ask("PART #i");
    alice.ask("MODE #i -I carol!*@*");
    assert_eq!(cmds(&carol.ask("JOIN #i")), ["473"]);
}

// ---- the mute extban ----

#[test]
fn muted_user_can_join_but_not_speak_until_voiced() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    let mut bob = server.client("bob");
    alice.ask("JOIN #c");
    // The mask after `m:` is completed like a ban mask.
    assert_eq!(
        alice.ask("MODE #c +b m:bob"),
        mode_from("alice", "#c +b m:bob!*@*")
    );
    // A mute is no ban: bob joins.
    assert_eq!(cmds(&bob.ask("JOIN #c")), ["JOIN", "353", "366"]);
    alice.sync();
    // Everyone sees the mute in the ban list, with its setter.
    let got = bob.ask("MODE #c +b");
    assert_eq!(
        params(&got[0])[..4],
        ["bob", "#c", "m:bob!*@*", "alice"],
        "{got:#?}"
    );

    only(
        &bob.ask("PRIVMSG #c :hi"),
        SERVER,
        "404",
        &["bob", "#c", "Cannot send to channel (+b m: you are muted)"],
    );
    // A NOTICE is dropped silently.
    assert!(bob.ask("NOTICE #c :hi").is_empty());
    alice.assert_quiet();

    // Voice overrides the mute.
    alice.ask("MODE #c +v bob");
    bob.sync();
    assert!(bob.ask("PRIVMSG #c :voiced").is_empty());
    assert_got(&mut alice, "bob", "PRIVMSG", &["#c", "voiced"]);

    // Unmuting (casemapped) lets an unvoiced bob speak.
    alice.ask("MODE #c -v bob");
    assert_eq!(
        alice.ask("MODE #c -b m:BOB!*@*"),
        mode_from("alice", "#c -b m:bob!*@*")
    );
    bob.sync();
    assert!(bob.ask("PRIVMSG #c :free").is_empty());
    assert_got(&mut alice, "bob", "PRIVMSG", &["#c", "free"]);
}

#[test]
fn ban_exceptions_exempt_from_mutes() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    let mut bob = server.client("bob");
    join_all("#c", &mut [&mut alice, &mut bob]);
    alice.ask("MODE #c +b m:*!*@*");
    bob.sync();
    assert_eq!(cmds(&bob.ask("PRIVMSG #c :1")), ["404"]);

    // An `m:` exception exempts from mutes...
    assert_eq!(
        alice.ask("MODE #c +e m:*!~bob@*"),
        mode_from("alice", "#c +e m:*!~bob@*")
    );
    bob.sync();
    assert!(bob.ask("PRIVMSG #c :2").is_empty());
    assert_got(&mut alice, "bob", "PRIVMSG", &["#c", "2"]);

    // ...but not from a real ban.
    alice.ask("MODE #c +b bob!*@*");
    bob.sync();
    assert_eq!(cmds(&bob.ask("PRIVMSG #c :3")), ["404"]);

    // A plain exception exempts from both.
    alice.ask("MODE #c -e+e m:*!~bob@* bob!*@*");
    bob.sync();
    assert!(bob.ask("PRIVMSG #c :4").is_empty());
    assert_got(&mut alice, "bob", "PRIVMSG", &["#c", "4"]);
}

#[test]
fn muted_outsider_cannot_message_an_open_channel() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    let mut out = server.client("out");
    alice.ask("JOIN #open");
    alice.ask("MODE #open -n");
    assert!(out.ask("PRIVMSG #open :from outside").is_empty());
    assert_got(&mut alice, "out", "PRIVMSG", &["#open", "from outside"]);
    alice.ask("MODE #open +b m:out!*@*");
    assert_eq!(cmds(&out.ask("PRIVMSG #open :again")), ["404"]);
    alice.assert_quiet();
}

#[test]
fn invite_exceptions_take_no_extban() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    alice.ask("JOIN #c");
    // `m:` has no meaning for +I: the text is an ordinary (never matching) mask.
    assert_eq!(
        alice.ask("MODE #c +I m:bob"),
        mode_from("alice", "#c +I m:bob!*@*")
    );
}
