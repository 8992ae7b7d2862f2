//! Unit tests of the parent module.

use super::*;

#[test]
fn input_lines() {
    assert_eq!(parse_input(""), Input::Nothing);
    assert_eq!(parse_input("  "), Input::Nothing);
    assert_eq!(
        parse_input("hello /there"),
        Input::Text("hello /there".into())
    );
    assert_eq!(parse_input("//join 3"), Input::Text("/join 3".into()));
    assert_eq!(
        parse_input("/invite ben  cat,dan"),
        Input::Invite(vec!["ben".into(), "cat".into(), "dan".into()])
    );
    assert!(matches!(parse_input("/invite"), Input::Usage(_)));
    assert_eq!(parse_input("/join 3"), Input::Join(3));
    assert_eq!(parse_input("/JOIN #3 "), Input::Join(3));
    assert!(matches!(parse_input("/join x"), Input::Usage(_)));
    assert!(matches!(parse_input("/join 0"), Input::Usage(_)));
    assert_eq!(parse_input("/leave 3"), Input::Leave(3));
    assert_eq!(parse_input("/list"), Input::List);
    assert_eq!(
        parse_input("/msg 3   hi  there"),
        Input::Msg(3, "hi  there".into())
    );
    assert!(matches!(parse_input("/msg 3"), Input::Usage(_)));
    assert!(matches!(parse_input("/msg x hi"), Input::Usage(_)));
    assert_eq!(
        parse_input("/status busy now"),
        Input::Status("busy now".into())
    );
    assert!(matches!(parse_input("/status"), Input::Usage(_)));
    assert_eq!(parse_input("/away"), Input::Status("away".into()));
    assert_eq!(parse_input("/away lunch"), Input::Status("lunch".into()));
    assert_eq!(parse_input("/back"), Input::Status("online".into()));
    assert_eq!(parse_input("/who"), Input::Who);
    assert_eq!(parse_input("/help"), Input::Help);
    assert_eq!(parse_input("/quit"), Input::Quit);
    assert_eq!(parse_input("/frob x"), Input::Unknown("frob".into()));
}

#[test]
fn online_line() {
    let users: BTreeMap<String, String> = [
        ("ann".to_string(), "online".to_string()),
        ("ben".to_string(), "lunch".to_string()),
        ("cat".to_string(), "away".to_string()),
    ]
    .into();
    assert_eq!(
        format_online(&users),
        "online: ann (online), ben (away: lunch), cat (away)"
    );
    assert_eq!(format_online(&BTreeMap::new()), "online: nobody");
}

#[test]
fn conversation_list() {
    let convs: BTreeMap<ConvId, Vec<String>> =
        [(1, vec!["ann".to_string(), "ben".to_string()]), (2, vec![])].into();
    assert_eq!(
        format_conversations(&convs, Some(1)),
        [
            "conversations:",
            "  [1] ann, ben (current)",
            "  [2] (nobody has joined yet)"
        ]
    );
    assert_eq!(
        format_conversations(&BTreeMap::new(), None),
        ["no conversations"]
    );
}

#[test]
fn control_characters_are_not_printed() {
    assert_eq!(
        clean("a\x1b[2Jb\tc\r\u{9b}"),
        "a\u{FFFD}[2Jb c\u{FFFD}\u{FFFD}"
    );
}

#[test]
fn default_port() {
    assert_eq!(with_default_port("127.0.0.1:7000"), "127.0.0.1:7000");
    assert_eq!(with_default_port("127.0.0.1"), "127.0.0.1:6666");
    assert_eq!(with_default_port("localhost"), "localhost:6666");
    assert_eq!(with_default_port("localhost:7000"), "localhost:7000");
    assert_eq!(with_default_port("::1"), "[::1]:6666");
    assert_eq!(with_default_port("[::1]:7000"), "[::1]:7000");
}
