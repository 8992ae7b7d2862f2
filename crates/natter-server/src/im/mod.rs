//! The IM front end: the lectures' instant-messaging protocol (see
//! `docs/im-protocol.md`), over the same users and channels as IRC.
//!
//! An IM user is a network user whose nick is its username; its status is
//! its AWAY message (`online` means not away). A conversation is a channel
//! (or, for private messages from IRC users, a direct conversation; see
//! [`conversations`]). Handlers here run under the world lock like the IRC
//! ones, turn requests into the same [`natter_model::Event`]s, and answer
//! with [`Reply`] lines; [`render`] shows network events to IM clients.

pub mod account;
pub mod conversations;
pub mod files;
pub mod presence;
pub mod render;

use natter_model::{
    Event, Frontend, Identity, JoinRefusal, MessageKind, MessageTarget, SendRefusal, User,
};
use natter_proto::casemap;
use natter_proto::im::{parse_request, ConvId, PresenceMode, Reply, Request};
use natter_proto::validate::is_valid_nick;

use crate::rules::{
    check_channel_send, check_join, check_private_send, fit_message, Join, JoinDenied,
    PrivateDenied, SendDenied,
};
use crate::session::Ctx;
use crate::world::now;
use conversations::Conversation;

/// Group conversations one user may have created that nobody has joined
/// yet (each INVITE makes one; they end when someone joins and later
/// leaves, or when their creator goes).
pub const MAX_PENDING: usize = 16;

/// The status that means "not away".
pub const ONLINE: &str = "online";

/// What the IM front end keeps in the world beside the network state (the
/// assembled world's `front.im`).
#[derive(Debug, Default)]
pub struct State {
    /// IM conversations and their IDs.
    pub conversations: conversations::Conversations,
    /// Registered local IM users, for presence broadcasts.
    pub users: natter_model::UserSet,
    /// Presence changed through a link or a split and IM clients have not
    /// been told yet (at the end of the link's batch of lines).
    pub presence_dirty: bool,
    /// Those changes: username -> new status, `None` for gone.
    pub presence_pending: std::collections::BTreeMap<String, Option<String>>,
    /// IM clients told about presence as changes (`PRESENCE ["changes"]`).
    pub presence_changes: natter_model::UserSet,
    /// When the periodic ONLINE_USERS is next due (set at start-up).
    pub presence_due: Option<std::time::Instant>,
    /// Changes told as ONLINE_USERS lists since the last tick (each sent
    /// to every client in lists mode; at most [`presence::LISTS_PER_TICK`]).
    pub lists_since_tick: u32,
    /// A change was not told to some client in lists mode because the
    /// budget was spent: the list goes out at the next tick.
    pub list_owed: bool,
}

impl State {
    /// Forgets local connection `id`, which ended.
    pub fn conn_removed(&mut self, id: natter_model::UserId) {
        self.users.remove(&id);
        self.presence_changes.remove(&id);
    }
}

/// An IM client's framed line: a request ([`dispatch`]), or
/// `ERROR "line too long"` for one over the limit.
pub fn handle_frame(ctx: &mut Ctx<'_>, frame: natter_proto::Frame) {
    match frame {
        natter_proto::Frame::TooLong => error(ctx, "line too long"),
        natter_proto::Frame::Line(bytes) => dispatch(ctx, &bytes),
    }
}

/// The last line a closing IM connection gets: `ERROR "closing: <reason>"`,
/// with its line end.
pub fn closing_line(reason: &str) -> String {
    Reply::Error(format!("closing: {reason}")).to_line()
}

/// Queues `reply` for the client.
fn reply(ctx: &mut Ctx<'_>, reply: Reply) {
    reply.write_to(&mut ctx.out);
}

/// Queues `ERROR "reason"`.
fn error(ctx: &mut Ctx<'_>, reason: impl Into<String>) {
    reply(ctx, Reply::Error(reason.into()));
}

/// The IM protocol's requests, as metrics count them
/// (`natter_lines_in_total{frontend="im"}`), in [`request_index`]'s order.
pub const COMMANDS: [&str; 13] = [
    "REGISTER",
    "STATUS",
    "GOODBYE",
    "INVITE",
    "LIST_CONVERSATIONS",
    "JOIN",
    "SEND_MESSAGE",
    "LEAVE",
    "PRESENCE",
    "FILE_OPEN",
    "FILE_WRITE",
    "FILE_STATUS",
    "FILE_READ",
];

