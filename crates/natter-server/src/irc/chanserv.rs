//! ChanServ: the built-in channel registration service (Anope's and
//! Atheme's commands). Like NickServ it is a user of this server
//! ([`natter_model::Frontend::Service`]); a PRIVMSG to it, or `CS` and
//! `CHANSERV`, run a command here and it answers with NOTICEs.
//!
//! Commands: HELP, REGISTER, DROP, INFO, OP, DEOP, VOICE, DEVOICE, ACCESS
//! (LIST, ADD, DEL) and SET (TOPICLOCK, MODES). Registering, dropping and
//! changing the access list are committed to the store before the reply;
//! what the registry keeps is in [`crate::chanreg`].

use std::collections::BTreeMap;

use natter_model::{ChannelModes, Event, ModeArg, ModeChange, Source};
use natter_proto::casemap::fold;
use natter_proto::Message;
use natter_store::{ChannelRecord, StoreError};

use super::{account, Ctx, SlowJob};
use crate::chanreg::{self, Level, Registration};
use crate::world::now;
use crate::World;

/// The service's nick.
pub const NICK: &str = "ChanServ";

/// A NOTICE from ChanServ to the client.
pub fn say(ctx: &mut Ctx<'_>, text: &str) {
    super::nickserv::notice_from(ctx, NICK, text);
}

/// `CS <command> [args]` and `CHANSERV ...`.
pub fn command(ctx: &mut Ctx<'_>, msg: &Message) {
    let text = msg.params.join(" ");
    handle(ctx, &text);
}

/// What the store should do for a ChanServ command, off the world lock.
#[derive(Debug, Clone)]
pub enum Write {
    /// Register the channel.
    Register(Box<ChannelRecord>),
    /// Drop the channel's registration.
    Drop(String),
    /// Set (`Some`) or remove (`None`) an account's access.
    Access {
        /// The channel.
        channel: String,
        /// The casefolded account.
        account: String,
        /// The new level.
        level: Option<Level>,
    },
}

/// Commits `change` off the world lock, then [`written`].
fn write(ctx: &mut Ctx<'_>, change: Write) {
    let store = ctx.world.accounts.store();
    ctx.defer(SlowJob::new(move || {
        let result = run(&store, &change);
        Box::new(move |ctx| written(ctx, change, result))
    }));
}

/// Runs `write` against the store (blocking).
pub fn run(store: &natter_store::Store, write: &Write) -> Result<(), StoreError> {
    match write {
        Write::Register(record) => store.register_channel(record),
        Write::Drop(channel) => store.drop_channel(&fold(channel)).map(|_| ()),
        Write::Access {
            channel,
            account,
            level,
        } => store.set_channel_access(&fold(channel), account, level.map(Level::name)),
    }
}

/// Runs the ChanServ command in `text`.
pub fn handle(ctx: &mut Ctx<'_>, text: &str) {
    let mut words = text.split_whitespace();
    let Some(verb) = words.next() else {
        return help(ctx);
    };
    let args: Vec<&str> = words.collect();
    let verb = verb.to_ascii_uppercase();
    if verb == "HELP" {
        return help(ctx);
    }
    let Some(channel) = args.first().map(|c| c.to_string()) else {
        return say(ctx, &format!("Syntax: {verb} <#channel> ..."));
    };
    match verb.as_str() {
        "REGISTER" => register(ctx, &channel),
        "DROP" => drop_channel(ctx, &channel),
        "INFO" => info(ctx, &channel),
        "OP" | "DEOP" | "VOICE" | "DEVOICE" => status(ctx, &verb, &channel, args.get(1).copied()),
        "ACCESS" => access(ctx, &channel, &args[1..]),
        "SET" => set(ctx, &channel, &args[1..]),
        other => say(
            ctx,
            &format!("Unknown command {other}; /msg ChanServ HELP lists them"),
        ),
    }
}

/// The flag modes SET MODES takes, as help and its refusal name them
/// (`C, M, R, ...`).
fn flag_list() -> String {
    ChannelModes::FLAGS.map(String::from).join(", ")
}

