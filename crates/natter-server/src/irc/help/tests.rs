//! Unit tests of the parent module.

use super::*;

/// The command names in the command table, split into those
/// accepted before registration and those only after it.
fn dispatch_table() -> (Vec<String>, Vec<String>) {
    let names = |anytime: bool| {
        let table = super::super::COMMANDS.iter();
        table
            .filter(|c| c.anytime == anytime)
            .map(|c| c.name.to_string())
            .collect()
    };
    (names(true), names(false))
}

#[test]
fn every_command_in_the_dispatch_table_has_help_of_its_kind() {
    let (anytime, registered) = dispatch_table();
    for (commands, kind) in [(anytime, Kind::Anytime), (registered, Kind::Registered)] {
        for c in commands {
            let e = lookup(&c).unwrap_or_else(|| panic!("no HELP entry for {c}"));
            assert_eq!(e.kind, kind, "{c}");
        }
    }
}

#[test]
fn every_command_entry_is_in_the_dispatch_table() {
    let (anytime, registered) = dispatch_table();
    for e in ENTRIES.iter().filter(|e| e.kind != Kind::Topic) {
        let list = if e.kind == Kind::Anytime {
            &anytime
        } else {
            &registered
        };
        assert!(
            list.iter().any(|c| c == e.name),
            "{} not dispatched",
            e.name
        );
    }
    for e in ENTRIES.iter().filter(|e| e.kind == Kind::Topic) {
        let dispatched = anytime.iter().chain(&registered).any(|c| c == e.name);
        assert!(!dispatched, "{} is a command, not a topic", e.name);
    }
}

#[test]
fn entries_are_sorted_unique_and_fit_a_line() {
    for pair in ENTRIES.windows(2) {
        assert!(
            pair[0].name < pair[1].name,
            "{} / {}",
            pair[0].name,
            pair[1].name
        );
    }
    for e in ENTRIES {
        assert!(!e.text.is_empty(), "{}", e.name);
        assert_eq!(e.name, e.name.to_ascii_uppercase());
        // Room for ":<server> 705 <nick> <subject> :" in 512 bytes.
        for line in std::iter::once(&e.title).chain(e.text) {
            assert!(line.len() <= 80, "{}: {line:?}", e.name);
            assert!(!line.contains(['\r', '\n', '\0']), "{}", e.name);
        }
    }
}

#[test]
fn lookup_ignores_case() {
    assert_eq!(lookup("privmsg").map(|e| e.name), Some("PRIVMSG"));
    assert_eq!(lookup("WhoX").map(|e| e.name), Some("WHOX"));
    assert!(lookup("THISISNOTACOMMAND").is_none());
    assert!(lookup("").is_none());
}

#[test]
fn the_index_lists_every_subject() {
    let index = index().join("\n");
    for e in ENTRIES {
        let listed = index.split_whitespace().any(|w| w == e.name);
        assert!(listed, "{} missing from {index}", e.name);
    }
    for line in index.lines() {
        assert!(line.len() <= 70, "{line:?}");
    }
}
