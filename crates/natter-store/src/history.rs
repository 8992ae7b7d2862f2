//! The messages table: what IRCv3 chathistory replays.
//!
//! A position in a conversation is a [`Cursor`] (time in milliseconds,
//! then row id), so messages with the same millisecond keep their order
//! and a reference by msgid excludes exactly that message.

use rusqlite::{params, OptionalExtension, Row};

use crate::{Store, StoreError};

/// One stored message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredMessage {
    /// The conversation's key: a casefolded channel name, or a [`dm_key`].
    pub target: String,
    /// The target as the message named it (a channel or a nick).
    pub shown: String,
    /// Its msgid (IRCv3 message-ids).
    pub msgid: String,
    /// Its server-time, Unix milliseconds.
    pub at_ms: i64,
    /// `PRIVMSG`, `NOTICE` or `TAGMSG`.
    pub kind: String,
    /// The sender as `nick!user@host`.
    pub source: String,
    /// The sender's account, if logged in.
    pub account: Option<String>,
    /// The text (empty for TAGMSG).
    pub text: String,
    /// Client-only tags, serialized without `@`.
    pub tags: String,
}

/// The key of a private conversation between two parties, each named as
/// `acct:<folded account>` or `nick:<folded nick>`: `dm:` and the two in
/// order, separated by a space, so either side finds the same key.
pub fn dm_key(a: &str, b: &str) -> String {
    let (first, second) = if a <= b { (a, b) } else { (b, a) };
    format!("dm:{first} {second}")
}

/// A position in a conversation: Unix milliseconds, then row id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Cursor {
    /// Milliseconds.
    pub at_ms: i64,
    /// Row id, to order messages of the same millisecond.
    pub id: i64,
}

impl Cursor {
    /// Just before every message of millisecond `at_ms`.
    pub fn before_ms(at_ms: i64) -> Cursor {
        Cursor {
            at_ms,
            id: i64::MIN,
        }
    }

    /// Just after every message of millisecond `at_ms`.
    pub fn after_ms(at_ms: i64) -> Cursor {
        Cursor {
            at_ms,
            id: i64::MAX,
        }
    }
}

const COLUMNS: &str = "target, shown, msgid, at_ms, kind, source, account, text, tags, id";

fn message(row: &Row<'_>) -> rusqlite::Result<(StoredMessage, Cursor)> {
    let m = StoredMessage {
        target: row.get(0)?,
        shown: row.get(1)?,
        msgid: row.get(2)?,
        at_ms: row.get(3)?,
        kind: row.get(4)?,
        source: row.get(5)?,
        account: row.get(6)?,
        text: row.get(7)?,
        tags: row.get(8)?,
    };
    let cursor = Cursor {
        at_ms: m.at_ms,
        id: row.get(9)?,
    };
    Ok((m, cursor))
}

