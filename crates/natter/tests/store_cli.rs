//! `natter account` and `natter backup` end to end: an account made on the
//! command line logs in with SASL on a server started afterwards (and on a
//! running one after REHASH), `list`, `set-password` and `delete` change
//! natter.db, and `natter backup` copies the database of a running server.

mod common;
use common::*;

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Output, Stdio};

/// Runs `natter <args>` with `stdin` as standard input.
fn run(args: &[&str], stdin: &str) -> Output {
    let mut child = natter()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("natter runs");
    // A command that does not read its input (or fails before it does)
    // may be gone already: a broken pipe here is not the test's concern.
    let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
    child.wait_with_output().unwrap()
}

fn account(args: &[&str], data: &Path, stdin: &str) -> Output {
    let mut all = vec!["account"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--data-dir", data.to_str().unwrap()]);
    run(&all, stdin)
}

/// Whether SASL PLAIN as `name`/`password` succeeds on the server at
/// `addr`: the numeric it answers (903 or 904).
fn sasl(addr: SocketAddr, name: &str, password: &str) -> String {
    let stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(TIMEOUT)).unwrap();
    let mut w = stream.try_clone().unwrap();
    let mut r = BufReader::new(stream);
    let payload = base64(&format!("{name}\0{name}\0{password}"));
    write!(
        w,
        "CAP REQ sasl\r\nAUTHENTICATE PLAIN\r\nAUTHENTICATE {payload}\r\n"
    )
    .unwrap();
    loop {
        let mut line = String::new();
        assert!(r.read_line(&mut line).unwrap() > 0, "closed");
        let code = line.split(' ').nth(1).unwrap_or("").to_string();
        if code == "903" || code == "904" {
            return code;
        }
    }
}

/// Standard base64 (RFC 4648), enough for a test.
fn base64(s: &str) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let b = s.as_bytes();
    let mut out = String::new();
    for chunk in b.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &c)| n | (c as u32) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[test]
fn accounts_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let out = account(&["create", "Alice"], &data, "first-password\n");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = account(&["create", "alice"], &data, "other-password\n");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("already registered"));
    let out = account(&["create", "not a nick"], &data, "x-password\n");
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a valid nick"));
    let out = account(&["list"], &data, "");
    let listed = String::from_utf8_lossy(&out.stdout);
    assert!(listed.starts_with("Alice\t20"), "{listed}");

    let server = Serve::with_data_dir(&data, &[]);
    assert_eq!(sasl(server.irc, "alice", "first-password"), "903");
    // Changed while the server runs: seen after REHASH.
    let out = account(&["set-password", "alice"], &data, "second-password\n");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = account(&["create", "bob"], &data, "bob-password\n");
    assert!(out.status.success());
    assert_eq!(sasl(server.irc, "bob", "bob-password"), "904");
    server.terminate();
    drop(server);
    let server = Serve::with_data_dir(&data, &[]);
    assert_eq!(sasl(server.irc, "alice", "second-password"), "903");
    assert_eq!(sasl(server.irc, "bob", "bob-password"), "903");
    let out = account(&["delete", "bob"], &data, "");
    assert!(out.status.success());
    let out = account(&["delete", "bob"], &data, "");
    assert!(String::from_utf8_lossy(&out.stderr).contains("no account named bob"));

    // An online backup of the running server's database.
    let copy = dir.path().join("copy.db");
    let backup = || {
        let data = data.to_str().unwrap();
        run(&["backup", copy.to_str().unwrap(), "--data-dir", data], "")
    };
    let out = backup();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let restored = natter_store::Store::open(&copy).unwrap();
    let names: Vec<String> = restored
        .accounts()
        .unwrap()
        .into_iter()
        .map(|a| a.name)
        .collect();
    assert_eq!(names, ["Alice"]);
    let out = backup();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("never overwrites"));
}
