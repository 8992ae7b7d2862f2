//! CAP: IRCv3 capability negotiation (LS, LIST, REQ, END), before and after
//! registration. <https://ircv3.net/specs/extensions/capability-negotiation>

use natter_proto::Message;

use super::caps::{Cap, CapSet};
use super::{registration, Ctx};

/// ERR_INVALIDCAPCMD (Modern IRC).
const ERR_INVALIDCAPCMD: &str = "410";

/// `CAP <subcommand> [params]`.
pub fn cap(ctx: &mut Ctx<'_>, msg: &Message) {
    let Some(sub) = msg.param(0) else {
        return ctx.need_more_params("CAP");
    };
    let nick = ctx.nick().to_string();
    let server = ctx.world.config.server.name.clone();
    match sub.to_ascii_uppercase().as_str() {
        "LS" => {
            if !ctx.client.registered {
                ctx.irc().cap_negotiating = true;
            }
            let version: u32 = msg.param(1).and_then(|v| v.parse().ok()).unwrap_or(0);
            ctx.irc().cap_version = ctx.irc().cap_version.max(version);
            if ctx.irc().cap_version >= 302 {
                // CAP LS 302 implies cap-notify.
                set_caps(ctx, |caps| caps.set(Cap::CapNotify, true));
            }
            let v302 = ctx.irc().cap_version >= 302;
            let config = ctx.world.config.clone();
            let mut entries: Vec<String> = Cap::ALL
                .iter()
                .map(|c| match (c.value(&config), v302) {
                    (Some(v), true) => format!("{}={v}", c.name()),
                    _ => c.name().to_string(),
                })
                .collect();
            if let Some(sts) = sts(ctx, &config).filter(|_| v302) {
                entries.push(sts);
            }
            // Long lists span several lines; with 302 every line but the
            // last says `*` so the client knows more follows.
            let mut lines: Vec<String> = vec![String::new()];
            for e in entries {
                let last = lines.last_mut().expect("never empty");
                if !last.is_empty() && last.len() + 1 + e.len() > 380 && v302 {
                    lines.push(e);
                } else {
                    if !last.is_empty() {
                        last.push(' ');
                    }
                    last.push_str(&e);
                }
            }
            let n = lines.len();
            for (i, line) in lines.iter().enumerate() {
                if i + 1 < n {
                    ctx.server_line("CAP", &[&nick, "LS", "*", line]);
                } else {
                    ctx.server_line("CAP", &[&nick, "LS", line]);
                }
            }
        }
        "LIST" => {
            let enabled = caps_of(ctx).names();
            ctx.server_line("CAP", &[&nick, "LIST", &enabled]);
        }
        "REQ" => {
            if !ctx.client.registered {
                ctx.irc().cap_negotiating = true;
            }
            let Some(req) = msg.param(1) else {
                return ctx.need_more_params("CAP");
            };
            let mut wanted = caps_of(ctx);
            let mut ok = true;
            for item in req.split_ascii_whitespace() {
                let (on, name) = match item.strip_prefix('-') {
                    Some(n) => (false, n),
                    None => (true, item),
                };
                match Cap::from_name(name) {
                    // cap-notify cannot be disabled once CAP LS 302 was seen.
                    Some(Cap::CapNotify) if !on && ctx.irc().cap_version >= 302 => ok = false,
                    Some(cap) => wanted.set(cap, on),
                    None => ok = false,
                }
            }
            if ok {
                set_caps(ctx, |caps| *caps = wanted);
                ctx.server_line("CAP", &[&nick, "ACK", req]);
            } else {
                ctx.server_line("CAP", &[&nick, "NAK", req]);
            }
        }
        "END" => {
            if !ctx.client.registered {
                ctx.irc().cap_negotiating = false;
                registration::try_register(ctx);
            }
        }
        _ => {
            let _ = server;
            let sub = registration::middle(sub);
            ctx.numeric(ERR_INVALIDCAPCMD, &[sub, "Invalid CAP command"]);
        }
    }
}

/// The IRCv3 `sts` entry (<https://ircv3.net/specs/extensions/sts>), when
/// `[tls] sts_port` is set: over plain text the port to upgrade to, over
/// TLS the policy's duration (and `preload`). Only with CAP LS 302 (the
/// policy is its value), and not over WebSocket (the port is a raw TLS
/// one a browser cannot use; a web page's scheme is the browser's
/// business). It is never enabled with REQ (a REQ for it is NAKed:
/// [`Cap::from_name`] does not know it).
fn sts(ctx: &Ctx<'_>, config: &crate::config::Config) -> Option<String> {
    let port = config.tls.sts_port?;
    let transport = ctx.world.conns.get(&ctx.client.id)?.transport;
    if matches!(transport, crate::transport::Kind::WebSocket { .. }) {
        return None;
    }
    let secure = transport.secure();
    Some(if secure {
        let preload = if config.tls.sts_preload {
            ",preload"
        } else {
            ""
        };
        format!("sts=duration={}{preload}", config.tls.sts_duration)
    } else {
        format!("sts=port={port}")
    })
}

fn caps_of(ctx: &Ctx<'_>) -> CapSet {
    ctx.world
        .conns
        .get(&ctx.client.id)
        .map(|c| c.front.caps)
        .unwrap_or_default()
}

fn set_caps(ctx: &mut Ctx<'_>, f: impl FnOnce(&mut CapSet)) {
    if let Some(conn) = ctx.world.conns.get_mut(&ctx.client.id) {
        f(&mut conn.front.caps);
    }
}
