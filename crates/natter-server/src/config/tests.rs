//! Unit tests of the configuration: parsing, every error form, blanking.

use super::load::Statements;
use super::*;

#[test]
fn empty_file_is_the_defaults() {
    let c = Config::parse("").unwrap();
    assert_eq!(c.server.name, "natter.local");
    assert_eq!(
        c.listen.irc,
        vec!["127.0.0.1:6667".parse::<SocketAddr>().unwrap()]
    );
}

/// The one error `text` has.
fn only_error(text: &str) -> ConfigError {
    let mut errors = Config::parse(text).unwrap_err().0;
    assert_eq!(errors.len(), 1, "{errors:#?}");
    errors.remove(0)
}

/// Each error of `text` as `(line, key, message)`.
fn all_errors(text: &str) -> Vec<(Option<usize>, String, String)> {
    Config::parse(text)
        .unwrap_err()
        .0
        .into_iter()
        .map(|e| (e.line, e.key.unwrap_or_default(), e.message))
        .collect()
}

#[test]
fn unknown_key_names_line_and_key() {
    let e = only_error("[server]\nname = \"a.b\"\n\n[limits]\nnicklenn = 5\n");
    assert_eq!(e.line, Some(5));
    assert_eq!(e.key.as_deref(), Some("limits.nicklenn"));
    assert!(e.message.contains("unknown field"), "{}", e.message);
}

#[test]
fn bad_value_names_line_and_key() {
    let e = only_error("[listen]\nirc = [\"nonsense\"]\n");
    assert_eq!(e.line, Some(2));
    assert_eq!(e.key.as_deref(), Some("listen.irc"));
    let e = only_error("[limits]\n# c\nnicklen = 0\n");
    assert_eq!(
        (e.line, e.key.as_deref()),
        (Some(3), Some("limits.nicklen"))
    );
    let e = only_error("[server]\nname = \"nodot\"\n");
    assert_eq!((e.line, e.key.as_deref()), (Some(2), Some("server.name")));
}

#[test]
fn every_error_of_a_file_is_reported_in_file_order() {
    let text = "\
[server]
name = \"nodot\"
allow_die = \"yes\"

[limits]
nicklenn = 5
nicklen = 0
topiclen = -3
client_tag_deny = [
  \"typing\",
  5,
]

[timeouts]
ping_interval = \"soon\"
registration = 0
";
    let got = all_errors(text);
    let lines: Vec<_> = got
        .iter()
        .map(|(l, k, _)| (l.unwrap(), k.as_str()))
        .collect();
    assert_eq!(
        lines,
        [
            (2, "server.name"),
            (3, "server.allow_die"),
            (6, "limits.nicklenn"),
            (7, "limits.nicklen"),
            (8, "limits.topiclen"),
            // The line of the bad element, in the key's multi-line value.
            (11, "limits.client_tag_deny"),
            (15, "timeouts.ping_interval"),
            (16, "timeouts.registration"),
        ],
        "{got:#?}"
    );
    assert!(got[2].2.starts_with("unknown field `nicklenn`"), "{got:#?}");
    assert!(got[3].2.contains("out of range"), "{got:#?}");
    assert!(got[7].2.contains("at least 1 second"), "{got:#?}");
}

#[test]
fn an_unknown_section_is_one_error_and_the_rest_is_still_read() {
    let text = "\
[bogus]
a = 1

[bogus.deeper]
b = \"x\"

[limits]
nicklen = 0

[[oper]]
name = \"a\"

[[oper]]
name = \"b\"
password = \"plain\"
";
    let got = all_errors(text);
    let keys: Vec<_> = got
        .iter()
        .map(|(l, k, _)| (l.unwrap(), k.as_str()))
        .collect();
    assert_eq!(
        keys,
        [
            (1, "bogus"),
            (8, "limits.nicklen"),
            (10, "oper"),
            (15, "oper.password")
        ],
        "{got:#?}"
    );
    assert!(got[0].2.starts_with("unknown field `bogus`"), "{got:#?}");
    assert_eq!(got[2].2, "missing field `password`");
    assert!(got[3].2.contains("oper \"b\""), "{got:#?}");
}

