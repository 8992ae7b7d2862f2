//! History queries, front-end neutral: which messages of which
//! conversations ([`Query`], with [`Ref`] positions) a client asked for,
//! run against the store off the world lock ([`ask`], [`run`]).
//!
//! The IRC front end's CHATHISTORY (IRCv3 `draft/chathistory`) parses
//! its subcommands into a [`Query`] and renders the [`Answer`] as a
//! batch; the IM front end asks for the latest messages of a channel it
//! joined. What a client may read (its keys) is checked by the front end
//! under the lock before it asks.

use natter_store::{Cursor, StoredMessage};

use crate::session::{Ctx, SlowJob};

/// The most messages one query returns (ISUPPORT `CHATHISTORY`).
pub const MAX_LIMIT: usize = 1000;

/// A message reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ref {
    /// `*`: no bound.
    Unbounded,
    /// `timestamp=`: Unix milliseconds.
    Time(i64),
    /// `msgid=`.
    Msgid(String),
}

/// Which messages of a conversation, relative to its references (the
/// subcommands of IRCv3 `draft/chathistory`). References are exclusive,
/// except [`Range::Around`]'s, which centres on its message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Range {
    /// The newest, after the reference (`*`: the newest of all).
    Latest,
    /// The newest before the reference.
    Before,
    /// The oldest after the reference.
    After,
    /// Those around the reference: half before it, the rest from it on.
    Around,
    /// Those between the two references, from the first's side.
    Between,
}

impl Range {
    /// Its name as a CHATHISTORY subcommand (`LATEST`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Range::Latest => "LATEST",
            Range::Before => "BEFORE",
            Range::After => "AFTER",
            Range::Around => "AROUND",
            Range::Between => "BETWEEN",
        }
    }
}

/// What a query asks for, resolved under the lock.
#[derive(Debug, Clone)]
pub enum Query {
    /// A range of one conversation.
    Messages {
        /// Which messages.
        range: Range,
        /// The conversation's keys (a private one may have two).
        keys: Vec<String>,
        /// The target as the client named it (the batch's parameter).
        shown: String,
        /// The references (the second only for BETWEEN).
        refs: (Ref, Ref),
        /// At most this many messages.
        limit: usize,
    },
    /// TARGETS.
    Targets {
        /// The keys of the channels the client is in.
        channels: Vec<String>,
        /// The client's private-conversation party (`acct:<name>`).
        party: Option<String>,
        /// Bounds, Unix milliseconds (exclusive).
        from_ms: i64,
        /// Upper bound.
        to_ms: i64,
        /// At most this many targets.
        limit: usize,
    },
}

/// What the store answered.
#[derive(Debug)]
pub enum Answer {
    /// The messages, oldest first.
    Messages(Vec<StoredMessage>),
    /// (name, latest Unix milliseconds), oldest first.
    Targets(Vec<(String, i64)>),
}

/// Runs `query` against the store (blocking; off the world lock, after a
/// history flush).
pub fn run(store: &natter_store::Store, query: &Query) -> Result<Answer, natter_store::StoreError> {
    match query {
        Query::Targets {
            channels,
            party,
            from_ms,
            to_ms,
            limit,
        } => {
            let rows = store.targets(channels, party.as_deref(), *from_ms, *to_ms, *limit)?;
            let named = rows
                .into_iter()
                .map(|(key, shown, at)| {
                    let name = match (key.strip_prefix("dm:"), party) {
                        (Some(pair), Some(me)) => pair
                            .split(' ')
                            .find(|p| p != me)
                            .unwrap_or(me)
                            .split_once(':')
                            .map_or(String::new(), |(_, n)| n.to_string()),
                        _ => shown,
                    };
                    (name, at)
                })
                .collect();
            Ok(Answer::Targets(named))
        }
        Query::Messages {
            range,
            keys,
            refs,
            limit,
            ..
        } => {
            // A msgid reference becomes a position; an unknown one matches
            // nothing.
            let resolve = |r: &Ref| -> Result<Option<Option<Cursor>>, natter_store::StoreError> {
                Ok(match r {
                    Ref::Unbounded => Some(None),
                    Ref::Time(_) => Some(None),
                    Ref::Msgid(id) => {
                        let mut found = None;
                        for k in keys {
                            if let Some(c) = store.cursor_of(k, id)? {
                                found = Some(c);
                                break;
                            }
                        }
                        found.map(Some)
                    }
                })
            };
            let (Some(a), Some(b)) = (resolve(&refs.0)?, resolve(&refs.1)?) else {
                return Ok(Answer::Messages(Vec::new()));
            };
            // As a lower bound (exclusive) and as an upper bound.
            let lower = |r: &Ref, c: Option<Cursor>| match (r, c) {
                (_, Some(c)) => c,
                (Ref::Time(t), None) => Cursor::after_ms(*t),
                _ => Cursor::before_ms(i64::MIN),
            };
            let upper = |r: &Ref, c: Option<Cursor>| match (r, c) {
                (_, Some(c)) => c,
                (Ref::Time(t), None) => Cursor::before_ms(*t),
                _ => Cursor::after_ms(i64::MAX),
            };
            let start = Cursor::before_ms(i64::MIN);
            let end = Cursor::after_ms(i64::MAX);
            let pick =
                |from, to, n, newest| -> Result<Vec<StoredMessage>, natter_store::StoreError> {
                    Ok(store
                        .messages_between(keys, from, to, n, newest)?
                        .into_iter()
                        .map(|(m, _)| m)
                        .collect())
                };
            let out = match range {
                Range::Latest => pick(lower(&refs.0, a), end, *limit, true)?,
                Range::Before => pick(start, upper(&refs.0, a), *limit, true)?,
                Range::After => pick(lower(&refs.0, a), end, *limit, false)?,
                Range::Between => {
                    let (la, ua) = (lower(&refs.0, a), upper(&refs.0, a));
                    let (lb, ub) = (lower(&refs.1, b), upper(&refs.1, b));
                    if la <= lb {
                        pick(la, ub, *limit, false)?
                    } else {
                        pick(lb, ua, *limit, true)?
                    }
                }
                Range::Around => {
                    // Half before the reference, the rest from it on.
                    let before_n = limit / 2;
                    let centre_lower = match (&refs.0, a) {
                        (_, Some(c)) => Cursor {
                            at_ms: c.at_ms,
                            id: c.id - 1,
                        },
                        (Ref::Time(t), None) => Cursor::before_ms(*t),
                        _ => start,
                    };
                    let mut before = pick(start, upper(&refs.0, a), before_n, true)?;
                    let after = pick(centre_lower, end, limit - before.len(), false)?;
                    before.extend(after);
                    before
                }
            };
            Ok(Answer::Messages(out))
        }
    }
}

/// Runs `query` off the world lock, once everything sent before it is
/// committed, then `finish` with its answer under the lock. (The IM front
/// end's history after JOIN goes the same way.)
pub fn ask(
    ctx: &mut Ctx<'_>,
    query: Query,
    finish: impl FnOnce(&mut Ctx<'_>, &Query, Result<Answer, String>) + Send + 'static,
) {
    let history = ctx.world.history.clone();
    ctx.defer(SlowJob::new(move || {
        history.flush();
        let answer = run(&history.store(), &query).map_err(|e| e.to_string());
        Box::new(move |ctx| finish(ctx, &query, answer))
    }));
}
