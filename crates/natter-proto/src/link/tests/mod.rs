//! Round trips of every variant and real lines from ngIRCd and RFC 2813.

use super::parse::KNOWN;
use super::*;

mod bad_input;

fn msg(line: &str) -> Message {
    Message::parse(line).unwrap_or_else(|e| panic!("parse {line:?}: {e:?}"))
}

fn link(line: &str) -> LinkMessage {
    LinkMessage::parse(&msg(line)).unwrap_or_else(|e| panic!("link {line:?}: {e}"))
}

fn err(line: &str) -> LinkError {
    LinkMessage::parse(&msg(line)).expect_err(line)
}

fn s(v: &str) -> Option<String> {
    Some(v.to_owned())
}

/// Writes `m`, checks the line is one CRLF-terminated line, and parses it back.
fn round_trip(m: &LinkMessage) -> String {
    let line = m.to_line();
    let body = line.strip_suffix("\r\n").expect("CRLF");
    assert!(!body.contains(['\r', '\n']), "{line:?}");
    assert_eq!(&link(body), m, "{line:?}");
    body.to_owned()
}

fn member(nick: &str, f: impl FnOnce(&mut NjoinMember)) -> NjoinMember {
    let mut m = NjoinMember::new(nick);
    f(&mut m);
    m
}

