//! The command table: every IRC command natter accepts, as data (as Ergo's
//! `irc/commands.go`), and [`dispatch`], which checks what the table says
//! in one place before a handler runs.
//!
//! The checks, in order (InspIRCd's and Solanum's): a command that needs
//! registration gets ERR_NOTREGISTERED before it (unknown commands too, so
//! an unregistered client learns nothing else); an unknown command
//! ERR_UNKNOWNCOMMAND; fewer parameters than the minimum
//! ERR_NEEDMOREPARAMS; an operator command ERR_NOPRIVILEGES from a
//! non-operator. Handlers
//! may check more (a parameter's form, a channel's modes), never these.
//! Each accepted command is counted for STATS m.

use natter_proto::numeric::*;
use natter_proto::Message;

use super::{
    account, capabilities, channels, chanserv, chathistory, help, knock, links, messaging, modes,
    monitor, nickserv, operators, queries, read_marker, registration, sasl, server_bans, silence,
    stats, Ctx,
};

/// One command: its name and handler, and what [`dispatch`] checks first.
pub struct Command {
    /// The command name, upper case.
    pub name: &'static str,
    /// Runs the command once the checks passed.
    pub handler: fn(&mut Ctx<'_>, &Message),
    /// Fewer parameters than this get ERR_NEEDMOREPARAMS.
    pub min_params: usize,
    /// Whether it is accepted before registration completes.
    pub anytime: bool,
    /// Whether only IRC operators (user mode +o) may use it.
    pub oper: bool,
}

const fn cmd(
    name: &'static str,
    handler: fn(&mut Ctx<'_>, &Message),
    min_params: usize,
) -> Command {
    Command {
        name,
        handler,
        min_params,
        anytime: false,
        oper: false,
    }
}

const fn anytime(
    name: &'static str,
    handler: fn(&mut Ctx<'_>, &Message),
    min_params: usize,
) -> Command {
    Command {
        anytime: true,
        ..cmd(name, handler, min_params)
    }
}

const fn oper(
    name: &'static str,
    handler: fn(&mut Ctx<'_>, &Message),
    min_params: usize,
) -> Command {
    Command {
        oper: true,
        ..cmd(name, handler, min_params)
    }
}

/// The command table's names, in its order: metrics count the lines a
/// client sends by them ([`crate::metrics::Metrics::line_in`]).
pub static COMMAND_NAMES: std::sync::LazyLock<Vec<&'static str>> =
    std::sync::LazyLock::new(|| COMMANDS.iter().map(|c| c.name).collect());

/// Every command, sorted by name (a test checks), so `lookup` can
/// search it. A minimum of 0 leaves the parameter check to the handler,
/// where a missing parameter has a reply of its own (ERR_NORECIPIENT,
/// ERR_NONICKNAMEGIVEN) or a meaning (INVITE, STATS).
pub const COMMANDS: &[Command] = &[
    cmd("ADMIN", queries::admin, 0),
    anytime("AUTHENTICATE", sasl::authenticate, 1),
    cmd("AWAY", messaging::away, 0),
    anytime("CAP", capabilities::cap, 1),
    cmd("CHANSERV", chanserv::command, 0),
    cmd("CHATHISTORY", chathistory::chathistory, 1),
    oper("CHGHOST", operators::chghost, 3),
    oper("CONNECT", links::connect, 1),
    cmd("CS", chanserv::command, 0),
    oper("DIE", operators::die, 0),
    oper("DLINE", server_bans::dline, 1),
    anytime("HELP", help::help, 0),
    anytime("HELPOP", help::help, 0),
    cmd("INFO", queries::info, 0),
    cmd("INVITE", channels::invite, 0),
    cmd("ISON", queries::ison, 1),
    cmd("JOIN", channels::join, 0),
    cmd("KICK", channels::kick, 2),
    oper("KILL", operators::kill, 2),
    oper("KLINE", server_bans::kline, 1),
    cmd("KNOCK", knock::knock, 1),
    cmd("LINKS", queries::links, 0),
    cmd("LIST", channels::list, 0),
    cmd("LUSERS", queries::lusers, 0),
    cmd("MAP", links::map, 0),
    cmd("MARKREAD", read_marker::markread, 0),
    cmd("MODE", modes::mode, 1),
    cmd("MONITOR", monitor::monitor, 1),
    cmd("MOTD", queries::motd, 0),
    cmd("NAMES", channels::names, 0),
    anytime("NICK", registration::nick, 0),
    cmd("NICKSERV", nickserv::command, 0),
    cmd("NOTICE", messaging::message, 0),
    cmd("NS", nickserv::command, 0),
    cmd("OPER", operators::oper, 2),
    cmd("PART", channels::part, 1),
    anytime("PASS", registration::pass, 0),
    anytime("PING", registration::ping, 1),
    anytime("PONG", registration::pong, 0),
    cmd("PRIVMSG", messaging::message, 0),
    anytime("QUIT", registration::quit, 0),
    anytime("REGISTER", account::register, 3),
    oper("REHASH", operators::rehash, 0),
    cmd("SETNAME", registration::setname, 1),
    cmd("SILENCE", silence::silence, 0),
    oper("SQUIT", links::squit, 1),
    cmd("STATS", stats::stats, 0),
    cmd("TAGMSG", messaging::message, 0),
    cmd("TIME", queries::time, 0),
    cmd("TOPIC", channels::topic, 1),
    oper("UNDLINE", server_bans::undline, 1),
    oper("UNKLINE", server_bans::unkline, 1),
    anytime("USER", registration::user, 0),
    cmd("USERHOST", queries::userhost, 1),
    cmd("VERSION", queries::version, 0),
    oper("WALLOPS", operators::wallops, 1),
    cmd("WHO", queries::who, 0),
    cmd("WHOIS", queries::whois, 0),
    cmd("WHOWAS", queries::whowas, 0),
];

/// The table entry for `name` (upper case) and its index in [`COMMANDS`].
pub fn lookup(name: &str) -> Option<(usize, &'static Command)> {
    let i = COMMANDS.binary_search_by(|c| c.name.cmp(name)).ok()?;
    Some((i, &COMMANDS[i]))
}

/// Runs one parsed command after the table's checks.
pub fn dispatch(ctx: &mut Ctx<'_>, msg: &Message) {
    let found = lookup(&msg.command);
    ctx.world
        .metrics
        .line_in(natter_model::Frontend::Irc, found.map(|(i, _)| i));
    if !ctx.client.registered && !found.is_some_and(|(_, c)| c.anytime) {
        return ctx.numeric(ERR_NOTREGISTERED, &["You have not registered"]);
    }
    let Some((i, command)) = found else {
        let name = msg.command.clone();
        return ctx.numeric(ERR_UNKNOWNCOMMAND, &[&name, "Unknown command"]);
    };
    if msg.params.len() < command.min_params {
        return ctx.need_more_params(command.name);
    }
    if command.oper && !ctx.me().modes.oper {
        return ctx.numeric(ERR_NOPRIVILEGES, &[NOT_AN_OPERATOR]);
    }
    ctx.world.front.irc.command_counts[i] += 1;
    (command.handler)(ctx, msg);
}

/// ERR_NOPRIVILEGES's text for a command only operators may use.
pub const NOT_AN_OPERATOR: &str = "Permission Denied- You're not an IRC operator";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_sorted_and_upper_case() {
        for pair in COMMANDS.windows(2) {
            assert!(
                pair[0].name < pair[1].name,
                "{} / {}",
                pair[0].name,
                pair[1].name
            );
        }
        for c in COMMANDS {
            assert_eq!(c.name, c.name.to_ascii_uppercase());
            assert!(lookup(c.name).is_some());
        }
        assert!(
            lookup("privmsg").is_none(),
            "the parser upper-cases commands"
        );
    }
}
