//! A 1 GiB shared file moved over HTTP, up and down, with the process's
//! memory staying flat (issue 14): bodies stream through the server in
//! pieces, never whole. Alone in its test binary so that nothing else
//! moves the process's peak memory.

mod common;

use common::http::{basic, Body, Gen, Request};
use common::*;
use natter_server::Listener;
use sha2::{Digest, Sha256};

/// The process's peak resident memory (VmHWM), in KiB.
fn peak_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/self/status")
}

#[test]
fn a_gibibyte_moves_with_memory_flat() {
    const LEN: u64 = 1 << 30;
    let server = TestServer::with_config(|c| {
        c.listen.http = vec!["127.0.0.1:0".parse().unwrap()];
        c.files.max_size = LEN;
        c.files.quota = LEN;
    });
    let mut im = Im::connect(&server, "alice");
    im.send(r#"REGISTER ["alice", "online", "pw-alice-123"]"#);
    im.online();
    let http = server.addrs(Listener::Http)[0];
    let before = peak_kib();

    let posted = Request::new("POST", "/files")
        .header(basic("alice", "pw-alice-123"))
        .body(Body::Gen {
            gen: Gen::new(42),
            len: LEN,
            cut_after: None,
        })
        .send(http)
        .unwrap();
    assert_eq!(posted.status, 201, "{}", posted.text());
    let url = posted.header("location").unwrap().to_string();
    let got = Request::new("GET", &url[url.find("/files/").unwrap()..])
        .header(basic("alice", "pw-alice-123"))
        .hashed()
        .send(http)
        .unwrap();
    assert_eq!(got.status, 200);

    let mut expected = Sha256::new();
    let mut gen = Gen::new(42);
    let mut buf = vec![0; 1 << 20];
    for _ in 0..LEN >> 20 {
        gen.fill(&mut buf);
        expected.update(&buf);
    }
    let expected: String = expected
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(got.sha256, Some((LEN, expected)));
    let grew = peak_kib().saturating_sub(before);
    eprintln!("peak memory grew by {grew} KiB");
    assert!(
        grew < 64 * 1024,
        "the peak memory grew by {grew} KiB while 1 GiB went up and down"
    );
}