fn help(ctx: &mut Ctx<'_>) {
    for line in [
        "ChanServ keeps registered channels: they stay while empty, keep their",
        "topic, modes and bans across restarts, and give ops and voice by access list.",
        "REGISTER <#channel>                  register a channel you are an operator of",
        "DROP <#channel>                      drop its registration (founder)",
        "INFO <#channel>                      show a registration",
        "OP|DEOP|VOICE|DEVOICE <#channel> [nick]  change status (access list op)",
        "ACCESS <#channel> LIST               show the access list (anyone on it)",
        "ACCESS <#channel> ADD <account> <op|voice>  add or change an entry (founder)",
        "ACCESS <#channel> DEL <account>      remove an entry (founder)",
        "SET <#channel> TOPICLOCK ON|OFF      only access-list ops change the topic",
    ] {
        say(ctx, line);
    }
    let modes = format!(
        "SET <#channel> MODES <+modes-modes>  set flag modes ({})",
        flag_list()
    );
    say(ctx, &modes);
}

/// The caller's account, or a NOTICE saying it must log in.
fn logged_in(ctx: &mut Ctx<'_>) -> Option<String> {
    let current = account::current(ctx);
    if current.is_none() {
        say(
            ctx,
            "You must be logged in to an account (see /msg NickServ HELP)",
        );
    }
    current
}

/// The caller's level on registered `channel`, or a NOTICE when it is not
/// registered.
fn level_on(ctx: &mut Ctx<'_>, channel: &str) -> Option<Option<Level>> {
    if ctx.world.channel_registry.get(channel).is_none() {
        say(ctx, &format!("{channel} is not registered"));
        return None;
    }
    let account = account::current(ctx);
    Some(
        ctx.world
            .channel_registry
            .level(channel, account.as_deref()),
    )
}

/// The name registered `channel` was registered under (empty if none).
fn registered_name(ctx: &Ctx<'_>, channel: &str) -> String {
    ctx.world
        .channel_registry
        .get(channel)
        .map(|r| r.name.clone())
        .unwrap_or_default()
}

fn register(ctx: &mut Ctx<'_>, channel: &str) {
    let Some(founder) = logged_in(ctx) else {
        return;
    };
    let Some(chan) = ctx.world.net.channel(channel) else {
        return say(ctx, &format!("{channel} does not exist; join it first"));
    };
    if !chan.name.starts_with('#') {
        return say(ctx, "Only # channels can be registered");
    }
    if ctx.world.channel_registry.get(channel).is_some() {
        return say(ctx, &format!("{} is already registered", chan.name));
    }
    if !chan.is_op(ctx.client.id) {
        return say(
            ctx,
            &format!("You must be an operator of {} to register it", chan.name),
        );
    }
    let registration = Registration {
        name: chan.name.clone(),
        founder: founder.clone(),
        registered_at: now() as i64,
        topic_lock: false,
        access: BTreeMap::from([(fold(&founder), Level::Founder)]),
    };
    let record = chanreg::record(&ctx.world.net, &registration);
    write(ctx, Write::Register(Box::new(record)));
}

fn drop_channel(ctx: &mut Ctx<'_>, channel: &str) {
    let Some(level) = level_on(ctx, channel) else {
        return;
    };
    if level != Some(Level::Founder) {
        return say(ctx, "Only the founder can drop a channel");
    }
    let name = registered_name(ctx, channel);
    write(ctx, Write::Drop(name));
}

fn info(ctx: &mut Ctx<'_>, channel: &str) {
    let Some(reg) = ctx.world.channel_registry.get(channel).cloned() else {
        return say(ctx, &format!("{channel} is not registered"));
    };
    let when = humantime::format_rfc3339_seconds(
        std::time::UNIX_EPOCH + std::time::Duration::from_secs(reg.registered_at.max(0) as u64),
    );
    say(ctx, &format!("Channel: {}", reg.name));
    say(ctx, &format!("Founder: {}", reg.founder));
    say(ctx, &format!("Registered: {when}"));
    let lock = if reg.topic_lock { "on" } else { "off" };
    say(ctx, &format!("Topic lock: {lock}"));
}

