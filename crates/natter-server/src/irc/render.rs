//! Rendering for IRC clients: network events become IRC lines, and the
//! ISUPPORT tokens are derived from the configuration.
//!
//! [`visible`] says whether a recipient's client is shown an event at all
//! (echo-message, away-notify, invite-notify...). [`form_key`] keeps only
//! the capabilities that change how the event looks, so
//! the fan-out ([`super::fanout`]) renders each distinct form once and shares
//! the bytes among every recipient of that form.

use std::cell::OnceCell;

use bytes::Bytes;
use natter_model::{
    ChannelModes, Event, MessageKind, MessageTarget, ModeChange, Network, Source, UserId,
};
use natter_proto::message::escape_tag_value;
use natter_proto::{write_line, write_line_trailing};

use super::caps::{Cap, CapSet};
use crate::config::Config;

/// Values computed once per event and shared by all its forms.
#[derive(Default)]
pub struct Stamp {
    time: OnceCell<String>,
    /// The IRCv3 batch (`netsplit`, `netjoin`) the event belongs to, for
    /// clients with the `batch` capability.
    pub batch: Option<String>,
}

impl Stamp {
    /// A stamp whose `time` is `ms` (Unix milliseconds), for an event that
    /// carries its own time (a message: clients and history must agree).
    pub fn at_ms(ms: u64) -> Stamp {
        let stamp = Stamp::default();
        let _ = stamp.time.set(format_time_ms(ms));
        stamp
    }

    /// The event's `time` tag value (IRCv3 server-time): UTC, millisecond
    /// precision, e.g. `2026-11-22T09:33:16.123Z`.
    pub fn time(&self) -> &str {
        self.time.get_or_init(|| {
            humantime::format_rfc3339_millis(std::time::SystemTime::now()).to_string()
        })
    }
}

pub use crate::clock::format_time_ms;

/// Whether the client of `recipient`, with `caps`, is shown `event` at all.
pub fn visible(event: &Event, recipient: UserId, caps: CapSet) -> bool {
    match event {
        Event::UserIntroduced(_)
        | Event::ServerIntroduced(_)
        | Event::ServerSplit { .. }
        | Event::ChannelRegistered { .. }
        | Event::AccountRegistered { .. }
        | Event::AccountDropped { .. }
        | Event::ServerBanSet { .. }
        | Event::ServerBanLifted { .. } => false,
        Event::Message {
            from, kind, target, ..
        } => {
            if *kind == MessageKind::Tagmsg && !caps.has(Cap::MessageTags) {
                return false;
            }
            // The sender sees its own message only with echo-message, unless
            // it wrote to itself.
            recipient != from.id
                || caps.has(Cap::EchoMessage)
                || *target == MessageTarget::User(from.id)
        }
        Event::AwayChanged { user, .. } => recipient != user.id && caps.has(Cap::AwayNotify),
        // invite-notify goes to the channel's operators, not back to the
        // inviter (who has RPL_INVITING).
        Event::Invited { by, target, .. } => {
            recipient == *target || (recipient != by.id && caps.has(Cap::InviteNotify))
        }
        Event::RealnameChanged { .. } => caps.has(Cap::Setname),
        Event::AccountChanged { user, .. } => recipient != user.id && caps.has(Cap::AccountNotify),
        Event::HostChanged { .. } => caps.has(Cap::Chghost),
        _ => true,
    }
}

/// The capabilities among `caps` that change how `event` is rendered.
/// Recipients with equal keys get the very same bytes.
pub fn form_key(event: &Event, caps: CapSet) -> CapSet {
    match event {
        Event::Message { .. } => caps.only(&[Cap::ServerTime, Cap::MessageTags, Cap::AccountTag]),
        Event::Joined { .. } => caps.only(&[Cap::ServerTime, Cap::ExtendedJoin, Cap::AccountTag]),
        _ => caps.only(&[Cap::ServerTime, Cap::AccountTag]),
    }
}