#[test]
fn each_oper_block_is_named_by_its_own_line() {
    let text = format!(
        "[[oper]]\nname = \"a\"\npassword = \"{}\"\n\n[[oper]]\nname = \"b\"\npassword = \"plain\"\n",
        "$argon2id$v=19$m=8,t=1,p=1$bmF0dGVyLWNsaS1zYWx0$l4DZI4mqTXHv3U/nZo5C8v5ULmfDKT4lCN1LeoZNAU0"
    );
    assert_eq!(
        all_errors(&text)
            .into_iter()
            .map(|(l, k, _)| (l, k))
            .collect::<Vec<_>>(),
        [(Some(7), "oper.password".to_string())]
    );
}

#[test]
fn privacy_cloaks_by_default_and_checks_the_suffix() {
    let c = Config::parse("").unwrap();
    assert!(c.privacy.cloak);
    assert_eq!(c.privacy.cloak_suffix, "IP");
    let c = Config::parse("[privacy]\ncloak = false\ncloak_suffix = \"users.example\"\n").unwrap();
    assert!(!c.privacy.cloak);
    let e = only_error("[privacy]\n\ncloak_suffix = \"a b\"\n");
    assert_eq!(
        (e.line, e.key.as_deref()),
        (Some(3), Some("privacy.cloak_suffix"))
    );
}

#[test]
fn a_syntax_error_stops_at_the_first() {
    let e = only_error("[server\nname = \"a.b\"\n\n[limits]\nnicklen = 0\n");
    assert_eq!((e.line, e.key.as_deref()), (Some(1), Some("server")));
    assert!(e.message.contains("invalid table header"), "{}", e.message);
}

#[test]
fn blanking_keeps_lines_offsets_and_utf8() {
    let text = "[a]\nx = \"é\"\ny = [\n  1,\n]\nz = 2\n";
    let doc = toml_edit::ImDocument::parse(text).unwrap();
    let statements = Statements::of(text, &doc);
    let mut blanked = text.to_string();
    assert!(statements.blank(&mut blanked, text.find("1,").unwrap()));
    assert_eq!(blanked.len(), text.len());
    assert_eq!(blanked, "[a]\nx = \"é\"\n     \n    \n \nz = 2\n");
    assert!(statements.blank(&mut blanked, text.find('é').unwrap()));
    assert!(blanked.starts_with("[a]\n        \n"), "{blanked:?}");
}

#[test]
fn rehash_summary_is_one_line_with_a_count() {
    let errors = Config::parse("[limits]\nnicklen = 0\ntopiclen = 0\nkicklen = 0\n").unwrap_err();
    assert_eq!(errors.0.len(), 3);
    assert_eq!(errors.to_string().lines().count(), 3);
    let one = errors.summary();
    assert_eq!(one.key.as_deref(), Some("limits.nicklen"));
    assert!(
        one.message.ends_with("(and 2 more problems)"),
        "{}",
        one.message
    );
}

#[test]
fn type_errors_say_what_is_expected_in_words() {
    for (text, want) in [
        (
            "[timeouts]\nping_interval = \"2m\"\n",
            "invalid type: string \"2m\", expected a whole number of seconds",
        ),
        (
            "[im]\nonline_users_interval = 1.5\n",
            "invalid type: floating point `1.5`, expected a whole number of seconds",
        ),
        (
            "[limits]\nnicklen = -3\n",
            "invalid value: integer `-3`, expected a whole number",
        ),
        (
            "[server]\nallow_die = \"yes\"\n",
            "invalid type: string \"yes\", expected true or false",
        ),
        (
            "[server]\nname = 5\n",
            "invalid type: integer `5`, expected a string",
        ),
        (
            "[server]\ndata_dir = 5\n",
            "invalid type: integer `5`, expected a path as a string, such as \"natter-data\"",
        ),
        (
            "[listen]\nirc = \"127.0.0.1:6667\"\n",
            "invalid type: string \"127.0.0.1:6667\", expected a list of addresses, such as [\"127.0.0.1:6667\"]",
        ),
        (
            "[listen]\nim = [\"nonsense\"]\n",
            "\"nonsense\" is not an address: an IP address or host name and a port are \
             needed, such as 127.0.0.1:6667",
        ),
        (
            "[listen]\nim = [5]\n",
            "invalid type: integer `5`, expected an address such as 127.0.0.1:6667",
        ),
        (
            "[limits]\nclient_tag_deny = \"*\"\n",
            "invalid type: string \"*\", expected a list of strings, such as [\"typing\"]",
        ),
        (
            "limits = 3\n",
            "invalid type: integer `3`, expected a [limits] table",
        ),
        (
            "oper = 3\n",
            "invalid type: integer `3`, expected [[oper]] tables",
        ),
    ] {
        assert_eq!(only_error(text).message, want, "for {text:?}");
    }
}

