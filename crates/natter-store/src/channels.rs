//! Registered channels (ChanServ): the channel's state that survives a
//! restart, its list modes and its access list.

use rusqlite::{params, Connection, OptionalExtension};

use crate::{Store, StoreError};

/// A registered channel as stored.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ChannelRecord {
    /// The casefolded name (the key).
    pub folded: String,
    /// The name as registered.
    pub name: String,
    /// The founder's account.
    pub founder: String,
    /// When it was registered, Unix seconds.
    pub registered_at: i64,
    /// The topic: text, setter, Unix seconds.
    pub topic: Option<(String, String, i64)>,
    /// Flag modes as letters, e.g. `nt` (without key and limit).
    pub modes: String,
    /// The `+k` key.
    pub key: Option<String>,
    /// The `+l` limit.
    pub limit: Option<i64>,
    /// ChanServ's topic lock: only access-list operators change the topic.
    pub topic_lock: bool,
    /// List modes: (`b`, `e` or `I`, mask, setter, Unix seconds).
    pub lists: Vec<(char, String, String, i64)>,
    /// Access list: (casefolded account, level: `founder`, `op`, `voice`).
    pub access: Vec<(String, String)>,
}

fn write_state(c: &Connection, r: &ChannelRecord) -> rusqlite::Result<usize> {
    let (topic, setter, at) = match &r.topic {
        Some((t, s, a)) => (Some(t.as_str()), Some(s.as_str()), Some(*a)),
        None => (None, None, None),
    };
    let n = c.execute(
        "UPDATE channels SET topic = ?2, topic_setter = ?3, topic_at = ?4, modes = ?5, \
         chan_key = ?6, chan_limit = ?7, topic_lock = ?8 WHERE folded = ?1",
        params![
            r.folded,
            topic,
            setter,
            at,
            r.modes,
            r.key,
            r.limit,
            r.topic_lock
        ],
    )?;
    if n == 0 {
        return Ok(0);
    }
    c.execute("DELETE FROM channel_lists WHERE folded = ?1", [&r.folded])?;
    let mut ins = c.prepare_cached(
        "INSERT OR IGNORE INTO channel_lists (folded, list, mask, setter, set_at) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for (list, mask, setter, at) in &r.lists {
        ins.execute(params![r.folded, list.to_string(), mask, setter, at])?;
    }
    Ok(n)
}

impl Store {
    /// Registers `record` (with its state and access list), committed when
    /// this returns; [`StoreError::Exists`] if the channel is registered.
    pub fn register_channel(&self, record: &ChannelRecord) -> Result<(), StoreError> {
        self.with(|c| {
            let tx = c.transaction()?;
            tx.execute(
                "INSERT INTO channels (folded, name, founder, registered_at, modes, topic_lock) \
                 VALUES (?1, ?2, ?3, ?4, '', 0)",
                params![
                    record.folded,
                    record.name,
                    record.founder,
                    record.registered_at
                ],
            )?;
            write_state(&tx, record)?;
            for (account, level) in &record.access {
                tx.execute(
                    "INSERT INTO channel_access (folded, account, level) VALUES (?1, ?2, ?3)",
                    params![record.folded, account, level],
                )?;
            }
            tx.commit()?;
            Ok(())
        })
    }

    /// Saves the state part of `record` (topic, modes, lists, topic lock)
    /// of a registered channel; `Ok(false)` if it is not registered.
    pub fn save_channel_state(&self, record: &ChannelRecord) -> Result<bool, StoreError> {
        self.with(|c| {
            let tx = c.transaction()?;
            let n = write_state(&tx, record)?;
            tx.commit()?;
            Ok(n == 1)
        })
    }

    /// Sets (`Some(level)`) or removes (`None`) `account`'s access to
    /// channel `folded`, committed when this returns.
    pub fn set_channel_access(
        &self,
        folded: &str,
        account: &str,
        level: Option<&str>,
    ) -> Result<(), StoreError> {
        self.with(|c| {
            match level {
                Some(l) => c.execute(
                    "INSERT INTO channel_access (folded, account, level) VALUES (?1, ?2, ?3) \
                     ON CONFLICT (folded, account) DO UPDATE SET level = excluded.level",
                    params![folded, account, l],
                )?,
                None => c.execute(
                    "DELETE FROM channel_access WHERE folded = ?1 AND account = ?2",
                    params![folded, account],
                )?,
            };
            Ok(())
        })
    }

    /// Drops the registration of channel `folded` (with its lists and
    /// access list); `Ok(false)` if it was not registered.
    pub fn drop_channel(&self, folded: &str) -> Result<bool, StoreError> {
        self.with(|c| Ok(c.execute("DELETE FROM channels WHERE folded = ?1", [folded])? == 1))
    }

    /// Every registered channel with its lists and access list.
    pub fn channels(&self) -> Result<Vec<ChannelRecord>, StoreError> {
        self.with(|c| {
            let mut out: Vec<ChannelRecord> = {
                let mut stmt = c.prepare(
                    "SELECT folded, name, founder, registered_at, topic, topic_setter, topic_at, \
                     modes, chan_key, chan_limit, topic_lock FROM channels ORDER BY folded",
                )?;
                let rows = stmt.query_map([], |r| {
                    let topic: Option<String> = r.get(4)?;
                    Ok(ChannelRecord {
                        folded: r.get(0)?,
                        name: r.get(1)?,
                        founder: r.get(2)?,
                        registered_at: r.get(3)?,
                        topic: match topic {
                            Some(t) => Some((
                                t,
                                r.get::<_, Option<String>>(5)?.unwrap_or_default(),
                                r.get::<_, Option<i64>>(6)?.unwrap_or(0),
                            )),
                            None => None,
                        },
                        modes: r.get(7)?,
                        key: r.get(8)?,
                        limit: r.get(9)?,
                        topic_lock: r.get(10)?,
                        lists: Vec::new(),
                        access: Vec::new(),
                    })
                })?;
                rows.collect::<Result<_, _>>()?
            };
            for record in &mut out {
                let mut lists = c.prepare_cached(
                    "SELECT list, mask, setter, set_at FROM channel_lists WHERE folded = ?1 ORDER BY set_at, mask",
                )?;
                record.lists = lists
                    .query_map([&record.folded], |r| {
                        let list: String = r.get(0)?;
                        Ok((list.chars().next().unwrap_or('b'), r.get(1)?, r.get(2)?, r.get(3)?))
                    })?
                    .collect::<Result<_, _>>()?;
                let mut access = c.prepare_cached(
                    "SELECT account, level FROM channel_access WHERE folded = ?1 ORDER BY account",
                )?;
                record.access = access
                    .query_map([&record.folded], |r| Ok((r.get(0)?, r.get(1)?)))?
                    .collect::<Result<_, _>>()?;
            }
            Ok(out)
        })
    }

    /// The registered channel `folded`, if any.
    pub fn channel(&self, folded: &str) -> Result<Option<ChannelRecord>, StoreError> {
        let found: Option<String> = self.with(|c| {
            Ok(c.query_row(
                "SELECT folded FROM channels WHERE folded = ?1",
                [folded],
                |r| r.get(0),
            )
            .optional()?)
        })?;
        Ok(match found {
            Some(_) => self.channels()?.into_iter().find(|r| r.folded == folded),
            None => None,
        })
    }
}
