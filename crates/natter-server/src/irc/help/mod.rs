//! HELP and HELPOP (Modern IRC "HELP message"): a few lines on every
//! command natter implements, and on its modes and WHOX.
//!
//! `HELP <subject>` answers with RPL_HELPSTART (the subject's syntax as a
//! title), an empty RPL_HELPTXT, the text as RPL_HELPTXT lines and
//! RPL_ENDOFHELP; an unknown subject gets a single ERR_HELPNOTFOUND.
//! Without a subject the reply is an index of every subject. Subjects
//! compare case-insensitively and are echoed as the client spelled them
//! (or as `*` when that could not be a middle parameter).
//!
//! Both commands are accepted before registration too: the text is static,
//! costs no more than a PING, and tells someone typing at a raw connection
//! how to register (HELP NICK, HELP USER, HELP CAP).
//!
//! The texts live in [`ENTRIES`]; a unit test reads the command table
//! ([`super::COMMANDS`]) and requires an entry for every command in it,
//! marked with the right [`Kind`], so a new command cannot ship without help.

use natter_proto::numeric::*;
use natter_proto::Message;

use super::registration::middle;
use super::Ctx;

/// What a help subject documents, which decides where the index lists it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A command accepted at any time, before registration too.
    Anytime,
    /// A command accepted only once the client is registered.
    Registered,
    /// Not a command: background for several commands (modes, WHOX).
    Topic,
}

/// One help subject.
#[derive(Debug)]
pub struct Entry {
    /// The subject, upper case: a command name or a topic name.
    pub name: &'static str,
    /// Command or topic, and when a command is accepted.
    pub kind: Kind,
    /// The title line (RPL_HELPSTART): the command's syntax, or the topic's
    /// heading.
    pub title: &'static str,
    /// The body, one RPL_HELPTXT each.
    pub text: &'static [&'static str],
}

