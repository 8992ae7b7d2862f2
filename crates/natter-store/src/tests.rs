use super::*;

fn account(name: &str) -> AccountRecord {
    AccountRecord {
        folded: name.to_lowercase(),
        name: name.to_string(),
        created_at: 1_700_000_000,
        credentials: Credentials {
            password: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
            scram: ScramKeys {
                salt: vec![1, 2, 3],
                iterations: 4096,
                stored_key: vec![7; 32],
                server_key: vec![9; 32],
            },
        },
    }
}

#[test]
fn accounts_survive_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("natter.db");
    {
        let store = Store::open(&path).unwrap();
        store.create_account(&account("Alice")).unwrap();
        store.create_account(&account("bob")).unwrap();
        assert!(matches!(
            store.create_account(&account("alice")),
            Err(StoreError::Exists)
        ));
        let mut changed = account("bob").credentials;
        changed.password = "$argon2id$new".into();
        assert!(store.set_credentials("bob", &changed).unwrap());
        assert!(!store.set_credentials("carol", &changed).unwrap());
        assert!(store.delete_account("alice").unwrap());
        assert!(!store.delete_account("alice").unwrap());
        store.create_account(&account("Alice")).unwrap();
    }
    let store = Store::open(&path).unwrap();
    let all = store.accounts().unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[0], account("Alice"));
    assert_eq!(all[1].credentials.password, "$argon2id$new");
    assert_eq!(store.account("bob").unwrap().unwrap().name, "bob");
    assert_eq!(store.account("nobody").unwrap(), None);
}

#[test]
fn certificates_bind_to_one_account_and_go_with_it() {
    let store = Store::open_in_memory();
    store.create_account(&account("alice")).unwrap();
    store.create_account(&account("bob")).unwrap();
    store.add_account_cert("alice", "aa11", 1).unwrap();
    store.add_account_cert("alice", "bb22", 2).unwrap();
    assert!(matches!(
        store.add_account_cert("bob", "aa11", 3),
        Err(StoreError::Exists)
    ));
    // An account that does not exist cannot have one.
    assert!(store.add_account_cert("nobody", "cc33", 4).is_err());
    assert!(!store.remove_account_cert("bob", "bb22").unwrap());
    assert!(store.remove_account_cert("alice", "bb22").unwrap());
    assert_eq!(
        store.account_certs().unwrap(),
        vec![("aa11".to_string(), "alice".to_string())]
    );
    // Dropping the account drops its certificates.
    assert!(store.delete_account("alice").unwrap());
    assert!(store.account_certs().unwrap().is_empty());
}

#[test]
fn a_file_that_is_not_a_database_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("natter.db");
    let junk = b"this is not a database, and it is longer than a header ...........................................";
    std::fs::write(&path, junk).unwrap();
    let err = Store::open(&path).unwrap_err();
    assert!(matches!(err, OpenError::Corrupt { .. }), "{err}");
    assert!(err.to_string().contains("natter.db"), "{err}");
    assert_eq!(std::fs::read(&path).unwrap(), junk);
}

#[test]
fn a_newer_schema_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("natter.db");
    drop(Store::open(&path).unwrap());
    {
        let c = Connection::open(&path).unwrap();
        c.pragma_update(None, "user_version", (migrations::LATEST + 1) as i64)
            .unwrap();
    }
    let before = std::fs::read(&path).unwrap();
    let err = Store::open(&path).unwrap_err();
    match &err {
        OpenError::TooNew { found, known, .. } => {
            assert_eq!(
                (*found, *known),
                (migrations::LATEST + 1, migrations::LATEST)
            );
        }
        e => panic!("{e}"),
    }
    assert!(err.to_string().contains("newer natter"), "{err}");
    assert_eq!(std::fs::read(&path).unwrap(), before);
}

