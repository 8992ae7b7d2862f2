//! Numeric reply codes as three-digit `&str` constants, ready to be used as
//! a message command (e.g. `write_line(out, None, Some(server), RPL_WELCOME, ..)`).
//!
//! Sources: RFC 1459 6.1/6.2, RFC 2812 5.1/5.2, the Modern IRC client
//! protocol "Numerics" section, and the IRCv3 specs named per constant
//! (`sasl-3.1`, `monitor`, `whox`, `bot-mode`, `tls`). [`ALL`] lists every
//! constant with its name, and [`name`] looks a code up.

macro_rules! numerics {
    ($($(#[$doc:meta])* $name:ident = $code:literal;)*) => {
        $($(#[$doc])* pub const $name: &str = $code;)*

        /// Every numeric defined in this module as `(name, code)` pairs, in
        /// ascending code order (RFC 1459 6; RFC 2812 5; Modern IRC).
        pub const ALL: &[(&str, &str)] = &[$((stringify!($name), $code)),*];
    };
}

numerics! {
    /// `001`: first reply after successful registration (RFC 2812 5.1; Modern IRC).
    RPL_WELCOME = "001";
    /// `002`: server name and version (RFC 2812 5.1; Modern IRC).
    RPL_YOURHOST = "002";
    /// `003`: server creation date (RFC 2812 5.1; Modern IRC).
    RPL_CREATED = "003";
    /// `004`: server name, version, user and channel modes (RFC 2812 5.1; Modern IRC).
    RPL_MYINFO = "004";
    /// `005`: feature advertisement tokens (RFC 2812 5.1 used 005 for RPL_BOUNCE) (Modern IRC).
    RPL_ISUPPORT = "005";
    /// `006`: MAP: one server of the tree, indented under its uplink (ircu, InspIRCd, UnrealIRCd).
    RPL_MAP = "006";
    /// `007`: MAP: end of the tree (ircu, InspIRCd, UnrealIRCd).
    RPL_MAPEND = "007";
    /// `008`: the client's server notice mask, after user mode +s changes it (InspIRCd, Solanum; Modern IRC lists it).
    RPL_SNOMASKIS = "008";
    /// `211`: STATS l: one connection's queue and traffic (RFC 1459 6.2; RFC 2812 5.1).
    RPL_STATSLINKINFO = "211";
    /// `212`: STATS m: one command's use count (RFC 1459 6.2; RFC 2812 5.1).
    RPL_STATSCOMMANDS = "212";
    /// `216`: STATS k: one K-line, `<K|k> <host> * <user> :<reason>` (RFC 1459 6.2; Solanum).
    RPL_STATSKLINE = "216";
    /// `219`: end of a STATS reply (RFC 1459 6.2; RFC 2812 5.1; Modern IRC).
    RPL_ENDOFSTATS = "219";
    /// `221`: the client's current user modes (RFC 1459 6.2; RFC 2812 5.1; Modern IRC).
    RPL_UMODEIS = "221";
    /// `225`: STATS d: one D-line, `<D|d> <mask> :<reason>` (Solanum, ircd-ratbox).
    RPL_STATSDLINE = "225";
    /// `242`: STATS u: the server's uptime (RFC 2812 5.1).
    RPL_STATSUPTIME = "242";
    /// `243`: STATS o: one operator block (RFC 1459 6.2; RFC 2812 5.1).
    RPL_STATSOLINE = "243";
    /// `251`: LUSERS: users and servers on the network (RFC 1459 6.2; RFC 2812 5.1; Modern IRC).
    RPL_LUSERCLIENT = "251";
    /// `252`: LUSERS: number of operators online (RFC 1459 6.2; RFC 2812 5.1; Modern IRC).
    RPL_LUSEROP = "252";
    /// `253`: LUSERS: unregistered connections (RFC 1459 6.2; RFC 2812 5.1; Modern IRC).
    RPL_LUSERUNKNOWN = "253";
    /// `254`: LUSERS: number of channels (RFC 1459 6.2; RFC 2812 5.1; Modern IRC).
    RPL_LUSERCHANNELS = "254";
    /// `255`: LUSERS: clients and servers on this server (RFC 1459 6.2; RFC 2812 5.1; Modern IRC).
    RPL_LUSERME = "255";
    /// `256`: ADMIN: start of administrative info (RFC 1459 6.2; RFC 2812 5.1; Modern IRC).
    RPL_ADMINME = "256";
    /// `257`: ADMIN: server location (RFC 1459 6.2; RFC 2812 5.1; Modern IRC).
    RPL_ADMINLOC1 = "257";
    /// `258`: ADMIN: institution details (RFC 1459 6.2; RFC 2812 5.1; Modern IRC).
    RPL_ADMINLOC2 = "258";
    /// `259`: ADMIN: administrator contact (RFC 1459 6.2; RFC 2812 5.1; Modern IRC).
    RPL_ADMINEMAIL = "259";
    /// `263`: command dropped, try again later (RFC 2812 5.1; Modern IRC).
    RPL_TRYAGAIN = "263";
    /// `265`: current and maximum local users (Modern IRC).
    RPL_LOCALUSERS = "265";
    /// `266`: current and maximum global users (Modern IRC).
    RPL_GLOBALUSERS = "266";
    /// `271`: SILENCE: one entry of the ignore list (Undernet, InspIRCd).
    RPL_SILELIST = "271";
    /// `272`: SILENCE: end of the ignore list (Undernet, InspIRCd).
    RPL_ENDOFSILELIST = "272";
    /// `276`: WHOIS: client certificate fingerprint (Modern IRC).
    RPL_WHOISCERTFP = "276";
    /// `300`: dummy reply, never sent (RFC 1459 6.2; Modern IRC).
    RPL_NONE = "300";
    /// `301`: target is away, with away message (RFC 1459 6.2; RFC 2812 5.1; Modern IRC).
    RPL_AWAY = "301";
    /// `302`: USERHOST reply list (RFC 1459 6.2; RFC 2812 5.1; Modern IRC).
    RPL_USERHOST = "302";
    /// `303`: ISON reply list (RFC 1459 6.2; RFC 2812 5.1).
    RPL_ISON = "303";
    /// `305`: you are no longer marked away (RFC 1459 6.2; RFC 2812 5.1; Modern IRC).
    RPL_UNAWAY = "305";
    /// `306`: you are now marked away (RFC 1459 6.2; RFC 2812 5.1; Modern IRC).
    RPL_NOWAWAY = "306";
    /// `307`: WHOIS: nick is registered / identified (Modern IRC).
    RPL_WHOISREGNICK = "307";
    /// `311`: WHOIS: nick, user, host and realname (RFC 1459 6.2; RFC 2812 5.1; Modern IRC).
    RPL_WHOISUSER = "311";
    /// `312`: WHOIS: server the user is on (RFC 1459 6.2; RFC 2812 5.1; Modern IRC).
    RPL_WHOISSERVER = "312";
    /// `313`: WHOIS: user is an IRC operator (RFC 1459 6.2; RFC 2812 5.1; Modern IRC).
    RPL_WHOISOPERATOR = "313";
    /// `314`: WHOWAS: nick, user, host and realname (RFC 1459 6.2; RFC 2812 5.1; Modern IRC).
    RPL_WHOWASUSER = "314";
    /// `315`: end of WHO list (RFC 1459 6.2; RFC 2812 5.1; Modern IRC).
    RPL_ENDOFWHO = "315";
    /// `317`: WHOIS: idle seconds and signon time (RFC 1459 6.2; RFC 2812 5.1; Modern IRC).
    RPL_WHOISIDLE = "317";
    /// `318`: end of WHOIS (RFC 1459 6.2; RFC 2812 5.1; Modern IRC).
    RPL_ENDOFWHOIS = "318";
    /// `319`: WHOIS: channels the user is in (RFC 1459 6.2; RFC 2812 5.1; Modern IRC).
    RPL_WHOISCHANNELS = "319";
    /// `320`: WHOIS: free-form extra information (Modern IRC).
    RPL_WHOISSPECIAL = "320";
    /// `321`: start of LIST reply (RFC 1459 6.2; RFC 2812 5.1; Modern IRC).
    RPL_LISTSTART = "321";
    /// `322`: LIST: one channel with user count and topic (RFC 1459 6.2; RFC 2812 5.1; Modern IRC).
    RPL_LIST = "322";
    /// `323`: end of LIST (RFC 1459 6.2; RFC 2812 5.1; Modern IRC).
    RPL_LISTEND = "323";
    /// `324`: channel modes and mode arguments (RFC 1459 6.2; RFC 2812 5.1; Modern IRC).
    RPL_CHANNELMODEIS = "324";
    /// `329`: channel creation time (Unix seconds) (Modern IRC).
    RPL_CREATIONTIME = "329";
    /// `330`: WHOIS: account the user is logged in as (Modern IRC).
    RPL_WHOISACCOUNT = "330";
    /// `331`: channel has no topic (RFC 1459 6.2; RFC 2812 5.1; Modern IRC).
    RPL_NOTOPIC = "331";
    /// `332`: channel topic (RFC 1459 6.2; RFC 2812 5.1; Modern IRC).
    RPL_TOPIC = "332";
    /// `333`: who set the topic and when (Unix seconds) (Modern IRC).
    RPL_TOPICWHOTIME = "333";
    /// `335`: WHOIS: user is a bot (IRCv3 bot-mode).
    RPL_WHOISBOT = "335";
    /// `336`: channel the client was invited to (INVITE with no params) (Modern IRC).
    RPL_INVITELIST = "336";
    /// `337`: end of invite list (Modern IRC).
    RPL_ENDOFINVITELIST = "337";
    /// `338`: WHOIS: actual host / IP address (Modern IRC).
    RPL_WHOISACTUALLY = "338";
    /// `341`: INVITE succeeded (RFC 1459 6.2; RFC 2812 5.1; Modern IRC).
    RPL_INVITING = "341";
    /// `346`: invite-exception (+I) list entry (RFC 2812 5.1 (as RPL_INVITELIST); Modern IRC).
    RPL_INVEXLIST = "346";
    /// `347`: end of invite-exception list (RFC 2812 5.1 (as RPL_ENDOFINVITELIST); Modern IRC).
    RPL_ENDOFINVEXLIST = "347";
    /// `348`: ban-exception (+e) list entry (RFC 2812 5.1; Modern IRC).
    RPL_EXCEPTLIST = "348";
    /// `349`: end of ban-exception list (RFC 2812 5.1; Modern IRC).
    RPL_ENDOFEXCEPTLIST = "349";
    /// `351`: server version details (RFC 1459 6.2; RFC 2812 5.1; Modern IRC).
    RPL_VERSION = "351";
    /// `352`: WHO: one matching user (RFC 1459 6.2; RFC 2812 5.1; Modern IRC).
    RPL_WHOREPLY = "352";
    /// `353`: NAMES: channel members (RFC 1459 6.2; RFC 2812 5.1; Modern IRC).
    RPL_NAMREPLY = "353";
    /// `354`: WHOX: one matching user with the requested fields (IRCv3 whox).
    RPL_WHOSPCRPL = "354";
    /// `364`: LINKS: one server (RFC 1459 6.2; RFC 2812 5.1; Modern IRC).
    RPL_LINKS = "364";
    /// `365`: end of LINKS (RFC 1459 6.2; RFC 2812 5.1; Modern IRC).
    RPL_ENDOFLINKS = "365";
    /// `366`: end of NAMES (RFC 1459 6.2; RFC 2812 5.1; Modern IRC).
    RPL_ENDOFNAMES = "366";
    /// `367`: ban (+b) list entry (RFC 1459 6.2; RFC 2812 5.1; Modern IRC).
    RPL_BANLIST = "367";
    /// `368`: end of ban list (RFC 1459 6.2; RFC 2812 5.1; Modern IRC).
    RPL_ENDOFBANLIST = "368";
    /// `369`: end of WHOWAS (RFC 1459 6.2; RFC 2812 5.1; Modern IRC).
    RPL_ENDOFWHOWAS = "369";
    /// `371`: INFO: one line of text (RFC 1459 6.2; RFC 2812 5.1; Modern IRC).
    RPL_INFO = "371";
    /// `372`: MOTD: one line of text (RFC 1459 6.2; RFC 2812 5.1; Modern IRC).
    RPL_MOTD = "372";
    /// `374`: end of INFO (RFC 1459 6.2; RFC 2812 5.1; Modern IRC).
    RPL_ENDOFINFO = "374";
    /// `375`: start of MOTD (RFC 1459 6.2; RFC 2812 5.1; Modern IRC).
    RPL_MOTDSTART = "375";
    /// `376`: end of MOTD (RFC 1459 6.2; RFC 2812 5.1; Modern IRC).
    RPL_ENDOFMOTD = "376";
    /// `378`: WHOIS: connecting host / IP, `<nick> :is connecting from
    /// *@<host> <ip>` (Modern IRC; Solanum, InspIRCd).
    RPL_WHOISHOST = "378";
    /// `379`: WHOIS: user modes (Modern IRC).
    RPL_WHOISMODES = "379";
    /// `381`: OPER succeeded (RFC 1459 6.2; RFC 2812 5.1; Modern IRC).
    RPL_YOUREOPER = "381";
    /// `382`: REHASH: configuration is being reloaded (RFC 1459 6.2; RFC 2812 5.1; Modern IRC).
    RPL_REHASHING = "382";
    /// `391`: TIME: server local time (RFC 1459 6.2; RFC 2812 5.1; Modern IRC).
    RPL_TIME = "391";
    /// `396`: `<nick> <host> :is now your displayed host`: the host others
    /// now see for the user, after a cloak or vhost change (Solanum and
    /// InspIRCd RPL_VISIBLEHOST; Modern IRC lists it as RPL_HOSTHIDDEN).
    RPL_VISIBLEHOST = "396";
    /// `400`: generic error with command name and text (Modern IRC).
    ERR_UNKNOWNERROR = "400";
    /// `401`: no such nick / channel (RFC 1459 6.1; RFC 2812 5.2; Modern IRC).
    ERR_NOSUCHNICK = "401";
    /// `402`: no such server (RFC 1459 6.1; RFC 2812 5.2; Modern IRC).
    ERR_NOSUCHSERVER = "402";
    /// `403`: no such channel / invalid channel name (RFC 1459 6.1; RFC 2812 5.2; Modern IRC).
    ERR_NOSUCHCHANNEL = "403";
    /// `404`: cannot send to channel (+n, +m, ban) (RFC 1459 6.1; RFC 2812 5.2; Modern IRC).
    ERR_CANNOTSENDTOCHAN = "404";
    /// `405`: joined too many channels (RFC 1459 6.1; RFC 2812 5.2; Modern IRC).
    ERR_TOOMANYCHANNELS = "405";
    /// `406`: WHOWAS: no history for nick (RFC 1459 6.1; RFC 2812 5.2; Modern IRC).
    ERR_WASNOSUCHNICK = "406";
    /// `407`: too many targets (RFC 1459 6.1; RFC 2812 5.2; Modern IRC).
    ERR_TOOMANYTARGETS = "407";
    /// `409`: PING/PONG without origin (RFC 1459 6.1; RFC 2812 5.2; Modern IRC).
    ERR_NOORIGIN = "409";
    /// `411`: no recipient given (RFC 1459 6.1; RFC 2812 5.2; Modern IRC).
    ERR_NORECIPIENT = "411";
    /// `412`: no text to send (RFC 1459 6.1; RFC 2812 5.2; Modern IRC).
    ERR_NOTEXTTOSEND = "412";
    /// `417`: input line too long (Modern IRC).
    ERR_INPUTTOOLONG = "417";
    /// `421`: unknown command (RFC 1459 6.1; RFC 2812 5.2; Modern IRC).
    ERR_UNKNOWNCOMMAND = "421";
    /// `422`: MOTD file is missing (RFC 1459 6.1; RFC 2812 5.2; Modern IRC).
    ERR_NOMOTD = "422";
    /// `431`: no nickname given (RFC 1459 6.1; RFC 2812 5.2; Modern IRC).
    ERR_NONICKNAMEGIVEN = "431";
    /// `432`: erroneous nickname (RFC 1459 6.1; RFC 2812 5.2; Modern IRC).
    ERR_ERRONEUSNICKNAME = "432";
    /// `433`: nickname is already in use (RFC 1459 6.1; RFC 2812 5.2; Modern IRC).
    ERR_NICKNAMEINUSE = "433";
    /// `436`: nickname collision (RFC 1459 6.1; RFC 2812 5.2; Modern IRC).
    ERR_NICKCOLLISION = "436";
    /// `438`: nick changes too fast; `<nick> :<text>` (ircd-hybrid, Solanum).
    ERR_NICKTOOFAST = "438";
    /// `441`: target user is not on that channel (RFC 1459 6.1; RFC 2812 5.2; Modern IRC).
    ERR_USERNOTINCHANNEL = "441";
    /// `442`: you are not on that channel (RFC 1459 6.1; RFC 2812 5.2; Modern IRC).
    ERR_NOTONCHANNEL = "442";
    /// `443`: user is already on that channel (RFC 1459 6.1; RFC 2812 5.2; Modern IRC).
    ERR_USERONCHANNEL = "443";
    /// `451`: you have not registered (RFC 1459 6.1; RFC 2812 5.2; Modern IRC).
    ERR_NOTREGISTERED = "451";
    /// `461`: not enough parameters (RFC 1459 6.1; RFC 2812 5.2; Modern IRC).
    ERR_NEEDMOREPARAMS = "461";
    /// `462`: you may not reregister (RFC 1459 6.1; RFC 2812 5.2; Modern IRC).
    ERR_ALREADYREGISTERED = "462";
    /// `464`: password incorrect (RFC 1459 6.1; RFC 2812 5.2; Modern IRC).
    ERR_PASSWDMISMATCH = "464";
    /// `465`: you are banned from this server (RFC 1459 6.1; RFC 2812 5.2; Modern IRC).
    ERR_YOUREBANNEDCREEP = "465";
    /// `467`: channel key already set (RFC 1459 6.1; RFC 2812 5.2).
    ERR_KEYSET = "467";
    /// `471`: cannot join channel (+l) (RFC 1459 6.1; RFC 2812 5.2; Modern IRC).
    ERR_CHANNELISFULL = "471";
    /// `472`: unknown mode character (RFC 1459 6.1; RFC 2812 5.2; Modern IRC).
    ERR_UNKNOWNMODE = "472";
    /// `473`: cannot join channel (+i) (RFC 1459 6.1; RFC 2812 5.2; Modern IRC).
    ERR_INVITEONLYCHAN = "473";
    /// `474`: cannot join channel (+b) (RFC 1459 6.1; RFC 2812 5.2; Modern IRC).
    ERR_BANNEDFROMCHAN = "474";
    /// `475`: cannot join channel (+k) (RFC 1459 6.1; RFC 2812 5.2; Modern IRC).
    ERR_BADCHANNELKEY = "475";
    /// `476`: bad channel mask / name (RFC 2812 5.2; Modern IRC).
    ERR_BADCHANMASK = "476";
    /// `477`: cannot join channel (+R), it needs an account (Bahamut,
    /// UnrealIRCd, ngIRCd and Ergo; RFC 2812's ERR_NOCHANMODES shares the
    /// number, for a channel without modes).
    ERR_NEEDREGGEDNICK = "477";
    /// `481`: permission denied, not an IRC operator (RFC 1459 6.1; RFC 2812 5.2; Modern IRC).
    ERR_NOPRIVILEGES = "481";
    /// `482`: you are not a channel operator (RFC 1459 6.1; RFC 2812 5.2; Modern IRC).
    ERR_CHANOPRIVSNEEDED = "482";
    /// `483`: you cannot kill a server (RFC 1459 6.1; RFC 2812 5.2; Modern IRC).
    ERR_CANTKILLSERVER = "483";
    /// `491`: no O-lines for your host (RFC 1459 6.1; RFC 2812 5.2; Modern IRC).
    ERR_NOOPERHOST = "491";
    /// `500`: joins too fast; `<channel> :<text>` (UnrealIRCd's
    /// ERR_TOOMANYJOINS).
    ERR_TOOMANYJOINS = "500";
    /// `501`: unknown user mode flag (RFC 1459 6.1; RFC 2812 5.2; Modern IRC).
    ERR_UMODEUNKNOWNFLAG = "501";
    /// `502`: cannot change modes for other users (RFC 1459 6.1; RFC 2812 5.2; Modern IRC).
    ERR_USERSDONTMATCH = "502";
    /// `511`: SILENCE: the ignore list is full (Undernet, InspIRCd).
    ERR_SILELISTFULL = "511";
    /// `524`: HELP: no help for that subject (Modern IRC).
    ERR_HELPNOTFOUND = "524";
    /// `525`: channel key is invalid (Modern IRC).
    ERR_INVALIDKEY = "525";
    /// `670`: STARTTLS: proceed with TLS handshake (IRCv3 tls; Modern IRC).
    RPL_STARTTLS = "670";
    /// `671`: WHOIS: user is connected via TLS (Modern IRC).
    RPL_WHOISSECURE = "671";
    /// `704`: HELP: first line (Modern IRC).
    RPL_HELPSTART = "704";
    /// `705`: HELP: one line of text (Modern IRC).
    RPL_HELPTXT = "705";
    /// `706`: HELP: last line (Modern IRC).
    RPL_ENDOFHELP = "706";
    /// `710`: KNOCK: someone asks the channel's operators for an invitation (Modern IRC; InspIRCd, Solanum).
    RPL_KNOCK = "710";
    /// `711`: KNOCK: the request was delivered (Modern IRC; InspIRCd, Solanum).
    RPL_KNOCKDLVR = "711";
    /// `712`: KNOCK: too many requests for that channel or from this client (Modern IRC; InspIRCd, Solanum).
    ERR_TOOMANYKNOCK = "712";
    /// `713`: KNOCK: the channel can be joined without an invitation (Modern IRC; InspIRCd, Solanum).
    ERR_CHANOPEN = "713";
    /// `714`: KNOCK: the client is already on that channel (Modern IRC; InspIRCd, Solanum).
    ERR_KNOCKONCHAN = "714";
    /// `723`: missing the named oper privilege (Modern IRC).
    ERR_NOPRIVS = "723";
    /// `730`: MONITOR: targets are online (IRCv3 monitor).
    RPL_MONONLINE = "730";
    /// `731`: MONITOR: targets are offline (IRCv3 monitor).
    RPL_MONOFFLINE = "731";
    /// `732`: MONITOR L: monitored targets (IRCv3 monitor).
    RPL_MONLIST = "732";
    /// `733`: end of MONITOR L list (IRCv3 monitor).
    RPL_ENDOFMONLIST = "733";
    /// `734`: MONITOR list is full (IRCv3 monitor).
    ERR_MONLISTFULL = "734";
    /// `900`: you are now logged in to an account (IRCv3 sasl-3.1; Modern IRC).
    RPL_LOGGEDIN = "900";
    /// `901`: you are now logged out (IRCv3 sasl-3.1; Modern IRC).
    RPL_LOGGEDOUT = "901";
    /// `902`: SASL: account unavailable (nick locked) (IRCv3 sasl-3.1; Modern IRC).
    ERR_NICKLOCKED = "902";
    /// `903`: SASL authentication succeeded (IRCv3 sasl-3.1; Modern IRC).
    RPL_SASLSUCCESS = "903";
    /// `904`: SASL authentication failed (IRCv3 sasl-3.1; Modern IRC).
    ERR_SASLFAIL = "904";
    /// `905`: SASL message over 400 bytes (IRCv3 sasl-3.1; Modern IRC).
    ERR_SASLTOOLONG = "905";
    /// `906`: SASL authentication aborted (IRCv3 sasl-3.1; Modern IRC).
    ERR_SASLABORTED = "906";
    /// `907`: already authenticated via SASL (IRCv3 sasl-3.1; Modern IRC).
    ERR_SASLALREADY = "907";
    /// `908`: available SASL mechanisms (IRCv3 sasl-3.1; Modern IRC).
    RPL_SASLMECHS = "908";
}

/// Symbolic name of a numeric code defined in this module, e.g.
/// `name("433") == Some("ERR_NICKNAMEINUSE")`; `None` for unknown codes.
/// Linear scan over [`ALL`] (meant for logging and debugging).
pub fn name(code: &str) -> Option<&'static str> {
    ALL.iter().find(|(_, c)| *c == code).map(|(n, _)| *n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_three_digits_sorted_and_unique() {
        for w in ALL.windows(2) {
            assert!(w[0].1 < w[1].1, "{:?} before {:?}", w[0], w[1]);
        }
        for (n, c) in ALL {
            assert_eq!(c.len(), 3, "{n}");
            assert!(c.bytes().all(|b| b.is_ascii_digit()), "{n}");
            assert!(n.starts_with("RPL_") || n.starts_with("ERR_"), "{n}");
        }
        assert!(ALL.len() >= 134);
    }

    #[test]
    fn spot_checks() {
        assert_eq!(RPL_WELCOME, "001");
        assert_eq!(RPL_ISUPPORT, "005");
        assert_eq!(ERR_NICKNAMEINUSE, "433");
        assert_eq!(ERR_INPUTTOOLONG, "417");
        assert_eq!(RPL_SASLMECHS, "908");
        assert_eq!(name("433"), Some("ERR_NICKNAMEINUSE"));
        assert_eq!(name("999"), None);
        assert!(crate::Message::parse(&format!(":srv {RPL_WELCOME} nick :hi")).is_ok());
    }
}
