//! Shared files over HTTP (issue 14): POST (whole, or resumable with
//! PATCH at offsets and HEAD to ask where an upload stands), GET with
//! Range, Basic authentication by account, who may fetch, the
//! announcement IRC members see, and IRCv3 draft/FILEHOST (a link posted
//! into a channel lets its members fetch the file).

mod common;

use common::http::{basic, sha256_hex, Body, Gen, Request};
use common::*;
use natter_server::Listener;
use std::net::SocketAddr;

/// A server with an HTTP listener, and accounts `alice`, `bob` and `eve`
/// (password `pw-<name>-123`), made through the IM protocol.
fn server() -> (TestServer, SocketAddr) {
    let server = TestServer::with_config(|c| {
        c.listen.http = vec!["127.0.0.1:0".parse().unwrap()];
    });
    for name in ["alice", "bob", "eve"] {
        let mut im = Im::connect(&server, name);
        im.send(&format!(
            "REGISTER [\"{name}\", \"online\", \"pw-{name}-123\"]"
        ));
        im.online();
    }
    let http = server.addrs(Listener::Http)[0];
    (server, http)
}

fn auth(name: &str) -> (&'static str, String) {
    basic(name, &format!("pw-{name}-123"))
}

/// `GET path` with `who`'s credentials.
fn get_as(http: SocketAddr, path: &str, who: &str) -> common::http::Response {
    Request::new("GET", path)
        .header(auth(who))
        .send(http)
        .unwrap()
}

/// An IRC client logged in to `name`'s account, in `#room`.
fn irc(server: &TestServer, name: &str) -> Client {
    let mut c = server.client(&format!("{name}_"));
    c.send(&format!("PRIVMSG NickServ :IDENTIFY {name} pw-{name}-123"));
    c.expect("900");
    c.send("JOIN #room");
    c.expect("366");
    c
}

fn id_of(location: &str) -> String {
    let at = location.find("/files/").expect("a files URL") + "/files/".len();
    location[at..at + 22].to_string()
}