/// OP, DEOP, VOICE, DEVOICE: ChanServ changes a member's status. Operators
/// on the access list may do all four to anyone; voice-level users may
/// VOICE and DEVOICE themselves.
fn status(ctx: &mut Ctx<'_>, verb: &str, channel: &str, nick: Option<&str>) {
    let Some(level) = level_on(ctx, channel) else {
        return;
    };
    let me = ctx.nick().to_string();
    let target_nick = nick.unwrap_or(&me).to_string();
    let voice = verb.ends_with("VOICE");
    let needed = if voice && fold(&target_nick) == fold(&me) {
        Level::Voice
    } else {
        Level::Op
    };
    if level < Some(needed) {
        return say(
            ctx,
            &format!("You need {} access to {channel} for that", needed.name()),
        );
    }
    let Some(target) = ctx.world.net.user_by_nick(&target_nick) else {
        return say(ctx, &format!("{target_nick} is not online"));
    };
    let target = (target.id, target.nick.clone());
    let Some(chan) = ctx.world.net.channel(channel) else {
        return say(ctx, &format!("{channel} is empty"));
    };
    if chan.member(target.0).is_none() {
        return say(ctx, &format!("{} is not on {}", target.1, chan.name));
    }
    let name = chan.name.clone();
    let change = ModeChange {
        add: !verb.starts_with("DE"),
        mode: if voice { 'v' } else { 'o' },
        arg: Some(ModeArg::Member(target.0, target.1)),
    };
    emit_modes(
        ctx.world,
        &name,
        vec![change],
        Some((ctx.client.id, &mut ctx.out)),
    );
}

/// ChanServ changes modes of `channel`.
fn emit_modes(
    world: &mut World,
    channel: &str,
    changes: Vec<ModeChange>,
    me: Option<(natter_model::UserId, &mut String)>,
) {
    let Some(by) = world.net.user_by_nick(NICK).map(|u| u.snapshot()) else {
        return;
    };
    world.emit(
        &Event::ChannelModeChanged {
            by: Source::User(by),
            channel: channel.to_string(),
            changes,
            at: now(),
        },
        me,
    );
}

fn access(ctx: &mut Ctx<'_>, channel: &str, args: &[&str]) {
    let Some(level) = level_on(ctx, channel) else {
        return;
    };
    let sub = args.first().map(|s| s.to_ascii_uppercase());
    match (sub.as_deref(), &args[1.min(args.len())..]) {
        (Some("LIST") | None, _) if level.is_none() => say(
            ctx,
            &format!("You need access to {channel} to see its access list"),
        ),
        (Some("LIST") | None, _) => {
            let reg = ctx
                .world
                .channel_registry
                .get(channel)
                .cloned()
                .expect("checked");
            say(ctx, &format!("Access list of {}:", reg.name));
            for (account, level) in &reg.access {
                say(ctx, &format!("  {account} {}", level.name()));
            }
        }
        _ if level != Some(Level::Founder) => say(ctx, "Only the founder changes the access list"),
        (Some("ADD"), [account, level, ..]) => {
            let Some(level) = Level::parse(level).filter(|l| *l != Level::Founder) else {
                return say(ctx, "The level is op or voice");
            };
            if ctx.world.accounts.get(account).is_none() {
                return say(ctx, &format!("{account} is not a registered account"));
            }
            write(
                ctx,
                Write::Access {
                    channel: channel.to_string(),
                    account: fold(account),
                    level: Some(level),
                },
            );
        }
        (Some("DEL"), [account, ..]) => {
            let founder = ctx
                .world
                .channel_registry
                .get(channel)
                .map(|r| fold(&r.founder));
            if founder.as_deref() == Some(fold(account).as_str()) {
                return say(ctx, "The founder stays on the access list");
            }
            write(
                ctx,
                Write::Access {
                    channel: channel.to_string(),
                    account: fold(account),
                    level: None,
                },
            );
        }
        _ => say(
            ctx,
            "Syntax: ACCESS <#channel> LIST | ADD <account> <op|voice> | DEL <account>",
        ),
    }
}

