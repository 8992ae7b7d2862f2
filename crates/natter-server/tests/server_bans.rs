//! Server bans (issue 13): KLINE and DLINE with expiry, kept across a
//! restart, lifted by UNKLINE and UNDLINE, listed by STATS k and d,
//! for operators only, and enforced on every linked natter server (set
//! after the link or sent in the burst). Clients that must match connect
//! from 127.0.0.2; the operator and bystanders from 127.0.0.1.

mod common;

use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

use common::links::*;
use common::*;
use natter_proto::Message;

const BANNED: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));

/// A connection to `server` from 127.0.0.2.
fn from_banned(server: &TestServer) -> Client {
    Client::connect_from(server.addr, BANNED)
}

/// Registers `nick` from 127.0.0.2 and returns what the server sent
/// until it closed the connection.
fn refused_registration(server: &TestServer, nick: &str) -> Vec<Message> {
    let mut c = from_banned(server);
    c.send(&format!("NICK {nick}"));
    c.send(&format!("USER {nick} 0 * :{nick}"));
    until_closed(&mut c)
}

/// An operator on `server` named `op`, from 127.0.0.1.
fn operator(server: &TestServer) -> Client {
    operator_named(server, "op")
}

/// An operator on `server` named `nick`, from 127.0.0.1.
fn operator_named(server: &TestServer, nick: &str) -> Client {
    let mut op = server.client(nick);
    oper_up(&mut op);
    op
}

/// The text of the server notices among `msgs`.
fn notices(msgs: &[Message]) -> Vec<String> {
    with_command(msgs, "NOTICE")
        .iter()
        .map(|m| m.params.last().cloned().unwrap_or_default())
        .collect()
}

/// Asserts `got` is a K-line refusal with `reason`: 465, then ERROR.
fn assert_klined(got: &[Message], reason: &str) {
    let banned = one(got, "465");
    assert_eq!(
        params(banned).last().copied(),
        Some(format!("You are banned from this server- {reason}").as_str()),
        "{got:#?}"
    );
    let error = one(got, "ERROR");
    assert_eq!(
        params(error),
        [format!("Closing Link: 127.0.0.2 (K-Lined: {reason})").as_str()]
    );
}

#[test]
fn kline_disconnects_a_matching_user_refuses_it_again_and_unkline_lifts_it() {
    let server = server_with_root(|_| {});
    let mut op = operator(&server);
    let mut bob = server.client("bob");
    let mut victim = from_banned(&server);
    victim.register("victim");
    join_all("#c", &mut [&mut bob, &mut victim]);

    let got = op.ask("KLINE *@127.0.0.2 :spamming");
    assert_eq!(
        notices(&got),
        ["*** Added K-Line for [*@127.0.0.2]: spamming"]
    );
    assert_klined(&until_closed(&mut victim), "spamming");
    // Others see a generic quit, not the reason.
    let quit = bob.expect("QUIT");
    assert_eq!(params(&quit), ["K-Lined"]);
    assert!(quit.source.as_deref().unwrap().starts_with("victim!"));
    // The bystander on 127.0.0.1 is unaffected.
    bob.send("PRIVMSG #c :still here");
    bob.assert_quiet();

    // Refused at registration while the ban holds.
    assert_klined(&refused_registration(&server, "victim"), "spamming");

    let stats = op.ask("STATS k");
    let line = one(&stats, "216");
    assert_eq!(params(line)[1..5], ["K", "127.0.0.2", "*", "*"]);
    assert!(params(line)[5].starts_with("spamming (set by op!~op@127.0.0.1, permanent)"));

    let got = op.ask("UNKLINE *@127.0.0.2");
    assert_eq!(notices(&got), ["*** Removed K-Line for [*@127.0.0.2]"]);
    let mut back = from_banned(&server);
    back.register("victim");
    assert!(with_command(&op.ask("STATS k"), "216").is_empty());
}

#[test]
fn a_user_mask_matches_only_its_user() {
    let server = server_with_root(|_| {});
    let mut op = operator(&server);
    let mut alice = from_banned(&server);
    alice.register("alice");
    let mut carol = from_banned(&server);
    carol.register("carol");
    op.ask("KLINE alice@127.0.0.* :only alice");
    assert_klined(&until_closed(&mut alice), "only alice");
    carol.assert_quiet();
}

