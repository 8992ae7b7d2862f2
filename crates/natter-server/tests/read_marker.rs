//! IRCv3 read-marker end to end (capability `draft/read-marker`,
//! <https://ircv3.net/specs/extensions/read-marker>): `MARKREAD <target>
//! timestamp=...` stores the user's last-read time for a target (never
//! moving it back, clamped to now) and answers with the stored value;
//! `MARKREAD <target>` reads it (`*` when there is none); a client with the
//! capability gets the channel's marker after its JOIN, before
//! RPL_ENDOFNAMES; errors are `FAIL MARKREAD NEED_MORE_PARAMS` and
//! `INVALID_PARAMS`. Markers are per user, follow nick changes and end with
//! the user.

mod common;
use common::*;

const CAP: &str = "draft/read-marker";
const T1: &str = "2019-01-04T14:33:26.123Z";
const T2: &str = "2019-06-01T12:00:00.000Z";

/// Asserts `msgs` is exactly `:natter.local MARKREAD <target> <value>`.
fn assert_markread(msgs: &[natter_proto::Message], target: &str, value: &str) {
    only_untagged(msgs, SERVER, "MARKREAD", &[target, value]);
}

/// `timestamp=<ts>`.
fn ts(ts: &str) -> String {
    format!("timestamp={ts}")
}

#[test]
fn the_capability_is_offered() {
    let server = TestServer::start();
    let mut c = server.connect();
    let r = c.ask("CAP LS 302");
    let ls = one(&r, "CAP");
    assert!(ls.params[2].split(' ').any(|c| c == CAP), "{ls:#?}");
}

#[test]
fn get_without_a_marker_is_a_star_and_set_then_get_returns_it() {
    let server = TestServer::start();
    let mut alice = client_with(&server, "alice", CAP);
    assert_markread(&alice.ask("MARKREAD #nosuch"), "#nosuch", "*");
    assert_markread(&alice.ask("MARKREAD bob"), "bob", "*");

    assert_markread(
        &alice.ask(&format!("MARKREAD #c {}", ts(T1))),
        "#c",
        &ts(T1),
    );
    assert_markread(&alice.ask("MARKREAD #c"), "#c", &ts(T1));
    // Targets are compared casefolded (rfc1459) and echoed as given.
    assert_markread(&alice.ask("MARKREAD #C"), "#C", &ts(T1));
    // A nick target is a buffer like any other, online or not.
    assert_markread(
        &alice.ask(&format!("MARKREAD Bob {}", ts(T2))),
        "Bob",
        &ts(T2),
    );
    assert_markread(&alice.ask("MARKREAD bob"), "bob", &ts(T2));
    assert_markread(&alice.ask("MARKREAD #nosuch"), "#nosuch", "*");
}

#[test]
fn the_marker_never_moves_back() {
    let server = TestServer::start();
    let mut alice = client_with(&server, "alice", CAP);
    assert_markread(
        &alice.ask(&format!("MARKREAD #c {}", ts(T2))),
        "#c",
        &ts(T2),
    );
    // Older or equal: the reply carries the stored, newer value.
    assert_markread(
        &alice.ask(&format!("MARKREAD #c {}", ts(T1))),
        "#c",
        &ts(T2),
    );
    assert_markread(
        &alice.ask(&format!("MARKREAD #c {}", ts(T2))),
        "#c",
        &ts(T2),
    );
    assert_markread(&alice.ask("MARKREAD #c"), "#c", &ts(T2));
    // One millisecond later moves it.
    let later = "2019-06-01T12:00:00.001Z";
    assert_markread(
        &alice.ask(&format!("MARKREAD #c {}", ts(later))),
        "#c",
        &ts(later),
    );
}

#[test]
fn a_marker_in_the_future_is_clamped_to_now() {
    let server = TestServer::start();
    let mut alice = client_with(&server, "alice", CAP);
    let before = humantime::format_rfc3339_millis(std::time::SystemTime::now()).to_string();
    let r = alice.ask("MARKREAD #c timestamp=2999-01-01T00:00:00.000Z");
    let after = humantime::format_rfc3339_millis(std::time::SystemTime::now()).to_string();
    let m = one(&r, "MARKREAD");
    assert_eq!(r.len(), 1, "{r:#?}");
    let stored = m.params[1]
        .strip_prefix("timestamp=")
        .unwrap_or_else(|| panic!("{m:#?}"));
    assert!(
        before.as_str() <= stored && stored <= after.as_str(),
        "{before} <= {stored} <= {after}"
    );
    // So a real marker set next is not held back by a far-future one.
    let now = humantime::format_rfc3339_millis(
        std::time::SystemTime::now() + std::time::Duration::from_millis(5),
    )
    .to_string();
    std::thread::sleep(std::time::Duration::from_millis(10));
    assert_markread(
        &alice.ask(&format!("MARKREAD #c {}", ts(&now))),
        "#c",
        &ts(&now),
    );
}