/// One value of every variant, with and without optional parts.
fn samples() -> Vec<LinkMessage> {
    use LinkMessage as L;
    let natter = PassFlags {
        implementation: "natter".into(),
        version: "0.1".into(),
        capabilities: vec![CAP_TS.into(), CAP_TAGS.into(), CAP_ACCOUNT.into()],
        server_flags: "CHLMSX".into(),
    };
    let (a, b) = (s("irc.a"), s("bob"));
    vec![
        L::Pass {
            source: None,
            password: "pw".into(),
            version: IRC_PLUS_VERSION.into(),
            flags: natter.clone(),
            options: "P".into(),
        },
        L::Pass {
            source: a.clone(),
            password: "pw".into(),
            version: "0210".into(),
            flags: PassFlags {
                capabilities: vec![],
                ..natter
            },
            options: String::new(),
        },
        L::Server {
            source: None,
            name: "irc.a".into(),
            hopcount: None,
            token: None,
            info: "Server A".into(),
        },
        L::Server {
            source: a.clone(),
            name: "irc.a".into(),
            hopcount: Some(1),
            token: None,
            info: String::new(),
        },
        L::Server {
            source: a.clone(),
            name: "irc.c".into(),
            hopcount: Some(2),
            token: Some(7),
            info: "behind a".into(),
        },
        L::Nick {
            source: a.clone(),
            nick: "bob".into(),
            hopcount: 1,
            username: "~bob".into(),
            host: "host.example".into(),
            token: 1,
            umodes: "iw".into(),
            realname: "Bob B".into(),
        },
        L::Nick {
            source: None,
            nick: "[x]".into(),
            hopcount: 3,
            username: "x".into(),
            host: "2001:db8::1".into(),
            token: u32::MAX,
            umodes: String::new(),
            realname: String::new(),
        },
        L::NickChange {
            source: b.clone(),
            nick: "robert".into(),
        },
        L::Quit {
            source: b.clone(),
            reason: None,
        },
        L::Quit {
            source: b.clone(),
            reason: s("Gone to have lunch"),
        },
        L::Squit {
            source: a.clone(),
            server: "irc.c".into(),
            comment: String::new(),
        },
        L::Njoin {
            source: a.clone(),
            channel: "#c".into(),
            members: vec![
                member("alice", |m| (m.creator, m.op) = (true, true)),
                member("bob", |m| m.op = true),
                member("carol", |m| m.voice = true),
                member("dave", |m| {
                    (m.owner, m.admin, m.op, m.halfop, m.voice) = (true, true, true, true, true)
                }),
                NjoinMember::new("eve"),
            ],
        },
        L::Njoin {
            source: a.clone(),
            channel: "#empty".into(),
            members: vec![],
        },
        L::Mode {
            source: b.clone(),
            target: "#c".into(),
            modes: "+ov-b".into(),
            args: vec!["bob".into(), "carol".into(), "*!*@x".into()],
        },
        L::Mode {
            source: b.clone(),
            target: "bob".into(),
            modes: "+a".into(),
            args: vec![],
        },
        L::Topic {
            source: b.clone(),
            channel: "#c".into(),
            topic: "a topic".into(),
        },
        L::Join {
            source: b.clone(),
            channels: vec![
                JoinChannel::new("#c"),
                JoinChannel {
                    name: "&d".into(),
                    modes: "ov".into(),
                },
            ],
        },
        L::Part {
            source: b.clone(),
            channels: vec!["#c".into(), "#d".into()],
            reason: None,
        },
        L::Part {
            source: b.clone(),
            channels: vec!["#c".into()],
            reason: s("bye"),
        },
        L::Kick {
            source: b.clone(),
            channel: "#c".into(),
            nick: "eve".into(),
            reason: s("no"),
        },
        L::Kick {
            source: b.clone(),
            channel: "#c".into(),
            nick: "eve".into(),
            reason: None,
        },
        L::Invite {
            source: b.clone(),
            nick: "eve".into(),
            channel: "#c".into(),
        },
        L::Privmsg {
            source: b.clone(),
            target: "#c".into(),
            text: "hi".into(),
        },
        L::Notice {
            source: a.clone(),
            target: "$*.example".into(),
            text: ":-) two  spaces ".into(),
        },
        L::Kill {
            source: a.clone(),
            nick: "eve".into(),
            comment: "irc.a (spam)".into(),
        },
        L::Wallops {
            source: a.clone(),
            text: "hello opers".into(),
        },
        L::Away {
            source: b.clone(),
            message: s("lunch"),
        },
        L::Away {
            source: b,
            message: None,
        },
        L::Ping {
            source: a.clone(),
            origin: "irc.a".into(),
            target: None,
        },
        L::Ping {
            source: a.clone(),
            origin: "irc.a".into(),
            target: s("irc.c"),
        },
        L::Pong {
            source: a.clone(),
            origin: "irc.a".into(),
            target: s("irc.b"),
        },
        L::Pong {
            source: None,
            origin: "irc.a".into(),
            target: None,
        },
        L::Error {
            source: None,
            message: "Closing connection".into(),
        },
        L::ChanInfo {
            source: a.clone(),
            channel: "#c".into(),
            modes: "nt".into(),
            key: None,
            limit: None,
            topic: None,
        },
        L::ChanInfo {
            source: a.clone(),
            channel: "+m".into(),
            modes: String::new(),
            key: None,
            limit: None,
            topic: s("the topic"),
        },
        L::ChanInfo {
            source: a.clone(),
            channel: "#k".into(),
            modes: "kl".into(),
            key: s("sesame"),
            limit: Some(10),
            topic: None,
        },
        L::ChanInfo {
            source: a,
            channel: "#l".into(),
            modes: "l".into(),
            key: None,
            limit: Some(5),
            topic: s("t"),
        },
        L::Other(msg(":irc.a METADATA bob cloakhost :x.example")),
    ]
}

