//! Queries end to end (RFC 2812 3.4, 3.6, 4.8, 4.9; Modern IRC): WHO on a
//! channel and on a mask (fields, H/G flags, prefixes, invisible users),
//! WHOIS (311/319/312/301/313/317/318, unknown nicks), WHOWAS after a quit
//! or a nick change (314/312/369, 406), ISON, USERHOST, VERSION, TIME,
//! ADMIN, INFO, MOTD and LUSERS counts as users come, join and go.

mod common;
use common::*;

use natter_proto::Message;

/// WHO rows (352) keyed by nick, checking the 315 at the end.
fn who(c: &mut Client, mask: &str) -> Vec<Vec<String>> {
    let r = c.ask(&format!("WHO {mask}"));
    let end = r.last().unwrap_or_else(|| panic!("no reply to WHO {mask}"));
    assert_numeric(end, "315", &[&c.nick, mask, "End of WHO list"]);
    let mut rows: Vec<Vec<String>> = r[..r.len() - 1]
        .iter()
        .map(|m| {
            assert_eq!(m.command, "352", "{m:?}");
            assert_eq!(m.source.as_deref(), Some(SERVER));
            assert_eq!(m.params[0], c.nick);
            m.params[1..].to_vec()
        })
        .collect();
    rows.sort_by(|a, b| a[4].cmp(&b[4]));
    rows
}

/// One expected WHO row: channel, ~nick, host, server, nick, flags, "0 Real nick".
fn row(channel: &str, nick: &str, flags: &str) -> Vec<String> {
    vec![
        channel.into(),
        format!("~{nick}"),
        HOST.into(),
        SERVER.into(),
        nick.into(),
        flags.into(),
        format!("0 Real {nick}"),
    ]
}

// ---- WHO ----

#[test]
fn who_channel_lists_members_with_flags() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    let mut bob = server.client("bob");
    let mut carol = server.client("carol");
    let mut dave = server.client("dave");
    join_all("#c", &mut [&mut alice, &mut bob, &mut carol]);
    alice.ask("MODE #c +v carol");
    bob.ask("AWAY :gone");
    carol.sync();
    // A member and an outsider see the same (nobody is invisible).
    for viewer in [&mut carol, &mut dave] {
        let rows = who(viewer, "#c");
        assert_eq!(
            rows,
            [
                row("#c", "alice", "H@"),
                row("#c", "bob", "G"),
                row("#c", "carol", "H+")
            ]
        );
    }
    // Casemapped channel: the reply uses the channel's own name.
    let r = dave.ask("WHO #C");
    assert_eq!(r.len(), 4, "{r:#?}");
    assert_eq!(r[0].params[1], "#c");
    assert_numeric(&r[3], "315", &["dave", "#C", "End of WHO list"]);
}

#[test]
fn who_unknown_channel_is_just_the_end() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    assert!(who(&mut alice, "#nowhere").is_empty());
}

#[test]
fn who_mask_matches_users() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    let mut bob = server.client("bob");
    let _boris = server.client("boris");
    let mut carol = server.client("carol");
    join_all("#c", &mut [&mut bob]);
    carol.ask("AWAY :out");
    let rows = who(&mut alice, "bo*");
    // bob shows the channel he is on (and his status there); boris is on none.
    assert_eq!(rows, [row("#c", "bob", "H@"), row("*", "boris", "H")]);
    // An exact nick, casemapped; away shows G.
    assert_eq!(who(&mut alice, "CAROL"), [row("*", "carol", "G")]);
    // Masks also match the real name and host.
    assert_eq!(who(&mut alice, "Real?b*").len(), 2);
    assert_eq!(who(&mut alice, "127.0.0.*").len(), 4);
    assert!(who(&mut alice, "nobody*").is_empty());
}