/// `request`'s index in [`COMMANDS`].
pub fn request_index(request: &natter_proto::im::Request) -> usize {
    use natter_proto::im::Request;
    match request {
        Request::Register { .. } => 0,
        Request::Status(_) => 1,
        Request::Goodbye => 2,
        Request::Invite(_) => 3,
        Request::ListConversations => 4,
        Request::Join(_) => 5,
        Request::SendMessage(..) => 6,
        Request::Leave(_) => 7,
        Request::Presence(_) => 8,
        Request::FileOpen { .. } => 9,
        Request::FileWrite { .. } => 10,
        Request::FileStatus(_) => 11,
        Request::FileRead { .. } => 12,
    }
}

/// Handles one line from an IM client.
pub fn dispatch(ctx: &mut Ctx<'_>, line: &[u8]) {
    let Ok(line) = std::str::from_utf8(line) else {
        return error(ctx, "invalid UTF-8");
    };
    let parsed = parse_request(line);
    let index = parsed.as_ref().ok().map(request_index);
    ctx.world.metrics.line_in(natter_model::Frontend::Im, index);
    let request = match parsed {
        Ok(r) => r,
        Err(natter_proto::im::RequestError::Empty) => return,
        Err(e) => return error(ctx, e.to_string()),
    };
    match (&request, ctx.client.registered) {
        (Request::Register { .. }, true) => return error(ctx, "already registered"),
        (Request::Goodbye, _) => return goodbye(ctx),
        (
            Request::Register {
                username,
                status,
                password,
            },
            false,
        ) => return register(ctx, username, status, password.clone()),
        (_, false) => {
            return error(
                ctx,
                r#"not registered: send REGISTER ["username", "status"] first"#,
            )
        }
        _ => {}
    }
    match request {
        Request::Status(status) => set_status(ctx, &status),
        Request::Invite(users) => invite(ctx, &users),
        Request::ListConversations => list_conversations(ctx),
        Request::Join(id) => join(ctx, id),
        Request::SendMessage(id, text) => send_message(ctx, id, &text),
        Request::Leave(id) => leave(ctx, id),
        Request::Presence(mode) => presence_mode(ctx, mode),
        Request::FileOpen {
            conv,
            name,
            size,
            sha256,
        } => files::open(ctx, conv, name, size, sha256),
        Request::FileWrite { id, offset, data } => files::write(ctx, id, offset, &data),
        Request::FileStatus(id) => files::status(ctx, &id),
        Request::FileRead { id, offset, len } => files::read(ctx, id, offset, len),
        Request::Register { .. } | Request::Goodbye => unreachable!("handled above"),
    }
}

/// `PRESENCE ["changes"]` / `PRESENCE ["lists"]` (an extension): how the
/// client is told about presence from now on; answered with the whole
/// ONLINE_USERS list, the starting point for the changes.
fn presence_mode(ctx: &mut Ctx<'_>, mode: PresenceMode) {
    let id = ctx.client.id;
    match mode {
        PresenceMode::Changes => ctx.world.front.im.presence_changes.insert(id),
        PresenceMode::Lists => ctx.world.front.im.presence_changes.remove(&id),
    };
    let list = render::online_users(&ctx.world.net);
    ctx.out
        .push_str(std::str::from_utf8(&list).unwrap_or_default());
}

/// The away message a status stands for (`None` for `online`), cut to AWAYLEN.
fn away_of(ctx: &Ctx<'_>, status: &str) -> Option<String> {
    let status = status.trim();
    if status.is_empty() || status.eq_ignore_ascii_case(ONLINE) {
        return None;
    }
    let clean: String = status
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    Some(crate::text::truncate(&clean, ctx.world.config.limits.awaylen).to_string())
}

