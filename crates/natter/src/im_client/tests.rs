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

#[test]
fn send_and_get_lines() {
    use std::path::PathBuf;
    let id = "AbCdEfGhIjKlMnOpQr-_09";
    assert_eq!(
        parse_input("/send report.pdf"),
        Input::Send("report.pdf".into())
    );
    assert_eq!(
        parse_input("/send  'my report.pdf' "),
        Input::Send("my report.pdf".into())
    );
    assert_eq!(
        parse_input("/send \"/tmp/a b\""),
        Input::Send("/tmp/a b".into())
    );
    if let Some(home) = std::env::var_os("HOME") {
        assert_eq!(
            parse_input("/send ~/x.bin"),
            Input::Send(PathBuf::from(home).join("x.bin"))
        );
    }
    assert_eq!(parse_input("/send ~x"), Input::Send("~x".into()));
    assert!(matches!(parse_input("/send"), Input::Usage(_)));
    assert!(matches!(parse_input("/send ''"), Input::Usage(_)));

    assert_eq!(
        parse_input(&format!("/get {id}")),
        Input::Get(id.into(), None)
    );
    assert_eq!(
        parse_input(&format!("/GET {id}  out dir/x.bin")),
        Input::Get(id.into(), Some("out dir/x.bin".into()))
    );
    // The link from an announcement, as copied.
    for link in [
        format!("http://127.0.0.1:8080/files/{id}/report.pdf"),
        format!("https://chat.example.org/files/{id}/a%20b.pdf"),
        format!("<https://chat.example.org/files/{id}/x>"),
        format!("HTTPS://chat.example.org/natter/files/{id}"),
        format!("https://chat.example.org/files/{id}/x?download=1"),
    ] {
        assert_eq!(
            parse_input(&format!("/get {link}")),
            Input::Get(id.into(), None),
            "{link}"
        );
    }
    for wrong in [
        "/get",
        "/get report.pdf",
        "/get AbCdEfGhIjKlMnOpQr-_0",
        "/get AbCdEfGhIjKlMnOpQr-_09x",
        "/get AbCdEfGhIjKlMnOpQr+/09",
        "/get ftp://host/files/AbCdEfGhIjKlMnOpQr-_09/x",
        "/get http://host/other/AbCdEfGhIjKlMnOpQr-_09/x",
        "/get http://host/files/uploads/AbCdEfGhIjKlMnOpQr-_09",
        "/get http://AbCdEfGhIjKlMnOpQr-_09",
    ] {
        assert!(matches!(parse_input(wrong), Input::Usage(_)), "{wrong}");
    }
}

#[test]
fn names_to_save_under() {
    use std::path::Path;
    let id = "AbCdEfGhIjKlMnOpQr-_09";
    assert_eq!(transfer::safe_name("report.pdf", id), "report.pdf");
    assert_eq!(transfer::safe_name("../../etc/passwd", id), "passwd");
    assert_eq!(transfer::safe_name("C:\\x\\y.txt", id), "y.txt");
    assert_eq!(transfer::safe_name("a\u{1b}[2Jb", id), "a[2Jb");
    for nothing in ["", " ", ".", "..", "dir/", "\u{7}"] {
        assert_eq!(transfer::safe_name(nothing, id), id, "{nothing:?}");
    }
    assert_eq!(
        transfer::part_path(Path::new("dir/x.bin")),
        Path::new("dir/x.bin.part")
    );
    assert_eq!(progress::percent(40_000, 100_000), 40);
    assert_eq!(progress::percent(99_999, 100_000), 99);
    assert_eq!(progress::percent(5, 0), 100);
    assert_eq!(progress::percent(u64::MAX, u64::MAX), 100);
}