#[test]
fn who_hides_invisible_users_from_those_not_sharing_a_channel() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    let _bob = server.client("bob");
    let mut ghost = server.client("ghost");
    let mut dave = server.client("dave");
    join_all("#c", &mut [&mut alice, &mut ghost]);
    ghost.ask("MODE ghost +i");
    // dave shares no channel: ghost is hidden from masks and channels, but
    // an exact nick still finds her (Modern IRC WHO; irctest testWhoInvisible).
    assert!(who(&mut dave, "gho*").is_empty());
    assert_eq!(who(&mut dave, "ghost"), [row("#c", "ghost", "H")]);
    assert_eq!(
        who(&mut dave, "*")
            .iter()
            .map(|r| r[4].as_str())
            .collect::<Vec<_>>(),
        ["alice", "bob", "dave"]
    );
    assert_eq!(who(&mut dave, "#c"), [row("#c", "alice", "H@")]);
    // alice shares #c with ghost: sees her both ways.
    assert_eq!(who(&mut alice, "ghost"), [row("#c", "ghost", "H")]);
    assert_eq!(
        who(&mut alice, "#c"),
        [row("#c", "alice", "H@"), row("#c", "ghost", "H")]
    );
    // Invisible users see themselves.
    assert_eq!(who(&mut ghost, "ghost"), [row("#c", "ghost", "H")]);
    // Once she leaves #c, alice no longer sees her through a mask.
    ghost.ask("PART #c");
    alice.sync();
    assert!(who(&mut alice, "gh*st").is_empty());
}

#[test]
fn who_secret_channel_hidden_from_outsiders() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    let mut dave = server.client("dave");
    join_all("#hidden", &mut [&mut alice]);
    alice.ask("MODE #hidden +s");
    assert!(who(&mut dave, "#hidden").is_empty());
    // Nor does a mask WHO reveal the secret channel.
    assert_eq!(who(&mut dave, "alice"), [row("*", "alice", "H")]);
    assert_eq!(who(&mut alice, "#hidden"), [row("#hidden", "alice", "H@")]);
}

#[test]
fn who_shows_opers_and_filters_with_o() {
    let server = server_with_root(|_| {});
    let mut alice = server.client("alice");
    let _bob = server.client("bob");
    oper_up(&mut alice);
    let rows = who(&mut alice, "*");
    assert_eq!(rows, [row("*", "alice", "H*"), row("*", "bob", "H")]);
    let r = alice.ask("WHO * o");
    assert_eq!(cmds(&r), ["352", "315"]);
    assert_eq!(r[0].params[5], "alice");
}

// ---- WHOIS ----

#[test]
fn whois_reports_everything_in_order() {
    let server = server_with_root(|_| {});
    let mut alice = server.client("alice");
    let mut bob = server.client("bob");
    join_all("#ops", &mut [&mut bob, &mut alice]);
    join_all("#chat", &mut [&mut alice, &mut bob]);
    oper_up(&mut bob);
    bob.ask("AWAY :busy busy");

    let r = alice.ask("WHOIS bob");
    assert_eq!(
        cmds(&r),
        ["311", "319", "312", "301", "313", "317", "318"],
        "{r:#?}"
    );
    assert_numeric(
        &r[0],
        "311",
        &["alice", "bob", "~bob", HOST, "*", "Real bob"],
    );
    assert_eq!(r[1].params[..2], ["alice", "bob"]);
    let mut chans: Vec<&str> = r[1].params[2].split(' ').collect();
    chans.sort_unstable();
    assert_eq!(chans, ["#chat", "@#ops"]);
    assert_numeric(&r[2], "312", &["alice", "bob", SERVER, "natter IRC server"]);
    assert_numeric(&r[3], "301", &["alice", "bob", "busy busy"]);
    assert_numeric(&r[4], "313", &["alice", "bob", "is an IRC operator"]);
    let idle = &r[5];
    assert_eq!(idle.params[..2], ["alice", "bob"]);
    let idle_secs: u64 = idle.params[2].parse().expect("idle seconds");
    let signon: u64 = idle.params[3].parse().expect("signon time");
    let now = unix_now();
    assert!(
        signon <= now && signon + 3600 > now,
        "signon {signon} vs {now}"
    );
    assert!(idle_secs <= now - signon + 1, "idle {idle_secs}");
    assert_eq!(idle.params[4], "seconds idle, signon time");
    assert_numeric(&r[6], "318", &["alice", "bob", "End of /WHOIS list"]);
}

#[test]
fn whois_plain_user_has_no_away_or_oper_lines() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    let _bob = server.client("Bob");
    // Casemapped lookup; replies use the real nick.
    let r = alice.ask("WHOIS bOB");
    assert_eq!(cmds(&r), ["311", "312", "317", "318"], "{r:#?}");
    assert_numeric(
        &r[0],
        "311",
        &["alice", "Bob", "~Bob", HOST, "*", "Real Bob"],
    );
    assert_numeric(&r[3], "318", &["alice", "Bob", "End of /WHOIS list"]);
    // The server-and-nick form.
    let r = alice.ask("WHOIS natter.local Bob");
    assert_eq!(cmds(&r), ["311", "312", "317", "318"], "{r:#?}");
}

