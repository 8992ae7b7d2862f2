//! NickServ: the built-in nick and account service, for clients that speak
//! only plain IRC (Ergo's and Anope's commands). It is a user of this
//! server ([`natter_model::Frontend::Service`]) named `NickServ`: a PRIVMSG
//! to it, or the `NS`/`NICKSERV` commands, run a command here, and it
//! answers with NOTICEs.
//!
//! Commands: HELP, REGISTER, IDENTIFY, LOGOUT, INFO, DROP, SET PASSWORD,
//! GHOST, REGAIN, CERT (in [`super::certfp`]).

use natter_model::{Event, Frontend, Identity, Source, User};
use natter_proto::casemap::fold;
use natter_proto::{write_line_trailing, Message};

use super::account::{self, Via};
use super::{Ctx, SlowJob};
use crate::world::now;
use crate::World;

/// The service's nick.
pub const NICK: &str = "NickServ";

/// Makes the service `nick` (NickServ or ChanServ) a user of this server,
/// with id `id` (from the connection id counter, so it never collides with
/// a client's).
pub fn introduce(world: &mut World, id: natter_model::UserId, nick: &str) {
    let host = world.server_name().to_string();
    let realname = match nick {
        NICK => "Nick and account service",
        _ => "Channel registration service",
    };
    let user = User::new(
        Identity {
            id,
            nick: nick.into(),
            user: nick.into(),
            host,
            realname: realname.into(),
            server: natter_model::LOCAL_SERVER,
            frontend: Frontend::Service,
        },
        now(),
    );
    world.emit(&Event::UserIntroduced(Box::new(user)), None);
}

/// A NOTICE from NickServ to the client.
pub fn say(ctx: &mut Ctx<'_>, text: &str) {
    notice_from(ctx, NICK, text);
}

/// A NOTICE from the service `service` (NickServ, ChanServ) to the client.
pub fn notice_from(ctx: &mut Ctx<'_>, service: &str, text: &str) {
    let source = format!("{service}!{service}@{}", ctx.world.server_name());
    let nick = ctx.nick().to_string();
    write_line_trailing(&mut ctx.out, None, Some(&source), "NOTICE", &[&nick, text]);
}

/// `NS <command> [args]` and `NICKSERV ...`: the parameters joined are the
/// text of a message to NickServ.
pub fn command(ctx: &mut Ctx<'_>, msg: &Message) {
    let text = msg.params.join(" ");
    handle(ctx, &text);
}

/// Runs the NickServ command in `text` (a message sent to it).
pub fn handle(ctx: &mut Ctx<'_>, text: &str) {
    let mut words = text.split_whitespace();
    let Some(verb) = words.next() else {
        return help(ctx);
    };
    let args: Vec<&str> = words.collect();
    match verb.to_ascii_uppercase().as_str() {
        "HELP" => help(ctx),
        "REGISTER" => register(ctx, &args),
        "IDENTIFY" | "LOGIN" => identify(ctx, &args),
        "LOGOUT" => logout(ctx),
        "INFO" => info(ctx, &args),
        "DROP" => drop_account(ctx, &args),
        "SET" => set(ctx, &args),
        "GHOST" => ghost(ctx, &args, false),
        "REGAIN" | "RECOVER" => ghost(ctx, &args, true),
        "CERT" => super::certfp::command(ctx, &args),
        other => {
            let text = format!("Unknown command {other}; /msg NickServ HELP lists them");
            say(ctx, &text)
        }
    }
}

fn help(ctx: &mut Ctx<'_>) {
    for line in [
        "NickServ keeps accounts: an account owns the nick it is named after.",
        "REGISTER <password>         register your current nick as an account",
        "IDENTIFY [account] <password>  log in",
        "LOGOUT                      log out",
        "INFO [account]              show an account",
        "SET PASSWORD <password>     change your password",
        "DROP <account>              delete your account (you must be logged in to it)",
        "GHOST <nick>                disconnect someone using your account's nick",
        "CERT LIST|ADD [fp]|DEL <fp> TLS client certificates that log you in (SASL EXTERNAL, IDENTIFY)",
        "REGAIN <nick>               GHOST, then take the nick",
        "Clients that support SASL can log in while connecting instead.",
    ] {
        say(ctx, line);
    }
}

fn register(ctx: &mut Ctx<'_>, args: &[&str]) {
    let Some(password) = args.first() else {
        return say(ctx, "Syntax: REGISTER <password>");
    };
    let nick = ctx.nick().to_string();
    account::start_registration(ctx, &nick, &nick, password.to_string(), Via::NickServ);
}