impl Store {
    /// Appends `batch` in one transaction (one commit for all of them).
    pub fn append_messages(&self, batch: &[StoredMessage]) -> Result<(), StoreError> {
        self.with(|c| {
            let tx = c.transaction()?;
            {
                let mut stmt = tx.prepare_cached(
                    "INSERT INTO messages (target, shown, msgid, at_ms, kind, source, account, \
                     text, tags) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                )?;
                for m in batch {
                    stmt.execute(params![
                        m.target, m.shown, m.msgid, m.at_ms, m.kind, m.source, m.account, m.text,
                        m.tags
                    ])?;
                }
            }
            tx.commit()?;
            Ok(())
        })
    }

    /// Where the message `msgid` of conversation `target` is, if stored.
    pub fn cursor_of(&self, target: &str, msgid: &str) -> Result<Option<Cursor>, StoreError> {
        self.with(|c| {
            Ok(c.query_row(
                "SELECT at_ms, id FROM messages WHERE msgid = ?1 AND target = ?2",
                params![msgid, target],
                |r| {
                    Ok(Cursor {
                        at_ms: r.get(0)?,
                        id: r.get(1)?,
                    })
                },
            )
            .optional()?)
        })
    }

    /// Up to `limit` messages of `targets` strictly after `from` and
    /// strictly before `to`, oldest first; with `newest`, the `limit`
    /// newest of them (still returned oldest first).
    pub fn messages_between(
        &self,
        targets: &[String],
        from: Cursor,
        to: Cursor,
        limit: usize,
        newest: bool,
    ) -> Result<Vec<(StoredMessage, Cursor)>, StoreError> {
        if targets.is_empty() || limit == 0 {
            return Ok(Vec::new());
        }
        self.with(|c| {
            let placeholders = vec!["?"; targets.len()].join(", ");
            let order = if newest { "DESC" } else { "ASC" };
            let sql = format!(
                "SELECT {COLUMNS} FROM messages WHERE target IN ({placeholders}) \
                 AND (at_ms > ? OR (at_ms = ? AND id > ?)) \
                 AND (at_ms < ? OR (at_ms = ? AND id < ?)) \
                 ORDER BY at_ms {order}, id {order} LIMIT ?"
            );
            let mut stmt = c.prepare_cached(&sql)?;
            let mut values: Vec<rusqlite::types::Value> =
                targets.iter().map(|t| t.clone().into()).collect();
            for v in [from.at_ms, from.at_ms, from.id, to.at_ms, to.at_ms, to.id] {
                values.push(v.into());
            }
            values.push((limit as i64).into());
            let rows = stmt.query_map(rusqlite::params_from_iter(values), message)?;
            let mut out = rows.collect::<Result<Vec<_>, _>>()?;
            if newest {
                out.reverse();
            }
            Ok(out)
        })
    }

    /// The conversations among `channels` (keys) and the private ones
    /// `party` (`acct:<name>`) takes part in, with the time of their latest
    /// message, for those whose latest message is after `from_ms` and
    /// before `to_ms`: up to `limit`, oldest latest message first
    /// (chathistory TARGETS). Returns (key, shown name of a channel,
    /// latest Unix milliseconds).
    pub fn targets(
        &self,
        channels: &[String],
        party: Option<&str>,
        from_ms: i64,
        to_ms: i64,
        limit: usize,
    ) -> Result<Vec<(String, String, i64)>, StoreError> {
        self.with(|c| {
            let mut values: Vec<rusqlite::types::Value> =
                channels.iter().map(|t| t.clone().into()).collect();
            let mut clauses = Vec::new();
            if !channels.is_empty() {
                clauses.push(format!(
                    "target IN ({})",
                    vec!["?"; channels.len()].join(", ")
                ));
            }
            if let Some(p) = party {
                clauses.push("target LIKE ? ESCAPE '\\' OR target LIKE ? ESCAPE '\\'".into());
                let escaped = p
                    .replace('\\', "\\\\")
                    .replace('%', "\\%")
                    .replace('_', "\\_");
                values.push(format!("dm:{escaped} %").into());
                values.push(format!("dm:% {escaped}").into());
            }
            if clauses.is_empty() {
                return Ok(Vec::new());
            }
            let sql = format!(
                "SELECT target, MAX(shown), MAX(at_ms) AS latest FROM messages WHERE ({}) \
                 GROUP BY target HAVING latest > ? AND latest < ? ORDER BY latest ASC LIMIT ?",
                clauses.join(" OR ")
            );
            values.push(from_ms.into());
            values.push(to_ms.into());
            values.push((limit as i64).into());
            let mut stmt = c.prepare(&sql)?;
            let rows = stmt.query_map(rusqlite::params_from_iter(values), |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }

    /// Deletes the messages older than `before_ms` (Unix milliseconds)
    /// that were stored before the first one, in storage order, that is
    /// not; and in each of `targets` all but the newest `keep` (retention;
    /// the caller names the conversations that grew). Returns how many went.
    ///
    /// Storage order (row id) is time order, except for a message stored
    /// with an earlier time than one before it (a relayed one): it goes on
    /// a later pass, once those before it have. A message stored while the
    /// clock was ahead holds back those after it until its time has passed;
    /// `keep` still bounds each conversation. The walk reads only the rows
    /// that go and the first that stays, so no index on time has to be kept
    /// up by every insert.
    pub fn prune_messages(
        &self,
        before_ms: i64,
        keep: usize,
        targets: &[String],
    ) -> Result<usize, StoreError> {
        self.with(|c| {
            let tx = c.transaction()?;
            let mut gone = tx.execute(
                "DELETE FROM messages WHERE id < coalesce(\
                 (SELECT id FROM messages WHERE at_ms >= ?1 ORDER BY id LIMIT 1), \
                 (SELECT max(id) + 1 FROM messages))",
                [before_ms],
            )?;
            {
                let mut count =
                    tx.prepare_cached("SELECT count(*) FROM messages WHERE target = ?1")?;
                let mut trim = tx.prepare_cached(
                    "DELETE FROM messages WHERE target = ?1 AND id IN (SELECT id FROM messages \
                     WHERE target = ?1 ORDER BY at_ms DESC, id DESC LIMIT -1 OFFSET ?2)",
                )?;
                for target in targets {
                    let n: i64 = count.query_row([target], |r| r.get(0))?;
                    if n as usize > keep {
                        gone += trim.execute(rusqlite::params![target, keep as i64])?;
                    }
                }
            }
            tx.commit()?;
            Ok(gone)
        })
    }

    /// How many messages are stored.
    pub fn message_count(&self) -> Result<u64, StoreError> {
        self.with(|c| {
            Ok(c.query_row("SELECT count(*) FROM messages", [], |r| r.get::<_, i64>(0))? as u64)
        })
    }
}
