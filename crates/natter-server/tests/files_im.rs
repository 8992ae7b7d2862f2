//! Shared files through the IM protocol (issue 14): FILE_OPEN, FILE_WRITE
//! at offsets (repeated, wrong, resumed after a disconnect), FILE_STATUS,
//! FILE_READ by offset and length; who may fetch; the announcement IM and
//! IRC members see; size limit, quota, digest mismatch.

mod common;

use base64::Engine;
use common::*;
use natter_proto::im::Reply;
use serde_json::Value;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;
const CHUNK: usize = 6144;

use common::http::sha256_hex;

/// Bytes that differ at every offset, so a chunk written at the wrong place
/// shows in the digest.
fn content(len: usize, seed: u32) -> Vec<u8> {
    common::http::Gen::bytes(seed, len)
}

/// Sends `line` and returns the OK or NOT_OK that answers it (other
/// replies, such as MESSAGE, are skipped).
fn file_reply(c: &mut Im, line: &str) -> Reply {
    c.send(line);
    c.expect("OK or NOT_OK", |r| {
        matches!(r, Reply::Ok(..) | Reply::NotOk(..))
    })
}

fn ok(c: &mut Im, line: &str) -> Value {
    let reply = if line.is_empty() {
        c.expect("OK or NOT_OK", |r| {
            matches!(r, Reply::Ok(..) | Reply::NotOk(..))
        })
    } else {
        file_reply(c, line)
    };
    match reply {
        Reply::Ok(_, v) => v,
        other => panic!("[{}] {line:.80}: expected OK, got {other:?}", c.name),
    }
}

fn not_ok(c: &mut Im, line: &str) -> Value {
    match file_reply(c, line) {
        Reply::NotOk(_, v) => v,
        other => panic!("[{}] {line:.80}: expected NOT_OK, got {other:?}", c.name),
    }
}

fn write_line(id: &str, offset: usize, data: &[u8]) -> String {
    format!("FILE_WRITE [{}, {offset}, \"{}\"]", q(id), B64.encode(data))
}

fn open_line(conv: u64, name: &str, data: &[u8]) -> String {
    format!(
        "FILE_OPEN [{conv}, {}, {}, \"{}\"]",
        q(name),
        data.len(),
        sha256_hex(data)
    )
}

/// `alice` and `bob`, logged in, both in a conversation alice started.
fn pair(server: &TestServer) -> (Im, Im, u64) {
    let mut alice = member(server, "alice");
    let mut bob = member(server, "bob");
    let conv = alice.invite(&["bob"]);
    alice.join(conv);
    assert_eq!(bob.expect_invitation("alice"), conv);
    bob.join(conv);
    (alice, bob, conv)
}

/// Logs in to (creating) the account of `name`.
fn member(server: &TestServer, name: &str) -> Im {
    let mut c = Im::connect(server, name);
    c.send(&format!(
        "REGISTER [{}, \"online\", \"pw-{name}-123\"]",
        q(name)
    ));
    let users = c.online();
    assert!(users.contains_key(name), "{users:?}");
    c
}

/// Reads the whole file `id` with FILE_READ from `from`, in pieces of
/// `CHUNK`, and returns it.
fn fetch(c: &mut Im, id: &str, from: usize, size: usize) -> Vec<u8> {
    let mut got = Vec::new();
    let mut offset = from;
    while offset < size {
        let v = ok(c, &format!("FILE_READ [{}, {offset}, {CHUNK}]", q(id)));
        assert_eq!(v["offset"], offset as u64);
        let piece = B64.decode(v["data"].as_str().unwrap()).unwrap();
        assert!(!piece.is_empty() && piece.len() <= CHUNK);
        offset += piece.len();
        got.extend_from_slice(&piece);
    }
    got
}

