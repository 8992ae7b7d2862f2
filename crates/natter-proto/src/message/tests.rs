//! Unit tests of the parent module.

use super::*;

fn p(line: &str) -> Message {
    Message::parse(line).unwrap_or_else(|e| panic!("parse {line:?}: {e:?}"))
}

fn strs(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

#[test]
fn basic_examples_from_modern_irc() {
    let m = p(":irc.example.com CAP LS * :multi-prefix extended-join sasl");
    assert_eq!(m.source.as_deref(), Some("irc.example.com"));
    assert_eq!(m.command, "CAP");
    assert_eq!(
        m.params,
        strs(&["LS", "*", "multi-prefix extended-join sasl"])
    );

    let m = p("@id=234AB :dan!d@localhost PRIVMSG #chan :Hey what's up!");
    assert_eq!(m.tags, vec![Tag::new("id", Some("234AB"))]);
    assert_eq!(m.source.as_deref(), Some("dan!d@localhost"));
    assert_eq!(m.params, strs(&["#chan", "Hey what's up!"]));

    assert_eq!(
        p(":irc.example.com CAP * LIST :").params,
        strs(&["*", "LIST", ""])
    );
    assert_eq!(
        p("CAP REQ :sasl message-tags foo").params,
        strs(&["REQ", "sasl message-tags foo"])
    );
    assert_eq!(
        p(":dan!d@localhost PRIVMSG #chan Hey!").params,
        strs(&["#chan", "Hey!"])
    );
    assert_eq!(
        p(":dan!d@localhost PRIVMSG #chan ::-)").params,
        strs(&["#chan", ":-)"])
    );
}

#[test]
fn empty_and_spaces() {
    assert_eq!(Message::parse(""), Err(ParseError::Empty));
    assert_eq!(Message::parse(" "), Err(ParseError::Empty));
    assert_eq!(Message::parse("      "), Err(ParseError::Empty));
    assert_eq!(Message::parse_bytes(b""), Err(ParseError::Empty));
    assert_eq!(Message::parse_bytes(b"   "), Err(ParseError::Empty));
}

#[test]
fn no_command() {
    assert_eq!(Message::parse(":nick!u@h"), Err(ParseError::NoCommand));
    assert_eq!(Message::parse(":nick!u@h    "), Err(ParseError::NoCommand));
    assert_eq!(Message::parse("@a=b"), Err(ParseError::NoCommand));
    assert_eq!(Message::parse("@a=b   "), Err(ParseError::NoCommand));
    assert_eq!(Message::parse("@a=b :src"), Err(ParseError::NoCommand));
    assert_eq!(Message::parse("@a=b :src "), Err(ParseError::NoCommand));
    assert_eq!(Message::parse(":"), Err(ParseError::NoCommand));
    assert_eq!(Message::parse("@"), Err(ParseError::NoCommand));
}

#[test]
fn invalid_command() {
    for l in [
        "12 a",
        "1234",
        "PRIV1MSG x",
        "PRIV-MSG",
        "0x1",
        "ÄB",
        ":s 12",
        "@t :s 1a2",
    ] {
        assert_eq!(Message::parse(l), Err(ParseError::InvalidCommand), "{l:?}");
    }
    // A line starting with ':' only after leading spaces is still a source.
    assert_eq!(p("  :src PING x").source.as_deref(), Some("src"));
}

#[test]
fn lowercase_and_numeric_commands() {
    assert_eq!(p("privmsg #a :hi").command, "PRIVMSG");
    assert_eq!(p("PrIvMsG #a :hi").command, "PRIVMSG");
    let m = p(":srv 001 nick :Welcome");
    assert_eq!(m.command, "001");
    assert_eq!(m.params, strs(&["nick", "Welcome"]));
}

#[test]
fn spaces_handling() {
    let m = p("   PRIVMSG    #a     b    :  hello  world  ");
    assert_eq!(m.command, "PRIVMSG");
    assert_eq!(m.params, strs(&["#a", "b", "  hello  world  "]));
    // Trailing spaces after middle params are ignored.
    assert_eq!(p("JOIN #a   ").params, strs(&["#a"]));
    assert_eq!(p("QUIT").params, Vec::<String>::new());
    assert_eq!(p("QUIT ").params, Vec::<String>::new());
    // Empty trailing.
    assert_eq!(p("TOPIC #a :").params, strs(&["#a", ""]));
    // Trailing that is only spaces.
    assert_eq!(p("TOPIC #a :   ").params, strs(&["#a", "   "]));
    // Colon inside a middle param is part of it.
    assert_eq!(p("X a:b c").params, strs(&["a:b", "c"]));
    // Multiple spaces after tags and source.
    let m = p("@a=1    :src     CMD    x");
    assert_eq!(m.tags, vec![Tag::new("a", Some("1"))]);
    assert_eq!(m.source.as_deref(), Some("src"));
    assert_eq!(m.params, strs(&["x"]));
}

#[test]
fn many_params_kept() {
    let line = format!(
        "CMD {}",
        (0..20)
            .map(|i| format!("p{i}"))
            .collect::<Vec<_>>()
            .join(" ")
    );
    let m = p(&format!("{line} :last one"));
    assert_eq!(m.params.len(), 21);
    assert_eq!(m.params[14], "p14");
    assert_eq!(m.params[19], "p19");
    assert_eq!(m.params[20], "last one");
    // A 16th param starting with ':' is still trailing; without ':' it is
    // still a single middle param (no RFC 1459 15-param folding).
    let m = p(&format!("{line} a b"));
    assert_eq!(m.params.len(), 22);
    assert_eq!(m.param(21), Some("b"));
    assert_eq!(m.param(22), None);
}

#[test]
fn tags_parsing_and_escapes() {
    let m = p(r"@a=x\:y\sz\\w\r\n;b;c=;d=tail\;e=\q;+vendor.example/k-1=v CMD");
    assert_eq!(
        m.tags,
        vec![
            Tag {
                key: "a".into(),
                value: Some("x;y z\\w\r\n".into())
            },
            Tag {
                key: "b".into(),
                value: None
            },
            Tag {
                key: "c".into(),
                value: None
            },
            Tag {
                key: "d".into(),
                value: Some("tail".into())
            },
            Tag {
                key: "e".into(),
                value: Some("q".into())
            },
            Tag {
                key: "+vendor.example/k-1".into(),
                value: Some("v".into())
            },
        ]
    );
    assert_eq!(m.command, "CMD");
    // Value that unescapes to empty is None.
    assert_eq!(
        p(r"@a=\ CMD").tags,
        vec![Tag {
            key: "a".into(),
            value: None
        }]
    );
    // Empty entries and empty keys are dropped.
    assert_eq!(
        p("@;;=v;k CMD").tags,
        vec![Tag {
            key: "k".into(),
            value: None
        }]
    );
    // '=' inside a value is kept.
    assert_eq!(p("@k=a=b CMD").tags[0].value.as_deref(), Some("a=b"));
    // Duplicates are kept in order.
    assert_eq!(p("@k=1;k=2 CMD").tags.len(), 2);
}

#[test]
fn unescape_cases() {
    assert_eq!(unescape_tag_value(""), "");
    assert_eq!(unescape_tag_value("plain"), "plain");
    assert_eq!(unescape_tag_value(r"\:"), ";");
    assert_eq!(unescape_tag_value(r"\s"), " ");
    assert_eq!(unescape_tag_value(r"\\"), "\\");
    assert_eq!(unescape_tag_value(r"\r"), "\r");
    assert_eq!(unescape_tag_value(r"\n"), "\n");
    assert_eq!(unescape_tag_value(r"a\"), "a");
    assert_eq!(unescape_tag_value(r"\"), "");
    assert_eq!(unescape_tag_value(r"a\\\"), "a\\");
    assert_eq!(unescape_tag_value(r"\b\é"), "bé");
    assert_eq!(unescape_tag_value(r"\\s"), "\\s");
}

#[test]
fn escape_cases() {
    let mut s = String::new();
    escape_tag_value("a; b\\c\r\nd", &mut s);
    assert_eq!(s, r"a\:\sb\\c\r\nd");
    s.clear();
    escape_tag_value("", &mut s);
    assert_eq!(s, "");
    s.clear();
    escape_tag_value("héllo=", &mut s);
    assert_eq!(s, "héllo=");
    for v in ["", "x", "; \\\r\n", "\\s", "a\\", "ünï ;code"] {
        let mut e = String::new();
        escape_tag_value(v, &mut e);
        assert_eq!(unescape_tag_value(&e), v);
    }
}

#[test]
fn length_limits() {
    // Body: exactly 510 bytes is OK, 511 is not.
    let ok = format!("PRIVMSG #a :{}", "x".repeat(510 - 12));
    assert_eq!(ok.len(), 510);
    assert!(Message::parse(&ok).is_ok());
    let long = format!("{ok}x");
    assert_eq!(Message::parse(&long), Err(ParseError::BodyTooLong));
    // Leading spaces are not counted.
    assert!(Message::parse(&format!("   {ok}")).is_ok());
    // Tags: the section including '@' and the space may be 8191 bytes.
    let tag = format!("@k={}", "v".repeat(8191 - 4));
    assert_eq!(tag.len() + 1, 8191);
    let m = p(&format!("{tag} {ok}"));
    assert_eq!(m.tags[0].value.as_ref().map(String::len), Some(8187));
    assert_eq!(
        Message::parse(&format!("{tag}v {ok}")),
        Err(ParseError::TagsTooLong)
    );
    // Without a space the section is the whole rest: 8191 bytes is fine.
    assert_eq!(
        Message::parse(&format!("{tag}v")),
        Err(ParseError::NoCommand)
    );
    assert_eq!(
        Message::parse(&format!("{tag}vv")),
        Err(ParseError::TagsTooLong)
    );
    assert_eq!(
        Message::parse(&format!("{tag} {long}")),
        Err(ParseError::BodyTooLong)
    );
    assert_eq!(
        Message::parse(&format!("{tag}vv {long}")),
        Err(ParseError::TagsTooLong)
    );
}

#[test]
fn parse_bytes_utf8() {
    assert_eq!(
        Message::parse_bytes(b"PRIVMSG #a :\xff\xfe").unwrap_err(),
        ParseError::InvalidUtf8
    );
    assert_eq!(
        Message::parse_bytes(b"\xffPING").unwrap_err(),
        ParseError::InvalidUtf8
    );
    // Truncated multibyte sequence.
    assert_eq!(
        Message::parse_bytes(b"PING :\xc3").unwrap_err(),
        ParseError::InvalidUtf8
    );
    // Length errors win over UTF-8 errors.
    let mut long = b"PRIVMSG #a :".to_vec();
    long.extend_from_slice(&[0xffu8; 600]);
    assert_eq!(Message::parse_bytes(&long), Err(ParseError::BodyTooLong));
    let mut tags = b"@k=".to_vec();
    tags.extend_from_slice(&[0xffu8; 9000]);
    tags.extend(b" PING");
    assert_eq!(Message::parse_bytes(&tags), Err(ParseError::TagsTooLong));
    // Valid UTF-8 passes.
    let m = Message::parse_bytes("PRIVMSG #ä :héllo wörld".as_bytes()).unwrap();
    assert_eq!(m.params, strs(&["#ä", "héllo wörld"]));
    assert_eq!(Message::parse_bytes(b"  "), Err(ParseError::Empty));
}

#[test]
fn serialize() {
    let m = Message::new("PRIVMSG", strs(&["#a", "hello world"]));
    assert_eq!(m.to_line(), "PRIVMSG #a :hello world\r\n");
    assert_eq!(Message::new("PING", strs(&["x"])).to_line(), "PING x\r\n");
    assert_eq!(Message::new("QUIT", vec![]).to_line(), "QUIT\r\n");
    assert_eq!(
        Message::new("TOPIC", strs(&["#a", ""])).to_line(),
        "TOPIC #a :\r\n"
    );
    assert_eq!(Message::new("X", strs(&[":-)"])).to_line(), "X ::-)\r\n");
    assert_eq!(Message::new("X", strs(&["a:b"])).to_line(), "X a:b\r\n");
    let m = Message {
        tags: vec![
            Tag::new("a", Some("x; y")),
            Tag::new("b", None),
            Tag::new("c", Some("")),
        ],
        source: Some("n!u@h".into()),
        command: "PRIVMSG".into(),
        params: strs(&["#a", "hi"]),
    };
    assert_eq!(m.to_line(), "@a=x\\:\\sy;b;c :n!u@h PRIVMSG #a hi\r\n");
    // Tag with Some("") written directly (not via Tag::new) is key only.
    let m2 = Message {
        tags: vec![Tag {
            key: "k".into(),
            value: Some(String::new()),
        }],
        ..Message::new("PING", vec![])
    };
    assert_eq!(m2.to_line(), "@k PING\r\n");
    let mut out = String::from("prefix|");
    m.write_to(&mut out);
    assert_eq!(out, "prefix|@a=x\\:\\sy;b;c :n!u@h PRIVMSG #a hi\r\n");
}

#[test]
fn write_line_matches_write_to() {
    let mut out = String::new();
    write_line(
        &mut out,
        None,
        Some("srv"),
        "001",
        &["nick", "Welcome to IRC"],
    );
    assert_eq!(out, ":srv 001 nick :Welcome to IRC\r\n");
    out.clear();
    write_line(&mut out, Some(""), None, "PING", &[]);
    assert_eq!(out, "PING\r\n");
    out.clear();
    write_line(
        &mut out,
        Some("time=2020-01-01T00:00:00.000Z"),
        Some("a!b@c"),
        "PRIVMSG",
        &["#x", ""],
    );
    assert_eq!(
        out,
        "@time=2020-01-01T00:00:00.000Z :a!b@c PRIVMSG #x :\r\n"
    );
    let m = p(&out[..out.len() - 2]);
    assert_eq!(m.to_line(), out);
    out.clear();
    write_line(&mut out, None, None, "MODE", &["#a", "+o", "nick"]);
    assert_eq!(out, "MODE #a +o nick\r\n");
    // Exact reservation: one growth at most, no reallocation when reserved.
    let mut out = String::with_capacity(64);
    let cap = out.capacity();
    write_line(&mut out, None, Some("s"), "X", &["a", "b c"]);
    assert_eq!(out.capacity(), cap);
}

#[test]
fn param_accessor() {
    let m = p("KICK #a bob :bye now");
    assert_eq!(m.param(0), Some("#a"));
    assert_eq!(m.param(2), Some("bye now"));
    assert_eq!(m.param(3), None);
}

#[test]
fn parse_serialize_canonical() {
    for (input, canon) in [
        ("privmsg   #a   :hi there", "PRIVMSG #a :hi there\r\n"),
        ("privmsg #a :hi", "PRIVMSG #a hi\r\n"),
        ("@a;b=\\s :s  NOTICE  x :", "@a;b=\\s :s NOTICE x :\r\n"),
        ("@a=\\ PING", "@a PING\r\n"),
    ] {
        assert_eq!(p(input).to_line(), canon);
    }
}

/// xorshift64* PRNG, enough for property-style tests without crates.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick(&mut self, set: &[char]) -> char {
        set[self.below(set.len())]
    }
    fn string(&mut self, set: &[char], min: usize, max: usize) -> String {
        let n = min + self.below(max - min + 1);
        (0..n).map(|_| self.pick(set)).collect()
    }
}

fn random_message(r: &mut Rng) -> Message {
    const KEY: &[char] = &['a', 'b', 'z', 'A', '0', '9', '-', '.', '/'];
    const VAL: &[char] = &[
        'a', 'Z', '0', ';', ' ', '\\', '\r', '\n', '=', ':', '@', 'é', '☃', 's',
    ];
    const WORD: &[char] = &[
        'a', 'B', '0', '#', '!', '@', '.', ':', '-', '[', ']', '\\', 'é', '☃',
    ];
    const WORD_START: &[char] = &['a', 'B', '0', '#', '!', '@', '.', '-', '[', 'é'];
    const TRAIL: &[char] = &['a', ' ', ':', '#', 'é', '\u{1}', '\\', '☃'];
    let mut m = Message::default();
    for _ in 0..r.below(5) {
        let mut key = String::new();
        if r.below(3) == 0 {
            key.push('+');
        }
        key.push(r.pick(&['a', 'q', 'x']));
        key.push_str(&r.string(KEY, 0, 12));
        let value = if r.below(3) == 0 {
            None
        } else {
            Some(r.string(VAL, 1, 20))
        };
        m.tags.push(Tag { key, value });
    }
    if r.below(2) == 0 {
        let mut s = String::new();
        s.push(r.pick(WORD_START));
        s.push_str(&r.string(WORD, 0, 30));
        m.source = Some(s);
    }
    m.command = if r.below(3) == 0 {
        format!("{:03}", r.below(1000))
    } else {
        r.string(&['A', 'B', 'P', 'R', 'I', 'V', 'M', 'S', 'G', 'Z'], 1, 10)
    };
    let n = r.below(20);
    for i in 0..n {
        if i + 1 == n && r.below(2) == 0 {
            m.params.push(r.string(TRAIL, 0, 30));
        } else {
            let mut s = String::new();
            s.push(r.pick(WORD_START));
            s.push_str(&r.string(WORD, 0, 15));
            m.params.push(s);
        }
    }
    m
}

#[test]
fn randomized_garbage_never_panics_and_reparses() {
    const BYTES: &[u8] = b"   ::@;=\\aZbYcXdW19#!.\xff\xc3\xa9";
    let mut r = Rng(0xDEAD_BEEF_CAFE_F00D);
    let mut accepted = 0;
    for _ in 0..50_000 {
        let n = r.below(40);
        let line: Vec<u8> = (0..n).map(|_| BYTES[r.below(BYTES.len())]).collect();
        if let Ok(m) = Message::parse_bytes(&line) {
            accepted += 1;
            // Anything we accept re-serializes into a line that parses back
            // to the same message.
            let out = m.to_line();
            assert_eq!(
                Message::parse(&out[..out.len() - 2]),
                Ok(m.clone()),
                "{line:?}"
            );
        }
    }
    assert!(accepted > 1000, "accepted={accepted}");
}

#[test]
fn randomized_round_trip() {
    let mut r = Rng(0x9E37_79B9_7F4A_7C15);
    let (mut ok, mut too_long) = (0, 0);
    for _ in 0..20_000 {
        let m = random_message(&mut r);
        let line = m.to_line();
        assert!(line.ends_with("\r\n"));
        let body = &line[..line.len() - 2];
        let tag_section = if m.tags.is_empty() {
            0
        } else {
            body.find(' ').unwrap() + 1
        };
        let parsed = Message::parse(body);
        if body.len() - tag_section > MAX_BODY_LEN {
            assert_eq!(parsed, Err(ParseError::BodyTooLong), "{body:?}");
            too_long += 1;
            continue;
        }
        assert_eq!(parsed.as_ref(), Ok(&m), "{body:?}");
        assert_eq!(Message::parse_bytes(body.as_bytes()).as_ref(), Ok(&m));
        if m.tags.is_empty() {
            let params: Vec<&str> = m.params.iter().map(String::as_str).collect();
            let mut out = String::new();
            write_line(&mut out, None, m.source.as_deref(), &m.command, &params);
            assert_eq!(out, line);
        }
        ok += 1;
    }
    assert!(ok > 15_000, "ok={ok} too_long={too_long}");
}

#[test]
fn a_nul_anywhere_is_refused() {
    for line in [
        &b"PRIVMSG #a :hi\0there"[..],
        b"PRIV\0MSG #a :x",
        b"@a=\0 PING x",
    ] {
        assert_eq!(
            Message::parse_bytes(line),
            Err(ParseError::NulByte),
            "{line:?}"
        );
    }
    assert_eq!(Message::parse("NOTICE x :\0"), Err(ParseError::NulByte));
}