/// REGISTER: with a password, first the account (see [`account`]); a
/// username that is a registered account needs its password.
fn register(ctx: &mut Ctx<'_>, username: &str, status: &str, password: Option<String>) {
    if !is_valid_nick(username, ctx.world.config.limits.nicklen) {
        return error(
            ctx,
            format!(
                "invalid username {username:?}: 1 to {} letters, digits or []\\`_^{{|}}-, not starting with a digit or '-'",
                ctx.world.config.limits.nicklen
            ),
        );
    }
    if let Some(password) = password {
        return account::register_with_password(ctx, username, status, password);
    }
    let logged_in = ctx
        .client
        .pre_ref()
        .and_then(|p| p.account.as_deref())
        .is_some_and(|a| casemap::fold(a) == casemap::fold(username));
    if !logged_in && ctx.world.accounts.get(username).is_some() {
        return error(
            ctx,
            format!("username {username:?} is a registered account: REGISTER with its password as a third element"),
        );
    }
    let (ip, host) = (ctx.client.addr.ip(), ctx.client.host.clone());
    if let Some(ban) = crate::server_bans::refused_at_registration(ctx.world, "im", ip, &host) {
        ctx.client.quit = Some(format!("{}: {}", ban.kind.label(), ban.reason).into());
        return;
    }
    let id = ctx.client.id;
    if ctx.world.net.reserve_nick(id, username).is_err() {
        return error(ctx, format!("username {username:?} is taken"));
    }
    let mut user = User::new(
        Identity {
            id,
            nick: username.to_string(),
            user: "im".into(),
            host: ctx.client.host.to_string(),
            realname: format!("{username} (IM)"),
            server: natter_model::LOCAL_SERVER,
            frontend: Frontend::Im,
        },
        now(),
    );
    // The status is the away message from the start: one presence event.
    user.away = away_of(ctx, status);
    // IM clients never see hosts, but IRC users see theirs.
    ctx.ready_user(&mut user);
    ctx.mark_registered();
    ctx.world.front.im.users.insert(id);
    // Introducing the user broadcasts ONLINE_USERS to every IM client,
    // this one included.
    ctx.emit(Event::UserIntroduced(Box::new(user)));
}

fn goodbye(ctx: &mut Ctx<'_>) {
    ctx.client.quit = Some("Goodbye".into());
}

fn set_status(ctx: &mut Ctx<'_>, status: &str) {
    let message = away_of(ctx, status);
    let me = ctx.me();
    if me.away == message {
        return;
    }
    let user = me.snapshot();
    ctx.emit(Event::AwayChanged { user, message });
}

fn invite(ctx: &mut Ctx<'_>, usernames: &[String]) {
    let me = ctx.me();
    let (my_id, my_nick, my_ref) = (me.id, me.nick.clone(), me.snapshot());
    let mut targets = Vec::new();
    let mut anyone = false;
    let mut unknown: Vec<&str> = Vec::new();
    for name in usernames {
        match ctx.world.net.user_by_nick(name) {
            Some(u) if u.id == my_id => anyone = true,
            Some(u) if !targets.iter().any(|(id, _)| *id == u.id) => {
                anyone = true;
                targets.push((u.id, u.nick.clone()))
            }
            Some(_) => {}
            None => unknown.push(name),
        }
    }
    // One error for all the unknown names, and never much longer than
    // the request: an INVITE of 1,500 strangers is not answered with
    // 1,500 lines.
    if !unknown.is_empty() {
        error(ctx, no_such_users(&unknown));
    }
    // Nobody to talk to: no conversation (else a client could pile up
    // empty conversations that every channel change has to look at).
    if !anyone {
        return;
    }
    if ctx.world.front.im.conversations.pending_of(my_id) >= MAX_PENDING {
        return error(
            ctx,
            format!("too many conversations nobody has joined yet (at most {MAX_PENDING}): join or wait"),
        );
    }
    let (conv, channel) = {
        let world = &mut *ctx.world;
        let linked = !world.config.links.is_empty();
        world
            .front
            .im
            .conversations
            .create_group(&world.net, my_id, linked)
    };
    // The inviter is invited too (the lecture's INVITATION goes to all).
    reply(ctx, Reply::Invitation(conv, my_nick));
    for (target, target_nick) in targets {
        ctx.emit(Event::Invited {
            by: my_ref.clone(),
            target,
            target_nick,
            channel: channel.clone(),
        });
    }
}

