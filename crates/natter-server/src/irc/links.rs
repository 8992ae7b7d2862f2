//! The operator's view of the server tree: CONNECT and SQUIT (RFC 2812
//! §3.4.7, §3.1.8) and MAP (as ircu, InspIRCd and UnrealIRCd answer it:
//! RPL_MAP per server, indented under its uplink, with its users and the
//! lag of a direct link, then RPL_MAPEND). LINKS and LUSERS, which anyone
//! may use, are in `queries`.

use bytes::Bytes;
use natter_model::{ServerId, LOCAL_SERVER};
use natter_proto::numeric::*;
use natter_proto::Message;

use super::registration::middle;
use super::{Ctx, Deferred};

/// `CONNECT <server>`: links to the server of that `[[link]]` block now
/// (operators only). Its address comes from the block; a port given after
/// the name is ignored.
pub fn connect(ctx: &mut Ctx<'_>, msg: &Message) {
    let name = &msg.params[0];
    let block = ctx
        .world
        .config
        .links
        .iter()
        .find(|l| l.name.eq_ignore_ascii_case(name))
        .cloned();
    let Some(block) = block.filter(|b| b.address.is_some()) else {
        return ctx.numeric(
            ERR_NOSUCHSERVER,
            &[
                middle(name),
                "No [[link]] block with an address for that server",
            ],
        );
    };
    if ctx.world.net.server_by_name(&block.name).is_some() {
        let text = format!("*** CONNECT: {} is already linked", block.name);
        return ctx.server_notice(&text);
    }
    ctx.server_notice(&format!(
        "*** CONNECT: connecting to {} at {}",
        block.name,
        block.address.as_deref().unwrap_or("")
    ));
    tracing::info!(by = ctx.nick(), peer = block.name, "CONNECT");
    ctx.client.defer(Deferred::Connect(block));
}

/// `SQUIT <server> [<comment>]`: breaks the link to a neighbour (operators
/// only); everyone behind it quits, here and across the rest of the tree.
pub fn squit(ctx: &mut Ctx<'_>, msg: &Message) {
    let name = &msg.params[0];
    let comment = msg.param(1).unwrap_or("SQUIT").to_string();
    let Some(server) = ctx.world.net.server_by_name(name).map(|s| s.id) else {
        return ctx.numeric(ERR_NOSUCHSERVER, &[middle(name), "No such server"]);
    };
    let Some(link) = ctx.world.front.link.links.get(&server) else {
        return ctx.numeric(
            ERR_NOSUCHSERVER,
            &[middle(name), "Not a direct link of this server"],
        );
    };
    let by = ctx.nick().to_string();
    let reason = format!("SQUIT by {by}: {comment}");
    let error = natter_proto::link::LinkMessage::Error {
        source: None,
        message: reason.clone(),
    };
    link.out.close(Some(Bytes::from(error.to_line())));
    tracing::warn!(by, server = name.as_str(), comment, "SQUIT");
    let text = format!("{by} is breaking the link to {name} ({comment})");
    super::snomask::notify(ctx.world, 'a', &text);
}

/// MAP: the server tree from this server down.
pub fn map(ctx: &mut Ctx<'_>, _msg: &Message) {
    let mut lines = Vec::new();
    walk(ctx, LOCAL_SERVER, 0, &mut lines);
    for line in lines {
        ctx.numeric(RPL_MAP, &[&line]);
    }
    ctx.numeric(RPL_MAPEND, &["End of /MAP"]);
}

/// Appends the line of `server` at `depth` and those of the servers it
/// introduced, by name.
fn walk(ctx: &Ctx<'_>, server: ServerId, depth: usize, lines: &mut Vec<String>) {
    let net = &ctx.world.net;
    let Some(s) = net.server(server) else {
        return;
    };
    let users = net.users_of(server).count();
    let lag = match ctx
        .world
        .front
        .link
        .links
        .get(&server)
        .and_then(|l| l.lag_ms)
    {
        Some(ms) => format!(" [lag {ms} ms]"),
        None => String::new(),
    };
    let indent = if depth == 0 {
        String::new()
    } else {
        format!("{}`- ", "  ".repeat(depth - 1))
    };
    lines.push(format!("{indent}{} ({users} users){lag}", s.name));
    let mut children: Vec<(String, ServerId)> = net
        .servers()
        .filter(|c| c.uplink == Some(server))
        .map(|c| (c.name.to_string(), c.id))
        .collect();
    children.sort();
    for (_, child) in children {
        walk(ctx, child, depth + 1, lines);
    }
}