#[test]
fn listen_addresses_may_be_host_names() {
    let c = Config::parse("[listen]\nirc = [\"localhost:6667\", \"127.0.0.1:7000\"]\n").unwrap();
    assert!(c.listen.irc.len() >= 2, "{:?}", c.listen.irc);
    assert!(c.listen.irc[..c.listen.irc.len() - 1]
        .iter()
        .all(|a| a.ip().is_loopback() && a.port() == 6667));
    assert_eq!(c.listen.irc.last().unwrap().to_string(), "127.0.0.1:7000");
    assert_eq!(
        resolve_listen("[::1]:6667").unwrap(),
        ["[::1]:6667".parse::<SocketAddr>().unwrap()]
    );
}

#[test]
fn listen_address_errors_say_what_is_needed() {
    let fail = |text: &str| {
        resolve_listen_with(text, |host, _| {
            Err(std::io::Error::other(format!("no such host {host}")))
        })
        .unwrap_err()
    };
    let needed = "an IP address or host name and a port are needed, such as 127.0.0.1:6667";
    assert_eq!(
        fail("localhost"),
        format!("\"localhost\" is not an address: {needed}")
    );
    assert_eq!(
        fail(":6667"),
        format!("\":6667\" is not an address: {needed}")
    );
    assert_eq!(
        fail("localhost:irc"),
        format!(
            "\"localhost:irc\" is not an address: \"irc\" is not a port (0 to 65535); {needed}"
        )
    );
    assert_eq!(
        fail("irc.example:6667"),
        "cannot resolve \"irc.example\": no such host irc.example"
    );
    let twice = resolve_listen_with("h:1", |_, port| {
        let a = SocketAddr::from(([127, 0, 0, 1], port));
        Ok(vec![a, a])
    });
    assert_eq!(twice.unwrap().len(), 1);
    assert_eq!(
        resolve_listen_with("h:1", |_, _| Ok(vec![])).unwrap_err(),
        "\"h\" resolves to no address"
    );
}

#[test]
fn no_key_of_the_example_names_a_rust_type_in_its_errors() {
    // Every key of the example given a value of each wrong kind.
    let example = include_str!("../../../../natter.example.toml");
    let doc = toml_edit::ImDocument::parse(example).unwrap();
    let hash = &Config::parse(example).unwrap().opers[0].password;
    let mut tried = 0;
    for (section, item) in doc.as_table().iter() {
        let table = match item {
            toml_edit::Item::Table(t) => t.clone(),
            toml_edit::Item::ArrayOfTables(a) => a.get(0).unwrap().clone(),
            _ => panic!("{section} is not a table"),
        };
        let header = if item.is_array_of_tables() {
            format!("[[{section}]]\nname = \"a\"\npassword = \"{hash}\"\n")
        } else {
            format!("[{section}]\n")
        };
        for (key, value) in table.iter() {
            let wrong: &[&str] = match value.as_value().unwrap() {
                toml_edit::Value::Integer(_) => &["\"x\"", "-1", "1.5", "true", "[1]"],
                toml_edit::Value::String(_) => &["5", "true", "[\"a\"]"],
                toml_edit::Value::Boolean(_) => &["\"yes\"", "1"],
                toml_edit::Value::Array(_) => &["\"x\"", "5", "[5]", "[[\"x\"]]"],
                other => panic!("{section}.{key}: {other}"),
            };
            for w in wrong {
                // A later key of the same name wins in no TOML: drop
                // the header's own `name`/`password` when replacing it.
                let header = header
                    .lines()
                    .filter(|l| !l.starts_with(&format!("{key} =")))
                    .collect::<Vec<_>>()
                    .join("\n");
                let text = format!("{header}\n{key} = {w}\n");
                let e = only_error(&text);
                tried += 1;
                assert_eq!(e.key.as_deref(), Some(format!("{section}.{key}").as_str()));
                let (_, expected) = e
                    .message
                    .split_once("expected ")
                    .unwrap_or_else(|| panic!("{text:?}: {}", e.message));
                for rust in [
                    "u64",
                    "usize",
                    "i64",
                    "boolean",
                    "sequence",
                    "path string",
                    "struct",
                    "map",
                ] {
                    assert!(!expected.contains(rust), "{text:?}: {}", e.message);
                }
            }
        }
    }
    assert!(tried > 80, "{tried}");
}