/// Most unknown names one INVITE error lists.
const MAX_NAMES_IN_ERROR: usize = 10;

/// `no such user "a"`, or `no such users "a", "b" (and N more)` with at
/// most [`MAX_NAMES_IN_ERROR`] names.
fn no_such_users(unknown: &[&str]) -> String {
    let shown: Vec<String> = unknown
        .iter()
        .take(MAX_NAMES_IN_ERROR)
        .map(|n| format!("{n:?}"))
        .collect();
    let more = unknown.len().saturating_sub(MAX_NAMES_IN_ERROR);
    match (unknown.len(), more) {
        (1, _) => format!("no such user {}", shown[0]),
        (_, 0) => format!("no such users {}", shown.join(", ")),
        _ => format!("no such users {} (and {more} more)", shown.join(", ")),
    }
}

fn list_conversations(ctx: &mut Ctx<'_>) {
    let me = ctx.client.id;
    let net = &ctx.world.net;
    let nick = |id| net.user(id).map(|u| u.nick.clone());
    let mut list = std::collections::BTreeMap::new();
    for (id, conv) in ctx.world.front.im.conversations.iter() {
        match conv {
            Conversation::Group { channel, .. } => {
                let chan = net.channel(channel);
                // A secret (+s) IRC channel is not shown to non-members, as
                // IRC's LIST, NAMES and WHOIS keep it from them.
                if chan.is_some_and(|c| c.modes.secret && c.member(me).is_none()) {
                    continue;
                }
                let mut members: Vec<String> = chan
                    .map(|c| c.members.keys().filter_map(|m| nick(*m)).collect())
                    .unwrap_or_default();
                members.sort_by_key(|n| casemap::fold(n));
                list.insert(*id, members);
            }
            Conversation::Direct(a, b) if *a == me || *b == me => {
                let mut members: Vec<String> = [*a, *b].into_iter().filter_map(nick).collect();
                members.sort_by_key(|n| casemap::fold(n));
                list.insert(*id, members);
            }
            Conversation::Direct(..) => {}
        }
    }
    reply(ctx, Reply::Conversations(list));
}

/// The channel behind group conversation `id`, or an ERROR sent.
fn group_channel(ctx: &mut Ctx<'_>, id: ConvId) -> Option<Result<String, (u64, u64)>> {
    match ctx.world.front.im.conversations.get(id) {
        Some(Conversation::Group { channel, .. }) => Some(Ok(channel.clone())),
        Some(Conversation::Direct(a, b)) => Some(Err((*a, *b))),
        None => {
            error(ctx, format!("no such conversation {id}"));
            None
        }
    }
}

fn join(ctx: &mut Ctx<'_>, id: ConvId) {
    let me = ctx.client.id;
    let channel = match group_channel(ctx, id) {
        None => return,
        Some(Err((a, b))) if a == me || b == me => {
            return error(ctx, format!("already in conversation {id}"))
        }
        Some(Err(_)) => return error(ctx, format!("conversation {id} is private")),
        Some(Ok(channel)) => channel,
    };
    // The rules of IRC's JOIN (an IM client has no way to give a key).
    let user = ctx.world.net.user(me).expect("registered");
    let limits = &ctx.world.config.limits;
    let rates = ctx.client.change_rates.as_mut();
    let why = match check_join(&ctx.world.net, limits, rates, user, &channel, None) {
        Ok(Join::Allowed) => None,
        Ok(Join::AlreadyIn) => Some("you are already in it".to_string()),
        Err(JoinDenied::Rate(wait)) => Some(format!(
            "too many join requests, please wait {wait} seconds"
        )),
        Err(JoinDenied::TooManyChannels) => Some("you are in too many conversations".into()),
        Err(JoinDenied::Channel(refusal)) => Some(
            match refusal {
                JoinRefusal::Banned => "you are banned",
                JoinRefusal::InviteOnly => "it is invite-only",
                JoinRefusal::NeedsAccount => "it needs you to be logged in to an account",
                JoinRefusal::BadKey => "it needs a key",
                JoinRefusal::Full => "it is full",
            }
            .into(),
        ),
    };
    if let Some(why) = why {
        return error(ctx, format!("cannot join conversation {id}: {why}"));
    }
    let user = ctx.me().snapshot();
    // Whoever creates a conversation's channel is its operator, as on IRC
    // (or, for a registered channel, its access list decides).
    let op = crate::chanreg::op_on_join(&ctx.world.net, &ctx.world.channel_registry, &channel);
    ctx.emit(Event::Joined {
        user,
        channel: channel.clone(),
        at: now(),
        op,
    });
    account::history_on_join(ctx, id, &channel);
}