#[test]
fn dline_refuses_connections_before_registration_and_undline_lifts_it() {
    let server = server_with_root(|_| {});
    let mut op = operator(&server);
    let mut victim = from_banned(&server);
    victim.register("victim");
    let mut waiting = from_banned(&server);
    waiting.send("NICK slow");
    waiting.sync();

    let got = op.ask("DLINE 127.0.0.2 :go away");
    assert_eq!(notices(&got), ["*** Added D-Line for [127.0.0.2]: go away"]);
    let closing = "Closing Link: 127.0.0.2 (D-Lined: go away)";
    let got = until_closed(&mut victim);
    assert_eq!(params(one(&got, "ERROR")), [closing]);
    assert_eq!(
        params(one(&got, "465")),
        ["victim", "You are banned from this server- go away"]
    );
    // An unregistered connection goes too.
    assert_eq!(params(one(&until_closed(&mut waiting), "ERROR")), [closing]);

    // A new connection gets the ERROR line at once, before it says anything.
    let mut fresh = from_banned(&server);
    let got = until_closed(&mut fresh);
    assert_eq!(cmds(&got), ["ERROR"]);
    assert_eq!(params(&got[0]), [closing]);
    // The IM front end refuses it too, in its own protocol.
    let mut im = Client::connect_from(server.im_addr.unwrap(), BANNED);
    let lines = im.read_until_closed();
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines[0].contains("D-Lined: go away"), "{lines:?}");

    let stats = op.ask("STATS d");
    let line = one(&stats, "225");
    assert_eq!(params(line)[1..3], ["D", "127.0.0.2"]);
    assert!(params(line)[3].starts_with("go away (set by op!~op@127.0.0.1, permanent)"));

    let got = op.ask("UNDLINE 127.0.0.2");
    assert_eq!(notices(&got), ["*** Removed D-Line for [127.0.0.2]"]);
    let mut back = from_banned(&server);
    back.register("victim");
}

#[test]
fn a_temporary_ban_expires() {
    let server = server_with_root(|_| {});
    let mut op = operator(&server);
    let set = Instant::now();
    let got = op.ask("KLINE 2s *@127.0.0.2 :brief");
    assert_eq!(
        notices(&got),
        ["*** Added temporary K-Line for [*@127.0.0.2] (2s): brief"]
    );
    let got = op.ask("DLINE 1 10.0.0.0/8 :a minute");
    assert_eq!(
        notices(&got),
        ["*** Added temporary D-Line for [10.0.0.0/8] (1m): a minute"]
    );
    assert_eq!(params(one(&op.ask("STATS d"), "225"))[1], "d");
    assert_eq!(params(one(&op.ask("STATS k"), "216"))[1], "k");
    assert_klined(&refused_registration(&server, "victim"), "brief");
    // Expiry is checked when matching: a second past it, the user is in.
    let wait = Duration::from_secs(3).saturating_sub(set.elapsed());
    std::thread::sleep(wait);
    let mut back = from_banned(&server);
    back.register("victim");
    assert!(with_command(&op.ask("STATS k"), "216").is_empty());
}

#[test]
fn bans_survive_a_restart() {
    let data = tempfile::tempdir().unwrap();
    let dir = data.path().to_path_buf();
    {
        let server = server_with_root(|c| c.server.data_dir = dir.clone());
        let mut op = operator(&server);
        op.ask("KLINE 1h *@127.0.0.2 :kept");
        op.ask("DLINE 10.1.2.3/16 :kept too");
        op.ask("KLINE 1s *@192.0.2.1 :gone soon");
    }
    std::thread::sleep(Duration::from_millis(1100));
    let server = server_with_root(|c| c.server.data_dir = dir.clone());
    assert_klined(&refused_registration(&server, "victim"), "kept");
    let mut op = operator(&server);
    let klines = op.ask("STATS k");
    let klines = with_command(&klines, "216");
    assert_eq!(klines.len(), 1, "the expired one is gone: {klines:#?}");
    assert_eq!(params(klines[0])[1..3], ["k", "127.0.0.2"]);
    let dlines = op.ask("STATS d");
    assert_eq!(params(one(&dlines, "225"))[1..3], ["D", "10.1.0.0/16"]);
}