#[test]
fn example_config_is_valid_and_complete() {
    let text = include_str!("../../../../natter.example.toml");
    let c = Config::parse(text).unwrap();
    assert_eq!(c.opers.len(), 1);
}

#[test]
fn the_example_network_configs_are_valid_and_agree() {
    let a = Config::parse(include_str!("../../../../examples/network/a.toml")).unwrap();
    let b = Config::parse(include_str!("../../../../examples/network/b.toml")).unwrap();
    let c = Config::parse(include_str!("../../../../examples/network/c.toml")).unwrap();
    // Each side of each link names the other and accepts what it sends.
    for (x, y) in [(&a, &b), (&b, &a), (&b, &c), (&c, &b)] {
        let to_y = x.links.iter().find(|l| l.name == y.server.name).unwrap();
        let to_x = y.links.iter().find(|l| l.name == x.server.name).unwrap();
        assert!(crate::accounts::verify_password(
            &to_y.send_password,
            &to_x.receive_password
        ));
    }
    // b and c connect up the chain, to the link ports a and b listen on.
    assert_eq!(b.links[0].address.as_deref(), Some("127.0.0.1:7001"));
    assert_eq!(a.listen.link, ["127.0.0.1:7001".parse().unwrap()]);
    assert_eq!(c.links[0].address.as_deref(), Some("127.0.0.1:7002"));
    assert_eq!(b.listen.link, ["127.0.0.1:7002".parse().unwrap()]);
    // The three run on one machine: no listener address is used twice.
    let mut all = Vec::new();
    for config in [&a, &b, &c] {
        for kind in crate::Listener::ALL {
            all.extend_from_slice(kind.addrs(config));
        }
    }
    let mut unique = all.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), all.len(), "{all:?}");
}

#[test]
fn protections_are_on_by_default_and_classes_are_checked() {
    let c = Config::default();
    assert_eq!(
        (c.flood.burst, c.flood.per_second, c.flood.recvq),
        (16, 4, 16384)
    );
    assert_eq!((c.connections.per_host, c.connections.per_window), (10, 20));
    assert!(c.classes.is_empty() && c.connections.exempt.is_empty());
    let ok = Config::parse(
        "[[class]]\nname = \"bots\"\nhosts = [\"192.0.2.0/24\", \"::1\"]\naccounts = [\"bot*\"]\nburst = 50\nsendq = 65536\n",
    )
    .unwrap();
    assert_eq!(ok.classes[0].burst, Some(50));
    let e = only_error("[[class]]\nname = \"x\"\nhosts = [\"example.org\"]\n");
    assert_eq!(e.key.as_deref(), Some("class.hosts"));
    let e = only_error("[[class]]\nname = \"x\"\nhosts = [\"*\"]\nburst = \"many\"\n");
    assert_eq!(e.key.as_deref(), Some("class.burst"));
    assert!(e.message.contains("a whole number"), "{}", e.message);
    let e = only_error("[flood]\nrecvq = 100\n");
    assert_eq!(e.key.as_deref(), Some("flood.recvq"));
    let e = only_error("[connections]\nexempt = [\"10.0.0.0/33\"]\n");
    assert_eq!(e.key.as_deref(), Some("connections.exempt"));
}

#[test]
fn files_section_is_checked() {
    let errors = all_errors(
        "[files]\nretention = 0\nupload_expiry = 0\npublic_url = \"ftp://x/\"\nmax_size = 0\n",
    );
    let keys: Vec<&str> = errors.iter().map(|(_, k, _)| k.as_str()).collect();
    assert_eq!(
        keys,
        [
            "files.retention",
            "files.upload_expiry",
            "files.public_url",
            "files.max_size"
        ],
        "{errors:?}"
    );
    assert!(errors[0].2.contains("at least 1 second"), "{errors:?}");
    let ok =
        Config::parse("[files]\nmax_size = 1_000\npublic_url = \"https://chat.example.org\"\n")
            .expect("valid");
    assert_eq!(ok.files.max_size, 1000);
}
