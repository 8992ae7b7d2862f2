//! [`LinkMessage::parse`]: from a parsed [`Message`] to a typed link message.

use super::{JoinChannel, LinkError, LinkMessage, NjoinMember, PassFlags};
use crate::message::Message;

/// The commands with a typed variant (NICK covers both NICK variants).
pub(super) const KNOWN: &[&str] = &[
    "PASS", "SERVER", "NICK", "QUIT", "SQUIT", "NJOIN", "MODE", "TOPIC", "JOIN", "PART", "KICK",
    "INVITE", "PRIVMSG", "NOTICE", "KILL", "WALLOPS", "AWAY", "PING", "PONG", "ERROR", "CHANINFO",
];

/// A message's parameters with the command name, for errors.
struct Params<'a> {
    command: &'static str,
    params: &'a [String],
}

impl<'a> Params<'a> {
    fn opt(&self, i: usize) -> Option<&'a str> {
        self.params.get(i).map(String::as_str)
    }

    fn req(&self, i: usize, param: &'static str) -> Result<&'a str, LinkError> {
        self.opt(i).ok_or(LinkError::MissingParam {
            command: self.command,
            param,
        })
    }

    fn string(&self, i: usize, param: &'static str) -> Result<String, LinkError> {
        self.req(i, param).map(str::to_owned)
    }

    fn opt_string(&self, i: usize) -> Option<String> {
        self.opt(i).map(str::to_owned)
    }

    /// A decimal number: ASCII digits only (no sign), within `T`'s range.
    fn num<T: std::str::FromStr>(&self, i: usize, param: &'static str) -> Result<T, LinkError> {
        let v = self.req(i, param)?;
        v.bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| v.parse().ok())
            .flatten()
            .ok_or_else(|| LinkError::NotANumber {
                command: self.command,
                param,
                value: v.to_owned(),
            })
    }

    fn malformed(&self, param: &'static str, value: &str, expected: &'static str) -> LinkError {
        LinkError::Malformed {
            command: self.command,
            param,
            value: value.to_owned(),
            expected,
        }
    }
}

/// Non-empty entries of a comma-separated list.
fn list(s: &str) -> impl Iterator<Item = &str> {
    s.split(',').filter(|e| !e.is_empty())
}