/// The user whose action `event` shows, for the `account` tag (IRCv3
/// account-tag: on every message sent by a logged-in user). Messages and
/// joins add theirs themselves.
fn actor(event: &Event) -> Option<UserId> {
    let by = |s: &Source| match s {
        Source::User(u) => Some(u.id),
        Source::Server(_) => None,
    };
    match event {
        Event::NickChanged { user, .. }
        | Event::Parted { user, .. }
        | Event::Quit { user, .. }
        | Event::RealnameChanged { user, .. }
        | Event::HostChanged { user, .. }
        | Event::AwayChanged { user, .. }
        | Event::AccountChanged { user, .. }
        | Event::Knocked { user, .. } => Some(user.id),
        Event::Invited { by: user, .. } => Some(user.id),
        Event::Kicked { by: source, .. }
        | Event::TopicChanged { by: source, .. }
        | Event::ChannelModeChanged { by: source, .. } => by(source),
        _ => None,
    }
}

/// `event` as one IRC line (with CR LF) in the form `form` (a
/// [`form_key`]). `net` is the state after the event was applied.
pub fn render(event: &Event, net: &Network, form: CapSet, stamp: &Stamp) -> Bytes {
    let mut tags = String::new();
    if form.has(Cap::ServerTime) {
        tags.push_str("time=");
        tags.push_str(stamp.time());
    }
    if let (true, Some(id)) = (form.has(Cap::Batch), &stamp.batch) {
        push_tag(&mut tags, "batch", Some(id));
    }
    if form.has(Cap::AccountTag) {
        let account = actor(event)
            .and_then(|id| net.user(id))
            .and_then(|u| u.account.as_deref());
        add_account_tag(&mut tags, account);
    }
    let mut out = String::with_capacity(160);
    match event {
        Event::UserIntroduced(_)
        | Event::ServerIntroduced(_)
        | Event::ServerSplit { .. }
        | Event::ChannelRegistered { .. }
        | Event::AccountRegistered { .. }
        | Event::AccountDropped { .. }
        | Event::ServerBanSet { .. }
        | Event::ServerBanLifted { .. } => {}
        Event::NickChanged { user, new_nick, .. } => write_line(
            &mut out,
            Some(&tags),
            Some(&user.mask()),
            "NICK",
            &[new_nick],
        ),
        Event::Joined {
            user: who, channel, ..
        } => {
            let prefix = &who.mask();
            let id = &who.id;
            let name = net
                .channel(channel)
                .map(|c| c.name.as_str())
                .unwrap_or(channel);
            let user = net.user(*id);
            let account = user.and_then(|u| u.account.as_deref());
            if form.has(Cap::AccountTag) {
                add_account_tag(&mut tags, account);
            }
            if form.has(Cap::ExtendedJoin) {
                let realname = user.map(|u| u.realname.as_str()).unwrap_or("");
                write_line_trailing(
                    &mut out,
                    Some(&tags),
                    Some(prefix),
                    "JOIN",
                    &[name, account.unwrap_or("*"), realname],
                )
            } else {
                write_line(&mut out, Some(&tags), Some(prefix), "JOIN", &[name])
            }
        }
        Event::Parted {
            user,
            channel,
            reason,
        } => match reason {
            Some(r) => write_line_trailing(
                &mut out,
                Some(&tags),
                Some(&user.mask()),
                "PART",
                &[channel, r],
            ),
            None => write_line(
                &mut out,
                Some(&tags),
                Some(&user.mask()),
                "PART",
                &[channel],
            ),
        },
        Event::Kicked {
            by,
            channel,
            target_nick,
            reason,
            ..
        } => write_line_trailing(
            &mut out,
            Some(&tags),
            Some(&net.source_mask(by)),
            "KICK",
            &[channel, target_nick, reason],
        ),
        Event::Quit { user, reason, .. } | Event::Killed { user, reason, .. } => {
            write_line_trailing(&mut out, Some(&tags), Some(&user.mask()), "QUIT", &[reason])
        }
        Event::TopicChanged { by, channel, topic } => {
            let text = topic.as_ref().map(|t| t.text.as_str()).unwrap_or("");
            write_line_trailing(
                &mut out,
                Some(&tags),
                Some(&net.source_mask(by)),
                "TOPIC",
                &[channel, text],
            )
        }
        Event::ChannelModeChanged {
            by,
            channel,
            changes,
            ..
        } => {
            let (flags, _) = ModeChange::mode_string(changes);
            let mut args: Vec<&str> = vec![channel, &flags];
            args.extend(
                changes
                    .iter()
                    .filter_map(|c| c.arg.as_ref().map(|a| a.as_str())),
            );
            write_line(
                &mut out,
                Some(&tags),
                Some(&net.source_mask(by)),
                "MODE",
                &args,
            );
        }
        Event::UserModeChanged { nick, changes, .. } => {
            let (flags, _) = ModeChange::mode_string(changes);
            write_line(&mut out, Some(&tags), Some(nick), "MODE", &[nick, &flags])
        }
        Event::Message {
            from,
            kind,
            target,
            text,
            tags: client_tags,
            msgid,
            ..
        } => {
            let sender = net.user(from.id);
            let prefix = &from.mask();
            if form.has(Cap::MessageTags) {
                push_tag(&mut tags, "msgid", Some(msgid));
                if sender.is_some_and(|u| u.modes.bot) {
                    push_tag(&mut tags, "bot", None);
                }
            }
            if form.has(Cap::AccountTag) {
                add_account_tag(&mut tags, sender.and_then(|u| u.account.as_deref()));
            }
            if form.has(Cap::MessageTags) && !client_tags.is_empty() {
                if !tags.is_empty() {
                    tags.push(';');
                }
                tags.push_str(client_tags);
            }
            let mut shown = String::new();
            let target: &str = match target {
                MessageTarget::User(to) => net.user(*to).map(|u| u.nick.as_str()).unwrap_or("*"),
                MessageTarget::Channel { name, status } => {
                    if let Some(s) = status {
                        shown.push(*s);
                    }
                    shown.push_str(name);
                    &shown
                }
            };
            if *kind == MessageKind::Tagmsg {
                write_line(&mut out, Some(&tags), Some(prefix), "TAGMSG", &[target])
            } else {
                write_line_trailing(
                    &mut out,
                    Some(&tags),
                    Some(prefix),
                    kind.command(),
                    &[target, text],
                )
            }
        }
        Event::Invited {
            by,
            target_nick,
            channel,
            ..
        } => write_line(
            &mut out,
            Some(&tags),
            Some(&by.mask()),
            "INVITE",
            &[target_nick, channel],
        ),
        Event::AwayChanged { user, message } => {
            let prefix = user.mask();
            match message {
                Some(m) => write_line_trailing(&mut out, Some(&tags), Some(&prefix), "AWAY", &[m]),
                None => write_line(&mut out, Some(&tags), Some(&prefix), "AWAY", &[]),
            }
        }
        Event::AccountChanged { user, account } => write_line(
            &mut out,
            Some(&tags),
            Some(&user.mask()),
            "ACCOUNT",
            &[account.as_deref().unwrap_or("*")],
        ),
        Event::RealnameChanged { user, realname } => write_line_trailing(
            &mut out,
            Some(&tags),
            Some(&user.mask()),
            "SETNAME",
            &[realname],
        ),
        Event::HostChanged {
            user,
            username,
            host,
        } => write_line(
            &mut out,
            Some(&tags),
            Some(&user.mask()),
            "CHGHOST",
            &[username, host],
        ),
        // InspIRCd's form: the numeric addressed to the channel, so every
        // operator gets the same bytes.
        Event::Knocked {
            user,
            channel,
            text,
        } => {
            let server = net.user(user.id).map_or("*", |u| net.server_name(u.server));
            let text = format!("is KNOCKing: {text}");
            write_line_trailing(
                &mut out,
                Some(&tags),
                Some(server),
                natter_proto::numeric::RPL_KNOCK,
                &[channel, channel, &user.mask(), &text],
            )
        }
        Event::Wallops { by, text } => write_line_trailing(
            &mut out,
            Some(&tags),
            Some(&net.source_mask(by)),
            "WALLOPS",
            &[text],
        ),
    }
    Bytes::from(out)
}

