//! CHATHISTORY (IRCv3 `draft/chathistory`,
//! <https://ircv3.net/specs/extensions/chathistory>): replays stored
//! messages in a `chathistory` batch, with their original msgid and time.
//!
//! `CHATHISTORY LATEST|BEFORE|AFTER|AROUND <target> <ref> <limit>`,
//! `CHATHISTORY BETWEEN <target> <ref> <ref> <limit>` and
//! `CHATHISTORY TARGETS <timestamp> <timestamp> <limit>`; a reference is
//! `msgid=<id>`, `timestamp=<RFC 3339>` or, for LATEST, `*`. References
//! are exclusive except AROUND's, which centres on its message.
//!
//! The checks (target, access) run under the world lock; the store query
//! runs off it ([`ask`]) after the history writer committed
//! everything sent before, and [`answered`] renders the batch.

use natter_proto::Message;

use super::caps::Cap;
use super::render::format_time_ms;
use super::Ctx;
use crate::history::party;
use crate::history::query::{ask, Answer, Query, Range, Ref, MAX_LIMIT};

/// The subcommands that ask for messages; TARGETS is the other.
const RANGES: [Range; 5] = [
    Range::Latest,
    Range::Before,
    Range::After,
    Range::Around,
    Range::Between,
];

fn fail(ctx: &mut Ctx<'_>, code: &str, params: &[&str], text: &str) {
    let mut all = vec!["CHATHISTORY", code];
    all.extend_from_slice(params);
    all.push(text);
    ctx.server_line("FAIL", &all);
}

/// Parses a reference; `*` only where `star` allows it.
fn parse_ref(s: &str, star: bool) -> Option<Ref> {
    if s == "*" {
        return star.then_some(Ref::Unbounded);
    }
    if let Some(id) = s.strip_prefix("msgid=") {
        return (!id.is_empty()).then(|| Ref::Msgid(id.to_string()));
    }
    let ts = s.strip_prefix("timestamp=")?;
    let at = humantime::parse_rfc3339_weak(ts.trim_end_matches('Z'))
        .or_else(|_| humantime::parse_rfc3339(ts))
        .ok()?;
    let ms = at.duration_since(std::time::UNIX_EPOCH).ok()?.as_millis();
    Some(Ref::Time(ms as i64))
}

fn parse_limit(s: &str) -> Option<usize> {
    s.parse::<usize>().ok().map(|n| n.min(MAX_LIMIT))
}

/// `CHATHISTORY <subcommand> ...`.
pub fn chathistory(ctx: &mut Ctx<'_>, msg: &Message) {
    let sub = msg.param(0).unwrap_or("").to_ascii_uppercase();
    let range = RANGES.into_iter().find(|r| r.name() == sub);
    let sub: &'static str = match range {
        Some(r) => r.name(),
        None if sub == "TARGETS" => "TARGETS",
        None => return fail(ctx, "INVALID_PARAMS", &[&sub], "Unknown subcommand"),
    };
    if !ctx.world.history.enabled() {
        return fail(
            ctx,
            "MESSAGE_ERROR",
            &[sub],
            "History is turned off on this server",
        );
    }
    let args: Vec<&str> = msg.params.iter().skip(1).map(String::as_str).collect();
    let bad = |ctx: &mut Ctx<'_>| fail(ctx, "INVALID_PARAMS", &[sub], "Invalid parameters");
    let Some(range) = range else {
        let (Some(Ref::Time(a)), Some(Ref::Time(b)), Some(limit)) = (
            args.first().and_then(|s| parse_ref(s, false)),
            args.get(1).and_then(|s| parse_ref(s, false)),
            args.get(2).and_then(|s| parse_limit(s)),
        ) else {
            return bad(ctx);
        };
        let me = ctx.me();
        let channels = me
            .channels
            .iter()
            .filter(|k| k.starts_with('#'))
            .cloned()
            .collect();
        let party = me
            .account
            .as_deref()
            .map(|a| format!("acct:{}", natter_proto::casemap::fold(a)));
        let query = Query::Targets {
            channels,
            party,
            from_ms: a.min(b),
            to_ms: a.max(b),
            limit,
        };
        return ask(ctx, query, answered);
    };
    let between = range == Range::Between;
    let (target, first, second, limit) = match (between, args.as_slice()) {
        (false, [target, r, limit, ..]) => (*target, *r, None, *limit),
        (true, [target, a, b, limit, ..]) => (*target, *a, Some(*b), *limit),
        _ => return bad(ctx),
    };
    let (Some(first), Some(limit)) = (parse_ref(first, range == Range::Latest), parse_limit(limit))
    else {
        return bad(ctx);
    };
    let second = match second.map(|s| parse_ref(s, false)) {
        None => Ref::Unbounded,
        Some(Some(r)) => r,
        Some(None) => return bad(ctx),
    };
    let Some(keys) = keys_for(ctx, target) else {
        let target = target.to_string();
        return fail(
            ctx,
            "INVALID_TARGET",
            &[sub, &target],
            "No history you may read there",
        );
    };
    let query = Query::Messages {
        range,
        keys,
        shown: target.to_string(),
        refs: (first, second),
        limit,
    };
    ask(ctx, query, answered);
}

