//! SILENCE: a server-side ignore list (Undernet's SILENCE, as InspIRCd
//! offers it; advertised as ISUPPORT `SILENCE=<limit>`).
//!
//! `SILENCE` lists the masks (RPL_SILELIST, RPL_ENDOFSILELIST);
//! `SILENCE +mask` adds one and `SILENCE -mask` removes one, each confirmed
//! by echoing the command back from the client's own prefix; a full list
//! gets ERR_SILELISTFULL. A mask is normalized as bans are (`bob` becomes
//! `bob!*@*`). Messages, notices, TAGMSGs and invitations from a user
//! matching a mask are not delivered to the client: [`blocks`] is checked
//! on the fan-out path, only for clients whose list is not empty.

use natter_model::{Event, Network};
use natter_proto::numeric::*;
use natter_proto::{mask, write_line, Message};

use super::Ctx;

/// Most masks one client may silence (ISUPPORT `SILENCE`).
pub const MAX_SILENCE: usize = 32;

/// Longest mask accepted, in bytes: room for it in RPL_SILELIST.
const MAX_MASK: usize = 300;

/// `SILENCE [(+|-)<mask>]`.
pub fn silence(ctx: &mut Ctx<'_>, msg: &Message) {
    let id = ctx.client.id;
    let Some(change) = msg.param(0).filter(|c| !c.is_empty()) else {
        let masks = ctx
            .world
            .conns
            .get(&id)
            .map(|c| c.front.silence().to_vec())
            .unwrap_or_default();
        let nick = ctx.nick().to_string();
        for m in &masks {
            ctx.numeric(RPL_SILELIST, &[&nick, m]);
        }
        return ctx.numeric(RPL_ENDOFSILELIST, &["End of Silence List"]);
    };
    let (add, raw) = match change.as_bytes()[0] {
        b'-' => (false, &change[1..]),
        b'+' => (true, &change[1..]),
        _ => (true, change),
    };
    if raw.is_empty() || raw.starts_with(':') || raw.contains(' ') {
        return ctx.need_more_params("SILENCE");
    }
    if raw.len() > MAX_MASK {
        return ctx.server_line("FAIL", &["SILENCE", "INVALID_PARAMS", "Mask too long"]);
    }
    let normalized = mask::normalize_hostmask(raw);
    let Some(conn) = ctx.world.conns.get_mut(&id) else {
        return;
    };
    let existing = conn
        .front
        .silence()
        .iter()
        .position(|m| natter_proto::casemap::eq(m, &normalized));
    // The echo names the entry as it is listed.
    let entry = match (add, existing) {
        (true, Some(_)) | (false, None) => return,
        (true, None) if conn.front.silence().len() >= MAX_SILENCE => {
            return ctx.numeric(
                ERR_SILELISTFULL,
                &[&normalized, "Your silence list is full"],
            );
        }
        (true, None) => {
            conn.front.lists().silence.push(normalized.clone());
            normalized
        }
        (false, Some(i)) => conn.front.lists().silence.remove(i),
    };
    let prefix = ctx.me().prefix();
    let sign = if add { "+" } else { "-" };
    write_line(
        &mut ctx.out,
        None,
        Some(&prefix),
        "SILENCE",
        &[&format!("{sign}{entry}")],
    );
}

/// Whether a client silencing `masks` is spared `event`: a message or an
/// invitation from a user whose prefix, with its displayed or its real
/// host (looked up in `net`, the sender behind a cloak), matches one of
/// them.
pub fn blocks(masks: &[String], event: &Event, net: &Network) -> bool {
    let from = match event {
        Event::Message { from, .. } => from,
        Event::Invited { by, .. } => by,
        _ => return false,
    };
    let shown = from.mask();
    let real = net.user(from.id).and_then(|u| u.real_prefix());
    masks
        .iter()
        .any(|m| mask::matches(m, &shown) || real.as_deref().is_some_and(|r| mask::matches(m, r)))
}
