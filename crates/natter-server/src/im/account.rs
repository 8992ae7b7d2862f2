//! Accounts and history for IM clients (extensions of the lectures'
//! protocol, documented in docs/im-protocol.md):
//!
//! - `REGISTER ["username", "status", "password"]` logs in to the account
//!   named `username` (shared with IRC: NickServ, SASL), creating it when
//!   it does not exist. Without a password, a username that is a
//!   registered account is refused, so an IM client cannot take a
//!   registered nick.
//! - After `JOIN`, a `HISTORY` reply with the conversation's last
//!   `history.im_playback` messages.
//!
//! The password check, the account creation and the history query run off
//! the world lock (slow jobs, [`crate::session::Ctx::defer`]) and finish under
//! it.

use natter_proto::im::{ConvId, Reply};

use crate::history::query::{Answer, Query, Range, Ref, MAX_LIMIT};
use crate::session::{Ctx, Deferred, SlowJob};

/// Starts an IM registration with a password: checks it against the
/// account, or creates the account, off the lock.
pub fn register_with_password(ctx: &mut Ctx<'_>, username: &str, status: &str, password: String) {
    if let Err(wait) = crate::accounts::login::refused(ctx, username) {
        return super::error(
            ctx,
            format!("too many failed logins, try again in {wait} s"),
        );
    }
    let (username, status) = (username.to_string(), status.to_string());
    if let Some(found) = ctx.world.accounts.get(&username) {
        // A login: a mismatch counts as a failed login, and its answer is
        // held back as IRC's is (`Deferred::Verify`).
        let hash = found.credentials.password.clone();
        return ctx.client.defer(Deferred::Verify {
            password,
            hash,
            login: Some(username.clone()),
            then: Box::new(move |ctx, ok| {
                let result = match ok {
                    true => Ok(None),
                    false => Err("wrong password for that account".to_string()),
                };
                finish_register(ctx, &username, &status, result)
            }),
        });
    }
    if let Some(why) = crate::accounts::login::weak_password(ctx, &password) {
        return super::error(ctx, why);
    }
    let store = ctx.world.accounts.store();
    ctx.defer(SlowJob::new(move || {
        let record = crate::accounts::record(&username, crate::accounts::credentials(&password));
        let result = match store.create_account(&record) {
            Ok(()) => Ok(Some(record)),
            Err(e) => Err(format!("cannot create the account: {e}")),
        };
        Box::new(move |ctx| finish_register(ctx, &username, &status, result))
    }));
}

/// Finishes an IM registration with a password: the account was checked
/// (`Ok(None)`), just created (`Ok(Some)`), or why not (a wrong password,
/// already counted as a failed login, or the store's failure).
fn finish_register(
    ctx: &mut Ctx<'_>,
    username: &str,
    status: &str,
    result: Result<Option<natter_store::AccountRecord>, String>,
) {
    let name = match result {
        Ok(Some(record)) => {
            let name = record.name.clone();
            ctx.world.accounts.created(record);
            crate::accounts::login::announce(ctx, &name);
            name
        }
        Ok(None) => ctx
            .world
            .accounts
            .get(username)
            .map_or(username.to_string(), |a| a.name.clone()),
        Err(why) => return super::error(ctx, why),
    };
    crate::accounts::login::login_succeeded(ctx, &name);
    ctx.client.pre().account = Some(name);
    super::register(ctx, username, status, None);
}

/// After a JOIN of `channel` (conversation `id`): the HISTORY reply, when
/// history is kept and `history.im_playback` is not 0.
pub fn history_on_join(ctx: &mut Ctx<'_>, id: ConvId, channel: &str) {
    let count = ctx.world.config.history.im_playback;
    let Some(chan) = ctx.world.net.channel(channel) else {
        return;
    };
    if count == 0
        || !ctx.world.history.enabled()
        || chan.modes.no_history
        || !chan.name.starts_with('#')
    {
        return;
    }
    let query = Query::Messages {
        range: Range::Latest,
        keys: vec![natter_proto::casemap::fold(&chan.name)],
        shown: chan.name.clone(),
        refs: (Ref::Unbounded, Ref::Unbounded),
        limit: count.min(MAX_LIMIT),
    };
    crate::history::query::ask(ctx, query, move |ctx, _, answer| {
        finish_history(ctx, id, answer)
    });
}

/// Finishes [`history_on_join`]: `HISTORY [convID, [[sender, message,
/// time], ...]]` (PRIVMSG and NOTICE; nothing when there is none).
fn finish_history(ctx: &mut Ctx<'_>, id: ConvId, answer: Result<Answer, String>) {
    let Ok(Answer::Messages(messages)) = answer else {
        return;
    };
    let lines: Vec<(String, String, String)> = messages
        .into_iter()
        .filter(|m| m.kind != "TAGMSG")
        .map(|m| {
            let sender = m.source.split('!').next().unwrap_or("").to_string();
            let time = crate::clock::format_time_ms(m.at_ms.max(0) as u64);
            (sender, m.text, time)
        })
        .collect();
    if !lines.is_empty() {
        super::reply(ctx, Reply::History(id, lines));
    }
}
