//! Malformed lines give the right [`LinkError`]; truncated, odd and huge
//! input never panics.

use super::*;

#[test]
fn malformed_lines() {
    let missing = |command, param| LinkError::MissingParam { command, param };
    let nan = |command, param, value: &str| LinkError::NotANumber {
        command,
        param,
        value: value.into(),
    };
    for (line, expected) in [
        ("PASS", missing("PASS", "password")),
        ("PASS pw", missing("PASS", "version")),
        ("PASS pw 0210-IRC+", missing("PASS", "flags")),
        ("SERVER", missing("SERVER", "servername")),
        ("SERVER irc.a", missing("SERVER", "info")),
        ("SERVER irc.a x :info", nan("SERVER", "hopcount", "x")),
        ("SERVER irc.a 1 -3 :info", nan("SERVER", "token", "-3")),
        ("SERVER irc.a +1 3 :info", nan("SERVER", "hopcount", "+1")),
        (
            "SERVER irc.a 1 99999999999 :i",
            nan("SERVER", "token", "99999999999"),
        ),
        ("NICK", missing("NICK", "nickname")),
        ("NICK bob 1", missing("NICK", "username")),
        ("NICK bob 1 u", missing("NICK", "host")),
        ("NICK bob 1 u h 1 +i", missing("NICK", "realname")),
        ("NICK bob one u h 1 +i :R", nan("NICK", "hopcount", "one")),
        (
            "NICK bob 1 u h 1.5 +i :R",
            nan("NICK", "servertoken", "1.5"),
        ),
        ("SQUIT irc.c", missing("SQUIT", "comment")),
        ("NJOIN #c", missing("NJOIN", "members")),
        ("MODE #c", missing("MODE", "modestring")),
        ("TOPIC #c", missing("TOPIC", "topic")),
        ("JOIN", missing("JOIN", "channel")),
        ("KICK #c", missing("KICK", "user")),
        ("INVITE bob", missing("INVITE", "channel")),
        ("PRIVMSG #c", missing("PRIVMSG", "text to be sent")),
        ("notice", missing("NOTICE", "msgtarget")),
        ("KILL eve", missing("KILL", "comment")),
        ("WALLOPS", missing("WALLOPS", "text")),
        ("PING", missing("PING", "server1")),
        ("PONG", missing("PONG", "server")),
        ("CHANINFO #c", missing("CHANINFO", "modes")),
        ("CHANINFO #c +k key 0", missing("CHANINFO", "topic")),
        ("CHANINFO #c +l * lots :t", nan("CHANINFO", "limit", "lots")),
    ] {
        assert_eq!(err(line), expected, "{line:?}");
    }
    assert_eq!(
        err("CHANINFO #c nt").to_string(),
        "CHANINFO: bad <modes> \"nt\": mode letters after a '+'"
    );
    assert_eq!(
        err("NJOIN #c :@,bob").to_string(),
        "NJOIN: bad <members> \"@\": a nickname after the prefixes"
    );
    assert!(matches!(
        err("JOIN :,"),
        LinkError::Malformed {
            param: "channel",
            ..
        }
    ));
    assert_eq!(
        err("JOIN #a,\x07o").to_string(),
        "JOIN: bad <channel> \"\\u{7}o\": a channel name before the BEL"
    );
    assert!(matches!(
        err("PART ,,"),
        LinkError::Malformed {
            param: "channel",
            ..
        }
    ));
    // Found by the fuzz target link_line: with a reason after it, a list
    // starting with ':' (once the empty entry is dropped) was written
    // back as the trailing parameter.
    assert_eq!(
        err(":bob PART ,:b#c,1cOT PART :b,#c,1,#").to_string(),
        "PART: bad <channel> \":b#c\": a channel name"
    );
    assert_eq!(
        err("SERVER irc.a").to_string(),
        "SERVER: missing parameter <info>"
    );
    assert_eq!(
        err("NICK b x u h 1 + :r").to_string(),
        "NICK: <hopcount> is not a number: \"x\""
    );
    // Lower-case commands are recognised; extra parameters are ignored.
    assert!(matches!(link("squit a b c"), LinkMessage::Squit { .. }));
}

/// Every prefix of real lines either fails cleanly or parses to something
/// that writes and parses back to itself; huge input does not panic.
#[test]
fn truncated_and_odd_input_never_panics() {
    let mut lines: Vec<String> = samples()
        .iter()
        .map(|m| m.to_line().trim_end().to_owned())
        .collect();
    lines.extend(
        [
            ":irc.b PASS secret 0210-IRC+ ngIRCd|26.1:CHLMSXZ PZ",
            ":ngircd.test.server CHANINFO #FullKeyed +Pkl Secret 0 :A topic",
            ":bob JOIN #a\x07ov,#b,,&c\x07",
            "NJOIN #c :@@a,~&@%+b,+",
        ]
        .map(str::to_owned),
    );
    let mut checked = 0;
    for line in &lines {
        for end in (0..=line.len()).filter(|&i| line.is_char_boundary(i)) {
            let Ok(m) = Message::parse(&line[..end]) else {
                continue;
            };
            if let Ok(l) = LinkMessage::parse(&m) {
                assert_eq!(link(l.to_line().trim_end_matches(['\r', '\n'])), l);
                checked += 1;
            }
        }
    }
    assert!(checked > 500, "{checked}");

    // Every known command with 0 to 7 odd parameters.
    const ODD: &[&str] = &[
        "",
        ":",
        "+",
        "@@",
        "\x07",
        ",",
        "*",
        "0",
        "-1",
        "4294967296",
        "é",
        "a b",
        "#c",
    ];
    for command in KNOWN {
        for n in 0..8 {
            for shift in 0..ODD.len() {
                let params = (0..n).map(|i| ODD[(i * 5 + shift) % ODD.len()].to_owned());
                if let Ok(l) = LinkMessage::parse(&Message::new(command, params.collect())) {
                    assert!(l.to_line().ends_with("\r\n"));
                }
            }
        }
    }

    // Long and odd parameters, built directly (no 512-byte limit).
    let long = "x".repeat(100_000);
    let members = vec!["@@+"; 5000].join(",") + "a";
    for (command, params) in [
        ("NJOIN", vec!["#c".to_owned(), members]),
        ("NJOIN", vec!["#c".to_owned(), format!("{long},@{long}")]),
        ("JOIN", vec!["\x07".repeat(1000)]),
        (
            "CHANINFO",
            vec![
                "#c".into(),
                "+".into(),
                "*".into(),
                long.clone(),
                "t".into(),
            ],
        ),
        (
            "CHANINFO",
            vec![
                "#c".into(),
                "+".into(),
                "k".into(),
                "18446744073709551616".into(),
                "t".into(),
            ],
        ),
        (
            "SERVER",
            vec![long.clone(), "4294967296".into(), "1".into(), "i".into()],
        ),
        ("NICK", vec![long.clone(); 7]),
        (
            "NICK",
            vec![
                "é".into(),
                "1".into(),
                "☃".into(),
                "h".into(),
                "2".into(),
                "+".into(),
                "\u{1}".into(),
            ],
        ),
        ("PASS", vec!["p".into(), "é".into(), "natter|/,,,:".into()]),
        ("MODE", vec!["#c".into(), "+b".into(), long.clone()]),
    ] {
        let m = Message::new(command, params);
        if let Ok(l) = LinkMessage::parse(&m) {
            let mut out = String::new();
            l.write(&mut out);
            assert!(out.ends_with("\r\n"));
        }
    }
}