#[test]
fn whois_hides_secret_channels_from_non_members() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    let mut bob = server.client("bob");
    join_all("#open", &mut [&mut bob]);
    join_all("#secret", &mut [&mut bob]);
    bob.ask("MODE #secret +s");
    let r = alice.ask("WHOIS bob");
    assert_numeric(one(&r, "319"), "319", &["alice", "bob", "@#open"]);
    let r = bob.ask("WHOIS bob");
    let mut chans: Vec<&str> = one(&r, "319").params[2].split(' ').collect();
    chans.sort_unstable();
    assert_eq!(chans, ["@#open", "@#secret"]);
}

#[test]
fn whois_unknown_nick_gets_401_and_318() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    let r = alice.ask("WHOIS nobody");
    assert_eq!(cmds(&r), ["401", "318"], "{r:#?}");
    assert_numeric(&r[0], "401", &["alice", "nobody", "No such nick/channel"]);
    assert_numeric(&r[1], "318", &["alice", "nobody", "End of /WHOIS list"]);
}

#[test]
fn whois_without_nick_gets_431() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    let r = alice.ask("WHOIS");
    only(&r, SERVER, "431", &["alice", "No nickname given"]);
}

#[test]
fn whois_unrepresentable_nick_keeps_the_reply_shape() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    // "a b" cannot be a middle parameter (Modern IRC "Parameters").
    let r = alice.ask("WHOIS :a b");
    assert_eq!(cmds(&r), ["401", "318"], "{r:#?}");
    assert_numeric(&r[0], "401", &["alice", "*", "No such nick/channel"]);
    assert_numeric(&r[1], "318", &["alice", "*", "End of /WHOIS list"]);
    let r = alice.ask("WHOWAS :a b");
    assert_numeric(&r[0], "406", &["alice", "*", "There was no such nickname"]);
    assert_numeric(&r[1], "369", &["alice", "*", "End of WHOWAS"]);
    let r = alice.ask("WHO :a b");
    only(&r, SERVER, "315", &["alice", "*", "End of WHO list"]);
}

// ---- WHOWAS ----

fn check_whowas_entry(r: &[Message], i: usize, me: &str, nick: &str, user: &str, real: &str) {
    assert_numeric(&r[i], "314", &[me, nick, user, HOST, "*", real]);
    assert_eq!(r[i + 1].command, "312", "{r:#?}");
    assert_eq!(r[i + 1].params[..3], [me, nick, SERVER]);
}

#[test]
fn whowas_after_quit() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    let mut bob = server.client("bob");
    bob.send("QUIT :bye");
    bob.read_until_closed();
    let r = alice.ask("WHOWAS bob");
    assert_eq!(cmds(&r), ["314", "312", "369"], "{r:#?}");
    check_whowas_entry(&r, 0, "alice", "bob", "~bob", "Real bob");
    assert_numeric(&r[2], "369", &["alice", "bob", "End of WHOWAS"]);
    // Casemapped.
    let r = alice.ask("WHOWAS BOB");
    assert_eq!(cmds(&r), ["314", "312", "369"], "{r:#?}");
}

#[test]
fn whowas_after_nick_change() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    let mut bob = server.client("bob");
    bob.ask("NICK robert");
    let r = alice.ask("WHOWAS bob");
    assert_eq!(cmds(&r), ["314", "312", "369"], "{r:#?}");
    check_whowas_entry(&r, 0, "alice", "bob", "~bob", "Real bob");
    // robert is online, not history.
    let r = alice.ask("WHOWAS robert");
    assert_eq!(cmds(&r), ["406", "369"], "{r:#?}");
}

#[test]
fn whowas_lists_newest_first_and_honours_count() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    for real in ["First", "Second"] {
        let mut c = server.connect();
        c.send("NICK bob");
        c.send(&format!("USER u{real} 0 * :{real}"));
        c.expect("376");
        c.send("QUIT");
        c.read_until_closed();
    }
    let r = alice.ask("WHOWAS bob");
    assert_eq!(cmds(&r), ["314", "312", "314", "312", "369"], "{r:#?}");
    check_whowas_entry(&r, 0, "alice", "bob", "~uSecond", "Second");
    check_whowas_entry(&r, 2, "alice", "bob", "~uFirst", "First");
    let r = alice.ask("WHOWAS bob 1");
    assert_eq!(cmds(&r), ["314", "312", "369"], "{r:#?}");
    check_whowas_entry(&r, 0, "alice", "bob", "~uSecond", "Second");
}