/// Appends `key[=value]` (escaped) to a tag string.
fn push_tag(tags: &mut String, key: &str, value: Option<&str>) {
    if !tags.is_empty() {
        tags.push(';');
    }
    tags.push_str(key);
    if let Some(v) = value {
        tags.push('=');
        escape_tag_value(v, tags);
    }
}

/// The `account` tag (IRCv3 account-tag), for a logged-in sender only.
fn add_account_tag(tags: &mut String, account: Option<&str>) {
    if let Some(a) = account {
        push_tag(tags, "account", Some(a));
    }
}

/// The channel modes that take a parameter (RPL_MYINFO's last field):
/// the lists, the key, the limit and the member statuses.
pub const CHANNEL_MODES_WITH_PARAM: &str = "beIklov";

/// Every channel mode, in ASCII order, as RPL_MYINFO lists them: the flag
/// modes ([`ChannelModes::FLAGS`]) and those that take a parameter.
pub fn myinfo_channel_modes() -> String {
    let mut modes: Vec<char> = ChannelModes::FLAGS
        .into_iter()
        .chain(CHANNEL_MODES_WITH_PARAM.chars())
        .collect();
    modes.sort_unstable();
    modes.dedup();
    modes.into_iter().collect()
}

/// The RPL_ISUPPORT tokens (Modern IRC "Feature Advertisement"). The list
/// modes b, e and I share MAXLIST; `EXTBAN=,am` offers the account extban
/// `a:<account>` (also named by `ACCOUNTEXTBAN=a`, IRCv3 account-extban)
/// and the mute extban `m:<mask>` (no prefix character, as Ergo and
/// InspIRCd write them).
pub fn isupport_tokens(config: &Config) -> Vec<String> {
    let l = &config.limits;
    let mut tokens = vec![
        "ACCOUNTEXTBAN=a".into(),
        format!("AWAYLEN={}", l.awaylen),
        "BOT=B".into(),
        "CASEMAPPING=rfc1459".into(),
        format!("CHANLIMIT=#&:{}", l.channels_per_user),
        format!(
            "CHANMODES=beI,k,l,{}",
            String::from_iter(ChannelModes::FLAGS)
        ),
        format!("CHANNELLEN={}", l.channellen),
        "CHANTYPES=#&".into(),
        format!("CHATHISTORY={}", crate::history::query::MAX_LIMIT),
        "ELIST=CMNTU".into(),
        "EXCEPTS=e".into(),
        "EXTBAN=,am".into(),
        format!("HOSTLEN={}", 64),
        "INVEX=I".into(),
        format!("KICKLEN={}", l.kicklen),
        "KNOCK".into(),
        format!("MAXLIST=beI:{}", l.max_bans),
        format!("MAXTARGETS={}", l.max_targets),
        format!("MODES={}", l.modes_per_command),
        format!("MONITOR={}", l.monitor),
        "MSGREFTYPES=msgid,timestamp".into(),
        format!("NETWORK={}", config.server.network),
        format!("NICKLEN={}", l.nicklen),
        "PREFIX=(ov)@+".into(),
        "SAFELIST".into(),
        format!("SILENCE={}", super::silence::MAX_SILENCE),
        "STATUSMSG=@+".into(),
        format!(
            "TARGMAX=JOIN:,KICK:{t},LIST:,MONITOR:,NAMES:{t},NOTICE:{t},PART:,PRIVMSG:{t},TAGMSG:{t},WHOIS:1",
            t = l.max_targets
        ),
        format!("TOPICLEN={}", l.topiclen),
        format!("USERLEN={}", l.userlen),
        "UTF8ONLY".into(),
        "WHOX".into(),
    ];
    if !config.history.enabled {
        tokens.retain(|t| !t.starts_with("CHATHISTORY=") && !t.starts_with("MSGREFTYPES="));
    }
    if !l.client_tag_deny.is_empty() {
        tokens.push(format!("CLIENTTAGDENY={}", l.client_tag_deny.join(",")));
        tokens.sort();
    }
    tokens
}

/// The last line a closing IRC connection gets,
/// `ERROR :Closing Link: <link> (<reason>)` (RFC 2812 3.7.4; Modern IRC
/// "ERROR message"), with CR LF.
pub fn closing_line(link: &str, reason: &str) -> String {
    let mut line = String::new();
    write_line_trailing(
        &mut line,
        None,
        None,
        "ERROR",
        &[&format!("Closing Link: {link} ({reason})")],
    );
    line
}
