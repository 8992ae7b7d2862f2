//! The server_bans table: K-lines and D-lines set by operators.

use rusqlite::{params, Row};

use crate::{Store, StoreError};

/// One server ban as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerBanRecord {
    /// `K` (a `user@host` mask) or `D` (an address or CIDR block).
    pub kind: String,
    /// The mask; with `kind`, the key.
    pub mask: String,
    /// Why, shown to the banned user.
    pub reason: String,
    /// Who set it (the operator's `nick!user@host`).
    pub set_by: String,
    /// When it was set, Unix seconds.
    pub set_at: i64,
    /// When it expires, Unix seconds; `None` for a permanent ban.
    pub expires_at: Option<i64>,
}

fn record(row: &Row<'_>) -> rusqlite::Result<ServerBanRecord> {
    Ok(ServerBanRecord {
        kind: row.get(0)?,
        mask: row.get(1)?,
        reason: row.get(2)?,
        set_by: row.get(3)?,
        set_at: row.get(4)?,
        expires_at: row.get(5)?,
    })
}

impl Store {
    /// Every server ban, expired ones included, ordered by kind and set
    /// time.
    pub fn server_bans(&self) -> Result<Vec<ServerBanRecord>, StoreError> {
        self.with(|c| {
            let mut stmt = c.prepare(
                "SELECT kind, mask, reason, set_by, set_at, expires_at FROM server_bans \
                 ORDER BY kind, set_at, mask",
            )?;
            let rows = stmt.query_map([], record)?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }

    /// Stores `ban`, replacing one of the same kind and mask; committed
    /// when this returns `Ok`.
    pub fn put_server_ban(&self, ban: &ServerBanRecord) -> Result<(), StoreError> {
        self.with(|c| {
            c.execute(
                "INSERT OR REPLACE INTO server_bans \
                 (kind, mask, reason, set_by, set_at, expires_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    ban.kind,
                    ban.mask,
                    ban.reason,
                    ban.set_by,
                    ban.set_at,
                    ban.expires_at
                ],
            )?;
            Ok(())
        })
    }

    /// Deletes the ban of `kind` on `mask`, committed when this returns;
    /// `Ok(false)` if there was none.
    pub fn delete_server_ban(&self, kind: &str, mask: &str) -> Result<bool, StoreError> {
        self.with(|c| {
            let n = c.execute(
                "DELETE FROM server_bans WHERE kind = ?1 AND mask = ?2",
                [kind, mask],
            )?;
            Ok(n > 0)
        })
    }

    /// Deletes every ban that expired at or before `now` (Unix seconds);
    /// returns how many.
    pub fn delete_expired_server_bans(&self, now: i64) -> Result<usize, StoreError> {
        self.with(|c| {
            Ok(c.execute(
                "DELETE FROM server_bans WHERE expires_at IS NOT NULL AND expires_at <= ?1",
                [now],
            )?)
        })
    }
}