#[test]
fn whowas_unknown_gets_406_and_369() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    let r = alice.ask("WHOWAS ghost");
    assert_eq!(cmds(&r), ["406", "369"], "{r:#?}");
    assert_numeric(
        &r[0],
        "406",
        &["alice", "ghost", "There was no such nickname"],
    );
    assert_numeric(&r[1], "369", &["alice", "ghost", "End of WHOWAS"]);
}

#[test]
fn whowas_without_nick_gets_431() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    let r = alice.ask("WHOWAS");
    only(&r, SERVER, "431", &["alice", "No nickname given"]);
}

// ---- ISON, USERHOST ----

#[test]
fn ison_lists_online_nicks() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    let _bob = server.client("bob");
    let _carol = server.client("carol");
    let r = alice.ask("ISON bob nobody carol");
    only(&r, SERVER, "303", &["alice", "bob carol"]);
    // As one trailing parameter, as some clients send it.
    let r = alice.ask("ISON :carol ghost");
    assert_numeric(&r[0], "303", &["alice", "carol"]);
    let r = alice.ask("ISON ghost");
    assert_numeric(&r[0], "303", &["alice", ""]);
}

#[test]
fn ison_without_params_gets_461() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    let r = alice.ask("ISON");
    assert_numeric(&r[0], "461", &["alice", "ISON", "Not enough parameters"]);
}

#[test]
fn userhost_shows_user_host_away_and_oper() {
    let server = server_with_root(|_| {});
    let mut alice = server.client("alice");
    let mut bob = server.client("bob");
    let mut carol = server.client("carol");
    carol.ask("AWAY :later");
    oper_up(&mut bob);
    let r = alice.ask("USERHOST bob carol nobody alice");
    only(
        &r,
        SERVER,
        "302",
        &[
            "alice",
            "bob*=+~bob@127.0.0.1 carol=-~carol@127.0.0.1 alice=+~alice@127.0.0.1",
        ],
    );
    let r = alice.ask("USERHOST nobody");
    assert_numeric(&r[0], "302", &["alice", ""]);
    let r = alice.ask("USERHOST");
    assert_numeric(
        &r[0],
        "461",
        &["alice", "USERHOST", "Not enough parameters"],
    );
}

#[test]
fn userhost_answers_at_most_five() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    let _others: Vec<Client> = (1..=6).map(|i| server.client(&format!("u{i}"))).collect();
    let r = alice.ask("USERHOST u1 u2 u3 u4 u5 u6");
    let entries: Vec<&str> = r[0].params[1].split(' ').collect();
    assert_eq!(
        entries,
        (1..=5)
            .map(|i| format!("u{i}=+~u{i}@127.0.0.1"))
            .collect::<Vec<_>>()
    );
}

// ---- server queries ----

#[test]
fn version_gives_351_and_isupport() {
    let server = TestServer::start();
    let mut c = server.connect();
    c.send("NICK alice");
    c.send("USER alice 0 * :Alice");
    let myinfo = c.expect("004");
    c.expect("376");
    c.nick = "alice".into();
    let r = c.ask("VERSION");
    assert_eq!(r[0].command, "351", "{r:#?}");
    assert_eq!(r[0].source.as_deref(), Some(SERVER));
    assert_eq!(r[0].params.len(), 4, "{r:#?}");
    assert_eq!(r[0].params[0], "alice");
    // The same version as RPL_MYINFO.
    assert_eq!(r[0].params[1], myinfo.params[2]);
    assert_eq!(r[0].params[2], SERVER);
    assert!(r.len() > 1);
    for m in &r[1..] {
        assert_eq!(m.command, "005", "{m:?}");
        assert_eq!(m.params.last().unwrap(), "are supported by this server");
    }
    assert!(r[1..]
        .iter()
        .any(|m| m.params.iter().any(|p| p == "CASEMAPPING=rfc1459")));
}