impl LinkMessage {
    /// Reads a parsed line as a link message. The command is matched
    /// ASCII-case-insensitively; commands without a variant give
    /// [`LinkMessage::Other`] with a copy of the message. Tags are not
    /// looked at (they stay on `m`). Parameters past those a variant holds
    /// are ignored.
    ///
    /// Errors: [`LinkError::MissingParam`] for a required parameter that is
    /// absent, [`LinkError::NotANumber`] for a hopcount, token or limit that
    /// is not a decimal number, [`LinkError::Malformed`] for CHANINFO modes
    /// without `+`, an NJOIN member without a nick, a JOIN entry without a
    /// channel name, a PART channel starting with `:` and a JOIN or PART
    /// without a channel.
    pub fn parse(m: &Message) -> Result<LinkMessage, LinkError> {
        use LinkMessage as L;
        let Some(&command) = KNOWN.iter().find(|k| k.eq_ignore_ascii_case(&m.command)) else {
            return Ok(L::Other(m.clone()));
        };
        let p = Params {
            command,
            params: &m.params,
        };
        let source = m.source.clone();
        Ok(match command {
            "PASS" => L::Pass {
                source,
                password: p.string(0, "password")?,
                version: p.string(1, "version")?,
                flags: PassFlags::parse(p.req(2, "flags")?),
                options: p.opt(3).unwrap_or_default().to_owned(),
            },
            "SERVER" => {
                let name = p.string(0, "servername")?;
                let n = m.params.len().min(4);
                let info = p.string(n.max(2) - 1, "info")?;
                L::Server {
                    source,
                    name,
                    hopcount: (n >= 3).then(|| p.num(1, "hopcount")).transpose()?,
                    token: (n == 4).then(|| p.num(2, "token")).transpose()?,
                    info,
                }
            }
            "NICK" if m.params.len() <= 1 => L::NickChange {
                source,
                nick: p.string(0, "nickname")?,
            },
            "NICK" => L::Nick {
                source,
                nick: p.string(0, "nickname")?,
                hopcount: p.num(1, "hopcount")?,
                username: p.string(2, "username")?,
                host: p.string(3, "host")?,
                token: p.num(4, "servertoken")?,
                umodes: p
                    .req(5, "umode")
                    .map(|u| u.strip_prefix('+').unwrap_or(u).to_owned())?,
                realname: p.string(6, "realname")?,
            },
            "QUIT" => L::Quit {
                source,
                reason: p.opt_string(0),
            },
            "SQUIT" => L::Squit {
                source,
                server: p.string(0, "server")?,
                comment: p.string(1, "comment")?,
            },
            "NJOIN" => {
                let channel = p.string(0, "channel")?;
                let members = list(p.req(1, "members")?)
                    .map(|e| {
                        NjoinMember::parse(e).ok_or_else(|| {
                            p.malformed("members", e, "a nickname after the prefixes")
                        })
                    })
                    .collect::<Result<_, _>>()?;
                L::Njoin {
                    source,
                    channel,
                    members,
                }
            }
            "MODE" => L::Mode {
                source,
                target: p.string(0, "target")?,
                modes: p.string(1, "modestring")?,
                args: m.params[2..].to_vec(),
            },
            "TOPIC" => L::Topic {
                source,
                channel: p.string(0, "channel")?,
                topic: p.string(1, "topic")?,
            },
            "JOIN" => {
                let raw = p.req(0, "channel")?;
                let channels: Vec<_> = list(raw)
                    .map(|e| {
                        JoinChannel::parse(e).ok_or_else(|| {
                            p.malformed("channel", e, "a channel name before the BEL")
                        })
                    })
                    .collect::<Result<_, _>>()?;
                if channels.is_empty() {
                    return Err(p.malformed("channel", raw, "at least one channel"));
                }
                L::Join { source, channels }
            }
            "PART" => {
                let raw = p.req(0, "channel")?;
                let channels: Vec<_> = list(raw).map(str::to_owned).collect();
                // No channel name starts with ':' (RFC 2812 2.3.1), and a
                // list that did could not be written back: before the
                // reason it would become the trailing parameter.
                if let Some(bad) = channels.iter().find(|c| c.starts_with(':')) {
                    return Err(p.malformed("channel", bad, "a channel name"));
                }
                if channels.is_empty() {
                    return Err(p.malformed("channel", raw, "at least one channel"));
                }
                L::Part {
                    source,
                    channels,
                    reason: p.opt_string(1),
                }
            }
            "KICK" => L::Kick {
                source,
                channel: p.string(0, "channel")?,
                nick: p.string(1, "user")?,
                reason: p.opt_string(2),
            },
            "INVITE" => L::Invite {
                source,
                nick: p.string(0, "nickname")?,
                channel: p.string(1, "channel")?,
            },
            "PRIVMSG" | "NOTICE" => {
                let target = p.string(0, "msgtarget")?;
                let text = p.string(1, "text to be sent")?;
                if command == "PRIVMSG" {
                    L::Privmsg {
                        source,
                        target,
                        text,
                    }
                } else {
                    L::Notice {
                        source,
                        target,
                        text,
                    }
                }
            }
            "KILL" => L::Kill {
                source,
                nick: p.string(0, "nickname")?,
                comment: p.string(1, "comment")?,
            },
            "WALLOPS" => L::Wallops {
                source,
                text: p.string(0, "text")?,
            },
            "AWAY" => L::Away {
                source,
                message: p.opt_string(0),
            },
            "PING" => L::Ping {
                source,
                origin: p.string(0, "server1")?,
                target: p.opt_string(1),
            },
            "PONG" => L::Pong {
                source,
                origin: p.string(0, "server")?,
                target: p.opt_string(1),
            },
            "ERROR" => L::Error {
                source,
                message: p.opt_string(0).unwrap_or_default(),
            },
            "CHANINFO" => {
                let channel = p.string(0, "channel")?;
                let raw = p.req(1, "modes")?;
                let modes = raw
                    .strip_prefix('+')
                    .ok_or_else(|| p.malformed("modes", raw, "mode letters after a '+'"))?;
                // Three shapes: 2 parameters, 3 (topic), 5 (key, limit, topic).
                let (key, limit, topic) = if m.params.len() >= 4 {
                    let key = p.string(2, "key")?;
                    let limit: u64 = p.num(3, "limit")?;
                    let topic = p.string(4, "topic")?;
                    (
                        Some(key).filter(|k| k != "*"),
                        Some(limit).filter(|&l| l != 0),
                        Some(topic),
                    )
                } else {
                    (None, None, p.opt_string(2))
                };
                L::ChanInfo {
                    source,
                    channel,
                    modes: modes.to_owned(),
                    key,
                    limit,
                    topic: topic.filter(|t| !t.is_empty()),
                }
            }
            _ => L::Other(m.clone()),
        })
    }
}
