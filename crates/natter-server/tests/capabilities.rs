//! IRCv3 Client Capability Negotiation end to end
//! (<https://ircv3.net/specs/extensions/capability-negotiation>):
//! `CAP LS` with and without version 302 (values, the multiline `*`
//! marker), `LIST`, `REQ` answered by `ACK` or an all-or-nothing `NAK`,
//! `END`, `cap-notify` implied by 302 and then impossible to disable, and
//! capabilities taking effect as soon as they are acknowledged.

mod common;
use common::*;

use natter_proto::Message;

/// Every capability natter offers, in the order CAP LS lists them.
const ALL: &str = "account-notify account-tag away-notify batch cap-notify chghost \
                   draft/account-registration draft/chathistory draft/read-marker echo-message \
                   extended-join \
                   extended-monitor invite-notify labeled-response message-tags multi-prefix \
                   sasl server-time setname userhost-in-names";

/// The same list as CAP LS 302 shows it, with the values of the two
/// capabilities that have one.
const ALL_302: &str = "account-notify account-tag away-notify batch cap-notify chghost \
                       draft/account-registration=before-connect draft/chathistory \
                       draft/read-marker \
                       echo-message extended-join extended-monitor invite-notify \
                       labeled-response message-tags multi-prefix sasl=PLAIN,SCRAM-SHA-256,EXTERNAL \
                       server-time setname userhost-in-names";

/// Asserts `msgs` is exactly one `:natter.local CAP <expected...>`.
fn assert_cap(msgs: &[Message], expected: &[&str]) {
    only_untagged(msgs, SERVER, "CAP", expected);
}

/// The capability names of a space-separated list, sorted.
fn sorted(list: &str) -> Vec<&str> {
    let mut v: Vec<&str> = list.split(' ').collect();
    v.sort_unstable();
    v
}

/// `CAP LIST` of `c` (addressed as `who`), as sorted names.
fn list(c: &mut Client, who: &str) -> Vec<String> {
    let r = c.ask("CAP LIST");
    assert_eq!(r.len(), 1, "{r:#?}");
    assert_eq!(params(&r[0])[..2], [who, "LIST"], "{r:#?}");
    assert_eq!(r[0].params.len(), 3, "{r:#?}");
    let names = &r[0].params[2];
    if names.is_empty() {
        return Vec::new();
    }
    sorted(names).into_iter().map(String::from).collect()
}

// ---- LS ----

#[test]
fn ls_without_version_lists_every_capability_on_one_line() {
    let server = TestServer::start();
    let mut c = server.connect();
    assert_cap(&c.ask("CAP LS"), &["*", "LS", ALL]);
    // Without 302 nothing is enabled implicitly.
    assert!(list(&mut c, "*").is_empty());
}

#[test]
fn ls_302_lists_the_same_names_with_values_and_no_continuation() {
    let server = TestServer::start();
    let mut c = server.connect();
    // 302 adds the values of sasl and draft/account-registration; the
    // list fits one line, so there is no `*` continuation parameter
    // (that is only for all but the last of several lines).
    let r = c.ask("CAP LS 302");
    assert_cap(&r, &["*", "LS", ALL_302]);
    // The reply stays within one IRC line.
    assert!(r[0].to_line().len() + 2 <= 512);
}

#[test]
fn ls_with_a_higher_version_gets_the_302_features() {
    // "If the client's CAP version is not supported by the server, the
    // server MUST enable the features it does support below the given
    // version."
    let server = TestServer::start();
    let mut c = server.connect();
    assert_cap(&c.ask("CAP LS 307"), &["*", "LS", ALL_302]);
    assert_eq!(list(&mut c, "*"), ["cap-notify"]);
}

#[test]
fn ls_holds_registration_and_addresses_the_client_by_nick_once_known() {
    let server = TestServer::start();
    let mut c = server.connect();
    c.send("CAP LS 302");
    c.send("NICK bob");
    c.send("USER bob 0 * :Real bob");
    // Only the LS reply: registration waits for CAP END.
    assert_cap(&c.sync(), &["*", "LS", ALL_302]);
    // Replies use the nick once there is one ("client identifier name or
    // asterisk if one is not yet available").
    assert_cap(&c.ask("CAP LS"), &["bob", "LS", ALL_302]);
    c.send("CAP END");
    assert_eq!(c.expect("001").params[0], "bob");
    c.expect("376");
    // After registration LS works the same.
    let mut alice = server.client("alice");
    assert_cap(&alice.ask("CAP LS 302"), &["alice", "LS", ALL_302]);
}

// ---- cap-notify ----

#[test]
fn ls_302_implies_cap_notify_which_cannot_be_disabled() {
    let server = TestServer::start();
    let mut c = server.connect();
    c.ask("CAP LS 302");
    assert_eq!(list(&mut c, "*"), ["cap-notify"]);
    // "servers MUST NOT disable the cap-notify capability if the client
    // requests CAP LS with a version of 302 or newer": the request is
    // refused as a whole.
    assert_cap(&c.ask("CAP REQ :-cap-notify"), &["*", "NAK", "-cap-notify"]);
    assert_cap(
        &c.ask("CAP REQ :multi-prefix -cap-notify"),
        &["*", "NAK", "multi-prefix -cap-notify"],
    );
    assert_eq!(list(&mut c, "*"), ["cap-notify"]);
    // Requesting it anyway is acknowledged without side effects.
    assert_cap(&c.ask("CAP REQ cap-notify"), &["*", "ACK", "cap-notify"]);
    assert_eq!(list(&mut c, "*"), ["cap-notify"]);
    // A later LS without version keeps 302 in force.
    assert_cap(&c.ask("CAP LS"), &["*", "LS", ALL_302]);
    assert_cap(&c.ask("CAP REQ -cap-notify"), &["*", "NAK", "-cap-notify"]);
    c.send("CAP END");
    c.register("alice");
    assert_eq!(list(&mut c, "alice"), ["cap-notify"]);
    assert_cap(
        &c.ask("CAP REQ -cap-notify"),
        &["alice", "NAK", "-cap-notify"],
    );
}

