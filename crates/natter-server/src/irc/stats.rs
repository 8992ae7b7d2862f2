//! `STATS <query>` (RFC 2812 3.4.4; Modern IRC): server statistics, each
//! reply ended by RPL_ENDOFSTATS.
//!
//! | query | answer |
//! | --- | --- |
//! | `d` | RPL_STATSDLINE per D-line (operators only) |
//! | `k` | RPL_STATSKLINE per K-line (operators only) |
//! | `u` | RPL_STATSUPTIME: how long the server has run |
//! | `o` | RPL_STATSOLINE per operator block (operators only) |
//! | `l` | RPL_STATSLINKINFO: the asker's own connection, and for operators every server link |
//! | `m` | RPL_STATSCOMMANDS per command used since start |
//! | `?` | what each query answers |
//!
//! Any other letter gets only RPL_ENDOFSTATS, as Modern IRC allows.

use natter_proto::numeric::*;
use natter_proto::Message;

use super::commands::{COMMANDS, NOT_AN_OPERATOR};
use super::registration::middle;
use super::Ctx;
use crate::world::now;

/// The queries STATS answers, with what each gives (`STATS ?`).
const QUERIES: &[(&str, &str)] = &[
    ("d", "D-lines (operators only)"),
    ("k", "K-lines (operators only)"),
    ("l", "connection and link traffic"),
    ("m", "how often each command was used"),
    ("o", "operator blocks (operators only)"),
    ("u", "server uptime"),
    ("?", "this list"),
];

/// `STATS [<query>]`; without a query, the list `?` gives.
pub fn stats(ctx: &mut Ctx<'_>, msg: &Message) {
    // Only the first character counts, as in InspIRCd and Solanum.
    let query = msg.param(0).and_then(|q| q.chars().next()).unwrap_or('?');
    let mut buf = [0; 4];
    let letter = middle(query.encode_utf8(&mut buf));
    match letter {
        "u" => uptime(ctx),
        "k" | "K" | "d" | "D" if !ctx.me().modes.oper => {
            ctx.numeric(ERR_NOPRIVILEGES, &[NOT_AN_OPERATOR])
        }
        "k" | "K" => super::server_bans::stats(ctx, natter_model::BanKind::Kline),
        "d" | "D" => super::server_bans::stats(ctx, natter_model::BanKind::Dline),
        "o" if !ctx.me().modes.oper => ctx.numeric(ERR_NOPRIVILEGES, &[NOT_AN_OPERATOR]),
        "o" => oper_blocks(ctx),
        "l" => link_info(ctx),
        "m" => command_counts(ctx),
        "?" => {
            for (q, what) in QUERIES {
                ctx.server_notice(&format!("STATS {q}: {what}"));
            }
        }
        _ => {}
    }
    ctx.numeric(RPL_ENDOFSTATS, &[letter, "End of /STATS report"]);
}

fn uptime(ctx: &mut Ctx<'_>) {
    let up = now().saturating_sub(ctx.world.started);
    let text = format!(
        "Server Up {} days {}:{:02}:{:02}",
        up / 86_400,
        up % 86_400 / 3_600,
        up % 3_600 / 60,
        up % 60
    );
    ctx.numeric(RPL_STATSUPTIME, &[&text]);
}

/// `O <host mask> * <name>` per block (RFC 2812 5.1).
fn oper_blocks(ctx: &mut Ctx<'_>) {
    let config = ctx.world.config.clone();
    for o in &config.opers {
        ctx.numeric(
            RPL_STATSOLINE,
            &["O", middle(&o.host), "*", middle(&o.name)],
        );
    }
}

/// `<linkname> <sendq> <sent messages> <sent Kbytes> <received messages>
/// <received Kbytes> <time open>` (RFC 2812 5.1) for the asker's own
/// connection, named `nick[ip]`.
fn link_info(ctx: &mut Ctx<'_>) {
    let Some(conn) = ctx.world.conns.get(&ctx.client.id) else {
        return;
    };
    let (lines_out, bytes_out) = conn.out.traffic();
    let sendq = conn.out.queued_bytes();
    let name = format!("{}[{}]", ctx.nick(), ctx.client.addr.ip().to_canonical());
    let fields = [
        name,
        sendq.to_string(),
        lines_out.to_string(),
        (bytes_out / 1024).to_string(),
        ctx.client.lines_in.to_string(),
        (ctx.client.bytes_in / 1024).to_string(),
        ctx.client.connected_at.elapsed().as_secs().to_string(),
    ];
    let params: Vec<&str> = fields.iter().map(String::as_str).collect();
    ctx.numeric(RPL_STATSLINKINFO, &params);
    if !ctx.me().modes.oper {
        return;
    }
    // Operators also see every server link, named by its neighbour.
    let now = now();
    let mut links: Vec<[String; 7]> = ctx
        .world
        .front
        .link
        .links
        .iter()
        .map(|(id, link)| {
            let (lines_out, bytes_out) = link.out.traffic();
            [
                ctx.world.net.server_name(*id).to_string(),
                link.out.queued_bytes().to_string(),
                lines_out.to_string(),
                (bytes_out / 1024).to_string(),
                link.received.0.to_string(),
                (link.received.1 / 1024).to_string(),
                now.saturating_sub(link.since).to_string(),
            ]
        })
        .collect();
    links.sort();
    for fields in &links {
        let params: Vec<&str> = fields.iter().map(String::as_str).collect();
        ctx.numeric(RPL_STATSLINKINFO, &params);
    }
}

/// `<command> <count>` for each command used at least once (RFC 2812 5.1).
fn command_counts(ctx: &mut Ctx<'_>) {
    let counts = ctx.world.front.irc.command_counts.clone();
    for (command, count) in COMMANDS.iter().zip(counts).filter(|(_, n)| *n > 0) {
        ctx.numeric(RPL_STATSCOMMANDS, &[command.name, &count.to_string()]);
    }
}
