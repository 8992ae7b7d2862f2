//! PASS, and IRCv3 CAP negotiation holding registration until CAP END.

use super::*;

// ---- PASS ----

fn with_password() -> TestServer {
    TestServer::with_config(|c| c.server.password = Some("sesame".into()))
}

#[test]
fn pass_right_registers() {
    let server = with_password();
    let mut c = server.connect();
    c.send("PASS sesame");
    let burst = register_burst(&mut c, "alice");
    assert_eq!(burst[0].command, "001");
}

#[test]
fn pass_wrong_gets_464_then_error_and_close() {
    let server = with_password();
    let mut c = server.connect();
    c.send("PASS open");
    c.send("NICK alice");
    c.send("USER alice 0 * :Alice");
    let lines = until_closed(&mut c);
    assert_eq!(cmds(&lines), ["464", "ERROR"], "{lines:#?}");
    assert_numeric(&lines[0], "464", &["alice", "Password incorrect"]);
    assert_eq!(lines[1].source, None);
    assert_eq!(
        params(&lines[1]),
        ["Closing Link: 127.0.0.1 (Bad password)"]
    );
    // The nick was not taken by the refused connection.
    let mut ok = server.connect();
    ok.send("PASS sesame");
    assert_eq!(register_burst(&mut ok, "alice")[0].command, "001");
}

#[test]
fn pass_missing_gets_464_then_error_and_close() {
    let server = with_password();
    let mut c = server.connect();
    c.send("NICK alice");
    c.send("USER alice 0 * :Alice");
    let lines = until_closed(&mut c);
    assert_eq!(cmds(&lines), ["464", "ERROR"], "{lines:#?}");
    assert_numeric(&lines[0], "464", &["alice", "Password incorrect"]);
}

#[test]
fn pass_is_ignored_without_a_server_password() {
    let server = TestServer::start();
    let mut c = server.connect();
    c.send("PASS whatever");
    assert_eq!(register_burst(&mut c, "alice")[0].command, "001");
}

#[test]
fn pass_without_parameter_gets_461() {
    let server = with_password();
    let mut c = server.connect();
    let r = c.ask("PASS");
    only(&r, SERVER, "461", &["*", "PASS", "Not enough parameters"]);
}

#[test]
fn pass_after_registration_gets_462() {
    let server = with_password();
    let mut c = server.connect();
    c.send("PASS sesame");
    register_burst(&mut c, "alice");
    let r = c.ask("PASS sesame");
    only(&r, SERVER, "462", &["alice", "You may not reregister"]);
}

// ---- CAP ----

fn cap_names(list: &str) -> Vec<&str> {
    let mut v: Vec<&str> = list.split_ascii_whitespace().collect();
    v.sort_unstable();
    v
}

#[test]
fn cap_ls_302_holds_registration_until_cap_end() {
    let server = TestServer::start();
    let mut c = server.connect();
    let r = c.ask("CAP LS 302");
    assert_eq!(r.len(), 1, "{r:#?}");
    assert_eq!(r[0].source.as_deref(), Some(SERVER));
    assert_eq!(r[0].command, "CAP");
    assert_eq!(params(&r[0])[..2], ["*", "LS"]);
    assert_eq!(
        cap_names(&r[0].params[2]),
        [
            "account-notify",
            "account-tag",
            "away-notify",
            "batch",
            "cap-notify",
            "chghost",
            "draft/account-registration=before-connect",
            "draft/chathistory",
            "draft/read-marker",
            "echo-message",
            "extended-join",
            "extended-monitor",
            "invite-notify",
            "labeled-response",
            "message-tags",
            "multi-prefix",
            "sasl=PLAIN,SCRAM-SHA-256,EXTERNAL",
            "server-time",
            "setname",
            "userhost-in-names"
        ]
    );
    c.send("NICK alice");
    c.send("USER alice 0 * :Alice");
    // Negotiation is under way: no welcome yet.
    assert!(c.sync().is_empty());
    c.send("CAP END");
    let burst = read_burst(&mut c);
    assert_eq!(burst[0].command, "001");
    assert_eq!(burst[0].params[0], "alice");
}

