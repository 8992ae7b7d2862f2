//! The accounts table.

use rusqlite::{params, OptionalExtension, Row};

use crate::{Store, StoreError};

/// SCRAM-SHA-256 credentials (RFC 5802 §3, RFC 7677): what a server keeps
/// to verify a SCRAM login without knowing the password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScramKeys {
    /// The salt (random bytes).
    pub salt: Vec<u8>,
    /// The PBKDF2 iteration count (at least 4096, RFC 7677 §4).
    pub iterations: u32,
    /// StoredKey = H(ClientKey), 32 bytes.
    pub stored_key: Vec<u8>,
    /// ServerKey = HMAC(SaltedPassword, "Server Key"), 32 bytes.
    pub server_key: Vec<u8>,
}

/// An account's secrets: one per login mechanism, all made from the same
/// password at registration or password change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The argon2id hash of the password, as a PHC string
    /// (`$argon2id$v=19$...`): checked for PLAIN, IDENTIFY and REGISTER's
    /// password logins.
    pub password: String,
    /// For SASL SCRAM-SHA-256.
    pub scram: ScramKeys,
}

/// One account as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountRecord {
    /// The name casefolded the way the server folds nicks: the key.
    pub folded: String,
    /// The name as registered.
    pub name: String,
    /// When it was registered, Unix seconds.
    pub created_at: i64,
    /// Its secrets.
    pub credentials: Credentials,
}

fn record(row: &Row<'_>) -> rusqlite::Result<AccountRecord> {
    Ok(AccountRecord {
        folded: row.get(0)?,
        name: row.get(1)?,
        created_at: row.get(2)?,
        credentials: Credentials {
            password: row.get(3)?,
            scram: ScramKeys {
                salt: row.get(4)?,
                iterations: row.get(5)?,
                stored_key: row.get(6)?,
                server_key: row.get(7)?,
            },
        },
    })
}

const COLUMNS: &str = "folded, name, created_at, password, scram_salt, scram_iterations, \
                       scram_stored_key, scram_server_key";

impl Store {
    /// Every account, ordered by folded name.
    pub fn accounts(&self) -> Result<Vec<AccountRecord>, StoreError> {
        self.with(|c| {
            let mut stmt = c.prepare(&format!("SELECT {COLUMNS} FROM accounts ORDER BY folded"))?;
            let rows = stmt.query_map([], record)?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }

    /// The account whose folded name is `folded`, if any.
    pub fn account(&self, folded: &str) -> Result<Option<AccountRecord>, StoreError> {
        self.with(|c| {
            Ok(c.query_row(
                &format!("SELECT {COLUMNS} FROM accounts WHERE folded = ?1"),
                [folded],
                record,
            )
            .optional()?)
        })
    }

    /// Creates `account`, committed when this returns `Ok`;
    /// [`StoreError::Exists`] if its folded name is taken.
    pub fn create_account(&self, account: &AccountRecord) -> Result<(), StoreError> {
        self.with(|c| {
            let k = &account.credentials;
            c.execute(
                &format!(
                    "INSERT INTO accounts ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
                ),
                params![
                    account.folded,
                    account.name,
                    account.created_at,
                    k.password,
                    k.scram.salt,
                    k.scram.iterations,
                    k.scram.stored_key,
                    k.scram.server_key,
                ],
            )?;
            Ok(())
        })
    }

    /// Replaces the credentials of account `folded` (a password change),
    /// committed when this returns; `Ok(false)` if there is no such account.
    pub fn set_credentials(
        &self,
        folded: &str,
        credentials: &Credentials,
    ) -> Result<bool, StoreError> {
        self.with(|c| {
            let n = c.execute(
                "UPDATE accounts SET password = ?2, scram_salt = ?3, scram_iterations = ?4, \
                 scram_stored_key = ?5, scram_server_key = ?6 WHERE folded = ?1",
                params![
                    folded,
                    credentials.password,
                    credentials.scram.salt,
                    credentials.scram.iterations,
                    credentials.scram.stored_key,
                    credentials.scram.server_key,
                ],
            )?;
            Ok(n == 1)
        })
    }

    /// Deletes account `folded`, committed when this returns; `Ok(false)`
    /// if there was none.
    pub fn delete_account(&self, folded: &str) -> Result<bool, StoreError> {
        self.with(|c| Ok(c.execute("DELETE FROM accounts WHERE folded = ?1", [folded])? == 1))
    }
}

impl Store {
    /// Every certificate fingerprint bound to an account: (fingerprint,
    /// casefolded account), ordered by account.
    pub fn account_certs(&self) -> Result<Vec<(String, String)>, StoreError> {
        self.with(|c| {
            let mut stmt =
                c.prepare("SELECT fingerprint, account FROM account_certs ORDER BY account")?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }

    /// Binds certificate `fingerprint` to account `folded`, committed when
    /// this returns; [`StoreError::Exists`] if the fingerprint is bound to
    /// an account already.
    pub fn add_account_cert(
        &self,
        folded: &str,
        fingerprint: &str,
        added_at: i64,
    ) -> Result<(), StoreError> {
        self.with(|c| {
            c.execute(
                "INSERT INTO account_certs (fingerprint, account, added_at) VALUES (?1, ?2, ?3)",
                params![fingerprint, folded, added_at],
            )?;
            Ok(())
        })
    }

    /// Unbinds `fingerprint` from account `folded`; `Ok(false)` if it was
    /// not bound to it.
    pub fn remove_account_cert(&self, folded: &str, fingerprint: &str) -> Result<bool, StoreError> {
        self.with(|c| {
            Ok(c.execute(
                "DELETE FROM account_certs WHERE account = ?1 AND fingerprint = ?2",
                params![folded, fingerprint],
            )? == 1)
        })
    }
}

impl Store {
    /// Every stored read marker: (casefolded account, casefolded target,
    /// timestamp).
    pub fn read_markers(&self) -> Result<Vec<(String, String, String)>, StoreError> {
        self.with(|c| {
            let mut stmt = c.prepare("SELECT account, target, timestamp FROM read_markers")?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }

    /// Stores `account`'s read marker for `target` (both casefolded), and
    /// keeps only the account's `keep` newest markers (the oldest go).
    pub fn set_read_marker(
        &self,
        account: &str,
        target: &str,
        timestamp: &str,
        keep: usize,
    ) -> Result<(), StoreError> {
        self.with(|c| {
            c.execute(
                "INSERT INTO read_markers (account, target, timestamp) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (account, target) DO UPDATE SET timestamp = excluded.timestamp",
                params![account, target, timestamp],
            )?;
            c.execute(
                "DELETE FROM read_markers WHERE account = ?1 AND target NOT IN \
                 (SELECT target FROM read_markers WHERE account = ?1 \
                  ORDER BY timestamp DESC, target LIMIT ?2)",
                params![account, keep as i64],
            )?;
            Ok(())
        })
    }
}