#[test]
fn upload_resumes_by_offset_and_members_fetch_it() {
    let server = TestServer::start();
    let (mut alice, mut bob, conv) = pair(&server);
    // An IRC user in the same conversation, and an IM user outside it.
    let mut carol = server.client("carol");
    let mut ann = member(&server, "ann");
    carol.send(&format!("JOIN #conv-{conv}"));
    carol.expect("366");

    let data = content(5 * CHUNK + 1000, 7);
    let first = ok(&mut alice, &open_line(conv, "report.bin", &data));
    let id = first["id"].as_str().unwrap().to_string();
    assert_eq!(id.len(), 22, "an unguessable ID: {first}");
    assert_eq!(first["offset"], 0);
    assert_eq!(first["complete"], false);

    // Two chunks; the second is sent twice (harmless); one past the bytes
    // received is refused with where to go on from.
    for i in 0..2 {
        let v = ok(
            &mut alice,
            &write_line(&id, i * CHUNK, &data[i * CHUNK..(i + 1) * CHUNK]),
        );
        assert_eq!(v["offset"], ((i + 1) * CHUNK) as u64);
    }
    let again = ok(&mut alice, &write_line(&id, CHUNK, &data[CHUNK..2 * CHUNK]));
    assert_eq!(again["offset"], (2 * CHUNK) as u64);
    let wrong = not_ok(
        &mut alice,
        &write_line(&id, 3 * CHUNK, &data[3 * CHUNK..4 * CHUNK]),
    );
    assert_eq!(wrong["offset"], (2 * CHUNK) as u64, "{wrong}");
    assert!(
        wrong["reason"].as_str().unwrap().contains("offset"),
        "{wrong}"
    );

    // A non-member cannot see it, even with its ID.
    let hidden = not_ok(&mut ann, &format!("FILE_STATUS [{}]", q(&id)));
    assert_eq!(hidden["reason"], "no such file");

    // Alice's connection breaks; she comes back, opens the same file again
    // and is told where it stands.
    drop(alice);
    let mut alice = Im::connect(&server, "alice");
    alice.send(r#"REGISTER ["alice", "online", "pw-alice-123"]"#);
    alice.online();
    alice.join(conv);
    let status = ok(&mut alice, &format!("FILE_STATUS [{}]", q(&id)));
    assert_eq!(status["offset"], (2 * CHUNK) as u64);
    let resumed = ok(&mut alice, &open_line(conv, "report.bin", &data));
    assert_eq!(resumed["id"], id.as_str());
    assert_eq!(resumed["offset"], (2 * CHUNK) as u64);
    let mut offset = 2 * CHUNK;
    let mut last = Value::Null;
    while offset < data.len() {
        let end = (offset + CHUNK).min(data.len());
        last = ok(&mut alice, &write_line(&id, offset, &data[offset..end]));
        offset = end;
    }
    let file = &last["file"];
    assert_eq!(file["complete"], true, "{last}");
    assert_eq!(file["sha256"], sha256_hex(&data));
    assert_eq!(file["size"], data.len() as u64);
    assert_eq!(file["name"], "report.bin");

    // Everyone in the conversation is told, on IM and on IRC.
    let told = bob.expect("the announcement", |r| matches!(r, Reply::Message(..)));
    let Reply::Message(c, from, text) = told else {
        unreachable!()
    };
    assert_eq!((c, from.as_str()), (conv, "alice"));
    assert!(
        text.starts_with("shared report.bin (") && text.contains(&id),
        "{text}"
    );
    let privmsg = carol.expect("PRIVMSG");
    assert_eq!(
        params(&privmsg),
        [format!("#conv-{conv}").as_str(), text.as_str()]
    );

    // Bob fetches half, stops, and resumes from where he stopped.
    let half = 2 * CHUNK + 17;
    let mut got = fetch(&mut bob, &id, 0, half);
    got.truncate(half);
    drop(bob);
    let mut bob = member(&server, "bob");
    bob.join(conv);
    got.extend(fetch(&mut bob, &id, half, data.len()));
    assert_eq!(sha256_hex(&got), sha256_hex(&data));
    // Past the end: nothing.
    let end = ok(
        &mut bob,
        &format!("FILE_READ [{}, {}, 10]", q(&id), data.len()),
    );
    assert_eq!(end["data"], "");

    // Still hidden from one who is not a member.
    let hidden = not_ok(&mut ann, &format!("FILE_READ [{}, 0, 10]", q(&id)));
    assert_eq!(hidden["reason"], "no such file");
    // A completed upload written again is harmless.
    let repeat = ok(&mut alice, &write_line(&id, 0, &data[..CHUNK]));
    assert_eq!(repeat["offset"], data.len() as u64);
}

#[test]
fn a_digest_mismatch_discards_the_upload() {
    let server = TestServer::start();
    let (mut alice, mut bob, conv) = pair(&server);
    let data = content(1000, 3);
    let claimed = content(1000, 4);
    let id = ok(&mut alice, &open_line(conv, "x.bin", &claimed))["id"]
        .as_str()
        .unwrap()
        .to_string();
    let refused = not_ok(&mut alice, &write_line(&id, 0, &data));
    assert!(
        refused["reason"]
            .as_str()
            .unwrap()
            .contains("SHA-256 mismatch"),
        "{refused}"
    );
    let gone = not_ok(&mut alice, &format!("FILE_STATUS [{}]", q(&id)));
    assert_eq!(gone["reason"], "no such file");
    // Nothing of it is left on disk.
    let partial = server.dir.path().join("data/files/partial");
    assert_eq!(std::fs::read_dir(partial).unwrap().count(), 0);
    assert_eq!(
        std::fs::read_dir(server.dir.path().join("data/files/blobs"))
            .unwrap()
            .count(),
        0
    );
    // Bob heard nothing of it.
    assert!(
        !bob.sync().iter().any(|r| matches!(r, Reply::Message(..))),
        "a discarded file was announced"
    );
}

#[test]
fn size_limit_quota_and_accounts() {
    let server = TestServer::with_config(|c| {
        c.files.max_size = 10_000;
        c.files.quota = 15_000;
    });
    let (mut alice, _bob, conv) = pair(&server);
    let big = content(10_001, 1);
    let v = not_ok(&mut alice, &open_line(conv, "big", &big));
    assert_eq!(v["reason"], "file too large: the limit is 9.8 KiB");
    let a = content(9_000, 2);
    ok(&mut alice, &open_line(conv, "a", &a));
    let b = content(9_000, 3);
    let v = not_ok(&mut alice, &open_line(conv, "b", &b));
    assert!(
        v["reason"].as_str().unwrap().starts_with("over quota"),
        "{v}"
    );
    // A guest (no account) may not share.
    let mut guest = Im::register(&server, "guest", "online");
    let v = not_ok(&mut guest, &open_line(conv, "c", &a));
    assert_eq!(v["reason"], "log in to an account to share files");
    // Not a member of the conversation.
    let mut carl = member(&server, "carl");
    let v = not_ok(&mut carl, &open_line(conv, "c", &a));
    assert_eq!(v["reason"], format!("not in conversation {conv}"));
    // Bad requests.
    let v = not_ok(
        &mut alice,
        &format!("FILE_OPEN [{conv}, \"n\", 3, \"nothex\"]"),
    );
    assert_eq!(v["reason"], "the SHA-256 must be 64 hexadecimal digits");
    let v = not_ok(&mut alice, "FILE_WRITE [\"abc\", 0, \"!!!\"]");
    assert_eq!(v["reason"], "the data is not base64");
}

/// Under the default flood control, file data moves at full speed (the
/// line rate does not apply to accepted FILE_WRITE and FILE_READ), while
/// a flood of refused ones is slowed like any flood and ends at the RecvQ.
#[test]
fn file_data_is_not_held_to_the_line_rate_but_refusals_are() {
    let server = TestServer::with_config(protected);
    let (mut alice, mut bob, conv) = pair(&server);
    // 300 KB: fifty chunks sent at once, far past the burst of 16 lines
    // and the 16 KiB RecvQ.
    let data = content(50 * CHUNK, 5);
    let id = ok(&mut alice, &open_line(conv, "fast.bin", &data))["id"]
        .as_str()
        .unwrap()
        .to_string();
    let all: String = data
        .chunks(CHUNK)
        .enumerate()
        .map(|(i, c)| write_line(&id, i * CHUNK, c) + "\n")
        .collect();
    alice.send_raw(all.as_bytes());
    for i in 1..=50 {
        let v = ok(&mut alice, "");
        assert_eq!(v["offset"], (i * CHUNK) as u64);
    }
    let reads: String = (0..50)
        .map(|i| format!("FILE_READ [{}, {}, {CHUNK}]\n", q(&id), i * CHUNK))
        .collect();
    bob.send_raw(reads.as_bytes());
    let mut got = Vec::new();
    for _ in 0..50 {
        let v = ok(&mut bob, "");
        got.extend(B64.decode(v["data"].as_str().unwrap()).unwrap());
    }
    assert_eq!(sha256_hex(&got), sha256_hex(&data));

    // Refused writes are charged: a thousand of them is a flood.
    let flood: String = (0..1000)
        .map(|i| format!("FILE_WRITE [\"nosuchfile{i:012}\", 0, \"\"]\n"))
        .collect();
    let _ = bob.try_send_raw(flood.as_bytes());
    let closing = bob.read_until_closed();
    assert!(
        closing.last().is_some_and(|l| l.contains("Excess Flood")),
        "{:?}",
        closing.last()
    );
}