#[test]
fn backup_copies_a_live_database_and_never_overwrites() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("natter.db");
    let store = Store::open(&path).unwrap();
    store.create_account(&account("alice")).unwrap();
    let copy = dir.path().join("copy.db");
    assert!(backup(&path, &copy).unwrap() > 0);
    // The store is still open and writing.
    store.create_account(&account("bob")).unwrap();
    let restored = Store::open(&copy).unwrap();
    assert_eq!(restored.accounts().unwrap(), vec![account("alice")]);
    let err = backup(&path, &copy).unwrap_err();
    assert!(err.contains("never overwrites"), "{err}");
}

fn msg(target: &str, msgid: &str, at_ms: i64) -> StoredMessage {
    StoredMessage {
        target: target.into(),
        shown: target.into(),
        msgid: msgid.into(),
        at_ms,
        kind: "PRIVMSG".into(),
        source: "a!~a@127.0.0.1".into(),
        account: None,
        text: msgid.into(),
        tags: String::new(),
    }
}

#[test]
fn history_ranges_cursors_targets_and_pruning() {
    let store = Store::open_in_memory();
    let batch: Vec<StoredMessage> = (0..10)
        .map(|i| msg("#c", &format!("m{i}"), 1000 + i / 2))
        .chain([msg(&dm_key("acct:a", "acct:b"), "d1", 1003)])
        .collect();
    store.append_messages(&batch).unwrap();
    let ids =
        |v: Vec<(StoredMessage, Cursor)>| v.into_iter().map(|(m, _)| m.msgid).collect::<Vec<_>>();
    let c = vec!["#c".to_string()];
    let all = (Cursor::before_ms(0), Cursor::after_ms(i64::MAX));
    assert_eq!(
        ids(store.messages_between(&c, all.0, all.1, 3, true).unwrap()),
        ["m7", "m8", "m9"]
    );
    assert_eq!(
        ids(store.messages_between(&c, all.0, all.1, 3, false).unwrap()),
        ["m0", "m1", "m2"]
    );
    // m4 and m5 share a millisecond: a msgid cursor splits them.
    let m4 = store.cursor_of("#c", "m4").unwrap().unwrap();
    assert_eq!(
        ids(store.messages_between(&c, m4, all.1, 2, false).unwrap()),
        ["m5", "m6"]
    );
    assert_eq!(
        ids(store.messages_between(&c, all.0, m4, 2, true).unwrap()),
        ["m2", "m3"]
    );
    // A timestamp excludes its whole millisecond.
    let after = Cursor::after_ms(1002);
    assert_eq!(
        ids(store.messages_between(&c, after, all.1, 2, false).unwrap()),
        ["m6", "m7"]
    );
    assert_eq!(store.cursor_of("#other", "m4").unwrap(), None);
    let targets = store.targets(&c, Some("acct:a"), 0, i64::MAX, 10).unwrap();
    assert_eq!(
        targets,
        [
            (dm_key("acct:a", "acct:b"), dm_key("acct:a", "acct:b"), 1003),
            ("#c".to_string(), "#c".to_string(), 1004)
        ]
    );
    assert!(store
        .targets(&[], Some("acct:z"), 0, i64::MAX, 10)
        .unwrap()
        .is_empty());
    assert_eq!(
        store.prune_messages(1001, 4, &["#c".to_string()]).unwrap(),
        2 + 4
    );
    assert_eq!(
        ids(store.messages_between(&c, all.0, all.1, 10, false).unwrap()),
        ["m6", "m7", "m8", "m9"]
    );
    assert_eq!(store.message_count().unwrap(), 5);
}

