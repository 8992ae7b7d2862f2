//! The schema, one migration per version (applied in order by
//! `rusqlite_migration`, which records the version in `user_version`).
//! A released migration is never edited: a change is a new one at the end.

use rusqlite_migration::{Migrations, M};

/// The SQL of each version, oldest first.
const STEPS: &[&str] = &[
    // 1: accounts. `folded` is the account name casefolded as the server
    // folds nicks (the key); `name` as registered. `password` is an
    // argon2id PHC string; the scram_* columns are SCRAM-SHA-256
    // credentials (RFC 5802 §3: salt, iteration count, StoredKey,
    // ServerKey), so the server never keeps a password-equivalent.
    "CREATE TABLE accounts (
        folded TEXT PRIMARY KEY NOT NULL,
        name TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        password TEXT NOT NULL,
        scram_salt BLOB NOT NULL,
        scram_iterations INTEGER NOT NULL,
        scram_stored_key BLOB NOT NULL,
        scram_server_key BLOB NOT NULL
    ) STRICT;",
    // 2: message history (IRCv3 chathistory). `target` is the key a
    // conversation's history is kept under: a channel's casefolded name,
    // or `dm:` and the two parties of a private conversation (see
    // `natter_store::dm_key`). `shown` is the target as the message
    // named it. `at_ms` is the server-time clients were shown.
    "CREATE TABLE messages (
        id INTEGER PRIMARY KEY,
        target TEXT NOT NULL,
        shown TEXT NOT NULL,
        msgid TEXT NOT NULL,
        at_ms INTEGER NOT NULL,
        kind TEXT NOT NULL,
        source TEXT NOT NULL,
        account TEXT,
        text TEXT NOT NULL,
        tags TEXT NOT NULL
    ) STRICT;
    CREATE INDEX messages_by_target ON messages (target, at_ms, id);
    CREATE INDEX messages_by_msgid ON messages (msgid);",
    // 3: registered channels (ChanServ): the channel and what it keeps
    // across restarts (topic, modes as flag letters with key and limit,
    // ChanServ's topic lock), its list modes, and its access list.
    "CREATE TABLE channels (
        folded TEXT PRIMARY KEY NOT NULL,
        name TEXT NOT NULL,
        founder TEXT NOT NULL,
        registered_at INTEGER NOT NULL,
        topic TEXT,
        topic_setter TEXT,
        topic_at INTEGER,
        modes TEXT NOT NULL,
        chan_key TEXT,
        chan_limit INTEGER,
        topic_lock INTEGER NOT NULL
    ) STRICT;
    CREATE TABLE channel_lists (
        folded TEXT NOT NULL REFERENCES channels (folded) ON DELETE CASCADE,
        list TEXT NOT NULL,
        mask TEXT NOT NULL,
        setter TEXT NOT NULL,
        set_at INTEGER NOT NULL,
        PRIMARY KEY (folded, list, mask)
    ) STRICT;
    CREATE TABLE channel_access (
        folded TEXT NOT NULL REFERENCES channels (folded) ON DELETE CASCADE,
        account TEXT NOT NULL,
        level TEXT NOT NULL,
        PRIMARY KEY (folded, account)
    ) STRICT;",
    // 4: read markers (IRCv3 draft/read-marker) of logged-in users, per
    // casefolded account and casefolded target; `timestamp` is the
    // server-time form, which sorts as it compares.
    "CREATE TABLE read_markers (
        account TEXT NOT NULL,
        target TEXT NOT NULL,
        timestamp TEXT NOT NULL,
        PRIMARY KEY (account, target)
    ) STRICT;",
    // 5: retention by age without scanning the whole table.
    "CREATE INDEX messages_by_time ON messages (at_ms);",
    // 6: TLS client certificates bound to accounts (NickServ CERT, SASL
    // EXTERNAL): SHA-256 fingerprints, lowercase hex; one account each.
    "CREATE TABLE account_certs (
        fingerprint TEXT PRIMARY KEY NOT NULL,
        account TEXT NOT NULL REFERENCES accounts (folded) ON DELETE CASCADE,
        added_at INTEGER NOT NULL
    ) STRICT;",
    // 7: server bans (KLINE, DLINE): `kind` is `K` (a `user@host` mask)
    // or `D` (an address or CIDR block); `set_by` the operator's
    // `nick!user@host`; times in Unix seconds, `expires_at` NULL for a
    // permanent ban.
    "CREATE TABLE server_bans (
        kind TEXT NOT NULL,
        mask TEXT NOT NULL,
        reason TEXT NOT NULL,
        set_by TEXT NOT NULL,
        set_at INTEGER NOT NULL,
        expires_at INTEGER,
        PRIMARY KEY (kind, mask)
    ) STRICT;",
    // 8: shared files. `id` is the file's unguessable ID (128 random
    // bits, base64url); `sha256` (lowercase hex) names its content in the
    // data directory's `files/blobs/` once `complete` is 1, and is the
    // digest the uploader declared while it is 0 (the bytes are then in
    // `files/partial/<id>`). `mime` is detected from the content at
    // completion ('' before). `uploader` is the account's name; `created_ms`
    // Unix milliseconds. `file_grants` says who may fetch a file besides
    // its uploader: `chan:<casefolded channel>` (its members) or
    // `acct:<casefolded account>` / `nick:<casefolded nick>` (a private
    // conversation's other party).
    "CREATE TABLE files (
        id TEXT PRIMARY KEY NOT NULL,
        name TEXT NOT NULL,
        size INTEGER NOT NULL,
        sha256 TEXT NOT NULL,
        mime TEXT NOT NULL,
        uploader TEXT NOT NULL,
        created_ms INTEGER NOT NULL,
        complete INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX files_uploader ON files (uploader);
    CREATE TABLE file_grants (
        file_id TEXT NOT NULL,
        grantee TEXT NOT NULL,
        PRIMARY KEY (file_id, grantee)
    ) STRICT;",
    // 9: retention by age walks the messages in row order, oldest first,
    // and stops at the first one young enough (`Store::prune_messages`):
    // the time index of 5 cost every insert and no longer serves a query.
    "DROP INDEX messages_by_time;",
];

/// The newest schema version this build knows.
pub const LATEST: usize = STEPS.len();

/// The migrations, for `rusqlite_migration`.
pub fn migrations() -> Migrations<'static> {
    Migrations::new(STEPS.iter().map(|sql| M::up(sql)).collect())
}