#[test]
fn time_gives_391() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    let r = alice.ask("TIME");
    assert_eq!(r.len(), 1, "{r:#?}");
    let m = &r[0];
    assert_eq!(
        (m.source.as_deref(), m.command.as_str()),
        (Some(SERVER), "391")
    );
    assert_eq!(m.params[..2], ["alice", SERVER]);
    // Modern IRC: <client> <server> [<timestamp> [<TS offset>]] :<human-readable time>
    let ts: u64 = m.params[2].parse().expect("unix timestamp");
    let now = unix_now();
    assert!(ts.abs_diff(now) < 600, "server time {ts} vs {now}");
    // `Sunday December 6 2026 -- 15:10:00 +00:00`: read it back and
    // compare with the timestamp.
    let human = m.params.last().unwrap();
    let words: Vec<&str> = human.split(' ').collect();
    let months = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    let month = months.iter().position(|m| *m == words[1]).expect(human) + 1;
    assert_eq!((words[4], words[6]), ("--", "+00:00"), "{human}");
    let rfc3339 = format!(
        "{}-{month:02}-{:02}T{}Z",
        words[3],
        words[2].parse::<u32>().expect(human),
        words[5]
    );
    let secs = humantime::parse_rfc3339(&rfc3339)
        .expect(human)
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!(secs.abs_diff(ts) <= 1, "{human} vs {ts}");
}

#[test]
fn admin_gives_256_to_259_from_config() {
    let server = TestServer::with_config(|c| {
        c.admin.location = "Somewhere, Earth".into();
        c.admin.description = "Run by the test suite".into();
        c.admin.email = "ops@example.org".into();
    });
    let mut alice = server.client("alice");
    let r = alice.ask("ADMIN");
    assert_eq!(cmds(&r), ["256", "257", "258", "259"], "{r:#?}");
    assert_numeric(&r[0], "256", &["alice", SERVER, "Administrative info"]);
    assert_numeric(&r[1], "257", &["alice", "Somewhere, Earth"]);
    assert_numeric(&r[2], "258", &["alice", "Run by the test suite"]);
    assert_numeric(&r[3], "259", &["alice", "ops@example.org"]);
}

#[test]
fn info_gives_371_lines_then_374() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    let r = alice.ask("INFO");
    assert!(r.len() >= 2, "{r:#?}");
    let (last, lines) = r.split_last().unwrap();
    assert_numeric(last, "374", &["alice", "End of /INFO list"]);
    for m in lines {
        assert_eq!(m.command, "371", "{m:?}");
        assert_eq!(m.source.as_deref(), Some(SERVER));
        assert_eq!(m.params.len(), 2);
        assert_eq!(m.params[0], "alice");
    }
    assert!(lines[0].params[1].starts_with("natter-"), "{:?}", lines[0]);
}

#[test]
fn motd_command_repeats_the_motd() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("motd");
    std::fs::write(&path, "Line one\nLine two\n").unwrap();
    let server = TestServer::with_config(|c| c.server.motd_file = Some(path.clone()));
    let mut alice = server.client("alice");
    let r = alice.ask("MOTD");
    assert_eq!(cmds(&r), ["375", "372", "372", "376"], "{r:#?}");
    assert_numeric(
        &r[0],
        "375",
        &["alice", "- natter.local Message of the day - "],
    );
    assert_numeric(&r[1], "372", &["alice", "- Line one"]);
    assert_numeric(&r[2], "372", &["alice", "- Line two"]);
    assert_numeric(&r[3], "376", &["alice", "End of /MOTD command."]);
}

#[test]
fn motd_command_without_motd_gives_422() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("motd");
    std::fs::write(&path, "").unwrap();
    let server = TestServer::with_config(|c| c.server.motd_file = Some(path.clone()));
    let mut alice = server.client("alice");
    let r = alice.ask("MOTD");
    only(&r, SERVER, "422", &["alice", "MOTD File is missing"]);
}

// ---- LUSERS ----

/// LUSERS replies by numeric.
fn lusers(c: &mut Client) -> Vec<Message> {
    let r = c.ask("LUSERS");
    assert!(r.iter().all(|m| m.source.as_deref() == Some(SERVER)));
    r
}