#[test]
fn every_variant_round_trips() {
    let samples = samples();
    // One sample per variant at least (22 typed variants + Other).
    let variants: std::collections::BTreeSet<_> = samples
        .iter()
        .map(|m| {
            format!("{m:?}")
                .split([' ', '('])
                .next()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(variants.len(), 23, "{variants:?}");
    for m in &samples {
        round_trip(m);
        // With tags in front, the same message comes back and the tags stay
        // on the Message.
        let mut out = String::new();
        m.write_with_tags(Some("time=2024-01-01T00:00:00.000Z"), &mut out);
        let parsed = msg(out.trim_end_matches(['\r', '\n']));
        assert_eq!(parsed.tags.len(), 1, "{out:?}");
        match m {
            LinkMessage::Other(o) => assert_eq!(
                parsed,
                Message {
                    tags: parsed.tags.clone(),
                    ..o.clone()
                }
            ),
            _ => assert_eq!(&LinkMessage::parse(&parsed).unwrap(), m),
        }
    }
    // Without tags given, Other keeps its own.
    let tagged = LinkMessage::Other(msg("@a=b :x FOO y"));
    assert_eq!(tagged.to_line(), "@a=b :x FOO y\r\n");
}

#[test]
fn exact_lines_written() {
    let lines: Vec<String> = samples().iter().map(round_trip).collect();
    for expected in [
        "PASS pw 0210-IRC+ natter|0.1/TS,TAGS,ACCOUNT:CHLMSX P",
        ":irc.a PASS pw 0210 natter|0.1:CHLMSX",
        "SERVER irc.a :Server A",
        ":irc.a SERVER irc.a 1 :",
        ":irc.a SERVER irc.c 2 7 :behind a",
        ":irc.a NICK bob 1 ~bob host.example 1 +iw :Bob B",
        "NICK [x] 3 x 2001:db8::1 4294967295 + :",
        ":bob NICK robert",
        ":bob QUIT",
        ":irc.a SQUIT irc.c :",
        ":irc.a NJOIN #c :@@alice,@bob,+carol,~&@%+dave,eve",
        ":irc.a NJOIN #empty :",
        ":bob MODE #c +ov-b bob carol *!*@x",
        ":bob JOIN #c,&d\x07ov",
        ":bob PART #c,#d",
        ":bob KICK #c eve :no",
        ":irc.a NOTICE $*.example ::-) two  spaces ",
        ":irc.a PING :irc.a",
        ":irc.a PONG irc.a :irc.b",
        "ERROR :Closing connection",
        ":irc.a CHANINFO #c +nt",
        ":irc.a CHANINFO +m + :the topic",
        ":irc.a CHANINFO #k +kl sesame 10 :",
        ":irc.a CHANINFO #l +l * 5 :t",
        ":irc.a METADATA bob cloakhost x.example",
    ] {
        assert!(
            lines.iter().any(|l| l == expected),
            "{expected:?} not in {lines:#?}"
        );
    }
}

/// Lines as ngIRCd 26.1 to 28 sends them (conn.c, irc-server.c, numeric.c,
/// client.c, and src/testsuite/server-login-test.e), written back unchanged.
#[test]
fn ngircd_lines() {
    use LinkMessage as L;
    let flags = PassFlags {
        implementation: "ngIRCd".into(),
        version: "26.1".into(),
        capabilities: vec![],
        server_flags: "CHLMSXZ".into(),
    };
    let pass = |source: Option<String>| L::Pass {
        source,
        password: "secret".into(),
        version: "0210-IRC+".into(),
        flags: flags.clone(),
        options: "PZ".into(),
    };
    let chaninfo = |channel: &str, modes: &str, key, limit, topic| L::ChanInfo {
        source: s("ngircd.test.server"),
        channel: channel.into(),
        modes: modes.into(),
        key,
        limit,
        topic,
    };
    for (line, expected) in [
        // Connecting side (conn.c server_login): no prefix, no hopcount.
        ("PASS secret 0210-IRC+ ngIRCd|26.1:CHLMSXZ PZ", pass(None)),
        (
            "SERVER irc.a :Server A",
            L::Server {
                source: None,
                name: "irc.a".into(),
                hopcount: None,
                token: None,
                info: "Server A".into(),
            },
        ),
        // Answering side (irc-server.c IRC_SERVER): prefixed, hopcount 1.
        (
            ":irc.b PASS secret 0210-IRC+ ngIRCd|26.1:CHLMSXZ PZ",
            pass(s("irc.b")),
        ),
        (
            ":irc.b SERVER irc.b 1 :Server B",
            L::Server {
                source: s("irc.b"),
                name: "irc.b".into(),
                hopcount: Some(1),
                token: None,
                info: "Server B".into(),
            },
        ),
        // Burst (numeric.c IRC_Num_ENDOFMOTD, client.c Client_Announce).
        (
            ":irc.b SERVER irc.c 2 3 :Server C",
            L::Server {
                source: s("irc.b"),
                name: "irc.c".into(),
                hopcount: Some(2),
                token: Some(3),
                info: "Server C".into(),
            },
        ),
        (
            ":ngircd.test.server3 NICK NickName 1 ~User localhost 1 + :Real Name",
            L::Nick {
                source: s("ngircd.test.server3"),
                nick: "NickName".into(),
                hopcount: 1,
                username: "~User".into(),
                host: "localhost".into(),
                token: 1,
                umodes: String::new(),
                realname: "Real Name".into(),
            },
        ),
        (
            ":ngircd.test.server3 NJOIN #Channel :@NickName",
            L::Njoin {
                source: s("ngircd.test.server3"),
                channel: "#Channel".into(),
                members: vec![member("NickName", |m| m.op = true)],
            },
        ),
        (
            ":ngircd.test.server CHANINFO +ModelessChannel +P :A modeless Channel",
            chaninfo("+ModelessChannel", "P", None, None, s("A modeless Channel")),
        ),
        (
            ":ngircd.test.server CHANINFO #FullKeyed +Pkl Secret 0 :",
            chaninfo("#FullKeyed", "Pkl", s("Secret"), None, None),
        ),
        (
            ":ngircd.test.server CHANINFO #InviteChannel +Pi",
            chaninfo("#InviteChannel", "Pi", None, None, None),
        ),
        (
            ":ngircd.test.server PING :ngircd.test.server",
            L::Ping {
                source: s("ngircd.test.server"),
                origin: "ngircd.test.server".into(),
                target: None,
            },
        ),
        (
            ":ngircd.test.server3 PONG :ngircd.test.server",
            L::Pong {
                source: s("ngircd.test.server3"),
                origin: "ngircd.test.server".into(),
                target: None,
            },
        ),
        // irc-channel.c join_forward: user status after a BEL.
        (
            ":bob JOIN #c\x07o",
            L::Join {
                source: s("bob"),
                channels: vec![JoinChannel {
                    name: "#c".into(),
                    modes: "o".into(),
                }],
            },
        ),
        (
            ":ngircd.test.server3 QUIT",
            L::Quit {
                source: s("ngircd.test.server3"),
                reason: None,
            },
        ),
        (
            ":irc.b SQUIT irc.c :Closing",
            L::Squit {
                source: s("irc.b"),
                server: "irc.c".into(),
                comment: "Closing".into(),
            },
        ),
        (
            ":irc.b KILL eve :irc.b (spam)",
            L::Kill {
                source: s("irc.b"),
                nick: "eve".into(),
                comment: "irc.b (spam)".into(),
            },
        ),
        (
            ":bob PART #c :",
            L::Part {
                source: s("bob"),
                channels: vec!["#c".into()],
                reason: s(""),
            },
        ),
    ] {
        let got = link(line);
        assert_eq!(got, expected, "{line:?}");
        assert_eq!(got.to_line(), format!("{line}\r\n"));
    }
    assert!(link("PASS secret 0210-IRC+ ngIRCd|26.1:CHLMSXZ PZ").is_irc_plus());
    // ngIRCd's user mode away: typed as MODE, written without the ':'.
    let away = link(":bob MODE bob :+a");
    assert!(
        matches!(&away, LinkMessage::Mode { modes, args, .. } if modes == "+a" && args.is_empty())
    );
    // 005, 376 and METADATA stay Other, exactly as received.
    for line in [
        ":irc.b 005 irc.a NICKLEN=9 CASEMAPPING=ascii PREFIX=(ov)@+ :are supported on this server",
        ":irc.b 376 irc.a :End of MOTD command",
        ":irc.b METADATA bob cloakhost :cloak.example",
        ":irc.b SERVICE svc@irc.b 1 * +o 1 :A service",
    ] {
        assert_eq!(link(line), LinkMessage::Other(msg(line)));
        assert_eq!(link(line).to_line(), msg(line).to_line());
    }
}

/// The examples of RFC 2813 §4.1 and §4.2.
#[test]
fn rfc2813_examples() {
    let m = link("PASS moresecretpassword 0210010000 IRC|aBgH$ Z");
    let LinkMessage::Pass {
        version,
        flags,
        options,
        ..
    } = &m
    else {
        panic!("{m:?}")
    };
    assert_eq!((version.as_str(), options.as_str()), ("0210010000", "Z"));
    assert_eq!(
        (flags.implementation.as_str(), flags.version.as_str()),
        ("IRC", "aBgH$")
    );
    assert!(!m.is_irc_plus());
    for line in [
        "SERVER test.oulu.fi 1 1 :[tolsun.oulu.fi] Experimental server",
        ":tolsun.oulu.fi SERVER csd.bu.edu 5 34 :BU Central Server",
        "NICK syrk 5 kalt millennium.stealth.net 34 +i :Christophe Kalt",
        ":WiZ QUIT :Gone to have lunch",
        ":Trillian SQUIT cm22.eng.umd.edu :Server out of control",
        ":ircd.stealth.net NJOIN #Twilight_zone :@WiZ,+syrk,avalon",
    ] {
        assert_eq!(link(line).to_line(), format!("{line}\r\n"));
    }
    assert_eq!(link("SQUIT tolsun.oulu.fi :Bad Link ?").source(), None);
    assert_eq!(link(":WiZ QUIT :Gone").source(), Some("WiZ"));
    assert_eq!(link(":x FOO bar").source(), Some("x"));
}

#[test]
fn pass_flags() {
    let f = PassFlags::parse("natter|0.1/TS,,TAGS:CHLMSX");
    assert_eq!(f.capabilities, ["TS", "TAGS"]);
    assert!(f.has_capability(CAP_TS) && !f.has_capability(CAP_ACCOUNT));
    assert!(f.has_flag('C') && !f.has_flag('Z') && !f.has_flag('T'));
    assert_eq!(f.to_string(), "natter|0.1/TS,TAGS:CHLMSX");
    // Capabilities are read for natter only (ASCII case ignored).
    assert_eq!(
        PassFlags::parse("NATTER|1/ACCOUNT").capabilities,
        ["ACCOUNT"]
    );
    let n = PassFlags::parse("ngIRCd|26/x:C");
    assert_eq!((n.version.as_str(), n.capabilities.len()), ("26/x", 0));
    // No '|' or ':' at all.
    let bare = PassFlags::parse("IRC");
    assert_eq!(
        (bare.implementation.as_str(), bare.version.as_str()),
        ("IRC", "")
    );
    assert_eq!(bare.to_string(), "IRC|");
    assert_eq!(PassFlags::parse(""), PassFlags::default());
    assert_eq!(PassFlags::parse("|:").to_string(), "|");
}

#[test]
fn njoin_members() {
    let LinkMessage::Njoin { members, .. } = link("NJOIN #c :+@x,@@y,,%z,&~w") else {
        panic!()
    };
    assert_eq!(
        members,
        [
            member("x", |m| (m.op, m.voice) = (true, true)),
            member("y", |m| (m.creator, m.op) = (true, true)),
            member("z", |m| m.halfop = true),
            member("w", |m| (m.owner, m.admin) = (true, true)),
        ]
    );
    // A creator without the op flag is still written as "@@".
    let m = LinkMessage::Njoin {
        source: None,
        channel: "#c".into(),
        members: vec![member("y", |m| m.creator = true)],
    };
    assert_eq!(m.to_line(), "NJOIN #c :@@y\r\n");
}