#[test]
fn join_sends_the_marker_before_the_end_of_names() {
    let server = TestServer::start();
    let mut alice = client_with(&server, "alice", CAP);
    let r = alice.ask("JOIN #Chan");
    assert_eq!(cmds(&r), ["JOIN", "MARKREAD", "353", "366"], "{r:#?}");
    assert_msg(&r[0], &src("alice"), "JOIN", &["#Chan"]);
    assert_markread(&r[1..2], "#Chan", "*");

    alice.ask(&format!("MARKREAD #chan {}", ts(T1)));
    alice.ask("PART #chan");
    let r = alice.ask("JOIN #chan");
    assert_eq!(cmds(&r), ["JOIN", "MARKREAD", "353", "366"], "{r:#?}");
    // The channel's name as created again now: #chan.
    assert_markread(&r[1..2], "#chan", &ts(T1));

    // Joining an existing channel (with a topic) works the same way: the
    // marker right after the JOIN, for the channel's own spelling.
    alice.ask("TOPIC #chan :hello");
    let mut bob = server.client("bob");
    bob.ask("JOIN #chan");
    alice.ask("PART #chan");
    let r = alice.ask("JOIN #CHAN");
    assert_eq!(
        cmds(&r),
        ["JOIN", "MARKREAD", "332", "333", "353", "366"],
        "{r:#?}"
    );
    assert_markread(&r[1..2], "#chan", &ts(T1));
}

#[test]
fn no_marker_on_join_without_the_capability() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    let r = alice.ask("JOIN #c");
    assert_eq!(cmds(&r), ["JOIN", "353", "366"], "{r:#?}");
    // The command itself still answers.
    assert_markread(
        &alice.ask(&format!("MARKREAD #c {}", ts(T1))),
        "#c",
        &ts(T1),
    );
    assert_markread(&alice.ask("MARKREAD #c"), "#c", &ts(T1));
}

#[test]
fn errors_are_standard_replies() {
    let server = TestServer::start();
    let mut alice = client_with(&server, "alice", CAP);
    only_untagged(
        &alice.ask("MARKREAD"),
        SERVER,
        "FAIL",
        &["MARKREAD", "NEED_MORE_PARAMS", "Missing parameters"],
    );
    only_untagged(
        &alice.ask("MARKREAD :"),
        SERVER,
        "FAIL",
        &["MARKREAD", "NEED_MORE_PARAMS", "Missing parameters"],
    );
    for (line, bad) in [
        // `*` is for the server to send, never a client.
        ("MARKREAD #c *", "*"),
        (
            "MARKREAD #c timestamp=not-a-timestamp",
            "timestamp=not-a-timestamp",
        ),
        (
            "MARKREAD #c 2019-01-04T14:33:26.123Z",
            "2019-01-04T14:33:26.123Z",
        ),
        (
            "MARKREAD #c timestamp=2019-01-04T14:33:26Z",
            "timestamp=2019-01-04T14:33:26Z",
        ),
        (
            "MARKREAD #c timestamp=2019-02-30T14:33:26.123Z",
            "timestamp=2019-02-30T14:33:26.123Z",
        ),
        // Not one target.
        ("MARKREAD #a,#b", "#a,#b"),
        ("MARKREAD 1nick", "1nick"),
        // A parameter that cannot be echoed as a middle one is shown as `*`.
        ("MARKREAD #c :timestamp= x", "*"),
    ] {
        only_untagged(
            &alice.ask(line),
            SERVER,
            "FAIL",
            &["MARKREAD", "INVALID_PARAMS", bad, "Invalid parameters"],
        );
    }
    // Nothing was stored.
    assert_markread(&alice.ask("MARKREAD #c"), "#c", "*");
}

#[test]
fn markread_needs_registration() {
    let server = TestServer::start();
    let mut c = server.connect();
    only(
        &c.ask("MARKREAD #c"),
        SERVER,
        "451",
        &["*", "You have not registered"],
    );
}

#[test]
fn markers_are_per_user_follow_nick_changes_and_end_with_the_user() {
    let server = TestServer::start();
    let mut alice = client_with(&server, "alice", CAP);
    let mut bob = client_with(&server, "bob", CAP);
    alice.ask(&format!("MARKREAD #c {}", ts(T1)));
    // Nobody else sees (or is told about) alice's markers.
    bob.assert_quiet();
    assert_markread(&bob.ask("MARKREAD #c"), "#c", "*");

    alice.ask("NICK alys");
    alice.nick = "alys".into();
    assert_markread(&alice.ask("MARKREAD #c"), "#c", &ts(T1));

    // Whoever takes the old nick has none of them.
    let mut other = client_with(&server, "alice", CAP);
    assert_markread(&other.ask("MARKREAD #c"), "#c", "*");

    // Nor does whoever takes the nick after alys quits.
    alice.send("QUIT :bye");
    alice.read_until_closed();
    let mut again = client_with(&server, "alys", CAP);
    assert_markread(&again.ask("MARKREAD #c"), "#c", "*");
}

#[test]
fn labeled_markread_gets_its_label() {
    let server = TestServer::start();
    let mut alice = client_with(&server, "alice", &format!("{CAP} labeled-response"));
    let r = alice.ask_raw(&format!("@label=x1 MARKREAD #c {}", ts(T1)));
    assert_eq!(
        r,
        [format!("@label=x1 :{SERVER} MARKREAD #c timestamp={T1}")]
    );
}
