//! Messages from a link: PRIVMSG, NOTICE, and natter's extensions
//! (TAGMSG, SETNAME, CHGHOST, KNOCK, accounts, server bans).

use super::*;

impl Inbound<'_> {
    /// PRIVMSG or NOTICE from a user behind the link.
    pub(super) fn message(
        &mut self,
        source: Option<&str>,
        kind: MessageKind,
        target: &str,
        text: String,
    ) {
        let Some(id) = self.user_source(source, kind.command()) else {
            return;
        };
        self.deliver(id, kind, target, text);
    }

    pub(super) fn deliver(&mut self, id: UserId, kind: MessageKind, target: &str, text: String) {
        let net = &self.world.net;
        let (status, bare) = match target.chars().next() {
            Some(s @ ('@' | '+')) if is_channel_name(&target[1..]) => (Some(s), &target[1..]),
            _ => (None, target),
        };
        let to = if is_channel_name(bare) {
            match net.channel(bare) {
                Some(c) => MessageTarget::Channel {
                    name: c.name.clone(),
                    status,
                },
                None => return,
            }
        } else {
            // `nick` or `nick@server` (RFC 2812 §3.3.1).
            let nick = bare.split('@').next().unwrap_or(bare);
            let Some(u) = net.user_by_nick(nick) else {
                return;
            };
            // The target's `+R` holds whoever sends: a plain peer (ngIRCd)
            // does not know it, and a natter peer checked before relaying.
            // Dropped without an answer: its sender's own server answers
            // 477 if it is natter, and ngIRCd's users are not told.
            let sender = net.user(id).expect("resolved");
            if crate::rules::check_private_send(sender, u).is_err() {
                return;
            }
            MessageTarget::User(u.id)
        };
        let msgid = match self.tag("msgid") {
            Some(m) if !m.is_empty() => m.to_string(),
            _ => self.world.next_msgid(),
        };
        let client_tags = self.client_tags();
        let from = self.world.net.user(id).expect("resolved").snapshot();
        // A natter neighbour sends the time the message was sent; a time in
        // the future (a clock ahead) is not believed.
        let now = crate::world::now_ms();
        let at_ms = self
            .tag("time")
            .and_then(crate::clock::parse_time_ms)
            .filter(|t| *t <= now)
            .unwrap_or(now);
        self.emit(Event::Message {
            from,
            kind,
            target: to,
            text,
            tags: client_tags,
            msgid,
            at_ms,
        });
    }

    /// The client-only tags (`+name[=value]`) a natter neighbour relayed.
    pub(super) fn client_tags(&self) -> String {
        natter_proto::message::client_only_tags(self.tags)
    }

    /// Commands the link grammar leaves as they are: natter's extensions
    /// (TAGMSG, SETNAME, CHGHOST, KNOCK); ngIRCd's numerics and METADATA
    /// are ignored.
    pub(super) fn other(&mut self, m: &Message) {
        let source = m.source.as_deref();
        match m.command.as_str() {
            "TAGMSG" => {
                let (Some(id), Some(target)) = (self.user_source(source, "TAGMSG"), m.param(0))
                else {
                    return;
                };
                self.deliver(id, MessageKind::Tagmsg, target, String::new());
            }
            "ACCOUNTREG" | "ACCOUNTDROP" => {
                // From a server only; the record is checked by the hook.
                let Some(From::Server(_)) = self.source(source, &m.command) else {
                    return;
                };
                let created_at = m.param(1).and_then(|t| t.parse().ok());
                let (Some(account), Some(created_at)) = (m.param(0), created_at) else {
                    return;
                };
                let event = match (m.command.as_str(), m.param(2)) {
                    ("ACCOUNTREG", Some(secret)) => Event::AccountRegistered {
                        account: account.to_string(),
                        created_at,
                        secret: secret.to_string(),
                    },
                    ("ACCOUNTDROP", _) => Event::AccountDropped {
                        account: account.to_string(),
                        created_at,
                    },
                    _ => return,
                };
                self.emit(event);
            }
            "BANADD" | "BANDEL" => {
                // From a server only, with a mask this server would accept.
                let Some(From::Server(_)) = self.source(source, &m.command) else {
                    return;
                };
                if let Some(event) = ban_event(m) {
                    self.emit(event);
                }
            }
            "SETNAME" => {
                let (Some(id), Some(realname)) = (self.user_source(source, "SETNAME"), m.param(0))
                else {
                    return;
                };
                let user = self.world.net.user(id).expect("resolved").snapshot();
                self.emit(Event::RealnameChanged {
                    user,
                    realname: realname.to_string(),
                });
            }
            "ACCOUNT" => {
                let (Some(id), Some(name)) = (self.user_source(source, "ACCOUNT"), m.param(0))
                else {
                    return;
                };
                let user = self.world.net.user(id).expect("resolved").snapshot();
                let account = (name != "*").then(|| name.to_string());
                self.emit(Event::AccountChanged { user, account });
            }
            "CHGHOST" => {
                let (Some(id), Some(username), Some(host)) =
                    (self.user_source(source, "CHGHOST"), m.param(0), m.param(1))
                else {
                    return;
                };
                let user = self.world.net.user(id).expect("resolved").snapshot();
                self.emit(Event::HostChanged {
                    user,
                    username: username.to_string(),
                    host: host.to_string(),
                });
            }
            "KNOCK" => {
                let (Some(id), Some(channel)) = (self.user_source(source, "KNOCK"), m.param(0))
                else {
                    return;
                };
                let Some(chan) = self.world.net.channel(channel) else {
                    return;
                };
                let channel = chan.name.clone();
                let user = self.world.net.user(id).expect("resolved").snapshot();
                let text = m.param(1).unwrap_or("").to_string();
                self.emit(Event::Knocked {
                    user,
                    channel,
                    text,
                });
            }
            _ => {}
        }
    }

    /// WALLOPS: a message to the users with +w.
    pub(super) fn wallops(&mut self, source: Option<&str>, text: String) {
        let Some(from) = self.source(source, "WALLOPS") else {
            return;
        };
        let by = self.event_source(from);
        self.emit(Event::Wallops { by, text });
    }
}

/// The server ban event a natter neighbour's `BANADD <K|D> <mask> <set_at>
/// <expires_at or 0> <set_by> :<reason>` or `BANDEL <K|D> <mask> :<by>`
/// stands for; `None` if it is malformed (a mask is normalized as this
/// server would, and one it would refuse is ignored).
fn ban_event(m: &Message) -> Option<Event> {
    use crate::server_bans::{normalize_dline, normalize_kline};
    let kind = natter_model::BanKind::from_letter(m.param(0)?)?;
    let mask = match kind {
        natter_model::BanKind::Kline => normalize_kline(m.param(1)?).ok()?,
        natter_model::BanKind::Dline => normalize_dline(m.param(1)?).ok()?,
    };
    if m.command == "BANDEL" {
        let by = m.param(2).unwrap_or("*").to_string();
        return Some(Event::ServerBanLifted { kind, mask, by });
    }
    let set_at = m.param(2)?.parse().ok()?;
    let expires_at = m.param(3)?.parse::<u64>().ok()?;
    let reason = m.param(5)?;
    let reason = crate::server_bans::cut_reason(reason);
    Some(Event::ServerBanSet {
        ban: natter_model::ServerBan {
            kind,
            mask,
            reason: reason.to_string(),
            set_by: m.param(4)?.to_string(),
            set_at,
            expires_at: (expires_at > 0).then_some(expires_at),
        },
    })
}