#[test]
fn post_then_members_get_it_whole_and_by_range() {
    let (server, http) = server();
    let mut alice = irc(&server, "alice");
    let mut bob = irc(&server, "bob");
    let mut eve = server.client("eve_");
    eve.send("PRIVMSG NickServ :IDENTIFY eve pw-eve-123");
    eve.expect("900");
    drop(alice.sync());

    let data = Gen::bytes(5, 300_000);
    let posted = Request::new("POST", "/files?to=%23room")
        .header(auth("alice"))
        .header(("content-type", "application/octet-stream".into()))
        .header((
            "content-disposition",
            "attachment; filename*=UTF-8''r%C3%A9sum%C3%A9.bin".into(),
        ))
        .body(Body::Bytes(data.clone()))
        .send(http)
        .unwrap();
    assert_eq!(posted.status, 201, "{}", posted.text());
    let location = posted.header("location").unwrap().to_string();
    assert!(
        location.starts_with(&format!("http://{http}/files/"))
            && location.ends_with("/r%C3%A9sum%C3%A9.bin"),
        "{location}"
    );
    let id = id_of(&location);

    // The channel is told, by a message from alice's IRC user.
    let told = bob.expect("PRIVMSG");
    assert_eq!(
        told.source.as_deref().map(|s| s.starts_with("alice_!")),
        Some(true)
    );
    assert_eq!(params(&told)[0], "#room");
    assert!(
        params(&told)[1]
            .starts_with("shared résumé.bin (293.0 KiB, application/octet-stream): http://"),
        "{told:?}"
    );
    assert!(params(&told)[1].ends_with(&location), "{told:?}");

    // Bob, a member, gets it whole and in ranges.
    let got = Request::new("GET", &location[location.find("/files/").unwrap()..])
        .header(auth("bob"))
        .send(http)
        .unwrap();
    assert_eq!(got.status, 200);
    assert_eq!(sha256_hex(&got.body), sha256_hex(&data));
    assert_eq!(got.header("accept-ranges"), Some("bytes"));
    assert_eq!(got.header("content-type"), Some("application/octet-stream"));
    assert!(got
        .header("content-disposition")
        .unwrap()
        .starts_with("attachment;"));
    assert_eq!(
        got.header("content-security-policy"),
        Some("default-src 'none'; sandbox")
    );
    let path = format!("/files/{id}");
    for (range, start, end) in [
        ("bytes=10-19", 10, 20),
        ("bytes=299990-", 299_990, 300_000),
        ("bytes=-5", 299_995, 300_000),
        ("bytes=299999-400000", 299_999, 300_000),
    ] {
        let r = Request::new("GET", &path)
            .header(auth("bob"))
            .header(("range", range.into()))
            .send(http)
            .unwrap();
        assert_eq!(r.status, 206, "{range}");
        assert_eq!(r.body, data[start..end], "{range}");
        assert_eq!(
            r.header("content-range").unwrap(),
            format!("bytes {start}-{}/300000", end - 1)
        );
    }
    let r = Request::new("GET", &path)
        .header(auth("bob"))
        .header(("range", "bytes=300000-".into()))
        .send(http)
        .unwrap();
    assert_eq!(
        (r.status, r.header("content-range")),
        (416, Some("bytes */300000"))
    );
    let head = Request::new("HEAD", &path)
        .header(auth("bob"))
        .send(http)
        .unwrap();
    assert_eq!(
        (head.status, head.header("content-length")),
        (200, Some("300000"))
    );

    // Eve has an account but is not in #room: as if it did not exist.
    let r = get_as(http, &path, "eve");
    assert_eq!(r.status, 404);
    // No credentials, or wrong ones: asked to log in.
    let r = Request::new("GET", &path).send(http).unwrap();
    assert_eq!(r.status, 401);
    assert!(r
        .header("www-authenticate")
        .unwrap()
        .starts_with("Basic realm="));
    let r = Request::new("GET", &path)
        .header(basic("bob", "wrong"))
        .send(http)
        .unwrap();
    assert_eq!(r.status, 401);
    // Once bob leaves #room he may no longer fetch it.
    bob.send("PART #room");
    bob.expect("PART");
    let r = get_as(http, &path, "bob");
    assert_eq!(r.status, 404);
    // An empty file is a file too.
    let empty = Request::new("POST", "/files?to=%23room&name=empty.txt")
        .header(auth("alice"))
        .body(Body::Bytes(Vec::new()))
        .send(http)
        .unwrap();
    assert_eq!(empty.status, 201, "{}", empty.text());
    let got = Request::new(
        "GET",
        &empty.text().trim().replace(&format!("http://{http}"), ""),
    )
    .header(auth("alice"))
    .send(http)
    .unwrap();
    assert_eq!((got.status, got.body.len()), (200, 0));
    // Not a conversation alice is in.
    let r = Request::new("POST", "/files?to=%23elsewhere")
        .header(auth("alice"))
        .body(Body::Bytes(b"x".to_vec()))
        .send(http)
        .unwrap();
    assert_eq!(r.status, 403, "{}", r.text());
}