/// Every help subject, sorted by name.
pub static ENTRIES: &[Entry] = &[
    Entry {
        name: "ADMIN",
        kind: Kind::Registered,
        title: "ADMIN",
        text: &[
            "Shows who runs this server: its location, a description and",
            "a contact address (RPL_ADMINME, RPL_ADMINLOC1, RPL_ADMINLOC2,",
            "RPL_ADMINEMAIL), from the [admin] section of the configuration.",
        ],
    },
    Entry {
        name: "AUTHENTICATE",
        kind: Kind::Anytime,
        title: "AUTHENTICATE <mechanism> | <base64> | *",
        text: &[
            "SASL login (IRCv3 sasl-3.2), usually done by your client while it",
            "connects: enable the sasl capability, name a mechanism (PLAIN or",
            "SCRAM-SHA-256), then send the base64 payload in pieces of at most",
            "400 bytes. 900 and 903 mean you are logged in; 904 that it failed;",
            "* aborts (906). Repeated failures are slowed down, then refused.",
        ],
    },
    Entry {
        name: "AWAY",
        kind: Kind::Registered,
        title: "AWAY [<message>]",
        text: &[
            "With a message, marks you as away (RPL_NOWAWAY); without one,",
            "as back (RPL_UNAWAY). The message is cut to AWAYLEN bytes.",
            "While you are away, whoever sends you a PRIVMSG or INVITE gets",
            "your message (RPL_AWAY), WHOIS shows it, WHO shows G instead",
            "of H and USERHOST shows - instead of +. Channel peers that",
            "enabled away-notify are told when it changes.",
        ],
    },
    Entry {
        name: "CAP",
        kind: Kind::Anytime,
        title: "CAP LS [302] | CAP LIST | CAP REQ :<caps> | CAP END",
        text: &[
            "IRCv3 capability negotiation; works before and after registration.",
            "CAP LS [302]: lists the capabilities offered (302 adds values and",
            "  turns on cap-notify).",
            "CAP LIST: lists the capabilities you enabled.",
            "CAP REQ :<cap> -<cap> ...: enables the named capabilities, or",
            "  disables those with a leading -. All or nothing: ACK applies",
            "  every one, NAK (for instance on an unknown name) none.",
            "CAP END: ends negotiation. A CAP LS or CAP REQ sent before",
            "  registration holds registration until CAP END.",
            "An unknown subcommand gets ERR_INVALIDCAPCMD (410).",
        ],
    },
    Entry {
        name: "CHANMODES",
        kind: Kind::Topic,
        title: "Channel modes (MODE <channel> ...)",
        text: &[
            "b <mask>  ban nick!user@host masks: they cannot join, nor speak",
            "          unless voiced or operator. MODE <channel> b lists them.",
            "i         invite-only: joining takes an INVITE.",
            "k <key>   joining takes the key (JOIN <channel> <key>).",
            "l <n>     at most n members.",
            "m         moderated: only voiced members and operators speak.",
            "n         no messages from outside the channel.",
            "o <nick>  channel operator (@): may change modes and the topic,",
            "          kick, and invite to +i channels.",
            "s         secret: hidden from LIST, NAMES, WHO and WHOIS for",
            "          non-members.",
            "t         only channel operators may change the topic.",
            "v <nick>  voice (+): may speak in a +m channel.",
            "Whoever creates a channel is its first operator.",
        ],
    },
    Entry {
        name: "CHANSERV",
        kind: Kind::Registered,
        title: "CHANSERV <command> [<arguments>]",
        text: &[
            "Sends a command to ChanServ, the channel registration service (the",
            "same as PRIVMSG ChanServ :<command>). /msg ChanServ HELP lists its",
            "commands: REGISTER, DROP, INFO, OP, DEOP, VOICE, DEVOICE, ACCESS",
            "and SET. A registered channel stays while empty, keeps its topic,",
            "modes and bans across restarts, and gives ops and voice by its",
            "access list.",
        ],
    },
    Entry {
        name: "CHATHISTORY",
        kind: Kind::Registered,
        title: "CHATHISTORY <subcommand> <target> <reference> [<reference>] <limit>",
        text: &[
            "Replays stored messages of a channel you are in, or of a private",
            "conversation (when you are logged in), in a chathistory batch with",
            "their original msgid and time (IRCv3 draft/chathistory).",
            "Subcommands: LATEST <target> * | <ref> <limit>, BEFORE, AFTER and",
            "AROUND <target> <ref> <limit>, BETWEEN <target> <ref> <ref> <limit>,",
            "TARGETS <timestamp> <timestamp> <limit>. A reference is",
            "msgid=<id> or timestamp=<YYYY-MM-DDThh:mm:ss.sssZ>.",
        ],
    },
    Entry {
        name: "CHGHOST",
        kind: Kind::Registered,
        title: "CHGHOST <nick> <username> <host>",
        text: &[
            "IRC operators only. Changes the username and host shown for",
            "<nick>. Clients that enabled the chghost capability see a",
            "CHGHOST line. An empty or malformed username or host gets",
            "FAIL CHGHOST INVALID_PARAMS.",
        ],
    },
    Entry {
        name: "CONNECT",
        kind: Kind::Registered,
        title: "CONNECT <server>",
        text: &[
            "IRC operators only. Links to <server> now, at the address of",
            "its [[link]] block. A notice says the attempt started; LINKS",
            "and MAP show the server once the link is up.",
        ],
    },
    Entry {
        name: "CS",
        kind: Kind::Registered,
        title: "CS <command> [<arguments>]",
        text: &["Short for CHANSERV."],
    },
    Entry {
        name: "DIE",
        kind: Kind::Registered,
        title: "DIE",
        text: &[
            "IRC operators only. Shuts the server down, if its configuration",
            "allows it (server.allow_die); otherwise ERR_NOPRIVILEGES.",
        ],
    },
    Entry {
        name: "HELP",
        kind: Kind::Anytime,
        title: "HELP [<subject>]",
        text: &[
            "Shows help on a command or topic, or without one the index of",
            "subjects. Subjects are case-insensitive; an unknown one gets",
            "ERR_HELPNOTFOUND (524). Works before registration too.",
        ],
    },
    Entry {
        name: "HELPOP",
        kind: Kind::Anytime,
        title: "HELPOP [<subject>]",
        text: &["The same as HELP, under the name some other servers use."],
    },
    Entry {
        name: "INFO",
        kind: Kind::Registered,
        title: "INFO",
        text: &[
            "Shows the server software and its version, this server's",
            "description and when it started (RPL_INFO, RPL_ENDOFINFO).",
        ],
    },
    Entry {
        name: "INVITE",
        kind: Kind::Registered,
        title: "INVITE <nick> <channel>",
        text: &[
            "Invites <nick> to <channel>, which you must be on; on an",
            "invite-only (+i) channel only channel operators may invite.",
            "The invitation lets them join once past +i, +k and +l (not",
            "past a ban). You get RPL_INVITING, and RPL_AWAY if they are",
            "away; they get an INVITE, as do channel operators that",
            "enabled invite-notify.",
        ],
    },
    Entry {
        name: "ISON",
        kind: Kind::Registered,
        title: "ISON <nick>{ <nick>}",
        text: &[
            "Replies with those of the nicks that are online (RPL_ISON),",
            "spelled as their owners spell them.",
        ],
    },
    Entry {
        name: "JOIN",
        kind: Kind::Registered,
        title: "JOIN <channel>{,<channel>} [<key>{,<key>}] | JOIN 0",
        text: &[
            "Joins channels (names start with # or &), creating those that",
            "do not exist, with you as their operator. Keys go to the",
            "channels in order. A ban (+b), invite-only (+i), key (+k) or",
            "limit (+l) may refuse you; an INVITE gets you past all but a ban.",
            "You get the JOIN, the topic if there is one, and the member",
            "list (as NAMES). At most CHANLIMIT channels at once.",
            "JOIN 0 leaves every channel you are on.",
        ],
    },
    Entry {
        name: "KICK",
        kind: Kind::Registered,
        title: "KICK <channel> <nick>{,<nick>} [<reason>]",
        text: &[
            "Channel operators only. Removes the users from the channel;",
            "everyone on it sees the KICK. The reason, cut to KICKLEN bytes,",
            "defaults to your nick.",
        ],
    },
    Entry {
        name: "KILL",
        kind: Kind::Registered,
        title: "KILL <nick> <reason>",
        text: &[
            "IRC operators only. Disconnects <nick>: it gets the KILL, and",
            "it and everyone sharing a channel with it see it quit with",
            "\"Killed (<your nick> (<reason>))\". You get a notice that it",
            "was done.",
        ],
    },
    Entry {
        name: "KNOCK",
        kind: Kind::Registered,
        title: "KNOCK <channel> [<reason>]",
        text: &[
            "Asks the operators of a channel you cannot join (+i, +k, or +l",
            "and full) to invite you: they get RPL_KNOCK, you RPL_KNOCKDLVR.",
            "ERR_CHANOPEN if nothing keeps you out, ERR_KNOCKONCHAN if you",
            "are on it, ERR_TOOMANYKNOCK more than once a minute per channel",
            "or twice in 30 seconds from you.",
        ],
    },
    Entry {
        name: "LINKS",
        kind: Kind::Registered,
        title: "LINKS [[<remote>] <mask>]",
        text: &[
            "Lists the servers whose names match <mask> (all without one)",
            "with their hop count and description (RPL_LINKS), then",
            "RPL_ENDOFLINKS. natter runs as a single server, so the list is",
            "this server alone; a <remote> must name it (ERR_NOSUCHSERVER",
            "otherwise).",
        ],
    },
    Entry {
        name: "LIST",
        kind: Kind::Registered,
        title: "LIST [<channel>{,<channel>}] [<condition>{,<condition>}]",
        text: &[
            "Lists channels with their member count, modes and topic, all",
            "of them or those named. Secret (+s) channels are listed only",
            "to their members. Conditions (ELIST=U): >n for more than n",
            "members, <n for fewer than n.",
        ],
    },
    Entry {
        name: "LUSERS",
        kind: Kind::Registered,
        title: "LUSERS",
        text: &[
            "Shows how many users (and invisible ones), operators, unknown",
            "connections and channels there are, and the current and highest",
            "user counts.",
        ],
    },
    Entry {
        name: "MAP",
        kind: Kind::Registered,
        title: "MAP",
        text: &[
            "Shows the tree of servers from this one down, each under the",
            "server that introduced it, with its number of users and, for",
            "a direct link, the lag of its last PING.",
        ],
    },
    Entry {
        name: "MARKREAD",
        kind: Kind::Registered,
        title: "MARKREAD <target> [timestamp=<YYYY-MM-DDThh:mm:ss.sssZ>]",
        text: &[
            "IRCv3 read-marker (draft/read-marker): how far you have read a",
            "channel or a private conversation, for your clients to share.",
            "With a timestamp, moves your marker for <target> forward to it",
            "(never back, nor past the present); without one, asks for it.",
            "The reply is MARKREAD <target> timestamp=<marker>, or * when",
            "there is none; clients with draft/read-marker also get it after",
            "joining a channel. Markers follow your nick changes and are",
            "forgotten when you quit. A bad target or timestamp gets",
            "FAIL MARKREAD INVALID_PARAMS.",
        ],
    },
    Entry {
        name: "MODE",
        kind: Kind::Registered,
        title: "MODE <target> [<modestring> [<argument>...]]",
        text: &[
            "MODE <channel>: shows its modes (the key only to members) and",
            "  when it was created.",
            "MODE <channel> b: lists its bans.",
            "MODE <channel> +o-v <nick> <nick> ...: changes its modes; channel",
            "  operators only, at most MODES modes with an argument a command.",
            "MODE <your nick> [<modestring>]: shows or changes your own modes;",
            "  other users' modes can be neither seen nor changed.",
            "See HELP CHANMODES and HELP USERMODES for the mode letters.",
        ],
    },
    Entry {
        name: "MONITOR",
        kind: Kind::Registered,
        title: "MONITOR + <nicks> | MONITOR - <nicks> | MONITOR C | L | S",
        text: &[
            "IRCv3 monitor: keeps a list of nicks (comma-separated) and tells",
            "you when one comes online (RPL_MONONLINE) or goes offline",
            "(RPL_MONOFFLINE).",
            "+ adds nicks and reports their status now; - removes nicks;",
            "C clears the list; L lists it; S reports the status of all.",
            "At most MONITOR nicks (ERR_MONLISTFULL beyond).",
        ],
    },
    Entry {
        name: "MOTD",
        kind: Kind::Registered,
        title: "MOTD",
        text: &[
            "Shows the message of the day, or ERR_NOMOTD when there is none.",
            "It is also sent when you register.",
        ],
    },
    Entry {
        name: "NAMES",
        kind: Kind::Registered,
        title: "NAMES [<channel>{,<channel>}]",
        text: &[
            "Lists the members of the channels: @ marks operators and +",
            "voiced members (every prefix with multi-prefix, nick!user@host",
            "with userhost-in-names). Invisible (+i) users are listed only",
            "to members, secret (+s) channels only to their members.",
            "Without a channel, only the end of the list.",
        ],
    },
    Entry {
        name: "NICK",
        kind: Kind::Anytime,
        title: "NICK <nickname>",
        text: &[
            "Sets your nick when registering, or changes it afterwards;",
            "everyone sharing a channel with you sees the change. A nick",
            "has at most NICKLEN characters: letters, digits, - and",
            "[]\\`_^{|}, not starting with a digit or -. Nicks compare",
            "case-insensitively (rfc1459). ERR_NICKNAMEINUSE (433) if",
            "taken, ERR_ERRONEUSNICKNAME (432) if malformed.",
        ],
    },
    Entry {
        name: "NICKSERV",
        kind: Kind::Registered,
        title: "NICKSERV <command> [<arguments>]",
        text: &[
            "Sends a command to NickServ, the account service (the same as",
            "PRIVMSG NickServ :<command>). /msg NickServ HELP lists its",
            "commands: REGISTER, IDENTIFY, LOGOUT, INFO, SET PASSWORD, DROP,",
            "GHOST and REGAIN.",
        ],
    },
    Entry {
        name: "NOTICE",
        kind: Kind::Registered,
        title: "NOTICE <target>{,<target>} <text>",
        text: &[
            "Like PRIVMSG, but never answered with an error or an away",
            "reply: meant for automatic answers, which must not be",
            "answered automatically in turn.",
        ],
    },
    Entry {
        name: "NS",
        kind: Kind::Registered,
        title: "NS <command> [<arguments>]",
        text: &["Short for NICKSERV."],
    },
    Entry {
        name: "OPER",
        kind: Kind::Registered,
        title: "OPER <name> <password>",
        text: &[
            "Makes you an IRC operator (user mode +o) with an [[oper]] block",
            "of the configuration: its name and password, and your",
            "user@host must match its host mask. RPL_YOUREOPER on success;",
            "ERR_NOOPERHOST (491) for no such block or the wrong host,",
            "ERR_PASSWDMISMATCH (464) for the wrong password.",
        ],
    },
    Entry {
        name: "PART",
        kind: Kind::Registered,
        title: "PART <channel>{,<channel>} [<reason>]",
        text: &[
            "Leaves the channels; their members see the PART, with the",
            "reason if given.",
        ],
    },
    Entry {
        name: "PASS",
        kind: Kind::Anytime,
        title: "PASS <password>",
        text: &[
            "Gives the server password, when the server has one: send it",
            "before NICK and USER. With a wrong or missing password,",
            "registration fails with ERR_PASSWDMISMATCH (464) and the",
            "connection is closed. After registration: ERR_ALREADYREGISTERED.",
        ],
    },
    Entry {
        name: "PING",
        kind: Kind::Anytime,
        title: "PING <token>",
        text: &[
            "Answered with PONG <server> <token>, before registration too.",
            "Replies come in order, so the PONG shows that everything sent",
            "before the PING has been handled.",
        ],
    },
    Entry {
        name: "PONG",
        kind: Kind::Anytime,
        title: "PONG [<server>] <token>",
        text: &[
            "Answers the PING the server sends after a quiet spell; it has",
            "no reply. A client that sends nothing at all in time is",
            "disconnected (Ping timeout): any line counts, not just PONG.",
        ],
    },
    Entry {
        name: "PRIVMSG",
        kind: Kind::Registered,
        title: "PRIVMSG <target>{,<target>} <text>",
        text: &[
            "Sends <text> to each target: a nick, a channel, or @<channel>",
            "(its operators) or +<channel> (its voiced members and operators).",
            "At most TARGMAX targets. On a channel, +n keeps out non-members,",
            "+m lets only voiced members and operators speak, and banned",
            "users cannot speak (ERR_CANNOTSENDTOCHAN). A message to an away",
            "user gets RPL_AWAY. Text that would not fit in 512 bytes once",
            "relayed is cut. See also NOTICE and TAGMSG.",
        ],
    },
    Entry {
        name: "QUIT",
        kind: Kind::Anytime,
        title: "QUIT [<reason>]",
        text: &[
            "Disconnects you: you get ERROR, and those sharing a channel",
            "with you see you quit with \"Quit: <reason>\" (\"Client Quit\"",
            "without one).",
        ],
    },
    Entry {
        name: "REGISTER",
        kind: Kind::Anytime,
        title: "REGISTER <account> <email> <password>",
        text: &[
            "Registers an account named after your nick (give * or the nick as",
            "<account>; the e-mail is not used, give *), and logs you in",
            "(IRCv3 draft/account-registration). Works before your connection",
            "is registered too. Passwords are at least 8 bytes.",
        ],
    },
    Entry {
        name: "REHASH",
        kind: Kind::Registered,
        title: "REHASH",
        text: &[
            "IRC operators only. Reloads the configuration file and the",
            "MOTD without disconnecting anyone; the server name and",
            "listening addresses stay as they are. RPL_REHASHING on",
            "success; otherwise a NOTICE with the error, and the old",
            "configuration stays.",
        ],
    },
    Entry {
        name: "SETNAME",
        kind: Kind::Registered,
        title: "SETNAME <realname>",
        text: &[
            "IRCv3 setname: changes your real name. Clients that enabled",
            "the setname capability, you included, see a SETNAME line. An",
            "empty or over-long real name (over 128 bytes) gets",
            "FAIL SETNAME INVALID_REALNAME.",
        ],
    },
    Entry {
        name: "SILENCE",
        kind: Kind::Registered,
        title: "SILENCE [+|-<mask>]",
        text: &[
            "Your server-side ignore list. SILENCE lists it; SILENCE +<mask>",
            "adds a mask (nick!user@host, a bare nick means nick!*@*) and",
            "SILENCE -<mask> removes one. Messages, notices and invitations",
            "from matching users are not delivered to you. At most SILENCE",
            "(ISUPPORT) masks; more gets ERR_SILELISTFULL.",
        ],
    },
    Entry {
        name: "SQUIT",
        kind: Kind::Registered,
        title: "SQUIT <server> [<comment>]",
        text: &[
            "IRC operators only. Breaks this server's link to <server>:",
            "everyone behind it quits with \"<this server> <server>\" here",
            "and on the rest of the network (a netsplit). A link with",
            "autoconnect comes back by itself.",
        ],
    },
    Entry {
        name: "STATS",
        kind: Kind::Registered,
        title: "STATS [<query>]",
        text: &[
            "Server statistics: u uptime, m command use counts, l your",
            "connection's traffic (and server links), o operator blocks",
            "(operators only), ? the list. Each ends with RPL_ENDOFSTATS.",
        ],
    },
    Entry {
        name: "TAGMSG",
        kind: Kind::Registered,
        title: "@+<tag>[=<value>] TAGMSG <target>{,<target>}",
        text: &[
            "IRCv3 message-tags: sends only client-only tags (+name), such",
            "as typing notifications, to targets as for PRIVMSG. Needs the",
            "message-tags capability: without it, or without any client-only",
            "tag, nothing is sent. Recipients without message-tags do not",
            "get it.",
        ],
    },
    Entry {
        name: "TIME",
        kind: Kind::Registered,
        title: "TIME",
        text: &["Shows the server's time, as a Unix timestamp and in words (UTC)."],
    },
    Entry {
        name: "TOPIC",
        kind: Kind::Registered,
        title: "TOPIC <channel> [<topic>]",
        text: &[
            "Without <topic>, shows the channel's topic and who set it when.",
            "With it, sets the topic (members only, and only channel",
            "operators on a +t channel), cut to TOPICLEN bytes; an empty",
            "topic clears it. Members see the TOPIC.",
        ],
    },
    Entry {
        name: "USER",
        kind: Kind::Anytime,
        title: "USER <username> <mode> <unused> <realname>",
        text: &[
            "Registers, with NICK, giving your username and real name, e.g.",
            "USER alice 0 * :Alice Liddell. <mode> and <unused> are ignored.",
            "The username is cut to USERLEN with a ~ in front (natter does",
            "no ident lookup); the real name is cut to 128 bytes.",
            "Only once: afterwards ERR_ALREADYREGISTERED.",
        ],
    },
    Entry {
        name: "USERHOST",
        kind: Kind::Registered,
        title: "USERHOST <nick>{ <nick>}",
        text: &[
            "For up to five nicks, replies with nick=+user@host (RPL_USERHOST):",
            "* after the nick marks an IRC operator, - instead of + an away",
            "user. Nicks not online are left out.",
        ],
    },
    Entry {
        name: "USERMODES",
        kind: Kind::Topic,
        title: "User modes (MODE <your nick> ...)",
        text: &[
            "i  invisible: left out of WHO mask matches by those who share",
            "   no channel with you, and of a channel's NAMES and WHO for",
            "   non-members.",
            "w  receive WALLOPS.",
            "B  bot: shown in WHO (flag B) and WHOIS.",
            "o  IRC operator: given by OPER; MODE can only remove it.",
            "s  server notices, operators only: MODE <nick> +s +<kinds> picks",
            "   them (c connects, q quits, k kills, o OPER, a REHASH; * all).",
        ],
    },
    Entry {
        name: "VERSION",
        kind: Kind::Registered,
        title: "VERSION",
        text: &[
            "Shows the software's version and this server's name",
            "(RPL_VERSION), then the RPL_ISUPPORT tokens.",
        ],
    },
    Entry {
        name: "WALLOPS",
        kind: Kind::Registered,
        title: "WALLOPS <text>",
        text: &["IRC operators only. Sends <text> to every user with user mode +w."],
    },
    Entry {
        name: "WHO",
        kind: Kind::Registered,
        title: "WHO <mask> [<flags>][%<fields>[,<token>]]",
        text: &[
            "Lists the members of a channel, or the users whose nick,",
            "username, host, server or real name matches <mask> (* and ?",
            "wildcards; 0 for everyone). Invisible (+i) users are left out",
            "of mask matches unless you share a channel with them.",
            "RPL_WHOREPLY flags: H here or G away, * IRC operator, B bot,",
            "then @ or + for channel status.",
            "The flag o keeps only IRC operators. %<fields> asks for WHOX",
            "replies instead: see HELP WHOX.",
        ],
    },
    Entry {
        name: "WHOIS",
        kind: Kind::Registered,
        title: "WHOIS [<server>] <nick>",
        text: &[
            "Shows a user's nick!user@host and real name, channels (secret",
            "ones only if you are on them), server, away message, IRC",
            "operator and bot status, idle time and sign-on time.",
            "Of a comma-separated list, only the first nick is looked up.",
        ],
    },
    Entry {
        name: "WHOWAS",
        kind: Kind::Registered,
        title: "WHOWAS <nick> [<count>]",
        text: &[
            "Shows who used <nick> before, newest first (up to <count>):",
            "user@host, real name, server and when they left the nick.",
            "ERR_WASNOSUCHNICK if nobody did.",
        ],
    },
    Entry {
        name: "WHOX",
        kind: Kind::Topic,
        title: "WHOX: WHO <mask> [<flags>]%<fields>[,<token>]",
        text: &[
            "Asks WHO for one RPL_WHOSPCRPL (354) a user with the chosen",
            "fields, always in this order whatever the order asked:",
            "t the token given, c channel, u username, i IP address",
            "(255.255.255.255 when hidden), h host, s server, n nick,",
            "f flags (as in RPL_WHOREPLY), d hop count, l idle seconds,",
            "a account (0: none), o op level (n/a), r real name.",
        ],
    },
];

