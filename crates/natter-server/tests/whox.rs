//! WHOX (`WHO <mask> %<fields>[,<token>]`, RPL_WHOSPCRPL 354; Modern IRC,
//! ircu) and UTF8ONLY (IRCv3 `UTF8ONLY` ISUPPORT token), end to end:
//! requested fields come in the fixed order `t c u i h s n f d l a o r`
//! whatever order they were asked in, the account is `0` without one, the
//! token is echoed; a WHO without `%` still gets 352; invalid UTF-8 gets
//! `FAIL <command> INVALID_UTF8` and goes nowhere.

mod common;
use common::*;

/// The 354 rows of `c`'s `WHO <args>` (params after the client's nick),
/// sorted, checking the 315 `end` at the end.
fn whox(c: &mut Client, args: &str, end: &str) -> Vec<Vec<String>> {
    let r = c.ask(&format!("WHO {args}"));
    let last = r.last().unwrap_or_else(|| panic!("no reply to WHO {args}"));
    assert_numeric(last, "315", &[&c.nick, end, "End of WHO list"]);
    let mut rows: Vec<Vec<String>> = r[..r.len() - 1]
        .iter()
        .map(|m| {
            assert_eq!(m.source.as_deref(), Some(SERVER), "{m:#?}");
            assert_eq!(m.command, "354", "{m:#?}");
            assert_eq!(m.params[0], c.nick);
            m.params[1..].to_vec()
        })
        .collect();
    rows.sort();
    rows
}

/// An expected row, from its fields.
fn row(fields: &[&str]) -> Vec<String> {
    fields.iter().map(|f| f.to_string()).collect()
}

// ---- WHOX ----

#[test]
fn whox_gives_the_requested_fields_in_the_fixed_order() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    let mut bob = server.client("bob");
    join_all("#c", &mut [&mut alice, &mut bob]);
    bob.ask("AWAY :away");
    let expected = [
        row(&[
            "123",
            "#c",
            "~alice",
            "127.0.0.1",
            "alice",
            "H@",
            "0",
            "Real alice",
        ]),
        row(&[
            "123",
            "#c",
            "~bob",
            "127.0.0.1",
            "bob",
            "G",
            "0",
            "Real bob",
        ]),
    ];
    assert_eq!(whox(&mut alice, "#c %tcuhnfar,123", "#c"), expected);
    // Asked in another order: the same reply.
    assert_eq!(whox(&mut alice, "#c %rafnhuct,123", "#c"), expected);
    // Fewer fields; the token is only sent when `t` is asked for.
    assert_eq!(
        whox(&mut alice, "#c %na,456", "#c"),
        [row(&["alice", "0"]), row(&["bob", "0"])]
    );
    // A nick mask works as well.
    assert_eq!(
        whox(&mut bob, "alice %nuf", "alice"),
        [row(&["~alice", "alice", "H@"])]
    );
}

#[test]
fn whox_every_field() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    let mut bob = server.client("bob");
    join_all("#c", &mut [&mut alice, &mut bob]);
    alice.ask("MODE #c +v bob");
    let rows = whox(&mut alice, "bob %tcuihsnfdlaor,7", "bob");
    assert_eq!(rows.len(), 1, "{rows:#?}");
    let r = &rows[0];
    assert_eq!(r.len(), 13, "{r:#?}");
    // l: idle seconds, a number.
    assert!(r[9].parse::<u64>().is_ok(), "idle {:?}", r[9]);
    let mut fixed = r.clone();
    fixed[9] = "<idle>".into();
    assert_eq!(
        fixed,
        row(&[
            "7",
            "#c",
            "~bob",
            "127.0.0.1",
            "127.0.0.1",
            SERVER,
            "bob",
            "H+",
            "0",
            "<idle>",
            "0",
            "n/a",
            "Real bob",
        ])
    );
}

#[test]
fn whox_ip_field_is_never_a_hostname() {
    // `i` is the user's IP address, 255.255.255.255 when it is hidden: a
    // spoofed host (CHGHOST) is not an IP and must not show up there. An
    // operator sees the real address; another user sees it hidden.
    let server = server_with_root(|_| {});
    let mut oper = server.client("oper");
    let mut carol = server.client("carol");
    let _bob = server.client("bob");
    oper_up(&mut oper);
    oper.ask("CHGHOST bob bob cloak.example");
    assert_eq!(
        whox(&mut oper, "bob %nih", "bob"),
        [row(&["127.0.0.1", "cloak.example", "bob"])]
    );
    assert_eq!(
        whox(&mut carol, "bob %nih", "bob"),
        [row(&["255.255.255.255", "cloak.example", "bob"])]
    );
}

#[test]
fn plain_who_still_gets_352() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    alice.ask("JOIN #c");
    let r = alice.ask("WHO #c");
    assert_eq!(r.len(), 2, "{r:#?}");
    assert_eq!(
        (r[0].command.as_str(), params(&r[0])),
        (
            "352",
            vec![
                "alice",
                "#c",
                "~alice",
                "127.0.0.1",
                SERVER,
                "alice",
                "H@",
                "0 Real alice"
            ]
        )
    );
    assert_eq!(params(&r[1]), ["alice", "#c", "End of WHO list"]);
    // Flags without `%` are not WHOX either.
    let r = alice.ask("WHO #c o");
    assert_eq!(r.len(), 1, "{r:#?}");
    assert_eq!(r[0].command, "315");
}

#[test]
fn isupport_advertises_whox_and_utf8only() {
    let server = TestServer::start();
    let tokens = isupport(&server);
    for t in ["WHOX", "UTF8ONLY"] {
        assert!(tokens.iter().any(|x| x == t), "{t} missing from {tokens:?}");
    }
}

// ---- UTF8ONLY ----

#[test]
fn invalid_utf8_is_refused_with_fail_and_not_relayed() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    let mut bob = server.client("bob");
    join_all("#c", &mut [&mut alice, &mut bob]);
    let fail = |cmd: &str| {
        (
            Some(SERVER.to_string()),
            "FAIL".to_string(),
            vec![
                cmd.to_string(),
                "INVALID_UTF8".to_string(),
                "Message rejected, it contained invalid UTF-8".to_string(),
            ],
        )
    };
    for (line, cmd) in [
        (&b"PRIVMSG bob :caf\xe9\r\n"[..], "PRIVMSG"),
        (&b"NOTICE #c :\xff\xfe\r\n"[..], "NOTICE"),
        (&b"TOPIC #c :\xc3\r\n"[..], "TOPIC"),
        (&b"@+x=\xff PRIVMSG bob :tag value\r\n"[..], "PRIVMSG"),
    ] {
        alice.send_raw(line);
        let r = alice.sync();
        assert_eq!(r.len(), 1, "{line:?}: {r:#?}");
        let m = &r[0];
        assert_eq!(
            (m.source.clone(), m.command.clone(), m.params.clone()),
            fail(cmd),
            "{line:?}"
        );
        bob.assert_quiet();
    }
    // A nick change is refused the same way, and the nick stays.
    alice.send_raw(b"NICK \xe9lise\r\n");
    let r = alice.sync();
    assert_eq!(r.len(), 1, "{r:#?}");
    assert_eq!(r[0].params[..2], ["NICK", "INVALID_UTF8"]);
    bob.assert_quiet();
    // Valid UTF-8 passes.
    alice.ask("PRIVMSG bob :café");
    let r = bob.sync();
    assert_eq!(params(&r[0]), ["bob", "café"]);
}