/// After the client's own JOIN of `channel`: with `history.join_playback`
/// set and a client without `draft/chathistory` (which asks for itself),
/// its last messages are played back, in a `chathistory` batch when the
/// client has `batch`.
pub fn playback_on_join(ctx: &mut Ctx<'_>, channel: &str) {
    let count = ctx.world.config.history.join_playback;
    if count == 0 || !ctx.world.history.enabled() || ctx.caps().has(Cap::Chathistory) {
        return;
    }
    let Some(chan) = ctx.world.net.channel(channel) else {
        return;
    };
    if !chan.name.starts_with('#') || chan.modes.no_history {
        return;
    }
    let query = Query::Messages {
        range: Range::Latest,
        keys: vec![natter_proto::casemap::fold(&chan.name)],
        shown: chan.name.clone(),
        refs: (Ref::Unbounded, Ref::Unbounded),
        limit: count.min(MAX_LIMIT),
    };
    ask(ctx, query, answered);
}

/// The history keys of `target` this client may read: a channel it is in,
/// or (when logged in) its private conversation with a nick.
fn keys_for(ctx: &Ctx<'_>, target: &str) -> Option<Vec<String>> {
    let net = &ctx.world.net;
    if natter_proto::validate::is_channel_name(target) {
        let chan = net.channel(target)?;
        return (target.starts_with('#') && chan.member(ctx.client.id).is_some())
            .then(|| vec![natter_proto::casemap::fold(target)]);
    }
    let me = ctx.me();
    me.account.as_ref()?;
    let mine = party(net, me.id, &me.nick);
    let folded = natter_proto::casemap::fold(target);
    let mut others = vec![format!("acct:{folded}"), format!("nick:{folded}")];
    if let Some(account) = net.user_by_nick(target).and_then(|u| u.account.as_deref()) {
        others.push(format!("acct:{}", natter_proto::casemap::fold(account)));
    }
    others.dedup();
    Some(
        others
            .iter()
            .map(|o| natter_store::dm_key(&mine, o))
            .collect(),
    )
}