/// The entry for `subject`, compared case-insensitively.
pub fn lookup(subject: &str) -> Option<&'static Entry> {
    ENTRIES
        .iter()
        .find(|e| e.name.eq_ignore_ascii_case(subject))
}

/// Longest index line of subject names, in bytes (names and spaces).
const INDEX_WIDTH: usize = 60;

/// The index HELP without a subject shows: every subject, by kind.
pub fn index() -> Vec<String> {
    let names = |kinds: &[Kind]| -> Vec<&'static str> {
        ENTRIES
            .iter()
            .filter(|e| kinds.contains(&e.kind))
            .map(|e| e.name)
            .collect()
    };
    let mut lines = vec![
        "HELP <subject> shows the syntax and use of a command or topic.".to_string(),
        String::new(),
        "Commands:".to_string(),
    ];
    lines.extend(wrap(&names(&[Kind::Anytime, Kind::Registered])));
    lines.push(String::new());
    lines.push("Before registration only these are accepted:".to_string());
    lines.extend(wrap(&names(&[Kind::Anytime])));
    lines.push(String::new());
    lines.push("Other topics:".to_string());
    lines.extend(wrap(&names(&[Kind::Topic])));
    lines
}

/// `names` as lines of at most [`INDEX_WIDTH`] bytes, each indented by two
/// spaces.
fn wrap(names: &[&str]) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for name in names {
        if !line.is_empty() && line.len() + 1 + name.len() > INDEX_WIDTH {
            lines.push(format!("  {line}"));
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(name);
    }
    if !line.is_empty() {
        lines.push(format!("  {line}"));
    }
    lines
}