#[test]
fn only_operators_and_bad_input_gets_clear_errors() {
    let server = server_with_root(|_| {});
    let mut user = server.client("user");
    for command in [
        "KLINE *@127.0.0.2 :x",
        "DLINE 127.0.0.2",
        "UNKLINE *@h",
        "UNDLINE 10.0.0.1",
    ] {
        let got = user.ask(command);
        assert_eq!(cmds(&got), ["481"], "{command}: {got:#?}");
    }
    assert_eq!(cmds(&user.ask("STATS k")), ["481", "219"]);
    assert_eq!(cmds(&user.ask("STATS d")), ["481", "219"]);

    let mut op = operator(&server);
    assert_numeric(
        one(&op.ask("KLINE"), "461"),
        "461",
        &["op", "KLINE", "Not enough parameters"],
    );
    assert_eq!(cmds(&op.ask("DLINE 5")), ["461"]);
    let fail = |op: &mut Client, line: &str| -> Vec<String> {
        let got = op.ask(line);
        params(one(&got, "FAIL"))
            .iter()
            .map(|p| p.to_string())
            .collect()
    };
    let got = fail(&mut op, "KLINE 5x *@10.0.0.1 :r");
    assert_eq!(got[..2], ["KLINE", "INVALID_DURATION"]);
    assert!(got[2].contains("5x"), "{got:?}");
    assert_eq!(
        fail(&mut op, "KLINE *@* :everyone")[..2],
        ["KLINE", "INVALID_MASK"]
    );
    assert_eq!(
        fail(&mut op, "KLINE n!u@h :r")[..2],
        ["KLINE", "INVALID_MASK"]
    );
    assert_eq!(
        fail(&mut op, "DLINE example.org :r")[..2],
        ["DLINE", "INVALID_MASK"]
    );
    assert_eq!(
        fail(&mut op, "DLINE 0.0.0.0/0 :r")[..2],
        ["DLINE", "INVALID_MASK"]
    );
    assert_eq!(
        fail(&mut op, "UNDLINE nonsense")[..2],
        ["UNDLINE", "INVALID_MASK"]
    );
    assert_eq!(
        notices(&op.ask("UNKLINE *@192.0.2.9")),
        ["*** No K-Line for [*@192.0.2.9]"]
    );
    assert!(with_command(&op.ask("STATS k"), "216").is_empty());
}

#[test]
fn other_operators_get_a_server_notice() {
    let server = server_with_root(|_| {});
    let mut op = operator(&server);
    let mut watcher = server.client("watcher");
    watcher.send("OPER root hunter2");
    watcher.expect("381");
    watcher.sync();
    op.ask("KLINE 10m *@192.0.2.1 :noted");
    let seen = watcher.expect("NOTICE");
    assert_eq!(
        params(&seen)[1],
        "*** Notice -- op!~op@127.0.0.1 added temporary 10m K-Line for [*@192.0.2.1]: noted"
    );
    op.ask("UNKLINE *@192.0.2.1");
    let seen = watcher.expect("NOTICE");
    assert_eq!(
        params(&seen)[1],
        "*** Notice -- op!~op@127.0.0.1 removed K-Line for [*@192.0.2.1]"
    );
}

#[test]
fn bans_hold_on_every_linked_server_and_travel_in_the_burst() {
    let a = node("a.test", 0, &[("b.test", None), ("c.test", None)]);
    let b = node("b.test", 0, &[("a.test", a.link_addr)]);
    let mut op = operator(&a);
    wait_servers(&mut op, 2);
    let mut victim = from_banned(&b);
    victim.register("victim");
    wait_user(&mut op, "victim");
    let mut b_op = operator_named(&b, "op_b");
    b_op.send("MODE op_b +s");
    b_op.sync();

    op.ask("KLINE *@127.0.0.2 :network wide");
    // The ban reaches b, which disconnects its own user and tells its
    // operators where the ban came from.
    assert_klined(&until_closed(&mut victim), "network wide");
    let notice = loop {
        let n = b_op.expect("NOTICE");
        if params(&n)[1].contains("K-Line") {
            break params(&n)[1].to_string();
        }
    };
    assert_eq!(
        notice,
        "*** Notice -- op!~op@127.0.0.1 added K-Line for [*@127.0.0.2] (via a.test): network wide"
    );
    assert_klined(&refused_registration(&b, "again"), "network wide");
    op.ask("DLINE 198.51.100.0/24 :blocked");

    // A server linking later gets both in the burst.
    let c = on_demand("c.test", "a.test", &a);
    let mut op_c = operator_named(&c, "op_c");
    op_c.ask("CONNECT a.test");
    wait_servers(&mut op_c, 3);
    let deadline = Instant::now() + TIMEOUT;
    loop {
        let dlines = op_c.ask("STATS d");
        if !with_command(&dlines, "225").is_empty() {
            assert_eq!(params(one(&dlines, "225"))[2], "198.51.100.0/24");
            break;
        }
        assert!(Instant::now() < deadline, "the burst brought no D-line");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_klined(&refused_registration(&c, "again"), "network wide");

    // Lifted on c, lifted everywhere.
    op_c.ask("UNKLINE *@127.0.0.2");
    let deadline = Instant::now() + TIMEOUT;
    while !with_command(&b_op.ask("STATS k"), "216").is_empty() {
        assert!(Instant::now() < deadline, "UNKLINE never reached b");
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut back = from_banned(&b);
    back.register("victim");
}