#[test]
fn resumable_upload_survives_broken_connections() {
    let (server, http) = server();
    let mut alice = irc(&server, "alice");
    let mut bob = irc(&server, "bob");
    drop(alice.sync());
    let len: u64 = 3_000_000;
    let data = Gen::bytes(9, len as usize);
    let created = Request::new("POST", "/files?to=%23room&name=big.bin")
        .header(auth("alice"))
        .header(("upload-length", len.to_string()))
        .send(http)
        .unwrap();
    assert_eq!(created.status, 201, "{}", created.text());
    let upload = created.header("location").unwrap().to_string();
    assert!(upload.starts_with("/files/uploads/"), "{upload}");
    // Others cannot see or write it.
    let r = Request::new("HEAD", &upload)
        .header(auth("bob"))
        .send(http)
        .unwrap();
    assert_eq!(r.status, 404);

    // Three broken PATCHes at random points (the seed is printed to
    // repeat a run), each resumed from where HEAD says the upload stands;
    // a PATCH past that point is refused.
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos()
        | 1;
    eprintln!("cut points from seed {seed}");
    let mut cuts: Vec<u64> = Gen::bytes(seed, 12)
        .chunks(4)
        .map(|b| 1 + u64::from(u32::from_le_bytes(b.try_into().unwrap())) % (len - 2000))
        .collect();
    cuts.sort();
    cuts.dedup();
    let mut offset = 0u64;
    for cut in cuts {
        let head = Request::new("HEAD", &upload)
            .header(auth("alice"))
            .send(http)
            .unwrap();
        assert_eq!(head.header("upload-offset").unwrap(), offset.to_string());
        assert_eq!(head.header("upload-length").unwrap(), len.to_string());
        let mut gen = Gen::new(9);
        let mut skip = vec![0; offset as usize];
        gen.fill(&mut skip);
        let r = Request::new("PATCH", &upload)
            .header(auth("alice"))
            .header(("upload-offset", offset.to_string()))
            .header(("content-type", "application/offset+octet-stream".into()))
            .body(Body::Gen {
                gen,
                len: len - offset,
                cut_after: Some(cut - offset),
            })
            .send(http);
        assert!(r.is_none());
        // The server keeps every byte that arrived.
        let mut stood = offset;
        for _ in 0..100 {
            let head = Request::new("HEAD", &upload)
                .header(auth("alice"))
                .send(http)
                .unwrap();
            stood = head.header("upload-offset").unwrap().parse().unwrap();
            if stood == cut {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        assert_eq!(stood, cut, "bytes received before the break");
        offset = cut;
    }
    let r = Request::new("PATCH", &upload)
        .header(auth("alice"))
        .header(("upload-offset", (offset + 1).to_string()))
        .body(Body::Bytes(vec![0]))
        .send(http)
        .unwrap();
    assert_eq!(r.status, 409);
    assert_eq!(r.header("upload-offset").unwrap(), offset.to_string());
    // A chunk sent again from an earlier offset is harmless.
    let earlier = offset.saturating_sub(1000);
    let r = Request::new("PATCH", &upload)
        .header(auth("alice"))
        .header(("upload-offset", earlier.to_string()))
        .body(Body::Bytes(data[earlier as usize..].to_vec()))
        .send(http)
        .unwrap();
    assert_eq!(r.status, 204, "{}", r.text());
    let location = r.header("location").unwrap().to_string();
    assert_eq!(r.header("upload-offset").unwrap(), len.to_string());

    let told = bob.expect("PRIVMSG");
    assert!(
        params(&told)[1].starts_with("shared big.bin (2.9 MiB, "),
        "{told:?}"
    );
    let got = Request::new("GET", &location[location.find("/files/").unwrap()..])
        .header(auth("bob"))
        .hashed()
        .send(http)
        .unwrap();
    assert_eq!(got.status, 200);
    assert_eq!(got.sha256, Some((len, sha256_hex(&data))));
}

#[test]
fn filehost_upload_is_shared_by_posting_its_link() {
    let (server, http) = server();
    let tokens = isupport(&server);
    let filehost = format!("draft/FILEHOST=http://{http}/files");
    assert!(tokens.contains(&filehost), "{tokens:?}");
    let mut alice = irc(&server, "alice");
    let mut bob = irc(&server, "bob");
    // OPTIONS, as the draft asks.
    let r = Request::new("OPTIONS", "/files").send(http).unwrap();
    assert_eq!((r.status, r.header("allow")), (204, Some("OPTIONS, POST")));
    // A PNG image: its type comes from its content, not its name.
    let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    png.extend(Gen::bytes(1, 100));
    let posted = Request::new("POST", "/files")
        .header(auth("alice"))
        .header((
            "content-disposition",
            "attachment; filename=\"cat.txt\"".into(),
        ))
        .body(Body::Bytes(png.clone()))
        .send(http)
        .unwrap();
    assert_eq!(posted.status, 201);
    let url = posted.header("location").unwrap().to_string();
    let path = url[url.find("/files/").unwrap()..].to_string();
    // Not shared anywhere yet: only alice may fetch it.
    assert_eq!(get_as(http, &path, "bob").status, 404);
    let mine = get_as(http, &path, "alice");
    assert_eq!(
        (mine.status, mine.header("content-type")),
        (200, Some("image/png"))
    );
    assert!(mine
        .header("content-disposition")
        .unwrap()
        .starts_with("inline;"));
    // Alice posts the link into #room: its members may fetch it.
    alice.send(&format!("PRIVMSG #room :look {url}"));
    bob.expect("PRIVMSG");
    let got = get_as(http, &path, "bob");
    assert_eq!(got.status, 200);
    assert_eq!(got.body, png);
    // Someone else posting the link grants nothing.
    let mut eve = server.client("eve_");
    eve.send("PRIVMSG NickServ :IDENTIFY eve pw-eve-123");
    eve.expect("900");
    eve.send("JOIN #other");
    eve.expect("366");
    bob.send(&format!("PRIVMSG #other :{url}"));
    drop(bob.sync());
    assert_eq!(get_as(http, &path, "eve").status, 404);
}

/// The lectures' robust transfer: the request on the IM connection, the
/// data on a second connection (HTTP, at the upload's `upload_url`).
#[test]
fn an_im_upload_can_move_its_bytes_over_a_second_connection() {
    let (server, http) = server();
    let mut alice = Im::connect(&server, "alice");
    alice.send(r#"REGISTER ["alice", "online", "pw-alice-123"]"#);
    alice.online();
    let mut bob = Im::connect(&server, "bob");
    bob.send(r#"REGISTER ["bob", "online", "pw-bob-123"]"#);
    bob.online();
    let conv = alice.invite(&["bob"]);
    alice.join(conv);
    bob.expect_invitation("alice");
    bob.join(conv);
    // And an IRC user, logged in, in the same conversation.
    let mut carol = server.client("carol");
    carol.send("PRIVMSG NickServ :IDENTIFY eve pw-eve-123");
    carol.expect("900");
    carol.send(&format!("JOIN #conv-{conv}"));
    carol.expect("366");
    let data = Gen::bytes(11, 50_000);
    alice.send(&format!(
        "FILE_OPEN [{conv}, \"second.bin\", {}, \"{}\"]",
        data.len(),
        sha256_hex(&data)
    ));
    let opened = alice.expect("OK", |r| matches!(r, natter_proto::im::Reply::Ok(..)));
    let natter_proto::im::Reply::Ok(_, detail) = opened else {
        unreachable!()
    };
    let upload_url = detail["upload_url"].as_str().unwrap().to_string();
    assert_eq!(
        upload_url,
        format!(
            "http://{http}/files/uploads/{}",
            detail["id"].as_str().unwrap()
        )
    );
    let r = Request::new("PATCH", &upload_url.replace(&format!("http://{http}"), ""))
        .header(auth("alice"))
        .header(("upload-offset", "0".into()))
        .body(Body::Bytes(data.clone()))
        .send(http)
        .unwrap();
    assert_eq!(r.status, 204, "{}", r.text());
    // The conversation is told, and the IM side sees the file complete.
    let told = bob.expect("MESSAGE", |r| {
        matches!(r, natter_proto::im::Reply::Message(..))
    });
    let natter_proto::im::Reply::Message(_, from, text) = told else {
        unreachable!()
    };
    assert_eq!(from, "alice");
    assert!(
        text.starts_with("shared second.bin (48.8 KiB, application/octet-stream): http://"),
        "{text}"
    );
    alice.send(&format!(
        "FILE_STATUS [\"{}\"]",
        detail["id"].as_str().unwrap()
    ));
    let status = alice.expect("OK", |r| matches!(r, natter_proto::im::Reply::Ok(..)));
    let natter_proto::im::Reply::Ok(_, status) = status else {
        unreachable!()
    };
    assert_eq!(
        (status["complete"].as_bool(), status["offset"].as_u64()),
        (Some(true), Some(50_000))
    );
}

/// A file shared into a private conversation: the other party may fetch
/// it, by account; nobody else may.
#[test]
fn a_private_share_is_for_the_other_party() {
    let (server, http) = server();
    let mut alice = irc(&server, "alice");
    let mut bob = irc(&server, "bob");
    drop(alice.sync());
    let posted = Request::new("POST", "/files?to=bob_&name=secret.txt")
        .header(auth("alice"))
        .body(Body::Bytes(b"for bob only".to_vec()))
        .send(http)
        .unwrap();
    assert_eq!(posted.status, 201, "{}", posted.text());
    let told = bob.expect("PRIVMSG");
    assert_eq!(params(&told)[0], "bob_");
    assert!(params(&told)[1].starts_with("shared secret.txt (12 B, text/plain; charset=utf-8): "));
    let url = posted.header("location").unwrap();
    let path = &url[url.find("/files/").unwrap()..];
    let got = get_as(http, path, "bob");
    assert_eq!(
        (got.status, got.body.as_slice()),
        (200, &b"for bob only"[..])
    );
    assert_eq!(
        got.header("content-disposition"),
        Some("attachment; filename*=UTF-8''secret.txt")
    );
    // Eve is in #room with both, but not in their conversation.
    let mut eve = irc(&server, "eve");
    drop(eve.sync());
    assert_eq!(get_as(http, path, "eve").status, 404);
    // Nobody by that nick: 403.
    let r = Request::new("POST", "/files?to=nobody")
        .header(auth("alice"))
        .body(Body::Bytes(b"x".to_vec()))
        .send(http)
        .unwrap();
    assert_eq!(r.status, 403);
}

/// From review: a PATCH retried from an offset before the bytes received
/// (a repeated request) writes each piece where it belongs, and the file
/// is announced; odd ranges follow RFC 9110; pages of other sites cannot
/// upload with a browser's remembered credentials; a broken plain POST
/// leaves nothing behind.
#[test]
fn retries_ranges_cross_site_and_broken_posts() {
    let (server, http) = server();
    let mut alice = irc(&server, "alice");
    let mut bob = irc(&server, "bob");
    drop(alice.sync());
    let len = 3_500_000u64;
    let data = Gen::bytes(21, len as usize);
    let created = Request::new("POST", "/files?to=%23room&name=retry.bin")
        .header(auth("alice"))
        .header(("upload-length", len.to_string()))
        .send(http)
        .unwrap();
    let upload = created.header("location").unwrap().to_string();
    // Breaks after 1.5 MB; then the same PATCH again, from 0, whole.
    let r = Request::new("PATCH", &upload)
        .header(auth("alice"))
        .header(("upload-offset", "0".into()))
        .body(Body::Gen {
            gen: Gen::new(21),
            len,
            cut_after: Some(1_500_000),
        })
        .send(http);
    assert!(r.is_none());
    let r = Request::new("PATCH", &upload)
        .header(auth("alice"))
        .header(("upload-offset", "0".into()))
        .body(Body::Bytes(data.clone()))
        .send(http)
        .unwrap();
    assert_eq!(r.status, 204, "{}", r.text());
    let told = bob.expect("PRIVMSG");
    assert!(
        params(&told)[1].starts_with("shared retry.bin "),
        "{told:?}"
    );
    let url = r.header("location").unwrap();
    let path = url[url.find("/files/").unwrap()..].to_string();
    let got = Request::new("GET", &path)
        .header(auth("bob"))
        .hashed()
        .send(http)
        .unwrap();
    assert_eq!(got.sha256, Some((len, sha256_hex(&data))));

    // Ranges: invalid ones are ignored (the whole file), a last position
    // past the end is clamped, a suffix of 0 is unsatisfiable.
    let ranged = |range: &str| {
        Request::new("GET", &path)
            .header(auth("bob"))
            .header(("range", range.into()))
            .hashed()
            .send(http)
            .unwrap()
    };
    for invalid in ["bytes=5-3", "bytes=x-", "bytes=-", "items=0-1"] {
        let r = ranged(invalid);
        assert_eq!((invalid, r.status), (invalid, 200));
        assert_eq!(r.sha256.as_ref().unwrap().0, len);
    }
    let r = ranged("bytes=3499990-18446744073709551615");
    assert_eq!(
        (r.status, r.header("content-range")),
        (206, Some("bytes 3499990-3499999/3500000"))
    );
    let r = ranged("bytes=3499990-99999999999999999999999");
    assert_eq!(r.status, 206);
    assert_eq!(ranged("bytes=-0").status, 416);

    // Another site's page, with the browser's remembered credentials.
    for (name, value) in [
        ("origin", "http://evil.example"),
        ("sec-fetch-site", "cross-site"),
    ] {
        let r = Request::new("POST", "/files?to=%23room")
            .header(auth("alice"))
            .header((name, value.into()))
            .body(Body::Bytes(b"forged".to_vec()))
            .send(http)
            .unwrap();
        assert_eq!(r.status, 403, "{name}: {}", r.text());
    }
    // natter's own page may.
    let r = Request::new("POST", "/files?to=%23room&name=mine.txt")
        .header(auth("alice"))
        .header(("origin", format!("http://{http}")))
        .header(("sec-fetch-site", "same-origin".into()))
        .body(Body::Bytes(b"mine".to_vec()))
        .send(http)
        .unwrap();
    assert_eq!(r.status, 201, "{}", r.text());

    // A plain POST that breaks off keeps nothing, not even a partial file.
    let r = Request::new("POST", "/files?name=broken.bin")
        .header(auth("alice"))
        .body(Body::Gen {
            gen: Gen::new(3),
            len: 2_000_000,
            cut_after: Some(700_000),
        })
        .send(http);
    assert!(r.is_none());
    let partial = server.dir.path().join("data/files/partial");
    let mut left = usize::MAX;
    for _ in 0..200 {
        left = std::fs::read_dir(&partial).unwrap().count();
        if left == 0 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert_eq!(left, 0, "a broken POST left a partial file");
}

#[test]
fn failed_logins_over_http_count_for_irc_too() {
    let (server, http) = server();
    let path = "/files/AAAAAAAAAAAAAAAAAAAAAA";
    // Six wrong passwords (the last three answered late) ...
    for _ in 0..6 {
        let r = Request::new("GET", path)
            .header(basic("bob", "wrong"))
            .send(http)
            .unwrap();
        assert_eq!(r.status, 401);
    }
    // ... and the address is refused for a while, with how long to wait.
    let r = get_as(http, path, "bob");
    assert_eq!(r.status, 429);
    let wait: u64 = r.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=600).contains(&wait), "Retry-After {wait}");
    // The same throttle holds NickServ's IDENTIFY from that address, even
    // to another account with its right password (the address's key).
    let mut c = server.client("eve_");
    let got = c.ask("PRIVMSG NickServ :IDENTIFY eve pw-eve-123");
    let notice = &with_command(&got, "NOTICE")[0].params[1];
    assert!(notice.starts_with("Too many failed attempts"), "{notice}");
}