/// The text of ERR_HELPNOTFOUND.
const NOT_FOUND: &str = "No help available on this topic";

/// HELP [<subject>] and HELPOP [<subject>] (the same command): the index,
/// the entry for `<subject>`, or ERR_HELPNOTFOUND.
pub fn help(ctx: &mut Ctx<'_>, msg: &Message) {
    let subject = msg.param(0).filter(|s| !s.is_empty());
    let (shown, title, text): (&str, &str, Vec<String>) = match subject {
        None => ("*", "natter help", index()),
        Some(s) => match lookup(s) {
            Some(e) => (s, e.title, e.text.iter().map(|l| l.to_string()).collect()),
            None => {
                let shown = not_found_subject(ctx, s);
                return ctx.numeric(ERR_HELPNOTFOUND, &[shown, NOT_FOUND]);
            }
        },
    };
    // A subject found is a short name, so these lines fit in 512 bytes.
    ctx.numeric(RPL_HELPSTART, &[shown, title]);
    ctx.numeric(RPL_HELPTXT, &[shown, ""]);
    for line in &text {
        ctx.numeric(RPL_HELPTXT, &[shown, line]);
    }
    ctx.numeric(RPL_ENDOFHELP, &[shown, "End of /HELP"]);
}

/// How ERR_HELPNOTFOUND names an unknown `subject`: as given, unless it
/// could not be a middle parameter or would push the reply over 512 bytes
/// (RFC 1459 2.3), then `*` (Modern IRC ERR_HELPNOTFOUND).
fn not_found_subject<'s>(ctx: &Ctx<'_>, subject: &'s str) -> &'s str {
    let subject = middle(subject);
    // ':' server ' 524 ' nick ' ' subject ' :' text CR LF
    let len = 1
        + ctx.world.config.server.name.len()
        + 5
        + ctx.nick().len()
        + 1
        + subject.len()
        + 2
        + NOT_FOUND.len()
        + 2;
    if len > 512 {
        "*"
    } else {
        subject
    }
}

#[cfg(test)]
mod tests;