fn identify(ctx: &mut Ctx<'_>, args: &[&str]) {
    let (name, password) = match args {
        [password] => (ctx.nick().to_string(), *password),
        [name, password, ..] => (name.to_string(), *password),
        [] => {
            if account::current(ctx).is_some() {
                return say(ctx, "You are already logged in");
            }
            return super::certfp::identify(ctx);
        }
    };
    if account::current(ctx).is_some() {
        return say(ctx, "You are already logged in");
    }
    if let Err(wait) = crate::accounts::login::refused(ctx, &name) {
        let text = format!("Too many failed attempts, try again in {wait} s");
        return say(ctx, &text);
    }
    let Some(found) = ctx.world.accounts.get(&name) else {
        let _delay = crate::accounts::login::login_failed(ctx, &name);
        return say(ctx, "Invalid account or password");
    };
    account::check_password(
        ctx,
        found.name.clone(),
        found.credentials.password.clone(),
        password,
        Via::NickServ,
    );
}

fn logout(ctx: &mut Ctx<'_>) {
    if account::current(ctx).is_none() {
        return say(ctx, "You are not logged in");
    }
    say(ctx, "You are now logged out");
    account::log_out(ctx);
}

fn info(ctx: &mut Ctx<'_>, args: &[&str]) {
    let name = match args.first() {
        Some(n) => n.to_string(),
        None => match account::current(ctx) {
            Some(a) => a,
            None => ctx.nick().to_string(),
        },
    };
    let Some(found) = ctx.world.accounts.get(&name) else {
        let text = format!("{name} is not registered");
        return say(ctx, &text);
    };
    let (shown, created) = (found.name.clone(), found.created_at);
    let when = humantime::format_rfc3339_seconds(
        std::time::UNIX_EPOCH + std::time::Duration::from_secs(created.max(0) as u64),
    );
    say(ctx, &format!("Account: {shown}"));
    say(ctx, &format!("Registered: {when}"));
}

fn drop_account(ctx: &mut Ctx<'_>, args: &[&str]) {
    let Some(current) = account::current(ctx) else {
        return say(ctx, "You must be logged in to the account to drop it");
    };
    match args.first() {
        Some(name) if fold(name) == fold(&current) => {
            let store = ctx.world.accounts.store();
            ctx.defer(SlowJob::new(move || {
                let result = store.delete_account(&fold(&current));
                Box::new(move |ctx| account::dropped(ctx, &current, result))
            }));
        }
        _ => {
            let text = format!("To confirm, send: DROP {current}");
            say(ctx, &text)
        }
    }
}

fn set(ctx: &mut Ctx<'_>, args: &[&str]) {
    match args {
        [what, password, ..] if what.eq_ignore_ascii_case("PASSWORD") => {
            let Some(current) = account::current(ctx) else {
                return say(ctx, "You must be logged in to change your password");
            };
            if let Some(why) = crate::accounts::login::weak_password(ctx, password) {
                return say(ctx, &why);
            }
            let (store, password) = (ctx.world.accounts.store(), password.to_string());
            ctx.defer(SlowJob::new(move || {
                let credentials = crate::accounts::credentials(&password);
                let result = store
                    .set_credentials(&fold(&current), &credentials)
                    .map(|_| credentials);
                Box::new(move |ctx| account::password_changed(ctx, &current, result))
            }));
        }
        _ => say(ctx, "Syntax: SET PASSWORD <password>"),
    }
}

/// GHOST (and REGAIN, which then takes the nick): disconnects the user
/// holding `nick`, a nick of the caller's account.
fn ghost(ctx: &mut Ctx<'_>, args: &[&str], regain: bool) {
    let Some(nick) = args.first() else {
        return say(ctx, "Syntax: GHOST <nick>");
    };
    let Some(current) = account::current(ctx) else {
        return say(
            ctx,
            "You must be logged in to the account that owns the nick",
        );
    };
    if fold(nick) != fold(&current) {
        return say(ctx, "That nick does not belong to your account");
    }
    let Some(target) = ctx.world.net.user_by_nick(nick) else {
        let text = format!("{nick} is not online");
        return say(ctx, &text);
    };
    if target.id == ctx.client.id {
        return say(ctx, "That is you");
    }
    if target.frontend == Frontend::Service {
        return say(ctx, "That is a service");
    }
    let victim = target.snapshot();
    let by = ctx
        .world
        .net
        .user_by_nick(NICK)
        .map(|u| Source::User(u.snapshot()))
        .unwrap_or_else(|| Source::Server(natter_model::LOCAL_SERVER));
    let me = ctx.nick().to_string();
    let command = if regain { "REGAIN" } else { "GHOST" };
    let reason = format!("{command} command used by {me}");
    ctx.emit(Event::Killed {
        by,
        user: victim,
        reason: format!("Killed ({NICK} ({reason}))"),
        comment: reason,
        at: now(),
    });
    let text = format!("{nick} has been disconnected");
    say(ctx, &text);
    if regain {
        let msg = Message {
            tags: Vec::new(),
            source: None,
            command: "NICK".into(),
            params: vec![nick.to_string()],
        };
        super::registration::nick(ctx, &msg);
    }
}