#[test]
fn retention_by_age_goes_in_storage_order_and_needs_no_time_index() {
    let store = Store::open_in_memory();
    assert_eq!(store.prune_messages(i64::MAX, 10, &[]).unwrap(), 0);
    // `straggler` (time 3) is stored after `young` (2000), as a message
    // relayed late would be: it stays until a pass has taken `young`.
    let batch = [
        msg("#c", "old1", 1),
        msg("#c", "old2", 2),
        msg("#c", "young", 2000),
        msg("#c", "straggler", 3),
        msg("#c", "young2", 2001),
    ];
    store.append_messages(&batch).unwrap();
    assert_eq!(store.prune_messages(1000, 10, &[]).unwrap(), 2);
    assert_eq!(store.message_count().unwrap(), 3);
    assert_eq!(store.cursor_of("#c", "old2").unwrap(), None);
    assert!(store.cursor_of("#c", "straggler").unwrap().is_some());
    assert_eq!(store.prune_messages(2001, 10, &[]).unwrap(), 2);
    assert_eq!(store.cursor_of("#c", "straggler").unwrap(), None);
    // Everything old: the table empties.
    assert_eq!(store.prune_messages(i64::MAX, 10, &[]).unwrap(), 1);
    assert_eq!(store.message_count().unwrap(), 0);
    let indexes: Vec<String> = store
        .with(|c| {
            let mut stmt = c.prepare(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'messages' \
                 ORDER BY name",
            )?;
            let names = stmt.query_map([], |r| r.get(0))?;
            Ok(names.collect::<Result<Vec<String>, _>>()?)
        })
        .unwrap();
    assert_eq!(indexes, ["messages_by_msgid", "messages_by_target"]);
}

#[test]
fn registered_channels_keep_state_lists_and_access() {
    let store = Store::open_in_memory();
    let mut record = ChannelRecord {
        folded: "#c".into(),
        name: "#C".into(),
        founder: "alice".into(),
        registered_at: 5,
        access: vec![("alice".into(), "founder".into())],
        modes: "nt".into(),
        ..Default::default()
    };
    store.register_channel(&record).unwrap();
    assert!(matches!(
        store.register_channel(&record),
        Err(StoreError::Exists)
    ));
    record.topic = Some(("hello".into(), "alice".into(), 7));
    record.modes = "imnt".into();
    record.key = Some("k".into());
    record.limit = Some(10);
    record.topic_lock = true;
    record.lists = vec![
        ('b', "*!*@bad".into(), "alice".into(), 8),
        ('I', "*!*@good".into(), "alice".into(), 9),
    ];
    assert!(store.save_channel_state(&record).unwrap());
    store.set_channel_access("#c", "bob", Some("op")).unwrap();
    store
        .set_channel_access("#c", "bob", Some("voice"))
        .unwrap();
    store.set_channel_access("#c", "carol", Some("op")).unwrap();
    store.set_channel_access("#c", "carol", None).unwrap();
    let got = store.channel("#c").unwrap().unwrap();
    record.access.push(("bob".into(), "voice".into()));
    assert_eq!(got, record);
    assert!(store.drop_channel("#c").unwrap());
    assert!(store.channels().unwrap().is_empty());
    assert!(!store.save_channel_state(&record).unwrap());
}

#[test]
fn server_bans_are_replaced_deleted_expired_and_survive_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("natter.db");
    let ban = |kind: &str, mask: &str, expires_at: Option<i64>| ServerBanRecord {
        kind: kind.into(),
        mask: mask.into(),
        reason: "spam".into(),
        set_by: "op!~op@127.0.0.1".into(),
        set_at: 100,
        expires_at,
    };
    {
        let store = Store::open(&path).unwrap();
        store.put_server_ban(&ban("K", "*@10.0.0.1", None)).unwrap();
        store
            .put_server_ban(&ban("K", "*@10.0.0.1", Some(500)))
            .unwrap();
        store
            .put_server_ban(&ban("D", "10.0.0.0/8", Some(200)))
            .unwrap();
        store.put_server_ban(&ban("D", "10.0.0.2", None)).unwrap();
        assert!(store.delete_server_ban("D", "10.0.0.2").unwrap());
        assert!(!store.delete_server_ban("D", "10.0.0.2").unwrap());
    }
    let store = Store::open(&path).unwrap();
    assert_eq!(
        store.server_bans().unwrap(),
        vec![
            ban("D", "10.0.0.0/8", Some(200)),
            ban("K", "*@10.0.0.1", Some(500))
        ]
    );
    assert_eq!(store.delete_expired_server_bans(200).unwrap(), 1);
    assert_eq!(
        store.server_bans().unwrap(),
        vec![ban("K", "*@10.0.0.1", Some(500))]
    );
}