#[test]
fn cap_notify_without_302_can_be_enabled_and_disabled() {
    let server = TestServer::start();
    let mut c = server.connect();
    c.ask("CAP LS");
    assert_cap(&c.ask("CAP REQ cap-notify"), &["*", "ACK", "cap-notify"]);
    assert_eq!(list(&mut c, "*"), ["cap-notify"]);
    assert_cap(&c.ask("CAP REQ -cap-notify"), &["*", "ACK", "-cap-notify"]);
    assert!(list(&mut c, "*").is_empty());
}

// ---- REQ / ACK / NAK / LIST ----

#[test]
fn req_acks_and_list_shows_what_is_enabled() {
    let server = TestServer::start();
    let mut c = server.connect();
    c.ask("CAP LS");
    assert_cap(
        &c.ask("CAP REQ :server-time echo-message multi-prefix"),
        &["*", "ACK", "server-time echo-message multi-prefix"],
    );
    assert_eq!(
        list(&mut c, "*"),
        ["echo-message", "multi-prefix", "server-time"]
    );
    // Enabling an enabled capability or disabling a disabled one is
    // processed "as though handling this capability was successful".
    assert_cap(
        &c.ask("CAP REQ :server-time -batch"),
        &["*", "ACK", "server-time -batch"],
    );
    assert_cap(
        &c.ask("CAP REQ :-echo-message batch"),
        &["*", "ACK", "-echo-message batch"],
    );
    assert_eq!(list(&mut c, "*"), ["batch", "multi-prefix", "server-time"]);
}

#[test]
fn req_with_an_unknown_capability_naks_all_of_it() {
    let server = TestServer::start();
    let mut c = server.connect();
    c.ask("CAP LS");
    c.ask("CAP REQ :batch");
    // Enabling, disabling and an unknown name in one request: nothing of
    // it takes effect.
    assert_cap(
        &c.ask("CAP REQ :echo-message -batch example.org/nope"),
        &["*", "NAK", "echo-message -batch example.org/nope"],
    );
    assert_eq!(list(&mut c, "*"), ["batch"]);
    // Disabling an unknown capability is refused too.
    assert_cap(
        &c.ask("CAP REQ :-example.org/nope"),
        &["*", "NAK", "-example.org/nope"],
    );
    // Names are case-sensitive opaque identifiers.
    assert_cap(
        &c.ask("CAP REQ :Multi-Prefix"),
        &["*", "NAK", "Multi-Prefix"],
    );
    assert_eq!(list(&mut c, "*"), ["batch"]);
}

#[test]
fn req_before_anything_else_holds_registration() {
    let server = TestServer::start();
    let mut c = server.connect();
    c.send("CAP REQ :server-time");
    c.send("NICK alice");
    c.send("USER alice 0 * :Real alice");
    // Only the ACK arrives: registration waits for CAP END.
    assert_cap(&c.sync(), &["*", "ACK", "server-time"]);
    assert_cap(
        &c.ask("CAP REQ :-server-time multi-prefix"),
        &["alice", "ACK", "-server-time multi-prefix"],
    );
    c.send("CAP END");
    assert_eq!(c.expect("001").params[0], "alice");
    c.expect("376");
    c.nick = "alice".into();
    assert_eq!(list(&mut c, "alice"), ["multi-prefix"]);
    // CAP END once registered is ignored.
    c.assert_quiet();
    assert!(c.ask("CAP END").is_empty());
}

#[test]
fn capabilities_take_effect_once_acknowledged() {
    let server = TestServer::start();
    let mut alice = server.client("alice");
    let mut bob = server.client("bob");
    alice.ask("PRIVMSG bob :plain");
    let r = bob.sync();
    assert_eq!(r.len(), 1, "{r:#?}");
    assert!(r[0].tags.is_empty(), "{r:#?}");

    assert_cap(
        &bob.ask("CAP REQ server-time"),
        &["bob", "ACK", "server-time"],
    );
    alice.ask("PRIVMSG bob :stamped");
    let r = bob.sync();
    assert_eq!(r.len(), 1, "{r:#?}");
    let keys: Vec<&str> = r[0].tags.iter().map(|t| t.key.as_str()).collect();
    assert_eq!(keys, ["time"], "{r:#?}");

    assert_cap(
        &bob.ask("CAP REQ -server-time"),
        &["bob", "ACK", "-server-time"],
    );
    alice.ask("PRIVMSG bob :plain again");
    let r = bob.sync();
    assert_eq!(r.len(), 1, "{r:#?}");
    assert!(r[0].tags.is_empty(), "{r:#?}");
}

// ---- errors ----

#[test]
fn cap_errors() {
    let server = TestServer::start();
    let mut c = server.client("alice");
    // An unknown subcommand: 410 naming it.
    only(
        &c.ask("CAP CLEAR"),
        SERVER,
        "410",
        &["alice", "CLEAR", "Invalid CAP command"],
    );
    // No subcommand, or REQ without a list: 461.
    for line in ["CAP", "CAP REQ"] {
        let r = c.ask(line);
        assert_eq!(r.len(), 1, "{line}: {r:#?}");
        assert_eq!(
            (r[0].command.as_str(), params(&r[0])),
            ("461", vec!["alice", "CAP", "Not enough parameters"]),
            "{line}"
        );
    }
    // Subcommands are not case-sensitive.
    assert_cap(&c.ask("CAP ls"), &["alice", "LS", ALL]);
}
