//! How IM connections end: GOODBYE, the registration timeout, shutdown and
//! KILL.

use super::*;

// ---- how connections end ----

#[test]
fn goodbye_before_register_just_closes() {
    let server = start();
    let mut c = Im::connect(&server, "anon");
    c.send("GOODBYE");
    assert!(c.read_until_closed().is_empty());
}

#[test]
fn registration_timeout_and_shutdown_close_with_an_error() {
    let mut server = TestServer::with_config(|c| {
        c.im.online_users_interval = 3600;
        c.timeouts.registration = 1;
    });
    let mut lazy = Im::connect(&server, "lazy");
    assert_eq!(
        lazy.read_until_closed(),
        [r#"ERROR "closing: Registration timed out""#]
    );
    let mut alice = Im::register(&server, "alice", "online");
    server.stop();
    assert_eq!(
        alice.read_until_closed(),
        [r#"ERROR "closing: Server shutting down""#]
    );
}

#[test]
fn kill_of_an_im_user_ends_with_an_im_error() {
    let server = server_with_root(|c| c.im.online_users_interval = 3600);
    let mut root = server.client("root");
    oper_up(&mut root);
    let mut alice = Im::register(&server, "alice", "online");
    root.send("KILL alice :spam");
    let lines = alice.read_until_closed();
    for l in &lines {
        assert!(
            Reply::parse(l).is_ok(),
            "not an IM line: {l:?} in {lines:#?}"
        );
    }
    assert!(
        lines
            .last()
            .is_some_and(|l| l.starts_with("ERROR \"closing: Killed")),
        "{lines:#?}"
    );
}