/// Nick enforcement's hook on the fan-out: a local IRC user who changes to
/// a registered nick without being logged in to its account is warned and
/// given `accounts.nick_grace` seconds; a login to the account, or a change
/// to another nick, ends the wait. (At registration [`check_new_user`]
/// does the same after the welcome burst.)
pub fn after_event(
    world: &mut World,
    event: &Event,
    _origin: crate::world::Origin,
    me: Option<(natter_model::UserId, &mut String)>,
) {
    let id = match event {
        Event::NickChanged { user, .. } | Event::AccountChanged { user, .. } => user.id,
        _ => return,
    };
    let Some(line) = check(world, id) else {
        return;
    };
    match me {
        Some((me_id, buf)) if me_id == id => buf.push_str(&line),
        _ => {
            if let Some(conn) = world.conns.get(&id) {
                conn.out.push(bytes::Bytes::from(line));
            }
        }
    }
}

/// Nick enforcement for a client that just registered: the warning follows
/// its welcome burst.
pub fn check_new_user(ctx: &mut Ctx<'_>) {
    if let Some(line) = check(ctx.world, ctx.client.id) {
        ctx.out.push_str(&line);
    }
}

/// Starts or ends the grace period of local IRC user `id` as its nick and
/// account now stand; the warning NOTICE to send when one starts.
fn check(world: &mut World, id: natter_model::UserId) -> Option<String> {
    if !world.config.accounts.enforce_nicks || !world.conns.contains_key(&id) {
        return None;
    }
    let user = world.net.user(id)?;
    if user.frontend != Frontend::Irc {
        return None;
    }
    let folded = fold(&user.nick);
    let owner = world.accounts.get(&user.nick).map(|a| fold(&a.name));
    if owner.is_none() || user.account.as_deref().map(fold) == owner {
        world.front.irc.nick_deadlines.remove(&id);
        return None;
    }
    let deadlines = &mut world.front.irc.nick_deadlines;
    if deadlines.get(&id).is_some_and(|(n, _)| *n == folded) {
        return None;
    }
    let grace = world.config.accounts.nick_grace;
    let nick = user.nick.clone();
    deadlines.insert(id, (folded, now() + grace));
    let text = format!(
        "{nick} is a registered nick: log in to its account within {grace} seconds \
         (/msg NickServ IDENTIFY {nick} <password>) or you will be renamed"
    );
    let mut line = String::new();
    let source = format!("{NICK}!NickServ@{}", world.server_name());
    write_line_trailing(&mut line, None, Some(&source), "NOTICE", &[&nick, &text]);
    Some(line)
}

/// Renames the users whose grace period ended and who still hold a
/// registered nick without its account, to `Guest<N>`. Called every second.
pub fn enforce(world: &mut World) {
    if world.front.irc.nick_deadlines.is_empty() {
        return;
    }
    let now = now();
    let due: Vec<(natter_model::UserId, String)> = world
        .front
        .irc
        .nick_deadlines
        .iter()
        // Whole seconds: `<` so that no one gets less than the grace.
        .filter(|(_, (_, at))| *at < now)
        .map(|(id, (nick, _))| (*id, nick.clone()))
        .collect();
    for (id, nick) in due {
        world.front.irc.nick_deadlines.remove(&id);
        let Some(user) = world.net.user(id) else {
            continue;
        };
        let owner = world.accounts.get(&nick).map(|a| fold(&a.name));
        if fold(&user.nick) != nick || owner.is_none() || user.account.as_deref().map(fold) == owner
        {
            continue;
        }
        let guest = loop {
            let n = world.front.irc.next_guest;
            world.front.irc.next_guest += 1;
            let candidate = format!("Guest{n}");
            if world.net.nick_available(id, &candidate) {
                break candidate;
            }
        };
        let snapshot = user.snapshot();
        let old = snapshot.nick.clone();
        world.emit(
            &Event::NickChanged {
                user: snapshot,
                new_nick: guest.clone(),
                at: now,
            },
            None,
        );
        if let Some(conn) = world.conns.get(&id) {
            let text = format!(
                "You did not log in to {old} in time, so you are now {guest}; \
                 /msg NickServ IDENTIFY {old} <password> and /msg NickServ REGAIN {old} take it back"
            );
            let mut line = String::new();
            let source = format!("{NICK}!NickServ@{}", world.server_name());
            write_line_trailing(&mut line, None, Some(&source), "NOTICE", &[&guest, &text]);
            conn.out.push(bytes::Bytes::from(line));
        }
    }
}
