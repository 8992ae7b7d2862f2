//! Rendering for IRC clients: network events become IRC lines, and the
//! ISUPPORT tokens are derived from the configuration.
//!
//! [`form_key`] tells which capabilities change how an event looks, so
//! [`crate::world::World::emit`] renders each distinct form once and shares
//! the bytes among all recipients of that form.

use bytes::Bytes;
use natter_model::{Event, MessageTarget, Network};
use natter_proto::{write_line, write_line_trailing};

use super::caps::CapSet;
use crate::config::Config;

/// The part of `caps` that changes how `event` is rendered. Recipients with
/// equal keys get the same bytes. No capability natter offers yet changes
/// an event's line, so every recipient shares one form.
pub fn form_key(_event: &Event, _caps: CapSet) -> u32 {
    0
}

/// `event` as one IRC line (with CRLF) for a client with `caps`, or `None`
/// when such a client is not shown the event. `net` is the state after the
/// event was applied.
pub fn render(event: &Event, net: &Network, _caps: CapSet, _server: &str) -> Option<Bytes> {
    let mut out = String::with_capacity(128);
    match event {
        Event::UserIntroduced(_) | Event::AwayChanged { .. } => return None,
        Event::NickChanged {
            old_prefix,
            new_nick,
            ..
        } => write_line(&mut out, None, Some(old_prefix), "NICK", &[new_nick]),
        Event::Joined {
            prefix, channel, ..
        } => {
            let name = net
                .channel(channel)
                .map(|c| c.name.as_str())
                .unwrap_or(channel);
            write_line(&mut out, None, Some(prefix), "JOIN", &[name])
        }
        Event::Parted {
            prefix,
            channel,
            reason,
            ..
        } => match reason {
            Some(r) => write_line_trailing(&mut out, None, Some(prefix), "PART", &[channel, r]),
            None => write_line(&mut out, None, Some(prefix), "PART", &[channel]),
        },
        Event::Kicked {
            by_prefix,
            channel,
            target_nick,
            reason,
            ..
        } => write_line_trailing(
            &mut out,
            None,
            Some(by_prefix),
            "KICK",
            &[channel, target_nick, reason],
        ),
        Event::Quit { prefix, reason, .. } => {
            write_line_trailing(&mut out, None, Some(prefix), "QUIT", &[reason])
        }
        Event::TopicChanged {
            by_prefix,
            channel,
            topic,
        } => {
            let text = topic.as_ref().map(|t| t.text.as_str()).unwrap_or("");
            write_line_trailing(&mut out, None, Some(by_prefix), "TOPIC", &[channel, text])
        }
        Event::ChannelModeChanged {
            by_prefix,
            channel,
            changes,
            ..
        } => {
            let mut flags = String::new();
            let mut sign = None;
            let mut args: Vec<&str> = vec![channel];
            for c in changes {
                if sign != Some(c.add) {
                    flags.push(if c.add { '+' } else { '-' });
                    sign = Some(c.add);
                }
                flags.push(c.mode);
            }
            args.insert(1, &flags);
            args.extend(changes.iter().filter_map(|c| c.arg.as_deref()));
            write_line(&mut out, None, Some(by_prefix), "MODE", &args);
        }
        Event::UserModeChanged { nick, changes, .. } => {
            let mut flags = String::new();
            let mut sign = None;
            for c in changes {
                if sign != Some(c.add) {
                    flags.push(if c.add { '+' } else { '-' });
                    sign = Some(c.add);
                }
                flags.push(c.mode);
            }
            write_line(&mut out, None, Some(nick), "MODE", &[nick, &flags])
        }
        Event::Message {
            prefix,
            kind,
            target,
            text,
            ..
        } => match target {
            MessageTarget::User(to) => {
                let nick = net.user(*to)?.nick.as_str();
                write_line_trailing(&mut out, None, Some(prefix), kind.command(), &[nick, text])
            }
            MessageTarget::Channel { name, status } => {
                let mut t = String::with_capacity(name.len() + 1);
                if let Some(s) = status {
                    t.push(*s);
                }
                t.push_str(name);
                write_line_trailing(&mut out, None, Some(prefix), kind.command(), &[&t, text])
            }
        },
        Event::Invited {
            by_prefix,
            target_nick,
            channel,
            ..
        } => write_line(
            &mut out,
            None,
            Some(by_prefix),
            "INVITE",
            &[target_nick, channel],
        ),
        Event::Wallops { by_prefix, text } => {
            write_line_trailing(&mut out, None, Some(by_prefix), "WALLOPS", &[text])
        }
    }
    Some(Bytes::from(out))
}

/// The RPL_ISUPPORT tokens (Modern IRC "Feature Advertisement").
pub fn isupport_tokens(config: &Config) -> Vec<String> {
    let l = &config.limits;
    vec![
        format!("AWAYLEN={}", l.awaylen),
        "CASEMAPPING=rfc1459".into(),
        format!("CHANLIMIT=#&:{}", l.channels_per_user),
        "CHANMODES=b,k,l,imnst".into(),
        format!("CHANNELLEN={}", l.channellen),
        "CHANTYPES=#&".into(),
        "ELIST=U".into(),
        format!("HOSTLEN={}", 64),
        format!("KICKLEN={}", l.kicklen),
        format!("MAXLIST=b:{}", l.max_bans),
        format!("MAXTARGETS={}", l.max_targets),
        format!("MODES={}", l.modes_per_command),
        format!("NETWORK={}", config.server.network),
        format!("NICKLEN={}", l.nicklen),
        "PREFIX=(ov)@+".into(),
        "SAFELIST".into(),
        "STATUSMSG=@+".into(),
        format!(
            "TARGMAX=JOIN:,KICK:1,LIST:,NAMES:1,NOTICE:{t},PART:,PRIVMSG:{t},WHOIS:1",
            t = l.max_targets
        ),
        format!("TOPICLEN={}", l.topiclen),
        format!("USERLEN={}", l.userlen),
    ]
}