fn send_message(ctx: &mut Ctx<'_>, id: ConvId, text: &str) {
    // One IRC line per message: line breaks become spaces, and so does NUL,
    // which no IRC line may carry (JSON can: "\u0000").
    let text: String = text
        .chars()
        .map(|c| {
            if matches!(c, '\r' | '\n' | '\0') {
                ' '
            } else {
                c
            }
        })
        .collect();
    if text.trim().is_empty() {
        return error(ctx, "empty message");
    }
    let me = ctx.me().clone();
    let target = match group_channel(ctx, id) {
        None => return,
        Some(Ok(channel)) => {
            let Some(chan) = ctx.world.net.channel(&channel) else {
                return error(ctx, format!("not in conversation {id}"));
            };
            if chan.member(me.id).is_none() {
                return error(ctx, format!("not in conversation {id}"));
            }
            if let Err(denied) = check_channel_send(chan, &me, &text) {
                let why = match denied {
                    SendDenied::Refused(SendRefusal::Moderated) => {
                        "it is moderated and you have no voice"
                    }
                    SendDenied::Refused(SendRefusal::NeedsAccount) => {
                        "it needs you to be logged in to an account"
                    }
                    SendDenied::Refused(SendRefusal::Banned) => "you are banned",
                    // A member is never refused as an outsider.
                    SendDenied::Refused(SendRefusal::Muted | SendRefusal::NoExternal) => {
                        "you are muted"
                    }
                    SendDenied::Ctcp => "no CTCP here (+C)",
                };
                return error(ctx, format!("cannot send to conversation {id}: {why}"));
            }
            MessageTarget::Channel {
                name: chan.name.clone(),
                status: None,
            }
        }
        Some(Err((a, b))) if a == me.id || b == me.id => {
            let other = if a == me.id { b } else { a };
            let Some(them) = ctx.world.net.user(other) else {
                return error(ctx, format!("the other user of conversation {id} is gone"));
            };
            if let Err(PrivateDenied::NeedsAccount) = check_private_send(&me, them) {
                let text = format!(
                    "{} takes messages only from users logged in to an account",
                    them.nick
                );
                return error(ctx, text);
            }
            MessageTarget::User(other)
        }
        Some(Err(_)) => return error(ctx, format!("not in conversation {id}")),
    };
    let shown_len = match &target {
        MessageTarget::Channel { name, .. } => name.len(),
        MessageTarget::User(u) => ctx.world.net.user(*u).map_or(0, |u| u.nick.len()),
    };
    let from = me.snapshot();
    let text = fit_message(&from, MessageKind::Privmsg, shown_len, &text).to_string();
    let msgid = ctx.world.next_msgid();
    ctx.emit(Event::Message {
        from,
        kind: MessageKind::Privmsg,
        target,
        text,
        tags: String::new(),
        msgid,
        at_ms: crate::world::now_ms(),
    });
}

fn leave(ctx: &mut Ctx<'_>, id: ConvId) {
    let me = ctx.client.id;
    match group_channel(ctx, id) {
        None => {}
        Some(Ok(channel)) => {
            let member = ctx
                .world
                .net
                .channel(&channel)
                .is_some_and(|c| c.member(me).is_some());
            if !member {
                return error(ctx, format!("not in conversation {id}"));
            }
            let user = ctx.me().snapshot();
            ctx.emit(Event::Parted {
                user,
                channel,
                reason: None,
            });
        }
        Some(Err((a, b))) if a == me || b == me => ctx.world.front.im.conversations.remove(id),
        Some(Err(_)) => error(ctx, format!("not in conversation {id}")),
    }
}
