//! Unit tests of [`super::Files`]: offsets, completion, content
//! addressing, restart, retention.

use super::*;

fn files(dir: &Path, limits: FilesSection) -> Files {
    let store = Arc::new(Store::open(&dir.join("natter.db")).expect("store"));
    Files::open(dir, store, limits, Some("http://h".into())).expect("files")
}

fn sha(data: &[u8]) -> String {
    use sha2::Digest;
    disk::hex(&sha2::Sha256::digest(data))
}

fn request(name: &str, data: &[u8]) -> OpenRequest {
    OpenRequest {
        name: name.into(),
        size: data.len() as u64,
        sha256: Some(sha(data)),
        uploader: "Alice".into(),
        grantees: vec!["chan:#room".into()],
    }
}

#[test]
fn offsets_repeats_and_completion() {
    let dir = tempfile::tempdir().unwrap();
    let f = files(dir.path(), FilesSection::default());
    let data: Vec<u8> = (0..10_000u32).map(|i| (i * 7) as u8).collect();
    let id = f.open_upload(request("a.bin", &data)).unwrap().record.id;
    assert!(is_id(&id));
    assert_eq!(f.write(&id, 0, &data[..4000]), Ok(Written::Partial(4000)));
    // Again, and overlapping: harmless.
    assert_eq!(f.write(&id, 0, &data[..4000]), Ok(Written::Partial(4000)));
    assert_eq!(
        f.write(&id, 3000, &data[3000..5000]),
        Ok(Written::Partial(5000))
    );
    assert_eq!(
        f.write(&id, 6000, &data[6000..7000]),
        Err(FileError::WrongOffset { expected: 5000 })
    );
    assert_eq!(
        f.write(&id, 5000, &data[5000..]).map(|_| ()).and(Ok(())),
        Ok(())
    );
    assert_eq!(
        f.write(&id, 9999, &[0, 0]),
        Err(FileError::PastEnd { size: 10_000 })
    );
    let status = f.entry(&id).unwrap();
    assert!(status.record.complete);
    assert_eq!(status.record.mime, "application/octet-stream");
    assert_eq!(f.read(&id, 9990, 100).unwrap(), data[9990..]);
    assert_eq!(f.read(&id, 10_000, 100).unwrap(), Vec::<u8>::new());
    assert_eq!(f.read(&id, 0, 1 << 20).unwrap().len(), CHUNK);
    // A second share of the same bytes keeps one copy on disk.
    let again = f.open_upload(request("b.bin", &data)).unwrap().record.id;
    assert!(matches!(
        f.write(&again, 0, &data),
        Ok(Written::Complete { fresh: true, .. })
    ));
    assert_eq!(
        std::fs::read_dir(dir.path().join("files/blobs"))
            .unwrap()
            .count(),
        1
    );
    f.discard(&id);
    assert_eq!(f.read(&again, 0, 10).unwrap(), data[..10]);
    f.discard(&again);
    assert_eq!(
        std::fs::read_dir(dir.path().join("files/blobs"))
            .unwrap()
            .count(),
        0
    );
}

#[test]
fn an_unfinished_upload_resumes_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let data = b"hello, resumable world".to_vec();
    let id = {
        let f = files(dir.path(), FilesSection::default());
        let id = f.open_upload(request("h.txt", &data)).unwrap().record.id;
        f.write(&id, 0, &data[..7]).unwrap();
        id
    };
    let f = files(dir.path(), FilesSection::default());
    let status = f.entry(&id).unwrap();
    assert_eq!((status.received, status.record.complete), (7, false));
    // Opening the same file again finds it.
    let found = f.open_upload(request("h.txt", &data)).unwrap();
    assert_eq!((found.record.id.as_str(), found.received), (id.as_str(), 7));
    let Ok(Written::Complete { record, .. }) = f.write(&id, 7, &data[7..]) else {
        panic!("not complete");
    };
    assert_eq!(record.mime, "text/plain; charset=utf-8");
}