/// Finishes a query: the `chathistory` (or `draft/chathistory-targets`)
/// batch, or a FAIL if the store failed.
pub fn answered(ctx: &mut Ctx<'_>, query: &Query, answer: Result<Answer, String>) {
    let sub = match query {
        Query::Messages { range, .. } => range.name(),
        Query::Targets { .. } => "TARGETS",
    };
    let answer = match answer {
        Ok(a) => a,
        Err(e) => {
            tracing::error!(error = %e, "CHATHISTORY query failed");
            return fail(ctx, "MESSAGE_ERROR", &[sub], "History is not available now");
        }
    };
    let caps = ctx.caps();
    let server = ctx.world.server_name().to_string();
    let batch_id = format!("ch{}", ctx.irc().next_batch());
    let batched = caps.has(Cap::Batch);
    let (kind, param) = match query {
        Query::Messages { shown, .. } => ("chathistory", Some(shown.clone())),
        Query::Targets { .. } => ("draft/chathistory-targets", None),
    };
    if batched {
        let mut start = vec![format!("+{batch_id}"), kind.to_string()];
        start.extend(param);
        let start: Vec<&str> = start.iter().map(String::as_str).collect();
        natter_proto::write_line(&mut ctx.out, None, Some(&server), "BATCH", &start);
    }
    let batch_tag = |tags: &mut String| {
        if batched {
            push(tags, &format!("batch={batch_id}"));
        }
    };
    match answer {
        Answer::Targets(rows) => {
            for (name, at) in rows {
                let mut tags = String::new();
                batch_tag(&mut tags);
                let time = format_time_ms(at.max(0) as u64);
                let tags = (!tags.is_empty()).then_some(tags);
                natter_proto::write_line(
                    &mut ctx.out,
                    tags.as_deref(),
                    Some(&server),
                    "CHATHISTORY",
                    &["TARGETS", &name, &time],
                );
            }
        }
        Answer::Messages(messages) => {
            for m in messages {
                if m.kind == "TAGMSG" && !caps.has(Cap::MessageTags) {
                    continue;
                }
                let mut tags = String::new();
                if caps.has(Cap::ServerTime) {
                    push(
                        &mut tags,
                        &format!("time={}", format_time_ms(m.at_ms.max(0) as u64)),
                    );
                }
                if caps.has(Cap::MessageTags) {
                    let mut id = String::from("msgid=");
                    natter_proto::message::escape_tag_value(&m.msgid, &mut id);
                    push(&mut tags, &id);
                }
                if let (true, Some(account)) = (caps.has(Cap::AccountTag), &m.account) {
                    let mut a = String::from("account=");
                    natter_proto::message::escape_tag_value(account, &mut a);
                    push(&mut tags, &a);
                }
                batch_tag(&mut tags);
                if caps.has(Cap::MessageTags) && !m.tags.is_empty() {
                    push(&mut tags, &m.tags);
                }
                let tags = (!tags.is_empty()).then_some(tags);
                if m.kind == "TAGMSG" {
                    natter_proto::write_line(
                        &mut ctx.out,
                        tags.as_deref(),
                        Some(&m.source),
                        "TAGMSG",
                        &[&m.shown],
                    );
                } else {
                    natter_proto::write_line_trailing(
                        &mut ctx.out,
                        tags.as_deref(),
                        Some(&m.source),
                        &m.kind,
                        &[&m.shown, &m.text],
                    );
                }
            }
        }
    }
    if batched {
        natter_proto::write_line(
            &mut ctx.out,
            None,
            Some(&server),
            "BATCH",
            &[&format!("-{batch_id}")],
        );
    }
}

/// Appends `tag` (already escaped) to a tag string.
fn push(tags: &mut String, tag: &str) {
    if !tags.is_empty() {
        tags.push(';');
    }
    tags.push_str(tag);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references() {
        assert_eq!(parse_ref("*", true), Some(Ref::Unbounded));
        assert_eq!(parse_ref("*", false), None);
        assert_eq!(
            parse_ref("msgid=abc", false),
            Some(Ref::Msgid("abc".into()))
        );
        assert_eq!(parse_ref("msgid=", false), None);
        assert_eq!(
            parse_ref("timestamp=2021-05-20T08:30:00.123Z", false),
            Some(Ref::Time(1_621_499_400_123))
        );
        assert_eq!(
            parse_ref("timestamp=2021-05-20T08:30:00Z", false),
            Some(Ref::Time(1_621_499_400_000))
        );
        assert_eq!(parse_ref("timestamp=yesterday", false), None);
        assert_eq!(parse_limit("5000"), Some(MAX_LIMIT));
        assert_eq!(parse_limit("-1"), None);
    }
}