#[test]
fn lusers_counts_follow_connections_joins_and_quits() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    let r = lusers(&mut alice);
    assert_eq!(cmds(&r), ["251", "254", "255", "265", "266"], "{r:#?}");
    assert_numeric(
        &r[0],
        "251",
        &["alice", "There are 1 users and 0 invisible on 1 servers"],
    );
    assert_numeric(&r[1], "254", &["alice", "0", "channels formed"]);
    assert_numeric(&r[2], "255", &["alice", "I have 1 clients and 0 servers"]);
    assert_numeric(
        &r[3],
        "265",
        &["alice", "1", "1", "Current local users 1, max 1"],
    );
    assert_numeric(
        &r[4],
        "266",
        &["alice", "1", "1", "Current global users 1, max 1"],
    );

    let mut bob = server.client("bob");
    bob.ask("JOIN #one");
    bob.ask("JOIN #two");
    bob.ask("MODE bob +i");
    // An unregistered connection (known to the server once it answered).
    let mut pending = server.connect();
    pending.sync();
    let r = lusers(&mut alice);
    assert_eq!(
        cmds(&r),
        ["251", "253", "254", "255", "265", "266"],
        "{r:#?}"
    );
    assert_numeric(
        &r[0],
        "251",
        &["alice", "There are 1 users and 1 invisible on 1 servers"],
    );
    assert_numeric(&r[1], "253", &["alice", "1", "unknown connection(s)"]);
    assert_numeric(&r[2], "254", &["alice", "2", "channels formed"]);
    assert_numeric(&r[3], "255", &["alice", "I have 2 clients and 0 servers"]);
    assert_numeric(
        &r[4],
        "265",
        &["alice", "2", "2", "Current local users 2, max 2"],
    );

    bob.send("QUIT");
    bob.read_until_closed();
    pending.send("QUIT");
    pending.read_until_closed();
    let r = lusers(&mut alice);
    assert_eq!(cmds(&r), ["251", "254", "255", "265", "266"], "{r:#?}");
    assert_numeric(
        &r[0],
        "251",
        &["alice", "There are 1 users and 0 invisible on 1 servers"],
    );
    // Emptied channels are gone.
    assert_numeric(&r[1], "254", &["alice", "0", "channels formed"]);
    // The maximum is remembered.
    assert_numeric(
        &r[3],
        "265",
        &["alice", "1", "2", "Current local users 1, max 2"],
    );
    assert_numeric(
        &r[4],
        "266",
        &["alice", "1", "2", "Current global users 1, max 2"],
    );
}

#[test]
fn lusers_counts_operators() {
    let server = server_with_root(|_| {});
    let mut alice = server.client("alice");
    oper_up(&mut alice);
    let r = lusers(&mut alice);
    assert_numeric(one(&r, "252"), "252", &["alice", "1", "operator(s) online"]);
}

#[test]
fn whois_channel_list_is_split_to_fit_512_bytes() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    let mut bob = server.client("bob");
    let names: Vec<String> = (0..15)
        .map(|i| format!("#{i:02}-{}", "c".repeat(44)))
        .collect();
    for name in &names {
        bob.send(&format!("JOIN {name}"));
        bob.expect("366");
    }
    let r = alice.ask("WHOIS bob");
    let lines = with_command(&r, "319");
    // 15 x 48 bytes do not fit one line; every line parsed, so each is
    // within 512 bytes.
    assert!(lines.len() >= 2, "{r:#?}");
    let mut listed: Vec<String> = lines
        .iter()
        .flat_map(|m| {
            assert_eq!(m.params[..2], ["alice", "bob"]);
            m.params[2].split(' ').map(String::from).collect::<Vec<_>>()
        })
        .collect();
    listed.sort();
    let want: Vec<String> = names.iter().map(|n| format!("@{n}")).collect();
    assert_eq!(listed, want);
}

#[test]
fn ison_reply_fits_512_bytes() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    let nicks: Vec<String> = (0..16)
        .map(|i| format!("n{i:02}{}", "x".repeat(27)))
        .collect();
    let _online: Vec<Client> = nicks.iter().map(|n| server.client(n)).collect();
    // A 500-byte ISON naming 16 online users: the answer, with its
    // ":natter.local 303 alice :" prefix, would be 522 bytes.
    let line = format!("ISON {}", nicks.join(" "));
    assert_eq!(line.len(), 500);
    let r = alice.ask(&line);
    assert_eq!(r.len(), 1, "{r:#?}");
    // As many as fit, in order.
    assert_numeric(&r[0], "303", &["alice", &nicks[..15].join(" ")]);
}
