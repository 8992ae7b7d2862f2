//! [`LinkMessage::write`]: from a typed link message to one line.

use super::LinkMessage;
use crate::message::{write_line, write_line_trailing};

impl LinkMessage {
    /// Appends the message as one line with CRLF, without tags (an
    /// [`Other`](LinkMessage::Other) message keeps its own). Same as
    /// [`LinkMessage::write_with_tags`] with `None`.
    pub fn write(&self, out: &mut String) {
        self.write_with_tags(None, out);
    }

    /// The line [`LinkMessage::write`] appends, CRLF included.
    pub fn to_line(&self) -> String {
        let mut s = String::new();
        self.write(&mut s);
        s
    }

    /// Appends the message as one line with CRLF, with `tags` (already
    /// escaped, without `@`; `None` or empty for none) in front, through
    /// [`write_line`] and [`write_line_trailing`]: free text is always
    /// written as a `:` trailing parameter, as ngIRCd does. An
    /// [`Other`](LinkMessage::Other) message is written with `tags` when
    /// given, otherwise with its own tags.
    ///
    /// Nothing is checked: fields must hold no CR, LF or NUL, and one-word
    /// fields no space, must not be empty and not start with `:`, or the
    /// line will not parse back the same. The 512-byte limit is not
    /// enforced: a long NJOIN member list must be split by the caller.
    pub fn write_with_tags(&self, tags: Option<&str>, out: &mut String) {
        use LinkMessage as L;
        let src = self.source();
        let plain =
            |out: &mut String, cmd: &str, params: &[&str]| write_line(out, tags, src, cmd, params);
        let text = |out: &mut String, cmd: &str, params: &[&str]| {
            write_line_trailing(out, tags, src, cmd, params)
        };
        // Text with an optional last free-text parameter.
        let opt_text =
            |out: &mut String, cmd: &str, params: &[&str], last: &Option<String>| match last {
                Some(t) => text(out, cmd, &[params, &[t.as_str()]].concat()),
                None => plain(out, cmd, params),
            };
        match self {
            L::Pass {
                password,
                version,
                flags,
                options,
                ..
            } => {
                let flags = flags.to_string();
                let all = [password.as_str(), version, &flags, options];
                plain(out, "PASS", &all[..if options.is_empty() { 3 } else { 4 }]);
            }
            L::Server {
                name,
                hopcount,
                token,
                info,
                ..
            } => {
                let hop = hopcount.unwrap_or(1).to_string();
                let tok = token.map(|t| t.to_string()).unwrap_or_default();
                match (hopcount, token) {
                    (_, Some(_)) => text(out, "SERVER", &[name, &hop, &tok, info]),
                    (Some(_), None) => text(out, "SERVER", &[name, &hop, info]),
                    (None, None) => text(out, "SERVER", &[name, info]),
                }
            }
            L::Nick {
                nick,
                hopcount,
                username,
                host,
                token,
                umodes,
                realname,
                ..
            } => {
                let (hop, tok) = (hopcount.to_string(), token.to_string());
                let umodes = format!("+{umodes}");
                let params = [nick.as_str(), &hop, username, host, &tok, &umodes, realname];
                text(out, "NICK", &params);
            }
            L::NickChange { nick, .. } => plain(out, "NICK", &[nick]),
            L::Quit { reason, .. } => opt_text(out, "QUIT", &[], reason),
            L::Squit {
                server, comment, ..
            } => text(out, "SQUIT", &[server, comment]),
            L::Njoin {
                channel, members, ..
            } => {
                let mut list = String::new();
                for (i, member) in members.iter().enumerate() {
                    if i > 0 {
                        list.push(',');
                    }
                    member.write(&mut list);
                }
                text(out, "NJOIN", &[channel, &list]);
            }
            L::Mode {
                target,
                modes,
                args,
                ..
            } => {
                let mut params = vec![target.as_str(), modes];
                params.extend(args.iter().map(String::as_str));
                plain(out, "MODE", &params);
            }
            L::Topic { channel, topic, .. } => text(out, "TOPIC", &[channel, topic]),
            L::Join { channels, .. } => {
                let mut list = String::new();
                for (i, channel) in channels.iter().enumerate() {
                    if i > 0 {
                        list.push(',');
                    }
                    channel.write(&mut list);
                }
                plain(out, "JOIN", &[&list]);
            }
            L::Part {
                channels, reason, ..
            } => opt_text(out, "PART", &[&channels.join(",")], reason),
            L::Kick {
                channel,
                nick,
                reason,
                ..
            } => opt_text(out, "KICK", &[channel, nick], reason),
            L::Invite { nick, channel, .. } => plain(out, "INVITE", &[nick, channel]),
            L::Privmsg {
                target, text: t, ..
            } => text(out, "PRIVMSG", &[target, t]),
            L::Notice {
                target, text: t, ..
            } => text(out, "NOTICE", &[target, t]),
            L::Kill { nick, comment, .. } => text(out, "KILL", &[nick, comment]),
            L::Wallops { text: t, .. } => text(out, "WALLOPS", &[t]),
            L::Away { message, .. } => opt_text(out, "AWAY", &[], message),
            L::Ping { origin, target, .. } => match target {
                Some(t) => text(out, "PING", &[origin, t]),
                None => text(out, "PING", &[origin]),
            },
            L::Pong { origin, target, .. } => match target {
                Some(t) => text(out, "PONG", &[origin, t]),
                None => text(out, "PONG", &[origin]),
            },
            L::Error { message, .. } => text(out, "ERROR", &[message]),
            L::ChanInfo {
                channel,
                modes,
                key,
                limit,
                topic,
                ..
            } => {
                let modes = format!("+{modes}");
                let topic = topic.as_deref().unwrap_or_default();
                if key.is_some() || limit.is_some() {
                    let key = key.as_deref().unwrap_or("*");
                    let limit = limit.unwrap_or(0).to_string();
                    text(out, "CHANINFO", &[channel, &modes, key, &limit, topic]);
                } else if !topic.is_empty() {
                    text(out, "CHANINFO", &[channel, &modes, topic]);
                } else {
                    plain(out, "CHANINFO", &[channel, &modes]);
                }
            }
            L::Other(m) if tags.filter(|t| !t.is_empty()).is_none() => m.write_to(out),
            L::Other(m) => {
                let params: Vec<&str> = m.params.iter().map(String::as_str).collect();
                plain(out, &m.command, &params);
            }
        }
    }
}