#[test]
fn cap_req_acks_and_holds_registration() {
    let server = TestServer::start();
    let mut c = server.connect();
    c.send("CAP REQ :multi-prefix");
    c.send("NICK alice");
    c.send("USER alice 0 * :Alice");
    let r = c.sync();
    assert_eq!(r.len(), 1, "REQ alone must hold registration: {r:#?}");
    assert_msg(&r[0], SERVER, "CAP", &["*", "ACK", "multi-prefix"]);
    let r = c.ask("CAP LIST");
    assert_msg(&r[0], SERVER, "CAP", &["alice", "LIST", "multi-prefix"]);
    c.send("CAP END");
    assert_eq!(read_burst(&mut c)[0].command, "001");
}

#[test]
fn cap_req_is_all_or_nothing() {
    let server = TestServer::start();
    let mut c = server.connect();
    c.ask("CAP LS");
    let r = c.ask("CAP REQ :multi-prefix no-such-cap");
    only(&r, SERVER, "CAP", &["*", "NAK", "multi-prefix no-such-cap"]);
    // Nothing of the refused request was enabled.
    let r = c.ask("CAP LIST");
    assert_msg(&r[0], SERVER, "CAP", &["*", "LIST", ""]);
    let r = c.ask("CAP REQ :multi-prefix userhost-in-names");
    assert_msg(
        &r[0],
        SERVER,
        "CAP",
        &["*", "ACK", "multi-prefix userhost-in-names"],
    );
    let r = c.ask("CAP REQ :-multi-prefix bogus");
    assert_msg(&r[0], SERVER, "CAP", &["*", "NAK", "-multi-prefix bogus"]);
    let r = c.ask("CAP LIST");
    assert_eq!(
        cap_names(&r[0].params[2]),
        ["multi-prefix", "userhost-in-names"]
    );
    let r = c.ask("CAP REQ -multi-prefix");
    assert_msg(&r[0], SERVER, "CAP", &["*", "ACK", "-multi-prefix"]);
    let r = c.ask("CAP LIST");
    assert_msg(&r[0], SERVER, "CAP", &["*", "LIST", "userhost-in-names"]);
}

#[test]
fn cap_after_registration() {
    let server = TestServer::start();
    let mut c = server.client("alice");
    let r = c.ask("CAP LS 302");
    assert_eq!(r.len(), 1, "{r:#?}");
    assert_eq!(params(&r[0])[..2], ["alice", "LS"]);
    let r = c.ask("CAP REQ :userhost-in-names");
    assert_msg(&r[0], SERVER, "CAP", &["alice", "ACK", "userhost-in-names"]);
    let r = c.ask("CAP LIST");
    assert_eq!(r.len(), 1);
    assert!(
        cap_names(&r[0].params[2]).contains(&"userhost-in-names"),
        "{r:#?}"
    );
    // CAP END after registration does nothing; the client stays usable.
    c.assert_quiet();
    assert!(c.ask("CAP END").is_empty());
    let r = c.ask("JOIN #after");
    assert_eq!(r[0].command, "JOIN");
    // userhost-in-names is in effect for NAMES.
    let names = one(&r, "353");
    assert_eq!(names.params[3], "@alice!~alice@127.0.0.1");
}

#[test]
fn cap_unknown_subcommand_gets_410() {
    let server = TestServer::start();
    let mut c = server.connect();
    let r = c.ask("CAP FROB");
    only(&r, SERVER, "410", &["*", "FROB", "Invalid CAP command"]);
    // A subcommand that cannot be a middle parameter is echoed as `*`.
    let r = c.ask("CAP :FROB NICATE");
    only(&r, SERVER, "410", &["*", "*", "Invalid CAP command"]);
}

#[test]
fn cap_end_without_negotiation_is_harmless() {
    let server = TestServer::start();
    let mut c = server.connect();
    assert!(c.ask("CAP END").is_empty());
    assert_eq!(register_burst(&mut c, "alice")[0].command, "001");
}