fn set(ctx: &mut Ctx<'_>, channel: &str, args: &[&str]) {
    let Some(level) = level_on(ctx, channel) else {
        return;
    };
    if level != Some(Level::Founder) {
        return say(ctx, "Only the founder changes a channel's settings");
    }
    match args {
        [what, value, ..] if what.eq_ignore_ascii_case("TOPICLOCK") => {
            let on = match value.to_ascii_uppercase().as_str() {
                "ON" => true,
                "OFF" => false,
                _ => return say(ctx, "Syntax: SET <#channel> TOPICLOCK ON|OFF"),
            };
            if let Some(reg) = ctx.world.channel_registry.get_mut(channel) {
                reg.topic_lock = on;
            }
            chanreg::save(ctx.world, channel);
            say(
                ctx,
                &format!(
                    "Topic lock of {channel} is now {}",
                    if on { "on" } else { "off" }
                ),
            );
        }
        [what, modes, ..] if what.eq_ignore_ascii_case("MODES") => {
            let mut changes = Vec::new();
            let mut add = true;
            for c in modes.chars() {
                match c {
                    '+' => add = true,
                    '-' => add = false,
                    c if ChannelModes::is_flag(c) => changes.push(ModeChange {
                        add,
                        mode: c,
                        arg: None,
                    }),
                    other => {
                        return say(
                            ctx,
                            &format!("SET MODES takes flag modes ({}), not {other}", flag_list()),
                        )
                    }
                }
            }
            if ctx.world.net.channel(channel).is_none() {
                return say(ctx, &format!("{channel} does not exist"));
            }
            let name = registered_name(ctx, channel);
            emit_modes(
                ctx.world,
                &name,
                changes,
                Some((ctx.client.id, &mut ctx.out)),
            );
            say(ctx, &format!("Modes of {name} set"));
        }
        _ => say(
            ctx,
            "Syntax: SET <#channel> TOPICLOCK ON|OFF | MODES <+modes-modes>",
        ),
    }
}

/// Finishes a ChanServ command once the store answered.
pub fn written(ctx: &mut Ctx<'_>, write: Write, result: Result<(), StoreError>) {
    if let Err(e) = result {
        return match e {
            StoreError::Exists => say(ctx, "That channel is already registered"),
            e => {
                tracing::error!(error = %e, "ChanServ: store write failed");
                say(ctx, "That failed, try again later")
            }
        };
    }
    match write {
        Write::Register(record) => {
            let (registration, _) = chanreg::restore(*record);
            let name = registration.name.clone();
            ctx.world.channel_registry.insert(registration);
            let event = Event::ChannelRegistered {
                channel: name.clone(),
                registered: true,
                at: now(),
            };
            ctx.emit(event);
            chanreg::save(ctx.world, &name);
            say(ctx, &format!("{name} is registered to you"));
        }
        Write::Drop(name) => {
            ctx.world.channel_registry.remove(&name);
            ctx.emit(Event::ChannelRegistered {
                channel: name.clone(),
                registered: false,
                at: now(),
            });
            say(ctx, &format!("{name} is no longer registered"));
        }
        Write::Access {
            channel,
            account,
            level,
        } => {
            if let Some(reg) = ctx.world.channel_registry.get_mut(&channel) {
                match level {
                    Some(l) => {
                        reg.access.insert(account.clone(), l);
                    }
                    None => {
                        reg.access.remove(&account);
                    }
                }
            }
            match level {
                Some(l) => say(
                    ctx,
                    &format!("{account} now has {} access to {channel}", l.name()),
                ),
                None => say(
                    ctx,
                    &format!("{account} was removed from the access list of {channel}"),
                ),
            }
        }
    }
}

/// ChanServ's hook on the fan-out: op or voice on join by the access list
/// (a MODE from ChanServ that every member sees), and a registered
/// channel's state saved whenever its topic or modes change.
pub fn after_event(
    world: &mut World,
    event: &Event,
    _origin: crate::world::Origin,
    me: Option<(natter_model::UserId, &mut String)>,
) {
    match event {
        Event::Joined { user, channel, .. } if world.conns.contains_key(&user.id) => {
            let account = world.net.user(user.id).and_then(|u| u.account.clone());
            let mode = match world.channel_registry.level(channel, account.as_deref()) {
                Some(Level::Founder | Level::Op) => 'o',
                Some(Level::Voice) => 'v',
                None => return,
            };
            let change = ModeChange {
                add: true,
                mode,
                arg: Some(ModeArg::Member(user.id, user.nick.clone())),
            };
            let me = me.filter(|(id, _)| *id == user.id);
            emit_modes(world, channel, vec![change], me);
        }
        Event::TopicChanged { channel, .. } | Event::ChannelModeChanged { channel, .. } => {
            chanreg::save(world, channel);
        }
        _ => {}
    }
}