#[test]
fn limits_and_names() {
    let dir = tempfile::tempdir().unwrap();
    let limits = FilesSection {
        max_size: 100,
        quota: 150,
        ..FilesSection::default()
    };
    let f = files(dir.path(), limits);
    let big = vec![1u8; 101];
    assert_eq!(
        f.open_upload(request("x", &big)).unwrap_err(),
        FileError::TooLarge { max: 100 }
    );
    f.open_upload(request("x", &[1u8; 100])).unwrap();
    assert_eq!(
        f.open_upload(request("y", &[2u8; 60])).unwrap_err(),
        FileError::OverQuota {
            used: 100,
            quota: 150
        }
    );
    // The quota is the account's, whatever the case of its name.
    let mut other = request("z", &[3u8; 60]);
    other.uploader = "ALICE".into();
    assert!(matches!(
        f.open_upload(other),
        Err(FileError::OverQuota { .. })
    ));
    // At most `max_files` files per account.
    let dir2 = tempfile::tempdir().unwrap();
    let few = files(
        dir2.path(),
        FilesSection {
            max_files: 2,
            ..FilesSection::default()
        },
    );
    few.open_upload(request("1", b"one")).unwrap();
    few.open_upload(request("2", b"two")).unwrap();
    assert_eq!(
        few.open_upload(request("3", b"three")).unwrap_err(),
        FileError::TooMany { max: 2 }
    );
    assert_eq!(clean_name("../../etc/passwd").unwrap(), "passwd");
    assert_eq!(clean_name("C:\\x\\y.txt").unwrap(), "y.txt");
    assert_eq!(clean_name("a\u{7}b").unwrap(), "ab");
    assert!(clean_name("  ").is_err() && clean_name("x/..").is_err());
    assert_eq!(clean_name(&"é".repeat(200)).unwrap().len(), 254);
    assert_eq!(human_size(1023), "1023 B");
    assert_eq!(human_size(1536), "1.5 KiB");
    assert_eq!(human_size(3 << 30), "3.0 GiB");
    assert_eq!(percent_encode("a b/é.txt"), "a%20b%2F%C3%A9.txt");
}

#[test]
fn retention_and_expiry() {
    let dir = tempfile::tempdir().unwrap();
    let limits = FilesSection {
        retention: 100,
        upload_expiry: 10,
        ..FilesSection::default()
    };
    let f = files(dir.path(), limits);
    let data = b"kept for a while".to_vec();
    let done = f.open_upload(request("d", &data)).unwrap().record;
    f.write(&done.id, 0, &data).unwrap();
    let open = f
        .open_upload(request("o", b"never finished"))
        .unwrap()
        .record;
    let t0 = done.created_ms as u64;
    assert_eq!(f.sweep(t0 + 5_000), 0);
    assert_eq!(f.sweep(t0 + 11_000), 1);
    assert!(f.entry(&open.id).is_none() && f.entry(&done.id).is_some());
    assert_eq!(f.sweep(t0 + 101_000), 1);
    assert!(f.entry(&done.id).is_none());
    assert_eq!(
        std::fs::read_dir(dir.path().join("files/blobs"))
            .unwrap()
            .count(),
        0
    );
    assert_eq!(
        std::fs::read_dir(dir.path().join("files/partial"))
            .unwrap()
            .count(),
        0
    );
    // And the store forgot them: a restart finds nothing.
    drop(f);
    let f = files(dir.path(), FilesSection::default());
    assert!(f.entry(&done.id).is_none());
}

#[test]
fn mime_types_come_from_content() {
    assert_eq!(disk::mime_of(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), "image/png");
    assert_eq!(disk::mime_of(b"%PDF-1.7\n"), "application/pdf");
    assert_eq!(
        disk::mime_of("héllo".as_bytes()),
        "text/plain; charset=utf-8"
    );
    // Cut inside a character at the end of the head: still text.
    assert_eq!(
        disk::mime_of(&"é".as_bytes()[..1]),
        "text/plain; charset=utf-8"
    );
    assert_eq!(disk::mime_of(b"\0\x01\x02"), "application/octet-stream");
}

#[test]
fn a_corrected_chunk_is_what_counts() {
    // A chunk rewritten with other bytes ends the running digest; the file
    // is then hashed whole at completion, and it is the bytes on disk that
    // must match.
    let dir = tempfile::tempdir().unwrap();
    let f = files(dir.path(), FilesSection::default());
    let data: Vec<u8> = (0..9000u32).map(|i| (i % 251) as u8).collect();
    let id = f.open_upload(request("c.bin", &data)).unwrap().record.id;
    f.write(&id, 0, &[0xAA; 4000]).unwrap();
    f.write(&id, 0, &data[..4000]).unwrap();
    let Ok(Written::Complete { record, .. }) = f.write(&id, 4000, &data[4000..]) else {
        panic!("not complete");
    };
    assert_eq!(record.sha256, sha(&data));
    // In order all along: the running digest, the same answer.
    let id = f.open_upload(request("d.bin", &data)).unwrap().record.id;
    f.write(&id, 0, &data[..4000]).unwrap();
    let Ok(Written::Complete { record, .. }) = f.write(&id, 4000, &data[4000..]) else {
        panic!("not complete");
    };
    assert_eq!(
        (record.sha256, record.mime.as_str()),
        (sha(&data), "application/octet-stream")
    );
}
